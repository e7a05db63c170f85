"""`/evaluation`: the 47 archives' results, grades and ranks; an archive's areas (radar), items and deviations;
evaluators score their assigned archives item by item (draft, then submit) while the evaluation is open."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from dash import ALL, MATCH, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update

from census_schema.archives import archives_in_province, list_comprehensive_archives
from census_schema.errors import CensusError
from census_schema.forms import KIND_LABELS
from census_schema.roles import Role
from census_schema.supervision.codes import (
    EVALUATION_GRADE,
    EVALUATION_SEVERITIES,
    VETO_FAILED,
    VETO_PASSED,
    EvaluationStatus,
    FindingSeverity,
    veto_verdict_text,
)
from census_schema.supervision.evaluation import (
    EVALUATION_RULES_BY_ID,
    MAX_REMARK,
    RESULT_LABELS,
    SELF_SOURCE,
    STANDARD_PROVISIONAL,
    STANDARDS,
    get_standard,
)
from census_schema.supervision.forms import DEFAULT_WORKING_DAYS, EVALUATION_SCORES_FORM, EVALUATION_WORKBOOK
from dash_app import ids
from dash_app.access import (
    FORGED_REQUEST,
    Viewer,
    current_viewer,
    refuse,
    require_role,
    require_text,
    said_on_page,
)
from dash_app.components import (
    dropdown,
    figure_table,
    graph,
    labelled,
    page_url,
    query_string,
    query_value,
    small_table,
)
from dash_app.context import AppContext
from dash_app.figures import build_radar, empty_figure
from dash_app.formatting import format_datetime, format_pct, format_value, share_pct
from dash_app.grid import Column, GridSpec, fill_from_clicked_row, grid_block, register_grid
from flows.supervision import issue_findings, record_reconciliations, save_scores, withdraw_findings
from supervision.scoring import (
    TOLERANCE_SHARE,
    EvaluationInvalid,
    Reconciliation,
    ScoreProblem,
    check_reconciliations,
    check_sheet_values,
    max_points_of,
    sum_sheet,
)
from warehouse.evaluation import (
    DEFAULT_ROUND,
    archive_label,
    check_may_see_own_sheet,
    check_province_archive,
    describe_result_state,
    fetch_round,
    query_area_results,
    query_assignments,
    query_evaluation_results,
    query_item_results,
    query_pending_reconciliations,
    query_scores,
    require_archive,
    results_published,
    self_sent_text,
    sheet_version,
)
from warehouse.evaluation_findings import (
    MAX_DOC_NO,
    MAX_PERSON,
    MAX_REASON,
    check_feedback_date,
    check_issuable,
    choose_issued,
    count_overdue,
    describe_deadlines,
    describe_left_unscored,
    fetch_feedback,
    left_unscored_by_issuing,
    plan_evaluation_findings,
    plan_withdrawal,
)

PATH = "/evaluation"
NAME = "业务建设评价"
ROLES = (Role.PLANNER, Role.ADMIN, Role.EVALUATOR, Role.PROVINCE)
# What the other roles are told on the refusal: where the result of their city's archive can be had.
REFUSAL_NOTE = (
    "业务建设评价的对象是副省级以上综合档案馆，评价情况由国家档案局和各省级档案部门查看；"
    "地方单位如需了解本地综合档案馆的评价情况，请向本省档案局咨询。"
)
BONUS_AREA = "bonus"
MAX_LISTED_PROBLEMS = 10
# 下发范围: the evaluation problems issued as findings, by the lightest severity issued.
ISSUE_FLOORS = dict(
    zip(
        (s.value for s in EVALUATION_SEVERITIES),
        ("全部扣分项（一般及以上）", "较重及以上", "严重（否决项未通过）"),
        strict=True,
    )
)
# Sized to what they can hold (fit_width): an archive's rank, status, self-evaluation, experts, scores and grade in
# view at 1,400 pixels, the veto items it failed wrapping beside them.
ARCHIVE_NAMES = tuple(a.name for a in list_comprehensive_archives())
WIDEST_SCORE = ("1,000.0",)
RESULT_COLUMNS = [
    Column("rank", "排名", "int", fits=(str(len(ARCHIVE_NAMES)),)),
    Column("archive_name", "档案馆", tooltip="archive_code", fits=ARCHIVE_NAMES),
    Column("archive_code", "代码", "code", fits=("000000",)),
    # 已完成 with experts still to submit says so (shown_status), over two lines.
    Column("status", "状态", fits=(*EvaluationStatus, "已完成（9 位专家未提交）"), lines=2),
    # 未完成 for want of the archive's own scores or of the experts': which, at a glance.
    # Over two lines (已报送 / （65/65 项）), leaving the status its room at 1,400 pixels.
    Column(
        "self_state",
        "该馆自评",
        fits=tuple(self_sent_text(len(s.items), len(s.items)) for s in STANDARDS.values()),
        lines=2,
    ),
    # How far the experts have got: an archive is scored once three of those assigned have submitted.
    Column("experts", "专家已提交", "int", "位", fits=("99",)),
    Column("assigned", "分派专家", "int", "位", fits=("99",)),
    *(Column(key, label, "decimal", "分", decimals=1, fits=WIDEST_SCORE) for key, label in RESULT_LABELS.items()),
    Column("grade", "等次", fits=EVALUATION_GRADE.values),
    # Why an archive is 不合格 whatever its score: the veto items it failed.
    Column("veto_note", "未通过的否决项", wrap=True, wrap_width=150),
]
ASSIGNMENT_COLUMNS = [
    Column("archive_name", "档案馆", tooltip="archive_code"),
    Column("archive_code", "代码", "code"),
    # Whether the archive's own scores are there to check on the visit (the sheet shows them item by item).
    Column("self_state", "该馆自评"),
    Column("sheet_state", "评分表"),
    Column("items_scored", "已评", "int", "项"),
    Column("last_saved_at", "最近保存", "datetime"),
]
# An archive's items at 1,400 pixels with nothing to scroll sideways to (自评偏差 and 合议说明 were out of view): the
# areas, item codes and scores as wide as the standards' widest, the item's text and the note wrapping.
ITEM_AREAS = tuple(area.name for standard in STANDARDS.values() for area in standard.areas)
ITEM_CODES = tuple(item.code for standard in STANDARDS.values() for item in standard.items)
WIDEST_POINTS = f"{max(item.max_points for standard in STANDARDS.values() for item in standard.items):,.1f}"
ITEM_COLUMNS = [
    Column("area_name", "方面", fits=ITEM_AREAS),
    Column("item_code", "评分项", "code", fits=ITEM_CODES),
    Column("item_text", "内容", wrap=True),
    Column("max_points", "满分", "decimal", "分", decimals=1, fits=(WIDEST_POINTS,)),
    Column("self_score", "自评", "decimal", "分", decimals=1, fits=(WIDEST_POINTS,)),
    Column("score", "专家得分", "decimal", "分", decimals=1, fits=(WIDEST_POINTS,)),
    Column("is_deviation", "自评偏差", "bool", fits=("是", "否"), classes=(("warn", "是"),)),
    Column("veto_verdict", "否决项", fits=(VETO_PASSED, VETO_FAILED), classes=(("warn", VETO_FAILED),)),
    Column("reconciliation_note", "合议说明", wrap=True, wrap_width=200),
]


def shown_status(row: Mapping[str, Any], is_open: bool) -> str | None:
    """An archive's status as its grid says it: 已完成 while an assigned expert has still to submit says so (the
    result counts the experts who have; it is recomputed when the others submit, until the round ends)."""
    status, outstanding = row.get("status"), (row.get("assigned") or 0) - (row.get("experts") or 0)
    if status == EvaluationStatus.COMPLETE and is_open and outstanding > 0:
        return f"{status}（{outstanding} 位专家未提交）"
    return status


def archive_from_search(search: str | None) -> str | None:
    """The `archive` query parameter."""
    return query_value(search, "archive")


def _national(viewer: Viewer) -> bool:
    return viewer.is_national


def _sees_results(viewer: Viewer) -> bool:
    """National users see every archive's results; a provincial office its own province's archives'."""
    return _national(viewer) or viewer.role is Role.PROVINCE


# What a provincial office sees of its archives' results before the round is over (its archives' own 自评 and how
# far the experts have got): scores, grades and ranks are the bureau's until they are final.
PROVINCE_RESULT_FIELDS = ("archive_code", "archive_name", "status", "self_state", "experts", "assigned")
PROVINCE_ITEM_FIELDS = ("area_name", "item_code", "item_text", "max_points", "self_score")
PROVINCE_UNPUBLISHED = "本轮评价结束后公布得分、等次和排名"


def for_province(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], fields: Sequence[str] | None = None
) -> list[Any]:
    """Rows as a provincial office may receive them: the grid's columns only (no expert's name or single score),
    and of those only `fields`, when given (the rest empty)."""
    return [{c.field: r.get(c.field) if fields is None or c.field in fields else None for c in columns} for r in rows]


