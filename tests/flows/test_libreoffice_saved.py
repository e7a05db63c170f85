"""A return filled in and saved by a spreadsheet program, not written by openpyxl: LibreOffice Calc re-writes every
part (shared strings, its own styles, the hidden sheet), and the return must read, judge and be marked the same."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from flows.ingest import IngestRequest, ingest_workbook
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
