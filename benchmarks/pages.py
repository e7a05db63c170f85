"""Server-side time of each page's callbacks (median and p95 over repeated requests) on a demo-sized warehouse and
on a 1,000,000-holder warehouse from the synthetic generator.

Run: `./dev bench pages [--units N] [--repeat R]`. The big warehouse is loaded straight from the generator's frames
(record_submission, one transaction per province), not through workbooks: writing 1 M rows of xlsx takes ~8 minutes
and is not what this measures.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.measure import median_and_p95
from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.roles import Role
from census_schema.settings import load_settings
from dash_app import ids
from dash_app.app import create_app
from dash_app.auth import hash_password
from synthetic.census import generate_national_dataset
from warehouse.backends import EmbeddedWarehouse
from warehouse.loads import NewSubmission, record_submission
from warehouse.users import add_user

PASSWORD = "Benchmark-password-1"
Prop = tuple[str, str]

# (page, callback name, outputs, inputs with values)
CALLBACKS: list[tuple[str, str, list[Prop], list[tuple[str, str, Any]]]] = [
    ("/", "map and cards", [(ids.OVERVIEW_MAP, "figure"), (ids.OVERVIEW_CARDS, "children"), (ids.OVERVIEW_PROVINCE, "children"), (ids.OVERVIEW_TABLE, "children")], [(ids.OVERVIEW_METRIC, "value", "coverage_pct"), (ids.URL, "search", "")]),
    ("/coverage", "provinces", [(ids.COVERAGE_GRID, "rowData"), (f"{ids.COVERAGE_GRID}-count", "children"), (ids.COVERAGE_GRID, "pinnedBottomRowData")], [(ids.URL, "search", "")]),
    ("/coverage", "prefectures of 440000", [(ids.COVERAGE_GRID, "rowData"), (f"{ids.COVERAGE_GRID}-count", "children"), (ids.COVERAGE_GRID, "pinnedBottomRowData")], [(ids.URL, "search", "?division=440000")]),
    ("/coverage", "missing holders of 440000", [(ids.COVERAGE_MISSING_GRID, "rowData"), (f"{ids.COVERAGE_MISSING_GRID}-count", "children")], [(ids.URL, "search", "?division=440000")]),
    ("/quality", "quality by province", [(ids.QUALITY_GRID, "rowData"), (f"{ids.QUALITY_GRID}-count", "children")], [(ids.URL, "pathname", "/quality")]),
    ("/quality", "warnings", [(ids.QUALITY_WARNINGS_GRID, "rowData"), (f"{ids.QUALITY_WARNINGS_GRID}-count", "children")], [(ids.URL, "pathname", "/quality")]),
    ("/quality", "duplicates", [(ids.QUALITY_DUPLICATES_GRID, "rowData"), (f"{ids.QUALITY_DUPLICATES_GRID}-count", "children")], [(ids.URL, "pathname", "/quality")]),
    ("/quality", "trend", [(ids.QUALITY_TREND, "figure")], [(ids.URL, "pathname", "/quality")]),
    ("/inspections", "findings", [("inspections-grid", "rowData"), ("inspections-grid-count", "children")], [("inspections-status", "value", None), ("inspections-overdue", "value", []), ("inspections-result", "children", None)]),
    ("/inspections", "overdue findings", [("inspections-grid", "rowData"), ("inspections-grid-count", "children")], [("inspections-status", "value", None), ("inspections-overdue", "value", ["overdue"]), ("inspections-result", "children", None)]),
    ("/inspections", "summary", [("inspections-cards", "children"), ("inspections-chart", "figure")], [("inspections-result", "children", None)]),
    ("/evaluation", "results of the 47", [("evaluation-results-grid", "rowData"), ("evaluation-results-grid-count", "children")], [("evaluation-result", "children", None)]),
    ("/evaluation", "one archive's radar", [("evaluation-radar", "figure"), ("evaluation-radar-table", "children"), ("evaluation-report-link", "children")], [("evaluation-archive", "value", "440000"), ("evaluation-result", "children", None)]),
    ("/evaluation", "one archive's items", [("evaluation-items-grid", "rowData"), ("evaluation-items-grid-count", "children")], [("evaluation-archive", "value", "440000"), ("evaluation-result", "children", None)]),
    ("/indicators", "cards and heatmap", [("indicators-cards", "children"), ("indicators-heatmap", "figure")], [("indicators-choice", "id", "indicators-choice")]),
    ("/indicators", "trajectory", [("indicators-trajectory", "figure")], [("indicators-choice", "value", "JC01")]),
    ("/submissions", "history", [(ids.SUBMISSIONS_GRID, "rowData"), (f"{ids.SUBMISSIONS_GRID}-count", "children")], [(ids.URL, "pathname", "/submissions"), (ids.SUBMISSIONS_REVIEW_RESULT, "children", None), (ids.PAGE_URL, "search", "")]),
]  # fmt: skip


def callback_payload(outputs: Sequence[Prop], inputs: Sequence[tuple[str, str, Any]]) -> dict[str, Any]:
    """The JSON body Dash's renderer posts to /_dash-update-component."""
    output = (
        ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
        if len(outputs) > 1
        else f"{outputs[0][0]}.{outputs[0][1]}"
    )
    return {
        "output": output,
        "outputs": [{"id": i, "property": p} for i, p in outputs]
        if len(outputs) > 1
        else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
        "state": [],
    }


