"""The rectification lifecycle: every legal transition, the illegal ones, overdue and default deadlines."""

from dataclasses import replace
from datetime import date, datetime

import pytest

from census_schema.errors import IllegalTransition, UsageError
from census_schema.holidays import ARRANGEMENTS, arranged_years, is_working_day
from census_schema.supervision.codes import FindingAction, FindingRole, FindingStatus
from supervision.lifecycle import (
    TRANSITION_TABLE,
    FindingState,
    FindingUpdate,
    add_working_days,
    allowed_actions,
    apply_transition,
    apply_updates,
    default_deadline,
    find_actions,
    is_overdue,
    issue_finding,
)

S, A = FindingStatus, FindingAction
RECT, REV = FindingRole.RECTIFIER, FindingRole.REVIEWER
DEADLINE = date(2024, 4, 12)
LATER, EARLIER = date(2024, 5, 31), date(2024, 4, 1)
AT = datetime(2024, 4, 1, 9, 30)
RESPONSIBLE, COLLEAGUE, REVIEWER = "张三", "王五", "李四"


def finding(status: FindingStatus, **changes) -> FindingState:
    base = FindingState(
        "F-2023-001",
        status,
        DEADLINE,
        responsible_person=RESPONSIBLE,
        rectifiers=frozenset({RESPONSIBLE, COLLEAGUE}),
        updated_at=datetime(2024, 3, 1, 10, 0),
    )
    return FindingState(**{**base.__dict__, **changes})


# from state, action, role, by, note, evidence, new deadline → to state, deadline after
LEGAL = [
    (S.ISSUED, A.START, RECT, RESPONSIBLE, None, None, None, S.IN_PROGRESS, DEADLINE),
    (S.IN_PROGRESS, A.SUBMIT, RECT, RESPONSIBLE, None, "整改报告.pdf", None, S.SUBMITTED, DEADLINE),
    (S.PHASED, A.SUBMIT, RECT, COLLEAGUE, None, "整改报告.pdf", None, S.SUBMITTED, DEADLINE),
    (S.SUBMITTED, A.RETURN, REV, REVIEWER, "佐证材料不足", None, None, S.IN_PROGRESS, DEADLINE),
    (S.SUBMITTED, A.CLOSE, REV, REVIEWER, None, "复核记录.pdf", None, S.CLOSED, DEADLINE),
    (S.ISSUED, A.EXTEND, REV, REVIEWER, "涉及基建审批", None, LATER, S.ISSUED, LATER),
    (S.IN_PROGRESS, A.EXTEND, REV, REVIEWER, "设备采购周期长", None, LATER, S.IN_PROGRESS, LATER),
    (S.PHASED, A.EXTEND, REV, REVIEWER, "工程延误", None, LATER, S.PHASED, LATER),
    (S.IN_PROGRESS, A.MAKE_PHASED, REV, REVIEWER, "分三阶段：立项、施工、验收", None, LATER, S.PHASED, LATER),
    (S.PHASED, A.REPORT_MILESTONE, RECT, RESPONSIBLE, "第一阶段完成", "阶段报告.pdf", None, S.PHASED, DEADLINE),
    (S.CLOSED, A.REOPEN, REV, REVIEWER, "回头看发现问题反弹", None, None, S.IN_PROGRESS, DEADLINE),
    (S.CLOSED, A.REOPEN, REV, REVIEWER, "回头看发现问题反弹", None, LATER, S.IN_PROGRESS, LATER),
]


def test_the_table_is_exactly_the_legal_transitions():
    assert set(TRANSITION_TABLE) == {(row[0], row[1]) for row in LEGAL}


