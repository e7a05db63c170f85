"""The parser takes real-world mess without complaint and locates what it cannot read."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest
from openpyxl.utils import get_column_letter

from census_schema.census_form import CENSUS_FORM
from census_schema.errors import WorkbookUnusable
from census_schema.layout import FIRST_DATA_ROW, HEADER_ROW
from census_schema.template import write_form_workbook
from flows.parse import _closest_label, normalize_label, parse_form_sheet
from tests.flows.hostile import long_cell
from tests.flows.workbooks import PROVINCE, census_workbook, holder_rows

FORM = CENSUS_FORM


def fill_by_label(path, rows):
    """Fill the template the way a person does: find each column by its label."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[FORM.sheet_name]
    columns = {cell.value: cell.column for cell in sheet[HEADER_ROW] if cell.value}
    for offset, row in enumerate(rows):
        for field in FORM.fields:
            sheet.cell(FIRST_DATA_ROW + offset, columns[field.label], row[field.name])
    workbook.save(path)


def test_template_filled_by_label_parses_back_to_the_same_values(tmp_path):
    path = tmp_path / "census.xlsx"
    write_form_workbook(path, FORM, PROVINCE)
    rows = holder_rows(FORM, 4, {1: {"remarks": "备注 文字", "parent_uscc": None}, 2: {"shelf_m": 33.3}})
    fill_by_label(path, rows)
    parsed = parse_form_sheet(path, FORM)
    assert parsed.failures == []
    assert parsed.rows.drop("sheet", "excel_row").to_dicts() == rows
    assert parsed.rows["excel_row"].to_list() == [3, 4, 5, 6]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("１２３４", 1234),
        ("1,234", 1234),
        ("1，234", 1234),
        (" 1234 ", 1234),
        ("1234", 1234),
        ("1234.0", 1234),
        ("\u30001234\u3000", 1234),
        ("12,345,678", 12345678),
        ("１，２３４", 1234),
        ("1 234", 1234),
        ("1\u3000234", 1234),
    ],
)
def test_integer_cells_accept_what_provinces_type(tmp_path, typed, expected):
    path = census_workbook(tmp_path / "c.xlsx", 1, {0: {"photos": typed}})
    parsed = parse_form_sheet(path, FORM)
    assert parsed.failures == []
    assert parsed.rows["photos"].to_list() == [expected]


@pytest.mark.parametrize(
    ("field", "typed", "read"),
    [
        ("photos", "1,0", None),
        ("photos", "12,34", None),
        ("photos", "1,2345", None),
        ("photos", "1 2", None),
        ("shelf_m", "0,5", None),
        ("shelf_m", "1,234.5", 1234.5),
    ],
)
def test_separators_are_read_only_where_they_group_thousands(tmp_path, field, typed, read):
    # "1,0" is not 10 nor "0,5" 5: a comma that groups no thousands leaves the cell unreadable, and says so.
    path = census_workbook(tmp_path / "c.xlsx", 1, {0: {field: typed}})
    parsed = parse_form_sheet(path, FORM)
    assert parsed.rows[field].to_list() == [read]
    assert [(f.field, f.value) for f in parsed.failures] == ([] if read is not None else [(field, typed)])


def test_codes_are_normalised(tmp_path):
    path = census_workbook(
        tmp_path / "c.xlsx",
        1,
        {
            0: {
                "uscc": " ９１４４０３００７０８４６１１３６ｔ ",
                "division_code": 440106,
                "contact_phone": "138 0013 8000",
            }
        },
    )
    row = parse_form_sheet(path, FORM).rows.row(0, named=True)
    assert (row["uscc"], row["division_code"], row["contact_phone"]) == ("91440300708461136T", "440106", "13800138000")


def test_blank_rows_rows_of_spaces_trailing_total_and_formatted_empty_rows_are_ignored(tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 3)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[FORM.sheet_name]
    sheet.insert_rows(FIRST_DATA_ROW + 1, 2)  # two blank rows between holders
    total_row = FIRST_DATA_ROW + 5
    sheet.cell(total_row, 1, "合计")
    sheet.cell(total_row, 11, 9999)
    for row in range(total_row + 1, total_row + 500):  # formatted but empty rows
        sheet.cell(row, 3).number_format = "0.00"
    # Rows that look empty in Excel: a space, a full-width space and a tab left in cells (a probe's one stray space
    # below the table gave 48 errors on a row nobody could see).
    sheet.cell(FIRST_DATA_ROW + 2, 2, " ")
    sheet.cell(total_row + 3, 2, "\u3000")
    sheet.cell(total_row + 3, 9, "\t ")
    workbook.save(path)
    parsed = parse_form_sheet(path, FORM)
    assert parsed.failures == []
    assert parsed.rows["excel_row"].to_list() == [3, 6, 7]


