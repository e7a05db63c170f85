"""The pipeline end to end on real files and a real warehouse: accept, reject, duplicate, supersede, dry run."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import replace

import openpyxl
import pytest
from openpyxl.comments import Comment

from census_schema.census_form import CENSUS_FORM
from census_schema.layout import ERRORS_HEADER, ERRORS_SHEET, FIRST_DATA_ROW, HEADER_ROW
from census_schema.roles import Role
from cli.ingest_cmd import describe_outcome
from flows.ingest import IngestRequest, ingest_workbook, submission_report_path
from flows.measure import _uncomputed_in, measure_workbook
from flows.report import ERROR_COLOR, WARNING_COLOR
from flows.worker import shared_reader
from synthetic.holders import make_uscc
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook
from warehouse.backends import EmbeddedWarehouse
from warehouse.queries import list_submissions, query_summary
from warehouse.reviews import Reviewer, review_submission


@pytest.fixture
def store(settings, tmp_path):
    store = EmbeddedWarehouse(settings.db_path)
    request = IngestRequest(register_workbook(tmp_path / "reg.xlsx", 4), "register", PROVINCE, "省档案局")
    assert ingest_workbook(store, request, settings).status == "accepted"
    return store


def ingest(store, settings, path, **options):
    return ingest_workbook(store, IngestRequest(path, "census", PROVINCE, "张三", **options), settings)


def guangdong(store):
    with store.reader() as con:
        return query_summary(con, province_code=PROVINCE)["provinces"][0]


def test_a_good_return_is_accepted_and_counted(store, settings, tmp_path):
    outcome = ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 3))
    assert (outcome.status, outcome.errors, outcome.rows, outcome.exit_code) == ("accepted", 0, 3, 0)
    assert outcome.warnings == 0 and outcome.report is None  # nothing to mark, no report
    figures = guangdong(store)
    assert (figures["units_expected"], figures["units_reported"], figures["vol_total"]) == (4, 3, 3000)
    assert figures["coverage_pct"] == 75.0


def test_ingestions_that_bring_no_reader_share_the_process_s_one(store, settings, tmp_path):
    reader = shared_reader(settings)
    first = reader.pid
    assert first is not None  # the register the store fixture loaded started it
    assert ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 3)).status == "accepted"
    assert reader.pid == first and shared_reader(settings) is reader
    assert shared_reader(replace(settings, reader_timeout_s=settings.reader_timeout_s + 1)) is not reader


def test_the_same_file_again_is_a_duplicate_that_changes_nothing(store, settings, tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 3, {1: {"division_code": "440000", "admin_level": "县级"}})  # a warning
    first = ingest(store, settings, path)
    assert first.warnings > 0
    with store.reader() as con:
        before = (list_submissions(con), query_summary(con))
    again = ingest(store, settings, path)
    assert (again.status, again.submission_id, again.exit_code) == ("duplicate", first.submission_id, 0)
    # It reports what the return it repeats reported: its rows and its warnings.
    assert (again.rows, again.warnings, again.errors) == (first.rows, first.warnings, 0)
    assert [f.to_json() for f in again.failures] == [f.to_json() for f in first.failures]
    with store.reader() as con:
        assert (list_submissions(con), query_summary(con)) == before


def test_a_new_return_supersedes_the_current_one_and_keeps_history(store, settings, tmp_path):
    first = ingest(store, settings, census_workbook(tmp_path / "c1.xlsx", 3))
    # Dropping one of three holders is past the shrink limit: confirmed here (the guard has its own tests).
    second = ingest(store, settings, census_workbook(tmp_path / "c2.xlsx", 2, {0: {"photos": 7}}), confirm_shrink=True)
    assert second.status == "accepted"
    with store.reader() as con:
        history = {s["submission_id"]: s for s in list_submissions(con, PROVINCE) if s["kind"] == "census"}
    assert history[first.submission_id]["is_current"] is False
    assert history[first.submission_id]["superseded_by"] == second.submission_id
    assert history[second.submission_id]["is_current"] is True
    assert guangdong(store)["vol_total"] == 2000


def test_the_same_rows_saved_again_keep_the_review_the_return_had(store, settings, tmp_path):
    first = ingest(store, settings, census_workbook(tmp_path / "c1.xlsx", 3))
    with store.writer() as con:
        review_submission(con, first.submission_id, "accept", Reviewer("planner", Role.PLANNER), None)
    # Opened and saved again unchanged (other bytes, the same rows): not a duplicate, and not sent back to review.
    book = openpyxl.load_workbook(tmp_path / "c1.xlsx")
    book.properties.creator = "另存"
    book.save(tmp_path / "c1-saved.xlsx")
    again = ingest(store, settings, tmp_path / "c1-saved.xlsx")
    assert (again.status, again.review_kept, again.to_json()["review_kept"]) == ("accepted", "已审核", "已审核")
    assert again.submission_id != first.submission_id
    with store.reader() as con:
        states = {s["submission_id"]: (s["is_current"], s["review_state"]) for s in list_submissions(con, PROVINCE)}
    assert states[first.submission_id] == (False, "已审核") and states[again.submission_id] == (True, "已审核")
    assert "沿用其审核进度：已审核" in describe_outcome(again.to_json())
    # One holder's figure changed: a new return, reviewed again.
    changed = ingest(store, settings, census_workbook(tmp_path / "c2.xlsx", 3, {0: {"photos": 7}}))
    assert (changed.status, changed.review_kept) == ("accepted", None)


def test_a_returned_return_sent_again_is_said_to_be_unchanged_or_still_returned(store, settings, tmp_path):
    first = ingest(store, settings, census_workbook(tmp_path / "c1.xlsx", 3))
    with store.writer() as con:
        review_submission(
            con, first.submission_id, "return", Reviewer("planner", Role.PLANNER), "照片数量异常，请核实。"
        )
    # The very file again: a duplicate of a return still returned, counted nowhere ("未作改动" alone hid that).
    same = ingest(store, settings, tmp_path / "c1.xlsx")
    assert (same.status, same.submission_id) == ("duplicate", first.submission_id)
    still = "该表已被退回（退回原因：照片数量异常，请核实），仍不计入统计数据：请按退回原因修改后重新上传"
    assert same.returned_note == same.to_json()["returned_note"] == still
    assert f"{still}。" in describe_outcome(same.to_json()).splitlines()
    # Saved again unchanged: loaded (the office may have found the figures right), and both it and its reviewer are
    # told the rows are those sent back.
    book = openpyxl.load_workbook(tmp_path / "c1.xlsx")
    book.properties.creator = "另存"
    book.save(tmp_path / "c1-saved.xlsx")
    again = ingest(store, settings, tmp_path / "c1-saved.xlsx")
    note = f"与被退回的报送「{first.submission_id}」逐行逐项相同，未作修改重新报送（退回原因：照片数量异常，请核实）"
    assert (again.status, again.review_kept) == ("accepted", None)
    assert again.returned_note == f"注意：本表{note}。已装载，审核人会在审核说明中看到此情况"
    with store.reader() as con:
        assert {s["submission_id"]: s["resent_reason"] for s in list_submissions(con)}[again.submission_id] == note
    # The same rows with the sheet's layout changed (a row hidden: warned of) are not said to be unchanged.
    with store.writer() as con:
        review_submission(con, again.submission_id, "return", Reviewer("planner", Role.PLANNER), "请核实。")
    book[CENSUS_FORM.sheet_name].row_dimensions[FIRST_DATA_ROW].hidden = True
    book.save(tmp_path / "c1-hidden.xlsx")
    hidden = ingest(store, settings, tmp_path / "c1-hidden.xlsx")
    assert hidden.status == "accepted" and hidden.returned_note is not None, hidden
    assert (
        f"数据与被退回的报送「{again.submission_id}」逐行逐项相同，只改了数据以外的内容（警告由 0 个变为"
        in hidden.returned_note
    )
    assert "未作修改" not in hidden.returned_note
    changed = ingest(store, settings, census_workbook(tmp_path / "c2.xlsx", 3, {0: {"photos": 7}}))
    assert (changed.status, changed.returned_note) == ("accepted", None)


def test_a_rejected_return_loads_nothing_and_gets_an_annotated_report(store, settings, tmp_path):
    ingest(store, settings, census_workbook(tmp_path / "good.xlsx", 3))
    before = guangdong(store)
    bad = census_workbook(tmp_path / "bad.xlsx", 3, {1: {"vol_total": 1001}, 2: {"contact_phone": "12345"}})
    outcome = ingest(store, settings, bad, report_path=tmp_path / "report.xlsx")
    assert (outcome.status, outcome.exit_code) == ("rejected", 1)
    assert {(f.row, f.field, f.rule) for f in outcome.failures if f.severity == "error"} >= {
        (4, "vol_total", "vol_total_sum"),
        (5, "contact_phone", "contact_phone_format"),
    }
    assert guangdong(store) == before

    report = openpyxl.load_workbook(outcome.report)
    sheet = report[CENSUS_FORM.sheet_name]
    columns = {c.value: c.column for c in sheet[2] if c.value}
    cell = sheet.cell(4, columns[CENSUS_FORM.field("vol_total").label])
    assert cell.fill.start_color.rgb == ERROR_COLOR
    # The rule in Chinese (its title), then what is wrong and how to fix it; not the rule's id.
    assert cell.comment.text.startswith("[错误] 合计与分项不符：") and "vol_total_sum" not in cell.comment.text
    assert sheet.cell(3, columns[CENSUS_FORM.field("vol_total").label]).comment is None
    errors = report[ERRORS_SHEET]
    listed = list(errors.iter_rows(values_only=True))
    assert listed[0] == ERRORS_HEADER
    # The header as the census form's spec gives it; the column by its field name and label, the rule by its title.
    assert ERRORS_HEADER == ("工作表", "行号", "字段", "列名", "填报值", "规则", "严重程度", "说明")
    expected = ("普查表", 4, "vol_total", CENSUS_FORM.field("vol_total").label, "1001", "合计与分项不符", "错误")
    assert expected in [row[:7] for row in listed[1:]]
    assert len(listed) - 1 == len(outcome.failures)
    severities = [row[6] for row in listed[1:]]
    assert severities == sorted(severities, key=lambda s: s != "错误")
    assert report.active.title == ERRORS_SHEET
    assert report.sheetnames.count(ERRORS_SHEET) == 1


def test_a_total_that_disagrees_with_its_parts_marks_the_parts_too(store, settings, tmp_path):
    # The province changed one part (定期30年) and only the total was marked: which cells disagree is the question,
    # and any of them may be the wrong one. 错误清单 still lists the failure once, at the total.
    bad = census_workbook(tmp_path / "bad.xlsx", 3, {1: {"vol_30y": 201}})
    outcome = ingest(store, settings, bad, report_path=tmp_path / "report.xlsx")
    assert {(f.row, f.field, f.rule) for f in outcome.failures} == {(4, "vol_total", "vol_total_sum")}

    report = openpyxl.load_workbook(outcome.report)
    sheet = report[CENSUS_FORM.sheet_name]
    columns = {c.value: c.column for c in sheet[2] if c.value}
    compared = [n for n in CENSUS_FORM.field_names if n.startswith("vol_") and n != "vol_total"]
    for name in ["vol_total", *compared]:
        cell = sheet.cell(4, columns[CENSUS_FORM.field(name).label])
        assert cell.fill.start_color.rgb == ERROR_COLOR, name
        assert cell.comment.text.startswith("[错误] 合计与分项不符："), name
    for row, name in ((3, "vol_30y"), (4, "item_total"), (4, "item_30y")):
        assert sheet.cell(row, columns[CENSUS_FORM.field(name).label]).comment is None, (row, name)
    listed = [row[:6] for row in report[ERRORS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert [(row[1], row[2]) for row in listed] == [(4, "vol_total")]


def test_a_failed_formula_is_reported_as_one_not_as_an_empty_cell(store, settings, tmp_path):
    # A formula whose result is an Excel error reads as empty text; it is named for what it is, once per cell, and
    # only the workbooks that hold such cells pay for asking where (the measurement counts them).
    path = census_workbook(tmp_path / "c.xlsx", 3, {1: {"vol_total": "#DIV/0!"}, 2: {"photos": "#REF!"}})
    outcome = ingest(store, settings, path)
    assert outcome.status == "rejected"
    on_the_cells = [
        (f.row, f.field, f.value, f.rule)
        for f in outcome.failures
        if (f.row, f.field) in {(4, "vol_total"), (5, "photos")}
    ]
    assert on_the_cells == [
        (4, "vol_total", "#DIV/0!", "cell_formula_error"),
        (5, "photos", "#REF!", "cell_formula_error"),
    ]
    assert all("公式计算出错" in f.message for f in outcome.failures if f.rule == "cell_formula_error")
    assert ingest(store, settings, census_workbook(tmp_path / "good.xlsx", 3)).status == "accepted"


def with_formulas(path, formulas):
    """The workbook with formulas written into cells by openpyxl (as a program would: no results saved)."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[CENSUS_FORM.sheet_name]
    columns = {c.value: c.column for c in sheet[HEADER_ROW]}
    for (row, name), formula in formulas.items():
        sheet.cell(row, columns[CENSUS_FORM.field(name).label], formula)
    workbook.save(path)
    return path