@pytest.mark.parametrize(
    ("start", "action", "role", "by", "note", "evidence", "new_deadline", "end", "deadline"), LEGAL
)
def test_legal_transition(start, action, role, by, note, evidence, new_deadline, end, deadline):
    after, record = apply_transition(finding(start), action, by, role, AT, note, evidence, new_deadline)
    assert (after.status, after.deadline, after.updated_at) == (end, deadline, AT)
    assert record.finding_id == "F-2023-001"
    assert (record.at, record.by, record.role) == (AT, by, role)
    assert (record.from_state, record.to_state, record.action) == (start, end, action)
    assert (record.note, record.evidence, record.new_deadline) == (note, evidence, new_deadline)
    assert (by in after.rectifiers) == (role is RECT or by in finding(start).rectifiers)


def test_actions_and_roles_may_be_given_as_text():
    after, record = apply_transition(finding(S.ISSUED), "开始整改", "张三", "rectifier", AT)
    assert after.status is S.IN_PROGRESS
    assert record.action is A.START and record.role is RECT


def test_a_full_walk_records_every_step_and_remembers_rectifiers():
    state = issue_finding("F-1", date(2024, 3, 15), responsible_person="张三")
    steps = [
        (A.START, "张三", RECT, None, None, None),
        (A.SUBMIT, "赵六", RECT, None, "报告v1.pdf", None),
        (A.RETURN, "李四", REV, "缺少照片", None, None),
        (A.EXTEND, "李四", REV, "补拍照片需时间", None, date(2024, 3, 29)),
        (A.SUBMIT, "张三", RECT, None, "报告v2.pdf", None),
        (A.CLOSE, "李四", REV, None, "复核意见.pdf", None),
        (A.REOPEN, "钱七", REV, "回头看未通过", None, date(2024, 6, 28)),
    ]
    log = []
    for i, (action, by, role, note, evidence, new_deadline) in enumerate(steps):
        state, record = apply_transition(
            state, action, by, role, datetime(2024, 3, 1 + i, 9), note, evidence, new_deadline
        )
        log.append((record.from_state, record.to_state))
    assert log == [
        (S.ISSUED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.SUBMITTED),
        (S.SUBMITTED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.SUBMITTED),
        (S.SUBMITTED, S.CLOSED),
        (S.CLOSED, S.IN_PROGRESS),
    ]
    assert state.status is S.IN_PROGRESS and state.deadline == date(2024, 6, 28)
    assert state.rectifiers == {"张三", "赵六"}


MEASURES = "重新修订归档范围和保管期限表，已报同级档案主管部门审批"


@pytest.mark.parametrize(
    ("start", "action"),
    [(S.ISSUED, A.START), (S.IN_PROGRESS, A.SUBMIT), (S.PHASED, A.SUBMIT), (S.PHASED, A.REPORT_MILESTONE)],
)
def test_the_rectifier_states_the_measures_with_its_actions(start, action):
    note = "第一阶段完成" if action is A.REPORT_MILESTONE else None
    evidence = None if action is A.START else "整改报告.pdf"
    _, record = apply_transition(finding(start), action, RESPONSIBLE, RECT, AT, note, evidence, measures=MEASURES)
    assert record.measures == MEASURES
    _, without = apply_transition(finding(start), action, RESPONSIBLE, RECT, AT, note, evidence, measures="  ")
    assert without.measures is None


@pytest.mark.parametrize(
    ("start", "action", "note", "evidence", "new_deadline"),
    [
        (S.SUBMITTED, A.RETURN, "佐证材料不足", None, None),
        (S.SUBMITTED, A.CLOSE, None, "复核记录.pdf", None),
        (S.IN_PROGRESS, A.EXTEND, "设备采购周期长", None, LATER),
        (S.CLOSED, A.REOPEN, "回头看发现问题反弹", None, None),
    ],
)
def test_a_reviewer_action_takes_no_measures(start, action, note, evidence, new_deadline):
    with pytest.raises(IllegalTransition, match="不填写整改措施") as raised:
        apply_transition(finding(start), action, REVIEWER, REV, AT, note, evidence, new_deadline, measures=MEASURES)
    assert raised.value.rule == "transition_measures"
    assert (
        raised.value.hint
        == "整改措施由整改责任人在开始整改、提交整改报告、报告阶段进展时填写；审核意见请写在“说明”中。"
    )


