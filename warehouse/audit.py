"""The append-only audit log: who changed what, when, from where, what it was before and after, and why.

Write functions call `record_event` inside their own transaction, so an event is committed with its change or not
at all. Where a change came from (the web with the remote address, or the command line with user@host) is set once
per request or command with `audit_source`, not passed through every write function. Nothing here (or anywhere)
updates or deletes audit rows: `tests/warehouse/test_audit.py` checks the source for it. Times are stored in UTC and
shown in Beijing time (`to_beijing`).
"""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb

from census_schema.audit import AUDIT_VIA_LABELS, AuditKind
from census_schema.clock import BEIJING
from census_schema.errors import UsageError
from warehouse.queries import fetch_named
from warehouse.transactions import execute_many, utc_now

MAX_TEXT = 2000
DEFAULT_LIMIT = 10_000
COLUMNS = (
    "event_id",
    "occurred_at",
    "actor",
    "via",
    "source_address",
    "kind",
    "action",
    "target",
    "before_state",
    "after_state",
    "reason",
)


@dataclass(frozen=True)
class AuditSource:
    """Where changes come from: `via` web or command, and the address (remote address, or user@host)."""

    via: str = "command"
    address: str | None = None

    def __post_init__(self) -> None:
        if self.via not in AUDIT_VIA_LABELS:
            raise ValueError(f"unknown audit source {self.via!r}")


_SOURCE: ContextVar[AuditSource | None] = ContextVar("audit_source", default=None)
_DEFAULT_SOURCE = AuditSource()


@contextmanager
def audit_source(source: AuditSource) -> Iterator[AuditSource]:
    """Changes recorded inside the block come from `source` (a web request, a command)."""
    token = _SOURCE.set(source)
    try:
        yield source
    finally:
        _SOURCE.reset(token)


def enter_audit_source(source: AuditSource) -> Token[AuditSource | None]:
    """Set the source until `leave_audit_source(token)` (for a request's before/teardown hooks)."""
    return _SOURCE.set(source)


def leave_audit_source(token: Token[AuditSource | None]) -> None:
    """Undo `enter_audit_source`."""
    _SOURCE.reset(token)


def current_source() -> AuditSource:
    """Where changes recorded now come from."""
    return _SOURCE.get() or _DEFAULT_SOURCE


def _clip(text: str | None) -> str | None:
    return None if text is None else str(text)[:MAX_TEXT]


