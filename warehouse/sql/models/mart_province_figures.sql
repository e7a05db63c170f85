-- Grain: one row per round and reporting unit that has a counted register or census return: a census province
-- (central_channel NULL), or a central channel (province_code NULL, central_channel its key).
-- units_reported counts distinct registered holders that reported, so it never exceeds units_expected;
-- units_unregistered counts distinct reporting holders absent from the register, apart. Holders are placed as on
-- /coverage, by their division (mart_coverage, mart_holder_returns): a Corps city's holder in a Xinjiang register
-- of a release before the Corps reported on its own is expected where it is reported, under the Corps.
CREATE VIEW mart_province_figures AS
WITH expected AS (
    SELECT round_id, province_code, central_channel, count(*) AS units_expected
    FROM mart_coverage
    GROUP BY round_id, province_code, central_channel
),
reported AS (
    SELECT
        round_id,
        province_code,
        central_channel,
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
        sum(storage_m2) AS storage_m2,
        sum(shelf_m) AS shelf_m,
        sum(staff_fulltime) AS staff_fulltime,
        sum(photos) AS photos,
        sum(av_reels) AS av_reels,
        sum(physical_items) AS physical_items
    FROM mart_holder_returns
    GROUP BY round_id, province_code, central_channel
)
SELECT
    coalesce(e.round_id, r.round_id) AS round_id,
    coalesce(e.province_code, r.province_code) AS province_code,
    coalesce(e.central_channel, r.central_channel) AS central_channel,
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
    coalesce(r.storage_m2, 0) AS storage_m2,
    coalesce(r.shelf_m, 0) AS shelf_m,
    coalesce(r.staff_fulltime, 0) AS staff_fulltime,
    coalesce(r.photos, 0) AS photos,
    coalesce(r.av_reels, 0) AS av_reels,
    coalesce(r.physical_items, 0) AS physical_items
FROM expected AS e
FULL OUTER JOIN reported AS r
    ON r.round_id = e.round_id
    AND r.province_code IS NOT DISTINCT FROM e.province_code
    AND r.central_channel IS NOT DISTINCT FROM e.central_channel;
