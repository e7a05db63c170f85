"""`/audit` (administrators only): the audit log of every state change and sign-in, searched by who, kind and
Beijing-time days, and exported to Excel."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from dash import Dash, Input, Output, dcc, html, no_update

from census_schema.audit import AuditKind
from census_schema.errors import CensusError
from census_schema.roles import Role
from dash_app import ids
from dash_app.access import Viewer, current_viewer, refuse, require_role, require_text
from dash_app.audit_rows import AUDIT_HEADERS, shown_row, state_parts
from dash_app.components import dropdown, labelled, page_url, query_string
from dash_app.context import AppContext
from dash_app.formatting import format_count, format_date
from dash_app.grid import Column, GridSpec, grid_block, register_grid
from warehouse.audit import (
    DEFAULT_LIMIT,
    describe_unknown_actor,
    find_audit_event,
    names_in_time,
    search_audit_log,
)

PATH = "/audit"
NAME = "审计日志"
ROLES = (Role.ADMIN,)
# The recorded states and the reason are long: one clipped line each, the whole text on hover and below the grid.
COLUMNS = [
    Column(field, header, clip=field in ("before_state", "after_state", "reason"))
    for field, header in AUDIT_HEADERS.items()
]
DETAIL_HINT = "点击一行（或用方向键选中后按回车），在此查看该事件的完整记录：变更前后逐项列出。"


def _day(value: Any, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        refuse(400, f"{label}「{str(value)[:20]}」不是有效日期（YYYY-MM-DD）。")


def _reversed(first: date | None, last: date | None) -> bool:
    return first is not None and last is not None and last < first


def range_note(since: Any, until: Any) -> str:
    """What the page says under its filters when the dates it was given leave no day between them."""
    first, last = _day(since, "起始日期"), _day(until, "截止日期")
    if not _reversed(first, last):
        return ""
    return f"截止日期（{format_date(last)}）早于起始日期（{format_date(first)}），没有符合的事件：请检查日期范围。"


def describe_filters(actor: Any, kind: Any, since: Any, until: Any) -> str | None:
    """The filters an export of the log was made with (checked by load_events first), as people read them
    (操作人「zh1」；类别 用户与角色；…); None for the whole log."""
    parts = [
        f"操作人「{actor}」" if isinstance(actor, str) and actor else "",
        f"类别 {AuditKind(kind).label}" if kind else "",
        f"自 {format_date(since)}" if since else "",
        f"至 {format_date(until)}" if until else "",
    ]
    said = "；".join(part for part in parts if part)
    return f"筛选条件：{said}（只含符合条件的事件）" if said else None


def load_events(
    context: AppContext, viewer: Viewer, actor: str | None, kind: str | None, since: Any, until: Any
) -> list[dict[str, Any]]:
    """The events an administrator asked for, newest first (the log plus sign-ins still on their way to it)."""
    require_role(viewer, Role.ADMIN)
    if not isinstance(actor, str | None) or not isinstance(kind, str | None):
        refuse(400, "审计日志的查询条件格式不正确。")
    if kind and kind not in {k.value for k in AuditKind}:
        refuse(400, f"未知的审计事件类别「{str(kind)[:20]}」。")
    first, last = _day(since, "起始日期"), _day(until, "截止日期")
    if _reversed(first, last):
        return []  # the page says why under its filters (range_note); no event is both after and before
    with context.reader.cursor() as con:
        try:
            rows = search_audit_log(
                con,
                context.outbox.pending(),
                actor=(actor or "").strip() or None,
                kind=kind or None,
                since=first,
                until=last,
            )
            names = names_in_time(con)
        except CensusError as error:
            refuse(400, error.describe())
    return [shown_row(row, names) for row in rows]


def load_event(context: AppContext, viewer: Viewer, event_id: Any) -> dict[str, Any] | None:
    """One event an administrator clicked, with its states as lists of `字段：值` items; None if there is none."""
    require_role(viewer, Role.ADMIN)
    if not isinstance(event_id, str) or len(event_id) > 64:
        refuse(400, "审计事件编号格式不正确。")
    with context.reader.cursor() as con:
        row = find_audit_event(con, event_id, context.outbox.pending())
        names = names_in_time(con)
    if row is None:
        return None
    return {
        **shown_row(row, names),
        "before_items": state_parts(row["before_state"]),
        "after_items": state_parts(row["after_state"]),
    }


def event_detail(event: dict[str, Any] | None) -> list[Any]:
    """The clicked event in full: who, when, from where, what, then its states item by item."""
    if event is None:
        return [html.P("该事件已不在日志中。", className="error")]
    facts = [(c.header, event[c.field]) for c in COLUMNS if c.field not in ("before_state", "after_state")]
    states = [("变更前", event["before_items"]), ("变更后", event["after_items"])]
    return [
        html.H2(f"事件详情：{event['kind']} · {event['action']}"),
        html.Dl([part for name, value in facts for part in (html.Dt(name), html.Dd(value or "无"))]),
        html.Div(
            [
                html.Div([html.H3(name), html.Ul([html.Li(item) for item in items]) if items else html.P("无")])
                for name, items in states
            ],
            className="audit-states",
        ),
    ]


def _date_input(component_id: str, value: str | None) -> dcc.Input:
    return dcc.Input(id=component_id, type="date", value=value, style={"width": "160px"})  # type: ignore[arg-type]


def _day_text(value: str | None) -> str | None:
    """A day from the address as the date field takes it (YYYY-MM-DD), or None for anything else."""
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def layout(
    by: str | None = None, kind: str | None = None, since: str | None = None, until: str | None = None, **_query: str
) -> html.Div:
    """Filters (from the address, ?by=…&kind=…&since=…&until=…, and written back to it: a link reproduces the view),
    the events, the export, the clicked event's details."""
    return html.Div(
        [
            page_url(),
            html.H1("审计日志"),
            html.P(
                f"记录每一次报送、审核、问题整改、评价评分、评价轮次与专家分配、用户与角色变更、数据仓库的升级和从备份恢复，登录成功、失败和受限，以及被拒绝的越权和跨站请求。"
                f"只增不改（从备份恢复时，备份之后的记录随之删除，恢复本身的记录写明删除了哪些）。时间为北京时间；最多显示最近 {format_count(DEFAULT_LIMIT)} 条，请用条件缩小范围。",
                className="hint",
            ),
            html.Div(
                [
                    labelled(
                        "操作人",
                        dcc.Input(
                            id=ids.AUDIT_ACTOR,
                            value=by,
                            placeholder="用户名或姓名",
                            debounce=True,
                            style={"width": "200px"},
                        ),
                        for_id=ids.AUDIT_ACTOR,
                    ),
                    labelled(
                        "类别",
                        dropdown(
                            ids.AUDIT_KIND,
                            [{"label": k.label, "value": k.value} for k in AuditKind],
                            value=kind if kind in {k.value for k in AuditKind} else None,
                            placeholder="全部类别",
                            style={"width": "200px"},
                        ),
                    ),
                    labelled("自", _date_input(ids.AUDIT_SINCE, _day_text(since)), for_id=ids.AUDIT_SINCE),
                    labelled("至", _date_input(ids.AUDIT_UNTIL, _day_text(until)), for_id=ids.AUDIT_UNTIL),
                ],
                className="toolbar",
            ),
            html.Div(id=ids.AUDIT_RANGE_NOTE, className="error"),
            grid_block(ids.AUDIT_GRID, COLUMNS, row_id="event_id", empty="没有符合条件的事件。"),
            # Announced as it changes: an event opened by the keyboard (Enter on its row) shows below the grid.
            html.Div(
                html.P(DETAIL_HINT, className="hint"),
                id=ids.AUDIT_DETAIL,
                className="audit-detail",
                **cast(Any, {"aria-live": "polite"}),  # a wildcard property Dash's typing does not list
            ),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """The grid follows the filters; its export re-reads the same events; a clicked row shows the event in full."""
    register_grid(
        app,
        GridSpec(
            ids.AUDIT_GRID,
            COLUMNS,
            ("event_id",),
            lambda viewer, actor, kind, since, until: load_events(context, viewer, actor, kind, since, until),
            [
                (ids.AUDIT_ACTOR, "value"),
                (ids.AUDIT_KIND, "value"),
                (ids.AUDIT_SINCE, "value"),
                (ids.AUDIT_UNTIL, "value"),
            ],
            "审计日志",
            # A filtered export is a partial extract, and says so (it read 审计日志（全国） whatever was filtered).
            scope=lambda viewer, actor, kind, since, until: "筛选结果" if any((actor, kind, since, until)) else "全部",
            note=lambda viewer, actor, kind, since, until: describe_filters(actor, kind, since, until),
        ),
    )

    @app.callback(
        Output(ids.AUDIT_RANGE_NOTE, "children"),
        Input(ids.AUDIT_SINCE, "value"),
        Input(ids.AUDIT_UNTIL, "value"),
        Input(ids.AUDIT_ACTOR, "value"),
    )
    def show_range_note(since: Any, until: Any, actor: Any) -> str:
        require_role(current_viewer(), Role.ADMIN)
        require_text(actor)
        with context.reader.cursor() as con:
            unknown = describe_unknown_actor(con, actor)
        return "".join(note for note in (range_note(since, until), unknown) if note)

    @app.callback(
        Output(ids.PAGE_URL, "search", allow_duplicate=True),
        Input(ids.AUDIT_ACTOR, "value"),
        Input(ids.AUDIT_KIND, "value"),
        Input(ids.AUDIT_SINCE, "value"),
        Input(ids.AUDIT_UNTIL, "value"),
        prevent_initial_call=True,
    )
    def remember_filters(actor: Any, kind: Any, since: Any, until: Any) -> str:
        """The filters in the address: a link reproduces the view (they were lost on every reload)."""
        require_role(current_viewer(), Role.ADMIN)
        require_text(actor, kind, since, until)
        return query_string(by=(actor or "").strip(), kind=kind, since=since, until=until)

    @app.callback(Output(ids.AUDIT_DETAIL, "children"), Input(ids.AUDIT_GRID, "cellClicked"), prevent_initial_call=True)
    def show_event(cell: dict[str, Any] | None) -> Any:
        event_id = (cell or {}).get("rowId")
        if not event_id:
            return no_update
        return event_detail(load_event(context, current_viewer(), event_id))
