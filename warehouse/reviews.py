"""The review lifecycle of accepted returns and registers, level by level, every change recorded.

A return of a prefecture or county is reviewed first by its province (待省级审核), then by the national bureau
(待国家局审核); a province-wide return and a central channel's return only by the national bureau. A county's return
is reviewed before its province by its prefecture's office (待地级审核) when that office had an active account when the
return was loaded (each level reviews the level below; a prefecture without one leaves it to the province); the
province may stand in for the prefecture (its acceptance then counts for both). A return a level's own office sent
for a scope below it starts above that level (`above_sender`). Either level
accepts, or returns with a reason (已退回): a returned return leaves the figures and its uploader sees why. 已审核
is final: a correction arrives as a new file, which supersedes the reviewed one and starts again (the same rows
saved again keep the progress they had: `warehouse.loads`). A returned return
may still be accepted by the level that returned it, when the uploader shows the data was right after all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, NoReturn

import duckdb

from census_schema.audit import AuditKind
from census_schema.clock import format_beijing
from census_schema.divisions import load_divisions
from census_schema.errors import AccessDenied, IllegalTransition, NotFound, UsageError
from census_schema.failures import require_seen
from census_schema.forms import KIND_LABELS
from census_schema.roles import Role
from census_schema.scopes import (
    APPROVED,
    NATIONAL_REVIEW,
    NEXT_REVIEW_LEVEL,
    PENDING,
    PREFECTURE_REVIEW,
    PROVINCE_REVIEW,
    RETURNED,
    REVIEW_LEVEL_LABELS,
    WITHDRAWN,
    WITHDRAWN_PREFIX,
    Scope,
    ScopeKind,
    account_scope,
    parse_stored_scope,
    return_reason_clause,
    review_label,
    shown_progress,
)
from warehouse.audit import record_event
from warehouse.queries import fetch_named
from warehouse.scopes import fetch_replaced_return
from warehouse.transactions import transaction, utc_now
from warehouse.users import account_named, person_of

Action = Literal["accept", "return", "withdraw"]
# (action, state) -> the state after it, at the level whose turn it is. Accepting at the province level hands the
# return on to the national level; accepting at the national level (or a province-wide or central return) is final.
TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {PENDING: APPROVED, RETURNED: APPROVED},
    "return": {PENDING: RETURNED},
    # Its sender takes back a return still under review, at whatever level: it counts nowhere, as a returned one.
    "withdraw": {PENDING: RETURNED},
}
ACTION_LABELS = {"accept": "审核通过", "return": "退回", "withdraw": "撤回"}
# The reason's name on the page's form, in a refusal of what it holds.
REASON_LABELS = {"accept": "审核说明", "return": "退回理由", "withdraw": "撤回理由"}
# The level a withdrawal is recorded at (its sender's, not a reviewer's); its reason begins with WITHDRAWN_PREFIX.
SENDER_LEVEL = "sender"
# The levels in the order a return climbs them.
REVIEW_LEVELS = (PREFECTURE_REVIEW, PROVINCE_REVIEW, NATIONAL_REVIEW)
# The longest reason a review keeps (it is shown on every page and message that names the return, and in the audit
# log): a probe's 6,000 characters were all of it.
MAX_REVIEW_REASON = 500


@dataclass(frozen=True)
class Reviewer:
    """Who reviews: a user's name, role and (for a provincial office) province, (for a prefecture's) division."""

    name: str
    role: Role
    province_code: str | None = None
    scope_code: str | None = None

    @classmethod
    def of_account(cls, account: Mapping[str, Any]) -> Reviewer:
        """The reviewer an account is (a row of `query_accounts`, or any mapping with its name, role and scope)."""
        return cls(account["user_name"], Role(account["role"]), account["province_code"], account["scope_code"])

    @property
    def level(self) -> str | None:
        """The level the reviewer acts at: national (the bureau's planners), province, prefecture (its counties'
        returns), or none (an administrator manages accounts and reads; an evaluator scores; a county's or central
        channel's office sends)."""
        if self.role is Role.PLANNER:
            return NATIONAL_REVIEW
        if self.role is Role.PROVINCE and self.province_code:
            return PROVINCE_REVIEW
        if self.role is Role.PREFECTURE and self.scope_code:
            return PREFECTURE_REVIEW
        return None

    def reaches(self, province_code: str | None, scope: Scope | None) -> bool:
        """Whether a return of this province and scope is within the reviewer's reach at all (a province's office:
        its province's; a prefecture's: its own and its counties' (it reviews only its counties'); the bureau: every
        one)."""
        if self.level == PROVINCE_REVIEW:
            return province_code == self.province_code
        if self.level == PREFECTURE_REVIEW and self.scope_code:
            return scope is not None and Scope(ScopeKind.PREFECTURE, self.scope_code).covers(scope)
        return self.level == NATIONAL_REVIEW


def under_review(submission: dict[str, Any]) -> bool:
    """Whether a submission (a row of `list_submissions`) is under review at some level: current, accepted, pending."""
    return bool(
        submission["is_current"] and submission["status"] == "accepted" and submission["review_state"] == PENDING
    )


def awaits(reviewer: Reviewer, submission: dict[str, Any]) -> bool:
    """Whether a submission (a row of `list_submissions`) is waiting for this reviewer now: under review, and its turn
    the reviewer's (`_check_level`, the rule a review itself is held to)."""
    if not under_review(submission):
        return False
    scope = parse_stored_scope(submission["scope_kind"], submission["scope_code"], submission["province_code"])
    stage = submission["review_stage"] or NATIONAL_REVIEW
    try:
        _check_level(submission["submission_id"], submission["province_code"], scope, stage, reviewer, "审核")
    except AccessDenied:
        return False
    return True


def describe_left_waiting(con: duckdb.DuckDBPyConnection, reviewer: Reviewer) -> str | None:
    """What disabling a reviewer's account leaves: the returns waiting for its level now, and who can still review
    them (another active account of the same level and scope, the province standing in for a prefecture, or no one
    until an account is set up); None when nothing waits for it."""
    if reviewer.level is None:
        return None
    rows = fetch_named(
        con,
        "SELECT submission_id, is_current, status, review_state, review_stage, scope_kind, scope_code, province_code "
        "FROM submissions WHERE is_current AND status = 'accepted' AND review_state = ?",
        [PENDING],
    )
    # At the account's own level: a province may stand in for a prefecture, but those wait for the prefecture.
    waiting = sum(awaits(reviewer, row) for row in rows if (row["review_stage"] or NATIONAL_REVIEW) == reviewer.level)
    if not waiting:
        return None
    found = con.execute(
        "SELECT count(*) FROM users WHERE is_active AND role = ? AND province_code IS NOT DISTINCT FROM ? "
        "AND scope_code IS NOT DISTINCT FROM ? AND user_name <> ?",
        [reviewer.role.value, reviewer.province_code, reviewer.scope_code, reviewer.name],
    ).fetchone()
    said = f"现有 {waiting} 份报表轮到该账号（{REVIEW_LEVEL_LABELS[reviewer.level]}）审核"
    if found and found[0]:
        return f"{said}，停用后可由同级其他 {found[0]} 个启用的账号审核"
    if reviewer.level == PREFECTURE_REVIEW:
        return f"{said}，停用后本地区没有启用的地级账号，这些报表须由省级档案部门代为审核"
    return f"{said}，停用后没有同级启用的账号能审核它们，请先另设账号"


def first_review_level(con: duckdb.DuckDBPyConnection, scope: Scope, sender: str) -> str:
    """Who reviews a newly loaded return of the scope first: a county's prefecture when its office has an active
    account, else as the scope says (the province for a prefecture or county, the nation for the rest); past the
    level whose office sent it (`above_sender`)."""
    prefecture = scope.prefecture_code
    level = scope.first_review_level
    if prefecture is not None:
        found = con.execute(
            "SELECT count(*) FROM users WHERE role = ? AND scope_code = ? AND is_active",
            [Role.PREFECTURE.value, prefecture],
        ).fetchone()
        level = PREFECTURE_REVIEW if found is not None and found[0] > 0 else level
    return above_sender(con, level, sender, scope)


def progress_given(
    con: duckdb.DuckDBPyConnection, submission_id: str, state: str, stage: str, scope: Scope, sender: str
) -> bool:
    """Whether a reviewer moved the return on (it is 已审核, or waits at a later level than a new return of its scope
    starts at because a reviewer passed it there): what replacing it voids. A return that merely waits at a later
    level (loaded before its prefecture's office had an account) was given nothing."""
    if state == APPROVED:
        return True
    if state != PENDING or stage == first_review_level(con, scope, sender):
        return False
    given = con.execute(
        "SELECT count(*) FROM submission_reviews WHERE submission_id = ? AND to_state = ?",
        [submission_id, review_label(state, stage)],
    ).fetchone()
    return given is not None and given[0] > 0


def above_sender(con: duckdb.DuckDBPyConnection, level: str, sender: str, scope: Scope | None) -> str:
    """`level`, or the first level above the one whose office sent the return (a province sending for one of its
    counties: the nation). A level's own upload is its word, as a province's own return goes straight to the bureau;
    and since nobody passes what they sent, a one-account province would otherwise wait on itself for ever."""
    if level not in NEXT_REVIEW_LEVEL or scope is None:  # the bureau's turn: nothing lies above it
        return level
    account = account_named(con, sender)
    if account is None:
        return level
    office = Reviewer(sender, account.role, account.province_code, account.scope_code)
    own = office.level
    if own not in (PREFECTURE_REVIEW, PROVINCE_REVIEW) or not office.reaches(scope.province_code, scope):
        return level
    while level in NEXT_REVIEW_LEVEL and REVIEW_LEVELS.index(level) <= REVIEW_LEVELS.index(own):
        level = NEXT_REVIEW_LEVEL[level]
    return level


def check_review_request(action: str, by: str, reason: str | None) -> tuple[str, str | None]:
    """The reviewer's name and reason, trimmed; UsageError for an unknown action, no reviewer, or a return without
    a reason."""
    if action not in TRANSITIONS:
        raise UsageError(f"未知的审核操作「{action}」。", hint=f"可用的操作：{', '.join(TRANSITIONS)}。")
    by, reason = by.strip(), (reason or "").strip() or None
    if not by:
        raise UsageError("未指明审核人。", hint="请用 --by 填写审核人的用户名。")
    if action == "return" and reason is None:
        raise UsageError("退回报送必须说明原因。", hint="请用 --reason 写明需要报送单位修改的内容。")
    if action == "withdraw" and reason is None:
        raise UsageError("撤回报送必须说明原因。", hint="请用 --reason 写明为什么撤回（如：误传了其他范围的表）。")
    require_seen(REASON_LABELS[action], reason, multiline=True)
    if reason is not None and len(reason) > MAX_REVIEW_REASON:
        raise UsageError(
            f"审核说明共 {len(reason):,} 字，超过 {MAX_REVIEW_REASON} 字的上限。本次未做任何处理。",
            hint="请写明要点（哪张表、哪几行、哪里不对、怎么改）；更长的说明请另行发给报送单位。",
        )
    if action == "withdraw":
        # Shown wherever a return's reason is (it reads 已退回): that its sender took it back says so.
        reason = f"{WITHDRAWN_PREFIX}{reason}"
    return by, reason


@dataclass(frozen=True)
class RecountedSubmission:
    """A submission a review took out of the figures (returned) or put back in (accepted after being returned)."""

    kind: str
    round_id: str
    province_code: str | None
    scope: Scope | None


OnRecount = Callable[[duckdb.DuckDBPyConnection, RecountedSubmission], None]


def review_submission(
    con: duckdb.DuckDBPyConnection,
    submission_id: str,
    action: Action,
    reviewer: Reviewer,
    reason: str | None,
    on_recount: OnRecount | None = None,
) -> dict[str, Any]:
    """Accept or return a current accepted return at the reviewer's level, recording the change in one transaction;
    `on_recount` runs in that transaction when the review took the return out of the figures or put it back."""
    by, reason = check_review_request(action, reviewer.name, reason)
    with transaction(con):
        reviewer = replace(reviewer, name=by)
        return _apply_review(con, submission_id, action, reviewer, reason, on_recount)


def _province_name(code: str | None) -> str:
    division = load_divisions().by_code.get(code or "")
    return f"{division.name}（{code}）" if division is not None else f"（{code}）"


def _office_of(reviewer: Reviewer) -> str:
    """The reviewer's office by its area, then the account: 广东省韶关市（prefecture）."""
    scope = account_scope(reviewer.role, reviewer.province_code, reviewer.scope_code)
    return f"{scope.name}（{reviewer.name}）" if scope is not None else reviewer.name


def describe_return(con: duckdb.DuckDBPyConnection, submission_id: str, reviewer: Reviewer) -> str | None:
    """What returning a current return awaiting review takes out of the figures, said before anyone presses 退回; None
    for an id that is not such a return or that is not this reviewer's to return now (another province's, or the
    province's turn before the nation's)."""
    row = con.execute(
        "SELECT province_code, scope_kind, scope_code, row_count, kind, review_stage FROM submissions "
        "WHERE submission_id = ? AND status = 'accepted' AND is_current AND review_state = ?",
        [submission_id, PENDING],
    ).fetchone()
    if row is None:
        return None
    scope = parse_stored_scope(row[1], row[2], row[0])
    try:
        _check_level(submission_id, row[0], scope, row[5] or NATIONAL_REVIEW, reviewer, "退回")
    except AccessDenied:
        return None
    return (
        _takes_out("退回", scope, row[3], row[4])
        + _replaced_stays_out(con, submission_id)
        + "报送单位会看到退回原因，退回记入审计日志。"
    )


def describe_withdrawal(con: duckdb.DuckDBPyConnection, submission_id: str, sender: str) -> str | None:
    """What its sender's withdrawal of a current return still under review takes out of the figures, said before
    撤回 is pressed; None for an id that is not such a return of theirs."""
    row = con.execute(
        "SELECT province_code, scope_kind, scope_code, row_count, kind FROM submissions WHERE submission_id = ? "
        "AND status = 'accepted' AND is_current AND review_state = ? AND submitted_by = ?",
        [submission_id, PENDING, sender],
    ).fetchone()
    if row is None:
        return None
    scope = parse_stored_scope(row[1], row[2], row[0])
    return (
        _takes_out("撤回", scope, row[3], row[4])
        + _replaced_stays_out(con, submission_id)
        + "审核人会看到撤回原因，撤回记入审计日志。"
    )


def _replaced_stays_out(con: duckdb.DuckDBPyConnection, submission_id: str) -> str:
    """That the return this one replaced does not count again (a probe's colleague's return left the figures
    unsaid when the return replacing it was withdrawn), naming it and its sender; "" when it replaced none."""
    found = fetch_replaced_return(con, submission_id)
    if found is None:
        return ""
    old, _ = found
    return (
        f"它所替换的报表（「{old.file_name}」，{old.submitter} {format_beijing(old.submitted_at)}报送）也不会恢复计入；"
    )


def _takes_out(verb: str, scope: Scope | None, row_count: int, kind: str) -> str:
    where = scope.label if scope is not None else "该范围"
    what = "普查表" if kind == "census" else "普查对象名录"
    # A register is also what the census returns are compared with (the re-judging is the flows' review).
    compared = "；与其核对的现行普查表将重新核对名录相关警告" if kind == "register" else ""
    return (
        f"{verb}将使{where}的这份{what}（{row_count:,} 个单位）不再计入统计数字，直到该范围重新报送"
        f"（新报表通过校验、装载后即计入，再经审核）{compared}；"
    )


# What an office can do about a return already 已审核 (a review is never undone: a new return replaces it).
FINAL_HINT = "审核结论不能撤销；如需改正，请由报送单位重新报送该范围的报表（新报表替换此表，须重新审核）。"


def _check_level(
    submission_id: str, province_code: str | None, scope: Scope | None, stage: str, reviewer: Reviewer, label: str
) -> None:
    """AccessDenied unless it is the reviewer's level's turn on this return (and, for a province or prefecture, its
    own); a province may act at its prefecture's turn."""
    where = scope.label if scope is not None else "该报送"
    level = reviewer.level
    if level is None:
        raise AccessDenied(
            f"{reviewer.name}（{reviewer.role.label}）不能审核报送。",
            hint="审核由地级、省级档案部门和国家档案局规划人员进行（系统管理员管理账号、查看数据，不审核）。",
        )
    if level == PROVINCE_REVIEW and province_code != reviewer.province_code:
        raise AccessDenied(
            f"报送「{submission_id}」属于{where}，不在 {reviewer.name} 所在省份{_province_name(reviewer.province_code)}，"
            f"不能{label}。",
            hint="省级档案部门只审核本省地级、县级单位的报表。",
        )
    if level == PREFECTURE_REVIEW and (scope is None or scope.prefecture_code != reviewer.scope_code):
        raise AccessDenied(
            f"报送「{submission_id}」是{where}的报表，不是{_office_of(reviewer)}所辖县级单位的报表，不能{label}。",
            hint="地级档案部门只审核所辖县级单位的报表；本地区自己的报表由省级档案部门、再由国家档案局审核。",
        )
    if level == PROVINCE_REVIEW and stage == PREFECTURE_REVIEW:
        return  # the province stands in for its prefecture
    if level != stage:
        if stage == PREFECTURE_REVIEW:
            raise AccessDenied(
                f"报送「{submission_id}」（{where}）须先由地级档案部门（或省级档案部门）审核，国家档案局暂不能{label}。",
                hint="待其所在地级档案部门或省级档案部门审核通过后，再由国家档案局审核。",
            )
        if level == PREFECTURE_REVIEW:
            raise AccessDenied(
                f"报送「{submission_id}」（{where}）现由{REVIEW_LEVEL_LABELS[stage]}审核，地级档案部门不能{label}。",
                # Past the prefecture's turn: it passed it, or sent it itself (its own upload skips its own review).
                hint="地级档案部门已审核通过的报表、以及地级档案部门自己报送的报表，由省级档案部门、再由国家档案局审核。",
            )
        if stage == PROVINCE_REVIEW:
            raise AccessDenied(
                f"报送「{submission_id}」（{where}）须先由省级档案部门审核，国家档案局暂不能{label}。",
                hint="待该省审核通过后，再由国家档案局审核。",
            )
        raise AccessDenied(
            f"报送「{submission_id}」（{where}）现由{REVIEW_LEVEL_LABELS[NATIONAL_REVIEW]}审核，省级档案部门不能{label}。",
            hint="全省的报表、中央渠道的报表以及省里已审核通过的地级、县级报表，由国家档案局审核。",
        )


def record_review_change(
    con: duckdb.DuckDBPyConnection,
    submission_id: str,
    action: str,
    by: str,
    reason: str | None,
    level: str,
    from_label: str | None,
    to: tuple[str, str],
) -> datetime:
    """Set a return's review progress (`to`: state and stage) and record the change at `level`, in its review
    history and the audit log; when it was made."""
    changed_at = utc_now()
    to_label = review_label(*to)
    con.execute(
        "UPDATE submissions SET review_state = ?, review_stage = ? WHERE submission_id = ?", [*to, submission_id]
    )
    con.execute(
        "INSERT INTO submission_reviews (submission_id, changed_at, changed_by, from_state, to_state, reason, "
        "review_level) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [submission_id, changed_at, by, from_label, to_label, reason, level],
    )
    # The progress labels (待省级审核, 待国家局审核, ...) say which level a change moved the return between; a return its
    # sender took back reads 已撤回 (its stored 已退回 read in the log as if a reviewer had sent it back).
    record_event(
        con, AuditKind.REVIEW, action, actor=by, target=submission_id,
        before={"review_state": from_label}, after={"review_state": shown_progress(to_label, reason)}, reason=reason,
    )  # fmt: skip
    return changed_at


def _refuse_progress(submission_id: str, action: str, state: str, stage: str) -> NoReturn:
    """IllegalTransition: the action does not apply to the return's progress (what it applies to is named)."""
    label = ACTION_LABELS[action]
    # Every progress the action applies to, at any level (待地级审核 can be returned too, by the prefecture).
    allowed = "、".join(
        dict.fromkeys(str(review_label(s, level)) for s in TRANSITIONS[action] for level in REVIEW_LEVELS)
    )
    raise IllegalTransition(
        f"报送「{submission_id}」当前为「{review_label(state, stage)}」，不能{label}（只有{allowed}的报送可以{label}）。",
        hint=FINAL_HINT if state == APPROVED else None,
    )


def _refuse_withdrawn(con: duckdb.DuckDBPyConnection, submission_id: str, label: str) -> None:
    """IllegalTransition for a return its sender took back: a reviewer who returned one may still pass it, but what
    its sender withdrew (as wrong, or sent by mistake) is not put back into the figures by another."""
    row = con.execute(
        "SELECT changed_by, changed_at, reason FROM latest_returns WHERE submission_id = ? AND review_level = ?",
        [submission_id, SENDER_LEVEL],
    ).fetchone()
    if row is None:
        return
    by, at, reason = row
    raise IllegalTransition(
        f"报送「{submission_id}」已由报送人{person_of(con, by)}于{format_beijing(at)}撤回（{return_reason_clause(reason)}），"
        f"不能{label}。",
        hint="撤回的报表不再审核，也不计入统计数字；如其数据仍应计入，请报送单位重新上传该范围的报表。",
    )


def _apply_review(
    con: duckdb.DuckDBPyConnection,
    submission_id: str,
    action: str,
    reviewer: Reviewer,
    reason: str | None,
    on_recount: OnRecount | None,
) -> dict[str, Any]:
    row = con.execute(
        "SELECT status, is_current, superseded_by, review_state, review_stage, province_code, scope_kind, scope_code, "
        "kind, round_id, submitted_by FROM submissions WHERE submission_id = ?",
        [submission_id],
    ).fetchone()
    # Another province's (or prefecture's) return is not found for a provincial (or prefecture's) reviewer: whether it
    # exists, and its state, are not theirs to learn either.
    scope = parse_stored_scope(row[6], row[7], row[5]) if row is not None else None
    below_nation = reviewer.level in (PREFECTURE_REVIEW, PROVINCE_REVIEW)
    if action == "withdraw" and (row is None or row[10] != reviewer.name):
        if row is not None and (
            reviewer.reaches(row[5], scope) or (scope is not None and scope.code == reviewer.scope_code)
        ):
            # A return the account sees anyway (its office's, its area's): who sent it, and who can take it back.
            account = con.execute("SELECT count(*) FROM users WHERE user_name = ?", [row[10]]).fetchone()
            hint = (
                f"如需撤下该表，请联系 {row[10]} 本人撤回，或由审核人写明原因退回。"
                if account and account[0]
                # Loaded by the command line under a name that is no account: nobody can withdraw it.
                else f"「{row[10]}」不是平台账号（该表由命令行代为装载），没有人能撤回它；如需撤下，请由审核人写明原因退回。"
            )
            raise AccessDenied(f"报送「{submission_id}」由 {row[10]} 提交，只有提交人本人可以撤回。", hint=hint)
        # Only its sender takes a return back: whether another area's exists is not theirs to learn.
        raise NotFound(
            f"找不到您本人提交的报送「{submission_id}」。",
            hint="只能撤回本人提交、尚在审核中的报表；请核对提交编号（见“提交记录”）。",
        )
    if row is None or (action != "withdraw" and below_nation and not reviewer.reaches(row[5], scope)):
        raise NotFound(
            f"找不到报送记录「{submission_id}」。",
            hint="请核对提交编号：“提交记录”页面（命令行为 archive-census submissions）列出可审核的报送；省级档案部门只能"
            "审核本省的报送，地级档案部门只能审核所辖县级单位的报送。",
        )
    status, is_current, superseded_by, state, stage, province_code, scope_kind, scope_code, kind, round_id, sender = row
    label = ACTION_LABELS[action]
    if status != "accepted":
        raise IllegalTransition(
            f"报送「{submission_id}」未通过校验，不能{label}。",
            hint="校验未通过的报送不进入审核，请由报送单位修改后重新上传。",
        )
    if not is_current:
        raise IllegalTransition(
            f"报送「{submission_id}」已被「{superseded_by}」替代，不能{label}。", hint="请审核该范围当前有效的报送。"
        )
    if state is None:
        raise IllegalTransition(
            f"报送「{submission_id}」是监督检查、评价或规划指标的报送，接收即生效，不经审核。",
            hint="只有普查表和普查对象名录的报送需要审核。",
        )
    stage = stage or NATIONAL_REVIEW
    if state == RETURNED and action != "withdraw":
        _refuse_withdrawn(con, submission_id, ACTION_LABELS[action])
    to_state = TRANSITIONS[action].get(state)
    if to_state is None and state == APPROVED:  # final: said so to every level, not that it is another level's turn
        _refuse_progress(submission_id, action, state, stage)
    if action != "withdraw":
        _check_level(submission_id, province_code, scope, stage, reviewer, label)
    if to_state is None:
        _refuse_progress(submission_id, action, state, stage)
    if action == "accept" and sender == reviewer.name:
        # Who sent a return does not also pass it (returning one's own upload stays possible: it only stops it counting).
        raise AccessDenied(
            f"报送「{submission_id}」由 {sender} 本人提交，不能由本人{label}。",
            hint="审核通过须由提交人以外的审核人进行：地级请由本地区另一位用户或省级档案部门（代为审核）审核，"
            "省级请由本省另一位用户审核，国家局请由另一位规划人员审核。",
        )
    # The level acting: the stage's, or the province standing in for its prefecture.
    acting = SENDER_LEVEL if action == "withdraw" else str(reviewer.level)
    to_stage = stage
    if to_state == APPROVED and acting in NEXT_REVIEW_LEVEL:
        # A prefecture hands its county's return to the province, a province its prefecture's or county's to the
        # national bureau (a province standing in for the prefecture counts for both).
        to_state, to_stage = PENDING, above_sender(con, NEXT_REVIEW_LEVEL[acting], sender, scope)
    from_label, to_label = review_label(state, stage), review_label(to_state, to_stage)
    changed_at = record_review_change(
        con, submission_id, action, reviewer.name, reason, acting, from_label, (to_state, to_stage)
    )
    if on_recount is not None and RETURNED in (state, to_state):
        on_recount(con, RecountedSubmission(kind, round_id, province_code, scope))
    return {
        "submission_id": submission_id,
        "action": action,
        "level": acting,
        # Whose return it is (广东省广州市（地级）的普查表), and whose turn it is now (None once it is final or returned).
        "return_of": f"{scope.label}的{KIND_LABELS.get(kind, kind)}"
        if scope is not None
        else KIND_LABELS.get(kind, kind),
        "next_level": REVIEW_LEVEL_LABELS[to_stage] if to_state == PENDING else None,
        "from_state": from_label,
        # A withdrawal reads 已撤回 (stored as 已退回: it counts nowhere).
        "to_state": WITHDRAWN if action == "withdraw" else to_label,
        "changed_by": reviewer.name,
        "changer": person_of(con, reviewer.name),
        "changed_at": changed_at,
        "reason": reason,
    }


def describe_review_change(change: Mapping[str, Any]) -> str:
    """What a review did, as a sentence: whose return, the move, and what follows (whose turn, or that it is done)."""
    verb = {"return": "已退回", "withdraw": "已撤回"}.get(change["action"], "已通过")
    moved = f"{verb}{change['return_of']}（{change['submission_id']}）：{change['from_state']} → {change['to_state']}"
    if change["action"] == "withdraw":
        return moved + "，不再计入统计数字；审核人在提交记录中可看到撤回原因；修改后重新上传即可"
    if change["action"] == "return":
        return moved + "，报送单位在其上传页面和提交记录中可看到退回原因，修改后重新上传"
    return moved + (f"，现由{change['next_level']}审核" if change["next_level"] else "，审核完成")