def round_state_for(context: AppContext, viewer: Viewer) -> str:
    """Whether the results the viewer sees are final or provisional (a province, while the round is open, sees none:
    said so, not the nation's provisional state)."""
    with context.reader.cursor() as con:
        found = fetch_round(con, DEFAULT_ROUND)
        if viewer.role is Role.PROVINCE and found is not None and found["is_open"]:
            return f"评价轮次 {DEFAULT_ROUND} 正在进行：本省各馆的自评和专家提交进度见下表；{PROVINCE_UNPUBLISHED}。"
        return describe_result_state(con, province_code=viewer.province_code if viewer.role is Role.PROVINCE else None)


def archive_options(context: AppContext, viewer: Viewer) -> list[dict[str, str]]:
    """The archives the viewer may open: all for national users, a province's own for its office, the assigned ones
    for an evaluator (in the order of their task grid: by archive code)."""
    archives = list_comprehensive_archives()
    if viewer.role is Role.PROVINCE:
        archives = archives_in_province(viewer.province_code or "")
    elif not _national(viewer):
        with context.reader.cursor() as con:
            assigned = dict.fromkeys(r["archive_code"] for r in query_assignments(con, evaluator=viewer.user_name))
        # The list's order was the 47's (provinces, then cities: 甘肃, 青岛, 成都) beside a grid of 青岛, 成都, 甘肃.
        by_code = {a.archive_code: a for a in archives}
        archives = tuple(by_code[code] for code in assigned if code in by_code)
    return [{"label": f"{a.name}（{a.archive_code}）", "value": a.archive_code} for a in archives]


def may_open(context: AppContext, viewer: Viewer, archive_code: str | None) -> bool:
    """National users open any archive; an evaluator only an assigned one."""
    if not archive_code:
        return False
    return any(o["value"] == archive_code for o in archive_options(context, viewer))


def refusal(context: AppContext, viewer: Viewer, archive_code: str) -> str:
    """Why the viewer may not open the archive, in the words of the rule that refuses it."""
    try:
        if _national(viewer):
            require_archive(archive_code)
        elif viewer.role is Role.PROVINCE:
            check_province_archive(viewer.province_code, archive_code)
        else:
            with context.reader.cursor() as con:
                check_may_see_own_sheet(con, viewer.user_name, archive_code)
    except CensusError as error:
        return said_on_page(error)
    return f"无权查看档案馆 {archive_code}。"


def layout(**query: str) -> html.Div:
    """Results (national; a province's own archives), assignments (evaluators), an archive's detail, and the scoring
    form."""
    viewer = current_viewer()
    parts: list[Any] = [page_url(), html.H1("综合档案馆业务建设评价"), html.P(STANDARD_PROVISIONAL, className="hint")]
    if _sees_results(viewer):
        parts += [
            html.H2("47 家综合档案馆评价结果" if _national(viewer) else "本省综合档案馆评价结果"),
            # Final or provisional (the round still open, experts yet to submit): said above the grades it qualifies.
            html.P(id=ids.EVALUATION_ROUND_STATE, role="status"),
            grid_block(
                ids.EVALUATION_RESULTS_GRID, RESULT_COLUMNS, row_id="archive_code", page_size=50, fit_width=True
            ),
        ]
    else:
        parts += [
            html.H2("分配给我的评价任务"),
            grid_block(ids.EVALUATION_ASSIGNMENTS_GRID, ASSIGNMENT_COLUMNS, row_id="archive_code"),
        ]
    parts += [
        html.Div(
            [
                # Its value comes with its options (`options` below, from ?archive=CODE when the viewer may open
                # it): Dash 4's dropdown drops a value that is not among its options.
                labelled(
                    "档案馆",
                    dropdown(ids.EVALUATION_ARCHIVE, [], placeholder="选择档案馆", style={"width": "360px"}),
                ),
                html.Div(id=ids.EVALUATION_REPORT_LINK),
            ],
            className="toolbar",
        ),
        html.Div(id=ids.EVALUATION_REQUESTED),
        # The bureau's planners issue an archive's problems; an administrator reads the results.
        issue_form() if viewer.role is Role.PLANNER else None,
        # Results of other experts are not an evaluator's to see: the radar and items stay hidden for them.
        html.Div(
            [
                graph(ids.EVALUATION_RADAR),
                html.Div(id=ids.EVALUATION_RADAR_TABLE),
                # What the bureau's last entry of reconciled values did (the table above is drawn again after it).
                html.Div(id=ids.EVALUATION_RECONCILE_RESULT, role="status"),
                grid_block(ids.EVALUATION_ITEMS_GRID, ITEM_COLUMNS, page_size=100, fit_width=True),
            ],
            style=None if _sees_results(viewer) else {"display": "none"},
        ),
    ]
    if viewer.role == Role.EVALUATOR:
        parts += [
            html.H2("逐项评分"),
            html.Div(id=ids.EVALUATION_FORM),
            # Kept in view at the bottom of the window: what a save did shows beside the buttons that did it.
            html.Div(
                [
                    html.Button(SAVE_DRAFT, id=ids.EVALUATION_SAVE, className="button-secondary", disabled=True),
                    html.Button("提交评分", id=ids.EVALUATION_SUBMIT, disabled=True),
                    html.Div(id={"type": ids.EVALUATION_TOTAL, "sheet": "mine"}, className="subtotal"),
                    html.Div(id=ids.EVALUATION_RESULT, className="result", role="status"),
                ],
                className="action-bar",
            ),
        ]
    else:
        parts.append(html.Div(id=ids.EVALUATION_RESULT, hidden=True))
    return html.Div(parts)


def _text_input(input_id: str, longest: int) -> dcc.Input:
    return dcc.Input(id=input_id, type="text", maxLength=longest, style={"width": "220px"})


def issue_form() -> html.Div:
    """The national bureau's form: an archive's evaluation problems issued as findings, once the round is closed."""
    return html.Div(
        [
            html.H2("下发整改问题"),
            html.P(id=ids.EVALUATION_ISSUE_PREVIEW, className="hint"),
            html.Div(
                [
                    labelled(
                        "反馈日期",
                        dcc.Input(id=ids.EVALUATION_ISSUE_DATE, type="date", style={"width": "180px"}),  # type: ignore[arg-type]
                        for_id=ids.EVALUATION_ISSUE_DATE,
                    ),
                    labelled(
                        "反馈文书编号",
                        _text_input(ids.EVALUATION_ISSUE_DOC, MAX_DOC_NO),
                        for_id=ids.EVALUATION_ISSUE_DOC,
                    ),
                    labelled(
                        "整改责任人",
                        _text_input(ids.EVALUATION_ISSUE_PERSON, MAX_PERSON),
                        for_id=ids.EVALUATION_ISSUE_PERSON,
                    ),
                    labelled(
                        "下发范围",
                        dropdown(
                            ids.EVALUATION_ISSUE_FLOOR,
                            [{"label": label, "value": floor} for floor, label in ISSUE_FLOORS.items()],
                            placeholder="选择下发范围",
                            value=FindingSeverity.MINOR.value,
                            clearable=False,
                            style={"width": "280px"},  # 全部扣分项（一般及以上） whole
                        ),
                    ),
                    html.Button("下发整改问题", id=ids.EVALUATION_ISSUE, disabled=True),
                ],
                className="toolbar",
            ),
            # What the last issuing or withdrawal did.
            html.Div(id=ids.EVALUATION_ISSUE_RESULT, role="status"),
            # Shown only once the archive's problems have been issued in this round.
            html.Div(
                [
                    html.H3("撤回已下发的问题"),
                    html.P(id=ids.EVALUATION_WITHDRAW_PREVIEW, className="hint"),
                    html.Div(
                        [
                            labelled(
                                "撤回原因",
                                dcc.Input(
                                    id=ids.EVALUATION_WITHDRAW_REASON,
                                    type="text",
                                    maxLength=MAX_REASON,
                                    style={"width": "360px"},
                                ),
                                for_id=ids.EVALUATION_WITHDRAW_REASON,
                            ),
                            html.Button(
                                "撤回下发", id=ids.EVALUATION_WITHDRAW, className="button-danger", disabled=True
                            ),
                        ],
                        className="toolbar",
                    ),
                ],
                id=ids.EVALUATION_WITHDRAW_BLOCK,
                hidden=True,
            ),
        ]
    )


def read_floor(value: Any) -> FindingSeverity:
    """The chosen 下发范围 as a severity (a value the page cannot send is a bad request)."""
    if not isinstance(value, str) or value not in ISSUE_FLOORS:
        refuse(400, FORGED_REQUEST)
    return FindingSeverity(value)


