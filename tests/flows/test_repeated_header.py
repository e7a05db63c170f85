"""A header row pasted again into the data (two blocks pasted each with its header, or the header sorted into the
rows) is one row-level error naming the header's row, not an error in each of its cells, and the row is not loaded."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable

import openpyxl
import pytest

from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM, REGISTER_FORM
from census_schema.fields import Form, Severity
from census_schema.layout import FIRST_DATA_ROW, HEADER_ROW
from census_schema.supervision.forms import EVALUATION_WORKBOOK, INDICATORS_WORKBOOK, INSPECTIONS_WORKBOOK
from cli.main import main
from flows.ingest import IngestRequest, ingest_workbook
from flows.parse import _IDEOGRAPH_SOURCES, parse_form_sheet
from flows.report import ERROR_COLOR
from synthetic.holders import RED_BASE
from tests.flows.supervision_workbooks import (
    SELF,
    evaluation_workbook,
    indicators_workbook,
    inspection,
    inspections_workbook,
    score_sheet,
)
from tests.flows.workbooks import PROVINCE, holder_rows, register_workbook, write_rows

FORM = CENSUS_FORM
RULE = "header_row_repeated"


def header_row(
    form: Form, spell: Callable[[str], str] = lambda label: label, only: Iterable[str] | None = None
) -> dict:
    """The form's labels as a data row (dict by field name), each spelt by `spell`, for the fields `only` names."""
    names = set(only) if only is not None else set(form.field_names)
    return {f.name: spell(f.label) for f in form.fields if f.name in names}


def half_width(label: str) -> str:
    return f" {label.replace('（', '(').replace('）', ')')}\u3000"


# Pasted rows recognised as the header, as the header row itself is found: whitespace around and inside labels and
# half- or full-width parentheses do not matter.
REPEATED = {
    "the template's labels": header_row(FORM),
    "half-width parentheses, spaces around": header_row(FORM, half_width),
    "spaces inside, full-width letters": header_row(FORM, lambda label: " ".join(label).replace("G B", "Ｇ Ｂ")),
    "the first ten labels only": header_row(FORM, only=FORM.field_names[:10]),
    # An older template's header (ten labels since renamed) with a note typed at its end: still the header.
    "most labels, ten others and a note": {
        **header_row(FORM),
        **{name: "旧列名" for name in FORM.field_names[10:20]},
        "remarks": "以下为第二批",
    },
}


@pytest.mark.parametrize("pasted", REPEATED.values(), ids=REPEATED.keys())
def test_a_pasted_header_row_is_one_row_error_and_is_not_loaded(tmp_path, pasted):
    rows = holder_rows(FORM, 3)
    path = write_rows(tmp_path / "c.xlsx", FORM, [rows[0], pasted, rows[1], rows[2]])
    parsed = parse_form_sheet(path, FORM)
    pasted_row = FIRST_DATA_ROW + 1
    assert [(f.row, f.field, f.label, f.value, f.rule, f.severity) for f in parsed.failures] == [
        (pasted_row, None, None, None, RULE, Severity.ERROR)
    ]
    assert parsed.failures[0].message == f"此行重复了表头（第 {HEADER_ROW} 行的列名），请删除此行后重新上传。"
    assert parsed.rows["excel_row"].to_list() == [FIRST_DATA_ROW, pasted_row + 1, pasted_row + 2]
    assert parsed.rows["uscc"].to_list() == [row["uscc"] for row in rows]


# Rows that hold a label or two among their data are data rows: their cells are read (and judged) one by one.
NOT_REPEATED = {
    "one label in a free text": {"remarks": "备注"},
    "two labels among 46 filled cells": {"unit_name": "单位名称", "remarks": "备注"},
}


@pytest.mark.parametrize("edit", NOT_REPEATED.values(), ids=NOT_REPEATED.keys())
def test_a_data_row_holding_a_label_or_two_is_data(tmp_path, edit):
    rows = holder_rows(FORM, 3, {1: edit})
    parsed = parse_form_sheet(write_rows(tmp_path / "c.xlsx", FORM, rows), FORM)
    assert parsed.failures == []
    assert parsed.rows.height == 3


def test_numbers_typed_as_text_with_labels_in_text_cells_are_data(tmp_path):
    # Every number typed in full-width digits (no column reads as numbers as it is, so every cell is looked at more
    # closely), two text cells holding their labels' characters: still data rows.
    numbers = [f.name for f in FORM.fields if f.is_numeric]
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    rows = [
        {
            **row,
            **{name: str(row[name]).translate(wide) for name in numbers},
            "unit_name": "单位名称有限公司",
            "remarks": "备注：无",
        }
        for row in holder_rows(FORM, 3)
    ]
    parsed = parse_form_sheet(write_rows(tmp_path / "c.xlsx", FORM, rows), FORM)
    assert parsed.failures == []
    assert parsed.rows.height == 3


