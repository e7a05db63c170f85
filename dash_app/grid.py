"""Data grids (dash-ag-grid) whose rows and Excel exports come from one server-side, access-checked loader."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dash_ag_grid as dag
import openpyxl
from dash import Dash, Input, Output, State, dcc, html, no_update

from census_schema.xlsx import set_cell_value
from dash_app import ids
from dash_app.access import Viewer, current_viewer

Loader = Callable[..., list[dict[str, Any]]]
# AG Grid's own words (pagination, filters, empty grid) in Chinese.
GRID_LOCALE = {
    "page": "第",
    "of": "页，共",
    "to": "至",
    "more": "更多",
    "next": "下一页",
    "previous": "上一页",
    "first": "首页",
    "last": "末页",
    "pageSizeSelectorLabel": "每页行数：",
    "noRowsToShow": "没有数据",
    "loadingOoo": "加载中……",
    "filterOoo": "筛选……",
    "searchOoo": "搜索……",
    "selectAll": "全选",
    "applyFilter": "应用",
    "resetFilter": "重置",
    "clearFilter": "清除",
    "equals": "等于",
    "notEqual": "不等于",
    "contains": "包含",
    "notContains": "不包含",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "blank": "为空",
    "notBlank": "不为空",
    "lessThan": "小于",
    "greaterThan": "大于",
    "lessThanOrEqual": "小于等于",
    "greaterThanOrEqual": "大于等于",
    "inRange": "介于",
    "inRangeStart": "从",
    "inRangeEnd": "到",
    "andCondition": "且",
    "orCondition": "或",
    "dateFormatOoo": "yyyy-mm-dd",
}


@dataclass(frozen=True)
class GridSpec:
    """A grid: its columns (field, Chinese header), the key of a row, and the loader that reads its rows."""

    grid_id: str
    columns: Sequence[tuple[str, str]]
    key: Sequence[str]
    load: Loader
    inputs: Sequence[tuple[str, str]]
    file_name: str


def grid_block(
    grid_id: str, columns: Sequence[tuple[str, str]], *, row_id: str | None = None, height: int = 420
) -> html.Div:
    """The grid with its export button and row count; `row_id` names the field that identifies a row."""
    options: dict[str, Any] = {}
    if row_id:
        options["getRowId"] = f"params.data.{row_id}"
    return html.Div(
        [
            html.Div(
                [
                    html.Button("导出 Excel", id=ids.export_button(grid_id), className="button-secondary"),
                    html.Span(id=f"{grid_id}-count", className="grid-count"),
                ],
                className="grid-toolbar",
            ),
            dcc.Download(id=ids.export_download(grid_id)),
            dag.AgGrid(
                id=grid_id,
                columnDefs=[{"field": field, "headerName": header} for field, header in columns],
                rowData=[],
                defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 90},
                dashGridOptions={
                    "pagination": True,
                    "paginationPageSize": 50,
                    "enableCellTextSelection": True,
                    # Sized when the first rows render: the rows arrive by callback after the grid is ready, so
                    # columnSize="autoSize" (applied once, at grid ready) sized to the headers alone.
                    "autoSizeStrategy": {"type": "fitCellContents"},
                    "localeText": GRID_LOCALE,
                },
                style={"height": f"{height}px"},
                **options,
                className="ag-theme-alpine",
            ),
        ],
        className="grid-block",
    )


def _row_key(row: Mapping[str, Any], key: Sequence[str]) -> tuple[Any, ...]:
    return tuple(str(row.get(k)) for k in key)


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return value
    return str(value)


def build_export_workbook(columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]]) -> bytes:
    """An .xlsx of exactly these rows; text that looks like a formula stays text."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for number, (_, header) in enumerate(columns, 1):
        set_cell_value(sheet.cell(1, number), header)
    for row_number, row in enumerate(rows, 2):
        for number, (field, _) in enumerate(columns, 1):
            set_cell_value(sheet.cell(row_number, number), _cell_value(row.get(field)))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_as_shown(
    authorised: Sequence[Mapping[str, Any]], shown: Sequence[Mapping[str, Any]] | None, key: Sequence[str]
) -> list[Mapping[str, Any]]:
    """The authorised rows the grid shows, in its order: rows the client invents are dropped."""
    by_key = {_row_key(row, key): row for row in authorised}
    if shown is None:
        return list(authorised)
    return [by_key[k] for k in (_row_key(r, key) for r in shown) if k in by_key]


def register_grid(app: Dash, spec: GridSpec) -> None:
    """Wire a grid: its rows follow its inputs; its export re-reads them for the signed-in user."""
    inputs = [Input(component, prop) for component, prop in spec.inputs]

    @app.callback(Output(spec.grid_id, "rowData"), Output(f"{spec.grid_id}-count", "children"), *inputs)
    def load_rows(*values: Any) -> tuple[list[dict[str, Any]], str]:
        rows = spec.load(current_viewer(), *values)
        return rows, f"共 {len(rows)} 条"

    states = [State(component, prop) for component, prop in spec.inputs]

    @app.callback(
        Output(ids.export_download(spec.grid_id), "data"),
        Input(ids.export_button(spec.grid_id), "n_clicks"),
        State(spec.grid_id, "virtualRowData"),
        *states,
        prevent_initial_call=True,
    )
    def export(clicks: int | None, shown: list[dict[str, Any]] | None, *values: Any) -> Any:
        if not clicks:
            return no_update
        viewer: Viewer = current_viewer()
        rows = rows_as_shown(spec.load(viewer, *values), shown, spec.key)
        content = build_export_workbook(spec.columns, rows)
        return dcc.send_bytes(content, f"{spec.file_name}.xlsx")