def read_day(value: Any) -> date | None:
    """A date input's value (YYYY-MM-DD) as a day; None when empty or not a date."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def describe_issue(
    context: AppContext,
    archive_code: str | None,
    floor: FindingSeverity = FindingSeverity.MINOR,
    feedback: date | None = None,
) -> tuple[str, bool, str]:
    """What issuing the archive's problems of `floor` or graver would do now, or why it cannot be done; whether it
    can; and the text's class (warn when the typed feedback day makes findings overdue the moment they are issued)."""
    if not archive_code:
        return "选择一家档案馆后，可在本轮评价结束后把其评价发现的问题下发为整改问题。", False, "hint"
    today = context.settings.today()
    with context.reader.cursor() as con:
        try:
            check_issuable(con, archive_code, DEFAULT_ROUND)
            if feedback is not None:
                try:
                    check_feedback_date(feedback, today, DEFAULT_ROUND)
                except CensusError as error:
                    return error.describe(), False, "error"  # the day typed is refused: said as an error
            problems = plan_evaluation_findings(con, archive_code, DEFAULT_ROUND, feedback or today)
            planned = choose_issued(problems, archive_code, floor)
            stranded = describe_left_unscored(left_unscored_by_issuing(con, DEFAULT_ROUND))
        except CensusError as error:
            return error.describe(), False, "hint"
    left = len(problems) - len(planned)
    severities = Counter(p["severity"] for p in planned)
    counts = "、".join(f"{s} {severities[s]}" for s in reversed(FindingSeverity) if s in severities)
    due = describe_deadlines(planned, today) if feedback else f"整改期限为反馈日期后 {DEFAULT_WORKING_DAYS} 个工作日"
    return (
        f"将下发 {len(planned)} 个整改问题（{counts}）{f'，另有 {left} 个较轻的问题不下发' if left else ''}，"
        f"{due}；每个档案馆只下发一次，下发后本轮评价不能重新开启" + (f"。注意：{stranded}。" if stranded else "。"),
        True,
        "warn" if stranded or (feedback and count_overdue(planned, today)) else "hint",
    )


def issue_problems(
    context: AppContext,
    viewer: Viewer,
    archive_code: str | None,
    day: str | None,
    doc_no: str | None,
    person: str | None,
    floor: FindingSeverity = FindingSeverity.MINOR,
) -> Any:
    """Issue the archive's problems of `floor` or graver as the signed-in national user: what happened, in Chinese."""
    if not archive_code:
        return html.P("请先选择档案馆。", className="error")
    feedback = read_day(day)
    if feedback is None:
        return html.P("请填写反馈日期。", className="error")
    try:
        issued = issue_findings(
            context.settings,
            archive_code,
            feedback_date=feedback,
            feedback_doc_no=doc_no or "",
            responsible_person=person or "",
            by=viewer.user_name,
            min_severity=floor,
            # The preview above the button said, in orange, which deadlines the typed day has already passed.
            overdue_confirmed=True,
        )
    except CensusError as error:
        return html.P(said_on_page(error), className="error")
    return html.P(
        [
            f"已向{issued['archive_name']}下发 {issued['findings']} 个整改问题（{issued['feedback_doc_no']}）。",
            html.A("到「检查整改」页跟踪", href="/inspections"),
        ],
        className="ok",
    )


def describe_withdrawal(context: AppContext, archive_code: str | None) -> tuple[str | None, bool]:
    """What withdrawing the archive's issued problems would remove, or why it cannot be done (None when nothing
    was issued); and whether it can."""
    if not archive_code:
        return None, False
    with context.reader.cursor() as con:
        if fetch_feedback(con, archive_code, DEFAULT_ROUND) is None:
            return None, False
        try:
            _, _, what = plan_withdrawal(con, archive_code, DEFAULT_ROUND)
        except CensusError as error:
            return error.describe(), False
    return f"撤回将删除 {what}，并记入审计日志；撤回后可重新下发。须填写撤回原因。", True


def withdraw_problems(context: AppContext, viewer: Viewer, archive_code: str | None, reason: str | None) -> Any:
    """Withdraw the archive's issued problems as the signed-in national user: what happened, in Chinese."""
    if not archive_code:
        return html.P("请先选择档案馆。", className="error")
    try:
        withdrawn = withdraw_findings(
            context.settings, archive_code, by=viewer.user_name, reason=reason or "", confirmed=True
        )
    except CensusError as error:
        return html.P(said_on_page(error), className="error")
    return html.P(f"已撤回 {withdrawn['description']}。", className="ok")


def _score_input(code: str, max_points: Decimal, value: Any, label: str, locked: bool) -> html.Label:
    # Text, not type="number": a number input whose text breaks min/max/step reports no value at all, so 999 or
    # 9.75 reached the server as "empty" and the item was silently dropped. The server reads and judges the text.
    field = dcc.Input(
        id={"type": ids.EVALUATION_SCORE, "item": code},
        type="text",
        value=None if value is None else f"{value}",
        placeholder="未评" if locked else f"0–{max_points}",
        autoComplete="off",
        className="score-input",
        disabled=locked,
    )
    return html.Label([html.Span(label, className="visually-hidden"), field])


def _verdict(code: str, saved: dict[str, Any], locked: bool) -> html.Fieldset:
    passed = saved.get("veto_passed")
    value = None if passed is None else next(v for v, p in VERDICT_VALUES.items() if p == passed)
    return html.Fieldset(
        [
            html.Legend("否决项结论"),
            dcc.RadioItems(
                id={"type": ids.EVALUATION_VERDICT, "item": code},
                options=[
                    {"label": veto_verdict_text(p), "value": v, "disabled": locked} for v, p in VERDICT_VALUES.items()
                ],
                value=value,
                inline=True,
            ),
        ],
        className="verdict",
    )


def _remark_input(code: str, value: Any, locked: bool) -> html.Label | html.P | None:
    # What the expert found wrong (扣分说明): it becomes the finding's 专家意见 when the item is issued. Read only
    # (the round over), it is text that wraps: a disabled one-line field showed 200 characters cut.
    if locked:
        return html.P(f"扣分说明：{value}", className="remark-text") if value else None
    field = dcc.Input(
        id={"type": ids.EVALUATION_REMARK, "item": code},
        type="text",
        value=value,
        maxLength=MAX_REMARK,
        placeholder="扣分说明（得分低于满分时写明发现的问题）",
        autoComplete="off",
        className="remark-input",
    )
    return html.Label([html.Span(f"{code} 扣分说明", className="visually-hidden"), field])


def _error_slot(code: str) -> html.Div:
    return html.Div(id={"type": ids.EVALUATION_SCORE_ERROR, "item": code}, className="field-error", role="alert")


SAVE_DRAFT, WITHDRAW_TO_DRAFT = "保存草稿", "撤回提交，存为草稿"


def item_cell(text: str, rule: str | None, evidence: str | None, supplied: str | None = None) -> list[Any]:
    """An item's text on the scoring form, with the standard's scoring rule and the evidence it asks for under it,
    then the evidence the archive supplied with its self-evaluation (`supplied`)."""
    said = "；".join(
        part for part in (rule and f"评分规则：{rule.rstrip('。')}", evidence and f"佐证材料：{evidence}") if part
    )
    return [
        text,
        html.Div(said + "。", className="hint") if said else None,
        html.Div(f"该馆所附佐证材料：{supplied}", className="self-evidence") if supplied else None,
    ]


def reported_cell(row: Mapping[str, Any] | None, is_veto: bool, is_bonus: bool = False) -> list[Any] | str:
    """An item's score in the archive's own self-evaluation, with a veto item's verdict there; 未自评 (a bonus item:
    未申报) where it gave none."""
    score, passed = (None, None) if row is None else (row["score"], row["veto_passed"])
    if score is None and passed is None:
        return "未申报" if is_bonus else "未自评"
    verdict = html.Div(veto_verdict_text(passed)) if is_veto and passed is not None else None
    return [format_value(score) if score is not None else "—", verdict]


def self_score_id(code: str) -> dict[str, str]:
    """The id of an item's 该馆自评 cell."""
    return {"type": ids.EVALUATION_SELF_SCORE, "item": code}


def self_evaluation_note(reported: Mapping[str, Mapping[str, Any]]) -> str:
    """Above the evaluator's sheet: the archive's own self-evaluation (`reported`, by item), summed, and when it was
    sent; or that it has sent none."""
    if not reported:
        return "该馆尚未报送自评表：“该馆自评”一栏为空，请按评分规则评分。"
    standard = get_standard()
    sums = sum_sheet(standard, {code: row["score"] for code, row in reported.items()})
    sent = max(row["saved_at"] for row in reported.values())
    done = "均已自评" if sums.scored == len(standard.items) else f"中自评了 {sums.scored} 项"
    return (
        f"该馆自评：{len(standard.items)} 个评分项{done}，合计 {format_value(sums.base)} 分"
        + (f"，申报加分 {format_value(sums.claimed)} 分" if sums.claimed else "")
        + f"（{format_datetime(sent)} 报送）。“该馆自评”一栏是该馆每项的自评得分，其佐证材料列在评分项下，供核查对照；"
        f"本人评分与自评相差超过该项满分 {TOLERANCE_SHARE:.0%} 的，该项自评得分标红并注明“自评偏差”，评价结果中也标为自评偏差，"
        "请在扣分说明中写明依据。"
    )


