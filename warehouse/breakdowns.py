"""Breakdowns of the census figures (by holder type, unit nature, tier, category, retention class, carrier), the
figures of each indicator basis, and the red-archive inventory: read-side queries over the marts.

What is broken down and how is declared in `census_schema.breakdowns`; column names here come only from those
declarations (an allow-list), values are bound. A scope is the nation (None), a current division of any level (its
holders at every level below it, its own level included) or the central channels (`central`, `central:<channel>`),
as `division_filter` reads it.
Every group breakdown partitions the holders and every part breakdown the holdings, so members sum to the totals
of `query_summary` for the same scope (the tests check it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from census_schema.breakdowns import (
    BASES,
    CARRIERS,
    GROUP_BREAKDOWNS,
    PART_BREAKDOWNS,
    RED_CONDITIONS,
    GroupBreakdown,
    PartBreakdown,
    percent,
)
from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM, ROUND_ID, SUMMARY_SUM_FIELDS
from census_schema.divisions import load_divisions
from census_schema.fields import FieldType
from census_schema.scopes import parse_central_area
from warehouse.transactions import quote_identifier

# The columns breakdowns may group by, in the marts: an allow-list.
_GROUP_COLUMNS = frozenset({"holder_type", "unit_nature", "level_tier", "basis", "province_code", "central_channel"})
# The key of the central channels' figures together in query_basis_figures ("central:<channel>" for one channel);
# the nation's key is None, a province's its code.
CENTRAL_KEY = "central"
_DECIMAL_SUMS = frozenset(name for name in SUMMARY_SUM_FIELDS if CENSUS_FORM.field(name).type is FieldType.DECIMAL)


def division_filter(division_code: str | None) -> tuple[str, list[Any]]:
    """The WHERE condition (and its bound values) of a mart's rows under a scope: the nation (None), a current
    division (by its level's column) or the central channels (all, or one)."""
    if division_code is None:
        return "TRUE", []
    is_central, channel = parse_central_area(division_code)
    if is_central:
        return ("central_channel IS NOT NULL", []) if channel is None else ("central_channel = ?", [channel])
    level = load_divisions().get(division_code).level
    column = {"province": "province_code", "prefecture": "prefecture_code", "county": "county_code"}[level]
    return f"{column} = ?", [division_code]


def _column(name: str) -> str:
    if name not in _GROUP_COLUMNS:
        raise ValueError(f"{name!r} is not a column breakdowns group by")
    return quote_identifier(name)


def _number(name: str, value: Any) -> Any:
    if name in _DECIMAL_SUMS:
        return round(float(value or 0), 2)
    return int(value or 0)


def coverage_pct(reported: int, expected: int) -> float | None:
    """Reported holders as a percentage of expected ones, never above 100; None without expected holders (no register:
    0 of 0 is not 0 %)."""
    share = percent(reported, expected)
    return None if share is None else min(share, 100.0)


def _group_sql(
    column: str, register_column: str | None, where: str, *, extra_key: str | None = None
) -> tuple[str, int]:
    """Units and sums per member (and per `extra_key`, e.g. the province) of the rows `where` selects; the SQL and
    how many times its scope values (the round, then the filter's) are bound.

    Holders are counted per reporting unit (a province or a central channel), as the reporting units' figures count
    them, so the members' counts add up to the national ones (which include the central channels): expected and reported holders by the register's attribute (coverage never exceeds 100 %),
    holders outside the register and the sums by the return's. Without a register attribute, reported holders are
    counted by the return's attribute and nothing is expected.
    """
    keys = [_column(column)] + ([_column(extra_key)] if extra_key else [])
    group = ", ".join(keys)
    sums = ", ".join(f"sum({quote_identifier(name)}) AS {quote_identifier(name)}" for name in SUMMARY_SUM_FIELDS)
    returned = f"""
        SELECT {group},
               count(DISTINCT (province_code, central_channel, uscc)) FILTER (WHERE is_registered) AS registered,
               count(DISTINCT (province_code, central_channel, uscc)) FILTER (WHERE NOT is_registered) AS units_unregistered,
               {sums}
        FROM mart_holder_returns WHERE round_id = ? AND {where} GROUP BY ALL"""  # noqa: S608
    if register_column is None:
        return f"SELECT * EXCLUDE (registered), registered AS units_reported FROM ({returned})", 1  # noqa: S608
    register_keys = [f"{_column(register_column)} AS {_column(column)}"] + ([_column(extra_key)] if extra_key else [])
    using = ", ".join(keys)
    # NULL keys match (a central unit has no province): IS NOT DISTINCT FROM, not USING.
    on = " AND ".join(f"e.{k} IS NOT DISTINCT FROM r.{k}" for k in keys)
    sql = f"""
        WITH expected AS (
            SELECT {", ".join(register_keys)}, count(*) AS units_expected,
                   count(*) FILTER (WHERE has_reported) AS units_reported
            FROM mart_coverage WHERE round_id = ? AND {where} GROUP BY ALL
        ),
        returned AS ({returned})
        SELECT {", ".join(f"coalesce(e.{k}, r.{k}) AS {k}" for k in keys)}, e.units_expected, e.units_reported,
               r.* EXCLUDE ({using}, registered)
        FROM expected AS e FULL OUTER JOIN returned AS r ON {on}
    """  # noqa: S608 -- identifiers from the declarations' allow-list, values bound
    return sql, 2


def _group_figures(row: dict[str, Any] | None, *, with_expected: bool) -> dict[str, Any]:
    row = row or {}
    reported = int(row.get("units_reported") or 0)
    figures: dict[str, Any] = {}
    if with_expected:
        expected = int(row.get("units_expected") or 0)
        figures |= {"units_expected": expected, "units_reported": reported}
        figures |= {"units_unregistered": int(row.get("units_unregistered") or 0)}
        figures["coverage_pct"] = coverage_pct(reported, expected)
    else:
        figures |= {"units_expected": None, "units_reported": reported}
        figures |= {"units_unregistered": int(row.get("units_unregistered") or 0), "coverage_pct": None}
    for name in SUMMARY_SUM_FIELDS:
        figures[name] = _number(name, row.get(name))
    return figures


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def query_group_breakdown(
    con: duckdb.DuckDBPyConnection, breakdown: GroupBreakdown, scope: str | None, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """One row per member, in the declared order (members without holders show zeros)."""
    where, params = division_filter(scope)
    sql, times = _group_sql(breakdown.column, breakdown.register_column, where)
    rows = _rows(con, sql, [round_id, *params] * times)
    by_member = {row[breakdown.column]: row for row in rows}
    with_expected = breakdown.register_column is not None
    return [
        {breakdown.member_key: member, **_group_figures(by_member.get(member), with_expected=with_expected)}
        for member in breakdown.members
    ]


def _holder_sums(
    con: duckdb.DuckDBPyConnection, fields: Sequence[str], scope: str | None, round_id: str
) -> dict[str, Any]:
    """The sums of these (declared) fields over the holders of a scope."""
    sums = ", ".join(f"coalesce(sum({quote_identifier(f)}), 0) AS {quote_identifier(f)}" for f in fields)
    where, params = division_filter(scope)
    return _rows(
        con,
        f"SELECT {sums} FROM mart_holder_returns WHERE round_id = ? AND {where}",  # noqa: S608
        [round_id, *params],
    )[0]


def query_part_breakdown(
    con: duckdb.DuckDBPyConnection, breakdown: PartBreakdown, scope: str | None, round_id: str = ROUND_ID
) -> list[dict[str, Any]]:
    """One row per part: holdings of a category, or volumes, items and holdings of a retention class."""
    row = _holder_sums(con, breakdown.fields, scope, round_id)
    result = []
    for name, parts in breakdown.members:
        values = {column: int(row[f]) for column, f in zip(breakdown.columns, parts, strict=True)}
        result.append({breakdown.member_key: name, **values, "holdings": sum(values.values())})
    return result


def query_carriers(con: duckdb.DuckDBPyConnection, scope: str | None, round_id: str = ROUND_ID) -> list[dict[str, Any]]:
    """Photos, reels, objects and electronic records, each in its own unit (a list, not a partition)."""
    row = _holder_sums(con, [f for _, f, _ in CARRIERS], scope, round_id)
    return [{"carrier": label, "field": f, "unit": unit, "value": _number(f, row[f])} for label, f, unit in CARRIERS]


def query_breakdowns(
    con: duckdb.DuckDBPyConnection, scope: str | None = None, round_id: str = ROUND_ID
) -> dict[str, Any]:
    """Every breakdown of one scope, by its `summary --json` key."""
    result: dict[str, Any] = {}
    for group in GROUP_BREAKDOWNS:
        result[group.key] = query_group_breakdown(con, group, scope, round_id)
    for part in PART_BREAKDOWNS:
        result[part.key] = query_part_breakdown(con, part, scope, round_id)
    result["by_carrier"] = query_carriers(con, scope, round_id)
    return result


def query_basis_figures(
    con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID
) -> dict[str | None, dict[str, dict[str, Any]]]:
    """The figures of every basis (综合档案馆, other archives, archive rooms): nationally (key None, the provinces and
    the central channels, as the national figures), per province (its code), for the central channels together
    (CENTRAL_KEY) and per central channel ("central:<channel>")."""
    sql, times = _group_sql("basis", "basis", "TRUE")
    national = _rows(con, sql, [round_id] * times)
    result: dict[str | None, dict[str, dict[str, Any]]] = {None: _bases(national)}
    for extra_key in ("province_code", "central_channel"):
        sql, times = _group_sql("basis", "basis", "TRUE", extra_key=extra_key)
        rows = _rows(con, sql, [round_id] * times)
        for value in {row[extra_key] for row in rows}:
            if extra_key == "province_code":
                key = CENTRAL_KEY if value is None else value
            elif value is None:
                continue  # the provinces' rows, keyed above
            else:
                key = f"{CENTRAL_KEY}:{value}"
            result[key] = _bases([row for row in rows if row[extra_key] == value])
    return result


def _bases(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_basis = {row["basis"]: row for row in rows}
    return {basis: _group_figures(by_basis.get(basis), with_expected=True) for basis in BASES}


def empty_bases() -> dict[str, dict[str, Any]]:
    """The bases of a scope without data."""
    return _bases([])


# ------------------------------------------------------------------------------------------------ red archives

RED_SUM_FIELDS = tuple(f.name for f in RED_ARCHIVES_FORM.fields if f.type is FieldType.INTEGER)


def summarize_red_row(row: dict[str, Any]) -> dict[str, Any]:
    """The red-archive figures from summed columns (holders, red_* sums): the `summary --json` object."""
    total = int(row.get("red_vol") or 0) + int(row.get("red_item") or 0)
    digitized = int(row.get("red_digitized") or 0)
    return {
        "holders": int(row.get("holders") or 0),
        "red_vol": int(row.get("red_vol") or 0),
        "red_item": int(row.get("red_item") or 0),
        "red_total": total,
        "by_condition": [{"condition": label, "value": int(row.get(f) or 0)} for label, f in RED_CONDITIONS],
        "red_digitized": digitized,
        "digitized_pct": percent(digitized, total),
        "red_exhibitions": int(row.get("red_exhibitions") or 0),
        "red_publications": int(row.get("red_publications") or 0),
        "red_research": int(row.get("red_research") or 0),
    }


def query_red_archives(
    con: duckdb.DuckDBPyConnection, scope: str | None = None, round_id: str = ROUND_ID
) -> dict[str, Any]:
    """The red-archive inventory of a scope: holders, volumes and items, condition classes, digitised, uses."""
    sums = ", ".join(f"sum({quote_identifier(f)}) AS {quote_identifier(f)}" for f in RED_SUM_FIELDS)
    where, params = division_filter(scope)
    row = _rows(
        con,
        f"SELECT count(*) AS holders, {sums} FROM mart_red_archives WHERE round_id = ? AND {where}",  # noqa: S608
        [round_id, *params],
    )[0]
    return summarize_red_row(row)


def query_red_archives_by_province(con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID) -> list[dict[str, Any]]:
    """Red-archive totals per province (for the dashboard's panel)."""
    return _rows(
        con,
        "SELECT province_code, count(*) AS holders, sum(red_total) AS red_total, sum(red_digitized) AS red_digitized "
        "FROM mart_red_archives WHERE round_id = ? GROUP BY province_code ORDER BY red_total DESC",
        [round_id],
    )