def test_a_formula_with_no_saved_result_is_named_not_called_empty(store, settings, tmp_path):
    # A workbook filled by a program and never opened in Excel: its formulas read as empty; each is named, with its
    # text, and nothing else is said of the cell (not 「不能为空」).
    formulas = {(4, "vol_total"): "=SUM(AA4:AB4)", (5, "photos"): "=1+1"}
    path = with_formulas(census_workbook(tmp_path / "c.xlsx", 3), formulas)
    outcome = ingest(store, settings, path)
    assert outcome.status == "rejected"
    on_the_cells = [(f.row, f.field, f.value, f.rule) for f in outcome.failures if (f.row, f.field) in formulas]
    assert on_the_cells == [
        (4, "vol_total", "=SUM(AA4:AB4)", "cell_formula_uncomputed"),
        (5, "photos", "=1+1", "cell_formula_uncomputed"),
    ]
    # With the results saved (as Excel, WPS and LibreOffice save them), the same formulas read as their values.
    path = with_formulas(census_workbook(tmp_path / "saved.xlsx", 3), {(5, "photos"): "=1+1"})
    with zipfile.ZipFile(path) as archive:
        members = {info: archive.read(info) for info in archive.infolist()}
    saved = re.compile(rb"(<f>1\+1</f>)<v ?/>")
    assert any(saved.search(data) for data in members.values())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members.items():
            archive.writestr(info, saved.sub(rb"\1<v>2</v>", data))
    assert measure_workbook(path, "saved.xlsx", settings).formulas.uncomputed == 0
    assert ingest(store, settings, path).status == "accepted"