def save_button_label(context: AppContext, viewer: Viewer, archive_code: str | None) -> str:
    """保存草稿, or 撤回提交，存为草稿 while the evaluator's sheet for the archive is submitted (a draft withdraws it)."""
    if not archive_code:
        return SAVE_DRAFT
    with context.reader.cursor() as con:
        submitted = any(r["is_submitted"] for r in query_scores(con, archive_code, viewer.user_name))
        is_open = bool((fetch_round(con) or {}).get("is_open"))
    # After the round nothing can be withdrawn: the (disabled) button keeps its plain name.
    return WITHDRAW_TO_DRAFT if submitted and is_open else SAVE_DRAFT


def own_sheet_header(archive_code: str, editable: bool, submitted: bool, status: str | None) -> html.Div:
    """Above the evaluator's sheet: how saving and submitting work, or once the round is over, that it is read only
    and whether it counted (`status`: the archive's evaluation status); the download of their own sheet."""
    link = html.A(
        "下载本人评分表",
        href=f"/download/evaluation/{archive_code}",
        id=ids.EVALUATION_OWN_SHEET_DOWNLOAD,
        className="button-secondary",
    )
    if editable:
        return html.Div(
            [
                html.P(
                    "“提交评分”后评分计入结果；已提交的评分再点“撤回提交，存为草稿”即撤回提交，须重新提交才再计入。",
                    className="hint",
                ),
                link,
            ]
        )
    if not submitted:
        counted = "未提交（草稿或空白），不计入结果"
    elif status == EvaluationStatus.COMPLETE:
        counted = "已提交，计入了该馆的结果"
    else:
        counted = f"已提交；该馆的评价{status or EvaluationStatus.INCOMPLETE.value}，尚无结果"
    return html.Div(
        [
            html.P(
                f"本轮评价已结束，不能再提交或修改评分。下表是您对该馆的评分（只读）：{counted}。", className="warn"
            ),
            link,
        ]
    )


def scoring_form(context: AppContext, viewer: Viewer, archive_code: str | None) -> tuple[Any, bool]:
    """The evaluator's sheet for an assigned archive, prefilled with their draft, and whether it may be changed (the
    round open; after it the sheet is shown read only); a refusal otherwise.

    Each area's header carries its running subtotal (computed in the browser as the evaluator types, by
    assets/scoring.js, from the item maxima in the form's store); each field has a slot for its own problem, filled
    by the server when the field is left (`field_slot`) and when the sheet is saved."""
    if not archive_code or not isinstance(archive_code, str):
        return html.P("请选择分配给您的档案馆。"), False
    with context.reader.cursor() as con:
        try:
            editable = check_may_see_own_sheet(con, viewer.user_name, archive_code)
        except CensusError as error:
            return html.P(said_on_page(error), className="error", id=ids.EVALUATION_REFUSED), False
        saved = {r["item_code"]: r for r in query_scores(con, archive_code, viewer.user_name)}
        # The archive's own self-evaluation, what the expert checks on site (never another expert's scores).
        reported = {r["item_code"]: r for r in query_scores(con, archive_code, SELF_SOURCE)}
        status = next((r["status"] for r in query_evaluation_results(con, archive_code=archive_code)), None)
    locked = not editable
    standard = get_standard()
    maxima: dict[str, list[Any]] = {}
    rows: list[Any] = []
    for area in standard.areas:
        rows.append(
            html.Tr(
                [
                    html.Th(f"{area.code} {area.name}（满分 {area.points} 分）", colSpan=4),
                    html.Th(
                        html.Span(id={"type": ids.EVALUATION_SUBTOTAL, "area": area.code}, className="subtotal"),
                        colSpan=2,
                    ),
                ],
                className="area-row",
            )
        )
        for indicator in area.indicators:
            for item in indicator.items:
                maxima[item.code] = [area.code, float(item.max_points)]
                mine, own = saved.get(item.code, {}), reported.get(item.code)
                label = f"{item.code} 得分（满分 {item.max_points}）"
                rows.append(
                    html.Tr(
                        [
                            html.Td(item.code),
                            html.Td(item_cell(item.text, item.rule, item.evidence, own["evidence"] if own else None)),
                            html.Td(f"{item.max_points}", className="number"),
                            html.Td(reported_cell(own, item.is_veto), id=self_score_id(item.code), className="number"),
                            html.Td(
                                [
                                    _score_input(item.code, item.max_points, mine.get("score"), label, locked),
                                    _verdict(item.code, mine, locked) if item.is_veto else None,
                                    _remark_input(item.code, mine.get("remark"), locked),
                                ]
                            ),
                            html.Td(_error_slot(item.code)),
                        ]
                    )
                )
    rows.append(
        html.Tr(
            [
                html.Th(f"加分项（合计不超过 {standard.bonus_cap} 分）", colSpan=4),
                html.Th(
                    html.Span(id={"type": ids.EVALUATION_SUBTOTAL, "area": BONUS_AREA}, className="subtotal"), colSpan=2
                ),
            ],
            className="area-row",
        )
    )
    for bonus in standard.bonus_items:
        maxima[bonus.code] = [BONUS_AREA, float(bonus.max_points)]
        mine, own = saved.get(bonus.code, {}), reported.get(bonus.code)
        label = f"{bonus.code} 加分（上限 {bonus.max_points}）"
        rows.append(
            html.Tr(
                [
                    html.Td(bonus.code),
                    html.Td(item_cell(f"加分：{bonus.text}", bonus.rule, None, own["evidence"] if own else None)),
                    html.Td(f"{bonus.max_points}", className="number"),
                    html.Td(reported_cell(own, False, is_bonus=True), id=self_score_id(bonus.code), className="number"),
                    html.Td(_score_input(bonus.code, bonus.max_points, mine.get("score"), label, locked)),
                    html.Td(_error_slot(bonus.code)),
                ]
            )
        )
    area_maxima = {a.code: float(a.points) for a in standard.areas} | {BONUS_AREA: float(standard.bonus_cap)}
    submitted = any(r["is_submitted"] for r in saved.values())
    return html.Div(
        [
            own_sheet_header(archive_code, editable, submitted, status),
            html.P(self_evaluation_note(reported), id=ids.EVALUATION_SELF_NOTE, className="hint"),
            dcc.Store(
                id={"type": ids.EVALUATION_MAXIMA, "archive": archive_code},
                data={
                    "items": maxima,
                    "areas": area_maxima,
                    "pattern": SCORE_PATTERN,
                    # The archive's self-scores of the standard's items (bonus claims are never a deviation) and the
                    # share of an item's maximum beyond which an expert's score is flagged (assets/scoring.js).
                    "self": {
                        item.code: float(reported[item.code]["score"])
                        for item in standard.items
                        if item.code in reported and reported[item.code]["score"] is not None
                    },
                    "tolerance": float(TOLERANCE_SHARE),
                },
            ),
            dcc.Store(
                id={"type": ids.EVALUATION_SHEET_VERSION, "archive": archive_code}, data=sheet_version(saved.values())
            ),
            html.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th("评分项"),
                                html.Th("内容"),
                                html.Th("满分"),
                                html.Th("该馆自评"),
                                html.Th("得分与扣分说明"),
                                html.Th(""),
                            ]
                        )
                    ),
                    html.Tbody(rows),
                ],
                className="score-table",
            ),
        ]
    ), editable


