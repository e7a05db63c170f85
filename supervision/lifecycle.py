"""The rectification lifecycle of a finding: one transition table, its guards, the transition log and derived overdue.

States: 待整改 → 整改中 → 已提交整改报告 → 已销号, with 阶段性整改 for long-term items.
延期 (deadline extension) is an action, not a state: the finding stays where it is and only its deadline moves,
so "where is it" and "how long has it got" never mix and an extended finding is still counted by its real state.
阶段性整改 is a state: a reviewer accepts that an item needs longer and sets its final deadline; the rectifier then
reports milestones (报告阶段进展) without leaving the state, and finally submits the report as for any other finding.
A failed follow-up (复查未通过) reopens a closed finding to 整改中; without a new deadline it keeps the old one and is
overdue at once. The rectifier states the rectification measures (整改措施: what the unit does or did to fix the
problem) with its own actions (开始整改, 提交整改报告, 报告阶段进展); the latest given are the finding's current
measures; the 整改进展 sheet gives them in its 整改措施 column (inspections workbook JDJC-2025.3). They are optional,
also for 提交整改报告: every way a change arrives (a command, the web, an uploaded row) is held to the same rules, and
the report's evidence documents what was done, so requiring them would refuse reports sent as before. A reviewer's
action takes none (their words go in the note). Only a reviewer who has never acted as its rectifier (nor is its
responsible person) may close a finding, and only with evidence; nor may anyone else extend its deadline or make it
phased (the rectifier does not give itself more time). Overdue is derived from the deadline by
`is_overdue`, never stored: a submitted report still awaiting review counts as overdue once the deadline has passed,
as only 已销号 ends the clock.
The rules enforced here (LIFECYCLE_RULES) and the working days allowed are declared in
`census_schema.supervision.rectification`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import Enum

from census_schema.clock import is_day_only, to_beijing
from census_schema.errors import IllegalTransition, UsageError
from census_schema.holidays import is_working_day
from census_schema.scopes import format_day
from census_schema.supervision.codes import FindingAction, FindingRole, FindingStatus
from census_schema.supervision.rectification import (
    MAX_DEADLINE_YEARS,
    MEASURES_ACTION_NAMES,
    MEASURES_ACTIONS,
    RECTIFICATION_WORKING_DAYS,
)

S, A = FindingStatus, FindingAction


class DeadlineRule(Enum):
    """Whether an action takes a new deadline."""

    KEEP = "keep"
    REQUIRED = "required"
    OPTIONAL = "optional"


@dataclass(frozen=True)
class Transition:
    """One row of the transition table: from a state, an action by a role leads to a state, under these guards."""

    from_status: FindingStatus
    action: FindingAction
    to_status: FindingStatus
    role: FindingRole
    needs_note: bool = False
    needs_evidence: bool = False
    deadline: DeadlineRule = DeadlineRule.KEEP
    closes: bool = False
    # Only a reviewer who has never acted as the finding's rectifier (nor answers for it): a close, or a decision that
    # gives the rectifier more time (a province that reported its own progress extended its own deadline).
    independent: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.ISSUED, A.START, S.IN_PROGRESS, FindingRole.RECTIFIER),
    Transition(S.IN_PROGRESS, A.SUBMIT, S.SUBMITTED, FindingRole.RECTIFIER, needs_evidence=True),
    Transition(S.PHASED, A.SUBMIT, S.SUBMITTED, FindingRole.RECTIFIER, needs_evidence=True),
    Transition(S.SUBMITTED, A.RETURN, S.IN_PROGRESS, FindingRole.REVIEWER, needs_note=True),
    Transition(
        S.SUBMITTED, A.CLOSE, S.CLOSED, FindingRole.REVIEWER, needs_evidence=True, closes=True, independent=True
    ),
    *(
        Transition(
            status,
            action,
            after,
            FindingRole.REVIEWER,
            needs_note=True,
            deadline=DeadlineRule.REQUIRED,
            independent=True,
        )
        for status, action, after in (
            (S.ISSUED, A.EXTEND, S.ISSUED),
            (S.IN_PROGRESS, A.EXTEND, S.IN_PROGRESS),
            (S.PHASED, A.EXTEND, S.PHASED),
            (S.IN_PROGRESS, A.MAKE_PHASED, S.PHASED),
        )
    ),
    Transition(
        S.PHASED,
        A.REPORT_MILESTONE,
        S.PHASED,
        FindingRole.RECTIFIER,
        needs_note=True,
        needs_evidence=True,
    ),
    Transition(
        S.CLOSED, A.REOPEN, S.IN_PROGRESS, FindingRole.REVIEWER, needs_note=True, deadline=DeadlineRule.OPTIONAL
    ),
)
TRANSITION_TABLE: dict[tuple[FindingStatus, FindingAction], Transition] = {
    (t.from_status, t.action): t for t in TRANSITIONS
}


def is_independent_of(finding: FindingState, by: str) -> bool:
    """Whether `by` may take the finding's independent actions (close, extend, make phased): not whoever recorded its
    rectification or answers for it, nor the same person with their unit added (李华（广东省档案局）)."""
    person = re.split(r"[（(]", by, maxsplit=1)[0].strip()
    return not {by, person} & {*finding.rectifiers, finding.responsible_person}


def actions_where(test: Callable[[Transition], bool]) -> str:
    """The actions of the transitions passing `test`, each once in the table's order, joined with 、 (for hints)."""
    return "、".join(dict.fromkeys(t.action.value for t in TRANSITIONS if test(t)))


