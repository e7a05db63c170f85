"""Column sizing of the grids drawn with fit_width (dash_app.grid): from what a column can hold, not from its rows."""

from __future__ import annotations

import io
import math

import dash_ag_grid as dag
import openpyxl
import pytest

from census_schema.supervision.codes import FINDING_ACTION, FINDING_STATUS
from dash_app.grid import (
    EXPORT_HEADER_ROW,
    FITTED_PADDING_PX,
    GRID_FONT_PX,
    HEADER_ICONS_PX,
    NO_ROWS_EXPORTED,
    TEXT_MAX_PX,
    Column,
    ExportHeading,
    build_export_workbook,
    grid_block,
    text_width,
)
from dash_app.pages.evaluation import ITEM_COLUMNS
from dash_app.pages.inspections import FINDING_COLUMNS, HISTORY_COLUMNS
from dash_app.pages.quality import ERROR_COLUMNS, WARNING_COLUMNS

# The history grid's width in a 1,400-pixel window (the page's margins and the grid's borders taken off).
HISTORY_GRID_PX = 1348


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("", 0),
        ("已提交整改报告", 98),  # one em (14 px) a CJK character
        ("（）", 28),  # full-width punctuation too
        ("guangdong", 82),  # 0.65 em the others
        ("0000年00月00日", 115),
    ],
)
def test_text_width_allows_one_em_a_cjk_character_and_0_65_em_the_others(text, width):
    assert text_width(text) == width


def test_a_fitted_column_holds_the_longest_value_of_its_code_list_and_its_header():
    action = Column("action", "操作", fits=FINDING_ACTION.values)
    longest = max(FINDING_ACTION.values, key=len)
    assert action.definition(fitted=True)["width"] == text_width(longest) + 2 * FITTED_PADDING_PX
    seq = Column("seq", "序号", "int", fits=("999",))
    assert seq.definition(fitted=True)["width"] == seq.header_width() > text_width("999")
    # Outside a fitted grid, columns keep their sizing to content.
    assert "width" not in action.definition()


def test_a_fitted_column_that_neither_wraps_nor_knows_its_widest_value_is_refused():
    with pytest.raises(ValueError, match="unit_name"):
        grid_block("g", [Column("unit_name", "单位")], fit_width=True)


def test_the_history_grid_fits_a_1400_pixel_window_with_every_state_and_action_whole():
    definitions = {c.field: c.definition(fitted=True) for c in HISTORY_COLUMNS}
    for field in ("action", "from_status", "to_status"):
        values = FINDING_ACTION.values if field == "action" else FINDING_STATUS.values
        assert definitions[field]["minWidth"] >= max(map(text_width, values)) + 2 * FITTED_PADDING_PX
    assert sum(d["minWidth"] for d in definitions.values()) <= HISTORY_GRID_PX
    # What is not a closed list wraps, in the width left.
    assert {f for f, d in definitions.items() if d.get("wrapText")} == {
        "changer",
        "note",
        "measures",
        "evidence_link",
    }


def test_a_fitted_header_may_wrap_before_its_brackets():
    # 逾期 / （天）: the unit on a line of its own; 被检查 / （评价）单位.
    assert (
        Column("overdue_days", "逾期", "int", "天").header_width()
        == text_width("（天）") + 2 * FITTED_PADDING_PX + HEADER_ICONS_PX
    )
    assert (
        Column("unit_name", "被检查（评价）单位").header_width()
        == text_width("（评价）单位") + 2 * FITTED_PADDING_PX + HEADER_ICONS_PX
    )
    assert Column("status", "状态").header_width() == text_width("状态") + 2 * FITTED_PADDING_PX + HEADER_ICONS_PX
    # Headers wrap only in a fitted grid.
    options = grid_block("g", [Column("status", "状态", fits=("已销号",))], fit_width=True).children[2].children
    assert options.defaultColDef["wrapHeaderText"] and options.defaultColDef["autoHeaderHeight"]
    assert "wrapHeaderText" not in grid_block("g", [Column("status", "状态")]).children[2].children.defaultColDef


def test_a_fitted_column_of_two_lines_holds_half_its_longest_value_and_a_character():
    status = Column("status", "状态", fits=FINDING_STATUS.values, lines=2)
    longest = max(map(text_width, FINDING_STATUS.values))  # 已提交整改报告
    spec = status.definition(fitted=True)
    assert (
        spec["width"]
        == spec["minWidth"]
        == max(math.ceil(longest / 2) + GRID_FONT_PX + 2 * FITTED_PADDING_PX, status.header_width())
    )
    assert spec["width"] < Column("status", "状态", fits=FINDING_STATUS.values).fitted_width()
    assert spec["wrapText"] and spec["autoHeight"] and spec["cellClass"] == "wrap-cell"
    assert "flex" not in spec  # as wide as it needs, the wrapping free text takes what is left