def test_updates_carry_their_measures():
    updates = [
        FindingUpdate("F-1", A.START, "张三", RECT, datetime(2024, 3, 1, 9), measures="先行整改"),
        FindingUpdate("F-1", A.SUBMIT, "张三", RECT, datetime(2024, 3, 5, 9), evidence="报告.pdf", measures=MEASURES),
    ]
    applied = apply_updates({"F-1": issue_finding("F-1", date(2024, 3, 15))}, updates)
    assert [r.measures for r in applied.records] == ["先行整改", MEASURES]


# from state, action, role, by, note, evidence, new deadline → part of the message
ILLEGAL = [
    pytest.param(S.ISSUED, A.CLOSE, REV, REVIEWER, None, "x.pdf", None, "不允许", id="close-unsubmitted"),
    pytest.param(S.ISSUED, A.SUBMIT, RECT, RESPONSIBLE, None, "x.pdf", None, "不允许", id="submit-unstarted"),
    pytest.param(S.SUBMITTED, A.START, RECT, RESPONSIBLE, None, None, None, "不允许", id="start-submitted"),
    pytest.param(S.SUBMITTED, A.EXTEND, REV, REVIEWER, "理由", None, LATER, "不允许", id="extend-submitted"),
    pytest.param(S.CLOSED, A.EXTEND, REV, REVIEWER, "理由", None, LATER, "不允许", id="extend-closed"),
    pytest.param(S.CLOSED, A.CLOSE, REV, REVIEWER, None, "x.pdf", None, "不允许", id="close-closed"),
    pytest.param(S.IN_PROGRESS, A.RETURN, REV, REVIEWER, "意见", None, None, "不允许", id="return-in-progress"),
    pytest.param(S.ISSUED, A.MAKE_PHASED, REV, REVIEWER, "计划", None, LATER, "不允许", id="phased-from-issued"),
    pytest.param(S.IN_PROGRESS, A.REPORT_MILESTONE, RECT, RESPONSIBLE, "进展", "x", None, "不允许", id="milestone"),
    pytest.param(
        S.IN_PROGRESS, A.SUBMIT, REV, REVIEWER, None, "x.pdf", None, "只能由整改责任人", id="reviewer-submits"
    ),
    pytest.param(S.SUBMITTED, A.CLOSE, RECT, REVIEWER, None, "x.pdf", None, "只能由审核人", id="rectifier-role-closes"),
    pytest.param(S.ISSUED, A.EXTEND, RECT, RESPONSIBLE, "理由", None, LATER, "只能由审核人", id="rectifier-extends"),
    pytest.param(S.CLOSED, A.REOPEN, RECT, RESPONSIBLE, "理由", None, None, "只能由审核人", id="rectifier-reopens"),
    pytest.param(
        S.SUBMITTED,
        A.CLOSE,
        REV,
        RESPONSIBLE,
        None,
        "x.pdf",
        None,
        "是本问题的整改责任人，不能为本问题销号",
        id="responsible-closes",
    ),
    pytest.param(
        S.SUBMITTED,
        A.CLOSE,
        REV,
        COLLEAGUE,
        None,
        "x.pdf",
        None,
        "曾记录本问题的整改，不能为本问题销号",
        id="co-rectifier-closes",
    ),
    # Nor gives itself more time: a province that reported its own progress extended its own deadline.
    pytest.param(
        S.IN_PROGRESS,
        A.EXTEND,
        REV,
        COLLEAGUE,
        "理由",
        None,
        LATER,
        "曾记录本问题的整改，不能为本问题延期",
        id="co-rectifier-extends",
    ),
    pytest.param(
        S.IN_PROGRESS,
        A.MAKE_PHASED,
        REV,
        RESPONSIBLE,
        "计划",
        None,
        LATER,
        "不能为本问题转为阶段性整改",
        id="responsible-makes-phased",
    ),
    pytest.param(S.SUBMITTED, A.CLOSE, REV, REVIEWER, None, None, None, "佐证材料", id="close-no-evidence"),
    pytest.param(S.SUBMITTED, A.CLOSE, REV, REVIEWER, None, "  ", None, "佐证材料", id="close-blank-evidence"),
    pytest.param(S.IN_PROGRESS, A.SUBMIT, RECT, RESPONSIBLE, None, None, None, "佐证材料", id="submit-no-evidence"),
    pytest.param(S.SUBMITTED, A.RETURN, REV, REVIEWER, None, None, None, "退回须说明", id="return-no-note"),
    pytest.param(S.SUBMITTED, A.RETURN, REV, REVIEWER, " ", None, None, "退回须说明", id="return-blank-note"),
    pytest.param(S.CLOSED, A.REOPEN, REV, REVIEWER, None, None, None, "说明", id="reopen-no-note"),
    pytest.param(S.IN_PROGRESS, A.EXTEND, REV, REVIEWER, None, None, LATER, "延期须说明理由", id="extend-no-reason"),
    pytest.param(S.IN_PROGRESS, A.EXTEND, REV, REVIEWER, "理由", None, None, "新的整改期限", id="extend-no-date"),
    pytest.param(S.IN_PROGRESS, A.EXTEND, REV, REVIEWER, "理由", None, EARLIER, "须晚于", id="extend-earlier"),
    pytest.param(S.IN_PROGRESS, A.EXTEND, REV, REVIEWER, "理由", None, DEADLINE, "须晚于", id="extend-same-day"),
    pytest.param(
        S.IN_PROGRESS,
        A.EXTEND,
        REV,
        REVIEWER,
        "理由",
        None,
        date(9999, 12, 31),
        "超过操作之日起 5 年",
        id="extend-9999",
    ),
    pytest.param(S.CLOSED, A.REOPEN, REV, REVIEWER, "理由", None, EARLIER, "须晚于", id="reopen-earlier"),
    pytest.param(S.IN_PROGRESS, A.MAKE_PHASED, REV, REVIEWER, "计划", None, None, "新的整改期限", id="phased-no-date"),
    pytest.param(S.ISSUED, A.START, RECT, RESPONSIBLE, None, None, LATER, "不改变整改期限", id="start-with-date"),
    pytest.param(S.ISSUED, A.START, RECT, " ", None, None, None, "操作人", id="no-actor"),
    pytest.param(S.ISSUED, "撤销", RECT, RESPONSIBLE, None, None, None, "未知的整改操作", id="unknown-action"),
    pytest.param(S.ISSUED, A.START, "admin", RESPONSIBLE, None, None, None, "未知的角色", id="unknown-role"),
]


