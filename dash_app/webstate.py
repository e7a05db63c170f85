"""The web server's own state, beside the warehouse in one SQLite file (`var/web_state.sqlite3`):

- sign-in sessions, so that signing out ends a session on the server: a copy of the cookie taken before is refused
  after (the cookie only names a session; whether it is live is decided here);
- failed sign-in attempts, counted by the throttle (`SharedFailures`): a restart or another server process sees
  the same counts;
- each browser upload's job (`UploadLedger`): whose file it was and how it ended, so that a restarted server still
  tells the uploader what became of it, and one killed mid-job is found and logged at the next start;
- the outbox of sign-in events for the audit log. Writing each sign-in to the warehouse would copy the warehouse file
  (a snapshot) every time and queue behind loads on its writer lock; events are kept here durably at once and moved
  to the warehouse's `audit_log` in batches (`AuditOutbox.flush`), a few seconds later.

SQLite because several server processes may share it and it needs no server; the warehouse stays DuckDB.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from census_schema.errors import CensusError
from dash_app.throttle import WINDOW_S, Counter
from warehouse.audit import AuditEvent, append_events
from warehouse.backends import EmbeddedWarehouse, Warehouse
from warehouse.transactions import transaction, utc_now

LOGGER = logging.getLogger(__name__)
FILE_NAME = "web_state.sqlite3"
# A session ends at sign-out, when the user's password or role changes, after SESSION_IDLE without a request from
# its browser (typing and clicking count: assets/session.js tells the server; `ARCHIVE_CENSUS_SESSION_IDLE_MINUTES`
# sets another), or at the latest SESSION_MAX_AGE after sign-in.
SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX_AGE = timedelta(hours=12)
# A session's last request is written down at most this often (not a write per callback).
SEEN_EVERY = timedelta(minutes=1)


def session_end_causes(idle: timedelta | str = "长时间") -> str:
    """Why a session may have ended, as the sign-in page (with the idle time set) and a refused request say it."""
    idle_text = f"{idle.seconds // 60} 分钟" if isinstance(idle, timedelta) else idle
    return (
        f"已退出、{idle_text}未操作、密码或角色已变更、账号被管理员重设密码或停用，"
        f"或登录超过 {SESSION_MAX_AGE.seconds // 3600} 小时"
    )


# Ended sessions are kept this long (for the record), then pruned.
SESSION_KEEP = timedelta(days=30)
FLUSH_DELAY_S = 5.0
FLUSH_LOCK_WAIT_S = 5.0
# After a failed flush (a long load holds the lock, a damaged warehouse) the next try waits longer, up to this.
MAX_RETRY_DELAY_S = 300.0
# At exit, how long to wait for a running flush (it waits at most FLUSH_LOCK_WAIT_S for the writer lock).
CLOSE_WAIT_S = 30.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    session_hash TEXT PRIMARY KEY,   -- sha256 of the session id the cookie carries
    user_name TEXT NOT NULL,
    started_at TEXT NOT NULL,        -- UTC ISO
    remote_address TEXT,
    ended_at TEXT,
    ended_reason TEXT,
    last_seen_at TEXT                -- UTC ISO of its browser's last request (NULL: none since it started)
);
CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions (user_name);
CREATE TABLE IF NOT EXISTS login_failures (
    counter_kind TEXT NOT NULL,      -- address | account | device (dash_app.throttle)
    counter_key TEXT NOT NULL,
    failed_at REAL NOT NULL          -- seconds since the epoch
);
CREATE INDEX IF NOT EXISTS login_failures_counter ON login_failures (counter_kind, counter_key, failed_at);
CREATE INDEX IF NOT EXISTS login_failures_time ON login_failures (failed_at);
CREATE TABLE IF NOT EXISTS upload_jobs (
    job_id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,        -- UTC ISO, when it was queued
    address TEXT,                    -- where the upload came from (for the audit log)
    owner TEXT NOT NULL,             -- the serving process: pid:start time (UploadLedger.owner)
    ended_at TEXT,                   -- NULL while queued or running
    outcome TEXT,                    -- the ingestion's status (accepted, rejected, ...) or failed
    submission_id TEXT,
    error TEXT                       -- why it failed, as its page said it
);
CREATE INDEX IF NOT EXISTS upload_jobs_created ON upload_jobs (created_at);
CREATE TABLE IF NOT EXISTS audit_outbox (
    event_id TEXT PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor TEXT,
    via TEXT NOT NULL,
    address TEXT,
    kind TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    before_state TEXT,
    after_state TEXT,
    reason TEXT
);
"""


