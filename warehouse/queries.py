"""Read-side queries over the marts: national and provincial figures, the submission list."""

from __future__ import annotations

from typing import Any

import duckdb

from census_schema.census_form import CENSUS_FORM, ROUND_ID
from census_schema.divisions import load_divisions, require_census_province
from census_schema.fields import FieldType

UNIT_FIGURES = ("units_expected", "units_reported", "units_unregistered")
# Census fields summed over current accepted returns (columns of mart_province_figures under the same names).
SUM_FIGURES = (
    "vol_total",
    "item_total",
    "digitized_vol",
    "digitized_item",
    "e_items",
    "e_gb",
    "pre1949",
    "red_archives",
    "opened",
    "storage_m2",
)
FIGURES = (*UNIT_FIGURES, "coverage_pct", *SUM_FIGURES)
# Figures reported as floats rounded to 2 decimals: coverage and the sums of the form's decimal fields.
DECIMAL_FIGURES = frozenset(
    {"coverage_pct", *(name for name in SUM_FIGURES if CENSUS_FORM.field(name).type is FieldType.DECIMAL)}
)


# Sums over every column of the province mart except keys and coverage, which is recomputed from the sums.
_NATIONAL_SQL = """
SELECT
    coalesce(sum(COLUMNS(* EXCLUDE (round_id, province_code, coverage_pct))), 0),
    coverage_pct(sum(units_reported), sum(units_expected)) AS coverage_pct
FROM mart_province_figures
WHERE round_id = ?
"""
_PROVINCES_SQL = "SELECT * EXCLUDE (round_id) FROM mart_province_figures WHERE round_id = ?"


def _fetch_named(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _figures(row: dict[str, Any] | None) -> dict[str, Any]:
    """The figures of a mart row (zeros for None), integers as int and decimal census fields rounded to 2."""
    figures: dict[str, Any] = {}
    for name in FIGURES:
        value = 0 if row is None else row[name]
        figures[name] = round(float(value), 2) if name in DECIMAL_FIGURES else int(value)
    return figures


def query_summary(
    con: duckdb.DuckDBPyConnection, round_id: str = ROUND_ID, province_code: str | None = None
) -> dict[str, Any]:
    """National figures and those of every census province (or of one), as `summary --json` prints them."""
    provinces = load_divisions().census_provinces()
    if province_code is not None:
        provinces = [require_census_province(province_code)]
    (national,) = _fetch_named(con, _NATIONAL_SQL, [round_id])
    by_province = {row["province_code"]: row for row in _fetch_named(con, _PROVINCES_SQL, [round_id])}
    return {
        "round": round_id,
        "national": _figures(national),
        "provinces": [
            {"province_code": p.code, "province_name": p.name, **_figures(by_province.get(p.code))} for p in provinces
        ],
    }


def list_submissions(con: duckdb.DuckDBPyConnection, province_code: str | None = None) -> list[dict[str, Any]]:
    """Every recorded submission (of one province, or all), newest first."""
    return _fetch_named(
        con,
        "SELECT * FROM submissions WHERE ? IS NULL OR province_code = ? ORDER BY submitted_at DESC, submission_id",
        [province_code, province_code],
    )
