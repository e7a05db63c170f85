"""Browser uploads: a multipart route streams the file to disk, a fair queue feeds one thread that ingests it (its
reader in a bounded worker process), the page polls."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import flask
from werkzeug.wrappers import Response

from census_schema.audit import INTERRUPTED, REFUSED, AuditKind
from census_schema.clock import format_beijing
from census_schema.errors import CensusError, ServiceUnavailable, StorageError
from census_schema.fields import shown_file_name
from census_schema.forms import CURRENT_WORKBOOKS, KIND_LABELS
from census_schema.roles import NATIONAL_ROLES, REPORTING_ROLES, Role
from census_schema.scopes import Scope, ScopeKind, choose_scope, named_division
from census_schema.settings import Settings
from census_schema.supervision.evaluation import SELF_SOURCE
from census_schema.supervision.forms import EVALUATION_WORKBOOK, prefilled_score_rows
from census_schema.template import write_template, write_workbook
from dash_app.access import (
    SUBMISSION_ROLES,
    Viewer,
    current_viewer,
    deny,
    find_visible_submission,
    for_web,
    require_role,
)
from dash_app.reader import SnapshotReader
from dash_app.security import error_page
from dash_app.webstate import FAILED, UploadLedger, UploadRecord, WebState
from flows.data_docs import ensure_data_docs
from flows.identify import compute_sha256
from flows.ingest import (
    STAGE_LABELS,
    IngestRequest,
    prefetch_validation,
    report_kind,
    run_directly,
    submission_report_path,
)
from flows.run import choose_orchestrator, run_ingestion
from flows.worker import ReaderWorker
from warehouse.audit import AuditEvent, AuditSource, audit_source, current_source, new_event
from warehouse.backends import WarehouseMisconfigured, WarehouseUnavailable

T = TypeVar("T")
LOGGER = logging.getLogger(__name__)
# The kinds each role uploads from the web page: a reporting account those filled for a scope (census returns and
# registers, reviewed): a provincial office any scope of its province, a prefecture's office its own and its
# counties', a county's or central channel's office its own; the national bureau's planners the national workbooks
# (inspections, evaluation scores, plan indicators: they take effect when accepted) and, for central units without
# an account of their own, the census returns and registers of the central channels only (reviewed by the bureau).
SCOPED_KINDS = tuple(kind for kind, book in CURRENT_WORKBOOKS.items() if book.needs_province)
NATIONAL_KINDS = tuple(kind for kind, book in CURRENT_WORKBOOKS.items() if not book.needs_province)
UPLOAD_KINDS: dict[Role, tuple[str, ...]] = {
    **dict.fromkeys(sorted(REPORTING_ROLES), SCOPED_KINDS),
    Role.PLANNER: NATIONAL_KINDS + SCOPED_KINDS,
}
UPLOAD_ROLES = tuple(UPLOAD_KINDS)
# Files in var/uploads older than this at start-up were left by a server that stopped mid-job.
STALE_UPLOAD_S = 3600.0
# At the server's exit, how long to wait for the job being run (the rest of the queue is dropped).
CLOSE_WAIT_S = 60.0
STOPPING = "服务正在停止，本文件未处理，请稍后重新上传。"
# What became of a job the server was running (or had queued) when it was killed, found at its next start.
INTERRUPTED_TEXT = "服务器在处理本文件期间停止，文件未装载，请重新上传。"
# A job's states: waiting, being read and checked, ended (with a result, or failed with an error), or ended in a
# server since stopped (`recovered`: what the web state kept of it).
RUNNING = ("queued", "running")
# Who may download a blank template: a reporting account for its own scope (a province's or prefecture's for the
# divisions inside it), national users for any scope and the national workbooks.
TEMPLATE_ROLES = frozenset({*REPORTING_ROLES, *NATIONAL_ROLES})
# The queue's line of the national bureau's uploads (a workbook of no province).
NATIONAL_LINE = ""


def upload_kinds(viewer: Viewer) -> tuple[str, ...]:
    """The kinds of workbook the viewer may upload from the web page (none for other roles)."""
    return UPLOAD_KINDS.get(Role(viewer.role), ())


@dataclass
class UploadJob:
    """One browser upload on its way through the pipeline."""

    job_id: str
    user_name: str
    province_code: str | None  # None: a national workbook, uploaded by the national bureau
    kind: str
    file_name: str
    status: str = "queued"
    stages: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Load even if the return drops more of its scope's holders than allowed (the confirmation step).
    confirm_shrink: bool = False
    # The scope's current return the uploader saw when confirming (its submission id): the confirmation holds for it.
    confirmed_current: str | None = None
    # The uploaded file, kept while the job waits for that confirmation.
    kept_file: Path | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # Where the upload came from (the uploader's address), for the audit log: the worker thread runs with it.
    source: AuditSource = field(default_factory=current_source)
    # The one scope the workbook must be for: a county's or central channel's account's own (None: any the uploader's
    # account may send, checked when the workbook is read).
    scope: Scope | None = None

    @classmethod
    def recovered(cls, record: UploadRecord) -> UploadJob:
        """A job ended in a server since stopped, as the web state kept it (its outcome, not its details)."""
        result = None if record.outcome == FAILED else {"status": record.outcome, "submission_id": record.submission_id}
        return cls(
            record.job_id,
            record.user_name,
            None,
            record.kind,
            record.file_name,
            "recovered",
            result=result,
            error=record.error,
            created_at=record.created_at,
        )

    @property
    def central_only(self) -> bool:
        """True for the national bureau's upload of a census return or register: a central channel's only."""
        return self.province_code is None and self.scope is None and self.kind in SCOPED_KINDS


class FairQueue:
    """Waiting jobs, one line per province (and one for the national bureau); the next job comes from the line served
    least recently (a line never served goes first), so a province's second file waits for every other province's
    first one and no province can hold the others up by queuing several large or hostile files."""

    def __init__(self) -> None:
        self._lines: dict[str, deque[tuple[UploadJob, Path]]] = {}
        self._served_at: dict[str, int] = {}
        self._turn = 0

    def __len__(self) -> int:
        return sum(len(line) for line in self._lines.values())

    def put(self, job: UploadJob, saved: Path) -> None:
        """Queue a job at the end of its province's line."""
        self._lines.setdefault(job.province_code or NATIONAL_LINE, deque()).append((job, saved))

    def take(self) -> tuple[UploadJob, Path] | None:
        """The next job: the head of the line of the province served least recently (ties: first queued)."""
        if not self._lines:
            return None
        province = min(self._lines, key=lambda p: self._served_at.get(p, -1))
        line = self._lines[province]
        item = line.popleft()
        if not line:
            del self._lines[province]
        self._turn += 1
        self._served_at[province] = self._turn
        return item

    def order(self) -> list[UploadJob]:
        """The waiting jobs in the order `take` will give them: taken from a copy, this one untouched."""
        copy = FairQueue()
        copy._lines = {province: deque(line) for province, line in self._lines.items()}
        copy._served_at, copy._turn = dict(self._served_at), self._turn
        return [job for job, _ in iter(copy.take, None)]


