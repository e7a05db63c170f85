"""Problems found by the evaluation become findings in the rectification tracker: once per archive and round, only
after the round is closed, with the standard's item, a severity, the default deadline, the archive's province, and
the score rows behind them; then the same lifecycle as an inspection's findings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import duckdb
import openpyxl
import polars as pl
import pytest

from census_schema.errors import IllegalTransition, UsageError
from census_schema.supervision.codes import EVALUATION_ORGANISER, FindingSeverity, FindingSource, FindingStatus
from census_schema.supervision.evaluation import CURRENT_STANDARD, SELF_SOURCE
from census_schema.supervision.forms import FINDINGS_FORM, INSPECTION_RECORDS_FORM, RECTIFICATION_FORM
from dash_app.formatting import describe_sources
from tests.conftest import on_both_backends
from tests.flows.supervision_workbooks import finding, inspection
from tests.warehouse.supervision_factories import sheet_frame
from tests.warehouse.test_evaluation_access import ARCHIVE, full, self_evaluation
from warehouse.evaluation import (
    assign_evaluator,
    close_evaluation,
    load_evaluation_sheets,
    open_evaluation,
    save_evaluator_scores,
)
from warehouse.evaluation_findings import (
    describe_left_unscored,
    issue_evaluation_findings,
    left_unscored_by_issuing,
    plan_evaluation_findings,
    withdraw_evaluation_findings,
)
from warehouse.inspections import (
    load_inspection_sheets,
    query_finding_history,
    query_findings,
    summarize_findings,
    transition_finding,
)
from warehouse.migrations import apply_migrations, list_migrations
from warehouse.transactions import utc_now
from warehouse.users import add_user

EXPERTS = ("evaluator", "专家乙", "专家丙")
FEEDBACK = date(2025, 7, 1)  # a Tuesday: 30 working days later is Tuesday 2025-08-12
TODAY = date(2025, 7, 10)
VETO_FAILED = "A2.4.2"


def issue(con, archive=ARCHIVE, **changes):
    arguments = {"feedback_date": FEEDBACK, "feedback_doc_no": "档评反〔2025〕3号", "responsible_person": "李馆长"}
    return issue_evaluation_findings(con, archive, by="规划处", today=TODAY, **{**arguments, **changes})


PROBLEMS = {"A1.1.1": D(0), "A1.2.1": D(14)}


def score_guangdong(con, *, changes=PROBLEMS, failed_veto=VETO_FAILED):
    """Guangdong's archive scored by three experts on the web: every item full but `changes` (by default A1.1.1
    scored 0 of 10, A1.2.1 14 of 15), every veto passed but `failed_veto` (A2.4.2, at full points); its
    self-evaluation (uploaded) full; the round open."""
    open_evaluation(con, "规划处")
    for expert in EXPERTS:
        assign_evaluator(con, ARCHIVE, expert, "规划处")
    scores = {**full(), **changes}
    verdicts = {item.code: item.code != failed_veto for item in CURRENT_STANDARD.veto_items}
    for expert in EXPERTS:
        save_evaluator_scores(con, expert, ARCHIVE, scores, submit=True, veto_verdicts=verdicts)
    load_evaluation_sheets(con, "S-self", utc_now(), "2025", "广东省档案馆", self_evaluation())


@pytest.fixture
def scored(con):
    """A warehouse where Guangdong's archive is scored (`score_guangdong`)."""
    score_guangdong(con)
    return con


def count_findings(con):
    return con.execute("SELECT count(*) FROM findings").fetchone()[0]


