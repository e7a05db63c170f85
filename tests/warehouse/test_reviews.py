"""The review lifecycle: legal transitions are recorded, illegal ones refused, nothing half-done; each level reviews
only the returns whose turn it is (warehouse.reviews)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from census_schema.errors import AccessDenied, IllegalTransition, NotFound, UsageError
from census_schema.roles import Role
from census_schema.scopes import central_scope, division_scope, review_label
from tests.conftest import on_both_backends
from tests.warehouse.factories import count, load, make_submission, make_uscc
from warehouse.loads import fetch_load_review, fetch_return_reason, record_submission
from warehouse.queries import list_submissions, query_data_as_of, query_quality_by_province
from warehouse.reminders import compute_reminders
from warehouse.reviews import Reviewer, review_submission
from warehouse.scopes import fetch_replaced_return
from warehouse.users import add_user

A = make_uscc(1)
PLANNER = Reviewer("reviewer", Role.PLANNER)


def state(con, submission_id: str) -> str | None:
    row = con.execute("SELECT review_state FROM submissions WHERE submission_id = ?", [submission_id]).fetchone()
    return row[0]


def history(con, submission_id: str) -> list[tuple]:
    return con.execute(
        "SELECT changed_by, from_state, to_state, reason FROM submission_reviews WHERE submission_id = ? "
        "ORDER BY changed_at",
        [submission_id],
    ).fetchall()


@on_both_backends("con")
@pytest.mark.parametrize(
    "steps",
    [
        [("accept", None, "已审核")],
        [("return", "第5行数据有误", "已退回")],
        [("return", "请核实", "已退回"), ("accept", "省里已说明", "已审核")],
    ],
    ids=["accept", "return", "return-then-accept"],
)
def test_legal_transitions_are_applied_and_recorded(con, steps):
    submission_id = load(con, "census", "440000", [{"uscc": A}])
    previous, expected_history = "待国家局审核", []
    for action, reason, to_state in steps:
        result = review_submission(con, submission_id, action, PLANNER, reason)
        assert result["submission_id"] == submission_id
        assert (result["from_state"], result["to_state"], result["changed_by"]) == (previous, to_state, "reviewer")
        assert result["reason"] == reason
        expected_history.append(("reviewer", previous, to_state, reason))
        previous = to_state
    assert state(con, submission_id) == ("待审核" if previous == "待国家局审核" else previous)
    assert history(con, submission_id) == expected_history


@on_both_backends("con")
@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([("accept", None)], ("accept", None)),
        ([("accept", None)], ("return", "太晚了")),
        ([("return", "请核实")], ("return", "再退一次")),
    ],
    ids=["accept-twice", "return-after-accept", "return-twice"],
)
def test_illegal_transitions_are_refused_and_change_nothing(con, steps, illegal):
    submission_id = load(con, "census", "440000", [{"uscc": A}])
    for action, reason in steps:
        review_submission(con, submission_id, action, PLANNER, reason)
    before = (state(con, submission_id), history(con, submission_id))
    with pytest.raises(IllegalTransition):
        review_submission(con, submission_id, illegal[0], PLANNER, illegal[1])
    assert (state(con, submission_id), history(con, submission_id)) == before


def test_rejected_submissions_cannot_be_reviewed(con):
    rejected = record_submission(con, make_submission(status="rejected", error_count=1), None, [])
    with pytest.raises(IllegalTransition, match="未通过校验"):
        review_submission(con, rejected, "accept", PLANNER, None)
    assert state(con, rejected) is None


def test_superseded_submissions_cannot_be_reviewed(con):
    first = load(con, "census", "440000", [{"uscc": A}], content="v1")
    second = load(con, "census", "440000", [{"uscc": A}], content="v2")
    with pytest.raises(IllegalTransition, match=second):
        review_submission(con, first, "accept", PLANNER, None)
    assert state(con, first) == "待审核"


def test_unknown_submission_is_not_found(con):
    with pytest.raises(NotFound):
        review_submission(con, "S2024-440000-nope", "accept", PLANNER, None)


@pytest.mark.parametrize(
    ("action", "by", "reason"),
    [
        ("return", "reviewer", None),
        ("return", "reviewer", "   "),
        ("accept", " ", None),
        ("approve", "reviewer", "x"),
        ("return", "reviewer", "请核实" * 167),  # 501 characters: a probe's 6,000 were kept and shown whole
    ],
)
def test_misuse_is_a_usage_error(con, action, by, reason):
    submission_id = load(con, "census", "440000", [{"uscc": A}])
    with pytest.raises(UsageError):
        review_submission(con, submission_id, action, Reviewer(by, Role.PLANNER), reason)
    assert state(con, submission_id) == "待审核"
    assert count(con, "submission_reviews") == 0


@on_both_backends("con")
def test_a_new_file_with_other_rows_after_approval_starts_again_pending(con):
    first = load(con, "census", "440000", [{"uscc": A}], content="v1")
    review_submission(con, first, "accept", PLANNER, None)
    second = load(con, "census", "440000", [{"uscc": A}, {"uscc": make_uscc(2)}], content="v2")
    assert (state(con, first), state(con, second)) == ("已审核", "待审核")
    assert history(con, second) == []


@on_both_backends("con")
def test_the_same_rows_saved_again_keep_the_review_they_had_and_say_so(con):
    # Opened in Excel and saved unchanged: other bytes, the same rows; the reviewer is not asked again.
    first = load(con, "census", "440000", [{"uscc": A}], content="v1")
    review_submission(con, first, "accept", PLANNER, None)
    second = load(con, "census", "440000", [{"uscc": A}], content="v1 saved again")
    assert (state(con, first), state(con, second)) == ("已审核", "已审核")
    reason = f"与所替换的报送「{first}」逐行逐项相同，沿用其审核进度"
    assert history(con, second) == [("tester", "待国家局审核", "已审核", reason)]
    event = con.execute(
        "SELECT action, reason FROM audit_log WHERE target = ? AND kind = 'review'", [second]
    ).fetchall()
    assert event == [("keep", reason)]
    # The submissions list (the page, the command) says why it is reviewed without a reviewer; the first says nothing.
    notes = {row["submission_id"]: row["kept_reason"] for row in list_submissions(con)}
    assert (notes[second], notes[first]) == (reason, None)


def test_the_same_rows_keep_a_province_s_acceptance_but_not_a_return(con):
    first = load(con, "census", "440000", [{"uscc": A}], scope=GUANGZHOU, content="v1")
    review_submission(con, first, "accept", GUANGDONG, None)
    second = load(con, "census", "440000", [{"uscc": A}], scope=GUANGZHOU, content="v2")
    assert progress(con, second) == "待国家局审核"
    review_submission(con, second, "return", PLANNER, "请核实")
    third = load(con, "census", "440000", [{"uscc": A}], scope=GUANGZHOU, content="v3")
    assert progress(con, third) == "待省级审核"  # a returned return starts again, whatever its rows
    # Sent again unchanged, its review history tells its reviewer so, with why it was returned (it read as any new
    # file: nothing said the rows were those just sent back).
    note = f"与被退回的报送「{second}」逐行逐项相同，未作修改重新报送（退回原因：请核实）"
    assert history(con, third) == [("tester", "待省级审核", "待省级审核", note)]
    assert fetch_load_review(con, third) == (None, note)
    assert {r["submission_id"]: r["resent_reason"] for r in list_submissions(con)}[third] == note
    fourth = load(con, "census", "440000", [{"uscc": A}, {"uscc": make_uscc(2)}], scope=GUANGZHOU, content="v4")
    assert history(con, fourth) == [] and fetch_load_review(con, fourth) == (None, None)


def test_the_same_rows_keep_only_progress_a_reviewer_gave(con):
    # A county's return loaded before its prefecture's office had an account waits at the province, given nothing:
    # the same rows saved again once the office has one start at the prefecture (they kept 待省级审核 as if the
    # prefecture had passed them). What the prefecture did pass is kept.
    tianhe = division_scope("440000", "440106")
    first = load(con, "census", "440000", [{"uscc": A}], scope=tianhe, content="v1")
    assert progress(con, first) == "待省级审核"
    add_user(con, "guangzhou", "hash", Role.PREFECTURE, None, division_code="440100", by="管理员")
    second = load(con, "census", "440000", [{"uscc": A}], scope=tianhe, content="v2")
    assert (progress(con, second), history(con, second)) == ("待地级审核", [])
    review_submission(con, second, "accept", Reviewer("guangzhou", Role.PREFECTURE, "440000", "440100"), None)
    third = load(con, "census", "440000", [{"uscc": A}], scope=tianhe, content="v3")
    assert progress(con, third) == "待省级审核" and "沿用其审核进度" in history(con, third)[0][3]


def test_a_prefecture_refused_its_own_return_is_named_by_its_area_as_well_as_its_account(con):
    own = load(con, "census", "440000", [{"uscc": A}], scope=GUANGZHOU)
    refused = "是广东省广州市（地级）的报表，不是广东省广州市（guangzhou）所辖县级单位的报表，不能审核通过"
    with pytest.raises(AccessDenied, match=re.escape(refused)):
        review_submission(con, own, "accept", Reviewer("guangzhou", Role.PREFECTURE, "440000", "440100"), None)


GUANGDONG = Reviewer("guangdong", Role.PROVINCE, "440000")
GUANGXI = Reviewer("guangxi", Role.PROVINCE, "450000")
GUANGZHOU = division_scope("440000", "440100")


def progress(con, submission_id: str) -> str | None:
    row = con.execute(
        "SELECT review_state, review_stage FROM submissions WHERE submission_id = ?", [submission_id]
    ).fetchone()
    return review_label(*row)


def test_who_sent_a_return_may_return_it_but_not_pass_it(con):
    # The province sends its prefectures' workbooks (they have no accounts): another of its users passes them.
    submission_id = load(con, "census", "440000", [{"uscc": A}], scope=GUANGZHOU)
    con.execute("UPDATE submissions SET submitted_by = 'guangdong' WHERE submission_id = ?", [submission_id])
    with pytest.raises(AccessDenied, match="由 guangdong 本人提交，不能由本人审核通过"):
        review_submission(con, submission_id, "accept", GUANGDONG, None)
    assert (progress(con, submission_id), history(con, submission_id)) == ("待省级审核", [])
    assert review_submission(con, submission_id, "return", GUANGDONG, "发错了文件")["to_state"] == "已退回"
    colleague = Reviewer("guangdong-2", Role.PROVINCE, "440000")
    assert review_submission(con, submission_id, "accept", colleague, None)["to_state"] == "待国家局审核"


@on_both_backends("con")
def test_a_prefecture_s_return_is_reviewed_by_its_province_then_by_the_nation(con):
    submission_id = load(con, "census", "440000", [{"uscc": A}], scope=GUANGZHOU)
    assert progress(con, submission_id) == "待省级审核"
    with pytest.raises(AccessDenied, match="须先由省级档案部门审核"):
        review_submission(con, submission_id, "accept", PLANNER, None)
    # Another province's return is not found: neither its existence nor its state is told.
    with pytest.raises(NotFound, match="找不到报送记录"):
        review_submission(con, submission_id, "accept", GUANGXI, None)
    first = review_submission(con, submission_id, "accept", GUANGDONG, None)
    assert (first["level"], first["from_state"], first["to_state"]) == ("province", "待省级审核", "待国家局审核")
    with pytest.raises(AccessDenied, match="省级档案部门不能审核通过"):
        review_submission(con, submission_id, "accept", GUANGDONG, None)
    second = review_submission(con, submission_id, "accept", PLANNER, None)
    assert (second["level"], second["from_state"], second["to_state"]) == ("national", "待国家局审核", "已审核")
    assert con.execute(
        "SELECT changed_by, review_level, from_state, to_state FROM submission_reviews ORDER BY changed_at"
    ).fetchall() == [
        ("guangdong", "province", "待省级审核", "待国家局审核"),
        ("reviewer", "national", "待国家局审核", "已审核"),
    ]


def test_a_return_by_the_province_can_be_accepted_by_the_province_after_all(con):
    submission_id = load(con, "census", "440000", [{"uscc": A}], scope=GUANGZHOU)
    returned = review_submission(con, submission_id, "return", GUANGDONG, "第3行馆藏数量有误")
    assert (returned["to_state"], progress(con, submission_id)) == ("已退回", "已退回")
    with pytest.raises(AccessDenied):
        review_submission(con, submission_id, "accept", PLANNER, None)
    review_submission(con, submission_id, "accept", GUANGDONG, "已核实无误")
    assert progress(con, submission_id) == "待国家局审核"


def test_province_wide_and_central_returns_are_reviewed_nationally_only(con):
    province_wide = load(con, "census", "440000", [{"uscc": A}])
    central = load(con, "census", "440000", [{"uscc": make_uscc(2)}], scope=central_scope("enterprises"))
    # The province's own return is the nation's to review; a central channel's is not the province's to know of.
    for submission_id, refusal in ((province_wide, AccessDenied), (central, NotFound)):
        with pytest.raises(refusal):
            review_submission(con, submission_id, "accept", GUANGDONG, None)
        assert review_submission(con, submission_id, "return", PLANNER, "请补充")["to_state"] == "已退回"


@pytest.mark.parametrize("role", [Role.EVALUATOR, Role.ADMIN])
def test_roles_without_a_review_level_are_refused(con, role):
    # An administrator manages accounts and reads (README): it passed and returned census returns as the bureau.
    submission_id = load(con, "census", "440000", [{"uscc": A}])
    for action, reason in (("accept", None), ("return", "请核实")):
        with pytest.raises(AccessDenied, match=f"（{role.label}）不能审核报送"):
            review_submission(con, submission_id, action, Reviewer("e", role), reason)
    assert count(con, "submission_reviews") == 0


def test_a_returned_return_leaves_the_quality_figures_as_it_leaves_the_others(con):
    # /quality counted a return its reviewer sent back in 现行表行数 while coverage and lineage did not.
    load(con, "census", "440000", [{"uscc": A}, {"uscc": make_uscc(2)}], scope=GUANGZHOU)
    submission_id = load(con, "census", "440000", [{"uscc": make_uscc(3)}])
    assert next(r for r in query_quality_by_province(con) if r["province_code"] == "440000")["current_rows"] == 3
    review_submission(con, submission_id, "return", PLANNER, "第3行请核实")
    quality = next(r for r in query_quality_by_province(con) if r["province_code"] == "440000")
    assert (quality["submissions"], quality["current_rows"]) == (2, 2)


@on_both_backends("con")
def test_the_data_as_of_time_follows_a_review_not_only_uploads(con):
    # The pages' 数据截至 stayed at the last upload after a return, a finding step or a score.
    submission_id = load(con, "census", "440000", [{"uscc": A}])
    uploaded = query_data_as_of(con)
    assert uploaded is not None
    review_submission(con, submission_id, "return", PLANNER, "第3行请核实")
    assert query_data_as_of(con) > uploaded


def test_a_review_refused_for_its_progress_names_every_progress_allowing_it_and_what_to_do_when_final(con):
    submission_id = load(con, "census", "440000", [{"uscc": A}])
    review_submission(con, submission_id, "accept", PLANNER, None)
    with pytest.raises(IllegalTransition) as refused:
        review_submission(con, submission_id, "return", PLANNER, "请核实")
    # It said only 「待国家局审核」 could be returned: a province returns 待省级审核 ones too.
    assert refused.value.message.endswith(
        "当前为「已审核」，不能退回（只有待地级审核、待省级审核、待国家局审核的报送可以退回）。"
    )
    assert (
        refused.value.hint
        == "审核结论不能撤销；如需改正，请由报送单位重新报送该范围的报表（新报表替换此表，须重新审核）。"
    )


def test_a_return_returned_again_is_told_its_latest_reason_everywhere(con):
    # The reason of a return's latest return (the latest_returns model) is what the listing, the reminders and a
    # resend's note say, not the reason of an earlier return a reviewer took back.
    submission_id = load(con, "census", "440000", [{"uscc": A}], scope=GUANGZHOU)
    review_submission(con, submission_id, "return", GUANGDONG, "第3行馆藏数量有误")
    review_submission(con, submission_id, "accept", GUANGDONG, "已核实无误")
    review_submission(con, submission_id, "return", PLANNER, "第4行开放数量大于馆藏数量")
    listed = next(s for s in list_submissions(con) if s["submission_id"] == submission_id)
    assert (listed["return_reason"], listed["returned_by"]) == ("第4行开放数量大于馆藏数量", "reviewer")
    assert fetch_return_reason(con, submission_id) == "第4行开放数量大于馆藏数量"
    (reminder,) = [r for r in compute_reminders(con, date(2025, 6, 30)) if r.get("submission_id") == submission_id]
    assert "退回原因：第4行开放数量大于馆藏数量。" in reminder["message"]


def test_who_sent_and_who_returned_a_return_are_named_as_people_beside_their_accounts(con):
    # 提交人 guangdong, 退回人 reviewer: logins where the accounts had their owners' names.
    add_user(con, "guangdong", "scrypt:x", "province", "440000", by="管理员", full_name="陈红")
    add_user(con, "reviewer", "scrypt:x", "planner", None, by="管理员", full_name="王敏")
    add_user(con, "nameless", "scrypt:x", "province", "440000", by="管理员")
    first = load(con, "census", "440000", [{"uscc": A}])
    con.execute("UPDATE submissions SET submitted_by = 'guangdong' WHERE submission_id = ?", [first])
    review_submission(con, first, "return", PLANNER, "请核实")
    listed = {s["submission_id"]: s for s in list_submissions(con, "440000")}
    assert (listed[first]["submitter"], listed[first]["returner"]) == ("陈红（guangdong）", "王敏（reviewer）")
    second = load(con, "census", "440000", [{"uscc": A}, {"uscc": make_uscc(2)}])
    con.execute("UPDATE submissions SET submitted_by = 'nameless' WHERE submission_id = ?", [second])
    listed = {s["submission_id"]: s for s in list_submissions(con, "440000")}
    assert (listed[second]["submitter"], listed[second]["returner"]) == ("nameless", None)
    replaced, _ = fetch_replaced_return(con, second)
    assert "陈红（guangdong） " in replaced.describe()
