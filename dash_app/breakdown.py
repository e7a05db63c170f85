"""A small breakdown component: a selector of the census breakdowns and one chart, for any page (/ shows holdings,
/coverage shows coverage). The breakdowns themselves are `warehouse.breakdowns`' (declared in
`census_schema.breakdowns`); this module only shows them, for the viewer's scope."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

from census_schema.breakdowns import BREAKDOWN_LABELS, GROUP_BREAKDOWNS, PART_BREAKDOWNS
from dash_app import ids
from dash_app.access import current_viewer, scope_province
from dash_app.context import AppContext
from dash_app.figures import build_breakdown_figure
from warehouse.breakdowns import query_breakdowns

# metric -> the breakdowns that have it (coverage needs expected holders: the register's attributes only).
_BREAKDOWNS = {
    "holdings": [b.key for b in (*GROUP_BREAKDOWNS, *PART_BREAKDOWNS)],
    "coverage_pct": [b.key for b in GROUP_BREAKDOWNS if b.register_column is not None],
}
_MEMBER_KEYS = {b.key: b.member_key for b in (*GROUP_BREAKDOWNS, *PART_BREAKDOWNS)}
_TITLES = {"holdings": "馆（室）藏（卷件）", "coverage_pct": "普查覆盖率（%）"}


def breakdown_block(page: str, metric: str) -> html.Div:
    """The selector and the chart of one page (`page` names its component ids)."""
    options = [{"label": f"按{BREAKDOWN_LABELS[key]}", "value": key} for key in _BREAKDOWNS[metric]]
    return html.Div(
        [
            html.Div(
                [
                    html.Label("分类查看", htmlFor=ids.breakdown_choice(page)),
                    dcc.Dropdown(
                        id=ids.breakdown_choice(page),
                        options=options,
                        value=options[0]["value"],
                        clearable=False,
                        style={"width": "220px"},
                    ),
                ],
                className="toolbar",
            ),
            dcc.Graph(id=ids.breakdown_graph(page)),
        ],
        className="breakdown",
    )


def register_breakdown(app: Dash, context: AppContext, page: str, metric: str) -> None:
    """The chart follows the selector, for the viewer's scope (the nation, or a province user's province)."""

    @app.callback(Output(ids.breakdown_graph(page), "figure"), Input(ids.breakdown_choice(page), "value"))
    def show_breakdown(key: str) -> Any:
        if key not in _BREAKDOWNS[metric]:
            key = _BREAKDOWNS[metric][0]
        province = scope_province(current_viewer())
        rows = context.reader.cached(query_breakdowns, province)[key]
        title = f"{_TITLES[metric]}，按{BREAKDOWN_LABELS[key]}"
        return build_breakdown_figure(rows, _MEMBER_KEYS[key], metric, title)
