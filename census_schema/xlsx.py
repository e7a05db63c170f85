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

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

# What Excel, WPS or LibreOffice may take for the start of a formula or a DDE command (OWASP's CSV-injection list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

R = TypeVar("R")
# The footer of every printed page the platform writes.
PAGE_FOOTER = "第 &P 页，共 &N 页"


def looks_like_formula(value: object) -> bool:
    """True for text a spreadsheet could read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def set_cell_value(cell: Cell, value: object) -> Cell:
    """Set a cell's value; formula-like text is stored as text with the quote prefix.

    The prefix is never taken off again: a write-only sheet registers a cell's style when the row is appended, so a
    cell object reused for many rows must not change style afterwards. Such writers give formula-like values a cell
    of their own (see `census_schema.template`).
    """
    if isinstance(value, str):
        # A control character openpyxl cannot write (it raised, and the whole export failed) is shown as its code.
        value = ILLEGAL_CHARACTERS_RE.sub(lambda found: f"[U+{ord(found.group()):04X}]", value)
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


def setup_print(ws: Worksheet | WriteOnlyWorksheet, *, fit_pages_wide: int = 1) -> None:
    """Printed on landscape A4, `fit_pages_wide` pages wide and as many down as the rows need, centred, numbered."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = fit_pages_wide
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = PAGE_FOOTER


def print_wide(ws: Worksheet, heading: str | None = None) -> None:
    """Printed one page wide (指标总览's 15 columns took three pages), the header above the frozen panes repeated on
    every page, each page headed by `heading` and the sheet's name (a loose page of a report said whose it was
    nowhere)."""
    setup_print(ws)
    ws.oddHeader.center.text = f"{heading.replace('&', '&&')}　&A" if heading else "&A"
    if ws.freeze_panes:
        header = ws[ws.freeze_panes].row - 1
        ws.print_title_rows = f"{header}:{header}"
