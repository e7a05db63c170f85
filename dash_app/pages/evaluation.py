"""`/evaluation`: the 47 archives' results, grades and ranks; an archive's areas (radar), items and deviations;
evaluators score their assigned archives item by item (draft, then submit) while the evaluation is open."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from census_schema.archives import list_comprehensive_archives
from census_schema.errors import CensusError
from census_schema.supervision.evaluation import get_standard
from dash_app import ids
from dash_app.access import Viewer, current_viewer, require_role
from dash_app.context import AppContext
from dash_app.figures import build_radar, empty_figure
from dash_app.grid import GridSpec, grid_block, register_grid
from flows.supervision import save_scores
from warehouse.evaluation import (
    check_may_score,
    query_area_results,
    query_assignments,
    query_evaluation_results,
    query_item_results,
    query_scores,
    require_archive,
)

PATH = "/evaluation"
NAME = "业务建设评价"
ROLES = ("planner", "admin", "evaluator")
ARCHIVE = "evaluation-archive"
RESULTS_GRID = "evaluation-results-grid"
ASSIGNMENTS_GRID = "evaluation-assignments-grid"
ITEMS_GRID = "evaluation-items-grid"
RADAR = "evaluation-radar"
REPORT_LINK = "evaluation-report-link"
REQUESTED = "evaluation-requested"
FORM = "evaluation-form"
SAVE = "evaluation-save"
SUBMIT = "evaluation-submit"
RESULT = "evaluation-result"
SCORE = "evaluation-score"
VERDICT = "evaluation-verdict"
RESULT_COLUMNS = [
    ("rank", "排名"),
    ("archive_code", "代码"),
    ("archive_name", "档案馆"),
    ("status", "状态"),
    ("total", "基本分"),
    ("bonus_capped", "加分"),
    ("final_score", "总分"),
    ("grade", "等次"),
]
ASSIGNMENT_COLUMNS = [
    ("archive_code", "代码"),
    ("archive_name", "档案馆"),
    ("sheet_state", "评分表"),
    ("items_saved", "已评项"),
    ("last_saved_at", "最近保存"),
]
ITEM_COLUMNS = [
    ("area_name", "方面"),
    ("item_code", "评分项"),
    ("item_text", "内容"),
    ("max_points", "满分"),
    ("self_score", "自评"),
    ("score", "专家得分"),
    ("is_deviation", "自评偏差"),
    ("reconciled_note", "合议说明"),
]


def archive_from_search(search: str | None) -> str | None:
    """The `archive` query parameter."""
    values = parse_qs((search or "").lstrip("?")).get("archive")
    return values[0] if values else None


def _national(viewer: Viewer) -> bool:
    return viewer.role in ("planner", "admin")


def archive_options(context: AppContext, viewer: Viewer) -> list[dict[str, str]]:
    """The archives the viewer may open: all for national users, the assigned ones for an evaluator."""
    archives = list_comprehensive_archives()
    if _national(viewer):
        return [{"label": f"{a.archive_code} {a.name}", "value": a.archive_code} for a in archives]
    with context.reader.cursor() as con:
        assigned = {r["archive_code"] for r in query_assignments(con, evaluator=viewer.user_name)}
    return [
        {"label": f"{a.archive_code} {a.name}", "value": a.archive_code} for a in archives if a.archive_code in assigned
    ]


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
        else:
            with context.reader.cursor() as con:
                check_may_score(con, viewer.user_name, archive_code)
    except CensusError as error:
        return error.describe()
    return f"无权查看档案馆 {archive_code}。"


def layout(**query: str) -> html.Div:
    """Results (national), assignments (evaluators), an archive's detail, and the scoring form."""
    viewer = current_viewer()
    parts: list[Any] = [html.H2("综合档案馆业务建设评价")]
    if _national(viewer):
        parts += [
            html.H3("47 家综合档案馆评价结果"),
            grid_block(RESULTS_GRID, RESULT_COLUMNS, row_id="archive_code", height=360),
        ]
    else:
        parts += [
            html.H3("分配给我的评价任务"),
            grid_block(ASSIGNMENTS_GRID, ASSIGNMENT_COLUMNS, row_id="archive_code", height=240),
        ]
    parts += [
        html.Div(
            [
                # Its value comes with its options (`options` below, from ?archive=CODE when the viewer may open
                # it): Dash 4's dropdown drops a value that is not among its options.
                dcc.Dropdown(id=ARCHIVE, placeholder="选择档案馆", style={"width": "360px"}),
                html.Div(id=REPORT_LINK),
            ],
            className="toolbar",
        ),
        html.Div(id=REQUESTED),
        html.Div(id=RESULT, className="result"),
        # Results of other experts are not an evaluator's to see: the radar and items stay hidden for them.
        html.Div(
            [dcc.Graph(id=RADAR), grid_block(ITEMS_GRID, ITEM_COLUMNS)],
            style=None if _national(viewer) else {"display": "none"},
        ),
    ]
    if viewer.role == "evaluator":
        parts += [
            html.H3("逐项评分"),
            html.Div(id=FORM),
            html.Div(
                [html.Button("保存草稿", id=SAVE, className="button-secondary"), html.Button("提交评分", id=SUBMIT)],
                className="toolbar",
            ),
        ]
    return html.Div(parts)


