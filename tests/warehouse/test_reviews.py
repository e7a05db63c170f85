"""The review lifecycle: legal transitions are recorded, illegal ones refused, nothing half-done."""

from __future__ import annotations

import pytest

from census_schema.errors import IllegalTransition, NotFound, UsageError
from tests.warehouse.factories import count, load, make_submission, make_uscc
from warehouse.loads import record_submission
from warehouse.reviews import review_submission

A = make_uscc(1)


def state(con, submission_id: str) -> str | None:
    row = con.execute("SELECT review_state FROM submissions WHERE submission_id = ?", [submission_id]).fetchone()
    return row[0]


def history(con, submission_id: str) -> list[tuple]:
    return con.execute(
        "SELECT changed_by, from_state, to_state, reason FROM submission_reviews WHERE submission_id = ? "
        "ORDER BY changed_at",
        [submission_id],
    ).fetchall()


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
    previous, expected_history = "待审核", []
    for action, reason, to_state in steps:
        result = review_submission(con, submission_id, action, "reviewer", reason)
        assert result["submission_id"] == submission_id
        assert (result["from_state"], result["to_state"], result["changed_by"]) == (previous, to_state, "reviewer")
        assert result["reason"] == reason
        expected_history.append(("reviewer", previous, to_state, reason))
        previous = to_state
    assert state(con, submission_id) == previous
    assert history(con, submission_id) == expected_history


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
        review_submission(con, submission_id, action, "reviewer", reason)
    before = (state(con, submission_id), history(con, submission_id))
    with pytest.raises(IllegalTransition):
        review_submission(con, submission_id, illegal[0], "reviewer", illegal[1])
    assert (state(con, submission_id), history(con, submission_id)) == before


def test_rejected_submissions_cannot_be_reviewed(con):
    rejected = record_submission(con, make_submission(status="rejected", error_count=1), None, [])
    with pytest.raises(IllegalTransition, match="未通过校验"):
        review_submission(con, rejected, "accept", "reviewer", None)
    assert state(con, rejected) is None


def test_superseded_submissions_cannot_be_reviewed(con):
    first = load(con, "census", "440000", [{"uscc": A}], content="v1")
    second = load(con, "census", "440000", [{"uscc": A}], content="v2")
    with pytest.raises(IllegalTransition, match=second):
        review_submission(con, first, "accept", "reviewer", None)
    assert state(con, first) == "待审核"


def test_unknown_submission_is_not_found(con):
    with pytest.raises(NotFound):
        review_submission(con, "S2024-440000-nope", "accept", "reviewer", None)


@pytest.mark.parametrize(
    ("action", "by", "reason"),
    [("return", "reviewer", None), ("return", "reviewer", "   "), ("accept", " ", None), ("approve", "reviewer", "x")],
)
def test_misuse_is_a_usage_error(con, action, by, reason):
    submission_id = load(con, "census", "440000", [{"uscc": A}])
    with pytest.raises(UsageError):
        review_submission(con, submission_id, action, by, reason)
    assert state(con, submission_id) == "待审核"
    assert count(con, "submission_reviews") == 0


def test_a_new_file_after_approval_starts_again_pending(con):
    first = load(con, "census", "440000", [{"uscc": A}], content="v1")
    review_submission(con, first, "accept", "reviewer", None)
    second = load(con, "census", "440000", [{"uscc": A}], content="v2")
    assert (state(con, first), state(con, second)) == ("已审核", "待审核")
