"""The census workbook's supplementary sheets end to end: the red-archive inventory and the foot are parsed,
validated against the main sheet, reported on their own sheet when wrong, and loaded with the return."""

from __future__ import annotations

import openpyxl
import pytest

from census_schema.census_form import CENSUS_FORM, CENSUS_WORKBOOK
from census_schema.errors import WorkbookUnusable
from flows.ingest import IngestRequest, ingest_workbook
from flows.parse import parse_workbook
from flows.report import ERROR_COLOR
from flows.worker import ReaderWorker
from synthetic.holders import RED_BASE, SIGN_OFF_BASE
from tests.flows.workbooks import PROVINCE, holder_rows, register_workbook, write_rows
from warehouse.backends import EmbeddedWarehouse
from warehouse.queries import query_summary


@pytest.fixture
def store(settings, tmp_path):
    store = EmbeddedWarehouse(settings.db_path)
    request = IngestRequest(register_workbook(tmp_path / "reg.xlsx", 3), "register", PROVINCE, "省档案局")
    assert ingest_workbook(store, request, settings).status == "accepted"
    return store


def ingest(store, settings, path):
    return ingest_workbook(store, IngestRequest(path, "census", PROVINCE, "张三"), settings)


def test_a_return_with_its_red_archives_and_foot_is_loaded_with_them(store, settings, tmp_path):
    holders = holder_rows(CENSUS_FORM, 3)
    outcome = ingest(store, settings, write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holders))
    assert (outcome.status, outcome.rows, outcome.errors, outcome.warnings) == ("accepted", 3, 0, 0)
    with store.reader() as con:
        red = query_summary(con)["red_archive_resources"]
        foot = con.execute("SELECT preparer, reported_on, sheet_name FROM raw_census_sign_off_rows").fetchall()
    assert (red["holders"], red["red_total"], red["red_digitized"]) == (3, 240, 120)
    assert foot == [(SIGN_OFF_BASE["preparer"], SIGN_OFF_BASE["reported_on"], "表尾")]


def test_red_archives_beyond_the_holding_are_located_on_their_sheet_and_nothing_is_loaded(store, settings, tmp_path):
    holders = holder_rows(CENSUS_FORM, 2)
    red = [{**RED_BASE, "uscc": h["uscc"], "unit_name": h["unit_name"]} for h in holders]
    red[1] |= {"red_vol": 1001, "red_intact": 1031}  # the holder keeps 1,000 卷
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holders, red=red)
    report = tmp_path / "report.xlsx"
    outcome = ingest_workbook(store, IngestRequest(path, "census", PROVINCE, "张三", report_path=report), settings)
    assert outcome.status == "rejected"
    assert [(f.sheet, f.row, f.field, f.rule) for f in outcome.failures] == [
        ("红色档案资源摸底", 4, "red_vol", "red_vol_le_holdings")
    ]
    marked = openpyxl.load_workbook(report)["红色档案资源摸底"]
    column = next(c.column for c in marked[2] if c.value == "红色档案（卷）")
    assert marked.cell(4, column).fill.fgColor.rgb.endswith(ERROR_COLOR)
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM raw_red_archives_rows").fetchone() == (0,)


def test_a_return_without_its_foot_is_rejected_and_says_so(store, settings, tmp_path):
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 2), sign_off=[])
    outcome = ingest(store, settings, path)
    assert outcome.status == "rejected"
    ((sheet, row, rule, message),) = [(f.sheet, f.row, f.rule, f.message) for f in outcome.failures]
    # Placed on the row to fill, so that the returned workbook marks it there and 错误清单 names the row.
    assert (sheet, row, rule) == ("表尾", 3, "sign_off_one_row") and "报出日期" in message
    marked = openpyxl.load_workbook(outcome.report)["表尾"]["A3"]
    assert marked.comment is not None and "报出日期" in marked.comment.text


def test_an_empty_red_archive_sheet_is_fine_without_revolutionary_archives(store, settings, tmp_path):
    holders = holder_rows(CENSUS_FORM, 2, {0: {"red_archives": 0}, 1: {"red_archives": 0}})
    outcome = ingest(store, settings, write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holders, red=[]))
    assert (outcome.status, outcome.warnings) == ("accepted", 0)


