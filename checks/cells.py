"""Failing rows of a parsed return turned into located failures, with the cell value as the uploader wrote it."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from decimal import Decimal
from functools import reduce
from typing import Any

import polars as pl

from census_schema.failures import Failure, shorten_value
from census_schema.fields import Form, Rule

EXCEL_ROW = "excel_row"
SHEET = "sheet"


class RowsMissingColumns(ValueError):
    """The parsed rows lack columns the form or the checks need."""


def require_columns(form: Form, rows: pl.DataFrame) -> None:
    """Raise RowsMissingColumns unless the frame has every field of the form plus excel_row and sheet."""
    missing = [name for name in (*form.field_names, EXCEL_ROW, SHEET) if name not in rows.columns]
    if missing:
        raise RowsMissingColumns(f"parsed rows of form {form.kind} lack column(s): {', '.join(missing)}")


def sum_of_fields(fields: Sequence[str]) -> pl.Expr:
    """The sum of fields; null when any of them is null, unlike pl.sum_horizontal. In Float64, which does not wrap
    as Int64 does (exact below the fields' bounds, census_schema.fields)."""
    return reduce(operator.add, [pl.col(name).cast(pl.Float64) for name in fields])


def display_value(value: object) -> str | None:
    """A cell value as the uploader reads it: whole numbers without '.0', long text shortened."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and math.isfinite(value):
        # Positional, as typed in a cell: 0.00001, not 1e-05.
        return format(Decimal(repr(value)), "f")
    return shorten_value(value)


def failures_at(
    form: Form,
    rows: pl.DataFrame,
    rule: Rule,
    positions: Sequence[int] | pl.Series,
    messages: Sequence[str] | None = None,
) -> list[Failure]:
    """One failure of a rule for each row position given, in that order (with its own message, when given)."""
    if len(positions) == 0:
        return []
    columns = [SHEET, EXCEL_ROW] + ([rule.field] if rule.field is not None else [])
    picked = rows.select(pl.col(columns).gather(pl.Series(positions, dtype=pl.Int64)))
    label = form.field(rule.field).label if rule.field is not None else None
    values = picked.get_column(rule.field).to_list() if rule.field is not None else [None] * picked.height
    texts = messages if messages is not None else [rule.message] * picked.height
    return [
        Failure(sheet, row, rule.field, label, display_value(value), rule.rule_id, rule.severity, text)
        for sheet, row, value, text in zip(
            picked.get_column(SHEET).to_list(), picked.get_column(EXCEL_ROW).to_list(), values, texts, strict=True
        )
    ]


def naming_repeated_rows(
    rule: Rule, rows: pl.DataFrame, positions: Sequence[int] | pl.Series, key: Sequence[str]
) -> list[str]:
    """A repeated key's message for each row, naming the rows it repeats (与第 14 行重复): both rows are marked, and
    the uploader must see which to compare. `key`: the column, or columns together, that repeat."""
    picked = rows.select(pl.struct(list(key)).gather(positions).alias("key"), pl.col(EXCEL_ROW).gather(positions))
    keys = [tuple(k.values()) for k in picked.get_column("key").to_list()]
    excel_rows = picked.get_column(EXCEL_ROW).to_list()
    rows_of: dict[Any, list[int]] = {}
    for found, row in zip(keys, excel_rows, strict=True):
        rows_of.setdefault(found, []).append(row)
    others = [[r for r in sorted(rows_of[found]) if r != row] for found, row in zip(keys, excel_rows, strict=True)]
    return [
        f"{rule.message.rstrip('。')}（与第 {'、'.join(map(str, rest))} 行重复）。" if rest else rule.message
        for rest in others
    ]
