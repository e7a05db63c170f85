"""Evaluation score sheets through the real pipeline: every rule located, access by assignment and round, results
recomputed from what was submitted, the feedback report read back, and the commands' exit codes."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D

import openpyxl
import pytest

from census_schema.clock import beijing_today
from census_schema.errors import UsageError
from census_schema.roles import Role
from census_schema.scopes import format_day
from census_schema.supervision.evaluation import CURRENT_STANDARD
from census_schema.supervision.forms import EVALUATION_WORKBOOK_2025
from cli.ingest_cmd import describe_outcome
from cli.main import main
from flows.ingest import DUPLICATE_FAILURES_NOTE, IngestRequest, ingest_workbook
from flows.supervision import record_reconciliations
from supervision.scoring import EvaluationInvalid, Reconciliation
from tests.flows.supervision_workbooks import ARCHIVE, SELF, evaluation_workbook, score_sheet, write_book
from tests.formula_text import INJECTION, assert_kept_as_text
from warehouse.backends import EmbeddedWarehouse
from warehouse.evaluation import (
    DEFAULT_ROUND,
    assign_evaluator,
    close_evaluation,
    fetch_remarks,
    open_evaluation,
    query_evaluation_results,
    query_item_results,
    query_pending_reconciliations,
    query_scores,
    save_evaluator_scores,
)
from warehouse.users import add_user

EXPERTS = ("专家甲", "专家乙", "专家丙")
CITY = "440100"


@pytest.fixture
def settings(settings):
    """The flows' settings over a new warehouse, with the evaluation open and its experts assigned."""
    with EmbeddedWarehouse(settings.db_path).writer() as con:
        open_evaluation(con, "规划处")
        for expert in EXPERTS:
            assign_evaluator(con, ARCHIVE, expert, "规划处")
        assign_evaluator(con, CITY, "专家甲", "规划处")
    return settings


def ingest(store, settings, rows, path):
    return ingest_workbook(
        store, IngestRequest(evaluation_workbook(path, rows), "evaluation", None, "专家组"), settings
    )


def result_of(store, archive=ARCHIVE):
    with store.reader() as con:
        return next(r for r in query_evaluation_results(con) if r["archive_code"] == archive)


def test_self_and_expert_scores_give_a_graded_ranked_result(store, settings, tmp_path):
    rows = score_sheet(SELF, A1_2_1={"score": D(8)})
    rows += score_sheet("专家甲", A1_1_1={"score": D(10), "reconciled": D(9), "note": "合议：资料齐全但执行有差距"})
    rows += score_sheet("专家乙", A1_1_1={"score": D(10)})
    rows += score_sheet("专家丙", A1_1_1={"score": D(6)})
    rows += [{"archive_code": ARCHIVE, "scorer": e, "item_code": "B1", "score": D(b)} for e, b in zip(EXPERTS, "455")]
    outcome = ingest(store, settings, rows, tmp_path / "e.xlsx")
    assert (outcome.status, outcome.errors) == ("accepted", 0)
    result = result_of(store)
    # Every item at 90 % of its maximum: 900.0; the reconciled A1.1.1 (9) equals that; bonus B1 = mean(4, 5, 5) = 4.666… → 4.7.
    assert (result["status"], result["experts"], result["assigned"]) == ("已完成", 3, 3)
    assert (result["total"], result["bonus"], result["final_score"], result["grade"], result["rank"]) == (
        D("900.0"),
        D("4.7"),
        D("904.7"),
        "优秀",
        1,
    )
    assert result["deviation_count"] == 1
    with store.reader() as con:
        items = {i["item_code"]: i for i in query_item_results(con, ARCHIVE)}
        lineage = con.execute(
            "SELECT submission_id, sheet_name, excel_row FROM evaluation_scores WHERE scorer = ? AND item_code = ?",
            [SELF, "A1.1.1"],
        ).fetchone()
    assert sorted(items["A1.1.1"]["expert_scores"]) == [D("6.0"), D("10.0"), D("10.0")]
    assert (items["A1.1.1"]["score"], items["A1.1.1"]["is_reconciled"]) == (D("9.0"), True)
    assert items["A1.2.1"]["is_deviation"] and not items["A1.1.1"]["is_deviation"]
    assert lineage == (outcome.submission_id, "评分表", 3)
    # The bonus is listed by item after the standard's (it was a sum without its parts), never as a problem.
    bonus = items["B1"]
    assert (bonus["area_name"], bonus["score"], sorted(bonus["expert_scores"])) == ("加分项", D("4.7"), [4, 5, 5])
    assert list(items)[-1] == "B1" and bonus["self_score"] == 0 and not bonus["is_deviation"]
    out = tmp_path / "反馈.xlsx"
    assert main(["evaluation", "report", ARCHIVE, "--out", str(out), "--db", str(settings.db_path)]) == 0
    book = openpyxl.load_workbook(out)
    assert [row[0] for row in book["分项得分"].iter_rows(min_row=2, values_only=True)][-1] == "B1"
    assert "B1" not in [row[0] for row in book["发现问题"].iter_rows(min_row=2, values_only=True)]