def load_generated_warehouse(db: Path, units: int) -> None:
    """Every province's register and clean return, straight from the generator into the warehouse."""
    dataset = generate_national_dataset(units, seed=2024)
    store = EmbeddedWarehouse(db)
    with store.writer() as con:
        for code, province in dataset.provinces.items():
            for form, frame in ((REGISTER_FORM, province.register), (CENSUS_FORM, province.census)):
                rows = frame.with_columns(
                    pl.lit(form.sheet_name).alias("sheet"),
                    pl.int_range(3, frame.height + 3, dtype=pl.Int64).alias("excel_row"),
                )
                submission = NewSubmission(
                    form.kind, code, form.round_id, form.version, f"{form.kind}-{code}.xlsx", f"{form.kind}{code}{units}",
                    0, "benchmark", "accepted", frame.height, 0, 0,
                )  # fmt: skip
                record_submission(con, submission, rows, [])


def time_callbacks(db: Path, repeat: int) -> list[tuple[str, str, float, float, float]]:
    """First-request, median and p95 milliseconds of each callback, signed in as a planner.

    The first request after a load pays for opening the snapshot and for national aggregates, which the dashboard
    then caches for that (immutable) snapshot; the median and p95 are over the requests after it.
    """
    app = create_app(load_settings(db))
    client = app.server.test_client()
    with EmbeddedWarehouse(db).writer() as con:
        add_user(
            con, "benchmark-planner", hash_password(PASSWORD, "benchmark-planner"), Role.PLANNER, None, by="管理员"
        )
    client.post("/login", data={"username": "benchmark-planner", "password": PASSWORD})
    results = []
    for page, name, outputs, inputs in CALLBACKS:
        body = callback_payload(outputs, inputs)
        samples = []
        for _ in range(repeat + 1):
            started = time.perf_counter()
            response = client.post("/_dash-update-component", json=body)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{page} {name}: HTTP {response.status_code} {response.data[:200]!r}")
        median, p95 = median_and_p95(samples[1:])
        results.append((page, name, samples[0], median, p95))
    return results


def main(argv: list[str] | None = None) -> str:
    """Run on a demo-sized and a large generated warehouse; the markdown result."""
    parser = argparse.ArgumentParser(prog="bench pages")
    parser.add_argument("--units", type=int, nargs="+", default=[12_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", type=Path, help="also time an existing warehouse (e.g. the demo's), on a copy")
    args = parser.parse_args(argv)
    lines = ["| warehouse | page | callback | first ms | median ms | p95 ms |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            copy = Path(tmp) / "existing.duckdb"
            shutil.copyfile(EmbeddedWarehouse(args.db).store.current_snapshot(), copy)
            lines.append(f"| {args.db} (copy) | | | | | |")
            for page, name, first, median, p95 in time_callbacks(copy, args.repeat):
                lines.append(f"| existing | {page} | {name} | {first:.0f} | {median:.0f} | {p95:.0f} |")
        for units in args.units:
            db = Path(tmp) / f"w{units}.duckdb"
            started = time.perf_counter()
            load_generated_warehouse(db, units)
            lines.append(f"| {units:,} holders (loaded in {time.perf_counter() - started:.0f} s) | | | | | |")
            for page, name, first, median, p95 in time_callbacks(db, args.repeat):
                lines.append(f"| {units:,} | {page} | {name} | {first:.0f} | {median:.0f} | {p95:.0f} |")
    return "\n".join(lines) + "\n"
