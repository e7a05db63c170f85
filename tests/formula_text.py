"""Formula injection (issue 10, finding 6): what every workbook the platform writes must keep as text."""

from __future__ import annotations

from openpyxl.cell.cell import Cell

# A DDE payload that would start the calculator if Excel took it for a formula.
INJECTION = "=cmd|' /C calc'!A0"


def assert_kept_as_text(cell: Cell, value: str = INJECTION) -> None:
    """The cell, read back with openpyxl, holds the text as typed, as text, with Excel's quote prefix."""
    assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True)