def test_header_is_found_below_extra_note_rows_with_loose_labels(tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 2)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[FORM.sheet_name]
    sheet.insert_rows(1, 3)
    sheet.cell(2, 1, "说明：本表由某某市汇总")
    header = HEADER_ROW + 3
    for cell in sheet[header]:
        if cell.value:
            cell.value = f" {cell.value.replace('（', '(').replace('）', ')')} "
    workbook.save(path)
    parsed = parse_form_sheet(path, FORM)
    assert parsed.header_row == header
    assert parsed.rows["excel_row"].to_list() == [header + 1, header + 2]
    assert parsed.failures == []


def test_unreadable_cells_become_located_failures(tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 3, {1: {"photos": "约100张", "e_gb": "12GB"}, 2: {"av_reels": "1.5"}})
    parsed = parse_form_sheet(path, FORM)
    located = {(f.row, f.field, f.rule, f.value) for f in parsed.failures}
    assert located == {
        (4, "photos", "photos_integer", "约100张"),
        (4, "e_gb", "e_gb_number", "12GB"),
        (5, "av_reels", "av_reels_integer", "1.5"),
    }
    assert parsed.rows.filter(pl.col("excel_row") == 4)["photos"].to_list() == [None]


def test_a_word_for_none_in_a_number_cell_is_told_to_be_0(tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 3, {0: {"vol_30y": "无"}, 1: {"photos": "—"}, 2: {"av_reels": "约5盘"}})
    messages = {f.field: f.message for f in parse_form_sheet(path, FORM).failures}
    assert messages["vol_30y"].endswith("不能含小数、文字或单位。没有的请填 0。")
    assert messages["photos"].endswith("没有的请填 0。")
    assert "请填 0" not in messages["av_reels"]


def test_a_number_written_with_wan_or_a_unit_is_told_what_to_write(tmp_path):
    # A probe's 「0.3万」 was told only 须为整数…不能含小数、文字或单位: what it stands for can be said.
    cells = {0: {"vol_30y": "0.3万"}, 1: {"photos": "1.23456万", "e_gb": "12GB"}, 2: {"av_reels": "3000 盘"}}
    messages = {
        f.field: f.message for f in parse_form_sheet(census_workbook(tmp_path / "c.xlsx", 3, cells), FORM).failures
    }
    assert messages["vol_30y"].endswith("「0.3万」即 3000：请只填写数字 3000（单位已在表头中，不用填写）。")
    assert messages["photos"].endswith(
        "「1.23456万」即 12345.6，不是整数：请填写准确的整数（只填数字，单位已在表头中）。"
    )
    assert messages["e_gb"].endswith("「12GB」即 12：请只填写数字 12（单位已在表头中，不用填写）。")
    assert "「3000 盘」即 3000" in messages["av_reels"]


def test_a_cell_over_excels_limit_is_a_located_failure(tmp_path):
    path = long_cell(tmp_path / "c.xlsx", "B4", 1_000_000)
    parsed = parse_form_sheet(path, FORM)
    (failure,) = parsed.failures
    assert (failure.row, failure.field, failure.rule) == (4, "unit_name", "cell_too_long")
    assert len(failure.value) < 300


@pytest.mark.parametrize(("length", "failed"), [(32_767, False), (32_768, True)])
def test_excels_limit_itself_is_allowed(tmp_path, length, failed):
    parsed = parse_form_sheet(long_cell(tmp_path / "c.xlsx", "B4", length), FORM)
    assert [f.rule for f in parsed.failures] == (["cell_too_long"] if failed else [])


def test_missing_required_column_is_unusable_and_names_it(tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 2)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[FORM.sheet_name]
    column = next(c.column for c in sheet[HEADER_ROW] if c.value == FORM.field("vol_total").label)
    sheet.delete_cols(column)
    workbook.save(path)
    with pytest.raises(WorkbookUnusable, match="以卷为保管单位档案（卷）"):
        parse_form_sheet(path, FORM)


def test_a_column_given_twice_is_unusable_and_names_both(tmp_path):
    # A copied column holding other figures: neither is taken silently.
    path = census_workbook(tmp_path / "c.xlsx", 2)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[FORM.sheet_name]
    label = FORM.field("staff_fulltime").label
    column = next(c.column for c in sheet[HEADER_ROW] if c.value == label)
    extra = sheet.max_column + 1
    sheet.cell(HEADER_ROW, extra, label)
    sheet.cell(FIRST_DATA_ROW, extra, 99)
    workbook.save(path)
    with pytest.raises(WorkbookUnusable) as refused:
        parse_form_sheet(path, FORM)
    letters = f"{get_column_letter(column)}、{get_column_letter(extra)}"
    assert f"「{label}」出现了 2 次（第 {letters} 列）" in refused.value.describe()
    assert refused.value.row == HEADER_ROW


