"""`/coverage`: nation → province → prefecture → county: expected, reported, missing and unregistered holders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update
from werkzeug.exceptions import HTTPException

from census_schema.census_form import CENSUS_FORM
from census_schema.divisions import Division, load_divisions
from census_schema.roles import LOCAL_ROLES, Role
from census_schema.scopes import (
    CENTRAL_CHANNELS,
    CENTRAL_NAME,
    central_area_code,
    describe_division,
    parse_central_area,
    return_reason_clause,
    return_verb,
)
from dash_app import ids
from dash_app.access import Viewer, current_viewer, own_area, scope_division
from dash_app.breakdown import breakdown_block, register_breakdown
from dash_app.components import query_string, query_value
from dash_app.context import AppContext
from dash_app.formatting import area_name, division_name, format_count, with_names
from dash_app.grid import PROVINCE_OR_CHANNEL, Column, GridSpec, grid_block, register_grid
from warehouse.queries import (
    query_coverage_children,
    query_coverage_total,
    query_missing_holders,
    query_summary,
    query_unregistered_holders,
)

PATH = "/coverage"
NAME = "覆盖情况"
ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE, Role.PREFECTURE, Role.COUNTY, Role.CENTRAL)
PAGE_KEY = "coverage"
COUNT_COLUMNS = [
    Column("units_expected", "应报", "int", "个"),
    Column("units_reported", "已报", "int", "个"),
    Column("units_missing", "未报", "int", "个"),
    Column("units_unregistered", "名录外报送", "int", "个"),
    Column("coverage_pct", "覆盖率", "pct", "%"),
]
CHILD_COLUMNS = [
    Column("name", "名称", tooltip="shown_code"),
    # The row's key `division_code` names the central channels with a pseudo-code (central, central:organs) and the
    # 合计 row with "—": neither is a division code, so neither is shown as one.
    Column("shown_code", "区划代码", "code"),
    *COUNT_COLUMNS,
]
MISSING_COLUMNS = [
    PROVINCE_OR_CHANNEL,
    Column("division_name", "区划", tooltip="division_code"),
    Column("uscc", "统一社会信用代码", "code"),
    Column("unit_name", "单位名称"),
    Column("holder_type", "类型"),
    # A holder whose return was sent back did report: it is no unit to chase (it read as plain 未报).
    Column("returned_note", "说明", wrap=True),
]
UNREGISTERED_COLUMNS = [
    PROVINCE_OR_CHANNEL,
    Column("division_name", "区划", tooltip="division_code"),
    Column("uscc", "统一社会信用代码", "code"),
    Column("unit_name", "单位名称"),
    Column("submission_id", "提交编号", "code"),
    # The row of its return's census sheet, named in the header (it gave 行号 alone, where a return has several sheets;
    # a column of the sheet's name put 行号 out of view at 1,400 pixels).
    Column("excel_row", f"{CENSUS_FORM.sheet_name}行号", "row"),
]


# The 合计 row's id (a click on it opens the lineage of its figure).
TOTAL_ROW_ID = "—"


def division_from_search(search: str | None) -> str | None:
    """The `division` query parameter of the page URL."""
    return query_value(search, "division")


def known_division(code: str | None) -> Division | None:
    """The division a URL names, None for the nation or an unknown code."""
    return load_divisions().by_code.get(code) if code else None


def known_area(code: str | None) -> bool:
    """The nation, a current division, or the central channels (all, or one)."""
    return code is None or parse_central_area(code)[0] or known_division(code) is not None


def may_view(viewer: Viewer, code: str | None) -> bool:
    """Whether the viewer may read an area's rows, by the rule every grid of the page is held to (`scope_division`),
    asked without refusing: national users every area, a provincial office its own province's divisions, a
    prefecture's or county's office its own division and those inside it, a central channel's office its channel."""
    try:
        scope_division(viewer, code, local_area=True)
    except HTTPException:
        return False
    return True


def load_children(viewer: Viewer, context: AppContext, search: str | None) -> list[dict[str, Any]]:
    """The rows below the requested division that the viewer may see, the division's own level first (省本级,
    市本级); nothing below a county (the lowest level) or an unknown code."""
    scope = scope_division(viewer, division_from_search(search), local_area=True)
    is_central, channel = parse_central_area(scope)
    if scope is None or is_central:
        summary = context.reader.cached(query_summary)
        if is_central:
            # The three channels, or the one asked for (its missing and unregistered units are listed below).
            channels = [c for c in summary["central"]["channels"] if channel in (None, c["channel"])]
            return [_count_row(central_area_code(c["channel"]), c["channel_name"], "central", c) for c in channels]
        rows = [_count_row(p["province_code"], p["province_name"], "province", p) for p in summary["provinces"]]
        # The central channels report to the national bureau directly: one row beside the provinces.
        return [*rows, _count_row(central_area_code(), summary["central"]["name"], "central", summary["central"])]
    division = known_division(scope)
    if division is None:
        return []
    rows = context.reader.cached(query_coverage_children, scope)
    own = f"{division.name}本级"
    return [{**r, "name": own if r["is_own_level"] else r["name"], "shown_code": r["division_code"]} for r in rows]