def test_half_the_cells_equal_to_labels_is_not_the_header(tmp_path):
    # A row of six filled cells, three of them labels: no clear majority, so each cell is judged as data.
    row = {**header_row(FORM, only=FORM.field_names[:3]), "staff_fulltime": 1, "staff_parttime": 2, "fonds_count": 3}
    parsed = parse_form_sheet(write_rows(tmp_path / "c.xlsx", FORM, [*holder_rows(FORM, 1), row]), FORM)
    assert RULE not in {f.rule for f in parsed.failures}
    assert parsed.rows["excel_row"].to_list() == [FIRST_DATA_ROW, FIRST_DATA_ROW + 1]


def test_two_pasted_header_rows_are_two_errors(tmp_path):
    rows = holder_rows(FORM, 2)
    path = write_rows(tmp_path / "c.xlsx", FORM, [header_row(FORM), rows[0], header_row(FORM, half_width), rows[1]])
    parsed = parse_form_sheet(path, FORM)
    assert [(f.row, f.rule) for f in parsed.failures] == [(FIRST_DATA_ROW, RULE), (FIRST_DATA_ROW + 2, RULE)]
    assert parsed.rows.height == 2


def test_a_pasted_header_s_label_of_a_helper_column_is_not_counted_as_its_data(tmp_path):
    # The uploader's own column 「联系人邮箱」, pasted again with the header: one e-mail below it, not two; and a
    # helper column whose only filled cell below is the pasted label holds no data, so it gets no warning.
    rows = holder_rows(FORM, 3)
    path = write_rows(tmp_path / "c.xlsx", FORM, [rows[0], header_row(FORM), rows[1], rows[2]])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[FORM.sheet_name]
    email, checker = sheet.max_column + 1, sheet.max_column + 2
    for column, label in ((email, "联系人邮箱"), (checker, "核对人")):
        sheet.cell(HEADER_ROW, column, label)
        sheet.cell(FIRST_DATA_ROW + 1, column, label)
    sheet.cell(FIRST_DATA_ROW + 2, email, "a@example.cn")
    workbook.save(path)
    parsed = parse_form_sheet(path, FORM)
    assert sorted((f.row, f.rule, f.label or "") for f in parsed.failures) == [
        (HEADER_ROW, "column_not_in_form", "联系人邮箱"),
        (FIRST_DATA_ROW + 1, RULE, ""),
    ]
    (unread,) = [f for f in parsed.failures if f.rule == "column_not_in_form"]
    assert "有 1 个填写的单元格" in unread.message


def errors(store, settings, path, kind, province=None) -> list[tuple]:
    """The errors located in rows of a rejected upload (a workbook's own, such as a closed evaluation round, left out)."""
    outcome = ingest_workbook(store, IngestRequest(path, kind, province, "国家档案局"), settings)
    assert outcome.status == "rejected"
    return [(f.sheet, f.row, f.field, f.rule) for f in outcome.failures if f.severity is Severity.ERROR and f.row]


def test_every_form_with_a_header_reports_a_repeated_header_once(store, settings, tmp_path):
    holders = holder_rows(REGISTER_FORM, 2)
    register = write_rows(tmp_path / "r.xlsx", REGISTER_FORM, [holders[0], header_row(REGISTER_FORM), holders[1]])
    assert errors(store, settings, register, "register", PROVINCE) == [
        (REGISTER_FORM.sheet_name, FIRST_DATA_ROW + 1, None, RULE)
    ]
    census_rows = holder_rows(FORM, 2)
    red = [{**RED_BASE, "uscc": row["uscc"], "unit_name": row["unit_name"]} for row in census_rows]
    census = write_rows(
        tmp_path / "c.xlsx", FORM, census_rows, red=[red[0], header_row(RED_ARCHIVES_FORM, half_width), red[1]]
    )
    red_header = parse_form_sheet(census, RED_ARCHIVES_FORM).header_row
    assert errors(store, settings, census, "census", PROVINCE) == [
        (RED_ARCHIVES_FORM.sheet_name, red_header + 2, None, RULE)
    ]
    records_form = INSPECTIONS_WORKBOOK.sheet("检查记录")
    records = inspections_workbook(tmp_path / "i.xlsx", [inspection(1), header_row(records_form), inspection(2)])
    assert errors(store, settings, records, "inspections") == [("检查记录", FIRST_DATA_ROW + 1, None, RULE)]
    sheet = score_sheet(SELF)
    scores_form = EVALUATION_WORKBOOK.sheets[0]
    scores = evaluation_workbook(tmp_path / "e.xlsx", [sheet[0], header_row(scores_form), *sheet[1:]])
    assert errors(store, settings, scores, "evaluation") == [(scores_form.sheet_name, FIRST_DATA_ROW + 1, None, RULE)]
    values = [{"indicator_code": "ZB01", "year": 2021, "province_code": None, "value": 30, "note": None}]
    indicators_form = INDICATORS_WORKBOOK.sheets[0]
    indicators = indicators_workbook(tmp_path / "n.xlsx", [*values, header_row(indicators_form)])
    assert errors(store, settings, indicators, "indicators") == [
        (indicators_form.sheet_name, FIRST_DATA_ROW + 1, None, RULE)
    ]


