"""What the web app calls to score: only assigned archives, only while open; drafts never count; submitting needs a
complete sheet; every bad value is listed; results follow each save."""

from __future__ import annotations

from decimal import Decimal as D

import polars as pl
import pytest

from census_schema.errors import AccessDenied, IllegalTransition, NotFound, UsageError
from census_schema.supervision.evaluation import CURRENT_STANDARD, SELF_SOURCE
from census_schema.supervision.forms import EVALUATION_SCORES_FORM
from supervision.scoring import EvaluationInvalid
from tests.conftest import on_both_backends
from warehouse.evaluation import (
    assign_evaluator,
    check_may_score,
    close_evaluation,
    load_evaluation_sheets,
    open_evaluation,
    query_assignments,
    query_evaluation_results,
    query_scores,
    save_evaluator_scores,
    unassign_evaluator,
)
from warehouse.transactions import utc_now
from warehouse.users import add_user, set_user_active

ARCHIVE, OTHER = "440000", "450000"


@pytest.fixture
def opened(con):
    open_evaluation(con, "规划处")
    for expert in ("evaluator", "专家乙", "专家丙"):
        assign_evaluator(con, ARCHIVE, expert, "规划处")
    return con


def full(value=lambda item: item.max_points):
    return {item.code: value(item) for item in CURRENT_STANDARD.items}


VETO = {item.code: True for item in CURRENT_STANDARD.veto_items}


def status_of(con, archive=ARCHIVE):
    return next(r["status"] for r in query_evaluation_results(con) if r["archive_code"] == archive)


def test_an_evaluator_may_score_only_assigned_archives_while_open(opened):
    check_may_score(opened, "evaluator", ARCHIVE)
    with pytest.raises(AccessDenied, match="未被分配"):
        check_may_score(opened, "evaluator", OTHER)
    with pytest.raises(AccessDenied, match="未被分配"):
        save_evaluator_scores(opened, "evaluator", OTHER, {"A1.1.1": D(5)}, submit=False)
    # An account is named as people read it (it said 评价专家「ev9」 where everything else says 刘洋（ev9）).
    add_user(opened, "ev9", "x", "evaluator", None, by="管理员", full_name="刘洋")
    assign_evaluator(opened, ARCHIVE, "ev9", "规划处")
    with pytest.raises(AccessDenied, match="^评价专家刘洋（ev9）未被分配评价"):
        check_may_score(opened, "ev9", OTHER)
    close_evaluation(opened, "规划处")
    with pytest.raises(AccessDenied, match="已结束"):
        save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": D(5)}, submit=False)
    assert query_scores(opened, ARCHIVE) == []


@on_both_backends("con")
def test_drafts_are_merged_and_submitting_needs_everything(opened):
    first = save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": D("8.5"), "A1.1.2": D(7)}, submit=False)
    assert (first["status"], first["scored"], len(first["missing"])) == ("draft", 2, len(CURRENT_STANDARD.items) - 2)
    save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.2": None, "A1.1.3": D(6)}, submit=False)
    saved = {r["item_code"]: (r["score"], r["is_submitted"]) for r in query_scores(opened, ARCHIVE, "evaluator")}
    assert saved == {"A1.1.1": (D("8.5"), False), "A1.1.3": (D("6.0"), False)}
    with pytest.raises(EvaluationInvalid) as refused:
        save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A2.4.2": D(20)}, submit=True)
    rules = {p.rule_id for p in refused.value.problems}
    assert rules == {"score_complete", "veto_verdict_required"}
    done = save_evaluator_scores(opened, "evaluator", ARCHIVE, full(), submit=True, veto_verdicts=VETO)
    assert (done["status"], done["missing"]) == ("submitted", [])
    assert {r["is_submitted"] for r in query_scores(opened, ARCHIVE, "evaluator")} == {True}
    [row] = query_assignments(opened, evaluator="evaluator")
    assert (row["archive_code"], row["sheet_state"]) == (ARCHIVE, "已提交")
    # A draft saved over the submitted sheet withdraws it, and says so (the first draft withdrew nothing).
    assert (first["withdrawn"], done["withdrawn"]) == (False, False)
    again = save_evaluator_scores(opened, "evaluator", ARCHIVE, {}, submit=False)
    assert (again["status"], again["withdrawn"]) == ("draft", True)
    assert {r["is_submitted"] for r in query_scores(opened, ARCHIVE, "evaluator")} == {False}


