-- Marts: business names, one documented grain each. Coverage is defined once, in the macro below.

-- Reported holders as a share of expected ones, in percent: 0 without expected holders, never above 100.
CREATE MACRO coverage_pct(reported, expected) AS
    CASE WHEN coalesce(expected, 0) = 0 THEN 0.0
         ELSE least(100.0, round(coalesce(reported, 0) * 100.0 / expected, 2)) END;

-- Grain: one row per division: the province, prefecture and county it belongs to (NULL above its own level;
-- counties directly under a province have no prefecture).
CREATE VIEW int_division_hierarchy AS
SELECT
    d.division_code,
    d.province_code,
    CASE
        WHEN d.level = 'prefecture' THEN d.division_code
        WHEN d.level = 'county' AND p.level = 'prefecture' THEN p.division_code
    END AS prefecture_code,
    CASE WHEN d.level = 'county' THEN d.division_code END AS county_code
FROM divisions AS d
LEFT JOIN divisions AS p ON p.division_code = d.parent_code;

-- Grain: one row per holder per current accepted census return (a holder reported by two provinces has two rows).
-- is_registered: the holder is on the current register of the province that reported it.
CREATE VIEW mart_holder_returns AS
SELECT
    r.* EXCLUDE (province_code),
    coalesce(h.province_code, r.province_code) AS province_code,
    h.prefecture_code,
    h.county_code,
    r.vol_total + r.item_total AS holdings,
    EXISTS (
        SELECT 1 FROM stg_register AS g
        WHERE g.round_id = r.round_id AND g.province_code = r.province_code AND g.uscc = r.uscc
    ) AS is_registered
FROM stg_census_returns AS r
LEFT JOIN int_division_hierarchy AS h ON h.division_code = r.division_code;

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

-- Grain: one row per round and reporting province that has a current register or a current accepted census return.
-- units_reported counts distinct registered holders that reported, so it never exceeds units_expected;
-- units_unregistered counts distinct reporting holders absent from the register, apart.
CREATE VIEW mart_province_figures AS
WITH expected AS (
    SELECT round_id, province_code, count(*) AS units_expected
    FROM stg_register
    GROUP BY round_id, province_code
),
reported AS (
    SELECT
        round_id,
        province_code,
        count(DISTINCT uscc) FILTER (WHERE is_registered) AS units_reported,
        count(DISTINCT uscc) FILTER (WHERE NOT is_registered) AS units_unregistered,
        sum(vol_total) AS vol_total,
        sum(item_total) AS item_total,
        sum(digitized_vol) AS digitized_vol,
        sum(digitized_item) AS digitized_item,
        sum(e_items) AS e_items,
        sum(e_gb) AS e_gb,
        sum(pre1949) AS pre1949,
        sum(red_archives) AS red_archives,
        sum(opened) AS opened,
        sum(storage_m2) AS storage_m2
    FROM mart_holder_returns
    GROUP BY round_id, province_code
)
SELECT
    coalesce(e.round_id, r.round_id) AS round_id,
    coalesce(e.province_code, r.province_code) AS province_code,
    coalesce(e.units_expected, 0) AS units_expected,
    coalesce(r.units_reported, 0) AS units_reported,
    coalesce(r.units_unregistered, 0) AS units_unregistered,
    coverage_pct(r.units_reported, e.units_expected) AS coverage_pct,
    coalesce(r.vol_total, 0) AS vol_total,
    coalesce(r.item_total, 0) AS item_total,
    coalesce(r.digitized_vol, 0) AS digitized_vol,
    coalesce(r.digitized_item, 0) AS digitized_item,
    coalesce(r.e_items, 0) AS e_items,
    coalesce(r.e_gb, 0) AS e_gb,
    coalesce(r.pre1949, 0) AS pre1949,
    coalesce(r.red_archives, 0) AS red_archives,
    coalesce(r.opened, 0) AS opened,
    coalesce(r.storage_m2, 0) AS storage_m2
FROM expected AS e
FULL OUTER JOIN reported AS r ON r.round_id = e.round_id AND r.province_code = e.province_code;
