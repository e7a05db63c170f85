"""`/indicators`: the five-year plan's indicators as cards, trajectories against expected progress, a province ×
indicator heatmap, and the mid-term evaluation workbook."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

from census_schema.supervision.indicators import PLAN_INDICATORS
from dash_app.access import Viewer, current_viewer, scope_province
from dash_app.context import AppContext
from dash_app.figures import build_heatmap, build_lines
from dash_app.grid import GridSpec, grid_block, register_grid
from warehouse.indicators import computed_indicator_values, query_indicator_progress

PATH = "/indicators"
NAME = "规划指标"
ROLES = ("planner", "admin", "province")
CARDS = "indicators-cards"
CHOICE = "indicators-choice"
TRAJECTORY = "indicators-trajectory"
HEATMAP = "indicators-heatmap"
GRID = "indicators-grid"
STATUS_CLASS = {"达标": "ok", "滞后": "warn", "严重滞后": "error"}
PROGRESS_COLUMNS = [
    ("indicator_code", "代码"),
    ("indicator_name", "指标"),
    ("province_name", "范围"),
    ("year", "年份"),
    ("value", "实际值"),
    ("baseline", "基期值"),
    ("target", "目标值"),
    ("expected", "应达进度"),
    ("status", "状态"),
    ("unit", "单位"),
    ("source", "来源"),
]


def load_progress(context: AppContext, viewer: Viewer) -> list[dict[str, Any]]:
    """Indicator rows the viewer may see: national and every province for planners, their own province otherwise."""
    rows = context.reader.cached(query_indicator_progress)
    province = scope_province(viewer)
    keep = [r for r in rows if province is None or r["province_code"] in (None, province)]
    return [{**r, "key": f"{r['indicator_code']}:{r['province_code']}:{r['year']}"} for r in keep]


def _number(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.2f}".rstrip("0").rstrip(".")


def build_cards(rows: list[dict[str, Any]]) -> list[html.Div]:
    """One card per targeted indicator: its latest national value with baseline, target, expected and status."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["province_code"] is None and row["target"] is not None and row["value"] is not None:
            latest[row["indicator_code"]] = row
    cards = []
    for code, row in latest.items():
        status = row["status"] or "—"
        cards.append(
            html.Div(
                [
                    html.Div(f"{code} {row['indicator_name']}", className="card-label"),
                    html.Div(f"{_number(row['value'])} {row['unit']}", className="card-value"),
                    html.Div(
                        f"基期 {_number(row['baseline'])} → 目标 {_number(row['target'])}；{row['year']} 年应达 {_number(row['expected'])}"
                    ),
                    html.Div(status, className=STATUS_CLASS.get(status, "")),
                ],
                className="card",
            )
        )
    return cards


def layout(**_query: str) -> html.Div:
    """Cards, trajectory of one indicator, heatmap, all values, and the report download."""
    viewer = current_viewer()
    download = (
        [
            html.A(
                "下载中期评估报告（Excel）",
                href="/download/indicators-report",
                className="button-secondary",
                id="indicators-report-download",
            )
        ]
        if viewer.is_national
        else []
    )
    return html.Div(
        [
            html.H2("“十四五”规划指标监测"),
            html.Div(download, className="toolbar"),
            html.Div(id=CARDS, className="cards"),
            dcc.Dropdown(
                id=CHOICE,
                options=[{"label": f"{i.code} {i.name}", "value": i.code} for i in PLAN_INDICATORS],
                value=PLAN_INDICATORS[0].code,
                clearable=False,
                style={"width": "420px"},
            ),
            dcc.Graph(id=TRAJECTORY),
            dcc.Graph(id=HEATMAP),
            grid_block(GRID, PROGRESS_COLUMNS),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Cards and heatmap on load; the trajectory follows the chosen indicator."""
    register_grid(
        app,
        GridSpec(
            GRID, PROGRESS_COLUMNS, ("key",), lambda v, _c: load_progress(context, v), [(CHOICE, "id")], "规划指标"
        ),
    )

    @app.callback(Output(CARDS, "children"), Output(HEATMAP, "figure"), Input(CHOICE, "id"))
    def show_overview(_: str) -> tuple[list[html.Div], Any]:
        viewer = current_viewer()
        rows = load_progress(context, viewer)
        province = scope_province(viewer)
        computed = [r for r in context.reader.cached(computed_indicator_values) if r["province_code"] is not None]
        if province is not None:
            computed = [r for r in computed if r["province_code"] == province]
        names = {i.code: i.name for i in PLAN_INDICATORS}
        provinces = sorted({r["province_code"] for r in computed})
        codes = sorted({r["indicator_code"] for r in computed})
        cell = {(r["province_code"], r["indicator_code"]): r["value"] for r in computed}
        values = [[None if cell.get((p, c)) is None else float(cell[(p, c)]) for c in codes] for p in provinces]
        heatmap = build_heatmap(provinces, [names[c] for c in codes], values, "各省计算指标")
        return build_cards(rows), heatmap

    @app.callback(Output(TRAJECTORY, "figure"), Input(CHOICE, "value"))
    def show_trajectory(code: str) -> Any:
        viewer = current_viewer()
        rows = [r for r in load_progress(context, viewer) if r["indicator_code"] == code and r["province_code"] is None]
        actual = [(r["year"], None if r["value"] is None else float(r["value"])) for r in rows]
        expected = [(r["year"], float(r["expected"])) for r in rows if r["expected"] is not None]
        series: dict[str, list[tuple[int, float | None]]] = {"实际值": actual}
        if expected:
            series["应达进度"] = list(expected)
        return build_lines(series, next((f"{r['indicator_name']}（{r['unit']}）" for r in rows), code))
