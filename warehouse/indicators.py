"""The five-year plan's indicators in the warehouse: reported values as loaded, computed ones from the census
marts, provincial targets as loaded, and progress against the targets per year, nationally and per province.

Computed indicators are never stored: they are derived from the current census figures (`query_summary`) for the
census year, nationally and per province. National statuses exist where the plan sets a baseline and a target; a
baseline the plan leaves open is taken from a reported value for the base year. A province's statuses exist where
the national bureau uploaded that province's own baseline and target (分省目标, `stg_indicator_targets`): its
expected progress and status are judged against them, by the same formula.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from census_schema.census_form import ROUND_ID
from census_schema.divisions import load_divisions
from census_schema.supervision.codes import IndicatorStatus
from census_schema.supervision.indicators import (
    CENSUS_YEAR,
    INDICATORS_BY_CODE,
    PLAN_INDICATORS,
    PLAN_TARGET_YEAR,
    PlanIndicator,
)
from supervision.indicators import compute_indicator, expected_progress, indicator_status, year_is_over
from warehouse.breakdowns import query_red_archives_by_province
from warehouse.queries import fetch_named, query_summary

# Computed values are shown with this many decimal places.
PLACES = Decimal("0.01")


def province_name(code: str | None) -> str:
    """A census province's name beside its code in reports; 全国 for a national row (no code)."""
    found = load_divisions().by_code.get(code) if code else None
    return found.name if found else code or "全国"


def query_reported_values(con: duckdb.DuckDBPyConnection, indicator_code: str | None = None) -> list[dict[str, Any]]:
    """Current reported values with their lineage. Grain: one row per indicator, year and province (NULL: national)."""
    return fetch_named(
        con,
        "SELECT indicator_code, year, province_code, value, note, submission_id, sheet_name, excel_row, loaded_at "
        "FROM stg_indicator_values WHERE is_current AND (? IS NULL OR indicator_code = ?) "
        "ORDER BY indicator_code, year, province_code NULLS FIRST",
        [indicator_code, indicator_code],
    )


# An accepted upload's values and targets beside the current ones they replaced (the latest earlier upload's of the
# same key; is_current was that one's until this load), for `query_replaced_by`.
_REPLACED_SQL = """
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY loaded_at DESC, excel_row DESC) AS position
    FROM {view}
    WHERE loaded_at <= (SELECT max(loaded_at) FROM {view} WHERE submission_id = $1)
)
SELECT new.indicator_code, {shown}
FROM ranked AS new JOIN ranked AS old ON {same}
WHERE new.submission_id = $1 AND new.position = 1 AND old.position = 2 AND old.submission_id <> $1
  AND ({changed})
ORDER BY {order}
"""


def _replaced_sql(view: str, key: tuple[str, ...], shown: str, changed: str) -> str:
    """_REPLACED_SQL over one of the two views (constant names: nothing typed reaches it); a national value's
    province is NULL, matched as the same key."""
    return _REPLACED_SQL.format(
        view=view,
        key=", ".join(key),
        same=" AND ".join(f"old.{k} IS NOT DISTINCT FROM new.{k}" for k in key),
        order=", ".join(f"new.{k} NULLS FIRST" for k in key),
        shown=shown,
        changed=changed,
    )


def _named(code: str) -> str:
    """An indicator as people read it: its code and name (ZB02 新增高水平数字档案室)."""
    found = INDICATORS_BY_CODE.get(code)
    return f"{code} {found.name}" if found else code


def query_replaced_by(con: duckdb.DuckDBPyConnection, submission_id: str) -> list[str]:
    """What an accepted indicators upload replaced of the current values and provincial targets, each as people read
    it (ZB01 新增高水平数字档案馆 2024年 全国：118 → 11; 分省目标 ZB01 新增高水平数字档案馆 广东省：2020年 0，2025年 12 →
    2020年 0，2025年 20); a probe's upload replaced them unsaid."""
    values = con.execute(
        _replaced_sql(
            "stg_indicator_values",
            ("indicator_code", "year", "province_code"),
            "new.year, new.province_code, old.value, new.value",
            "old.value IS DISTINCT FROM new.value",
        ),
        [submission_id],
    ).fetchall()
    targets = con.execute(
        _replaced_sql(
            "stg_indicator_targets",
            ("indicator_code", "province_code"),
            "new.province_code, old.base_year, old.baseline, old.target_year, old.target, new.base_year, "
            "new.baseline, new.target_year, new.target",
            "(old.base_year, old.baseline, old.target_year, old.target) IS DISTINCT FROM "
            "(new.base_year, new.baseline, new.target_year, new.target)",
        ),
        [submission_id],
    ).fetchall()
    # Each indicator by its name beside its code (ZB02 新增高水平数字档案室: the code alone read as nothing).
    said = [
        f"{_named(code)} {year}年 {province_name(province)}：{_figure(old)} → {_figure(new)}"
        for code, year, province, old, new in values
    ]
    said += [
        f"分省目标 {_named(code)} {province_name(province)}：{_plan(*old)} → {_plan(*new)}"
        for code, province, *numbers in targets
        for old, new in [(numbers[:4], numbers[4:])]
    ]
    return said


