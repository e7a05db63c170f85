"""The evaluation of the 47 comprehensive archives in the warehouse: rounds, assignments, scores, results, queries.

Who may score what is decided here, where scores are written: an evaluator scores only the archives assigned to
them, and only while the round is open (`check_may_score`, the domain's `check_scoring_allowed`). Results are
derived from submitted scores by the domain's `evaluate_archive` and `rank_archives`, for the whole round, in the
same transaction as the change of scores that calls for them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from census_schema.archives import archive_label, archive_names, archives_in_province, require_archive
from census_schema.audit import AuditKind
from census_schema.clock import format_beijing, to_beijing
from census_schema.errors import AccessDenied, IllegalTransition, NotFound, UsageError
from census_schema.failures import UNSEEN_HINT
from census_schema.fields import holds_unseen, show_unseen
from census_schema.roles import Role, person_label
from census_schema.scopes import describe_division, format_day
from census_schema.supervision.codes import VETO_FAILED, VETO_PASSED, EvaluationStatus, Grade
from census_schema.supervision.evaluation import (
    BONUS_AREA,
    MAX_REMARK,
    SELF_SOURCE,
    STANDARD_VERSION,
    BonusItem,
    EvaluationStandard,
    ScoringItem,
    get_standard,
)
from census_schema.supervision.forms import EVALUATION_ROUND, EVALUATION_SCORES_FORM
from supervision.rows import as_decimal, is_bonus_code
from supervision.scoring import (
    ArchiveResult,
    EvaluationInvalid,
    LoadedSheet,
    Reconciliation,
    ScoreSheet,
    check_all_scored,
    check_reconciliations,
    check_scoring_allowed,
    check_sheet_values,
    check_veto_scores,
    check_veto_verdicts,
    describe_own_sheet,
    evaluate_archive,
    rank_archives,
    tolerance,
)
from warehouse.audit import record_event
from warehouse.queries import fetch_named
from warehouse.transactions import insert_rows, transaction, utc_now
from warehouse.users import account_names, check_may_organise_evaluation, person_of, refuse_look_alike

DEFAULT_ROUND = EVALUATION_ROUND
# What an archive's evaluation needs before it has a result (a feedback report, findings).
COMPLETE_HINT = "须有完整的自评、至少3位专家提交的评分，且专家分歧较大的评分项已给出合议分。"


# ------------------------------------------------------------------------------------------ rounds, assignments


def fetch_round(con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND) -> dict[str, Any] | None:
    """The round's record (standard version, open or not, when and by whom), or None."""
    rows = fetch_named(con, "SELECT * FROM evaluation_rounds WHERE round_id = ?", [round_id])
    return rows[0] if rows else None


def _ensure_round(con: duckdb.DuckDBPyConnection, round_id: str) -> dict[str, Any]:
    found = fetch_round(con, round_id)
    if found is None:
        # A round is a year: "abc" or 99999 opened as a round stayed for good.
        if not (round_id.isascii() and round_id.isdigit() and len(round_id) == 4):
            raise UsageError(
                f"「{round_id}」不是评价轮次：轮次以年份表示（如 {DEFAULT_ROUND}）。",
                hint="请检查 --round 是否写错；省略 --round 即为本轮。",
            )
        if round_id != DEFAULT_ROUND:
            # The score sheets, the web pages and the uploads belong to the form's round: another opened here could
            # be assigned on the command line and nowhere scored, while the pages went on showing this one.
            later = round_id > DEFAULT_ROUND
            raise UsageError(
                f"评价轮次 {round_id} 不能在本版本的平台上开启或分派：本版本的评分表、评分标准和页面只用于评价轮次 "
                f"{DEFAULT_ROUND}。本次未做任何处理。",
                hint="新一轮评价随平台的新版本（新的评分表式和评分标准）开启。"
                if later
                else f"{round_id} 年的评价不在本平台上进行；本轮为 {DEFAULT_ROUND}，省略 --round 即可。",
            )
        con.execute(
            "INSERT INTO evaluation_rounds (round_id, standard_version, is_open) VALUES (?, ?, false)",
            [round_id, STANDARD_VERSION],
        )
        found = fetch_round(con, round_id)
    assert found is not None
    return found


def open_evaluation(con: duckdb.DuckDBPyConnection, by: str, round_id: str = DEFAULT_ROUND) -> dict[str, Any]:
    """Open a round for scoring (creating it with the current standard if new); an open round cannot be opened."""
    by = _who(by)
    check_may_organise_evaluation(con, by)
    with transaction(con):
        current = _ensure_round(con, round_id)
        if current["is_open"]:
            raise IllegalTransition(
                f"评价轮次 {round_id} 已处于开放状态。",
                hint="评价专家可以继续评分，无须再次开启；要结束评分请用 evaluation close。",
            )
        issued = count_feedbacks(con, round_id)
        if issued:
            raise IllegalTransition(
                f"评价轮次 {round_id} 已向 {issued} 个档案馆下发整改问题，不能重新开启（评分改变会使已下发的问题失据）。",
                hint="新的评价请开启新的轮次（evaluation open --round）。",
            )
        con.execute(
            "UPDATE evaluation_rounds SET is_open = true, opened_at = ?, opened_by = ?, closed_at = NULL, "
            "closed_by = NULL WHERE round_id = ?",
            [utc_now(), by, round_id],
        )
        record_event(
            con,
            AuditKind.EVALUATION_ROUND,
            "open",
            actor=by,
            target=round_id,
            before={"is_open": False},
            after={"is_open": True},
        )
        recompute_results(con, round_id)
        return _round_state(con, round_id)


def close_evaluation(
    con: duckdb.DuckDBPyConnection, by: str, round_id: str = DEFAULT_ROUND, *, refuse_unsubmitted: bool = False
) -> dict[str, Any]:
    """Close an open round: no more scores; the results are recomputed one last time. Returns the round with the
    assigned sheets left unsubmitted (drafts or nothing: kept, but not counted), for the closer to be told; with
    `refuse_unsubmitted` a UsageError names them instead and nothing changes (the command line's unconfirmed close)."""
    by = _who(by)
    check_may_organise_evaluation(con, by)
    with transaction(con):
        current = fetch_round(con, round_id)
        if current is None:
            raise IllegalTransition(f"评价轮次 {round_id} 不存在，不能结束。", hint="请检查 --round 是否写错。")
        if not current["is_open"]:
            closed = closed_phrase(current["closed_at"]) or "尚未开启"
            raise IllegalTransition(
                f"评价轮次 {round_id} {closed}，不能再结束。", hint="要重新评分，请先用 evaluation open 开启。"
            )
        pending = [a for a in query_assignments(con, round_id) if not (a["is_submitted"] and a["items_saved"])]
        # 合议分 arrive in a scores workbook, which a closed round refuses: an archive 待合议 now stays unscored.
        unreconciled = [archive_label(code) for code in awaiting_reconciliation(con, round_id)]
        if refuse_unsubmitted and (pending or unreconciled):
            said = []
            if pending:
                named = "、".join(f"{a['archive_name']} {a['expert']}（{a['sheet_state']}）" for a in pending)
                said.append(
                    f"以下 {len(pending)} 份分派的评分表未提交，结束后不计入结果（已存的草稿保留，不能再提交）：{named}"
                )
            if unreconciled:
                said.append(
                    f"以下 {len(unreconciled)} 家档案馆待合议，结束后不能再录入合议分，没有得分和排名"
                    f"（须重新开启本轮次才能录入；已下发整改问题的轮次不能重新开启）：{'、'.join(unreconciled)}"
                )
            raise UsageError(
                f"将结束评价轮次 {round_id}：{'；'.join(said)}。本次未做任何处理。",
                hint="请先请专家提交" + ("、录入合议分" if unreconciled else "") + "；确认就此结束请加 --confirm。",
            )
        con.execute(
            "UPDATE evaluation_rounds SET is_open = false, closed_at = ?, closed_by = ? WHERE round_id = ?",
            [utc_now(), by, round_id],
        )
        record_event(
            con,
            AuditKind.EVALUATION_ROUND,
            "close",
            actor=by,
            target=round_id,
            before={"is_open": True},
            after={"is_open": False},
        )
        recompute_results(con, round_id)
        return {**_round_state(con, round_id), "unsubmitted": pending, "unreconciled": unreconciled}