# What each action asks for, said by the web form and the command line's help from the table they are checked by.
NOTE_ACTIONS = actions_where(lambda t: t.needs_note)
EVIDENCE_ACTIONS = actions_where(lambda t: t.needs_evidence)
DEADLINE_ACTIONS = actions_where(lambda t: t.deadline is DeadlineRule.REQUIRED)
OPTIONAL_DEADLINE_ACTIONS = actions_where(lambda t: t.deadline is DeadlineRule.OPTIONAL)
INDEPENDENT_ACTIONS = actions_where(lambda t: t.independent)


@dataclass(frozen=True)
class FindingState:
    """Where a finding stands: its state, its current deadline and who has worked on it."""

    finding_id: str
    status: FindingStatus
    deadline: date
    responsible_person: str | None = None
    rectifiers: frozenset[str] = frozenset()
    updated_at: datetime | None = None


@dataclass(frozen=True)
class TransitionRecord:
    """One entry of a finding's transition log."""

    finding_id: str
    at: datetime
    by: str
    from_state: FindingStatus
    to_state: FindingStatus
    action: FindingAction
    note: str | None
    evidence: str | None
    role: FindingRole
    new_deadline: date | None = None
    measures: str | None = None


def issue_finding(finding_id: str, deadline: date, responsible_person: str | None = None) -> FindingState:
    """A newly issued finding, waiting for rectification."""
    return FindingState(finding_id, S.ISSUED, deadline, responsible_person)


def allowed_actions(status: FindingStatus, role: FindingRole | None = None) -> tuple[FindingAction, ...]:
    """The actions the table allows from a state, optionally only those of one role."""
    return tuple(t.action for t in TRANSITIONS if t.from_status is status and (role is None or t.role is role))


def find_actions(from_status: FindingStatus, to_status: FindingStatus) -> tuple[FindingAction, ...]:
    """The actions that lead from one state to another (for callers that name the target state)."""
    return tuple(t.action for t in TRANSITIONS if t.from_status is from_status and t.to_status is to_status)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _parse(
    kind: type[FindingAction] | type[FindingRole], value: str, what: str, finding_id: str, rule: str
) -> FindingAction | FindingRole:
    try:
        return kind(value)
    except ValueError:
        known = "、".join(str(v) for v in kind)
        raise IllegalTransition(
            f"问题 {finding_id}：未知的{what}「{value}」。", hint=f"可用的{what}：{known}。", rule=rule
        ) from None


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29 February that year has none)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_deadline(day: date) -> date:
    """The latest new deadline an action on `day` may set (MAX_DEADLINE_YEARS later: years away is a typo)."""
    return _years_after(day, MAX_DEADLINE_YEARS)


def _illegal(
    finding: FindingState, action: FindingAction, rule: str, message: str, hint: str | None = None
) -> IllegalTransition:
    return IllegalTransition(
        f"问题 {finding.finding_id}（{finding.status}）不能「{action}」：{message}", hint=hint, rule=rule
    )