def is_wholly_current(con: duckdb.DuckDBPyConnection, submission_id: str) -> bool:
    """Whether every value and provincial target an indicators upload brought is still the current one of its key
    (a later upload may have replaced some: the same file sent again then restores them, not a duplicate)."""
    replaced = con.execute(
        "SELECT count(*) FROM (SELECT is_current FROM stg_indicator_values WHERE submission_id = ? "
        "UNION ALL SELECT is_current FROM stg_indicator_targets WHERE submission_id = ?) WHERE NOT is_current",
        [submission_id, submission_id],
    ).fetchone()
    return replaced is not None and replaced[0] == 0


def _figure(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():,f}"


def _plan(base_year: int, baseline: Decimal, target_year: int, target: Decimal) -> str:
    return f"{base_year}年 {_figure(baseline)}，{target_year}年 {_figure(target)}"


def query_provincial_targets(
    con: duckdb.DuckDBPyConnection, indicator_code: str | None = None, province_code: str | None = None
) -> list[dict[str, Any]]:
    """Current provincial targets with their lineage, of one indicator and one province when given.

    Grain: one row per indicator and province (the latest accepted upload of that pair; earlier ones are history).
    """
    return fetch_named(
        con,
        "SELECT indicator_code, province_code, base_year, baseline, target_year, target, note, submission_id, "
        "sheet_name, excel_row, loaded_at FROM stg_indicator_targets WHERE is_current "
        "AND (? IS NULL OR indicator_code = ?) AND (? IS NULL OR province_code = ?) "
        "ORDER BY indicator_code, province_code",
        [indicator_code, indicator_code, province_code, province_code],
    )


def computed_indicator_values(con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID) -> list[dict[str, Any]]:
    """Computed indicators from the census figures of a round, nationally (province NULL) and per province.

    Grain: one row per computed indicator and scope; value None where the denominator is 0 (no data).
    """
    summary = query_summary(con, round_id)
    # The red-archive inventory's total (its own sheet) beside each scope's figures.
    red = {r["province_code"]: r["red_total"] for r in query_red_archives_by_province(con, round_id)}
    red_national = summary["red_archive_resources"]["red_total"]
    scopes = [(None, {**summary["national"], "red_total": red_national})] + [
        (p["province_code"], {**p, "red_total": red.get(p["province_code"]) or 0}) for p in summary["provinces"]
    ]
    rows = []
    for indicator in PLAN_INDICATORS:
        if not indicator.is_computed:
            continue
        for province, figures in scopes:
            basis = figures if indicator.basis == "all" else figures["bases"][indicator.basis]
            value = compute_indicator(indicator, basis)
            rows.append(
                {
                    "indicator_code": indicator.code,
                    "year": CENSUS_YEAR,
                    "province_code": province,
                    "value": None if value is None else value.quantize(PLACES),
                }
            )
    return rows


def _baseline(indicator: PlanIndicator, values: Mapping[int, Decimal]) -> Decimal | None:
    """The plan's baseline, or a reported value for the base year when the plan leaves it open."""
    return indicator.baseline if indicator.baseline is not None else values.get(indicator.base_year)


@dataclass(frozen=True)
class _Goal:
    """The baseline and target a scope's progress is judged against: the plan's (national) or a province's own."""

    base_year: int
    baseline: Decimal | None
    target_year: int
    target: Decimal


def _national_goal(indicator: PlanIndicator, values: Mapping[int, Decimal]) -> _Goal | None:
    if indicator.target is None:
        return None
    return _Goal(indicator.base_year, _baseline(indicator, values), indicator.target_year, indicator.target)


def _provincial_goals(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], _Goal]:
    return {
        (t["indicator_code"], t["province_code"]): _Goal(
            t["base_year"], Decimal(t["baseline"]), t["target_year"], Decimal(t["target"])
        )
        for t in query_provincial_targets(con)
    }