def awaiting_reconciliation(con: duckdb.DuckDBPyConnection, round_id: str) -> list[str]:
    """The archives of a round whose results are 待合议 (experts too far apart, no 合议分 given), by code."""
    return [
        str(code)
        for (code,) in con.execute(
            "SELECT archive_code FROM mart_evaluation_results WHERE round_id = ? AND status = ? ORDER BY archive_code",
            [round_id, EvaluationStatus.PENDING_RECONCILIATION.value],
        ).fetchall()
    ]


def closed_phrase(closed_at: datetime | None) -> str | None:
    """已于 <the Beijing day> 结束 for a round closed at `closed_at` (UTC); None for a round never closed."""
    return f"已于 {format_day(to_beijing(closed_at))} 结束" if closed_at else None


def count_feedbacks(con: duckdb.DuckDBPyConnection, round_id: str) -> int:
    """How many archives of a round have been sent their feedback with findings."""
    row = con.execute("SELECT count(*) FROM evaluation_feedbacks WHERE round_id = ?", [round_id]).fetchone()
    return int(row[0]) if row else 0


def _round_state(con: duckdb.DuckDBPyConnection, round_id: str) -> dict[str, Any]:
    found = fetch_round(con, round_id)
    assert found is not None
    return found


def _who(name: str) -> str:
    name = name.strip()
    if not name:
        raise UsageError("未指明操作人。", hint="请用 --by 填写操作人的用户名。")
    return name


def _expert(name: str) -> str:
    """An expert's name as assigned (trimmed); a UsageError for none, or for the self-evaluation's scorer."""
    name = name.strip()
    if not name or name == SELF_SOURCE:
        raise UsageError(
            f"评价专家的用户名不能为空，也不能是「{SELF_SOURCE}」。", hint="请用 --evaluator 填写评价专家的用户名。"
        )
    return name


def assign_evaluator(
    con: duckdb.DuckDBPyConnection, archive_code: str, evaluator: str, by: str, round_id: str = DEFAULT_ROUND
) -> dict[str, Any]:
    """Let an evaluator score an archive in a round (creating the round, not yet open, if new; refused once the
    round has been closed); repeating is harmless."""
    (result,) = assign_evaluators(con, [(archive_code, evaluator)], by, round_id)
    return result


def assign_evaluators(
    con: duckdb.DuckDBPyConnection, pairs: Iterable[tuple[str, str]], by: str, round_id: str = DEFAULT_ROUND
) -> list[dict[str, Any]]:
    """Several (archive, evaluator) assignments in one transaction; see `assign_evaluator`."""
    by = _who(by)
    check_may_organise_evaluation(con, by)
    pairs = [(require_archive(archive), _expert(evaluator)) for archive, evaluator in pairs]
    results = []
    with transaction(con):
        found = _ensure_round(con, round_id)
        if not found["is_open"] and (closed := closed_phrase(found["closed_at"])):
            # Its results are final (the archives' assigned experts among them) and may stand behind issued findings.
            raise IllegalTransition(
                f"评价轮次 {round_id} {closed}，不能再分派评价专家。",
                hint="要补充评分，请先用 evaluation open 重新开启该轮次（已下发整改问题的轮次不能重新开启）。",
            )
        # An expert is a platform account of the evaluator role (scores on the web) or a name without an account
        # (an expert scoring offline, whose sheet arrives in a scores workbook); never another role's account.
        roles = dict(
            con.execute(
                "SELECT user_name, role FROM users WHERE list_contains(?, user_name)", [[e for _, e in pairs]]
            ).fetchall()
        )
        for _, evaluator in pairs:
            if evaluator not in roles:  # an expert scoring offline, unless the name reads as an account's
                refuse_look_alike(
                    con, evaluator, "评价专家", "指该用户请写「{twin}」；线下评分专家请写能与之区分的姓名。"
                )
            if roles.get(evaluator, Role.EVALUATOR) != Role.EVALUATOR:
                raise UsageError(
                    f"「{evaluator}」是平台的{Role(roles[evaluator]).label}账号，不是评价专家，不能分配评价任务。",
                    hint="请填写评价专家的用户名，或线下评分专家的姓名（其评分经评分工作簿报送）。",
                )
        existing = {
            (archive, evaluator)
            for archive, evaluator in con.execute(
                "SELECT archive_code, evaluator FROM evaluation_assignments WHERE round_id = ?", [round_id]
            ).fetchall()
        }
        now = utc_now()
        for archive, evaluator in pairs:
            already = (archive, evaluator) in existing
            if not already:
                con.execute(
                    "INSERT INTO evaluation_assignments (round_id, archive_code, evaluator, assigned_at, assigned_by) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [round_id, archive, evaluator, now, by],
                )
                record_event(
                    con, AuditKind.ASSIGNMENT, "assign", actor=by, target=archive,
                    after={"round_id": round_id, "archive_code": archive, "evaluator": evaluator},
                )  # fmt: skip
                existing.add((archive, evaluator))
            results.append(
                {
                    "round_id": round_id,
                    "archive_code": archive,
                    "evaluator": evaluator,
                    "already": already,
                    "has_account": evaluator in roles,
                }
            )
        # The results show how many experts each archive has been given.
        recompute_results(con, round_id)
    names = account_names(con)
    return [r | {"expert": person_label(str(r["evaluator"]), names.get(str(r["evaluator"])))} for r in results]


