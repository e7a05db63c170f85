"""Daily reminders: provinces and central channels that have not reported, returns sent back, findings soon or
already overdue.

Computed from the warehouse for one day and stored (table `reminders`, migration 060) by the daily-reminders flow,
so the overview and the inspections page show the same list to everyone, and history stays.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from census_schema.census_form import ROUND_ID
from census_schema.divisions import load_divisions
from census_schema.forms import CURRENT_WORKBOOKS, KIND_LABELS
from census_schema.scopes import (
    CENTRAL_CHANNELS,
    ScopeKind,
    format_day,
    parse_stored_scope,
    return_reason_clause,
    return_verb,
)
from census_schema.scopes import RETURNED as RETURNED_STATE
from census_schema.supervision.codes import CENTRAL_UNIT_CLASSES, FindingStatus
from warehouse.inspections import query_findings
from warehouse.queries import fetch_named
from warehouse.transactions import transaction, utc_now

# A finding is reminded of when its deadline falls within this many days (today included).
WARNING_DAYS = 7
NOT_REPORTED, RETURNED, DUE_SOON, OVERDUE = "未报送", "已退回", "即将逾期", "已逾期"
# The order reminders are listed in, by kind, everywhere (the command line listed them by the kinds' character codes,
# the pages otherwise): the returns first (the overview's), then the findings (the inspections page's).
KIND_ORDER = (NOT_REPORTED, RETURNED, OVERDUE, DUE_SOON)
_COLUMNS = (
    "generated_on",
    "kind",
    "province_code",
    "scope_name",
    "subject",
    "message",
    "due_on",
    "submission_id",
    "finding_id",
    "generated_at",
)


def _reported_kinds() -> list[str]:
    # The workbooks every province sends and planners review (census return, register), from the registry.
    return [kind for kind, book in CURRENT_WORKBOOKS.items() if book.needs_province and book.reviewed]


def compute_reminders(con: duckdb.DuckDBPyConnection, as_of: date, round_id: str = ROUND_ID) -> list[dict[str, Any]]:
    """The reminders due on `as_of`: one per province and workbook not reported (no scope inside the province has a
    current return) and one per central channel and workbook not reported; one per returned current return of any
    scope (central channels too); one per open finding whose deadline is within WARNING_DAYS; and one per province
    (and central unit class) with findings overdue."""
    provinces = load_divisions().census_provinces()
    # Every scope's current return counts: a province has reported a workbook when any return of a scope inside it
    # (the whole province, a prefecture, a county) is current; each returned one is reminded of with its scope.
    current = fetch_named(
        con,
        "SELECT s.kind, s.province_code, s.scope_kind, s.scope_code, s.submission_id, s.review_state, r.reason "
        "FROM submissions AS s LEFT JOIN latest_returns AS r USING (submission_id) "
        "WHERE s.status = 'accepted' AND s.is_current AND s.round_id = ? "
        "ORDER BY s.kind, s.scope_kind, s.scope_code",
        [round_id],
    )
    reported = {(row["kind"], row["province_code"]) for row in current}
    # A central channel reports its units straight to the national bureau, as a province does (province_code NULL).
    reported |= {(row["kind"], row["scope_code"]) for row in current if row["scope_kind"] == ScopeKind.CENTRAL.value}
    reminders: list[dict[str, Any]] = []
    expected: list[tuple[str, str | None, str]] = [(p.code, p.code, p.name) for p in provinces]
    expected += [(channel, None, name) for channel, name in CENTRAL_CHANNELS.items()]
    for reporter, reporter_province, name in expected:
        for kind in _reported_kinds():
            if (kind, reporter) not in reported:
                label = KIND_LABELS.get(kind, kind)
                reminders.append(
                    _reminder(as_of, NOT_REPORTED, reporter_province, name, label, f"尚未报送{round_id}年度{label}。")
                )
    for row in current:
        if row["kind"] not in _reported_kinds() or row["review_state"] != RETURNED_STATE:
            continue
        label = KIND_LABELS.get(row["kind"], row["kind"])
        returned_scope = parse_stored_scope(row["scope_kind"], row["scope_code"], row["province_code"])
        scope_name = returned_scope.name if returned_scope is not None else label
        # Shown after the scope's name (【已退回】广东省佛山市：普查表已被退回…), the reason's own full stop dropped.
        reason = return_reason_clause(row["reason"]) if row["reason"] else "请按审核意见修改后重新报送"
        reminders.append(
            _reminder(
                as_of,
                RETURNED,
                row["province_code"],
                scope_name,
                label,
                f"{label}已被{return_verb(row['reason'])}，{reason}。",
                submission_id=row["submission_id"],
            )
        )
    soon = fetch_named(
        con,
        "SELECT f.finding_id, f.deadline, f.status, i.unit_name, i.unit_class, i.province_code "
        "FROM findings AS f JOIN finding_units AS i USING (finding_id) "
        "WHERE f.status <> ? AND f.deadline BETWEEN ? AND ? ORDER BY f.deadline, f.finding_id",
        [FindingStatus.CLOSED.value, as_of, as_of + timedelta(days=WARNING_DAYS)],
    )
    for f in soon:
        province_code, scope = _finding_scope(f)
        days = (f["deadline"] - as_of).days
        when = "今天到期" if days == 0 else f"还有 {days} 天（{format_day(f['deadline'])}到期）"
        reminders.append(
            _reminder(
                as_of,
                DUE_SOON,
                province_code,
                scope,
                f["finding_id"],
                f"{f['unit_name']}的问题 {f['finding_id']}（{f['status']}）整改期限{when}。",
                due_on=f["deadline"],
                finding_id=f["finding_id"],
            )
        )
    reminders += _overdue_reminders(con, as_of)
    return reminders


def _overdue_reminders(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict[str, Any]]:
    """One reminder per province (and central unit class) with open findings past their deadline: how many, how many
    of them wait on the reviewer's verdict (a report was submitted), and the longest overdue."""
    groups: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    for f in query_findings(con, as_of, overdue_only=True):
        groups.setdefault(_finding_scope(f), []).append(f)
    return [
        overdue_reminder(as_of, province_code, scope, found)
        for (province_code, scope), found in sorted(groups.items(), key=lambda item: (item[0][0] or "", item[0][1]))
    ]