@pytest.mark.parametrize(
    ("columns", "wrapping"),
    [
        (FINDING_COLUMNS, {"finding_id", "unit_name", "description"}),
        (ERROR_COLUMNS, {"file_name", "label", "value", "message"}),
        (WARNING_COLUMNS, {"unit_name", "message", "label", "value", "file_name", "uscc"}),
        (ITEM_COLUMNS, {"item_text", "reconciliation_note"}),
    ],
)
def test_the_fitted_grids_fit_a_1400_pixel_window(columns, wrapping):
    definitions = {c.field: c.definition(fitted=True) for c in columns}
    assert sum(d["minWidth"] for d in definitions.values()) <= HISTORY_GRID_PX
    assert {f for f, d in definitions.items() if d.get("flex")} == wrapping


def test_the_findings_codes_are_as_wide_as_their_code_lists():
    definitions = {c.field: c.definition(fitted=True) for c in FINDING_COLUMNS}
    assert definitions["severity"]["minWidth"] >= text_width("重大安全隐患") + 2 * FITTED_PADDING_PX
    # 新疆维吾尔自治区 and 新疆生产建设兵团 over two lines.
    assert definitions["province_name"]["minWidth"] >= text_width("新疆维吾尔") + 2 * FITTED_PADDING_PX
    assert definitions["overdue_days"]["minWidth"] >= text_width("9,999") + 2 * FITTED_PADDING_PX
    # The description, what a planner reads, has the most room of the wrapping columns.
    assert max(definitions, key=lambda f: definitions[f].get("flex", 0)) == "description"


def test_an_exported_number_column_writes_whole_numbers_without_a_stray_point():
    # "#,##0.##" shows 150 as "150." in Excel: a whole number takes the integers' format, a fraction keeps its own.
    columns = [Column("value", "实际值", "number"), Column("target", "目标值", "decimal", decimals=1)]
    rows = [{"value": 150.0, "target": 150.0}, {"value": 62.14, "target": 62.1}, {"value": 3, "target": None}]
    sheet = openpyxl.load_workbook(io.BytesIO(build_export_workbook(columns, rows))).active
    formats = [[sheet.cell(EXPORT_HEADER_ROW + r, c).number_format for c in (1, 2)] for r in (1, 2, 3)]
    assert formats == [["#,##0", "#,##0.0"], ["#,##0.##", "#,##0.0"], ["#,##0", "General"]]


def test_an_export_with_no_rows_says_so_under_its_header():
    # An empty export read as a file that had lost its rows.
    sheet = openpyxl.load_workbook(io.BytesIO(build_export_workbook([Column("value", "实际值", "number")], []))).active
    assert sheet.cell(EXPORT_HEADER_ROW + 1, 1).value == NO_ROWS_EXPORTED and sheet.max_row == EXPORT_HEADER_ROW + 1


def test_an_exported_column_is_as_wide_as_its_widest_value_up_to_a_limit():
    # Unit names and submission numbers were cut at 10 units in the lineage export.
    columns = [Column("unit_name", "单位名称"), Column("submission_id", "提交编号", "code"), Column("n", "行号", "int")]
    rows = [
        {"unit_name": "广州市天河区市场监督管理局", "submission_id": "S2024-440000-20261203T035221Z-a119f9", "n": 3}
    ]
    rows.append({"unit_name": "很长" * 30, "submission_id": None, "n": 4})
    sheet = openpyxl.load_workbook(io.BytesIO(build_export_workbook(columns, rows))).active
    assert [sheet.column_dimensions[letter].width for letter in "ABC"] == [40, 38, 10]


def test_a_text_column_sized_to_its_contents_stops_at_a_width_and_shows_the_whole_text_on_hover():
    # A probe's unit name of 100 characters (the form's limit) widened its column over the whole lineage grid and
    # pushed the figures, file and row out of view.
    name = Column("unit_name", "单位名称").definition()
    assert (name["maxWidth"], name["tooltipField"]) == (TEXT_MAX_PX, "unit_name")
    assert Column("province_name", "省份", tooltip="province_code").definition()["tooltipField"] == "province_code"
    assert "maxWidth" not in Column("vol_total", "卷", "int").definition()  # figures are never cut
    assert "maxWidth" not in Column("note", "说明", wrap=True).definition()  # wrapped text takes the width left