def _count_row(code: str, name: str, level: str, figures: dict[str, Any]) -> dict[str, Any]:
    """A grid row of a province or a central channel from its summary figures."""
    return (
        {"division_code": code, "shown_code": "" if level == "central" else code, "name": name, "level": level}
        | figures
        | {"units_missing": figures["units_expected"] - figures["units_reported"], "is_own_level": False}
    )


def load_total(viewer: Viewer, context: AppContext, search: str | None) -> dict[str, Any] | None:
    """The 合计 row: the requested division's (or the nation's) own figures, counted over its holders, never summed
    from the rows above it (rows that miss holders must show)."""
    scope = scope_division(viewer, division_from_search(search), local_area=True)
    if not known_area(scope):
        return None
    total = context.reader.cached(query_coverage_total, scope)
    return {**total, "division_code": TOTAL_ROW_ID, "shown_code": "", "name": "合计", "is_own_level": False}


def county_figures(total: Mapping[str, Any] | None) -> str:
    """A county's own coverage in one line, in the words of the grid's columns."""
    if total is None:
        return ""
    missing = total["units_expected"] - total["units_reported"]
    pct = total["coverage_pct"]
    return (
        f"本区县：应报 {format_count(total['units_expected'])} 个，已报 {format_count(total['units_reported'])} 个，"
        f"未报 {format_count(missing)} 个，名录外报送 {format_count(total['units_unregistered'])} 个；"
        f"覆盖率 {'—' if pct is None else f'{pct:.2f}%'}。"
    )


def breadcrumbs(viewer: Viewer, division: str | None) -> list[Any]:
    """Links from the nation (or the viewer's province or own division) down to the division (or the central
    channels)."""
    is_central, channel = parse_central_area(division)
    if is_central and channel is not None and not viewer.is_national:  # a channel's office: nothing above its own
        return [html.Strong(CENTRAL_CHANNELS[channel])]
    if is_central:
        crumbs: list[Any] = [dcc.Link("全国", href=PATH), html.Span(" › ")]
        if channel is None:
            return [*crumbs, html.Strong(CENTRAL_NAME)]
        central = dcc.Link(CENTRAL_NAME, href=f"{PATH}?division={central_area_code()}")
        return [*crumbs, central, html.Span(" › "), html.Strong(CENTRAL_CHANNELS[channel])]
    divisions = load_divisions()
    chain: list[str] = []
    code = division
    while code and code in divisions.by_code:
        chain.insert(0, code)
        code = divisions.by_code[code].parent_code
    crumbs = [dcc.Link("全国", href=PATH)] if viewer.is_national else []
    own = viewer.scope
    if own is not None and viewer.role in LOCAL_ROLES and own.code in chain:
        chain = chain[chain.index(own.code) :]  # nothing above the office's own division is its to open
    for index, code in enumerate(chain):
        if crumbs:
            crumbs.append(html.Span(" › "))
        name = divisions.by_code[code].name
        crumbs.append(html.Strong(name) if index == len(chain) - 1 else dcc.Link(name, href=f"{PATH}?division={code}"))
    return crumbs or [html.Strong("全国")]


def _load_missing(viewer: Viewer, search: str | None, context: AppContext) -> list[dict[str, Any]]:
    scope = scope_division(viewer, division_from_search(search), local_area=True)
    if not known_area(scope):
        return []
    with context.reader.cursor() as con:
        return [{**row, "returned_note": returned_note(row)} for row in with_names(query_missing_holders(con, scope))]


def returned_note(row: dict[str, Any]) -> str:
    """Why a holder that did report is listed as not reported: its return was sent back (and why); else nothing."""
    if not row.get("returned_file"):
        return ""
    reason = row.get("returned_reason")
    said = f"（{return_reason_clause(reason)}）" if reason else ""
    return f"已在「{row['returned_file']}」中报送，该表已被{return_verb(reason)}，不计入{said}"


def _load_unregistered(viewer: Viewer, search: str | None, context: AppContext) -> list[dict[str, Any]]:
    scope = scope_division(viewer, division_from_search(search), local_area=True)
    if not known_area(scope):
        return []
    with context.reader.cursor() as con:
        return with_names(query_unregistered_holders(con, scope))