def test_closing_with_an_archive_awaiting_reconciliation_names_it_first(scored):
    # A probe closed the round with 成都 at 待合议: the close named only an unsubmitted draft, and no 合议分 could be
    # entered after it (a closed round takes no scores workbook), so 成都 stayed unscored and unranked.
    assign_evaluator(scored, ARCHIVE, "专家丁", "规划处")
    verdicts = {item.code: True for item in CURRENT_STANDARD.veto_items}
    scores = {**full(), **PROBLEMS, "A1.1.1": D(10)}
    save_evaluator_scores(scored, "专家丁", ARCHIVE, scores, submit=True, veto_verdicts=verdicts)
    with pytest.raises(UsageError) as refused:
        close_evaluation(scored, "规划处", refuse_unsubmitted=True)
    assert refused.value.message == (
        "将结束评价轮次 2025：以下 1 家档案馆待合议，结束后不能再录入合议分，没有得分和排名（须重新开启本轮次才能录入；"
        "已下发整改问题的轮次不能重新开启）：广东省档案馆（440000）。本次未做任何处理。"
    )
    assert "录入合议分" in str(refused.value.hint)
    assert close_evaluation(scored, "规划处")["unreconciled"] == ["广东省档案馆（440000）"]


def test_a_closed_rounds_problems_become_findings_of_the_archive(scored):
    close_evaluation(scored, "规划处")
    issued = issue(scored)
    assert issued["finding_ids"] == ["PJ2025-440000-A2-4-2", "PJ2025-440000-A1-1-1", "PJ2025-440000-A1-2-1"]
    rows = {r["finding_id"]: r for r in query_findings(scored, TODAY)}
    assert {fid: (r["severity"], r["status"], r["deadline"]) for fid, r in rows.items()} == {
        "PJ2025-440000-A2-4-2": ("严重", "待整改", date(2025, 8, 12)),
        "PJ2025-440000-A1-1-1": ("较重", "待整改", date(2025, 8, 12)),
        "PJ2025-440000-A1-2-1": ("一般", "待整改", date(2025, 8, 12)),
    }
    first = rows["PJ2025-440000-A1-1-1"]
    assert (first["source"], first["inspection_type"], first["organiser"]) == (
        FindingSource.EVALUATION,
        FindingSource.EVALUATION,
        EVALUATION_ORGANISER,
    )
    assert (first["unit_name"], first["unit_class"], first["province_code"], first["year"]) == (
        "广东省档案馆",
        "省级",
        "440000",
        2025,
    )
    assert (first["round_id"], first["archive_code"], first["inspection_id"]) == ("2025", ARCHIVE, None)
    assert first["description"].endswith("得分 0.0（满分 10）。")
    assert "否决项未通过" in rows["PJ2025-440000-A2-4-2"]["description"]
    summary = summarize_findings(scored, TODAY)
    assert summary["by_source"] == {"监督检查": 0, "业务建设评价": 3}
    guangdong = next(p for p in summary["provinces"] if p["province_code"] == "440000")
    assert (guangdong["findings"], guangdong["by_state"]["待整改"]) == (3, 3)
    logged = scored.execute("SELECT kind, action, actor, target FROM audit_log WHERE action = 'issue'").fetchall()
    assert logged == [("finding", "issue", "规划处", "2025/440000")]


def test_issuing_the_round_s_first_findings_says_which_archives_it_leaves_unscored(scored):
    # A probe issued one archive's findings with 成都 at 待合议, unsaid: the round could never be opened again for
    # the 合议分 成都 waited on.
    other = "440100"
    for expert in EXPERTS:
        assign_evaluator(scored, other, expert, "规划处")
    verdicts = {item.code: True for item in CURRENT_STANDARD.veto_items}
    for expert, first in zip(EXPERTS, (D(0), D(10), D(10)), strict=True):
        save_evaluator_scores(scored, expert, other, {**full(), "A1.1.1": first}, submit=True, veto_verdicts=verdicts)
    own = {name: frame.with_columns(pl.lit(other).alias("archive_code")) for name, frame in self_evaluation().items()}
    load_evaluation_sheets(scored, "S-self-gz", utc_now(), "2025", "广州市档案馆", own)
    close_evaluation(scored, "规划处")
    assert left_unscored_by_issuing(scored, "2025") == [other]
    issued = issue(scored)
    assert describe_left_unscored(issued["left_unscored"]) == (
        "本轮首次下发后不能再重新开启：1 家待合议的档案馆（广州市档案馆（440100））将没有得分和排名"
    )
    assert left_unscored_by_issuing(scored, "2025") == []  # the round was already beyond reopening


