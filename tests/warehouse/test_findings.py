"""Findings in the warehouse: one change at a time under the lifecycle's rules, the log, overdue derived for a day."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from census_schema.errors import IllegalTransition, NotFound, UsageError
from census_schema.scopes import division_scope
from census_schema.supervision.codes import FindingStatus
from census_schema.supervision.forms import FINDINGS_FORM, INSPECTION_RECORDS_FORM, RECTIFICATION_FORM
from tests.conftest import on_both_backends
from tests.flows.supervision_workbooks import finding, inspection
from tests.warehouse.supervision_factories import sheet_frame
from warehouse.inspections import (
    allowed_targets,
    in_local_area,
    load_inspection_sheets,
    query_finding_history,
    query_findings,
    query_overdue_findings,
    summarize_findings,
    transition_finding,
)
from warehouse.users import add_user

# 30 working days after the feedback on Monday 2023-03-20 (5 April and 29 April - 3 May off, Sunday 23 April worked).
DEADLINE = date(2023, 5, 4)
AT = datetime(2023, 4, 1, 10, 0)


@pytest.fixture
def loaded(con):
    records = [
        inspection(1),
        inspection(2, unit_class="省级", division_code="440000", unit_name="广东省档案局"),
        inspection(3, unit_class="中央企业", unit_name="中央企业甲"),
    ]
    findings = [finding(1), finding(2), finding(1, 2), finding(1, 3, is_immediate="是")]
    sheets = {
        INSPECTION_RECORDS_FORM.sheet_name: sheet_frame(INSPECTION_RECORDS_FORM, records),
        FINDINGS_FORM.sheet_name: sheet_frame(FINDINGS_FORM, findings),
        RECTIFICATION_FORM.sheet_name: sheet_frame(RECTIFICATION_FORM, []),
    }
    load_inspection_sheets(con, "S-test", datetime(2023, 3, 21), sheets)
    return con


@on_both_backends("con")
def test_a_change_by_target_state_is_logged_with_who_when_and_why(loaded):
    result = transition_finding(loaded, "JC2023-001-01", to_status="整改中", by="王五", at=AT)
    assert (result["action"], result["role"], result["from_status"], result["to_status"]) == (
        "开始整改",
        "rectifier",
        "待整改",
        "整改中",
    )
    history = query_finding_history(loaded, "JC2023-001-01")
    assert history["status"] == "整改中"
    [logged] = history["transitions"]
    assert (logged["seq"], logged["changed_by"], logged["changed_at"], logged["recorded_via"]) == (
        1,
        "王五",
        AT,
        "command",
    )
    assert logged["submission_id"] is None


def test_a_step_s_account_is_named_as_its_person_where_it_has_a_name(loaded):
    # 经办人 read guangdong: a login, where the account had its owner's name.
    add_user(loaded, "wangmin", "scrypt:x", "planner", None, by="管理员", full_name="王敏")
    transition_finding(loaded, "JC2023-001-01", to_status="整改中", by="王五", at=AT)
    transition_finding(loaded, "JC2023-001-01", action="提交整改报告", by="王五", at=AT, evidence="报告")
    transition_finding(loaded, "JC2023-001-01", action="退回", by="wangmin", at=AT, note="照片不全")
    steps = query_finding_history(loaded, "JC2023-001-01")["transitions"]
    assert [t["changer"] for t in steps] == ["王五", "王五", "王敏（wangmin）"]


@on_both_backends("con")
def test_measures_are_logged_with_each_change_and_the_latest_given_is_the_findings(loaded):
    fid = "JC2023-001-01"
    assert query_finding_history(loaded, fid)["measures"] is None
    started = transition_finding(loaded, fid, action="开始整改", by="王五", at=AT, measures="制定整改方案")
    assert started["measures"] == "制定整改方案"
    transition_finding(loaded, fid, action="提交整改报告", by="王五", at=AT, evidence="报告", measures="已修订制度")
    transition_finding(loaded, fid, action="退回", by="赵六", at=AT, note="照片不全")
    history = query_finding_history(loaded, fid)
    assert [t["measures"] for t in history["transitions"]] == ["制定整改方案", "已修订制度", None]
    # A change without measures (the reviewer's return, a later start) keeps the latest given.
    assert history["measures"] == "已修订制度"
    listed = {row["finding_id"]: row["measures"] for row in query_findings(loaded, AT.date())}
    assert listed[fid] == "已修订制度" and listed["JC2023-001-02"] is None
    with pytest.raises(IllegalTransition) as raised:
        transition_finding(loaded, fid, action="延期", by="赵六", at=AT, note="x", new_deadline=date(2023, 6, 1),
                           measures="审核人的措施")  # fmt: skip
    assert raised.value.rule == "transition_measures"
    assert len(query_finding_history(loaded, fid)["transitions"]) == 3


def test_a_reopened_finding_s_measures_found_wanting_are_no_longer_its_current_ones(loaded):
    # After 复查未通过 the detail showed the measures the follow-up had just found wanting as the current ones.
    fid = "JC2023-001-01"
    transition_finding(loaded, fid, action="开始整改", by="王五", at=AT, measures="制定整改方案")
    transition_finding(loaded, fid, action="提交整改报告", by="王五", at=AT, evidence="报告", measures="已修订制度")
    transition_finding(loaded, fid, action="销号", by="赵六", at=AT, evidence="复核意见")
    transition_finding(loaded, fid, action="复查未通过", by="赵六", at=AT, note="制度未执行")
    assert query_finding_history(loaded, fid)["measures"] is None
    assert {r["finding_id"]: r["measures"] for r in query_findings(loaded, AT.date())}[fid] is None
    transition_finding(
        loaded, fid, action="提交整改报告", by="王五", at=AT, evidence="报告二", measures="已组织执行检查"
    )
    assert query_finding_history(loaded, fid)["measures"] == "已组织执行检查"
    assert {r["finding_id"]: r["measures"] for r in query_findings(loaded, AT.date())}[fid] == "已组织执行检查"


@pytest.mark.parametrize(
    ("changes", "error", "rule"),
    [
        ({"to_status": "已销号", "by": "赵六"}, IllegalTransition, "transition_allowed"),
        ({"to_status": "整改中", "by": " "}, IllegalTransition, "transition_actor"),
        ({"to_status": "整改中", "by": "赵六", "role": "reviewer"}, IllegalTransition, "transition_role"),
        ({"action": "延期", "to_status": "整改中", "by": "赵六", "note": "x", "new_deadline": date(2023, 6, 1)},
         IllegalTransition, "transition_allowed"),
        ({"to_status": "已撤销", "by": "赵六"}, UsageError, None),
    ],
)  # fmt: skip
def test_illegal_changes_raise_with_their_rule_and_change_nothing(loaded, changes, error, rule):
    with pytest.raises(error) as raised:
        transition_finding(loaded, "JC2023-001-01", at=AT, **changes)
    assert getattr(raised.value, "rule", None) == rule
    assert query_finding_history(loaded, "JC2023-001-01")["transitions"] == []


def test_an_ambiguous_target_needs_the_action_and_unknown_findings_are_not_found(loaded):
    transition_finding(loaded, "JC2023-001-01", to_status="整改中", by="王五", at=AT)
    phased = {"note": "分期", "new_deadline": date(2023, 12, 31)}
    transition_finding(loaded, "JC2023-001-01", to_status="阶段性整改", by="赵六", at=AT, **phased)
    with pytest.raises(UsageError, match="多种操作"):
        transition_finding(loaded, "JC2023-001-01", to_status="阶段性整改", by="王五", at=AT, note="进展")
    done = transition_finding(
        loaded, "JC2023-001-01", action="报告阶段进展", by="王五", at=AT, note="一期完成", evidence="报告"
    )
    assert done["to_status"] == "阶段性整改"
    with pytest.raises(NotFound):
        transition_finding(loaded, "JC2023-999-01", to_status="整改中", by="王五")
    assert {t["action"] for t in allowed_targets(loaded_status(loaded, "JC2023-001-01"))} == {
        "提交整改报告",
        "延期",
        "报告阶段进展",
    }


def loaded_status(con, finding_id):
    return FindingStatus(query_finding_history(con, finding_id)["status"])


@on_both_backends("con")
def test_overdue_is_derived_for_the_day_asked_and_an_extension_lifts_it(loaded):
    assert [f["finding_id"] for f in query_overdue_findings(loaded, DEADLINE)] == ["JC2023-003-01"]  # 立行立改
    late = [f["finding_id"] for f in query_overdue_findings(loaded, date(2023, 5, 5))]
    assert late == ["JC2023-003-01", "JC2023-001-01", "JC2023-001-02", "JC2023-002-01"]
    transition_finding(loaded, "JC2023-001-01", to_status="待整改", action="延期", by="赵六", at=AT, note="需采购",
                       new_deadline=date(2023, 6, 30))  # fmt: skip
    transition_finding(loaded, "JC2023-001-02", to_status="整改中", by="王五", at=AT)
    transition_finding(loaded, "JC2023-001-02", to_status="已提交整改报告", by="王五", at=AT, evidence="报告")
    transition_finding(loaded, "JC2023-001-02", to_status="已销号", by="赵六", at=AT, evidence="复核")
    rows = {f["finding_id"]: f for f in query_findings(loaded, date(2023, 5, 12))}
    assert (rows["JC2023-001-01"]["is_overdue"], rows["JC2023-001-02"]["is_overdue"]) == (False, False)
    assert (rows["JC2023-002-01"]["is_overdue"], rows["JC2023-002-01"]["overdue_days"]) == (True, 8)


@on_both_backends("con")
def test_the_summary_counts_by_state_province_and_central_class(loaded):
    transition_finding(loaded, "JC2023-002-01", to_status="整改中", by="王五", at=AT)
    summary = summarize_findings(loaded, date(2023, 5, 5))
    assert (summary["total"], summary["overdue"]) == (4, 4)
    assert summary["by_state"] == {"待整改": 3, "整改中": 1, "阶段性整改": 0, "已提交整改报告": 0, "已销号": 0}
    guangdong = next(p for p in summary["provinces"] if p["province_code"] == "440000")
    assert (guangdong["findings"], guangdong["overdue"], guangdong["by_state"]["整改中"]) == (1, 1, 1)
    assert len(summary["provinces"]) == 32
    central = {c["unit_class"]: (c["findings"], c["overdue"]) for c in summary["central"]}
    assert central == {"中央和国家机关": (2, 2), "中央企业": (1, 1)}


@pytest.mark.parametrize(
    ("area", "unit_class", "division", "seen"),
    [
        ("440100", "市县", "440100", True),  # the prefecture's own bureau
        ("440100", "市县", "440106", True),  # one of its districts
        ("440100", "副省级", "440100", True),  # its sub-provincial city's archive
        ("440100", "市县", "440306", False),  # Shenzhen's district
        ("440100", "省级", "440104", False),  # a provincial unit lying in the city is the province's
        ("440106", "市县", "440106", True),
        ("440106", "市县", "440100", False),  # a county's office does not read its prefecture's
        ("440106", "副省级", "440100", False),
    ],
)
def test_a_local_office_reads_the_findings_of_the_local_units_in_its_area(area, unit_class, division, seen):
    finding = {"unit_class": unit_class, "division_code": division}
    assert in_local_area(division_scope("440000", area), finding) is seen
