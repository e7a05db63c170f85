"""A small breakdown component: a selector of the census breakdowns and one chart, for any page (/ shows holdings,
/coverage shows coverage). The breakdowns themselves are `warehouse.breakdowns`' (declared in
`census_schema.breakdowns`); this module only shows them, for the viewer's scope."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, html

from census_schema.breakdowns import (
    BREAKDOWN_LABELS,
    BY_HOLDER_TYPE,
    BY_LEVEL,
    GROUP_BREAKDOWNS,
    PART_BREAKDOWNS,
)
from census_schema.divisions import census_province_of, load_divisions
from census_schema.scopes import CENTRAL_ADMIN_LEVEL, CENTRAL_HOLDER_TYPES, parse_central_area
from dash_app import ids
from dash_app.access import Viewer, current_viewer, scope_division
from dash_app.components import dropdown, graph, labelled, query_string, small_table
from dash_app.context import AppContext
from dash_app.figures import build_breakdown_figure
from dash_app.formatting import area_name, figure_decimals, format_magnitude, format_number
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
                labelled(
                    "分类查看",
                    dropdown(
                        ids.breakdown_choice(page),
                        options,
                        placeholder="选择分类",
                        value=options[0]["value"],
                        clearable=False,
                        style={"width": "220px"},
                    ),
                ),
                className="toolbar",
            ),
            graph(ids.breakdown_graph(page)),
            html.Div(id=ids.breakdown_carriers(page)) if metric == "holdings" else None,
        ],
        className="breakdown",
    )


def carriers_table(rows: list[dict[str, Any]], scope: str | None) -> html.Div:
    """The scope's archives on carriers other than paper, each in its own unit (they are not parts of the holdings and
    do not add up), each figure linked to the rows it is summed from."""
    body = [
        [
            row["carrier"],
            html.A(
                format_number(row["value"], figure_decimals(row["field"])),
                href="/lineage" + query_string(figure=row["field"], division=scope),
                title="查看来源",
            ),
            row["unit"],
            format_magnitude(row["value"], row["unit"]) or "",
        ]
        for row in rows
    ]
    return html.Div(
        [
            html.H3(f"{area_name(scope)}其他载体的档案"),
            html.P("各按其计量单位统计，不计入上图的卷件，彼此也不能相加；点击数字查看来源。", className="hint"),
            small_table(["载体", "数量", "单位", "约数"], body, numeric=(1,)),
        ]
    )


def reportable(scope: str | None, key: str) -> tuple[str, ...] | None:
    """The members of a breakdown a central area can have (its channels' 普查对象类型, the 中央 level), or None (any):
    the others, which the channels' rules refuse, would only fill its chart with "—"."""
    is_central, channel = parse_central_area(scope)
    if not is_central:
        return None
    if key == BY_LEVEL.key:
        return (CENTRAL_ADMIN_LEVEL,)
    if key == BY_HOLDER_TYPE.key:
        return tuple({t for c in ([channel] if channel else CENTRAL_HOLDER_TYPES) for t in CENTRAL_HOLDER_TYPES[c]})
    return None


def breakdown_scope(viewer: Viewer, search: str | None, *, local_area: bool = False) -> str | None:
    """The scope the chart shows: the page's (?division=CODE on /coverage, the central channels' included for national
    users; a national user's ?province=CODE on /) when the viewer may see it, else the viewer's whole scope (the
    nation, or a provincial office's province; a prefecture's or county's office's own division where the page serves
    it, `local_area`)."""
    query = parse_qs((search or "").lstrip("?"))
    asked = [*query.get("division", []), *(query.get("province", []) if viewer.is_national else [])]
    divisions = load_divisions().by_code
    for code in asked:
        if viewer.is_national and (code in divisions or parse_central_area(code)[0]):
            return code
        if code in divisions and census_province_of(code) == viewer.province_code:
            return scope_division(viewer, code, local_area=local_area)
    return scope_division(viewer, None, local_area=local_area)


def register_breakdown(app: Dash, context: AppContext, page: str, metric: str, *, local_area: bool = False) -> None:
    """The chart follows the selector, for the viewer's scope (the nation, or a province user's province; a
    prefecture's or county's office's own area on a page that serves it, `local_area`)."""

    @app.callback(
        Output(ids.breakdown_graph(page), "figure"),
        Input(ids.breakdown_choice(page), "value"),
        Input(ids.URL, "search"),
    )
    def show_breakdown(key: str, search: str | None) -> Any:
        if key not in _BREAKDOWNS[metric]:
            key = _BREAKDOWNS[metric][0]
        scope = breakdown_scope(current_viewer(), search, local_area=local_area)
        rows = context.reader.cached(query_breakdowns, scope)[key]
        if (members := reportable(scope, key)) is not None:
            rows = [row for row in rows if row[_MEMBER_KEYS[key]] in members]
        title = f"{area_name(scope)}{_TITLES[metric]}，按{BREAKDOWN_LABELS[key]}"
        return build_breakdown_figure(rows, _MEMBER_KEYS[key], metric, title)

    if metric == "holdings":

        @app.callback(Output(ids.breakdown_carriers(page), "children"), Input(ids.URL, "search"))
        def show_carriers(search: str | None) -> html.Div:
            scope = breakdown_scope(current_viewer(), search, local_area=local_area)
            return carriers_table(context.reader.cached(query_breakdowns, scope)["by_carrier"], scope)
