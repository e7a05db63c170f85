"""`/lineage`: where a figure comes from: the current returns, their files, sheets and rows (down to the uploader's
cell) that sum to it, each return opening its submission. Reached from a card, a map region or a grid's 合计 row:
/lineage?figure=holdings&division=440000."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote

import duckdb
from dash import Dash, Input, Output, dcc, html
from werkzeug.exceptions import HTTPException

from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM, RED_TOTAL_PARTS, REGISTER_FORM, ROUND_ID
from census_schema.forms import UnknownForm, get_form
from census_schema.roles import LOCAL_ROLES, Role, person_label
from census_schema.scopes import COUNTED_RETURNS, review_label
from dash_app import ids
from dash_app.access import Viewer, current_viewer, own_area, refuse, scope_division, sees_submission
from dash_app.context import AppContext
from dash_app.formatting import area_name, figure_decimals, figure_label, format_number, with_names
from dash_app.grid import PROVINCE_OR_CHANNEL, Column, GridSpec, grid_block, register_grid
from warehouse.breakdowns import query_red_archives
from warehouse.queries import (
    DECIMAL_FIGURES,
    LINEAGE_FIGURES,
    RED_FIGURES,
    list_submissions,
    query_coverage_total,
    query_figure_lineage,
    query_summary,
    stored_scope_name,
)

PATH = "/lineage"
NAME = "数据来源"
ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE, Role.PREFECTURE, Role.COUNTY, Role.CENTRAL)
DEFAULT_FIGURE = "holdings"
# The template columns each figure adds up (a field's own column when not listed).
FIGURE_COLUMNS = {
    "holdings": ("vol_total", "item_total"),
    "comprehensive_holdings": ("vol_total", "item_total"),
    "comprehensive_digitized": ("digitized_vol", "digitized_item"),
    "comprehensive_opened": ("opened",),
    "units_expected": ("uscc",),
    "units_reported": ("uscc",),
    "units_unregistered": ("uscc",),
    "red_holders": ("uscc",),
    "red_total": RED_TOTAL_PARTS,
}


def template_cells(figure: str, excel_row: int, form_version: str | None = None) -> str:
    """Where the figure sits in the uploader's workbook (the column order of the template of its version: a
    GYDA-2024.1 return's 照片档案 is AC, the current form's AG): K12, or K12 + P12."""
    # A register's row, a return's red-archive inventory row, or a return's main sheet row.
    current = (
        REGISTER_FORM if figure == "units_expected" else RED_ARCHIVES_FORM if figure in RED_FIGURES else CENSUS_FORM
    )
    try:
        form = get_form(current.kind, form_version) if form_version else current
    except UnknownForm:  # a workbook version this sheet did not change in (the red-archive sheet began at 2025.1)
        form = current
    columns = [i for i, f in enumerate(form.fields) if f.name in FIGURE_COLUMNS.get(figure, (figure,))]
    return " + ".join(f"{_letter(i)}{excel_row}" for i in columns)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def request_from_search(viewer: Viewer, search: str | None) -> tuple[str, str | None]:
    """The figure and the division asked for (a provincial office held to its own province; HTTP 403 otherwise)."""
    query = parse_qs((search or "").lstrip("?"))
    figure = query.get("figure", [""])[0] or DEFAULT_FIGURE
    if figure not in LINEAGE_FIGURES:  # never another figure in its place, unsaid
        refuse(400, unknown_figure(figure))
    return figure, scope_division(viewer, query.get("division", [None])[0], local_area=True)


def unknown_figure(figure: str) -> str:
    """What a figure the page cannot trace is told (one it can is named)."""
    traced = "、".join(figure_label(name)[0] for name in ("holdings", "units_reported"))
    return f"「{figure[:20]}」不是本页可以追溯来源的数字（可追溯的如：{traced}等普查表汇总数字）。"


def load_rows(context: AppContext, viewer: Viewer, search: str | None) -> list[dict[str, Any]]:
    """The rows that sum to the figure, with where each sits in its workbook."""
    figure, division = request_from_search(viewer, search)
    with context.reader.cursor() as con:
        rows = query_figure_lineage(con, figure, division)
        withheld = withheld_returns(con, viewer)
    shown = [
        {
            **row,
            "cell": template_cells(figure, row["excel_row"], row.get("form_version")),
            "row_key": f"{row['submission_id']}:{row['excel_row']}",
        }
        for row in rows
    ]
    return with_names(
        [withhold(row, withheld[row["submission_id"]]) if row["submission_id"] in withheld else row for row in shown]
    )


def withheld_returns(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> dict[str, str]:
    """The returns in a prefecture's or county's area it may not open (its province's, its prefecture's), by id, with
    the name of their scope; none for other viewers (who see every return of what they may read)."""
    if viewer.role not in LOCAL_ROLES:
        return {}
    return {
        s["submission_id"]: str(s["scope_name"])
        for s in list_submissions(con, viewer.province_code)
        if not sees_submission(viewer, s)
    }


def withhold(row: dict[str, Any], scope_name: str) -> dict[str, Any]:
    """A row of a return the viewer may not open: its holder and place in the sheet, but not the return's file,
    sender or id (as /submissions does not list it)."""
    return row | {
        "file_name": f"{scope_name}的现行报表（文件、报送人和编号不公开）",
        "submitted_by": "",
        "submission_id": "",
        "row_key": f"{scope_name}:{row['excel_row']}",
    }


def load_returns(context: AppContext, viewer: Viewer, search: str | None) -> list[dict[str, Any]]:
    """The current returns the figure comes from: rows and their sum per return, each opening its submission."""
    by_submission: dict[str, dict[str, Any]] = {}
    for row in load_rows(context, viewer, search):
        key = row["submission_id"] or row["file_name"]  # a withheld return by its scope's words
        entry = by_submission.get(key)
        if entry is None:  # once per return, not per row (a province's figure has 100,000 rows)
            entry = by_submission[key] = {
                "return_key": key,
                "submission_id": row["submission_id"],
                "province_code": row["province_code"],
                "province_name": row["province_name"],
                # Whose return (a prefecture's within its province) and how far its review has come: a figure
                # counts returns still under review, and which they are was not to be seen.
                "scope_name": stored_scope_name(row),
                "review_progress": review_label(row["review_state"], row["review_stage"]) or "—",
                "file_name": row["file_name"],
                "sheet_name": row["sheet_name"],
                "submitted_at": row["submitted_at"],
                "submitted_by": row["submitted_by"],
                "submitter": person_label(row["submitted_by"], row["submitted_by_name"]) if row["submitted_by"] else "",
                "rows": 0,
                "value": 0.0,
                "open": f"[打开提交](/submissions?submission={quote(row['submission_id'])})"
                if row["submission_id"]
                else "",
            }
        entry["rows"] += 1
        entry["value"] += float(row["value"] or 0)
    # Rounded as the summary rounds its figures: a float sum's last bits are not a figure (1195442.200000001).
    return [{**entry, "value": round(entry["value"], 2)} for entry in by_submission.values()]


def figure_total(context: AppContext, viewer: Viewer, search: str | None) -> dict[str, Any] | None:
    """The figure as the overview and coverage pages show it (from the marts, not summed from the rows here)."""
    figure, division = request_from_search(viewer, search)
    if figure.startswith("units_"):
        value: float | None = float(context.reader.cached(query_coverage_total, division)[figure])
    elif figure in RED_FIGURES:  # as the overview's red-archive panel shows it
        value = float(context.reader.cached(query_red_archives, division)[figure.replace("red_holders", "holders")])
    elif division is None or division.endswith("0000"):
        summary = context.reader.cached(query_summary, ROUND_ID, division)
        figures = summary["national"] if division is None else summary["provinces"][0]
        if figure.startswith("comprehensive_"):
            figures = figures["bases"]["comprehensive"]
        if figure in ("holdings", "comprehensive_holdings"):
            value = float(figures["vol_total"] + figures["item_total"])
        elif figure == "comprehensive_digitized":
            value = float(figures["digitized_vol"] + figures["digitized_item"])
        elif figure == "comprehensive_opened":
            value = float(figures["opened"])
        else:
            value = float(figures[figure])
    else:
        value = sum(float(r["value"] or 0) for r in load_rows(context, viewer, search))
    # 合计 stands in the first column of both grids (a return's province, a row's holder).
    return {"province_name": "合计", "unit_name": "合计", "row_key": "合计", "value": value, "rows": None}


def value_column(figure: str) -> Column:
    label, unit = figure_label(figure)
    if figure in DECIMAL_FIGURES:  # with its field's decimals, as the sentence above and the overview's card
        return Column("value", label, "decimal", unit, decimals=figure_decimals(figure))
    return Column("value", label, "int", unit)


# Each grid says first whose figure and how much (the value column is the figure's own, see value_column), then
# where it was read: file, sheet, row, cell, and the submission's id.
RETURN_COLUMNS = [
    PROVINCE_OR_CHANNEL,
    Column("scope_name", "填报范围"),
    Column("value", "合计数", "decimal"),
    Column("rows", "行数", "int", "行"),
    Column("file_name", "文件"),
    Column("review_progress", "审核状态"),
    Column("submitted_at", "提交时间", "datetime"),
    Column("submitter", "提交人"),
    Column("sheet_name", "工作表"),
    Column("submission_id", "提交编号", "code"),
    Column("open", "提交记录", "link"),
]
# Where each figure sits, file, sheet, row and cell, right after the holder and its figure (the file was only in the
# returns grid above, and the sheet was beyond the page's width).
ROW_COLUMNS = [
    Column("unit_name", "单位名称"),
    Column("value", "数值", "decimal"),
    Column("file_name", "文件"),
    Column("sheet_name", "工作表"),
    Column("excel_row", "行号", "row"),
    Column("cell", "单元格（模板列）", "code"),
    Column("division_name", "区划", tooltip="division_code"),
    Column("uscc", "统一社会信用代码", "code"),
    Column("submission_id", "提交编号", "code"),
]


def with_value_column(columns: list[Column], figure: str) -> list[Column]:
    """The grid's columns with its value column labelled and typed for the figure."""
    return [value_column(figure) if c.field == "value" else c for c in columns]


