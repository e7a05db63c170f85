"""`/quality`: data quality by province, its trend over submissions, the failing holders and the duplicates."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html

from census_schema.breakdowns import OUTLIER_FIELDS
from census_schema.census_form import CENSUS_FORM
from census_schema.codes import HOLDER_TYPE, TIER_ORDER
from census_schema.fields import MAX_ARCHIVE_COUNT, MAX_AREA_M2, MAX_CAPACITY_GB
from census_schema.forms import get_workbook_form
from census_schema.rule_titles import rule_title
from dash_app import ids
from dash_app.access import QUALITY_ROLES, Viewer, current_viewer, scope_province
from dash_app.components import graph
from dash_app.context import AppContext
from dash_app.failures import EXCEL_MAX_ROW, RULE_TITLES
from dash_app.figures import build_trend
from dash_app.formatting import format_count, province_names, with_names
from dash_app.grid import PROVINCE_OR_CHANNEL, Column, GridSpec, grid_block, register_grid
from warehouse.outliers import query_outliers
from warehouse.queries import (
    query_cross_province_duplicates,
    query_failures,
    query_quality_by_province,
    query_submission_trend,
)

PATH = "/quality"
NAME = "数据质量"
ROLES = QUALITY_ROLES
FAILURE_LIMIT = 5000
QUALITY_COLUMNS = [
    PROVINCE_OR_CHANNEL,
    Column("submissions", "提交", "int", "次"),
    Column("rejected", "未通过校验", "int", "次"),
    Column("current_rows", "现行表行数", "int", "行"),
    Column("current_warnings", "现行表警告", "int", "个"),
    Column("quality_score", "质量分", "decimal", "分"),
    Column("last_submitted_at", "最近提交", "datetime"),
]
# The sheets of the returns this page judges (the census return's and the register's).
CENSUS_SHEETS = tuple(form.sheet_name for kind in ("census", "register") for form in get_workbook_form(kind).sheets)
# Errors belong to rejected returns, whose rows are not loaded: the holder is known by file and row (and named in the
# marked workbook the uploader got back), not by columns that would stay empty here.
# Sized to what they can hold (fit_width), at 1,400 pixels nothing to scroll sideways to: the row, column and value
# to correct beside the rule and its explanation; names, values (as wide as a credit code) and explanations wrap.
ERROR_COLUMNS = [
    Column("province_name", "省份", tooltip="province_code", fits=province_names(), lines=2),
    Column("file_name", "文件", wrap=True, wrap_width=160),
    # A 表尾 error of row 3 read as one of 普查表's row 3 (a probe): the sheet beside the row.
    Column("sheet", "工作表", fits=CENSUS_SHEETS, lines=2),
    Column("excel_row", "行号", "row", fits=(EXCEL_MAX_ROW,)),
    Column("label", "列名", wrap=True, wrap_width=112),
    Column("value", "填报值", wrap=True, wrap_width=190),
    Column("rule_title", "问题", fits=RULE_TITLES, lines=2),
    Column("message", "说明", wrap=True),
]
# Whose warning and what it says first; where it was read last.
WARNING_COLUMNS = [
    Column("province_name", "省份", tooltip="province_code", fits=province_names(), lines=2),
    Column("unit_name", "单位名称", tooltip="uscc", wrap=True, wrap_width=140),
    Column("rule_title", "问题", fits=RULE_TITLES, lines=2),
    Column("message", "说明", wrap=True, wrap_width=240),
    Column("label", "列名", wrap=True, wrap_width=112),
    Column("value", "填报值", wrap=True, wrap_width=190),
    # The row's workbook: a province's current returns are several (its prefectures' and counties'), each with a row 19.
    Column("file_name", "文件", wrap=True, wrap_width=150),
    Column("excel_row", "行号", "row", fits=(EXCEL_MAX_ROW,)),
    # 18 characters on one line; never cut.
    Column("uscc", "统一社会信用代码", "code", wrap=True, wrap_width=190),
]
# The widest figure a census number can hold (its upper bound).
WIDEST_FIGURE = (f"{MAX_ARCHIVE_COUNT:,}", f"{MAX_AREA_M2:,}.00", f"{MAX_CAPACITY_GB:,}.00")


def field_with_unit(label: str, unit: str) -> str:
    """An outlier's field with its unit: 库房面积（平方米）, so that the value and the median read as quantities."""
    return f"{label}（{unit}）" if unit else label


# Sized to what they can hold (fit_width): the holder, its figure beside its peers' median and what sets the peers
# (type and tier) in view at 1,400 pixels; a name, a field's label and a province wrap.
OUTLIER_COLUMNS = [
    Column("province_name", "省份", tooltip="province_code", fits=province_names(), lines=2),
    Column("unit_name", "单位名称", tooltip="uscc", wrap=True, wrap_width=112),
    Column("field_label", "指标", fits=tuple(field_with_unit(*field) for field in OUTLIER_FIELDS.values()), lines=2),
    Column("value", "填报值", "number", fits=WIDEST_FIGURE),
    Column("peer_median", "同类中位数", "number", fits=WIDEST_FIGURE),
    Column("impact_pct", "影响全国合计", "pct", decimals=4, fits=("100.0000%",)),
    Column("direction", "方向", classes=(("warn", "偏高"),), fits=("偏高", "偏低")),
    Column("holder_type", "类型", fits=HOLDER_TYPE.values, lines=2),
    Column("level_tier", "层级", fits=TIER_ORDER),
    Column("modified_z", "稳健Z值", "decimal", fits=("-9,999.99",)),
    Column("peer_count", "同类", "int", "个", fits=("99,999",)),
    # The workbook and row together (a province's current returns are several, each with a row 19): two columns did
    # not fit at 1,400 pixels.
    Column("place", "位置", wrap=True, wrap_width=92),
]
DUPLICATE_COLUMNS = [
    Column("uscc", "统一社会信用代码", "code"),
    Column("unit_name", "单位名称"),
    Column("province_name", "报送省份", tooltip="province_code"),
    Column("division_name", "区划", tooltip="division_code"),
    Column("submission_id", "提交编号", "code"),
    Column("excel_row", "行号", "row"),
]