def test_a_finding_traces_to_the_score_rows_behind_it(scored):
    close_evaluation(scored, "规划处")
    issue(scored)
    history = query_finding_history(scored, "PJ2025-440000-A1-1-1")
    assert (history["feedback_doc_no"], history["responsible_unit"], history["responsible_person"]) == (
        "档评反〔2025〕3号",
        "广东省档案馆",
        "李馆长",
    )
    sources = [
        (s["scorer"], s["score"], s["submission_id"], s["sheet_name"], s["excel_row"]) for s in history["sources"]
    ]
    # The self-evaluation came in a workbook (its row is the first item's), the experts' scores from the web.
    assert sources == [
        (SELF_SOURCE, D("10.0"), "S-self", "评分表", 3),
        ("evaluator", D("0.0"), None, None, None),
        ("专家丙", D("0.0"), None, None, None),
        ("专家乙", D("0.0"), None, None, None),
    ]
    # An expert whose account has its person's name is named as that person (planners read 依据评分 by it).
    add_user(scored, "evaluator", "scrypt:x", "evaluator", None, by="管理员", full_name="周平")
    said = describe_sources(query_finding_history(scored, "PJ2025-440000-A1-1-1")["sources"])
    assert "；周平（evaluator） 0.0 分（网页录入）；专家丙 0.0 分（网页录入）；" in said


@on_both_backends("con")
def test_an_evaluation_finding_follows_the_lifecycle(scored):
    close_evaluation(scored, "规划处")
    issue(scored)
    changed = transition_finding(
        scored, "PJ2025-440000-A1-2-1", by="广东省档案馆王某", to_status="整改中", at=datetime(2025, 7, 2, 9)
    )
    assert (changed["from_status"], changed["to_status"], changed["role"]) == ("待整改", "整改中", "rectifier")
    assert query_finding_history(scored, "PJ2025-440000-A1-2-1")["status"] == FindingStatus.IN_PROGRESS


@on_both_backends("con")
def test_issuing_is_refused_while_open_twice_or_for_an_unfinished_archive_and_writes_nothing(scored):
    with pytest.raises(IllegalTransition, match="仍在进行"):
        issue(scored)
    close_evaluation(scored, "规划处")
    with pytest.raises(UsageError, match="未完成"):
        issue(scored, archive="450000")
    with pytest.raises(UsageError, match="晚于今天"):
        issue(scored, feedback_date=date(2025, 7, 11))
    with pytest.raises(UsageError, match="未填写反馈文书编号"):
        issue(scored, feedback_doc_no="  ")
    # A line break inside a document number is not typed on purpose (it was let through as in a paragraph).
    with pytest.raises(UsageError, match=r"「反馈文书编号」含有看不见的字符：档评反\[U\+000A\]〔2025〕3号"):
        issue(scored, feedback_doc_no="档评反\n〔2025〕3号")
    assert count_findings(scored) == 0
    issue(scored)
    with pytest.raises(IllegalTransition, match="已于 2025年7月1日 下发（档评反〔2025〕3号，3 个问题，规划处）"):
        issue(scored)
    assert count_findings(scored) == 3


def test_a_round_with_issued_findings_cannot_be_opened_again(scored):
    close_evaluation(scored, "规划处")
    issue(scored)
    with pytest.raises(IllegalTransition, match="已向 1 个档案馆下发整改问题，不能重新开启"):
        open_evaluation(scored, "规划处")


def test_the_plan_shows_what_issuing_would_write(scored):
    planned = plan_evaluation_findings(scored, ARCHIVE, "2025", FEEDBACK)
    assert [(p["item_code"], p["severity"], p["lost"]) for p in planned] == [
        ("A2.4.2", "严重", D("0.0")),
        ("A1.1.1", "较重", D("10.0")),
        ("A1.2.1", "一般", D("1.0")),
    ]
    assert count_findings(scored) == 0


