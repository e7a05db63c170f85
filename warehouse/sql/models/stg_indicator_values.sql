-- Grain: one row per uploaded value of an indicator, year and province (NULL: national) in an accepted upload, cast
-- to the reported precision. is_current: the latest accepted value for its indicator, year and province; the
-- earlier ones are its history.
CREATE VIEW stg_indicator_values AS
SELECT
    r.indicator_code,
    r.year::INTEGER AS year,
    r.province_code,
    r.value::DECIMAL(18, 2) AS value,
    r.note,
    r.submission_id,
    r.sheet_name,
    r.excel_row,
    r.loaded_at,
    row_number() OVER (
        PARTITION BY r.indicator_code, r.year, r.province_code ORDER BY r.loaded_at DESC, r.excel_row DESC
    ) = 1 AS is_current
FROM raw_indicator_values_rows AS r
JOIN submissions AS s USING (submission_id)
WHERE s.status = 'accepted';
