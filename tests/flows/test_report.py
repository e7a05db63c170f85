"""The annotated report on its own: what it writes into the 错误清单 sheet and the marked cells."""

from __future__ import annotations

import zipfile

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from census_schema.census_form import CENSUS_FORM
from census_schema.failures import Failure
from census_schema.fields import Severity
from census_schema.layout import ERRORS_COLUMNS, ERRORS_HEADER, ERRORS_SHEET, FIRST_DATA_ROW
from census_schema.template import wrapped_row_height
from flows.parse import parse_form_sheet
from flows.report import ERROR_COLOR, PLAIN_WORKBOOK_TYPE, WARNING_COLOR, write_annotated_report
from tests.flows.workbooks import census_workbook
from tests.formula_text import INJECTION, assert_kept_as_text

HEADER_ROW = FIRST_DATA_ROW - 1


def test_formula_like_values_stay_text_in_the_errors_list_and_the_marked_cell(tmp_path):
    source = census_workbook(tmp_path / "c.xlsx", 2, {0: {"contact_phone": INJECTION}})
    field = CENSUS_FORM.field("contact_phone")
    failure = Failure(
        CENSUS_FORM.sheet_name, FIRST_DATA_ROW, field.name, field.label, INJECTION, "contact_phone_format",
        Severity.ERROR, "联系电话格式不正确。",
    )  # fmt: skip
    columns = {CENSUS_FORM.sheet_name: {name: i for i, name in enumerate(CENSUS_FORM.field_names)}}
    report = openpyxl.load_workbook(write_annotated_report(source, tmp_path / "r.xlsx", columns, [failure]))

    errors = report[ERRORS_SHEET]
    assert tuple(c.value for c in errors[1]) == ERRORS_HEADER
    assert_kept_as_text(errors.cell(2, ERRORS_HEADER.index("填报值") + 1))
    marked = report[CENSUS_FORM.sheet_name].cell(FIRST_DATA_ROW, CENSUS_FORM.field_names.index(field.name) + 1)
    assert marked.fill.start_color.rgb == ERROR_COLOR
    assert_kept_as_text(marked)


def test_the_errors_list_prints_one_page_wide_across_a4(tmp_path):
    source = census_workbook(tmp_path / "c.xlsx", 2, {0: {"contact_phone": "12345"}})
    field = CENSUS_FORM.field("contact_phone")
    failure = Failure(
        CENSUS_FORM.sheet_name, FIRST_DATA_ROW, field.name, field.label, "12345", "contact_phone_format",
        Severity.ERROR, "联系电话格式不正确。",
    )  # fmt: skip
    columns = {CENSUS_FORM.sheet_name: {name: i for i, name in enumerate(CENSUS_FORM.field_names)}}
    errors = openpyxl.load_workbook(write_annotated_report(source, tmp_path / "r.xlsx", columns, [failure]))[
        ERRORS_SHEET
    ]
    # Printed portrait, its eight columns came out in four strips of pages.
    assert errors.sheet_properties.pageSetUpPr.fitToPage
    assert (errors.page_setup.orientation, errors.page_setup.paperSize, errors.page_setup.fitToWidth) == (
        "landscape",
        9,
        1,
    )


def test_a_column_the_form_does_not_have_is_marked_on_its_header_cell(tmp_path):
    # Two helper columns of one label, both filled: each header cell carries its own column's warning.
    source = census_workbook(tmp_path / "c.xlsx", 2)
    workbook = openpyxl.load_workbook(source)
    sheet = workbook[CENSUS_FORM.sheet_name]
    helpers = [sheet.max_column + 1, sheet.max_column + 2]
    for column in helpers:
        sheet.cell(HEADER_ROW, column, "联系人邮箱")
        sheet.cell(FIRST_DATA_ROW, column, "a@example.cn")
    workbook.save(source)
    parsed = parse_form_sheet(source, CENSUS_FORM)
    name = CENSUS_FORM.sheet_name
    out = write_annotated_report(
        source, tmp_path / "r.xlsx", {name: parsed.columns}, parsed.failures, unread={name: parsed.unread}
    )
    marked = openpyxl.load_workbook(out)[name]
    for column in helpers:
        header = marked.cell(HEADER_ROW, column)
        assert header.fill.start_color.rgb == WARNING_COLOR
        assert (
            header.comment is not None
            and f"第 {get_column_letter(column)} 列有 1 个填写的单元格" in header.comment.text
        )


