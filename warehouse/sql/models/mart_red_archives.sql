-- Grain: one row per holder of the red-archive inventory (红色档案资源摸底) of a counted census return, with
-- where the holder is and what it is, from its row in the same return's main sheet (validation guarantees one).
CREATE VIEW mart_red_archives AS
SELECT
    h.round_id,
    h.province_code,
    h.prefecture_code,
    h.county_code,
    h.central_channel,
    h.division_code,
    h.holder_type,
    h.level_tier,
    h.basis,
    r.submission_id,
    r.sheet_name,
    r.excel_row,
    r.uscc,
    r.unit_name,
    r.red_vol,
    r.red_item,
    r.red_vol + r.red_item AS red_total,
    r.red_intact,
    r.red_light,
    r.red_moderate,
    r.red_severe,
    r.red_extreme,
    r.red_digitized,
    r.red_exhibitions,
    r.red_publications,
    r.red_research
FROM raw_red_archives_rows AS r
JOIN mart_holder_returns AS h ON h.submission_id = r.submission_id AND h.uscc = r.uscc;
