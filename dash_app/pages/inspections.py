"""`/inspections`: findings by state, severity, province and inspected body; the overdue list; a finding's history;
provincial offices (rectifiers) and national reviewers move findings through the lifecycle here."""

from __future__ import annotations

import base64
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from census_schema.errors import CensusError
from census_schema.supervision.codes import CENTRAL_UNIT_CLASSES, FindingStatus
from dash_app.access import Viewer, current_viewer, scope_province
from dash_app.context import AppContext
from dash_app.figures import build_bar
from dash_app.grid import GridSpec, grid_block, register_grid
from flows.supervision import change_finding
from warehouse.inspections import allowed_targets, query_finding_history, query_findings, summarize_findings

PATH = "/inspections"
NAME = "检查整改"
ROLES = ("planner", "admin", "province")
STATUS = "inspections-status"
OVERDUE = "inspections-overdue"
CARDS = "inspections-cards"
CHART = "inspections-chart"
GRID = "inspections-grid"
FINDING = "inspections-finding"
DETAIL = "inspections-detail"
HISTORY_GRID = "inspections-history-grid"
ACTION = "inspections-action"
NOTE = "inspections-note"
EVIDENCE = "inspections-evidence"
APPLY = "inspections-apply"
RESULT = "inspections-result"
DEADLINE = "inspections-deadline"
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
FINDING_COLUMNS = [
    ("finding_id", "问题编号"),
    ("unit_name", "被检查单位"),
    ("unit_class", "类别"),
    ("province_code", "省份"),
    ("area_name", "方面"),
    ("severity", "严重程度"),
    ("status", "状态"),
    ("deadline", "整改期限"),
    ("overdue_days", "逾期天数"),
    ("description", "问题描述"),
]
HISTORY_COLUMNS = [
    ("seq", "序号"),
    ("changed_at", "时间"),
    ("changed_by", "经办人"),
    ("role", "角色"),
    ("action", "操作"),
    ("from_status", "原状态"),
    ("to_status", "新状态"),
    ("note", "说明"),
    ("evidence", "佐证材料"),
    ("new_deadline", "新期限"),
]
# The lifecycle role each web role acts in: provincial offices rectify, the national bureau reviews.
LIFECYCLE_ROLES = {"province": "rectifier", "planner": "reviewer", "admin": "reviewer"}


def _visible(province: str | None, finding: dict[str, Any]) -> bool:
    """National users see every finding; a provincial office those of its province's own units. Central organs and
    central enterprises (all located in Beijing) answer to the national bureau, not to Beijing's office, and are
    counted apart from every province (`summarize_findings`)."""
    if province is None:
        return True
    return finding["province_code"] == province and finding["unit_class"] not in CENTRAL_UNIT_CLASSES


def load_findings(
    context: AppContext, viewer: Viewer, status: str | None, overdue: list[str] | None
) -> list[dict[str, Any]]:
    """The findings the viewer may see, filtered."""
    province = scope_province(viewer)
    with context.reader.cursor() as con:
        rows = query_findings(
            con,
            context.settings.today(),
            province_code=province,
            status=status or None,
            overdue_only=bool(overdue),
        )
    return [row for row in rows if _visible(province, row)]


def load_history(context: AppContext, viewer: Viewer, finding_id: str | None) -> dict[str, Any] | None:
    """A finding and its transitions, if the viewer may see it."""
    if not finding_id:
        return None
    with context.reader.cursor() as con:
        try:
            history = query_finding_history(con, finding_id)
        except CensusError:
            return None
    return history if _visible(scope_province(viewer), history) else None


def layout(**query: str) -> html.Div:
    """Summary, filters, the findings grid, and a finding's history with the lifecycle form."""
    return html.Div(
        [
            html.H2("监督检查与问题整改"),
            html.Div(id=CARDS, className="cards"),
            dcc.Graph(id=CHART),
            html.Div(
                [
                    dcc.Dropdown(
                        id=STATUS,
                        options=[s.value for s in FindingStatus],
                        placeholder="全部状态",
                        style={"width": "220px"},
                    ),
                    dcc.Checklist(id=OVERDUE, options=[{"label": "只看逾期", "value": "overdue"}], value=[]),
                ],
                className="toolbar",
            ),
            grid_block(GRID, FINDING_COLUMNS, row_id="finding_id"),
            html.H3("问题详情与整改流转"),
            dcc.Input(
                id=FINDING,
                value=query.get("finding", ""),
                placeholder="问题编号（点击上表一行）",
                debounce=True,
                style={"width": "260px"},
            ),
            html.Div(id=DETAIL, className="result"),
            grid_block(HISTORY_GRID, HISTORY_COLUMNS, height=240),
            html.Div(
                [
                    dcc.Dropdown(id=ACTION, placeholder="选择操作", style={"width": "280px"}),
                    dcc.Input(id=NOTE, placeholder="说明（退回、延期、复查未通过时必填）", style={"width": "320px"}),
                    # dcc.Input renders any HTML input type; its annotation lists only the documented ones.
                    dcc.Input(
                        id=DEADLINE,
                        type="date",  # type: ignore[arg-type]
                        placeholder="新整改期限（延期时填写）",
                        style={"width": "180px"},
                    ),
                    dcc.Upload(
                        html.Button("上传佐证材料", className="button-secondary"),
                        id=EVIDENCE,
                        max_size=MAX_EVIDENCE_BYTES,
                    ),
                    html.Button("提交", id=APPLY),
                ],
                className="toolbar",
            ),
            html.Div(id=RESULT, className="result"),
        ]
    )


