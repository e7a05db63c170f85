"""Recording submissions (one transaction each) and the reference look-ups a flow hands to the checks."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import duckdb
import polars as pl
import pyarrow as pa

from census_schema.audit import KEPT, RESENT_UNCHANGED, AuditKind
from census_schema.failures import Failure, Severity
from census_schema.forms import Form, get_form, get_workbook_form
from census_schema.scopes import (
    PENDING,
    RETURNED,
    Scope,
    ScopeKind,
    parse_stored_scope,
    return_reason_clause,
    return_verb,
    review_label,
)
from census_schema.supervision.forms import INDICATORS_WORKBOOK
from warehouse.audit import record_event
from warehouse.evaluation import load_evaluation_sheets
from warehouse.indicators import is_wholly_current
from warehouse.inspections import load_inspection_sheets
from warehouse.migrations import raw_table_name
from warehouse.reviews import above_sender, first_review_level, progress_given, record_review_change
from warehouse.scopes import HOLDER_COLUMNS, fetch_dropped_holders
from warehouse.transactions import quote_identifier, transaction, utc_now

Status = Literal["accepted", "rejected"]
PENDING_REVIEW = "待审核"
# Columns of the incoming frame that say where each row came from, besides the form's fields.
ROW_LOCATION_COLUMNS = ("sheet", "excel_row")
_FAILURE_SCHEMA = pa.schema(
    [
        ("sheet", pa.string()),
        ("excel_row", pa.int64()),
        ("field", pa.string()),
        ("label", pa.string()),
        ("value", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("message", pa.string()),
    ]
)


@dataclass(frozen=True)
class NewSubmission:
    """What a flow knows about a validated upload before it is recorded."""

    kind: str
    province_code: str | None
    round_id: str
    form_version: str
    file_name: str
    file_sha256: str
    file_bytes: int
    submitted_by: str
    status: Status
    row_count: int
    error_count: int
    warning_count: int
    # The reporting scope of a census return or register; None means the whole province `province_code`.
    scope: Scope | None = None
    # The request that sent it, the same for every attempt at it (a worker's run scheduled again after its worker
    # died): kept in the submission's audit event, so that an attempt finding its file landed knows whose load it was.
    request_id: str | None = None
    # The uploader confirmed loading it though it drops more of its scope's current holders than allowed
    # (--confirm-shrink, the web's 确认…减少并装载): said in its audit event, beside the holders it dropped.
    shrink_confirmed: bool = False

    @property
    def scope_or_province(self) -> Scope | None:
        """The scope the upload is for: the one given, else its whole province (None for national workbooks)."""
        if self.scope is not None:
            return self.scope
        return None if self.province_code is None else Scope(ScopeKind.PROVINCE, self.province_code)


def find_current_by_sha256(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    province_code: str | None,
    round_id: str,
    sha256: str,
    scope: Scope | None = None,
) -> str | None:
    """The id of the current accepted submission of the same scope with this exact content, if any (an identical
    file is a duplicate). Without a scope: the whole province `province_code` (None: a national workbook). An
    indicators upload some of whose values later uploads replaced is none: sent again, it restores them."""
    if scope is None and province_code is not None:
        scope = Scope(ScopeKind.PROVINCE, province_code)
    found = con.execute(
        "SELECT submission_id FROM submissions WHERE kind = ? AND scope_kind IS NOT DISTINCT FROM ? "
        "AND scope_code IS NOT DISTINCT FROM ? AND round_id = ? AND file_sha256 = ? AND status = 'accepted' "
        "AND is_current ORDER BY submitted_at DESC",
        [kind, None if scope is None else scope.kind.value, None if scope is None else scope.code, round_id, sha256],
    ).fetchall()
    ids = [str(submission_id) for (submission_id,) in found]
    if kind == INDICATORS_WORKBOOK.kind:
        ids = [submission_id for submission_id in ids if is_wholly_current(con, submission_id)]
    return ids[0] if ids else None


def fetch_recorded_outcome(con: duckdb.DuckDBPyConnection, submission_id: str) -> tuple[int, list[Failure]]:
    """A recorded submission's row count and its errors and warnings as recorded (what a duplicate of it reports
    again)."""
    found = con.execute("SELECT row_count FROM submissions WHERE submission_id = ?", [submission_id]).fetchone()
    return (int(found[0]) if found else 0), fetch_failures(con, submission_id)


def fetch_failures(con: duckdb.DuckDBPyConnection, submission_id: str, limit: int | None = None) -> list[Failure]:
    """A recorded submission's errors and warnings as its validation reported them, its warnings against the
    register as last judged; errors first, at most `limit`."""
    return [
        Failure(sheet, row, field, label, value, rule, Severity(severity), message)
        for sheet, row, field, label, value, rule, severity, message in con.execute(
            "SELECT sheet, excel_row, field, label, value, rule, severity, message FROM submission_failures "
            "WHERE submission_id = ? ORDER BY severity <> 'error', excel_row NULLS FIRST, sheet, rule, field LIMIT ?",
            [submission_id, limit],
        ).fetchall()
    ]


def new_submission_id(round_id: str, province_code: str | None, at: datetime) -> str:
    """A unique, readable submission id: round, province (or kind, for national workbooks), UTC time, random suffix
    (all but S, T and Z digits or lower case, as scope codes and kinds are: `queries.canonical_submission_id`)."""
    return f"S{round_id}-{province_code}-{at:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"


def record_submission(
    con: duckdb.DuckDBPyConnection,
    submission: NewSubmission,
    rows: pl.DataFrame | None,
    failures: Sequence[Failure],
) -> str:
    """Record a one-sheet submission (census return, register), its failures and its rows; returns its id."""
    sheet = get_form(submission.kind, submission.form_version).sheet_name
    return record_upload(con, submission, None if rows is None else {sheet: rows}, failures)


def record_upload(
    con: duckdb.DuckDBPyConnection,
    submission: NewSubmission,
    sheets: Mapping[str, pl.DataFrame] | None,
    failures: Sequence[Failure],
) -> str:
    """Record a submission, its failures and (when accepted) its sheets' rows in one transaction; returns its id.

    An accepted census return or register supersedes the current accepted one of its kind, scope and round (only
    that one: returns of other scopes are untouched) and starts awaiting review at its scope's first level; an
    accepted supervision workbook adds to what is loaded. A rejected submission stores no rows (any passed are
    ignored) and supersedes nothing. A loader that refuses the rows (a state changed since validation) rolls the
    whole submission back.
    """
    submission_id, _ = _record(con, submission, sheets, failures, unless_loaded=False)
    return submission_id


def record_upload_once(
    con: duckdb.DuckDBPyConnection,
    submission: NewSubmission,
    sheets: Mapping[str, pl.DataFrame] | None,
    failures: Sequence[Failure],
    *,
    check: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    after: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> tuple[str, bool]:
    """As `record_upload`, but an accepted file whose content is already the current accepted one is not loaded
    again: (its id, True). The check runs inside the recording transaction, so it holds at commit on every backend
    (two identical files submitted at once land once); so does `check`, run on an accepted submission before it
    supersedes anything (it raises to refuse the load, e.g. when another upload changed the scope's facts), and
    `after`, run once an accepted submission is loaded (what its rows change elsewhere, in the same transaction)."""
    return _record(con, submission, sheets, failures, unless_loaded=True, check=check, after=after)


def _record(
    con: duckdb.DuckDBPyConnection,
    submission: NewSubmission,
    sheets: Mapping[str, pl.DataFrame] | None,
    failures: Sequence[Failure],
    *,
    unless_loaded: bool,
    check: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    after: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> tuple[str, bool]:
    accepted = submission.status == "accepted"
    if accepted and sheets is None:
        raise ValueError("an accepted submission needs its rows")
    book = get_workbook_form(submission.kind, submission.form_version)
    scope = submission.scope_or_province
    if book.needs_province != (scope is not None):
        raise ValueError(f"a {submission.kind} submission {'needs' if book.needs_province else 'has no'} scope")
    if scope is not None and scope.province_code != submission.province_code:
        raise ValueError(f"scope {scope} does not lie in province {submission.province_code}")
    now = utc_now()
    submission_id = new_submission_id(submission.round_id, scope.code if scope else submission.kind, now)
    with transaction(con):
        if accepted and unless_loaded:
            existing = find_current_by_sha256(
                con, submission.kind, submission.province_code, submission.round_id, submission.file_sha256, scope
            )
            if existing is not None:
                return existing, True
        if accepted and check is not None:
            check(con)
        previous = None
        if accepted and book.supersedes and scope is not None:
            previous = con.execute(
                "SELECT submission_id, review_state, review_stage FROM submissions "
                "WHERE kind = ? AND scope_kind = ? AND scope_code = ? AND round_id = ? AND status = 'accepted' "
                "AND is_current",
                [submission.kind, scope.kind.value, scope.code, submission.round_id],
            ).fetchone()
            con.execute(
                "UPDATE submissions SET is_current = false, superseded_by = ?, superseded_at = ? "
                "WHERE kind = ? AND scope_kind = ? AND scope_code = ? AND round_id = ? AND status = 'accepted' "
                "AND is_current",
                [submission_id, now, submission.kind, scope.kind.value, scope.code, submission.round_id],
            )
        _insert_submission(con, submission_id, submission, now, reviewed=book.reviewed)
        _insert_failures(con, submission_id, failures)
        if accepted and sheets is not None:
            target = LoadTarget(submission_id, submission, now)
            insert_raw_rows(con, target, sheets)
            domain_loader = DOMAIN_LOADERS.get(submission.kind)
            if domain_loader is not None:
                domain_loader(con, target, sheets)
            if after is not None:
                after(con)
        _audit_submission(con, submission_id, submission)
        if previous is not None and book.reviewed and scope is not None:
            _keep_review_of_same_rows(con, book.sheets, submission_id, submission.submitted_by, previous, scope)
    return submission_id, False


def _keep_review_of_same_rows(
    con: duckdb.DuckDBPyConnection,
    forms: Sequence[Form],
    submission_id: str,
    submitted_by: str,
    previous: tuple[str, str, str],
    scope: Scope,
) -> None:
    """A return whose rows are those of the one it supersedes, cell for cell at the same Excel rows (the same data
    saved again: other bytes), keeps that one's review progress (accepted by the province, or 已审核) instead of
    starting again; said in its review history and the audit log. A returned one starts again, as any new file; sent
    again unchanged, its review history says so, with the reason it was returned (its reviewer would not know)."""
    previous_id, state, stage = previous
    level = first_review_level(con, scope, submitted_by)
    progressed = progress_given(con, previous_id, state, stage, scope, submitted_by)
    if not (progressed or state == RETURNED) or not _same_rows(con, forms, previous_id, submission_id):
        return
    first = review_label(PENDING, level)
    if state == RETURNED:
        why = fetch_return_reason(con, previous_id)
        sent_back = f"与被{return_verb(why)}的报送「{previous_id}」逐行逐项相同"
        counts = dict(
            con.execute(
                "SELECT submission_id, warning_count FROM submissions WHERE list_contains(?, submission_id)",
                [[previous_id, submission_id]],
            ).fetchall()
        )
        warned, warned_now = counts[previous_id], counts[submission_id]
        # The same data with its sheet's layout mended (a hidden row shown, an extra column removed) is not unchanged.
        reason = (
            f"{sent_back}，未作修改重新报送（{return_reason_clause(why)}）"
            if warned == warned_now
            else f"数据{sent_back}，只改了数据以外的内容（警告由 {warned:,} 个变为 {warned_now:,} 个）后重新报送"
            f"（{return_reason_clause(why)}）"
        )
        record_review_change(con, submission_id, RESENT_UNCHANGED, submitted_by, reason, level, first, (PENDING, level))
        return
    reason = f"与所替换的报送「{previous_id}」逐行逐项相同，沿用其审核进度"
    # A progress kept at the level whose office sent the return (loaded before it went past that level) moves on.
    stage = above_sender(con, stage, submitted_by, scope) if state == PENDING else stage
    record_review_change(con, submission_id, KEPT, submitted_by, reason, stage, first, (state, stage))


def fetch_request_id(con: duckdb.DuckDBPyConnection, submission_id: str) -> str | None:
    """The request that recorded an accepted submission, as its audit event keeps it; None when not kept (recorded
    before requests were named)."""
    row = con.execute(
        "SELECT after_state FROM audit_log WHERE kind = ? AND action = 'accepted' AND target = ?",
        [AuditKind.SUBMISSION.value, submission_id],
    ).fetchone()
    found = json.loads(row[0]).get("request_id") if row is not None and row[0] else None
    return None if found is None else str(found)


def fetch_return_reason(con: duckdb.DuckDBPyConnection, submission_id: str) -> str | None:
    """Why a return now 已退回 was returned (its latest return's reason); None when it is not returned."""
    row = con.execute(
        "SELECT r.reason FROM submissions AS s JOIN latest_returns AS r USING (submission_id) "
        "WHERE s.submission_id = ? AND s.review_state = ?",
        [submission_id, RETURNED],
    ).fetchone()
    return None if row is None else str(row[0])


def fetch_load_review(con: duckdb.DuckDBPyConnection, submission_id: str) -> tuple[str | None, str | None]:
    """What a just-loaded return's review history says (at load time it holds one line at most): the review progress
    it kept from the return it superseded (the same rows), or the note that it is a returned return sent again
    unchanged, which moves nothing; (None, None) for any other."""
    row = con.execute(
        "SELECT from_state, to_state, reason FROM submission_reviews WHERE submission_id = ? "
        "ORDER BY changed_at LIMIT 1",
        [submission_id],
    ).fetchone()
    if row is None:
        return None, None
    from_state, to_state, reason = row
    return (None, str(reason)) if from_state == to_state else (str(to_state), None)


def _same_rows(con: duckdb.DuckDBPyConnection, forms: Sequence[Form], first_id: str, second_id: str) -> bool:
    """Whether two submissions loaded the same rows into every sheet's raw table: every field, sheet and Excel row."""
    for form in forms:
        # The table name is derived from the registered form kind through the identifier allow-list.
        table = quote_identifier(raw_table_name(form.kind))
        rows = f"SELECT * EXCLUDE (submission_id, loaded_at) FROM {table} WHERE submission_id = ?"  # noqa: S608
        found = con.execute(
            f"SELECT count(*) FROM (({rows} EXCEPT ALL {rows}) UNION ALL ({rows} EXCEPT ALL {rows}))",  # noqa: S608
            [first_id, second_id, second_id, first_id],
        ).fetchone()
        if found is None or found[0]:
            return False
    return True


def _audit_submission(con: duckdb.DuckDBPyConnection, submission_id: str, s: NewSubmission) -> None:
    superseded = [
        row[0]
        for row in con.execute(
            "SELECT submission_id FROM submissions WHERE superseded_by = ?", [submission_id]
        ).fetchall()
    ]
    after: dict[str, Any] = {
        "kind": s.kind,
        "province_code": s.province_code,
        "round_id": s.round_id,
        "scope": None if s.scope_or_province is None else s.scope_or_province.name,
        "file_name": s.file_name,
        "file_sha256": s.file_sha256,
        "rows": s.row_count,
        "errors": s.error_count,
        "warnings": s.warning_count,
    }
    if s.request_id is not None:
        after["request_id"] = s.request_id
    before: dict[str, Any] | None = {"current": superseded} if superseded else None
    if before is not None and len(superseded) == 1:
        replaced_review, (dropped, listed) = _replacement_facts(con, s.kind, submission_id, superseded[0])
        if replaced_review is not None:
            before["current_review"] = replaced_review
        if dropped:
            after["holders_dropped"] = dropped
            after["dropped_holders"] = listed
            if dropped > len(listed):
                after["dropped_unlisted"] = dropped - len(listed)
    if s.shrink_confirmed:
        after["shrink_confirmed"] = True
    record_event(
        con, AuditKind.SUBMISSION, s.status, actor=s.submitted_by, target=submission_id, before=before, after=after
    )


# The dropped holders a submission's audit event names one by one (the rest are counted).
MAX_DROPPED_LISTED = 20


def _replacement_facts(
    con: duckdb.DuckDBPyConnection, kind: str, submission_id: str, replaced_id: str
) -> tuple[str | None, tuple[int, list[dict[str, Any]]]]:
    """What replacing a return changed beyond its figures: the replaced one's review progress where a reviewer had
    moved it on (已审核, 待国家局审核: voided), else None; and how many holders it listed that the new one leaves out,
    the first MAX_DROPPED_LISTED of them (USCC and name) in its row order."""
    row = con.execute(
        "SELECT review_state, review_stage, scope_kind, scope_code, province_code, submitted_by FROM submissions "
        "WHERE submission_id = ?",
        [replaced_id],
    ).fetchone()
    review = None
    if row is not None and row[0] is not None:
        state, stage, scope_kind, scope_code, province_code, sender = row
        scope = parse_stored_scope(scope_kind, scope_code, province_code)
        if scope is not None and progress_given(con, replaced_id, state, stage, scope, sender):
            review = review_label(state, stage)
    if not set(HOLDER_COLUMNS) <= set(get_workbook_form(kind).sheets[0].field_names):
        return review, (0, [])  # a kind whose rows are no holders (a registered kind of other facts)
    return review, fetch_dropped_holders(con, kind, submission_id, replaced_id, MAX_DROPPED_LISTED)


@dataclass(frozen=True)
class LoadTarget:
    """Where loaded rows belong: the submission being recorded, and when."""

    submission_id: str
    submission: NewSubmission
    loaded_at: datetime


def _insert_submission(
    con: duckdb.DuckDBPyConnection, submission_id: str, s: NewSubmission, now: datetime, *, reviewed: bool
) -> None:
    accepted = s.status == "accepted"
    scope = s.scope_or_province
    under_review = accepted and reviewed
    con.execute(
        "INSERT INTO submissions (submission_id, kind, province_code, round_id, form_version, file_name, "
        "file_sha256, file_bytes, submitted_by, submitted_at, status, is_current, review_state, row_count, "
        "error_count, warning_count, scope_kind, scope_code, review_stage) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            submission_id,
            s.kind,
            s.province_code,
            s.round_id,
            s.form_version,
            s.file_name,
            s.file_sha256,
            s.file_bytes,
            s.submitted_by,
            now,
            s.status,
            accepted,
            PENDING_REVIEW if under_review else None,
            s.row_count,
            s.error_count,
            s.warning_count,
            None if scope is None else scope.kind.value,
            None if scope is None else scope.code,
            first_review_level(con, scope, s.submitted_by) if under_review and scope is not None else None,
        ],
    )


def _insert_failures(con: duckdb.DuckDBPyConnection, submission_id: str, failures: Sequence[Failure]) -> None:
    if not failures:
        return
    incoming = pa.Table.from_pylist(
        [
            {
                "sheet": f.sheet,
                "excel_row": f.row,
                "field": f.field,
                "label": f.label,
                "value": f.value,
                "rule": f.rule,
                "severity": f.severity.value,
                "message": f.message,
            }
            for f in failures
        ],
        schema=_FAILURE_SCHEMA,
    )
    con.register("_incoming_failures", incoming)
    try:
        con.execute(
            "INSERT INTO submission_failures "
            "SELECT ?, sheet, excel_row, field, label, value, rule, severity, message FROM _incoming_failures",
            [submission_id],
        )
    finally:
        con.unregister("_incoming_failures")


def list_current_returns(
    con: duckdb.DuckDBPyConnection, kind: str, round_id: str, province_code: str | None, central_channel: str | None
) -> list[tuple[str, str]]:
    """(submission id, form version) of the current accepted uploads of a kind: a province's local ones (every scope
    in it), or a central channel's."""
    rows = con.execute(
        "SELECT submission_id, form_version FROM submissions WHERE kind = ? AND round_id = ? AND is_current "
        "AND status = 'accepted' AND province_code IS NOT DISTINCT FROM ? "
        "AND scope_channel(scope_kind, scope_code) IS NOT DISTINCT FROM ? ORDER BY submission_id",
        [kind, round_id, province_code, central_channel],
    ).fetchall()
    return [(submission_id, version) for submission_id, version in rows]


def fetch_loaded_rows(con: duckdb.DuckDBPyConnection, form_kind: str, submission_id: str) -> pl.DataFrame:
    """The rows one sheet of a loaded upload gave its form's raw table, as loaded: the fields, with the sheet and
    Excel row each came from (as the checks name them), in sheet order."""
    table = quote_identifier(raw_table_name(form_kind))
    return con.execute(
        f"SELECT * EXCLUDE (sheet_name), sheet_name AS sheet FROM {table} "  # noqa: S608 - from the form registry
        "WHERE submission_id = ? ORDER BY excel_row",
        [submission_id],
    ).pl()


def fetch_rule_failures(con: duckdb.DuckDBPyConnection, submission_id: str, rule_ids: Sequence[str]) -> list[Failure]:
    """The recorded failures of some rules of a submission."""
    return [f for f in fetch_failures(con, submission_id) if f.rule in rule_ids]


def replace_rule_failures(
    con: duckdb.DuckDBPyConnection, submission_id: str, rule_ids: Sequence[str], failures: Sequence[Failure]
) -> None:
    """Record a submission's failures of some rules anew (judged again), its error and warning counts with them."""
    con.execute(
        "DELETE FROM submission_failures WHERE submission_id = ? AND list_contains(?, rule)",
        [submission_id, list(rule_ids)],
    )
    _insert_failures(con, submission_id, failures)
    con.execute(
        "UPDATE submissions SET "
        "error_count = (SELECT count(*) FROM submission_failures WHERE submission_id = ? AND severity = ?), "
        "warning_count = (SELECT count(*) FROM submission_failures WHERE submission_id = ? AND severity = ?) "
        "WHERE submission_id = ?",
        [submission_id, Severity.ERROR.value, submission_id, Severity.WARNING.value, submission_id],
    )


def insert_raw_rows(con: duckdb.DuckDBPyConnection, target: LoadTarget, sheets: Mapping[str, pl.DataFrame]) -> None:
    """Insert every sheet's rows as uploaded into its form's raw table, with submission, sheet, row and load time."""
    submission_id, submission, now = target.submission_id, target.submission, target.loaded_at
    book = get_workbook_form(submission.kind, submission.form_version)
    for form in book.sheets:
        rows = sheets.get(form.sheet_name)
        if rows is None or rows.is_empty():
            continue
        missing = [c for c in (*form.field_names, *ROW_LOCATION_COLUMNS) if c not in rows.columns]
        if missing:
            raise ValueError(f"rows of sheet {form.sheet_name} of a {submission.kind} submission lack {missing}")
        # Only the schema's columns go in, matched by name (a missing one would silently become NULL: refused above).
        con.register("_incoming_rows", rows.select(*ROW_LOCATION_COLUMNS, *form.field_names))
        try:
            # The table name is derived from the registered form kind through the identifier allow-list.
            table = quote_identifier(raw_table_name(form.kind))
            with one_thread(con):
                con.execute(
                    f"INSERT INTO {table} BY NAME SELECT ? AS submission_id, sheet AS sheet_name, ? AS loaded_at, "  # noqa: S608
                    "* EXCLUDE (sheet) FROM _incoming_rows",
                    [submission_id, now],
                )
        finally:
            con.unregister("_incoming_rows")


@contextmanager
def one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the statements inside on one DuckDB thread, then restore the connection's thread count.

    An insert on two threads builds a partial row group per thread: 100,000 rows took ~60 MiB more memory that way,
    in no less time (benchmarks/RESULTS.md).
    """
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    restore = f"SET threads = {int(threads[0]) if threads else 1}"
    con.execute("SET threads = 1")
    try:
        yield
    except BaseException:
        # A failed statement aborts the transaction, which then refuses every other one, SET included: the caller
        # rolls back and closes this writer (a writer is never reused after a failure).
        with suppress(duckdb.TransactionException):
            con.execute(restore)
        raise
    con.execute(restore)


DomainLoader = Callable[[duckdb.DuckDBPyConnection, LoadTarget, Mapping[str, pl.DataFrame]], None]
# What an accepted upload changes beyond its raw rows, by workbook kind (inside the submission's transaction):
# inspections add inspections and findings and move findings along their lifecycle; score sheets record scores and
# recompute the round's results. Census returns, registers and indicator values need nothing more: their models
# read the raw rows.
DOMAIN_LOADERS: dict[str, DomainLoader] = {
    "inspections": lambda con, t, sheets: load_inspection_sheets(con, t.submission_id, t.loaded_at, sheets),
    "evaluation": lambda con, t, sheets: load_evaluation_sheets(
        con, t.submission_id, t.loaded_at, t.submission.round_id, t.submission.submitted_by, sheets
    ),
}


def fetch_register_usccs(con: duckdb.DuckDBPyConnection, province_code: str, round_id: str) -> frozenset[str]:
    """The usccs on a province's current register for a round."""
    result = con.execute(
        "SELECT uscc FROM stg_register WHERE province_code = ? AND round_id = ?", [province_code, round_id]
    ).fetchall()
    return frozenset(row[0] for row in result)


def fetch_current_file_hashes(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The content SHA-256 of every current submission (whose Data Docs are always kept)."""
    return frozenset(row[0] for row in con.execute("SELECT file_sha256 FROM submissions WHERE is_current").fetchall())
