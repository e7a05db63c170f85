-- Grain: one row per holder row of a current accepted census return.
CREATE VIEW stg_census_returns AS
SELECT
    s.round_id,
    s.province_code,
    s.form_version,
    r.* EXCLUDE (loaded_at)
FROM raw_census_rows AS r
JOIN submissions AS s USING (submission_id)
WHERE s.kind = 'census' AND s.status = 'accepted' AND s.is_current;
