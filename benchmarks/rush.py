"""The deadline rush: provincial and prefecture-sized census returns submitted at once through a few workers while
readers query the dashboard's query functions; the same rush on the embedded warehouse and on a DuckLake.

`./dev bench rush [--provincial 32] [--prefecture 200] [--workers 4] [--readers 20] [--units 6400]
[--backends embedded,ducklake] [--catalog "dbname=… host=… port=… user=…"]`

Census returns have no prefecture scope yet (a return is a province's): a "prefecture return" here is a census
workbook of one province holding the holders of one slice of it, so the returns of a province supersede each other
and each province ends with one current return. Workers are long-lived processes that each run the ingestion
pipeline in-line, as a Prefect process worker's flow run does, without Prefect's per-run process start. The
DuckLake's catalog is an empty PostgreSQL database named by --catalog (scripts/local-cluster.sh starts a server).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.measure import median_and_p95
from census_schema.census_form import CENSUS_FORM
from census_schema.settings import load_settings
from census_schema.template import write_form_workbook
from dash_app.reader import SnapshotReader
from flows.ingest import IngestRequest, ingest_workbook
from synthetic.census import generate_national_dataset
from warehouse.backends import open_warehouse
from warehouse.inspections import summarize_findings
from warehouse.queries import list_submissions, query_coverage_children, query_quality_by_province, query_summary


@dataclass(frozen=True)
class RushReturn:
    """One workbook of the rush."""

    province_code: str
    path: Path
    rows: int
    provincial: bool


def write_rush_returns(folder: Path, provincial: int, prefecture: int, units: int, seed: int) -> list[RushReturn]:
    """`provincial` whole-province returns and `prefecture` slices spread over those provinces, in a shuffled order."""
    folder.mkdir(parents=True, exist_ok=True)
    dataset = generate_national_dataset(units, seed)
    codes = sorted(code for code, p in dataset.provinces.items() if p.census.height >= 8)[:provincial]
    returns = []
    for i, code in enumerate(codes):
        province = dataset.provinces[code]
        rows = list(province.census.iter_rows())
        path = folder / f"census-{code}.xlsx"
        write_form_workbook(path, CENSUS_FORM, code, rows, province_name=province.province_name)
        returns.append(RushReturn(code, path, len(rows), True))
        slices = prefecture // len(codes) + (1 if i < prefecture % len(codes) else 0)
        for k in range(slices):
            part = rows[k::slices] if slices else []
            if not part:
                continue
            path = folder / f"census-{code}-part{k + 1}.xlsx"
            write_form_workbook(path, CENSUS_FORM, code, part, province_name=province.province_name)
            returns.append(RushReturn(code, path, len(part), False))
    random.Random(seed).shuffle(returns)
    return returns


def _ingest_one(item: tuple[str, str]) -> tuple[str, str, str | None, float]:
    """Worker side: ingest one return in-line (the settings come from the worker's environment)."""
    province, path = item
    settings = load_settings()
    started = time.perf_counter()
    outcome = ingest_workbook(
        open_warehouse(settings), IngestRequest(Path(path), "census", province, "填报员"), settings
    )
    return path, outcome.status, outcome.submission_id, time.perf_counter() - started


def _worker_setup(env: dict[str, str]) -> None:
    os.environ.update(env)


# The dashboard's query functions the readers call (through the dashboard's own snapshot reader).
READS: list[tuple[str, Callable[[Any], Any]]] = [
    ("summary", query_summary),
    ("coverage", lambda con: query_coverage_children(con, "440000")),
    ("quality", query_quality_by_province),
    ("submissions", lambda con: list_submissions(con, None)),
    ("findings", lambda con: summarize_findings(con, date(2025, 6, 30))),
]


@dataclass
class Readers:
    """Reader threads timing dashboard queries until stopped; errors and half-loaded returns are counted."""

    reader: SnapshotReader
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    half_loads: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def loop(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            _, query = rng.choice(READS)
            started = time.perf_counter()
            try:
                with self.reader.cursor() as con:
                    query(con)
                    mismatched = con.execute(
                        "SELECT count(*) FROM (SELECT s.submission_id FROM submissions AS s "
                        "LEFT JOIN raw_census_rows AS r USING (submission_id) WHERE s.status = 'accepted' "
                        "GROUP BY s.submission_id, s.row_count HAVING count(r.submission_id) <> s.row_count)"
                    ).fetchone()
                self.latencies.append(time.perf_counter() - started)
                self.half_loads += int(mismatched[0]) if mismatched else 0
            except Exception as error:  # noqa: BLE001 - every failure is a finding of the benchmark
                self.errors.append(repr(error))
            self.stop.wait(0.05)


@contextmanager
def _backend_env(backend: str, folder: Path, catalog: str | None) -> Iterator[dict[str, str]]:
    env = {"ARCHIVE_CENSUS_DATA_DOCS": "0", "ARCHIVE_CENSUS_VAR_DIR": str(folder / "var")}
    if backend == "embedded":
        yield {**env, "ARCHIVE_CENSUS_DB": str(folder / "var" / "warehouse.duckdb")}
        return
    if not catalog:
        raise SystemExit(
            "the DuckLake rush needs a PostgreSQL database: --catalog 'dbname=… host=… port=… user=…' "
            "(scripts/local-cluster.sh start gives one: dbname=census host=127.0.0.1 port=55432 user=postgres), "
            "or --backends embedded"
        )
    lake = {"ARCHIVE_CENSUS_DATA_PATH": str(folder / "lake")}
    yield {**env, **lake, "ARCHIVE_CENSUS_WAREHOUSE": f"ducklake:postgres:{catalog}"}


def run_rush(
    backend: str, returns: list[RushReturn], folder: Path, workers: int, readers: int, catalog: str | None
) -> dict[str, Any]:
    """One rush on one backend: total time, landed-once checks, reader latencies."""
    with _backend_env(backend, folder, catalog) as env:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            settings = load_settings()
            store = open_warehouse(settings)
            store.current_version()  # create and migrate before the rush
            reading = Readers(SnapshotReader(store))
            threads = [threading.Thread(target=reading.loop, args=(i,), daemon=True) for i in range(readers)]
            for thread in threads:
                thread.start()
            context = multiprocessing.get_context("spawn")
            started = time.perf_counter()
            with context.Pool(workers, initializer=_worker_setup, initargs=(env,)) as pool:
                outcomes = pool.map(_ingest_one, [(r.province_code, str(r.path)) for r in returns], chunksize=1)
            total = time.perf_counter() - started
            reading.stop.set()
            for thread in threads:
                thread.join()
            with store.reader() as con:
                landed = con.execute(
                    "SELECT count(*), count(DISTINCT file_sha256), count(*) FILTER (WHERE is_current) "
                    "FROM submissions WHERE kind = 'census' AND status = 'accepted'"
                ).fetchone()
            reading.reader.close()
            close = getattr(store, "close", None)
            if close is not None:
                close()  # detach the lake before its PostgreSQL stops
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    assert landed is not None
    median, p95 = median_and_p95(reading.latencies or [0.0])
    load_median, load_p95 = median_and_p95([o[3] for o in outcomes])
    return {
        "backend": backend,
        "total_s": total,
        "accepted": sum(o[1] == "accepted" for o in outcomes),
        "statuses": ", ".join(f"{k} {v}" for k, v in sorted(Counter(o[1] for o in outcomes).items())),
        "recorded": landed[0],
        "distinct_files": landed[1],
        "current": landed[2],
        "provinces": len({r.province_code for r in returns}),
        "ingest_median_s": load_median,
        "ingest_p95_s": load_p95,
        "reads": len(reading.latencies),
        "read_median_ms": median * 1000,
        "read_p95_ms": p95 * 1000,
        "read_errors": len(reading.errors),
        "half_loads_seen": reading.half_loads,
        "first_error": reading.errors[0] if reading.errors else None,
    }


def main(options: list[str]) -> str:
    """Write the returns once, run the rush on each backend, and return the markdown table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks rush")
    parser.add_argument("--provincial", type=int, default=32)
    parser.add_argument("--prefecture", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--units", type=int, default=6400)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--backends", default="embedded,ducklake")
    parser.add_argument("--catalog", help="libpq keywords of an existing PostgreSQL database for the DuckLake")
    args = parser.parse_args(options)
    folder = Path(tempfile.mkdtemp(prefix="archive-census-rush-"))
    try:
        returns = write_rush_returns(folder / "returns", args.provincial, args.prefecture, args.units, args.seed)
        results = [
            run_rush(b, returns, folder / b, args.workers, args.readers, args.catalog) for b in args.backends.split(",")
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = sum(r.rows for r in returns)
    head = (
        f"{len(returns)} census returns ({sum(r.provincial for r in returns)} provincial, "
        f"{sum(not r.provincial for r in returns)} prefecture-sized slices; {rows} holder rows in all) submitted at "
        f"once to {args.workers} worker processes while {args.readers} reader threads query the dashboard's "
        f"query functions through its snapshot reader. Machine: {os.cpu_count()} cores.\n\n"
    )
    table = [
        "| backend | total s | outcomes | recorded once (rows, distinct files) | current per province "
        "| ingest median / p95 s | reads | read median / p95 ms | read errors | half loads seen |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        table.append(
            f"| {r['backend']} | {r['total_s']:.1f} | {r['statuses']} of {len(returns)} | "
            f"{r['recorded']}, {r['distinct_files']} | {r['current']} of {r['provinces']} | "
            f"{r['ingest_median_s']:.2f} / {r['ingest_p95_s']:.2f} | {r['reads']} | "
            f"{r['read_median_ms']:.0f} / {r['read_p95_ms']:.0f} | {r['read_errors']} | {r['half_loads_seen']} |"
        )
    errors = [f"- {r['backend']}: first reader error {r['first_error']}" for r in results if r["first_error"]]
    return head + "\n".join(table) + "\n" + ("\n".join(errors) + "\n" if errors else "")