def test_a_self_evaluation_names_its_evidence_for_every_item(store, settings, tmp_path):
    # supervision.md §2: 自评, a score and evidence per item; an expert's evidence stays optional.
    rows = score_sheet(SELF, A1_1_1={"evidence": None}, A1_1_2={"evidence": "  "}) + score_sheet("专家甲")
    outcome = ingest(store, settings, rows, tmp_path / "e.xlsx")
    assert outcome.status == "rejected"
    assert [(f.row, f.field, f.rule) for f in outcome.failures if f.severity == "error"] == [
        (locate(rows, SELF, "A1.1.1"), "evidence", "self_evidence_required"),
        (locate(rows, SELF, "A1.1.2"), "evidence", "self_evidence_required"),
    ]


def test_an_expert_s_remark_in_the_workbook_is_kept_and_a_self_evaluation_s_refused(store, settings, tmp_path):
    # PJDF-2025.2's 扣分说明: what an expert found wrong, as on the web form; the archive's own grounds are evidence.
    experts = score_sheet("专家甲", A1_1_1={"score": D(8), "remark": "制度未按新规修订。"}) + score_sheet("专家乙")
    experts += score_sheet("专家丙", A1_1_1={"score": D(8), "remark": "未见修订记录"})
    own = score_sheet(SELF, A1_1_2={"remark": "已整改"})
    refused = ingest(store, settings, own + experts, tmp_path / "own.xlsx")
    assert refused.status == "rejected"
    assert [(f.row, f.field, f.rule) for f in refused.failures if f.severity == "error"] == [
        (locate(own, SELF, "A1.1.2"), "remark", "remark_by_experts")
    ]
    outcome = ingest(store, settings, score_sheet(SELF) + experts, tmp_path / "e.xlsx")
    assert (outcome.status, outcome.errors) == ("accepted", 0)
    with store.reader() as con:
        assert fetch_remarks(con, ARCHIVE) == {"A1.1.1": ["未见修订记录", "制度未按新规修订"]}
        kept = con.execute(
            "SELECT scorer, remark FROM evaluation_scores WHERE remark IS NOT NULL ORDER BY 1"
        ).fetchall()
    assert kept == [("专家丙", "未见修订记录"), ("专家甲", "制度未按新规修订。")]


def test_a_failed_veto_item_with_full_marks_is_a_warning_on_its_verdict(store, settings, tmp_path):
    # The verdict rules the grade (不合格 whatever the score), so a full score beside 不通过 is likely a slip.
    veto = CURRENT_STANDARD.veto_items[0]
    key = veto.code.replace(".", "_")
    experts = score_sheet("专家甲", **{key: {"score": veto.max_points, "veto_verdict": "不通过"}})
    experts += score_sheet("专家乙") + score_sheet("专家丙")
    rows = score_sheet(SELF) + experts
    outcome = ingest(store, settings, rows, tmp_path / "e.xlsx")
    assert (outcome.status, outcome.errors) == ("accepted", 0)
    assert [(f.row, f.field, f.rule) for f in outcome.failures] == [
        (locate(rows, "专家甲", veto.code), "veto_verdict", "veto_failed_full_marks")
    ]


def test_a_retired_evaluation_template_is_refused_with_a_hint_to_download_the_new_one(tmp_path, capsys):
    # A PJDF-2025.1 workbook has no 扣分说明 column (its loaded scores keep counting: test_schema_evolution).
    path = write_book(tmp_path / "old.xlsx", EVALUATION_WORKBOOK_2025, {"评分表": score_sheet("专家甲")})
    db = tmp_path / "var" / "w.duckdb"
    assert main(["ingest", "evaluation", str(path), "--db", str(db), "--orchestrator", "direct"]) == 2
    said = capsys.readouterr()
    assert "模板版本 PJDF-2025.1 已停用，本轮使用 PJDF-2025.2" in said.err
    assert "请下载最新模板" in said.err


def test_a_reconciled_value_comes_from_the_experts_and_counts_only_where_they_differ(store, settings, tmp_path):
    # supervision.md §2: the mean, or a reconciled value when experts differ by more than 20 % of the maximum.
    experts = score_sheet("专家甲", A1_1_1={"reconciled": D(10), "note": "合议"}) + score_sheet("专家乙")
    experts += score_sheet("专家丙")
    # The archive's own sheet cannot reconcile (it raised its own item to full marks over three experts' 9).
    own = score_sheet(SELF, A1_1_1={"reconciled": D(10), "note": "自评合议"})
    refused = ingest(store, settings, own + experts, tmp_path / "own.xlsx")
    assert refused.status == "rejected"
    assert [(f.row, f.field, f.rule) for f in refused.failures if f.severity == "error"] == [
        (locate(own, SELF, "A1.1.1"), "reconciled", "reconciliation_by_experts")
    ]
    # The experts agree (9, 9, 9): accepted, the reconciled 10 named as not applied, and the mean counts.
    rows = score_sheet(SELF) + experts
    outcome = ingest(store, settings, rows, tmp_path / "agree.xlsx")
    assert (outcome.status, outcome.errors) == ("accepted", 0)
    assert [(f.row, f.rule) for f in outcome.failures] == [
        (locate(rows, "专家甲", "A1.1.1"), "reconciliation_unneeded")
    ]
    with store.reader() as con:
        item = next(i for i in query_item_results(con, ARCHIVE) if i["item_code"] == "A1.1.1")
    assert (item["score"], item["is_reconciled"]) == (D("9.0"), False)
    assert result_of(store)["total"] == D("900.0")