def _as_json(state: Mapping[str, Any] | None) -> str | None:
    if state is None:
        return None
    return json.dumps(state, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class AuditEvent:
    """One recorded event; `before` and `after` are JSON texts."""

    kind: str
    action: str
    actor: str | None
    target: str | None = None
    before: str | None = None
    after: str | None = None
    reason: str | None = None
    occurred_at: datetime = field(default_factory=utc_now)
    via: str = "command"
    address: str | None = None
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def row(self) -> list[Any]:
        """The values in COLUMNS order."""
        return [
            self.event_id,
            self.occurred_at,
            _clip(self.actor),
            self.via,
            _clip(self.address),
            self.kind,
            self.action,
            _clip(self.target),
            self.before,
            self.after,
            _clip(self.reason),
        ]

    def as_dict(self) -> dict[str, Any]:
        """The event as the log's columns."""
        return dict(zip(COLUMNS, self.row(), strict=True))


def new_event(
    kind: AuditKind | str,
    action: str,
    *,
    actor: str | None,
    target: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    source: AuditSource | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """An event from the current source (see `audit_source`), stamped now in UTC."""
    kind = AuditKind(kind)
    origin = source or current_source()
    return AuditEvent(
        kind=kind.value,
        action=action,
        actor=actor,
        target=target,
        before=_as_json(before),
        after=_as_json(after),
        reason=reason,
        occurred_at=at or utc_now(),
        via=origin.via,
        address=origin.address,
    )


def append_events(con: duckdb.DuckDBPyConnection, events: Iterable[AuditEvent]) -> int:
    """Append events in the caller's transaction; an event already logged (same id) is not added again. Returns
    how many were new."""
    events = list(events)
    if not events:
        return 0
    ids = [e.event_id for e in events]
    present = {
        row[0]
        for row in con.execute(
            "SELECT event_id FROM audit_log WHERE event_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
    }
    fresh = [e.row() for e in events if e.event_id not in present]
    placeholders = ", ".join("?" for _ in COLUMNS)
    execute_many(con, f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({placeholders})", fresh)  # noqa: S608
    return len(fresh)


def record_event(
    con: duckdb.DuckDBPyConnection,
    kind: AuditKind | str,
    action: str,
    *,
    actor: str | None,
    target: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Log one change inside the caller's transaction (call it where the change is written). `actor` None is the
    platform's own change, an upgrade's step (SYSTEM_ACTOR): what people do names who did it."""
    event = new_event(kind, action, actor=actor, target=target, before=before, after=after, reason=reason)
    append_events(con, [event])
    return event


# ----------------------------------------------------------------------------------------------------- reading


def beijing_day_start(day: date) -> datetime:
    """00:00 Beijing time of a day, as naive UTC (how the log stores times)."""
    return datetime.combine(day, time(), BEIJING).astimezone(UTC).replace(tzinfo=None)


def require_kind(kind: str) -> AuditKind:
    """A kind of the audit log; UsageError naming the kinds otherwise."""
    try:
        return AuditKind(kind)
    except ValueError:
        known = "；".join(f"{k.value}（{k.label}）" for k in AuditKind)
        raise UsageError(f"未知的审计事件类别「{kind}」。", hint=f"可用的类别：{known}。") from None


def query_audit_log(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """Events, newest first, by actor (a user name, or an account holder's 姓名: see `actor_names`), kind and
    Beijing-time days (both inclusive).

    Grain: one row per event; `occurred_at` is UTC, `before_state`/`after_state` are JSON texts.
    """
    start, end = _bounds(kind, since, until)
    return _query_log(con, actor_names(con, actor), kind, start, end, limit)


def _bounds(kind: str | None, since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """The UTC bounds of a search's Beijing days, once its kind and days are checked (UsageError naming them)."""
    if kind is not None:
        require_kind(kind)
    if since is not None and until is not None and until < since:
        raise UsageError("审计日志查询的截止日期早于起始日期。", hint="请检查日期范围。")
    start = beijing_day_start(since) if since else None
    end = beijing_day_start(until + timedelta(days=1)) if until else None
    return start, end


def _query_log(
    con: duckdb.DuckDBPyConnection, actors: ActorFilter | None, kind: str | None, start: Any, end: Any, limit: int
) -> list[dict[str, Any]]:
    # A person's periods as an account's events between two moments (bounds far apart stand for none).
    periods = [
        {"actor": user, "since": since or datetime.min, "until": until or datetime.max}
        for user, since, until in (actors.periods if actors else [])
    ]
    return fetch_named(
        con,
        f"SELECT {', '.join(COLUMNS)} FROM audit_log "  # noqa: S608 (column names from COLUMNS)
        "WHERE (? OR list_contains(?, actor) OR EXISTS (SELECT 1 FROM unnest(?) AS p(period) "
        "WHERE period.actor = audit_log.actor AND occurred_at >= period.since AND occurred_at < period.until)) "
        "AND (? IS NULL OR kind = ?) AND (? IS NULL OR occurred_at >= ?) AND (? IS NULL OR occurred_at < ?) "
        "ORDER BY occurred_at DESC, event_id DESC LIMIT ?",
        [
            actors is None,
            actors.accounts if actors else [],
            periods,
            kind,
            kind,
            start,
            start,
            end,
            end,
            limit,
        ],
    )


@dataclass(frozen=True)
class NamesInTime:
    """Each account's 姓名 as it was at any moment: its current one, and before each rename the one it replaced (an
    account passed to a successor must not credit the successor with the predecessor's acts)."""

    current: Mapping[str, str | None]
    # account -> (renamed at, the name before it), oldest first
    renamed: Mapping[str, list[tuple[datetime, str | None]]]

    def at(self, user: str, moment: datetime) -> str | None:
        """The account's 姓名 at that moment (naive UTC, as the log keeps times)."""
        for renamed_at, before in self.renamed.get(user, ()):
            if moment < renamed_at:
                return before
        return self.current.get(user)

    def periods(self, name: str) -> list[tuple[str, datetime | None, datetime | None]]:
        """When each account bore the 姓名: (account, from, until), None for no bound."""
        found: list[tuple[str, datetime | None, datetime | None]] = []
        for user in {*self.current, *self.renamed}:
            since: datetime | None = None
            for renamed_at, before in self.renamed.get(user, ()):
                if before == name:
                    found.append((user, since, renamed_at))
                since = renamed_at
            if self.current.get(user) == name:
                found.append((user, since, None))
        return sorted(found, key=lambda period: (period[0], period[1] or datetime.min))


def names_in_time(con: duckdb.DuckDBPyConnection) -> NamesInTime:
    """Every account's 姓名 now and before each of its renames (from the log's own rename events)."""
    current = dict(con.execute("SELECT user_name, full_name FROM users").fetchall())
    renamed: dict[str, list[tuple[datetime, str | None]]] = {}
    for user, occurred_at, before in con.execute(
        "SELECT target, occurred_at, before_state FROM audit_log WHERE kind = ? AND action = 'rename' "
        "ORDER BY occurred_at, event_id",
        [AuditKind.USER.value],
    ).fetchall():
        renamed.setdefault(user, []).append((occurred_at, json.loads(before or "{}").get("full_name")))
    return NamesInTime(current, renamed)


@dataclass(frozen=True)
class ActorFilter:
    """Whose events a typed 操作人 stands for: an account by its user name (all its events), or a person by the
    姓名 an account bore when it acted (the grid shows 王敏（planner）: a search for 王敏 found nothing)."""

    accounts: list[str]
    periods: list[tuple[str, datetime | None, datetime | None]]

    def matches(self, actor: str, moment: datetime) -> bool:
        """Whether an event of this actor at this moment is one of theirs."""
        return actor in self.accounts or any(
            user == actor and (since is None or moment >= since) and (until is None or moment < until)
            for user, since, until in self.periods
        )


def actor_names(con: duckdb.DuckDBPyConnection, typed: str | None) -> ActorFilter | None:
    """The events a typed 操作人 stands for (see ActorFilter); None for no filter."""
    if typed is None:
        return None
    return ActorFilter([typed], [p for p in names_in_time(con).periods(typed) if p[0] != typed])


def _matches(row: Mapping[str, Any], actors: ActorFilter | None, kind: str | None, start: Any, end: Any) -> bool:
    return (
        (actors is None or actors.matches(row["actor"], row["occurred_at"]))
        and (kind is None or row["kind"] == kind)
        and (start is None or row["occurred_at"] >= start)
        and (end is None or row["occurred_at"] < end)
    )


def search_audit_log(
    con: duckdb.DuckDBPyConnection,
    pending: Iterable[AuditEvent] = (),
    *,
    actor: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """`query_audit_log` plus events still on their way to the log (the web server's sign-ins), same filters and
    order; a pending event already in the log is listed once."""
    start, end = _bounds(kind, since, until)
    actors = actor_names(con, actor)  # once, for the log and the events on their way to it
    logged = _query_log(con, actors, kind, start, end, limit)
    seen = {row["event_id"] for row in logged}
    waiting = [e.as_dict() for e in pending if e.event_id not in seen]
    rows = logged + [row for row in waiting if _matches(row, actors, kind, start, end)]
    rows.sort(key=lambda row: (row["occurred_at"], row["event_id"]), reverse=True)
    return rows[:limit]


def describe_unknown_actor(con: duckdb.DuckDBPyConnection, typed: str | None) -> str:
    """What to say of a 操作人 searched for whom the log holds no event: that the name must match exactly, and the
    names it holds that contain it or differ only in case (a probe searched Admin, found nothing and was told
    nothing); "" when the log has events of that name (or of an account whose holder bears it), or none is typed."""
    name = (typed or "").strip()
    if not name:
        return ""
    if _query_log(con, actor_names(con, name), None, None, None, 1):
        return ""
    similar = [
        actor
        for (actor,) in con.execute(
            "SELECT DISTINCT actor FROM audit_log WHERE contains(lower(actor), lower(?)) ORDER BY actor LIMIT 5",
            [name],
        ).fetchall()
    ]
    # And the account holders whose 姓名 contains it (王 for 王敏), by the name the grid shows.
    similar += [
        full_name
        for (full_name,) in con.execute(
            "SELECT DISTINCT full_name FROM users WHERE contains(full_name, ?) AND user_name IN (SELECT actor FROM "
            "audit_log) ORDER BY full_name LIMIT 5",
            [name],
        ).fetchall()
    ]
    near = f"相近的操作人：{'、'.join(f'「{a}」' for a in similar)}" if similar else "请核对用户名或姓名"
    return f"审计日志中没有操作人为「{name}」的记录（操作人须与用户名或姓名完全一致）；{near}。"


def find_audit_event(
    con: duckdb.DuckDBPyConnection, event_id: str, pending: Iterable[AuditEvent] = ()
) -> dict[str, Any] | None:
    """One event by its id, from the log or from the events still on their way to it; None if there is none."""
    rows = fetch_named(
        con,
        f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE event_id = ?",  # noqa: S608 (column names from COLUMNS)
        [event_id],
    )
    found = rows or [e.as_dict() for e in pending if e.event_id == event_id]
    return found[0] if found else None


@contextmanager
def command_line_source() -> Iterator[AuditSource]:
    """Changes recorded inside the block come from the command line of this OS user on this host."""
    with audit_source(AuditSource("command", f"{getpass.getuser()}@{socket.gethostname()}")) as source:
        yield source
