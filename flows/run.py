"""Run an ingestion from any front end (command line or web): on a Prefect worker, as a flow here, or directly.

With `PREFECT_API_URL` set and the flow's deployment registered (`archive-census prefect deploy`), the run is
submitted to the work pool and this process waits for it: the worker leaves the outcome in the shared var folder
and the caller prints it as an in-line run would. A run whose worker died (crashed) is scheduled again, a bounded
number of times; the load is all-or-nothing and idempotent by content, so a second attempt loads once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from census_schema.errors import CensusError, UsageError
from census_schema.settings import Settings, without_password
from flows.housekeeping import DATA_DOCS_DIR, prune_data_docs
from flows.ingest import IngestRequest, StepRunner, ingest_workbook, run_directly
from flows.worker import CURRENT_READER, ReaderWorker
from warehouse.audit import current_source
from warehouse.backends import WarehouseUnavailable, open_warehouse
from warehouse.loads import fetch_current_file_hashes

# The name every flow's deployment has (flows.deployments registers them).
DEPLOYMENT_NAME = "archive-census"
CRASH_RESUBMISSIONS = 2
POLL_S = 0.5
# A run not yet started is given up when no worker of its pool has been online for this long (checked every
# WORKER_CHECK_S): with no worker an upload waited for ever, saying 排队中, and a command printed nothing.
NO_WORKER_GRACE_S = 60.0
WORKER_CHECK_S = 10.0
HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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


def warehouse_parameter(settings: Settings) -> str:
    """How a flow run (here or on a worker) is told which warehouse to use: never with a password written in the
    address (a run's parameters are kept by the Prefect server and shown by its API; a worker takes the password from
    PGPASSWORD or ~/.pgpass, as the README says)."""
    return without_password(settings.warehouse_url) if settings.warehouse_url else str(settings.db_path.absolute())


class RemoteRunFailed(CensusError):
    """A flow run on a worker ended with a user-facing error; its paragraph and exit code are the worker's."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def describe(self, *, with_file: bool = True) -> str:
        """The worker's paragraph, unchanged (it names the file as the worker wrote it)."""
        return self.message


def run_ingestion(
    request: IngestRequest,
    settings: Settings,
    orchestrator: str,
    run_step: StepRunner = run_directly,
    worker: ReaderWorker | None = None,
) -> dict[str, Any]:
    """Ingest one workbook; the JSON outcome of the interfaces spec.

    The reader runs in `worker` when given (the web app and the demo keep one), else in the process's shared one;
    so does a Prefect flow run in this process; a run on a worker starts its own.
    """
    if orchestrator == "prefect":
        quiet_prefect()
        from flows.prefect_flows import flow_for, run_in_process

        options = {
            "file_name": request.file_name,
            # Absolute, as the workbook's path: a worker runs in its own folder, not the caller's.
            "report_path": str(request.report_path.absolute()) if request.report_path else None,
            "dry_run": request.dry_run,
            "data_docs_dir": str(request.data_docs_dir.absolute()) if request.data_docs_dir else None,
            "confirm_shrink": request.confirm_shrink,
            "protect_others": request.protect_others,
            "confirmed_current": request.confirmed_current,
            "central_only": request.central_only,
            # The same in every attempt of the run (one scheduled again after its worker died): its load is its own.
            "request_id": request.request_id,
            # Where the upload came from, for the audit log a worker writes (it read 命令行 for a web upload).
            "audit_via": current_source().via,
            "audit_address": current_source().address,
            # The scope as plain values: flow parameters are stored as JSON.
            "scope_kind": None if request.scope is None else request.scope.kind.value,
            "scope_code": None if request.scope is None else request.scope.code,
        }
        flow = flow_for(request.kind)
        parameters = {
            "path": str(request.path.absolute()),
            "province_code": request.province_code,
            "submitted_by": request.submitted_by,
            "warehouse": warehouse_parameter(settings),
            **options,
        }
        deployment = f"{flow.name}/{DEPLOYMENT_NAME}"
        if os.environ.get("PREFECT_API_URL") and deployment_exists(deployment):
            result = submit_and_wait(deployment, parameters, settings)
        else:
            token = CURRENT_READER.set(worker)
            try:
                result = run_in_process(flow, **parameters)
            finally:
                CURRENT_READER.reset(token)
    else:
        result = ingest_workbook(open_warehouse(settings), request, settings, run_step, worker).to_json()
    if request.data_docs_dir is None:
        prune_data_docs_of(settings)
    return result


def prune_data_docs_of(settings: Settings) -> None:
    """Prune the Data Docs beside the warehouse (flows.housekeeping's policy), keeping current submissions' own."""
    if not (settings.var_dir / DATA_DOCS_DIR).is_dir():
        return
    with open_warehouse(settings).reader() as con:
        prune_data_docs(settings, fetch_current_file_hashes(con))


# How long the Prefect server may take to answer its health check before the command gives up on it (Prefect's own
# client waits 60 s a request and retries: a server that accepts connections but never answers held a command for
# minutes, silently).
PREFECT_CONTACT_TIMEOUT_S = 15.0


def require_prefect_answers() -> None:
    """Ask the Prefect server of PREFECT_API_URL whether it is up, waiting at most PREFECT_CONTACT_TIMEOUT_S; an
    httpx.TransportError (a timeout, a refused connection) when it does not answer, a UsageError when what answers
    is not a Prefect API (the address without its /api: 404)."""
    import httpx

    url = os.environ["PREFECT_API_URL"].rstrip("/")
    answer = httpx.get(f"{url}/health", timeout=PREFECT_CONTACT_TIMEOUT_S)
    if answer.status_code == 404:
        raise UsageError(
            f"PREFECT_API_URL「{url}」不是 Prefect 服务器的 API 地址（{url}/health 答 404）。",
            hint="Prefect 服务器的 API 地址以 /api 结尾，如 http://127.0.0.1:4200/api；请改正后重试。",
        )
    answer.raise_for_status()


