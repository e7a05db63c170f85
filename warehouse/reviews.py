"""The review lifecycle of accepted submissions: 待审核 → 已审核 or 已退回, every change recorded."""

from __future__ import annotations

from typing import Any, Literal

import duckdb

from census_schema.audit import AuditKind
from census_schema.errors import IllegalTransition, NotFound, UsageError
from warehouse.audit import record_event
from warehouse.transactions import transaction, utc_now

Action = Literal["accept", "return"]
PENDING, APPROVED, RETURNED = "待审核", "已审核", "已退回"
# action → {from state: to state}. 已审核 is final: a correction arrives as a new file, which supersedes the
# reviewed one and starts again at 待审核. A returned submission may still be accepted when the province shows
# the data was right after all, without uploading the same file again.
TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {PENDING: APPROVED, RETURNED: APPROVED},
    "return": {PENDING: RETURNED},
}
ACTION_LABELS = {"accept": "审核通过", "return": "退回"}


def review_submission(
    con: duckdb.DuckDBPyConnection, submission_id: str, action: Action, by: str, reason: str | None
) -> dict[str, Any]:
    """Accept or return a current accepted submission, recording the change in the same transaction."""
    if action not in TRANSITIONS:
        raise UsageError(f"未知的审核操作「{action}」。", hint=f"可用的操作：{', '.join(TRANSITIONS)}。")
    by, reason = by.strip(), (reason or "").strip() or None
    if not by:
        raise UsageError("未指明审核人。", hint="请用 --by 填写审核人的用户名。")
    if action == "return" and reason is None:
        raise UsageError("退回报送必须说明原因。", hint="请用 --reason 写明需要省里修改的内容。")
    with transaction(con):
        return _apply_review(con, submission_id, action, by, reason)


def _apply_review(
    con: duckdb.DuckDBPyConnection, submission_id: str, action: str, by: str, reason: str | None
) -> dict[str, Any]:
    row = con.execute(
        "SELECT status, is_current, superseded_by, review_state FROM submissions WHERE submission_id = ?",
        [submission_id],
    ).fetchone()
    if row is None:
        raise NotFound(f"找不到报送记录「{submission_id}」。", hint="请用 archive-census submissions 查看报送编号。")
    status, is_current, superseded_by, state = row
    label = ACTION_LABELS[action]
    if status != "accepted":
        raise IllegalTransition(
            f"报送「{submission_id}」未通过校验，不能{label}。",
            hint="校验未通过的报送不进入审核，请由省里修改后重新上传。",
        )
    if not is_current:
        raise IllegalTransition(
            f"报送「{submission_id}」已被「{superseded_by}」替代，不能{label}。", hint="请审核该省当前有效的报送。"
        )
    if state is None:
        raise IllegalTransition(
            f"报送「{submission_id}」是监督检查、评价或规划指标的报送，接收即生效，不经审核。",
            hint="只有普查表和普查对象名录的报送需要审核。",
        )
    to_state = TRANSITIONS[action].get(state)
    if to_state is None:
        allowed = "、".join(TRANSITIONS[action])
        raise IllegalTransition(
            f"报送「{submission_id}」当前为「{state}」，不能{label}（只有「{allowed}」状态可以{label}）。"
        )
    changed_at = utc_now()
    con.execute("UPDATE submissions SET review_state = ? WHERE submission_id = ?", [to_state, submission_id])
    con.execute(
        "INSERT INTO submission_reviews (submission_id, changed_at, changed_by, from_state, to_state, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [submission_id, changed_at, by, state, to_state, reason],
    )
    record_event(
        con, AuditKind.REVIEW, action, actor=by, target=submission_id,
        before={"review_state": state}, after={"review_state": to_state}, reason=reason,
    )  # fmt: skip
    return {
        "submission_id": submission_id,
        "action": action,
        "from_state": state,
        "to_state": to_state,
        "changed_by": by,
        "changed_at": changed_at,
        "reason": reason,
    }