def test_a_reconciled_value_sent_with_one_expert_s_sheet_is_judged_against_the_sheets_already_submitted(
    store, settings, tmp_path
):
    # A probe sent the panel's 合议分 with one expert's sheet, as the page asks: told 合议分不采用 (only that sheet's
    # scores were compared), it counted.
    assert (
        ingest(
            store, settings, score_sheet(SELF) + score_sheet("专家甲") + score_sheet("专家乙"), tmp_path / "a.xlsx"
        ).status
        == "accepted"
    )
    apart = score_sheet("专家丙", A1_1_1={"score": D(2)})
    sent = ingest(store, settings, apart, tmp_path / "b.xlsx")
    # Accepted, and told the archive now waits for the panel (it was silent: 错误 0 个，警告 0 个).
    assert (sent.status, [(f.row, f.rule) for f in sent.failures]) == (
        "accepted",
        [(locate(apart, "专家丙", "A1.1.1"), "reconciliation_pending")],
    )
    assert result_of(store)["status"] == "待合议"
    settled = score_sheet("专家丙", A1_1_1={"score": D(2), "reconciled": D(8), "note": "专家组合议"})
    outcome = ingest(store, settings, settled, tmp_path / "c.xlsx")
    assert (outcome.status, [f.rule for f in outcome.failures if f.rule.startswith("reconciliation")]) == (
        "accepted",
        [],
    )
    with store.reader() as con:
        item = next(i for i in query_item_results(con, ARCHIVE) if i["item_code"] == "A1.1.1")
    assert (item["score"], item["is_reconciled"], result_of(store)["status"]) == (D("8.0"), True, "已完成")


def test_the_bureau_enters_the_panel_s_reconciled_value_on_the_platform(store, settings, tmp_path):
    # Experts who all scored on the web left no workbook row to carry a 合议分: an archive at 待合议 stayed there.
    assert (
        ingest(
            store, settings, score_sheet(SELF) + score_sheet("专家甲") + score_sheet("专家乙"), tmp_path / "a.xlsx"
        ).status
        == "accepted"
    )
    assert (
        ingest(store, settings, score_sheet("专家丙", A1_1_1={"score": D(2)}), tmp_path / "b.xlsx").status == "accepted"
    )
    assert result_of(store)["status"] == "待合议"
    with pytest.raises(UsageError, match="得分取专家平均分，合议分不会采用：A1.1.2"):
        record_reconciliations(settings, "国家档案局", ARCHIVE, {"A1.1.2": Reconciliation(D(8), "合议")})
    with pytest.raises(EvaluationInvalid, match="合议分须附说明"):
        record_reconciliations(settings, "国家档案局", ARCHIVE, {"A1.1.1": Reconciliation(D(8), " ")})
    with pytest.raises(EvaluationInvalid, match="0 至"):
        record_reconciliations(settings, "国家档案局", ARCHIVE, {"A1.1.1": Reconciliation(D(11), "合议")})
    assert result_of(store)["status"] == "待合议"  # nothing written by a refusal
    done = record_reconciliations(settings, "国家档案局", ARCHIVE, {"A1.1.1": Reconciliation(D(8), "专家组现场复核")})
    assert (done["status"], done["reconciled"]) == ("已完成", ["A1.1.1"])
    with store.reader() as con:
        item = next(i for i in query_item_results(con, ARCHIVE) if i["item_code"] == "A1.1.1")
        logged = con.execute("SELECT action, actor FROM audit_log WHERE action = 'reconcile'").fetchall()
    assert (item["score"], item["is_reconciled"], item["reconciliation_note"]) == (D("8.0"), True, "专家组现场复核")
    assert logged == [("reconcile", "国家档案局")]
    # A value mistyped is corrected while the round is open (a probe was told the item no longer waited).
    again = record_reconciliations(settings, "国家档案局", ARCHIVE, {"A1.1.1": Reconciliation(D("7.5"), "复核更正")})
    assert again["status"] == "已完成"
    with store.reader() as con:
        item = next(i for i in query_item_results(con, ARCHIVE) if i["item_code"] == "A1.1.1")
        (settled,) = query_pending_reconciliations(con, ARCHIVE, settled=True)
        assert query_pending_reconciliations(con, ARCHIVE) == []
    assert (item["score"], settled["reconciled"], settled["reconciled_note"]) == (D("7.5"), D("7.5"), "复核更正")
    # Saved again as it was, nothing is written or logged, and the answer says so (it said 已保存).
    same = record_reconciliations(settings, "国家档案局", ARCHIVE, {"A1.1.1": Reconciliation(D("7.50"), " 复核更正")})
    assert (same["reconciled"], same["unchanged"]) == ([], ["A1.1.1"])
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'reconcile'").fetchone() == (2,)
        assert [i["rescored_after"] for i in query_pending_reconciliations(con, ARCHIVE, settled=True)] == [[]]
    # An expert who submits again after the panel agreed is named beside the value still in force (it was silent).
    rescored = score_sheet("专家丙", A1_1_1={"score": D(3)})
    assert ingest(store, settings, rescored, tmp_path / "c.xlsx").status == "accepted"
    with store.reader() as con:
        (settled,) = query_pending_reconciliations(con, ARCHIVE, settled=True)
    assert (settled["reconciled"], settled["rescored_after"]) == (D("7.5"), ["专家丙"])
    assert result_of(store)["status"] == "已完成"


