"""Data grids (dash-ag-grid) whose rows and Excel exports come from one server-side, access-checked loader.

Columns are declared with their kind (integer, percentage, date, ...) and unit: the grid keeps raw values (so it
sorts and filters numbers as numbers) and shows them in Chinese formats through the formatters of
assets/grid_formats.js; the Excel export writes the same values with matching number formats."""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, cast

import dash_ag_grid as dag
import flask
import openpyxl
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from census_schema.clock import BEIJING, to_beijing
from census_schema.template import wrapped_row_height
from census_schema.xlsx import print_wide, set_cell_value
from dash_app import ids
from dash_app.access import Viewer, current_viewer
from dash_app.context import AppContext
from dash_app.formatting import format_count, format_date, format_datetime
from warehouse.queries import query_data_as_of

Loader = Callable[..., list[dict[str, Any]]]
# "year" and "row" (a sheet's row number) are whole numbers written without thousands separators.
ColumnKind = Literal[
    "text", "code", "int", "year", "row", "decimal", "number", "pct", "date", "datetime", "bool", "link"
]
NUMERIC_KINDS = frozenset({"int", "decimal", "number", "pct"})
PAGE_SIZE = 20
# AG Grid's width of a column given none.
DEFAULT_COLUMN_PX = 200
# A share with nothing to divide by (覆盖率 where no holder is expected), in the grid and its export.
NO_SHARE = "—"
# The widest a plain text column sized to its contents grows (about 36 characters of Chinese): one long value (a unit
# name of 100 characters, which the form allows) took the whole grid and pushed every figure out of view. The whole
# text is shown on hover.
TEXT_MAX_PX = 500
# An exported workbook: a title line, a line of scope, as-of and exporter, a blank line (or the grid's note: a
# provisional standard's mark), then the header.
EXPORT_HEADER_ROW = 4
# The widest (Excel units) an exported column of long text is, wrapped.
EXPORT_WRAP_WIDTH = 36
_EXPORT_WRAP = Alignment(wrap_text=True, vertical="top")
_EXPORT_TOP = Alignment(vertical="top")  # beside wrapped text, a row's other cells at its top
PAGE_SIZES = [20, 50, 100]
# AG Grid's own words in Chinese. Its page summary reads "{page} N {of} M" and its row summary "{from} {to} {of}
# {count}" with the same "of": the row summary is left out (paginationPanels) and the grid's toolbar counts the rows.
GRID_LOCALE = {
    "page": "第",
    "of": "页，共",
    "to": "至",
    "more": "更多",
    "next": "下一页",
    "previous": "上一页",
    "first": "首页",
    "last": "末页",
    "nextPage": "下一页",
    "previousPage": "上一页",
    "firstPage": "首页",
    "lastPage": "末页",
    "pageSizeSelectorLabel": "每页行数：",
    "ariaPageSizeSelectorLabel": "每页行数",
    "pageLastRowUnknown": "？",
    "noRowsToShow": "没有数据",
    "noMatchingRows": "没有符合筛选条件的数据",
    "invalidNumber": "不是有效的数字",
    "invalidDate": "不是有效的日期",
    "loadingOoo": "加载中……",
    "loadingError": "加载出错",
    "filterOoo": "筛选……",
    "selectAll": "全选",
    "blanks": "（空白）",
    "equals": "等于",
    "notEqual": "不等于",
    "contains": "包含",
    "notContains": "不包含",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "blank": "为空",
    "notBlank": "不为空",
    "empty": "请选择",
    "before": "早于",
    "after": "晚于",
    "lessThan": "小于",
    "greaterThan": "大于",
    "lessThanOrEqual": "小于等于",
    "greaterThanOrEqual": "大于等于",
    "inRange": "介于",
    "inRangeStart": "从",
    "inRangeEnd": "到",
    "andCondition": "且",
    "orCondition": "或",
    "dateFormatOoo": "年-月-日",
    "filterSummaryInactive": "未筛选",
    "ariaFilterValue": "筛选值",
    "ariaFilteringOperator": "筛选条件",
    "ariaFilterInput": "筛选输入",
    "ariaFilterColumn": "筛选此列",
    "ariaFilterFromValue": "起始值",
    "ariaFilterToValue": "结束值",
    "ariaMenuColumn": "列菜单",
    "ariaColumnFiltered": "已筛选",
    "ariaRowSelect": "按空格键选择此行",
    "ariaSortableColumn": "按回车键排序",
    "ariaLabelColumnMenu": "列菜单",
    "ariaLabelColumnFilter": "列筛选",
    "ariaLabelSelectField": "选择字段",
    "ariaLabelTooltip": "提示",
    "ariaChecked": "已选中",
    "ariaUnchecked": "未选中",
    "ariaIndeterminate": "部分选中",
}
# The formatters of assets/grid_formats.js, by column kind.
FORMATTERS = {
    "int": "zhInteger(params.value)",
    "decimal": "zhDecimal(params.value, {decimals})",
    "number": "zhNumber(params.value, {decimals})",
    "pct": "zhPercent(params.value, {decimals})",
    "date": "zhDate(params.value)",
    "datetime": "zhDateTime(params.value)",
}
# The same formats in Excel (a percentage is stored as the fraction Excel's % format shows: 0.9639 for 96.39 %; as
# 96.39 under a literal "%" it read 9639% once its cell was formatted as a percentage, and summed wrong).
EXCEL_FORMATS = {
    "int": "#,##0",
    "decimal": "#,##0.{zeros}",
    "number": "#,##0.##",
    "pct": "0.{zeros}%",
    "date": 'yyyy"年"m"月"d"日"',
    "datetime": 'yyyy"年"m"月"d"日" hh:mm',
    "year": "0",
    "row": "0",
}
# A grid drawn with fit_width sizes its columns from what they can hold, in its cells' font (14 px) with narrow
# padding (assets/app.css, .fitted-grid): a CJK character is one em wide in any font; digits and Latin letters are
# allowed 0.65 em (the widest fallback sans-serif, DejaVu Sans, draws digits 0.64 em wide).
GRID_FONT_PX = 14
FITTED_PADDING_PX = 8
# Beside a header's text: its filter button and, once sorted, its sort arrow.
HEADER_ICONS_PX = 40
# The widest text a date or time column shows (assets/grid_formats.js): 2026年12月31日 23:59.
WIDEST_SHOWN = {"date": "0000年00月00日", "datetime": "0000年00月00日 00:00"}


