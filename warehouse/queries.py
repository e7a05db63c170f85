"""Read-side queries over the marts: national and provincial figures, the submission list."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import duckdb

from census_schema.audit import CHANGES_NO_DATA, KEPT, RESENT_UNCHANGED, AuditKind
from census_schema.census_form import (
    CENSUS_FORM,
    RED_USE_FIELDS,
    ROUND_ID,
    SUMMARY_SUM_FIELDS,
    SUMMARY_UNIT_FIGURES,
)
from census_schema.divisions import load_divisions, require_census_province
from census_schema.fields import FieldType
from census_schema.roles import person_label
from census_schema.scopes import (
    CENTRAL_CHANNELS,
    CENTRAL_NAME,
    RETURNED,
    parse_stored_scope,
    review_label,
    summarize_review,
)
from warehouse.breakdowns import (
    CENTRAL_KEY,
    coverage_pct,
    division_filter,
    empty_bases,
    query_basis_figures,
    query_breakdowns,
    query_red_archives,
)

UNIT_FIGURES = SUMMARY_UNIT_FIGURES
SUM_FIGURES = SUMMARY_SUM_FIELDS
FIGURES = (*UNIT_FIGURES, "coverage_pct", *SUM_FIGURES)
# Figures reported as floats rounded to 2 decimals: coverage and the sums of the form's decimal fields.
DECIMAL_FIGURES = frozenset(
    {"coverage_pct", *(name for name in SUM_FIGURES if CENSUS_FORM.field(name).type is FieldType.DECIMAL)}
)


# Sums over every column of the reporting-unit mart except keys and coverage, which is recomputed from the sums.
# One pass over the mart (a CTE computed once): each province's and each central channel's row ('unit'), then the
# central sums over the three channels and the national sums over everything, with coverage recomputed from them.
_SUMMARY_SQL = """
WITH units AS MATERIALIZED (SELECT * EXCLUDE (round_id) FROM mart_province_figures WHERE round_id = ?)
SELECT 'unit' AS grain, * FROM units
UNION ALL BY NAME
SELECT
    'central' AS grain,
    coalesce(sum(COLUMNS(* EXCLUDE (province_code, central_channel, coverage_pct))), 0),
    coverage_pct(sum(units_reported), sum(units_expected)) AS coverage_pct
FROM units
WHERE central_channel IS NOT NULL
UNION ALL BY NAME
SELECT
    'national' AS grain,
    coalesce(sum(COLUMNS(* EXCLUDE (province_code, central_channel, coverage_pct))), 0),
    coverage_pct(sum(units_reported), sum(units_expected)) AS coverage_pct
FROM units
"""
# Current accepted census returns by reporting unit and review progress (stored state and stage).
_REVIEW_SQL = """
SELECT province_code, scope_channel(scope_kind, scope_code) AS central_channel, review_state,
       review_stage, count(*) AS returns
FROM submissions
WHERE kind = 'census' AND round_id = ? AND status = 'accepted' AND is_current
GROUP BY ALL
"""


def fetch_named(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows of a query as dicts by column name."""
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _figures(row: dict[str, Any] | None) -> dict[str, Any]:
    """The figures of a mart row (zeros for None), integers as int and decimal census fields rounded to 2; coverage
    None where no holder is expected."""
    figures: dict[str, Any] = {}
    for name in FIGURES:
        value = 0 if row is None or row[name] is None else row[name]
        figures[name] = round(float(value), 2) if name in DECIMAL_FIGURES else int(value)
    if not figures["units_expected"]:
        figures["coverage_pct"] = None
    return figures


