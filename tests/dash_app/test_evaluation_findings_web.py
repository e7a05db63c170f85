"""/evaluation's form issuing an archive's problems as findings, without a browser: national users only (refused on
the server for the others), only once the round is closed, once per archive, and what it says before and after;
then the findings on /inspections for the national bureau and the archive's province, not for another."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal as D
from urllib.parse import unquote

import openpyxl
import polars as pl
import pytest

from census_schema.clock import beijing_today
from census_schema.holidays import arranged_years
from census_schema.scopes import format_day
from census_schema.supervision.evaluation import CURRENT_STANDARD
from census_schema.supervision.forms import EVALUATION_SCORES_FORM
from dash_app import ids
from dash_app.app import close_app, create_app
from dash_app.grid import EXPORT_HEADER_ROW
from supervision.lifecycle import add_working_days
from tests.dash_app.conftest import add_users, web_settings
from tests.dash_app.test_access import (
    client_of,
    export_grid,
    exported_workbook,
    grid_rows,
    load_grid,
    render_page,
    returned,
)
from tests.dash_app.test_supervision_access import (
    components,
    detail,
    post,
    reconcile_post,
    requested,
    show_form,
    text_of,
)
from tests.warehouse.test_evaluation_access import full, self_evaluation
from tests.warehouse.test_evaluation_findings import EXPERTS, PROBLEMS, VETO_FAILED, score_guangdong
from warehouse.backends import EmbeddedWarehouse
from warehouse.evaluation import (
    assign_evaluator,
    close_evaluation,
    load_evaluation_sheets,
    save_evaluator_scores,
)
from warehouse.transactions import utc_now

ARCHIVE = "440000"
PREVIEW = [
    (ids.EVALUATION_ISSUE_PREVIEW, "children"),
    (ids.EVALUATION_ISSUE, "disabled"),
    (ids.EVALUATION_ISSUE_PREVIEW, "className"),
]
FORM = ("2025-07-01", "档评反〔2025〕3号", "李馆长")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Guangdong's archive scored (`score_guangdong`), the round open, the test users, and the app."""
    settings = web_settings(tmp_path_factory.mktemp("evaluation-findings") / "var" / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    with store.writer() as con:
        score_guangdong(con)
    add_users(store)
    app = create_app(settings)
    yield app, store
    close_app(app)


def preview(app, client, archive=ARCHIVE, floor="一般", day=None):
    inputs = [
        (ids.EVALUATION_ARCHIVE, "value", archive),
        (ids.EVALUATION_ISSUE_RESULT, "children", None),
        (ids.EVALUATION_ISSUE_FLOOR, "value", floor),
        (ids.EVALUATION_ISSUE_DATE, "value", day),
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


def round_state(app, client):
    shown = post(app, client, [(ids.EVALUATION_ROUND_STATE, "children")], [(ids.EVALUATION_RESULT, "children", None)])
    return shown if shown.status_code != 200 else returned(shown, ids.EVALUATION_ROUND_STATE, "children")


def test_only_national_users_issue_and_only_after_the_round_closes(site):
    app, store = site
    planner = client_of(app, "planner")
    # Above the results: provisional while the round is open (Guangdong's three experts have all submitted).
    assert round_state(app, planner) == (
        "评价轮次 2025 正在进行，得分、等次和排名均为暂定：专家仍可提交、撤回或修改评分（分派的专家均已提交）；"
        "本轮评价结束后才是最终结果。"
    )
    assert round_state(app, client_of(app, "evaluator")).status_code == 403
    # Its evaluation complete, Guangdong's archive offers its feedback report.
    outputs = [(ids.EVALUATION_RADAR, "figure"), (ids.EVALUATION_RADAR_TABLE, "children"),
               (ids.EVALUATION_REPORT_LINK, "children")]  # fmt: skip
    shown = post(
        app, planner, outputs, [(ids.EVALUATION_ARCHIVE, "value", ARCHIVE), (ids.EVALUATION_RESULT, "children", None)]
    )
    # While the round is open, beside it the archive's self-evaluation template, a row for each item.
    report, _, template = returned(shown, ids.EVALUATION_REPORT_LINK, "children")
    link = report["props"]
    assert (link["children"], link["href"]) == ("下载反馈报告", f"/download/evaluation/{ARCHIVE}")
    assert template["props"]["href"] == f"/download/template/evaluation?archive={ARCHIVE}"
    assert planner.get(template["props"]["href"]).status_code == 200
    shown = preview(app, planner)
    assert "评价轮次 2025 仍在进行" in returned(shown, ids.EVALUATION_ISSUE_PREVIEW, "children")
    assert returned(shown, ids.EVALUATION_ISSUE, "disabled") is True
    assert "仍在进行" in text_of(returned(issue(app, planner), ids.EVALUATION_ISSUE_RESULT, "children"))
    for user in ("guangdong", "evaluator"):
        assert preview(app, client_of(app, user)).status_code == 403
        assert issue(app, client_of(app, user)).status_code == 403
    with store.writer() as con:
        close_evaluation(con, "规划处")
    assert round_state(app, planner) == (
        f"评价轮次 2025 已于 {format_day(beijing_today())} 结束，得分、等次和排名为最终结果。"
    )
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
    # The feedback day typed: the deadlines it gives, a warning when they are already past, a refusal after today.
    typed = returned(preview(app, planner, day=beijing_today().isoformat()), ids.EVALUATION_ISSUE_PREVIEW, "children")
    assert "（反馈日期后 30 个工作日" in typed and "期限已过" not in typed
    # A deadline in a year whose holiday notice is not declared here says how it was counted.
    undeclared = [
        year for year in range(beijing_today().year, beijing_today().year + 2) if year not in arranged_years()
    ]
    assert (f"{undeclared[0]} 年的节假日安排尚未公布，按周一至周五计算" in typed) == (
        add_working_days(beijing_today(), 30).year in undeclared
    )
    shown = preview(app, planner, day="2025-07-01")
    past = returned(shown, ids.EVALUATION_ISSUE_PREVIEW, "children")
    assert returned(shown, ids.EVALUATION_ISSUE_PREVIEW, "className") == "warn"  # not in the hint's small grey
    assert (
        "整改期限为 2025年8月12日（反馈日期后 30 个工作日），其中 3 个问题的期限已过，下发后即为逾期，请核对反馈日期；"
        in past
    )
    tomorrow = preview(app, planner, day=(beijing_today() + timedelta(days=1)).isoformat())
    assert "晚于今天" in returned(tomorrow, ids.EVALUATION_ISSUE_PREVIEW, "children")
    assert returned(tomorrow, ids.EVALUATION_ISSUE, "disabled") is True
    assert returned(tomorrow, ids.EVALUATION_ISSUE_PREVIEW, "className") == "error"  # a refusal, not a hint
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
    # An administrator reads the results; issuing (and withdrawing) is the bureau's planners' (it issued them too).
    assert issue(app, client_of(app, "admin")).status_code == 403
    issued = ["PJ2025-440000-A1-1-1", "PJ2025-440000-A1-2-1", "PJ2025-440000-A2-4-2"]
    assert findings_seen(app, "planner") == issued
    assert findings_seen(app, "guangdong") == issued
    # The national bureau sees each expert's name and score behind a finding; the archive's province the count.
    national = text_of(detail(app, planner, issued[0])[0])
    assert (
        "依据评分：自评 10.0 分（评分表第 3 行）；evaluator 0.0 分（网页录入）；专家丙 0.0 分（网页录入）；专家乙 0.0 分"
        in national
    )
    provincial = text_of(detail(app, client_of(app, "guangdong"), issued[0])[0])
    assert "依据评分：自评 10.0 分；3 位专家的评分（专家姓名和各自的评分只向国家档案局显示）" in provincial
    assert not any(name in provincial for name in ("evaluator", "专家乙", "专家丙"))
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
    refused = withdraw(app, planner, reason="重复\u200b下发")
    assert "「撤回原因」含有看不见的字符：重复[U+200B]下发" in text_of(
        returned(refused, ids.EVALUATION_ISSUE_RESULT, "children")
    )
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


def test_after_the_round_an_expert_sees_their_own_sheet_read_only_and_may_download_it(site):
    app, _ = site
    expert = client_of(app, "evaluator")  # one of Guangdong's three experts; the round was closed above
    shown = show_form(app, expert, ARCHIVE)
    assert (
        returned(shown, ids.EVALUATION_SAVE, "disabled") is returned(shown, ids.EVALUATION_SUBMIT, "disabled") is True
    )
    form = returned(shown, ids.EVALUATION_FORM, "children")
    assert "本轮评价已结束，不能再提交或修改评分。下表是您对该馆的评分（只读）：已提交，计入了该馆的结果。" in text_of(
        form
    )
    fields = components(form, ids.EVALUATION_SCORE)
    assert fields["A1.1.1"]["value"] == "0.0" and all(f["disabled"] is True for f in fields.values())
    verdicts = components(form, ids.EVALUATION_VERDICT)
    assert all(o["disabled"] is True for v in verdicts.values() for o in v["options"])
    assert components(form, ids.EVALUATION_REMARK) == {}  # remarks are text now (none was written here)
    assert "撤回提交" not in text_of(form)  # how withdrawing works is for an open round only
    named = post(app, expert, [(ids.EVALUATION_SAVE, "children")],
                 [(ids.EVALUATION_ARCHIVE, "value", ARCHIVE), (ids.EVALUATION_RESULT, "children", None)])  # fmt: skip
    assert returned(named, ids.EVALUATION_SAVE, "children") == "保存草稿"  # nothing to withdraw any more
    downloaded = expert.get(f"/download/evaluation/{ARCHIVE}")
    assert downloaded.status_code == 200 and "本人评分表" in unquote(downloaded.headers["Content-Disposition"])
    assert expert.get("/download/evaluation/440100").status_code == 403  # not assigned: refused as before


def test_an_archive_awaiting_reconciliation_names_its_items_and_where_the_panel_settles_them(tmp_path, open_app):
    settings = web_settings(tmp_path / "var" / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    with store.writer() as con:
        score_guangdong(con)  # A1.1.1 scored 0 by all three experts
        verdicts = {item.code: item.code != VETO_FAILED for item in CURRENT_STANDARD.veto_items}
        scores = {**full(), **PROBLEMS, "A1.1.1": D(10)}  # one expert gives it 10 of 10: 10 apart, 2 allowed
        save_evaluator_scores(con, "专家乙", ARCHIVE, scores, submit=True, veto_verdicts=verdicts)
    add_users(store)
    app = open_app(settings)
    outputs = [(ids.EVALUATION_RADAR, "figure"), (ids.EVALUATION_RADAR_TABLE, "children"),
               (ids.EVALUATION_REPORT_LINK, "children")]  # fmt: skip
    inputs = [(ids.EVALUATION_ARCHIVE, "value", ARCHIVE), (ids.EVALUATION_RESULT, "children", None)]
    answer = post(app, client_of(app, "planner"), outputs, inputs)
    shown = text_of(returned(answer, ids.EVALUATION_RADAR_TABLE, "children"))
    # No link to a report that cannot be made yet (it led to a refusal page): a line saying when it can.
    assert text_of(returned(answer, ids.EVALUATION_REPORT_LINK, "children")) == (
        "该馆的评价待合议，完成后可下载反馈报告。 下载该馆的自评模板（已列出全部评分项）"
    )
    assert "该馆的评价待合议：以下 1 项的专家评分相差超过该项满分（加分项为上限）的 20%" in shown
    assert "A1.1.1" in shown and "evaluator 0.0；专家丙 0.0；专家乙 10.0" in shown and "10.02.0" in shown
    assert "在「业务建设评价评分」工作簿的「评分表」中，为该项各专家行填写「合议分」" in shown
    assert post(app, client_of(app, "evaluator"), outputs, inputs).status_code == 200  # the evaluator's: nothing
    hidden = returned(post(app, client_of(app, "evaluator"), outputs, inputs), ids.EVALUATION_RADAR_TABLE, "children")
    assert hidden is None
    # The 合议分 form says every problem at once: a value that is not a number was told first, its missing note only
    # once the value was typed again; a note with no value was dropped, and 没有填写合议分 said.
    for typed, wanted in ((("十", ""), ("「十」不是数字", "合议分须附说明")), (("", "专家组合议"), ("合议分为空",))):
        answer = reconcile_post(app, "planner", ARCHIVE, {"A1.1.1": typed})
        said = text_of(returned(answer, ids.EVALUATION_RECONCILE_RESULT, "children"))
        assert said.startswith("A1.1.1：") and all(part in said for part in wanted), said
    # Closed with the archive still 待合议: the others' grades are final, not their ranks.
    with store.writer() as con:
        close_evaluation(con, "规划处")
    said = returned(preview(app, client_of(app, "planner")), ids.EVALUATION_ISSUE_PREVIEW, "children")
    assert said.endswith("评价待合议，没有可下发的问题。 处理办法：先录入这些评分项的合议分：A1.1.1（共 1 项）。")
    assert round_state(app, client_of(app, "planner")) == (
        f"评价轮次 2025 已于 {format_day(beijing_today())} 结束，得分和等次为最终结果；1 家档案馆待合议（广东省档案馆（440000）），"
        "没有得分和排名：须重新开启本轮次录入合议分后计算（已下发整改问题的轮次不能重新开启），全国排名可能随之变化。"
    )
    # A province's office is told whether it is one of its own (广西's read 广东's archive as if it were its own).
    for user, which in (("guangdong", "其中本省 1 家"), ("guangxi", "不在本省")):
        assert f"1 家档案馆待合议（{which}），没有得分和排名" in round_state(app, client_of(app, user)), user


def test_a_provincial_office_sees_its_own_archives_evaluation_and_its_results_once_the_round_is_over(
    tmp_path, open_app
):
    # The result goes back to the archive (spec): Guangdong's office reads its archives' self-evaluation and progress
    # while the round is open, their scores, grades, ranks and feedback reports once it is over; never another
    # province's archive, nor an expert's name or single score.
    settings = web_settings(tmp_path / "var" / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    with store.writer() as con:
        score_guangdong(con)
        # 深圳市档案馆 scored in full: it ranks above 广东省档案馆 (whose A1.1.1 lost its 10 points).
        verdicts = {item.code: True for item in CURRENT_STANDARD.veto_items}
        for expert in EXPERTS:
            assign_evaluator(con, "440300", expert, "规划处")
            save_evaluator_scores(con, expert, "440300", full(), submit=True, veto_verdicts=verdicts)
        sheet = EVALUATION_SCORES_FORM.sheet_name
        own_sheet = self_evaluation()[sheet].with_columns(pl.lit("440300").alias("archive_code"))
        load_evaluation_sheets(con, "S-self-sz", utc_now(), "2025", "深圳市档案馆", {sheet: own_sheet})
    add_users(store)
    app = open_app(settings)
    guangdong = client_of(app, "guangdong")
    page = render_page(app, guangdong, "/evaluation").text
    assert "本省综合档案馆评价结果" in page and ids.EVALUATION_RESULTS_GRID in page and ids.EVALUATION_ISSUE not in page
    options = post(app, guangdong, [(ids.EVALUATION_ARCHIVE, "options"), (ids.EVALUATION_ARCHIVE, "value")],
                   [(ids.URL, "search", "")], [(ids.EVALUATION_ARCHIVE, "value", None)])  # fmt: skip
    own = [o["value"] for o in returned(options, ids.EVALUATION_ARCHIVE, "options")]
    assert own == ["440000", "440100", "440300"]  # 广东省, 广州市 and 深圳市档案馆

    def results() -> dict[str, dict]:
        return {r["archive_code"]: r for r in grid_rows(app, guangdong, ids.EVALUATION_RESULTS_GRID, None)}

    def items(archive: str) -> list[dict]:
        return grid_rows(app, guangdong, ids.EVALUATION_ITEMS_GRID, archive, None)

    def experts_named(response) -> bool:
        return any(expert in response.text for expert in EXPERTS)

    # While open: progress and the archive's own 自评, nothing the experts gave.
    open_rows = results()
    assert list(open_rows) == own  # in the standard's order: an order by score would tell the unpublished ranks
    assert (open_rows[ARCHIVE]["status"], open_rows[ARCHIVE]["experts"]) == ("已完成", 3)
    # Whether each archive has sent its self-evaluation: 广州市档案馆 has not (its 未完成 is not the experts' doing).
    every = f"已报送（{len(CURRENT_STANDARD.items)}/{len(CURRENT_STANDARD.items)} 项）"
    assert {code: row["self_state"] for code, row in open_rows.items()} == {
        "440000": every,
        "440100": "未报送",
        "440300": every,
    }
    hidden = ("rank", "total", "final_score", "grade", "veto_note")
    assert all(open_rows[ARCHIVE][k] is None for k in hidden)
    first = items(ARCHIVE)[0]
    assert first["self_score"] is not None and first["score"] is None and "expert_scores" not in first
    state = post(
        app, guangdong, [(ids.EVALUATION_ROUND_STATE, "children")], [(ids.EVALUATION_RESULT, "children", None)]
    )
    assert "本轮评价结束后公布得分、等次和排名" in returned(state, ids.EVALUATION_ROUND_STATE, "children")
    assert guangdong.get(f"/download/evaluation/{ARCHIVE}").status_code == 403
    # Its export says the same, not the nation's provisional state; the items' export names the archive.
    exported = exported_workbook(
        export_grid(app, guangdong, ids.EVALUATION_RESULTS_GRID, None, None), ids.EVALUATION_RESULTS_GRID
    ).active
    said = " ".join(
        str(c) for row in exported.iter_rows(max_row=EXPORT_HEADER_ROW - 1, values_only=True) for c in row if c
    )
    assert "本轮评价结束后公布得分、等次和排名" in said and "暂定：专家仍可提交" not in said
    items_export = export_grid(app, guangdong, ids.EVALUATION_ITEMS_GRID, None, "440100", None)
    assert returned(items_export, ids.export_download(ids.EVALUATION_ITEMS_GRID), "data")["filename"].startswith(
        "评分明细-广州市档案馆（440100）"
    )
    # Another province's archive: refused by name, and nothing of it sent.
    said = requested(app, guangdong, "?archive=450000")
    assert said["props"]["children"].startswith(
        "广西壮族自治区档案馆（450000）不在本省：省级档案部门只能查看本省（广东省）"
    )
    assert items("450000") == []
    assert guangdong.get("/download/evaluation/450000").status_code == 403

    with store.writer() as con:
        close_evaluation(con, "规划处")
    closed_rows = results()
    assert [(code, row["rank"]) for code, row in closed_rows.items()] == [
        ("440300", 1),
        ("440000", 2),
        ("440100", None),
    ]
    assert closed_rows[ARCHIVE]["grade"] == "不合格"  # its failed veto item
    assert VETO_FAILED in closed_rows[ARCHIVE]["veto_note"]
    assert closed_rows[ARCHIVE]["final_score"] is not None
    shown = items(ARCHIVE)
    assert shown[0]["score"] is not None and "expert_scores" not in shown[0]
    outputs = [(ids.EVALUATION_RADAR, "figure"), (ids.EVALUATION_RADAR_TABLE, "children"),
               (ids.EVALUATION_REPORT_LINK, "children")]  # fmt: skip
    detail_answer = post(
        app, guangdong, outputs, [(ids.EVALUATION_ARCHIVE, "value", ARCHIVE), (ids.EVALUATION_RESULT, "children", None)]
    )
    assert returned(detail_answer, ids.EVALUATION_REPORT_LINK, "children")["props"]["children"] == "下载反馈报告"
    report = guangdong.get(f"/download/evaluation/{ARCHIVE}")
    assert report.status_code == 200 and "业务建设评价反馈-广东省档案馆" in unquote(
        report.headers["Content-Disposition"]
    )
    # Its copy of the report holds no single expert's score either; the bureau's does.
    headers = {
        name: [c.value for c in openpyxl.load_workbook(io.BytesIO(body.data))[name][1]]
        for name, body in (("分项得分", report), ("合议说明", report))
    }
    assert all("专家评分" not in row and "专家均分" in row for row in headers.values())
    bureau = openpyxl.load_workbook(io.BytesIO(client_of(app, "planner").get(f"/download/evaluation/{ARCHIVE}").data))
    assert "专家评分" in [c.value for c in bureau["分项得分"][1]]
    for response in (detail_answer, load_grid(app, guangdong, ids.EVALUATION_RESULTS_GRID, None)):
        assert not experts_named(response)
    assert guangdong.get("/download/evaluation/450000").status_code == 403
