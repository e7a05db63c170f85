"""Every kind of bad input gets exit 2 or 1, a specific message, and leaves the warehouse as it was."""

from __future__ import annotations

import functools
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from census_schema.census_form import CENSUS_FORM
from census_schema.layout import HEADER_ROW, META_FORM_KIND, META_FORM_VERSION, META_PROVINCE, META_SHEET
from census_schema.template import write_form_workbook
from cli.main import main
from flows import measure
from tests.conftest import copy_warehouse
from tests.flows.hostile import long_cell
from tests.flows.workbooks import PROVINCE, census_workbook, holder_rows, register_workbook, write_rows
from warehouse.connection import connect_warehouse


def warehouse_state(db: Path) -> tuple:
    con = connect_warehouse(db)
    try:
        submissions = con.execute("select count(*) from submissions").fetchone()
        rows = con.execute("select count(*) from raw_census_rows").fetchone()
        register = con.execute("select count(*) from raw_register_rows").fetchone()
        return submissions, rows, register
    finally:
        con.close()


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    """A warehouse holding Guangdong's register, loaded once for the module."""
    folder = tmp_path_factory.mktemp("bad-input")
    db = folder / "var" / "w.duckdb"
    assert main(["ingest", "register", str(register_workbook(folder / "reg.xlsx")), "--db", str(db), "--json"]) == 0
    return db


@pytest.fixture
def db(registered, tmp_path):
    """A private copy of that warehouse for one test."""
    return copy_warehouse(registered, tmp_path / "var" / "w.duckdb")


def ingest(db, path, kind="census", province=PROVINCE):
    return main(["ingest", kind, str(path), "--province", province, "--db", str(db), "--orchestrator", "direct"])


def ole_file(path: Path, encrypted: bool) -> Path:
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    body = "EncryptionInfo".encode("utf-16-le") if encrypted else "Workbook".encode("utf-16-le")
    path.write_bytes(header + body + b"\x00" * 4096)
    return path


def bomb(path: Path) -> Path:
    """A valid-looking workbook whose sheet inflates to 2 GiB of spaces (a few MB on disk)."""
    path.write_bytes(_bomb_bytes())
    return path


@functools.cache
def _bomb_bytes() -> bytes:
    """The bomb's bytes, made once per process (deflating 2 GiB takes seconds)."""
    with tempfile.TemporaryDirectory() as folder:
        template = census_workbook(Path(folder) / "seed.xlsx", 1)
        path = Path(folder) / "bomb.xlsx"
        with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w") as target:
            for item in source.infolist():
                if item.filename != "xl/worksheets/sheet2.xml":
                    target.writestr(item, source.read(item))
            info = zipfile.ZipInfo("xl/worksheets/sheet2.xml")
            info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(info, "w", force_zip64=True) as handle:
                chunk = b" " * (64 << 20)
                for _ in range(32):
                    handle.write(chunk)
        return path.read_bytes()


def other_version(path: Path) -> Path:
    write_form_workbook(path, replace(CENSUS_FORM, version="GYDA-2019.1"), PROVINCE, [])
    return path


def without_column(path: Path) -> Path:
    census_workbook(path, 2)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[CENSUS_FORM.sheet_name]
    column = next(c.column for c in sheet[HEADER_ROW] if c.value == CENSUS_FORM.field("digitized_vol").label)
    sheet.delete_cols(column)
    workbook.save(path)
    return path


def too_many_rows(path: Path) -> Path:
    """The template's identity and header, then more filled rows than the form allows (one column, to stay fast)."""
    workbook = openpyxl.Workbook(write_only=True)
    data, meta = workbook.create_sheet(CENSUS_FORM.sheet_name), workbook.create_sheet(META_SHEET)
    data.append(["标题"])
    data.append([f.label for f in CENSUS_FORM.fields])
    for index in range(CENSUS_FORM.max_rows + 1):
        data.append([f"单位{index}"])
    for key, value in ((META_FORM_KIND, "census"), (META_FORM_VERSION, CENSUS_FORM.version), (META_PROVINCE, PROVINCE)):
        meta.append([key, value])
    workbook.save(path)
    return path


def truncated(path: Path) -> Path:
    data = census_workbook(path.with_name("whole.xlsx"), 2).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def plain_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return path


