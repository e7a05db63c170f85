"""Prefect flows: thin wrappers that run the plain pipeline steps as tasks and own the accept/reject policy.

Where and when they run (deployments, the work pool, schedules, limits) is configured in `flows.deployments`.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from prefect import Flow, flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.utilities.annotations import quote

from census_schema.errors import CensusError
from census_schema.fields import WorkbookForm
from census_schema.forms import CURRENT_WORKBOOKS, get_workbook_form
from census_schema.scopes import parse_stored_scope
from census_schema.settings import Settings, load_settings
from flows.ingest import (
    IngestRequest,
    check_submitter,
    find_duplicate,
    ingest_workbook,
    load_submission,
    read_check_context,
)
from flows.reminders import write_daily_reminders
from flows.worker import CURRENT_READER
from warehouse.audit import AuditSource, audit_source
from warehouse.backends import WarehouseUnavailable, open_warehouse

T = TypeVar("T")
# Steps that reach the warehouse: a lost catalog connection, a full or unreachable data folder or a write that
# kept conflicting is worth another try. Identify, parse, validate and report are deterministic: never retried.
WAREHOUSE_STEPS = frozenset(
    {check_submitter.__name__, find_duplicate.__name__, read_check_context.__name__, load_submission.__name__}
)
STEP_RETRIES = 3
STEP_RETRY_DELAYS_S: list[float] = [2, 10, 30]
# Tag of the step that writes: a tag concurrency limit (flows.deployments) bounds concurrent writers.
WRITE_TAG = "warehouse-write"
# The ingest flows are module attributes `ingest_<kind>` (deployments name them as entry points).
FLOW_ATTRIBUTE_PREFIX = "ingest_"


def is_transient_failure(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry condition: only an unreachable warehouse or storage, never a refused or unreadable workbook."""
    try:
        state.result()
    except (WarehouseUnavailable, duckdb.IOException, duckdb.HTTPException):
        return True
    except Exception:  # noqa: BLE001 - any other failure (validation, bad input, a bug) is final
        return False
    return False


def runs_on_a_worker() -> bool:
    """True in a run of a deployment; a run in the caller's process has no tag limit to honour (and asking the
    server for a slot costs ~0.3 s per load)."""
    context = FlowRunContext.get()
    return context is not None and context.flow_run is not None and context.flow_run.deployment_id is not None


