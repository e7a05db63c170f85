"""Pure figure builders: data in, plotly figure out (no queries, no callbacks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

GEOJSON_URL = "/assets/china_provinces.geojson"
TOPOJSON_URL = "/assets/topojson/"
NO_DATA_COLOR = "#d9d9d9"
FONT = "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"
MAP_CONFIG = {"topojsonURL": TOPOJSON_URL, "displaylogo": False, "scrollZoom": False}


def build_choropleth(
    rows: Sequence[Mapping[str, Any]], value_key: str, title: str, *, geojson: str | dict[str, Any] = GEOJSON_URL
) -> go.Figure:
    """Provinces coloured by a figure; provinces with no value drawn in a separate grey 'no data' class."""
    with_data = [r for r in rows if r.get(value_key) is not None]
    without = [r for r in rows if r.get(value_key) is None]
    figure = go.Figure()
    if without:
        figure.add_trace(
            go.Choropleth(
                geojson=geojson,
                featureidkey="id",
                locations=[r["province_code"] for r in without],
                z=[0] * len(without),
                text=[f"{r['province_name']}：无数据" for r in without],
                hoverinfo="text",
                colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
                showscale=False,
                marker_line_color="white",
                name="无数据",
            )
        )
    if with_data:
        figure.add_trace(
            go.Choropleth(
                geojson=geojson,
                featureidkey="id",
                locations=[r["province_code"] for r in with_data],
                z=[r[value_key] for r in with_data],
                text=[r["province_name"] for r in with_data],
                hovertemplate="%{text}<br>" + title + "：%{z:,.2f}<extra></extra>",
                colorscale="Blues",
                marker_line_color="white",
                colorbar={"title": {"text": title}},
                name=title,
            )
        )
    figure.update_geos(fitbounds="locations", visible=False)
    figure.update_layout(
        margin={"l": 0, "r": 0, "t": 30, "b": 0}, height=520, font_family=FONT, title={"text": title, "x": 0.01}
    )
    return figure


def build_trend(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Errors and warnings of each census submission over time."""
    figure = go.Figure()
    times = [r["submitted_at"] for r in rows]
    figure.add_bar(x=times, y=[r["error_count"] for r in rows], name="错误", marker_color="#d9534f")
    figure.add_bar(x=times, y=[r["warning_count"] for r in rows], name="警告", marker_color="#f0ad4e")
    figure.update_layout(barmode="group", height=320, margin={"l": 40, "r": 10, "t": 30, "b": 40}, font_family=FONT)
    figure.update_layout(title={"text": "各次提交的错误与警告", "x": 0.01})
    return figure


def build_bar(labels: Sequence[str], values: Sequence[float], title: str, *, color: str = "#2c7fb8") -> go.Figure:
    """A simple horizontal bar chart."""
    figure = go.Figure(go.Bar(x=list(values), y=list(labels), orientation="h", marker_color=color))
    figure.update_layout(
        height=max(260, 22 * len(labels) + 80),
        margin={"l": 120, "r": 10, "t": 30, "b": 30},
        font_family=FONT,
        title={"text": title, "x": 0.01},
        yaxis={"autorange": "reversed"},
    )
    return figure