def ods(path: Path) -> Path:
    """An OpenDocument spreadsheet as WPS or LibreOffice saves one: its mimetype stored first, uncompressed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return path


def zip_of_workbooks(path: Path) -> Path:
    """Two returns zipped together, as an office sends them by mail."""
    workbook = census_workbook(path.with_name("广州市.xlsx"), 1).read_bytes()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("报表/广州市.xlsx", workbook)
        archive.writestr("报表/深圳市.xlsx", workbook)
    return path


CASES = {
    "empty file": (lambda p: (p.write_bytes(b""), p)[1], 2, "空"),
    "text named .xlsx": (lambda p: (p.write_text("普查数据\n第二行", encoding="utf-8"), p)[1], 2, "不是 Excel 工作簿"),
    "csv named .xlsx": (
        lambda p: (p.write_text("统一社会信用代码,单位名称\n1,2\n", encoding="gb18030"), p)[1],
        2,
        "CSV",
    ),
    # Text named .xlsx is told how to save it as a workbook, as it is when named .csv.
    "csv named .xlsx, the save-as hint": (
        lambda p: (p.write_text("统一社会信用代码,单位名称\n1,2\n", encoding="utf-8-sig"), p)[1],
        2,
        "另存为 → Excel 工作簿（*.xlsx）",
    ),
    # A probe's .ods was told to rename itself .xlsx, and once renamed, to fill in the template again.
    "ods": (lambda p: ods(p.with_suffix(".ods")), 2, "OpenDocument 表格"),
    "ods named .xlsx": (ods, 2, "另存为 → Excel 工作簿（*.xlsx）"),
    "zip of two workbooks": (zip_of_workbooks, 2, "压缩包中有 2 个工作簿（广州市.xlsx、深圳市.xlsx）"),
    "truncated workbook": (truncated, 2, "损坏"),
    "zip that is not a workbook": (plain_zip, 2, "不是 Excel 工作簿"),
    "encrypted workbook": (lambda p: ole_file(p, encrypted=True), 2, "密码"),
    "legacy xls": (lambda p: ole_file(p, encrypted=False), 2, ".xls"),
    "register sent as census": (lambda p: register_workbook(p), 2, "普查对象名录"),
    "other province's template": (
        lambda p: write_rows(p, CENSUS_FORM, holder_rows(CENSUS_FORM, 1), "450000"),
        2,
        "广西",
    ),
    "other form version": (other_version, 2, "模板版本 GYDA-2019.1 不是本平台发布的版本"),
    # Still declared (its returns stay in the warehouse), no longer accepted: it has no 表尾 nor red-archive sheet.
    "retired form version": (
        lambda p: write_rows(p, replace(CENSUS_FORM, version="GYDA-2024.1"), holder_rows(CENSUS_FORM, 2)),
        2,
        f"模板版本 GYDA-2024.1 已停用，本轮使用 {CENSUS_FORM.version}",
    ),
    "another round's template": (
        lambda p: write_rows(p, replace(CENSUS_FORM, round_id="2023"), holder_rows(CENSUS_FORM, 2)),
        2,
        "这是普查轮次 2023 的模板，本轮为 2024",
    ),
    "required column deleted": (without_column, 2, "已数字化（卷）"),
    "untouched template": (lambda p: (write_form_workbook(p, CENSUS_FORM, PROVINCE), p)[1], 2, "没有数据行"),
    "million-character cell": (long_cell, 1, "32767"),
    "decompression bomb": (bomb, 2, "压缩"),
    "more rows than any province": (too_many_rows, 2, "上限"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_refused_clearly_and_changes_nothing(case, db, tmp_path, capsys):
    make, expected_exit, expected_text = CASES[case]
    path = make(tmp_path / "upload.xlsx")
    before = warehouse_state(db)
    capsys.readouterr()
    assert ingest(db, path) == expected_exit
    out, err = capsys.readouterr()
    message = err if expected_exit == 2 else out
    assert expected_text in message
    assert "Traceback" not in err
    if expected_exit == 2:
        assert warehouse_state(db) == before
    else:  # read but rejected: the attempt is on record, no rows are loaded
        assert warehouse_state(db)[1:] == before[1:]


def test_census_sent_as_register_is_refused(db, tmp_path, capsys):
    path = census_workbook(tmp_path / "c.xlsx", 1)
    before = warehouse_state(db)
    assert ingest(db, path, kind="register") == 2
    assert "普查表" in capsys.readouterr().err
    assert warehouse_state(db) == before


def test_bomb_is_refused_without_inflating(db, tmp_path, capsys, monkeypatch):
    path = bomb(tmp_path / "bomb.xlsx")
    counted: list[int] = []
    check_size = measure._check_size

    def counting(info, inflated, consumed, total, file_name, settings):
        counted.append(total)
        check_size(info, inflated, consumed, total, file_name, settings)

    monkeypatch.setattr(measure, "_check_size", counting)
    assert ingest(db, path) == 2
    assert "压缩炸弹" in capsys.readouterr().err
    # Refused once its ratio can be judged: ~14 MB into its 2 GiB (the reader worker's read of it is stopped with the
    # refusal: tests/flows/test_hostile_workbooks.py).
    assert counted and max(counted) < 32 << 20
