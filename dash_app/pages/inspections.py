"""`/inspections`: findings by state, severity, province and inspected body; the overdue list; a finding's history;
provincial offices (rectifiers, and reviewers of their own bureau's inspections) and national reviewers move findings
through the lifecycle here; a prefecture's or county's office reads its own area's findings."""

from __future__ import annotations

import base64
import re
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update

from census_schema.errors import CensusError
from census_schema.holidays import is_working_day
from census_schema.roles import LOCAL_ROLES, Role
from census_schema.settings import Settings
from census_schema.supervision.checklist import CHECKLIST_PROVISIONAL, CHECKLISTS
from census_schema.supervision.codes import (
    CENTRAL_UNIT_CLASSES,
    COMPREHENSIVE,
    FINDING_ACTION,
    FINDING_ROLE,
    FINDING_SEVERITY,
    FINDING_STATUS,
    INSPECTED_UNIT_CLASS,
    SPECIAL,
    FindingSource,
    FindingStatus,
    Grade,
)
from census_schema.supervision.codes import FindingRole as LifecycleRole
from census_schema.supervision.evaluation import STANDARDS
from census_schema.supervision.forms import CORRECTABLE_FINDING_FIELDS, FINDINGS_FORM, RECTIFICATION_FORM
from census_schema.supervision.rectification import MAX_DEADLINE_YEARS, MEASURES_ACTION_NAMES, MEASURES_ACTIONS
from dash_app import ids
from dash_app.access import (
    Viewer,
    current_viewer,
    refuse,
    refused_on_page,
    require_role,
    require_text,
    said_on_page,
    scope_province,
)
from dash_app.components import card, dropdown, graph, labelled, page_url, query_string
from dash_app.context import AppContext, current_context
from dash_app.figures import build_bar
from dash_app.formatting import (
    describe_report_waiting,
    describe_sources,
    format_count,
    format_date,
    format_datetime,
    province_names,
    transition_time,
    with_names,
)
from dash_app.grid import (
    FITTED_PADDING_PX,
    Column,
    GridSpec,
    fill_from_clicked_row,
    grid_block,
    register_grid,
    text_width,
)
from dash_app.reminders import FINDING_KINDS, load_reminders, reminders_section
from flows.supervision import (
    EVIDENCE_SUFFIXES,
    EVIDENCE_TYPES_TEXT,
    change_finding,
    correct_loaded_finding,
    stored_evidence_path,
)
from supervision.lifecycle import TRANSITIONS, DeadlineRule, is_independent_of, latest_deadline
from warehouse.evaluation_findings import MAX_REASON
from warehouse.inspections import (
    account_lifecycle_roles,
    allowed_targets,
    answers_for,
    correctable_field,
    describe_correction,
    fetch_finding_states,
    in_local_area,
    query_finding_history,
    query_findings,
    query_inspections,
    summarize_findings,
    summarize_inspections,
)
from warehouse.reminders import DUE_SOON, overdue_reminder, query_reminders

