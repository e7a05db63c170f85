-- Grain: one row per registered holder (a row of a current accepted register).
-- expected_count is always 1 so that sums give expected holders at any level; has_reported: the holder is in the
-- same province's current accepted census return of the same round.
CREATE VIEW mart_coverage AS
SELECT
    g.round_id,
    coalesce(h.province_code, g.province_code) AS province_code,
    h.prefecture_code,
    h.county_code,
    g.division_code,
    g.uscc,
    g.unit_name,
    g.holder_type,
    g.admin_level,
    g.submission_id AS register_submission_id,
    1 AS expected_count,
    EXISTS (
        SELECT 1 FROM stg_census_returns AS r
        WHERE r.round_id = g.round_id AND r.province_code = g.province_code AND r.uscc = g.uscc
    ) AS has_reported
FROM stg_register AS g
LEFT JOIN int_division_hierarchy AS h ON h.division_code = g.division_code;