@pytest.mark.parametrize(("start", "action", "role", "by", "note", "evidence", "new_deadline", "message"), ILLEGAL)
def test_illegal_transition(start, action, role, by, note, evidence, new_deadline, message):
    with pytest.raises(IllegalTransition, match=message) as raised:
        apply_transition(finding(start), action, by, role, AT, note, evidence, new_deadline)
    assert "F-2023-001" in raised.value.message


def test_a_new_deadline_too_early_is_refused_naming_the_action_taken():
    # A failed follow-up (复查未通过) with an earlier deadline was told that 延期 only pushes a deadline back.
    for action in (A.REOPEN, A.EXTEND):
        start = S.CLOSED if action is A.REOPEN else S.IN_PROGRESS
        with pytest.raises(IllegalTransition) as raised:
            apply_transition(finding(start), action, REVIEWER, REV, AT, "理由", None, EARLIER)
        assert raised.value.hint == f"「{action}」给出的新期限只能推后：请给出晚于当前期限的日期。"


def test_a_transition_may_not_predate_the_last_one():
    with pytest.raises(IllegalTransition, match="早于上一次状态变更") as raised:
        apply_transition(finding(S.ISSUED), A.START, RESPONSIBLE, RECT, datetime(2024, 2, 1))
    # In Chinese dates, with what to do (a probe read 2024-01-01 00:00 and no way out); a day alone for an action
    # dated by its day, and where the finding's earlier steps are seen.
    assert "操作时间 2024年2月1日 早于上一次状态变更（" in raised.value.message
    assert raised.value.hint is not None and "按时间顺序" in raised.value.hint and "整改记录" in raised.value.hint