def unassign_evaluator(
    con: duckdb.DuckDBPyConnection,
    archive_code: str,
    evaluator: str,
    by: str,
    round_id: str = DEFAULT_ROUND,
    *,
    confirmed: bool = False,
) -> dict[str, Any]:
    """Withdraw an evaluator's assignment to an archive, with their sheet for it (draft or submitted) if any.

    A sheet to remove needs `confirmed` (unconfirmed, a UsageError says what would go); its scores are kept in the
    audit event and the round's results are recomputed. A submitted sheet is never taken out of a closed round's
    results (nor, so, from under issued findings: a round with findings cannot be opened again)."""
    by = _who(by)
    check_may_organise_evaluation(con, by)
    archive_code = require_archive(archive_code)
    evaluator = _expert(evaluator)
    key = [round_id, archive_code, evaluator]
    with transaction(con):
        assigned = con.execute(
            "SELECT 1 FROM evaluation_assignments WHERE round_id = ? AND archive_code = ? AND evaluator = ?", key
        ).fetchone()
        if assigned is None:
            raise NotFound(
                f"评价专家 {person_of(con, evaluator)} 在评价轮次 {round_id} 没有分派评价{archive_label(archive_code)}。",
                hint="可用 archive-census evaluation assignments 查看分派。",
            )
        current = {r["item_code"]: r for r in query_scores(con, archive_code, evaluator, round_id)}
        submitted = bool(current) and all(row["is_submitted"] for row in current.values())
        sheet = f"评分表（{'已提交' if submitted else '草稿'}，{len(current)} 项）" if current else None
        whose = f"评价专家 {person_of(con, evaluator)} 对{archive_label(archive_code)}"
        if submitted:
            found = fetch_round(con, round_id)
            if not (found and found["is_open"]):
                raise IllegalTransition(
                    f"评价轮次 {round_id} {closed_phrase(found['closed_at'] if found else None) or '尚未开启'}，"
                    f"{whose}提交的评分表已计入结果，不能撤销分派。",
                    hint="确需撤销，请先用 evaluation open 重新开启本轮。",
                )
        if sheet and not confirmed:
            raise UsageError(
                f"撤销分派将删除{whose}的{sheet}"
                + ("，该馆的评价结果随之重算" if submitted else "")
                + "。本次未做任何处理。",
                hint="确认撤销请加 --confirm（删除的评分记入审计日志）。",
            )
        con.execute("DELETE FROM evaluation_scores WHERE round_id = ? AND archive_code = ? AND scorer = ?", key)
        con.execute("DELETE FROM evaluation_assignments WHERE round_id = ? AND archive_code = ? AND evaluator = ?", key)
        before, _ = _score_changes(current, {}, {})
        record_event(
            con, AuditKind.ASSIGNMENT, "unassign", actor=by, target=archive_code,
            before={"round_id": round_id, "archive_code": archive_code, "evaluator": evaluator,
                    **(before if current else {})},
        )  # fmt: skip
        recompute_results(con, round_id)
    return {
        "round_id": round_id,
        "archive_code": archive_code,
        "evaluator": evaluator,
        "expert": person_of(con, evaluator),
        "removed_sheet": sheet,
    }


def fetch_assignments(con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND) -> dict[str, frozenset[str]]:
    """evaluator -> the archives assigned to them in the round."""
    by_evaluator: dict[str, set[str]] = defaultdict(set)
    for evaluator, archive in con.execute(
        "SELECT evaluator, archive_code FROM evaluation_assignments WHERE round_id = ?", [round_id]
    ).fetchall():
        by_evaluator[evaluator].add(archive)
    return {evaluator: frozenset(archives) for evaluator, archives in by_evaluator.items()}


