"""What every page's callbacks need: settings, the warehouse store, the snapshot reader, upload jobs, and the web
server's own state (sessions, the outbox of sign-in events for the audit log)."""

from __future__ import annotations

import atexit
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any, cast

import flask

from census_schema.settings import Settings
from dash_app.reader import SnapshotReader
from dash_app.uploads import UploadJobs
from dash_app.webstate import AuditOutbox, SessionStore, UploadRecord, WebState
from warehouse.backends import Warehouse
from warehouse.queries import find_upload_outcome

# The key of the app's context among its Flask server's extensions.
CONTEXT_EXTENSION = "archive_census"


def current_context() -> AppContext:
    """The context of the app serving this request (a page's layout is given nothing else)."""
    return cast(AppContext, flask.current_app.extensions[CONTEXT_EXTENSION])


@dataclass(frozen=True)
class AppContext:
    """Shared, per-app objects (no module-level state)."""

    settings: Settings
    store: Warehouse
    reader: SnapshotReader
    jobs: UploadJobs
    sessions: SessionStore
    outbox: AuditOutbox

    @classmethod
    def create(cls, settings: Settings, store: Warehouse) -> AppContext:
        """A context over one warehouse."""
        state = WebState(settings.var_dir)
        outbox = AuditOutbox(state, store)
        reader = SnapshotReader(store)

        def find_outcome(record: UploadRecord) -> dict[str, Any] | None:
            with reader.cursor() as con:
                since = record.created_at.astimezone(UTC).replace(tzinfo=None)
                return find_upload_outcome(con, record.file_sha256, record.user_name, since)

        jobs = UploadJobs(settings, outbox.add, find_outcome)
        # At exit both finish what they are doing: a thread cut off inside DuckDB by the exit aborts the process.
        atexit.register(jobs.close)
        atexit.register(outbox.close)
        sessions = SessionStore(state, timedelta(minutes=settings.session_idle_minutes))
        return cls(settings, store, reader, jobs, sessions, outbox)

    def close(self) -> None:
        """Stop the background work, as at the server's exit: upload jobs, then the outbox's flushes (both again at
        exit, harmlessly)."""
        self.jobs.close()
        self.outbox.close()
