"""The web server's own state (SQLite beside the warehouse): sessions end at sign-out, on a credentials change and
after their maximum age; sign-in events wait in the outbox until they are in the warehouse's audit log, once."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from census_schema.audit import AuditKind
from census_schema.errors import UsageError
from census_schema.settings import load_settings
from dash_app.webstate import (
    SEEN_EVERY,
    SESSION_IDLE,
    SESSION_MAX_AGE,
    AuditOutbox,
    SessionStore,
    WebState,
    end_sessions_of,
    pending_events,
    session_end_causes,
    session_hash,
)
from warehouse.audit import AuditSource, append_events, new_event, query_audit_log
from warehouse.backends import EmbeddedWarehouse
from warehouse.transactions import transaction, utc_now

WEB = AuditSource("web", "10.0.0.1")


def test_a_session_lives_until_it_ends_and_only_for_its_user(tmp_path):
    sessions = SessionStore(WebState(tmp_path))
    first, second = sessions.start("alice", "10.0.0.1"), sessions.start("alice", "10.0.0.2")
    assert sessions.is_live(first, "alice") and not sessions.is_live(first, "bob")
    assert not sessions.is_live("made-up", "alice") and not sessions.is_live(None, "alice")
    sessions.end(first, "logout")
    assert not sessions.is_live(first, "alice") and sessions.is_live(second, "alice")
    assert end_sessions_of(tmp_path, "alice", "credentials_changed") == 1
    assert not sessions.is_live(second, "alice")
    assert end_sessions_of(tmp_path / "never-served", "alice", "x") == 0
    assert not (tmp_path / "never-served").exists()


def test_a_session_ends_after_its_maximum_age(tmp_path, monkeypatch):
    sessions = SessionStore(WebState(tmp_path))
    session = sessions.start("alice", None)
    later = utc_now() + SESSION_MAX_AGE + timedelta(minutes=1)
    monkeypatch.setattr("dash_app.webstate.utc_now", lambda: later)
    assert not sessions.is_live(session, "alice")


def test_a_session_ends_when_left_idle_and_a_request_keeps_it_alive(tmp_path, monkeypatch):
    sessions = SessionStore(WebState(tmp_path))
    session, idle = sessions.start("alice", None), sessions.start("alice", None)
    start = utc_now()
    at = {"now": start + SESSION_IDLE - timedelta(minutes=1)}
    monkeypatch.setattr("dash_app.webstate.utc_now", lambda: at["now"])
    assert sessions.is_live(session, "alice", seen=True)  # a request 29 minutes in: seen
    at["now"] = start + SESSION_IDLE + timedelta(minutes=1)
    assert sessions.is_live(session, "alice")  # 31 minutes in, 2 after its last request
    assert not sessions.is_live(idle, "alice", seen=True)  # 31 minutes without one: ended, a request comes too late
    at["now"] = start  # and it stays ended, for the record
    assert not sessions.is_live(idle, "alice")
    with sessions.state.connect() as con:
        reasons = [row[0] for row in con.execute("SELECT ended_reason FROM web_sessions ORDER BY ended_reason")]
    assert reasons == [None, "idle"]


def test_the_idle_time_is_the_deployment_s_to_set(tmp_path, monkeypatch):
    sessions = SessionStore(WebState(tmp_path), timedelta(minutes=10))
    session = sessions.start("alice", None)
    later = utc_now() + timedelta(minutes=11)
    monkeypatch.setattr("dash_app.webstate.utc_now", lambda: later)
    assert not sessions.is_live(session, "alice")
    monkeypatch.setenv("ARCHIVE_CENSUS_SESSION_IDLE_MINUTES", "10")
    assert load_settings(tmp_path / "w.duckdb").session_idle_minutes == 10
    monkeypatch.setenv("ARCHIVE_CENSUS_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(UsageError, match="ARCHIVE_CENSUS_SESSION_IDLE_MINUTES"):
        load_settings(tmp_path / "w.duckdb")
    assert "10 分钟未操作" in session_end_causes(timedelta(minutes=10))


def test_a_request_within_a_minute_of_the_last_one_is_not_written_down(tmp_path, monkeypatch):
    state = WebState(tmp_path)
    sessions = SessionStore(state)
    session = sessions.start("alice", None)
    start = utc_now()

    def last_seen() -> str:
        with state.connect() as con:
            return con.execute("SELECT last_seen_at FROM web_sessions").fetchone()[0]

    first = last_seen()
    monkeypatch.setattr("dash_app.webstate.utc_now", lambda: start + SEEN_EVERY / 2)
    assert sessions.is_live(session, "alice", seen=True) and last_seen() == first
    monkeypatch.setattr("dash_app.webstate.utc_now", lambda: start + SEEN_EVERY)
    assert sessions.is_live(session, "alice", seen=True) and last_seen() == (start + SEEN_EVERY).isoformat()


def test_a_web_state_file_from_before_idle_sessions_gains_their_column(tmp_path):
    with sqlite3.connect(tmp_path / "web_state.sqlite3") as con:
        con.execute(
            "CREATE TABLE web_sessions (session_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, "
            "started_at TEXT NOT NULL, remote_address TEXT, ended_at TEXT, ended_reason TEXT)"
        )
        con.execute(
            "INSERT INTO web_sessions VALUES (?, 'alice', ?, NULL, NULL, NULL)",
            [session_hash("old"), utc_now().isoformat()],
        )
    sessions = SessionStore(WebState(tmp_path))
    assert sessions.is_live("old", "alice", seen=True)  # counted from its start
    assert sessions.is_live(sessions.start("bob", None), "bob")


def test_the_cookie_s_session_id_is_not_stored(tmp_path):
    state = WebState(tmp_path)
    session = SessionStore(state).start("alice", None)
    with state.connect() as con:
        stored = [row[0] for row in con.execute("SELECT session_hash FROM web_sessions")]
    assert session not in stored and len(stored[0]) == 64


def test_outbox_events_reach_the_audit_log_once_even_when_a_flush_was_interrupted(tmp_path):
    store = EmbeddedWarehouse(tmp_path / "w.duckdb")
    store.current_version()
    outbox = AuditOutbox(WebState(tmp_path), store)
    events = [new_event(AuditKind.LOGIN, "login_failed", actor=f"u{i}", source=WEB) for i in range(3)]
    for event in events:
        outbox.add(event)
    outbox.close()
    assert [e.event_id for e in pending_events(tmp_path)] == [e.event_id for e in events]
    # A flush that committed to the warehouse but stopped before emptying the outbox:
    with store.writer() as con, transaction(con):
        append_events(con, events[:2])
    assert outbox.flush() == 1
    assert outbox.pending() == [] and outbox.flush() == 0
    with store.reader() as con:
        logged = query_audit_log(con, kind="login")
    assert sorted(r["actor"] for r in logged) == ["u0", "u1", "u2"]
    assert {r["source_address"] for r in logged} == {"10.0.0.1"}


def test_a_scheduled_flush_runs_by_itself(tmp_path):
    store = EmbeddedWarehouse(tmp_path / "w.duckdb")
    store.current_version()
    outbox = AuditOutbox(WebState(tmp_path), store, delay_s=0.05)
    outbox.add(new_event(AuditKind.LOGIN, "login_succeeded", actor="alice", source=WEB))
    deadline = time.monotonic() + 10
    while outbox.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert outbox.pending() == []
    with store.reader() as con:
        assert [r["actor"] for r in query_audit_log(con)] == ["alice"]


def test_a_flush_that_cannot_open_the_warehouse_keeps_the_events_and_tries_again_later(tmp_path, caplog):
    db = tmp_path / "w.duckdb"
    store = EmbeddedWarehouse(db)
    store.current_version()
    db.write_bytes(b"not a duckdb file" * 100)  # damaged (or being replaced by a restore)
    outbox = AuditOutbox(WebState(tmp_path), store, delay_s=0.05)
    outbox.add(new_event(AuditKind.LOGIN, "login_failed", actor="mallory", source=WEB))
    deadline = time.monotonic() + 10
    while "audit events wait in the outbox" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    outbox.close()
    assert "audit events wait in the outbox" in caplog.text
    assert [e.actor for e in outbox.pending()] == ["mallory"]


def test_a_flush_that_cannot_open_the_web_state_tries_again_later(tmp_path, caplog):
    store = EmbeddedWarehouse(tmp_path / "w.duckdb")
    store.current_version()
    outbox = AuditOutbox(WebState(tmp_path / "web"), store, delay_s=0.05)
    outbox.add(new_event(AuditKind.LOGIN, "login_failed", actor="mallory", source=WEB))
    # The state file cannot be opened once a folder stands in its place (SQLite raises its own error, not an
    # OSError); the outbox's own flush may create the file again between the two steps: tried until it holds.
    for _ in range(200):
        outbox.state.path.unlink(missing_ok=True)
        with contextlib.suppress(FileExistsError):
            outbox.state.path.mkdir()
            break
    assert outbox.state.path.is_dir()
    deadline = time.monotonic() + 10
    while "audit events wait in the outbox" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    outbox.close()
    assert "audit events wait in the outbox" in caplog.text


EXIT_DURING_A_FLUSH = """
import sys
import threading

