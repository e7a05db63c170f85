"""How the platform writes its workbooks' cells: one spec per table column, and formula-like text kept as text.

Every workbook the platform writes (templates and filled workbooks, annotated reports, supervision reports, grid
exports) sets text through `set_cell_value` (openpyxl cells) or asks `looks_like_formula` (the annotated report,
which writes its XML itself). A value such as `=cmd|' /C calc'!A0` from an upload is then a text cell with Excel's
quote prefix: shown as typed, never run, not even after the cell is edited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from openpyxl.cell.cell import Cell
from openpyxl.styles import PatternFill

# What Excel, WPS or LibreOffice may take for the start of a formula or a DDE command (OWASP's CSV-injection list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

R = TypeVar("R")


def looks_like_formula(value: object) -> bool:
    """True for text a spreadsheet could read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def set_cell_value(cell: Cell, value: object) -> Cell:
    """Set a cell's value; formula-like text is stored as text with the quote prefix.

    The prefix is never taken off again: a write-only sheet registers a cell's style when the row is appended, so a
    cell object reused for many rows must not change style afterwards. Such writers give formula-like values a cell
    of their own (see `census_schema.template`).
    """
    cell.value = value
    if looks_like_formula(value):
        # openpyxl makes any text starting with "=" a formula; the others it already stores as text.
        cell.data_type = "s"
        if not cell.quotePrefix:
            cell.quotePrefix = True
    return cell


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column of a written table: its header, how a row gives its value, its width and number format, and the
    fill a value gives its cell (a status colour), if any."""

    header: str
    value: Callable[[R], object]
    width: int
    number_format: str | None = None
    fill: Callable[[Any], PatternFill | None] | None = None