def text_width(text: str) -> int:
    """The pixels `text` takes at most in a grid cell (see GRID_FONT_PX)."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return math.ceil(GRID_FONT_PX * (wide + 0.65 * (len(text) - wide)))


@dataclass(frozen=True)
class Column:
    """A grid column: the row field it shows, its Chinese header, what kind of value it holds and its unit."""

    field: str
    header: str
    kind: ColumnKind = "text"
    unit: str = ""
    decimals: int = 2
    # A field shown on hover (the code behind a name).
    tooltip: str | None = None
    # Long text: wrapped over several lines, at least `wrap_width` pixels wide.
    wrap: bool = False
    wrap_width: int = 280
    # Very long text (an audit event's states): one line at most `clip_width` px wide, the whole text on hover.
    clip: bool = False
    clip_width: int = 360
    # CSS classes of a cell by its value (e.g. {"warn": "滞后"}).
    classes: tuple[tuple[str, str], ...] = ()
    # Every value the column can show, or its widest (a code list's values): in a grid drawn with fit_width it is wide
    # enough for the longest, whatever rows the grid holds now or later. Dates and times know their widest.
    fits: tuple[str, ...] = ()
    # In a grid drawn with fit_width, the lines a value of `fits` may take (2: 新疆维吾尔 / 自治区): a column read less
    # often gives its width to the free text beside it, in rows that wrapped text makes taller anyway.
    lines: int = 1

    @property
    def title(self) -> str:
        """The header with its unit: 应报（个）."""
        return f"{self.header}（{self.unit}）" if self.unit else self.header

    def fitted_width(self) -> int:
        """Its width in a grid drawn with fit_width: its widest value and its header whole (ValueError for a column
        that neither wraps nor knows its widest value)."""
        widest = (*self.fits, *([WIDEST_SHOWN[self.kind]] if self.kind in WIDEST_SHOWN else []))
        if not widest:
            raise ValueError(f"column {self.field} neither wraps nor declares the values it fits")
        longest = max(map(text_width, widest))
        # Over several lines a value breaks between two characters: one character more than its share of a line.
        line = longest if self.lines == 1 else math.ceil(longest / self.lines) + GRID_FONT_PX
        return max(line + 2 * FITTED_PADDING_PX, self.header_width())

    def header_width(self) -> int:
        """The width its header needs whole in a grid drawn with fit_width, where headers wrap: before a part in
        brackets, its unit (逾期 / （天）) or a qualifier (被检查 / （评价）单位), each part on a line."""
        parts = re.split(r"(?=（)", self.title)
        return max(map(text_width, parts)) + 2 * FITTED_PADDING_PX + HEADER_ICONS_PX

    def definition(self, *, fitted: bool = False) -> dict[str, Any]:
        """The AG Grid column definition; `fitted`: in a grid drawn with fit_width."""
        spec: dict[str, Any] = {"field": self.field, "headerName": self.title, "headerTooltip": self.title}
        if self.kind == "text":
            # Shown as sent: AG Grid otherwise infers a column's type from its first row, and a 填报值 column whose
            # first value read as a date (2026-12-01) then drew every other value blank.
            spec["cellDataType"] = False
        if self.kind in FORMATTERS:
            spec["valueFormatter"] = {"function": FORMATTERS[self.kind].format(decimals=self.decimals)}
        if self.kind in NUMERIC_KINDS:
            spec["type"] = "rightAligned"
            spec["filter"] = "agNumberColumnFilter"
        if self.kind in ("year", "row"):
            spec["type"] = "rightAligned"
        if self.kind == "row":
            spec["filter"] = "agNumberColumnFilter"
        if self.kind == "link":
            # Markdown links ([name](/path)), rendered and sanitised by dash-ag-grid, opened in a new tab.
            spec.update(cellRenderer="markdown", cellRendererParams={"linkTarget": "_blank"})
        if self.tooltip:
            spec["tooltipField"] = self.tooltip
        if self.clip:
            spec.update(maxWidth=self.clip_width, tooltipField=self.field)
        if self.wrap:
            # Not sized to its content (which pushed it off the screen): it takes the width the other columns leave
            # and wraps (in a fitted grid, the wrapping columns share it in proportion to their least widths).
            least = max(self.wrap_width, self.header_width()) if fitted else self.wrap_width
            # An auto-sized grid takes no flex (AG Grid warns and ignores it): the width it had, AG Grid's 200 px
            # default or its least width.
            share = {"flex": least} if fitted else {"width": max(least, DEFAULT_COLUMN_PX)}
            spec.update(wrapText=True, autoHeight=True, minWidth=least, suppressAutoSize=True, **share)
            spec["cellClass"] = "wrap-cell"
        elif fitted:
            width = self.fitted_width()
            spec.update(width=width, minWidth=width)
            if self.lines > 1:
                spec.update(wrapText=True, autoHeight=True, cellClass="wrap-cell")
        elif self.kind == "text" and not self.clip:
            spec["maxWidth"] = TEXT_MAX_PX
            spec.setdefault("tooltipField", self.field)
        if self.classes:
            spec["cellClassRules"] = {css: f"params.value === {value!r}" for css, value in self.classes}
        return spec

    def excel_format(self) -> str | None:
        """The cell number format of this column in an exported workbook."""
        found = EXCEL_FORMATS.get(self.kind)
        return (
            None
            if found is None
            else found.format(zeros="0" * self.decimals)
            if self.decimals
            else found.replace(".{zeros}", "")
        )


# A column of rows that are a province's or a central channel's: its channel is listed under it (中央企业 sat under 省份).
PROVINCE_OR_CHANNEL = Column("province_name", "省份或中央渠道", tooltip="province_code")


def as_columns(columns: Sequence[Column | tuple[str, str]]) -> list[Column]:
    """Columns declared as (field, header) pairs are plain text columns."""
    return [c if isinstance(c, Column) else Column(*c) for c in columns]


def prepare_value(value: Any) -> Any:
    """A value as the grid receives it: timestamps in Beijing time (ISO, to the second), decimals as floats."""
    if isinstance(value, datetime):
        return to_beijing(value).replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def prepare_rows(rows: Sequence[Mapping[str, Any]], yes_no: Collection[str] = ()) -> list[dict[str, Any]]:
    """Rows as the grid receives them (see prepare_value); the fields of its yes-or-no columns as 是/否 (a boolean
    would be drawn as a greyed checkbox, and its column's filter would not find 是)."""
    return [
        {
            key: ("是" if value else "否") if key in yes_no and isinstance(value, bool) else prepare_value(value)
            for key, value in row.items()
        }
        for row in rows
    ]


@dataclass(frozen=True)
class GridSpec:
    """A grid: its columns, the key of a row, the loader that reads its rows and the inputs it follows; `total`,
    when given, reads the figures of the whole the rows are parts of (shown as a pinned 合计 row, never summed here:
    rows that do not add up to it must show)."""

    grid_id: str
    columns: Sequence[Column | tuple[str, str]]
    key: Sequence[str]
    load: Loader
    inputs: Sequence[tuple[str, str]]
    file_name: str
    total: Callable[..., dict[str, Any] | None] | None = field(default=None)
    # Whose rows an export holds (广东省, 四川省成都市), from the viewer and the grid's inputs; default: the viewer's
    # province, or 全国.
    scope: Callable[..., str] | None = field(default=None)
    # The export's columns when they depend on the request (a value column named for the figure asked for); default:
    # `columns`.
    export_columns: Callable[..., Sequence[Column | tuple[str, str]]] | None = field(default=None)
    # A line an export carries above its header: the mark of a standard that is still a proposal (its grades, scores),
    # or a function of the viewer and the grid's inputs giving it when exported (whether results are still
    # provisional; the filters a partial extract was made with).
    note: str | Callable[..., str | None] | None = None


def grid_block(
    grid_id: str,
    columns: Sequence[Column | tuple[str, str]],
    *,
    row_id: str | None = None,
    page_size: int = PAGE_SIZE,
    fit_width: bool = False,
    empty: str | None = None,
) -> html.Div:
    """The grid with its export button and row count; `row_id` names the field that identifies a row; `empty` is
    what it says when it has no rows (default: 没有数据). The grid is as tall as its rows (a page of at most
    `page_size` rows).

    Its columns are sized to the rows it first draws; with `fit_width`, to what they can hold instead (Column.fits,
    dates' widest format; narrow padding), so rows that arrive later are never cut: the wrapping columns share the
    width left, and the grid does not scroll sideways as long as their least widths fit."""
    options: dict[str, Any] = {}
    if row_id:
        # A pinned 合计 row without the field takes "—" (an id undefined is AG Grid's warning #25).
        options["getRowId"] = f"params.data.{row_id} || '—'"
    sizing: dict[str, Any] = (
        {}
        if fit_width
        # Sized when the first rows render: the rows arrive by callback after the grid is ready, so
        # columnSize="autoSize" (applied once, at grid ready) sized to the headers alone. Every column is rendered:
        # AG Grid sizes only the columns it renders, and left those off-screen at its default 200 px.
        else {"autoSizeStrategy": {"type": "fitCellContents"}, "suppressColumnVirtualisation": True}
    )
    return html.Div(
        [
            html.Div(
                [
                    html.Button("导出 Excel", id=ids.export_button(grid_id), className="button-secondary"),
                    html.Span(id=ids.grid_count(grid_id), className="grid-count"),
                    html.Span(id=ids.grid_filtered(grid_id), className="grid-count"),
                ],
                className="grid-toolbar",
            ),
            dcc.Download(id=ids.export_download(grid_id)),
            # A spinner over the grid (kept in place, dimmed) while its rows load, after 400 ms.
            dcc.Loading(
                dag.AgGrid(
                    id=grid_id,
                    columnDefs=[c.definition(fitted=fit_width) for c in as_columns(columns)],
                    # No rows yet (not an empty list): AG Grid says 加载中…… until they come, not 没有数据.
                    rowData=None,
                    defaultColDef={
                        "sortable": True,
                        "filter": True,
                        "resizable": True,
                        "minWidth": 80,
                        # Sized to what they hold, headers may wrap (Column.header_width) rather than widen a column.
                        **({"wrapHeaderText": True, "autoHeaderHeight": True} if fit_width else {}),
                    },
                    dashGridOptions={
                        "pagination": True,
                        "paginationPageSize": page_size,
                        "paginationPageSizeSelector": sorted({*PAGE_SIZES, page_size}),
                        "paginationPanels": ["pageSize", "pageSummary"],
                        "domLayout": "autoHeight",
                        "enableCellTextSelection": True,
                        "tooltipShowDelay": 300,
                        # Tab leaves the grid instead of walking its every cell (the arrow keys move within it).
                        "tabToNextCell": {"function": "false"},
                        "tabToNextHeader": {"function": "false"},
                        **sizing,
                        "localeText": {**GRID_LOCALE, "noRowsToShow": empty} if empty else GRID_LOCALE,
                    },
                    # Enter on a cell does what a click does (grid_formats.js).
                    eventListeners={"cellKeyDown": ["enterAsClick(params, setGridProps)"]},
                    style={"height": None},
                    **options,
                    className="ag-theme-alpine fitted-grid" if fit_width else "ag-theme-alpine",
                ),
                type="dot",
                delay_show=400,
                overlay_style={"visibility": "visible", "opacity": 0.6},
            ),
        ],
        className="grid-block",
        # What the grid says with no rows, for assets/accessibility.js to take out of AG Grid's spoken notice once
        # rows have come.
        **cast(
            dict[str, Any],
            {"data-empty": empty or GRID_LOCALE["noRowsToShow"], "data-loading": GRID_LOCALE["loadingOoo"]},
        ),
    )


def _row_key(row: Mapping[str, Any], key: Sequence[str]) -> tuple[Any, ...]:
    return tuple(str(row.get(k)) for k in key)


# A link column's value is markdown: [escaped label](target), or escaped text alone (dash-ag-grid renders it).
_MARKDOWN_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^()\s]*)\)")
_MARKDOWN_ESCAPE = re.compile(r"\\(.)")