class WebState:
    """The SQLite file; a short-lived connection per operation (threads and processes may share the file)."""

    def __init__(self, var_dir: Path) -> None:
        self.path = Path(var_dir) / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)
            # A file written before sessions ended when idle: its table gains the column (its sessions count from
            # their start).
            columns = {row[1] for row in con.execute("PRAGMA table_info(web_sessions)")}
            if "last_seen_at" not in columns:
                con.execute("ALTER TABLE web_sessions ADD COLUMN last_seen_at TEXT")

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection whose block is one transaction (committed at the end, rolled back on error)."""
        with closing(sqlite3.connect(self.path, timeout=10)) as con:
            con.execute("PRAGMA synchronous=NORMAL")
            with con:
                yield con


def session_hash(session_id: str) -> str:
    """How a session is known on the server (the session id itself stays in the signed cookie)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Sign-in sessions kept on the server."""

    def __init__(self, state: WebState, idle: timedelta = SESSION_IDLE) -> None:
        self.state = state
        self.idle = idle

    def start(self, user_name: str, remote_address: str | None) -> str:
        """A new session for the user; returns its id (to be kept in the signed cookie)."""
        session_id = secrets.token_urlsafe(32)
        now = utc_now()
        with self.state.connect() as con:
            con.execute(
                "INSERT INTO web_sessions (session_hash, user_name, started_at, remote_address, last_seen_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [session_hash(session_id), user_name, now.isoformat(), remote_address, now.isoformat()],
            )
            con.execute(
                "DELETE FROM web_sessions WHERE started_at < ?", [(now - SESSION_MAX_AGE - SESSION_KEEP).isoformat()]
            )
        return session_id

    def is_live(self, session_id: str | None, user_name: str, *, seen: bool = False) -> bool:
        """True when the session exists, belongs to the user, has not ended, is not too old and was not left idle;
        `seen`: this is a request from its browser (so it is not idle now)."""
        if not session_id:
            return False
        return self.is_live_by_hash(session_hash(session_id), user_name, seen=seen)

    def is_live_by_hash(self, hashed: str, user_name: str, *, seen: bool = False) -> bool:
        """`is_live` for a session known by its hash (what a link may carry instead of the session itself). A session
        found idle is ended here, for the record (ended_reason `idle`)."""
        now = utc_now()
        with self.state.connect() as con:
            row = con.execute(
                "SELECT user_name, started_at, ended_at, last_seen_at FROM web_sessions WHERE session_hash = ?",
                [hashed],
            ).fetchone()
            if row is None or row[0] != user_name or row[2] is not None:
                return False
            started = datetime.fromisoformat(row[1])
            last_seen = datetime.fromisoformat(row[3]) if row[3] else started
            if now - started >= SESSION_MAX_AGE:
                return False
            if now - last_seen >= self.idle:
                con.execute(
                    "UPDATE web_sessions SET ended_at = ?, ended_reason = 'idle' WHERE session_hash = ?",
                    [now.isoformat(), hashed],
                )
                return False
            if seen and now - last_seen >= SEEN_EVERY:
                con.execute(
                    "UPDATE web_sessions SET last_seen_at = ? WHERE session_hash = ?", [now.isoformat(), hashed]
                )
        return True

    def end(self, session_id: str | None, reason: str) -> None:
        """End one session (sign-out)."""
        if session_id:
            with self.state.connect() as con:
                con.execute(
                    "UPDATE web_sessions SET ended_at = ?, ended_reason = ? WHERE session_hash = ? AND ended_at IS NULL",
                    [utc_now().isoformat(), reason, session_hash(session_id)],
                )

    def end_all(self, user_name: str, reason: str) -> int:
        """End every live session of a user (e.g. after a password change); returns how many."""
        with self.state.connect() as con:
            cursor = con.execute(
                "UPDATE web_sessions SET ended_at = ?, ended_reason = ? WHERE user_name = ? AND ended_at IS NULL",
                [utc_now().isoformat(), reason, user_name],
            )
            return cursor.rowcount


class SharedFailures:
    """The sign-in throttle's failure log in this file (`dash_app.throttle.FailureLog`), shared by every server
    process of the app and kept across restarts; failures older than the throttle's window are pruned as new ones
    arrive (at most one per password check, and password checks run one at a time)."""

    def __init__(self, state: WebState) -> None:
        self.state = state

    def recent(self, counter: Counter, since: float) -> list[float]:
        with self.state.connect() as con:
            rows = con.execute(
                "SELECT failed_at FROM login_failures WHERE counter_kind = ? AND counter_key = ? AND failed_at > ? "
                "ORDER BY failed_at",
                [*counter, since],
            ).fetchall()
        return [row[0] for row in rows]

    def add(self, counter: Counter, at: float) -> None:
        with self.state.connect() as con:
            con.execute("INSERT INTO login_failures VALUES (?, ?, ?)", [*counter, at])
            con.execute("DELETE FROM login_failures WHERE failed_at <= ?", [at - WINDOW_S])

    def forget(self, counter: Counter) -> None:
        with self.state.connect() as con:
            con.execute("DELETE FROM login_failures WHERE counter_kind = ? AND counter_key = ?", list(counter))

    def tracked(self) -> list[Counter]:
        with self.state.connect() as con:
            rows = con.execute("SELECT DISTINCT counter_kind, counter_key FROM login_failures ORDER BY 1, 2")
            return [(row[0], row[1]) for row in rows]


# Ended upload jobs are kept this long (a link to one's page still says what became of it), then pruned.
UPLOAD_JOB_KEEP = timedelta(days=30)
FAILED = "failed"


@dataclass(frozen=True)
class UploadRecord:
    """One upload job as the web state keeps it."""

    job_id: str
    user_name: str
    kind: str
    file_name: str
    file_sha256: str
    created_at: datetime
    address: str | None = None
    outcome: str | None = None
    submission_id: str | None = None
    error: str | None = None


def process_identity(pid: int) -> str | None:
    """`pid:start time` of a running process (clock ticks after boot: a reused pid starts later), None if none runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command's name (in brackets) may hold spaces; the start time is the 20th field after it.
    return f"{pid}:{stat.rpartition(')')[2].split()[19]}"