def query_summary(
    con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID, province_code: str | None = None
) -> dict[str, Any]:
    """National figures (provinces and central channels), those of every census province (or of one), of the
    central channels, and review progress, as `summary --json` prints them.

    Each figures block carries `bases`: the same figures for 综合档案馆, the other archives and archive rooms (they sum
    to the block). The breakdowns (`by_holder_type`, `by_unit_nature`, `by_level`, `by_category`, `by_retention`,
    `by_carrier`) and the red-archive inventory (`red_archive_resources`) are those of the scope: the nation (the
    provinces and the central channels, as the national figures), or the province asked for.
    """
    provinces = load_divisions().census_provinces()
    if province_code is not None:
        provinces = [require_census_province(province_code)]
    rows = fetch_named(con, _SUMMARY_SQL, [round_id])
    national = next(r for r in rows if r["grain"] == "national")
    central = next(r for r in rows if r["grain"] == "central")
    by_province = {r["province_code"]: r for r in rows if r["grain"] == "unit" and r["central_channel"] is None}
    by_channel = {r["central_channel"]: r for r in rows if r["grain"] == "unit" and r["central_channel"] is not None}
    bases = query_basis_figures(con, round_id)
    return {
        "round": round_id,
        "national": {**_figures(national), "bases": bases[None]},
        "provinces": [
            {
                "province_code": p.code,
                "province_name": p.name,
                **_figures(by_province.get(p.code)),
                "bases": bases.get(p.code, empty_bases()),
            }
            for p in provinces
        ],
        "central": {
            "name": CENTRAL_NAME,
            **_figures(central),
            "bases": bases.get(CENTRAL_KEY, empty_bases()),
            "channels": [
                {
                    "channel": key,
                    "channel_name": name,
                    **_figures(by_channel.get(key)),
                    "bases": bases.get(f"{CENTRAL_KEY}:{key}", empty_bases()),
                }
                for key, name in CENTRAL_CHANNELS.items()
            ],
        },
        "review": query_review_progress(con, round_id, [p.code for p in provinces]),
        **query_breakdowns(con, province_code, round_id),
        "red_archive_resources": query_red_archives(con, province_code, round_id),
    }


def query_review_progress(
    con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID, province_codes: list[str] | None = None
) -> dict[str, Any]:
    """Review progress of the current accepted census returns: national, per province (all census provinces, or
    these), per central channel and for the central channels together."""
    labelled = [
        (row["province_code"], row["central_channel"], review_label(row["review_state"], row["review_stage"]))
        for row in fetch_named(con, _REVIEW_SQL, [round_id])
        for _ in range(row["returns"])
    ]
    codes = province_codes if province_codes is not None else [p.code for p in load_divisions().census_provinces()]
    names = load_divisions().by_code
    return {
        **summarize_review(label for _, _, label in labelled if label),
        "provinces": [
            {
                "province_code": code,
                "province_name": names[code].name,
                **summarize_review(label for province, _, label in labelled if province == code and label),
            }
            for code in codes
        ],
        "central": {
            **summarize_review(label for _, channel, label in labelled if channel is not None and label),
            "channels": [
                {
                    "channel": key,
                    "channel_name": name,
                    **summarize_review(label for _, channel, label in labelled if channel == key and label),
                }
                for key, name in CENTRAL_CHANNELS.items()
            ],
        },
    }


# The current census returns a province's prefectures and counties sent for their own scope (not the province's own).
_LOCAL_REVIEW_SQL = """
SELECT scope_code, review_state, review_stage, count(*) AS returns
FROM submissions
WHERE kind = 'census' AND round_id = ? AND status = 'accepted' AND is_current AND province_code = ?
  AND scope_kind IN ('prefecture', 'county')
GROUP BY ALL
"""


def query_local_review_progress(
    con: duckdb.DuckDBPyConnection, province_code: str, round_id: str = ROUND_ID
) -> dict[str, dict[str, Any]]:
    """Review progress of the current census returns sent by a province's prefectures and counties, by the division
    of the province's map they lie in (a county's under its prefecture); divisions without such returns are absent."""
    divisions = load_divisions()
    labels: dict[str, list[str]] = {}
    for row in fetch_named(con, _LOCAL_REVIEW_SQL, [round_id, province_code]):
        division = divisions.map_division_of(province_code, row["scope_code"])
        label = review_label(row["review_state"], row["review_stage"])
        if division is not None and label is not None:
            labels.setdefault(division, []).extend([label] * row["returns"])
    return {division: summarize_review(found) for division, found in labels.items()}


