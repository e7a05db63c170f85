-- Grain: one row per holder per counted census return (a holder reported in two returns would have two rows; the
-- scope rules refuse that for returns loaded since scopes exist).
-- Local holders are placed by their division (province, prefecture, county); central units by their channel only
-- (province_code NULL), wherever they lie. is_registered: the holder is on a current register of the same reporting
-- province (any of its scopes), or for a central unit on the register of its own channel. level_tier: the tier (层级) of its
-- administrative level; basis: the basis indicators count it in (综合档案馆, other archives, archive rooms).
CREATE VIEW mart_holder_returns AS
SELECT
    r.* EXCLUDE (province_code),
    CASE WHEN r.central_channel IS NULL THEN coalesce(h.province_code, r.province_code) END AS province_code,
    CASE WHEN r.central_channel IS NULL THEN h.prefecture_code END AS prefecture_code,
    CASE WHEN r.central_channel IS NULL THEN h.county_code END AS county_code,
    r.vol_total + r.item_total AS holdings,
    tier.group_value AS level_tier,
    basis.group_value AS basis,
    EXISTS (
        SELECT 1 FROM stg_register AS g
        WHERE g.round_id = r.round_id AND g.uscc = r.uscc
            AND g.province_code IS NOT DISTINCT FROM r.province_code
            AND g.central_channel IS NOT DISTINCT FROM r.central_channel
    ) AS is_registered
FROM stg_census_returns AS r
LEFT JOIN int_division_hierarchy AS h ON h.division_code = r.division_code
LEFT JOIN code_groups AS tier ON tier.grouping = 'level_tier' AND tier.value = r.admin_level
LEFT JOIN code_groups AS basis ON basis.grouping = 'basis' AND basis.value = r.holder_type;
