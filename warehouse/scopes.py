"""What the warehouse holds for a reporting scope: its current return and holders, and holders held by other scopes.

These are the facts the scope rules need (census_schema.scopes): a holder is counted in at most one current accepted
return of its kind and round, and a new return replaces only its own scope's current one. Flows fetch them for the
checks (from a read snapshot) and again under the writer lock just before loading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from census_schema.census_form import SUMMARY_SUM_FIELDS, AnnualStatistics
from census_schema.fields import Form
from census_schema.forms import get_workbook_form
from census_schema.scopes import RETURNED, Scope, ScopeKind, ScopeReturn, return_verb, review_label
from warehouse.migrations import quote_identifier, raw_table_name

# The columns of a holder listed when a return would drop it or count it twice.
HOLDER_COLUMNS = ("uscc", "unit_name", "division_code", "holder_type")


def _holders_table(kind: str) -> str:
    """The raw table of the workbook kind's first sheet (the one listing the holders), quoted."""
    return quote_identifier(raw_table_name(get_workbook_form(kind).sheets[0].kind))


def _scope_return(row: tuple[Any, ...]) -> ScopeReturn:
    (
        submission_id,
        scope_kind,
        scope_code,
        file_name,
        submitted_by,
        submitted_at,
        review_state,
        review_stage,
        name,
        reason,
    ) = row
    scope = Scope(ScopeKind(scope_kind), scope_code)
    return ScopeReturn(
        submission_id,
        scope,
        file_name,
        submitted_by,
        submitted_at,
        is_returned=review_state == RETURNED,
        is_withdrawn=review_state == RETURNED and return_verb(reason) == "撤回",
        review=review_label(review_state, review_stage),
        submitted_by_name=name,
    )


_RETURN_COLUMNS = (
    "s.submission_id, s.scope_kind, s.scope_code, s.file_name, s.submitted_by, s.submitted_at, s.review_state, "
    "s.review_stage, (SELECT u.full_name FROM users AS u WHERE u.user_name = s.submitted_by), "
    "(SELECT r.reason FROM latest_returns AS r WHERE r.submission_id = s.submission_id)"
)


def fetch_scope_return(
    con: duckdb.DuckDBPyConnection, kind: str, scope: Scope, round_id: str
) -> tuple[ScopeReturn | None, list[dict[str, Any]]]:
    """The current accepted return of a scope (whatever its review state) and its holders, in row order."""
    found = con.execute(
        f"SELECT {_RETURN_COLUMNS} FROM submissions AS s WHERE s.kind = ? AND s.scope_kind = ? AND s.scope_code = ? "  # noqa: S608
        "AND s.round_id = ? AND s.status = 'accepted' AND s.is_current",
        [kind, scope.kind.value, scope.code, round_id],
    ).fetchone()
    if found is None:
        return None, []
    current = _scope_return(found)
    return current, fetch_return_holders(con, kind, current.submission_id)