class UploadJobs:
    """Upload jobs of one app: queued fairly by province, run by one thread whose spreadsheet reader is a bounded
    worker process (reused across uploads); each job visible only to its uploader."""

    def __init__(
        self,
        settings: Settings,
        record: Callable[[AuditEvent], None] | None = None,
        find_outcome: Callable[[UploadRecord], dict[str, Any] | None] | None = None,
    ) -> None:
        self.settings = settings
        # Where a refused or interrupted file's attempt is logged (the app's audit outbox; None: not logged).
        self._record = record
        self._ledger = UploadLedger(WebState(settings.var_dir))
        self._jobs: dict[str, UploadJob] = {}
        self._done: dict[str, threading.Event] = {}
        self._queue = FairQueue()
        self._ready = threading.Condition()
        self._runner: threading.Thread | None = None
        self._closing = False
        self._worker = ReaderWorker.from_settings(settings)
        # Data Docs are built after the uploader has the answer, on a worker of their own.
        self._docs_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-docs")
        self.upload_dir = settings.var_dir / "uploads"
        # The first upload should not wait for Great Expectations to load: it loads while the server starts.
        prefetch_validation()
        self.report_dir = settings.var_dir / "reports"
        self._recover(find_outcome)
        remove_stale_uploads(self.upload_dir)

    def _recover(self, find_outcome: Callable[[UploadRecord], dict[str, Any] | None] | None) -> None:
        """End the jobs a stopped server left queued or running: loaded if the warehouse has their submission (the
        server stopped after the load), else failed, and logged as interrupted."""
        for orphan in self._ledger.orphans():
            found = find_outcome(orphan) if find_outcome is not None else None
            if found is not None:
                self._ledger.end(orphan.job_id, found["status"], found["submission_id"])
            elif self._ledger.end(orphan.job_id, FAILED, error=INTERRUPTED_TEXT):
                uploaded = f"{format_beijing(orphan.created_at)}上传；{INTERRUPTED_TEXT}"
                source = AuditSource("web", orphan.address)
                self._log_attempt(INTERRUPTED, orphan.user_name, orphan.file_name, uploaded, source)

    def _build_docs_later(self, results: Path) -> None:
        """Build a submission's Data Docs in the background, after its answer; when the server is stopping (its pool
        shut down), they are built when first opened instead: the upload itself has succeeded (it was logged as
        failed, and its uploader told the server had erred, at every stop that overlapped an upload)."""
        try:
            self._docs_executor.submit(_build_data_docs, results)
        except RuntimeError:  # cannot schedule new futures after (interpreter) shutdown
            LOGGER.info("server stopping: the Data Docs of %s are built when first opened", results)

    def _log_attempt(self, action: str, user_name: str, file_name: str, reason: str, source: AuditSource) -> None:
        """Log an uploaded file that changed nothing (refused, interrupted), from where it came."""
        if self._record is not None:
            self._record(
                new_event(AuditKind.SUBMISSION, action, actor=user_name, target=file_name, reason=reason, source=source)
            )

    def submit(
        self,
        viewer: Viewer,
        kind: str,
        saved: Path,
        file_name: str,
        *,
        confirm_shrink: bool = False,
        confirmed_current: str | None = None,
    ) -> UploadJob:
        """Queue an upload of the viewer's own scope (a province's or prefecture's: any scope inside it, the workbook
        says which), or of a national workbook; refused (a failed job) past the per-user limit."""
        own = viewer.scope
        province = own.province_code if own is not None else None
        exact = own if Role(viewer.role) in (Role.COUNTY, Role.CENTRAL) else None
        job = UploadJob(
            uuid.uuid4().hex,
            viewer.user_name,
            province,
            kind,
            file_name,
            confirm_shrink=confirm_shrink,
            confirmed_current=confirmed_current,
            scope=exact,
        )
        record = UploadRecord(
            job.job_id, job.user_name, kind, file_name, compute_sha256(saved), job.created_at, job.source.address
        )
        self._ledger.open(record)
        with self._ready:
            self._jobs[job.job_id] = job
            self._done[job.job_id] = threading.Event()
            pending = sum(j.user_name == viewer.user_name and j.status in RUNNING for j in self._jobs.values())
            limit = self.settings.max_uploads_per_user
            if self._closing or pending > limit:
                busy = f"您已有 {pending - 1} 个文件正在排队或处理（每位用户最多 {limit} 个），本文件未处理。"
                job.status = "failed"
                job.error = STOPPING if self._closing else busy + "请等前面的文件处理完后再上传。"
                saved.unlink(missing_ok=True)
                self._done[job.job_id].set()
        if job.status == "failed":
            self._ledger.end(job.job_id, FAILED, error=job.error)
            return job
        with self._ready:
            self._queue.put(job, saved)
            if self._runner is None or not self._runner.is_alive():
                self._runner = threading.Thread(target=self._serve, name="upload", daemon=True)
                self._runner.start()
            self._ready.notify()
        return job

    def get(self, job_id: str | None, viewer: Viewer) -> UploadJob | None:
        """The job if it exists and belongs to the viewer: this server's, or as the web state kept one that ended in
        a server since stopped."""
        with self._ready:
            job = self._jobs.get(job_id or "")
        if job is None and job_id:
            record = self._ledger.ended(job_id, viewer.user_name)
            return UploadJob.recovered(record) if record is not None else None
        return job if job is not None and job.user_name == viewer.user_name else None

    def ahead_of(self, job_id: str) -> int | None:
        """How many files will be handled before a queued job (the one running included); None when it is not queued."""
        with self._ready:
            ordered = [job.job_id for job in self._queue.order()]
            running = sum(1 for job in self._jobs.values() if job.status == "running")
        return ordered.index(job_id) + running if job_id in ordered else None

    def wait(self, job_id: str, timeout: float = 120.0) -> bool:
        """Block until a job has finished (tests and the demo); False on time-out."""
        with self._ready:
            done = self._done.get(job_id)
        return done.wait(timeout) if done is not None else False

    def close(self, timeout_s: float = CLOSE_WAIT_S) -> None:
        """Stop at the server's exit: the job being run finishes, queued ones are dropped with their files, then the
        reader worker stops. A job cut off by the interpreter's exit inside DuckDB or polars aborts the process."""
        dropped = []
        with self._ready:
            self._closing = True
            while (item := self._queue.take()) is not None:
                job, saved = item
                saved.unlink(missing_ok=True)
                job.status, job.error = "failed", STOPPING
                dropped.append(job)
                self._done[job.job_id].set()
            self._ready.notify_all()
            runner = self._runner
        for job in dropped:
            self._ledger.end(job.job_id, FAILED, error=STOPPING)
            self._log_attempt(INTERRUPTED, job.user_name, job.file_name, STOPPING, job.source)
        if runner is not None and runner is not threading.current_thread():
            runner.join(timeout_s)
        self._worker.close()

    def _serve(self) -> None:
        while True:
            with self._ready:
                item = self._queue.take()
                while item is None and not self._closing:
                    self._ready.wait()
                    item = self._queue.take()
                if item is None:
                    return
            job, saved = item
            try:
                self._run(job, saved)
            finally:
                self._done[job.job_id].set()

    def _run(self, job: UploadJob, saved: Path) -> None:
        def record_stage(step: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
            job.stages.append(STAGE_LABELS.get(step.__name__, step.__name__))
            return run_directly(step, *args, **kwargs)

        job.status = "running"
        job.started_at = datetime.now(UTC)
        request = IngestRequest(
            saved,
            job.kind,
            job.province_code,
            job.user_name,
            file_name=job.file_name,
            report_path=self.report_dir / f"{job.job_id}.xlsx",
            confirm_shrink=job.confirm_shrink,
            # An office's upload does not replace another person's current return unasked.
            protect_others=True,
            confirmed_current=job.confirmed_current,
            central_only=job.central_only,
            scope=job.scope,
        )
        try:
            orchestrator = choose_orchestrator(None, self.settings)
            with audit_source(job.source):
                job.result = run_ingestion(request, self.settings, orchestrator, record_stage, self._worker)
            job.status = "done"
            if job.result["status"] == "needs_confirmation":
                # Kept for the confirmation step, which loads this very file again with the confirmation.
                job.kept_file = saved
            if job.result.get("data_docs"):
                self._build_docs_later(Path(job.result["data_docs"]).parent)
        except (*INFRASTRUCTURE_ERRORS, *_transport_errors()) as error:
            # The warehouse, its catalog or the Prefect server: the operator's to mend. The uploader is not shown
            # the catalog's host, port and user, nor told to set ARCHIVE_CENSUS_WAREHOUSE; the log has it all.
            LOGGER.error("upload job %s (%s) could not run: %s", job.job_id, job.file_name, _described(error))
            job.error = INFRASTRUCTURE_FAILED
            job.status = "failed"
        except CensusError as error:
            job.error = for_web(error).describe(with_file=False)  # the page names the file: 无法处理「name」：…
            # The attempt, from where the upload came, before the page learns the end.
            self._log_attempt(REFUSED, job.user_name, job.file_name, job.error, job.source)
            job.status = "failed"
        except Exception:
            # The worker thread is the last place such an error can surface: without this the job stayed
            # "running" for ever and the page polled without end. Log it in full, tell the uploader.
            LOGGER.exception("upload job %s (%s) failed", job.job_id, job.file_name)
            job.error = "服务器处理该文件时出错（已记录日志），请联系系统管理员。"
            job.status = "failed"
        finally:
            if job.kept_file is None:
                saved.unlink(missing_ok=True)
            job.finished_at = datetime.now(UTC)
            result = job.result or {}
            self._ledger.end(job.job_id, result.get("status", FAILED), result.get("submission_id"), job.error)

    def confirm(self, job_id: str, viewer: Viewer) -> UploadJob | None:
        """Load again, confirmed, the file of one of the viewer's jobs that waits for a confirmation: of the holders
        it drops, and of the other person's return it replaces (that very return: another one current by then is
        asked about again)."""
        job = self.get(job_id, viewer)
        if job is None or job.kept_file is None or not job.kept_file.exists():
            return None
        kept, job.kept_file = job.kept_file, None
        # The return the page named: the one replaced (another's), else the one the shrink was measured against.
        result = job.result or {}
        seen = result.get("replaces_other") or (result.get("shrink") or {}).get("current") or {}
        return self.submit(
            viewer, job.kind, kept, job.file_name, confirm_shrink=True, confirmed_current=seen.get("submission_id")
        )


# The failures that are the platform's, not the file's: the warehouse or its catalog unreachable or misconfigured,
# its folder not writable, the Prefect server down. Said to an uploader in these words only.
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    WarehouseUnavailable,
    WarehouseMisconfigured,
    StorageError,
    ServiceUnavailable,
)
INFRASTRUCTURE_FAILED = "服务器暂时无法完成这次装载（数据仓库或处理节点暂不可用），没有装载任何数据：请稍后重新上传；仍不行请联系系统管理员。"


