"""`finding`, `evaluation`, `indicators` and `supervision summary`: the supervision side's commands."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from census_schema.errors import UsageError
from census_schema.settings import load_settings
from census_schema.supervision.codes import FindingSeverity, FindingStatus, IndicatorStatus
from census_schema.supervision.evaluation import RESULT_LABELS, STANDARD_PROVISIONAL, get_standard
from cli.main import acting_user, emit_json, into_folder, parse_day, xlsx_out
from cli.warehouse_cmd import format_table, province_arg
from dash_app.formatting import (
    describe_report_waiting,
    describe_sources,
    format_count,
    format_date,
    format_datetime,
    format_transition_time,
)
from flows.supervision import change_finding, correct_loaded_finding, issue_findings, withdraw_findings
from flows.supervision_reports import write_evaluation_report, write_indicators_report
from warehouse.backends import Warehouse, open_warehouse
from warehouse.evaluation import (
    DEFAULT_ROUND,
    archive_label,
    assign_evaluator,
    close_evaluation,
    closed_phrase,
    describe_result_state,
    fetch_round,
    open_evaluation,
    query_assignments,
    query_evaluation_results,
    unassign_evaluator,
)
from warehouse.evaluation_findings import describe_deadlines, describe_left_unscored
from warehouse.inspections import query_finding_history, query_findings
from warehouse.supervision import query_supervision_summary
from warehouse.users import get_user, person_of


def _store(args: argparse.Namespace) -> Warehouse:
    return open_warehouse(load_settings(args.db, args.warehouse))


def _print(args: argparse.Namespace, payload: dict[str, Any], text: str) -> int:
    if args.json:
        emit_json(payload)
    else:
        sys.stdout.write(text + "\n")
    return 0


# ----------------------------------------------------------------------------------------------------- findings


def run_finding(args: argparse.Namespace) -> int:
    """`finding transition|correct|show|list`."""
    if args.finding_command == "transition":
        return _transition(args)
    if args.finding_command == "correct":
        settings = load_settings(args.db, args.warehouse)
        corrected = correct_loaded_finding(
            settings,
            args.finding_id,
            args.field,
            args.value,
            by=acting_user(args),
            reason=args.reason,
            confirmed=args.confirm,
        )
        return _print(args, corrected, f"已更正：{corrected['description']}。")
    settings = load_settings(args.db, args.warehouse)
    as_of = parse_day(getattr(args, "as_of", None), "--as-of") or settings.today()
    if args.finding_command == "list":
        args.province = province_arg(args)
        if args.status is not None and args.status not in set(FindingStatus):
            raise UsageError(
                f"--status「{args.status}」不是整改状态。",
                hint=f"可选：{'、'.join(FindingStatus)}（逾期请用 --overdue）。",
            )
    with open_warehouse(settings).reader() as con:
        if args.finding_command == "show":
            history = query_finding_history(con, args.finding_id)
            overdue = history["status"] != FindingStatus.CLOSED and as_of > history["deadline"]
            history["is_overdue"] = overdue
            return _print(args, history, _describe_history(history, as_of))
        findings = query_findings(
            con, as_of, province_code=args.province, status=args.status, overdue_only=args.overdue
        )
    headers = ["问题编号", "被检查单位", "严重程度", "状态", "整改期限", "逾期天数"]
    rows = [
        [
            f["finding_id"],
            f["unit_name"],
            f["severity"],
            f["status"],
            format_date(f["deadline"]),
            f["overdue_days"] or "",
        ]
        for f in findings
    ]
    # How many, under the table (an empty list printed its header alone).
    overdue = sum(1 for f in findings if f["overdue_days"])
    count = f"共 {len(findings):,} 个问题，其中逾期 {overdue:,} 个。" if findings else "没有符合条件的问题。"
    return _print(
        args,
        {"as_of": as_of.isoformat(), "findings": findings},
        f"逾期判断日 {format_date(as_of)}{as_of_note(as_of, settings.today())}：\n{format_table(headers, rows)}\n{count}",
    )


def as_of_note(as_of: date, today: date) -> str:
    """What a judging day other than today changes: whether findings are overdue on it, and nothing else (the
    findings, their states and deadlines are today's: a past day is no snapshot of then)."""
    if as_of == today:
        return ""
    return "（只用于判断是否逾期：问题、整改状态和期限均为现有数据，不是该日的历史状态）"


def _transition(args: argparse.Namespace) -> int:
    settings = load_settings(args.db, args.warehouse)
    result = change_finding(
        settings,
        args.finding_id,
        by=acting_user(args),
        to_status=args.to,
        action=args.action,
        role=args.role,
        note=args.note,
        evidence_file=Path(args.evidence) if args.evidence else None,
        new_deadline=parse_day(args.deadline, "--deadline"),
        via="command",
        measures=args.measures,
    )
    text = (
        f"问题 {result['finding_id']}：{result['from_status']} → {result['to_status']}"
        f"（{result['action']}，{result['changer']}，整改期限 {format_date(result['deadline'])}）"
    )
    return _print(args, result, text)


# A finding's answerable parties, as `finding show` names them.
RESPONSIBLE = (("responsible_unit", "整改责任单位"), ("responsible_person", "整改责任人"))


def _describe_history(history: dict[str, Any], as_of: date) -> str:
    origin = (
        f"检查 {history['inspection_id']}"
        if history["inspection_id"]
        else f"{history['source']} {history['round_id']} 轮，{history['feedback_doc_no']}"
    )
    lines = [
        f"问题 {history['finding_id']}（{history['unit_name']}，{origin}）",
        f"  {history['area_name']} {history['item_code']}：{history['description']}",
        f"  严重程度 {history['severity']}；状态 {history['status']}；整改期限 {format_date(history['deadline'])}"
        + (f"（已逾期 {(as_of - history['deadline']).days:,} 天）" if history["is_overdue"] else "")
        + f"；逾期判断日 {format_date(as_of)}",
    ]
    if history["report_submitted_at"]:
        lines.append(f"  {describe_report_waiting(history['report_submitted_at'], history['deadline'])}")
    # Who answers for it and what is asked of them, as /inspections shows (the text said neither; --json did).
    if history.get("requirement"):
        lines.append(f"  整改要求：{history['requirement']}")
    answerable = [f"{label} {history[key]}" for key, label in RESPONSIBLE if history.get(key)]
    if answerable:
        lines.append("  " + "；".join(answerable))
    if history["measures"]:
        lines.append(f"  整改措施：{history['measures']}")
    if history["sources"]:
        lines.append(f"  {describe_sources(history['sources'])}")
    for c in history["corrections"]:
        lines.append(f"  更正：{format_datetime(c['at'])} {c['by']}将{c['change']}（原因：{c['reason']}）")
    for t in history["transitions"]:
        given = (
            t["note"],
            t["new_deadline"] and f"新整改期限 {format_date(t['new_deadline'])}",
            t["measures"] and f"整改措施：{t['measures']}",
            t["evidence"] and f"佐证：{t['evidence']}",
        )
        extra = "；".join(x for x in given if x)
        lines.append(
            f"  {t['seq']}. {format_transition_time(t)} {t['changer']} {t['action']}："
            f"{t['from_status']} → {t['to_status']}{'（' + extra + '）' if extra else ''}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------- evaluation


def require_round(con: duckdb.DuckDBPyConnection, round_id: str | None) -> str:
    """The round named by --round, which must exist to be read (UsageError), or the current one when none is named."""
    if round_id is not None and fetch_round(con, round_id) is None:
        raise UsageError(
            f"评价轮次「{round_id}」不存在。",
            hint=f"不加 --round 即为本轮（{DEFAULT_ROUND}）；新的一轮请先用 evaluation open --round 开启。",
        )
    return round_id or DEFAULT_ROUND


def _assignment_table(assignments: list[dict[str, Any]], *, self_state: bool = False) -> str:
    """Assignments as a table; with `self_state`, whether each archive has sent its self-evaluation too."""
    columns = [
        ("档案馆代码", "archive_code"),
        ("档案馆", "archive_name"),
        *([("该馆自评", "self_state")] if self_state else []),
        ("评价专家", "expert"),
        ("评分进度", "sheet_state"),
    ]
    return format_table([header for header, _ in columns], [[a[key] for _, key in columns] for a in assignments])


def run_evaluation(args: argparse.Namespace) -> int:
    """`evaluation open|close|assign|unassign|assignments|results|report|issue-findings|withdraw-findings`."""
    command, store = args.evaluation_command, _store(args)
    if command in ("unassign", "assignments", "results", "report", "issue-findings", "withdraw-findings"):
        with store.reader() as con:
            require_round(con, args.round)
    args.round = args.round or DEFAULT_ROUND
    if command in ("open", "close"):
        by = acting_user(args)
        if command == "open":
            state = store.write(lambda con: open_evaluation(con, by, args.round))
        else:
            confirmed = args.confirm
            state = store.write(lambda con: close_evaluation(con, by, args.round, refuse_unsubmitted=not confirmed))
        label = "已开启" if state["is_open"] else "已结束"
        text = f"评价轮次 {state['round_id']} {label}。"
        if unsubmitted := state.get("unsubmitted"):
            # Closing ends scoring for good: the sheets it left out are named, not only counted.
            text += (
                f"\n以下 {len(unsubmitted)} 份分派的评分表未提交，不计入结果（已存的草稿保留，不能再提交）：\n"
                + _assignment_table(unsubmitted)
            )
        if unreconciled := state.get("unreconciled"):
            text += f"\n以下 {len(unreconciled)} 家档案馆待合议，没有得分和排名：{'、'.join(unreconciled)}。"
        return _print(args, state, text)
    if command == "assign":
        by = acting_user(args)
        result = store.write(lambda con: assign_evaluator(con, args.archive_code, args.evaluator, by, args.round))
        note = "（此前已分配）" if result["already"] else ""
        if not result["has_account"]:
            note += "。平台上没有此用户名的评价专家账号：该专家只能经评分工作簿报送评分，不能在网页上评分"
        return _print(
            args, result, f"已分配：评价专家 {result['expert']} 评价{archive_label(result['archive_code'])}{note}。"
        )
    if command == "unassign":
        by = acting_user(args)
        result = store.write(
            lambda con: unassign_evaluator(
                con, args.archive_code, args.evaluator, by, args.round, confirmed=args.confirm
            )
        )
        removed = f"；其{result['removed_sheet']}已删除（内容记入审计日志）" if result["removed_sheet"] else ""
        return _print(
            args,
            result,
            f"已撤销分派：评价专家 {result['expert']} 不再评价{archive_label(result['archive_code'])}{removed}。",
        )
    if command == "issue-findings":
        return _issue_findings(args)
    if command == "withdraw-findings":
        settings = load_settings(args.db, args.warehouse)
        withdrawn = withdraw_findings(
            settings,
            args.archive_code,
            by=acting_user(args),
            reason=args.reason,
            confirmed=args.confirm,
            round_id=args.round,
        )
        return _print(args, withdrawn, f"已撤回{archive_label(withdrawn['archive_code'])} {withdrawn['description']}。")
    if command == "report":
        out = xlsx_out(args.out, f"评价反馈报告-{args.archive_code}.xlsx")
        with store.reader() as con, into_folder(out):
            made_by = person_of(con, acting_user(args))  # 王敏（planner） for an account, as the web's report says
            write_evaluation_report(con, args.archive_code, out, args.round, generated_by=made_by)
        return _print(
            args,
            {"report": str(out), "archive_code": args.archive_code, "round_id": args.round},
            f"已生成评价反馈报告：{out}",
        )
    with store.reader() as con:
        if command == "assignments":
            evaluator = args.evaluator.strip() if args.evaluator is not None else None
            assignments = query_assignments(con, args.round, evaluator)
            if evaluator is not None and not assignments and get_user(con, evaluator) is None:
                # An empty list would read as "nobody assigned to this expert"; an offline expert (no account) with
                # assignments is listed as any.
                raise UsageError(
                    f"没有名为「{evaluator}」的平台用户，评价轮次 {args.round} 也没有分派给「{evaluator}」的评价任务。",
                    hint="请检查姓名或用户名（archive-census evaluation assignments 列出全部分派）。",
                )
            return _print(args, {"assignments": assignments}, _assignment_table(assignments, self_state=True))
        results = query_evaluation_results(con, args.round)
        result_state = describe_result_state(con, args.round)
    # 专家: how many of the experts assigned have submitted (5/6), as /evaluation shows it.
    # 未通过的否决项: why an archive is 不合格 whatever its score, as /evaluation says it.
    headers = ["排名", "档案馆", "状态", "专家", *RESULT_LABELS.values(), "等次", "未通过的否决项"]
    named = get_standard().name_items
    rows = [
        [r["rank"] or "", r["archive_name"], r["status"], f"{r['experts']}/{r['assigned']}",
         *(r[key] for key in RESULT_LABELS), r["grade"], named(r["veto_failures"])]
        for r in results
    ]  # fmt: skip
    return _print(
        args,
        {"round_id": args.round, "result_state": result_state, "results": results},
        "\n".join((format_table(headers, rows), result_state, STANDARD_PROVISIONAL)),
    )


def _issue_findings(args: argparse.Namespace) -> int:
    feedback = parse_day(args.feedback_date, "--feedback-date")
    assert feedback is not None  # a required option
    settings = load_settings(args.db, args.warehouse)
    issued = issue_findings(
        settings,
        args.archive_code,
        feedback_date=feedback,
        feedback_doc_no=args.doc_no,
        responsible_person=args.person,
        by=acting_user(args),
        round_id=args.round,
        min_severity=FindingSeverity(args.min_severity),
        overdue_confirmed=args.confirm_overdue,
    )
    planned = issued.pop("findings_planned")
    headers = ["问题编号", "严重程度", "整改期限", "问题描述"]
    rows = [[p["finding_id"], p["severity"], format_date(p["deadline"]), p["description"]] for p in planned]
    text = (
        f"已向{issued['archive_name']}下发 {issued['findings']} 个整改问题"
        f"（评价轮次 {issued['round_id']}，{issued['feedback_doc_no']}，反馈日期 {format_date(issued['feedback_date'])}）。"
    )
    # Said after the table too: a feedback day long past makes every finding overdue the moment it is issued.
    due = f"{describe_deadlines(planned, settings.today())}。"
    if stranded := describe_left_unscored(issued["left_unscored"]):
        due += f"\n注意：{stranded}。"
    return _print(args, issued, "\n".join((text, format_table(headers, rows), due)) if rows else text)


# --------------------------------------------------------------------------------------------------- indicators


def run_indicators(args: argparse.Namespace) -> int:
    """`indicators report --out FILE.xlsx`."""
    out = xlsx_out(args.out, "规划指标中期评估.xlsx")
    settings = load_settings(args.db, args.warehouse)
    # As of the day given, else of the platform's day (ARCHIVE_CENSUS_AS_OF where set), as the web's report is.
    today = settings.today()
    as_of = parse_day(args.as_of, "--as-of") or today
    if as_of > today:
        # It would judge the years not yet over as over (年度未结束 only before a year's 31 December).
        raise UsageError(
            f"--as-of {args.as_of} 晚于今天（{format_date(today)}）：评估报告不能截至未来的日期，"
            "否则尚未结束的年度会被当作已结束来评判。本次未做任何处理。",
            hint="请检查年份是否写错；省略 --as-of 即截至今天。",
        )
    with open_warehouse(settings).reader() as con, into_folder(out):
        write_indicators_report(con, out, as_of, generated_by=person_of(con, acting_user(args)))
    return _print(args, {"report": str(out)}, f"已生成规划指标中期评估工作簿：{out}")


# ------------------------------------------------------------------------------------------------------ summary


def round_label(evaluation: dict[str, Any]) -> str:
    """开放中, 已结束 (closed, when) or 未开启 (never opened), as the evaluation round stands."""
    if evaluation["is_open"]:
        return "开放中"
    return closed_phrase(evaluation["closed_at"]) or "未开启"


def run_supervision_summary(args: argparse.Namespace) -> int:
    """`supervision summary [--as-of DATE] [--round R] --json`."""
    settings = load_settings(args.db, args.warehouse)
    as_of = parse_day(args.as_of, "--as-of") or settings.today()
    with open_warehouse(settings).reader() as con:
        summary = query_supervision_summary(con, as_of, evaluation_round=require_round(con, args.round))
    if args.json:
        emit_json(summary)
        return 0
    findings, evaluation = summary["findings"], summary["evaluation"]
    latest = Counter(row["status"] for row in summary["indicators"]["latest"])
    lines = [
        f"检查 {format_count(summary['inspections']['total'])} 次，问题 {format_count(findings['total'])} 个；"
        f"逾期判断日 {format_date(as_of)}，逾期 {format_count(findings['overdue'])} 个"
        f"{as_of_note(as_of, settings.today())}。",
        "整改状态：" + "，".join(f"{k} {format_count(v)}" for k, v in findings["by_state"].items()),
        f"评价轮次 {evaluation['round']}（{round_label(evaluation)}）："
        + "，".join(f"{k} {v}" for k, v in evaluation["by_status"].items())
        # While the round is open the grades can still change (describe_result_state).
        + ("；等次（暂定） " if evaluation["is_open"] else "；等次 ")
        + "，".join(f"{k} {v}" for k, v in evaluation["grades"].items()),
        STANDARD_PROVISIONAL,
        # The help promises the plan indicators too (they were in --json only).
        "规划指标（有目标的指标，最近一个已结束年度的全国进展）："
        + ("，".join(f"{status} {latest[status]}" for status in IndicatorStatus) if latest else "尚无数值"),
    ]
    headers = ["省份", "问题", "逾期", *findings["by_state"]]
    rows = [
        [p["province_name"], p["findings"], p["overdue"], *p["by_state"].values()]
        for p in findings["provinces"]
        if p["findings"]
    ] + [[c["unit_class"], c["findings"], c["overdue"], *c["by_state"].values()] for c in findings["central"]]
    sys.stdout.write("\n".join(lines) + "\n" + format_table(headers, rows) + "\n")
    return 0