def test_a_formula_with_no_saved_result_is_named_in_a_pretty_printed_sheet_too(store, settings, tmp_path):
    # Some programs write their XML indented, one element a line: the formula's end and the cell's are then apart.
    formulas = {(4, "remarks"): '="备"&"注"', (5, "photos"): "=1+1"}
    path = with_formulas(census_workbook(tmp_path / "c.xlsx", 3), formulas)
    with zipfile.ZipFile(path) as archive:
        members = {info: archive.read(info) for info in archive.infolist()}
    pretty = {
        info: re.sub(rb">(?=<(?!/t>))", b">\n    ", data) if info.filename.startswith("xl/worksheets/") else data
        for info, data in members.items()
    }
    assert any(b"</f>\n    </c>" in data or b"</f>\n    <v" in data for data in pretty.values())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in pretty.items():
            archive.writestr(info, data)
    assert measure_workbook(path, "c.xlsx", settings).formulas.uncomputed >= 2
    outcome = ingest(store, settings, path)
    assert outcome.status == "rejected"  # the optional 备注 is not silently read as empty
    assert [(f.row, f.field, f.value, f.rule) for f in outcome.failures] == [
        (4, "remarks", '="备"&"注"', "cell_formula_uncomputed"),
        (5, "photos", "=1+1", "cell_formula_uncomputed"),
    ]


