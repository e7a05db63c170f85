"""What the spreadsheet reader (calamine, native code) does with a workbook: the functions a reader worker runs.

`flows.worker` runs them in a bounded child process for uploads; trusted files and tests call them directly. They
return text only (every cell as a string): typing the cells is the caller's, so forms registered in the caller
parse the same way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypeVar

import fastexcel
import polars as pl

from census_schema import layout
from census_schema.errors import WorkbookUnusable

# A sheet as the reader gives it: every cell as text (row 0 = Excel row 1), and the 0-based column of each frame column.
RawSheet = tuple[pl.DataFrame, list[int]]
T = TypeVar("T")
LOGGER = logging.getLogger(__name__)
REOPEN_HINT = "请在 Excel 中打开并重新保存为 .xlsx 后上传。"


def open_workbook(path: Path, file_name: str) -> fastexcel.ExcelReader:
    """Open a workbook with the calamine reader."""
    try:
        return fastexcel.read_excel(path)
    except Exception as error:  # fastexcel raises several unrelated types for corrupt parts
        LOGGER.info("calamine cannot open %s: %s", file_name, error)
        raise WorkbookUnusable(
            "工作簿的内容无法解析（内部结构不完整或不符合 Excel 格式）：文件可能已损坏。",
            file=file_name,
            hint=REOPEN_HINT,
        ) from error


def read_workbook_metadata(reader: fastexcel.ExcelReader, file_name: str) -> dict[str, str]:
    """The key/value pairs of the hidden identity sheet (empty when the sheet is absent)."""
    if layout.META_SHEET not in reader.sheet_names:
        return {}
    try:
        sheet = reader.load_sheet_by_name(layout.META_SHEET, header_row=None, skip_rows=0, dtypes="string")
    except Exception as error:  # calamine raises several unrelated types for broken sheet XML
        LOGGER.info("calamine cannot read the identity sheet of %s: %s", file_name, error)
        raise WorkbookUnusable(
            "工作簿的模板标识无法读取（其内容不完整或不符合 Excel 格式）：文件可能已损坏。",
            file=file_name,
            hint=REOPEN_HINT,
        ) from error
    frame = sheet.to_polars()
    if frame.width < 2:
        return {}
    keys, values = frame.to_series(0).to_list(), frame.to_series(1).to_list()
    return {str(k).strip(): str(v).strip() for k, v in zip(keys, values, strict=True) if k and v}


def read_metadata_of(path: Path, file_name: str) -> dict[str, str]:
    """Open the workbook and read its identity sheet."""
    return read_workbook_metadata(open_workbook(path, file_name), file_name)


def read_raw_sheets(path: Path, sheet_names: list[str], file_name: str) -> dict[str, RawSheet]:
    """The named sheets that exist in the workbook, every cell as text."""
    return _raw_sheets(open_workbook(path, file_name), sheet_names, file_name)


def _each_sheet(
    reader: fastexcel.ExcelReader, sheet_names: list[str], file_name: str, take: Callable[[fastexcel.ExcelSheet], T]
) -> dict[str, T]:
    """What `take` gives of each named sheet the workbook has, loaded as text; a sheet calamine cannot read refuses
    the workbook."""
    found = {}
    for sheet_name in sheet_names:
        if sheet_name not in reader.sheet_names:
            continue
        try:
            found[sheet_name] = take(
                reader.load_sheet_by_name(sheet_name, header_row=None, skip_rows=0, dtypes="string")
            )
        except Exception as error:  # calamine raises several unrelated types for broken sheet XML
            LOGGER.info("calamine cannot read sheet %r of %s: %s", sheet_name, file_name, error)
            raise WorkbookUnusable(
                "工作表的内容无法解析（不完整或不符合 Excel 格式，多半是文件被截断或被其他程序改坏）：文件可能已损坏。",
                file=file_name,
                sheet=sheet_name,
                hint=REOPEN_HINT,
            ) from error
    return found


def _raw_sheets(reader: fastexcel.ExcelReader, sheet_names: list[str], file_name: str) -> dict[str, RawSheet]:
    return _each_sheet(
        reader,
        sheet_names,
        file_name,
        lambda sheet: (sheet.to_polars(), [c.absolute_index for c in sheet.available_columns()]),
    )


# calamine's names of Excel's error values (its `Error(...)` in a cell error's detail), as Excel shows them.
EXCEL_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}
_ERROR_DETAIL = re.compile(r"Error\((\w+)\)")
# A cell holding an Excel error value: (row of the sheet as read, 0 = Excel row 1; frame column; what Excel shows).
ErrorCell = tuple[int, int, str]


def read_error_cells(path: Path, sheet_names: list[str], file_name: str) -> dict[str, list[ErrorCell]]:
    """Where the named sheets hold Excel error values (a failed formula), which reading as text gives as empty.

    Asked only when the measurement counted such cells: fastexcel names them through Arrow (pyarrow, ~50 MiB)."""
    errors = _each_sheet(open_workbook(path, file_name), sheet_names, file_name, lambda s: s.to_arrow_with_errors()[1])
    return {name: _error_cells(found) for name, found in errors.items()}


def _error_cells(errors: fastexcel.CellErrors | None) -> list[ErrorCell]:
    """The Excel error values among a sheet's cell errors (the others are not errors of the workbook's)."""
    cells = []
    for cell in errors.errors if errors is not None else ():
        named = _ERROR_DETAIL.search(cell.detail)
        if named is not None:
            row, column = cell.position
            cells.append((row, column, EXCEL_ERRORS.get(named.group(1), f"#{named.group(1)}")))
    return cells


class ReadAhead(NamedTuple):
    """A workbook's identity sheet and, in the same pass, the data sheets of the form it names (if asked for)."""

    meta: dict[str, str]
    # None: the identity names none of the forms asked for (the upload is refused on its identity anyway).
    sheets: dict[str, RawSheet] | None
    # Why the data sheets could not be read: raised when they are parsed, after the identity's own refusals.
    error: WorkbookUnusable | None = None


def read_identity_and_sheets(path: Path, sheets_by_form: dict[tuple[str, str], list[str]], file_name: str) -> ReadAhead:
    """The identity sheet, then the data sheets listed for the (kind, version) it names."""
    reader = open_workbook(path, file_name)
    meta = read_workbook_metadata(reader, file_name)
    names = sheets_by_form.get((meta.get(layout.META_FORM_KIND, ""), meta.get(layout.META_FORM_VERSION, "")))
    if names is None:
        return ReadAhead(meta, None)
    try:
        return ReadAhead(meta, _raw_sheets(reader, names, file_name))
    except WorkbookUnusable as error:
        return ReadAhead(meta, None, error)
