"""Real workbooks for flow tests: written from the schema's template, filled with base rows and edits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM, REGISTER_FORM, SIGN_OFF_FORM
from census_schema.fields import Form
from census_schema.scopes import Scope
from census_schema.template import write_form_workbook
from synthetic.holders import BASE_ROWS, RED_BASE, SIGN_OFF_BASE, make_uscc

PROVINCE = "440000"


def holder_rows(form: Form, count: int, edits: Mapping[int, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """`count` valid holders of a form (each its own USCC), with per-index edits."""
    edits = edits or {}
    return [{**BASE_ROWS[form.kind], "uscc": make_uscc(20_000 + i), **edits.get(i, {})} for i in range(count)]


def _cells(form: Form, rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    return [[row.get(f.name) for f in form.fields] for row in rows]


def write_rows(
    path: Path,
    form: Form,
    rows: Iterable[Mapping[str, Any]],
    province: str = PROVINCE,
    scope: Scope | None = None,
    *,
    red: Iterable[Mapping[str, Any]] | None = None,
    sign_off: Iterable[Mapping[str, Any]] | None = None,
) -> Path:
    """Write rows (dicts by field name) into the form's real template for a province (or another scope).

    A census return also gets its red-archive inventory (default: one base row per holder, under its code and
    name) and its foot (default: the base foot), so that valid holders make a valid workbook.
    """
    rows = list(rows)
    companions = None
    if form.kind == CENSUS_FORM.kind:
        if red is None:
            red = [{**RED_BASE, "uscc": row.get("uscc"), "unit_name": row.get("unit_name")} for row in rows]
        companions = {
            RED_ARCHIVES_FORM.sheet_name: _cells(RED_ARCHIVES_FORM, red),
            SIGN_OFF_FORM.sheet_name: _cells(SIGN_OFF_FORM, [SIGN_OFF_BASE] if sign_off is None else sign_off),
        }
    write_form_workbook(
        path, form, None if scope is not None else province, _cells(form, rows), companions=companions, scope=scope
    )
    return path


def census_workbook(path: Path, count: int = 3, edits: Mapping[int, Mapping[str, Any]] | None = None) -> Path:
    """A census return of `count` holders of Guangdong."""
    return write_rows(path, CENSUS_FORM, holder_rows(CENSUS_FORM, count, edits))


def register_workbook(path: Path, count: int = 3) -> Path:
    """Guangdong's register listing the same holders as census_workbook."""
    return write_rows(path, REGISTER_FORM, holder_rows(REGISTER_FORM, count))