def query_indicator_progress(con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID) -> list[dict[str, Any]]:
    """Every indicator's values per year and scope, with expected progress and status where there is a target.

    National rows are judged against the plan's baseline and target, a province's against its own (分省目标; without
    one a province's rows have no baseline, target nor status). Grain: one row per indicator, year and scope
    (province NULL: national) that has a value, plus, for each scope with a target, one row per year of the plan
    after its base year (value None until reported: no status); a reported value with the submission, sheet and
    Excel row it was read from.
    """
    values: dict[tuple[str, str | None], dict[int, Decimal]] = {}
    # Where each reported value was read: its submission, sheet and row (a computed one comes from the census).
    read_from: dict[tuple[str, str | None, int], tuple[str, str, int]] = {}
    for row in [*query_reported_values(con), *computed_indicator_values(con, round_id)]:
        if row["value"] is not None:
            values.setdefault((row["indicator_code"], row["province_code"]), {})[row["year"]] = Decimal(row["value"])
            if row.get("submission_id"):
                key = (row["indicator_code"], row["province_code"], row["year"])
                read_from[key] = (row["submission_id"], row["sheet_name"], row["excel_row"])
    provincial = _provincial_goals(con)
    rows = []
    for indicator in PLAN_INDICATORS:
        scoped = {p for code, p in values if code == indicator.code} | {
            p for code, p in provincial if code == indicator.code
        }
        if indicator.target is not None:
            scoped.add(None)
        for province in sorted(scoped, key=lambda p: (p is not None, p or "")):
            by_year = values.get((indicator.code, province), {})
            goal = (
                _national_goal(indicator, by_year) if province is None else provincial.get((indicator.code, province))
            )
            base_year = indicator.base_year if goal is None else goal.base_year
            # A national indicator without a target still shows the plan's baseline (monitored ones: JC07-JC09).
            baseline = (
                goal.baseline if goal is not None else _baseline(indicator, by_year) if province is None else None
            )
            planned = set(range(goal.base_year + 1, PLAN_TARGET_YEAR + 1)) if goal is not None else set()
            for year in sorted(set(by_year) | planned):
                actual = by_year.get(year)
                expected = status = None
                if goal is not None and goal.baseline is not None and year > goal.base_year:
                    expected = expected_progress(goal.baseline, goal.target, goal.base_year, goal.target_year, year)
                    if actual is not None:
                        status = indicator_status(
                            actual, goal.baseline, goal.target, goal.base_year, goal.target_year, year
                        )
                rows.append(
                    {
                        "indicator_code": indicator.code,
                        "indicator_name": indicator.name,
                        "unit": indicator.unit,
                        "attribute": indicator.attribute.value,
                        "source": indicator.source_label,
                        "year": year,
                        "province_code": province,
                        "province_name": province_name(province),
                        "value": actual,
                        "base_year": base_year,
                        "baseline": baseline,
                        "target_year": indicator.target_year if goal is None else goal.target_year,
                        "target": None if goal is None else goal.target,
                        "expected": None if expected is None else expected.quantize(PLACES),
                        "status": None if status is None else status.value,
                        **dict(
                            zip(
                                ("submission_id", "sheet_name", "excel_row"),
                                read_from.get((indicator.code, province, year), (None, None, None)),
                                strict=True,
                            )
                        ),
                    }
                )
    return rows


def query_provincial_progress(
    con: duckdb.DuckDBPyConnection,
    indicator_code: str | None = None,
    province_code: str | None = None,
    round_id: str = ROUND_ID,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Each province's latest judged position against its own target: of one indicator and one province when given.

    Grain: one row per indicator and province with a current provincial target: its latest year with a status (of
    the years over by `today`, when given: a year still running is not judged, 12 by June against a target due in
    December read as 滞后), else its latest year with a value, else its latest planned year (value None).
    """

    def rank(row: Mapping[str, Any]) -> tuple[bool, bool, int]:
        judged = row["status"] is not None and (today is None or year_is_over(row["year"], today))
        return (judged, row["value"] is not None, row["year"])

    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in query_indicator_progress(con, round_id):
        province = row["province_code"]
        if province is None or row["target"] is None:
            continue
        if (indicator_code is not None and row["indicator_code"] != indicator_code) or (
            province_code is not None and province != province_code
        ):
            continue
        key = (row["indicator_code"], province)
        if key not in latest or rank(row) > rank(latest[key]):
            latest[key] = row
    return [latest[key] for key in sorted(latest)]


def summarize_indicators(con: duckdb.DuckDBPyConnection, today: date, round_id: str = ROUND_ID) -> dict[str, Any]:
    """National statuses of the targeted indicators in the years over by `today`: counts per year, and each
    indicator's latest judged national status.

    Provinces' statuses (against their own targets) are not counted here: the summary is the plan's national
    evaluation; `query_provincial_progress` gives the provinces'.
    """
    progress = [
        r
        for r in query_indicator_progress(con, round_id)
        if r["status"] is not None and r["province_code"] is None and year_is_over(r["year"], today)
    ]
    by_year: dict[str, dict[str, int]] = {}
    for year in sorted({r["year"] for r in progress}):
        counted = Counter(r["status"] for r in progress if r["year"] == year)
        by_year[str(year)] = {s.value: counted.get(s.value, 0) for s in IndicatorStatus}
    latest: dict[str, dict[str, Any]] = {}
    for row in progress:
        latest[row["indicator_code"]] = row
    return {
        "by_year": by_year,
        "latest": [
            {k: row[k] for k in ("indicator_code", "indicator_name", "year", "value", "expected", "status")}
            for row in latest.values()
        ],
    }