def without_sheets(path, *names):
    """The workbook with these sheets deleted, as a province deletes one in Excel."""
    workbook = openpyxl.load_workbook(path)
    for name in names:
        del workbook[name]
    workbook.save(path)
    return path


def test_a_return_whose_empty_red_archive_sheet_was_deleted_is_read_as_having_none(store, settings, tmp_path):
    # A province without red archives deleted the sheet instead of leaving it empty: the file was refused, with a
    # hint about renaming sheets. It is read as an empty sheet, and the province is told the sheet is missing.
    holders = holder_rows(CENSUS_FORM, 2, {i: {"red_archives": 0} for i in range(2)})
    path = without_sheets(write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holders, red=[]), "红色档案资源摸底")
    outcome = ingest(store, settings, path)
    assert (outcome.status, outcome.rows, outcome.errors) == ("accepted", 2, 0), outcome.failures
    [absent] = [f for f in outcome.failures if f.rule == "sheet_absent"]
    assert (absent.sheet, absent.row, absent.severity) == ("红色档案资源摸底", None, "warning")
    assert "按空表处理" in absent.message


def test_a_deleted_red_archive_sheet_still_owes_the_holders_that_have_red_archives(store, settings, tmp_path):
    holders = holder_rows(CENSUS_FORM, 2, {0: {"contact_phone": "12345"}})  # both hold revolutionary archives
    path = without_sheets(write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holders), "红色档案资源摸底")
    report = tmp_path / "report.xlsx"
    outcome = ingest_workbook(store, IngestRequest(path, "census", PROVINCE, "张三", report_path=report), settings)
    assert outcome.status == "rejected"
    owed = {(f.sheet, f.row) for f in outcome.failures if f.rule == "red_sheet_row_for_revolutionary"}
    assert owed == {("普查表", 3), ("普查表", 4)}
    workbook = openpyxl.load_workbook(report)
    assert "红色档案资源摸底" not in workbook.sheetnames
    listed = [(row[0], row[5]) for row in workbook["错误清单"].iter_rows(min_row=2, values_only=True)]
    assert ("红色档案资源摸底", "工作表缺失") in listed


def test_a_return_whose_red_archive_sheet_was_deleted_while_holders_report_red_archives_is_rejected(
    store, settings, tmp_path
):
    # Accepted with warnings only (128 rows owed among them): the province's red-archive inventory, 144 rows in the
    # return it replaced, was emptied unasked.
    assert ingest(
        store, settings, write_rows(tmp_path / "a.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 3))
    ).status == ("accepted")
    path = without_sheets(write_rows(tmp_path / "b.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 3)), "红色档案资源摸底")
    outcome = ingest(store, settings, path)
    assert outcome.status == "rejected"
    [absent] = [f for f in outcome.failures if f.rule == "sheet_absent"]
    assert (absent.sheet, absent.row, absent.severity) == ("红色档案资源摸底", None, "error")
    assert "「普查表」中有 3 个单位填报了「其中：革命历史档案（卷件）」" in absent.message, absent.message
    assert "所替换报表中的这部分内容会一并清空" in absent.message
    with store.reader() as con:
        (red_rows,) = con.execute("SELECT count(*) FROM mart_red_archives").fetchone()
    assert red_rows == 3  # the current return's inventory stays


def test_rows_pasted_onto_a_new_sheet_are_named_not_read_as_an_empty_return(store, settings, tmp_path):
    # Its 普查表 empty, the rows on Sheet1 under the same header: read as an empty return, the province was offered to
    # confirm dropping every holder, with no word of Sheet1.
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 3), red=[])
    workbook = openpyxl.load_workbook(path)
    main, pasted = workbook["普查表"], workbook.create_sheet("Sheet1")
    for row in main.iter_rows(min_row=2, values_only=True):
        pasted.append(row)
    main.delete_rows(3, main.max_row)
    workbook.save(path)
    with pytest.raises(WorkbookUnusable) as refused:
        ingest(store, settings, path)
    said = refused.value.describe()
    assert "「普查表」中没有数据行，而工作表「Sheet1」在与之相同的表头下有 3 行" in said, said
    assert "请把这些行复制到「普查表」的表头下方" in said
    # Read in the bounded reader process, as the web's uploads are, the same.
    with ReaderWorker.from_settings(settings) as worker, pytest.raises(WorkbookUnusable, match="「Sheet1」在与之相同"):
        parse_workbook(path, CENSUS_WORKBOOK, worker=worker)  # where an empty 普查表 is refused as such, too


def test_a_missing_sheet_beside_a_sheet_the_template_lacks_is_refused_as_renamed(store, settings, tmp_path):
    # 红色档案 may be the inventory renamed: reading the inventory as empty would drop its rows without a word.
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 2))
    workbook = openpyxl.load_workbook(path)
    workbook["红色档案资源摸底"].title = "红色档案"
    workbook.save(path)
    with pytest.raises(WorkbookUnusable) as refused:
        ingest(store, settings, path)
    said = refused.value.describe()
    assert "没有名为「红色档案资源摸底」的工作表" in said and "改回「红色档案资源摸底」" in said


