"""Prefect flows: thin wrappers that run the plain pipeline steps as tasks and own the accept/reject policy."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from prefect import Flow, flow, task
from prefect.cache_policies import NO_CACHE

from census_schema.fields import WorkbookForm
from census_schema.forms import get_workbook_form
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


def build_ingest_flow(book: WorkbookForm) -> Flow[..., dict[str, Any]]:
    """The Prefect flow that ingests one workbook of a kind (named by the registry): identify, parse, validate,
    decide, report, load."""

    def ingest_flow(
        path: str, province_code: str | None, submitted_by: str, db_path: str | None = None, **options: Any
    ) -> dict[str, Any]:
        return _ingest(book.kind, path, province_code, submitted_by, db_path, **options)

    ingest_flow.__doc__ = f"Ingest one {book.kind} workbook ({book.label}): all or nothing."
    return flow(name=book.flow_name, validate_parameters=False, persist_result=False)(ingest_flow)


@cache
def flow_for(kind: str) -> Flow[..., dict[str, Any]]:
    """The ingest flow of a registered workbook kind (built once per process)."""
    return build_ingest_flow(get_workbook_form(kind))
