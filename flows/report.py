"""The annotated report: the uploader's own workbook with failing cells filled and commented, plus `错误清单`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from census_schema import layout
from census_schema.failures import Failure
from census_schema.fields import Severity

REPORT_AUTHOR = "普查平台"
ERROR_COLOR = "FFFF8080"
WARNING_COLOR = "FFFFE699"
MARK_FILLS = {
    Severity.ERROR: PatternFill(fill_type="solid", start_color=ERROR_COLOR, end_color=ERROR_COLOR),
    Severity.WARNING: PatternFill(fill_type="solid", start_color=WARNING_COLOR, end_color=WARNING_COLOR),
}
NO_FILL = PatternFill(fill_type=None)
ERRORS_WIDTHS = (12, 8, 18, 26, 24, 28, 10, 70)


def _clear_previous_marks(sheet: Worksheet) -> None:
    """Remove the platform's marks from an earlier report the user filled in again."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.comment is not None and cell.comment.author == REPORT_AUTHOR:
                cell.comment = None
            if (
                cell.fill is not None
                and cell.fill.fill_type == "solid"
                and cell.fill.start_color.rgb in (ERROR_COLOR, WARNING_COLOR)
            ):
                cell.fill = NO_FILL


def _comment_text(failures: Sequence[Failure]) -> str:
    return "\n".join(f"[{f.severity.label}] {f.rule}：{f.message}" for f in failures)


def _write_failure_list(workbook: openpyxl.Workbook, failures: Sequence[Failure]) -> None:
    if layout.ERRORS_SHEET in workbook.sheetnames:
        del workbook[layout.ERRORS_SHEET]
    sheet = workbook.create_sheet(layout.ERRORS_SHEET, 0)
    sheet.append(list(layout.ERRORS_HEADER))
    for failure in sorted(failures, key=lambda f: f.sort_key):
        sheet.append(
            [
                failure.sheet,
                failure.row,
                failure.field,
                failure.label,
                failure.value,
                failure.rule,
                failure.severity.label,
                failure.message,
            ]
        )
        if failure.value is not None:
            # A value that looks like a formula must stay text in the report.
            sheet.cell(sheet.max_row, 5).data_type = "s"
    for index, width in enumerate(ERRORS_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=8):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:H{max(sheet.max_row, 1)}"
    workbook.active = 0


def write_annotated_report(
    source: Path, out: Path, sheet_name: str, columns: dict[str, int], failures: Sequence[Failure]
) -> Path:
    """Copy the uploaded workbook to `out`, fill and comment every failing cell, and add the `错误清单` sheet."""
    workbook = openpyxl.load_workbook(source)
    by_cell: dict[tuple[int, int], list[Failure]] = defaultdict(list)
    for failure in failures:
        if failure.row is not None and failure.field in columns and failure.sheet == sheet_name:
            by_cell[(failure.row, columns[failure.field] + 1)].append(failure)
    if sheet_name in workbook.sheetnames:
        sheet = workbook[sheet_name]
        _clear_previous_marks(sheet)
        for (row, column), cell_failures in by_cell.items():
            cell = sheet.cell(row, column)
            worst = min(cell_failures, key=lambda f: f.sort_key).severity
            cell.fill = MARK_FILLS[worst]
            comment = Comment(_comment_text(cell_failures), REPORT_AUTHOR)
            comment.width, comment.height = 320, 40 + 40 * len(cell_failures)
            cell.comment = comment
    _write_failure_list(workbook, failures)
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out
