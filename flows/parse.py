"""Parse a form's data sheet into typed rows, tolerant of what provinces really type."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import date, timedelta
from decimal import Decimal
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from openpyxl.utils import get_column_letter, range_boundaries

from census_schema import layout
from census_schema.census_form import CELL_MERGED, HEADER_ROW_REPEATED, ROW_HIDDEN, ROW_NEARLY_EMPTY, SHEET_ABSENT
from census_schema.clock import DAY_PATTERNS, missing_day
from census_schema.errors import WorkbookUnusable
from census_schema.failures import Failure, in_workbook_order, shorten_value
from census_schema.fields import (
    INVISIBLE_CHARS,
    LINE_BREAK_CHARS,
    Field,
    FieldType,
    Form,
    Rule,
    Severity,
    WorkbookForm,
    show_unseen,
)
from flows.measure import NO_FORMULAS, FormulaCounts, locate_uncomputed_formulas, read_hidden_sheets, read_sheet_list
from flows.reader import ErrorCell, ReadAhead, read_error_cells, read_raw_sheets
from flows.worker import ReaderWorker

T = TypeVar("T")
HEADER_SEARCH_ROWS = 30
# Excel's limit of characters in a cell: a cell may hold exactly this many, only a program writes more.
MAX_CELL_CHARS = 32_767
_LABEL_SPACES = re.compile(r"[\s\u3000]+")
# Cells of these types are codes: compared after NFKC (full-width to half-width), upper-cased, without spaces.
CODE_TYPES = (FieldType.USCC, FieldType.DIVISION, FieldType.PHONE)
# The rule that reports a cell its type cannot read, by field type.
# A number with its thousands grouped by commas or spaces (after NFKC: full-width commas and spaces are plain).
GROUPED_NUMBER = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$|^[+-]?\d{1,3}(?: \d{3})+(?:\.\d*)?$"
_TYPE_RULE_SUFFIX = {FieldType.INTEGER: "integer", FieldType.DECIMAL: "number", FieldType.DATE: "date"}


@dataclass(frozen=True)
class ParsedSheet:
    """Typed rows of a form's data sheet (one column per field, plus `sheet` and `excel_row`) and what could not be read."""

    rows: pl.DataFrame
    failures: list[Failure]
    header_row: int
    columns: dict[str, int]
    # The 0-based columns of header labels the form does not have, and those labels (their cells are not read).
    unread: dict[int, str]
    # The code cells read otherwise than typed (abc as ABC, a phone's spaces dropped): (Excel row, field) -> as typed.
    as_typed: dict[tuple[int, str], str] = dataclass_field(default_factory=dict)

    @property
    def row_count(self) -> int:
        """Number of data rows."""
        return self.rows.height


@dataclass(frozen=True)
class ParsedWorkbook:
    """Every data sheet of a workbook kind, parsed, by sheet name in the workbook's order."""

    sheets: dict[str, ParsedSheet]

    @property
    def row_count(self) -> int:
        """Number of data rows over all sheets."""
        return sum(sheet.row_count for sheet in self.sheets.values())

    def main_row_count(self, book: WorkbookForm) -> int:
        """Number of data rows of the workbook's own sheets, not counting supplementary ones (a census return's
        red-archive inventory and foot): the holders of a census return."""
        main = [form.sheet_name for form in book.sheets if not form.may_be_empty and form.sheet_name in self.sheets]
        return sum(self.sheets[name].row_count for name in main) if main else self.row_count

    @property
    def rows(self) -> dict[str, pl.DataFrame]:
        """The typed rows of each sheet."""
        return {name: sheet.rows for name, sheet in self.sheets.items()}

    @property
    def failures(self) -> list[Failure]:
        """What could not be read, over all sheets."""
        return [f for sheet in self.sheets.values() for f in sheet.failures]

    def shown_as_typed(self, failures: Sequence[Failure]) -> list[Failure]:
        """The failures with each code cell's value as the uploader typed it (the checks judge the cleaned value: abc
        is read as ABC, and 填报值 saying ABC sent the uploader looking for a cell that does not exist)."""
        shown = []
        for failure in failures:
            sheet = self.sheets.get(failure.sheet)
            typed = sheet.as_typed.get((failure.row, failure.field or "")) if sheet and failure.row else None
            shown.append(failure if typed is None else replace(failure, value=shorten_value(typed)))
        return shown

    @property
    def columns(self) -> dict[str, dict[str, int]]:
        """Sheet name -> field name -> 0-based column of the field in that sheet."""
        return {name: sheet.columns for name, sheet in self.sheets.items()}

    @property
    def unread(self) -> dict[str, dict[int, str]]:
        """Sheet name -> 0-based column -> header label the form does not have."""
        return {name: sheet.unread for name, sheet in self.sheets.items()}


def normalize_label(text: str) -> str:
    """A header label compared without whitespace and with half-width parentheses."""
    return _LABEL_SPACES.sub("", unicodedata.normalize("NFKC", text)).replace("(", "（").replace(")", "）")


@dataclass(frozen=True)
class _Header:
    """The header row found (0-based), each field's frame column, and the frame columns of labels not in the form."""

    index: int
    positions: dict[str, int]
    repeated: dict[str, list[int]]
    unknown: dict[int, str]


