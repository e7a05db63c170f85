"""The rectification rules as declared: the rules every change of a finding is held to, and the working days allowed.

The lifecycle that executes them (the transition table, its guards and derived overdue) is `supervision.lifecycle`.
"""

from __future__ import annotations

from census_schema.fields import Rule, Severity, frozen_params
from census_schema.supervision.codes import IMMEDIATE, FindingAction, FindingSeverity

E = Severity.ERROR
# The rectifier's actions, which take the rectification measures (整改措施); a reviewer's action takes none.
MEASURES_ACTIONS: tuple[FindingAction, ...] = (
    FindingAction.START,
    FindingAction.SUBMIT,
    FindingAction.REPORT_MILESTONE,
)
MEASURES_ACTION_NAMES = "、".join(MEASURES_ACTIONS)
# The rules every change of a finding is held to, by whatever way it arrives (an uploaded 整改进展 row, the command
# line, the web app). `apply_transition` raises IllegalTransition carrying the id of the rule broken; the fields are
# those of the current 整改进展 sheet, where an upload's failures are marked (JDJC-2025.1's sheet, which had no
# 整改措施 column, marked transition_measures on the action: `census_schema.supervision.forms`).
# How far after the action a new rectification deadline may be (a five-year plan's span).
MAX_DEADLINE_YEARS = 5
LIFECYCLE_RULES: tuple[Rule, ...] = (
    Rule("finding_known", "lifecycle", E, "finding_id", "问题编号须为已装载或本工作簿「发现问题」表中的问题编号。"),
    # A later update of a finding whose earlier one was refused was written for a state it never reached: said, not
    # checked (its rows looked valid, absent from 错误清单).
    Rule(
        "update_after_refused",
        "lifecycle",
        E,
        "finding_id",
        "同一问题前面的整改进展行未通过校验，本行写在其后，未作核对：请先改正前面那一行，再重新上传。",
    ),
    Rule(
        "transition_allowed",
        "lifecycle",
        E,
        "action",
        "整改操作须为当前整改状态允许的操作（待整改 → 整改中 → 已提交整改报告 → 已销号；退回、延期、阶段性整改、复查未通过）。",
    ),
    Rule(
        "transition_role",
        "lifecycle",
        E,
        "role",
        "开始整改、提交整改报告、报告阶段进展由整改责任人操作；退回、销号、延期、转为阶段性整改、复查未通过由审核人操作。",
    ),
    Rule("transition_actor", "lifecycle", E, "actor", "须填写操作人姓名。"),
    Rule("transition_order", "lifecycle", E, "action_on", "操作日期不能早于该问题上一次状态变更（或问题的反馈日期）。"),
    Rule("transition_note", "lifecycle", E, "note", "退回、延期、转为阶段性整改、报告阶段进展和复查未通过须填写说明。"),
    Rule(
        "transition_measures",
        "lifecycle",
        E,
        "measures",
        f"整改措施由整改责任人在{MEASURES_ACTION_NAMES}时说明（可不填）；审核人的操作不填整改措施。",
    ),
    Rule("transition_evidence", "lifecycle", E, "evidence", "提交整改报告、报告阶段进展和销号须附佐证材料。"),
    Rule(
        "closer_not_rectifier",
        "lifecycle",
        E,
        "actor",
        "销号、延期和转为阶段性整改须由未参与整改的审核人决定：整改责任人和记录过本问题整改的人员不能为本问题销号、"
        "延期或转为阶段性整改。",
    ),
    Rule("deadline_unchanged", "lifecycle", E, "new_deadline", "此操作不改变整改期限，「新整改期限」须留空。"),
    Rule("deadline_required", "lifecycle", E, "new_deadline", "延期和转为阶段性整改须给出新的整改期限。"),
    Rule("deadline_later", "lifecycle", E, "new_deadline", "新的整改期限须晚于当前整改期限。"),
    # An extension to a day already past leaves the finding overdue, the extension recorded as if it helped.
    Rule("deadline_future", "lifecycle", E, "new_deadline", "新的整改期限须晚于操作当日。"),
    # A deadline years away is a typo (9999 for 2025), and an overdue finding it hides is never reminded of again.
    Rule(
        "deadline_within",
        "lifecycle",
        E,
        "new_deadline",
        f"新的整改期限须在操作之日起 {MAX_DEADLINE_YEARS} 年以内；更长的整改请转为阶段性整改并分期设定期限。",
        frozen_params(max_years=MAX_DEADLINE_YEARS),
    ),
)

# Working days allowed for rectification by deadline basis; 立行立改 means the feedback day itself.
RECTIFICATION_WORKING_DAYS: dict[str, int] = {**{str(s): 30 for s in FindingSeverity}, IMMEDIATE: 0}