def test_a_refused_moment_recorded_on_the_platform_reads_in_beijing_time():
    """A probe read 2026年12月5日 19:25 for a web action `finding show` lists at 2026年12月6日 03:25."""
    done_on_the_web = replace(finding(S.ISSUED), updated_at=datetime(2026, 12, 5, 19, 25, 7))
    with pytest.raises(IllegalTransition) as raised:
        apply_transition(done_on_the_web, A.START, RESPONSIBLE, RECT, datetime(2025, 6, 25))
    assert "操作时间 2025年6月25日 早于上一次状态变更（2026年12月6日 03:25）。" in raised.value.message


def test_an_action_dated_by_its_day_and_a_moment_of_that_day_are_in_either_order():
    # A row of an uploaded 整改进展 dated the day of a web action (10:00 Beijing) was refused as earlier than it, and
    # a web action at 07:30 Beijing after a row dated that day: a day holds any moment of it.
    started_on_the_web = replace(finding(S.ISSUED), updated_at=datetime(2025, 6, 30, 2, 0))  # 10:00 Beijing
    row_of_that_day = datetime(2025, 6, 30)  # as an uploaded row's day is kept
    state, _ = apply_transition(started_on_the_web, A.START, RESPONSIBLE, RECT, row_of_that_day)
    assert state.status is S.IN_PROGRESS
    with pytest.raises(IllegalTransition, match="早于上一次状态变更"):  # the day before still is earlier
        apply_transition(started_on_the_web, A.START, RESPONSIBLE, RECT, datetime(2025, 6, 29))
    early_on_the_web = datetime(2025, 6, 29, 23, 30)  # 07:30 Beijing on 30 June
    state, _ = apply_transition(state, A.SUBMIT, RESPONSIBLE, RECT, early_on_the_web, evidence="报告.pdf")
    assert state.status is S.SUBMITTED


def test_illegal_transition_names_the_allowed_actions():
    with pytest.raises(IllegalTransition) as raised:
        apply_transition(finding(S.SUBMITTED), A.START, RESPONSIBLE, RECT, AT)
    assert raised.value.hint == "该状态下允许的操作：退回、销号。"


@pytest.mark.parametrize(
    ("status", "role", "actions"),
    [
        (S.ISSUED, None, (A.START, A.EXTEND)),
        (S.IN_PROGRESS, RECT, (A.SUBMIT,)),
        (S.IN_PROGRESS, REV, (A.EXTEND, A.MAKE_PHASED)),
        (S.PHASED, RECT, (A.SUBMIT, A.REPORT_MILESTONE)),
        (S.SUBMITTED, RECT, ()),
        (S.CLOSED, None, (A.REOPEN,)),
    ],
)
def test_allowed_actions(status, role, actions):
    assert allowed_actions(status, role) == actions


@pytest.mark.parametrize(
    ("start", "end", "actions"),
    [
        (S.SUBMITTED, S.CLOSED, (A.CLOSE,)),
        (S.SUBMITTED, S.IN_PROGRESS, (A.RETURN,)),
        (S.IN_PROGRESS, S.IN_PROGRESS, (A.EXTEND,)),
        (S.PHASED, S.PHASED, (A.EXTEND, A.REPORT_MILESTONE)),
        (S.ISSUED, S.CLOSED, ()),
    ],
)
def test_find_actions_by_target_state(start, end, actions):
    assert find_actions(start, end) == actions