# The latest return (已退回) of each submission: the reason its uploader is told, who returned it and when.
_SUBMISSIONS_SQL = """
SELECT s.*, r.reason AS return_reason, r.changed_by AS returned_by, r.changed_at AS returned_at,
       r.review_level AS returned_at_level, k.kept_reason, k.resent_reason,
       sender.full_name AS submitted_by_name, returner.full_name AS returned_by_name
FROM submissions AS s
LEFT JOIN latest_returns AS r USING (submission_id)
LEFT JOIN users AS sender ON sender.user_name = s.submitted_by
LEFT JOIN users AS returner ON returner.user_name = r.changed_by
-- A return that kept the review progress of the one it replaced (the same rows saved again), or a returned return
-- sent again unchanged: said by the audit log, where the review history has the line but not its action.
LEFT JOIN (
    SELECT target AS submission_id,
           any_value(reason) FILTER (WHERE action = ?) AS kept_reason,
           any_value(reason) FILTER (WHERE action = ?) AS resent_reason
    FROM audit_log WHERE kind = ? AND action IN (?, ?) GROUP BY target
) AS k USING (submission_id)
WHERE ? IS NULL OR s.province_code = ?
ORDER BY s.submitted_at DESC, s.submission_id
"""


def _return_rows(contribution: str, condition: str = "TRUE", mart: str = "mart_holder_returns") -> str:
    """The rows of the current returns (of their main sheet, or of their red-archive inventory) that count towards a
    figure, each with its contribution."""
    holder = "submission_id, sheet_name, excel_row, uscc, unit_name, province_code, central_channel, division_code"
    return (
        f"SELECT {holder}, {contribution} AS value FROM {mart} "  # noqa: S608 - LINEAGE_FIGURES' own
        f"WHERE round_id = ? AND {condition} AND {{where}}"
    )


# The red-archive inventory's figures (红色档案资源摸底, its own sheet): the holders that filled it in, their red
# archives (volumes and items) and the parts the overview shows.
RED_FIGURES: dict[str, str] = {
    "red_holders": "1",
    "red_total": "red_vol + red_item",
    **{name: name for name in ("red_digitized", *RED_USE_FIELDS)},
}


# Figures whose lineage can be shown: an allow-list, never text from a request. Each is the SQL of the rows that count
# (each with its submission, sheet, Excel row, holder and contribution; `{where}` the division's filter), whose values
# sum to the figure of query_summary / query_coverage_total for the same scope.
LINEAGE_FIGURES: dict[str, str] = {
    **{name: _return_rows(name) for name in SUM_FIGURES},
    "holdings": _return_rows("vol_total + item_total"),
    "comprehensive_holdings": _return_rows("vol_total + item_total", "basis = 'comprehensive'"),
    "comprehensive_digitized": _return_rows("digitized_vol + digitized_item", "basis = 'comprehensive'"),
    "comprehensive_opened": _return_rows("opened", "basis = 'comprehensive'"),
    "units_unregistered": _return_rows("1", "NOT is_registered"),
    **{name: _return_rows(contribution, mart="mart_red_archives") for name, contribution in RED_FIGURES.items()},
    # Counted as coverage counts it: the registered holders the register places in the division that reported in
    # their province's (or channel's) returns, each with its return's row (a holder a return places in another
    # county counts where the register places it).
    "units_reported": """
        SELECT r.submission_id, r.sheet_name, r.excel_row, c.uscc, c.unit_name, c.province_code, c.central_channel,
               c.division_code, 1 AS value
        FROM (SELECT * FROM mart_coverage WHERE round_id = ? AND has_reported AND {where}) AS c
        JOIN submissions AS g ON g.submission_id = c.register_submission_id
        JOIN stg_census_returns AS r ON r.round_id = c.round_id AND r.uscc = c.uscc
            AND r.province_code IS NOT DISTINCT FROM g.province_code
            AND r.central_channel IS NOT DISTINCT FROM c.central_channel""",
    # The current registers' rows, not the returns'.
    "units_expected": """
        SELECT register_submission_id AS submission_id, register_sheet_name AS sheet_name,
               register_excel_row AS excel_row, uscc, unit_name, province_code, central_channel, division_code,
               1 AS value
        FROM mart_coverage WHERE round_id = ? AND {where}""",
}