@pytest.mark.parametrize(
    "xml",
    [
        b'<c r="K4" s="13"><f>1+1</f><v /></c>',
        b"<c r='K4' s='13'><f>1+1</f><v/></c>",
        b'<c r="K4" s="13">\n  <f>1+1</f>\n  <v/>\n</c >',
        b'<x:c r="K4"><x:f>1+1</x:f></x:c>',
    ],
)
def test_a_formula_without_its_result_is_found_however_its_cell_is_written(xml):
    assert _uncomputed_in(xml + b'<c r="L4"><f>2+2</f><v>4</v></c>') == [(3, 10, "=1+1")]


def test_a_report_sent_back_gets_fresh_marks(store, settings, tmp_path):
    bad = census_workbook(tmp_path / "bad.xlsx", 3, {1: {"contact_phone": "12345"}, 2: {"contact_phone": "999"}})
    first = ingest(store, settings, bad, report_path=tmp_path / "report1.xlsx")
    workbook = openpyxl.load_workbook(first.report)
    sheet = workbook[CENSUS_FORM.sheet_name]
    phone = next(c.column for c in sheet[2] if c.value == CENSUS_FORM.field("contact_phone").label)
    sheet.cell(5, phone).value = "13900139000"  # the province fixes one of the two cells
    workbook.save(tmp_path / "resent.xlsx")
    second = ingest(store, settings, tmp_path / "resent.xlsx", report_path=tmp_path / "report2.xlsx")
    assert {(f.row, f.rule) for f in second.failures if f.severity == "error"} == {(4, "contact_phone_format")}
    report = openpyxl.load_workbook(second.report)
    sheet = report[CENSUS_FORM.sheet_name]
    assert sheet.cell(4, phone).fill.start_color.rgb == ERROR_COLOR and sheet.cell(4, phone).comment is not None
    fixed = sheet.cell(5, phone)
    assert fixed.fill.start_color.rgb != ERROR_COLOR and fixed.comment is None
    assert report.sheetnames.count(ERRORS_SHEET) == 1
    assert len(list(report[ERRORS_SHEET].iter_rows())) == 1 + len(second.failures)