class UploadLedger:
    """The upload jobs of the servers sharing a web state: each written when queued and again when it ends."""

    def __init__(self, state: WebState) -> None:
        self.state = state
        self.owner = process_identity(os.getpid()) or str(os.getpid())

    def open(self, record: UploadRecord) -> None:
        """A job queued by this process."""
        with self.state.connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO upload_jobs (job_id, user_name, kind, file_name, file_sha256, created_at, "
                "address, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    record.job_id,
                    record.user_name,
                    record.kind,
                    record.file_name,
                    record.file_sha256,
                    record.created_at.astimezone(UTC).replace(tzinfo=None).isoformat(),
                    record.address,
                    self.owner,
                ],
            )

    def end(self, job_id: str, outcome: str, submission_id: str | None = None, error: str | None = None) -> bool:
        """How a job ended: the ingestion's status and its submission, or failed and why; False when it had ended
        already (two servers starting at once both found it: only one logs it)."""
        with self.state.connect() as con:
            changed = con.execute(
                "UPDATE upload_jobs SET ended_at = ?, outcome = ?, submission_id = ?, error = ? "
                "WHERE job_id = ? AND ended_at IS NULL",
                [utc_now().isoformat(), outcome, submission_id, error, job_id],
            )
            return changed.rowcount == 1

    def ended(self, job_id: str, user_name: str) -> UploadRecord | None:
        """One of the user's jobs that has ended (here or in a server since stopped)."""
        with self.state.connect() as con:
            row = con.execute(
                "SELECT job_id, user_name, kind, file_name, file_sha256, created_at, address, outcome, submission_id, "
                "error FROM upload_jobs WHERE job_id = ? AND user_name = ? AND ended_at IS NOT NULL",
                [job_id, user_name],
            ).fetchone()
        return _record(row) if row else None

    def orphans(self) -> list[UploadRecord]:
        """Jobs left queued or running by a server process that no longer runs (killed, or its machine restarted),
        oldest first; the ones older than UPLOAD_JOB_KEEP are pruned."""
        cutoff = (utc_now() - UPLOAD_JOB_KEEP).isoformat()
        with self.state.connect() as con:
            con.execute("DELETE FROM upload_jobs WHERE created_at < ?", [cutoff])
            rows = con.execute(
                "SELECT job_id, user_name, kind, file_name, file_sha256, created_at, address, outcome, submission_id, "
                "error, owner FROM upload_jobs WHERE ended_at IS NULL ORDER BY created_at"
            ).fetchall()
        return [_record(row[:-1]) for row in rows if not _runs(row[-1])]


def _record(row: tuple[Any, ...]) -> UploadRecord:
    """A record from its row (its time read back as UTC)."""
    job_id, user_name, kind, file_name, file_sha256, created_at, address, outcome, submission_id, error = row
    created = datetime.fromisoformat(created_at).replace(tzinfo=UTC)
    return UploadRecord(
        job_id, user_name, kind, file_name, file_sha256, created, address, outcome, submission_id, error
    )


def _runs(owner: str) -> bool:
    """Whether the process that wrote a record still runs (this one does)."""
    pid = owner.partition(":")[0]
    return int(pid) == os.getpid() or process_identity(int(pid)) == owner


_OUTBOX_COLUMNS = (
    "event_id",
    "occurred_at",
    "actor",
    "via",
    "address",
    "kind",
    "action",
    "target",
    "before",
    "after",
    "reason",
)