def test_an_older_warehouses_inspection_findings_are_kept_and_read_as_inspections():
    con = duckdb.connect()
    migrations = list_migrations()
    apply_migrations(con, [m for m in migrations if m.version < 62])
    sheets = {
        INSPECTION_RECORDS_FORM.sheet_name: sheet_frame(INSPECTION_RECORDS_FORM, [inspection(1)]),
        FINDINGS_FORM.sheet_name: sheet_frame(FINDINGS_FORM, [finding(1)]),
        RECTIFICATION_FORM.sheet_name: sheet_frame(RECTIFICATION_FORM, []),
    }
    load_inspection_sheets(con, "S-old", datetime(2023, 3, 21), sheets)
    before = con.execute("SELECT * FROM findings").fetchall()
    assert apply_migrations(con) == [m.version for m in migrations if m.version >= 62]
    after = con.execute("SELECT * EXCLUDE (round_id, archive_code) FROM findings").fetchall()
    assert after == before
    (row,) = query_findings(con, date(2023, 4, 1))
    assert (row["source"], row["inspection_id"], row["round_id"]) == (FindingSource.INSPECTION, "JC2023-001", None)


def test_an_archive_without_problems_has_nothing_to_issue_and_the_round_stays_reopenable(con):
    score_guangdong(con, changes={}, failed_veto=None)
    close_evaluation(con, "规划处")
    assert plan_evaluation_findings(con, ARCHIVE, "2025", FEEDBACK) == []
    with pytest.raises(UsageError, match="没有需要整改的问题"):
        issue(con)
    assert count_findings(con) == 0
    assert open_evaluation(con, "规划处")["is_open"]


def test_a_feedback_dated_before_the_rounds_year_is_refused(scored):
    close_evaluation(scored, "规划处")
    with pytest.raises(UsageError, match="反馈日期 2015年7月1日 早于评价轮次 2025 年"):
        issue(scored, feedback_date=date(2015, 7, 1))
    assert count_findings(scored) == 0


def test_a_score_sheet_validated_before_the_round_closed_is_not_loaded_after(scored):
    # The upload's check of the round ran before the planner closed it and issued the problems: the load asks again.
    close_evaluation(scored, "规划处")
    issue(scored)
    before = scored.execute("SELECT * FROM evaluation_scores ORDER BY ALL").fetchall()
    with pytest.raises(IllegalTransition, match="在本工作簿校验之后已结束"):
        load_evaluation_sheets(scored, "S-late", utc_now(), "2025", "广东省档案馆", self_evaluation())
    assert scored.execute("SELECT * FROM evaluation_scores ORDER BY ALL").fetchall() == before


@on_both_backends("con")
def test_findings_not_yet_moved_can_be_withdrawn_and_issued_again_once_confirmed(scored):
    close_evaluation(scored, "规划处")
    issue(scored, feedback_doc_no="档评反〔2025〕30号")
    withdraw = {"by": "规划处", "reason": "文号填错"}
    with pytest.raises(
        UsageError,
        match=r"将撤回广东省档案馆（440000） 2025年7月1日 下发的 3 个整改问题（档评反〔2025〕30号，"
        r"PJ2025-440000-A1-1-1 至 PJ2025-440000-A2-4-2）及其下发记录",
    ):
        withdraw_evaluation_findings(scored, ARCHIVE, confirmed=False, **withdraw)
    assert count_findings(scored) == 3
    withdrawn = withdraw_evaluation_findings(scored, ARCHIVE, confirmed=True, **withdraw)
    assert len(withdrawn["withdrawn"]) == 3 and count_findings(scored) == 0
    assert scored.execute("SELECT count(*) FROM evaluation_feedbacks").fetchone() == (0,)
    logged = scored.execute("SELECT reason FROM audit_log WHERE action = 'withdraw'").fetchall()
    assert logged == [("文号填错",)]
    issue(scored)
    transition_finding(scored, "PJ2025-440000-A1-2-1", by="王某", to_status="整改中", at=datetime(2025, 7, 2, 9))
    with pytest.raises(IllegalTransition, match="1 个整改问题已有整改记录（PJ2025-440000-A1-2-1），不能撤回"):
        withdraw_evaluation_findings(scored, ARCHIVE, confirmed=True, **withdraw)
    assert count_findings(scored) == 3