def test_a_marked_cell_keeps_the_uploader_s_own_comment_and_a_report_sent_back_gives_it_back(store, settings, tmp_path):
    bad = census_workbook(tmp_path / "bad.xlsx", 3, {1: {"contact_phone": "12345"}, 2: {"contact_phone": "999"}})
    workbook = openpyxl.load_workbook(bad)
    sheet = workbook[CENSUS_FORM.sheet_name]
    phone = next(c.column for c in sheet[2] if c.value == CENSUS_FORM.field("contact_phone").label)
    sheet.cell(4, phone).comment = Comment("电话待人事处确认（含分机）", "王五")
    workbook.save(bad)
    first = ingest(store, settings, bad, report_path=tmp_path / "report1.xlsx")
    marked = openpyxl.load_workbook(first.report)[CENSUS_FORM.sheet_name].cell(4, phone).comment
    assert marked.text.startswith("[错误] ") and marked.text.endswith(
        "\n—— 原批注（王五）：\n电话待人事处确认（含分机）"
    )
    # Row 4 fixed and the report sent back: its mark goes, the uploader's comment comes back as it was.
    workbook = openpyxl.load_workbook(first.report)
    workbook[CENSUS_FORM.sheet_name].cell(4, phone).value = "13900139000"
    workbook.save(tmp_path / "resent.xlsx")
    second = ingest(store, settings, tmp_path / "resent.xlsx", report_path=tmp_path / "report2.xlsx")
    sheet = openpyxl.load_workbook(second.report)[CENSUS_FORM.sheet_name]
    restored = sheet.cell(4, phone).comment
    assert (restored.author, restored.text) == ("王五", "电话待人事处确认（含分机）")
    assert sheet.cell(5, phone).comment.text.startswith("[错误] ")


def test_dry_run_validates_and_reports_without_loading(store, settings, tmp_path):
    with store.reader() as con:
        before = (list_submissions(con), query_summary(con))
    good = ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 3), dry_run=True)
    bad = ingest(store, settings, census_workbook(tmp_path / "b.xlsx", 2, {0: {"vol_total": 5}}), dry_run=True)
    assert (good.status, good.submission_id, good.dry_run) == ("accepted", None, True)
    assert bad.status == "rejected" and bad.report is not None and bad.report.exists()
    with store.reader() as con:
        assert (list_submissions(con), query_summary(con)) == before


def test_warnings_travel_with_an_accepted_return_and_are_stored(store, settings, tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 2, {1: {"uscc": "12440000MA0000001X"}})
    outcome = ingest(store, settings, path)
    assert outcome.status in ("accepted", "rejected")
    warned = census_workbook(tmp_path / "w.xlsx", 5, {4: {"staff_fulltime": 0, "staff_parttime": 0}})
    outcome = ingest(store, settings, warned)
    assert outcome.status == "accepted"
    assert ("staff_with_holdings", 7) in {(f.rule, f.row) for f in outcome.failures}
    assert ("uscc_not_in_register", 7) in {(f.rule, f.row) for f in outcome.failures}
    with store.reader() as con:
        stored = con.execute(
            "select rule, excel_row from submission_failures where submission_id = ?", [outcome.submission_id]
        ).fetchall()
    assert ("staff_with_holdings", 7) in stored
    # Its warnings are marked in the uploader's workbook as a rejected return's errors are, and the report is kept
    # under the submission's number (it had none: its warnings were only listed, each by its row and column).
    assert outcome.report is not None and outcome.report.name.endswith("-核对报告.xlsx")
    report = openpyxl.load_workbook(outcome.report)
    sheet = report[CENSUS_FORM.sheet_name]
    columns = {c.value: c.column for c in sheet[HEADER_ROW] if c.value}
    cell = sheet.cell(7, columns[CENSUS_FORM.field("staff_fulltime").label])
    assert cell.fill.start_color.rgb == WARNING_COLOR and cell.comment.text.startswith("[警告] ")
    assert len(list(report[ERRORS_SHEET].iter_rows())) - 1 == len(outcome.failures)
    kept = submission_report_path(settings, outcome.submission_id)
    assert kept.read_bytes() == outcome.report.read_bytes()
    assert "核对报告（原工作簿，已标注）：" in describe_outcome(outcome.to_json())


