"""`/quality`: data quality by province, its trend over submissions, the failing holders and the duplicates."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

from dash_app import ids
from dash_app.access import Viewer, current_viewer, scope_province
from dash_app.context import AppContext
from dash_app.figures import build_trend
from dash_app.grid import GridSpec, grid_block, register_grid
from warehouse.outliers import query_outliers
from warehouse.queries import (
    query_cross_province_duplicates,
    query_failures,
    query_quality_by_province,
    query_submission_trend,
)

PATH = "/quality"
NAME = "数据质量"
ROLES = ("planner", "admin", "province")
FAILURE_LIMIT = 5000
QUALITY_COLUMNS = [
    ("province_code", "省份"),
    ("submissions", "提交次数"),
    ("rejected", "退回次数"),
    ("current_rows", "现行表行数"),
    ("current_warnings", "现行表警告"),
    ("quality_score", "质量分"),
    ("last_submitted_at", "最近提交"),
]
FAILURE_COLUMNS = [
    ("province_code", "省份"),
    ("file_name", "文件"),
    ("excel_row", "行号"),
    ("uscc", "统一社会信用代码"),
    ("unit_name", "单位名称"),
    ("label", "列名"),
    ("value", "填报值"),
    ("rule", "规则"),
    ("message", "说明"),
]
OUTLIER_COLUMNS = [
    ("province_code", "省份"),
    ("unit_name", "单位名称"),
    ("uscc", "统一社会信用代码"),
    ("holder_type", "类型"),
    ("level_tier", "层级"),
    ("field_label", "指标"),
    ("value", "填报值"),
    ("peer_median", "同类中位数"),
    ("direction", "方向"),
    ("peer_count", "同类单位数"),
    ("modified_z", "稳健Z值"),
    ("impact_pct", "影响全国合计（%）"),
    ("excel_row", "行号"),
]
DUPLICATE_COLUMNS = [
    ("uscc", "统一社会信用代码"),
    ("unit_name", "单位名称"),
    ("province_code", "报送省份"),
    ("division_code", "区划"),
    ("submission_id", "提交编号"),
    ("excel_row", "行号"),
]


def load_quality(viewer: Viewer, con: Any) -> list[dict[str, Any]]:
    """Quality rows of the provinces the viewer may see."""
    province = scope_province(viewer)
    return [r for r in query_quality_by_province(con) if province is None or r["province_code"] == province]


def _failures(context: AppContext, severity: str, current_only: bool) -> Any:
    def load(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        with context.reader.cursor() as con:
            rows = query_failures(
                con, scope_province(viewer), severity=severity, current_only=current_only, limit=FAILURE_LIMIT + 1
            )
        return [{**row, "row_key": f"{row['submission_id']}:{row['excel_row']}:{row['rule']}"} for row in rows]

    return load


def _specs(context: AppContext) -> list[GridSpec]:
    trigger = [(ids.URL, "pathname")]

    def quality(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        with context.reader.cursor() as con:
            return load_quality(viewer, con)

    def outliers(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        # Medians over every peer group of the country: computed once per snapshot.
        return context.reader.cached(query_outliers, scope_province(viewer))

    def duplicates(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        with context.reader.cursor() as con:
            return query_cross_province_duplicates(con, scope_province(viewer))

    failure_key = ("row_key",)
    return [
        GridSpec(ids.QUALITY_GRID, QUALITY_COLUMNS, ("province_code",), quality, trigger, "数据质量"),
        GridSpec(
            ids.QUALITY_ERRORS_GRID,
            FAILURE_COLUMNS,
            failure_key,
            _failures(context, "error", False),
            trigger,
            "错误清单",
        ),
        GridSpec(
            ids.QUALITY_WARNINGS_GRID,
            FAILURE_COLUMNS,
            failure_key,
            _failures(context, "warning", True),
            trigger,
            "待说明警告",
        ),
        GridSpec(ids.QUALITY_OUTLIERS_GRID, OUTLIER_COLUMNS, ("uscc", "field"), outliers, trigger, "偏离同类的数值"),
        GridSpec(
            ids.QUALITY_DUPLICATES_GRID, DUPLICATE_COLUMNS, ("uscc", "province_code"), duplicates, trigger, "跨省重复"
        ),
    ]


def layout(**_query: str) -> html.Div:
    """Quality grid, trend, failing holders, warnings awaiting explanation, cross-province duplicates."""
    return html.Div(
        [
            html.H2("数据质量"),
            html.P("质量分 = 100 − 现行普查表每百行警告数；退回次数为未通过校验的提交。", className="hint"),
            grid_block(ids.QUALITY_GRID, QUALITY_COLUMNS, height=300),
            dcc.Graph(id=ids.QUALITY_TREND),
            html.H3("未通过校验的单位（错误）"),
            html.P(f"每类最多显示 {FAILURE_LIMIT} 条；超出时会注明，完整清单见各次提交的错误报告。", className="hint"),
            grid_block(ids.QUALITY_ERRORS_GRID, FAILURE_COLUMNS),
            html.H3("待说明的警告（现行普查表）"),
            grid_block(ids.QUALITY_WARNINGS_GRID, FAILURE_COLUMNS),
            html.H3("偏离同类单位的数值（警告，按对全国合计的影响排序）"),
            html.P(
                "同类 = 同一普查对象类型、同一层级；在对数尺度上用稳健Z值（中位数与中位绝对偏差）判断，|Z| > 3.5 列出。"
                "仅供核实，不影响接收。",
                className="hint",
            ),
            grid_block(ids.QUALITY_OUTLIERS_GRID, OUTLIER_COLUMNS, height=320),
            html.H3("跨省重复报送"),
            grid_block(ids.QUALITY_DUPLICATES_GRID, DUPLICATE_COLUMNS, height=300),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Grids and the trend load when the page opens."""
    for spec in _specs(context):
        register_grid(app, spec)

    @app.callback(Output(ids.QUALITY_TREND, "figure"), Input(ids.URL, "pathname"))
    def show_trend(_: str) -> Any:
        viewer = current_viewer()
        with context.reader.cursor() as con:
            rows = query_submission_trend(con, scope_province(viewer))
        return build_trend(rows)