def test_a_bonus_item_one_expert_left_blank_is_none_awarded_and_the_panel_settles_the_spread(store, settings, tmp_path):
    # A bonus was the mean of the experts who awarded it: two experts' 5 points counted in full while the third
    # awarded none. Left blank it is 0: 5, 5, 0 differ by more than 20 % of B1's 10 points.
    experts = score_sheet("专家甲") + score_sheet("专家乙") + score_sheet("专家丙")
    awards = [{"archive_code": ARCHIVE, "scorer": e, "item_code": "B1", "score": D(5)} for e in EXPERTS[:2]]
    rows = score_sheet(SELF) + experts + awards
    refused = ingest(store, settings, rows, tmp_path / "spread.xlsx")
    assert refused.status == "rejected"
    assert [(f.row, f.rule) for f in refused.failures if f.severity == "error"] == [
        (locate(rows, e, "B1"), "reconciliation_required") for e in EXPERTS[:2]
    ]
    settled = [{**a, "reconciled": D(3), "note": "合议：加分依据只核实了一部分"} for a in awards]
    outcome = ingest(store, settings, score_sheet(SELF) + experts + settled, tmp_path / "settled.xlsx")
    assert (outcome.status, outcome.errors) == ("accepted", 0)
    assert (result_of(store)["bonus"], result_of(store)["final_score"]) == (D("3.0"), D("903.0"))


def test_a_later_sheet_replaces_the_scorers_earlier_one_and_results_follow(store, settings, tmp_path):
    first = score_sheet(SELF) + score_sheet("专家甲") + score_sheet("专家乙")
    assert ingest(store, settings, first, tmp_path / "a.xlsx").status == "accepted"
    assert result_of(store)["status"] == "未完成"  # two experts are not enough
    third = score_sheet("专家丙", value=lambda item: item.max_points)
    assert ingest(store, settings, third, tmp_path / "b.xlsx").status == "accepted"
    # Each item: mean(0.9m, 0.9m, m) rounded half up: 25 × 14.0 + 19 × 9.3 + 18 × 18.7 + 3 × 23.3 = 933.2.
    assert (result_of(store)["status"], result_of(store)["total"]) == ("已完成", D("933.2"))
    # The self-evaluation sent again with one item changed, 专家丙's with every item: each sheet's changes are said
    # once, on its first row (a probe's 自评 went from 8.5 to 5.0 unsaid); 专家甲's, sent again unchanged, nothing.
    selfs = score_sheet(SELF)
    selfs[0] = {**selfs[0], "score": selfs[0]["score"] - 1}
    again = score_sheet("专家丙") + selfs + score_sheet("专家甲")
    outcome = ingest(store, settings, again, tmp_path / "c.xlsx")
    assert outcome.status == "accepted"
    assert result_of(store)["total"] == D("900.0")
    replaced = [f for f in outcome.failures if f.rule == "scorer_sheet_replaced"]
    assert [(f.row, f.severity.label) for f in replaced] == [(3, "警告"), (3 + len(score_sheet("专家丙")), "警告")]
    assert replaced[0].message.startswith("本表将替换此前装载的广东省档案馆（440000）评价专家「专家丙」的评分表（")
    assert replaced[0].message.endswith("项；装载后该表以本表为准。"), replaced[0].message
    before, after = score_sheet(SELF)[0]["score"], selfs[0]["score"]
    assert f"自评表（{len(score_sheet(SELF))} 项，专家组 " in replaced[1].message
    assert f"有变化的：{selfs[0]['item_code']} {before} → {after}；" in replaced[1].message, replaced[1].message
    # The same file again changes nothing, and its warnings are said to be its first reception's (the 将替换… warning
    # read as if it replaced something again).
    same = ingest_workbook(store, IngestRequest(tmp_path / "c.xlsx", "evaluation", None, "专家组"), settings)
    said = describe_outcome(same.to_json()).splitlines()
    assert same.status == "duplicate" and f"{DUPLICATE_FAILURES_NOTE}：" in said, said
    assert said.index(f"{DUPLICATE_FAILURES_NOTE}：") < next(i for i, line in enumerate(said) if "本表将替换" in line)


def locate(rows, scorer, item):
    return 3 + next(i for i, r in enumerate(rows) if r["scorer"] == scorer and r["item_code"] == item)


