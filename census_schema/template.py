"""Excel workbooks generated from a form: the empty template a province fills, or a filled return (streamed)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from census_schema.codes import PROVISIONAL_NOTE, CodeList
from census_schema.divisions import XPCC_CODE, load_divisions, require_census_province
from census_schema.errors import UsageError
from census_schema.fields import Field, FieldType, Form, Rule, WorkbookForm
from census_schema.forms import CURRENT_WORKBOOKS, UnknownForm, get_workbook_form, workbook_of_sheet
from census_schema.layout import (
    CODES_SHEET,
    FIRST_DATA_ROW,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    META_FORM_KIND,
    META_FORM_VERSION,
    META_PROVINCE,
    META_ROUND,
    META_SCOPE_CODE,
    META_SCOPE_KIND,
    META_SHEET,
    PLATFORM_NAME,
    TEMPLATE_PREPARED_ROWS,
    TITLE_ROW,
)
from census_schema.scopes import Scope, ScopeKind, province_scope, rule_kind_applies
from census_schema.xlsx import looks_like_formula, set_cell_value, setup_print

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# A font every Chinese Office and WPS install has; LibreOffice substitutes any installed CJK font.
FONT_NAME = "宋体"
# Columns A:B (code and name of the holder) stay visible while scrolling and are repeated on every printed page.
FROZEN_COLUMNS = 2
# Excel's limits on data-validation texts; longer texts make Excel "repair" the file.
_PROMPT_TITLE_MAX, _PROMPT_MAX, _ERROR_MAX = 32, 255, 225
# Column-width units that fit on one landscape A4 page at a readable scale (about 80 %); wider forms print over
# several pages across instead of one page shrunk to an unreadable size.
_UNITS_PER_PRINTED_PAGE = 170
# The last row of a worksheet (Excel 2007 and later): a print area down to it prints the rows a user adds too.
EXCEL_MAX_ROW = 1_048_576
# Rows of wrapped text get an explicit height: LibreOffice (7.4) does not grow them when it loads the file.
# The estimate follows Excel, where a 10-point CJK character is about 1.9 column units wide (Calibri 11 default);
# LibreOffice draws the same text narrower, so there the rows show some spare space rather than clipped text.
_CJK_UNITS = 1.9
_POINTS_PER_LINE = 14.0

_TYPE_LABELS: dict[FieldType, str] = {
    FieldType.TEXT: "文本",
    FieldType.INTEGER: "整数",
    FieldType.DECIMAL: "数字",
    FieldType.CODE: "代码，从下拉列表选择",
    FieldType.USCC: "18位代码",
    FieldType.DIVISION: "6位数字代码",
    FieldType.PHONE: "电话号码",
    FieldType.DATE: "日期（年-月-日）",
}
# Columns where an input method should not interfere with typing digits and Latin letters.
_IME_OFF_TYPES = frozenset(
    {FieldType.INTEGER, FieldType.DECIMAL, FieldType.USCC, FieldType.DIVISION, FieldType.PHONE, FieldType.DATE}
)
# Which declared rules explain each kind of Excel validation, in the order their messages are shown.
_RULE_KINDS_FOR_VALIDATION: dict[str, tuple[str, ...]] = {
    "list": ("in_list",),
    "whole": ("integer", "range"),
    "decimal": ("decimal", "range"),
    "textLength": ("max_length", "pattern"),
    "date": ("date",),
}
# Excel stores dates as day serials; any day after 1900-01-01 is accepted by a date validation.
_FIRST_EXCEL_DATE = "1"
_DATE_FORMAT = "yyyy-mm-dd"
_SECTION_NUMBERS = "一二三四五六七八九十"

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True)
_HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True)
_SECTION_FONT = Font(name=FONT_NAME, size=12, bold=True)
_BODY_FONT = Font(name=FONT_NAME, size=10)
_KEY_FONT = Font(name=FONT_NAME, size=10, bold=True)
_WRAP_TOP = Alignment(vertical="top", wrap_text=True)
# The 代码表 notes column: wrapped, so that the sheet prints one page wide at a readable scale.
CODES_NOTE_WIDTH = 60
# The widest a 代码表 column grows (a code's name wraps beyond it).
CODES_NAME_WIDTH = 36

# Each line fits the width of the instructions table, so it needs neither wrapping nor merged cells.
_SUBMISSION_NOTES = (
    "1. 在「{sheet}」工作表第 {first} 行起逐行填写，每个普查对象填一行；第 {header} 行为表头。",
    "2. 不要修改工作表名称，不要修改、插入、删除或调换表头列；不要合并单元格；多余的空行可以删除。",
    "3. 数值为零的必须填写 0，不能留空；数量只填数字，不要带单位或文字；有下拉列表的列请从列表中选择。",
    "4. 统一社会信用代码、行政区划代码、联系电话按文本填写，保留开头的 0；表末的「合计」行会被忽略。",
    "5. 上传后系统自动校验。有「错误」的表整体退回、不入库，请修改后重新上传整个工作簿。",
    "6. 退回的工作簿中，出错的单元格标红并附批注；另附「错误清单」工作表，逐条列出行号、列名、填报值和说明。",
    "7. 「警告」不影响接收，但请逐条核实；确有特殊情况的请在「备注」列中说明。",
    "8. 本模板仅供 {province} 填报，表式版本 {version}；请勿用于其他范围，也不要使用旧版本模板。",
    "9. 表下以“注：”等开头、只占一格的说明行不读取、不保存；某个单位要说明的，请写在该行的「备注」列。",
)
# How reporting scopes interact (census_schema.scopes, docs/interfaces-supplement.md), for every scoped workbook.
_SCOPE_NOTES = (
    "1. 本表的填报范围：{scope}。每份表对应一个范围：全省，省内一个地级或县级单位，",
    "   或中央和国家机关、中央企业、中央级档案馆三个中央渠道之一。",
    "2. 只填本范围内的普查对象：地级范围填本级及所辖县级的单位，县级范围只填本县级的单位。",
    "3. 地方各级的表不填行政层级为“中央”的单位；中央企业在地方的分支机构由所在地填报，",
    "   行政层级按所在地填写。中央渠道的表只填中央单位，行政层级填“中央”。",
    "4. 每个普查对象只能计入一份现行有效的表。本表中的单位如已在其他范围现行有效的表中",
    "   （如全省的表与地级的表），本表整表退回，并写明是哪一份表、哪些单位会被重复计数；",
    "   请先由那份表的报送单位重新报送不含这些单位的表，或从本表删去这些行。",
    "5. 同一范围重新报送时，新表只替代本范围原有的表，不影响其他范围。新表比原表减少的",
    "   普查对象超过规定比例（默认 10%）时，平台列出将减少的单位，须报送人确认后才装载。",
    "6. 审核逐级进行：县级的表依次由所属地级档案部门（在平台上有账号时）、省级档案部门、",
    "   国家档案局审核；地级的表由省级档案部门、国家档案局审核；全省的表和中央渠道的表由国家",
    "   档案局审核。上级代为报送的表从报送单位的上一级开始审核（如省级档案部门代县级报送的表",
    "   直接由国家档案局审核）。被退回的表不计入统计数字，退回原因在“提交记录”中查看。",
)


def write_form_workbook(
    path: Path,
    form: Form,
    province_code: str | None,
    rows: Iterable[Sequence[object]] = (),
    *,
    province_name: str | None = None,
    companions: Mapping[str, Iterable[Sequence[object]]] | None = None,
    scope: Scope | None = None,
) -> None:
    """Write a form's workbook for a province (or another scope): an empty template, or a filled return when rows
    are given.

    The workbook is the current one holding the form's sheet, at the form's version (also an unregistered one, to
    test refusing it), with this form in its sheet's place; its other sheets get the `companions` rows, by name.
    """
    book = workbook_of_sheet(form.kind)
    sheets = tuple(form if sheet.kind == form.kind else sheet for sheet in book.sheets)
    write_workbook(
        path,
        replace(book, version=form.version, sheets=sheets),
        province_code,
        {**(companions or {}), form.sheet_name: rows},
        province_name=province_name,
        scope=scope,
    )


def write_workbook(
    path: Path,
    book: WorkbookForm,
    province_code: str | None,
    rows: Mapping[str, Iterable[Sequence[object]]] | None = None,
    *,
    province_name: str | None = None,
    scope: Scope | None = None,
) -> None:
    """Write a workbook kind's file: an empty template, or filled sheets when rows are given (by sheet name).

    A scoped workbook (census, register) is written for one reporting scope: `scope`, or the whole province
    `province_code` (checked); a national one (supervision workbooks) for the whole country, and any province given
    is ignored. `province_name` overrides the name a whole-province workbook shows.
    """
    rows = rows or {}
    unknown = set(rows) - set(book.sheet_names)
    if unknown:
        raise ValueError(f"workbook {book.kind} has no sheet(s) {sorted(unknown)}")
    name: str | None = None
    if book.needs_province:
        scope = scope or province_scope(province_code or "")
        province_code = scope.province_code
        if province_code is not None:
            require_census_province(province_code)
        custom = province_name is not None and scope.kind is ScopeKind.PROVINCE
        name = province_name if custom else scope.name
    else:
        province_code, scope = None, None
    workbook = Workbook(write_only=True)
    workbook.properties.title = f"{book.title}（{name}）" if name else book.title
    workbook.properties.creator = PLATFORM_NAME
    workbook.properties.version = book.version
    # Sheets are created in their final order; each streams to its own temporary file, so fill order is free.
    instructions = workbook.create_sheet(INSTRUCTIONS_SHEET)
    data = [workbook.create_sheet(form.sheet_name) for form in book.sheets]
    codes, meta = (workbook.create_sheet(title) for title in (CODES_SHEET, META_SHEET))
    try:
        code_ranges = _write_code_sheet(codes, book.sheets)
        _write_instructions(instructions, book, scope, name)
        _write_meta(meta, book, scope)
        for ws, form in zip(data, book.sheets, strict=True):
            marks = book.header.line(form.sheet_name) if book.header is not None else ""
            _write_data_sheet(ws, form, name, book.version, rows.get(form.sheet_name, ()), code_ranges, marks)
    except BaseException:
        _end_streams(workbook.worksheets)
        raise
    save_workbook(workbook, path)


def save_workbook(workbook: Workbook, path: Path) -> None:
    """Save beside the target and rename, so a failed write never leaves a half-written workbook at `path`."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        workbook.save(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _end_streams(sheets: Iterable[WriteOnlyWorksheet]) -> None:
    """Close the row streams of an abandoned workbook, which would otherwise fail noisily when collected."""
    for ws in sheets:
        if not ws.closed:
            # The error already propagating is the one to report; a second one from a broken stream adds nothing.
            with contextlib.suppress(Exception):
                ws.close()