def _find_header(raw: pl.DataFrame, form: Form, file_name: str, absolute: list[int]) -> _Header:
    wanted = {normalize_label(f.label): f.name for f in form.fields}
    best = _Header(-1, {}, {}, {})
    for index, row in enumerate(raw.head(HEADER_SEARCH_ROWS).iter_rows()):
        header = _Header(index, {}, {}, {})
        for position, cell in enumerate(row):
            label = cell.strip() if cell else ""
            name = wanted.get(normalize_label(label)) if label else None
            if name is None:
                if label:
                    header.unknown[position] = label
            elif name in header.positions:
                header.repeated.setdefault(name, [header.positions[name]]).append(position)
            else:
                header.positions[name] = position
        if len(header.positions) > len(best.positions):
            best = header
    index, found, repeated = best.index, best.positions, best.repeated
    if len(found) < max(2, len(form.fields) // 3):
        raise WorkbookUnusable(
            f"在前 {HEADER_SEARCH_ROWS} 行中找不到「{form.title}」的表头行（例如「{form.fields[0].label}」「{form.fields[1].label}」）。",
            file=file_name,
            sheet=form.sheet_name,
            hint="请勿修改模板的列名；如表头被删除，请重新下载模板并粘贴数据。",
        )
    missing = [f.label for f in form.fields if f.name not in found and f.required]
    if missing:
        # A label renamed (「专职档案人员」 for 「专职档案人员（人）」): its column is there, under another name.
        renamed = [
            f"第 {get_column_letter(absolute[position] + 1)} 列的「{label}」应为「{like}」"
            for position, label in best.unknown.items()
            if (like := _closest_label(label, missing)) is not None
        ]
        said = f"（其中{'；'.join(renamed)}）" if renamed else ""
        if not renamed and best.unknown:
            # Renamed past recognition (「专职人员数」): the labels the form does not have are named, for the uploader
            # to see which one it was (the message named only what was missing).
            strays = [
                f"第 {get_column_letter(absolute[position] + 1)} 列「{label[:30]}」"
                for position, label in list(best.unknown.items())[:3]
            ]
            more = "等" if len(best.unknown) > 3 else ""
            said = f"；表头中另有本表没有的列：{'、'.join(strays)}{more}，如是改了名，请改回模板的列名"
        raise WorkbookUnusable(
            f"表头缺少 {len(missing)} 列：{'、'.join(missing[:8])}{'等' if len(missing) > 8 else ''}{said}。",
            file=file_name,
            sheet=form.sheet_name,
            row=index + 1,
            hint="请勿删除或改名模板中的列；"
            + ("请把改动过的列名改回模板的原样后重新上传。" if said else "请在最新模板中补齐这些列后重新上传。"),
        )
    if repeated:  # the first label given twice; the uploader fixes one at a time
        name, places = next(iter(repeated.items()))
        letters = "、".join(get_column_letter(absolute[p] + 1) for p in places)
        raise WorkbookUnusable(
            f"表头中「{form.field(name).label}」出现了 {len(places)} 次（第 {letters} 列），无法确定以哪一列的数据为准。",
            file=file_name,
            sheet=form.sheet_name,
            row=index + 1,
            hint="请只保留一列（删除复制出来的列，或把数据合并到一列）后重新上传。",
        )
    return best


# What a cell may hold around its value, or instead of one, that nobody sees as anything: spaces, tabs, line breaks.
_EDGE_SPACE = " \t\r\n\u3000\u00a0"
# What offices type in a number's cell for "none": told to write 0 (or leave it blank, where blank is allowed).
_NONE_WORDS = frozenset({"无", "没有", "空", "-", "--", "—", "——", "－", "/", "／", "\\", "N/A", "NA"})


def _clean_text(expr: pl.Expr, field: Field) -> pl.Expr:
    expr = expr.str.strip_chars(_EDGE_SPACE)
    if field.type in CODE_TYPES:
        expr = expr.str.normalize("NFKC").str.to_uppercase().str.replace_all(r"[\s,，]", "")
    if field.is_numeric:
        # Separators go only where they group thousands (1,234 or 1 234 567.5): "1,0" or "0,5" stays as typed, so
        # it is reported as unreadable instead of being read as 10 or 5.
        expr = expr.str.normalize("NFKC").str.to_uppercase()
        expr = pl.when(expr.str.contains(GROUPED_NUMBER)).then(expr.str.replace_all(r"[\s,]", "")).otherwise(expr)
    if field.type in CODE_TYPES:
        # Codes typed as numbers come back from Excel as "440106.0" (a number reads the same either way, and this
        # regular expression was the costliest step of parsing when run on every numeric column).
        expr = expr.str.replace(r"^(\d+)\.0+$", "${1}")
    if field.type is FieldType.DATE:
        # Date cells come back as "2024-03-05 00:00:00" (the time dropped); typed ones are read as the platform reads
        # any day a person types (census_schema.clock.DAY_PATTERNS).
        # A time after the day, spaced or ISO's (2025-02-04T00:00, as programs write it), is dropped too.
        expr = expr.str.normalize("NFKC").str.replace(r"(?:\s|T\d).*$", "")
        for pattern, replacement in DAY_PATTERNS:
            expr = expr.str.replace_all(pattern, replacement)
    return pl.when(expr == "").then(None).otherwise(expr)


# Integers from 2^63 up cannot be held in Int64: such a cell is out of range (its field's range rule says so).
_INT64_LIMIT = 2.0**63


# A number typed (or pasted as text) in scientific notation, 2.70E+05: what Excel shows of 269836 in a narrow cell,
# copied as text, its digits lost. A number cell never reads so (the reader writes its value out in full).
SCIENTIFIC = r"^[+-]?(?:\d+\.?\d*|\.\d+)E[+-]?\d+$"


def _typed(expr: pl.Expr, field: Field) -> pl.Expr:
    if field.is_numeric:
        expr = pl.when(expr.str.to_uppercase().str.contains(SCIENTIFIC)).then(None).otherwise(expr)
    if field.type is FieldType.DECIMAL:
        # Float64 reads "inf", "Infinity" and "NaN" (and overflows "1e400" to inf): none is a figure of a form.
        number = expr.cast(pl.Float64, strict=False)
        return pl.when(number.is_finite()).then(number).otherwise(None)
    if field.type is FieldType.INTEGER:
        # Digits are read as they are: through Float64, 9007199254740993 would become ...992. Another form of a whole
        # number (1234.0) goes through Float64, within Int64's range only (Float64 casts beyond it wrap).
        exact = expr.cast(pl.Int64, strict=False)
        number = expr.cast(pl.Float64, strict=False)
        whole = (number == number.round(0)) & (number.abs() < _INT64_LIMIT)
        return pl.coalesce(exact, pl.when(whole).then(number).otherwise(None).cast(pl.Int64, strict=False))
    if field.type is FieldType.DATE:
        # %Y takes a year of one to three digits too: 25-3-3 would be the year 25, not 2025.
        full_year = expr.str.contains(r"^\d{4}-")
        return pl.when(full_year).then(expr.str.strptime(pl.Date, "%Y-%m-%d", strict=False)).otherwise(None)
    return expr


# A note written below the table, in one cell: 注：…, 注1：…, 说明：… (the template says it is not read).
_NOTE_ROW = re.compile(r"(?:注|说明|备注|附注|填表说明|填报说明)[0-9０-９一二三四五六七八九十]*[：:．.、]")
_ALL_SPACES = re.compile(r"\s+")


def _drop_blank_and_total_rows(frame: pl.DataFrame, form: Form) -> pl.DataFrame:
    """The rows with any cell of the form's filled (a row of spaces looks empty and is), without the notes below the
    table and the 合计 row above them."""
    fields = list(form.field_names)
    # The cells of a row joined, then stripped: half the time of stripping each cell (33 against 72 ms, 100,000 rows).
    non_empty = frame.filter(pl.concat_str(fields, ignore_nulls=True).str.strip_chars(_EDGE_SPACE) != "")
    end = non_empty.height
    while end and _is_note_row([non_empty[c][end - 1] for c in fields]):
        end -= 1
    if end and _is_total_row(non_empty.row(end - 1, named=True), fields):
        end -= 1
    # A 合计 row may also head the table, as statistical tables often put it (it gave ten errors, one a cell).
    start = 1 if end and _is_total_row(non_empty.row(0, named=True), fields) else 0
    return non_empty.slice(start, end - start)


def _is_total_row(row: dict[str, Any], fields: list[str]) -> bool:
    """Whether the row's first filled cell (of its first three) says 合计 or 总计 (spaces of any width, a colon)."""
    first_values = [row[c] for c in fields[:3] if row[c] is not None]
    return bool(first_values) and _ALL_SPACES.sub("", str(first_values[0])).rstrip("：:") in layout.TOTAL_ROW_MARKERS


def _is_note_row(cells: list[str | None]) -> bool:
    """One cell filled, with a note (注：…)."""
    filled = [cell for cell in cells if cell is not None and cell.strip()]
    return len(filled) == 1 and _NOTE_ROW.match(_ALL_SPACES.sub("", filled[0])) is not None


def parse_form_sheet(path: Path, form: Form, *, file_name: str | None = None) -> ParsedSheet:
    """Read the form's sheet: find the header by label, type every cell, and locate what cannot be read."""
    name = file_name or path.name
    raw = read_raw_sheets(path, [form.sheet_name], name).get(form.sheet_name)
    if raw is None:
        raise missing_sheet(form, name, read_sheet_names(path, name))
    return parse_raw_frame(*raw, form, name)


def parse_workbook(
    path: Path,
    book: WorkbookForm,
    *,
    file_name: str | None = None,
    worker: ReaderWorker | None = None,
    read_ahead: ReadAhead | None = None,
    formulas: FormulaCounts = NO_FORMULAS,
    holders_may_be_empty: bool = False,
    merged: Mapping[str, list[str]] | None = None,
    hidden_rows: Mapping[str, list[int]] | None = None,
) -> ParsedWorkbook:
    """Read every data sheet of a workbook kind; a sheet may be empty only where the kind allows it (not all), and
    the first (the holders) with `holders_may_be_empty`: a scope's return giving up all its holders, which the flow
    allows only in place of a current return (`require_holders`).

    The sheets' text comes from `read_ahead` (read with the identity), else from the reader (calamine, native code)
    run in `worker`, a bounded process (uploads), else in this one (trusted files, tests). Typing happens here.
    """
    name = file_name or path.name
    if read_ahead is not None and read_ahead.error is not None:
        raise read_ahead.error

    def read(function: Callable[[Path, list[str], str], T]) -> T:
        """`function` over the workbook's data sheets, in the worker when there is one."""
        names = list(book.sheet_names)
        if worker is not None:
            return worker.call(function, path, names, name, file_name=name)
        return function(path, names, name)

    raw = read_ahead.sheets if read_ahead is not None and read_ahead.sheets is not None else read(read_raw_sheets)
    # The measurement counted cells holding Excel error values, or formulas with no saved result: where are they?
    failed: dict[str, list[ErrorCell]] = read(read_error_cells) if formulas.failed else {}
    uncomputed = read(locate_uncomputed_formulas) if formulas.uncomputed else {}
    hidden = [sheet for sheet in read_hidden_sheets(path, name) if sheet in raw]
    sheets = {}
    for form in book.sheets:
        loaded = raw.get(form.sheet_name)
        if loaded is None:
            found = read_sheet_names(path, name)
            optional = form.may_be_empty and not form.requires_rows
            if not (optional and set(found) <= {*book.sheet_names, *TEMPLATE_OWN_SHEETS}):
                raise missing_sheet(form, name, found)
            sheets[form.sheet_name] = _absent_sheet(form, name)
            continue
        try:
            sheets[form.sheet_name] = parse_raw_frame(
                *loaded,
                form,
                name,
                allow_empty=book.sheets_optional
                or form.may_be_empty
                or (holders_may_be_empty and form is book.sheets[0]),
                errors=failed.get(form.sheet_name, []),
                uncomputed=uncomputed.get(form.sheet_name, []),
                merged=(merged or {}).get(form.sheet_name, []),
                hidden_rows=(hidden_rows or {}).get(form.sheet_name, []),
            )
        except WorkbookUnusable:
            if form is book.sheets[0]:  # an empty main sheet: its rows may be on a sheet of the uploader's own
                _refuse_data_on_another_sheet(path, name, book, worker)
            raise
    for form in book.sheets:
        if form.sheet_name not in raw:
            sheets[form.sheet_name] = _absent_but_needed(book, sheets, form.sheet_name)
    # A hidden data sheet with rows is refused (an empty one, hidden rather than deleted, loads nothing unseen).
    holding = [sheet for sheet in hidden if sheets[sheet].row_count]
    if holding:
        raise hidden_sheet(holding[0], name)
    if not sheets[book.sheets[0].sheet_name].row_count:
        _refuse_data_on_another_sheet(path, name, book, worker)
    parsed = ParsedWorkbook(sheets)
    if parsed.row_count == 0:
        raise WorkbookUnusable(
            f"工作表「{'」「'.join(book.sheet_names)}」中都没有数据行。",
            file=name,
            hint="请在表头下方逐行填写数据后再上传。",
        )
    return parsed


# The sheets of a template (and of its returned report) besides the data sheets: a workbook holding no other sheet
# has not renamed the data sheet it lacks (the identity sheet is never listed).
TEMPLATE_OWN_SHEETS = (layout.INSTRUCTIONS_SHEET, layout.CODES_SHEET, layout.ERRORS_SHEET, layout.DROPPED_SHEET)


def _absent_sheet(form: Form, file_name: str) -> ParsedSheet:
    """A sheet of a form that may be empty, deleted from the workbook: read as an empty one (typed as any other),
    with a warning; it has no cells to mark."""
    header = pl.DataFrame({f"column_{i}": [f.label] for i, f in enumerate(form.fields)})
    empty = parse_raw_frame(header, list(range(len(form.fields))), form, file_name, allow_empty=True)
    rule = form.rules_by_id[SHEET_ABSENT.rule_id]
    warning = Failure(form.sheet_name, None, None, None, None, rule.rule_id, rule.severity, rule.message)
    return ParsedSheet(empty.rows, [warning], 0, {}, {})


def _absent_but_needed(book: WorkbookForm, sheets: dict[str, ParsedSheet], absent: str) -> ParsedSheet:
    """A deleted sheet that other rows need (a holder reporting 革命历史档案 has a row in the red-archive inventory):
    its warning becomes an error saying how many need it. The deletion was accepted, and the replaced return's
    inventory went with it, unasked, among a hundred warnings of rows missing from it."""
    sheet = sheets[absent]
    for other in book.sheets:
        for rule in other.rules:
            when = rule.params.get("when_positive")
            if rule.kind != "key_in_sheet" or rule.params.get("sheet") != absent or not when:
                continue
            rows = sheets[other.sheet_name].rows
            needing = rows.filter(pl.sum_horizontal([pl.col(name) for name in when]) > 0).height
            if not needing:
                continue
            labels = "、".join(f"「{other.field(name).label}」" for name in when)
            message = (
                f"工作簿中没有「{absent}」表（多半是被删除了），而「{other.sheet_name}」中有 {needing:,} 个单位填报了"
                f"{labels}，它们须在「{absent}」中逐行填报；缺了这张表，本表若被接收，所替换报表中的这部分内容会一并清空。"
                "请从平台下载最新模板（或打开上次报送的工作簿）取回该表，填好后重新上传。"
            )
            (warning,) = sheet.failures
            return replace(sheet, failures=[replace(warning, severity=Severity.ERROR, message=message)])
    return sheet


def _merged_cells(merged: list[str], data_rows: set[int], columns: dict[str, int], form: Form) -> list[Failure]:
    """An error at the top-left cell of each merge that covers data rows in the form's columns: only that cell holds
    the merge's value, so the others read as empty (their own checks say so). Merges in the title, the header, a
    total row or columns the form does not read pass."""
    rule = form.rules_by_id[CELL_MERGED.rule_id]
    fields = {column + 1: name for name, column in columns.items()}
    failures = []
    for ref in merged:
        first_col, first_row, last_col, last_row = range_boundaries(ref)
        covered = [fields[c] for c in range(first_col, last_col + 1) if c in fields]
        if (first_col, first_row) == (last_col, last_row) or not covered:
            continue
        if not any(row in data_rows for row in range(first_row, last_row + 1)):
            continue
        rows = _rows_phrase(first_row, last_row)
        message = rule.param("detail").format(range=ref, rows=rows)
        label = form.field(covered[0]).label
        failures.append(
            Failure(form.sheet_name, first_row, covered[0], label, None, rule.rule_id, rule.severity, message)
        )
    return failures


def _hidden_data_rows(form: Form, hidden_rows: Sequence[int], data_rows: set[int]) -> list[Failure]:
    """A warning at the first row of each run of hidden data rows (rows hidden but empty, or not read, pass): they
    count, yet nobody looking at the sheet sees them."""
    rule = form.rules_by_id[ROW_HIDDEN.rule_id]
    runs: list[list[int]] = []
    for row in sorted(set(hidden_rows) & data_rows):
        if runs and row == runs[-1][-1] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return [
        Failure(
            form.sheet_name,
            run[0],
            None,
            None,
            None,
            rule.rule_id,
            rule.severity,
            rule.param("detail").format(
                rows=_rows_phrase(run[0], run[-1]) + (f"（共 {len(run)} 行）" if len(run) > 1 else "")
            ),
        )
        for run in runs
    ]


def _rows_phrase(first: int, last: int) -> str:
    """第 5 行, or 第 5～7 行."""
    return f"第 {first} 行" if first == last else f"第 {first}～{last} 行"


def read_sheet_names(path: Path, file_name: str) -> list[str]:
    """The names of the workbook's sheets as its workbook part lists them (the identity sheet left out)."""
    return [sheet for sheet in read_sheet_list(path, file_name) if sheet != layout.META_SHEET]


def _sheet_key(name: str) -> str:
    """A sheet name as compared for a near miss: full-width forms folded (NFKC), spaces of any width dropped."""
    return _LABEL_SPACES.sub("", unicodedata.normalize("NFKC", name))


def _refuse_data_on_another_sheet(path: Path, file_name: str, book: WorkbookForm, worker: ReaderWorker | None) -> None:
    """WorkbookUnusable when the main sheet has no data rows while a sheet the template lacks holds rows under the
    main sheet's labels: the data was pasted onto a new sheet, which is not read (the return read as empty, and its
    uploader was offered to confirm dropping every holder). The other sheets are read as the data sheets are, in the
    bounded worker when there is one."""
    main = book.sheets[0]
    known = {*book.sheet_names, *TEMPLATE_OWN_SHEETS}
    others = [sheet for sheet in read_sheet_names(path, file_name) if sheet not in known]
    if not others:
        return
    labels = {_LABEL_SPACES.sub("", field.label) for field in main.fields}
    read = (
        worker.call(read_raw_sheets, path, others, file_name, file_name=file_name)
        if worker is not None
        else read_raw_sheets(path, others, file_name)
    )
    for sheet, (raw, _) in read.items():
        filled = [row for row in raw.iter_rows() if any(cell is not None and str(cell).strip() for cell in row)]
        header = next(
            (
                at
                for at, row in enumerate(filled)
                if len({_LABEL_SPACES.sub("", str(c)) for c in row if c} & labels) >= 3
            ),
            None,
        )
        if header is None or len(filled) - header - 1 <= 0:
            continue
        raise WorkbookUnusable(
            f"「{main.sheet_name}」中没有数据行，而工作表「{sheet}」在与之相同的表头下有 {len(filled) - header - 1:,} 行："
            f"平台只读取模板中的「{main.sheet_name}」等工作表，不读「{sheet}」。",
            file=file_name,
            sheet=sheet,
            hint=f"请把这些行复制到「{main.sheet_name}」的表头下方（或删去空的「{main.sheet_name}」，再把「{sheet}」"
            f"改名为「{main.sheet_name}」），然后重新上传。",
        )


def hidden_sheet(sheet: str, file_name: str) -> WorkbookUnusable:
    """The refusal of a workbook whose data sheet holding rows is hidden: it is read all the same, and what it holds is
    often an old copy kept out of sight while the edits went into another sheet."""
    return WorkbookUnusable(
        f"工作表「{sheet}」被隐藏了。平台只读取名为「{sheet}」的工作表（隐藏的也照读），不读其他工作表；被隐藏的往往是"
        "不再使用的旧表，而修改做在了另一张表里，照读会报送旧的数据。",
        file=file_name,
        sheet=sheet,
        hint=f"请右键任一工作表标签 →“取消隐藏”，核对「{sheet}」中就是要报送的数据；修改做在另一张表（如「{sheet} (2)」）里的，"
        f"请删除旧表，把那张表改名为「{sheet}」，再重新上传。",
    )


def missing_sheet(form: Form, file_name: str, found: list[str]) -> WorkbookUnusable:
    """The refusal of a workbook without the form's sheet: the sheets it has (quoted, so a stray space shows) and,
    when one differs from the expected name only by spaces or full-width forms, which one and how to rename it."""
    expected = form.sheet_name
    listed = f"（工作簿中的工作表：{''.join(f'「{sheet}」' for sheet in found)}）" if found else ""
    near = [sheet for sheet in found if _sheet_key(sheet) == _sheet_key(expected)]
    if near:
        return WorkbookUnusable(
            f"工作簿中没有名为「{expected}」的工作表{listed}；其中「{near[0]}」与「{expected}」只差空格或全角/半角字符，"
            "平台按名称查找工作表，认不出它。",
            file=file_name,
            hint=f"请双击工作表标签，把「{near[0]}」改名为「{expected}」（删去多余的空格，用模板中的写法）后重新上传。",
        )
    return WorkbookUnusable(
        f"工作簿中没有名为「{expected}」的工作表{listed}。",
        file=file_name,
        hint=f"工作表的名称须与模板一致：改过名的，请把它改回「{expected}」；删除了的，请重新下载模板，把数据粘贴进去后重新上传。",
    )


def parse_raw_frame(
    raw: pl.DataFrame,
    absolute: list[int],
    form: Form,
    file_name: str,
    *,
    allow_empty: bool = False,
    errors: list[ErrorCell] | None = None,
    uncomputed: list[ErrorCell] | None = None,
    merged: list[str] | None = None,
    hidden_rows: Sequence[int] = (),
) -> ParsedSheet:
    """Type a sheet read as text (`absolute`: each frame column's 0-based column) and locate what cannot be read,
    including the formula cells the text gives as empty: those holding an Excel error value (`errors`, by frame
    column) and those with no saved result (`uncomputed`, by the sheet's column); warn of data rows the sheet hides
    (`hidden_rows`, Excel's numbers)."""
    header = _find_header(raw, form, file_name, absolute)
    header_index, positions = header.index, header.positions
    columns = {field: absolute[pos] for field, pos in positions.items()}
    raw_columns = raw.columns
    selected = [
        (pl.col(raw_columns[positions[f.name]]) if f.name in positions else pl.lit(None, pl.Utf8)).alias(f.name)
        for f in form.fields
    ]
    # The Excel row of each data row, computed in the same pass that picks the form's columns.
    excel_row = _excel_rows_below(header_index).alias("excel_row")
    text = raw.slice(header_index + 1).select(excel_row, *selected)
    text = _drop_blank_and_total_rows(text, form)
    if text.height > form.max_rows:
        raise WorkbookUnusable(
            f"数据有 {text.height} 行，超过单份报表上限 {form.max_rows} 行，不像是一个省的普查数据。",
            file=file_name,
            sheet=form.sheet_name,
            hint="请确认表中只有本省的普查对象、没有误粘贴其他数据；如确有这么多，请联系国家档案局。",
        )
    if text.height == 0 and not allow_empty:
        raise _no_data_rows(form, file_name, header_index + 1)
    plain = _plain_number_columns(text, form)
    repeats = _repeated_header_rows(text, form, plain)
    if repeats:  # one error for each such row, which is not read: its cells are labels, not data
        text = text.filter(~pl.col("excel_row").is_in(repeats))
    stray = _nearly_empty_rows(text, form, columns)
    if stray:  # likewise one error for each stray entry, which is not read
        text = text.filter(~pl.col("excel_row").is_in([failure.row for failure in stray]))
    invisible = _locate_invisible(text, form, plain)
    data_rows = set(text["excel_row"].to_list()) if merged or hidden_rows else set()
    failures = (
        _header_repeated(form, repeats, header_index + 1)
        + (_merged_cells(merged, data_rows, columns, form) if merged else [])
        + stray
        + (_hidden_data_rows(form, hidden_rows, data_rows) if hidden_rows else [])
        + _locate_unreadable(text, form)
        + invisible
        + _formula_cells(text, form, positions, errors or [], "cell_formula_error")
        + _formula_cells(text, form, positions, _by_frame_column(uncomputed or [], absolute), "cell_formula_uncomputed")
        + _unread_columns(raw, header, form, absolute, repeats)
    )
    cleaned = text.with_columns(
        _clean_text(pl.col(f.name), f).alias(f.name) for f in form.fields if f.name not in plain
    )
    # A cell too long to keep (reported above) is typed as empty; one pass over the cleaned columns.
    typed = cleaned.with_columns(
        _typed(pl.when(pl.col(f.name).str.len_chars() > MAX_CELL_CHARS).then(None).otherwise(pl.col(f.name)), f).alias(
            f.name
        )
        for f in form.fields
    )
    # A cell holding invisible characters has that error only (its marks show what else it holds), not its type's.
    failures += _type_failures(cleaned, typed, text, form, {(f.field, f.row) for f in invisible})
    rows = typed.select(*form.field_names, pl.lit(form.sheet_name).alias("sheet"), "excel_row")
    unread = {absolute[position]: label for position, label in header.unknown.items()}
    codes = [f.name for f in form.fields if f.type in CODE_TYPES and f.name not in plain]
    return ParsedSheet(
        rows, in_workbook_order(failures, [form]), header_index + 1, columns, unread, _as_typed(text, cleaned, codes)
    )


def _as_typed(text: pl.DataFrame, cleaned: pl.DataFrame, names: Sequence[str]) -> dict[tuple[int, str], str]:
    """The cells of these columns whose cleaned value differs from the text read: (Excel row, field) -> the text."""
    typed: dict[tuple[int, str], str] = {}
    for name in names:
        # A code typed into a number cell comes back as "440106.0": it was typed as 440106.
        shown = text.get_column(name).str.replace(r"^(\d+)\.0+$", "${1}")
        differs = shown.is_not_null() & shown.ne_missing(cleaned.get_column(name))
        picked = pl.DataFrame({"row": text.get_column("excel_row"), "typed": shown}).filter(differs)
        typed.update(((row, name), value) for row, value in picked.iter_rows())
    return typed


def _excel_rows_below(header_index: int) -> pl.Expr:
    """The Excel row number of each row of a frame sliced just below the header (at 0-based `header_index`)."""
    return pl.int_range(pl.len(), dtype=pl.Int64) + (header_index + 2)


def _no_data_rows(
    form: Form, file_name: str, header_row: int, repeated_header_rows: Sequence[int] = ()
) -> WorkbookUnusable:
    """The refusal of a sheet that must have rows and has none (below its header, nothing or only the header again)."""
    if repeated_header_rows:
        rows = "、".join(str(row) for row in repeated_header_rows)
        below, hint = f"其下只有重复的表头行：第 {rows} 行", "请删除重复的表头行，在表头下方逐行填写数据后再上传。"
    else:
        below, hint = "其下为空", "请在表头下方逐行填写数据后再上传。"
    return WorkbookUnusable(
        f"「{form.sheet_name}」中没有数据行（表头在第 {header_row} 行，{below}）。",
        file=file_name,
        sheet=form.sheet_name,
        hint=hint,
    )


# Characters whose NFKC form holds a CJK unified ideograph (U+4E00-U+9FFF): supplementary and Kangxi radicals,
# kanbun marks, enclosed and compatibility ideographs (all of them in Unicode 14, as tests/flows/test_repeated_header
# checks). Besides the ideograph itself, the only characters by which a cell can read as a label holding it.
_IDEOGRAPH_SOURCES = (
    r"[\u2E80-\u2FDF\u3038-\u303A\u3190-\u319F\u3200-\u33FF\uF900-\uFAFF\U0001F200-\U0001F2FF\U0002F800-\U0002FA1F]"
)
# A data row repeats the header when at least this many of its cells are their own column's label, and they are more
# than half of its filled cells (_repeated_header_rows says why).
MIN_REPEATED_LABELS = 2


def _label_anchor(field: Field, label: str) -> str | None:
    """A character that a cell reading as the field's `label` (normalized) must hold, or one whose NFKC form is it:
    an ideograph of the label (NFKC leaves ideographs as they are) that no code of the field's list holds, so that
    its valid codes never pass (「是否配备…」 for 是 / 否). None for a label without such an ideograph."""
    codes = "".join(field.code_list.values) if field.code_list is not None else ""
    ideographs = [c for c in label if "\u4e00" <= c <= "\u9fff" and c not in codes]
    return ideographs[-1] if ideographs else None


def _repeated_header_rows(text: pl.DataFrame, form: Form, plain: set[str]) -> list[int]:
    """The Excel rows of data rows that repeat the header: at least two of their cells equal their own column's
    label, as the header row is found (normalize_label), and those are more than half of their filled cells.

    Two, since one cell that reads as its label (「备注」 under 备注) is an odd value, better reported where it is;
    more than half, not all, since the header pasted may be an older template's (a few labels since renamed) or carry
    a note in a cell; a row half data, half labels is data, each cell judged as such.

    Only the cells of a few rows are compared as labels, those two cheap tests leave: a column whose every cell reads
    as a number (`plain`) holds ASCII only, which no label with an ideograph is, so a row whose filled cells are
    mostly in such columns (every row of a good return) cannot qualify; of the others, a row must have two cells that
    hold their label's anchor (_label_anchor) or a character whose NFKC form is an ideograph.
    """
    if text.height == 0:
        return []
    labels = {f.name: normalize_label(f.label) for f in form.fields}
    anchors = {f.name: _label_anchor(f, labels[f.name]) for f in form.fields}
    open_ = [name for name in labels if anchors[name] is None or name not in plain]
    filled = pl.sum_horizontal(pl.col(name).is_not_null() for name in labels)
    may_be = pl.sum_horizontal(pl.col(name).is_not_null() for name in open_)
    rows = text.filter((may_be >= MIN_REPEATED_LABELS) & (2 * may_be > filled))
    if rows.height == 0:
        return []
    holds = pl.sum_horizontal(
        pl.col(name).str.contains(f"{anchor}|{_IDEOGRAPH_SOURCES}").fill_null(False)
        if (anchor := anchors[name]) is not None
        else pl.col(name).is_not_null()
        for name in open_
    )
    candidates = rows.filter(holds >= MIN_REPEATED_LABELS).select("excel_row", *labels)
    repeats = []
    for excel_row, *cells in candidates.iter_rows():
        filled_cells = [(name, cell) for name, cell in zip(labels, cells, strict=True) if cell and cell.strip()]
        matches = sum(normalize_label(cell) == labels[name] for name, cell in filled_cells)
        if matches >= MIN_REPEATED_LABELS and 2 * matches > len(filled_cells):
            repeats.append(excel_row)
    return repeats


def _header_repeated(form: Form, excel_rows: list[int], header_row: int) -> list[Failure]:
    """A row failure for each data row that repeats the header, naming the header's row."""
    if not excel_rows:
        return []
    rule = form.rules_by_id[HEADER_ROW_REPEATED.rule_id]
    message = rule.param("detail").format(header_row=header_row)
    return [Failure(form.sheet_name, row, None, None, None, rule.rule_id, rule.severity, message) for row in excel_rows]


def _nearly_empty_rows(text: pl.DataFrame, form: Form, columns: Mapping[str, int]) -> list[Failure]:
    """A row failure for each data row with at most a cell or two filled, in a form that requires many, naming its
    cells (H20：5); none for a form of few required columns, whose short rows are rows."""
    rule = form.rules_by_id.get(ROW_NEARLY_EMPTY.rule_id)  # declared only on forms requiring many columns
    if rule is None or text.height == 0:
        return []
    names = form.field_names
    # Counting the cells that are there is cheap on every row; only the few rows it leaves are looked at.
    few = text.filter(pl.sum_horizontal(pl.col(name).is_not_null() for name in names) <= rule.param("max_cells"))
    failures = []
    for excel_row, *cells in few.select("excel_row", *names).iter_rows():
        given = [
            f"{get_column_letter(columns[name] + 1)}{excel_row}：{shorten_value(cell.strip())}"
            for name, cell in zip(names, cells, strict=True)
            if cell and cell.strip() and name in columns
        ]
        if given:  # cells of spaces only are not counted (a row of nothing else is no row: see above)
            message = rule.param("detail").format(count=len(given), cells="，".join(given))
            failures.append(Failure(form.sheet_name, excel_row, None, None, None, rule.rule_id, rule.severity, message))
    return failures


def require_holders(parsed: ParsedWorkbook, book: WorkbookForm, file_name: str) -> None:
    """Refuse a workbook parsed with `holders_may_be_empty` whose first sheet (the holders) has no rows."""
    form = book.sheets[0]
    sheet = parsed.sheets[form.sheet_name]
    if sheet.row_count == 0 and not (book.sheets_optional or form.may_be_empty):
        repeated = [f.row for f in sheet.failures if f.rule == HEADER_ROW_REPEATED.rule_id and f.row is not None]
        raise _no_data_rows(form, file_name, sheet.header_row, repeated)


def _plain_number_columns(text: pl.DataFrame, form: Form) -> set[str]:
    """Numeric fields whose every filled cell already reads as a number: they skip the text clean-up.

    Cleaning (NFKC, upper case, separators) turns "１,２３４" into 1234; a cell that reads as a number without it
    reads the same with it, so a column of plain numbers (nearly every numeric column of a real return) is typed as
    it is. One cell that does not read as a number sends its whole column through the clean-up, as before.
    """
    numeric = [f.name for f in form.fields if f.is_numeric]
    if not numeric or text.height == 0:
        return set(numeric)
    unread = text.select(
        (pl.col(name).is_not_null() & pl.col(name).cast(pl.Float64, strict=False).is_null()).any().alias(name)
        for name in numeric
    ).row(0, named=True)
    return {name for name, has_text in unread.items() if not has_text}


def _locate_unreadable(text: pl.DataFrame, form: Form) -> list[Failure]:
    rule = form.rules_by_id["cell_too_long"]
    failures = []
    for field in form.fields:
        long_rows = text.filter(pl.col(field.name).str.len_chars() > MAX_CELL_CHARS)
        for excel_row, value in long_rows.select("excel_row", field.name).iter_rows():
            failures.append(_cell_failure(form, field, excel_row, shorten_value(value), rule))
    return failures


def _cell_failure(form: Form, field: Field, excel_row: int, shown: str | None, rule: Rule) -> Failure:
    """A failure of a rule located on one cell of the form's sheet, with the value as shown in the report."""
    return Failure(
        form.sheet_name, excel_row, field.name, field.label, shown, rule.rule_id, rule.severity, rule.message
    )


def _invisible(field: Field) -> pl.Expr:
    """True on a cell holding a character no one sees (a line break or tab inside a short field or a number; at
    either end they are trimmed like spaces); the cells too long to read are reported once, as such."""
    cell = pl.col(field.name)
    found = cell.str.contains(INVISIBLE_CHARS)
    if not field.is_multiline:
        found = found | cell.str.strip_chars(_EDGE_SPACE).str.contains(LINE_BREAK_CHARS)
    return (found & (cell.str.len_chars() <= MAX_CELL_CHARS)).fill_null(False)


def _locate_invisible(text: pl.DataFrame, form: Form, plain: set[str]) -> list[Failure]:
    """A failure for each cell holding invisible characters, located in one pass over the columns that may hold
    them: all but the number columns whose every cell reads as a number (`plain`: ASCII, nothing hidden)."""
    fields = [f for f in form.fields if f.name not in plain]
    if not fields or text.height == 0:
        return []
    rule = form.rules_by_id["cell_invisible_chars"]
    flags = text.select("excel_row", *(_invisible(f).alias(f.name) for f in fields))
    hit = [f for f, any_hit in zip(fields, flags.select(pl.exclude("excel_row").any()).row(0), strict=True) if any_hit]
    failures = []
    for field in hit:
        rows = text.filter(flags[field.name]).select("excel_row", field.name)
        for excel_row, value in rows.iter_rows():
            failures.append(_cell_failure(form, field, excel_row, show_unseen(shorten_value(value) or ""), rule))
    return failures


def _by_frame_column(cells: list[ErrorCell], absolute: list[int]) -> list[ErrorCell]:
    """Cells located by the sheet's column, located by the frame's column instead (those the frame holds)."""
    frame_column = {column: index for index, column in enumerate(absolute)}
    return [(row, frame_column[column], shown) for row, column, shown in cells if column in frame_column]


def _formula_cells(
    text: pl.DataFrame, form: Form, positions: dict[str, int], errors: list[ErrorCell], rule_id: str
) -> list[Failure]:
    """A failure of `rule_id` for each data cell of a field among `errors` (located by frame column)."""
    rule = form.rules_by_id[rule_id]
    fields = {position: form.field(name) for name, position in positions.items()}
    rows = set(text["excel_row"].to_list()) if errors else set()
    return [
        Failure(form.sheet_name, row + 1, field.name, field.label, shown, rule.rule_id, rule.severity, rule.message)
        for row, column, shown in errors
        if (field := fields.get(column)) is not None and row + 1 in rows
    ]


def _unread_columns(
    raw: pl.DataFrame, header: _Header, form: Form, absolute: list[int], repeated_header_rows: list[int]
) -> list[Failure]:
    """A warning for each column below a label the form does not have that holds data: its cells are not read.

    Where the label looks like one of the form's labels missing from the header (「备注说明」 for 「备注」), the
    warning names it, since that column's data is then what the uploader meant to give. A header row pasted again
    among the data (its own error) is not data: its label in such a column is not counted.
    """
    if not header.unknown:
        return []
    rule = form.rules_by_id["column_not_in_form"]
    names = raw.columns
    below = raw.slice(header.index + 1)
    if repeated_header_rows:
        below = below.filter(~_excel_rows_below(header.index).is_in(repeated_header_rows))
    # The filled cells below each unknown label, counted in one pass over those columns.
    counts = below.select(
        pl.col(names[p]).str.strip_chars().str.len_chars().gt(0).sum().alias(str(p)) for p in header.unknown
    ).row(0)
    missing = [f.label for f in form.fields if f.name not in header.positions]
    failures = []
    for (position, label), filled in zip(header.unknown.items(), counts, strict=True):
        if not filled:
            continue
        letter = get_column_letter(absolute[position] + 1)
        where = f"第 {letter} 列有 {filled} 个填写的单元格，"
        like = _closest_label(label, missing)
        message = where + (
            f"但列名不是本表模板中的列名，这一列的数据没有读入；如它就是模板中的「{like}」列，请把列名改为「{like}」后"
            "重新上传，如是自己添加的辅助列，可不理会。"
            if like
            else "但" + rule.message
        )
        failures.append(
            Failure(form.sheet_name, header.index + 1, None, label, None, rule.rule_id, rule.severity, message)
        )
    return failures


def _closest_label(label: str, labels: list[str]) -> str | None:
    """The label in `labels` that `label` most resembles (one contains the other, or most characters in order);
    None when none is close, or when two are equally close (「合议」 for 「合议分」 or 「合议说明」: not a guess)."""
    typed = normalize_label(label)
    scored = sorted(
        (
            (1.0 if wanted in typed or typed in wanted else SequenceMatcher(None, typed, wanted).ratio(), candidate)
            for candidate in labels
            if (wanted := normalize_label(candidate))
        ),
        reverse=True,
    )
    if not scored or scored[0][0] < 0.6 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


# Excel counts days from 1899-12-30 (its serial 1 is 1900-01-01, after the 1900 leap day it wrongly has).
EXCEL_EPOCH = date(1899, 12, 30)


def excel_serial_day(text: str) -> date | None:
    """The day an Excel date serial (a date cell formatted as a number: 45692) stands for, when the text is one of a
    plausible day (1950 to 2099); None otherwise."""
    found = re.fullmatch(r"(\d{5})(?:\.0+)?", text)
    if found is None:
        return None
    day = EXCEL_EPOCH + timedelta(days=int(found.group(1)))
    return day if 1950 <= day.year <= 2099 else None


# A number written with 万 or 亿, or followed by a unit (0.3万, 1.2亿卷, 3000 件, 12GB): what it stands for can be said.
NUMBER_WITH_WORDS = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(万|亿)?\s*([A-Za-z\u4e00-\u9fff]{0,4})")
MAGNITUDES = {"万": 10_000, "亿": 100_000_000}


def number_with_words(value: str, *, whole: bool) -> str | None:
    """What a number written with 万 or 亿 or a unit means, and what to write instead: 「0.3万」即 3000：请只填写数字
    3000; None for anything else. A `whole` field's number that is not whole is said to be so."""
    match = NUMBER_WITH_WORDS.fullmatch(value)
    if match is None or not (match[2] or match[3]):
        return None
    number = Decimal(match[1]) * MAGNITUDES.get(match[2] or "", 1)
    shown = format(number.normalize(), "f")
    if whole and number != number.to_integral_value():
        return f"「{value}」即 {shown}，不是整数：请填写准确的整数（只填数字，单位已在表头中）。"
    return f"「{value}」即 {shown}：请只填写数字 {shown}（单位已在表头中，不用填写）。"


def _type_failures(
    cleaned: pl.DataFrame,
    typed: pl.DataFrame,
    text: pl.DataFrame,
    form: Form,
    reported: set[tuple[str | None, int | None]],
) -> list[Failure]:
    """A failure for each cell of a number or date field its type cannot read, but those already `reported`
    (field, Excel row)."""
    failures = []
    excel_rows = text["excel_row"]
    for field in form.fields:
        if field.type not in _TYPE_RULE_SUFFIX:
            continue
        type_rule = form.rules_by_id[f"{field.name}_{_TYPE_RULE_SUFFIX[field.type]}"]
        range_rule = form.rules_by_id.get(f"{field.name}_range", type_rule)
        raw = text[field.name]
        bad = (
            cleaned[field.name].is_not_null() & typed[field.name].is_null() & (raw.str.len_chars() <= MAX_CELL_CHARS)
        ).arg_true()
        if bad.len() == 0:
            continue
        # A whole number too large to hold (1e19, 1e308) is out of range, not "not a whole number"; the range rule
        # (GX) sees no value there, so its failure is reported here, once.
        number = cleaned[field.name].gather(bad).cast(pl.Float64, strict=False)
        too_large = (number.is_finite() & (number.abs() >= _INT64_LIMIT)).fill_null(False).to_list()
        read = cleaned[field.name].gather(bad).to_list()
        for excel_row, value, large, typed_day in zip(
            excel_rows.gather(bad).to_list(), raw.gather(bad).to_list(), too_large, read, strict=True
        ):
            if (field.name, excel_row) in reported:
                continue
            scientific = re.fullmatch(SCIENTIFIC, value.strip(_EDGE_SPACE).upper()) is not None
            rule = range_rule if large and field.type is FieldType.INTEGER and not scientific else type_rule
            failure = _cell_failure(form, field, excel_row, shorten_value(value), rule)
            if scientific:
                failure = replace(
                    failure,
                    message=f"{failure.message}「{value.strip(_EDGE_SPACE)}」是科学计数法写法（多半是从显示成这样的"
                    "单元格复制来的），其后几位数字可能已丢失：请填写完整的数字。",
                )
            elif field.type is FieldType.DATE and (day := excel_serial_day(value.strip(_EDGE_SPACE))) is not None:
                failure = replace(
                    failure,
                    message=f"{failure.message}「{value.strip(_EDGE_SPACE)}」像是 Excel 的日期序号（即 {day:%Y-%m-%d}）："
                    f"请把该单元格设为日期格式，或直接填写 {day:%Y-%m-%d}。",
                )
            elif field.type is FieldType.DATE and (why := missing_day(typed_day)) is not None:
                failure = replace(
                    failure, message=f"{failure.message}「{value.strip(_EDGE_SPACE)}」是日历上没有的日期：{why}。"
                )
            elif field.is_numeric and value.strip(_EDGE_SPACE).upper() in _NONE_WORDS:
                none = "没有的请填 0。" if field.required else "没有的请填 0 或留空。"
                failure = replace(failure, message=f"{failure.message}{none}")
            elif field.is_numeric and (
                meant := number_with_words(value.strip(_EDGE_SPACE), whole=field.type is FieldType.INTEGER)
            ):
                failure = replace(failure, message=f"{failure.message}{meant}")
            failures.append(failure)
    return failures
