"""`/audit` (administrators only): the audit log of every state change and sign-in, searched by who, kind and
Beijing-time days, and exported to Excel."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from dash import Dash, dcc, html

from census_schema.audit import AUDIT_VIA_LABELS, AuditKind, action_label
from census_schema.errors import CensusError
from census_schema.roles import Role
from dash_app.access import Viewer, refuse, require_role
from dash_app.context import AppContext
from dash_app.grid import Column, GridSpec, grid_block, register_grid
from warehouse.audit import DEFAULT_LIMIT, search_audit_log, to_beijing

PATH = "/audit"
NAME = "审计日志"
ROLES = (Role.ADMIN,)
ACTOR = "audit-actor"
KIND = "audit-kind"
SINCE = "audit-since"
UNTIL = "audit-until"
GRID = "audit-grid"
COLUMNS = [
    Column("occurred_at", "时间（北京时间）"),
    Column("actor", "操作人"),
    Column("via", "途径"),
    Column("source_address", "来源地址"),
    Column("kind", "类别"),
    Column("action", "操作"),
    Column("target", "对象"),
    Column("before_state", "变更前", wrap=True),
    Column("after_state", "变更后", wrap=True),
    Column("reason", "原因或说明", wrap=True),
]


def _day(value: Any, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        refuse(400, f"{label}「{str(value)[:20]}」不是有效日期（YYYY-MM-DD）。")


def _state(text: str | None) -> str | None:
    """A stored JSON state as `key：value；…` (Chinese punctuation, no braces)."""
    if not text:
        return None
    state = json.loads(text)
    if not isinstance(state, dict):
        return str(state)
    return "；".join(
        f"{key}：{json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value}"
        for key, value in state.items()
    )


def shown_row(row: dict[str, Any]) -> dict[str, Any]:
    """An audit event as the grid shows it: Beijing time, Chinese names of kinds, actions and sources."""
    kind = AuditKind(row["kind"])
    return {
        "event_id": row["event_id"],
        "occurred_at": to_beijing(row["occurred_at"]).strftime("%Y-%m-%d %H:%M:%S"),
        "actor": row["actor"],
        "via": AUDIT_VIA_LABELS.get(row["via"], row["via"]),
        "source_address": row["source_address"],
        "kind": kind.label,
        "action": action_label(row["action"]),
        "target": row["target"],
        "before_state": _state(row["before_state"]),
        "after_state": _state(row["after_state"]),
        "reason": row["reason"],
    }


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
        except CensusError as error:
            refuse(400, error.describe())
    return [shown_row(row) for row in rows]


def layout(**_query: str) -> html.Div:
    """Filters, the events, the export."""
    return html.Div(
        [
            html.H2("审计日志"),
            html.P(
                f"记录每一次报送、审核、问题整改、评价评分、评价轮次与专家分配、用户与角色变更，以及登录成功、失败和受限。"
                f"只增不改。时间为北京时间；最多显示最近 {DEFAULT_LIMIT} 条，请用条件缩小范围。",
                className="hint",
            ),
            html.Div(
                [
                    dcc.Input(id=ACTOR, placeholder="操作人（用户名）", debounce=True, style={"width": "200px"}),
                    dcc.Dropdown(
                        id=KIND,
                        options=[{"label": k.label, "value": k.value} for k in AuditKind],
                        placeholder="全部类别",
                        style={"width": "200px"},
                    ),
                    html.Label(["自", dcc.Input(id=SINCE, type="date", debounce=True, style={"width": "160px"})]),  # type: ignore[arg-type]
                    html.Label(["至", dcc.Input(id=UNTIL, type="date", debounce=True, style={"width": "160px"})]),  # type: ignore[arg-type]
                ],
                className="toolbar",
            ),
            grid_block(GRID, COLUMNS, row_id="event_id"),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """The grid follows the filters; its export re-reads the same events."""
    register_grid(
        app,
        GridSpec(
            GRID,
            COLUMNS,
            ("event_id",),
            lambda viewer, actor, kind, since, until: load_events(context, viewer, actor, kind, since, until),
            [(ACTOR, "value"), (KIND, "value"), (SINCE, "value"), (UNTIL, "value")],
            "审计日志",
        ),
    )