def _transport_errors() -> tuple[type[Exception], ...]:
    """httpx's connection errors (the Prefect server not answering), when Prefect's client has been loaded."""
    httpx = sys.modules.get("httpx")
    return (httpx.TransportError,) if httpx is not None else ()


def _described(error: Exception) -> str:
    """An error as the log gives it: a platform error's paragraph, else its type and text."""
    return error.describe() if isinstance(error, CensusError) else f"{type(error).__name__}: {error}"


# What a confirmation that finds no upload waiting for it is told (nothing was loaded by it).
CONFIRM_GONE = (
    "找不到等待您确认的这次上传：可能已经确认过，或平台重启后不再保留。此次确认没有装载任何数据；"
    "如仍要装载，请重新上传该文件，平台会再次列出它将替换或减少的内容，请您确认。"
)


# What an uploader of a workbook over the size limit is advised (the form's check and the server's refusal).
TOO_LARGE_ADVICE = "请确认没有嵌入图片或多余工作表；如数据确实很多，请联系国家档案局分批报送。"


def remove_stale_uploads(folder: Path, older_than_s: float = STALE_UPLOAD_S) -> None:
    """Delete uploads left by a server that stopped mid-job (a running server deletes each file when its job ends)."""
    if not folder.is_dir():
        return
    cutoff = time.time() - older_than_s
    for path in folder.glob("*.xlsx"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _build_data_docs(folder: Path) -> None:
    try:
        ensure_data_docs(folder)
    except Exception:
        # Nobody waits for this build: log it; opening the Data Docs later tries again.
        LOGGER.exception("Data Docs of %s could not be built", folder)


def submission_report_url(submission_id: str) -> str:
    """Where the kept error report of a rejected submission is downloaded."""
    return f"/download/submission-report/{submission_id}"


def install_upload_routes(server: flask.Flask, jobs: UploadJobs, reader: SnapshotReader) -> None:
    """POST /api/upload, the report and template downloads; every route checks role and ownership."""

    limit_mb = jobs.settings.max_upload_bytes // (1024 * 1024)

    @server.errorhandler(413)
    def too_large(_error: Exception) -> flask.Response:
        # Werkzeug refuses a body over MAX_CONTENT_LENGTH before any route runs.
        return error_page(
            413,
            "文件过大",
            f"上传的文件超过 {limit_mb} MB 的上限，未被接收。{TOO_LARGE_ADVICE}",
            back=("/upload", "返回上传页面"),
        )

    @server.route("/api/upload", methods=["POST"])
    def upload() -> Response:
        viewer = current_viewer()
        require_role(viewer, *UPLOAD_ROLES)
        kind = flask.request.form.get("kind", "")
        stream = flask.request.files.get("file")
        if kind not in CURRENT_WORKBOOKS or stream is None or not stream.filename:
            flask.abort(400)
        if kind not in upload_kinds(viewer):  # a province's workbook from the bureau, or the bureau's from a province
            deny(f"{Role(viewer.role).label}不能上传「{KIND_LABELS[kind]}」。")
        jobs.upload_dir.mkdir(parents=True, exist_ok=True)
        # The suffix matters: openpyxl (the annotated report of a rejected return) refuses other extensions.
        saved = jobs.upload_dir / f"{uuid.uuid4().hex}.xlsx"
        try:
            stream.save(saved)
        except BaseException:
            saved.unlink(missing_ok=True)
            raise
        job = jobs.submit(viewer, kind, saved, shown_file_name(Path(stream.filename).name))
        return flask.redirect(f"/upload?job={job.job_id}")

    @server.route("/api/upload/confirm", methods=["POST"])
    def confirm_upload() -> Response:
        viewer = current_viewer()
        require_role(viewer, *UPLOAD_ROLES)
        job = jobs.confirm(flask.request.form.get("job", ""), viewer)
        if job is None:
            # Confirmed already, another's, or gone with a restart (jobs live in the server's memory only).
            return error_page(404, "这次上传已无法确认", CONFIRM_GONE, back=("/upload", "返回上传报表"))
        return flask.redirect(f"/upload?job={job.job_id}")

    @server.route("/download/report/<job_id>")
    def download_report(job_id: str) -> flask.Response:
        job = jobs.get(job_id, current_viewer())
        result = (job.result if job else None) or {}
        report = result.get("report")
        if job is None or not report or not Path(report).exists():
            flask.abort(404)
        name = f"{Path(job.file_name).stem}-{report_kind(bool(result.get('errors')))}.xlsx"
        return flask.send_file(report, as_attachment=True, download_name=name)

    @server.route("/download/submission-report/<submission_id>")
    def download_submission_report(submission_id: str) -> flask.Response:
        # A submission's report (rejected, or accepted with warnings), kept under its id: still there after the server
        # restarts (a job's is not).
        viewer = current_viewer()
        require_role(viewer, *SUBMISSION_ROLES)
        with reader.cursor() as con:
            submission = find_visible_submission(con, viewer, submission_id)
        if submission is None:
            flask.abort(404)
        report = submission_report_path(jobs.settings, submission_id)
        if not report.is_file():
            title = f"没有{submission_report_kind(submission)}"
            return error_page(404, title, _no_report(submission), back=("/submissions", "返回提交记录"))
        name = f"{Path(submission['file_name']).stem}-{submission_report_kind(submission)}.xlsx"
        return flask.send_file(report, as_attachment=True, download_name=name)

    @server.route("/download/template/<kind>")
    def download_template(kind: str) -> flask.Response:
        viewer = current_viewer()
        book = CURRENT_WORKBOOKS.get(kind)
        if book is None:
            flask.abort(404)
        if viewer.role not in TEMPLATE_ROLES:
            deny(f"{Role(viewer.role).label}无权下载「{KIND_LABELS[kind]}」模板。")
        if not book.needs_province:
            return _national_template(viewer, kind)
        own = viewer.scope
        province = own.province_code if own is not None else flask.request.args.get("province")
        # ?division= a prefecture or county of the province; ?central= a channel (national users only).
        division, central = flask.request.args.get("division"), flask.request.args.get("central")
        if own is not None and central and central != own.central_channel:
            deny(f"{own.name}的账号只能下载本账号范围（{own.name}）的模板。")
        if own is not None and division and (own.is_central or not own.contains_division(division)):
            # Another area's template is refused as such (403, as a prefecture asking for another one is), not
            # judged as a malformed request (400); saying which area the account may have.
            own_area = "本渠道" if own.is_central else "本辖区"
            return error_page(
                403,
                "无权下载该模板",
                f"{named_division(division)}不在{own.name}范围内：只能下载{own_area}（{own.name}）的模板。",
            )
        if own is not None and own.is_central:
            central = central or own.code
        elif own is not None and own.kind is not ScopeKind.PROVINCE:
            division = division or own.code  # a prefecture's office may choose one of its counties
        if not (province or central):
            flask.abort(400)
        try:
            scope = choose_scope(None if central else province, division, central)
            if own is not None and not own.covers(scope):
                deny(f"{scope.name}不在{own.name}范围内：只能下载本账号范围（{own.name}）的模板。")
            data = _template_bytes(kind, scope.province_code, scope)
        except CensusError as error:
            return error_page(400, "无法生成模板", error.describe())
        # Named for its area, as people name it (普查表模板-广东省广州市.xlsx; codes read 440100, a channel's key English).
        return _send_workbook(data, f"{KIND_LABELS[kind]}模板-{scope.name}.xlsx")


def _no_report(submission: dict[str, Any]) -> str:
    """Why a submission has no report to download, and what to do."""
    code, kind = submission["submission_id"], submission_report_kind(submission)
    if submission["status"] == "rejected":
        return (
            f"提交 {code}（{submission['file_name']}）的{kind}没有保存下来（平台较早的版本不保存，或保存时出错）。"
            "请重新上传原文件：校验后即可下载新的错误报告。"
        )
    if not submission["warning_count"]:
        return f"提交 {code} 通过了校验，没有错误，也没有警告：没有需要标注的单元格，因此没有{kind}。"
    # Sending the same file again would be a duplicate (nothing done): its warnings are listed on /submissions.
    return (
        f"提交 {code}（{submission['file_name']}）的{kind}没有保存下来（平台较早的版本不为通过校验的报表保存报告，"
        "或保存时出错）。其警告逐条列在“提交记录”页的“所填提交的错误和警告”中，可导出为 Excel。"
    )


def submission_report_kind(submission: Mapping[str, Any]) -> str:
    """What a submission's kept report is called: 错误报告 (a rejected one's), else 核对报告 (its warnings marked)."""
    return report_kind(has_errors=submission["status"] == "rejected")


def _national_template(viewer: Viewer, kind: str) -> flask.Response:
    """The template of a national workbook, for national users (a province has none of these to fill); the
    evaluation's with ?archive= (and ?scorer=, default 自评) has a row for each of that archive's items."""
    if viewer.role not in NATIONAL_ROLES:
        deny(f"「{KIND_LABELS[kind]}」模板由国家档案局填报，{Role(viewer.role).label}无权下载。")
    archive = flask.request.args.get("archive")
    if archive is None or kind != EVALUATION_WORKBOOK.kind:
        return _send_workbook(_template_bytes(kind, None, None), f"{KIND_LABELS[kind]}模板.xlsx")
    try:
        rows = prefilled_score_rows(archive, flask.request.args.get("scorer", SELF_SOURCE))
    except CensusError as error:
        return error_page(400, "无法生成模板", error.describe())
    ((_, name, scorer, *_), *_) = next(iter(rows.values()))
    whose = SELF_SOURCE if scorer == SELF_SOURCE else "专家评分"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        write_workbook(path, EVALUATION_WORKBOOK, None, rows)
        return _send_workbook(path.read_bytes(), f"{KIND_LABELS[kind]}模板-{name}（{whose}）.xlsx")


def _template_bytes(kind: str, province_code: str | None, scope: Scope | None) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        write_template(path, kind, province_code, scope)
        return path.read_bytes()


def _send_workbook(data: bytes, name: str) -> flask.Response:
    return flask.send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=name,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