def fetch_expert_accounts(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The user names of the platform's active expert accounts (评价专家), who score on the platform themselves."""
    rows = con.execute("SELECT user_name FROM users WHERE role = ? AND is_active", [Role.EVALUATOR.value]).fetchall()
    return frozenset(name for (name,) in rows)


def fetch_own_sheets(con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND) -> dict[tuple[str, str], datetime]:
    """(archive, expert) -> when the expert last saved that sheet themselves (on the platform or the command line, not
    by an upload): the sheets an uploaded workbook may not replace."""
    return {
        (archive, expert): saved_at
        for archive, expert, saved_at in con.execute(
            "SELECT archive_code, scorer, max(saved_at) FROM evaluation_scores "
            "WHERE round_id = ? AND NOT is_self AND submission_id IS NULL AND saved_by = scorer GROUP BY ALL",
            [round_id],
        ).fetchall()
    }


def fetch_loaded_sheets(
    con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND
) -> dict[tuple[str, str], LoadedSheet]:
    """(archive, scorer) -> the sheet an earlier upload loaded (a self-evaluation or an expert's): what a new upload
    of the same archive and scorer replaces."""
    rows = con.execute(
        "SELECT archive_code, scorer, max(saved_at), arg_max(saved_by, saved_at), "
        "map_from_entries(list(struct_pack(k := item_code, v := [CAST(score AS VARCHAR), CAST(veto_passed AS VARCHAR)]))) "
        "FROM evaluation_scores WHERE round_id = ? AND submission_id IS NOT NULL GROUP BY ALL",
        [round_id],
    ).fetchall()
    return {
        (archive, scorer): LoadedSheet(
            saved_at, saved_by, {item: _score_entry(*entry) for item, entry in items.items()}
        )
        for archive, scorer, saved_at, saved_by, items in rows
    }


def _score_entry(score: str | None, veto_passed: str | None) -> tuple[Decimal | None, bool | None]:
    return (None if score is None else Decimal(score), None if veto_passed is None else veto_passed == "true")


def check_may_score(
    con: duckdb.DuckDBPyConnection, evaluator: str, archive_code: str, round_id: str = DEFAULT_ROUND
) -> None:
    """Raise AccessDenied unless the round is open and the evaluator is assigned to the archive."""
    found = fetch_round(con, round_id)
    is_open = bool(found and found["is_open"])
    check_scoring_allowed(evaluator, archive_code, fetch_assignments(con, round_id), is_open, person_of(con, evaluator))


def check_may_see_own_sheet(
    con: duckdb.DuckDBPyConnection, evaluator: str, archive_code: str, round_id: str = DEFAULT_ROUND
) -> bool:
    """Raise AccessDenied unless the evaluator is assigned to the archive; whether the round is open (the sheet
    may still be changed). After the round an expert still sees, read only, what they scored."""
    found = fetch_round(con, round_id)
    check_scoring_allowed(evaluator, archive_code, fetch_assignments(con, round_id), True, person_of(con, evaluator))
    return bool(found and found["is_open"])


SELF_NOT_SENT = "未报送"


def self_evaluation_states(con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND) -> dict[str, str]:
    """The archives that have sent their self-evaluation, each with the standard's items it scored, as lists read
    it (已报送（65/65 项）); an archive not here has sent none (SELF_NOT_SENT)."""
    items = len(get_standard().items)
    sent = con.execute(
        # Bonus claims are coded B1, B2, … (supervision.rows.is_bonus_code): not items of the standard.
        "SELECT archive_code, count(score) FILTER (WHERE NOT starts_with(item_code, 'B')) FROM evaluation_scores "
        "WHERE round_id = ? AND scorer = ? GROUP BY archive_code",
        [round_id, SELF_SOURCE],
    ).fetchall()
    return {code: self_sent_text(scored, items) for code, scored in sent}


def self_sent_text(scored: int, items: int) -> str:
    """A sent self-evaluation as lists read it: 已报送（65/65 项）."""
    return f"已报送（{scored}/{items} 项）"


def query_assignments(
    con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND, evaluator: str | None = None
) -> list[dict[str, Any]]:
    """Assignments with the archive's name, how far the evaluator's sheet has got (无 / 草稿 / 已提交; and
    `items_scored`, the standard's items scored, bonus claims aside, as the form counts 已评 65/65 项), and whether
    the archive has sent its self-evaluation (`self_state`: 未报送, or 已报送 with the items it scored).

    Grain: one row per archive and evaluator assigned in the round.
    """
    rows = fetch_named(
        con,
        """
        SELECT a.round_id, a.archive_code, a.evaluator, a.assigned_at, a.assigned_by,
               count(s.item_code) AS items_saved,
               -- Bonus claims are coded B1, B2, … (supervision.rows.is_bonus_code).
               count(s.score) FILTER (WHERE NOT starts_with(s.item_code, 'B')) AS items_scored,
               coalesce(bool_and(s.is_submitted), false) AS is_submitted,
               max(s.saved_at) AS last_saved_at
        FROM evaluation_assignments AS a
        LEFT JOIN evaluation_scores AS s
          ON s.round_id = a.round_id AND s.archive_code = a.archive_code AND s.scorer = a.evaluator
        WHERE a.round_id = ? AND (? IS NULL OR a.evaluator = ?)
        GROUP BY ALL ORDER BY a.archive_code, a.evaluator
        """,
        [round_id, evaluator, evaluator],
    )
    names, people, sent = archive_names(), account_names(con), self_evaluation_states(con, round_id)
    for row in rows:
        row["archive_name"] = names[row["archive_code"]]
        row["expert"] = person_label(row["evaluator"], people.get(row["evaluator"]))
        # 未填写: nothing saved yet (it read 评分表：无, as if the expert had no sheet to fill).
        row["sheet_state"] = (
            "已提交" if row["is_submitted"] and row["items_saved"] else "草稿" if row["items_saved"] else "未填写"
        )
        row["self_state"] = sent.get(row["archive_code"], SELF_NOT_SENT)
    return rows


# ----------------------------------------------------------------------------------------------------- scores


def query_scores(
    con: duckdb.DuckDBPyConnection, archive_code: str, scorer: str | None = None, round_id: str = DEFAULT_ROUND
) -> list[dict[str, Any]]:
    """Scores of an archive (one scorer's, or all), drafts included. Grain: one row per scorer and item."""
    return fetch_named(
        con,
        "SELECT scorer, is_self, item_code, score, veto_passed, evidence, remark, is_submitted, saved_at, saved_by, "
        "submission_id, sheet_name, excel_row FROM evaluation_scores "
        "WHERE round_id = ? AND archive_code = ? AND (? IS NULL OR scorer = ?) ORDER BY scorer, item_code",
        [round_id, archive_code, scorer, scorer],
    )


def sheet_version(rows: Iterable[Mapping[str, Any]]) -> str:
    """A scorer's sheet as last saved (the moment, as text; "" for none): a form opened on one version saves only
    over that version."""
    times = [row["saved_at"] for row in rows if row["saved_at"] is not None]
    return max(times).isoformat() if times else ""


def check_sheet_unchanged(archive_code: str, current: Iterable[Mapping[str, Any]], seen_version: str) -> None:
    """IllegalTransition when the sheet was saved since the form showing `seen_version` was opened (another tab or
    window): saving that form would put its older values (blank fields clearing items) over the newer save."""
    now = sheet_version(current)
    if now == seen_version:
        return
    what = f"您对{archive_label(archive_code)}的评分表"
    said = f"已于 {format_beijing(now)}另行保存（在另一个窗口或标签页）" if now else "已被清除（分派曾被撤销）"
    raise IllegalTransition(
        f"{what}{said}，本页显示的是之前的内容，按本页保存会覆盖那次保存的评分。本次未做任何处理。",
        hint="请刷新页面，核对最新的评分后再保存或提交。",
    )


def save_evaluator_scores(
    con: duckdb.DuckDBPyConnection,
    evaluator: str,
    archive_code: str,
    scores: Mapping[str, Decimal | None],
    submit: bool,
    *,
    veto_verdicts: Mapping[str, bool] | None = None,
    evidence: Mapping[str, str] | None = None,
    remarks: Mapping[str, str | None] | None = None,
    round_id: str = DEFAULT_ROUND,
    seen_version: str | None = None,
) -> dict[str, Any]:
    """Save an evaluator's scores for an assigned archive while the round is open, as a draft or submitted.

    `scores` are merged into the evaluator's sheet for the archive (None clears an item); verdicts, evidence and
    remarks (扣分说明: what was found wrong; blank clears one) likewise. A sheet is a draft or submitted as a
    whole: saving a draft withdraws an earlier submission until it is submitted again. Every value is checked (known item, 0..max, one decimal; verdicts only on veto items);
    submitting also needs every item scored and every veto item's verdict. Raises AccessDenied or
    EvaluationInvalid (a UsageError listing every problem); nothing is saved then. With `seen_version` (the sheet's
    version the web form was opened on) a sheet saved since is refused (`check_sheet_unchanged`).
    """
    require_archive(archive_code)
    evaluator = evaluator.strip()
    standard = get_standard()
    with transaction(con):
        check_may_score(con, evaluator, archive_code, round_id)
        current = {r["item_code"]: r for r in query_scores(con, archive_code, evaluator, round_id)}
        if seen_version is not None:
            check_sheet_unchanged(archive_code, current.values(), seen_version)
        merged = {code: row["score"] for code, row in current.items() if row["score"] is not None}
        verdicts = {code: row["veto_passed"] for code, row in current.items() if row["veto_passed"] is not None}
        notes = {code: row["evidence"] for code, row in current.items() if row["evidence"]}
        found = {code: row["remark"] for code, row in current.items() if row["remark"]}
        found.update(read_remarks(standard, remarks or {}))
        said = {code: text for code, text in found.items() if text}
        for code, value in scores.items():
            if value is None:
                merged.pop(code, None)
            else:
                merged[code] = as_decimal(value)
        verdicts.update(veto_verdicts or {})
        notes.update(evidence or {})
        items = {c: v for c, v in merged.items() if not is_bonus_code(c)}
        problems = check_sheet_values(standard, merged, evaluator)
        problems += check_veto_verdicts(standard, items if submit else (), verdicts)
        if submit:
            problems += check_all_scored(standard, items, evaluator)
        if problems:
            raise EvaluationInvalid(problems)
        codes = sorted(set(merged) | set(verdicts) | set(notes) | set(said))
        contents = {code: (merged.get(code), verdicts.get(code), notes.get(code), said.get(code)) for code in codes}
        # Saved again as it was, in the same state: nothing is written or logged (the page says so).
        unchanged = bool(current) and contents == _sheet_contents(current) and _is_submitted(current) == submit
        if not unchanged:
            now = _write_evaluator_sheet(con, round_id, archive_code, evaluator, submit, contents)
            before, after = _score_changes(current, merged, verdicts)
            record_event(
                con, AuditKind.EVALUATION_SCORE, "submit" if submit else "save_draft", actor=evaluator,
                target=archive_code, before=before, after={**after, "round_id": round_id, "is_submitted": submit},
            )  # fmt: skip
            recompute_results(con, round_id)
    missing = [p.item_code for p in check_all_scored(standard, items, evaluator)]
    contradicted = [p.item_code for p in check_veto_scores(standard, items, verdicts)]
    # Items scored below full marks without a 扣分说明: saved (a draft may be finished later), and pointed out: an
    # issued finding takes its 专家意见 from these remarks.
    unexplained = [
        item.code for item in standard.items if item.code in items and items[item.code] < item.max_points
        and not said.get(item.code)
    ]  # fmt: skip
    saved = max(row["saved_at"] for row in current.values()) if unchanged else now
    return {
        "round_id": round_id,
        "archive_code": archive_code,
        "evaluator": evaluator,
        "status": "submitted" if submit else "draft",
        "unchanged": unchanged,
        # A draft saved over a submitted sheet takes the submission out of the results until it is submitted again.
        "withdrawn": not submit and _is_submitted(current),
        "scored": len(items),
        "missing": missing,
        # Veto items judged 不通过 with full marks: saved, and pointed out (the verdict rules the grade).
        "veto_full_marks": contradicted,
        "unexplained": unexplained,
        "saved_at": saved.isoformat(timespec="seconds"),
        # The sheet's version, which the form that saved it goes on from.
        "version": saved.isoformat(),
    }


def _sheet_contents(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """A sheet's saved rows as item -> (score, veto passed, evidence, remark), blank texts as None."""
    return {
        code: (row["score"], row["veto_passed"], row["evidence"] or None, row["remark"] or None)
        for code, row in rows.items()
    }


def _is_submitted(rows: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether a sheet's saved rows are submitted (a sheet is a draft or submitted as a whole)."""
    return any(row["is_submitted"] for row in rows.values())


def _write_evaluator_sheet(
    con: duckdb.DuckDBPyConnection,
    round_id: str,
    archive_code: str,
    evaluator: str,
    submit: bool,
    contents: Mapping[str, tuple[Any, ...]],
) -> datetime:
    """Replace an evaluator's sheet with `contents` (item -> score, veto passed, evidence, remark); when it was saved."""
    con.execute(
        "DELETE FROM evaluation_scores WHERE round_id = ? AND archive_code = ? AND scorer = ?",
        [round_id, archive_code, evaluator],
    )
    now = utc_now()
    insert_rows(
        con,
        "evaluation_scores",
        [
            {
                "round_id": round_id,
                "archive_code": archive_code,
                "scorer": evaluator,
                "is_self": False,
                "item_code": code,
                "score": score,
                "veto_passed": passed,
                "evidence": evidence,
                "remark": remark,
                "is_submitted": submit,
                "saved_at": now,
                "saved_by": evaluator,
            }
            for code, (score, passed, evidence, remark) in contents.items()
        ],
    )
    return now


def read_remarks(standard: EvaluationStandard, remarks: Mapping[str, str | None]) -> dict[str, str | None]:
    """The remarks typed on a sheet, trimmed (blank: None, which clears one); a UsageError naming the items that are
    not the standard's, or whose remark is longer than MAX_REMARK."""
    known = {item.code for item in standard.items} | {bonus.code for bonus in standard.bonus_items}
    unknown = sorted(code[:20] for code in remarks if code not in known)
    if unknown:
        raise UsageError(f"评价标准中没有评分项：{'、'.join(unknown)}。")
    read = {code: (text or "").strip() or None for code, text in remarks.items()}
    # Every item's at once (the first alone was said, and the next save refused the next).
    unseen = [f"{code}「{show_unseen(text)[:60]}」" for code, text in read.items() if text and holds_unseen(text, True)]
    if unseen:
        raise UsageError(
            f"扣分说明含有看不见的字符：{'；'.join(unseen)}。",
            hint=UNSEEN_HINT,
        )
    long = sorted(code for code, text in read.items() if text and len(text) > MAX_REMARK)
    if long:
        raise UsageError(
            f"扣分说明超过 {MAX_REMARK} 个字：{'、'.join(long)}。", hint=f"请写明主要问题，控制在 {MAX_REMARK} 字以内。"
        )
    return read


def _score_changes(
    current: Mapping[str, Mapping[str, Any]], scores: Mapping[str, Decimal], verdicts: Mapping[str, bool | None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The items whose score or veto verdict a save changes: (before, after) for the audit log, each part only when
    something of it changed (a save of the same scores said 得分：无 → 得分：无, one of scores alone 否决项通过：无 → 无)."""
    old = {code: (row["score"], row["veto_passed"]) for code, row in current.items()}
    new = {code: (scores.get(code), verdicts.get(code)) for code in set(scores) | set(verdicts)}
    codes = sorted(set(old) | set(new))
    changed = [
        [c for c in codes if old.get(c, (None, None))[part] != new.get(c, (None, None))[part]] for part in (0, 1)
    ]

    def sheet(values: Mapping[str, tuple[Any, Any]]) -> dict[str, Any]:
        parts = {}
        for part, key in enumerate(("scores", "veto_passed")):
            if changed[part]:
                parts[key] = {
                    # A score as typed, whether stored (8.0) or given (7): the log wrote 得分 8.0 → 7.
                    c: _plain_score(values[c][part]) if key == "scores" else values[c][part]
                    for c in changed[part]
                    if c in values and values[c][part] is not None
                }
        return parts

    return {**sheet(old), "is_submitted": _is_submitted(current)}, sheet(new)


def _plain_score(value: Decimal) -> str:
    """A score without trailing zeros (8.0 → 8, 7.50 → 7.5)."""
    return format(Decimal(value).normalize(), "f")


def load_evaluation_sheets(
    con: duckdb.DuckDBPyConnection,
    submission_id: str,
    loaded_at: datetime,
    round_id: str,
    submitted_by: str,
    sheets: Mapping[str, pl.DataFrame],
) -> None:
    """Load an accepted score sheet inside the caller's transaction: each archive and scorer's sheet replaces the
    earlier one (submitted), reconciled values replace earlier ones, then the round's results are recomputed.

    The round is asked again here: one closed since the workbook was validated (and perhaps its problems issued as
    findings, whose scores must not change) raises, rolling the submission back.
    """
    found = fetch_round(con, round_id)
    if found is None or not found["is_open"]:
        raise IllegalTransition(
            f"评价轮次 {round_id} 在本工作簿校验之后已结束，评分未装载。",
            hint="本轮结束后不能再提交或修改评分。",
        )
    rows = list(sheets[EVALUATION_SCORES_FORM.sheet_name].iter_rows(named=True))
    sheet_name = EVALUATION_SCORES_FORM.sheet_name
    # Asked again too: an expert may have filled in their own sheet on the platform since validation.
    own = fetch_own_sheets(con, round_id)
    for r in rows:
        if (saved_at := own.get((r["archive_code"], r["scorer"]))) is not None:
            raise AccessDenied(
                describe_own_sheet(r["archive_code"], r["scorer"], saved_at),
                sheet=sheet_name,
                row=r["excel_row"],
                column=EVALUATION_SCORES_FORM.field("scorer").label,
            )
    for archive, scorer in dict.fromkeys((r["archive_code"], r["scorer"]) for r in rows):
        con.execute(
            "DELETE FROM evaluation_scores WHERE round_id = ? AND archive_code = ? AND scorer = ?",
            [round_id, archive, scorer],
        )
    lineage = {"submission_id": submission_id, "sheet_name": sheet_name}
    insert_rows(
        con,
        "evaluation_scores",
        [
            {
                "round_id": round_id,
                "archive_code": r["archive_code"],
                "scorer": r["scorer"],
                "is_self": r["scorer"] == SELF_SOURCE,
                "item_code": r["item_code"],
                "score": as_decimal(r["score"]),
                "veto_passed": None if r["veto_verdict"] is None else r["veto_verdict"] == VETO_PASSED,
                "evidence": r["evidence"],
                "remark": r.get("remark"),  # PJDF-2025.2 on (validation refuses one on a self-evaluation row)
                "is_submitted": True,
                "saved_at": loaded_at,
                "saved_by": submitted_by,
                **lineage,
                "excel_row": r["excel_row"],
            }
            for r in rows
        ],
    )
    # The panel's reconciled values come from its experts' rows (validation refuses one on a self-evaluation row).
    reconciled = {
        (r["archive_code"], r["item_code"]): r
        for r in rows
        if r["reconciled"] is not None and r["scorer"] != SELF_SOURCE
    }
    for archive, item in reconciled:
        con.execute(
            "DELETE FROM evaluation_reconciliations WHERE round_id = ? AND archive_code = ? AND item_code = ?",
            [round_id, archive, item],
        )
    insert_rows(
        con,
        "evaluation_reconciliations",
        [
            {
                "round_id": round_id,
                "archive_code": archive,
                "item_code": item,
                "value": as_decimal(r["reconciled"]),
                "note": r["note"],
                "recorded_at": loaded_at,
                "recorded_by": submitted_by,
                **lineage,
                "excel_row": r["excel_row"],
            }
            for (archive, item), r in reconciled.items()
        ],
    )
    recompute_results(con, round_id)


def record_reconciliations(
    con: duckdb.DuckDBPyConnection,
    by: str,
    archive_code: str,
    values: Mapping[str, Reconciliation],
    round_id: str = DEFAULT_ROUND,
) -> dict[str, Any]:
    """The expert panel's reconciled values (合议分, each with its 合议说明) of an archive's items at 待合议, entered
    by the bureau on the platform while the round is open, as an upload's experts' rows give them: each checked as
    those are (0..the maximum, one decimal, a note), replacing an earlier one, then the round's results recomputed.
    Only an item the archive waits on is taken (the others' experts agree: a value there would not count); nothing
    is written when any value is refused, nor for one saved again as it was ("unchanged"). Experts who all scored on
    the web had no other way to give one."""
    by = _who(by)
    check_may_organise_evaluation(con, by)
    require_archive(archive_code)
    with transaction(con):
        found = fetch_round(con, round_id)
        if found is None or not found["is_open"]:
            raise IllegalTransition(
                f"评价轮次 {round_id} 已结束，不能再录入合议分。", hint="合议分须在本轮评价结束前录入。"
            )
        # Items waiting for the panel's value, and those given one (a value mistyped is corrected while it is open).
        open_rows = query_pending_reconciliations(con, archive_code, round_id, settled=True)
        open_items = {row["item_code"] for row in open_rows}
        stray = sorted(code[:20] for code in values if code not in open_items)
        if stray:
            raise UsageError(
                f"{archive_label(archive_code)}的以下评分项各专家评分相差未超过该项满分的20%，得分取专家平均分，"
                f"合议分不会采用：{'、'.join(stray)}。",
                hint="只为专家评分相差超过该项满分20%的评分项录入或更正合议分（见该馆的合议评分项）。",
            )
        if not values:
            raise UsageError("没有填写合议分。", hint="请为待合议的评分项填写合议分和合议说明。")
        problems = check_reconciliations(get_standard(found["standard_version"]), {}, values)
        if problems:
            raise EvaluationInvalid(problems)
        saved = {row["item_code"]: (row["reconciled"], row["reconciled_note"]) for row in open_rows}
        unchanged = sorted(item for item, v in values.items() if saved.get(item) == (v.value, v.note.strip()))
        values = {item: v for item, v in values.items() if item not in unchanged}  # saved again as they were
        if not values:
            return {"archive_code": archive_code, "reconciled": [], "unchanged": unchanged}
        now = utc_now()
        for item in values:
            con.execute(
                "DELETE FROM evaluation_reconciliations WHERE round_id = ? AND archive_code = ? AND item_code = ?",
                [round_id, archive_code, item],
            )
        insert_rows(
            con,
            "evaluation_reconciliations",
            [
                {
                    "round_id": round_id,
                    "archive_code": archive_code,
                    "item_code": item,
                    "value": value.value,
                    "note": value.note.strip(),
                    "recorded_at": now,
                    "recorded_by": by,
                }
                for item, value in values.items()
            ],
        )
        record_event(
            con, AuditKind.EVALUATION_SCORE, "reconcile", actor=by, target=archive_code,
            after={"round_id": round_id, "reconciled": {item: str(v.value) for item, v in values.items()}},
        )  # fmt: skip
        recompute_results(con, round_id)
        result = fetch_named(
            con,
            "SELECT status, final_score, unreconciled FROM mart_evaluation_results WHERE round_id = ? AND archive_code = ?",
            [round_id, archive_code],
        )
    return {
        "archive_code": archive_code,
        "reconciled": sorted(values),
        "unchanged": unchanged,
        **(result[0] if result else {}),
    }


# ---------------------------------------------------------------------------------------------------- results


def fetch_score_sheets(
    con: duckdb.DuckDBPyConnection, round_id: str
) -> tuple[dict[str, ScoreSheet], dict[str, list[ScoreSheet]], dict[str, dict[str, Reconciliation]]]:
    """The round's submitted sheets: self sheet by archive, expert sheets by archive, reconciliations by archive."""
    scores: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    verdicts: dict[tuple[str, str], dict[str, bool]] = defaultdict(dict)
    for archive, scorer, item, score, passed in con.execute(
        "SELECT archive_code, scorer, item_code, score, veto_passed FROM evaluation_scores "
        "WHERE round_id = ? AND is_submitted ORDER BY archive_code, scorer, item_code",
        [round_id],
    ).fetchall():
        if score is not None:
            scores[(archive, scorer)][item] = score
        if passed is not None:
            verdicts[(archive, scorer)][item] = passed
    self_sheets: dict[str, ScoreSheet] = {}
    expert_sheets: dict[str, list[ScoreSheet]] = defaultdict(list)
    for archive, scorer in sorted(set(scores) | set(verdicts)):
        sheet = ScoreSheet(scorer, scores[(archive, scorer)], verdicts[(archive, scorer)])
        if scorer == SELF_SOURCE:
            self_sheets[archive] = sheet
        else:
            expert_sheets[archive].append(sheet)
    reconciliations: dict[str, dict[str, Reconciliation]] = defaultdict(dict)
    for archive, item, value, note in con.execute(
        "SELECT archive_code, item_code, value, note FROM evaluation_reconciliations WHERE round_id = ?", [round_id]
    ).fetchall():
        reconciliations[archive][item] = Reconciliation(value, note)
    return self_sheets, expert_sheets, reconciliations


# The result marts, recomputed whole for a round (constant statements: table names are never interpolated).
_CLEAR_RESULTS = (
    "DELETE FROM mart_evaluation_results WHERE round_id = ?",
    "DELETE FROM mart_evaluation_area_results WHERE round_id = ?",
    "DELETE FROM mart_evaluation_item_results WHERE round_id = ?",
)


def recompute_results(con: duckdb.DuckDBPyConnection, round_id: str) -> None:
    """Derive every archive's status, result, area subtotals, item results and rank from the submitted scores."""
    found = fetch_round(con, round_id)
    standard = get_standard(found["standard_version"] if found else None)
    self_sheets, expert_sheets, reconciliations = fetch_score_sheets(con, round_id)
    assigned = Counter(
        archive
        for (archive,) in con.execute(
            "SELECT archive_code FROM evaluation_assignments WHERE round_id = ?", [round_id]
        ).fetchall()
    )
    evaluations = {
        code: evaluate_archive(
            standard, self_sheets.get(code), expert_sheets.get(code, []), reconciliations.get(code, {})
        )
        for code in archive_names()
    }
    complete: dict[str, ArchiveResult] = {code: e.result for code, e in evaluations.items() if e.result is not None}
    ranks = {r.archive_code: r.rank for r in rank_archives(complete)}
    now = utc_now()
    for sql in _CLEAR_RESULTS:
        con.execute(sql, [round_id])
    results, areas, items = [], [], []
    for code, e in evaluations.items():
        r = e.result
        key = {"round_id": round_id, "archive_code": code}
        results.append(
            {
                **key,
                "status": e.status.value,
                "experts": len(e.experts),
                "assigned": assigned[code],
                "total": r.total if r else None,
                "bonus_claimed": r.bonus_claimed if r else None,
                "bonus": r.bonus_capped if r else None,
                "final_score": r.final_score if r else None,
                "grade": r.grade.value if r else None,
                "rank": ranks.get(code),
                "veto_failures": list(r.veto_failures) if r else None,
                "deviation_count": len(r.deviations) if r else None,
                "unreconciled": list(e.unreconciled),
                "computed_at": now,
            }
        )
        if r is None:
            continue
        deviating = {d.item_code for d in r.deviations}
        areas += [
            {**key, "area_code": a.code, "subtotal": r.area_subtotals[a.code], "max_points": a.max_points}
            for a in standard.areas
        ]
        own = self_sheets[code].scores
        # The standard's items, then the bonus items its experts awarded (the bonus was a sum without its parts).
        codes = [i.code for i in standard.items] + [b.code for b in standard.bonus_items if b.code in r.bonus_items]
        for item_code in codes:
            ir = r.items[item_code] if item_code in r.items else r.bonus_items[item_code]
            items.append(
                {
                    **key,
                    "item_code": item_code,
                    # A bonus item the archive did not claim: its own claim is none (0).
                    "self_score": own.get(item_code, Decimal(0)),
                    "expert_scores": list(ir.expert_scores),
                    "expert_mean": ir.mean,
                    "spread": ir.spread,
                    "needs_reconciliation": ir.needs_reconciliation,
                    "score": ir.score,
                    "is_reconciled": ir.is_reconciled,
                    "reconciliation_note": ir.note,
                    "is_deviation": item_code in deviating,
                }
            )
    insert_rows(con, "mart_evaluation_results", results)
    insert_rows(con, "mart_evaluation_area_results", areas)
    insert_rows(con, "mart_evaluation_item_results", items)


def query_evaluation_results(
    con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND, archive_code: str | None = None
) -> list[dict[str, Any]]:
    """Every archive's status, whether it has sent its self-evaluation (`self_state`), total, bonus, final score,
    grade and rank (best first, then the unfinished), or one archive's.

    Grain: one row per comprehensive archive in the round (all 47 once any score was recorded).
    """
    rows = fetch_named(
        con,
        "SELECT * EXCLUDE (computed_at) FROM mart_evaluation_results WHERE round_id = ? "
        "AND (? IS NULL OR archive_code = ?) ORDER BY rank NULLS LAST, archive_code",
        [round_id, archive_code, archive_code],
    )
    names, sent = archive_names(), self_evaluation_states(con, round_id)
    for row in rows:
        row["archive_name"] = names[row["archive_code"]]
        row["self_state"] = sent.get(row["archive_code"], SELF_NOT_SENT)
    return rows


def query_area_results(
    con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND, archive_code: str | None = None
) -> list[dict[str, Any]]:
    """Area subtotals of the archives whose evaluation is complete. Grain: one row per archive and area."""
    names = {a.code: a.name for a in get_standard().areas}
    rows = fetch_named(
        con,
        "SELECT archive_code, area_code, subtotal, max_points FROM mart_evaluation_area_results "
        "WHERE round_id = ? AND (? IS NULL OR archive_code = ?) ORDER BY archive_code, area_code",
        [round_id, archive_code, archive_code],
    )
    for row in rows:
        row["area_name"] = names.get(row["area_code"], row["area_code"])
    return rows


def query_item_results(
    con: duckdb.DuckDBPyConnection, archive_code: str, round_id: str = DEFAULT_ROUND
) -> list[dict[str, Any]]:
    """An archive's items: self score, experts' scores, mean, reconciled value and note, the score that counts,
    deviation flag, a veto item's verdict (通过 or 不通过, the archive's), with the item's text and maximum. Grain: one row per
    scoring item, in standard order, then one per bonus item its experts awarded (area 加分项; its score counts
    towards the bonus, capped)."""
    standard = get_standard()
    failed = con.execute(
        "SELECT veto_failures FROM mart_evaluation_results WHERE round_id = ? AND archive_code = ?",
        [round_id, archive_code],
    ).fetchone()
    vetoes = set(failed[0] or ()) if failed else set()
    found = {
        r["item_code"]: r
        for r in fetch_named(
            con,
            "SELECT * EXCLUDE (round_id, archive_code) FROM mart_evaluation_item_results "
            "WHERE round_id = ? AND archive_code = ?",
            [round_id, archive_code],
        )
    }
    rows = []
    for area in standard.areas:
        for indicator in area.indicators:
            for item in indicator.items:
                if item.code in found:
                    rows.append(
                        {
                            "area_code": area.code,
                            "area_name": area.name,
                            "indicator_name": indicator.name,
                            "item_text": item.text,
                            "max_points": item.max_points,
                            "is_veto": item.is_veto,
                            "veto_verdict": (VETO_FAILED if item.code in vetoes else VETO_PASSED)
                            if item.is_veto
                            else None,
                            **found[item.code],
                            "item_code": item.code,
                        }
                    )
    # The bonus items the experts awarded, after the standard's: what the 加分 is made of.
    rows += [
        {
            "area_code": None,
            "area_name": BONUS_AREA,
            "indicator_name": BONUS_AREA,
            "item_text": bonus.text,
            "max_points": bonus.max_points,
            "is_veto": False,
            "veto_verdict": None,
            **found[bonus.code],
            "item_code": bonus.code,
        }
        for bonus in standard.bonus_items
        if bonus.code in found
    ]
    return rows


def fetch_remarks(
    con: duckdb.DuckDBPyConnection, archive_code: str, round_id: str = DEFAULT_ROUND
) -> dict[str, list[str]]:
    """What the experts found wrong with an archive's items (their 扣分说明 on submitted sheets, where they took
    points off: a remark beside full marks says nothing wrong): item code -> the distinct remarks, in the experts'
    order, each without its closing full stop (they are joined with ；)."""
    maxima = {item.code: item.max_points for item in get_standard().items}
    found: dict[str, list[str]] = defaultdict(list)
    for item, score, text in con.execute(
        "SELECT item_code, score, remark FROM evaluation_scores WHERE round_id = ? AND archive_code = ? "
        "AND is_submitted AND NOT is_self AND remark IS NOT NULL ORDER BY scorer, item_code",
        [round_id, archive_code],
    ).fetchall():
        remark = text.rstrip("。；;.")
        if item in maxima and score is not None and score < maxima[item] and remark and remark not in found[item]:
            found[item].append(remark)
    return dict(found)


def query_pending_reconciliations(
    con: duckdb.DuckDBPyConnection, archive_code: str, round_id: str = DEFAULT_ROUND, *, settled: bool = False
) -> list[dict[str, Any]]:
    """The items holding an archive at 待合议 (scoring items, then bonus items): each with its text, maximum, the
    submitted experts' scores (a bonus item left blank as 0, as scoring counts it), their spread and the spread
    allowed (20 % of the maximum); experts named as people read them. With `settled`, the items the panel has given
    a value too, with it and its note (`reconciled`, `reconciled_note`; None for those still waiting): what the
    bureau may correct while the round is open, and the experts who submitted their sheet again after it was
    recorded (`rescored_after`: their score may have changed since the panel agreed). Grain: one row per item, in
    standard order."""
    found = fetch_named(
        con,
        "SELECT unreconciled FROM mart_evaluation_results WHERE round_id = ? AND archive_code = ?",
        [round_id, archive_code],
    )
    reconciled = (
        {
            item: (value, note, recorded_at)
            for item, value, note, recorded_at in con.execute(
                "SELECT item_code, value, note, recorded_at FROM evaluation_reconciliations "
                "WHERE round_id = ? AND archive_code = ?",
                [round_id, archive_code],
            ).fetchall()
        }
        if settled
        else {}
    )
    pending = (set(found[0]["unreconciled"] or ()) if found else set()) | set(reconciled)
    scores: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    rescored: dict[str, list[str]] = defaultdict(list)
    for scorer, item, score, saved_at in con.execute(
        "SELECT scorer, item_code, score, saved_at FROM evaluation_scores WHERE round_id = ? AND archive_code = ? "
        "AND is_submitted AND NOT is_self AND score IS NOT NULL AND list_contains(?, item_code) ORDER BY scorer",
        [round_id, archive_code, sorted(pending)],
    ).fetchall():
        scores[item].append((scorer, score))
        if item in reconciled and saved_at > reconciled[item][2]:
            rescored[item].append(scorer)
    standard = get_standard((fetch_round(con, round_id) or {}).get("standard_version"))
    experts = [
        scorer
        for (scorer,) in con.execute(
            "SELECT DISTINCT scorer FROM evaluation_scores WHERE round_id = ? AND archive_code = ? AND is_submitted "
            "AND NOT is_self ORDER BY scorer",
            [round_id, archive_code],
        ).fetchall()
    ]
    for bonus in standard.bonus_items:
        given = dict(scores[bonus.code])
        scores[bonus.code] = [(scorer, given.get(scorer, Decimal(0))) for scorer in experts]
    # Each expert as people read them: the account's person with the account (王敏（evaluator）).
    names = account_names(con)
    rows = []
    items: list[ScoringItem | BonusItem] = [*standard.items, *standard.bonus_items]
    for item in items:
        if item.code in pending:
            values = [score for _, score in scores[item.code]]
            rows.append(
                {
                    "item_code": item.code,
                    "item_text": item.text,
                    "max_points": item.max_points,
                    "expert_scores": [(person_label(s, names.get(s)), score) for s, score in scores[item.code]],
                    "spread": max(values) - min(values) if values else None,
                    "allowed": tolerance(item.max_points),
                    "reconciled": reconciled.get(item.code, (None, None, None))[0],
                    "reconciled_note": reconciled.get(item.code, (None, None, None))[1],
                    "rescored_after": [person_label(s, names.get(s)) for s in rescored[item.code]],
                }
            )
    return rows


def query_deviations(
    con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND, archive_code: str | None = None
) -> list[dict[str, Any]]:
    """Items whose self score differs from the expert score by more than 20 % of the item's maximum.

    Grain: one row per archive and deviating item.
    """
    return fetch_named(
        con,
        "SELECT archive_code, item_code, self_score, score AS expert_score, abs(self_score - score) AS difference "
        "FROM mart_evaluation_item_results WHERE round_id = ? AND is_deviation AND (? IS NULL OR archive_code = ?) "
        "ORDER BY archive_code, item_code",
        [round_id, archive_code, archive_code],
    )


def check_province_archive(province_code: str | None, archive_code: str) -> None:
    """AccessDenied unless the archive (one of the 47: NotFound otherwise) lies in the provincial office's province."""
    require_archive(archive_code)
    if archive_code not in {a.archive_code for a in archives_in_province(province_code or "")}:
        raise AccessDenied(
            f"{archive_label(archive_code)}不在本省：省级档案部门只能查看本省（{describe_division(province_code or '')}）"
            "综合档案馆的评价。"
        )


def results_published(con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND) -> bool:
    """Whether the round is over, its scores, grades and ranks final: what an evaluated archive's province may see."""
    found = fetch_round(con, round_id)
    return found is not None and not found["is_open"]


def describe_result_state(
    con: duckdb.DuckDBPyConnection,
    round_id: str = DEFAULT_ROUND,
    archive_code: str | None = None,
    *,
    province_code: str | None = None,
) -> str:
    """Whether the round's results (or one archive's) are final or still provisional, and why, in Chinese.

    While the round is open an expert may still submit, withdraw or change a sheet, so a score, grade or rank is
    provisional even where three experts have submitted (the experts assigned but not yet submitted are counted)."""
    found = fetch_round(con, round_id)
    if found is None:
        return f"评价轮次 {round_id} 尚未开启，还没有评价结果。"
    if not found["is_open"]:
        closed = closed_phrase(found["closed_at"]) or "未开启"
        waiting = awaiting_reconciliation(con, round_id)
        if not waiting:
            return f"评价轮次 {round_id} {closed}，得分、等次和排名为最终结果。"
        # Which they are, as the reader may know it: a province's office read another province's archive as its own.
        if archive_code is not None:
            which = "即本馆" if archive_code in waiting else "不是本馆"
        elif province_code is not None:
            own = len({a.archive_code for a in archives_in_province(province_code)} & set(waiting))
            which = f"其中本省 {own} 家" if own else "不在本省"
        else:
            which = "、".join(archive_label(code) for code in waiting)
        # A closed round takes no scores workbook, so no 合议分: reopening it (refused once findings are issued) would.
        return (
            f"评价轮次 {round_id} {closed}，得分和等次为最终结果；{len(waiting)} 家档案馆待合议（{which}），没有得分和"
            "排名：须重新开启本轮次录入合议分后计算（已下发整改问题的轮次不能重新开启），全国排名可能随之变化。"
        )
    rows = con.execute(
        "SELECT count(*) FILTER (WHERE assigned > experts), coalesce(sum(greatest(assigned - experts, 0)), 0), "
        "coalesce(sum(assigned), 0) FROM mart_evaluation_results WHERE round_id = ? AND (? IS NULL OR archive_code = ?)",
        [round_id, archive_code, archive_code],
    ).fetchone()
    archives, experts, assigned = rows if rows else (0, 0, 0)
    if not assigned:
        pending = "尚未分派专家"
    elif not experts:
        pending = "分派的专家均已提交"
    elif archive_code is not None:
        pending = f"本馆尚有 {experts} 位分派的专家未提交评分"
    else:
        pending = f"{archives} 家档案馆尚有共 {experts} 位分派的专家未提交评分"
    return (
        f"评价轮次 {round_id} 正在进行，得分、等次和排名均为暂定：专家仍可提交、撤回或修改评分（{pending}）；"
        "本轮评价结束后才是最终结果。"
    )


def summarize_evaluation(con: duckdb.DuckDBPyConnection, round_id: str = DEFAULT_ROUND) -> dict[str, Any]:
    """The round at a glance: open or not, archives by status, grades of the completed ones, assignments."""
    found = fetch_round(con, round_id)
    results = query_evaluation_results(con, round_id)
    statuses = Counter(r["status"] for r in results)
    grades = Counter(r["grade"] for r in results if r["grade"])
    assignments = fetch_named(
        con,
        "SELECT count(*) AS assignments, count(DISTINCT archive_code) AS assigned_archives, "
        "count(DISTINCT evaluator) AS evaluators FROM evaluation_assignments WHERE round_id = ?",
        [round_id],
    )[0]
    return {
        "round": round_id,
        "is_open": bool(found and found["is_open"]),
        "closed_at": found["closed_at"] if found else None,
        "archives": len(archive_names()),
        **assignments,
        "by_status": {s.value: statuses.get(s.value, 0) for s in EvaluationStatus},
        "grades": {g.value: grades.get(g.value, 0) for g in Grade},
    }
