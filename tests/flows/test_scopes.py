"""Reporting scopes end to end on real workbooks and a real warehouse: overlapping scopes are refused with a message
naming the holding return, a new return replaces only its own scope's, holders must lie inside their scope, the
shrink guard (refused, dry run, confirmed, configurable), the scope a workbook carries must be the one uploaded."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import openpyxl
import polars as pl
import pytest

import flows.ingest as ingest_module
from census_schema.audit import action_label
from census_schema.census_form import CENSUS_FORM, CENSUS_WORKBOOK, REGISTER_FORM
from census_schema.errors import AccessDenied, IllegalTransition, NotFound, UsageError, WorkbookUnusable
from census_schema.layout import DROPPED_SHEET, ERRORS_SHEET, rule_cell
from census_schema.roles import Role
from census_schema.scopes import WITHHELD_NOTE, ScopeReturn, central_scope, division_scope, province_scope
from census_schema.settings import load_settings
from cli.ingest_cmd import describe_outcome
from cli.main import main
from dash_app.audit_rows import state_parts
from flows.ingest import IngestRequest, describe_replaced, ingest_workbook
from flows.scopes import group_conflicts
from synthetic.holders import SIGN_OFF_BASE, make_uscc
from tests.conftest import backend_of, on_both_backends
from tests.flows.workbooks import PROVINCE, holder_rows, register_workbook, write_rows
from warehouse.audit import query_audit_log
from warehouse.backends import EmbeddedWarehouse
from warehouse.queries import list_submissions, query_summary
from warehouse.reviews import Reviewer, review_submission
from warehouse.users import add_user, set_user_active

GUANGZHOU = division_scope(PROVINCE, "440100")
TIANHE = division_scope(PROVINCE, "440106")  # a county-level district of 广州市
SHENZHEN_FUTIAN = "440304"


def holders(start: int, count: int, **fields: Any) -> list[dict[str, Any]]:
    """`count` valid census holders numbered from `start` (each its own USCC), in 天河区 unless fields say otherwise."""
    rows = holder_rows(CENSUS_FORM, count)
    return [{**row, "uscc": make_uscc(start + i), **fields} for i, row in enumerate(rows)]


def central_holders(start: int, count: int) -> list[dict[str, Any]]:
    """Headquarters of central enterprises in Beijing."""
    return [
        {**row, "unit_name": f"中央企业{i}", "division_code": "110000", "admin_level": "中央"}
        | {"uscc": make_uscc(start + i, prefix="91110000")}
        for i, row in enumerate(holders(start, count))
    ]


@pytest.fixture
def store(request, settings):
    """The embedded file, or a new DuckLake on PostgreSQL for the tests `on_both_backends` (one of each write the scope
    rules make: a replacement, a refused conflict, the check again at the load, a central channel)."""
    if backend_of(request) == "embedded":
        return EmbeddedWarehouse(settings.db_path)
    return request.getfixturevalue("make_lake")()


@pytest.fixture
def file_store(settings):
    """The embedded file the command-line tests name with --db."""
    return EmbeddedWarehouse(settings.db_path)


def ingest(store, settings, path, scope=None, kind="census", **options):
    province = None if scope is not None and scope.is_central else PROVINCE
    request = IngestRequest(path, kind, province, "张三", **options)
    return ingest_workbook(store, request, settings)


def census(tmp_path, name, rows, scope=None):
    return write_rows(tmp_path / f"{name}.xlsx", CENSUS_FORM, rows, scope=scope)


def current(store, scope):
    with store.reader() as con:
        found = [
            s
            for s in list_submissions(con)
            if s["kind"] == "census"
            and s["is_current"]
            and (s["scope_kind"], s["scope_code"]) == (scope.kind, scope.code)
        ]
    return found[0]["submission_id"] if found else None


@on_both_backends("store")
def test_a_return_holding_rows_of_another_scope_s_current_return_is_refused_naming_it(store, settings, tmp_path):
    province_wide = ingest(store, settings, census(tmp_path, "province", holders(1, 4)))
    assert province_wide.status == "accepted"
    # 广州市 reports two holders the province-wide return already holds, and one of its own.
    overlapping = holders(3, 3)
    outcome = ingest(store, settings, census(tmp_path, "guangzhou", overlapping, GUANGZHOU), GUANGZHOU)
    assert (outcome.status, outcome.exit_code) == ("rejected", 1)
    twice = [f for f in outcome.failures if f.rule == "uscc_in_other_return"]
    assert [(f.row, f.value) for f in twice] == [(3, make_uscc(3)), (4, make_uscc(4))]
    message = twice[0].message
    assert "广东省（省级）" in message and "province.xlsx" in message and "张三" in message
    assert province_wide.submission_id in message and "年" in message and "月" in message
    (conflict,) = outcome.to_json()["conflicts"]
    assert conflict["submission_id"] == province_wide.submission_id
    assert (conflict["scope"]["name"], conflict["file_name"], conflict["submitted_by"]) == (
        "广东省",
        "province.xlsx",
        "张三",
    )
    assert [h["uscc"] for h in conflict["holders"]] == [make_uscc(3), make_uscc(4)]
    report = openpyxl.load_workbook(outcome.report)
    assert rule_cell("uscc_in_other_return") in [row[5] for row in report[ERRORS_SHEET].iter_rows(values_only=True)]
    with store.reader() as con:
        figures = query_summary(con, province_code=PROVINCE)["provinces"][0]
    assert figures["vol_total"] == 4000, "nothing of the refused return is loaded"


def test_a_holder_of_another_province_s_return_is_refused_naming_only_that_province(store, settings, tmp_path):
    # 广西 holds a holder first; 广东's office learns which province holds it, not that return's file, uploader,
    # date or number (the national bureau sees them on its pages).
    guangxi = province_scope("450000")
    theirs = holders(1, 2, division_code="450102")
    path = write_rows(tmp_path / "gx-secret.xlsx", CENSUS_FORM, theirs, "450000", guangxi)
    held = ingest_workbook(store, IngestRequest(path, "census", "450000", "广西填报员"), settings)
    assert held.status == "accepted"
    outcome = ingest(store, settings, census(tmp_path, "gd", holders(2, 2)))
    assert outcome.status == "rejected"
    (twice,) = [f for f in outcome.failures if f.rule == "uscc_in_other_return"]
    assert twice.value == make_uscc(2) and "广西壮族自治区（省级或所辖地、县）的一份" in twice.message
    for secret in ("gx-secret", "广西填报员", held.submission_id, "报送，编号"):
        assert secret not in twice.message
    (conflict,) = outcome.to_json()["conflicts"]
    assert conflict["scope"]["name"] == "广西壮族自治区"
    assert (conflict["submission_id"], conflict["file_name"], conflict["submitted_by"], conflict["submitted_at"]) == (
        None,
        None,
        None,
        None,
    )
    report = openpyxl.load_workbook(outcome.report)
    assert not any("gx-secret" in str(c) for row in report[ERRORS_SHEET].iter_rows(values_only=True) for c in row)


def test_a_central_channel_s_office_is_named_only_whose_return_holds_a_holder():
    # A probe: 中央企业's office, refused for a holder 韶关市 reports, was shown that return's file, sender, day and
    # number; a channel's office is no more the bureau than a province's is.
    held = ScopeReturn(
        "S-sg", division_scope("440000", "440200"), "sg.xlsx", "shaoguan", datetime(2025, 1, 3, tzinfo=UTC)
    )
    enterprises = central_scope("enterprises")
    seen = held.seen_from(enterprises)
    assert seen.withheld and seen.scope == province_scope("440000") and "sg.xlsx" not in seen.describe()
    # Not said to be the province's own (广东省（省级）): the channel would ask the provincial office about it.
    assert (
        seen.describe().startswith("广东省（省级或所辖地、县）的一份现行有效的报表（")
        and "（省级）" not in seen.describe()
    )
    assert not held.seen_from(province_scope("440000")).withheld  # its own province's
    own_channel = ScopeReturn("S-c", enterprises, "c.xlsx", "yangqi", datetime(2025, 1, 3, tzinfo=UTC))
    assert not own_channel.seen_from(enterprises).withheld
    assert own_channel.seen_from(central_scope("organs")).withheld
    assert own_channel.seen_from(province_scope("440000")).withheld


def test_the_province_wide_return_is_refused_for_holders_a_county_already_reports(store, settings, tmp_path):
    county = ingest(store, settings, census(tmp_path, "tianhe", holders(1, 2), TIANHE), TIANHE)
    assert county.status == "accepted"
    outcome = ingest(store, settings, census(tmp_path, "province", holders(1, 3)))
    assert outcome.status == "rejected"
    assert {f.row for f in outcome.failures if f.rule == "uscc_in_other_return"} == {3, 4}
    assert "广东省广州市天河区（县级）" in next(f.message for f in outcome.failures if f.rule == "uscc_in_other_return")
    (held,) = outcome.to_json()["conflicts"]  # its time in Beijing time with the offset, as --json prints times
    assert held["submitted_at"].endswith("+08:00") and held["submission_id"] == county.submission_id
    # Without those two, the province-wide return sits beside the county's: each holder counted once.
    assert ingest(store, settings, census(tmp_path, "province2", holders(3, 1))).status == "accepted"
    with store.reader() as con:
        summary = query_summary(con, province_code=PROVINCE)
    assert summary["provinces"][0]["vol_total"] == 3000
    assert summary["review"]["provinces"][0]["by_state"] == {
        "待地级审核": 0,
        "待省级审核": 1,
        "待国家局审核": 1,
        "已审核": 0,
        "已退回": 0,
    }


def test_a_holder_written_on_many_rows_is_one_holder_held_elsewhere():
    # A probe wrote one code on 2,600 rows: the upload page said 2600 个普查对象已列入…现行有效的报表.
    held = ScopeReturn("S1", TIANHE, "tianhe.xlsx", "天河区档案局", datetime(2025, 1, 3, tzinfo=UTC))
    code, other = make_uscc(1), make_uscc(2)
    rows = pl.DataFrame(
        {"uscc": [code, code, other, code], "unit_name": ["甲", "甲", "乙", "甲"], "excel_row": [3, 4, 5, 6]}
    )
    (conflict,) = group_conflicts({code: held, other: held}, rows)
    assert [(h["uscc"], h["row"]) for h in conflict["holders"]] == [(code, 3), (other, 5)]


@on_both_backends("store")
def test_a_new_return_replaces_only_the_current_return_of_its_own_scope(store, settings, tmp_path):
    province_wide = ingest(store, settings, census(tmp_path, "province", holders(1, 2, division_code="440304")))
    first = ingest(store, settings, census(tmp_path, "gz1", holders(10, 2), GUANGZHOU), GUANGZHOU)
    second = ingest(store, settings, census(tmp_path, "gz2", holders(10, 2, photos=7), GUANGZHOU), GUANGZHOU)
    assert (first.status, second.status) == ("accepted", "accepted")
    assert current(store, GUANGZHOU) == second.submission_id
    assert current(store, province_scope(PROVINCE)) == province_wide.submission_id
    with store.reader() as con:
        history = {s["submission_id"]: s for s in list_submissions(con, PROVINCE)}
        figures = query_summary(con, province_code=PROVINCE)["provinces"][0]
    assert history[first.submission_id]["superseded_by"] == second.submission_id
    assert history[province_wide.submission_id]["is_current"] is True
    assert figures["vol_total"] == 4000
    # The outcome names the return replaced (the first of a scope replaces none; the county's took none of Guangzhou's).
    assert (province_wide.replaced, first.replaced) == (None, None)
    replaced = second.to_json()["replaced"]
    assert replaced["submission_id"] == first.submission_id and replaced["file_name"] == "gz1.xlsx"
    assert replaced["said"].startswith("广东省广州市") and "文件「gz1.xlsx」" in replaced["said"]


@pytest.mark.parametrize(
    ("scope", "row", "rule"),
    [
        (GUANGZHOU, {"division_code": SHENZHEN_FUTIAN}, "division_in_scope"),
        (TIANHE, {"division_code": "440105"}, "division_in_scope"),  # 海珠区, beside 天河区
        (TIANHE, {"division_code": "440160"}, "division_code_current"),  # 440106 with two digits swapped
        (province_scope(PROVINCE), {"admin_level": "中央"}, "admin_level_in_scope"),
        (central_scope("enterprises"), {"admin_level": "省级", "division_code": "110000"}, "admin_level_in_scope"),
        # A ministry's archive room, or a comprehensive archive, in the central enterprises' return.
        (central_scope("enterprises"), {"holder_type": "机关档案室"}, "holder_type_in_channel"),
        (central_scope("enterprises"), {"holder_type": "综合档案馆", "fonds_count": 3}, "holder_type_in_channel"),
        (central_scope("archives"), {"holder_type": "企事业单位档案室"}, "holder_type_in_channel"),
    ],
    ids=[
        "prefecture",
        "county",
        "county-code-mistyped",
        "central-unit-in-a-province",
        "local-unit-in-a-central-channel",
        "archive-room-of-an-organ-in-the-enterprises-channel",
        "comprehensive-archive-in-the-enterprises-channel",
        "enterprise-archive-room-in-the-archives-channel",
    ],
)
def test_a_holder_must_lie_inside_its_return_s_scope(store, settings, tmp_path, scope, row, rule):
    rows = central_holders(1, 2) if scope.is_central else holders(1, 2)
    if scope == central_scope("archives"):  # the base row is an enterprise's archive room: the channel's first row
        rows[0] |= {
            "unit_nature": "事业单位",
            "holder_type": "专门档案馆",
            "fonds_count": 2,
            "uscc": make_uscc(1, prefix="12110000"),
        }
    rows[1] |= row
    outcome = ingest(store, settings, census(tmp_path, "c", rows, scope), scope)
    assert outcome.status == "rejected"
    assert [(f.row, f.rule) for f in outcome.failures if f.severity == "error"] == [(4, rule)]
    # The message names the scope the row lies outside (it said 不在本表的填报范围内 without saying which), and a
    # province's, prefecture's or county's code (a channel's key is no code of anything the uploader writes).
    said = next(f.message for f in outcome.failures if f.rule == rule)
    code = "" if scope.is_central else f"，区划代码 {scope.code}"
    assert said.endswith(f"（本表的填报范围：{scope.label}{code}）")


def test_the_shrink_guard_refuses_reports_and_loads_when_confirmed(store, settings, tmp_path):
    first = ingest(store, settings, census(tmp_path, "c1", holders(1, 10)))
    smaller = census(tmp_path, "c2", holders(1, 8))
    with store.reader() as con:
        before = (list_submissions(con), query_summary(con))

    dry = ingest(store, settings, smaller, dry_run=True)
    refused = ingest(store, settings, smaller, report_path=tmp_path / "report.xlsx")
    for outcome in (dry, refused):
        assert (outcome.status, outcome.exit_code, outcome.submission_id) == ("needs_confirmation", 1, None)
        shrink = outcome.to_json()["shrink"]
        assert (shrink["current_holders"], shrink["dropped"], shrink["dropped_pct"], shrink["limit_pct"]) == (
            10,
            2,
            20.0,
            10.0,
        )
        assert [h["uscc"] for h in shrink["holders"]] == [make_uscc(9), make_uscc(10)]
        assert shrink["current"]["submission_id"] == first.submission_id
    # Nothing wrong in it: its report lists the holders it drops, and has no empty 错误清单 to read as a fault.
    assert refused.failures == []
    report = openpyxl.load_workbook(refused.report)
    assert ERRORS_SHEET not in report.sheetnames and report.active.title == DROPPED_SHEET
    dropped = report[DROPPED_SHEET]
    listed = list(dropped.iter_rows(values_only=True))
    assert listed[0] == ("统一社会信用代码", "单位名称", "行政区划代码", "普查对象类型")
    assert [row[0] for row in listed[1:]] == [make_uscc(9), make_uscc(10)]
    with store.reader() as con:
        assert (list_submissions(con), query_summary(con)) == before, "nothing recorded while unconfirmed"

    named = ingest(store, settings, smaller)  # where the report goes unless told: named as what it is
    assert named.report is not None and named.report.name.endswith("-核对报告.xlsx")
    confirmed = ingest(store, settings, smaller, confirm_shrink=True)
    assert (confirmed.status, confirmed.to_json()["shrink"]["confirmed"]) == ("accepted", True)
    assert current(store, province_scope(PROVINCE)) == confirmed.submission_id


def test_a_scope_whose_holders_all_belong_elsewhere_gives_them_up_with_an_empty_return(store, settings, tmp_path):
    # 天河区 reported 越秀区's holder by mistake, its only row: it sends a return without holders (confirmed, as it
    # drops all of its current return's), and 越秀区 may then report the holder. Without a current return to replace,
    # a return without holders is still refused.
    yuexiu = division_scope(PROVINCE, "440104")
    holder = holders(1, 1, division_code="440104")
    assert ingest(store, settings, census(tmp_path, "th", holders(1, 1), TIANHE), TIANHE).status == "accepted"
    refused = ingest(store, settings, census(tmp_path, "yx", holder, yuexiu), yuexiu)
    assert [f.rule for f in refused.failures] == ["uscc_in_other_return"]
    empty = census(tmp_path, "th-empty", [], TIANHE)
    asked = ingest(store, settings, empty, TIANHE)
    assert (asked.status, asked.to_json()["shrink"]["dropped"]) == ("needs_confirmation", 1)
    given_up = ingest(store, settings, empty, TIANHE, confirm_shrink=True)
    assert (given_up.status, given_up.rows, current(store, TIANHE)) == ("accepted", 0, given_up.submission_id)
    moved = ingest(store, settings, census(tmp_path, "yx2", holder, yuexiu), yuexiu)
    assert moved.status == "accepted"
    with store.reader() as con:
        assert query_summary(con, province_code=PROVINCE)["provinces"][0]["vol_total"] == holder[0]["vol_total"]
    with pytest.raises(WorkbookUnusable, match="「普查表」中没有数据行"):
        ingest(store, settings, census(tmp_path, "gz-empty", [], GUANGZHOU), GUANGZHOU)


def test_a_return_dropping_no_more_than_the_limit_loads_and_the_limit_is_a_setting(
    store, settings, tmp_path, monkeypatch
):
    ingest(store, settings, census(tmp_path, "c1", holders(1, 10)))
    one_less = ingest(store, settings, census(tmp_path, "c2", holders(1, 9)))
    assert one_less.status == "accepted" and one_less.to_json()["shrink"]["exceeds_limit"] is False
    monkeypatch.setenv("ARCHIVE_CENSUS_SHRINK_LIMIT_PCT", "50")
    relaxed = load_settings(settings.db_path)
    assert relaxed.shrink_limit_pct == 50.0
    assert ingest(store, relaxed, census(tmp_path, "c3", holders(1, 5))).status == "accepted"
    strict = replace(relaxed, shrink_limit_pct=0.0)
    assert ingest(store, strict, census(tmp_path, "c4", holders(1, 4))).status == "needs_confirmation"


def test_the_command_line_names_another_province_s_return_without_its_details(file_store, settings, tmp_path, capsys):
    # It crashed (exit 3, 内部错误 TypeError) on the withheld return's missing date, and showed none of the errors.
    theirs = write_rows(tmp_path / "gx-secret.xlsx", CENSUS_FORM, holders(1, 2, division_code="450102"), "450000")
    held = ingest_workbook(file_store, IngestRequest(theirs, "census", "450000", "广西填报员"), settings)
    assert held.status == "accepted"
    assert main(["ingest", "census", str(census(tmp_path, "gd", holders(2, 2))), "--db", str(settings.db_path)]) == 1
    said = capsys.readouterr().out
    assert (
        f"重复计数：以下普查对象已列入广西壮族自治区（省级或所辖地、县）的一份现行有效的报表（{WITHHELD_NOTE}）" in said
    )
    assert "gx-secret" not in said and held.submission_id not in said and "错误报告" in said


def test_the_command_line_exits_1_until_the_shrink_is_confirmed(file_store, settings, tmp_path, capsys):
    ingest(file_store, settings, census(tmp_path, "c1", holders(1, 10)))
    smaller = str(census(tmp_path, "c2", holders(1, 2)))
    db = ["--db", str(settings.db_path)]
    assert main(["ingest", "census", smaller, *db]) == 1
    err_out = capsys.readouterr().out
    assert "须确认后才能装载" in err_out and make_uscc(10) in err_out and "--confirm-shrink" in err_out
    # The same shrink in a rejected return: nothing to confirm (it asked for --confirm-shrink beside the errors).
    broken = str(census(tmp_path, "c2-bad", holders(1, 2, contact_phone="12345")))
    assert main(["ingest", "census", broken, *db]) == 1
    said = capsys.readouterr().out
    assert "未装载，无需确认" in said and "须确认后才能装载" not in said and "--confirm-shrink" not in said
    # The blank template sent by mistake gives up every holder: said in so many words (it said only 减少 10 个).
    assert main(["ingest", "census", str(census(tmp_path, "c-empty", [])), "--dry-run", *db]) == 1
    assert "本表是空表，没有任何普查对象" in capsys.readouterr().out
    assert main(["ingest", "census", smaller, "--dry-run", "--json", *db]) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "needs_confirmation"
    assert main(["ingest", "census", smaller, "--confirm-shrink", "--json", *db]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["status"], payload["shrink"]["dropped"], payload["scope"]["code"]) == ("accepted", 8, PROVINCE)
    assert payload["replaced"]["file_name"] == "c1.xlsx"
    assert main(["ingest", "census", str(census(tmp_path, "c3", holders(1, 2, photos=7))), *db]) == 0
    said = capsys.readouterr().out
    assert "已替换广东省（省级）现行有效的报表（文件「c2.xlsx」" in said and "新报表须重新审核" in said, said
    # The list says of a replaced return that it was replaced, as /submissions does (it read 待国家局审核 alone, as if
    # the bureau still had it to review).
    assert main(["submissions", *db]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if payload["submission_id"] in line]
    assert len(listed) == 1 and "已被替换（原为待国家局审核）" in listed[0], listed


def test_a_confirmed_shrink_is_audited_with_the_holders_dropped_and_the_review_replaced(
    file_store, settings, tmp_path, capsys
):
    # A probe: a confirmed shrink over a reviewed return was logged with {"current": [id]} alone before the load.
    first = ingest(file_store, settings, census(tmp_path, "c1", holders(1, 10)))
    with file_store.writer() as con:
        review_submission(con, first.submission_id, "accept", Reviewer("审核员甲", Role.PLANNER), None)
    db = ["--db", str(settings.db_path)]
    assert main(["ingest", "census", str(census(tmp_path, "c2", holders(1, 2))), "--confirm-shrink", *db]) == 0
    capsys.readouterr()
    assert main(["audit", "--kind", "submission", "--json", *db]) == 0
    event = json.loads(capsys.readouterr().out)["events"][0]
    assert event["before"] == {"current": [first.submission_id], "current_review": "已审核"}
    assert (event["after"]["shrink_confirmed"], event["after"]["holders_dropped"]) == (True, 8)
    assert [h["uscc"] for h in event["after"]["dropped_holders"]] == [make_uscc(n) for n in range(3, 11)]
    # In words, first in the line of `archive-census audit` (clipped there) and item by item on /audit.
    assert main(["audit", "--kind", "submission", *db]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "已审核" in line)
    assert "被替代报送的审核进度：已审核；被替代的报送：S" in line
    assert "报送人确认减少后装载：是；减少的普查对象（个）：8；减少的普查对象：" in line
    with file_store.reader() as con:
        [logged] = [e for e in query_audit_log(con, kind="submission") if e["before_state"]]
    dropped = next(item for item in state_parts(logged["after_state"]) if item.startswith("减少的普查对象："))
    assert dropped.startswith(
        f"减少的普查对象：{event['after']['dropped_holders'][0]['unit_name']}（{make_uscc(3)}）、"
    )


def test_the_scope_comes_from_the_workbook_and_a_mismatch_is_refused(file_store, settings, tmp_path, capsys):
    path = census(tmp_path, "gz", holders(1, 2), GUANGZHOU)
    db = ["--db", str(settings.db_path)]
    assert main(["ingest", "census", str(path), "--province", PROVINCE, "--division", "440300", *db]) == 2
    said = capsys.readouterr().err
    assert "广东省广州市（地级）" in said and "（命令行所指定的）" in said and "--division" in said, said
    assert main(["ingest", "census", str(path), "--central", "organs", *db]) == 2
    assert "填报范围" in capsys.readouterr().err
    central = census(tmp_path, "central", central_holders(1, 2), central_scope("enterprises"))
    with pytest.raises(WorkbookUnusable, match="中央企业渠道的模板"):
        ingest_workbook(file_store, IngestRequest(central, "census", PROVINCE, "广东省填报员"), settings)
    assert main(["ingest", "census", str(path), "--province", PROVINCE, "--division", "440100", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)["scope"] == {
        "kind": "prefecture",
        "code": "440100",
        "name": "广东省广州市",
    }


@on_both_backends("store")
def test_central_channels_are_registered_reported_and_counted_beside_the_provinces(store, settings, tmp_path):
    enterprises = central_scope("enterprises")
    units = central_holders(1, 4)
    register = write_rows(tmp_path / "reg.xlsx", REGISTER_FORM, units, scope=enterprises)
    assert ingest(store, settings, register, enterprises, kind="register").status == "accepted"
    unregistered = {**central_holders(50, 1)[0], "unit_name": "名录外的中央企业"}
    outcome = ingest(store, settings, census(tmp_path, "ent", [*units[:3], unregistered], enterprises), enterprises)
    assert (outcome.status, outcome.province) == ("accepted", None)
    # Named in words (it said 中央企业（enterprises）: the command line's key).
    assert describe_outcome(outcome.to_json()).startswith("已接收：中央企业，")
    assert ingest(store, settings, census(tmp_path, "gd", holders(1, 2))).status == "accepted"
    with store.reader() as con:
        summary = query_summary(con)
    central = summary["central"]
    channel = next(c for c in central["channels"] if c["channel"] == "enterprises")
    assert (channel["units_expected"], channel["units_reported"], channel["units_unregistered"]) == (4, 3, 1)
    assert (channel["coverage_pct"], channel["vol_total"]) == (75.0, 4000)
    assert (central["units_expected"], central["vol_total"]) == (4, 4000)
    assert summary["national"]["vol_total"] == 4000 + 2000
    beijing = next(p for p in summary["provinces"] if p["province_code"] == "110000")
    assert beijing["vol_total"] == 0, "central units are not counted in the province they lie in"
    assert summary["review"]["central"]["by_state"]["待国家局审核"] == 1


def test_review_by_the_province_then_the_nation_and_a_return_takes_figures_out(file_store, settings, tmp_path, capsys):
    with file_store.writer() as con:
        add_user(con, "guangdong", "hash", Role.PROVINCE, "440000", by="管理员")
        add_user(con, "planner", "hash", Role.PLANNER, None, by="管理员")
    register = write_rows(tmp_path / "reg.xlsx", REGISTER_FORM, holders(1, 4))
    assert ingest(file_store, settings, register, kind="register").status == "accepted"
    assert ingest(file_store, settings, census(tmp_path, "province", holders(1, 2, division_code="440304"))).status == (
        "accepted"
    )
    guangzhou = ingest(file_store, settings, census(tmp_path, "gz", holders(3, 2), GUANGZHOU), GUANGZHOU)
    db = ["--db", str(settings.db_path)]

    def review(*argv: str) -> tuple[int, str]:
        code = main(["review", *argv, *db])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    def figures() -> tuple[int, int, dict[str, int]]:
        with file_store.reader() as con:
            summary = query_summary(con, province_code=PROVINCE)
        province = summary["provinces"][0]
        return province["units_reported"], province["vol_total"], summary["review"]["provinces"][0]["by_state"]

    assert figures() == (4, 4000, {"待地级审核": 0, "待省级审核": 1, "待国家局审核": 1, "已审核": 0, "已退回": 0})
    code, text = review("accept", guangzhou.submission_id, "--by", "planner")
    assert code == 2 and "须先由省级档案部门审核" in text
    code, text = review("return", guangzhou.submission_id, "--by", "guangdong")
    assert code == 2 and "退回报送必须说明原因。 处理办法：请用 --reason 写明" in text
    # A reason with a direction control (its text would read reversed in every export) is refused as a cell is.
    code, text = review("return", guangzhou.submission_id, "--by", "guangdong", "--reason", "广东\u202e反向\u200b零宽")
    assert code == 2 and "「退回理由」含有看不见的字符：广东[U+202E]反向[U+200B]零宽" in text
    reason = "第4行馆藏数量与档案室规模不符，请核实"
    assert review("return", guangzhou.submission_id, "--by", "guangdong", "--reason", reason)[0] == 0
    assert figures() == (2, 2000, {"待地级审核": 0, "待省级审核": 0, "待国家局审核": 1, "已审核": 0, "已退回": 1})
    assert main(["submissions", "--json", *db]) == 0
    listed = {s["submission_id"]: s for s in json.loads(capsys.readouterr().out)["submissions"]}
    returned = listed[guangzhou.submission_id]
    assert (returned["review_progress"], returned["return_reason"], returned["returned_by"]) == (
        "已退回",
        reason,
        "guangdong",
    )

    corrected = ingest(
        file_store, settings, census(tmp_path, "gz2", holders(3, 2, remarks="已核实"), GUANGZHOU), GUANGZHOU
    )
    assert corrected.status == "accepted"
    assert figures() == (4, 4000, {"待地级审核": 0, "待省级审核": 1, "待国家局审核": 1, "已审核": 0, "已退回": 0})
    assert review("accept", corrected.submission_id, "--by", "guangdong")[0] == 0
    assert review("accept", corrected.submission_id, "--by", "planner")[0] == 0
    province_wide = current(file_store, province_scope(PROVINCE))
    code, text = review("accept", province_wide, "--by", "guangdong")
    assert code == 2 and "国家档案局" in text
    assert review("accept", province_wide, "--by", "planner")[0] == 0
    with file_store.reader() as con:
        progress = query_summary(con)["review"]
    assert (progress["returns"], progress["reviewed_pct"], progress["by_state"]["已审核"]) == (2, 100.0, 2)
    # A final return is said to be final to every level (the province was told it was the nation's turn).
    code, text = review("return", corrected.submission_id, "--by", "guangdong", "--reason", "再核")
    assert code == 2 and "当前为「已审核」" in text and "审核结论不能撤销" in text, text
    # A disabled reviewer is said to be disabled (it was told the account did not exist, and to create it).
    with file_store.writer() as con:
        set_user_active(con, "guangdong", False, by="管理员")
    code, text = review("return", province_wide, "--by", "guangdong", "--reason", "再核")
    assert code == 2 and "（省级档案部门，已停用）不能审核" in text and "users enable" in text, text


def test_a_central_unit_registered_in_one_channel_and_reported_in_another_is_covered_in_neither(
    store, settings, tmp_path
):
    # Central units have no province: the channel alone says whose register and whose return a unit is in.
    organs, enterprises = central_scope("organs"), central_scope("enterprises")
    unit, other = central_holders(1, 2)
    for scope, listed in ((organs, unit), (enterprises, other)):
        register = write_rows(tmp_path / f"{scope.code}.xlsx", REGISTER_FORM, [listed], scope=scope)
        assert ingest(store, settings, register, scope, kind="register").status == "accepted"
    unit = [unit]
    outcome = ingest(store, settings, census(tmp_path, "ent", unit, enterprises), enterprises)
    assert outcome.status == "accepted"
    assert [f.rule for f in outcome.failures] == ["uscc_not_in_register"]
    with store.reader() as con:
        channels = {c["channel"]: c for c in query_summary(con)["central"]["channels"]}
    figures = ("units_expected", "units_reported", "units_unregistered")
    assert tuple(channels["organs"][k] for k in figures) == (1, 0, 0)
    assert tuple(channels["enterprises"][k] for k in figures) == (1, 0, 1)


def test_a_corps_city_reports_as_a_county_scope_of_the_corps(file_store, settings, tmp_path, capsys):
    # The 师市合一 cities keep their Xinjiang codes (6590xx) and report to the Corps (660000), not to Xinjiang.
    db = ["--db", str(settings.db_path)]
    template = tmp_path / "t.xlsx"
    assert (
        main(["template", "census", "--province", "660000", "--division", "659001", "--out", str(template), *db]) == 0
    )
    assert "新疆生产建设兵团石河子市" in capsys.readouterr().out
    meta = dict(openpyxl.load_workbook(template)["_meta"].iter_rows(values_only=True))
    assert (meta["province_code"], meta["scope_kind"], meta["scope_code"]) == ("660000", "county", "659001")
    city = division_scope("660000", "659001")
    rows = [{**row, "uscc": make_uscc(1, prefix="91659001"), "division_code": "659001"} for row in holders(1, 1)]
    path = census(tmp_path, "shihezi", rows, city)
    argv = ["ingest", "census", str(path), "--province", "660000", "--division", "659001", "--json", *db]
    assert main(argv) == 0, capsys.readouterr()
    answer = json.loads(capsys.readouterr().out)
    assert (answer["province"], answer["scope"]["code"]) == ("660000", "659001")


def test_a_workbook_sent_under_an_account_that_may_not_send_it_is_refused_before_anything_is_read(
    store, settings, tmp_path
):
    # The web's rule on every channel: `ingest --by guangdong` loaded a central channel's return as Guangdong's.
    with store.writer() as con:
        add_user(con, "guangdong", "hash", Role.PROVINCE, "440000", by="管理员")
        add_user(con, "guangxi", "hash", Role.PROVINCE, "450000", by="管理员")
        add_user(con, "expert", "hash", Role.EVALUATOR, None, by="管理员")
        add_user(con, "admin", "hash", Role.ADMIN, None, by="管理员")  # a probe's `ingest --by admin` loaded
        add_user(con, "gone", "hash", Role.PLANNER, None, by="管理员")
        set_user_active(con, "gone", False, by="管理员")
    enterprises = central_scope("enterprises")
    central = census(tmp_path, "ent", central_holders(1, 2), enterprises)
    gd = census(tmp_path, "gd", holders(1, 2))
    refusals = {
        (
            "guangdong",
            central,
            enterprises,
        ): "平台用户 guangdong（省级档案部门）只能报送本省（广东省）的表，不能报送中央企业的表。",
        (
            "guangxi",
            gd,
            None,
        ): "平台用户 guangxi（省级档案部门）只能报送本省（广西壮族自治区）的表，不能报送广东省的表。",
        ("expert", gd, None): "平台用户 expert（评价专家）不能报送报表。",
        ("admin", gd, None): "平台用户 admin（系统管理员）不能报送报表。",
        ("gone", gd, None): "平台用户 gone（国家档案局规划人员）已停用，不能以其名义报送。",
    }
    for (by, path, scope), said in refusals.items():
        province = None if scope is not None else "440000"
        request = IngestRequest(path, "census", province, by, scope=scope)
        with pytest.raises(AccessDenied) as refused:
            ingest_workbook(store, request, settings)
        assert refused.value.message == said
    # An account's name in another letter case passed every check (the audit log then read as that account's).
    with pytest.raises(UsageError, match="与平台用户「guangxi」只差字母大小写"):
        ingest_workbook(store, IngestRequest(gd, "census", "440000", "GuangXi"), settings)
    # So did one in full-width letters or with a Cyrillic letter drawn like a Latin one, or with an unseen character
    # (a probe sent a return as "guаngdong" and the real guangdong then passed it: not its own upload, it seemed).
    for look_alike, said in (
        ("ｇｕａｎｇｘｉ", "与平台用户「guangxi」看起来相同"),
        ("guаngxi", "与平台用户「guangxi」看起来相同"),
        ("guangxi\u200b", "含有看不见的字符"),
    ):
        with pytest.raises(UsageError, match=said):
            ingest_workbook(store, IngestRequest(gd, "census", "440000", look_alike), settings)
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0
    # Its own province's and prefecture's returns, and any person's name without an account, are sent as before.
    assert ingest_workbook(store, IngestRequest(gd, "census", "440000", "guangdong"), settings).status == "accepted"
    outcome = ingest_workbook(
        store, IngestRequest(central, "census", None, "中央企业填报员", scope=enterprises), settings
    )
    assert outcome.status == "accepted"


def test_a_returned_return_is_named_as_returned_wherever_a_message_names_it(store, settings, tmp_path):
    gz = ingest(store, settings, census(tmp_path, "gz1", holders(10, 2), GUANGZHOU), GUANGZHOU)
    with store.writer() as con:
        review_submission(con, gz.submission_id, "return", Reviewer("guangdong", Role.PROVINCE, PROVINCE), "请核实")
    # A province-wide return holding one of its holders: the holder is listed in a return counted nowhere (the
    # message said 已计入 a return that counts in no figure).
    clash = ingest(store, settings, census(tmp_path, "gd", holders(10, 1)))
    said = next(f.message for f in clash.failures if f.rule == "uscc_in_other_return")
    assert "（已列入广东省广州市（地级）现行报表（已退回，不计入统计；文件「gz1.xlsx」，" in said
    # Its corrected return replaces it: its figures did not count, so none stop counting.
    corrected = ingest(store, settings, census(tmp_path, "gz2", holders(10, 2, photos=7), GUANGZHOU), GUANGZHOU)
    replaced = corrected.to_json()["replaced"]
    assert replaced["is_returned"] is True and "（已退回，不计入统计；文件「gz1.xlsx」" in replaced["said"]
    assert describe_replaced(replaced, None) == f"已替换{replaced['said']}：新报表的数据计入统计；新报表须重新审核"
    # Its reviewer's comparison says so too: the totals beside the new ones were counted nowhere.
    from dash_app.pages.submissions import describe_changes
    from warehouse.scopes import fetch_replacement_changes

    with store.reader() as con:
        compared = describe_changes(fetch_replacement_changes(con, corrected.submission_id))
    assert compared.startswith("与其替换的报表（已退回，不计入统计；「gz1.xlsx」，"), compared


def test_a_county_s_return_awaits_its_prefecture_only_when_that_office_has_an_active_account(store, settings, tmp_path):
    # On both backends: the first level is chosen when the return is loaded, from the accounts then active.
    register = write_rows(tmp_path / "reg.xlsx", REGISTER_FORM, holders(1, 4))
    assert ingest(store, settings, register, kind="register").status == "accepted"

    def stage_of_new_return(name: str, start: int) -> str:
        rows = holders(start, 1, remarks=name)  # another file each time, its holder the same
        outcome = ingest(store, settings, census(tmp_path, name, rows, TIANHE), TIANHE)
        assert outcome.status == "accepted", outcome.failures
        with store.reader() as con:
            return next(s for s in list_submissions(con) if s["submission_id"] == outcome.submission_id)[
                "review_progress"
            ]

    assert stage_of_new_return("before", 1) == "待省级审核"  # no prefecture account yet: the province first
    with store.writer() as con:
        add_user(con, "guangzhou", "hash", Role.PREFECTURE, None, division_code="440100", by="管理员")
        add_user(con, "shenzhen", "hash", Role.PREFECTURE, None, division_code="440300", by="管理员")
    assert stage_of_new_return("with-account", 1) == "待地级审核"
    submission_id = current(store, TIANHE)
    with store.writer() as con:
        with pytest.raises(NotFound):
            review_submission(
                con, submission_id, "accept", Reviewer("shenzhen", Role.PREFECTURE, "440000", "440300"), None
            )
        change = review_submission(
            con, submission_id, "accept", Reviewer("guangzhou", Role.PREFECTURE, "440000", "440100"), None
        )
    assert (change["level"], change["from_state"], change["to_state"]) == ("prefecture", "待地级审核", "待省级审核")
    # Its own return is its province's to review, and it is told so (not that the return does not exist).
    own = ingest(store, settings, census(tmp_path, "gz", holders(7, 1), GUANGZHOU), GUANGZHOU)
    with store.writer() as con, pytest.raises(AccessDenied) as refused:
        review_submission(
            con, own.submission_id, "accept", Reviewer("guangzhou", Role.PREFECTURE, "440000", "440100"), None
        )
    assert "不是广东省广州市（guangzhou）所辖县级单位的报表" in refused.value.message
    assert "本地区自己的报表由省级档案部门" in str(refused.value.hint)
    with store.writer() as con:
        set_user_active(con, "guangzhou", False, by="管理员")
    assert stage_of_new_return("disabled", 1) == "待省级审核"  # its office's account disabled: the province first


def test_a_return_an_office_sent_for_a_scope_below_it_is_reviewed_above_that_office(store, settings, tmp_path):
    # A probe: the province's one account sent a county's return; the prefecture passed it, and it then waited at
    # 待省级审核 for ever, since nobody passes what they sent. A level's own upload is its word: review goes above it.
    with store.writer() as con:
        add_user(con, "guangdong", "hash", Role.PROVINCE, "440000", by="管理员")
        add_user(con, "guangzhou", "hash", Role.PREFECTURE, None, division_code="440100", by="管理员")

    def send(name: str, sender: str) -> tuple[str, str]:
        path = census(tmp_path, name, holders(1, 1, remarks=name), TIANHE)  # another file each time, one holder
        outcome = ingest_workbook(store, IngestRequest(path, "census", PROVINCE, sender), settings)
        assert outcome.status == "accepted", outcome.failures
        with store.reader() as con:
            listed = next(s for s in list_submissions(con) if s["submission_id"] == outcome.submission_id)
        return outcome.submission_id, listed["review_progress"]

    assert send("by-county-clerk", "张三")[1] == "待地级审核"  # a name that is no account: as the scope says
    by_prefecture, progress = send("by-prefecture", "guangzhou")
    assert progress == "待省级审核"
    with store.writer() as con:
        change = review_submission(con, by_prefecture, "accept", Reviewer("guangdong", Role.PROVINCE, "440000"), None)
    assert (change["from_state"], change["to_state"]) == ("待省级审核", "待国家局审核")
    by_province, progress = send("by-province", "guangdong")
    assert progress == "待国家局审核"
    with store.writer() as con:
        change = review_submission(con, by_province, "accept", Reviewer("planner", Role.PLANNER), None)
    assert change["to_state"] == "已审核"
    # One loaded before this rule, waiting at its prefecture: passed there, it goes past its sender's level.
    waiting, _ = send("by-province-earlier", "guangdong")
    with store.writer() as con:
        con.execute("UPDATE submissions SET review_stage = 'prefecture' WHERE submission_id = ?", [waiting])
        change = review_submission(
            con, waiting, "accept", Reviewer("guangzhou", Role.PREFECTURE, "440000", "440100"), None
        )
    assert (change["from_state"], change["to_state"]) == ("待地级审核", "待国家局审核")


@on_both_backends("store")
@pytest.mark.parametrize("found_by", ["the duplicate check", "the load"])
def test_an_attempt_finding_its_own_request_s_load_reports_that_load_not_a_duplicate(
    store, settings, tmp_path, monkeypatch, found_by
):
    # A worker killed after its run committed had the run scheduled again: the retry found the file loaded and said
    # 与已接收的文件完全相同，未作改动, when its load had replaced 广东's return and dropped 8 holders, as confirmed.
    first = ingest(store, settings, census(tmp_path, "c1", holders(1, 10)))
    rows = holders(1, 2)
    rows[0] |= {"division_code": "440000", "admin_level": "县级"}  # a warning
    request = IngestRequest(census(tmp_path, "c2", rows), "census", PROVINCE, "张三", confirm_shrink=True)
    landed = ingest_workbook(store, request, settings)
    assert (landed.status, landed.replaced.submission_id, landed.warnings > 0) == (
        "accepted",
        first.submission_id,
        True,
    )
    if found_by == "the load":  # the retry looked before the first attempt's commit, and found it as it loaded
        monkeypatch.setattr(ingest_module, "find_duplicate", lambda *args: None)
    with store.reader() as con:
        before = (list_submissions(con), query_summary(con))
    retried = ingest_workbook(store, request, settings)
    told = {k: v for k, v in retried.to_json().items() if k not in ("report", "data_docs")}
    assert told == {k: v for k, v in landed.to_json().items() if k not in ("report", "data_docs")}
    assert told["shrink"]["dropped"] == 8 and told["shrink"]["confirmed"] is True
    assert retried.report is not None and retried.report.is_file()
    said = describe_outcome(retried.to_json())
    assert said.startswith("已接收") and "已替换广东省（省级）现行有效的报表" in said and "已确认减少" in said, said
    with store.reader() as con:
        assert (list_submissions(con), query_summary(con)) == before, "loaded once"
    # The same file sent again by a new request is still a duplicate that changed nothing.
    again = ingest_workbook(store, replace(request, request_id="another-request"), settings)
    assert (again.status, again.submission_id, again.shrink, again.replaced) == (
        "duplicate",
        landed.submission_id,
        None,
        None,
    )
    assert describe_outcome(again.to_json()).startswith("与已接收的文件完全相同，未作改动")


@on_both_backends("store")
def test_an_upload_names_the_return_it_replaced_at_its_load_not_the_one_seen_at_its_validation(
    store, settings, tmp_path, monkeypatch
):
    # Two uploads of one scope at once: the second to load replaced the first, yet named the return both had seen
    # at validation (and told of its review voided, not of the return it did replace).
    first = ingest(store, settings, census(tmp_path, "c1", holders(1, 10)))
    real, raced = ingest_module.read_scope_facts, []

    def validate_while_another_loads(*args: Any, **kwargs: Any) -> Any:
        facts = real(*args, **kwargs)
        if not raced:
            raced.append(None)
            raced[0] = ingest(store, settings, census(tmp_path, "c2", holders(1, 11, unit_name="同时上传的另一份")))
        return facts

    monkeypatch.setattr(ingest_module, "read_scope_facts", validate_while_another_loads)
    last = ingest(store, settings, census(tmp_path, "c3", holders(1, 10, unit_name="后装载的一份")))
    assert raced[0].status == last.status == "accepted"
    assert raced[0].replaced.submission_id == first.submission_id
    assert last.replaced.submission_id == raced[0].submission_id
    assert "文件「c2.xlsx」" in last.to_json()["replaced"]["said"]
    # The holders it dropped are those of the return it replaced (the racing one's eleventh), not of the one seen at
    # validation, from which it dropped none (a probe read 已替换 one return beside 与…相比减少 of another).
    dropped = last.to_json()["shrink"]
    assert dropped["current"]["submission_id"] == raced[0].submission_id and dropped["dropped"] == 1, dropped


def test_a_census_return_with_no_register_to_compare_with_says_it_was_not_compared(store, settings, tmp_path, capsys):
    # A channel's register sent back, its census return accepted with 错误 0 个，警告 0 个: the clerk read that as
    # checked against the register, and the quality page counted it clean.
    alone = ingest(store, settings, census(tmp_path, "c1", holders(1, 3)))
    assert alone.status == "accepted"
    assert alone.to_json()["register_note"] == (
        "本表未与普查对象名录核对（各单位是否在名录内）：广东省尚无现行有效的普查对象名录（尚未报送，或已被退回）；"
        "名录装载后将自动重新核对"
    )
    assert ingest(store, settings, register_workbook(tmp_path / "r.xlsx", 3), kind="register").status == "accepted"
    compared = ingest(store, settings, census(tmp_path, "c2", holders(1, 4)))
    assert compared.status == "accepted" and compared.register_note is None


def test_an_office_s_own_return_is_replaced_by_another_account_only_when_that_very_return_is_confirmed(
    store, settings, tmp_path
):
    # A prefecture's web upload replaced its county's own reviewed return unasked (a probe). A return another account
    # sent is replaced only once that very return is confirmed; one the command line loaded under a name that is no
    # account is replaced as before.
    from flows.scopes import ScopeChanged, recheck_before_load

    with store.writer() as con:
        add_user(con, "tianhe", "hash", Role.COUNTY, "440000", by="管理员", division_code="440106")
    request = IngestRequest(census(tmp_path, "own", holders(1, 2), TIANHE), "census", PROVINCE, "tianhe")
    own = ingest_workbook(store, request, settings)
    assert own.status == "accepted"
    path = census(tmp_path, "over", holders(1, 3), TIANHE)  # not the same rows: that would be a duplicate

    def over(**options: Any):
        request = IngestRequest(path, "census", PROVINCE, "guangzhou", protect_others=True, **options)
        return ingest_workbook(store, request, settings)

    asked = over()
    assert (asked.status, asked.exit_code, asked.submission_id) == ("needs_confirmation", 1, None)
    assert asked.to_json()["replaces_other"]["submission_id"] == own.submission_id
    assert current(store, TIANHE) == own.submission_id
    assert over(confirmed_current="S-another").status == "needs_confirmation"  # not the return it is asked about
    # Under the writer lock: a return of the office's own that became current after validation is not replaced.
    with store.reader() as con:
        with pytest.raises(ScopeChanged, match="不是您确认替换的报表"):
            recheck_before_load(con, CENSUS_WORKBOOK, TIANHE, frozenset(), 10.0, True, "guangzhou", None)
        assert recheck_before_load(con, CENSUS_WORKBOOK, TIANHE, frozenset(), 10.0, True, "tianhe", None)[0]
    confirmed = over(confirmed_current=own.submission_id)
    assert confirmed.status == "accepted" and current(store, TIANHE) == confirmed.submission_id
    # guangzhou's own return now: replaced by the command line's clerk (no protection asked) or by guangzhou again.
    again = IngestRequest(census(tmp_path, "again", holders(1, 4), TIANHE), "census", PROVINCE, "guangzhou")
    assert ingest_workbook(store, replace(again, protect_others=True), settings).status == "accepted"


def test_a_county_s_upload_over_the_return_its_province_sent_for_it_asks_first_too(store, settings, tmp_path):
    # A probe: the province sent a corrected return for a county (asked first, as it replaced the county's), its
    # prefecture passed it; the county's next upload replaced it unasked, the correction and the review gone.
    with store.writer() as con:
        add_user(con, "tianhe", "hash", Role.COUNTY, "440000", by="管理员", division_code="440106")
        add_user(con, "guangdong", "hash", Role.PROVINCE, "440000", by="管理员")
    sent = IngestRequest(census(tmp_path, "province", holders(1, 2), TIANHE), "census", PROVINCE, "guangdong")
    for_county = ingest_workbook(store, sent, settings)
    assert for_county.status == "accepted"
    path = census(tmp_path, "county", holders(1, 3), TIANHE)

    def upload(**options: Any):
        request = IngestRequest(path, "census", PROVINCE, "tianhe", protect_others=True, **options)
        return ingest_workbook(store, request, settings)

    asked = upload()
    assert (asked.status, asked.submission_id) == ("needs_confirmation", None)
    assert asked.to_json()["replaces_other"]["submission_id"] == for_county.submission_id
    assert current(store, TIANHE) == for_county.submission_id
    confirmed = upload(confirmed_current=for_county.submission_id)
    assert confirmed.status == "accepted" and current(store, TIANHE) == confirmed.submission_id


def test_an_office_s_upload_over_its_own_return_a_reviewer_passed_asks_first(store, settings, tmp_path):
    # A probe: a prefecture's upload over its own return undid the bureau's 已审核 without a question; the page said so
    # only after. A return a reviewer moved on is replaced once that very return is confirmed; one nobody has passed
    # yet, or one merely sent again with the same rows, as before.
    with store.writer() as con:
        add_user(con, "guangzhou", "hash", Role.PREFECTURE, None, division_code="440100", by="管理员")

    def upload(name: str, rows: list[dict[str, Any]], **options: Any):
        request = IngestRequest(census(tmp_path, name, rows, GUANGZHOU), "census", PROVINCE, "guangzhou", **options)
        return ingest_workbook(store, replace(request, protect_others=True), settings)

    first = upload("first", holders(1, 3))
    second = upload("second", holders(1, 4))  # over its own return that waits for its first review: not asked
    assert (first.status, second.status) == ("accepted", "accepted")
    with store.writer() as con:
        review_submission(con, second.submission_id, "accept", Reviewer("guangdong", Role.PROVINCE, PROVINCE), None)
    asked = upload("third", holders(1, 5))
    assert (asked.status, asked.submission_id) == ("needs_confirmation", None)
    assert asked.to_json()["replaces_other"]["review"] == "待国家局审核" and asked.to_json()["replaces_reviewed"]
    assert current(store, GUANGZHOU) == second.submission_id
    confirmed = upload("third", holders(1, 5), confirmed_current=second.submission_id)
    assert confirmed.status == "accepted" and current(store, GUANGZHOU) == confirmed.submission_id
    # The command line (the operator) is not asked, as for another's return.
    with store.writer() as con:
        review_submission(con, confirmed.submission_id, "accept", Reviewer("guangdong", Role.PROVINCE, PROVINCE), None)
    clerk = IngestRequest(census(tmp_path, "clerk", holders(1, 6), GUANGZHOU), "census", PROVINCE, "guangzhou")
    assert ingest_workbook(store, clerk, settings).status == "accepted"


def test_a_return_the_command_line_loaded_is_another_s_to_every_office_but_its_scope_s_own(store, settings, tmp_path):
    # A probe: the province's web upload replaced its prefecture's reviewed return (loaded by the clerk's command line
    # under a name that is no account) at once, and the prefecture was told nothing. Its own office replaces it as its
    # own; any other office is asked first.
    with store.writer() as con:
        add_user(con, "guangdong", "hash", Role.PROVINCE, "440000", by="管理员")
        add_user(con, "guangzhou", "hash", Role.PREFECTURE, None, division_code="440100", by="管理员")
    clerk = IngestRequest(census(tmp_path, "clerk", holders(1, 2), GUANGZHOU), "census", PROVINCE, "广州填报员")
    loaded = ingest_workbook(store, clerk, settings)
    assert loaded.status == "accepted"
    path = census(tmp_path, "over", holders(1, 3), GUANGZHOU)

    def upload(by: str):
        return ingest_workbook(store, IngestRequest(path, "census", PROVINCE, by, protect_others=True), settings)

    asked = upload("guangdong")
    assert asked.status == "needs_confirmation"
    assert asked.to_json()["replaces_other"]["submission_id"] == loaded.submission_id
    assert upload("guangzhou").status == "accepted"


def test_withdrawing_a_return_that_replaced_a_colleague_s_says_that_one_stays_out_and_it_reads_as_withdrawn(
    file_store, settings, tmp_path
):
    # A probe's second account of 广东省 replaced the first's return, then withdrew its own: the first's return stayed
    # out of the figures unsaid, and the first account read the withdrawal as a return (…gd-second 退回).
    from dash_app.pages.upload import returned_clause
    from warehouse.reviews import describe_withdrawal

    with file_store.writer() as con:
        add_user(con, "guangdong", "hash", Role.PROVINCE, PROVINCE, by="管理员", full_name="李华")
        add_user(con, "gd-second", "hash", Role.PROVINCE, PROVINCE, by="管理员")
    first = IngestRequest(census(tmp_path, "a", holders(1, 3)), "census", PROVINCE, "guangdong")
    assert ingest_workbook(file_store, first, settings).status == "accepted"
    second = IngestRequest(census(tmp_path, "b", holders(1, 4)), "census", PROVINCE, "gd-second")
    sent = ingest_workbook(file_store, second, settings)
    assert sent.status == "accepted"
    with file_store.reader() as con:
        said = describe_withdrawal(con, sent.submission_id, "gd-second")
    assert (
        said is not None
        and "它所替换的报表（「a.xlsx」，李华（guangdong） " in said
        and "报送）也不会恢复计入；" in said
    )
    with file_store.writer() as con:
        review_submission(con, sent.submission_id, "withdraw", Reviewer("gd-second", Role.PROVINCE, PROVINCE), "有误")
    with file_store.reader() as con:
        row = next(s for s in list_submissions(con) if s["submission_id"] == sent.submission_id)
    clause = returned_clause(row, "guangdong")
    assert clause.startswith("（撤回原因：有误；gd-second ") and clause.endswith(" 撤回）"), clause


def test_a_sender_withdraws_its_own_return_at_any_level_of_review_but_not_once_it_is_final(
    file_store, settings, tmp_path
):
    # A province's own return waits for the national bureau: not its level, yet its sender may take it back.
    request = IngestRequest(census(tmp_path, "gd", holders(1, 3)), "census", PROVINCE, "guangdong")
    sent = ingest_workbook(file_store, request, settings)
    assert sent.status == "accepted"
    guangdong = Reviewer("guangdong", Role.PROVINCE, PROVINCE)

    def volumes_counted() -> int:
        with file_store.reader() as con:
            return query_summary(con, province_code=PROVINCE)["provinces"][0]["vol_total"]

    counted = volumes_counted()
    assert counted > 0
    with file_store.writer() as con:
        with pytest.raises(UsageError, match="撤回报送必须说明原因"):
            review_submission(con, sent.submission_id, "withdraw", guangdong, None)
        with pytest.raises(AccessDenied, match="由 guangdong 提交，只有提交人本人可以撤回") as refused:
            review_submission(con, sent.submission_id, "withdraw", Reviewer("planner", Role.PLANNER), "误传")
        # Sent under a name that is no account here: nobody to ask (a probe was told to ask a clerk's name).
        assert "「guangdong」不是平台账号（该表由命令行代为装载），没有人能撤回它" in (refused.value.hint or "")
        with pytest.raises(NotFound, match="找不到您本人提交的报送"):  # another province learns nothing of it
            review_submission(con, sent.submission_id, "withdraw", Reviewer("guangxi", Role.PROVINCE, "450000"), "误")
        change = review_submission(con, sent.submission_id, "withdraw", guangdong, "误传了上月的表")
    assert (change["from_state"], change["to_state"], change["reason"]) == (
        "待国家局审核",
        "已撤回",
        "报送人撤回：误传了上月的表",
    )
    assert volumes_counted() == 0
    # The audit log names the sender's act (it read 撤回整改问题, the bureau's withdrawal of findings, and 已退回).
    with file_store.reader() as con:
        (logged,) = query_audit_log(con, kind="review")
    assert (action_label(logged["action"], logged["kind"]), json.loads(logged["after_state"])) == (
        "报送单位撤回报表",
        {"review_state": "已撤回"},
    )
    # What its sender took back, a reviewer does not put back into the figures (a probe's planner passed it unasked).
    with file_store.writer() as con, pytest.raises(IllegalTransition) as refused:
        review_submission(con, sent.submission_id, "accept", Reviewer("planner", Role.PLANNER), None)
    assert f"报送「{sent.submission_id}」已由报送人guangdong于20" in refused.value.message
    assert "（北京时间）撤回（撤回原因：误传了上月的表），不能审核通过。" in refused.value.message
    with file_store.writer() as con, pytest.raises(IllegalTransition, match="撤回原因：误传了上月的表），不能退回"):
        review_submission(con, sent.submission_id, "return", Reviewer("planner", Role.PLANNER), "再退")
    assert volumes_counted() == 0
    again = ingest_workbook(
        file_store, IngestRequest(census(tmp_path, "gd2", holders(1, 4)), "census", PROVINCE, "guangdong"), settings
    )
    # What it replaced is named as taken back, not as sent back (已退回 read as the reviewer's doing).
    assert again.replaced is not None and again.replaced.is_withdrawn
    assert "（省级）报表（已撤回，不计入统计；文件「" in again.replaced.describe()
    with file_store.writer() as con:
        review_submission(con, again.submission_id, "accept", Reviewer("planner", Role.PLANNER), None)
        with pytest.raises(IllegalTransition, match="当前为「已审核」，不能撤回"):
            review_submission(con, again.submission_id, "withdraw", guangdong, "再撤")


def test_a_confirmation_of_dropped_holders_holds_for_the_return_it_was_given_against(store, settings, tmp_path):
    # A probe confirmed dropping a return's holders after that return had been replaced by another: the confirmation
    # would have dropped holders of a return the uploader never saw. The web's confirmation names the return it saw.
    first = ingest(store, settings, census(tmp_path, "four", holders(1, 4), TIANHE), TIANHE)
    smaller = census(tmp_path, "two", holders(1, 2), TIANHE)

    def send(**options: Any):
        return ingest_workbook(store, IngestRequest(smaller, "census", PROVINCE, "张三", **options), settings)

    assert send(confirm_shrink=True, confirmed_current="S-another").status == "needs_confirmation"
    assert current(store, TIANHE) == first.submission_id
    assert send(confirm_shrink=True, confirmed_current=first.submission_id).status == "accepted"


def test_a_replacing_return_says_what_it_changed_against_the_one_it_replaced(store, settings, tmp_path):
    # A reviewer of a replacing return saw only its new figures: a probe's +100,000 in one cell went unseen.
    from dash_app.pages.submissions import describe_changes
    from warehouse.scopes import fetch_replacement_changes

    old_rows = holders(1, 3)
    first = ingest(store, settings, census(tmp_path, "first", old_rows, TIANHE), TIANHE)
    new_rows = holders(2, 3)  # holder 1 dropped, holder 4 added, holder 2's staff changed
    new_rows[0] = {**new_rows[0], "staff_fulltime": new_rows[0]["staff_fulltime"] + 3, "fonds_count": 0}
    new_rows[-1] = {**new_rows[-1], "unit_name": "天河区新设单位"}
    second = ingest(store, settings, census(tmp_path, "second", new_rows, TIANHE), TIANHE, confirm_shrink=True)
    assert (first.status, second.status) == ("accepted", "accepted"), second.failures
    with store.reader() as con:
        changes = fetch_replacement_changes(con, second.submission_id)
        assert fetch_replacement_changes(con, first.submission_id) is None  # it replaced nothing
    assert changes is not None and changes.replaced.submission_id == first.submission_id
    assert (changes.added, changes.dropped, changes.changed) == (1, 1, 1)
    staff = [sum(row["staff_fulltime"] for row in rows) for rows in (old_rows, new_rows)]
    assert changes.totals["staff_fulltime"] == tuple(float(total) for total in staff)
    # Every column's total, not only the headline figures (a probe's 兼职 and 全宗数 moved under 各项合计不变).
    fonds = [sum(row["fonds_count"] for row in rows) for rows in (old_rows, new_rows)]
    assert changes.totals["fonds_count"] == tuple(float(total) for total in fonds) and fonds[0] != fonds[1]
    said = describe_changes(changes)
    assert said.startswith("与其替换的报表（「first.xlsx」，张三 ") and f"编号 {first.submission_id}）相比：" in said
    # The holders added and dropped are named (减少 1 个 alone left the reviewer to find which).
    added, dropped = new_rows[-1]["unit_name"], old_rows[0]["unit_name"]
    assert (changes.added_names, changes.dropped_names) == ((added,), (dropped,))
    assert (
        f"新增 1 个普查对象（{added}），减少 1 个（{dropped}），内容有变化的 1 个（「专职档案人员（人）」1 个，"
        "「全宗数（个）」1 个）；「国有档案资源普查表」合计有变化的：" in said
    ), said
    assert f"「专职档案人员（人）」{staff[0]:,} → {staff[1]:,}（+3）" in said, said
    assert f"「全宗数（个）」{fonds[0]:,} → {fonds[1]:,}（−{fonds[0] - fonds[1]:,}）" in said, said
    # Holder 1's red-archive row went with it, holder 4's came; the foot is the same.
    assert said.endswith("；「红色档案资源摸底表」有改动，「普查表表尾」不变。"), said


def test_a_replacing_return_that_changed_no_figure_names_the_columns_and_sheets_it_changed(store, settings, tmp_path):
    # The demo's corrected returns changed one remark: the comparison said 数值有变化的 0 个；各项合计不变, and a
    # reviewer who had returned the return for a non-summed column (电子档案容量) read that nothing was corrected.
    from dash_app.pages.submissions import describe_changes
    from warehouse.scopes import fetch_replacement_changes

    rows = holders(1, 3)
    first = ingest(store, settings, census(tmp_path, "first", rows, TIANHE), TIANHE)
    rows[1] = {**rows[1], "remarks": "已按审核意见核实", "e_gb": rows[1]["e_gb"] + 2}
    rows[2] = {**rows[2], "remarks": "已核实"}
    foot = [{**SIGN_OFF_BASE, "preparer": "李四"}]
    path = write_rows(tmp_path / "second.xlsx", CENSUS_FORM, rows, scope=TIANHE, sign_off=foot)
    second = ingest(store, settings, path, TIANHE)
    assert (first.status, second.status) == ("accepted", "accepted"), second.failures
    with store.reader() as con:
        changes = fetch_replacement_changes(con, second.submission_id)
    assert changes is not None and changes.fields == {"e_gb": 1, "remarks": 2}
    said = describe_changes(changes)
    assert "新增 0 个普查对象，减少 0 个，内容有变化的 2 个（「电子档案容量（GB）」1 个，「备注」2 个）；" in said, said
    assert "；「国有档案资源普查表」合计有变化的：「电子档案容量（GB）」" in said, said
    assert said.endswith("；「红色档案资源摸底表」不变，「普查表表尾」有改动。"), said
