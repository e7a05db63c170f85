"""A return filled in and saved by a spreadsheet program, not written by openpyxl: LibreOffice Calc re-writes every
part (shared strings, its own styles, the hidden sheet), and the return must read, judge and be marked the same."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from census_schema.census_form import CENSUS_FORM
from flows.ingest import IngestRequest, ingest_workbook
from flows.report import ERROR_COLOR, WARNING_COLOR
from tests.census_schema.test_template_render import libreoffice_convert, require_tools
from tests.flows.workbooks import PROVINCE, census_workbook

pytestmark = pytest.mark.slow


def test_a_return_saved_by_libreoffice_is_accepted_and_a_bad_one_comes_back_marked(store, settings, tmp_path):
    require_tools()
    saved = tmp_path / "saved"
    saved.mkdir()
    good = libreoffice_convert(census_workbook(tmp_path / "good.xlsx", 4), saved, "xlsx:Calc MS Excel 2007 XML")
    bad_source = census_workbook(tmp_path / "bad.xlsx", 4, {1: {"vol_total": -5}, 3: {"contact_phone": "12345"}})
    bad = libreoffice_convert(bad_source, saved, "xlsx:Calc MS Excel 2007 XML")
    for workbook in (good, bad):  # written by LibreOffice itself, not the files openpyxl wrote
        with zipfile.ZipFile(workbook) as archive:
            assert b"<Application>LibreOffice" in archive.read("docProps/app.xml")

    report = tmp_path / "bad-report.xlsx"
    outcome = ingest_workbook(store, IngestRequest(bad, "census", PROVINCE, "张三", report_path=report), settings)
    assert outcome.status == "rejected"
    located = {(f.sheet, f.row, f.field, f.rule) for f in outcome.failures}
    assert ("普查表", 4, "vol_total", "vol_total_range") in located
    assert ("普查表", 6, "contact_phone", "contact_phone_format") in located
    marked = openpyxl.load_workbook(report)["普查表"]
    assert marked["K4"].comment is not None and "超出取值范围" in marked["K4"].comment.text
    assert marked["K4"].value == -5  # the uploader's own value, kept

    accepted = ingest_workbook(store, IngestRequest(good, "census", PROVINCE, "张三"), settings)
    assert (accepted.status, accepted.rows, accepted.errors) == ("accepted", 4, 0)


def test_a_marked_workbook_fixed_and_saved_by_libreoffice_comes_back_without_the_old_marks(store, settings, tmp_path):
    # A probe fixed its marked workbook in LibreOffice, which writes every comment's author as a blank and copies the
    # formats in its own order: the next report kept the old marks as the clerk's own comments (errors 错误清单 no
    # longer had), and a fixed error's cell came back filled as a warning.
    require_tools()
    saved = tmp_path / "saved"
    saved.mkdir()
    edits = {1: {"vol_total": -5}, 2: {"contact_phone": "12345"}, 3: {"staff_fulltime": 0, "staff_parttime": 0}}
    first = tmp_path / "first-report.xlsx"
    source = census_workbook(tmp_path / "first.xlsx", 6, edits)
    outcome = ingest_workbook(store, IngestRequest(source, "census", PROVINCE, "张三", report_path=first), settings)
    assert outcome.status == "rejected"
    volumes, phone, name = (cell_of(field) for field in ("vol_total", "contact_phone", "unit_name"))
    marked = openpyxl.load_workbook(first)
    sheet = marked["普查表"]
    assert sheet[f"{volumes}4"].fill.fgColor.rgb == ERROR_COLOR and sheet[f"{phone}5"].comment is not None
    # The clerk fixes the two errors in the marked workbook and adds a note of their own, saves it in LibreOffice,
    # then mistypes another row in a second program.
    sheet[f"{volumes}4"].value = sheet[f"{volumes}3"].value
    sheet[f"{phone}5"].value = sheet[f"{phone}3"].value
    sheet[f"{name}7"].comment = Comment("名称待核", "王五")
    marked.save(tmp_path / "fixed.xlsx")
    fixed = openpyxl.load_workbook(libreoffice_convert(tmp_path / "fixed.xlsx", saved, "xlsx:Calc MS Excel 2007 XML"))
    fixed["普查表"][f"{volumes}8"].value = -7
    fixed.save(tmp_path / "fixed-again.xlsx")

    second = tmp_path / "second-report.xlsx"
    request = IngestRequest(tmp_path / "fixed-again.xlsx", "census", PROVINCE, "张三", report_path=second, dry_run=True)
    again = ingest_workbook(store, request, settings)
    assert {(f.row, f.severity.value) for f in again.failures if f.field == "vol_total"} == {(8, "error")}
    sheet = openpyxl.load_workbook(second)["普查表"]
    for ref in (f"{volumes}4", f"{phone}5"):
        assert sheet[ref].comment is None, (ref, sheet[ref].comment.text)
        assert sheet[ref].fill.fgColor.rgb not in (ERROR_COLOR, WARNING_COLOR), ref
    assert sheet[f"{volumes}8"].fill.fgColor.rgb == ERROR_COLOR
    assert sheet[f"{name}7"].comment is not None and sheet[f"{name}7"].comment.text == "名称待核"


def cell_of(field: str) -> str:
    """The column letter of a census form field in the template."""
    return get_column_letter([f.name for f in CENSUS_FORM.fields].index(field) + 1)
