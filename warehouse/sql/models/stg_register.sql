-- Grain: one row per expected holder of a current accepted register.
CREATE VIEW stg_register AS
SELECT
    s.round_id,
    s.province_code,
    s.form_version,
    r.* EXCLUDE (loaded_at)
FROM raw_register_rows AS r
JOIN submissions AS s USING (submission_id)
WHERE s.kind = 'register' AND s.status = 'accepted' AND s.is_current;