def write_template(path: Path, kind: str, province_code: str | None, scope: Scope | None = None) -> None:
    """Write the empty template of the current workbook of a kind (for a province or another scope, when the kind
    has scopes)."""
    try:
        book = get_workbook_form(kind)
    except UnknownForm:
        raise UsageError(
            f"「{kind}」类表格的模板暂未提供。", hint=f"可生成模板的类型：{'、'.join(CURRENT_WORKBOOKS)}。"
        ) from None
    write_workbook(path, book, province_code, scope=scope)


def data_sheet_title(form: Form, province_name: str | None, version: str) -> str:
    """The title written above the header row of a data sheet; a national sheet names the version of its workbook
    (a sheet a version left unchanged keeps its form's older version, which read as a second, old template)."""
    if province_name is None:
        return f"{form.title}（表式版本 {version}）"
    return f"{form.title}（{province_name}，普查轮次 {form.round_id}）"


def number_format_of(field: Field) -> str:
    """The Excel number format of a field's cells: thousands for counts, fixed decimals, text for everything else."""
    if field.type is FieldType.INTEGER:
        # A year (unit 年) is a date, not a count: 2023, never 2,023.
        return "0" if field.unit == "年" else "#,##0"
    if field.type is FieldType.DECIMAL:
        return "#,##0." + "0" * field.decimals if field.decimals else "#,##0"
    if field.type is FieldType.DATE:
        return _DATE_FORMAT
    return "@"