def layout(figure: str | None = None, division: str | None = None, **_query: str) -> html.Div:
    """What the figure is, the returns it comes from, and their rows."""
    viewer = current_viewer()
    try:
        chosen, scope = request_from_search(viewer, f"?figure={figure or ''}&division={division or ''}")
    except HTTPException as refused:  # another province, the central channels, no such division or figure: said here
        if refused.code == 403:
            said = f"无权查看该范围的数据：只能查看{own_area(viewer)}。"
        elif figure and figure not in LINEAGE_FIGURES:
            said = unknown_figure(figure)
        else:
            said = f"「{(division or '')[:20]}」不是现行的行政区划代码。"
        back = (
            dcc.Link("返回覆盖情况", href="/coverage")
            if viewer.role in (*LOCAL_ROLES, Role.CENTRAL)
            else dcc.Link("返回概览", href="/")
        )
        return html.Div([html.H1("数据来源"), html.P(said, className="error"), back])
    label, unit = figure_label(chosen)
    return html.Div(
        [
            html.H1(f"数据来源：{area_name(scope)} · {label}"),
            html.P(id=ids.LINEAGE_SUMMARY, className="result"),
            html.P(
                f"下表为该数字所依据的报表（计入统计的：{COUNTED_RETURNS}）及其逐行数值，"
                "合计即页面上的数字；"
                f"单元格按模板的列位置标出。单位：{unit or '—'}。",
                className="hint",
            ),
            html.H2("来自哪些报表"),
            grid_block(
                ids.LINEAGE_RETURNS_GRID,
                with_value_column(RETURN_COLUMNS, chosen),
                row_id="submission_id",
            ),
            html.H2("逐行数值"),
            grid_block(ids.LINEAGE_ROWS_GRID, with_value_column(ROW_COLUMNS, chosen)),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Both grids follow the address; the summary line says what sums to what."""
    url = [(ids.URL, "search")]
    register_grid(
        app,
        GridSpec(
            ids.LINEAGE_RETURNS_GRID,
            RETURN_COLUMNS,
            ("return_key",),
            lambda v, s: load_returns(context, v, s),
            url,
            "数据来源-报表",
            total=lambda v, s: figure_total(context, v, s),
            scope=lambda v, s: area_name(request_from_search(v, s)[1]),
            export_columns=lambda v, s: with_value_column(RETURN_COLUMNS, request_from_search(v, s)[0]),
        ),
        context,
    )
    register_grid(
        app,
        GridSpec(
            ids.LINEAGE_ROWS_GRID,
            ROW_COLUMNS,
            ("row_key",),
            lambda v, s: load_rows(context, v, s),
            url,
            "数据来源-逐行",
            total=lambda v, s: figure_total(context, v, s),
            scope=lambda v, s: area_name(request_from_search(v, s)[1]),
            export_columns=lambda v, s: with_value_column(ROW_COLUMNS, request_from_search(v, s)[0]),
        ),
        context,
    )

    @app.callback(Output(ids.LINEAGE_SUMMARY, "children"), Input(ids.URL, "search"))
    def summarize(search: str | None) -> str:
        viewer = current_viewer()
        figure, division = request_from_search(viewer, search)
        label, unit = figure_label(figure)
        total = figure_total(context, viewer, search) or {}
        returns = load_returns(context, viewer, search)
        rows = sum(r["rows"] for r in returns)
        value = format_number(total.get("value"), figure_decimals(figure))
        return f"{area_name(division)}{label} = {value} {unit}，来自 {len(returns):,} 份计入统计的报表的 {rows:,} 行。"
