"""Daily reminders: provinces not reported or sent back, findings soon overdue; a day's run replaces that day's."""

from __future__ import annotations

from datetime import date, datetime

from census_schema.divisions import load_divisions
from census_schema.roles import Role
from census_schema.scopes import CENTRAL_CHANNELS, central_scope, division_scope
from census_schema.supervision.forms import FINDINGS_FORM, INSPECTION_RECORDS_FORM, RECTIFICATION_FORM
from tests.conftest import on_both_backends
from tests.flows.supervision_workbooks import CLOSE_WALK, finding, inspection
from tests.warehouse.factories import count, load
from tests.warehouse.supervision_factories import sheet_frame
from warehouse.inspections import load_inspection_sheets
from warehouse.reminders import (
    DUE_SOON,
    KIND_ORDER,
    NOT_REPORTED,
    OVERDUE,
    RETURNED,
    query_reminders,
    refresh_reminders,
)
from warehouse.reviews import Reviewer, review_submission

PROVINCES = len(load_divisions().census_provinces())


def by_kind(reminders):
    return {kind: [r for r in reminders if r["kind"] == kind] for kind in (NOT_REPORTED, RETURNED, DUE_SOON, OVERDUE)}


def test_an_empty_warehouse_reminds_every_province_and_central_channel_of_both_workbooks(con):
    reminders = by_kind(refresh_reminders(con, date(2025, 6, 30)))
    assert len(reminders[NOT_REPORTED]) == 2 * (PROVINCES + len(CENTRAL_CHANNELS))
    assert reminders[RETURNED] == reminders[DUE_SOON] == []
    assert {r["subject"] for r in reminders[NOT_REPORTED]} == {"普查表", "普查对象名录"}
    # A central channel reports straight to the national bureau: one that never reported was reminded of nothing.
    central = [(r["scope_name"], r["subject"]) for r in reminders[NOT_REPORTED] if r["province_code"] is None]
    assert sorted(central) == sorted(
        (name, book) for name in CENTRAL_CHANNELS.values() for book in ("普查表", "普查对象名录")
    )


def test_a_central_channel_s_return_ends_its_own_reminder_only(con):
    load(con, "census", "", [{}], scope=central_scope("enterprises"))
    reminders = by_kind(refresh_reminders(con, date(2025, 6, 30)))
    census = {
        r["scope_name"] for r in reminders[NOT_REPORTED] if r["subject"] == "普查表" and r["province_code"] is None
    }
    assert census == {"中央和国家机关", "中央级档案馆"}
    assert len([r for r in reminders[NOT_REPORTED] if r["subject"] == "普查表"]) == PROVINCES + 2


@on_both_backends("con")
def test_a_returned_return_is_reminded_with_its_reason_and_a_reported_one_is_not(con):
    census = load(con, "census", "440000", [{}])
    load(con, "register", "440000", [{}])
    review_submission(con, census, "return", Reviewer("规划处", Role.PLANNER), "第3行卷数请核实")
    reminders = by_kind(refresh_reminders(con, date(2025, 6, 30)))
    [returned] = reminders[RETURNED]
    assert (returned["province_code"], returned["submission_id"]) == ("440000", census)
    assert "第3行卷数请核实" in returned["message"]
    assert not [r for r in reminders[NOT_REPORTED] if r["province_code"] == "440000"]
    assert [r["kind"] for r in query_reminders(con, province_code="440000")] == [RETURNED]


def test_a_returned_prefecture_return_is_reminded_with_its_scope_and_its_province_counts_as_reported(con):
    load(con, "register", "440000", [{}])
    province_wide = load(con, "census", "440000", [{}])
    prefecture = load(con, "census", "440000", [{}], scope=division_scope("440000", "440100"))
    review_submission(con, prefecture, "return", Reviewer("广东省档案局", Role.PROVINCE, "440000"), "漏报2个单位。")
    reminders = by_kind(refresh_reminders(con, date(2025, 6, 30)))
    [returned] = reminders[RETURNED]
    assert (returned["province_code"], returned["submission_id"]) == ("440000", prefecture)
    assert returned["scope_name"] == "广东省广州市"
    # Shown after the scope's name: the message does not name it again, nor end in a second full stop.
    assert returned["message"] == "普查表已被退回，退回原因：漏报2个单位。"
    assert province_wide not in {r["submission_id"] for r in reminders[RETURNED]}
    assert not [r for r in reminders[NOT_REPORTED] if r["province_code"] == "440000"]