@pytest.mark.parametrize(
    ("scores", "verdicts", "rule"),
    [
        ({"A1.1.1": D(11)}, {}, "score_in_range"),
        ({"A1.1.1": D("7.25")}, {}, "score_one_decimal"),
        ({"A9.9.9": D(1)}, {}, "score_known_item"),
        ({"B1": D(11)}, {}, "bonus_in_range"),
        ({"B9": D(1)}, {}, "bonus_known_item"),
        ({}, {"A1.1.1": True}, "veto_verdict_only_veto"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(opened, scores, verdicts, rule):
    with pytest.raises(EvaluationInvalid) as refused:
        save_evaluator_scores(opened, "evaluator", ARCHIVE, scores, submit=False, veto_verdicts=verdicts)
    assert [p.rule_id for p in refused.value.problems] == [rule]
    assert query_scores(opened, ARCHIVE) == []


def self_evaluation() -> dict[str, pl.DataFrame]:
    """The archive's own sheet as an accepted upload hands it to the warehouse."""
    fields = {f.name: f.polars_dtype for f in EVALUATION_SCORES_FORM.fields}
    rows = [
        {"archive_code": ARCHIVE, "scorer": SELF_SOURCE, "item_code": item.code, "score": float(item.max_points),
         "veto_verdict": "通过" if item.is_veto else None, "excel_row": 3 + i}
        for i, item in enumerate(CURRENT_STANDARD.items)
    ]  # fmt: skip
    frame = pl.DataFrame(rows).with_columns(
        *(pl.lit(None, dtype).alias(name) for name, dtype in fields.items() if name not in rows[0])
    )
    return {EVALUATION_SCORES_FORM.sheet_name: frame}


@on_both_backends("con")
def test_results_follow_submissions_and_a_draft_withdraws_one(opened):
    for expert in ("evaluator", "专家乙", "专家丙"):
        save_evaluator_scores(opened, expert, ARCHIVE, full(), submit=True, veto_verdicts=VETO)
    assert status_of(opened) == "未完成"  # no self-evaluation yet
    assert {a["self_state"] for a in query_assignments(opened)} == {"未报送"}
    load_evaluation_sheets(opened, "S-self", utc_now(), "2025", "广东省档案馆", self_evaluation())
    assert status_of(opened) == "已完成"
    # Each expert's list says the archive's own scores are there, every item of the standard.
    items = len(CURRENT_STANDARD.items)
    assert {a["self_state"] for a in query_assignments(opened)} == {f"已报送（{items}/{items} 项）"}
    sent = {r["archive_code"]: r["self_state"] for r in query_evaluation_results(opened)}
    assert (sent[ARCHIVE], sent[OTHER]) == (f"已报送（{items}/{items} 项）", "未报送")
    save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": D(9)}, submit=False)
    assert status_of(opened) == "未完成"  # two submitted experts are not enough


def assigned_to(con, archive=ARCHIVE):
    return sorted(a["evaluator"] for a in query_assignments(con) if a["archive_code"] == archive)


@on_both_backends("con")
def test_an_assignment_is_withdrawn_and_a_saved_sheet_only_once_confirmed(opened):
    # No sheet: withdrawn at once, and the archive's count of assigned experts follows.
    assert unassign_evaluator(opened, ARCHIVE, "专家丙", "规划处")["removed_sheet"] is None
    assert assigned_to(opened) == ["evaluator", "专家乙"]
    assert next(r["assigned"] for r in query_evaluation_results(opened) if r["archive_code"] == ARCHIVE) == 2
    with pytest.raises(NotFound, match="评价专家 专家丙 在评价轮次 2025 没有分派评价广东省档案馆（440000）"):
        unassign_evaluator(opened, ARCHIVE, "专家丙", "规划处")
    with pytest.raises(UsageError, match="评价专家的用户名不能为空"):
        unassign_evaluator(opened, ARCHIVE, "  ", "规划处")
    # A draft: saying what would be removed changes nothing; confirmed, the sheet goes with the assignment.
    save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": D(9), "A1.1.2": D(3)}, submit=False)
    with pytest.raises(UsageError, match=r"将删除评价专家 evaluator 对广东省档案馆（440000）的评分表（草稿，2 项）。"):
        unassign_evaluator(opened, ARCHIVE, "evaluator", "规划处")
    assert len(query_scores(opened, ARCHIVE, "evaluator")) == 2 and "evaluator" in assigned_to(opened)
    removed = unassign_evaluator(opened, ARCHIVE, "evaluator", "规划处", confirmed=True)
    assert removed["removed_sheet"] == "评分表（草稿，2 项）"
    assert query_scores(opened, ARCHIVE, "evaluator") == [] and assigned_to(opened) == ["专家乙"]
    with pytest.raises(AccessDenied, match="「evaluator」本轮没有分派任何档案馆"):
        check_may_score(opened, "evaluator", ARCHIVE)


def test_a_submitted_sheet_leaves_the_results_only_while_the_round_is_open(opened):
    for expert in ("evaluator", "专家乙", "专家丙"):
        save_evaluator_scores(opened, expert, ARCHIVE, full(), submit=True, veto_verdicts=VETO)
    load_evaluation_sheets(opened, "S-self", utc_now(), "2025", "广东省档案馆", self_evaluation())
    close_evaluation(opened, "规划处")
    with pytest.raises(IllegalTransition, match="已计入结果，不能撤销分派"):
        unassign_evaluator(opened, ARCHIVE, "专家丙", "规划处", confirmed=True)
    assert status_of(opened) == "已完成" and len(assigned_to(opened)) == 3
    open_evaluation(opened, "规划处")
    with pytest.raises(UsageError, match=r"（已提交，\d+ 项），该馆的评价结果随之重算"):
        unassign_evaluator(opened, ARCHIVE, "专家丙", "规划处")
    unassign_evaluator(opened, ARCHIVE, "专家丙", "规划处", confirmed=True)
    assert status_of(opened) == "未完成"  # two submitted experts are not enough


@on_both_backends("con")
def test_only_a_planner_s_account_organises_the_evaluation(opened):
    # The commands took any --by: an evaluator assigned itself an archive and closed the round, a province issued
    # findings, all recorded under their names.
    for name, role, province in (
        ("planner", "planner", None),
        ("gd", "province", "440000"),
        ("ev2", "evaluator", None),
    ):
        add_user(opened, name, "x", role, province, by="管理员")
    add_user(opened, "old-planner", "x", "planner", None, by="管理员")
    set_user_active(opened, "old-planner", False, by="管理员")
    for by in ("gd", "ev2", "old-planner"):
        for act in (
            lambda: assign_evaluator(opened, OTHER, "ev2", by),
            lambda: unassign_evaluator(opened, ARCHIVE, "专家丙", by, confirmed=True),
            lambda: close_evaluation(opened, by),
        ):
            with pytest.raises(AccessDenied, match="不能组织业务建设评价"):
                act()
    # A name only a letter's case away from an account would act unchecked while the log reads as that account.
    with pytest.raises(UsageError, match="与平台用户「ev2」只差字母大小写"):
        close_evaluation(opened, "EV2")
    assert len(assigned_to(opened)) == 3
    # A planner, or a person without an account (the bureau's 规划处, recorded as given), organises it.
    assign_evaluator(opened, OTHER, "ev2", "planner")
    # So is an expert assigned by such a name: a phantom offline expert counted among the archive's, never scoring.
    for twin in ("EV2", "ｅｖ2"):
        with pytest.raises(UsageError, match="评价专家「.*」与平台用户「ev2」(只差字母大小写|看起来相同)"):
            assign_evaluator(opened, OTHER, twin, "planner")
    close_evaluation(opened, "规划处")
    # Once closed its results are final: no more experts assigned.
    with pytest.raises(IllegalTransition, match="不能再分派评价专家"):
        assign_evaluator(opened, OTHER, "专家乙", "planner")


def test_a_workbook_validated_before_an_expert_s_own_save_does_not_replace_it(opened):
    # Validation found no sheet of the expert's own; by the load they had saved one on the platform: the load asks
    # again and refuses at the workbook's row, keeping the expert's sheet and loading nothing of the workbook.
    save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": D(7)}, submit=False)
    frame = self_evaluation()[EVALUATION_SCORES_FORM.sheet_name].with_columns(pl.lit("evaluator").alias("scorer"))
    with pytest.raises(
        AccessDenied, match="评价专家「evaluator」已于.*（北京时间）在平台上自行填写广东省档案馆（440000）"
    ) as refused:
        load_evaluation_sheets(
            opened, "S-late", utc_now(), "2025", "规划处", {EVALUATION_SCORES_FORM.sheet_name: frame}
        )
    assert (refused.value.sheet, refused.value.row, refused.value.column) == ("评分表", 3, "评分人")
    assert [(r["item_code"], r["score"]) for r in query_scores(opened, ARCHIVE, "evaluator") if r["score"]] == [
        ("A1.1.1", D(7))
    ]
    # The archive's own (自评) sheet is no expert's: an upload loads it as before.
    load_evaluation_sheets(opened, "S-self", utc_now(), "2025", "广东省档案馆", self_evaluation())
    assert len(query_scores(opened, ARCHIVE, SELF_SOURCE)) == len(CURRENT_STANDARD.items)