def deployment_exists(name: str) -> bool:
    """True when the Prefect server knows the deployment `flow-name/deployment-name`."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    require_prefect_answers()

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(name)
        except ObjectNotFound:
            return False
    return True


def submit_and_wait(deployment: str, parameters: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Run a deployment on the work pool, wait for it, and return the outcome the flow left in the var folder."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.states import Cancelled

    outcome = settings.var_dir.absolute() / "outcomes" / f"{uuid.uuid4().hex}.json"
    # An interrupt between the run's creation and the wait below left the run queued, to load later under the
    # sender's name what the sender was told was not loaded: it is held until the wait can cancel the run.
    release_interrupts = hold_interrupts()
    try:
        flow_run = run_deployment(
            deployment, parameters={**parameters, "outcome_path": str(outcome)}, timeout=0, as_subflow=False
        )
        assert isinstance(flow_run, FlowRun)  # the synchronous call returns the run, not a coroutine
        with get_client(sync_client=True) as client:
            try:
                release_interrupts()
                state = wait_for_run(client, flow_run.id)
            except BaseException:
                # Interrupted (Ctrl-C, a server stopping) or given up: the run must not load later, under whoever's
                # name, what its sender was told was not loaded.
                with contextlib.suppress(Exception):
                    client.set_flow_run_state(flow_run.id, Cancelled(message="提交者已中断或放弃等待"), force=True)
                outcome.unlink(missing_ok=True)
                raise
    finally:
        release_interrupts()
    return read_outcome(outcome, state)


def wait_for_run(client: Any, run_id: Any) -> Any:
    """The final state of a flow run, scheduled again while its worker died (CRASH_RESUBMISSIONS at most);
    WarehouseUnavailable when no worker of its pool serves it (WorkerWatch)."""
    from prefect.states import Scheduled

    workers = WorkerWatch(client)
    resubmitted = 0
    while True:
        run = client.read_flow_run(run_id)
        state = run.state
        if state is not None and state.is_final():
            if state.is_crashed() and resubmitted < CRASH_RESUBMISSIONS:
                # The worker (or its machine) died mid-run: nothing was half-loaded, so run it again.
                resubmitted += 1
                client.set_flow_run_state(run_id, Scheduled(), force=True)
                continue
            return state
        if state is not None and (state.is_scheduled() or state.is_pending()):
            workers.check(run.work_pool_name)
        time.sleep(POLL_S)


def hold_interrupts() -> Callable[[], None]:
    """Hold Ctrl-C and SIGTERM from now on and return their release, which puts their handlers back and acts on any
    that came meanwhile; in a thread other than the main one (the web app's) there is nothing to hold."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    came: list[int] = []
    held = {number: signal.signal(number, lambda signum, _frame: came.append(signum)) for number in HELD_SIGNALS}

    def release() -> None:
        while held:
            number, handler = held.popitem()
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        while came:
            signal.raise_signal(came.pop(0))

    return release


class WorkerWatch:
    """Whether a work pool serves runs (not paused, a worker online), asked every WORKER_CHECK_S; WarehouseUnavailable
    once it has not for NO_WORKER_GRACE_S."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.checked = 0.0
        self.none_since: float | None = None

    def check(self, pool: str | None) -> None:
        """Raise when the pool has been paused or without a worker online for the grace period (the run waiting on it
        is given up)."""
        now = time.monotonic()
        if pool is None or now - self.checked < WORKER_CHECK_S:
            return
        self.checked = now
        # A paused pool (the README's backup of a lake pauses it) serves nobody, its workers online or not: an upload
        # sent meanwhile waited, saying 即将开始, for as long as the pause lasted.
        paused = bool(getattr(self.client.read_work_pool(pool), "is_paused", False))
        online = not paused and any(w.status.value == "ONLINE" for w in self.client.read_workers_for_work_pool(pool))
        self.none_since = None if online else (self.none_since or now)
        if self.none_since is None or now - self.none_since < NO_WORKER_GRACE_S:
            return
        if paused:
            raise WarehouseUnavailable(
                f"工作池「{pool}」已暂停（系统维护或备份中），这次装载无人接手，已取消，没有装载任何数据。",
                hint=f"请在维护结束、工作池恢复后（prefect work-pool resume {pool}）重新提交。",
            )
        raise WarehouseUnavailable(
            f"工作池「{pool}」上没有运行中的工作节点，这次装载无人接手，已取消，没有装载任何数据。",
            hint=f"请联系系统管理员；工作节点启动后（prefect worker start --pool {pool}）请重新提交。",
        )


def read_outcome(path: Path, state: Any) -> dict[str, Any]:
    """The outcome a worker wrote; a failed run without one becomes a transient error naming the state."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        name = getattr(state, "name", "未知")
        raise WarehouseUnavailable(
            f"工作节点上的运行以「{name}」结束，没有留下结果：{getattr(state, 'message', '') or ''}",
            hint="请在 Prefect 界面查看该运行的日志；确认工作节点与本机共享 ARCHIVE_CENSUS_VAR_DIR 目录。",
        ) from None
    finally:
        path.unlink(missing_ok=True)
    if "error" in payload:
        raise RemoteRunFailed(payload["error"]["message"], int(payload["error"]["exit_code"]))
    result: dict[str, Any] = payload["result"]
    return result