def test_the_errors_list_wraps_its_long_text_and_repeats_its_header_on_every_page(tmp_path):
    # Fitted one page wide with 说明 70 units wide on one line, its eight columns printed at about 5 points.
    source = census_workbook(tmp_path / "c.xlsx", 2, {0: {"contact_phone": "12345"}})
    field = CENSUS_FORM.field("contact_phone")
    failure = Failure(
        CENSUS_FORM.sheet_name, FIRST_DATA_ROW, field.name, field.label, "12345", "contact_phone_format",
        Severity.ERROR, "联系电话格式不正确，" * 12,
    )  # fmt: skip
    columns = {CENSUS_FORM.sheet_name: {name: i for i, name in enumerate(CENSUS_FORM.field_names)}}
    first = write_annotated_report(source, tmp_path / "r.xlsx", columns, [failure])
    # A report filled in and sent back is reported again: its old sheets' print titles go with them.
    report = openpyxl.load_workbook(write_annotated_report(first, tmp_path / "again.xlsx", columns, [failure]))
    errors = report[ERRORS_SHEET]
    assert errors.print_title_rows == "$1:$1"
    assert [ws.title for ws in report.worksheets if ws.print_title_rows] == [
        ws.title for ws in openpyxl.load_workbook(source).worksheets if ws.print_title_rows
    ] + [ERRORS_SHEET]
    assert sum(errors.column_dimensions[get_column_letter(i)].width for i in range(1, 9)) <= 160
    # A wrong 18-character credit code, the value most often shown, printed broken over two lines in 填报值.
    shown = ERRORS_COLUMNS[ERRORS_HEADER.index("填报值")].width
    assert wrapped_row_height(["91440101MA5CXXXX1X"], [shown]) == wrapped_row_height(["0"], [shown])
    message = errors.cell(2, ERRORS_HEADER.index("说明") + 1)
    assert message.alignment.wrap_text and errors.row_dimensions[2].height >= 4 * 14
    assert errors.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_an_earlier_report_s_marks_go_whatever_order_a_spreadsheet_program_saved_their_formats_in(tmp_path):
    # A marked workbook saved again by LibreOffice and a second program listed a warning's filled format before the
    # format it was copied from: the next report turned a fixed error's red into that warning's yellow.
    source = census_workbook(tmp_path / "c.xlsx", 3, {2: {"contact_phone": "12345"}})
    workbook = openpyxl.load_workbook(source)
    sheet = workbook[CENSUS_FORM.sheet_name]
    column = CENSUS_FORM.field_names.index("unit_name") + 1
    font = Font(name="Arial")  # a format of the clerk's own: its copies are written in the rows' order
    for offset, color in enumerate((WARNING_COLOR, None, ERROR_COLOR)):
        cell = sheet.cell(FIRST_DATA_ROW + offset, column)
        cell.font = font
        if color:
            cell.fill = PatternFill("solid", fgColor=color)
    workbook.save(source)
    field = CENSUS_FORM.field("contact_phone")
    failure = Failure(
        CENSUS_FORM.sheet_name, FIRST_DATA_ROW + 2, field.name, field.label, "12345", "contact_phone_format",
        Severity.ERROR, "联系电话格式不正确。",
    )  # fmt: skip
    columns = {CENSUS_FORM.sheet_name: {name: i for i, name in enumerate(CENSUS_FORM.field_names)}}
    report = openpyxl.load_workbook(write_annotated_report(source, tmp_path / "r.xlsx", columns, [failure]))
    marked = report[CENSUS_FORM.sheet_name]
    for offset in range(3):
        cell = marked.cell(FIRST_DATA_ROW + offset, column)
        assert (cell.fill.fgColor.rgb, cell.font.name) == ("00000000", "Arial"), offset
    assert (
        marked.cell(FIRST_DATA_ROW + 2, CENSUS_FORM.field_names.index("contact_phone") + 1).fill.fgColor.rgb
        == ERROR_COLOR
    )


def test_a_workbook_saved_macro_enabled_comes_back_as_the_plain_workbook_it_is_named(tmp_path):
    # An .xlsm without macros (LibreOffice's "Excel 2007-365 (macro-enabled)") was accepted; its report, named .xlsx,
    # kept the macro-enabled content type, which Excel refuses to open under that name.
    source = census_workbook(tmp_path / "c.xlsx", 2, {0: {"contact_phone": "12345"}})
    macro = tmp_path / "c.xlsm"
    with zipfile.ZipFile(source) as plain, zipfile.ZipFile(macro, "w", zipfile.ZIP_DEFLATED) as saved:
        for item in plain.infolist():
            data = plain.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    PLAIN_WORKBOOK_TYPE.encode(), b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
                )
            saved.writestr(item, data)
    assert b"macroEnabled" in zipfile.ZipFile(macro).read("[Content_Types].xml")
    field = CENSUS_FORM.field("contact_phone")
    failure = Failure(
        CENSUS_FORM.sheet_name, FIRST_DATA_ROW, field.name, field.label, "12345", "contact_phone_format",
        Severity.ERROR, "联系电话格式不正确。",
    )  # fmt: skip
    columns = {CENSUS_FORM.sheet_name: {name: i for i, name in enumerate(CENSUS_FORM.field_names)}}
    report = write_annotated_report(macro, tmp_path / "r.xlsx", columns, [failure])
    types = zipfile.ZipFile(report).read("[Content_Types].xml").decode()
    assert "macroEnabled" not in types and PLAIN_WORKBOOK_TYPE in types
    assert openpyxl.load_workbook(report)[ERRORS_SHEET].max_row == 2