def apply_transition(
    finding: FindingState,
    action: FindingAction | str,
    by: str,
    role: FindingRole | str,
    at: datetime,
    note: str | None = None,
    evidence: str | None = None,
    new_deadline: date | None = None,
    measures: str | None = None,
    today: date | None = None,
) -> tuple[FindingState, TransitionRecord]:
    """Apply one action to a finding if the table and its guards allow it; raise IllegalTransition otherwise.
    `today`: the day overdue is judged on where it is not the action's own (a deployment's as-of day); a new
    deadline must lie after it."""
    act = FindingAction(_parse(FindingAction, action, "整改操作", finding.finding_id, "transition_allowed"))
    who = FindingRole(_parse(FindingRole, role, "角色", finding.finding_id, "transition_role"))
    by = by.strip()
    rule = TRANSITION_TABLE.get((finding.status, act))
    if rule is None:
        allowed = "、".join(allowed_actions(finding.status)) or "无"
        raise _illegal(
            finding,
            act,
            "transition_allowed",
            f"「{finding.status}」状态下不允许此操作。",
            f"该状态下允许的操作：{allowed}。",
        )
    if who is not rule.role:
        raise _illegal(
            finding, act, "transition_role", f"此操作只能由{rule.role.label}执行，「{by}」的角色是{who.label}。"
        )
    if _blank(by):
        raise _illegal(finding, act, "transition_actor", "未填写操作人。", "请填写操作人姓名。")
    if finding.updated_at is not None and _earlier(at, finding.updated_at):
        raise _illegal(
            finding,
            act,
            "transition_order",
            f"操作时间 {_moment(at)} 早于上一次状态变更（{_moment(finding.updated_at)}）。",
            "同一问题的各步须按时间先后记录：请核对操作时间；整改进展表请按时间顺序逐行填写。此前在平台上或上传中已有的操作，"
            "可在检查整改页面（或 archive-census finding show）查看该问题的整改记录。",
        )
    if rule.needs_note and _blank(note):
        reason = {A.EXTEND: "延期须说明理由", A.RETURN: "退回须说明退回意见"}.get(act, "须填写说明")
        raise _illegal(
            finding,
            act,
            "transition_note",
            f"{reason}。",
            "请在“说明”中填写（页面上的说明框、整改进展表的说明列，命令行用 --note）。",
        )
    if act not in MEASURES_ACTIONS and not _blank(measures):
        raise _illegal(
            finding,
            act,
            "transition_measures",
            "此操作不填写整改措施。",
            f"整改措施由{FindingRole.RECTIFIER.label}在{MEASURES_ACTION_NAMES}时填写；审核意见请写在“说明”中。",
        )
    if rule.needs_evidence and _blank(evidence):
        raise _illegal(finding, act, "transition_evidence", "须附佐证材料。", "请提供整改报告或佐证材料文件。")
    if rule.independent and not is_independent_of(finding, by):
        part = "是本问题的整改责任人" if by == finding.responsible_person else "曾记录本问题的整改"
        raise _illegal(
            finding,
            act,
            "closer_not_rectifier",
            f"「{by}」{part}，不能为本问题{act}：{INDEPENDENT_ACTIONS}须由未参与整改的审核人决定。",
            f"请由其他审核人{act}（由国家档案局，或未参与整改的本单位审核人员）。",
        )
    if rule.deadline is DeadlineRule.KEEP and new_deadline is not None:
        raise _illegal(
            finding, act, "deadline_unchanged", "此操作不改变整改期限。", f"如需调整期限，请使用「{A.EXTEND}」。"
        )
    if rule.deadline is DeadlineRule.REQUIRED and new_deadline is None:
        raise _illegal(finding, act, "deadline_required", "须给出新的整改期限。")
    if new_deadline is not None and new_deadline <= finding.deadline:
        raise _illegal(
            finding,
            act,
            "deadline_later",
            f"新的整改期限 {format_day(new_deadline)} 须晚于当前期限 {format_day(finding.deadline)}。",
            # Said of the action taken (复查未通过 and 延期 both set a new deadline; it read 延期 for either).
            hint=f"「{act}」给出的新期限只能推后：请给出晚于当前期限的日期。",
        )
    judged = today or to_beijing(at).date()
    if new_deadline is not None and new_deadline <= judged:
        raise _illegal(
            finding,
            act,
            "deadline_future",
            f"新的整改期限 {format_day(new_deadline)} 不晚于操作当日（{format_day(judged)}）：整改期限须定在今后的日期。",
            "请给出操作当日以后的日期。",
        )
    latest = latest_deadline(judged)  # from the day judged on (the platform's), as the day above
    if new_deadline is not None and new_deadline > latest:
        raise _illegal(
            finding,
            act,
            "deadline_within",
            f"新的整改期限 {format_day(new_deadline)} 超过操作之日起 {MAX_DEADLINE_YEARS} 年（{format_day(latest)}以后），"
            "多半是年份写错了。",
            "请检查年份；确需更长时间的整改，请转为阶段性整改并分期设定期限。",
        )
    rectifiers = finding.rectifiers | {by} if who is FindingRole.RECTIFIER else finding.rectifiers
    after = replace(
        finding,
        status=rule.to_status,
        deadline=new_deadline or finding.deadline,
        rectifiers=rectifiers,
        updated_at=at,
    )
    record = TransitionRecord(
        finding.finding_id,
        at,
        by,
        finding.status,
        rule.to_status,
        act,
        None if _blank(note) else note,
        None if _blank(evidence) else evidence,
        who,
        new_deadline,
        None if _blank(measures) else measures,
    )
    return after, record