def run_as_task(step: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run one pipeline step as a Prefect task named after its function (no caching: inputs include a connection)."""
    options: dict[str, Any] = {"name": step.__name__, "cache_policy": NO_CACHE, "persist_result": False}
    if step.__name__ in WAREHOUSE_STEPS:
        options.update(
            retries=STEP_RETRIES,
            retry_delay_seconds=STEP_RETRY_DELAYS_S,
            retry_condition_fn=is_transient_failure,
            tags=[WRITE_TAG] if step.__name__ == load_submission.__name__ and runs_on_a_worker() else [],
        )
    prefect_task = task(**options)(step)
    # quote: the arguments (parsed rows, a connection) reach the step as they are; Prefect does not walk every row
    # looking for futures, which cost ~1 s per 10,000 rows.
    return prefect_task(*(quote(arg) for arg in args), **{name: quote(value) for name, value in kwargs.items()})


def current_flow_run_id() -> str | None:
    """The id of the flow run this runs in (None outside one)."""
    context = FlowRunContext.get()
    return None if context is None or context.flow_run is None else str(context.flow_run.id)


def run_in_process(flow_: Flow[..., T], /, **parameters: Any) -> T:
    """Run a flow here, in the caller's process, without run heartbeats.

    Heartbeats tell a server that a worker's run is alive; a run in the caller's process ends with its caller, and
    Prefect's heartbeat thread holds every run ~1 s at its end (it sleeps in 1-second steps). Worker runs keep them.
    """
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return flow_(**parameters)


def write_outcome(path: str | None, payload: dict[str, Any]) -> None:
    """Leave a flow's outcome where the submitter waits for it (a file in the shared var folder), atomically."""
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(".tmp")
    staging.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(staging, target)


def run_settings(warehouse: str | None) -> Settings:
    """The settings of the process running a flow; a refusal names the machine (a worker's own environment lacks
    what the submitter's had: the operator was sent to fix their own shell)."""
    try:
        return load_settings(warehouse=warehouse)
    except CensusError as error:
        error.message = f"运行本次流程的进程（主机 {socket.gethostname()}，如为工作节点则是它的环境变量）的设置有误：{error.message}"
        raise


def _ingest(
    kind: str,
    path: str,
    province_code: str | None,
    submitted_by: str,
    warehouse: str | None,
    outcome_path: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    try:
        settings = run_settings(warehouse)
        # Parameters cross the API as JSON: folders and files arrive as text.
        paths = {k: Path(v) for k in ("report_path", "data_docs_dir") if isinstance(v := options.get(k), str)}
        kind_of_scope, scope_code = options.pop("scope_kind", None), options.pop("scope_code", None)
        scope = parse_stored_scope(kind_of_scope, scope_code, None)
        via, address = options.pop("audit_via", None), options.pop("audit_address", None)
        # A run started without one (from Prefect's own UI) is named by the flow run, the same in its every attempt.
        if named := options.pop("request_id", None) or current_flow_run_id():
            options["request_id"] = named
        request = IngestRequest(Path(path), kind, province_code, submitted_by, scope=scope, **{**options, **paths})
        store = open_warehouse(settings)
        # In the caller's process a reader it already started is reused (flows.run); on a worker, one per run. The
        # audit log says where the upload came from, not where it ran.
        with audit_source(AuditSource(via, address)) if via else contextlib.nullcontext():
            result = ingest_workbook(store, request, settings, run_as_task, CURRENT_READER.get()).to_json()
    except CensusError as error:
        # The submitter prints the same paragraph and exit code as an in-line run would.
        error_fields = {"message": error.describe(), "exit_code": error.exit_code, "type": type(error).__name__}
        write_outcome(outcome_path, {"error": error_fields})
        raise
    write_outcome(outcome_path, {"result": result})
    return result


def build_ingest_flow(book: WorkbookForm) -> Flow[..., dict[str, Any]]:
    """The Prefect flow that ingests one workbook of a kind (named by the registry): identify, parse, validate,
    decide, report, load."""

    def ingest_flow(
        path: str,
        province_code: str | None,
        submitted_by: str,
        warehouse: str | None = None,
        outcome_path: str | None = None,
        file_name: str | None = None,
        report_path: str | None = None,
        dry_run: bool = False,
        data_docs_dir: str | None = None,
        confirm_shrink: bool = False,
        protect_others: bool = False,
        confirmed_current: str | None = None,
        central_only: bool = False,
        scope_kind: str | None = None,
        scope_code: str | None = None,
        audit_via: str | None = None,
        audit_address: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        options = {
            "file_name": file_name,
            "report_path": report_path,
            "dry_run": dry_run,
            "data_docs_dir": data_docs_dir,
            "confirm_shrink": confirm_shrink,
            "protect_others": protect_others,
            "confirmed_current": confirmed_current,
            "central_only": central_only,
            "scope_kind": scope_kind,
            "scope_code": scope_code,
            "audit_via": audit_via,
            "audit_address": audit_address,
            "request_id": request_id,
        }
        return _ingest(book.kind, path, province_code, submitted_by, warehouse, outcome_path, **options)

    ingest_flow.__doc__ = f"Ingest one {book.kind} workbook ({book.label}): all or nothing."
    return flow(name=book.flow_name, validate_parameters=False, persist_result=False)(ingest_flow)


@cache
def flow_for(kind: str) -> Flow[..., dict[str, Any]]:
    """The ingest flow of a registered workbook kind (built once per process)."""
    return build_ingest_flow(get_workbook_form(kind))


@flow(name="daily-reminders", persist_result=False)
def daily_reminders(warehouse: str | None = None, as_of: str | None = None) -> dict[str, Any]:
    """Write today's reminders: provinces that have not reported or were returned, findings soon overdue."""
    settings = run_settings(warehouse)
    day = date.fromisoformat(as_of) if as_of else settings.today()
    store = open_warehouse(settings)
    step = task(
        name="write_daily_reminders",
        cache_policy=NO_CACHE,
        persist_result=False,
        retries=STEP_RETRIES,
        retry_delay_seconds=STEP_RETRY_DELAYS_S,
        retry_condition_fn=is_transient_failure,
    )(write_daily_reminders)
    return step(store, day)


def __getattr__(name: str) -> Flow[..., Any]:
    """`ingest_census`, `ingest_register`, …: the flow of each registered kind, for deployment entry points."""
    kind = name.removeprefix(FLOW_ATTRIBUTE_PREFIX)
    if name.startswith(FLOW_ATTRIBUTE_PREFIX) and kind in CURRENT_WORKBOOKS:
        return flow_for(kind)
    raise AttributeError(name)
