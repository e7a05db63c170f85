"""Ingest a 100,000-row census return and time each stage (identify, parse, validate, report, load) with peak RSS.

Run: `./dev bench ingest [--rows N] [--repeat R]`. Writes the table to stdout and appends it to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from benchmarks.measure import StageMeter
from census_schema.census_form import CENSUS_FORM
from census_schema.settings import load_settings
from census_schema.template import write_form_workbook
from checks.validate import validate_return
from flows.identify import identify_workbook
from flows.ingest import fetch_check_context
from flows.parse import parse_form_sheet
from flows.report import write_annotated_report
from synthetic.census import generate_province_rows
from warehouse.loads import NewSubmission, Status, record_submission
from warehouse.store import WarehouseStore

PROVINCE = "440000"
STAGES = ("identify", "parse", "context", "validate", "report", "load")


def write_return(folder: Path, rows: int, broken_every: int | None) -> Path:
    """A synthetic Guangdong return of `rows` holders; every n-th row made to break vol_total_sum."""
    dataset = generate_province_rows(PROVINCE, rows, seed=7)
    values = [list(row) for row in dataset.census.iter_rows()]
    if broken_every:
        column = CENSUS_FORM.field_names.index("vol_total")
        for row in values[::broken_every]:
            row[column] = int(row[column]) + 1
    path = folder / f"census-{rows}-{'bad' if broken_every else 'good'}.xlsx"
    write_form_workbook(path, CENSUS_FORM, PROVINCE, values)
    return path


def run_once(path: Path, folder: Path, index: int) -> StageMeter:
    """One ingestion, stage by stage, into a fresh warehouse."""
    settings = load_settings(folder / f"w{index}.duckdb")
    store = WarehouseStore(settings.db_path)
    meter = StageMeter()
    with meter.stage("identify"):
        identity = identify_workbook(path, expected_kind="census", expected_province=PROVINCE, settings=settings)
    with meter.stage("parse"):
        parsed = parse_form_sheet(path, CENSUS_FORM)
    with meter.stage("context"), store.reader() as con:
        context = fetch_check_context(con, CENSUS_FORM, PROVINCE)
    with meter.stage("validate"):
        failures = validate_return(CENSUS_FORM, parsed.rows, context, parse_failures=parsed.failures)
    errors = [f for f in failures if f.severity == "error"]
    if errors:
        with meter.stage("report"):
            write_annotated_report(
                path, folder / f"report{index}.xlsx", {CENSUS_FORM.sheet_name: parsed.columns}, failures
            )
    status: Status = "rejected" if errors else "accepted"
    submission = NewSubmission(
        "census", PROVINCE, CENSUS_FORM.round_id, CENSUS_FORM.version, path.name, identity.sha256,
        identity.size_bytes, "bench", status, parsed.row_count, len(errors), len(failures) - len(errors),
    )  # fmt: skip
    with meter.stage("load"), store.writer() as con:
        record_submission(con, submission, parsed.rows if status == "accepted" else None, failures)
    return meter


def table(title: str, meters: list[StageMeter]) -> str:
    """A markdown table of median seconds and max peak RSS per stage."""
    lines = [f"### {title}", "", "| stage | median s | runs (s) | peak RSS MiB |", "|---|---|---|---|"]
    for stage in STAGES:
        runs = [m.seconds[stage] for m in meters if stage in m.seconds]
        if runs:
            peak = max(m.peak_mib[stage] for m in meters if stage in m.peak_mib)
            lines.append(
                f"| {stage} | {statistics.median(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} | {peak:.0f} |"
            )
    total = [sum(m.seconds.values()) for m in meters]
    lines.append(f"| **total** | {statistics.median(total):.2f} | {', '.join(f'{t:.2f}' for t in total)} | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    """Run the benchmark; the markdown result."""
    parser = argparse.ArgumentParser(prog="bench ingest")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    # Peak RSS is per process: run each kind of return in its own process for figures that do not carry over.
    parser.add_argument("--returns", choices=["accepted", "rejected", "both"], default="both")
    args = parser.parse_args(argv)
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.returns in ("accepted", "both"):
            good = write_return(folder, args.rows, None)
            meters = [run_once(good, folder, i) for i in range(args.repeat)]
            tables.append(table(f"Accepted return, {args.rows} rows", meters))
        if args.returns in ("rejected", "both"):
            bad = write_return(folder, args.rows, 1000)
            meters = [run_once(bad, folder, 100 + i) for i in range(args.repeat)]
            tables.append(table(f"Rejected return, {args.rows} rows (1 row in 1000 broken)", meters))
    return "\n".join(tables)
