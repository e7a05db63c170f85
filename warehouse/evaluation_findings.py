"""Problems found by the evaluation of an archive, issued as findings in the rectification tracker (supervision.md §2).

When a round is closed (its scores final), the national bureau sends an archive its feedback: every scoring item that
lost points or whose veto failed (the feedback report's 发现问题), or those of a chosen severity or graver, becomes a
finding of that archive, with the standard's item and area in place of the checklist's, a severity by
`problem_severity`, the default deadline from the feedback day, and from then on the same lifecycle as an
inspection's findings. Issuing is once per archive and round, recorded in `evaluation_feedbacks`; a round with issued
feedback cannot be opened again (and a score workbook validated before it closed is not loaded after), so the scores
behind a finding never change. Findings nobody has acted on yet may be withdrawn to be issued again. A finding's
lineage is its round, archive and item: the score rows behind it (`query_finding_sources`) carry their upload's
submission, sheet and row, or say they were entered on the web.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from census_schema.audit import AuditKind
from census_schema.errors import IllegalTransition, UsageError
from census_schema.failures import require_seen
from census_schema.holidays import FIXED_DATE_HOLIDAY_NAMES, arranged_years
from census_schema.scopes import format_day
from census_schema.supervision.codes import EvaluationStatus, FindingSeverity, FindingStatus
from census_schema.supervision.evaluation import SELF_SOURCE, get_standard
from census_schema.supervision.forms import DEFAULT_WORKING_DAYS, FINDINGS_FORM, INSPECTION_RECORDS_FORM
from supervision.lifecycle import default_deadline
from supervision.rows import start_of
from supervision.scoring import problem_severity, select_problems
from warehouse.audit import record_event
from warehouse.evaluation import (
    COMPLETE_HINT,
    DEFAULT_ROUND,
    archive_label,
    archive_names,
    awaiting_reconciliation,
    count_feedbacks,
    fetch_remarks,
    fetch_round,
    query_evaluation_results,
    query_item_results,
    require_archive,
)
from warehouse.queries import fetch_named
from warehouse.transactions import insert_rows, transaction, utc_now
from warehouse.users import check_may_organise_evaluation, person_of

# The scorer shown for the expert panel's reconciled value (合议分) among a finding's sources.
RECONCILED_SOURCE = "合议"
# The longest feedback document number and responsible person's name: as long as the inspection forms allow.
MAX_DOC_NO = INSPECTION_RECORDS_FORM.field("feedback_doc_no").max_length or 50
MAX_PERSON = FINDINGS_FORM.field("responsible_person").max_length or 50
# The longest reason for a withdrawal (a sentence or two).
MAX_REASON = 200


def evaluation_finding_id(round_id: str, archive_code: str, item_code: str) -> str:
    """The id of the finding an evaluation item gives, e.g. PJ2025-440000-A1-1-1 (评价 round, archive, item; the
    item's dots become dashes, as finding ids in workbooks allow no dots: a 整改进展 row can name it)."""
    return f"PJ{round_id}-{archive_code}-{item_code.replace('.', '-')}"


def fetch_feedback(con: duckdb.DuckDBPyConnection, archive_code: str, round_id: str) -> dict[str, Any] | None:
    """The feedback issued to an archive in a round (date, document number, findings, by whom, when), or None."""
    rows = fetch_named(
        con, "SELECT * FROM evaluation_feedbacks WHERE round_id = ? AND archive_code = ?", [round_id, archive_code]
    )
    return rows[0] if rows else None


def plan_evaluation_findings(
    con: duckdb.DuckDBPyConnection, archive_code: str, round_id: str, feedback_date: date
) -> list[dict[str, Any]]:
    """The findings an archive's evaluation gives (failed veto items first, then by points lost): what issuing
    would write, for showing before it is done. Raises UsageError unless the archive's result is 已完成."""
    require_archive(archive_code)
    result = next(iter(query_evaluation_results(con, round_id, archive_code)), None)
    if result is None or result["status"] != EvaluationStatus.COMPLETE:
        status = result["status"] if result else EvaluationStatus.INCOMPLETE.value
        waiting = list(result["unreconciled"] or ()) if result else []
        raise UsageError(
            f"{archive_label(archive_code)} 在评价轮次 {round_id} 的评价{status}，没有可下发的问题。",
            # 待合议: what is missing is the panel's reconciled values for these items, not more sheets.
            hint=f"先录入这些评分项的合议分：{'、'.join(waiting[:10])}{' 等' if len(waiting) > 10 else ''}（共 {len(waiting)} 项）。"
            if waiting
            else COMPLETE_HINT,
        )
    standard = get_standard((fetch_round(con, round_id) or {}).get("standard_version"))
    remarks = fetch_remarks(con, archive_code, round_id)
    planned = []
    for item, veto_failed in select_problems(
        query_item_results(con, archive_code, round_id), result["veto_failures"] or ()
    ):
        code, score, max_points = item["item_code"], item["score"], item["max_points"]
        severity = problem_severity(score, max_points, veto_failed)
        scoring_item = standard.items_by_code[code]
        veto = "，否决项未通过" if veto_failed else ""
        planned.append(
            {
                "finding_id": evaluation_finding_id(round_id, archive_code, code),
                "item_code": code,
                "area_code": item["area_code"],
                "area_name": item["area_name"],
                # What the experts found wrong, when they said (their 扣分说明), after the score it cost.
                "description": f"{item['item_text']}：得分 {score}（满分 {max_points}）{veto}。"
                + (f"专家意见：{'；'.join(remarks[code])}。" if code in remarks else ""),
                "severity": severity.value,
                "requirement": f"对照评价标准整改：{scoring_item.rule.rstrip('。')}；佐证材料：{scoring_item.evidence}。",
                "deadline": default_deadline(feedback_date, severity.value),
                "lost": max_points - score,
                "veto_failed": veto_failed,
            }
        )
    return planned


def choose_issued(problems: list[dict[str, Any]], archive_code: str, floor: FindingSeverity) -> list[dict[str, Any]]:
    """The planned findings issuing writes: those of `floor` or graver (一般 keeps every problem). A UsageError when
    there is none: every item full and every veto passed, or no problem that grave."""
    if not problems:
        raise UsageError(f"{archive_label(archive_code)} 各评分项均得满分且否决项全部通过，没有需要整改的问题。")
    chosen = [p for p in problems if FindingSeverity(p["severity"]).rank >= floor.rank]
    if not chosen:
        raise UsageError(
            f"{archive_label(archive_code)} 没有{floor}及以上的问题（共 {len(problems)} 个问题，均较轻）。",
            hint="请选择较低的下发范围。",
        )
    return chosen


def check_issuable(con: duckdb.DuckDBPyConnection, archive_code: str, round_id: str) -> None:
    """Raise unless the archive's problems may be issued now: a known archive, the round closed (its scores final),
    its findings not issued yet. (Whether its result is 已完成 is `plan_evaluation_findings`' to say.)"""
    require_archive(archive_code)
    found = fetch_round(con, round_id)
    if found is None:
        raise UsageError(f"评价轮次「{round_id}」不存在。")
    if found["is_open"]:
        raise IllegalTransition(
            f"评价轮次 {round_id} 仍在进行，评分可能还会改变，不能下发整改问题。",
            hint="请在本轮评价结束后再下发。",
        )
    earlier = fetch_feedback(con, archive_code, round_id)
    if earlier is not None:
        raise IllegalTransition(
            f"{archive_label(archive_code)} 在评价轮次 {round_id} 的整改问题已于 {format_day(earlier['feedback_date'])} "
            f"下发（{earlier['feedback_doc_no']}，{earlier['findings']} 个问题，{person_of(con, earlier['issued_by'])}）。",
            hint="每个档案馆每轮只下发一次；下发有误且问题都还没有整改记录的，可先撤回再重新下发；已下发的问题在整改跟踪中处理。",
        )


def check_feedback_date(feedback_date: date, today: date, round_id: str) -> None:
    """Raise UsageError for a feedback day after `today` or before the round's year."""
    if feedback_date > today:
        raise UsageError(f"反馈日期 {format_day(feedback_date)} 晚于今天。", hint="请填写已发出反馈的日期。")
    if round_id.isdigit() and feedback_date.year < int(round_id):
        raise UsageError(f"反馈日期 {format_day(feedback_date)} 早于评价轮次 {round_id} 年。", hint="请核对反馈日期。")


def count_overdue(planned: list[dict[str, Any]], today: date) -> int:
    """How many planned findings would be overdue the moment they are issued (their deadline before `today`)."""
    return sum(1 for p in planned if p["deadline"] < today)


def describe_deadlines(planned: list[dict[str, Any]], today: date) -> str:
    """When the planned findings fall due, in Chinese, with a warning for those whose day has already passed (a
    feedback day long past makes them overdue the moment they are issued)."""
    days = "、".join(format_day(day) for day in sorted({p["deadline"] for p in planned}))
    # A deadline in a year whose holiday notice is not out yet is counted Monday to Friday (census_schema.holidays).
    unknown = sorted({p["deadline"].year for p in planned} - set(arranged_years()))
    counted = (
        f"；{'、'.join(map(str, unknown))} 年的节假日安排尚未公布，按周一至周五计算，除去{FIXED_DATE_HOLIDAY_NAMES}的法定假日"
        if unknown
        else ""
    )
    due = f"整改期限为 {days}（反馈日期后 {DEFAULT_WORKING_DAYS} 个工作日{counted}）"
    overdue = count_overdue(planned, today)
    return f"{due}，其中 {overdue} 个问题的期限已过，下发后即为逾期，请核对反馈日期" if overdue else due


def required_text(value: str, label: str, longest: int, *, multiline: bool = False) -> str:
    """Typed text that must be given: trimmed, within `longest`, with nothing unseen (else a UsageError)."""
    text = value.strip()
    if not text:
        raise UsageError(f"未填写{label}。", hint=f"请填写{label}。")
    if len(text) > longest:
        raise UsageError(f"{label}超过 {longest} 个字。", hint=f"请缩短{label}。")
    require_seen(label, text, multiline=multiline)  # a line break inside a document number or a name is not typed
    return text


def left_unscored_by_issuing(con: duckdb.DuckDBPyConnection, round_id: str) -> list[str]:
    """The archives at 待合议 that the round's first issued findings leave without a score for good: a round with
    findings issued is never opened again, and only an open round takes a 合议分 (none once some were issued)."""
    return [] if count_feedbacks(con, round_id) else awaiting_reconciliation(con, round_id)


def describe_left_unscored(codes: list[str]) -> str:
    """What issuing does to the archives `left_unscored_by_issuing` names ("" for none)."""
    if not codes:
        return ""
    named = "、".join(archive_label(code) for code in codes[:5]) + (" 等" if len(codes) > 5 else "")
    return f"本轮首次下发后不能再重新开启：{len(codes)} 家待合议的档案馆（{named}）将没有得分和排名"


def issue_evaluation_findings(
    con: duckdb.DuckDBPyConnection,
    archive_code: str,
    *,
    feedback_date: date,
    feedback_doc_no: str,
    responsible_person: str,
    by: str,
    today: date,
    round_id: str = DEFAULT_ROUND,
    min_severity: FindingSeverity = FindingSeverity.MINOR,
    overdue_confirmed: bool = False,
) -> dict[str, Any]:
    """Issue an archive's evaluation problems of `min_severity` or graver as findings (待整改) in one transaction,
    with its feedback record; the others are not issued (issuing is once per archive and round). Findings whose
    deadline (from the feedback day) has already passed would be overdue at once: unless `overdue_confirmed`, that
    is said and nothing is issued.

    Refused (nothing written) while the round is open, when the archive's result is not 已完成, when its feedback
    was already issued, when the feedback day is after `today` or before the round's year, when no problem is that
    grave, or when a finding id is already taken.
    """
    doc_no = required_text(feedback_doc_no, "反馈文书编号", MAX_DOC_NO)
    person = required_text(responsible_person, "整改责任人", MAX_PERSON)
    by = required_text(by, "操作人", MAX_PERSON)
    check_may_organise_evaluation(con, by)
    check_feedback_date(feedback_date, today, round_id)
    with transaction(con):
        check_issuable(con, archive_code, round_id)
        left_unscored = left_unscored_by_issuing(con, round_id)
        planned = choose_issued(
            plan_evaluation_findings(con, archive_code, round_id, feedback_date), archive_code, min_severity
        )
        if not overdue_confirmed and count_overdue(planned, today):
            raise UsageError(
                f"{describe_deadlines(planned, today)}；没有下发。", hint="确认按此反馈日期下发请加 --confirm-overdue。"
            )
        ids = [p["finding_id"] for p in planned]
        taken = [
            r[0]
            for r in con.execute("SELECT finding_id FROM findings WHERE list_contains(?, finding_id)", [ids]).fetchall()
        ]
        if taken:
            raise IllegalTransition(f"问题编号已被占用：{'、'.join(sorted(taken))}。")
        name = archive_names()[archive_code]
        now = utc_now()
        insert_rows(
            con,
            "findings",
            [
                {
                    "finding_id": p["finding_id"],
                    "round_id": round_id,
                    "archive_code": archive_code,
                    "item_code": p["item_code"],
                    "area_code": p["area_code"],
                    "area_name": p["area_name"],
                    "description": p["description"],
                    "severity": p["severity"],
                    "is_immediate": False,
                    "requirement": p["requirement"],
                    "original_deadline": p["deadline"],
                    "deadline": p["deadline"],
                    "responsible_unit": name,
                    "responsible_person": person,
                    "status": FindingStatus.ISSUED.value,
                    "issued_on": feedback_date,
                    "status_changed_at": start_of(feedback_date),
                    "loaded_at": now,
                }
                for p in planned
            ],
        )
        feedback = {
            "round_id": round_id,
            "archive_code": archive_code,
            "feedback_date": feedback_date,
            "feedback_doc_no": doc_no,
            "findings": len(planned),
            "issued_at": now,
            "issued_by": by,
        }
        insert_rows(con, "evaluation_feedbacks", [feedback])
        record_event(
            con, AuditKind.FINDING, "issue", actor=by, target=f"{round_id}/{archive_code}",
            after={"feedback_date": feedback_date, "feedback_doc_no": doc_no, "min_severity": min_severity.value,
                   "findings": ids},
        )  # fmt: skip
    return {
        **feedback,
        "archive_name": name,
        "finding_ids": ids,
        "findings_planned": planned,
        "left_unscored": left_unscored,
    }


def plan_withdrawal(
    con: duckdb.DuckDBPyConnection, archive_code: str, round_id: str = DEFAULT_ROUND
) -> tuple[dict[str, Any], list[str], str]:
    """What withdrawing an archive's issued findings would remove: its feedback record, the findings' ids and their
    description in Chinese; raises when nothing was issued or a finding has moved (a transition recorded)."""
    require_archive(archive_code)
    feedback = fetch_feedback(con, archive_code, round_id)
    if feedback is None:
        raise UsageError(
            f"{archive_label(archive_code)} 在评价轮次 {round_id} 没有已下发的整改问题，无可撤回。",
            hint="请核对档案馆代码和 --round；已下发的档案馆见 archive-census finding list。",
        )
    ids = [
        r[0]
        for r in con.execute(
            "SELECT finding_id FROM findings WHERE round_id = ? AND archive_code = ? ORDER BY finding_id",
            [round_id, archive_code],
        ).fetchall()
    ]
    moved = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT finding_id FROM finding_transitions WHERE list_contains(?, finding_id) ORDER BY 1", [ids]
        ).fetchall()
    ]
    if moved:
        raise IllegalTransition(
            f"{archive_label(archive_code)} 的 {len(moved)} 个整改问题已有整改记录（{'、'.join(moved[:5])}"
            f"{'等' if len(moved) > 5 else ''}），不能撤回。",
            hint="已开始整改的问题请按整改流程处理（如延期、退回）。",
        )
    what = (
        f"{format_day(feedback['feedback_date'])} 下发的 {len(ids)} 个整改问题（{feedback['feedback_doc_no']}，"
        f"{ids[0]} 至 {ids[-1]}）及其下发记录"
    )
    return feedback, ids, what