def row_place(row: dict[str, Any]) -> str:
    """Where a figure was read: its workbook, sheet and row (census-440200.xlsx 普查表第19行)."""
    return f"{row['file_name']} {CENSUS_FORM.sheet_name}第{row['excel_row']}行"  # a holder's row is the census sheet's


def load_quality(viewer: Viewer, con: Any) -> list[dict[str, Any]]:
    """Quality rows of the provinces the viewer may see."""
    province = scope_province(viewer)
    rows = [r for r in query_quality_by_province(con) if province is None or r["province_code"] == province]
    # A central channel's row is named by its channel, as the warnings list below names it (it read 中央 for the
    # three together).
    return with_names(rows)


def _failures(context: AppContext, severity: str, current_only: bool) -> Any:
    def load(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        with context.reader.cursor() as con:
            rows = query_failures(
                con, scope_province(viewer), severity=severity, current_only=current_only, limit=FAILURE_LIMIT + 1
            )
        return with_names(
            [
                {
                    **row,
                    "rule_title": rule_title(row["rule"]),
                    "row_key": f"{row['submission_id']}:{row['sheet']}:{row['excel_row']}:{row['rule']}",
                }
                for row in rows
            ]
        )

    return load


def _specs(context: AppContext) -> list[GridSpec]:
    trigger = [(ids.URL, "pathname")]

    def quality(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        with context.reader.cursor() as con:
            return load_quality(viewer, con)

    def outliers(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        # Medians over every peer group of the country: computed once per snapshot.
        rows = context.reader.cached(query_outliers, scope_province(viewer))
        return with_names(
            [{**r, "field_label": field_with_unit(r["field_label"], r["unit"]), "place": row_place(r)} for r in rows]
        )

    def duplicates(viewer: Viewer, _: Any) -> list[dict[str, Any]]:
        with context.reader.cursor() as con:
            return with_names(query_cross_province_duplicates(con, scope_province(viewer)))

    failure_key = ("row_key",)
    return [
        GridSpec(ids.QUALITY_GRID, QUALITY_COLUMNS, ("province_code", "central_channel"), quality, trigger, "数据质量"),
        GridSpec(
            ids.QUALITY_ERRORS_GRID,
            ERROR_COLUMNS,
            failure_key,
            _failures(context, "error", False),
            trigger,
            "错误清单",
        ),
        GridSpec(
            ids.QUALITY_WARNINGS_GRID,
            WARNING_COLUMNS,
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
            html.H1("数据质量"),
            html.P(
                "质量分 = 100 − 现行普查表每百行警告数（被审核退回的报表不计）；“未通过校验”为校验发现错误、整份退回报送单位的提交。",
                className="hint",
            ),
            grid_block(ids.QUALITY_GRID, QUALITY_COLUMNS),
            graph(ids.QUALITY_TREND),
            html.H2("未通过校验的报表中的错误"),
            html.P(
                f"每类最多显示 {format_count(FAILURE_LIMIT)} 条；未通过校验的报表不入库，单位按文件和行号查找"
                "（提交单位收到的标注工作簿逐格标出）。",
                className="hint",
            ),
            grid_block(ids.QUALITY_ERRORS_GRID, ERROR_COLUMNS, fit_width=True, empty="没有未通过校验的报表。"),
            html.H2("待说明的警告（现行普查表）"),
            grid_block(
                ids.QUALITY_WARNINGS_GRID, WARNING_COLUMNS, fit_width=True, empty="现行普查表没有待说明的警告。"
            ),
            html.H2("偏离同类单位的数值（警告，按对全国合计的影响排序）"),
            html.P(
                "同类 = 同一普查对象类型、同一层级；在对数尺度上用稳健Z值（中位数与中位绝对偏差）判断，|Z| > 3.5 列出。"
                "仅供核实，不影响接收。",
                className="hint",
            ),
            grid_block(
                ids.QUALITY_OUTLIERS_GRID, OUTLIER_COLUMNS, fit_width=True, empty="没有明显偏离同类单位的数值。"
            ),
            html.H2("跨省重复报送"),
            grid_block(
                ids.QUALITY_DUPLICATES_GRID, DUPLICATE_COLUMNS, empty="没有在两个以上省份的现行报表中重复报送的单位。"
            ),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Grids and the trend load when the page opens."""
    for spec in _specs(context):
        register_grid(app, spec, context)

    @app.callback(Output(ids.QUALITY_TREND, "figure"), Input(ids.URL, "pathname"))
    def show_trend(_: str) -> Any:
        viewer = current_viewer()
        with context.reader.cursor() as con:
            rows = query_submission_trend(con, scope_province(viewer))
        return build_trend(rows)