def type_label_of(field: Field) -> str:
    """The 类型/单位 text of a field in the instructions."""
    parts = [_TYPE_LABELS[field.type]]
    if field.type is FieldType.DECIMAL and field.decimals:
        parts.append(f"保留{field.decimals}位小数")
    if field.max_length is not None and field.type in (FieldType.TEXT, FieldType.PHONE):
        parts.append(f"不超过{field.max_length}字")
    if field.unit:
        parts.append(f"单位：{field.unit}")
    return "，".join(parts)


# ---------------------------------------------------------------------------------------------------------- sheets


PROVISIONAL_MARK = "（暂定）"
CODES_NOTE_HEADER = "说明"


def code_list_heading(code_list: CodeList) -> str:
    """The heading of a code list on the 代码表: its label, marked when the list is provisional."""
    return code_list.label + (PROVISIONAL_MARK if code_list.provisional else "")


def _codes_notes(lists: Sequence[CodeList], forms: Sequence[Form]) -> list[str]:
    provisional = [c.label for c in lists if c.provisional]
    notes = [f"标注{PROVISIONAL_MARK}的代码表（{'、'.join(provisional)}）为{PROVISIONAL_NOTE}。"] if provisional else []
    if any(f.type is FieldType.DIVISION for form in forms for f in form.fields):
        notes.append(
            f"行政区划代码按 GB/T 2260 现行代码填写；新疆生产建设兵团的 {XPCC_CODE} 为普查自用代码{PROVISIONAL_MARK}，"
            "兵团师市合一城市（如 659001 石河子市）使用其 GB/T 2260 代码，由兵团填报。"
        )
    return notes


