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