def test_every_score_rule_is_located_and_nothing_is_loaded(store, settings, tmp_path):
    own = score_sheet(
        SELF,
        A1_1_1={"score": D(11)},
        A1_1_2={"score": 7.25},
        A2_4_2={"veto_verdict": None},
        A1_2_2={"veto_verdict": "通过"},
    )
    own = [r for r in own if r["item_code"] != "A1.1.3"]
    own.append(dict(own[5]))  # a repeated row
    extra = [
        {"archive_code": ARCHIVE, "scorer": SELF, "item_code": code, "score": score, "evidence": "材料"}
        for code, score in (("A9.9.9", D(1)), ("B1", D(15)), ("B9", D(1)))
    ]
    experts = score_sheet(
        "专家甲",
        A1_1_1={"score": D(10)},
        A1_2_1={"reconciled": D(13)},
        A1_2_2={"reconciled": D(13), "note": "合议"},
    )
    experts += score_sheet("专家乙", A1_1_1={"score": D(6)}, A1_2_2={"reconciled": D(12), "note": "合议"})
    stranger = score_sheet("专家丁", archive=CITY)
    rows = own + extra + experts + stranger
    outcome = ingest(store, settings, rows, tmp_path / "bad.xlsx")
    assert outcome.status == "rejected"
    found = {(f.row, f.field, f.rule) for f in outcome.failures if f.severity == "error"}
    repeated = own[-1]["item_code"]
    assert found == {
        (locate(rows, SELF, "A1.1.1"), "score", "score_in_range"),
        (locate(rows, SELF, "A1.1.2"), "score", "score_one_decimal"),
        (None, "score", "score_complete"),
        (locate(rows, SELF, "A2.4.2"), "veto_verdict", "veto_verdict_required"),
        (locate(rows, SELF, "A1.2.2"), "veto_verdict", "veto_verdict_only_veto"),
        (locate(rows, SELF, "A9.9.9"), "item_code", "score_known_item"),
        (locate(rows, SELF, "B1"), "score", "bonus_in_range"),
        (locate(rows, SELF, "B9"), "item_code", "bonus_known_item"),
        (locate(rows, SELF, repeated), "item_code", "score_row_unique"),
        (3 + len(own) - 1, "item_code", "score_row_unique"),
        (locate(rows, "专家甲", "A1.1.1"), "reconciled", "reconciliation_required"),
        (locate(rows, "专家乙", "A1.1.1"), "reconciled", "reconciliation_required"),
        (locate(rows, "专家甲", "A1.2.1"), "note", "reconciliation_note"),
        (locate(rows, "专家甲", "A1.2.2"), "reconciled", "reconciliation_consistent"),
        (locate(rows, "专家乙", "A1.2.2"), "reconciled", "reconciliation_consistent"),
        (locate(rows, "专家丁", "A1.1.1"), "scorer", "scorer_assigned"),
    }
    missing = next(f for f in outcome.failures if f.rule == "score_complete")
    assert (missing.value, "A1.1.3" in missing.message) == ("A1.1.3", True)
    # 专家丁 has no archive at all: said so (a probe's 张三 was told only that this one archive was not theirs).
    stranger_said = next(f for f in outcome.failures if f.rule == "scorer_assigned")
    assert stranger_said.message.startswith("「专家丁」本轮没有分派任何档案馆，不能查看或填写"), stranger_said.message
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM evaluation_scores").fetchone() == (0,)


def test_an_item_s_repeated_row_is_judged_on_its_own_not_for_the_first(store, settings, tmp_path):
    # The sheet was judged on each item's last row, its problems placed on every row of the item: a valid 9 was told
    # it was 99 out of range, and a self-evaluation's row with its evidence that it had none.
    experts = score_sheet("专家甲")
    experts.append({**experts[0], "score": D(99)})
    own = score_sheet(SELF)
    own.append({**own[0], "evidence": None})
    rows = experts + own
    outcome = ingest(store, settings, rows, tmp_path / "repeated.xlsx")
    first_expert, first_own = 3, 3 + len(experts)
    repeat_expert, repeat_own = 3 + len(experts) - 1, 3 + len(rows) - 1
    assert {(f.row, f.field, f.rule) for f in outcome.failures} == {
        (first_expert, "item_code", "score_row_unique"),
        (repeat_expert, "item_code", "score_row_unique"),
        (repeat_expert, "score", "score_in_range"),
        (first_own, "item_code", "score_row_unique"),
        (repeat_own, "item_code", "score_row_unique"),
        (repeat_own, "evidence", "self_evidence_required"),
    }
    assert "（填写 99.0，满分 10）" in next(f.message for f in outcome.failures if f.rule == "score_in_range")


def test_a_sheet_missing_many_items_is_said_in_one_line_and_an_unassigned_expert_s_not_at_all(
    store, settings, tmp_path
):
    # A probe's list of 204 errors was 201 lines of 每个适用评分项都须评分, one per item, 62 of them for an expert not
    # assigned to the archive (whose sheet is refused as such), burying the errors of its rows.
    rows = score_sheet(SELF)[:5] + score_sheet("专家丁", archive=CITY)[:5]
    outcome = ingest(store, settings, rows, tmp_path / "few.xlsx")
    missing = [f for f in outcome.failures if f.rule == "score_complete"]
    assert len(missing) == 1 and missing[0].row is None
    left = len(CURRENT_STANDARD.items) - 5
    assert f"该评分表缺 {left} 项：" in missing[0].message and f"（档案馆 {ARCHIVE}，{SELF}）" in missing[0].message
    assert [f.rule for f in outcome.failures if "专家丁" in f.message] == ["scorer_assigned"]


def test_a_sheet_loaded_under_a_platform_expert_s_account_is_said_to_be_loaded_on_their_behalf(
    store, settings, tmp_path
):
    # A probe's planner submitted a sheet as the expert account 刘洋 (evaluator): accepted with no word, his sheet
    # 已提交 without his acting.
    with store.writer() as con:
        add_user(con, "专家甲", "x", Role.EVALUATOR, None, by="admin")
    rows = score_sheet(SELF) + score_sheet("专家甲") + score_sheet("专家乙") + score_sheet("专家丙")
    outcome = ingest(store, settings, rows, tmp_path / "e.xlsx")
    assert outcome.status == "accepted"
    said = [(f.row, f.field) for f in outcome.failures if f.rule == "scorer_is_platform_expert"]
    assert said == [(locate(rows, "专家甲", "A1.1.1"), "scorer")]


def test_a_mistyped_archive_code_is_the_one_error_of_its_row_not_every_item_unscored(store, settings, tmp_path):
    rows = score_sheet(SELF)
    rows[0] = {**rows[0], "archive_code": "449999"}
    outcome = ingest(store, settings, rows, tmp_path / "e.xlsx")
    found = sorted(((f.row or 0, f.rule) for f in outcome.failures if f.severity == "error"), key=str)
    # The mistyped row, located; and its item now missing from the archive's own sheet. Not ~65 items of "449999".
    assert found == [(0, "score_complete"), (3, "archive_code_in_list")]


