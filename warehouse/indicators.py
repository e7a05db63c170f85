"""The five-year plan's indicators in the warehouse: reported values as loaded, computed ones from the census
marts, and progress against the plan's targets per year.

Computed indicators are never stored: they are derived from the current census figures (`query_summary`) for the
census year, nationally and per province. Statuses exist where the plan sets a baseline and a target (national
indicators); a baseline the plan leaves open is taken from a reported value for the base year.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import duckdb

from census_schema.census_form import ROUND_ID
from census_schema.divisions import load_divisions
from census_schema.supervision.codes import IndicatorStatus
from census_schema.supervision.indicators import CENSUS_YEAR, PLAN_INDICATORS, PLAN_TARGET_YEAR, PlanIndicator
from supervision.indicators import compute_indicator, evaluate_indicator, expected_progress
from warehouse.breakdowns import query_red_archives_by_province
from warehouse.queries import fetch_named, query_summary

# Computed values are shown with this many decimal places.
PLACES = Decimal("0.01")


def query_reported_values(con: duckdb.DuckDBPyConnection, indicator_code: str | None = None) -> list[dict[str, Any]]:
    """Current reported values with their lineage. Grain: one row per indicator, year and province (NULL: national)."""
    return fetch_named(
        con,
        "SELECT indicator_code, year, province_code, value, note, submission_id, sheet_name, excel_row, loaded_at "
        "FROM stg_indicator_values WHERE is_current AND (? IS NULL OR indicator_code = ?) "
        "ORDER BY indicator_code, year, province_code NULLS FIRST",
        [indicator_code, indicator_code],
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


def query_indicator_progress(con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID) -> list[dict[str, Any]]:
    """Every indicator's values per year and scope, with expected progress and status where the plan has targets.

    Grain: one row per indicator, year and scope (province NULL: national) that has a value, plus, for indicators
    with a target, one national row per year of the plan (value None until reported: no status).
    """
    values: dict[tuple[str, str | None], dict[int, Decimal]] = {}
    for row in [*query_reported_values(con), *computed_indicator_values(con, round_id)]:
        if row["value"] is not None:
            values.setdefault((row["indicator_code"], row["province_code"]), {})[row["year"]] = Decimal(row["value"])
    provinces = {p.code: p.name for p in load_divisions().census_provinces()}
    rows = []
    for indicator in PLAN_INDICATORS:
        scopes = sorted({p for code, p in values if code == indicator.code}, key=lambda p: (p is not None, p or ""))
        if indicator.target is not None and None not in scopes:
            scopes.insert(0, None)
        for province in scopes:
            by_year = values.get((indicator.code, province), {})
            national_target = province is None and indicator.target is not None
            years = sorted(
                set(by_year) | (set(range(indicator.base_year + 1, PLAN_TARGET_YEAR + 1)) if national_target else set())
            )
            baseline = _baseline(indicator, by_year) if province is None else None
            for year in years:
                actual = by_year.get(year)
                expected = status = None
                if (
                    national_target
                    and baseline is not None
                    and indicator.target is not None
                    and year > indicator.base_year
                ):
                    expected = expected_progress(
                        baseline, indicator.target, indicator.base_year, indicator.target_year, year
                    )
                    status = evaluate_indicator(_with_baseline(indicator, baseline), actual, year)
                rows.append(
                    {
                        "indicator_code": indicator.code,
                        "indicator_name": indicator.name,
                        "unit": indicator.unit,
                        "attribute": indicator.attribute.value,
                        "source": indicator.source_label,
                        "year": year,
                        "province_code": province,
                        "province_name": provinces.get(province or "", "全国"),
                        "value": actual,
                        "baseline": baseline,
                        "target": indicator.target if province is None else None,
                        "expected": None if expected is None else expected.quantize(PLACES),
                        "status": None if status is None else status.value,
                    }
                )
    return rows


def _with_baseline(indicator: PlanIndicator, baseline: Decimal) -> PlanIndicator:
    return replace(indicator, baseline=baseline)


def summarize_indicators(con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID) -> dict[str, Any]:
    """Statuses of the targeted indicators: counts per year, and each indicator's latest status."""
    progress = [r for r in query_indicator_progress(con, round_id) if r["status"] is not None]
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
