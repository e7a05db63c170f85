"""What the upload safety costs on a 100,000-row return: measuring the workbook, and reading it in the bounded worker
process instead of in this one (worker start, then reuse, which is what the web server does).

Run: `./dev bench reader_worker [--rows N] [--repeat R]`. Best of R runs per line (the machine is shared).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.ingest import write_return
from census_schema.forms import get_workbook_form
from census_schema.settings import load_settings
from flows.measure import measure_workbook
from flows.parse import parse_workbook
from flows.worker import ReaderWorker


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> str:
    """Run the benchmark; the markdown result."""
    parser = argparse.ArgumentParser(prog="bench reader_worker")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workbook", help="an existing census return of --rows rows to use instead of writing one")
    args = parser.parse_args(argv)
    book = get_workbook_form("census")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = Path(args.workbook) if args.workbook else write_return(folder, args.rows, None)
        size_mb = path.stat().st_size / 1048576
        settings = load_settings(folder / "w.duckdb")
        measure = best_of(args.repeat, lambda: measure_workbook(path, path.name, settings))
        in_process = best_of(args.repeat, lambda: parse_workbook(path, book))
        started = time.perf_counter()
        with ReaderWorker.from_settings(settings) as worker:
            # A fresh interpreter that imports the reader: what the first upload after start-up waits for.
            worker.call(sum, [0], file_name="start")
            start = time.perf_counter() - started
            reused = best_of(args.repeat, lambda: parse_workbook(path, book, worker=worker))
    lines = [
        f"### Upload safety on a {args.rows}-row return ({size_mb:.0f} MB on disk)",
        "",
        "| step | best s |",
        "|---|---|",
        f"| measure (inflate every member, count cells and rows) | {measure:.2f} |",
        f"| parse in this process | {in_process:.2f} |",
        f"| start the worker (a fresh interpreter importing the reader; once per server, per CLI ingest) | {start:.2f} |",
        f"| parse with the reader in the reused worker (sheet text pickled back) | {reused:.2f} |",
        f"| **worker overhead per upload** | {reused - in_process:.2f} |",
    ]
    return "\n".join(lines) + "\n"