def overdue_reminder(as_of: date, province_code: str | None, scope: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    """The overdue reminder of a scope's open findings past their deadline (rows of `query_findings`, at least one):
    how many, how many of them wait on the reviewer's verdict (a report was submitted), and the longest overdue."""
    longest = max(found, key=lambda f: (f["overdue_days"], f["finding_id"]))
    waiting = sum(1 for f in found if f["status"] == FindingStatus.SUBMITTED.value)
    message = f"{len(found):,} 个问题逾期未销号"
    message += f"（其中 {waiting:,} 个已提交整改报告，待审核）" if waiting else ""
    message += (
        f"，最久的是{longest['unit_name']}的问题 {longest['finding_id']}，已逾期 {longest['overdue_days']:,} 天。"
    )
    return _reminder(
        as_of, OVERDUE, province_code, scope, longest["finding_id"], message, finding_id=longest["finding_id"]
    )


def _finding_scope(finding: dict[str, Any]) -> tuple[str | None, str]:
    """Whose a finding's reminder is: its province (code, name), or a central unit's class (no province: they answer
    to the national bureau)."""
    if finding["unit_class"] in CENTRAL_UNIT_CLASSES:
        return None, finding["unit_class"]
    return finding["province_code"], load_divisions().get(finding["province_code"]).name


def _reminder(
    as_of: date,
    kind: str,
    province_code: str | None,
    scope_name: str,
    subject: str,
    message: str,
    *,
    due_on: date | None = None,
    submission_id: str | None = None,
    finding_id: str | None = None,
) -> dict[str, Any]:
    return {
        "generated_on": as_of,
        "kind": kind,
        "province_code": province_code,
        "scope_name": scope_name,
        "subject": subject,
        "message": message,
        "due_on": due_on,
        "submission_id": submission_id,
        "finding_id": finding_id,
    }


def reminders_generated_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the latest day's reminders were written (UTC; None when there are none)."""
    row = con.execute(
        "SELECT max(generated_at) FROM reminders WHERE generated_on = (SELECT max(generated_on) FROM reminders)"
    ).fetchone()
    return row[0] if row else None


def latest_reminder_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The day of the latest reminders stored, of any kind or province (None when there are none)."""
    row = con.execute("SELECT max(generated_on) FROM reminders").fetchone()
    return row[0] if row else None


def refresh_reminders(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict[str, Any]]:
    """Compute and store the day's reminders in one transaction (a second run the same day replaces the first)."""
    with transaction(con):
        reminders = compute_reminders(con, as_of)
        now = utc_now()
        con.execute("DELETE FROM reminders WHERE generated_on = ?", [as_of])
        rows = [[*(r[c] for c in _COLUMNS[:-1]), now] for r in reminders]
        if rows:
            con.executemany(f"INSERT INTO reminders VALUES ({', '.join('?' * len(_COLUMNS))})", rows)  # noqa: S608
    return reminders


def query_reminders(
    con: duckdb.DuckDBPyConnection, *, province_code: str | None = None, kinds: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """The latest day's reminders, optionally of one province (a province user's scope) and of some kinds only, in
    the order of `kinds` (all: KIND_ORDER)."""
    rows = fetch_named(
        con,
        "SELECT * EXCLUDE (generated_at) FROM reminders "
        "WHERE generated_on = (SELECT max(generated_on) FROM reminders) "
        "AND (? IS NULL OR province_code = ?) ORDER BY kind, due_on NULLS FIRST, province_code, subject",
        [province_code, province_code],
    )
    wanted = KIND_ORDER if kinds is None else kinds
    return sorted((r for r in rows if r["kind"] in wanted), key=lambda r: wanted.index(r["kind"]))