def test_open_findings_within_the_warning_window_are_reminded(con):
    sheets = {
        INSPECTION_RECORDS_FORM.sheet_name: sheet_frame(INSPECTION_RECORDS_FORM, [inspection(1)]),
        FINDINGS_FORM.sheet_name: sheet_frame(FINDINGS_FORM, [finding(1), finding(2)]),
        RECTIFICATION_FORM.sheet_name: sheet_frame(RECTIFICATION_FORM, []),
    }
    load_inspection_sheets(con, "S-test", datetime(2023, 3, 21), sheets)
    deadline = date(2023, 5, 4)  # both findings: 30 working days after the feedback (the 2023 holidays skipped)
    assert by_kind(refresh_reminders(con, date(2023, 4, 1)))[DUE_SOON] == []
    due = by_kind(refresh_reminders(con, date(2023, 5, 1)))[DUE_SOON]
    assert [(r["finding_id"], r["due_on"]) for r in due] == [("JC2023-001-01", deadline), ("JC2023-001-02", deadline)]
    assert due[0]["message"].endswith("整改期限还有 3 天（2023年5月4日到期）。")
    # A second run of the same day replaces its reminders; the earlier day's stay.
    refresh_reminders(con, date(2023, 5, 1))
    assert count(con, "reminders") == 2 * (2 * (PROVINCES + len(CENTRAL_CHANNELS))) + 2
    assert {r["kind"] for r in query_reminders(con, kinds=(DUE_SOON,))} == {DUE_SOON}


@on_both_backends("con")
def test_findings_past_their_deadline_are_reminded_once_per_province_or_central_class(con):
    # The deadline reminders named only findings soon due: 整改期限提醒 said 今日无提醒 under a card of 14 overdue.
    sheets = {
        INSPECTION_RECORDS_FORM.sheet_name: sheet_frame(INSPECTION_RECORDS_FORM, [inspection(1)]),
        FINDINGS_FORM.sheet_name: sheet_frame(FINDINGS_FORM, [finding(1), finding(2)]),
        RECTIFICATION_FORM.sheet_name: sheet_frame(RECTIFICATION_FORM, CLOSE_WALK[:2]),
    }
    load_inspection_sheets(con, "S-test", datetime(2023, 3, 21), sheets)
    assert by_kind(refresh_reminders(con, date(2023, 5, 4)))[OVERDUE] == []  # due today: not yet overdue
    reminders = refresh_reminders(con, date(2023, 5, 14))
    [overdue] = by_kind(reminders)[OVERDUE]
    # Both findings are a central organ's (inspection(1)): counted under its class, not Beijing's.
    assert (overdue["province_code"], overdue["scope_name"]) == (None, "中央和国家机关")
    assert overdue["message"] == (
        "2 个问题逾期未销号（其中 1 个已提交整改报告，待审核），最久的是中央单位1的问题 JC2023-001-02，已逾期 10 天。"
    )
    # Shown in the order asked for: overdue before soon due.
    shown = query_reminders(con, kinds=(OVERDUE, DUE_SOON))
    assert [r["kind"] for r in shown] == [OVERDUE]


def test_every_reminder_is_listed_in_one_order_of_kinds_on_the_pages_and_the_command_line(con):
    # The command line listed them by the kinds' character codes (即将逾期 first), the pages 已逾期 first.
    rows = [
        {"generated_on": date(2025, 6, 30), "kind": kind, "province_code": "440000", "scope_name": "广东省",
         "subject": kind, "message": kind, "due_on": None, "submission_id": None, "finding_id": None}
        for kind in (DUE_SOON, OVERDUE, RETURNED, NOT_REPORTED)
    ]  # fmt: skip
    con.executemany(
        "INSERT INTO reminders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)", [list(r.values()) for r in rows]
    )
    assert [r["kind"] for r in query_reminders(con)] == [NOT_REPORTED, RETURNED, OVERDUE, DUE_SOON]
    assert KIND_ORDER == (NOT_REPORTED, RETURNED, OVERDUE, DUE_SOON)