def link_parts(markdown: str) -> tuple[str, str | None]:
    """A link column's value as a person reads it, and the address it opens (None for plain text)."""
    match = _MARKDOWN_LINK.fullmatch(markdown)
    text, target = (match[1], match[2]) if match else (markdown, None)
    return _MARKDOWN_ESCAPE.sub(r"\1", text), target


def _excel_format_of(column: Column, value: Any) -> str | None:
    """A cell's number format: its column's, but a whole number of a "number" column without decimals (Excel writes
    #,##0.## of 150 as "150.", with a stray point)."""
    if column.kind == "number" and isinstance(value, int | float) and float(value).is_integer():
        return EXCEL_FORMATS["int"]
    return column.excel_format()


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_beijing(value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or isinstance(value, int | float | date):
        return value
    return str(value)


@dataclass(frozen=True)
class ExportHeading:
    """What an exported workbook says above its table: what it is, whose rows, as of when, exported by whom."""

    title: str
    scope: str
    as_of: str
    exported_by: str
    exported_at: str
    note: str | None = None

    def lines(self) -> list[str]:
        """The title line, the line under it, and the note when there is one."""
        return [
            f"{self.title}（{self.scope}）",
            f"数据截至：{self.as_of}；导出人：{self.exported_by}；导出时间：{self.exported_at}（北京时间）",
            *([self.note] if self.note else []),
        ]


def _excel_chars(text: str) -> int:
    """How many of Excel's width units a text takes (a Chinese character two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _export_width(column: Column, rows: Sequence[Mapping[str, Any]]) -> int:
    """A column as wide as its title or its widest value (of the first 1,000 rows; a date's widest as shown), 10 to
    40 units (unit names and submission numbers were cut at 10), a wrapped one at most EXPORT_WRAP_WIDTH."""
    shown = (
        [WIDEST_SHOWN[column.kind]]
        if column.kind in WIDEST_SHOWN
        else [str(_cell_value(row.get(column.field))) for row in rows[:1000] if row.get(column.field) is not None]
    )
    widest = min(40, max(10, *(_excel_chars(text) + 2 for text in (column.title, *shown))))
    return min(widest, EXPORT_WRAP_WIDTH) if column.wrap or column.clip else widest


def _write_heading_line(sheet: Worksheet, line: int, text: str, widths: Sequence[float]) -> None:
    """A heading line merged across the table's columns and wrapped there, so printing one page wide cuts none of it."""
    size = 14 if line == 1 else 10
    cell = set_cell_value(sheet.cell(line, 1), text)
    cell.font, cell.alignment = Font(bold=line == 1, size=size), _EXPORT_WRAP
    if len(widths) > 1:
        sheet.merge_cells(start_row=line, start_column=1, end_row=line, end_column=len(widths))
    # Its lines counted in 10-point characters: a 14-point title takes 1.4 times their width and height.
    sheet.row_dimensions[line].height = wrapped_row_height([text], [sum(widths) * 10 / size]) * size / 10


# The line of an export with no rows (nothing in the scope, or nothing the filters leave).
NO_ROWS_EXPORTED = "（没有数据：导出时本表在所选范围和筛选条件下没有记录）"


def build_export_workbook(
    columns: Sequence[Column | tuple[str, str]],
    rows: Sequence[Mapping[str, Any]],
    heading: ExportHeading | None = None,
    total: Mapping[str, Any] | None = None,
    site: str | None = None,
) -> bytes:
    """An .xlsx of exactly these rows under a title, scope, as-of and exported-by heading, the header on row
    EXPORT_HEADER_ROW (frozen), numbers and dates in the grid's formats, then the grid's 合计 row (bold) if it has one;
    text that looks like a formula stays text. A link shows its text and, given the `site` (http://host/), opens its
    page."""
    declared = as_columns(columns)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = (heading.title if heading else "导出")[:31]
    widths = [_export_width(c, rows) for c in declared]
    for line, text in enumerate(heading.lines() if heading else [], 1):
        _write_heading_line(sheet, line, text, widths)
    for number, (column, width) in enumerate(zip(declared, widths, strict=True), 1):
        set_cell_value(sheet.cell(EXPORT_HEADER_ROW, number), column.title)
        sheet.cell(EXPORT_HEADER_ROW, number).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = sheet.cell(EXPORT_HEADER_ROW + 1, 1)
    # Every printed page says whose rows and as of when (from page 2 on it said only the sheet's name).
    print_wide(sheet, f"{heading.lines()[0]}　数据截至：{heading.as_of}" if heading else None)
    body = [*rows, total] if total else rows
    if not rows:  # an empty export says so under its header (it read as a file that had lost its rows)
        set_cell_value(sheet.cell(EXPORT_HEADER_ROW + 1 + bool(total), 1), NO_ROWS_EXPORTED)
    wrapping = any(c.wrap for c in declared)
    for row_number, row in enumerate(body, EXPORT_HEADER_ROW + 1):
        for number, column in enumerate(declared, 1):
            cell = sheet.cell(row_number, number)
            value = row.get(column.field)
            if column.kind == "link" and isinstance(value, str):
                value, target = link_parts(value)
                if target and target.startswith("/") and site:
                    cell.hyperlink = site.rstrip("/") + target
                    cell.style = "Hyperlink"
            if value is None and column.kind == "pct":
                value = NO_SHARE  # as the grid shows a share with nothing to divide by (assets/grid_formats.js)
            elif column.kind == "pct" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                value = float(Decimal(str(value)) / 100)  # 0.9583, not 95.83 / 100's 0.9582999999999999
            set_cell_value(cell, _cell_value(value))
            if cell.value is not None and column.excel_format():
                cell.number_format = _excel_format_of(column, cell.value)
            if row is total:
                cell.font = Font(bold=True)
            if wrapping:
                cell.alignment = _EXPORT_WRAP if column.wrap else _EXPORT_TOP
        if wrapping:
            # LibreOffice does not grow a row of wrapped text when it loads the file.
            texts = [sheet.cell(row_number, n).value if c.wrap else None for n, c in enumerate(declared, 1)]
            sheet.row_dimensions[row_number].height = wrapped_row_height(texts, widths)
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


def filtered_note(exported: int, loaded: int, note: str | None) -> str | None:
    """An export's note, led by how many of the grid's rows its column filters left (the file read as all of them)."""
    if exported >= loaded:
        return note
    said = f"按表格的列筛选导出：共 {format_count(loaded)} 条中的 {format_count(exported)} 条。"
    return said + (note or "")


def export_file_name(title: str, scope: str, day: date) -> str:
    """覆盖情况-广东省-2026年11月30日.xlsx: what, whose, which day."""
    return f"{title}-{scope}-{format_date(day)}.xlsx"


def count_text(count: int) -> str:
    """The toolbar's row count: 共 1,234 条."""
    return f"共 {format_count(count)} 条"


def fill_from_clicked_row(app: Dash, grid_id: str, target_id: str, *, allow_duplicate: bool = False) -> None:
    """A click on one of the grid's rows puts the row's id into the value of `target_id` (a form's field, a chooser;
    `allow_duplicate` where another callback sets it too)."""

    @app.callback(
        Output(target_id, "value", allow_duplicate=allow_duplicate),
        Input(grid_id, "cellClicked"),
        prevent_initial_call=True,
    )
    def pick(cell: dict[str, Any] | None) -> Any:
        return (cell or {}).get("rowId") or no_update


def register_grid(app: Dash, spec: GridSpec, context: AppContext | None = None) -> None:
    """Wire a grid: its rows (and total) follow its inputs; the count follows its filters; its export re-reads the
    rows for the signed-in user."""
    inputs = [Input(component, prop) for component, prop in spec.inputs]
    outputs = [Output(spec.grid_id, "rowData"), Output(ids.grid_count(spec.grid_id), "children")]
    if spec.total is not None:
        outputs.append(Output(spec.grid_id, "pinnedBottomRowData"))

    yes_no = {column.field for column in as_columns(spec.columns) if column.kind == "bool"}

    @app.callback(*outputs, *inputs)
    def load_rows(*values: Any) -> tuple[Any, ...]:
        viewer = current_viewer()
        rows = spec.load(viewer, *values)
        if spec.total is None:
            return prepare_rows(rows, yes_no), count_text(len(rows))
        total = spec.total(viewer, *values)
        return prepare_rows(rows, yes_no), count_text(len(rows)), prepare_rows([total] if total else [], yes_no)

    app.clientside_callback(
        ClientsideFunction("archiveCensus", "shownRows"),
        Output(ids.grid_filtered(spec.grid_id), "children"),
        Output(spec.grid_id, "className"),
        Input(spec.grid_id, "virtualRowData"),
        # An input too: the grid may report its filtered rows before the new rows reach the page's state.
        Input(spec.grid_id, "rowData"),
        State(spec.grid_id, "className"),
        State(spec.grid_id, "pinnedBottomRowData"),
    )

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
        loaded = spec.load(viewer, *values)
        rows = rows_as_shown(loaded, shown, spec.key)
        scope = spec.scope(viewer, *values) if spec.scope else viewer.area_name
        now = datetime.now(BEIJING)
        as_of = context.reader.cached(query_data_as_of) if context else None
        heading = ExportHeading(
            spec.file_name,
            scope,
            format_datetime(as_of) if as_of else format_datetime(now),
            viewer.signed_name,
            format_datetime(now),
            filtered_note(len(rows), len(loaded), spec.note(viewer, *values) if callable(spec.note) else spec.note),
        )
        columns = spec.export_columns(viewer, *values) if spec.export_columns else spec.columns
        # The 合计 row the grid pins under its rows: the scope's own figures, whatever rows a filter leaves.
        total = spec.total(viewer, *values) if spec.total else None
        content = build_export_workbook(columns, rows, heading, total, flask.request.host_url)
        return dcc.send_bytes(content, export_file_name(spec.file_name, scope, now.date()))