def test_a_name_that_is_not_the_code_s_archive_is_a_warning_on_its_cell(store, settings, tmp_path):
    # The score counts for the archive the code names: a name of another archive beside it is a mistyped code or name.
    rows = score_sheet(SELF)
    rows[0] = {**rows[0], "archive_name": "天津市档案馆"}
    rows[1] = {**rows[1], "archive_name": " 广东省 档案馆 "}  # the code's own name, spaced: no warning
    outcome = ingest(store, settings, rows, tmp_path / "e.xlsx")
    assert outcome.status == "accepted"
    assert [
        (f.row, f.field, f.value, f.severity) for f in outcome.failures if f.rule == "archive_name_matches_code"
    ] == [(3, "archive_name", "天津市档案馆", "warning")]


def test_a_closed_round_takes_no_scores(store, settings, tmp_path):
    with store.writer() as con:
        close_evaluation(con, "规划处")
    outcome = ingest(store, settings, score_sheet(SELF), tmp_path / "e.xlsx")
    assert [(f.row, f.rule) for f in outcome.failures] == [(None, "evaluation_round_open")]
    # Which of the two, by its day (it said 未开启或已结束), and whom to ask.
    closed = f"评价轮次 {DEFAULT_ROUND} 已于 {format_day(beijing_today())} 结束，不能报送评分；如须补报"
    assert outcome.failures[0].message.startswith(closed), outcome.failures[0].message


def test_an_upload_does_not_replace_a_sheet_an_expert_filled_in_on_the_platform(store, settings, tmp_path):
    # 专家甲 keeps a draft of their own on the platform; a workbook carrying 专家甲's sheet for the archive (beside
    # 专家乙's) is refused at 专家甲's first row, saying why and what to do, and loads nothing.
    with store.writer() as con:
        save_evaluator_scores(con, "专家甲", ARCHIVE, {"A1.1.1": D(7)}, submit=False)
    rows = score_sheet("专家乙") + score_sheet("专家甲")
    outcome = ingest(store, settings, rows, tmp_path / "e.xlsx")
    assert outcome.status == "rejected"
    refused = [f for f in outcome.failures if f.severity == "error"]
    first = rows[len(score_sheet("专家乙"))]["item_code"]
    assert [(f.row, f.field, f.rule) for f in refused] == [
        (locate(rows, "专家甲", first), "scorer", "scorer_own_sheet")
    ]
    assert "评价专家「专家甲」已于" in refused[0].message and "请专家本人在平台上修改" in refused[0].message
    with store.reader() as con:
        assert [(r["item_code"], r["score"]) for r in query_scores(con, ARCHIVE) if r["score"] is not None] == [
            ("A1.1.1", D(7))
        ]
    # Without 专家甲's rows the workbook loads (专家乙's sheet; 专家甲's draft stays theirs).
    assert ingest(store, settings, score_sheet("专家乙"), tmp_path / "e2.xlsx").status == "accepted"


