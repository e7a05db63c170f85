"""/evaluation's form issuing an archive's problems as findings, without a browser: national users only (refused on
the server for the others), only once the round is closed, once per archive, and what it says before and after;
then the findings on /inspections for the national bureau and the archive's province, not for another."""

from __future__ import annotations

import pytest

from dash_app import ids
from dash_app.app import create_app
from tests.dash_app.conftest import add_users, web_settings
from tests.dash_app.test_access import client_of, grid_rows, returned
from tests.dash_app.test_supervision_access import post, text_of
from tests.warehouse.test_evaluation_findings import score_guangdong
from warehouse.backends import EmbeddedWarehouse
from warehouse.evaluation import close_evaluation

ARCHIVE = "440000"
PREVIEW = [(ids.EVALUATION_ISSUE_PREVIEW, "children"), (ids.EVALUATION_ISSUE, "disabled")]
FORM = ("2025-07-01", "档评反〔2025〕3号", "李馆长")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Guangdong's archive scored (`score_guangdong`), the round open, the test users, and the app."""
    settings = web_settings(tmp_path_factory.mktemp("evaluation-findings") / "var" / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    with store.writer() as con:
        score_guangdong(con)
    add_users(store)
    return create_app(settings), store


def preview(app, client, archive=ARCHIVE, floor="一般"):
    inputs = [
        (ids.EVALUATION_ARCHIVE, "value", archive),
        (ids.EVALUATION_ISSUE_RESULT, "children", None),
        (ids.EVALUATION_ISSUE_FLOOR, "value", floor),
    ]
    return post(app, client, PREVIEW, inputs)


def issue(app, client, archive=ARCHIVE, form=FORM, floor="一般"):
    state = [
        (ids.EVALUATION_ARCHIVE, "value", archive),
        (ids.EVALUATION_ISSUE_DATE, "value", form[0]),
        (ids.EVALUATION_ISSUE_DOC, "value", form[1]),
        (ids.EVALUATION_ISSUE_PERSON, "value", form[2]),
        (ids.EVALUATION_ISSUE_FLOOR, "value", floor),
    ]
    return post(
        app, client, [(ids.EVALUATION_ISSUE_RESULT, "children")], [(ids.EVALUATION_ISSUE, "n_clicks", 1)], state
    )


def findings_seen(app, user):
    return sorted(r["finding_id"] for r in grid_rows(app, client_of(app, user), ids.INSPECTIONS_GRID, None, None, None))


def test_only_national_users_issue_and_only_after_the_round_closes(site):
    app, store = site
    planner = client_of(app, "planner")
    shown = preview(app, planner)
    assert "评价轮次 2025 仍在进行" in returned(shown, ids.EVALUATION_ISSUE_PREVIEW, "children")
    assert returned(shown, ids.EVALUATION_ISSUE, "disabled") is True
    assert "仍在进行" in text_of(returned(issue(app, planner), ids.EVALUATION_ISSUE_RESULT, "children"))
    for user in ("guangdong", "evaluator"):
        assert preview(app, client_of(app, user)).status_code == 403
        assert issue(app, client_of(app, user)).status_code == 403
    with store.writer() as con:
        close_evaluation(con, "规划处")
    shown = preview(app, planner)
    assert returned(shown, ids.EVALUATION_ISSUE_PREVIEW, "children").startswith(
        "将下发 3 个整改问题（严重 1、较重 1、一般 1）"
    )
    assert returned(shown, ids.EVALUATION_ISSUE, "disabled") is False
    graver = returned(preview(app, planner, floor="较重"), ids.EVALUATION_ISSUE_PREVIEW, "children")
    assert graver.startswith("将下发 2 个整改问题（严重 1、较重 1），另有 1 个较轻的问题不下发")
    for forged in ("重大安全隐患", ["一般"]):
        assert preview(app, planner, floor=forged).status_code == 400
        assert issue(app, planner, floor=forged).status_code == 400
    assert "不是参加评价" in returned(preview(app, planner, "999999"), ids.EVALUATION_ISSUE_PREVIEW, "children")
    # A forged code is not sent back whole.
    assert len(returned(preview(app, planner, "9" * 100_000), ids.EVALUATION_ISSUE_PREVIEW, "children")) < 200
    refused = issue(app, planner, form=("2025-07-01", "", "李馆长"))
    assert "未填写反馈文书编号" in text_of(returned(refused, ids.EVALUATION_ISSUE_RESULT, "children"))
    assert findings_seen(app, "planner") == []
    done = text_of(returned(issue(app, planner), ids.EVALUATION_ISSUE_RESULT, "children"))
    assert done.startswith("已向广东省档案馆下发 3 个整改问题（档评反〔2025〕3号）。")
    shown = preview(app, planner)
    assert "整改问题已于 2025年7月1日 下发（档评反〔2025〕3号，3 个问题，planner）" in returned(
        shown, ids.EVALUATION_ISSUE_PREVIEW, "children"
    )
    assert returned(shown, ids.EVALUATION_ISSUE, "disabled") is True
    assert "已于 2025年7月1日 下发" in text_of(
        returned(issue(app, client_of(app, "admin")), ids.EVALUATION_ISSUE_RESULT, "children")
    )
    issued = ["PJ2025-440000-A1-1-1", "PJ2025-440000-A1-2-1", "PJ2025-440000-A2-4-2"]
    assert findings_seen(app, "planner") == issued
    assert findings_seen(app, "guangdong") == issued
    assert findings_seen(app, "guangxi") == []


WITHDRAWAL = [
    (ids.EVALUATION_WITHDRAW_BLOCK, "hidden"),
    (ids.EVALUATION_WITHDRAW_PREVIEW, "children"),
    (ids.EVALUATION_WITHDRAW, "disabled"),
]


def withdrawal(app, client, archive=ARCHIVE):
    inputs = [(ids.EVALUATION_ARCHIVE, "value", archive), (ids.EVALUATION_ISSUE_RESULT, "children", None)]
    return post(app, client, WITHDRAWAL, inputs)


def withdraw(app, client, reason="反馈文书编号有误", archive=ARCHIVE):
    state = [(ids.EVALUATION_ARCHIVE, "value", archive), (ids.EVALUATION_WITHDRAW_REASON, "value", reason)]
    outputs = [(ids.EVALUATION_ISSUE_RESULT, "children"), (ids.EVALUATION_WITHDRAW_REASON, "value")]
    return post(app, client, outputs, [(ids.EVALUATION_WITHDRAW, "n_clicks", 1)], state)


def test_a_national_user_withdraws_issued_problems_after_being_told_what_goes_and_may_issue_again(site):
    app, store = site
    planner = client_of(app, "planner")
    # Issued by the test above: the block says what a withdrawal removes before anyone clicks.
    shown = withdrawal(app, planner)
    assert returned(shown, ids.EVALUATION_WITHDRAW_BLOCK, "hidden") is False
    assert returned(shown, ids.EVALUATION_WITHDRAW_PREVIEW, "children").startswith(
        "撤回将删除 2025年7月1日 下发的 3 个整改问题（档评反〔2025〕3号，PJ2025-440000-A1-1-1 至 PJ2025-440000-A2-4-2）"
    )
    assert returned(shown, ids.EVALUATION_WITHDRAW, "disabled") is False
    assert returned(withdrawal(app, planner, "440100"), ids.EVALUATION_WITHDRAW_BLOCK, "hidden") is True
    for user in ("guangdong", "evaluator"):
        assert withdrawal(app, client_of(app, user)).status_code == 403
        assert withdraw(app, client_of(app, user)).status_code == 403
    assert withdraw(app, planner, reason=["x"]).status_code == 400
    refused = withdraw(app, planner, reason="  ")
    assert "未填写撤回原因" in text_of(returned(refused, ids.EVALUATION_ISSUE_RESULT, "children"))
    assert findings_seen(app, "planner") != []
    done = withdraw(app, planner)
    assert text_of(returned(done, ids.EVALUATION_ISSUE_RESULT, "children")).startswith(
        "已撤回 2025年7月1日 下发的 3 个整改问题"
    )
    assert returned(done, ids.EVALUATION_WITHDRAW_REASON, "value") == ""
    assert findings_seen(app, "planner") == []
    assert returned(withdrawal(app, planner), ids.EVALUATION_WITHDRAW_BLOCK, "hidden") is True
    assert returned(preview(app, planner), ids.EVALUATION_ISSUE_PREVIEW, "children").startswith("将下发 3 个整改问题")
    with store.reader() as con:
        logged = con.execute("SELECT actor, reason FROM audit_log WHERE action = 'withdraw'").fetchall()
    assert logged == [("planner", "反馈文书编号有误")]