def test_ingest_json_and_the_report_list_the_repeated_header_as_a_row_failure(tmp_path, capsys):
    db = tmp_path / "var" / "w.duckdb"
    assert main(["ingest", "register", str(register_workbook(tmp_path / "reg.xlsx")), "--db", str(db), "--json"]) == 0
    capsys.readouterr()
    rows = holder_rows(FORM, 3)
    red = [{**RED_BASE, "uscc": row["uscc"], "unit_name": row["unit_name"]} for row in rows]
    path = write_rows(tmp_path / "c.xlsx", FORM, [rows[0], rows[1], header_row(FORM), rows[2]], red=red)
    report = tmp_path / "report.xlsx"
    command = ["ingest", "census", str(path), "--province", PROVINCE, "--db", str(db), "--json"]
    assert main([*command, "--report", str(report), "--orchestrator", "direct"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["errors"]) == ("rejected", 1)
    [failure] = [f for f in result["failures"] if f["severity"] == "error"]
    assert failure == {
        "sheet": FORM.sheet_name,
        "row": FIRST_DATA_ROW + 2,
        "field": None,
        "label": None,
        "value": None,
        "rule": RULE,
        "severity": "error",
        "message": f"此行重复了表头（第 {HEADER_ROW} 行的列名），请删除此行后重新上传。",
    }
    listed = openpyxl.load_workbook(report, read_only=True)["错误清单"]
    lines = [row for row in listed.iter_rows(values_only=True) if row[0] is not None]
    assert lines[0] == ("工作表", "行号", "字段", "列名", "填报值", "规则", "严重程度", "说明")
    assert [line[:3] for line in lines[1:] if line[6] == "错误"] == [(FORM.sheet_name, FIRST_DATA_ROW + 2, None)]
    # The row is marked in the workbook too, at its first cell (it was only listed).
    first = openpyxl.load_workbook(report)[FORM.sheet_name].cell(FIRST_DATA_ROW + 2, 1)
    assert first.fill.start_color.rgb == ERROR_COLOR and "表头" in first.comment.text


def test_a_return_whose_only_row_is_the_header_again_says_so_not_that_it_is_empty(tmp_path, capsys):
    path = write_rows(tmp_path / "c.xlsx", FORM, [header_row(FORM)])
    command = ["ingest", "census", str(path), "--province", PROVINCE, "--db", str(tmp_path / "w.duckdb")]
    assert main([*command, "--orchestrator", "direct"]) == 2
    said = capsys.readouterr().err
    assert f"表头在第 {HEADER_ROW} 行，其下只有重复的表头行：第 {FIRST_DATA_ROW} 行" in said
    assert "请删除重复的表头行" in said and "其下为空" not in said


def test_the_rule_has_a_chinese_title():
    from census_schema.rule_titles import rule_title

    title = rule_title(RULE)
    assert title != "其他问题" and all(unicodedata.east_asian_width(c) == "W" for c in title)


def test_the_cheap_test_knows_every_character_that_reads_as_an_ideograph():
    # The parser compares a row's cells as labels only where they hold a label's ideograph or one of these.
    sources = re.compile(_IDEOGRAPH_SOURCES)
    missed = [
        f"U+{code:04X}"
        for code in (*range(0xD800), *range(0xE000, 0x110000))
        if not 0x4E00 <= code <= 0x9FFF
        and any("\u4e00" <= c <= "\u9fff" for c in unicodedata.normalize("NFKC", chr(code)))
        and not sources.fullmatch(chr(code))
    ]
    assert missed == []