def _write_code_sheet(ws: WriteOnlyWorksheet, forms: Sequence[Form]) -> dict[str, str]:
    """One column per code list the forms use, then notes on provisional lists; returns each list's absolute range
    for drop-downs."""
    lists: dict[str, CodeList] = {}
    for field in (f for form in forms for f in form.fields):
        if field.code_list is not None:
            lists.setdefault(field.code_list.name, field.code_list)
    ranges: dict[str, str] = {}
    # Printed as the data sheets are: landscape, one page wide (its note took a page of its own, cut mid-sentence).
    setup_print(ws, fit_pages_wide=1)
    # A list of codes has their names in the column after it (ZB04 alone told the filler nothing).
    columns: list[tuple[str, tuple[str, ...]]] = []
    for code_list in lists.values():
        letter = get_column_letter(len(columns) + 1)
        ranges[code_list.name] = f"{quote_sheetname(CODES_SHEET)}!${letter}$2:${letter}${1 + len(code_list.values)}"
        columns.append((code_list_heading(code_list), code_list.values))
        if code_list.names:
            columns.append((code_list.names_label, code_list.names))
    # As wide as the widest entry, names wrapping beyond CODES_NAME_WIDTH (the sheet prints one page wide).
    widths = [min(max(12, max(map(_display_width, (h, *values))) + 2), CODES_NAME_WIDTH) for h, values in columns]
    for column, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(column)].width = width
    notes = _codes_notes(list(lists.values()), forms)
    if notes:
        ws.column_dimensions[get_column_letter(len(columns) + 1)].width = CODES_NOTE_WIDTH
    ws.freeze_panes = "A2"
    labels = [heading for heading, _ in columns] + ([CODES_NOTE_HEADER] if notes else [])
    out = _RowWriter(ws)
    out.append([_cell(ws, label, font=_HEADER_FONT, fill=_HEADER_FILL, border=_BORDER) for label in labels])
    depth = max([len(values) for _, values in columns] + [len(notes)], default=0)
    for index in range(depth):
        values = [column[index] if index < len(column) else None for _, column in columns]
        cells = [
            _cell(ws, v, font=_BODY_FONT, alignment=_WRAP_TOP, number_format="@") if v is not None else None
            for v in values
        ]
        note = notes[index] if index < len(notes) else None
        if notes:
            cells.append(_cell(ws, note, font=_BODY_FONT, alignment=_WRAP_TOP) if note is not None else None)
        # A wrapped row is as high as its lines (neither Excel nor LibreOffice grows a row written without).
        height = wrapped_row_height([*values, note], [*widths, CODES_NOTE_WIDTH])
        out.append(cells, height=height if note is not None or height > wrapped_row_height((), ()) else None)
    return ranges


