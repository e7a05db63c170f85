"""Run an ingestion from any front end (command line or web): through Prefect when configured, else directly."""

from __future__ import annotations

import os
from typing import Any

from census_schema.errors import UsageError
from census_schema.settings import Settings
from flows.housekeeping import DATA_DOCS_DIR, prune_data_docs
from flows.ingest import IngestRequest, StepRunner, ingest_workbook, run_directly
from flows.worker import ReaderWorker
from warehouse.loads import fetch_current_file_hashes
from warehouse.store import WarehouseStore


def quiet_prefect() -> None:
    """Keep Prefect's temporary server from phoning home; call before prefect is imported."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def choose_orchestrator(requested: str | None, settings: Settings) -> str:
    """`prefect` when asked, or in `auto` when a Prefect API is configured; otherwise the steps run directly."""
    mode = requested or settings.orchestrator
    if mode == "auto":
        return "prefect" if os.environ.get("PREFECT_API_URL") else "direct"
    if mode not in ("prefect", "direct"):
        raise UsageError(f"未知的编排方式 {mode!r}（可选 auto、prefect、direct）。")
    return mode


def run_ingestion(
    request: IngestRequest,
    settings: Settings,
    orchestrator: str,
    run_step: StepRunner = run_directly,
    worker: ReaderWorker | None = None,
) -> dict[str, Any]:
    """Ingest one workbook; the JSON outcome of the interfaces spec.

    Directly, the reader runs in `worker` when given (the web app reuses one), else in one started for this file;
    a Prefect flow run starts its own.
    """
    if orchestrator == "prefect":
        quiet_prefect()
        from flows.prefect_flows import flow_for

        options = {
            "file_name": request.file_name,
            "report_path": request.report_path,
            "dry_run": request.dry_run,
            "data_docs_dir": request.data_docs_dir,
        }
        flow = flow_for(request.kind)
        result = flow(str(request.path), request.province_code, request.submitted_by, str(settings.db_path), **options)
    else:
        result = ingest_workbook(WarehouseStore(settings.db_path), request, settings, run_step, worker).to_json()
    if request.data_docs_dir is None:
        prune_data_docs_of(settings)
    return result


def prune_data_docs_of(settings: Settings) -> None:
    """Prune the Data Docs beside the warehouse (flows.housekeeping's policy), keeping current submissions' own."""
    if not (settings.var_dir / DATA_DOCS_DIR).is_dir():
        return
    with WarehouseStore(settings.db_path).reader() as con:
        prune_data_docs(settings, fetch_current_file_hashes(con))