def withdraw_evaluation_findings(
    con: duckdb.DuckDBPyConnection,
    archive_code: str,
    *,
    by: str,
    reason: str,
    confirmed: bool,
    round_id: str = DEFAULT_ROUND,
) -> dict[str, Any]:
    """Withdraw an archive's issued findings and its feedback record (a wrong date, document number or person), so
    they can be issued again; only while none of them has moved (no transition recorded). Unconfirmed, raises a
    UsageError saying what would be removed; confirmed, removes it in one transaction and logs what it was."""
    by = required_text(by, "操作人", MAX_PERSON)
    check_may_organise_evaluation(con, by)
    reason = required_text(reason, "撤回原因", MAX_REASON, multiline=True)
    with transaction(con):
        feedback, ids, what = plan_withdrawal(con, archive_code, round_id)
        if not confirmed:
            raise UsageError(f"将撤回{archive_label(archive_code)} {what}。", hint="确认撤回请加 --confirm。")
        con.execute("DELETE FROM findings WHERE round_id = ? AND archive_code = ?", [round_id, archive_code])
        con.execute("DELETE FROM reminders WHERE list_contains(?, finding_id)", [ids])
        con.execute(
            "DELETE FROM evaluation_feedbacks WHERE round_id = ? AND archive_code = ?", [round_id, archive_code]
        )
        record_event(
            con, AuditKind.FINDING, "withdraw", actor=by, target=f"{round_id}/{archive_code}", reason=reason,
            before={**{k: feedback[k] for k in ("feedback_date", "feedback_doc_no", "issued_by")}, "findings": ids},
        )  # fmt: skip
    return {"round_id": round_id, "archive_code": archive_code, "withdrawn": ids, "description": what}


