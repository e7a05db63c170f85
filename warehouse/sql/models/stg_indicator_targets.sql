-- Grain: one row per uploaded provincial target (a province's own baseline and target of a plan indicator) in an
-- accepted upload, cast to the reported precision. is_current: the latest accepted target for its indicator and
-- province; the earlier ones are its history.
CREATE VIEW stg_indicator_targets AS
SELECT
    r.indicator_code,
    r.province_code,
    r.base_year::INTEGER AS base_year,
    r.baseline::DECIMAL(18, 2) AS baseline,
    r.target_year::INTEGER AS target_year,
    r.target::DECIMAL(18, 2) AS target,
    r.note,
    r.submission_id,
    r.sheet_name,
    r.excel_row,
    r.loaded_at,
    row_number() OVER (
        PARTITION BY r.indicator_code, r.province_code ORDER BY r.loaded_at DESC, r.excel_row DESC
    ) = 1 AS is_current
FROM raw_indicator_targets_rows AS r
JOIN submissions AS s USING (submission_id)
WHERE s.status = 'accepted';