def scoring_form(context: AppContext, viewer: Viewer, archive_code: str | None) -> Any:
    """The evaluator's sheet for an assigned archive, prefilled with their draft; a refusal otherwise."""
    if not archive_code:
        return html.P("请选择分配给您的档案馆。")
    with context.reader.cursor() as con:
        try:
            check_may_score(con, viewer.user_name, archive_code)
        except CensusError as error:
            return html.P(error.describe(), className="error", id="evaluation-refused")
        saved = {r["item_code"]: r for r in query_scores(con, archive_code, viewer.user_name)}
    standard = get_standard()
    rows = []
    for area in standard.areas:
        rows.append(html.Tr(html.Th(f"{area.name}（{area.points} 分）", colSpan=4)))
        for indicator in area.indicators:
            for item in indicator.items:
                mine = saved.get(item.code, {})
                verdict = (
                    dcc.Dropdown(
                        id={"type": VERDICT, "item": item.code},
                        options=[{"label": "通过", "value": "pass"}, {"label": "不通过", "value": "fail"}],
                        value=None if mine.get("veto_passed") is None else ("pass" if mine["veto_passed"] else "fail"),
                        style={"width": "110px"},
                    )
                    if item.is_veto
                    else ""
                )
                score = dcc.Input(
                    id={"type": SCORE, "item": item.code},
                    type="number",
                    min=0,
                    max=float(item.max_points),
                    step=0.1,
                    value=None if mine.get("score") is None else float(mine["score"]),
                    style={"width": "90px"},
                )
                rows.append(
                    html.Tr(
                        [
                            html.Td(item.code),
                            html.Td(item.text),
                            html.Td(f"{item.max_points}"),
                            html.Td([score, verdict]),
                        ]
                    )
                )
    for bonus in standard.bonus_items:
        mine = saved.get(bonus.code, {})
        value = None if mine.get("score") is None else float(mine["score"])
        score = dcc.Input(
            id={"type": SCORE, "item": bonus.code},
            type="number",
            min=0,
            max=float(bonus.max_points),
            step=0.1,
            value=value,
            style={"width": "90px"},
        )
        rows.append(
            html.Tr(
                [html.Td(bonus.code), html.Td(f"加分：{bonus.text}"), html.Td(f"{bonus.max_points}"), html.Td(score)]
            )
        )
    return html.Table(
        [html.Thead(html.Tr([html.Th("评分项"), html.Th("内容"), html.Th("满分"), html.Th("得分")])), html.Tbody(rows)],
        className="score-table",
    )


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Results, assignments, detail of the chosen archive, and the evaluator's save and submit."""

    def results(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        require_role(viewer, "planner", "admin")
        with context.reader.cursor() as con:
            return query_evaluation_results(con)

    def assignments(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        require_role(viewer, "evaluator")
        with context.reader.cursor() as con:
            return query_assignments(con, evaluator=viewer.user_name)

    def items(viewer: Viewer, archive_code: str | None, _: Any) -> list[dict[str, Any]]:
        if not _national(viewer) or not may_open(context, viewer, archive_code):
            return []  # evaluators see their own sheet in the form, not other experts' scores
        with context.reader.cursor() as con:
            return query_item_results(con, archive_code or "")

    register_grid(
        app, GridSpec(RESULTS_GRID, RESULT_COLUMNS, ("archive_code",), results, [(RESULT, "children")], "评价结果")
    )
    register_grid(
        app,
        GridSpec(
            ASSIGNMENTS_GRID, ASSIGNMENT_COLUMNS, ("archive_code",), assignments, [(RESULT, "children")], "评价任务"
        ),
    )
    register_grid(
        app,
        GridSpec(
            ITEMS_GRID, ITEM_COLUMNS, ("item_code",), items, [(ARCHIVE, "value"), (RESULT, "children")], "评分明细"
        ),
    )

    @app.callback(
        Output(ARCHIVE, "options"),
        Output(ARCHIVE, "value", allow_duplicate=True),
        Input(RESULT, "children"),
        State(ARCHIVE, "value"),
        State(ids.URL, "search"),
        prevent_initial_call="initial_duplicate",
    )
    def options(_: Any, chosen: str | None, search: str | None) -> tuple[list[dict[str, str]], str | None]:
        allowed = archive_options(context, current_viewer())
        wanted = chosen or archive_from_search(search)
        return allowed, wanted if any(o["value"] == wanted for o in allowed) else None

    @app.callback(Output(REQUESTED, "children"), Input(ids.URL, "search"))
    def show_requested(search: str | None) -> Any:
        """/evaluation?archive=CODE for an archive the viewer may not open: the refusal, and nothing of it."""
        viewer = current_viewer()
        require_role(viewer, *ROLES)
        wanted = archive_from_search(search)
        if not wanted or may_open(context, viewer, wanted):
            return None
        return html.P(refusal(context, viewer, wanted), className="error", id="evaluation-refused")

    @app.callback(Output(ARCHIVE, "value"), Input(RESULTS_GRID, "cellClicked"), prevent_initial_call=True)
    def pick_result(cell: dict[str, Any] | None) -> Any:
        return (cell or {}).get("rowId") or no_update

    @app.callback(
        Output(ARCHIVE, "value", allow_duplicate=True),
        Input(ASSIGNMENTS_GRID, "cellClicked"),
        prevent_initial_call=True,
    )
    def pick_assignment(cell: dict[str, Any] | None) -> Any:
        return (cell or {}).get("rowId") or no_update

    @app.callback(
        Output(RADAR, "figure"), Output(REPORT_LINK, "children"), Input(ARCHIVE, "value"), Input(RESULT, "children")
    )
    def show_archive(archive_code: str | None, _: Any) -> tuple[Any, Any]:
        viewer = current_viewer()
        if not _national(viewer) or not may_open(context, viewer, archive_code):
            return empty_figure("在上表点击一家档案馆或从列表中选择，查看各方面得分率。"), ""
        with context.reader.cursor() as con:
            areas = query_area_results(con, archive_code=archive_code)
        link = html.A("下载反馈报告", href=f"/download/evaluation/{archive_code}", id="evaluation-report-download")
        return build_radar(areas, "各方面得分率"), link

    @app.callback(Output(FORM, "children"), Input(ARCHIVE, "value"), Input(RESULT, "children"))
    def show_form(archive_code: str | None, _: Any) -> Any:
        viewer = current_viewer()
        require_role(viewer, "evaluator")
        return scoring_form(context, viewer, archive_code)

    @app.callback(
        Output(RESULT, "children"),
        Input(SAVE, "n_clicks"),
        Input(SUBMIT, "n_clicks"),
        State(ARCHIVE, "value"),
        State({"type": SCORE, "item": ALL}, "value"),
        State({"type": SCORE, "item": ALL}, "id"),
        State({"type": VERDICT, "item": ALL}, "value"),
        State({"type": VERDICT, "item": ALL}, "id"),
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
    ) -> str:
        viewer = current_viewer()
        require_role(viewer, "evaluator")
        if not archive_code:
            return "请先选择档案馆。"
        submit = ctx.triggered_id == SUBMIT
        values = {i["item"]: _decimal(v) for i, v in zip(score_ids, scores, strict=True)}
        veto = {i["item"]: v == "pass" for i, v in zip(verdict_ids, verdicts, strict=True) if v}
        try:
            outcome = save_scores(context.settings, viewer.user_name, archive_code, values, submit, veto_verdicts=veto)
        except CensusError as error:
            return error.describe()
        missing = f"，尚有 {len(outcome['missing'])} 项未评" if outcome["missing"] else ""
        return f"{'已提交' if submit else '草稿已保存'}：{archive_code} 已评 {outcome['scored']} 项{missing}（{outcome['saved_at']}）"