@pytest.mark.parametrize(
    ("status", "today", "overdue"),
    [
        (S.ISSUED, date(2024, 4, 11), False),
        (S.ISSUED, DEADLINE, False),  # the deadline day itself is still in time
        (S.ISSUED, date(2024, 4, 13), True),
        (S.IN_PROGRESS, date(2024, 4, 13), True),
        (S.PHASED, date(2024, 4, 13), True),
        (S.SUBMITTED, date(2024, 4, 13), True),  # awaiting review is not closed
        (S.CLOSED, date(2024, 4, 13), False),
        (S.CLOSED, date(2030, 1, 1), False),
    ],
)
def test_is_overdue(status, today, overdue):
    assert is_overdue(finding(status), today) is overdue


def test_an_extension_lifts_overdue():
    late = finding(S.IN_PROGRESS)
    assert is_overdue(late, date(2024, 4, 20))
    extended, _ = apply_transition(late, A.EXTEND, REVIEWER, REV, AT, "理由", new_deadline=LATER)
    assert not is_overdue(extended, date(2024, 4, 20))


@pytest.mark.parametrize(
    ("feedback", "basis", "deadline"),
    [
        # 30 working days by the State Council's arrangements (census_schema.holidays).
        (date(2024, 3, 1), "一般", date(2024, 4, 15)),  # Friday; 清明 4-5 April off, Sunday 7 April worked
        (date(2024, 3, 2), "严重", date(2024, 4, 15)),  # Saturday: counting starts on Monday
        (date(2024, 3, 3), "较重", date(2024, 4, 15)),  # Sunday
        (date(2024, 3, 4), "重大安全隐患", date(2024, 4, 16)),  # Monday
        (
            date(2025, 1, 20),
            "一般",
            date(2025, 3, 7),
        ),  # 春节 28 January - 4 February off, 26 January and 8 February worked
        (
            date(2025, 9, 26),
            "一般",
            date(2025, 11, 13),
        ),  # 国庆 and 中秋 1-8 October off, 28 September and 11 October worked
        # 国庆 and 中秋 29 September - 6 October 2023 off, 7 and 8 October worked (it was 5 October, a day off).
        (date(2023, 8, 24), "一般", date(2023, 10, 11)),
        (date(2027, 3, 1), "一般", date(2027, 4, 12)),  # no arrangement declared for 2027: Monday to Friday
        (date(2024, 3, 2), "立行立改", date(2024, 3, 2)),  # same day, even a Saturday
        (date(2024, 3, 4), "立行立改", date(2024, 3, 4)),
    ],
)
def test_default_deadline(feedback, basis, deadline):
    assert default_deadline(feedback, basis) == deadline


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),  # a Sunday worked (调休上班)
        (date(2026, 2, 14), True),  # a Saturday worked
        (date(2025, 10, 8), False),  # a Wednesday off
        (date(2026, 1, 2), False),  # a Friday off
        (date(2025, 10, 9), True),  # a plain Thursday
        (date(2025, 10, 12), False),  # a plain Sunday
        (date(2023, 10, 5), False),  # a Thursday of the 2023 National Day holiday
        (date(2023, 10, 8), True),  # a Sunday worked in 2023
        (date(2022, 1, 29), True),  # a Saturday worked before the 2022 Spring Festival
        (date(2021, 9, 21), False),  # the 2021 Mid-Autumn Festival, a Tuesday
        # A year without a notice: its statutory holidays of fixed date are off (元旦 2027 a Friday was worked).
        (date(2027, 1, 1), False),
        (date(2027, 5, 3), True),  # a Monday after 劳动节's two statutory days (its make-up days await the notice)
        (date(2027, 10, 1), False),
        (date(2027, 10, 4), True),
    ],
)
def test_working_days_follow_the_official_arrangement(day, working):
    assert is_working_day(day) is working