def test_a_filled_column_the_form_does_not_have_is_named_not_dropped_silently(tmp_path):
    # 备注 retitled 「备注说明」 by mistake, a helper column of the uploader's own, and a labelled column left empty.
    path = census_workbook(tmp_path / "c.xlsx", 3)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[FORM.sheet_name]
    remarks = next(c for c in sheet[HEADER_ROW] if c.value == FORM.field("remarks").label)
    remarks.value = "备注说明"
    sheet.cell(FIRST_DATA_ROW, remarks.column, "档案已移交")
    helper, empty = sheet.max_column + 1, sheet.max_column + 2
    sheet.cell(HEADER_ROW, helper, "联系人邮箱")
    for row in (FIRST_DATA_ROW, FIRST_DATA_ROW + 2):
        sheet.cell(row, helper, "a@example.cn")
    sheet.cell(HEADER_ROW, empty, "核对人")
    workbook.save(path)
    parsed = parse_form_sheet(path, FORM)
    warned = {f.label: f for f in parsed.failures if f.rule == "column_not_in_form"}
    assert set(warned) == {"备注说明", "联系人邮箱"}
    assert all(f.severity == "warning" and f.row == HEADER_ROW and f.field is None for f in warned.values())
    letter = get_column_letter(remarks.column)
    assert warned["备注说明"].message.startswith(f"第 {letter} 列有 1 个填写的单元格")
    assert "请把列名改为「备注」" in warned["备注说明"].message
    assert "有 2 个填写的单元格" in warned["联系人邮箱"].message and "辅助列" in warned["联系人邮箱"].message
    assert "改为「" not in warned["联系人邮箱"].message
    assert parsed.rows["remarks"].null_count() == parsed.rows.height  # not read: hence the warning


def test_a_label_as_close_to_two_missing_labels_suggests_neither():
    assert _closest_label("合议", ["合议分", "合议说明"]) is None
    assert _closest_label("合议说明栏", ["合议分", "合议说明"]) == "合议说明"
    assert _closest_label("联系人邮箱", ["备注"]) is None


def test_label_normalisation():
    assert normalize_label(" 专职档案人员 (人)\n") == "专职档案人员（人）"


# The census form's first required column counted in 人: the one the tests of a renamed header rename.
PEOPLE_FIELD = next(f for f in CENSUS_FORM.fields if f.required and f.label.endswith("（人）"))


def refused_with_header_renamed(tmp_path, label: str) -> tuple[str, str]:
    """What parsing says of a census return whose PEOPLE_FIELD header reads `label`, and that column's letter."""
    path = census_workbook(tmp_path / "c.xlsx", 1)
    workbook = openpyxl.load_workbook(path)
    column = CENSUS_FORM.field_names.index(PEOPLE_FIELD.name) + 1
    assert workbook[CENSUS_FORM.sheet_name].cell(HEADER_ROW, column).value == PEOPLE_FIELD.label
    workbook[CENSUS_FORM.sheet_name].cell(HEADER_ROW, column).value = label
    workbook.save(path)
    with pytest.raises(WorkbookUnusable) as refused:
        parse_form_sheet(path, CENSUS_FORM)
    return refused.value.describe(), get_column_letter(column)


def test_a_renamed_required_header_is_pointed_out_by_its_column(tmp_path):
    # 「专职档案人员」 for 「专职档案人员（人）」: the file was refused with 表头缺少 1 列, the renamed column unnamed.
    field = PEOPLE_FIELD
    said, letter = refused_with_header_renamed(tmp_path, field.label.removesuffix("（人）"))
    assert (
        f"表头缺少 1 列：{field.label}（其中第 {letter} 列的「{field.label.removesuffix('（人）')}」应为「{field.label}」）"
        in said
    )
    assert "请把改动过的列名改回模板的原样" in said


def test_a_total_row_heading_the_table_is_not_read(tmp_path):
    # 合计 at the top, as statistical tables often put it: ten errors, one of them its 统一社会信用代码.
    path = census_workbook(tmp_path / "c.xlsx", 2)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[FORM.sheet_name]
    sheet.insert_rows(FIRST_DATA_ROW, 1)
    sheet.cell(FIRST_DATA_ROW, 1, "合 计：")
    sheet.cell(FIRST_DATA_ROW, 11, 9999)
    workbook.save(path)
    parsed = parse_form_sheet(path, FORM)
    assert parsed.failures == []
    assert parsed.rows["excel_row"].to_list() == [FIRST_DATA_ROW + 1, FIRST_DATA_ROW + 2]


def test_a_header_renamed_past_recognition_is_named_among_the_labels_the_form_does_not_have(tmp_path):
    # A probe's 「专职人员数」 for 「专职档案人员（人）」 was refused naming only the missing column, not the one it had typed.
    said, letter = refused_with_header_renamed(tmp_path, "专职人员数")
    assert (
        f"表头缺少 1 列：{PEOPLE_FIELD.label}；表头中另有本表没有的列：第 {letter} 列「专职人员数」，如是改了名" in said
    )
    assert "请把改动过的列名改回模板的原样" in said