def test_a_template_made_for_one_archive_lists_every_item_and_comes_back_accepted(store, settings, tmp_path, capsys):
    # The template had no list of the 65 items: a clerk typed each 评分项编号 from the standard.
    out = tmp_path / "评分模板.xlsx"
    made = ["template", "evaluation", "--archive", ARCHIVE, "--db", str(settings.db_path), "--out", str(out)]
    # Only for an expert the round assigns to the archive: the upload would refuse every row of another's.
    assert main([*made, "--scorer", "专家丁"]) == 2 and not out.exists()
    assert "「专家丁」本轮没有分派任何档案馆" in capsys.readouterr().err
    assert main([*made[:3], CITY, *made[4:], "--scorer", "专家乙"]) == 2
    assert "评价专家「专家乙」未被分配评价广州市档案馆" in capsys.readouterr().err
    # An expert's own name, where the account's is wanted: said so (it said they had no archive at all).
    with store.writer() as con:
        add_user(con, "liuyang", "-", Role.EVALUATOR, None, by="管理员", full_name="刘洋")
        assign_evaluator(con, ARCHIVE, "liuyang", "规划处")
    assert main([*made, "--scorer", "刘洋"]) == 2
    assert "「刘洋」是评价专家账号 liuyang 的姓名：评分人须填用户名" in capsys.readouterr().err
    elsewhere = tmp_path / "nowhere" / "w.duckdb"  # no warehouse to ask: made, saying it was not checked
    unchecked = [*made[:5], str(elsewhere), "--out", str(tmp_path / "未核对.xlsx"), "--scorer", "专家丁"]
    assert main(unchecked) == 0 and not elsewhere.exists()
    assert "未核对该专家是否分派评价此馆" in capsys.readouterr().out
    assert main([*made, "--scorer", "专家甲"]) == 0
    assert f"已为广东省档案馆（{ARCHIVE}）预填评分人“专家甲”的全部 {len(CURRENT_STANDARD.items)} 个评分项" in (
        capsys.readouterr().out
    )
    book = openpyxl.load_workbook(out)
    listed = [row for row in book["填表说明"].iter_rows(values_only=True) if row[0] in CURRENT_STANDARD.items_by_code]
    assert [row[0] for row in listed] == [item.code for item in CURRENT_STANDARD.items]  # with their text and maximum
    first = CURRENT_STANDARD.items[0]
    assert (listed[0][3], listed[0][5]) == (first.max_points, first.text)
    sheet = book["评分表"]
    header = [c.value for c in sheet[2]]
    column = {label: header.index(label) + 1 for label in ("评分人", "评分项编号", "得分", "否决项结论")}
    for row in range(3, sheet.max_row + 1):  # the expert fills the scores only
        item = CURRENT_STANDARD.items_by_code[sheet.cell(row, column["评分项编号"]).value]
        assert sheet.cell(row, column["评分人"]).value == "专家甲"
        sheet.cell(row, column["得分"]).value = float(item.max_points)
        if item.is_veto:
            sheet.cell(row, column["否决项结论"]).value = "通过"
    book.save(out)
    outcome = ingest_workbook(store, IngestRequest(out, "evaluation", None, "专家组"), settings)
    assert (outcome.status, outcome.errors) == ("accepted", 0)
    with store.reader() as con:
        assert len(query_scores(con, ARCHIVE, "专家甲")) == len(CURRENT_STANDARD.items)
    assert main(["template", "evaluation", "--archive", "999999", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "不是参加评价的副省级以上综合档案馆代码" in capsys.readouterr().err
    # A scorer without an archive would be ignored (a blank template): refused.
    assert main(["template", "evaluation", "--scorer", "专家甲", "--out", str(tmp_path / "y.xlsx")]) == 2
    assert "--scorer 须与 --archive 同用" in capsys.readouterr().err


def test_the_feedback_report_reads_back(store, settings, tmp_path, capsys):
    reconciled = {"reconciled": D(9), "note": INJECTION}  # the experts differ (9, 6, 9); the panel's 9 counts
    rows = score_sheet(SELF, A1_2_1={"score": D(8)})
    rows += score_sheet("专家甲", A2_4_2={"veto_verdict": "不通过"}, A1_1_1=reconciled)
    rows += score_sheet("专家乙", A1_1_1={"score": D(6)}) + score_sheet("专家丙")
    assert ingest(store, settings, rows, tmp_path / "e.xlsx").status == "accepted"
    out = tmp_path / "反馈.xlsx"
    db = str(settings.db_path)
    with store.writer() as con:
        add_user(con, "wangmin", "-", Role.PLANNER, None, by="管理员", full_name="王敏")
    assert main(["evaluation", "report", ARCHIVE, "--out", str(out), "--db", db, "--json", "--by", "wangmin"]) == 0
    assert json.loads(capsys.readouterr().out)["report"] == str(out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["评价结果", "领域小计", "分项得分", "自评偏差", "合议说明", "发现问题"]
    facts = {row[0]: row[1] for row in book["评价结果"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert facts["生成人"] == "王敏（wangmin）"  # who made it, as the web's says (the command line's named nobody)
    assert facts["评价等次"] == "不合格"  # a failed veto item, whatever the score
    # Its three figures named as /evaluation and `evaluation results` name them (评分项得分合计 / 最终得分 here).
    assert (facts["基本分"], facts["加分（封顶后）"], facts["总分"]) == (900, 0, 900)
    assert facts["总分"] == 900 and facts["未通过的否决项"] == "A2.4.2 评价期内未发生档案安全责任事故"  # named
    assert facts["排名"].startswith("第 1 名")
    # The standard and its grade thresholds are marked as proposals until the bureau issues its own.
    assert facts["评价标准"].endswith("暂定稿）") and "暂定稿" in facts["说明"] and "分数线" in facts["说明"]
    areas = list(book["领域小计"].iter_rows(min_row=2, values_only=True))
    assert [a[0] for a in areas] == ["A1", "A2", "A3", "A4", "A5", "A6"] and areas[0][3] == 135
    # Each veto item's verdict beside it: the failed one 不通过, the others 通过, other items none.
    header, *items = list(book["分项得分"].values)
    verdicts = {row[0]: row[header.index("否决项结论")] for row in items}
    vetoes = {item.code for item in CURRENT_STANDARD.items if item.is_veto}
    assert verdicts["A2.4.2"] == "不通过" and {verdicts[c] for c in vetoes - {"A2.4.2"}} == {"通过"}
    assert {verdicts[c] for c in verdicts.keys() - vetoes} == {"—"}
    deviations = list(book["自评偏差"].iter_rows(min_row=2, values_only=True))
    assert [d[0] for d in deviations] == ["A1.2.1"]
    problems = list(book["发现问题"].iter_rows(min_row=2, values_only=True))
    assert problems[0][0] == "A2.4.2" and problems[0][6] == "是"
    # The severity each problem is issued with as a finding: a failed veto 严重, 10 % lost 一般.
    assert (problems[0][-1], problems[1][-1]) == ("严重", "一般")
    assert len(problems) == len(CURRENT_STANDARD.items)  # every item lost its 10 %
    [note] = [row[5] for row in book["合议说明"].iter_rows(min_row=2)]
    assert_kept_as_text(note)

    assert main(["evaluation", "report", CITY, "--out", str(tmp_path / "x.xlsx"), "--db", db]) == 2
    assert "未完成" in capsys.readouterr().err


def test_the_feedback_report_prints_on_landscape_pages_and_says_when_nothing_was_reconciled(store, settings, tmp_path):
    # A probe printed it on 31 portrait pages: the title and 说明 cut across pages, 分项得分 in strips of 3 columns.
    rows = score_sheet(SELF) + score_sheet("专家甲") + score_sheet("专家乙") + score_sheet("专家丙")
    assert ingest(store, settings, rows, tmp_path / "e.xlsx").status == "accepted"
    out = tmp_path / "反馈.xlsx"
    assert main(["evaluation", "report", ARCHIVE, "--out", str(out), "--db", str(settings.db_path)]) == 0
    book = openpyxl.load_workbook(out)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0), sheet.title
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页", sheet.title
        # Each printed page says whose report it is and which sheet (a re-probe's loose pages said neither).
        title = book["评价结果"]["A1"].value
        assert sheet.oddHeader.center.text == f"{title}　&A" and title.startswith("广东省档案馆业务建设评价反馈报告")
    assert book["分项得分"].print_title_rows == "$1:$1"
    result = book["评价结果"]
    labels = [c.value for c in result["A"] if c.value and c.row > 2]
    assert result.column_dimensions["A"].width >= 2 * max(map(len, labels)) + 2  # 加分（专家评定合计，封顶前） whole
    explained = next(c for c in result["B"] if c.value and "暂定稿" in str(c.value) and "分数线" in str(c.value))
    assert explained.alignment.wrap_text and result.row_dimensions[explained.row].height > 2 * 14
    assert [r[0] for r in book["合议说明"].iter_rows(min_row=2, values_only=True)] == ["本馆无合议项。"]
    assert [r[0] for r in book["自评偏差"].iter_rows(min_row=2, values_only=True)] == ["本馆无自评偏差项。"]
    # A wrapped header is as high as its lines (it printed over the first row).
    header = book["分项得分"].row_dimensions[1].height
    assert header is not None and header >= 2 * 14


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluation", "open"], "已处于开放状态。 处理办法：评价专家可以继续评分，无须再次开启"),
        (["evaluation", "assign", "999999", "--evaluator", "专家甲"], "不是参加评价"),
        (["evaluation", "report", ARCHIVE, "--out", "x.txt"], ".xlsx"),
    ],
)
def test_evaluation_commands_refuse_misuse_with_exit_2(settings, capsys, argv, message):
    assert main([*argv, "--db", str(settings.db_path)]) == 2
    assert message in capsys.readouterr().err


def test_close_then_close_again_is_refused(settings, capsys):
    db = str(settings.db_path)
    # Its experts assigned have submitted nothing: closed once confirmed.
    assert main(["evaluation", "close", "--db", db, "--by", "规划处", "--confirm"]) == 0
    capsys.readouterr()
    assert main(["evaluation", "close", "--db", db, "--confirm"]) == 2
    # It said 「未开启」 of a round opened and closed: when it ended is what the reader needs.
    assert re.search(r"评价轮次 2025 已于 \d{4}年\d{1,2}月\d{1,2}日 结束，不能再结束", capsys.readouterr().err)
    assert main(["evaluation", "close", "--round", "2024", "--db", db]) == 2
    assert "评价轮次 2024 不存在" in capsys.readouterr().err
    assert main(["evaluation", "open", "--round", "abc", "--db", db]) == 2  # it opened a round named abc for good
    assert "「abc」不是评价轮次" in capsys.readouterr().err
    # Nor a round of another year: it could be assigned here and scored nowhere (the sheets, pages and uploads are
    # the form's round's), while the pages went on showing 2025.
    for argv in (["open", "--round", "2026"], ["assign", ARCHIVE, "--evaluator", "专家甲", "--round", "2026"]):
        assert main(["evaluation", *argv, "--db", db, "--by", "规划处"]) == 2
        assert "评价轮次 2026 不能在本版本的平台上开启或分派" in capsys.readouterr().err
    assert main(["evaluation", "open", "--round", "2024", "--db", db, "--by", "规划处"]) == 2
    assert "2024 年的评价不在本平台上进行；本轮为 2025" in capsys.readouterr().err  # not a new round's advice
    assert main(["evaluation", "results", "--round", "2026", "--db", db]) == 2  # nothing was created
    assert main(["evaluation", "results", "--round", "abc", "--db", db]) == 2


@pytest.mark.parametrize("typed", ["NaN", "inf"])
def test_a_score_that_is_not_a_number_says_so_not_that_it_is_empty(store, settings, tmp_path, typed):
    outcome = ingest(store, settings, score_sheet(SELF, A1_1_1={"score": typed}), tmp_path / "e.xlsx")
    assert outcome.status == "rejected"
    found = [(f.field, f.rule, f.message) for f in outcome.failures if f.field == "score"]
    assert [(field, rule) for field, rule, _ in found] == [("score", "score_number")]
    assert "必填" not in found[0][2]


def test_rows_naming_no_archive_or_scorer_are_refused_where_they_are_not_as_items_left_unscored(
    store, settings, tmp_path
):
    """A probe merged the 档案馆代码 and 评分人 cells of a sheet's first rows: besides the merge's own errors, each item of
    those rows was listed again, with no row, as 每个适用评分项都须评分 (whose scores the rows hold is unknown)."""
    rows = score_sheet(SELF)
    for row in rows[1:4]:
        row["archive_code"] = row["scorer"] = None
    outcome = ingest(store, settings, rows, tmp_path / "e.xlsx")
    assert outcome.status == "rejected"
    errors = [f for f in outcome.failures if f.severity == "error"]
    assert errors and all(f.row is not None for f in errors), [f.message for f in errors if f.row is None]
    assert {f.row for f in errors} == {4, 5, 6}