def fetch_return_holders(con: duckdb.DuckDBPyConnection, kind: str, submission_id: str) -> list[dict[str, Any]]:
    """The holders an accepted return of a kind loaded, in row order."""
    cursor = con.execute(
        f"SELECT {', '.join(HOLDER_COLUMNS)} FROM {_holders_table(kind)} WHERE submission_id = ? ORDER BY excel_row",  # noqa: S608
        [submission_id],
    )
    return [dict(zip(HOLDER_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def fetch_dropped_holders(
    con: duckdb.DuckDBPyConnection, kind: str, submission_id: str, replaced_id: str, listed: int
) -> tuple[int, list[dict[str, Any]]]:
    """The holders a replaced return listed that the return replacing it leaves out: how many, and the first `listed`
    (USCC and name) in the replaced return's row order (counted in SQL: a 100,000-row return is not read into rows)."""
    table = _holders_table(kind)
    rows = con.execute(
        f"SELECT r.uscc, r.unit_name, count(*) OVER () FROM {table} AS r WHERE r.submission_id = ? "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM {table} AS n WHERE n.submission_id = ? AND n.uscc = r.uscc) "
        "ORDER BY r.excel_row LIMIT ?",
        [replaced_id, submission_id, listed],
    ).fetchall()
    return (rows[0][2] if rows else 0), [{"uscc": uscc, "unit_name": name} for uscc, name, _ in rows]


def fetch_holders_elsewhere(
    con: duckdb.DuckDBPyConnection, kind: str, scope: Scope, round_id: str, usccs: Iterable[str]
) -> dict[str, ScopeReturn]:
    """Of these holders, those in a current accepted return of another scope (any review state), with that return."""
    incoming = pa.table({"uscc": pa.array(sorted(set(usccs)), pa.string())})
    con.register("_incoming_usccs", incoming)
    try:
        rows = con.execute(
            f"SELECT DISTINCT ON (r.uscc) r.uscc, {_RETURN_COLUMNS} FROM {_holders_table(kind)} AS r "  # noqa: S608
            "JOIN submissions AS s USING (submission_id) "
            "WHERE s.kind = ? AND s.round_id = ? AND s.status = 'accepted' AND s.is_current "
            "AND NOT (s.scope_kind = ? AND s.scope_code = ?) "
            "AND r.uscc IN (SELECT uscc FROM _incoming_usccs) ORDER BY r.uscc, s.submitted_at",
            [kind, round_id, scope.kind.value, scope.code],
        ).fetchall()
    finally:
        con.unregister("_incoming_usccs")
    return {row[0]: _scope_return(row[1:]) for row in rows}


def fetch_returns_holding_scope(
    con: duckdb.DuckDBPyConnection, scope: Scope, round_id: str
) -> list[tuple[ScopeReturn, int]]:
    """The current accepted census returns of scopes outside a prefecture or county (its province's, its
    prefecture's) that hold holders located in it, each with how many, most first: what the office's own return would
    be refused for until those returns leave them out (one holder, one return). [] for other scopes."""
    if scope.kind not in (ScopeKind.PREFECTURE, ScopeKind.COUNTY):
        return []
    located = scope.code if scope.kind is ScopeKind.COUNTY else scope.code[:4]
    rows = con.execute(
        f"SELECT {_RETURN_COLUMNS}, count(*) AS holders FROM {_holders_table('census')} AS r "  # noqa: S608
        "JOIN submissions AS s USING (submission_id) WHERE s.kind = 'census' AND s.round_id = ? "
        "AND s.status = 'accepted' AND s.is_current AND starts_with(r.division_code, ?) "
        "GROUP BY ALL ORDER BY holders DESC, s.submitted_at",
        [round_id, located],
    ).fetchall()
    found = [(_scope_return(row[:-1]), int(row[-1])) for row in rows]
    return [(held, count) for held, count in found if not scope.covers(held.scope)]


def fetch_scope_annual_stats(
    con: duckdb.DuckDBPyConnection, scope: Scope, round_id: str
) -> dict[str, AnnualStatistics]:
    """The annual statistics on the registers a return of this scope is checked against (as for
    `fetch_scope_register_usccs`), by USCC: only rows that give them (registers of GYDA-2024.1 have none)."""
    rows = con.execute(
        "SELECT uscc, annual_stats_year, annual_stats_vol, annual_stats_item FROM stg_register "
        "WHERE round_id = ? AND province_code IS NOT DISTINCT FROM ? AND central_channel IS NOT DISTINCT FROM ? "
        "AND annual_stats_year IS NOT NULL AND annual_stats_vol IS NOT NULL AND annual_stats_item IS NOT NULL",
        [round_id, scope.province_code, scope.central_channel],
    ).fetchall()
    return {code: AnnualStatistics(year, vol, item) for code, year, vol, item in rows}


def fetch_scope_register_usccs(con: duckdb.DuckDBPyConnection, scope: Scope, round_id: str) -> frozenset[str]:
    """The usccs a return of this scope is checked against: its province's current registers (every scope in it),
    or for a central channel that channel's register."""
    rows = con.execute(
        "SELECT uscc FROM stg_register WHERE round_id = ? AND province_code IS NOT DISTINCT FROM ? "
        "AND central_channel IS NOT DISTINCT FROM ?",
        [round_id, scope.province_code, scope.central_channel],
    ).fetchall()
    return frozenset(row[0] for row in rows)


def fetch_register_basis(
    con: duckdb.DuckDBPyConnection, round_id: str, province_code: str | None, central_channel: str | None
) -> tuple[str, ...]:
    """The registers a census return is compared with, as their submission ids (a register's rows never change, so
    the ids change exactly when what the return is judged against does): its province's, or its central channel's."""
    rows = con.execute(
        "SELECT DISTINCT submission_id FROM stg_register WHERE round_id = ? "
        "AND province_code IS NOT DISTINCT FROM ? AND central_channel IS NOT DISTINCT FROM ? ORDER BY submission_id",
        [round_id, province_code, central_channel],
    ).fetchall()
    return tuple(row[0] for row in rows)


@dataclass(frozen=True)
class ReplacementChanges:
    """How a return differs from the one it replaced: holders added, dropped and changed, the fields that changed,
    the totals that moved and the workbook's other sheets that differ."""

    replaced: ScopeReturn
    # The workbook kind (census, register): its form names the fields and sheets.
    kind: str
    added: int
    dropped: int
    # Holders in both returns with any field of theirs different (a name, a remark, a figure).
    changed: int
    # Each summed figure whose total moved: field -> (the replaced return's total, this one's).
    totals: dict[str, tuple[float, float]]
    # Each field of the holders' sheet that differs: field -> how many holders in both returns it differs for, in
    # the form's order.
    fields: dict[str, int]
    # The workbook's other sheets (their titles: 红色档案资源摸底表, 普查表表尾), each with whether any row differs.
    other_sheets: dict[str, bool]
    # The first holders added and dropped (CHANGED_HOLDERS_NAMED of each, in sheet order), by name (or code when
    # unnamed): 减少 4 个 alone left the reviewer to find which.
    added_names: tuple[str, ...] = ()
    dropped_names: tuple[str, ...] = ()


def fetch_replaced_return(con: duckdb.DuckDBPyConnection, submission_id: str) -> tuple[ScopeReturn, str] | None:
    """The return of its scope a census return or register replaced (the latest it superseded), with its kind; None
    for one that replaced none."""
    found = con.execute(
        f"SELECT {_RETURN_COLUMNS}, s.kind FROM submissions AS s WHERE s.superseded_by = ? AND s.status = 'accepted' "  # noqa: S608
        "AND s.scope_kind IS NOT NULL ORDER BY s.submitted_at DESC LIMIT 1",
        [submission_id],
    ).fetchone()
    return None if found is None else (_scope_return(found[:-1]), found[-1])


def fetch_replacement_changes(con: duckdb.DuckDBPyConnection, submission_id: str) -> ReplacementChanges | None:
    """What a census return or register changed against the return of its scope it replaced (None for one that
    replaced none): a reviewer saw only the new figures, a holder at a time."""
    found = fetch_replaced_return(con, submission_id)
    if found is None:
        return None
    replaced, kind = found
    holders_sheet, *other_sheets = get_workbook_form(kind).sheets
    table = _holders_table(kind)
    # Every count and measure of a census return's holders (a register, holding no holdings, is given no totals).
    summed = any(name in SUMMARY_SUM_FIELDS for name in holders_sheet.field_names)
    sums = [field.name for field in holders_sheet.fields if field.is_numeric] if summed else []
    compared = [f for f in holders_sheet.field_names if f != "uscc"]
    # The columns are the form's own field names, quoted; "o" and "n" the query's own names.
    differs = [f"n.{quote_identifier(f)} IS DISTINCT FROM o.{quote_identifier(f)}" for f in compared]
    per_field = ", ".join(f"count(*) FILTER (WHERE {test})" for test in differs)
    totals = ", ".join(f"(SELECT sum({quote_identifier(f)}) FROM {side})" for side in ("o", "n") for f in sums)  # noqa: S608
    row = con.execute(
        f"""
        WITH n AS (SELECT * FROM {table} WHERE submission_id = ?), o AS (SELECT * FROM {table} WHERE submission_id = ?)
        SELECT (SELECT count(*) FROM n WHERE uscc NOT IN (SELECT uscc FROM o)),
               (SELECT count(*) FROM o WHERE uscc NOT IN (SELECT uscc FROM n)),
               (SELECT [count(*) FILTER (WHERE {" OR ".join(differs)}), {per_field}] FROM n JOIN o USING (uscc)),
               {", ".join(_first_names(side, other) for side, other in (("n", "o"), ("o", "n")))}
               {", " + totals if totals else ""}
        """,  # noqa: S608 - the table and columns come from the form's own names
        [submission_id, replaced.submission_id],
    ).fetchone()
    if row is None:
        return None
    (changed, *field_counts), added_names, dropped_names = row[2], row[3], row[4]
    old, new = row[5 : 5 + len(sums)], row[5 + len(sums) :]
    moved = {
        name: (float(before or 0), float(after or 0))
        for name, before, after in zip(sums, old, new, strict=True)
        if (before or 0) != (after or 0)
    }
    fields = {name: int(count) for name, count in zip(compared, field_counts, strict=True) if count}
    others = {sheet.title: _sheet_differs(con, sheet, submission_id, replaced.submission_id) for sheet in other_sheets}
    return ReplacementChanges(
        replaced,
        kind,
        int(row[0]),
        int(row[1]),
        int(changed),
        moved,
        fields,
        others,
        tuple(added_names),
        tuple(dropped_names),
    )


# How many added or dropped holders a comparison names.
CHANGED_HOLDERS_NAMED = 5


def _first_names(side: str, other: str) -> str:
    """SQL: the first holders of one side that the other lacks, by name (their code when unnamed), in sheet order."""
    return (
        f"(SELECT coalesce(list(coalesce(nullif(trim(unit_name), ''), uscc) ORDER BY excel_row)[1:{CHANGED_HOLDERS_NAMED}], []) "  # noqa: S608
        f"FROM {side} WHERE uscc NOT IN (SELECT uscc FROM {other}))"
    )


def _sheet_differs(con: duckdb.DuckDBPyConnection, sheet: Form, submission_id: str, replaced_id: str) -> bool:
    """True when a sheet's rows in the two returns differ in any field (compared as rows, their order aside)."""
    columns = ", ".join(quote_identifier(name) for name in sheet.field_names)
    table = quote_identifier(raw_table_name(sheet.kind))
    row = con.execute(
        f"""
        SELECT EXISTS (SELECT {columns} FROM {table} WHERE submission_id = ? EXCEPT ALL
                       SELECT {columns} FROM {table} WHERE submission_id = ?)
            OR EXISTS (SELECT {columns} FROM {table} WHERE submission_id = ? EXCEPT ALL
                       SELECT {columns} FROM {table} WHERE submission_id = ?)
        """,  # noqa: S608 - the table and columns come from the form's own names
        [submission_id, replaced_id, replaced_id, submission_id],
    ).fetchone()
    return bool(row and row[0])