def test_a_row_number_is_written_without_thousands_separators_and_never_summed():
    # A probe's exports wrote 行号 as #,##0 (12,345): a row of a sheet is read as a label, not a quantity.
    row = Column("excel_row", "行号", "row")
    sheet = openpyxl.load_workbook(io.BytesIO(build_export_workbook([row], [{"excel_row": 12345}]))).active
    assert sheet.cell(EXPORT_HEADER_ROW + 1, 1).number_format == "0"
    definition = row.definition()
    assert "valueFormatter" not in definition and definition["type"] == "rightAligned"
    assert definition["filter"] == "agNumberColumnFilter"


def test_an_exported_share_with_nothing_to_divide_by_reads_as_the_grid_shows_it():
    # 覆盖率 where no holder is expected reads — in the grid; its export left the cell blank.
    share = Column("coverage_pct", "覆盖率", "pct", "%")
    rows = [{"coverage_pct": None}, {"coverage_pct": 96.5}, {"coverage_pct": 95.83}, {"coverage_pct": 88.88}]
    sheet = openpyxl.load_workbook(io.BytesIO(build_export_workbook([share], rows))).active
    # The share as its figures give it (95.83 / 100 was stored as 0.9582999999999999, seen in the formula bar).
    assert [sheet.cell(EXPORT_HEADER_ROW + r, 1).value for r in (1, 2, 3, 4)] == ["—", 0.965, 0.9583, 0.8888]
    # A real percentage: stored as 96.5 under a literal "%" it read 9650% once formatted as one, and summed wrong.
    assert sheet.cell(EXPORT_HEADER_ROW + 2, 1).number_format == "0.00%"


def test_an_export_prints_landscape_one_page_wide_with_its_header_on_every_page_and_page_numbers():
    # A probe printed exports portrait in strips, without a header after the first page, 说明 on one line, and the
    # heading cut at the last column (…导出时间：2026年).
    columns = [Column("code", "编号", "code"), Column("note", "说明", wrap=True)]
    rows = [{"code": "A1", "note": "很长的说明" * 30}, {"code": "A2", "note": "短"}]
    heading = ExportHeading("覆盖情况", "广东省", "2026年12月1日 08:00", "规划处", "2026年12月2日 09:30")
    sheet = openpyxl.load_workbook(io.BytesIO(build_export_workbook(columns, rows, heading))).active
    setup = sheet.page_setup
    assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${EXPORT_HEADER_ROW}:${EXPORT_HEADER_ROW}"
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    # Every page says whose rows and as of when (from page 2 on it said only the sheet's name).
    assert sheet.oddHeader.center.text == "覆盖情况（广东省）　数据截至：2026年12月1日 08:00　&A"
    note = sheet.cell(EXPORT_HEADER_ROW + 1, 2)
    assert note.alignment.wrap_text and not sheet.cell(EXPORT_HEADER_ROW + 1, 1).alignment.wrap_text
    assert sheet.row_dimensions[EXPORT_HEADER_ROW + 1].height > 3 * sheet.row_dimensions[EXPORT_HEADER_ROW + 2].height
    # The heading spans the table's columns and wraps inside them, so no part of it is left outside the page.
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:B1", "A2:B2"}
    assert sheet["A2"].alignment.wrap_text and sheet["A2"].value.endswith("（北京时间）")


def test_a_text_column_shows_its_values_as_sent_whatever_its_first_row_looks_like():
    # A probe: AG Grid took 填报值 for a date column from its first value (2026-12-01) and drew 县, 7.2万 and every
    # other value blank, on /upload, /submissions and /quality alike.
    from dash_app.failures import FAILURE_COLUMNS

    for columns in (FAILURE_COLUMNS, ERROR_COLUMNS, WARNING_COLUMNS):
        (value,) = [column for column in columns if column.field == "value"]
        assert value.definition()["cellDataType"] is False
    # People read the rule's title, never its id (a probe's hover over 问题 showed holdings_vs_annual_stats).
    for columns in (FAILURE_COLUMNS, ERROR_COLUMNS, WARNING_COLUMNS):
        (title,) = [column for column in columns if column.field == "rule_title"]
        assert title.definition().get("tooltipField") in (None, "rule_title"), title
    # The error list says which sheet a row is of: a 表尾 row 3 is not 普查表's row 3.
    assert [column.title for column in ERROR_COLUMNS][1:4] == ["文件", "工作表", "行号"]


def test_a_grid_says_it_is_loading_until_its_rows_come_not_that_there_are_none():
    # An empty list made AG Grid say 没有数据 (and 尚未上传该指标的分省目标。) while the page was still loading.
    block = grid_block("probe-grid", [("name", "名称")], empty="尚无数据。")
    (grid,) = [c for c in block._traverse() if isinstance(c, dag.AgGrid)]
    assert grid.rowData is None and grid.dashGridOptions["localeText"]["loadingOoo"] == "加载中……"