def test_only_problems_of_the_chosen_severity_or_graver_are_issued(scored):
    close_evaluation(scored, "规划处")
    issued = issue(scored, min_severity=FindingSeverity.SERIOUS)
    assert issued["finding_ids"] == ["PJ2025-440000-A2-4-2", "PJ2025-440000-A1-1-1"] and issued["findings"] == 2
    assert count_findings(scored) == 2


def test_a_floor_above_every_problem_issues_nothing(con):
    score_guangdong(con, changes={"A1.2.1": D(14)}, failed_veto=None)
    close_evaluation(con, "规划处")
    with pytest.raises(UsageError, match="没有较重及以上的问题（共 1 个问题，均较轻）"):
        issue(con, min_severity=FindingSeverity.SERIOUS)
    assert count_findings(con) == 0


def test_what_the_experts_found_wrong_goes_into_the_finding_and_the_feedback_report(con, tmp_path):
    from flows.supervision_reports import write_evaluation_report

    score_guangdong(con)
    verdicts = {item.code: item.code != VETO_FAILED for item in CURRENT_STANDARD.veto_items}
    said = {
        "evaluator": "内设机构调整后未修订三定方案。",
        "专家乙": "内设机构调整后未修订三定方案。",
        "专家丙": "职能配置文件未印发",
    }
    for expert, remark in said.items():
        # 专家丙 gives A1.2.1 full marks: their word on it says nothing wrong, and is not the finding's.
        scores = {**full(), **PROBLEMS, **({"A1.2.1": D(15)} if expert == "专家丙" else {})}
        remarks = {"A1.1.1": remark, "A1.2.1": "满分，材料齐全" if expert == "专家丙" else None}
        save_evaluator_scores(con, expert, ARCHIVE, scores, submit=True, veto_verdicts=verdicts, remarks=remarks)
    # A draft's remark is not the panel's: only submitted sheets speak.
    assign_evaluator(con, ARCHIVE, "专家丁", "规划处")
    save_evaluator_scores(con, "专家丁", ARCHIVE, {"A1.2.1": D(1)}, submit=False, remarks={"A1.2.1": "草稿中的意见"})
    close_evaluation(con, "规划处")
    planned = {p["item_code"]: p["description"] for p in plan_evaluation_findings(con, ARCHIVE, "2025", FEEDBACK)}
    # Distinct remarks, in the experts' order, each without its own full stop.
    assert planned["A1.1.1"].endswith(
        "得分 0.0（满分 10）。专家意见：内设机构调整后未修订三定方案；职能配置文件未印发。"
    )
    assert "专家意见" not in planned["A1.2.1"]
    requirement = next(p["requirement"] for p in plan_evaluation_findings(con, ARCHIVE, "2025", FEEDBACK))
    assert "。；" not in requirement  # the standard's rule keeps no full stop inside the sentence
    out = write_evaluation_report(con, ARCHIVE, tmp_path / "report.xlsx")
    rows = list(openpyxl.load_workbook(out)["发现问题"].iter_rows(values_only=True))
    column = rows[0].index("专家意见")
    remarks = {row[rows[0].index("评分项")]: row[column] for row in rows[1:]}
    assert remarks["A1.1.1"] == "内设机构调整后未修订三定方案；职能配置文件未印发"


def test_deadlines_say_when_they_fall_past_today_or_in_a_year_without_a_declared_holiday_notice():
    from warehouse.evaluation_findings import describe_deadlines

    declared = [{"deadline": date(2025, 8, 12)}] * 2
    assert describe_deadlines(declared, date(2025, 7, 10)) == "整改期限为 2025年8月12日（反馈日期后 30 个工作日）"
    assert describe_deadlines(declared, date(2025, 9, 1)) == (
        "整改期限为 2025年8月12日（反馈日期后 30 个工作日），其中 2 个问题的期限已过，下发后即为逾期，请核对反馈日期"
    )
    undeclared = [{"deadline": date(2099, 1, 15)}]
    assert describe_deadlines(undeclared, date(2098, 12, 4)) == (
        "整改期限为 2099年1月15日（反馈日期后 30 个工作日；2099 年的节假日安排尚未公布，按周一至周五计算，"
        "除去元旦、劳动节、国庆节的法定假日）"
    )
