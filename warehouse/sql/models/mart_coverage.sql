-- Grain: one row per registered holder (a row of a counted register: its submission, sheet and Excel row).
-- expected_count is always 1 so that sums give expected holders at any level; has_reported: the holder is in a
-- counted census return of the same round and reporting province (any scope of it), or for a central unit in a
-- return of its own channel. Central units carry their channel and no province, prefecture or county.
-- level_tier and basis: as in mart_holder_returns, from the register's administrative level and holder type.
CREATE VIEW mart_coverage AS
SELECT
    g.round_id,
    CASE WHEN g.central_channel IS NULL THEN coalesce(h.province_code, g.province_code) END AS province_code,
    CASE WHEN g.central_channel IS NULL THEN h.prefecture_code END AS prefecture_code,
    CASE WHEN g.central_channel IS NULL THEN h.county_code END AS county_code,
    g.central_channel,
    g.division_code,
    g.uscc,
    g.unit_name,
    g.holder_type,
    g.admin_level,
    tier.group_value AS level_tier,
    basis.group_value AS basis,
    g.submission_id AS register_submission_id,
    g.sheet_name AS register_sheet_name,
    g.excel_row AS register_excel_row,
    1 AS expected_count,
    EXISTS (
        SELECT 1 FROM stg_census_returns AS r
        WHERE r.round_id = g.round_id AND r.uscc = g.uscc
            AND r.province_code IS NOT DISTINCT FROM g.province_code
            AND r.central_channel IS NOT DISTINCT FROM g.central_channel
    ) AS has_reported
FROM stg_register AS g
LEFT JOIN int_division_hierarchy AS h ON h.division_code = g.division_code
LEFT JOIN code_groups AS tier ON tier.grouping = 'level_tier' AND tier.value = g.admin_level
LEFT JOIN code_groups AS basis ON basis.grouping = 'basis' AND basis.value = g.holder_type;