def test_a_return_whose_foot_sheet_was_deleted_is_refused_naming_it(store, settings, tmp_path):
    # The foot must be filled: its absence was read as an empty sheet, with a warning that one might ignore it beside
    # an error located on a row of a sheet the workbook did not have.
    path = without_sheets(write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 2)), "表尾")
    with pytest.raises(WorkbookUnusable) as refused:
        ingest(store, settings, path)
    said = refused.value.describe()
    assert "没有名为「表尾」的工作表" in said and "重新下载模板" in said and "按空表处理" not in said


def test_a_hidden_data_sheet_is_refused_rather_than_loaded_unseen(store, settings, tmp_path):
    # A clerk copies 普查表, edits the copy and hides the original: the hidden, old figures were loaded without a word.
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 2))
    workbook = openpyxl.load_workbook(path)
    workbook.copy_worksheet(workbook["普查表"]).title = "普查表 (2)"
    workbook["普查表"].sheet_state = "hidden"
    workbook.save(path)
    with pytest.raises(WorkbookUnusable) as refused:
        ingest(store, settings, path)
    said = refused.value.describe()
    assert "工作表「普查表」被隐藏了" in said and "取消隐藏" in said and "改名为「普查表」" in said
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM raw_census_rows").fetchone() == (0,)


@pytest.mark.parametrize("total", ["合计", "合 计：", "总　计"])
def test_a_total_row_followed_by_notes_below_the_table_is_not_read(store, settings, tmp_path, total):
    # The template says the 合计 row is ignored; with a note under it (注：…), it was read as a holder: 47 errors.
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 2))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["普查表"]
    last = sheet.max_row
    sheet.cell(last + 1, 1, total)
    sheet.cell(last + 1, 8, 2000)
    sheet.cell(last + 3, 1, "注：本表由档案科汇总。")
    sheet.cell(last + 4, 1, "说明 1：数量单位为卷（件）。")
    workbook.save(path)
    outcome = ingest(store, settings, path)
    assert (outcome.status, outcome.rows, outcome.errors, outcome.warnings) == ("accepted", 2, 0, 0), outcome.failures


def test_a_note_with_a_number_beside_it_is_still_a_stray_entry(store, settings, tmp_path):
    # Only a lone note is let go: a row with a note and a figure is a row someone filled, and is reported.
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 2))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["普查表"]
    sheet.cell(sheet.max_row + 1, 1, "注：另有")
    sheet.cell(sheet.max_row, 8, 35)
    workbook.save(path)
    outcome = ingest(store, settings, path)
    assert outcome.status == "rejected"
    assert [f.rule for f in outcome.failures] == ["row_nearly_empty"]


def test_an_empty_red_archive_sheet_hidden_rather_than_deleted_loads_nothing_unseen_and_passes(
    store, settings, tmp_path
):
    holders = holder_rows(CENSUS_FORM, 2, {i: {"red_archives": 0} for i in range(2)})
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holders, red=[])
    workbook = openpyxl.load_workbook(path)
    workbook["红色档案资源摸底"].sheet_state = "hidden"
    workbook.save(path)
    outcome = ingest(store, settings, path)
    assert (outcome.status, outcome.rows, outcome.errors) == ("accepted", 2, 0), outcome.failures