def _write_meta(ws: WriteOnlyWorksheet, book: WorkbookForm, scope: Scope | None) -> None:
    ws.sheet_state = "veryHidden"
    identity = [(META_FORM_KIND, book.kind), (META_FORM_VERSION, book.version)]
    if scope is not None:
        if scope.province_code is not None:
            identity.append((META_PROVINCE, scope.province_code))
        identity += [(META_SCOPE_KIND, scope.kind.value), (META_SCOPE_CODE, scope.code)]
    identity.append((META_ROUND, book.round_id))
    for key, value in identity:
        ws.append([key, _cell(ws, value, number_format="@")])


class _RowWriter:
    """Appends rows to a write-only sheet, keeping count of the row number (a height must be set before its row)."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.next_row = 1

    def append(self, cells: Sequence[object], *, height: float | None = None) -> int:
        row = self.next_row
        if height is not None:
            self.ws.row_dimensions[row].height = height
        self.ws.append(list(cells))
        self.next_row += 1
        return row

    def skip_to(self, row: int) -> None:
        while self.next_row < row:
            self.append([])


def _write_instructions(
    ws: WriteOnlyWorksheet, book: WorkbookForm, scope: Scope | None, scope_name: str | None
) -> None:
    headers = ("序号", "列名", "字段", "类型/单位", "是否必填", "填写说明", "校验规则")
    # Column A holds the identity rows' keys above the table (批准（备案）文号 printed cut at 10) and then 序号.
    widths = (17, 26, 18, 20, 9, 40, 62)
    for column, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(column)].width = width
    setup_print(ws, fit_pages_wide=1)
    out = _RowWriter(ws)

    def text(value: str, font: Font = _BODY_FONT) -> None:
        out.append([_cell(ws, value, font=font)])

    text(f"{book.title} 填表说明", _TITLE_FONT)
    first = book.sheets[0]
    identity: tuple[tuple[str, str], ...]
    if scope is not None:
        scope_rows: tuple[tuple[str, str], ...] = ()
        if scope.province_code is not None:
            own = scope.kind is ScopeKind.PROVINCE
            scope_rows = (
                ("省份", f"{scope.province_code} {scope_name if own else load_divisions().name(scope.province_code)}"),
            )
        if scope.is_central:
            scope_rows = (("报送渠道", f"{scope_name}（中央渠道，直接报国家档案局）"),)
        elif scope.kind is not ScopeKind.PROVINCE:
            scope_rows += (("填报范围", f"{scope.code} {scope_name}（{scope.kind.label}）"),)
        identity = (
            ("普查轮次", first.round_id),
            ("标准时点", f"{first.reference_date:%Y年%m月%d日}（{first.reference_date.isoformat()}）"),
            *scope_rows,
            ("表式版本", book.version),
            ("填报工作表", "、".join(book.sheet_names)),
        )
    else:
        identity = (
            ("适用范围", "全国（不分省份）"),
            ("表式版本", book.version),
            ("填报工作表", "、".join(book.sheet_names)),
        )
    if book.header is not None:
        identity += _statutory_identity(book)
    for key, value in identity:
        out.append([_cell(ws, key, font=_KEY_FONT), _cell(ws, value, font=_BODY_FONT, number_format="@")])
    sections = iter(_SECTION_NUMBERS)
    for form in book.sheets:
        out.append([])
        where = f"工作表「{form.sheet_name}」" if len(book.sheets) > 1 else ""
        text(f"{next(sections)}、{where}各列填写说明", _SECTION_FONT)
        header_row = out.append([_header_cell(ws, h) for h in headers])
        if form is first:
            # Print titles are a defined name written with the workbook, so they can be set after the rows.
            ws.print_title_rows = f"{header_row}:{header_row}"
        for index, field in enumerate(form.fields, 1):
            rules = "\n".join(
                f"【{r.severity.label}】{r.message}"
                for r in form.rules_for(field.name)
                if scope is None or rule_kind_applies(r.kind, scope)
            )
            values: tuple[object, ...] = (
                index,
                field.label,
                field.name,
                type_label_of(field),
                "是" if field.required else "否",
                field.description,
                rules,
            )
            cells = [_cell(ws, v, font=_BODY_FONT, border=_BORDER, alignment=_WRAP_TOP) for v in values]
            out.append(cells, height=wrapped_row_height(values, widths))

    if book.reference is not None:
        out.append([])
        text(f"{next(sections)}、{book.reference.title}", _SECTION_FONT)
        out.append([_header_cell(ws, h) for h in book.reference.headers])
        for row in book.reference.rows:
            cells = [_cell(ws, v, font=_BODY_FONT, border=_BORDER, alignment=_WRAP_TOP) for v in row]
            out.append(cells, height=wrapped_row_height(row, widths))

    out.append([])
    text(f"{next(sections)}、整表规则", _SECTION_FONT)
    # A rule shared by several sheets (the too-long cell) is listed once.
    whole = {r.rule_id: r for form in book.sheets for r in form.rules if r.field is None}
    for rule in whole.values():
        text(f"【{rule.severity.label}】{rule.message}")

    if scope is not None:
        out.append([])
        text(f"{next(sections)}、填报范围与重复计数", _SECTION_FONT)
        for note in _SCOPE_NOTES:
            text(note.format(scope=f"{scope_name}（{scope.kind.label}）"))

    out.append([])
    text(f"{next(sections)}、填报与提交", _SECTION_FONT)
    # Who the template is for: a division by its name and code, a channel by its name (its key is English).
    province = "全国" if scope is None else scope_name if scope.is_central else f"{scope_name}（{scope.code}）"
    for note in book.notes or _SUBMISSION_NOTES:
        # One short line per cell, overflowing into the empty cells to its right: no wrapping, no merged cells.
        text(
            note.format(
                sheet=first.sheet_name, first=FIRST_DATA_ROW, header=HEADER_ROW, province=province, version=book.version
            )
        )


def _statutory_identity(book: WorkbookForm) -> tuple[tuple[str, str], ...]:
    """The statutory marks of a statistical form, for the instructions (one 表号 per data sheet)."""
    header = book.header
    if header is None:
        return ()
    numbers = "；".join(f"「{sheet}」{number}" for sheet, number in header.form_numbers)
    marks: tuple[tuple[str, str], ...] = (
        ("表号", numbers),
        ("制定机关", header.authority),
        ("批准（备案）文号", header.approval),
        ("有效期至", header.valid_until),
    )
    if header.provisional:
        marks += (("统计标识", "以上为暂定标识，统计调查项目经批准或备案后更新。"),)
    return marks


# The data sheet column where the statutory marks start, right of the title.
_MARKS_COLUMN = 5


def _write_data_sheet(
    ws: WriteOnlyWorksheet,
    form: Form,
    province_name: str | None,
    version: str,
    rows: Iterable[Sequence[object]],
    code_ranges: dict[str, str],
    marks: str = "",
) -> None:
    fields = form.fields
    # Everything above the rows (widths, column styles, panes, print setup) must be set before the first append.
    for column, field in enumerate(fields, 1):
        dimension = ws.column_dimensions[get_column_letter(column)]
        dimension.width = field.width
        # Cells typed later into the prepared empty rows inherit the column's format (text keeps leading zeros).
        dimension.number_format = number_format_of(field)
    frozen = min(FROZEN_COLUMNS, len(fields) - 1)
    ws.freeze_panes = f"{get_column_letter(frozen + 1)}{FIRST_DATA_ROW}"
    total_width = sum(f.width for f in fields)
    title_width = sum(f.width for f in fields[:frozen])
    pages_wide = max(1, math.ceil((total_width - title_width) / (_UNITS_PER_PRINTED_PAGE - title_width)))
    setup_print(ws, fit_pages_wide=pages_wide)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    if frozen and pages_wide > 1:
        ws.print_title_cols = f"A:{get_column_letter(frozen)}"

    # Printed, every page is headed by the sheet's title (left) and the statutory marks (right, as on a paper
    # statistical form); the title row itself, whose marks overflow to the right, was cut at the first page's edge.
    ws.print_area = f"A{HEADER_ROW}:{get_column_letter(len(fields))}{EXCEL_MAX_ROW}"
    title_text = data_sheet_title(form, province_name, version)
    ws.oddHeader.left.text = title_text
    ws.oddHeader.left.size = 11
    ws.oddHeader.left.font = "-,Bold"
    if marks:
        ws.oddHeader.right.text = marks
        ws.oddHeader.right.size = 8
    out = _RowWriter(ws)
    out.skip_to(TITLE_ROW)
    title: list[object] = [_cell(ws, title_text, font=_TITLE_FONT)]
    if marks:
        column = min(_MARKS_COLUMN, len(fields))
        title += [None] * (column - 2) + [_cell(ws, marks, font=_BODY_FONT)]
    out.append(title)
    out.skip_to(HEADER_ROW)
    header_height = max(wrapped_row_height((f.label,), (f.width,)) for f in fields)
    out.append([_header_cell(ws, f.label) for f in fields], height=header_height)
    out.skip_to(FIRST_DATA_ROW)

    written = _append_rows(ws, fields, rows)
    last_row = FIRST_DATA_ROW + max(written, TEMPLATE_PREPARED_ROWS) - 1
    for column, field in enumerate(fields, 1):
        letter = get_column_letter(column)
        validation = _validation_for(form, field, code_ranges)
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
        # WriteOnlyWorksheet lacks add_data_validation; the list itself is written with the sheet's tail.
        ws.data_validations.append(validation)


def _append_rows(ws: WriteOnlyWorksheet, fields: Sequence[Field], rows: Iterable[Sequence[object]]) -> int:
    """Stream rows into the sheet with one reusable styled cell per column; returns how many were written."""
    # openpyxl writes each cell as it is yielded, so a column's cell object can be refilled for the next row; its
    # style is fixed once written, so formula-like text gets a quote-prefixed twin of its own.
    formats = [number_format_of(f) for f in fields]
    cells = [_cell(ws, None, font=_BODY_FONT, number_format=number_format) for number_format in formats]
    quoted: dict[int, WriteOnlyCell] = {}
    width = len(fields)
    count = 0
    for count, values in enumerate(rows, 1):
        if len(values) != width:
            raise ValueError(f"row {count} has {len(values)} values, the form has {width} fields")
        out: list[WriteOnlyCell | None] = []
        for index, value in enumerate(values):
            if value is None:
                out.append(None)
            elif looks_like_formula(value):
                if index not in quoted:
                    quoted[index] = _cell(ws, value, font=_BODY_FONT, number_format=formats[index])
                out.append(set_cell_value(quoted[index], value))
            else:
                # Not formula-like (checked above): stored as typed, so the hot loop skips the helper's second look.
                cells[index].value = value
                out.append(cells[index])
        ws.append(out)
    return count


# ------------------------------------------------------------------------------------------------------ validation


def _validation_for(form: Form, field: Field, code_ranges: dict[str, str]) -> DataValidation:
    """The Excel validation of a field's cells: a drop-down, a number range, a length limit, or only a prompt."""
    validation = DataValidation(
        allow_blank=True,
        showInputMessage=True,
        promptTitle=_clip(field.label, _PROMPT_TITLE_MAX),
        prompt=_clip(_prompt_of(field), _PROMPT_MAX),
        imeMode="off" if field.type in _IME_OFF_TYPES else None,
    )
    if field.code_list is not None:
        validation.type = "list"
        validation.formula1 = code_ranges[field.code_list.name]
    elif field.type in (FieldType.INTEGER, FieldType.DECIMAL):
        validation.type = "whole" if field.type is FieldType.INTEGER else "decimal"
        low = field.min_value if field.min_value is not None else 0
        validation.formula1 = _number(low)
        if field.max_value is not None:
            validation.operator = "between"
            validation.formula2 = _number(field.max_value)
        else:
            validation.operator = "greaterThanOrEqual"
    elif field.type is FieldType.DATE:
        validation.type = "date"
        validation.operator = "greaterThan"
        validation.formula1 = _FIRST_EXCEL_DATE
    elif field.max_length is not None and field.type in (FieldType.TEXT, FieldType.USCC, FieldType.PHONE):
        validation.type = "textLength"
        # A USCC has exactly 18 characters (its message says so): Excel stops a 17-character one too.
        validation.operator = "equal" if field.type is FieldType.USCC else "lessThanOrEqual"
        validation.formula1 = str(field.max_length)
    if validation.type is not None:
        messages = _messages_for(form.rules_for(field.name), _RULE_KINDS_FOR_VALIDATION[validation.type])
        validation.showErrorMessage = True
        validation.errorStyle = "stop"
        validation.errorTitle = _clip(f"{field.label}填写有误", _PROMPT_TITLE_MAX)
        validation.error = _clip("\n".join(messages) or f"「{field.label}」填写有误。", _ERROR_MAX)
    return validation