def pending_block(items: Sequence[Mapping[str, Any]], *, editable: bool = False) -> html.Div:
    """Why an archive is 待合议 and how to settle it: its items whose experts differ by more than 20 % of the
    maximum, with their scores, and where the panel's reconciled values are entered (`editable`: on this page too,
    by the bureau while the round is open)."""
    rows = [
        [
            i["item_code"],
            i["item_text"],
            f"{i['max_points']}",
            # One decimal each, as the standard scores them (a bonus left blank counts 0: it read 0 beside 10.0).
            "；".join(f"{scorer} {Decimal(score):.1f}" for scorer, score in i["expert_scores"]),
            f"{i['spread']}" if i["spread"] is not None else "",
            f"{i['allowed']:.1f}",
            *(
                reconcile_fields(i["item_code"], i["max_points"], i.get("reconciled"), i.get("reconciled_note"))
                if editable
                else (format_value(i.get("reconciled")), i.get("reconciled_note") or "")
            ),
        ]
        for i in items
    ]
    header = ["评分项", "内容", "满分", "专家评分", "相差", "允许相差", "合议分", "合议说明"]
    waiting = sum(1 for i in items if i.get("reconciled") is None)
    # The count is the list's: it counted only the items still waiting, above a list with those already settled.
    settled = [i["item_code"] for i in items if i.get("reconciled") is not None]
    still = f"其中 {waiting} 项尚未录入合议分，" if settled else ""
    done = f"；其余 {len(settled)} 项（{'、'.join(settled)}）已录入合议分" if settled else ""
    on_page = [html.Button("保存合议分", id=ids.EVALUATION_RECONCILE), "；或"] if editable else ["录入合议分："]
    return html.Div(
        [
            html.P(
                f"该馆的评价待合议：以下 {len(items)} 项的专家评分相差超过该项满分（加分项为上限）的 20%，{still}"
                f"须由专家组合议给出合议分，才能计算得分、等次和排名{done}。",
                className="warn",
            )
            if waiting
            else html.P(
                f"以下 {len(items)} 项的专家评分相差超过该项满分（加分项为上限）的 20%，得分取已录入的合议分"
                + ("；本轮评价结束前可以更正。" if editable else "。"),
                className="hint",
            ),
            small_table(header, rows, numeric=(2, 4, 5)),
            rescored_note(items),
            html.P(
                [
                    *on_page,
                    f"在「{KIND_LABELS['evaluation']}」工作簿的「{EVALUATION_SCORES_FORM.sheet_name}」中，"
                    "为该项各专家行填写「合议分」（各行一致）和「合议说明」，",
                    html.A("到「上传报表」页上传", href="/upload"),
                    "（或用命令 archive-census ingest evaluation）。合议分只在相差超过 20% 的评分项上采用。",
                ],
                className="hint",
            ),
        ],
        id=ids.EVALUATION_PENDING,
    )


def rescored_note(items: Sequence[Mapping[str, Any]]) -> html.P | None:
    """Which 合议分 were agreed before an expert submitted the item's score again (it still counts as agreed: the
    panel may want to correct it); None when none was."""
    changed = [f"{i['item_code']}（{'、'.join(i['rescored_after'])}）" for i in items if i.get("rescored_after")]
    if not changed:
        return None
    return html.P(
        f"以下 {len(changed)} 项录入合议分后，有专家重新提交了评分，得分仍取已录入的合议分：{'；'.join(changed)}。"
        "请核对专家评分，需要时更正合议分。",
        className="warn",
    )


def reconcile_fields(
    item_code: str, top: Decimal, given: Decimal | None = None, note: str | None = None
) -> list[html.Label]:
    """An item's 合议分 and 合议说明 fields (holding the values given, for correction), each labelled by the item for
    screen readers."""
    value = dcc.Input(
        id={"type": ids.EVALUATION_RECONCILED, "item": item_code},
        value=None if given is None else f"{given:.1f}",
        type="text",
        inputMode="numeric",
        placeholder=f"0–{top}",
        maxLength=8,
        style={"width": "80px"},
    )
    why = dcc.Input(
        id={"type": ids.EVALUATION_RECONCILED_NOTE, "item": item_code},
        value=note,
        type="text",
        maxLength=MAX_REMARK,
        style={"width": "260px"},
    )
    return [
        html.Label([html.Span(f"{item_code} 合议分", className="visually-hidden"), value]),
        html.Label([html.Span(f"{item_code} 合议说明", className="visually-hidden"), why]),
    ]


def area_table(areas: list[dict[str, Any]]) -> html.Details | None:
    """The radar's figures as a table: each area's points, its maximum and their share (none before the evaluation
    is complete)."""
    if not areas:
        return None
    rows = [
        [
            a["area_name"],
            format_value(a["subtotal"]),
            format_value(a["max_points"]),
            format_pct(share_pct(a["subtotal"], a["max_points"]), 1),
        ]
        for a in areas
    ]
    return figure_table("以表格查看各方面得分", ["方面", "得分", "满分", "得分率"], rows, numeric=(1, 2, 3))


# A typed score, once NFKC-normalised (full-width digits and point) and trimmed: digits with at most one point.
# The browser's running subtotals (assets/scoring.js) read with this same pattern, sent in the form's store, so a
# value the save takes is never counted there as one to correct, nor the reverse.
SCORE_PATTERN = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$"
# A comma is refused, not read: it was once taken for a decimal point, and 1,000 (a thousands separator in Chinese
# usage) was saved as 1.0 without a word.
SCORE_COMMA = "得分请用小数点「.」表示小数，不要用逗号。"


def read_score_texts(texts: Mapping[str, Any]) -> tuple[dict[str, Decimal | None], dict[str, str]]:
    """The scores typed into the form: a number (full-width digits tolerated) or empty; text that is not a number,
    or holds a comma, is a problem of its field, never an empty score."""
    values: dict[str, Decimal | None] = {}
    problems: dict[str, str] = {}
    for code, raw in texts.items():
        text = unicodedata.normalize("NFKC", "" if raw is None else str(raw)).strip()
        if not text:
            values[code] = None
        elif "," in text:
            problems[code] = f"「{raw}」含逗号：{SCORE_COMMA}"
        elif re.fullmatch(SCORE_PATTERN, text):
            values[code] = Decimal(text)
        else:
            problems[code] = not_a_number(raw, max_points_of(get_standard(), code))
    return values, problems


# The values of a veto item's radio items (what the save reads each as: True 通过, False 不通过).
VERDICT_VALUES = {"pass": True, "fail": False}


def read_verdicts(chosen: Mapping[str, str | None]) -> tuple[dict[str, bool], dict[str, str]]:
    """The veto verdicts sent with the form by item (none chosen: left out); a value the radio items do not have is
    a problem of its item, never read as 通过 or 不通过."""
    verdicts: dict[str, bool] = {}
    problems: dict[str, str] = {}
    for code, value in chosen.items():
        if value is None:
            continue
        if value in VERDICT_VALUES:
            verdicts[code] = VERDICT_VALUES[value]
        else:
            problems[code] = f"否决项结论只能是「{VETO_PASSED}」或「{VETO_FAILED}」（收到「{value}」）。"
    return verdicts, problems


def reconciliation_form_problems(
    typed: Mapping[str, Any],
    unreadable: Mapping[str, str],
    given: Mapping[str, Reconciliation],
    said: Mapping[str, Any],
) -> list[tuple[str, str]]:
    """Every problem of the 合议分 form at once, by item in the form's order: a value that is not a number, one out of
    range, a missing 合议说明, and a 合议说明 with no value (it was dropped without a word). They came in two passes,
    the unreadable values first."""
    checked: dict[str, list[str]] = {}
    for problem in check_reconciliations(get_standard(), {}, given):
        checked.setdefault(problem.item_code, []).append(problem.message)
    note_missing = EVALUATION_RULES_BY_ID["reconciliation_note"].message
    problems = []
    for code in typed:
        noted = bool(str(said.get(code) or "").strip())
        if code in unreadable:
            problems.append((code, unreadable[code] + ("" if noted else note_missing)))
        elif code in checked:
            problems.append((code, "".join(checked[code])))
        elif code not in given and noted:
            problems.append((code, "填写了合议说明，但合议分为空：请填写合议分，或清空合议说明。"))
    return problems


def not_a_number(raw: Any, top: Decimal | None) -> str:
    """What a field's text that is not a number is told: what to type instead, with the item's range when known."""
    if top is None:
        return f"「{raw}」不是数字。"
    return f"「{raw}」不是数字：请填写 0 至 {top} 之间的数，最多保留一位小数。"


def unsaved_sheet_problems(
    texts: Mapping[str, Any], values: Mapping[str, Decimal | None], unreadable: Mapping[str, str], scorer: str
) -> dict[str, str]:
    """A sheet not saved for fields that are not numbers: those, and in the same pass each other value's own problem
    (outside 0..the maximum, more than one decimal), in the form's order; the first save said only the unreadable
    ones, and the next save the rest."""
    readable = {code: value for code, value in values.items() if value is not None}
    own = problems_by_item(check_sheet_values(get_standard(), readable, scorer))
    return {code: unreadable.get(code) or own[code] for code in texts if code in unreadable or code in own}


def problems_by_item(problems: Sequence[ScoreProblem]) -> dict[str, str]:
    """Each item's problems as one sentence for the slot beside its field."""
    by_item: dict[str, list[str]] = {}
    for problem in problems:
        by_item.setdefault(problem.item_code, []).append(problem.message)
    return {code: " ".join(messages) for code, messages in by_item.items()}


def judge_score_text(code: str, text: Any, scorer: str) -> str:
    """What the save says of one field's text by itself (not a number, outside 0..the item's maximum, more than one
    decimal place), or "": the save's own reading (`read_score_texts`) and checks (`check_sheet_values`), one value."""
    values, unreadable = read_score_texts({code: text})
    value = values.get(code)
    if value is None:  # empty, or not a number
        return unreadable.get(code, "")
    return problems_by_item(check_sheet_values(get_standard(), {code: value}, scorer)).get(code, "")


