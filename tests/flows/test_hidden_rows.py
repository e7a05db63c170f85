"""Data rows hidden in a sheet (hidden, filtered out, folded in a group) are read and counted like the others, and
the uploader is warned once for each run of them: nobody reviewing the sheet sees them."""

from __future__ import annotations

import openpyxl
import pytest

from census_schema.census_form import CENSUS_FORM
from census_schema.layout import FIRST_DATA_ROW
from census_schema.rule_titles import rule_title
from flows.measure import _Counter
from tests.flows.test_merged_cells import ingest
from tests.flows.workbooks import census_workbook


def test_hidden_data_rows_are_read_and_warned_of_once_for_each_run(tmp_path, capsys):
    path = census_workbook(tmp_path / "c.xlsx", 6)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[CENSUS_FORM.sheet_name]
    for row in (FIRST_DATA_ROW + 1, FIRST_DATA_ROW + 2, FIRST_DATA_ROW + 4, FIRST_DATA_ROW + 20):  # the last: empty
        sheet.row_dimensions[row].hidden = True
    sheet.column_dimensions["Z"].hidden = True  # a hidden column is not a hidden row
    workbook.save(path)
    report = tmp_path / "report.xlsx"

    code, answer = ingest(tmp_path, path, capsys, "--report", str(report))

    assert (code, answer["status"], answer["rows"]) == (0, "accepted", 6), answer  # all six holders read
    hidden = [(f["row"], f["severity"], f["message"]) for f in answer["failures"] if f["rule"] == "row_hidden"]
    first, second = FIRST_DATA_ROW + 1, FIRST_DATA_ROW + 4
    assert [(row, severity) for row, severity, _ in hidden] == [(first, "warning"), (second, "warning")]
    assert hidden[0][2].startswith(f"第 {first}～{first + 1} 行（共 2 行）在工作表中被隐藏")
    assert hidden[1][2].startswith(f"第 {second} 行在工作表中被隐藏") and "删除整行" in hidden[1][2]
    assert rule_title("row_hidden") == "数据行被隐藏"


def test_a_return_with_hidden_rows_comes_back_with_them_marked_when_rejected(tmp_path, capsys):
    path = census_workbook(tmp_path / "c.xlsx", 3, {0: {"contact_phone": "12345"}})
    workbook = openpyxl.load_workbook(path)
    workbook[CENSUS_FORM.sheet_name].row_dimensions[FIRST_DATA_ROW + 2].hidden = True
    workbook.save(path)
    report = tmp_path / "report.xlsx"
    code, _ = ingest(tmp_path, path, capsys, "--report", str(report))
    assert code == 1
    marked = openpyxl.load_workbook(report)[CENSUS_FORM.sheet_name].cell(FIRST_DATA_ROW + 2, 1)
    assert marked.comment is not None and "[警告] 数据行被隐藏：" in marked.comment.text


@pytest.mark.parametrize(
    "xml",
    [
        # Excel and openpyxl: hidden="1" on hidden rows only.
        b'<cols><col min="3" max="3" hidden="1"/></cols><sheetData><row r="4" spans="1:3"><c r="A4"/></row>'
        b'<row r="5" spans="1:3" hidden="1" customHeight="1" ht="0"><c r="A5"/></row><row r="6" hidden="1"/>',
        # LibreOffice: hidden="false" on every row, hidden="true" on the hidden ones; long row tags.
        b'<sheetData><row r="4" customFormat="false" ht="12.8" hidden="false" customHeight="false" outlineLevel="0" '
        b'collapsed="false"><c r="A4"/></row><row r="5" customFormat="false" ht="12.8" hidden="true" '
        b'customHeight="false" outlineLevel="0" collapsed="false"><c r="A5"/></row><row r="6" customFormat="false" '
        b'ht="12.8" hidden="true" customHeight="false" outlineLevel="0" collapsed="false"/>',
    ],
)
def test_hidden_rows_are_found_wherever_the_chunks_split_them(xml):
    for cut in range(1, len(xml)):
        counter = _Counter("")
        counter.feed(xml[:cut])
        counter.feed(xml[cut:])
        assert counter.hidden_rows == {5, 6}, cut
