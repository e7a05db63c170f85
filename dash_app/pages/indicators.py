"""`/indicators`: the five-year plan's indicators as cards, trajectories against expected progress, the provinces
judged against their own targets (分省目标), a province × indicator heatmap, and the mid-term evaluation workbook."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from dash import Dash, Input, Output, html

from census_schema.census_form import ROUND_ID
from census_schema.roles import Role
from census_schema.supervision.codes import IndicatorStatus
from census_schema.supervision.indicators import PLAN_INDICATORS
from dash_app import ids
from dash_app.access import Viewer, current_viewer, require_text, scope_province
from dash_app.components import card, dropdown, graph, labelled, page_url, query_string
from dash_app.context import AppContext
from dash_app.figures import build_heatmap, build_lines
from dash_app.formatting import division_name, format_pct, format_value
from dash_app.grid import Column, GridSpec, grid_block, register_grid
from flows.supervision_reports import latest_national_values, yearly_status
from supervision.indicators import LAGGING_SHARE
from warehouse.indicators import computed_indicator_values, query_indicator_progress, query_provincial_progress

PATH = "/indicators"
NAME = "规划指标"
ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE)
STATUS_CLASS = {
    IndicatorStatus.ON_TRACK.value: "ok",
    IndicatorStatus.LAGGING.value: "warn",
    IndicatorStatus.SEVERELY_LAGGING.value: "error",
}
STATUS_CLASSES = tuple((css, status) for status, css in STATUS_CLASS.items())
PROGRESS_COLUMNS = [
    Column("indicator_name", "指标", tooltip="indicator_code"),
    Column("province_name", "范围"),
    Column("year", "年份", "year"),
    Column("value", "实际值", "number"),
    Column("baseline", "基期值", "number"),
    Column("target", "目标值", "number"),
    Column("expected", "应达进度", "number"),
    Column("status", "状态", classes=STATUS_CLASSES),
    Column("unit", "单位"),
    # A reported value links to the upload it was read from (every number traced to its file, sheet and row).
    Column("source_link", "来源", "link"),
]
TARGET_COLUMNS = [
    Column("province_name", "省份", tooltip="province_code"),
    Column("year", "评估年份", "year"),
    Column("value", "实际值", "number"),
    Column("base_year", "基期年份", "year"),
    Column("baseline", "基期值", "number"),
    Column("target_year", "目标年份", "year"),
    Column("target", "目标值", "number"),
    Column("expected", "应达进度", "number"),
    Column("status", "状态", classes=STATUS_CLASSES),
    Column("unit", "单位"),
]
# An empty targets grid: a national project has none to upload (the grid invited an upload the template refuses).
NO_TARGETS = (
    "没有该指标的分省目标："
    + "、".join(f"{i.code} {i.name}" for i in PLAN_INDICATORS if not i.has_provincial_targets)
    + "为国家项目，不设分省目标；其余指标的分省目标尚未上传（由国家档案局在规划指标工作簿的「分省目标」中上传）。"
)
_LAGGING_PCT = f"{float(LAGGING_SHARE * 100):g}%"
TARGETS_HINT = (
    "各省按本省规划目标（国家档案局上传的「分省目标」）计算：应达进度 = 基期值 +（目标值 − 基期值）×（评估年份 − 基期年份）"
    f"÷（目标年份 − 基期年份）；达到应达进度为达标，完成应达增量的{_LAGGING_PCT}及以上为滞后，不足{_LAGGING_PCT}为严重滞后。"
    "评估年份为最近一个已结束、有实际值的年份（一年自其 12 月 31 日即年末数的统计时点起算作已结束）；尚未结束的年份不评判（显示为年度未结束）。"
)


def load_progress(context: AppContext, viewer: Viewer) -> list[dict[str, Any]]:
    """Indicator rows the viewer may see: national and every province for planners, their own province otherwise."""
    rows = context.reader.cached(query_indicator_progress)
    province = scope_province(viewer)
    keep = [r for r in rows if province is None or r["province_code"] in (None, province)]
    # Why a year has no value, as the mid-term report says it (a blank 状态 read as not judged yet).
    today = context.settings.today()
    return [
        {
            **r,
            "status": yearly_status(r, today),
            "source_link": source_link(r, linked=viewer.is_national),
            "key": f"{r['indicator_code']}:{r['province_code']}:{r['year']}",
        }
        for r in keep
    ]


def source_link(row: dict[str, Any], *, linked: bool) -> str:
    """Where a value comes from: a reported one's sheet and row, `linked` to its submission for those who may open the
    bureau's uploads; 计算 for one computed from the census (the report's 计算口径 gives its formula)."""
    if not row.get("submission_id"):
        return row["source"]
    where = f"{row['source']}：{row['sheet_name']}第{row['excel_row']}行"
    return f"[{where}](/submissions?submission={quote(row['submission_id'])})" if linked else where


def load_provincial_targets(context: AppContext, viewer: Viewer, indicator_code: str | None) -> list[dict[str, Any]]:
    """The chosen indicator's provinces with targets, each at its latest judged year: every province for planners,
    only their own for a provincial user (the warehouse is asked for that province alone)."""
    require_text(indicator_code)
    today = context.settings.today()
    rows = context.reader.cached(query_provincial_progress, indicator_code, scope_province(viewer), ROUND_ID, today)
    # A year still running is said so, as the values' grid says it (its 滞后 by June contradicted 年度未结束 there).
    return [
        {**r, "status": yearly_status(r, today), "key": f"{r['indicator_code']}:{r['province_code']}"} for r in rows
    ]


_number = format_value


def build_cards(rows: list[dict[str, Any]]) -> list[html.Div]:
    """One card per targeted indicator: its latest national value with baseline, target, expected and status; while
    that value's year runs, the last full year's status beside it (every card read 年度未结束 in June)."""
    cards = []
    for found in latest_national_values(rows, "status"):
        row, judged = found.latest, found.judged
        if not row or row["target"] is None:
            continue
        # Each year's line names its year, value and expected value: the value of a year still running sat over the
        # last full year's 滞后 and read as judged against the full year's 应达.
        years = [row, judged] if judged and judged is not row else [row]
        cards.append(
            card(
                row["indicator_name"],
                _number(row["value"]),
                unit=row["unit"],
                approx=row["value"],
                detail=[
                    html.Div(f"基期 {_number(row['baseline'])} → 目标 {_number(row['target'])}"),
                    *(
                        html.Div(
                            f"{year['year']}年：实际 {_number(year['value'])}，应达 {_number(year['expected'])}，"
                            f"{year['status'] or '—'}",
                            className=f"status {STATUS_CLASS.get(year['status'] or '', '')}",
                        )
                        for year in years
                    ),
                ],
            )
        )
    return cards


def layout(indicator: str | None = None, **_query: str) -> html.Div:
    """Cards, trajectory of one indicator, heatmap, all values, and the report download."""
    viewer = current_viewer()
    download = (
        [
            html.A(
                "下载中期评估报告（Excel）",
                href="/download/indicators-report",
                className="button-secondary",
                id=ids.INDICATORS_REPORT_DOWNLOAD,
            )
        ]
        if viewer.is_national
        else []
    )
    return html.Div(
        [
            page_url(),
            html.H1("“十四五”规划指标监测"),
            html.Div(download, className="toolbar"),
            html.H2("全国进展（对照全国规划目标）"),
            # A province's office read the national figures below as its own (nothing said whose they were).
            *(
                [
                    html.P(
                        f"以下卡片为全国数值；{division_name(own)}的数值见趋势图中的本省曲线、下方的分省目标进展和热力图。",
                        className="hint",
                    )
                ]
                if (own := scope_province(viewer)) is not None
                else []
            ),
            html.Div(id=ids.INDICATORS_CARDS, className="cards"),
            labelled(
                "指标",
                dropdown(
                    ids.INDICATORS_CHOICE,
                    [{"label": f"{i.name}（{i.unit}）", "value": i.code} for i in PLAN_INDICATORS],
                    placeholder="选择指标",
                    value=indicator if indicator in {i.code for i in PLAN_INDICATORS} else PLAN_INDICATORS[0].code,
                    clearable=False,
                    style={"width": "420px"},
                ),
            ),
            graph(ids.INDICATORS_TRAJECTORY),
            html.H2("分省目标进展"),
            html.P(TARGETS_HINT, className="hint"),
            grid_block(ids.INDICATORS_TARGETS_GRID, TARGET_COLUMNS, row_id="key", empty=NO_TARGETS),
            graph(ids.INDICATORS_HEATMAP),
            html.P(id=ids.INDICATORS_COMPUTED_NOTE, className="hint"),
            grid_block(ids.INDICATORS_GRID, PROGRESS_COLUMNS),
        ]
    )


# The computed indicators that add holders' figures up: they grow with the census's coverage.
SUMMED_INDICATORS = tuple(i for i in PLAN_INDICATORS if i.is_computed and i.unit != "%")
COMPLETION_INDICATOR = next(i for i in PLAN_INDICATORS if i.formula == "census_completion")


def describe_partial_census(computed: list[dict[str, Any]], province: str | None = None) -> str:
    """While the census is incomplete, that the computed totals count only the holders reported so far (a probe
    read JC07's 52,615,412 beside the plan's 2022 baseline of 10.47亿 as a 95 % fall); "" once it is complete. A
    province's office is told its own province's completion first (it read only the nation's)."""

    def completion_of(code: str | None) -> Any:
        wanted = (COMPLETION_INDICATOR.code, code)
        return next((r["value"] for r in computed if (r["indicator_code"], r["province_code"]) == wanted), None)

    national, own = completion_of(None), completion_of(province) if province else None
    whose = national if province is None else own
    if whose is not None and whose >= 100:
        return ""
    done = "尚无数据" if whose is None else f"目前为 {format_pct(whose)}"
    where = "全国" if province is None else division_name(province)
    beside = f"（全国为 {format_pct(national)}）" if province is not None and national is not None else ""
    return (
        f"计算类指标按已报送的普查数据计算。{where}的{COMPLETION_INDICATOR.name}{done}{beside}：总量类指标"
        f"（{'、'.join(i.name for i in SUMMED_INDICATORS)}）只计已报送的普查对象，普查完成前偏小，"
        "不宜与规划的基期值直接比较。"
    )


def targets_scope(viewer: Viewer, indicator_code: Any) -> str:
    """Whose targets of which indicator an export holds: 档案数字化率（JC01），各省 (or the viewer's province); the
    rows carry neither, and every indicator's export looked the same."""
    province = scope_province(viewer)
    where = "各省" if province is None else division_name(province)
    indicator = next((i for i in PLAN_INDICATORS if i.code == indicator_code), None)
    return f"{indicator.name}（{indicator.code}），{where}" if indicator else where


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Cards and heatmap on load; the trajectory and the provinces' targets follow the chosen indicator."""
    register_grid(
        app,
        GridSpec(
            ids.INDICATORS_TARGETS_GRID,
            TARGET_COLUMNS,
            ("key",),
            lambda v, code: load_provincial_targets(context, v, code),
            [(ids.INDICATORS_CHOICE, "value")],
            "规划指标分省目标进展",
            scope=targets_scope,
        ),
        context,
    )
    register_grid(
        app,
        GridSpec(
            ids.INDICATORS_GRID,
            PROGRESS_COLUMNS,
            ("key",),
            lambda v, _c: load_progress(context, v),
            [(ids.INDICATORS_CHOICE, "id")],
            "规划指标",
        ),
        context,
    )

    @app.callback(
        Output(ids.INDICATORS_CARDS, "children"),
        Output(ids.INDICATORS_HEATMAP, "figure"),
        Input(ids.INDICATORS_CHOICE, "id"),
    )
    def show_overview(_: str) -> tuple[list[html.Div], Any]:
        viewer = current_viewer()
        rows = load_progress(context, viewer)
        province = scope_province(viewer)
        computed = [r for r in context.reader.cached(computed_indicator_values) if r["province_code"] is not None]
        if province is not None:
            computed = [r for r in computed if r["province_code"] == province]
        indicators = {i.code: i for i in PLAN_INDICATORS}
        provinces = sorted({r["province_code"] for r in computed})
        codes = sorted({r["indicator_code"] for r in computed})
        cell = {(r["province_code"], r["indicator_code"]): r["value"] for r in computed}
        values = [[None if cell.get((p, c)) is None else float(cell[(p, c)]) for c in codes] for p in provinces]
        # Provinces without census returns compute to nothing: they are left out, not drawn as rows of zeros.
        kept = [i for i, row in enumerate(values) if any(v for v in row)]
        provinces, values = [provinces[i] for i in kept], [values[i] for i in kept]
        heatmap = build_heatmap(
            [division_name(p) for p in provinces],
            [indicators[c].name for c in codes],
            values,
            "各省计算指标",
            units=[indicators[c].unit for c in codes],
        )
        return build_cards(rows), heatmap

    @app.callback(Output(ids.INDICATORS_COMPUTED_NOTE, "children"), Input(ids.INDICATORS_CHOICE, "id"))
    def show_computed_note(_: str) -> str:
        province = scope_province(current_viewer())  # refused (403) to the roles the other callbacks refuse
        return describe_partial_census(context.reader.cached(computed_indicator_values), province)

    @app.callback(
        Output(ids.PAGE_URL, "search", allow_duplicate=True),
        Input(ids.INDICATORS_CHOICE, "value"),
        prevent_initial_call=True,
    )
    def remember_indicator(code: str) -> str:
        return query_string(indicator=code)

    @app.callback(Output(ids.INDICATORS_TRAJECTORY, "figure"), Input(ids.INDICATORS_CHOICE, "value"))
    def show_trajectory(code: str) -> Any:
        viewer = current_viewer()
        of_code = [r for r in load_progress(context, viewer) if r["indicator_code"] == code]
        rows = [r for r in of_code if r["province_code"] is None]
        actual = [(r["year"], None if r["value"] is None else float(r["value"])) for r in rows]
        expected = [(r["year"], float(r["expected"])) for r in rows if r["expected"] is not None]
        series: dict[str, list[tuple[Any, Any]]] = {
            "全国实际值": actual,
            **({"全国应达进度": expected} if expected else {}),
        }
        # A province's office sees its own province's values beside the nation's: those reported for it (load_progress
        # keeps no other province's), else the one its census returns compute to.
        province = scope_province(viewer)
        own = [(r["year"], r["value"]) for r in of_code if r["province_code"] is not None]
        if province is not None and not own:
            computed = context.reader.cached(computed_indicator_values)
            own = [
                (r["year"], r["value"])
                for r in computed
                if (r["indicator_code"], r["province_code"]) == (code, province)
            ]
        # Its own lines in a panel of their own, under the nation's, on their own axis (on the nation's axis they lay
        # over each other along its bottom), with its own plan's expected progress where a provincial target was
        # uploaded.
        own_series: dict[str, list[tuple[Any, Any]]] = {}
        if province is not None and any(value is not None for _, value in own):
            own_series[f"{division_name(province)}实际值"] = [
                (year, float(value)) for year, value in own if value is not None
            ]
        own_expected = [
            (r["year"], float(r["expected"])) for r in of_code if r["province_code"] and r["expected"] is not None
        ]
        if province is not None and own_expected:
            own_series[f"{division_name(province)}应达进度"] = own_expected
        unit = next((r["unit"] for r in rows), "")
        title = next((f"{r['indicator_name']}（{r['unit']}）" for r in rows), code)
        below = (division_name(province), own_series) if province is not None and own_series else None
        return build_lines(series, title, unit=unit, below=below)