PATH = "/inspections"
NAME = "检查整改"
ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE, *sorted(LOCAL_ROLES))
# What the other roles are told on the refusal (and on a refused evidence file): who handles findings, whom to ask.
REFUSAL_NOTE = (
    "检查发现的问题由国家档案局和各省级档案部门办理（省级档案部门代本省地级、县级单位记录整改并复核）；"
    "中央单位如需了解本单位的问题及其整改情况，请向国家档案局咨询。"
)
# What the accounts that act on no finding read where the lifecycle form would be (the warehouse refuses them
# whatever they send: `account_lifecycle_roles`).
LOCAL_READ_ONLY_NOTE = (
    "本页只供查看本地区单位的问题及其整改情况：整改进展和整改报告由省级档案部门代为记录并复核，"
    "请将整改材料报送本省档案局。"
)
READ_ONLY_NOTES = {
    **dict.fromkeys(LOCAL_ROLES, LOCAL_READ_ONLY_NOTE),
    Role.ADMIN: "系统管理员只查看问题及其整改情况，不办理整改：整改的记录和复核由省级档案部门和国家档案局办理。",
}
# The areas a finding can be of: the inspection checklists' and the evaluation standards'.
FINDING_AREAS = (
    *(area.name for checklist in CHECKLISTS.values() for area in checklist.areas),
    *(area.name for standard in STANDARDS.values() for area in standard.areas),
)
# The findings list at 1,400 pixels, nothing to scroll sideways to: what a planner reads first leads (which finding,
# where, how serious, how far and how late, what is wrong); each code is as wide as the longest of its code list,
# the finding's number, the unit and the description wrap and share what is left. 方面, 类别 and 来源, read less
# often, come last and may take two lines.
FINDING_COLUMNS = [
    # A number as the demo's (SJ11-2024-01-01) on one line; a longer one breaks at its hyphens.
    Column(
        "finding_id", "问题编号", "code", wrap=True, wrap_width=text_width("SJ11-2024-01-01") + 2 * FITTED_PADDING_PX
    ),
    Column("province_name", "省份", tooltip="province_code", fits=province_names(), lines=2),
    Column("unit_name", "被检查（评价）单位", wrap=True, wrap_width=140),
    Column("severity", "严重程度", fits=FINDING_SEVERITY.values),
    Column("status", "状态", fits=FINDING_STATUS.values, lines=2),
    Column("deadline", "整改期限", "date"),
    Column("overdue_days", "逾期", "int", "天", fits=("9,999",)),
    Column("description", "问题描述", wrap=True, wrap_width=270),
    Column("area_name", "方面", fits=FINDING_AREAS, lines=2),
    Column("unit_class", "类别", fits=INSPECTED_UNIT_CLASS.values, lines=2),
    Column("source", "来源", fits=tuple(FindingSource), lines=2),
]
# The inspection records (national users only: inspections are the bureaus' own). Which inspection of whom and its
# result first (grade, compliance, findings open and overdue were out of view at 1,400 pixels); who organised it
# and the documents behind it last, reached by scrolling sideways (16 columns do not fit).
RECORD_COLUMNS = [
    Column("inspection_id", "检查编号", "code"),
    Column("year", "年度", "year"),
    Column("inspection_type", "检查类型"),
    Column("unit_name", "被检查单位"),
    Column("province_name", "省份", tooltip="province_code"),
    Column("unit_class", "类别"),
    Column("grade", "等次或结论"),
    Column("compliance_pct", "合规率", "pct", "%"),
    Column("findings", "问题", "int", "个"),
    Column("open_findings", "未销号", "int", "个"),
    Column("overdue", "逾期", "int", "个"),
    Column("feedback_date", "反馈日期", "date"),
    Column("organiser", "组织单位"),
    Column("feedback_doc_no", "反馈文书编号"),
    Column("submission_id", "提交编号", "code"),
    Column("excel_row", "检查记录行号", "row"),
]
# Sized to what each column can hold, not to the rows first shown: a change made on this page adds a row whose
# values may be longer. The lifecycle's words are as wide as the longest of their code lists; names, notes, measures
# and evidence wrap and share what is left (at 1,400 pixels: no sideways scrolling).
HISTORY_COLUMNS = [
    Column("seq", "序号", "int", fits=("999",)),
    Column("changed_at", "时间", "datetime"),
    Column("changer", "经办人", wrap=True, wrap_width=80),
    Column("role_label", "角色", fits=FINDING_ROLE.values),
    Column("action", "操作", fits=FINDING_ACTION.values),
    Column("from_status", "原状态", fits=FINDING_STATUS.values),
    Column("to_status", "新状态", fits=FINDING_STATUS.values),
    Column("note", "说明", wrap=True, wrap_width=130),
    Column("measures", "整改措施", wrap=True, wrap_width=130),
    Column("evidence_link", "佐证材料", "link", wrap=True, wrap_width=130),
    Column("new_deadline", "新期限", "date"),
]


# Who reads the inspection records: national users, and a provincial office its own province's.
RECORD_READERS = (Role.PLANNER, Role.ADMIN, Role.PROVINCE)


def lifecycle_roles(viewer: Viewer, finding: Mapping[str, Any]) -> tuple[LifecycleRole, ...]:
    """The lifecycle roles the viewer acts in on this finding (its history's row): `account_lifecycle_roles`, which
    the warehouse enforces on every change."""
    return account_lifecycle_roles(Role(viewer.role), viewer.province_code, finding)


def findings_province(viewer: Viewer) -> str | None:
    """The province whose findings hold the viewer's (None: every one), refused (HTTP 403) to the roles that see
    none."""
    own = viewer.scope
    if viewer.role in LOCAL_ROLES and own is not None:
        return own.province_code
    return scope_province(viewer)


def sees_finding(viewer: Viewer, finding: Mapping[str, Any]) -> bool:
    """Whether the viewer may read a finding: every one for national users, a provincial office its province's own
    units' (`answers_for`), a prefecture's or county's office its area's (`in_local_area`), nobody else any."""
    own = viewer.scope
    if viewer.role in LOCAL_ROLES:
        return own is not None and in_local_area(own, finding)
    return viewer.role in ROLES and answers_for(scope_province(viewer), finding)


def load_findings(
    context: AppContext, viewer: Viewer, status: str | None, overdue: list[str] | None
) -> list[dict[str, Any]]:
    """The findings the viewer may see, filtered (an unknown status is a bad request)."""
    if status and (not isinstance(status, str) or status not in set(FindingStatus)):
        refuse(400, f"未知的整改状态「{str(status)[:20]}」。")
    province = findings_province(viewer)
    with context.reader.cursor() as con:
        rows = query_findings(
            con,
            context.settings.today(),
            province_code=province,
            status=status or None,
            overdue_only=bool(overdue),
        )
    # 逾期 is blank where a finding is not overdue (as on the command line), not 0 days.
    return with_unit_places([{**r, "overdue_days": r["overdue_days"] or None} for r in rows if sees_finding(viewer, r)])


def findings_note(status: str | None, overdue: list[str] | None, today: date) -> str:
    """What an export of the findings was filtered by (a file of 整改中 overdue findings read as all unresolved
    ones), and the day overdue days were counted to (a printed export lost it)."""
    chosen = [f"状态为「{status}」" if status else "", "只含逾期问题" if overdue else ""]
    filters = "，".join(c for c in chosen if c)
    said = f"筛选条件：{filters}。" if filters else ""
    return said + f"逾期判断日 {format_date(today)}：逾期（天）为该日已过整改期限、未销号的天数。"