def apply_action(
    context: AppContext,
    viewer: Viewer,
    finding_id: str | None,
    action: str | None,
    note: str | None,
    evidence: tuple[str, str] | None,
    new_deadline: str | None = None,
) -> tuple[str, bool]:
    """Run one lifecycle action for the signed-in user under the same rules as the CLI: what happened, in Chinese,
    and whether the change was recorded."""
    role = LIFECYCLE_ROLES.get(viewer.role)
    if role is None or load_history(context, viewer, finding_id) is None:
        return "无权操作该问题。", False
    if not action:
        return "请选择操作。", False
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
                    evidence_file=path, evidence_name=name, new_deadline=deadline,
                )  # fmt: skip
    except CensusError as error:
        return error.describe(), False
    return f"{change['finding_id']}：{change['from_status']} → {change['to_status']}（{change['action']}）", True


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Grids, summary, selection, and the lifecycle form."""
    register_grid(
        app,
        GridSpec(
            GRID,
            FINDING_COLUMNS,
            ("finding_id",),
            lambda v, s, o, _r: load_findings(context, v, s, o),
            [(STATUS, "value"), (OVERDUE, "value"), (RESULT, "children")],
            "整改问题",
        ),
    )

    def history_rows(viewer: Viewer, finding_id: str | None, _result: Any) -> list[dict[str, Any]]:
        history = load_history(context, viewer, finding_id)
        return [] if history is None else [{**t, "key": t["seq"]} for t in history["transitions"]]

    register_grid(
        app,
        GridSpec(
            HISTORY_GRID,
            HISTORY_COLUMNS,
            ("seq",),
            history_rows,
            [(FINDING, "value"), (RESULT, "children")],
            "整改记录",
        ),
    )

    @app.callback(Output(CARDS, "children"), Output(CHART, "figure"), Input(RESULT, "children"))
    def show_summary(_: Any) -> tuple[list[html.Div], Any]:
        viewer = current_viewer()
        with context.reader.cursor() as con:
            summary = summarize_findings(con, context.settings.today())
        province = scope_province(viewer)
        if province is not None:
            mine = next(p for p in summary["provinces"] if p["province_code"] == province)
            states, total, overdue = mine["by_state"], mine["findings"], mine["overdue"]
        else:
            states, total, overdue = summary["by_state"], summary["total"], summary["overdue"]
        cards = [
            html.Div(
                [html.Div("问题总数", className="card-label"), html.Div(f"{total}", className="card-value")],
                className="card",
            )
        ]
        cards.append(
            html.Div(
                [html.Div("逾期未销号", className="card-label"), html.Div(f"{overdue}", className="card-value error")],
                className="card",
            )
        )
        return cards, build_bar(list(states), list(states.values()), "各状态问题数")

    @app.callback(Output(FINDING, "value"), Input(GRID, "cellClicked"), prevent_initial_call=True)
    def pick(cell: dict[str, Any] | None) -> Any:
        return (cell or {}).get("rowId") or no_update

    @app.callback(
        Output(DETAIL, "children"), Output(ACTION, "options"), Input(FINDING, "value"), Input(RESULT, "children")
    )
    def show_detail(finding_id: str | None, _: Any) -> tuple[Any, list[dict[str, str]]]:
        viewer = current_viewer()
        history = load_history(context, viewer, finding_id)
        if history is None:
            return ("找不到该问题，或无权查看。" if finding_id else ""), []
        role = LIFECYCLE_ROLES.get(viewer.role)
        options = [
            {"label": f"{t['action']} → {t['to_status']}", "value": t["action"]}
            for t in allowed_targets(FindingStatus(history["status"]))
            if t["role"] == role
        ]
        overdue = history["status"] != FindingStatus.CLOSED.value and context.settings.today() > history["deadline"]
        text = (
            f"{history['finding_id']}｜{history['unit_name']}｜{history['severity']}｜当前状态：{history['status']}"
            f"｜整改期限：{history['deadline']}{'（已逾期）' if overdue else ''}｜{history['description']}"
        )
        return text, options

    @app.callback(
        Output(RESULT, "children"),
        Output(EVIDENCE, "contents"),
        Output(EVIDENCE, "filename"),
        Input(APPLY, "n_clicks"),
        State(FINDING, "value"),
        State(ACTION, "value"),
        State(NOTE, "value"),
        State(EVIDENCE, "filename"),
        State(EVIDENCE, "contents"),
        State(DEADLINE, "value"),
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
    ) -> tuple[str, Any, Any]:
        evidence = (name or "evidence", contents) if contents else None
        message, changed = apply_action(context, current_viewer(), finding_id, action, note, evidence, new_deadline)
        # Once a change is recorded its file is cleared from the form: it must not go out again unseen as the
        # evidence of the next change (e.g. closing another finding, which needs evidence of its own).
        return (message, None, None) if changed else (message, no_update, no_update)
