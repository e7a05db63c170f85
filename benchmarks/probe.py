"""One measurement of `benchmarks/ingest.py`, run in a process of its own: `python benchmarks/probe.py KIND ...`.

Run as a script (not `-m`) so that PYTHONPATH can put another checkout's code first: the same probe then measures
the code before a change. Prints one JSON object. Kinds:

- `bare FILE`: a bare calamine (fastexcel) read of the census sheet, nothing else (run in a fresh process);
- `warm GOOD BAD FOLDER REPEAT`: in one process, as the web server's upload worker: a warm-up ingestion, then REPEAT
  rounds of {bare read, ingestion of GOOD, ingestion of BAD with its annotated report}, each into a fresh warehouse;
- `naive FILE FOLDER`: what a user would write: openpyxl read, pandas, the GX suite with Data Docs;
- `national FOLDER`: every register then every census return in FOLDER through the ingestion flow, in one process.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

SHEET = "普查表"
PROVINCE = "440000"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_read(path: Path) -> float:
    """Seconds to read the census sheet with calamine into a polars frame."""
    import fastexcel

    started = time.perf_counter()
    fastexcel.read_excel(path).load_sheet_by_name(SHEET).to_polars()
    return time.perf_counter() - started


def _ingest(path: Path, folder: Path, kind: str = "census", province: str | None = PROVINCE) -> dict[str, Any]:
    from census_schema.settings import load_settings
    from flows.ingest import IngestRequest, ingest_workbook
    from warehouse.backends import EmbeddedWarehouse

    settings = load_settings(folder / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    with store.writer():
        pass  # create and migrate the warehouse before the clock starts: the web server's is there already
    request = IngestRequest(path, kind, province, "bench", report_path=folder / "report.xlsx")
    started = time.perf_counter()
    outcome = ingest_workbook(store, request, settings)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "status": outcome.status, "errors": outcome.errors, "stages": outcome.stage_seconds}


def warm(good: Path, bad: Path, folder: Path, repeat: int) -> dict[str, Any]:
    """Bare reads and ingestions interleaved in one warm process (so they share the machine's load)."""
    _ingest(good, folder / "warm-up")
    runs: dict[str, list[Any]] = {"bare": [], "accepted": [], "rejected": []}
    for i in range(repeat):
        runs["bare"].append(bare_read(good))
        runs["accepted"].append(_ingest(good, folder / f"good-{i}"))
        runs["rejected"].append(_ingest(bad, folder / f"bad-{i}"))
    return runs | {"peak_mib": _peak_mib()}


def naive(path: Path, folder: Path) -> dict[str, Any]:
    """openpyxl (read-only) -> pandas -> the per-rule GX suite with Data Docs, as a first attempt would be written."""
    import openpyxl
    import pandas as pd

    from census_schema.census_form import CENSUS_FORM
    from checks.context import build_check_context
    from checks.suite import build_suite, derived_columns, validate_gx_frame

    started = time.perf_counter()
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(book[SHEET].iter_rows(values_only=True))
    labels = {f.label: f.name for f in CENSUS_FORM.fields}
    header = next(i for i, row in enumerate(rows) if sum(1 for cell in row if cell in labels) > 10)
    frame = pd.DataFrame(
        rows[header + 1 :], columns=[labels.get(str(c), f"col{i}") for i, c in enumerate(rows[header])]
    )
    for name in derived_columns(CENSUS_FORM):
        parts = name.removeprefix("__sum__").split("__")
        frame[name] = frame[parts].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=len(parts))
    frame["excel_row"] = range(header + 2, header + 2 + len(frame))
    frame["__row"] = range(len(frame))
    suite = build_suite(CENSUS_FORM, build_check_context(PROVINCE))
    result = validate_gx_frame(suite, frame, data_docs_dir=(folder / "naive-docs").resolve())
    return {"seconds": time.perf_counter() - started, "success": bool(result.success), "peak_mib": _peak_mib()}


def national(folder: Path) -> dict[str, Any]:
    """Registers then census returns of every province in the folder (manifest.json), through the ingestion flow."""
    from census_schema.settings import load_settings
    from flows.ingest import IngestRequest, ingest_workbook
    from warehouse.backends import EmbeddedWarehouse

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    settings = load_settings(folder / "run" / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    with store.writer():
        pass
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    rows = 0
    for kind in ("register", "census"):
        for province in manifest["provinces"]:
            path = folder / province[f"{kind}_file"]
            request = IngestRequest(path, kind, province["province_code"], "bench")
            outcome = ingest_workbook(store, request, settings)
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
            rows += outcome.rows if kind == "census" else 0
    return {
        "seconds": time.perf_counter() - started,
        "census_rows": rows,
        "statuses": statuses,
        "peak_mib": _peak_mib(),
    }


def main(argv: list[str]) -> int:
    """Run the measurement named by argv[0]; print its JSON."""
    kind, args = argv[0], argv[1:]
    if kind == "bare":
        result: dict[str, Any] = {"seconds": bare_read(Path(args[0]))}
    elif kind == "warm":
        result = warm(Path(args[0]), Path(args[1]), Path(args[2]), int(args[3]))
    elif kind == "naive":
        result = naive(Path(args[0]), Path(args[1]))
    elif kind == "national":
        result = national(Path(args[0]))
    else:
        sys.stderr.write(f"unknown probe {kind}\n")
        return 2
    sys.stdout.write(json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    # Run as a script, sys.path[0] is benchmarks/: the checks, flows... come from PYTHONPATH or the installed tree.
    raise SystemExit(main(sys.argv[1:]))
