"""Pure figure builders: data in, plotly figure out (no queries, no callbacks)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from census_schema.divisions import PROVINCE, load_divisions
from dash_app.formatting import MAGNITUDE_FROM, NO_MAGNITUDE_UNITS, format_date, format_pct, in_wan_or_yi, to_beijing

GEOJSON_URL = "/assets/china_provinces.geojson"
TOPOJSON_URL = "/assets/topojson/"
SOUTH_SEA_LINE = Path(__file__).parent / "assets" / "china_south_sea_line.geojson"
NO_DATA_COLOR = "#d9d9d9"
FONT = "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"
TEXT_COLOUR = "#1f2933"  # the pages' body text
# Blues from its lightest to its middle (#4f9bd0): the body text reads on each at 4.8:1 or more.
HEATMAP_BLUES = [[0.0, "#f7fbff"], [0.5, "#c6dbef"], [1.0, "#4f9bd0"]]
# The maps' scale: Blues from a clear light blue (not Blues' near-white, which the lowest region took and which read
# as the white page, or as the grey of 无数据) to its darkest.
MAP_BLUES = [[0.0, "#9ecae1"], [0.5, "#4292c6"], [1.0, "#08306b"]]
# Every graph: plotly's zh-CN locale (assets/plotly-locale-zh-cn.js), no Plotly logo and none of the buttons that
# send a chart to Plotly's cloud; a downloaded picture named in Chinese.
GRAPH_CONFIG: dict[str, Any] = {
    "locale": "zh-CN",
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud", "editInChartStudio", "lasso2d", "select2d"],
    "toImageButtonOptions": {"filename": "国有档案资源普查图表"},
}
MAP_CONFIG: dict[str, Any] = {**GRAPH_CONFIG, "topojsonURL": TOPOJSON_URL, "scrollZoom": False}

# The map is drawn at a fixed size so the South China Sea inset sits in the empty sea at the lower right of the
# mainland view, clear of Taiwan, Diaoyu Dao and Chiwei Yu (east to 124.6° E): the inset starts at 126° E.
MAP_WIDTH_PX, MAP_HEIGHT_PX, MAP_TOP_PX = 920, 620, 40
MAINLAND_LON, MAINLAND_LAT = (73.0, 140.0), (16.5, 54.0)
INSET_LON, INSET_LAT = (106.0, 123.5), (2.5, 24.8)
INSET_WEST_LON = 126.0


def inset_label(text: str, right: float) -> dict[str, Any]:
    """The name written in an inset's lower right corner (`right`: the inset's right edge, as a share of the width)."""
    return {
        "text": text,
        "x": right,
        "y": 0.01,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "right",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 11, "color": LINE_COLOR},
    }


def magnitude_label(value: float, decimals: int = 4) -> str:
    """A figure as statistics here write it: 5000万, 1.5亿, 0 (no separator in a number of 万 or 亿), to at most
    `decimals` places of its 万 or 亿."""
    return "".join(in_wan_or_yi(value, decimals))


def tick_format(value_format: str) -> str:
    """A colour bar's d3 format from its figures': round ticks without the zeros of their decimals (20,000 GB and
    20%, not 20,000.00 and 20.00%)."""
    return value_format[:-1] + "~f" if value_format.endswith("f") and "~" not in value_format else value_format


def magnitude_ticks(values: Sequence[float], unit: str, count: int = 5) -> dict[str, Any]:
    """An axis's or colour bar's ticks in 万 or 亿 (plotly writes 100,000,000, or 100M) when its figures reach
    MAGNITUDE_FROM: about `count` round steps over the values; nothing for smaller figures, storage and shares."""
    given = [float(v) for v in values if v is not None]
    if unit in NO_MAGNITUDE_UNITS or not given or max(abs(v) for v in given) < MAGNITUDE_FROM:
        return {}
    low, high = min(given), max(given)
    rough = (high - low) / count or abs(high) / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(power * m for m in (1, 2, 2.5, 5, 10) if power * m >= rough)
    first, last = math.floor(low / step), math.ceil(high / step)
    ticks = [n * step for n in range(first, last + 1)]
    return {"tickvals": ticks, "ticktext": [magnitude_label(t) for t in ticks]}


def value_hover(label: str, value_format: str, suffix: str) -> str:
    """A map region's hover: its name, then the figure's label and value (d3 `value_format`, then `suffix`)."""
    return "%{text}<br>" + label + "：%{z:" + value_format + "}" + suffix + "<extra></extra>"


def add_regions(
    figure: go.Figure,
    geojson: Any,
    geo: str,
    grey: list[tuple[str, str]],
    coloured: list[tuple[str, str, Any]],
    *,
    zrange: tuple[float, float] | None,
    hover: str,
    colorbar: dict[str, Any],
    name: str,
) -> None:
    """A map's regions on one of its views (`geo`): those without a value in grey (code, hover text), the others
    coloured by it (code, name, value) over `zrange`, the colour bar shown beside the main view only."""
    if grey:
        figure.add_trace(no_data_trace(geojson, [c for c, _ in grey], [t for _, t in grey], geo=geo))
    if coloured:
        figure.add_trace(
            go.Choropleth(
                geojson=geojson,
                featureidkey="id",
                locations=[code for code, _, _ in coloured],
                z=[value for _, _, value in coloured],
                zmin=zrange[0] if zrange else None,
                zmax=zrange[1] if zrange else None,
                text=[region for _, region, _ in coloured],
                hovertemplate=hover,
                colorscale=MAP_BLUES,
                marker_line_color="white",
                showscale=geo == "geo",
                colorbar=colorbar,
                name=name,
                geo=geo,
            )
        )


def no_data_trace(geojson: Any, locations: list[str], texts: list[str], **extra: Any) -> go.Choropleth:
    """The grey regions of a map that have no value (hover says why)."""
    return go.Choropleth(
        geojson=geojson,
        featureidkey="id",
        locations=locations,
        z=[0] * len(locations),
        text=texts,
        hoverinfo="text",
        colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
        showscale=False,
        marker_line_color="white",
        name="无数据",
        **extra,
    )


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def mercator_aspect(lon: tuple[float, float], lat: tuple[float, float]) -> float:
    """Width over height of a lon/lat box on a Mercator map."""
    return math.radians(lon[1] - lon[0]) / (_mercator_y(lat[1]) - _mercator_y(lat[0]))


def mercator_center(lon: tuple[float, float], lat: tuple[float, float]) -> dict[str, float]:
    """The centre of a lon/lat box on a Mercator map (plotly's default, the middle latitude, cuts off the north)."""
    middle = (_mercator_y(lat[0]) + _mercator_y(lat[1])) / 2
    return {"lon": (lon[0] + lon[1]) / 2, "lat": round(math.degrees(2 * math.atan(math.exp(middle)) - math.pi / 2), 4)}


_PLOT_HEIGHT = MAP_HEIGHT_PX - MAP_TOP_PX
# Paper fractions: the mainland box fills the full height; the inset fills its lower right corner from 126° E.
MAINLAND_RIGHT = round(mercator_aspect(MAINLAND_LON, MAINLAND_LAT) * _PLOT_HEIGHT / MAP_WIDTH_PX, 4)
INSET_LEFT = round(MAINLAND_RIGHT * (INSET_WEST_LON - MAINLAND_LON[0]) / (MAINLAND_LON[1] - MAINLAND_LON[0]), 4)
INSET_TOP = round(
    (MAINLAND_RIGHT - INSET_LEFT) * MAP_WIDTH_PX / mercator_aspect(INSET_LON, INSET_LAT) / _PLOT_HEIGHT, 4
)
LINE_COLOR = "#5b6770"
# The frame of a map's inset (the South China Sea islands on the national map, 三沙 on Hainan's).
INSET_FRAME = {"showframe": True, "framecolor": LINE_COLOR, "framewidth": 1}


@lru_cache(maxsize=1)
def load_south_sea_line() -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
    """The dashed line's lon and lat lists, dashes separated by None (from the shipped GeoJSON)."""
    collection = json.loads(SOUTH_SEA_LINE.read_text(encoding="utf-8"))
    lons: list[float | None] = []
    lats: list[float | None] = []
    for feature in collection["features"]:
        for dash in feature["geometry"]["coordinates"]:
            lons += [point[0] for point in dash] + [None]
            lats += [point[1] for point in dash] + [None]
    return tuple(lons), tuple(lats)


def outside_census_rows() -> list[dict[str, Any]]:
    """Provincial-level units on the map but outside the census (Taiwan, Hong Kong, Macao): drawn, never coloured."""
    divisions = load_divisions()
    census = {d.code for d in divisions.census_provinces()}
    return [
        {"province_code": d.code, "province_name": d.name, "note": "不在本次普查范围"}
        for d in divisions.by_code.values()
        if d.level == PROVINCE and d.code not in census
    ]


def _south_sea_line(geo: str) -> go.Scattergeo:
    lons, lats = load_south_sea_line()
    return go.Scattergeo(
        lon=list(lons),
        lat=list(lats),
        mode="lines",
        line={"color": LINE_COLOR, "width": 1.5},
        hoverinfo="skip",
        showlegend=False,
        geo=geo,
    )


def build_choropleth(
    rows: Sequence[Mapping[str, Any]],
    value_key: str,
    title: str,
    *,
    geojson: str | dict[str, Any] = GEOJSON_URL,
    value_format: str = ",.0f",
    suffix: str = "",
    zrange: tuple[float, float] | None = None,
    hover_label: str | None = None,
    unit: str = "",
) -> go.Figure:
    """Provinces coloured by a figure; provinces with no value drawn in a separate grey 'no data' class.
    `value_format` is the d3 format of the figure in hovers and on the colour bar (counts without decimals; the bar
    in 万 or 亿 for large figures of `unit`); `zrange` the values the colour scale runs between (a share: 0–100), else
    the figures' own least and greatest."""
    with_data = [r for r in rows if r.get(value_key) is not None]
    without = [r for r in rows if r.get(value_key) is None]
    # The map shows the whole country: units without a row (outside the census) still get their no-data shape.
    listed = {r["province_code"] for r in rows}
    without += [r for r in outside_census_rows() if r["province_code"] not in listed]
    figure = go.Figure()
    # Every trace is drawn twice: on the mainland view and on the inset, where the islands of Hainan (460000) show.
    # No colorbar title (the figure's title names the metric): a wide one would push the right margin out and shift
    # the inset off the mainland's lower right corner.
    colorbar = {
        "x": MAINLAND_RIGHT + 0.015,
        "len": 0.55,
        "y": 0.7,
        "thickness": 16,
        "tickformat": tick_format(value_format),
        "ticksuffix": suffix,
        **magnitude_ticks(zrange or [r[value_key] for r in with_data], unit),
    }
    for geo in ("geo", "geo2"):
        add_regions(
            figure,
            geojson,
            geo,
            [(r["province_code"], f"{r['province_name']}：{r.get('note', '无数据')}") for r in without],
            [(r["province_code"], r["province_name"], r[value_key]) for r in with_data],
            zrange=zrange,
            hover=value_hover(hover_label or title, value_format, suffix),
            colorbar=colorbar,
            name=title,
        )
        figure.add_trace(_south_sea_line(geo))
    mercator = {"projection_type": "mercator", "visible": False, "bgcolor": "white"}
    figure.update_layout(
        geo={
            **mercator,
            "lonaxis_range": list(MAINLAND_LON),
            "lataxis_range": list(MAINLAND_LAT),
            "center": mercator_center(MAINLAND_LON, MAINLAND_LAT),
            "domain": {"x": [0, MAINLAND_RIGHT], "y": [0, 1]},
        },
        geo2={
            **mercator,
            "lonaxis_range": list(INSET_LON),
            "lataxis_range": list(INSET_LAT),
            "center": mercator_center(INSET_LON, INSET_LAT),
            "domain": {"x": [INSET_LEFT, MAINLAND_RIGHT], "y": [0, INSET_TOP]},
            **INSET_FRAME,
        },
        annotations=[inset_label("南海诸岛", MAINLAND_RIGHT - 0.005)],
        width=MAP_WIDTH_PX,
        height=MAP_HEIGHT_PX,
        autosize=False,
        margin={"l": 0, "r": 0, "t": MAP_TOP_PX, "b": 0},
        font_family=FONT,
        title={"text": title, "x": 0.01},
    )
    return figure


def build_trend(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Errors and warnings of the census submissions per day (Beijing time) of submission."""
    if not rows:
        return empty_figure("尚无普查表提交。")
    days: dict[date, list[int]] = {}
    for row in rows:
        day = to_beijing(row["submitted_at"]).date()
        counts = days.setdefault(day, [0, 0, 0])
        counts[0] += int(row["error_count"] or 0)
        counts[1] += int(row["warning_count"] or 0)
        counts[2] += 1
    ordered = sorted(days)
    labels = [format_date(day) for day in ordered]
    submissions = [days[day][2] for day in ordered]
    figure = go.Figure()
    for index, (name, color) in enumerate((("错误", "#d9534f"), ("警告", "#f0ad4e"))):
        figure.add_bar(
            x=labels,
            y=[days[day][index] for day in ordered],
            name=name,
            marker_color=color,
            customdata=submissions,
            width=0.35 if len(ordered) < 4 else None,
            hovertemplate="%{x}：" + name + " %{y:,} 个（当日提交 %{customdata:,} 次）<extra></extra>",
        )
    figure.update_layout(
        barmode="group",
        height=320,
        margin={"l": 60, "r": 10, "t": 40, "b": 40},
        font_family=FONT,
        title={"text": "每日提交的错误与警告（个，北京时间；每次提交都计入，含未通过的和已被替代的）", "x": 0.01},
        xaxis={"type": "category"},
        yaxis={"tickformat": ",d", "rangemode": "tozero"},  # the unit is in the title: a rotated 个 reads as ←
        legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    )
    return figure


# The bars' blue: white value labels on it read at 4.8:1 (#2c7fb8 was 4.3:1, under WCAG AA's 4.5).
BAR_BLUE = "#2878b0"


# Counts below this are ticked one by one on a bar chart's axis.
SMALL_COUNT = 10


def build_bar(
    labels: Sequence[str], values: Sequence[float], title: str, *, color: str = BAR_BLUE, unit: str = "个"
) -> go.Figure:
    """A simple horizontal bar chart of counts (whole numbers, the unit in the hover and on the axis); large figures
    written and ticked in 万 or 亿 (the hover keeps them exact)."""
    ticks = magnitude_ticks([0, *values], unit)  # the bars start at 0
    figure = go.Figure(
        go.Bar(
            x=list(values),
            y=list(labels),
            orientation="h",
            marker_color=color,
            text=[magnitude_label(v, 2) if ticks else f"{v:,}" for v in values],
            textposition="auto",
            hovertemplate="%{y}：%{x:,} " + unit + "<extra></extra>",
        )
    )
    figure.update_xaxes(tickformat=",d", title={"text": unit}, rangemode="tozero", **ticks)
    if max(values, default=0) < SMALL_COUNT:
        # A step of one: plotly's own (0.5 below five) read 0 1 1 2 3 3 4 4 once rounded to whole numbers.
        figure.update_xaxes(dtick=1)
    figure.update_layout(
        height=max(260, 22 * len(labels) + 80),
        # Room at the bottom for the axis title (the unit), which a 30 px margin cut off.
        margin={"l": 120, "r": 10, "t": 30, "b": 50},
        font_family=FONT,
        title={"text": title, "x": 0.01},
        yaxis={"autorange": "reversed"},
    )
    return figure


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to draw."""
    figure = go.Figure()
    figure.add_annotation(
        text=message, showarrow=False, font={"size": 16, "color": "#616e7c"}, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    figure.update_layout(
        height=220,
        plot_bgcolor="white",
        paper_bgcolor="white",
        xaxis={"visible": False},
        yaxis={"visible": False},
        font_family=FONT,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return figure


def build_radar(areas: Sequence[Mapping[str, Any]], title: str) -> go.Figure:
    """An archive's area subtotals as a share of each area's maximum points.

    The first area sits at the top and the areas run clockwise; the radial axis is drawn between the first two
    areas with small ticks, so its labels never sit on an area's name."""
    if not areas:
        return empty_figure("该档案馆的评价尚未完成，暂无各方面得分。")
    labels = [a["area_name"] for a in areas]
    shares = [round(100 * float(a["subtotal"]) / float(a["max_points"]), 1) if a["max_points"] else 0 for a in areas]
    points = [f"{a['subtotal']} / {a['max_points']} 分" for a in areas]
    figure = go.Figure(
        go.Scatterpolar(
            r=[*shares, *shares[:1]],
            theta=[*labels, *labels[:1]],
            customdata=[*points, *points[:1]],
            fill="toself",
            name=title,
            hovertemplate="%{theta}：%{r:.1f}%（%{customdata}）<extra></extra>",
        )
    )
    between_first_two = 90 - 180 / len(labels)
    figure.update_layout(
        polar={
            "radialaxis": {
                "range": [0, 100],
                "ticksuffix": "%",
                "tickvals": [25, 50, 75, 100],
                "angle": between_first_two,
                "tickangle": between_first_two,
                "tickfont": {"size": 10, "color": "#616e7c"},
            },
            "angularaxis": {"rotation": 90, "direction": "clockwise", "tickfont": {"size": 13}},
            "domain": {"x": [0.1, 0.9], "y": [0, 0.88]},
        },
        height=420,
        margin={"l": 60, "r": 60, "t": 50, "b": 40},
        font_family=FONT,
        title={"text": title, "x": 0.01, "y": 0.98, "yanchor": "top"},
        showlegend=False,
    )
    return figure


def build_lines(
    series: Mapping[str, Sequence[tuple[Any, Any]]],
    title: str,
    *,
    unit: str = "",
    below: tuple[str, Mapping[str, Sequence[tuple[Any, Any]]]] | None = None,
) -> go.Figure:
    """One line per named series of (year, value) points; years are whole numbers on the axis (2025年). `below`: a
    second panel under the first, named, with an axis of its own (a province's figures are a sliver of the nation's:
    on one axis its lines lay over each other along the bottom)."""
    panels = [("", series), *([below] if below and _has_values(below[1]) else [])]
    stacked = len(panels) > 1
    if not _has_values(series) and not stacked:
        return empty_figure("该指标暂无数值。")
    years = sorted({x for _, lines in panels for points in lines.values() for x, y in points if y is not None})
    if not stacked:
        figure = go.Figure()
    else:
        names = ("全国" if _has_values(series) else "全国（暂无数值）", below[0] if below else "")
        figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14, subplot_titles=names)
    for row, (_, lines) in enumerate(panels, start=1):
        at = {"row": row, "col": 1} if stacked else {}
        values = [float(y) for points in lines.values() for _, y in points if y is not None] or [0.0]
        # One value alone is drawn from 0 (plotly zoomed round it: an axis of 2,035,654.5 … 2,035,656, or none).
        single = max(values) == min(values)
        ticks = magnitude_ticks([0.0, *values] if single else values, unit)
        for name, points in lines.items():
            # A series of one or two values is a dot or a short line: each value written beside it, or it cannot be
            # read.
            few = sum(y is not None for _, y in points) <= 2
            figure.add_scatter(
                x=[x for x, _ in points],
                y=[y for _, y in points],
                mode="lines+markers+text" if few else "lines+markers",
                text=[None if y is None else _point_label(float(y), bool(ticks)) for _, y in points] if few else None,
                textposition="top center",
                marker={"size": 9 if few else 6},
                name=name,
                hovertemplate="%{x}年 " + name + "：%{y:,}" + (f" {unit}" if unit else "") + "<extra></extra>",
                **at,
            )
        # The unit is in the caller's title and the hover (a rotated 个 reads as ←); large figures in 万 or 亿.
        yaxis = {"tickformat": ",", **ticks} | ({"rangemode": "tozero"} if single else {})
        figure.update_yaxes(**yaxis, **at)
    figure.update_xaxes(
        dtick=1,
        tickformat="d",
        ticksuffix="年",
        # A single year is its own axis (it read 2023年 to 2025年 around one point of 2024).
        **({"range": [years[0] - 0.5, years[0] + 0.5]} if len(years) == 1 else {}),
    )
    figure.update_layout(
        height=520 if stacked else 340,
        margin={"l": 60, "r": 10, "t": 70 if stacked else 40, "b": 40},
        font_family=FONT,
        title={"text": title, "x": 0.01},
        legend={"orientation": "h", "y": 1.1 if stacked else 1.12, "x": 1, "xanchor": "right"},
        showlegend=True,  # a single series is named too (plotly leaves a lone trace without its legend)
    )
    return figure


def _has_values(series: Mapping[str, Sequence[tuple[Any, Any]]]) -> bool:
    return any(y is not None for points in series.values() for _, y in points)


def _point_label(value: float, in_magnitude: bool) -> str:
    """A point's value written beside it: in 万 or 亿 where its axis is (10.4亿), else in full (131, 62.14)."""
    return magnitude_label(value, 2) if in_magnitude else f"{value:,.{_decimals_needed(value)}f}"


def _decimals_needed(value: float) -> int:
    """The decimals (0 to 2) a value shows once rounded to two: 3 → 0, 20.6 → 1, 61.02 → 2."""
    return len(f"{value:.2f}".rstrip("0").partition(".")[2])


# The magnitude from which a heatmap column is read in 万.
WAN_FROM = 1_000_000


def build_heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    title: str,
    *,
    units: Sequence[str] | None = None,
) -> go.Figure:
    """A province × indicator heatmap: each column coloured from its own smallest value (lightest) to its largest
    (darkest), so that provinces apart by a few points of a rate near 100 % look apart; cells show values (with the
    column's unit in the column header and in the hover)."""
    if not rows or not columns:
        return empty_figure("暂无分省计算指标。")
    units = list(units or [""] * len(columns))
    spans = [
        (min(given), max(given)) if (given := [v for r in values if (v := r[c]) is not None]) else (0.0, 0.0)
        for c in range(len(columns))
    ]
    relative = [
        [None if v is None else (v - spans[c][0]) / (spans[c][1] - spans[c][0]) if spans[c][1] > spans[c][0] else 0.5
         for c, v in enumerate(row)]
        for row in values
    ]  # fmt: skip
    # One number of decimals per column (the most any of its values needs, at most two), so that a column's figures
    # line up: 20.60 beside 61.02, not 20.6.
    decimals = [
        max((_decimals_needed(v) for r in values if (v := r[c]) is not None), default=0) for c in range(len(columns))
    ]
    exact = [["" if v is None else f"{v:,.{decimals[c]}f}" for c, v in enumerate(row)] for row in values]
    # A column of millions is read in 万 (21,535,433 卷件 is 2,153.54 万卷件), as statistics are published here; the
    # hover keeps the exact figure.
    in_wan = [
        max((abs(v) for r in values if (v := r[c]) is not None), default=0) >= WAN_FROM for c in range(len(columns))
    ]
    text = [
        [f"{v / 10_000:,.2f}" if v is not None and in_wan[c] else exact[i][c] for c, v in enumerate(row)]
        for i, row in enumerate(values)
    ]
    headers = [
        f"{name}（{'万' if wan else ''}{unit}）" if unit or wan else name
        for name, unit, wan in zip(columns, units, in_wan, strict=True)
    ]
    exact_headers = [f"{name}（{unit}）" if unit else name for name, unit in zip(columns, units, strict=True)]
    hover = [[f"{exact_headers[c]}：{cell}" if cell else "" for c, cell in enumerate(row)] for row in exact]
    figure = go.Figure(
        go.Heatmap(
            z=relative,
            x=headers,
            y=list(rows),
            text=text,
            customdata=hover,
            texttemplate="%{text}",
            hovertemplate="%{y}｜%{customdata}<extra></extra>",
            # The light half of Blues, under dark text: at least 4.8:1 in every cell (plotly's own choice of black
            # or white text fell to ~3:1 on the middle blues).
            colorscale=HEATMAP_BLUES,
            textfont={"color": TEXT_COLOUR},
            showscale=False,
            hoverongaps=False,
        )
    )
    figure.update_layout(
        height=max(360, 22 * len(rows) + 160),
        margin={"l": 130, "r": 10, "t": 40, "b": 160},
        font_family=FONT,
        # With one row there is nothing to compare down a column: no colour key.
        title={
            "text": f"{title}（每列由该列最小值到最大值着色，颜色越深数值越大）" if len(rows) > 1 else title,
            "x": 0.01,
        },
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -30},
    )
    return figure


def division_geojson_url(province_code: str) -> str:
    """Where the geometry of a province's prefectures (and counties directly under it) is served."""
    return f"/assets/prefectures/{province_code}.geojson"


def has_division_geometry(province_code: str) -> bool:
    """Whether the province's prefectures can be drawn (the Corps, 660000, has no geometry: assets/GEODATA.md)."""
    return (Path(__file__).parent / "assets" / "prefectures" / f"{province_code}.geojson").is_file()


# A division whose islands lie far from the rest of its province, drawn in an inset of its own: fitting 三沙 (the
# South China Sea islands, 460300) with the rest shrank Hainan Island to some 50 pixels across.
INSET_DIVISIONS = {"460300": "三沙市"}


def build_division_map(
    rows: Sequence[Mapping[str, Any]],
    value_key: str,
    title: str,
    geojson: str | dict[str, Any],
    *,
    value_format: str = ",.0f",
    suffix: str = "",
    zrange: tuple[float, float] | None = None,
    hover_label: str | None = None,
    unit: str = "",
) -> go.Figure:
    """A province's prefectures coloured by a figure (rows: division_code, name and the figure); prefectures without
    a value in grey. The view fits the province (an INSET_DIVISIONS one in a framed inset at the lower right); the
    colour scale runs over `zrange` (a share: 0–100), else over the province's own values."""
    with_data = [r for r in rows if r.get(value_key) is not None]
    without = [r for r in rows if r.get(value_key) is None]
    values = [float(r[value_key]) for r in with_data]
    if values and zrange is None:
        zrange = (min(values), max(values) if max(values) > min(values) else min(values) + 1)
    inset = next((r["division_code"] for r in rows if r["division_code"] in INSET_DIVISIONS), None)
    figure = go.Figure()
    for geo in ("geo", "geo2") if inset else ("geo",):
        shown = (lambda code: code == inset) if geo == "geo2" else (lambda code: code != inset)
        add_regions(
            figure,
            geojson,
            geo,
            [
                (r["division_code"], f"{r['name']}：{r.get('note') or '无数据'}")
                for r in without
                if shown(r["division_code"])
            ],
            [(r["division_code"], r["name"], float(r[value_key])) for r in with_data if shown(r["division_code"])],
            zrange=zrange,
            hover=value_hover(hover_label or title, value_format, suffix),
            colorbar={
                "len": 0.6,
                "thickness": 16,
                "tickformat": tick_format(value_format),
                "ticksuffix": suffix,
                **magnitude_ticks(zrange or values, unit),
            },
            name=title,
        )
    figure.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    figure.update_layout(
        height=560,
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
        font_family=FONT,
        title={"text": title, "x": 0.01},
    )
    if inset:
        # Islands of a few hundred metres: outlined, so that they show as dots one can point at.
        figure.update_traces(selector={"geo": "geo2"}, marker_line_color="#08306b", marker_line_width=2)
        figure.update_layout(
            geo={"domain": {"x": [0, 0.9], "y": [0, 1]}},
            geo2={"domain": {"x": [0.66, 0.9], "y": [0, 0.3]}, **INSET_FRAME},
            annotations=[inset_label(INSET_DIVISIONS[inset], 0.895)],
        )
    return figure


SHARE_TICKS = [0, 20, 40, 60, 80, 100]


def build_breakdown_figure(rows: Sequence[Mapping[str, Any]], member_key: str, metric: str, title: str) -> go.Figure:
    """One breakdown as horizontal bars: holdings (卷件) of each member, or coverage (%) with the counts on hover."""
    if not rows:
        return empty_figure("暂无数据")
    labels = [str(r[member_key]) for r in rows]
    if metric != "coverage_pct":
        values = [r["holdings"] if "holdings" in r else r["vol_total"] + r["item_total"] for r in rows]
        return build_bar(labels, values, title, unit="卷件")
    # A group without registered holders has no coverage: no bar, and "—" rather than 0.00 % (nobody reported).
    shares = [r["coverage_pct"] for r in rows]
    figure = build_bar(labels, [share or 0.0 for share in shares], title, color="#41ab5d", unit="%")
    shown = [format_pct(share) for share in shares]
    counts = [
        [f"{r['units_expected']:,}", f"{r['units_reported']:,}", f"{r['units_unregistered']:,}", shown_share]
        for shown_share, r in zip(shown, rows, strict=True)
    ]
    figure.update_traces(
        text=shown,
        # "—" or 0.00% beside an empty bar (inside a zero-width bar it would not show: a county where nobody reported
        # read as a chart without data).
        textposition=["outside" if not share else "auto" for share in shares],
        customdata=counts,
        hovertemplate="%{y}：%{customdata[3]}<br>应报 %{customdata[0]} 个，已报 %{customdata[1]} 个，"
        "名录外 %{customdata[2]} 个<extra></extra>",
    )
    # Every fifth of the way, 100 % included (the axis's own ticks stopped at 80 %); a little room past 100 %, or
    # the browser hides the label that would overflow the plot's edge.
    figure.update_xaxes(tickformat=".0f", ticksuffix="%", range=[0, 106], tickvals=SHARE_TICKS, title={"text": ""})
    return figure


def build_red_conditions(red: Mapping[str, Any]) -> go.Figure:
    """The red-archive inventory's condition classes (完好 to 特残破损) as bars."""
    if not red["red_total"]:
        return empty_figure("暂无红色档案资源摸底数据")
    conditions = red["by_condition"]
    return build_bar(
        [c["condition"] for c in conditions],
        [c["value"] for c in conditions],
        "红色档案保管状况（卷件）",
        color="#c0392b",
        unit="卷件",
    )
