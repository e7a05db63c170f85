"""`/coverage`: nation → province → prefecture → county: expected, reported, missing and unregistered holders."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, dcc, html, no_update

from census_schema.divisions import UnknownDivision, load_divisions
from census_schema.roles import Role
from dash_app import ids
from dash_app.access import Viewer, current_viewer, scope_division
from dash_app.context import AppContext
from dash_app.formatting import with_names
from dash_app.grid import Column, GridSpec, grid_block, register_grid
from warehouse.queries import query_coverage_children, query_missing_holders, query_summary, query_unregistered_holders

PATH = "/coverage"
NAME = "覆盖情况"
ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE)
COUNT_COLUMNS = [
    Column("units_expected", "应报", "int", "个"),
    Column("units_reported", "已报", "int", "个"),
    Column("units_missing", "未报", "int", "个"),
    Column("units_unregistered", "名录外报送", "int", "个"),
    Column("coverage_pct", "覆盖率", "pct", "%"),
]
CHILD_COLUMNS = [
    Column("name", "名称", tooltip="division_code"),
    Column("division_code", "区划代码", "code"),
    *COUNT_COLUMNS,
]
MISSING_COLUMNS = [
    Column("province_name", "省份", tooltip="province_code"),
    Column("division_name", "区划", tooltip="division_code"),
    Column("uscc", "统一社会信用代码", "code"),
    Column("unit_name", "单位名称"),
    Column("holder_type", "类型"),
]
UNREGISTERED_COLUMNS = [
    Column("province_name", "省份", tooltip="province_code"),
    Column("division_name", "区划", tooltip="division_code"),
    Column("uscc", "统一社会信用代码", "code"),
    Column("unit_name", "单位名称"),
    Column("submission_id", "提交编号", "code"),
    Column("excel_row", "行号", "int"),
]


def division_from_search(search: str | None) -> str | None:
    """The `division` query parameter of the page URL."""
    values = parse_qs((search or "").lstrip("?")).get("division")
    return values[0] if values else None


def load_children(viewer: Viewer, context: AppContext, search: str | None) -> list[dict[str, Any]]:
    """The rows below the requested division that the viewer may see."""
    scope = scope_division(viewer, division_from_search(search))
    if scope is None:
        return [
            {"division_code": p["province_code"], "name": p["province_name"], "level": "province", **p}
            | {
                "units_missing": p["units_expected"] - p["units_reported"],
                # No register, no coverage: 0 of 0 is not 0 %.
                "coverage_pct": p["coverage_pct"] if p["units_expected"] else None,
            }
            for p in context.reader.cached(query_summary)["provinces"]
        ]
    try:
        load_divisions().get(scope)
    except UnknownDivision:
        return []
    return context.reader.cached(query_coverage_children, scope)


def breadcrumbs(viewer: Viewer, division: str | None) -> list[Any]:
    """Links from the nation (or the viewer's province) down to the division."""
    divisions = load_divisions()
    chain: list[str] = []
    code = division
    while code and code in divisions.by_code:
        chain.insert(0, code)
        code = divisions.by_code[code].parent_code
    crumbs: list[Any] = [dcc.Link("全国", href=PATH)] if viewer.is_national else []
    for index, code in enumerate(chain):
        if crumbs:
            crumbs.append(html.Span(" › "))
        name = divisions.by_code[code].name
        crumbs.append(html.Strong(name) if index == len(chain) - 1 else dcc.Link(name, href=f"{PATH}?division={code}"))
    return crumbs or [html.Strong("全国")]


def _load_missing(viewer: Viewer, search: str | None, context: AppContext) -> list[dict[str, Any]]:
    with context.reader.cursor() as con:
        return with_names(query_missing_holders(con, scope_division(viewer, division_from_search(search))))


def _load_unregistered(viewer: Viewer, search: str | None, context: AppContext) -> list[dict[str, Any]]:
    with context.reader.cursor() as con:
        return with_names(query_unregistered_holders(con, scope_division(viewer, division_from_search(search))))


def _load_children(viewer: Viewer, search: str | None, context: AppContext) -> list[dict[str, Any]]:
    return load_children(viewer, context, search)


def _specs(context: AppContext) -> list[GridSpec]:
    url = [(ids.URL, "search")]
    return [
        GridSpec(
            ids.COVERAGE_GRID,
            CHILD_COLUMNS,
            ("division_code",),
            lambda v, s: _load_children(v, s, context),
            url,
            "覆盖情况",
        ),
        GridSpec(
            ids.COVERAGE_MISSING_GRID,
            MISSING_COLUMNS,
            ("province_code", "uscc"),
            lambda v, s: _load_missing(v, s, context),
            url,
            "未报送普查对象",
        ),
        GridSpec(
            ids.COVERAGE_UNREGISTERED_GRID,
            UNREGISTERED_COLUMNS,
            ("province_code", "uscc"),
            lambda v, s: _load_unregistered(v, s, context),
            url,
            "名录外报送单位",
        ),
    ]


def layout(**_query: str) -> html.Div:
    """Breadcrumbs, the level below, then who has not reported and who reported without being registered."""
    return html.Div(
        [
            # "callback-nav" tells the other Location components (the page router, the grids' url) about the new
            # search; refresh=False only pushed the browser history, so a row click changed the URL and nothing else.
            dcc.Location(id=ids.COVERAGE_GO, refresh="callback-nav"),
            html.H2("普查覆盖情况"),
            html.Div(id=ids.COVERAGE_CRUMBS, className="crumbs"),
            html.P(
                "点击一行进入下一级。覆盖率 = 名录内已报送单位 / 名录应报单位，不超过 100%；名录外报送单独计数。",
                className="hint",
            ),
            grid_block(ids.COVERAGE_GRID, CHILD_COLUMNS, row_id="division_code", page_size=50),
            html.H3("未报送的普查对象"),
            grid_block(ids.COVERAGE_MISSING_GRID, MISSING_COLUMNS),
            html.H3("名录外报送的单位"),
            grid_block(ids.COVERAGE_UNREGISTERED_GRID, UNREGISTERED_COLUMNS),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Grids follow the URL; a row click goes one level down."""
    for spec in _specs(context):
        register_grid(app, spec)

    @app.callback(Output(ids.COVERAGE_CRUMBS, "children"), Input(ids.URL, "search"))
    def show_crumbs(search: str | None) -> list[Any]:
        viewer = current_viewer()
        return breadcrumbs(viewer, scope_division(viewer, division_from_search(search)))

    @app.callback(Output(ids.COVERAGE_GO, "search"), Input(ids.COVERAGE_GRID, "cellClicked"), prevent_initial_call=True)
    def drill_down(cell: dict[str, Any] | None) -> Any:
        code = (cell or {}).get("rowId")
        if not code:
            return no_update
        division = load_divisions().by_code.get(code)
        return f"?division={code}" if division and division.level != "county" else no_update