def with_unit_places(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows named (with_names), a central organ's or enterprise's 省份 being its class: located in Beijing, it is not
    Beijing's (its findings are counted apart from every province, as /coverage counts its returns)."""
    return with_names(
        [{**r, "province_name": r["unit_class"]} if r["unit_class"] in CENTRAL_UNIT_CLASSES else r for r in rows]
    )


def load_history(context: AppContext, viewer: Viewer, finding_id: str | None) -> dict[str, Any] | None:
    """A finding and its transitions, if the viewer may see it (none for a value that is not a finding number)."""
    if not finding_id or not isinstance(finding_id, str):
        return None
    with context.reader.cursor() as con:
        try:
            history = query_finding_history(con, finding_id)
        except CensusError:
            return None
    # Central organs and enterprises (all in Beijing) answer to the national bureau, not to Beijing's office.
    return history if sees_finding(viewer, history) else None


def layout(
    status: str | None = None, overdue: str | None = None, finding: str | None = None, **_query: str
) -> html.Div:
    """Summary, filters, the findings grid, and a finding's history with the lifecycle form; the filters and the
    finding come from the address (?status=整改中&overdue=1&finding=…) and go back into it."""
    statuses = [s.value for s in FindingStatus]
    evidence = evidence_spec(current_context().settings)
    viewer = current_viewer()
    # A provincial office reads its own province's records (the inspections its bureau organised among them).
    records = (
        [html.H2("检查记录"), grid_block(ids.INSPECTIONS_RECORDS_GRID, RECORD_COLUMNS, row_id="inspection_id")]
        if viewer.role in RECORD_READERS
        else []
    )
    # A prefecture's or county's office and an administrator act on no finding: told so instead of shown a form.
    read_only_note = READ_ONLY_NOTES.get(Role(viewer.role))
    return html.Div(
        [
            page_url(),
            html.H1("监督检查与问题整改"),
            html.P(CHECKLIST_PROVISIONAL, className="hint"),
            html.Div(id=ids.INSPECTIONS_CARDS, className="cards"),
            html.Div(id=ids.INSPECTIONS_REMINDERS),
            graph(ids.INSPECTIONS_CHART),
            html.Div(
                [
                    labelled(
                        "整改状态",
                        dropdown(
                            ids.INSPECTIONS_STATUS,
                            [{"label": s, "value": s} for s in statuses],
                            placeholder="全部状态",
                            value=status if status in statuses else None,
                            style={"width": "220px"},
                        ),
                    ),
                    dcc.Checklist(
                        id=ids.INSPECTIONS_OVERDUE,
                        options=[{"label": "只看逾期", "value": "overdue"}],
                        value=["overdue"] if overdue == "1" else [],
                    ),
                ],
                className="toolbar",
            ),
            grid_block(ids.INSPECTIONS_GRID, FINDING_COLUMNS, row_id="finding_id", fit_width=True),
            html.H2("问题详情与整改流转"),
            labelled(
                "问题编号",
                dcc.Input(
                    id=ids.INSPECTIONS_FINDING,
                    value=finding or "",
                    placeholder="点击上表一行，或输入编号",
                    debounce=True,
                    style={"width": "260px"},
                ),
                for_id=ids.INSPECTIONS_FINDING,
            ),
            html.Div(id=ids.INSPECTIONS_DETAIL, className="result"),
            grid_block(ids.INSPECTIONS_HISTORY_GRID, HISTORY_COLUMNS, fit_width=True),
            *([html.P(read_only_note, className="hint")] if read_only_note else []),
            html.Div(
                [
                    labelled(
                        "操作",
                        dropdown(ids.INSPECTIONS_ACTION, [], placeholder="选择操作", style={"width": "280px"}),
                    ),
                    labelled(
                        "说明",
                        dcc.Input(
                            id=ids.INSPECTIONS_NOTE,
                            placeholder="原因、意见或进展说明",
                            maxLength=RECTIFICATION_FORM.field("note").max_length,
                            style={"width": "320px"},
                        ),
                        for_id=ids.INSPECTIONS_NOTE,
                    ),
                    labelled(
                        "整改措施",
                        dcc.Textarea(
                            id=ids.INSPECTIONS_MEASURES,
                            maxLength=RECTIFICATION_FORM.field("measures").max_length,
                            placeholder="整改责任人开始整改、提交整改报告、报告阶段进展时填写：采取或已采取的措施",
                            style={"width": "360px", "height": "3.2em"},
                        ),
                        for_id=ids.INSPECTIONS_MEASURES,
                    ),
                    labelled(
                        "新整改期限",
                        dcc.Input(id=ids.INSPECTIONS_DEADLINE, type="date", style={"width": "180px"}),  # type: ignore[arg-type]
                        for_id=ids.INSPECTIONS_DEADLINE,
                    ),
                    labelled(
                        "佐证材料",
                        # One Tab stop, the upload's own file input (invisible): a button inside was a second one;
                        # the look of a button shows the input's focus (app.css). Neither a size limit nor `accept`
                        # in the browser (it dropped a larger file, or one of another type, unsaid and kept the file
                        # chosen before): assets/evidence.js says which file is chosen or refuses it, saying why.
                        dcc.Upload(
                            html.Span("选择文件", className="button-secondary"),
                            id=ids.INSPECTIONS_EVIDENCE,
                            max_size=-1,
                            className="file-picker",
                        ),
                    ),
                    html.Span(evidence["idle"], id=ids.INSPECTIONS_EVIDENCE_CHOSEN, className="hint", role="status"),
                    dcc.Store(id=ids.INSPECTIONS_EVIDENCE_SPEC, data=evidence),
                    html.Button("提交", id=ids.INSPECTIONS_APPLY),
                ],
                className="toolbar form-row",
                hidden=read_only_note is not None,
            ),
            # What the chosen action asks for and will change, said before 提交 (a return, a close or a reopening is
            # recorded for good: only another action moves the finding again).
            html.P(id=ids.INSPECTIONS_ACTION_PREVIEW, className="hint"),
            *correction_form(viewer),
            html.Div(id=ids.INSPECTIONS_RESULT, className="result", role="status"),
            *records,
        ]
    )


def correction_form(viewer: Viewer) -> list[Any]:
    """The national bureau's form correcting what a loaded finding says (an inspections workbook sent again never
    changes it); the server refuses anyone else (`correct_finding`)."""
    if viewer.role is not Role.PLANNER:
        return []
    options = [{"label": FINDINGS_FORM.field(name).label, "value": name} for name in CORRECTABLE_FINDING_FIELDS]
    return [
        html.H3("更正问题内容"),
        html.P(
            "再次报送检查工作簿不会改变已装载的问题；问题描述等确有错误的，由国家档案局在此更正，记入审计日志。"
            "整改期限请用上方的「延期」。",
            className="hint",
        ),
        html.Div(
            [
                labelled(
                    "更正项",
                    dropdown(
                        ids.INSPECTIONS_CORRECT_FIELD, options, placeholder="选择要更正的一项", style={"width": "200px"}
                    ),
                ),
                labelled(
                    "更正为",
                    dcc.Textarea(id=ids.INSPECTIONS_CORRECT_VALUE, style={"width": "360px", "height": "3.2em"}),
                    for_id=ids.INSPECTIONS_CORRECT_VALUE,
                ),
                labelled(
                    "更正原因",
                    dcc.Input(id=ids.INSPECTIONS_CORRECT_REASON, maxLength=MAX_REASON, style={"width": "240px"}),
                    for_id=ids.INSPECTIONS_CORRECT_REASON,
                ),
                html.Button("更正", id=ids.INSPECTIONS_CORRECT),
            ],
            className="toolbar form-row",
        ),
        html.P(id=ids.INSPECTIONS_CORRECT_PREVIEW, className="hint", role="status"),
    ]


def preview_correction(history: Mapping[str, Any] | None, field: str | None, value: str | None) -> str:
    """What 更正 will change, said before it is clicked; "" until a finding and a field are chosen."""
    if history is None or not field:
        return ""
    target = correctable_field(field)
    before, after = history[target.name], (value or "").strip() or None
    if before == after:
        return f"「{target.label}」未改动。"
    return (
        f"将把{describe_correction(history['finding_id'], target, before, after)}；点「更正」后生效，并记入审计日志。"
    )


def evidence_spec(settings: Settings) -> dict[str, Any]:
    """What the evidence picker takes (assets/evidence.js): the kinds and the largest file, said in words, and what it
    says before a file is chosen. A file travels base64-encoded (4 bytes for 3) in a callback, whose body the server
    caps near `max_upload_bytes`."""
    limit = min(settings.max_evidence_bytes, settings.max_upload_bytes * 3 // 4)
    limit_text = f"{limit / 1048576:g} MB"
    return {
        "upload": ids.INSPECTIONS_EVIDENCE,
        "limit": limit,
        "limitText": limit_text,
        "suffixes": sorted(EVIDENCE_SUFFIXES),
        "typesText": EVIDENCE_TYPES_TEXT,
        "idle": f"未选择文件（{EVIDENCE_TYPES_TEXT}，不超过 {limit_text}）",
    }


# Characters markdown would read as markup in a name someone typed.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def evidence_link(var_dir: Path, finding_id: str, transition: dict[str, Any]) -> str:
    """A transition's evidence (markdown, rendered by the grid): a file stored for this finding as a link to
    /evidence/, which checks access, under the name it was sent with; anything else (a title or document number typed
    in a workbook, a file no longer kept) as its text."""
    reference = str(transition.get("evidence") or "")
    stored = stored_evidence_path(var_dir, finding_id, reference)
    if stored is None:
        return _MARKDOWN_SPECIAL.sub(r"\\\1", reference)
    name = _MARKDOWN_SPECIAL.sub(r"\\\1", stored.name.split("-", 1)[-1])  # without its hash
    return f"[{name}](/evidence/{quote(finding_id)}/{transition['seq']})"


def apply_action(
    context: AppContext,
    viewer: Viewer,
    finding_id: str | None,
    action: str | None,
    note: str | None,
    evidence: tuple[str, str] | None,
    new_deadline: str | None = None,
    measures: str | None = None,
) -> tuple[str, bool]:
    """Run one lifecycle action for the signed-in user under the same rules as the CLI: what happened, in Chinese,
    and whether the change was recorded. The lifecycle decides which actions take measures (the rectifier's)."""
    if not (finding_id or "").strip():
        return "请先在上表中点选问题，或填写问题编号。", False
    history = load_history(context, viewer, finding_id)
    if history is None or not (roles := lifecycle_roles(viewer, history)):
        return refused_on_page("无权操作该问题。"), False
    if not action:
        return "请选择操作。", False
    # The role the action is taken in: the one of the viewer's roles the lifecycle lets take it now (else the first,
    # and the lifecycle says who may).
    targets = allowed_targets(FindingStatus(history["status"]))
    role = next((r for r in roles for t in targets if t["action"] == action and t["role"] == r), roles[0])
    try:
        deadline = date.fromisoformat(new_deadline) if new_deadline else None
    except ValueError:
        return "新整改期限不是有效日期。", False
    try:
        if evidence is None:
            change = change_finding(
                context.settings,
                finding_id or "",
                by=viewer.user_name,
                action=action,
                role=role,
                note=note,
                new_deadline=deadline,
                measures=measures,
            )
        else:
            name, content = evidence
            try:
                data = base64.b64decode(content.split(",", 1)[1], validate=True)
            except (IndexError, ValueError):
                return "佐证材料上传不完整或格式有误，请重新选择文件。", False
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "evidence"
                path.write_bytes(data)
                change = change_finding(
                    context.settings, finding_id or "", by=viewer.user_name, action=action, role=role, note=note,
                    evidence_file=path, evidence_name=name, new_deadline=deadline, measures=measures,
                )  # fmt: skip
    except CensusError as error:
        return said_on_page(error), False
    if change["from_status"] == change["to_status"]:  # an extension: 整改中 → 整改中 read as a change
        return f"{change['finding_id']}：仍为{change['to_status']}（{change['action']}）", True
    return f"{change['finding_id']}：{change['from_status']} → {change['to_status']}（{change['action']}）", True


def days_late(deadline: date, today: date) -> int:
    """How many days a deadline has passed by `today` (0 when it has not)."""
    return max((today - deadline).days, 0)


def describe_finding(history: Mapping[str, Any], today: date) -> list[str]:
    """A finding's detail, a line each: what and whose; its dates and who answers for it; the problem; what is asked;
    the measures taken (as typed: text, never markup)."""
    late = days_late(history["deadline"], today) if history["status"] != FindingStatus.CLOSED.value else 0
    deadline = format_date(history["deadline"]) + (f"（已逾期 {late} 天）" if late else "")
    if history.get("original_deadline") and history["original_deadline"] != history["deadline"]:
        deadline += f"，原定{format_date(history['original_deadline'])}"
    if history.get("report_submitted_at"):
        deadline += f"；{describe_report_waiting(history['report_submitted_at'], history['deadline'])}"
    dates_and_people = (
        history.get("issued_on") and f"下发日期：{format_date(history['issued_on'])}",
        f"整改期限：{deadline}",
        history.get("responsible_unit") and f"整改责任单位：{history['responsible_unit']}",
        history.get("responsible_person") and f"责任人：{history['responsible_person']}",
    )
    return [
        f"{history['finding_id']}｜{history['source']}（{history['feedback_doc_no']}）｜{history['unit_name']}"
        f"｜{history['severity']}｜当前状态：{history['status']}",
        "｜".join(part for part in dates_and_people if part),
        f"问题描述：{history['description']}",
        *([f"整改要求：{history['requirement']}"] if history.get("requirement") else []),
        *([f"整改措施：{history['measures']}"] if history["measures"] else []),
        *(
            f"更正：{format_datetime(c['at'])} {c['by']}将{c['change']}（原因：{c['reason']}）"
            for c in history.get("corrections", [])
        ),
    ]


def describe_action(
    history: Mapping[str, Any],
    action: str | None,
    new_deadline: str | None,
    today: date,
    measures: str | None = None,
    note: str | None = None,
) -> str:
    """What an action on the finding asks for and what it will change (its state, its deadline, whether it is then
    overdue), from the lifecycle's table; empty when no action the finding allows is chosen. What it asks for is what
    is still to give (a note and a new deadline typed are not asked again). Measures typed for an action that takes
    none (a reviewer's) are said to be refused before 提交, not only after."""
    status = FindingStatus(history["status"])
    rule = next((t for t in TRANSITIONS if t.from_status is status and t.action.value == action), None)
    if rule is None:
        return ""
    if (measures or "").strip() and rule.action not in MEASURES_ACTIONS:
        return (
            f"「{rule.action}」是{rule.role.label}的操作，不填整改措施（整改措施由整改责任人在{MEASURES_ACTION_NAMES}"
            "时说明）：请清空「整改措施」，否则提交时会被拒绝。"
        )
    deadline = history["deadline"]
    try:
        new = date.fromisoformat(new_deadline) if new_deadline and rule.deadline is not DeadlineRule.KEEP else None
    except ValueError:
        new = None
    asks = [
        *(["说明"] if rule.needs_note and not (note or "").strip() else []),
        *(["佐证材料"] if rule.needs_evidence else []),
        *(["新整改期限"] if rule.deadline is DeadlineRule.REQUIRED and new is None else []),
    ]
    # An extension keeps the state: said so (it said 将由「整改中」变为「整改中」).
    change = f"仍为「{status}」" if rule.to_status is status else f"将由「{status}」变为「{rule.to_status}」"
    said = f"提交后，{history['finding_id']} {change}（{rule.action}，{rule.role.label}操作）"
    if rule.closes:
        said += "，不再计入未销号和逾期的问题；销号后如发现整改不到位，只能以“复查未通过”重新打开"
    elif new is not None:
        said += f"，整改期限由{format_date(deadline)}改为{format_date(new)}"
        # Accepted, and said: a deadline on a weekend or public holiday is usually a slip.
        said += "" if is_working_day(new) else "（该日为周末或法定节假日，不是工作日）"
        # Said before 提交, not only by its refusal after (a probe chose a day already past unwarned), with what is
        # still to give after it (a probe's preview named the date and not the missing 说明 the refusal then did).
        if new <= today:
            said += f"。但新整改期限须晚于今日（{format_date(today)}），这个日期提交时会被拒绝：请改为今后的日期"
        elif new <= deadline:
            said += f"。但新整改期限须晚于当前期限（{format_date(deadline)}），这个日期提交时会被拒绝"
        elif new > latest_deadline(today):
            said += (
                f"。但新整改期限不能晚于{format_date(latest_deadline(today))}（{MAX_DEADLINE_YEARS} 年以内），"
                "这个日期提交时会被拒绝：请检查年份"
            )
    else:
        late = days_late(deadline, today)
        said += f"，整改期限仍为{format_date(deadline)}" + (f"，按今日已逾期 {late} 天" if late else "")
        if rule.deadline is DeadlineRule.OPTIONAL:
            said += "（可另定新整改期限）"
    return said + "。" + (f"须提供：{'、'.join(asks)}。" if asks else "")


def _graded_card(label: str, counts: dict[str, int]) -> html.Div:
    """Inspections counted by grade (or result), best first, e.g. 优秀 28、良好 30."""
    detail = "、".join(f"{grade} {format_count(counts[grade])}" for grade in Grade if counts.get(grade))
    return card(label, format_count(sum(counts.values())), unit="次", detail=detail or "暂无")


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Grids, summary, selection, and the lifecycle form."""
    register_grid(
        app,
        GridSpec(
            ids.INSPECTIONS_GRID,
            FINDING_COLUMNS,
            ("finding_id",),
            lambda v, s, o, _r: load_findings(context, v, s, o),
            [
                (ids.INSPECTIONS_STATUS, "value"),
                (ids.INSPECTIONS_OVERDUE, "value"),
                (ids.INSPECTIONS_RESULT, "children"),
            ],
            "整改问题",
            note=lambda _viewer, status, overdue, _result: findings_note(status, overdue, context.settings.today()),
        ),
        context,
    )

    def record_rows(viewer: Viewer, _result: Any) -> list[dict[str, Any]]:
        require_role(viewer, *RECORD_READERS)
        with context.reader.cursor() as con:
            rows = query_inspections(con, context.settings.today())
        province = findings_province(viewer)
        return with_unit_places([r for r in rows if answers_for(province, r)])

    register_grid(
        app,
        GridSpec(
            ids.INSPECTIONS_RECORDS_GRID,
            RECORD_COLUMNS,
            ("inspection_id",),
            record_rows,
            [(ids.INSPECTIONS_RESULT, "children")],
            "检查记录",
            note=CHECKLIST_PROVISIONAL,
        ),
        context,
    )

    def history_rows(viewer: Viewer, finding_id: str | None, _result: Any) -> list[dict[str, Any]]:
        history = load_history(context, viewer, finding_id)
        if history is None:
            return []
        return [
            {
                **t,
                "changed_at": transition_time(t),
                "key": t["seq"],
                "role_label": LifecycleRole.from_label(t["role"]).label if t.get("role") else "",
                "evidence_link": evidence_link(context.settings.var_dir, history["finding_id"], t),
            }
            for t in history["transitions"]
        ]

    def history_scope(viewer: Viewer, finding_id: str | None, _result: Any) -> str:
        # Whose history an export holds: the finding's (its number, as stored), not only the viewer's province.
        history = load_history(context, viewer, finding_id)
        return f"问题{history['finding_id']}" if history else viewer.area_name

    register_grid(
        app,
        GridSpec(
            ids.INSPECTIONS_HISTORY_GRID,
            HISTORY_COLUMNS,
            ("seq",),
            history_rows,
            [(ids.INSPECTIONS_FINDING, "value"), (ids.INSPECTIONS_RESULT, "children")],
            "整改记录",
            scope=history_scope,
        ),
        context,
    )

    @app.callback(Output(ids.INSPECTIONS_REMINDERS, "children"), Input(ids.INSPECTIONS_RESULT, "children"))
    def show_reminders(_: Any) -> html.Div:
        viewer = current_viewer()
        if viewer.role in LOCAL_ROLES and viewer.scope is not None:
            # Its own findings' deadlines; and its own area's overdue ones counted now (the day's overdue reminder
            # counts a whole province's findings, and the panel said 今日无提醒 beside its overdue count).
            visible = {r["finding_id"] for r in load_findings(context, viewer, None, None)}
            with context.reader.cursor() as con:
                due = query_reminders(con, province_code=findings_province(viewer), kinds=(DUE_SOON,))
            overdue = load_findings(context, viewer, None, ["overdue"])
            today = context.settings.today()
            own = [overdue_reminder(today, viewer.province_code, viewer.scope.name, overdue)] if overdue else []
            return reminders_section(context, [r for r in due if r["finding_id"] in visible], "整改期限提醒", own)
        return reminders_section(context, load_reminders(context, viewer, FINDING_KINDS), "整改期限提醒")

    @app.callback(
        Output(ids.INSPECTIONS_CARDS, "children"),
        Output(ids.INSPECTIONS_CHART, "figure"),
        Input(ids.INSPECTIONS_RESULT, "children"),
    )
    def show_summary(_: Any) -> tuple[list[html.Div], Any]:
        viewer = current_viewer()
        province = findings_province(viewer)
        inspections, sources = None, None
        if viewer.role in LOCAL_ROLES:
            # The area's own findings, counted as its list holds them (the province's figures are not its own).
            rows = load_findings(context, viewer, None, None)
            states = {s.value: sum(r["status"] == s.value for r in rows) for s in FindingStatus}
            total, overdue = len(rows), sum(bool(r["is_overdue"]) for r in rows)
        else:
            with context.reader.cursor() as con:
                summary = summarize_findings(con, context.settings.today())
                inspections = summarize_inspections(con) if province is None else None
            if province is not None:
                mine = next(p for p in summary["provinces"] if p["province_code"] == province)
                states, total, overdue = mine["by_state"], mine["findings"], mine["overdue"]
            else:
                states, total, overdue = summary["by_state"], summary["total"], summary["overdue"]
                sources = "、".join(f"{source} {format_count(n)}" for source, n in summary["by_source"].items())
        as_of = format_date(context.settings.today())
        cards = [
            card("问题总数", format_count(total), unit="个", detail=sources),
            card("逾期未销号", format_count(overdue), unit="个", value_class="error", detail=f"截至 {as_of}"),
        ]
        if inspections is not None:  # inspections are the bureaus' own: national figures only
            cards += [
                _graded_card(f"{COMPREHENSIVE}等次", inspections["by_grade"]),
                _graded_card(f"{SPECIAL}结论", inspections["special_results"]),
            ]
        return cards, build_bar(list(states), list(states.values()), "各状态问题数（个）")

    @app.callback(
        Output(ids.PAGE_URL, "search", allow_duplicate=True),
        Input(ids.INSPECTIONS_STATUS, "value"),
        Input(ids.INSPECTIONS_OVERDUE, "value"),
        Input(ids.INSPECTIONS_FINDING, "value"),
        prevent_initial_call=True,
    )
    def remember_filters(status: str | None, overdue: list[str] | None, finding: str | None) -> str:
        """The filters and the open finding in the address: a link reproduces the view."""
        return query_string(status=status, overdue="1" if overdue else None, finding=finding)

    fill_from_clicked_row(app, ids.INSPECTIONS_GRID, ids.INSPECTIONS_FINDING)

    @app.callback(
        Output(ids.INSPECTIONS_DETAIL, "children"),
        Output(ids.INSPECTIONS_ACTION, "options"),
        Input(ids.INSPECTIONS_FINDING, "value"),
        Input(ids.INSPECTIONS_RESULT, "children"),
    )
    def show_detail(finding_id: str | None, _: Any) -> tuple[Any, list[dict[str, str]]]:
        viewer = current_viewer()
        history = load_history(context, viewer, finding_id)
        if history is None:
            return ("找不到该问题，或无权查看。" if finding_id else ""), []
        roles = lifecycle_roles(viewer, history)
        with context.reader.cursor() as con:
            state = fetch_finding_states(con, [history["finding_id"]])[history["finding_id"]]
        # A close or extension the lifecycle would refuse this user (who recorded the rectification) is not offered.
        barred = (
            set() if is_independent_of(state, viewer.user_name) else {t.action for t in TRANSITIONS if t.independent}
        )
        status = FindingStatus(history["status"])
        options = [
            # An extension keeps the state: said so (延期 → 整改中 read as a change, from 整改中).
            {"label": f"{t['action']}（仍为{status}）" if t["to_status"] == status else f"{t['action']} → {t['to_status']}",
             "value": t["action"]}
            for t in allowed_targets(status)
            if t["role"] in roles and t["action"] not in barred
        ]  # fmt: skip
        lines = describe_finding(history, context.settings.today())
        sources = describe_sources(history["sources"], name_experts=viewer.is_national)
        return html.Div([html.Div(line) for line in [*lines, *([sources] if sources else [])]]), options

    @app.callback(
        Output(ids.INSPECTIONS_ACTION_PREVIEW, "children"),
        Input(ids.INSPECTIONS_ACTION, "value"),
        Input(ids.INSPECTIONS_DEADLINE, "value"),
        Input(ids.INSPECTIONS_RESULT, "children"),
        Input(ids.INSPECTIONS_FINDING, "value"),
        # When the measures' field is left, not at each key (typing sends nothing: the session's keep-alive relies on
        # it, and a request per character would load the server).
        Input(ids.INSPECTIONS_MEASURES, "n_blur"),
        Input(ids.INSPECTIONS_NOTE, "n_blur"),
        State(ids.INSPECTIONS_MEASURES, "value"),
        State(ids.INSPECTIONS_NOTE, "value"),
    )
    def preview_action(
        action: str | None,
        new_deadline: str | None,
        _: Any,
        finding_id: str | None,
        _left: Any,
        _note_left: Any,
        measures: str | None,
        note: str | None,
    ) -> str:
        require_text(action, new_deadline, finding_id, measures, note)
        viewer = current_viewer()
        history = load_history(context, viewer, finding_id)
        if history is None or not lifecycle_roles(viewer, history):
            return ""
        return describe_action(history, action, new_deadline, context.settings.today(), measures, note)

    @app.callback(
        Output(ids.INSPECTIONS_CORRECT_VALUE, "value"),
        Input(ids.INSPECTIONS_CORRECT_FIELD, "value"),
        Input(ids.INSPECTIONS_FINDING, "value"),
        prevent_initial_call=True,
    )
    def show_current_text(field: str | None, finding_id: str | None) -> str:
        """The chosen field's current text, to be edited; not read again after 更正 (a refusal for want of a reason
        put the stored text back over the correction typed, and a second 更正 then found nothing to correct)."""
        require_text(field, finding_id)
        viewer = current_viewer()
        require_role(viewer, Role.PLANNER)
        history = load_history(context, viewer, finding_id)
        if history is None or field not in CORRECTABLE_FINDING_FIELDS:
            return ""
        return str(history[field] or "")

    @app.callback(
        Output(ids.INSPECTIONS_CORRECT_PREVIEW, "children"),
        Input(ids.INSPECTIONS_CORRECT_FIELD, "value"),
        Input(ids.INSPECTIONS_CORRECT_VALUE, "value"),
        Input(ids.INSPECTIONS_FINDING, "value"),
        Input(ids.INSPECTIONS_RESULT, "children"),
        prevent_initial_call=True,
    )
    def show_correction(field: str | None, value: str | None, finding_id: str | None, _: Any) -> str:
        require_text(field, value, finding_id)
        viewer = current_viewer()
        require_role(viewer, Role.PLANNER)
        try:
            return preview_correction(load_history(context, viewer, finding_id), field, value)
        except CensusError as error:
            return said_on_page(error)

    @app.callback(
        Output(ids.INSPECTIONS_RESULT, "children", allow_duplicate=True),
        Output(ids.INSPECTIONS_CORRECT_REASON, "value"),
        Input(ids.INSPECTIONS_CORRECT, "n_clicks"),
        State(ids.INSPECTIONS_FINDING, "value"),
        State(ids.INSPECTIONS_CORRECT_FIELD, "value"),
        State(ids.INSPECTIONS_CORRECT_VALUE, "value"),
        State(ids.INSPECTIONS_CORRECT_REASON, "value"),
        prevent_initial_call=True,
    )
    def correct(
        _: int | None, finding_id: str | None, field: str | None, value: str | None, reason: str | None
    ) -> tuple[str, Any]:
        """Correct as previewed: the server holds it to an active planner (correct_finding), whoever sends it."""
        require_text(finding_id, field, value, reason)
        viewer = current_viewer()
        if not (finding_id or "").strip() or not field:
            return "请先点选问题并选择要更正的一项。", no_update
        try:
            done = correct_loaded_finding(
                context.settings, finding_id or "", field, value or "", by=viewer.user_name, reason=reason or "",
                confirmed=True,
            )  # fmt: skip
        except CensusError as error:
            return said_on_page(error), no_update
        return f"已更正：{done['description']}。", None

    app.clientside_callback(
        ClientsideFunction("archiveCensus", "evidenceChosen"),
        Output(ids.INSPECTIONS_EVIDENCE_CHOSEN, "children"),
        Output(ids.INSPECTIONS_EVIDENCE, "contents", allow_duplicate=True),
        Input(ids.INSPECTIONS_EVIDENCE, "contents"),
        State(ids.INSPECTIONS_EVIDENCE, "filename"),
        State(ids.INSPECTIONS_EVIDENCE_SPEC, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.INSPECTIONS_RESULT, "children"),
        Output(ids.INSPECTIONS_EVIDENCE, "contents"),
        Output(ids.INSPECTIONS_EVIDENCE, "filename"),
        Output(ids.INSPECTIONS_NOTE, "value"),
        Output(ids.INSPECTIONS_DEADLINE, "value"),
        Output(ids.INSPECTIONS_MEASURES, "value"),
        Input(ids.INSPECTIONS_APPLY, "n_clicks"),
        State(ids.INSPECTIONS_FINDING, "value"),
        State(ids.INSPECTIONS_ACTION, "value"),
        State(ids.INSPECTIONS_NOTE, "value"),
        State(ids.INSPECTIONS_EVIDENCE, "filename"),
        State(ids.INSPECTIONS_EVIDENCE, "contents"),
        State(ids.INSPECTIONS_DEADLINE, "value"),
        State(ids.INSPECTIONS_MEASURES, "value"),
        prevent_initial_call=True,
    )
    def apply(
        _: int | None,
        finding_id: str | None,
        action: str | None,
        note: str | None,
        name: str | None,
        contents: str | None,
        new_deadline: str | None,
        measures: str | None,
    ) -> tuple[Any, ...]:
        require_text(finding_id, action, note, name, contents, new_deadline, measures)
        evidence = (name or "evidence", contents) if contents else None
        viewer = current_viewer()
        message, changed = apply_action(context, viewer, finding_id, action, note, evidence, new_deadline, measures)
        # Once a change is recorded what was typed for it is cleared from the form (its file, note, new deadline and
        # measures): none must go out again unseen with the next change (e.g. closing another finding, which needs
        # evidence of its own). A refused change keeps them for another try. The measures' textarea takes "": given
        # None, React left the typed text shown while nothing was sent.
        return (message, None, None, None, None, "") if changed else (message, *[no_update] * 5)