def test_every_declared_arrangement_moves_only_days_of_its_own_year():
    for year, arrangement in ARRANGEMENTS.items():
        days_off = [day for first, last in arrangement.days_off for day in (first, last)]
        assert {day.year for day in days_off + list(arrangement.make_up_working_days)} == {year}
        assert all(first <= last for first, last in arrangement.days_off)
        assert all(day.weekday() >= 5 for day in arrangement.make_up_working_days)  # make-up days are weekend days
    assert arranged_years() == (2021, 2022, 2023, 2024, 2025, 2026)  # the plan period and after


def test_default_deadline_rejects_unknown_basis():
    with pytest.raises(UsageError, match="未知的整改期限依据"):
        default_deadline(date(2024, 3, 1), "紧急")


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (date(2024, 3, 1), 0, date(2024, 3, 1)),
        (date(2024, 3, 1), 1, date(2024, 3, 4)),
        (date(2024, 3, 8), 5, date(2024, 3, 15)),
    ],
)
def test_add_working_days(start, days, end):
    assert add_working_days(start, days) == end


def test_the_actions_that_take_measures_are_the_rectifier_s():
    # Declared once in census_schema (the rule's message, the template's description), enforced here.
    from census_schema.supervision.rectification import MEASURES_ACTIONS
    from supervision.lifecycle import TRANSITIONS

    assert set(MEASURES_ACTIONS) == {t.action for t in TRANSITIONS if t.role is FindingRole.RECTIFIER}


def test_a_new_deadline_may_be_five_years_after_the_action_to_the_day():
    at = datetime(2028, 2, 29, 9, 30)  # a 29 February: five years later is the 28th
    after, _ = apply_transition(finding(S.IN_PROGRESS), A.EXTEND, REVIEWER, REV, at, "理由", None, date(2033, 2, 28))
    assert after.deadline == date(2033, 2, 28)
    with pytest.raises(IllegalTransition, match="（2033年2月28日以后）"):
        apply_transition(finding(S.IN_PROGRESS), A.EXTEND, REVIEWER, REV, at, "理由", None, date(2033, 3, 1))


def test_a_new_deadline_lies_after_the_day_overdue_is_judged_on():
    late = finding(S.IN_PROGRESS)  # due 12 April 2024
    at = datetime(2024, 6, 1, 2, 0)  # 10:00 on 1 June in Beijing
    for past in (date(2024, 5, 31), date(2024, 6, 1)):  # later than the deadline, yet not after the day
        with pytest.raises(
            IllegalTransition, match="不晚于操作当日（2024年6月1日）：整改期限须定在今后的日期"
        ) as refused:
            apply_transition(late, A.EXTEND, REVIEWER, REV, at, "理由", None, past)
        assert refused.value.rule == "deadline_future"
    assert apply_transition(late, A.EXTEND, REVIEWER, REV, at, "理由", None, date(2024, 6, 2))[0].deadline == date(
        2024, 6, 2
    )
    # A deployment judging overdue on another day (its as-of day) judges the new deadline against that day.
    extended, _ = apply_transition(
        late, A.EXTEND, REVIEWER, REV, at, "理由", None, date(2024, 5, 31), today=date(2024, 5, 1)
    )
    assert not is_overdue(extended, date(2024, 5, 1))


def test_the_five_year_limit_counts_from_the_day_judged_on_not_the_clock():
    # With the platform's day 30 June 2025 and the clock in December 2026, 2031-01-01 (5.5 years on) was accepted.
    late = finding(S.IN_PROGRESS)
    at, today = datetime(2026, 12, 7, 2, 0), date(2025, 6, 30)
    with pytest.raises(IllegalTransition) as refused:
        apply_transition(late, A.EXTEND, REVIEWER, REV, at, "理由", None, date(2031, 1, 1), today=today)
    assert refused.value.rule == "deadline_within" and "2030年6月30日以后" in refused.value.message
    assert apply_transition(late, A.EXTEND, REVIEWER, REV, at, "理由", None, date(2030, 6, 30), today=today)