@dataclass(frozen=True)
class FindingUpdate:
    """One requested action on a finding: a row of an uploaded 整改进展 sheet, a command, a web form."""

    finding_id: str
    action: FindingAction | str
    by: str
    role: FindingRole | str
    at: datetime
    note: str | None = None
    evidence: str | None = None
    new_deadline: date | None = None
    measures: str | None = None


@dataclass(frozen=True)
class UpdatesApplied:
    """The states after a batch of updates, the log entries they made and the updates refused (by position)."""

    states: Mapping[str, FindingState]
    records: tuple[TransitionRecord, ...]
    refused: tuple[tuple[int, IllegalTransition], ...] = field(default=())


def apply_updates(states: Mapping[str, FindingState], updates: Sequence[FindingUpdate]) -> UpdatesApplied:
    """Apply updates in order, each to the state its predecessors left; refusals are collected, not raised.

    After a finding's first refused update its later updates are not applied nor checked (they were written for a
    state the finding never reached, and would only repeat the first refusal in other words): each is refused as
    not checked, so that no row of the workbook looks valid that was never judged.
    """
    current = dict(states)
    records: list[TransitionRecord] = []
    refused: list[tuple[int, IllegalTransition]] = []
    stopped: set[str] = set()
    for index, update in enumerate(updates):
        if update.finding_id in stopped:
            unchecked = IllegalTransition(
                f"问题 {update.finding_id} 前面的整改进展未通过校验，本行写在其后，未作核对。",
                hint="请先改正同一问题前面那一行（见其错误），再重新上传。",
                rule="update_after_refused",
            )
            refused.append((index, unchecked))
            continue
        state = current.get(update.finding_id)
        try:
            if state is None:
                raise IllegalTransition(
                    f"问题 {update.finding_id} 不存在。",
                    hint="请核对问题编号：须为已装载的问题，或在本工作簿「发现问题」表中一并报送。",
                    rule="finding_known",
                )
            after, record = apply_transition(
                state,
                update.action,
                update.by,
                update.role,
                update.at,
                update.note,
                update.evidence,
                update.new_deadline,
                update.measures,
            )
        except IllegalTransition as refusal:
            refused.append((index, refusal))
            stopped.add(update.finding_id)
            continue
        current[update.finding_id] = after
        records.append(record)
    return UpdatesApplied(current, tuple(records), tuple(refused))


def is_overdue(finding: FindingState, today: date) -> bool:
    """Past its deadline and not closed; derived on demand, never stored."""
    return today > finding.deadline and finding.status is not S.CLOSED


def add_working_days(start: date, days: int, is_working: Callable[[date], bool] = is_working_day) -> date:
    """The date `days` working days after `start`: official days off skipped, weekend make-up working days (调休上班)
    counted (census_schema.holidays; a year without a published arrangement counts Monday to Friday), or the days
    another `is_working` takes."""
    if days < 0:
        raise UsageError(f"工作日数 {days} 不能为负数。")
    current = start
    while days:
        current += timedelta(days=1)
        if is_working(current):
            days -= 1
    return current


def _earlier(at: datetime, previous: datetime) -> bool:
    """Whether an action at `at` comes before the finding's last change: by their Beijing days when either is dated by
    its day alone (an uploaded row's day holds any moment of it), else by moment. A row dated the day of a web action
    was refused as earlier than it (its day's first moment), and a web action before 08:00 after a row of that day."""
    if is_day_only(at) or is_day_only(previous):
        return _day_of(at) < _day_of(previous)
    return at < previous


def _day_of(at: datetime) -> date:
    """The Beijing day of an action's time (its own day for one dated by its day)."""
    return at.date() if is_day_only(at) else to_beijing(at).date()


def _moment(at: datetime) -> str:
    """When an action happened, as people read it: a day alone for one dated by its day (an uploaded 整改进展 row),
    else the Beijing time of the moment recorded (the platform's clock is UTC)."""
    if is_day_only(at):
        return format_day(at)
    moment = to_beijing(at)
    return f"{format_day(moment)} {moment:%H:%M}"


def default_deadline(feedback_date: date, severity_or_flag: str) -> date:
    """The default deadline: 30 working days after the feedback, or the feedback day itself for 立行立改."""
    try:
        days = RECTIFICATION_WORKING_DAYS[severity_or_flag]
    except KeyError:
        known = "、".join(RECTIFICATION_WORKING_DAYS)
        raise UsageError(f"未知的整改期限依据「{severity_or_flag}」。", hint=f"可填写：{known}。") from None
    return add_working_days(feedback_date, days)