def query_figure_lineage(
    con: duckdb.DuckDBPyConnection, figure: str, division_code: str | None, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """The rows of the current accepted returns (for 应报普查对象, registers) that sum to a figure of a division (or
    the nation): each with its submission, file, sheet, Excel row, holder and its contribution. Grain: one row per
    holder row that counts."""
    where, params = division_filter(division_code)
    counted = LINEAGE_FIGURES[figure].format(where=where)
    return fetch_named(
        con,
        f"""
        WITH counted AS ({counted})
        SELECT r.*, s.file_name, s.form_version, s.submitted_at, s.submitted_by, s.scope_kind, s.scope_code, s.review_state,
               s.review_stage, sender.full_name AS submitted_by_name
        FROM counted AS r JOIN submissions AS s USING (submission_id)
        LEFT JOIN users AS sender ON sender.user_name = s.submitted_by
        ORDER BY r.province_code, r.submission_id, r.excel_row
        """,  # noqa: S608 - the figure's SQL and where come from allow-lists
        [round_id, *params],
    )


# The audit log's kinds that change what the pages show (sign-ins, user changes and refused requests do not).
DATA_CHANGES = tuple(str(kind) for kind in AuditKind if kind not in (AuditKind.LOGIN, AuditKind.USER, AuditKind.ACCESS))


def query_data_as_of(con: duckdb.DuckDBPyConnection) -> Any:
    """When the data shown was last changed: the latest accepted submission, review, finding step, score or round
    change; not a rejected or refused upload, a backup or an upgrade (None for an empty warehouse)."""
    row = con.execute(
        "SELECT max(changed_at) FROM (SELECT max(submitted_at) AS changed_at FROM submissions WHERE status = 'accepted' "
        "UNION ALL SELECT max(occurred_at) FROM audit_log WHERE list_contains(?, kind) AND NOT list_contains(?, action))",
        [list(DATA_CHANGES), list(CHANGES_NO_DATA)],
    ).fetchone()
    return row[0] if row else None


def find_upload_outcome(
    con: duckdb.DuckDBPyConnection, file_sha256: str, submitted_by: str, since: datetime
) -> dict[str, Any] | None:
    """The submission (its id and status) an upload of this file by this user recorded since it was queued, newest
    first: what a job cut off by a server's stop got to before it."""
    rows = fetch_named(
        con,
        "SELECT submission_id, status FROM submissions WHERE file_sha256 = ? AND submitted_by = ? "
        "AND submitted_at >= ? ORDER BY submitted_at DESC LIMIT 1",
        [file_sha256, submitted_by, since],
    )
    return rows[0] if rows else None


def list_submissions(con: duckdb.DuckDBPyConnection, province_code: str | None = None) -> list[dict[str, Any]]:
    """Every recorded submission (of one province and its prefectures and counties, or all), newest first, with its
    scope's name, its sender as people read them (`submitter`: 张三（guangdong）), its review progress, the reason of
    its latest return to the uploader and who returned it (`returner`) and, for a return that kept the review of the
    one it replaced, why (kept_reason), and for a returned return sent again unchanged, the note saying so
    (resent_reason)."""
    actions = [KEPT, RESENT_UNCHANGED]
    rows = fetch_named(
        con, _SUBMISSIONS_SQL, [*actions, AuditKind.REVIEW.value, *actions, province_code, province_code]
    )
    for row in rows:
        row["scope_name"] = stored_scope_name(row)
        row["review_progress"] = review_label(row["review_state"], row["review_stage"])
        row["submitter"] = person_label(row["submitted_by"], row["submitted_by_name"])
        row["returner"] = row["returned_by"] and person_label(row["returned_by"], row["returned_by_name"])
    return rows


# The shape of `warehouse.loads.new_submission_id`'s numbers, lower-cased.
SUBMISSION_ID_SHAPE = re.compile(r"s(.+)-(\d{8})t(\d{6})z-([0-9a-f]{6})")


def canonical_submission_id(typed: str) -> str:
    """A submission number as stored, whatever the case it was typed or pasted in (s2024-440000-20261130t043047z-52014C
    is S2024-440000-20261130T043047Z-52014c); anything else as typed, trimmed."""
    text = typed.strip()
    match = SUBMISSION_ID_SHAPE.fullmatch(text.lower())
    return f"S{match[1]}-{match[2]}T{match[3]}Z-{match[4]}" if match else text


def query_removed_returns(con: duckdb.DuckDBPyConnection, *, include_replaced: bool = False) -> list[dict[str, Any]]:
    """The returns restores removed (received after their backup: `warehouse.backup`) that are still missing: not
    back (a restore back brings them) and no return of the same kind and scope accepted since; newest restore first,
    each once, with that restore's time (`restored_at`) and its backup's (`backup_taken_at`). Only those current when
    removed (what their senders must send again), unless `include_replaced`: one a later return of its scope had
    replaced before the restore counted nowhere then (a restore recorded before this mark was kept: all current)."""
    restores = con.execute(
        "SELECT occurred_at, after_state FROM audit_log WHERE kind = ? AND action = 'restore' ORDER BY occurred_at DESC",
        [AuditKind.WAREHOUSE.value],
    ).fetchall()
    removed: dict[str, dict[str, Any]] = {}
    for restored_at, after in restores:
        state = json.loads(after or "{}")
        for item in state.get("returns_removed") or []:
            if isinstance(item, dict):  # a restore's record before 2026-12-06 named them in words only
                extra = {"restored_at": restored_at, "backup_taken_at": state.get("backup_taken_at")}
                removed.setdefault(item["submission_id"], item | extra)
    if not removed:
        return []
    latest = {
        tuple(key): submitted_at
        for *key, submitted_at in con.execute(
            "SELECT kind, scope_kind, scope_code, province_code, max(submitted_at) FROM submissions "
            "WHERE status = 'accepted' GROUP BY ALL"
        ).fetchall()
    }
    present = {
        row[0]
        for row in con.execute(
            "SELECT submission_id FROM submissions WHERE list_contains(?, submission_id)", [list(removed)]
        ).fetchall()
    }

    def missing(item: dict[str, Any]) -> bool:
        key = (item["kind"], item["scope_kind"], item["scope_code"], item["province_code"])
        since = latest.get(key)
        return item["submission_id"] not in present and (since is None or since < item["restored_at"])

    return [item for item in removed.values() if missing(item) and (include_replaced or item.get("is_current", True))]


def stored_scope_name(row: Mapping[str, Any]) -> str | None:
    """The name of the scope a stored submission was sent for (广东省广州市, 中央企业), from its row's scope_kind,
    scope_code and province_code; None for a national workbook."""
    scope = parse_stored_scope(row["scope_kind"], row["scope_code"], row["province_code"])
    return None if scope is None else scope.name


# Child divisions of a level: each child is a prefecture (or a county directly under the province) or a county.
# Holders registered at the parent's own level (a provincial body under 440000, a city's own bureau under 440100)
# have no child: they form the parent's own row (is_own_level), so the children always add up to the parent.
_COVERAGE_CHILDREN_SQL = """
WITH expected AS (
    SELECT
        coalesce({child}, ?) AS division_code,
        count(*) AS units_expected,
        count(*) FILTER (WHERE has_reported) AS units_reported
    FROM mart_coverage
    WHERE round_id = ? AND {parent} = ?
    GROUP BY ALL
),
unregistered AS (
    SELECT coalesce({child}, ?) AS division_code, count(DISTINCT uscc) AS units_unregistered
    FROM mart_holder_returns
    WHERE round_id = ? AND {parent} = ? AND NOT is_registered
    GROUP BY ALL
),
-- Every current division below the parent, those without a holder in the register too (a city with no one to
-- report is the gap a planner must see), and the parent's own level where it has holders.
codes AS (
    SELECT division_code FROM expected
    UNION SELECT division_code FROM unregistered
    UNION SELECT division_code FROM divisions WHERE parent_code = ?
)
SELECT
    c.division_code,
    d.name,
    d.level,
    c.division_code = ? AS is_own_level,
    coalesce(e.units_expected, 0) AS units_expected,
    coalesce(e.units_reported, 0) AS units_reported,
    coalesce(e.units_expected, 0) - coalesce(e.units_reported, 0) AS units_missing,
    coalesce(u.units_unregistered, 0) AS units_unregistered,
    coverage_pct(e.units_reported, e.units_expected) AS coverage_pct
FROM codes AS c
LEFT JOIN divisions AS d USING (division_code)
LEFT JOIN expected AS e USING (division_code)
LEFT JOIN unregistered AS u USING (division_code)
ORDER BY is_own_level DESC, c.division_code
"""
# Grouping columns by the level of the parent: an allow-list, never text from a request.
_CHILD_COLUMNS = {
    "province": ("province_code", "coalesce(prefecture_code, county_code)"),
    "prefecture": ("prefecture_code", "county_code"),
}


def query_coverage_children(
    con: duckdb.DuckDBPyConnection, parent_code: str, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """Coverage of the divisions directly below a province or prefecture, and of the parent's own level (its own
    holders, is_own_level): expected, reported, missing, unregistered. Empty below a county (the lowest level).
    Grain: one row per current child division (0 expected where the register has no one there), plus at most one
    own-level row; they add up to `query_coverage_total` of the parent."""
    level = load_divisions().get(parent_code).level
    if level not in _CHILD_COLUMNS:
        return []
    parent, child = _CHILD_COLUMNS[level]
    sql = _COVERAGE_CHILDREN_SQL.format(parent=parent, child=child)
    params = [parent_code, round_id, parent_code] * 2 + [parent_code] * 2
    return fetch_named(con, sql, params)


_CHILD_FIGURES_SQL = """
SELECT
    coalesce({child}, ?) AS division_code,
    sum(vol_total) AS vol_total,
    sum(item_total) AS item_total,
    sum(digitized_vol) AS digitized_vol,
    sum(digitized_item) AS digitized_item,
    sum(opened) AS opened,
    sum(red_archives) AS red_archives,
    sum(e_gb) AS e_gb,
    -- The comprehensive archives' own figures: the basis of the rates the overview's map shows.
    sum(vol_total) FILTER (WHERE basis = 'comprehensive') AS comprehensive_vol_total,
    sum(item_total) FILTER (WHERE basis = 'comprehensive') AS comprehensive_item_total,
    sum(digitized_vol) FILTER (WHERE basis = 'comprehensive') AS comprehensive_digitized_vol,
    sum(digitized_item) FILTER (WHERE basis = 'comprehensive') AS comprehensive_digitized_item,
    sum(opened) FILTER (WHERE basis = 'comprehensive') AS comprehensive_opened
FROM mart_holder_returns
WHERE round_id = ? AND {parent} = ?
GROUP BY ALL
ORDER BY division_code
"""


def query_children_figures(
    con: duckdb.DuckDBPyConnection, parent_code: str, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """Holdings figures of the current returns below a province or prefecture, grouped as the coverage children
    (the parent's own level under its own code). Grain: one row per child division with returns."""
    level = load_divisions().get(parent_code).level
    if level not in _CHILD_COLUMNS:
        return []
    parent, child = _CHILD_COLUMNS[level]
    rows = fetch_named(con, _CHILD_FIGURES_SQL.format(parent=parent, child=child), [parent_code, round_id, parent_code])
    return [{k: (v if k == "division_code" else float(v or 0)) for k, v in row.items()} for row in rows]


def query_coverage_total(
    con: duckdb.DuckDBPyConnection, division_code: str | None, round_id: str = ROUND_ID
) -> dict[str, Any]:
    """Coverage of everything under a division (or the nation), counted over its holders directly rather than
    summed from its children: expected, reported, missing, unregistered (distinct per reporting province)."""
    where, params = division_filter(division_code)
    expected = fetch_named(
        con,
        f"SELECT count(*) AS units_expected, count(*) FILTER (WHERE has_reported) AS units_reported "  # noqa: S608
        f"FROM mart_coverage WHERE round_id = ? AND {where}",
        [round_id, *params],
    )[0]
    unregistered = fetch_named(
        con,
        f"SELECT count(DISTINCT (province_code, uscc)) AS units_unregistered FROM mart_holder_returns "  # noqa: S608
        f"WHERE round_id = ? AND NOT is_registered AND {where}",
        [round_id, *params],
    )[0]
    units_expected, units_reported = int(expected["units_expected"]), int(expected["units_reported"])
    return {
        "units_expected": units_expected,
        "units_reported": units_reported,
        "units_missing": units_expected - units_reported,
        "units_unregistered": int(unregistered["units_unregistered"]),
        "coverage_pct": coverage_pct(units_reported, units_expected),
    }


def query_missing_holders(
    con: duckdb.DuckDBPyConnection, division_code: str | None, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """Registered holders under a division (or nationally) without a return that counts: who has not reported, or
    whose return a reviewer sent back (returned_file and returned_reason: the current returned return holding it)."""
    where, params = division_filter(division_code)
    return fetch_named(
        con,
        f"""
        WITH returned AS (
            SELECT r.uscc, s.province_code, scope_channel(s.scope_kind, s.scope_code) AS central_channel,
                   s.file_name, v.reason
            FROM raw_census_rows AS r JOIN submissions AS s USING (submission_id)
                LEFT JOIN latest_returns AS v USING (submission_id)
            WHERE s.kind = 'census' AND s.status = 'accepted' AND s.is_current AND s.review_state = ?
                AND s.round_id = ?
        )
        SELECT m.province_code, m.central_channel, m.division_code, m.uscc, m.unit_name, m.holder_type,
               m.admin_level, any_value(t.file_name) AS returned_file, any_value(t.reason) AS returned_reason
        FROM (SELECT * FROM mart_coverage WHERE round_id = ? AND NOT has_reported AND {where}) AS m
        LEFT JOIN returned AS t ON t.uscc = m.uscc AND t.central_channel IS NOT DISTINCT FROM m.central_channel
            AND (m.central_channel IS NOT NULL OR t.province_code = m.province_code)
        GROUP BY ALL
        ORDER BY m.province_code, m.central_channel, m.division_code, m.uscc
        """,  # noqa: S608 - `where` is division_filter's fixed text, its values bound
        [RETURNED, round_id, round_id, *params],
    )


def query_unregistered_holders(
    con: duckdb.DuckDBPyConnection, division_code: str | None, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """Holders that reported without being on their province's register."""
    where, params = division_filter(division_code)
    return fetch_named(
        con,
        f"SELECT province_code, central_channel, division_code, uscc, unit_name, holder_type, submission_id, "  # noqa: S608
        f"sheet_name, excel_row FROM mart_holder_returns WHERE round_id = ? AND NOT is_registered AND {where} "
        f"ORDER BY province_code, central_channel, submission_id, excel_row",  # as the uploader reads them
        [round_id, *params],
    )


def query_holder_lineage(
    con: duckdb.DuckDBPyConnection, uscc: str, province_code: str | None = None, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """Where a holder's figures come from: every loaded row (current or superseded) with its submission, file, sheet,
    row, its return's review progress (and the reason of its latest return: 已撤回 or 已退回), and whether it counts in
    the figures (`counted`: the current return, not sent back by its reviewer; a probe read 现行 as counted for a row
    of a return sent back)."""
    rows = fetch_named(
        con,
        """
        SELECT s.submission_id, s.province_code,
               scope_channel(s.scope_kind, s.scope_code) AS central_channel,
               s.file_name, s.file_sha256, s.submitted_by, s.submitted_at, s.is_current,
               s.is_current AND coalesce(s.review_state, '') <> ? AS counted, s.review_state, s.review_stage,
               s.superseded_by, sent_back.reason AS return_reason,
               r.sheet_name, r.excel_row, r.unit_name, r.vol_total, r.item_total
        FROM raw_census_rows AS r JOIN submissions AS s USING (submission_id)
        LEFT JOIN latest_returns AS sent_back ON sent_back.submission_id = s.submission_id
        WHERE s.round_id = ? AND r.uscc = ? AND (? IS NULL OR s.province_code = ?)
        ORDER BY s.submitted_at DESC
        """,
        [RETURNED, round_id, uscc, province_code, province_code],
    )
    for row in rows:
        row["review_progress"] = review_label(row["review_state"], row["review_stage"])
    return rows


def query_quality_by_province(con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID) -> list[dict[str, Any]]:
    """Per reporting unit, a province (all its scopes) or a central channel (`central_channel`, under a NULL
    province, as the warnings list names it; the three were one row, 中央): census submissions, how many were
    rejected, and warnings per 100 rows of the current returns that count (a return sent back by its reviewer counts
    in no figure until it is sent again)."""
    return fetch_named(
        con,
        """
        WITH counted AS (
            SELECT *, is_current AND coalesce(review_state, '') <> ? AS counts,
                   scope_channel(scope_kind, scope_code) AS central_channel
            FROM submissions WHERE kind = 'census' AND round_id = ?
        )
        SELECT
            province_code,
            central_channel,
            count(*) AS submissions,
            count(*) FILTER (WHERE status = 'rejected') AS rejected,
            max(submitted_at) AS last_submitted_at,
            sum(warning_count) FILTER (WHERE counts) AS current_warnings,
            sum(row_count) FILTER (WHERE counts) AS current_rows,
            round(100.0 - 100.0 * coalesce(sum(warning_count) FILTER (WHERE counts), 0)
                  / greatest(coalesce(sum(row_count) FILTER (WHERE counts), 0), 1), 2) AS quality_score
        FROM counted
        GROUP BY province_code, central_channel
        ORDER BY province_code NULLS LAST, central_channel
        """,
        [RETURNED, round_id],
    )


def query_submission_trend(
    con: duckdb.DuckDBPyConnection, province_code: str | None, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """Census submissions over time with their error and warning counts (one province, or all)."""
    return fetch_named(
        con,
        "SELECT submission_id, province_code, submitted_at, status, row_count, error_count, warning_count "
        "FROM submissions WHERE kind = 'census' AND round_id = ? AND (? IS NULL OR province_code = ?) "
        "ORDER BY submitted_at",
        [round_id, province_code, province_code],
    )


def query_failures(
    con: duckdb.DuckDBPyConnection,
    province_code: str | None,
    *,
    severity: str,
    current_only: bool,
    round_id: str = ROUND_ID,
    limit: int = 5000,
) -> list[dict[str, Any]]:
    """Failures of census submissions, with the holder named: errors of rejected returns or warnings of current ones."""
    return fetch_named(
        con,
        """
        SELECT s.province_code, scope_channel(s.scope_kind, s.scope_code) AS central_channel,
               s.submission_id, s.file_name, s.status, f.sheet, f.excel_row, f.field, f.label, f.value, f.rule,
               f.severity, f.message, r.uscc, r.unit_name
        FROM submission_failures AS f
        JOIN submissions AS s USING (submission_id)
        LEFT JOIN raw_census_rows AS r ON r.submission_id = f.submission_id AND r.excel_row = f.excel_row
        WHERE s.kind = 'census' AND s.round_id = ? AND f.severity = ?
          AND (? IS NULL OR s.province_code = ?) AND (NOT ? OR s.is_current)
        ORDER BY s.province_code, s.submitted_at DESC, f.excel_row
        LIMIT ?
        """,
        [round_id, severity, province_code, province_code, current_only, limit],
    )


def query_cross_province_duplicates(
    con: duckdb.DuckDBPyConnection, province_code: str | None, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """Holders reported in the current returns of more than one province (both rows are kept and counted).

    For one province (a provincial office's view) only holders it reports itself, and of the other provinces' rows
    only which province reports the holder: their names, divisions, submissions and rows are that province's data.
    """
    return fetch_named(
        con,
        """
        WITH multi AS (
            SELECT uscc FROM stg_census_returns WHERE round_id = ? GROUP BY uscc HAVING count(DISTINCT province_code) > 1
        ), visible AS (
            SELECT r.*, (? IS NULL OR r.province_code = ?) AS is_own FROM stg_census_returns AS r
        )
        SELECT r.uscc, CASE WHEN is_own THEN r.unit_name END AS unit_name, r.province_code,
               CASE WHEN is_own THEN r.division_code END AS division_code,
               CASE WHEN is_own THEN r.submission_id END AS submission_id,
               CASE WHEN is_own THEN r.sheet_name END AS sheet_name,
               CASE WHEN is_own THEN r.excel_row END AS excel_row
        FROM visible AS r JOIN multi USING (uscc)
        WHERE r.round_id = ? AND (? IS NULL OR r.uscc IN (SELECT uscc FROM stg_census_returns WHERE province_code = ?))
        ORDER BY r.uscc, r.province_code
        """,
        [round_id, province_code, province_code, round_id, province_code, province_code],
    )