def read_outbox(state: WebState) -> list[AuditEvent]:
    """The events in the outbox, oldest first."""
    with state.connect() as con:
        rows = con.execute(
            "SELECT event_id, occurred_at, actor, via, address, kind, action, target, before_state, after_state, "
            "reason FROM audit_outbox ORDER BY occurred_at"
        ).fetchall()
    events = []
    for row in rows:
        values: dict[str, Any] = dict(zip(_OUTBOX_COLUMNS, row, strict=True))
        values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
        events.append(AuditEvent(**values))
    return events


class AuditOutbox:
    """Sign-in events on their way to the warehouse's audit log (durable here from the moment they happen)."""

    def __init__(self, state: WebState, store: Warehouse, *, delay_s: float = FLUSH_DELAY_S) -> None:
        self.state = state
        self.store = store
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        # Held while a scheduled flush runs, so that `close` can wait for it.
        self._flushing = threading.Lock()
        self._closed = False
        self._retry_delay_s = delay_s

    def add(self, event: AuditEvent) -> None:
        """Keep an event and schedule a flush."""
        values = asdict(event)
        with self.state.connect() as con:
            con.execute(
                "INSERT OR IGNORE INTO audit_outbox VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    values["event_id"],
                    event.occurred_at.isoformat(),
                    *(values[c] for c in _OUTBOX_COLUMNS[2:]),
                ],
            )
        self.schedule()

    def pending(self) -> list[AuditEvent]:
        """Events not yet in the warehouse, oldest first."""
        return read_outbox(self.state)

    def schedule(self, delay_s: float | None = None) -> None:
        """Flush in `delay_s` seconds unless a flush is already due (one timer thread at most, none when idle)."""
        with self._lock:
            if self._timer is not None or self._closed:
                return
            self._timer = threading.Timer(self.delay_s if delay_s is None else delay_s, self._flush_later)
            self._timer.daemon = True
            self._timer.start()

    def _flush_later(self) -> None:
        with self._lock:
            self._timer = None
        with self._flushing:
            if not self._closed:
                self._flush_or_retry()

    def _flush_or_retry(self) -> None:
        try:
            self.flush()
        except (CensusError, duckdb.Error, sqlite3.Error, OSError) as error:
            # The writer lock stayed busy (a long load), the warehouse cannot be opened (being restored, damaged) or
            # the web state's file cannot (a full disk):
            # the events stay in the outbox, durable; try again later, less and less often.
            self._retry_delay_s = min(self._retry_delay_s * 2, MAX_RETRY_DELAY_S)
            message = error.describe() if isinstance(error, CensusError) else str(error)
            LOGGER.warning("audit events wait in the outbox (retry in %.0f s): %s", self._retry_delay_s, message)
            self.schedule(self._retry_delay_s)
        else:
            self._retry_delay_s = self.delay_s

    def flush(self) -> int:
        """Move pending events into the warehouse's audit log (one transaction); returns how many were new there.

        Idempotent: an event already in the log (a flush that stopped after the warehouse commit) is not added again.
        """
        events = self.pending()
        if not events:
            return 0
        added = self._store_for_flush().write(lambda warehouse: _append_in_transaction(warehouse, events))
        with self.state.connect() as con:
            con.executemany("DELETE FROM audit_outbox WHERE event_id = ?", [[e.event_id] for e in events])
        return added

    def _store_for_flush(self) -> Warehouse:
        # An embedded file's writer lock is waited for only briefly: a long load keeps the events for the next try.
        if isinstance(self.store, EmbeddedWarehouse):
            return EmbeddedWarehouse(self.store.db_path, lock_timeout_s=FLUSH_LOCK_WAIT_S)
        return self.store

    def close(self, timeout_s: float = CLOSE_WAIT_S) -> None:
        """Flush no more: cancel a scheduled flush and wait for a running one; the events stay in the outbox.

        The server calls it at exit: a flush thread cut off by the interpreter's exit inside DuckDB aborts the process.
        """
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self._flushing.acquire(timeout=timeout_s):
            self._flushing.release()


def _append_in_transaction(warehouse: duckdb.DuckDBPyConnection, events: list[AuditEvent]) -> int:
    with transaction(warehouse):
        return append_events(warehouse, events)


def pending_events(var_dir: Path) -> list[AuditEvent]:
    """Sign-in events a web server has kept but not yet moved to the warehouse (none when it never ran here)."""
    if not (Path(var_dir) / FILE_NAME).exists():
        return []
    return read_outbox(WebState(var_dir))


def end_sessions_of(var_dir: Path, user_name: str, reason: str) -> int:
    """End a user's live web sessions (their password or role changed); 0 when no web server ever ran here."""
    if not (Path(var_dir) / FILE_NAME).exists():
        return 0
    return SessionStore(WebState(var_dir)).end_all(user_name, reason)