def field_slot(code: str, text: Any, shown: Any, scorer: str) -> str:
    """The slot beside a field once the evaluator leaves it: what its text alone is wrong with, and what the last save
    said of the item that the text does not settle (须评分 while the field stays empty; a veto item's missing verdict
    while it is scored), so that moving through the form does not wipe a refused submit's marks."""
    values, unreadable = read_score_texts({code: text})
    is_blank = code not in unreadable and values.get(code) is None
    sheet_rule = EVALUATION_RULES_BY_ID["score_complete" if is_blank else "veto_verdict_required"].message
    kept = sheet_rule if isinstance(shown, str) and sheet_rule in shown else ""
    return " ".join(m for m in (judge_score_text(code, text, scorer), kept) if m)


def problem_list(title: str, problems: Mapping[str, str]) -> html.Div:
    """The problems of a save or submit as a list the evaluator can work down (first items shown)."""
    shown = list(problems.items())[:MAX_LISTED_PROBLEMS]
    more = len(problems) - len(shown)
    return html.Div(
        [
            html.P(title, className="error"),
            html.Ul([html.Li(f"{code}：{message}") for code, message in shown], id=ids.EVALUATION_PROBLEMS),
            html.P(f"另有 {more} 项，见各项旁的提示。", className="hint") if more else None,
        ]
    )


SHOWN_UNEXPLAINED = 10


def describe_unexplained(codes: Sequence[str]) -> str:
    """The items scored below full marks without a 扣分说明, the first ten named: what an issued finding's 专家意见
    would lack."""
    named = "、".join(codes[:SHOWN_UNEXPLAINED]) + ("等" if len(codes) > SHOWN_UNEXPLAINED else "")
    return (
        f"{len(codes)} 项得分低于满分而未写扣分说明（{named}）：评价结束后下发的整改问题以扣分说明为专家意见，"
        "请补写发现的问题。"
    )


def item_codes(item_ids: Any) -> list[str]:
    """The item codes of a form's item fields, as the page sends their ids; HTTP 400 for anything else."""
    if not isinstance(item_ids, list) or not all(
        isinstance(i, dict) and isinstance(i.get("item"), str) for i in item_ids
    ):
        refuse(400, FORGED_REQUEST)
    return [i["item"] for i in item_ids]