from census_schema.audit import AuditKind
from census_schema.settings import load_settings
from dash_app import webstate
from dash_app.context import AppContext
from warehouse.audit import AuditSource, new_event
from warehouse.backends import open_warehouse

inside_duckdb = threading.Event()
append = webstate._append_in_transaction


def slow_append(warehouse, events):
    inside_duckdb.set()
    warehouse.execute("SELECT sum(range) FROM range(1000000000)").fetchall()  # ~1 s inside DuckDB, GIL released
    return append(warehouse, events)


webstate._append_in_transaction = slow_append
settings = load_settings(sys.argv[1])
context = AppContext.create(settings, open_warehouse(settings))
context.store.current_version()
context.outbox.add(new_event(AuditKind.LOGIN, "login_succeeded", actor="alice", source=AuditSource("web", "10.0.0.1")))
context.outbox.schedule(0)
assert inside_duckdb.wait(30)
"""


def test_the_server_s_exit_waits_for_a_running_flush(tmp_path):
    """A server that exits while an audit flush runs inside DuckDB waits for it (cut off there, it aborted: 134)."""
    db = tmp_path / "var" / "w.duckdb"
    finished = subprocess.run(
        [sys.executable, "-c", EXIT_DURING_A_FLUSH, str(db)], capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "terminate called" not in finished.stderr
    assert pending_events(db.parent) == []
    with EmbeddedWarehouse(db).reader() as con:
        assert [r["actor"] for r in query_audit_log(con)] == ["alice"]
