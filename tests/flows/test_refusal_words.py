"""Refusals of an unusable workbook name what the user sees (sheets by their tab names, cells by their ranges) and say
it in Chinese: no zip part names, no library exception text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from census_schema.census_form import CENSUS_FORM
from cli.main import main
from tests.cli.test_light_commands import empty_warehouse
from tests.flows.hostile import DATA_SHEET, rewrite, seed, with_dimension
from tests.flows.workbooks import PROVINCE, census_workbook

# Words of the libraries' own messages that must not reach a user (zipfile, calamine, Python's exception names).
ENGLISH = re.compile(r"zip file|Calamine|Error\b|Exception|xl/worksheets", re.IGNORECASE)


def refusal(tmp_path: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    """The JSON error of `ingest census --json --dry-run` (exit 2), checked to be said on stderr too."""
    db = empty_warehouse(tmp_path / "w.duckdb")
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--db", db, "--json"]
    assert main([*argv, "--dry-run", "--orchestrator", "direct"]) == 2
    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert captured.err.strip() == error["text"]
    return error


def far_row(row: int):
    """A last row far down the sheet (the row check: the declared extent is left as written)."""

    def edit(xml: bytes) -> bytes:
        cell = f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
        return xml.replace(b"</sheetData>", cell + b"</sheetData>", 1)

    return edit


def renamed_sheet(old: str, new: str):
    def edit(xml: bytes) -> bytes:
        return xml.replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())

    return edit


def test_a_sheet_over_the_size_limits_is_named_by_its_tab_not_its_zip_part(tmp_path, capsys):
    declared = with_dimension("A1:AX1048576")

    def edit(xml: bytes) -> bytes:  # declared to its last row, and a cell in column ZZ (702, over 512)
        return declared(xml).replace(b"</row>", b'<c r="ZZ1" t="inlineStr"><is><t>x</t></is></c></row>', 1)

    path = rewrite(seed(tmp_path), tmp_path / "big.xlsx", {DATA_SHEET: edit})
    error = refusal(tmp_path, path, capsys)
    assert error["sheet"] == CENSUS_FORM.sheet_name
    assert "A1:AX1048576" in error["message"] and "第 702 列" in error["message"], error["message"]
    assert not ENGLISH.search(error["text"])


def test_a_sheet_declared_to_its_last_row_after_rows_were_deleted_in_libreoffice_is_read_by_its_cells(tmp_path, capsys):
    # LibreOffice, once a row is deleted, declares A1:AX1048576 and writes two empty rows there: the platform's own
    # template, a row deleted, was refused as over the size limits, and the advice (delete the extra rows) did it again.
    declared = with_dimension("A1:AX1048576")
    empty = "".join(f'<row r="{r}" customFormat="false" ht="12.8" hidden="false"></row>' for r in (1048575, 1048576))

    def edit(xml: bytes) -> bytes:
        return declared(xml).replace(b"</sheetData>", empty.encode() + b"</sheetData>", 1)

    path = rewrite(seed(tmp_path), tmp_path / "lo.xlsx", {DATA_SHEET: edit})
    db = empty_warehouse(tmp_path / "w.duckdb")
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--db", db, "--json", "--orchestrator", "direct"]
    assert main(argv) == 0, capsys.readouterr()
    done = json.loads(capsys.readouterr().out)
    assert (done["status"], done["rows"], done["errors"]) == ("accepted", 2, 0)


def test_a_sheet_with_too_many_rows_is_named_by_its_tab(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARCHIVE_CENSUS_MAX_UPLOAD_MB", "100")
    path = rewrite(seed(tmp_path), tmp_path / "far.xlsx", {DATA_SHEET: far_row(1_048_576)})
    error = refusal(tmp_path, path, capsys)
    assert error["sheet"] == CENSUS_FORM.sheet_name and "1048576" in error["message"]
    assert not ENGLISH.search(error["text"])


def test_a_truncated_workbook_is_refused_in_chinese(tmp_path, capsys):
    data = seed(tmp_path).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    error = refusal(tmp_path, path, capsys)
    assert "损坏" in error["message"] and not ENGLISH.search(error["text"]), error["text"]


def test_a_sheet_whose_xml_is_broken_is_refused_in_chinese(tmp_path, capsys):
    path = rewrite(seed(tmp_path), tmp_path / "bad.xlsx", {DATA_SHEET: lambda xml: xml[: xml.rfind(b"</row>") + 3]})
    error = refusal(tmp_path, path, capsys)
    assert "损坏" in error["message"] and not ENGLISH.search(error["text"]), error["text"]


def test_a_sheet_renamed_by_a_trailing_space_is_named_with_what_to_do(tmp_path, capsys):
    path = rewrite(
        seed(tmp_path), tmp_path / "space.xlsx", {"xl/workbook.xml": renamed_sheet(CENSUS_FORM.sheet_name, "普查表 ")}
    )
    error = refusal(tmp_path, path, capsys)
    assert "「普查表 」" in error["message"]  # the names found, quoted so the space shows
    assert "空格" in error["message"] and "普查表" in error["hint"]


def test_an_html_page_named_xlsx_is_called_a_web_page(tmp_path, capsys):
    path = tmp_path / "page.xlsx"
    path.write_text("<html><body><table><tr><td>统一社会信用代码</td></tr></table></body></html>", encoding="utf-8")
    assert "网页（HTML）文件" in refusal(tmp_path, path, capsys)["message"]


def test_a_cell_of_exactly_excels_limit_is_not_over_it(tmp_path, capsys):
    path = census_workbook(tmp_path / "c.xlsx", 2, {1: {"remarks": "注" * 32_767}})
    db = empty_warehouse(tmp_path / "w.duckdb")
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--db", db, "--json"]
    assert main([*argv, "--dry-run", "--orchestrator", "direct"]) == 1  # rejected, for 备注's own limit only
    failures = json.loads(capsys.readouterr().out)["failures"]
    assert not [f for f in failures if f["rule"] == "cell_too_long"]


def test_a_workbook_named_xls_is_told_to_take_its_own_extension_back(tmp_path, capsys):
    path = tmp_path / "广东.xls"
    path.write_bytes(seed(tmp_path).read_bytes())  # an .xlsx renamed: it was "可能已损坏"
    error = refusal(tmp_path, path, capsys)
    assert "文件内容是 Excel 工作簿（.xlsx），但文件名的扩展名是 .xls" in error["message"]
    assert error["hint"] == "请把文件名改为 广东.xlsx 后重新装载。"


def test_a_csv_file_is_called_by_its_own_extension(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("统一社会信用代码,单位名称\n", encoding="utf-8")
    error = refusal(tmp_path, path, capsys)
    assert "文本或 CSV 文件（扩展名为 .csv）" in error["message"] and "另存为" in error["hint"]


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF 文件"), (b"\x89PNG\r\n\x1a\n", "PNG 图片")],
)
def test_a_pdf_or_an_image_named_xlsx_is_called_what_it_is(tmp_path, capsys, head, kind):
    # A PDF renamed .xlsx was 未知格式的文件, and a small one 文本或 CSV 文件, to be opened in Excel and saved again.
    path = tmp_path / "广东.xlsx"
    path.write_bytes(head)  # an all-text PDF read as 文本或 CSV 文件
    error = refusal(tmp_path, path, capsys)
    assert f"这不是 Excel 工作簿，而是 {kind}（只是扩展名为 .xlsx）" in error["message"]
    assert "另存为" not in error["hint"] and "模板" in error["hint"]


def test_excel_s_lock_file_is_called_what_it_is(tmp_path, capsys):
    path = tmp_path / "~$sus-440000.xlsx"  # Excel's owner file of census-440000.xlsx, open in Excel
    path.write_bytes(b"\x08zhangsan" + b"\x00" * 100)
    error = refusal(tmp_path, path, capsys)
    assert "临时文件（文件名以 ~$ 开头" in error["message"] and "不带 ~$ 的原工作簿" in error["hint"]