def values_by_item(item_ids: Any, values: Any) -> dict[str, Any]:
    """The values of a form's item fields by item code (the page sends ids and values in pairs); HTTP 400 else."""
    codes = item_codes(item_ids)
    if not isinstance(values, list) or len(values) != len(codes):
        refuse(400, FORGED_REQUEST)
    return dict(zip(codes, values, strict=True))


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Results, assignments, detail of the chosen archive, and the evaluator's save and submit."""

    def results(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        require_role(viewer, Role.PLANNER, Role.ADMIN, Role.PROVINCE)
        with context.reader.cursor() as con:
            named = get_standard().name_items
            found = fetch_round(con, DEFAULT_ROUND)
            is_open = found is not None and found["is_open"]
            rows = [
                {**row, "status": shown_status(row, is_open), "veto_note": named(row.get("veto_failures"))}
                for row in query_evaluation_results(con)
            ]
            if viewer.role is not Role.PROVINCE:
                return rows
            own = [a.archive_code for a in archives_in_province(viewer.province_code or "")]
            if results_published(con):
                return for_province([r for r in rows if r["archive_code"] in own], RESULT_COLUMNS)
        # In the standard's order, not the ranking's: an order by score would tell the ranks not yet published.
        by_code = {r["archive_code"]: r for r in rows}
        return for_province([by_code[code] for code in own if code in by_code], RESULT_COLUMNS, PROVINCE_RESULT_FIELDS)

    def assignments(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        require_role(viewer, Role.EVALUATOR)
        with context.reader.cursor() as con:
            return query_assignments(con, evaluator=viewer.user_name)

    def items(viewer: Viewer, archive_code: str | None, _: Any) -> list[dict[str, Any]]:
        if not _sees_results(viewer) or not may_open(context, viewer, archive_code):
            return []  # evaluators see their own sheet in the form, not other experts' scores
        with context.reader.cursor() as con:
            rows = query_item_results(con, archive_code or "")
            if _national(viewer):
                return rows
            shown = None if results_published(con) else PROVINCE_ITEM_FIELDS
        return for_province(rows, ITEM_COLUMNS, shown)

    register_grid(
        app,
        GridSpec(
            ids.EVALUATION_RESULTS_GRID,
            RESULT_COLUMNS,
            ("archive_code",),
            results,
            [(ids.EVALUATION_RESULT, "children")],
            "评价结果",
            # Whether the ranks are final or still 暂定 (the round open), as the page says above the grid.
            note=lambda viewer, *_: f"{round_state_for(context, viewer)}{STANDARD_PROVISIONAL}",
        ),
        context,
    )
    register_grid(
        app,
        GridSpec(
            ids.EVALUATION_ASSIGNMENTS_GRID,
            ASSIGNMENT_COLUMNS,
            ("archive_code",),
            assignments,
            [(ids.EVALUATION_RESULT, "children")],
            "评价任务",
            # An expert's own tasks, not the country's (it read 评价任务（全国）).
            scope=lambda viewer, *_: viewer.signed_name,
        ),
        context,
    )
    register_grid(
        app,
        GridSpec(
            ids.EVALUATION_ITEMS_GRID,
            ITEM_COLUMNS,
            ("item_code",),
            items,
            [(ids.EVALUATION_ARCHIVE, "value"), (ids.EVALUATION_RESULT, "children")],
            "评分明细",
            # Whose items: the archive chosen (three downloads of a province's archives looked the same).
            scope=lambda viewer, code, *_: archive_label(code) if may_open(context, viewer, code) else "未选择档案馆",
            # Its scores are as provisional as the results while the round is open (said on those, not on these).
            note=lambda viewer, *_: f"{round_state_for(context, viewer)}{STANDARD_PROVISIONAL}",
        ),
        context,
    )

    @app.callback(
        Output(ids.export_button(ids.EVALUATION_ITEMS_GRID), "disabled"),
        Output(ids.export_button(ids.EVALUATION_ITEMS_GRID), "title"),
        Input(ids.EVALUATION_ARCHIVE, "value"),
    )
    def offer_items_export(code: Any) -> tuple[bool, str]:
        """评分明细 exported before an archive is chosen was a file of headers named 未选择档案馆: not offered then."""
        return (False, "") if code else (True, "请先选择档案馆")

    @app.callback(Output(ids.EVALUATION_ROUND_STATE, "children"), Input(ids.EVALUATION_RESULT, "children"))
    def show_round_state(_: Any) -> str:
        viewer = current_viewer()
        require_role(viewer, Role.PLANNER, Role.ADMIN, Role.PROVINCE)
        return round_state_for(context, viewer)

    @app.callback(
        Output(ids.EVALUATION_ARCHIVE, "options"),
        Output(ids.EVALUATION_ARCHIVE, "value", allow_duplicate=True),
        Input(ids.URL, "search"),
        State(ids.EVALUATION_ARCHIVE, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def options(search: str | None, chosen: str | None) -> tuple[list[dict[str, str]], Any]:
        allowed = archive_options(context, current_viewer())
        wanted = chosen or archive_from_search(search)
        value = wanted if any(o["value"] == wanted for o in allowed) else None
        # Unchanged, the value is not sent again: that would redraw the scoring form over what was typed (the page
        # writes the chosen archive into its address, which fires this callback).
        return allowed, no_update if value == chosen else value

    @app.callback(
        Output(ids.PAGE_URL, "search", allow_duplicate=True),
        Input(ids.EVALUATION_ARCHIVE, "value"),
        prevent_initial_call=True,
    )
    def remember_archive(archive_code: str | None) -> str:
        return query_string(archive=archive_code)

    @app.callback(Output(ids.EVALUATION_REQUESTED, "children"), Input(ids.URL, "search"))
    def show_requested(search: str | None) -> Any:
        """/evaluation?archive=CODE for an archive the viewer may not open: the refusal, and nothing of it."""
        viewer = current_viewer()
        require_role(viewer, *ROLES)
        wanted = archive_from_search(search)
        if not wanted or may_open(context, viewer, wanted):
            return None
        return html.P(refusal(context, viewer, wanted), className="error", id=ids.EVALUATION_REFUSED)

    fill_from_clicked_row(app, ids.EVALUATION_RESULTS_GRID, ids.EVALUATION_ARCHIVE)
    fill_from_clicked_row(app, ids.EVALUATION_ASSIGNMENTS_GRID, ids.EVALUATION_ARCHIVE, allow_duplicate=True)

    @app.callback(
        Output(ids.EVALUATION_RADAR, "figure"),
        Output(ids.EVALUATION_RADAR_TABLE, "children"),
        Output(ids.EVALUATION_REPORT_LINK, "children"),
        Input(ids.EVALUATION_ARCHIVE, "value"),
        Input(ids.EVALUATION_RESULT, "children"),
    )
    def show_archive(archive_code: str | None, _: Any) -> tuple[Any, Any, Any]:
        viewer = current_viewer()
        if not _sees_results(viewer) or not may_open(context, viewer, archive_code):
            return empty_figure("在上表点击一家档案馆或从列表中选择，查看各方面得分率。"), None, ""
        with context.reader.cursor() as con:
            if not _national(viewer) and not results_published(con):
                return empty_figure(f"{PROVINCE_UNPUBLISHED}；下表为该馆的自评。"), None, ""
            areas = query_area_results(con, archive_code=archive_code)
            pending = query_pending_reconciliations(con, archive_code or "", settled=_national(viewer))
            found = query_evaluation_results(con, archive_code=archive_code)
            round_found = fetch_round(con, DEFAULT_ROUND)
        status = found[0]["status"] if found else EvaluationStatus.INCOMPLETE.value
        # The report is of a completed evaluation only: before, a line saying so (the link led to a refusal).
        link: Any = (
            html.A(
                "下载反馈报告",
                href=f"/download/evaluation/{archive_code}",
                id=ids.EVALUATION_REPORT_DOWNLOAD,
                className="button-secondary",
            )
            if status == EvaluationStatus.COMPLETE
            else html.Span(f"该馆的评价{status}，完成后可下载反馈报告。", className="hint")
        )
        if _national(viewer) and round_found and round_found["is_open"]:
            # What the bureau sends the archive for its self-evaluation: a row for each item, to score and return.
            template = f"/download/template/{EVALUATION_WORKBOOK.kind}?archive={archive_code}"
            link = [
                link,
                " ",
                html.A("下载该馆的自评模板（已列出全部评分项）", href=template, className="button-secondary"),
            ]
        # The experts' diverging scores, by name, are the bureau's to settle (its planners enter the panel's values
        # while the round is open): a province reads the areas.
        editable = viewer.role is Role.PLANNER and bool(round_found and round_found["is_open"])
        waiting = any(i["reconciled"] is None for i in pending)
        detail = [
            pending_block(pending, editable=editable) if pending and _national(viewer) else None,
            None if waiting and _national(viewer) else area_table(areas),
        ]
        return build_radar(areas, "各方面得分率"), detail, link

    @app.callback(
        Output(ids.EVALUATION_RECONCILE_RESULT, "children"),
        Output(ids.EVALUATION_RESULT, "children", allow_duplicate=True),
        Input(ids.EVALUATION_RECONCILE, "n_clicks"),
        State(ids.EVALUATION_ARCHIVE, "value"),
        State({"type": ids.EVALUATION_RECONCILED, "item": ALL}, "value"),
        State({"type": ids.EVALUATION_RECONCILED, "item": ALL}, "id"),
        State({"type": ids.EVALUATION_RECONCILED_NOTE, "item": ALL}, "value"),
        State({"type": ids.EVALUATION_RECONCILED_NOTE, "item": ALL}, "id"),
        prevent_initial_call=True,
    )
    def reconcile(
        clicks: Any, archive_code: Any, values: Any, value_ids: Any, notes: Any, note_ids: Any
    ) -> tuple[Any, Any]:
        """The bureau saves the panel's reconciled values of the chosen archive (refreshing its detail and the
        results, which follow the hidden result line)."""
        viewer = current_viewer()
        require_role(viewer, Role.PLANNER)
        require_text(archive_code)
        if not clicks or not archive_code:
            return no_update, no_update
        if not may_open(context, viewer, archive_code):
            return refusal(context, viewer, archive_code), no_update
        typed = values_by_item(value_ids, values)
        said = values_by_item(note_ids, notes)
        require_text(*said.values())
        numbers, unreadable = read_score_texts(typed)
        given = {
            code: Reconciliation(value, str(said.get(code) or ""))
            for code, value in numbers.items()
            if value is not None
        }
        problems = reconciliation_form_problems(typed, unreadable, given, said)
        if problems:
            return html.Div([html.P(f"{code}：{text}") for code, text in problems], className="error"), no_update
        try:
            done = record_reconciliations(context.settings, viewer.user_name, archive_code, given)
        except CensusError as error:
            return html.P(said_on_page(error), className="error"), no_update
        kept = (
            f"{len(done['unchanged'])} 项合议分与已保存的相同（{'、'.join(done['unchanged'])}）"
            if done["unchanged"]
            else ""
        )
        if not done["reconciled"]:
            return html.P(f"{kept}，未作改动。", className="ok"), no_update
        state = done.get("status") or EvaluationStatus.INCOMPLETE.value
        score = (
            f"，{RESULT_LABELS['final_score']} {done['final_score']:.1f} 分"
            if done.get("final_score") is not None
            else ""
        )
        if done.get("unreconciled"):
            score = f"，尚有 {len(done['unreconciled'])} 项待合议（{'、'.join(done['unreconciled'])}）"
        text = (
            f"已保存 {len(done['reconciled'])} 项合议分（{'、'.join(done['reconciled'])}）：该馆的评价{state}{score}。"
            + (f"另有 {kept}，未作改动。" if kept else "")
        )
        return html.P(text, className="ok"), text

    @app.callback(
        Output(ids.EVALUATION_ISSUE_PREVIEW, "children"),
        Output(ids.EVALUATION_ISSUE, "disabled"),
        Output(ids.EVALUATION_ISSUE_PREVIEW, "className"),
        Input(ids.EVALUATION_ARCHIVE, "value"),
        Input(ids.EVALUATION_ISSUE_RESULT, "children"),
        Input(ids.EVALUATION_ISSUE_FLOOR, "value"),
        Input(ids.EVALUATION_ISSUE_DATE, "value"),
    )
    def show_issue(archive_code: str | None, _: Any, floor: Any, day: Any) -> tuple[str, bool, str]:
        viewer = current_viewer()
        require_role(viewer, Role.PLANNER)
        require_text(archive_code, day)
        severity = read_floor(floor)
        if archive_code and not may_open(context, viewer, archive_code):
            return refusal(context, viewer, archive_code), True, "hint"
        text, possible, kind = describe_issue(context, archive_code, severity, read_day(day))
        return text, not possible, kind

    @app.callback(
        Output(ids.EVALUATION_ISSUE_RESULT, "children"),
        Input(ids.EVALUATION_ISSUE, "n_clicks"),
        State(ids.EVALUATION_ARCHIVE, "value"),
        State(ids.EVALUATION_ISSUE_DATE, "value"),
        State(ids.EVALUATION_ISSUE_DOC, "value"),
        State(ids.EVALUATION_ISSUE_PERSON, "value"),
        State(ids.EVALUATION_ISSUE_FLOOR, "value"),
        prevent_initial_call=True,
    )
    def issue(
        _: Any, archive_code: str | None, day: str | None, doc_no: str | None, person: str | None, floor: Any
    ) -> Any:
        viewer = current_viewer()
        require_role(viewer, Role.PLANNER)
        require_text(archive_code, day, doc_no, person)
        return issue_problems(context, viewer, archive_code, day, doc_no, person, read_floor(floor))

    @app.callback(
        Output(ids.EVALUATION_WITHDRAW_BLOCK, "hidden"),
        Output(ids.EVALUATION_WITHDRAW_PREVIEW, "children"),
        Output(ids.EVALUATION_WITHDRAW, "disabled"),
        Input(ids.EVALUATION_ARCHIVE, "value"),
        Input(ids.EVALUATION_ISSUE_RESULT, "children"),
    )
    def show_withdrawal(archive_code: str | None, _: Any) -> tuple[bool, str, bool]:
        viewer = current_viewer()
        require_role(viewer, Role.PLANNER)
        require_text(archive_code)
        if archive_code and not may_open(context, viewer, archive_code):
            return True, "", True
        text, possible = describe_withdrawal(context, archive_code)
        return text is None, text or "", not possible

    @app.callback(
        Output(ids.EVALUATION_ISSUE_RESULT, "children", allow_duplicate=True),
        Output(ids.EVALUATION_WITHDRAW_REASON, "value"),
        Input(ids.EVALUATION_WITHDRAW, "n_clicks"),
        State(ids.EVALUATION_ARCHIVE, "value"),
        State(ids.EVALUATION_WITHDRAW_REASON, "value"),
        prevent_initial_call=True,
    )
    def withdraw(_: Any, archive_code: str | None, reason: str | None) -> tuple[Any, Any]:
        viewer = current_viewer()
        require_role(viewer, Role.PLANNER)
        require_text(archive_code, reason)
        said = withdraw_problems(context, viewer, archive_code, reason)
        # The reason is cleared once used; a refusal keeps what was typed.
        return said, "" if said.className == "ok" else no_update

    # The draft button says before the click what it does to a submitted sheet (withdraws it from the results).
    @app.callback(
        Output(ids.EVALUATION_SAVE, "children"),
        Input(ids.EVALUATION_ARCHIVE, "value"),
        Input(ids.EVALUATION_RESULT, "children"),
    )
    def name_save_button(archive_code: str | None, _result: Any) -> str:
        viewer = current_viewer()
        require_role(viewer, Role.EVALUATOR)
        require_text(archive_code)
        return save_button_label(context, viewer, archive_code)

    # Not redrawn after a save: a refused save must leave what the evaluator typed (and the problems beside it).
    # Saving and submitting are offered only with a sheet open (no archive chosen, or one refused: a paragraph).
    @app.callback(
        Output(ids.EVALUATION_FORM, "children"),
        Output(ids.EVALUATION_SAVE, "disabled"),
        Output(ids.EVALUATION_SUBMIT, "disabled"),
        Input(ids.EVALUATION_ARCHIVE, "value"),
    )
    def show_form(archive_code: str | None) -> tuple[Any, bool, bool]:
        viewer = current_viewer()
        require_role(viewer, Role.EVALUATOR)
        form, editable = scoring_form(context, viewer, archive_code)
        return form, not editable, not editable

    # Pattern-matched outputs and states: the form, its store and the total exist only once an evaluator opens an
    # archive (a plain id that is absent makes the renderer throw). One pass over the typed scores gives the running
    # subtotals and total, and marks each self-score the typed score is too far from (as the results will flag it).
    app.clientside_callback(
        ClientsideFunction("archiveCensus", "scoreSheetLive"),
        Output({"type": ids.EVALUATION_SUBTOTAL, "area": ALL}, "children"),
        Output({"type": ids.EVALUATION_TOTAL, "sheet": ALL}, "children"),
        Output({"type": ids.EVALUATION_SELF_SCORE, "item": ALL}, "className"),
        Input({"type": ids.EVALUATION_SCORE, "item": ALL}, "value"),
        State({"type": ids.EVALUATION_SCORE, "item": ALL}, "id"),
        State({"type": ids.EVALUATION_SUBTOTAL, "area": ALL}, "id"),
        State({"type": ids.EVALUATION_MAXIMA, "archive": ALL}, "data"),
        State({"type": ids.EVALUATION_TOTAL, "sheet": ALL}, "id"),
        State({"type": ids.EVALUATION_SELF_SCORE, "item": ALL}, "id"),
    )

    # A field is judged as soon as it is left (blur) or Enter is pressed in it, by the save's own reading and checks;
    # the subtotals stay live keystroke by keystroke (its value is not debounced). The save below still judges the
    # whole sheet and fills every slot (ALL); this fills one (MATCH): allow_duplicate suffixes this output with a hash
    # of the inputs, so the renderer does not see the two as overlapping. No warehouse read: the standard says it all.
    @app.callback(
        Output({"type": ids.EVALUATION_SCORE_ERROR, "item": MATCH}, "children", allow_duplicate=True),
        Input({"type": ids.EVALUATION_SCORE, "item": MATCH}, "n_blur"),
        Input({"type": ids.EVALUATION_SCORE, "item": MATCH}, "n_submit"),
        State({"type": ids.EVALUATION_SCORE, "item": MATCH}, "value"),
        State({"type": ids.EVALUATION_SCORE, "item": MATCH}, "id"),
        State({"type": ids.EVALUATION_SCORE_ERROR, "item": MATCH}, "children"),
        prevent_initial_call=True,
    )
    def check_field(_blur: Any, _enter: Any, text: Any, field_id: Any, shown: Any) -> str:
        viewer = current_viewer()
        require_role(viewer, Role.EVALUATOR)
        require_text(text, shown)
        (code,) = item_codes([field_id])
        return field_slot(code, text, shown, viewer.user_name)

    @app.callback(
        Output(ids.EVALUATION_RESULT, "children"),
        Output({"type": ids.EVALUATION_SCORE_ERROR, "item": ALL}, "children"),
        Output({"type": ids.EVALUATION_SHEET_VERSION, "archive": ALL}, "data"),
        Input(ids.EVALUATION_SAVE, "n_clicks"),
        Input(ids.EVALUATION_SUBMIT, "n_clicks"),
        State(ids.EVALUATION_ARCHIVE, "value"),
        State({"type": ids.EVALUATION_SCORE, "item": ALL}, "value"),
        State({"type": ids.EVALUATION_SCORE, "item": ALL}, "id"),
        State({"type": ids.EVALUATION_VERDICT, "item": ALL}, "value"),
        State({"type": ids.EVALUATION_VERDICT, "item": ALL}, "id"),
        State({"type": ids.EVALUATION_SCORE_ERROR, "item": ALL}, "id"),
        State({"type": ids.EVALUATION_REMARK, "item": ALL}, "value"),
        State({"type": ids.EVALUATION_REMARK, "item": ALL}, "id"),
        State({"type": ids.EVALUATION_SHEET_VERSION, "archive": ALL}, "data"),
        prevent_initial_call=True,
    )
    def save(
        _save: Any,
        _submit: Any,
        archive_code: str | None,
        scores: list[Any],
        score_ids: list[dict[str, str]],
        verdicts: list[Any],
        verdict_ids: list[dict[str, str]],
        slot_ids: list[dict[str, str]],
        remarks: list[Any],
        remark_ids: list[dict[str, str]],
        versions: list[Any],
    ) -> tuple[Any, list[str], Any]:
        viewer = current_viewer()
        require_role(viewer, Role.EVALUATOR)
        require_text(archive_code, *versions)
        slot_items = item_codes(slot_ids)
        if len(versions) != len(ctx.outputs_list[2]):  # the page sends each store it updates (forged: HTTP 500)
            refuse(400, FORGED_REQUEST)
        kept = [no_update] * len(versions)  # a wildcard output takes a list
        if not archive_code:
            return "请先选择档案馆。", [""] * len(slot_items), kept
        submit = ctx.triggered_id == ids.EVALUATION_SUBMIT
        texts = values_by_item(score_ids, scores)
        values, unreadable = read_score_texts(texts)
        chosen = values_by_item(verdict_ids, verdicts)
        typed = values_by_item(remark_ids, remarks)
        require_text(*chosen.values(), *typed.values())
        # A verdict the radio items cannot send was read as 不通过 (only "pass" was asked for): refused, not stored.
        veto, bad_verdicts = read_verdicts(chosen)
        problems = (
            unsaved_sheet_problems(texts, values, unreadable, viewer.user_name) if unreadable or bad_verdicts else {}
        )
        for item, message in bad_verdicts.items():
            problems[item] = f"{problems[item]} {message}" if item in problems else message
        outcome = None
        if not problems:
            try:
                outcome = save_scores(
                    context.settings,
                    viewer.user_name,
                    archive_code,
                    values,
                    submit,
                    veto_verdicts=veto,
                    remarks=typed,
                    seen_version=versions[0] if versions else None,
                )
            except EvaluationInvalid as error:
                problems = problems_by_item(error.problems)
            except CensusError as error:
                return html.P(said_on_page(error), className="error"), [""] * len(slot_ids), kept
        slots = [problems.get(item, "") for item in slot_items]
        if outcome is None:
            verb = "提交" if submit else "保存"
            return (
                problem_list(f"未{verb}：{len(problems)} 项需要更正（已在各项旁标出），本次未做任何处理。", problems),
                slots,
                kept,
            )
        # This form goes on from the sheet it saved.
        version = [outcome["version"]] * len(versions)
        missing = f"，尚有 {len(outcome['missing'])} 项未评" if outcome["missing"] else ""
        saved_at = format_datetime(outcome["saved_at"])
        verb = "已提交" if submit else "草稿已保存（未提交，不计入结果）"
        if outcome["withdrawn"]:
            verb = "已撤回此前的提交，存为草稿（不计入结果，修改后请重新提交）"
        text = f"{verb}：{archive_label(archive_code)} 已评 {outcome['scored']} 项{missing}（{saved_at}）"
        if outcome["unchanged"]:  # neither written nor logged again
            state = "提交的评分表" if submit else "保存的草稿"
            text = f"未作改动：{archive_label(archive_code)}的评分与{saved_at}{state}相同（已评 {outcome['scored']} 项{missing}）"
        said = html.P(text, className="ok")
        notes = []
        if outcome["veto_full_marks"]:
            contradicted = "、".join(outcome["veto_full_marks"])
            notes.append(f"{contradicted}：{EVALUATION_RULES_BY_ID['veto_failed_full_marks'].message}")
        if outcome["unexplained"]:
            notes.append(describe_unexplained(outcome["unexplained"]))
        if not notes:
            return said, slots, version
        return html.Div([said, *(html.P(note, className="warn") for note in notes)]), slots, version
