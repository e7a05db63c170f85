"""`/coverage`: nation → province → prefecture → county: expected, reported, missing and unregistered holders."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, NoUpdate, Output, dcc, html, no_update

from census_schema.divisions import UnknownDivision, load_divisions
from dash_app import ids
from dash_app.access import Viewer, current_viewer, scope_division
from dash_app.breakdown import breakdown_block, register_breakdown
from dash_app.context import AppContext
from dash_app.grid import GridSpec, grid_block, register_grid
from warehouse.queries import query_coverage_children, query_missing_holders, query_summary, query_unregistered_holders

PATH = "/coverage"
NAME = "覆盖情况"
ROLES = ("planner", "admin", "province")
GO = "coverage-go"
PAGE_KEY = "coverage"
COUNT_COLUMNS = [
    ("units_expected", "应报"),
    ("units_reported", "已报"),
    ("units_missing", "未报"),
    ("units_unregistered", "名录外报送"),
    ("coverage_pct", "覆盖率（%）"),
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
            | {"units_missing": p["units_expected"] - p["units_reported"]}
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
        return query_missing_holders(con, scope_division(viewer, division_from_search(search)))


def _load_unregistered(viewer: Viewer, search: str | None, context: AppContext) -> list[dict[str, Any]]:
    with context.reader.cursor() as con:
        return query_unregistered_holders(con, scope_division(viewer, division_from_search(search)))


def _load_children(viewer: Viewer, search: str | None, context: AppContext) -> list[dict[str, Any]]:
    return load_children(viewer, context, search)


CHILD_COLUMNS = [("division_code", "代码"), ("name", "名称"), *COUNT_COLUMNS]
MISSING_COLUMNS = [
    ("province_code", "省份"),
    ("division_code", "区划"),
    ("uscc", "统一社会信用代码"),
    ("unit_name", "单位名称"),
    ("holder_type", "类型"),
]
UNREGISTERED_COLUMNS = [
    ("province_code", "省份"),
    ("division_code", "区划"),
    ("uscc", "统一社会信用代码"),
    ("unit_name", "单位名称"),
    ("submission_id", "提交编号"),
    ("excel_row", "行号"),
]


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
            dcc.Location(id=GO, refresh="callback-nav"),
            html.H2("普查覆盖情况"),
            html.Div(id=ids.COVERAGE_CRUMBS, className="crumbs"),
            html.P(
                "点击一行进入下一级。覆盖率 = 名录内已报送单位 / 名录应报单位，不超过 100%；名录外报送单独计数。",
                className="hint",
            ),
            grid_block(ids.COVERAGE_GRID, CHILD_COLUMNS, row_id="division_code"),
            html.H3("分类覆盖率"),
            breakdown_block(PAGE_KEY, "coverage_pct"),
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
    register_breakdown(app, context, PAGE_KEY, "coverage_pct")

    @app.callback(Output(ids.COVERAGE_CRUMBS, "children"), Input(ids.URL, "search"))
    def show_crumbs(search: str | None) -> list[Any]:
        viewer = current_viewer()
        return breadcrumbs(viewer, scope_division(viewer, division_from_search(search)))

    @app.callback(Output(GO, "search"), Input(ids.COVERAGE_GRID, "cellClicked"), prevent_initial_call=True)
    def drill_down(cell: dict[str, Any] | None) -> str | NoUpdate:
        code = (cell or {}).get("rowId")
        if not code:
            return no_update
        division = load_divisions().by_code.get(code)
        return f"?division={code}" if division and division.level != "county" else no_update