def register_note(viewer: Viewer, context: AppContext, search: str | None) -> str:
    """Which areas in view report without a register in force (none loaded, or it was sent back): their 应报 reads 0
    and every holder they report counts as 名录外, which the grids alone do not say."""
    rows = [r for r in load_children(viewer, context, search) if not r["is_own_level"]]
    if viewer.is_national and division_from_search(search) is None:  # the nation: each central channel, by name
        central = central_area_code()
        rows = [r for r in rows if r["division_code"] != central] + load_children(
            viewer, context, f"?division={central}"
        )
    total = load_total(viewer, context, search)
    unregistered = [r["name"] for r in rows if r["units_expected"] == 0 and r["units_unregistered"] > 0]
    if not unregistered and total is not None and total["units_expected"] == 0 and total["units_unregistered"] > 0:
        unregistered = [export_scope(viewer, search)]
    if not unregistered:
        return ""
    return (
        f"{'、'.join(unregistered)}没有现行有效的普查对象名录（尚未报送，或已被退回）：应报数为 0、覆盖率无从计算，"
        "已报送的单位都计为名录外；名录装载后（审核中即计入）自动按名录重新核对。"
    )


def _load_children(viewer: Viewer, search: str | None, context: AppContext) -> list[dict[str, Any]]:
    return load_children(viewer, context, search)


def export_scope(viewer: Viewer, search: str | None) -> str:
    """Whose rows an export holds: 全国, 四川省, 四川省成都市, 中央渠道."""
    scope = scope_division(viewer, division_from_search(search), local_area=True)
    return area_name(scope) if known_area(scope) else "全国"


def _specs(context: AppContext) -> list[GridSpec]:
    url = [(ids.URL, "search")]

    def note(viewer: Viewer, search: str | None) -> str | None:
        # The page's warning of areas without a register in force travels with every export (its 应报 0 unexplained).
        return register_note(viewer, context, search) or None

    return [
        GridSpec(
            ids.COVERAGE_GRID,
            CHILD_COLUMNS,
            ("division_code",),
            lambda v, s: _load_children(v, s, context),
            url,
            "覆盖情况",
            total=lambda v, s: load_total(v, context, s),
            scope=export_scope,
            note=note,
        ),
        GridSpec(
            ids.COVERAGE_MISSING_GRID,
            MISSING_COLUMNS,
            ("province_code", "uscc"),
            lambda v, s: _load_missing(v, s, context),
            url,
            "未报送普查对象",
            scope=export_scope,
            note=note,
        ),
        GridSpec(
            ids.COVERAGE_UNREGISTERED_GRID,
            UNREGISTERED_COLUMNS,
            ("province_code", "uscc"),
            lambda v, s: _load_unregistered(v, s, context),
            url,
            "名录外报送单位",
            scope=export_scope,
            note=note,
        ),
    ]


def notice(viewer: Viewer, code: str | None) -> html.Div | None:
    """Why the page shows no grids for this address: an unknown division, or another province's."""
    if code is None:
        return None
    division = known_division(code)
    back = dcc.Link("返回上一级" if viewer.is_national else f"返回{own_area(viewer)}", href=PATH)
    if parse_central_area(code)[0]:
        if may_view(viewer, code):
            return None
        return html.Div(
            [html.P(f"无权查看{area_name(code)}的数据：只能查看{own_area(viewer)}。", className="error"), back],
            id=ids.COVERAGE_NOTICE,
        )
    if division is None:
        return html.Div(
            [html.P(f"没有这个区划：「{code}」不是现行行政区划代码。", className="error"), back],
            id=ids.COVERAGE_NOTICE,
        )
    if not may_view(viewer, code):
        whose = describe_division(code) if viewer.role in LOCAL_ROLES else division_name(division.province_code)
        return html.Div(
            [html.P(f"无权查看{whose}的数据：只能查看{own_area(viewer)}。", className="error"), back],
            id=ids.COVERAGE_NOTICE,
        )
    return None


def level_hint(code: str | None) -> str:
    """What a click on a row does at this level."""
    is_central, channel = parse_central_area(code)
    if channel is not None:
        return (
            f"{CENTRAL_CHANNELS[channel]}直接报国家档案局：下方列出其未报送和名录外报送的单位；"
            "点击“合计”一行的数字，查看其来自哪些报表。"
        )
    if is_central:
        return (
            "中央和国家机关、中央企业、中央级档案馆直接报国家档案局：点击一个渠道，下方列出它未报送和名录外报送的单位。"
        )
    division = known_division(code)
    if division is not None and division.level == "county":
        return (
            "区县是最低一级，不再下钻：下方列出该区县未报送和名录外报送的单位，已报送的单位见“已报送的单位及其报表”。"
        )
    hint = "点击一行（或用方向键选中后按回车）进入下一级（区县一行进入该区县：其覆盖数字、未报送的单位和已报送单位的报表）；“本级”为直属本级的单位，“合计”为本级及以下全部单位。"
    return hint + ("“中央”一行为三个中央报送渠道（直接报国家档案局）。" if code is None else "")


