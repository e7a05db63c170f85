"""Prefect flows: thin wrappers that run the plain pipeline steps as tasks and own the accept/reject policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from census_schema.settings import load_settings
from flows.ingest import IngestRequest, ingest_workbook
from warehouse.store import WarehouseStore

T = TypeVar("T")


def run_as_task(step: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run one pipeline step as a Prefect task named after its function (no caching: inputs include a connection)."""
    prefect_task = task(name=step.__name__, cache_policy=NO_CACHE, persist_result=False)(step)
    return prefect_task(*args, **kwargs)


def _ingest(
    kind: str, path: str, province_code: str | None, submitted_by: str, db_path: str | None, **options: Any
) -> dict[str, Any]:
    settings = load_settings(db_path)
    request = IngestRequest(Path(path), kind, province_code, submitted_by, **options)
    return ingest_workbook(WarehouseStore(settings.db_path), request, settings, run_step=run_as_task).to_json()


@flow(name="census-return", validate_parameters=False, persist_result=False)
def census_return_flow(
    path: str, province_code: str | None, submitted_by: str, db_path: str | None = None, **options: Any
) -> dict[str, Any]:
    """Ingest one province's census return: identify, parse, validate, decide, report, load."""
    return _ingest("census", path, province_code, submitted_by, db_path, **options)


@flow(name="census-register", validate_parameters=False, persist_result=False)
def register_flow(
    path: str, province_code: str | None, submitted_by: str, db_path: str | None = None, **options: Any
) -> dict[str, Any]:
    """Ingest one province's register of expected holders."""
    return _ingest("register", path, province_code, submitted_by, db_path, **options)


@flow(name="supervision-inspections", validate_parameters=False, persist_result=False)
def inspections_flow(
    path: str, province_code: str | None, submitted_by: str, db_path: str | None = None, **options: Any
) -> dict[str, Any]:
    """Ingest an inspections workbook: inspection records, findings and rectification updates, all or nothing."""
    return _ingest("inspections", path, province_code, submitted_by, db_path, **options)


@flow(name="supervision-evaluation", validate_parameters=False, persist_result=False)
def evaluation_flow(
    path: str, province_code: str | None, submitted_by: str, db_path: str | None = None, **options: Any
) -> dict[str, Any]:
    """Ingest an evaluation score sheet (self-evaluation or experts' scores) and recompute the round's results."""
    return _ingest("evaluation", path, province_code, submitted_by, db_path, **options)


@flow(name="supervision-indicators", validate_parameters=False, persist_result=False)
def indicators_flow(
    path: str, province_code: str | None, submitted_by: str, db_path: str | None = None, **options: Any
) -> dict[str, Any]:
    """Ingest reported values of the five-year plan's indicators."""
    return _ingest("indicators", path, province_code, submitted_by, db_path, **options)


FLOWS_BY_KIND = {
    "census": census_return_flow,
    "register": register_flow,
    "inspections": inspections_flow,
    "evaluation": evaluation_flow,
    "indicators": indicators_flow,
}
