"""The census workbook's supplementary sheets end to end: the red-archive inventory and the foot are parsed,
validated against the main sheet, reported on their own sheet when wrong, and loaded with the return."""

from __future__ import annotations

import openpyxl
import pytest

from census_schema.census_form import CENSUS_FORM
from census_schema.errors import WorkbookUnusable
from flows.ingest import IngestRequest, ingest_workbook
from flows.report import ERROR_COLOR
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
    assert ("红色档案资源摸底", "工作表缺失（sheet_absent）") in listed


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