def test_cli_json_contract(store, settings, tmp_path, capsys):
    from cli.main import main

    path = census_workbook(tmp_path / "c.xlsx", 2, {1: {"contact_phone": "12345"}})
    code = main(["ingest", "census", str(path), "--province", PROVINCE, "--db", str(settings.db_path), "--json"])
    out = capsys.readouterr().out
    payload = json.loads(out)
    assert code == 1
    assert set(payload) >= {"status", "submission_id", "province", "rows", "errors", "warnings", "report", "failures"}
    assert payload["failures"][0] == {
        "sheet": "普查表",
        "row": 4,
        "field": "contact_phone",
        "label": "联系电话",
        "value": "12345",
        "rule": "contact_phone_format",
        "severity": "error",
        "message": CENSUS_FORM.rules_by_id["contact_phone_format"].message,
    }
    assert (payload["errors"], payload["status"], payload["rows"]) == (1, "rejected", 2)


def test_gx_data_docs_are_saved_per_submission(store, settings, tmp_path):
    from dataclasses import replace

    outcome = ingest(store, replace(settings, save_data_docs=True), census_workbook(tmp_path / "c.xlsx", 2))
    index = outcome.data_docs / "index.html"
    assert index.exists() and outcome.to_json()["data_docs"] == str(index)
    assert "validation" in index.read_text(encoding="utf-8").lower()


def test_a_dry_run_names_no_data_docs_nobody_could_open(store, settings, tmp_path):
    # Kept by default, built when a submission's Data Docs are first opened: a dry run has no submission to open.
    from dataclasses import replace

    kept = replace(settings, keep_validation_results=True)  # the suite keeps nothing (tests/conftest.py)
    workbook = census_workbook(tmp_path / "c.xlsx", 2)
    dry = ingest(store, kept, workbook, dry_run=True)
    assert dry.submission_id is None and dry.data_docs is None and dry.to_json()["data_docs"] is None
    # Nor does it keep GX's results (they piled up under var/data_docs, one folder per file tried).
    assert not (kept.var_dir / "data_docs").exists()
    loaded = ingest(store, kept, workbook)
    assert loaded.to_json()["data_docs"] == str(loaded.data_docs / "index.html")
    # The same file tried again is a duplicate, and a dry run says it was one (it said dry_run: false).
    again = ingest(store, kept, workbook, dry_run=True).to_json()
    assert (again["status"], again["dry_run"]) == ("duplicate", True)


def test_a_failing_code_cell_is_shown_as_typed_not_as_read(store, settings, tmp_path):
    # Codes are read upper-cased, without spaces (abc as ABC): 填报值 said what the checks read, and the uploader looked
    # for a cell that does not exist. A code typed into a number cell (440199, read as "440199.0") stays 440199.
    uscc = make_uscc(20_000)[:-1] + "z"  # z is no USCC character (nor Z)
    edits = {0: {"uscc": uscc}, 1: {"contact_phone": "138 0000 000"}, 2: {"division_code": 440199}}
    outcome = ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 3, edits), report_path=tmp_path / "r.xlsx")
    shown = {
        (f.row, f.field): f.value for f in outcome.failures if f.field in ("uscc", "contact_phone", "division_code")
    }
    assert shown[(3, "uscc")] == uscc and shown[(4, "contact_phone")] == "138 0000 000", shown
    assert shown[(5, "division_code")] == "440199", shown
    listed = {(row[1], row[2]): row[4] for row in openpyxl.load_workbook(outcome.report)[ERRORS_SHEET].iter_rows(
        min_row=2, values_only=True)}  # fmt: skip
    assert listed[(3, "uscc")] == uscc and listed[(4, "contact_phone")] == "138 0000 000"


def test_the_command_line_groups_thousands_in_its_counts(store, settings, tmp_path):
    # 警告 19094 个 on the command line, where the web and /submissions print 19,094.
    said = describe_outcome(
        ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 3)).to_json() | {"warnings": 19094}
    )
    assert "错误 0 个，警告 19,094 个。" in said