def layout(division: str | None = None, **_query: str) -> html.Div:
    """Breadcrumbs, the level below with its 合计 row, then who has not reported and who reported without being
    registered; for an unknown division or another province's, only why there is nothing to show."""
    viewer = current_viewer()
    refused = notice(viewer, division)
    parts: list[Any] = [
        # "callback-nav" tells the other Location components (the page router, the grids' url) about the new
        # search; refresh=False only pushed the browser history, so a row click changed the URL and nothing else.
        dcc.Location(id=ids.COVERAGE_GO, refresh="callback-nav"),
        html.H1("普查覆盖情况"),
    ]
    if refused is not None:
        return html.Div([*parts, refused])
    # The area shown: the one asked for, else the viewer's own (a county's office opening /coverage from the menu
    # sees its county's page, not an empty grid under a hint naming a link it did not show).
    shown = scope_division(viewer, division, local_area=True)
    is_county = (d := known_division(shown)) is not None and d.level == "county"
    return html.Div(
        [
            *parts,
            html.Div(id=ids.COVERAGE_CRUMBS, className="crumbs"),
            html.P(
                [
                    level_hint(shown),  # a province's own page has no 中央 row
                    " 覆盖率 = 名录内已报送单位 / 名录应报单位，不超过 100%；名录外报送单独计数。",
                ],
                className="hint",
            ),
            # Which areas in view report without a register in force (their 应报 0 is no gap in coverage).
            html.P(id=ids.COVERAGE_REGISTER_NOTE, className="warn"),
            # A county's page has no level below: its own figures, which the grid's 合计 row carries elsewhere (where
            # the keyboard's focus lands after Enter on a county's row: assets/accessibility.js).
            html.P(id=ids.COVERAGE_COUNTY_FIGURES, className="drill-target") if is_county else None,
            html.Div(
                grid_block(ids.COVERAGE_GRID, CHILD_COLUMNS, row_id="division_code", page_size=50),
                hidden=is_county,
            ),
            html.H2("分类覆盖率"),
            breakdown_block(PAGE_KEY, "coverage_pct"),
            html.H2("未报送的普查对象"),
            grid_block(ids.COVERAGE_MISSING_GRID, MISSING_COLUMNS, empty="没有未报送的名录内单位。"),
            html.H2("名录外报送的单位"),
            grid_block(ids.COVERAGE_UNREGISTERED_GRID, UNREGISTERED_COLUMNS, empty="没有名录外报送的单位。"),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Grids follow the URL; a row click goes one level down."""
    for spec in _specs(context):
        register_grid(app, spec, context)
    register_breakdown(app, context, PAGE_KEY, "coverage_pct", local_area=True)

    @app.callback(Output(ids.COVERAGE_COUNTY_FIGURES, "children"), Input(ids.URL, "search"))
    def show_county_figures(search: str | None) -> list[Any]:
        said = county_figures(load_total(current_viewer(), context, search))
        if not said:
            return []
        # Who did report is listed where the figure's rows are (the page below lists who did not).
        shown = scope_division(current_viewer(), division_from_search(search), local_area=True)
        lineage = "/lineage" + query_string(figure="units_reported", division=shown)
        return [said, " ", dcc.Link("已报送的单位及其报表", href=lineage)]

    @app.callback(Output(ids.COVERAGE_REGISTER_NOTE, "children"), Input(ids.URL, "search"))
    def show_register_note(search: str | None) -> str:
        viewer = current_viewer()
        if not known_area(scope_division(viewer, division_from_search(search), local_area=True)):
            return ""
        return register_note(viewer, context, search)

    @app.callback(Output(ids.COVERAGE_CRUMBS, "children"), Input(ids.URL, "search"))
    def show_crumbs(search: str | None) -> list[Any]:
        viewer = current_viewer()
        scope = scope_division(viewer, division_from_search(search), local_area=True)
        return breadcrumbs(viewer, scope if known_area(scope) else None)

    @app.callback(
        Output(ids.COVERAGE_GO, "href"),
        Input(ids.COVERAGE_GRID, "cellClicked"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def drill_down(cell: dict[str, Any] | None, search: str | None) -> Any:
        """One level down (a county's row opens the county's holders); the 合计 row opens where its figure comes
        from (the clicked count, or the reported holders); the own-level row stays."""
        code = (cell or {}).get("rowId")
        current = division_from_search(search)
        if code == TOTAL_ROW_ID:
            column = (cell or {}).get("colId")
            figure = (
                column if column in ("units_expected", "units_reported", "units_unregistered") else "units_reported"
            )
            return "/lineage" + query_string(figure=figure, division=current)
        if not code or code == current or not known_area(code):
            return no_update
        return f"{PATH}?division={code}"