def query_finding_sources(con: duckdb.DuckDBPyConnection, finding_id: str) -> list[dict[str, Any]]:
    """The rows an evaluation finding was derived from: the submitted scores of its item (self-evaluation first,
    then the experts) and the panel's reconciled value if any (scorer 合议), each with its upload lineage
    (submission, sheet, row; empty when entered on the web) and the person's name of an expert's account
    (scorer_name). Empty for an inspection's finding."""
    return fetch_named(
        con,
        """
        SELECT src.*, u.full_name AS scorer_name FROM (
            SELECT s.scorer, s.score, s.saved_at AS recorded_at, s.saved_by AS recorded_by,
                   s.submission_id, s.sheet_name, s.excel_row
            FROM findings AS f
            JOIN evaluation_scores AS s USING (round_id, archive_code, item_code)
            WHERE f.finding_id = ? AND s.is_submitted
            UNION ALL
            SELECT ?, r.value, r.recorded_at, r.recorded_by, r.submission_id, r.sheet_name, r.excel_row
            FROM findings AS f
            JOIN evaluation_reconciliations AS r USING (round_id, archive_code, item_code)
            WHERE f.finding_id = ?
        ) AS src
        LEFT JOIN users AS u ON u.user_name = src.scorer
        ORDER BY src.scorer = ? DESC, src.scorer = ?, src.scorer
        """,
        [finding_id, RECONCILED_SOURCE, finding_id, SELF_SOURCE, RECONCILED_SOURCE],
    )