def _prompt_of(field: Field) -> str:
    need = "必填" if field.required else "可留空"
    if field.required and field.is_numeric:
        need = "必填，没有的填 0"
    return f"{field.description}\n{type_label_of(field)}；{need}。"


def _messages_for(rules: Iterable[Rule], kinds: tuple[str, ...]) -> list[str]:
    by_kind = {r.kind: r.message for r in rules}
    return [by_kind[k] for k in kinds if k in by_kind]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------------------------ cells, print


# Per workbook, the style index of each combination of style objects given to _cell: openpyxl hashes every style
# object again on every assignment (~25 % of writing a small return), so each combination is resolved once.
_RESOLVED_STYLES: WeakKeyDictionary[Workbook, dict[tuple[int, ...], tuple[StyleArray, tuple[object, ...]]]] = (
    WeakKeyDictionary()
)


def _cell(
    ws: WriteOnlyWorksheet,
    value: object,
    *,
    font: Font | None = None,
    fill: PatternFill | None = None,
    border: Border | None = None,
    alignment: Alignment | None = None,
    number_format: str | None = None,
) -> WriteOnlyCell:
    cell = set_cell_value(WriteOnlyCell(ws), value)
    styles = (font, fill, border, alignment, number_format)
    if all(style is None for style in styles):
        return cell
    resolved = _RESOLVED_STYLES.setdefault(ws.parent, {})
    key = tuple(map(id, styles))
    known = resolved.get(key)
    if known is not None:
        cell._style = copy(known[0])  # openpyxl's own way of copying a cell's style
        return cell
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    resolved[key] = (copy(cell._style), styles)  # the styles are kept, so their ids are not reused meanwhile
    return cell


def _header_cell(ws: WriteOnlyWorksheet, label: str) -> WriteOnlyCell:
    return _cell(ws, label, font=_HEADER_FONT, fill=_HEADER_FILL, border=_BORDER, alignment=_HEADER_ALIGNMENT)


def _display_width(text: str) -> float:
    """Approximate width in Excel column units of 10-point text."""
    return sum(_CJK_UNITS if ord(ch) >= 0x2E80 else 1.0 for ch in text)


def wrapped_row_height(values: Sequence[object], widths: Sequence[float]) -> float:
    """A row height in points that shows the wrapped text of every cell whole."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if value is None:
            continue
        usable = max(width - 1, 1)
        lines = max(lines, sum(max(1, math.ceil(_display_width(part) / usable)) for part in str(value).split("\n")))
    return lines * _POINTS_PER_LINE + 4
