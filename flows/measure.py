"""Measure a workbook before any spreadsheet reader touches it: real inflated sizes, sheet extents, cells and rows.

Nothing here trusts what the zip or the XML says about itself. Each member is inflated by our own loop from its
local header (the sizes written in the zip are compared, never believed), counting the bytes as they come and
stopping as soon as a limit is passed. The head of every XML member goes through expat with handlers that refuse a
DTD or an entity declaration (XXE, "billion laughs"): a document type can only stand before the root element, so
after the root's start tag the rest of the member is only counted, at C speed: `<c` start tags (cells) and `<row`
start tags (rows) of every worksheet, with the namespace prefix the member really uses. A worksheet's declared
extent (`<dimension ref>`) is held to the same limits, because calamine allocates the whole extent up front.

What this cannot see cheaply (e.g. a cell reference far beyond its row's position) is left to the bounded reader
worker (`flows/worker.py`): the measurement gives clear refusals for the known attacks, the worker contains the rest.
"""

from __future__ import annotations

import html
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, NamedTuple, TypeVar
from xml.etree import ElementTree
from xml.parsers import expat

from census_schema.errors import WorkbookUnusable
from census_schema.settings import Settings
from flows.package import hidden_sheets, read_sheets, sheets_of

T = TypeVar("T")

LOGGER = logging.getLogger(__name__)
CHUNK = 1 << 20
READ_CHUNK = 1 << 16
LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
LOCAL_MAGIC = b"PK\x03\x04"
MAX_ZIP_ENTRIES = 5_000
# Members smaller than this are never considered bombs, whatever their ratio.
BOMB_RATIO_FLOOR_BYTES = 8 * 1024 * 1024
# How much of an XML member expat reads to find its root element (and a worksheet's <dimension>) at most.
MAX_HEAD_BYTES = 4 * 1024 * 1024
XML_SUFFIXES = (".xml", ".rels", ".vml")
WORKSHEET_ROOTS = ("worksheet", "chartsheet", "dialogsheet", "macrosheet")
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
_ROW_NUMBER = re.compile(rb'\sr="([0-9]+)"')
# The type attribute of a cell holding an Excel error value, as Excel, WPS, LibreOffice and openpyxl write it.
ERROR_CELL = b' t="e"'
# How a cell ends when its formula has no saved result (a workbook written by a program and never opened in Excel:
# openpyxl writes `<f>…</f><v />`, others `<f>…</f>` alone): an empty element or a formula closing the cell. Excel,
# WPS and LibreOffice save every formula's result, so their workbooks count none; an empty value without a formula
# counts too, harmlessly (the cells are then looked for, and none is found). Each pattern costs a pass over the
# sheet's XML (~0.2 s for 100,000 rows), hence two.
UNCOMPUTED_ENDS = ("</{p}f></{p}c>", "/></{p}c>")
# The same ends in a sheet written indented (`<sheetData>` followed by white space: some programs write one element a
# line): counted by this pattern instead, a regular expression's pass paid by such sheets only.
_SPACED_UNCOMPUTED_END = re.compile(rb"(?:</(?:\w+:)?f>|/>)\s*</(?:\w+:)?c\s*>")
# A merged cell range of a worksheet, and how many of a sheet's are kept (each one over data rows is an error).
MERGE_MARK = b"mergeCell "
_MERGE_CELL = re.compile(
    rb"<(?:\w+:)?mergeCell\s[^<>]*?\bref\s*=\s*[\"']([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)[\"']"
)
MAX_MERGES = 1_000
# A row hidden in the sheet (hidden, filtered out, folded in a group): Excel, WPS and openpyxl write hidden="1",
# LibreOffice hidden="true" (and hidden="false" on every other row). The marks are a cheap test per chunk (a hidden
# column has one too); the row tags are matched only in chunks that hold one, the tail of the chunk before included.
HIDDEN_MARKS = (b'hidden="1"', b'hidden="true"')
_HIDDEN_ROW = re.compile(
    rb"<(?:\w+:)?row\b(?=[^<>]*\shidden\s*=\s*[\"'](?:1|true)[\"'])[^<>]*?\sr\s*=\s*[\"']([0-9]{1,7})[\"']"
)
# A cell's reference (`<c r="AY1067"`), matched only in a sheet whose declared extent is over the limits: LibreOffice,
# once rows are deleted, declares the sheet's last row (A1:AY1048576) and writes two empty rows there.
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^<>]*?\sr\s*=\s*[\"']([A-Z]{1,3})([0-9]{1,7})[\"']")
# Bytes of a chunk kept to count or match a tag split across it and the next: longer than any tag counted or
# matched, prefix included (a row tag as LibreOffice writes it, with its seven attributes, is ~150 bytes).
TAIL_BYTES = 2048
TEMPLATE_HINT = "请从平台下载最新模板（与所报内容和填报范围相应的那一份），按模板填写后重新上传。"
SAVE_AS_HINT = "请在 Excel 或 WPS 中打开它，选择“另存为 → Excel 工作簿（*.xlsx）”后重新上传，最好直接使用平台模板。"
# Workbooks an archive may hold instead of being one (a zip of returns sent by mail).
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods")
REOPEN_HINT = "请在 Excel 中打开，另存为新的 .xlsx 工作簿（最好直接使用平台模板）后重新上传。"


@dataclass
class SheetMeasure:
    """What one worksheet member holds: its declared extent and the cells and rows counted in its XML."""

    part: str
    dimension: str | None = None
    extent_rows: int = 0
    extent_columns: int = 0
    cells: int = 0
    rows: int = 0
    last_row: int = 0
    # A declared extent over the limits, judged by where the cells are instead (`_CELL_REF`).
    extent_over: bool = False
    # Cells holding an Excel error value (a formula that failed: #DIV/0!, #REF!...), which a reader gives as empty.
    error_cells: int = 0
    # Cells that may hold a formula with no saved result (UNCOMPUTED_ENDS), which a reader also gives as empty.
    uncomputed_cells: int = 0
    # Merged cell ranges (`<mergeCell ref>`, after the sheet's data), as written: "B4:B6" (at most MAX_MERGES).
    merged: list[str] = field(default_factory=list)
    # The numbers of the rows hidden in the sheet, ascending.
    hidden_rows: list[int] = field(default_factory=list)


@dataclass
class WorkbookMeasure:
    """The measured workbook: real inflated bytes of all members and each worksheet's counts."""

    members: int
    inflated_bytes: int
    sheets: list[SheetMeasure] = field(default_factory=list)
    # The merged ranges of each sheet that has any, by the sheet's tab name.
    merged: dict[str, list[str]] = field(default_factory=dict)
    # The hidden rows of each sheet that has any, by the sheet's tab name.
    hidden_rows: dict[str, list[int]] = field(default_factory=dict)

    @property
    def formulas(self) -> FormulaCounts:
        """Cells whose formula failed or may have no saved result, over all worksheets."""
        return FormulaCounts(
            sum(sheet.error_cells for sheet in self.sheets), sum(sheet.uncomputed_cells for sheet in self.sheets)
        )


class FormulaCounts(NamedTuple):
    """What the measurement counted of formulas a reader gives as empty: failed ones, and ones maybe not computed."""

    failed: int = 0
    uncomputed: int = 0


NO_FORMULAS = FormulaCounts()


class _Refused(Exception):
    """Raised inside expat handlers to stop parsing with a reason."""


class _SheetRefused(Exception):
    """A worksheet part refused (its extent, its size): `measure_workbook` names the sheet by its tab name."""

    def __init__(self, part: str, message: str, hint: str = REOPEN_HINT) -> None:
        super().__init__(message)
        self.part, self.message, self.hint = part, message, hint

    def naming(self, sheet: str | None, file_name: str) -> WorkbookUnusable:
        """The refusal located on the sheet (by tab name), or on "a sheet" when its name cannot be read."""
        message = self.message if sheet else f"工作簿中的一个工作表：{self.message}"
        return WorkbookUnusable(message, file=file_name, sheet=sheet, hint=self.hint)


def _refuse(file_name: str, message: str, hint: str = REOPEN_HINT) -> WorkbookUnusable:
    return WorkbookUnusable(message, file=file_name, hint=hint)


def _part_refused(info: zipfile.ZipInfo, file_name: str, said: str) -> Exception:
    """A part refused for what `said` says of it: a worksheet's named by its tab (measure_workbook reads it), another
    part by its path (a probe read 部件 xl/worksheets/sheet2.xml and did not know it was 普查表)."""
    if info.filename.startswith("xl/worksheets/"):
        return _SheetRefused(info.filename, f"该工作表{said}")
    return _refuse(file_name, f"工作簿内部部件 {info.filename} {said}")


def column_number(letters: str) -> int:
    """1 for A, 26 for Z, 27 for AA, 16384 for XFD."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def parse_dimension(ref: str) -> tuple[int, int] | None:
    """(last row, last column) of a `<dimension ref>` such as `A1:AS100002` or `B3`; None when it is not one."""
    ends = ref.strip().upper().split(":")
    if not 1 <= len(ends) <= 2:
        return None
    matches = [_REF.match(end) for end in ends]
    if not all(matches):
        return None
    rows = [int(m.group(2)) for m in matches if m]
    columns = [column_number(m.group(1)) for m in matches if m]
    return max(rows), max(columns)


class _Head:
    """Expat over the head of one XML member: refuses a DTD, finds the root, a worksheet's prefix and dimension."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate()
        self.root: str | None = None
        self.prefix = ""
        self.dimension: str | None = None
        self.encoding: str | None = None
        self.done = False
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._entity
        self.parser.XmlDeclHandler = self._declaration
        self.parser.StartElementHandler = self._start

    def _doctype(self, *_: object) -> None:
        raise _Refused("文档类型声明（DOCTYPE）")

    def _entity(self, *_: object) -> None:
        raise _Refused("实体声明（ENTITY）")

    def _declaration(self, _version: str, encoding: str | None, _standalone: int) -> None:
        self.encoding = encoding

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        prefix, _, local = name.rpartition(":")
        if self.root is None:
            self.root, self.prefix = local, f"{prefix}:" if prefix else ""
            if local not in WORKSHEET_ROOTS:
                self.done = True
        elif local == "dimension":
            self.dimension = attributes.get("ref")
        elif local == "sheetData":
            self.done = True

    def feed(self, data: bytes) -> None:
        """Parse the next bytes of the member (stop feeding once `done`)."""
        try:
            self.parser.Parse(data, False)
        except expat.ExpatError:
            # After the root and (for a worksheet) before sheetData, an error is the reader's to report; a refusal
            # here would also refuse files calamine reads well. Only a DTD or entity is ours to refuse.
            self.done = True


def _indented_after(buffer: bytes, tag: bytes) -> bool | None:
    """Whether white space follows the start tag `tag` in buffer (None while the tag is not whole in it)."""
    start = buffer.find(tag)
    end = buffer.find(b">", start) if start >= 0 else -1
    if end < 0 or end + 1 >= len(buffer):
        return None
    return buffer[end + 1 : end + 2].isspace()


class _Counter:
    """Counts `<c` and `<row` start tags of a worksheet body across chunk boundaries.

    Two plain byte counts per chunk (~0.3 s for a 200 MB sheet of 100,000 rows): `<c` also matches the few `<col`,
    `<cfRule` and similar tags of a sheet, so the cell count is a slight over-estimate, never an under-estimate.
    """

    def __init__(self, prefix: str, *, locating: bool = False) -> None:
        tag = f"<{prefix}".encode()
        # Locating: the last row and column holding a cell are read from the cells' references (a regular
        # expression's pass, paid only by a sheet whose declared extent is over the limits).
        self.locating = locating
        self.last_cell_row = 0
        self.last_cell_column = 0
        self.cell_tag, self.row_tag = tag + b"c", tag + b"row"
        self.tail = b""
        self.cells = 0
        self.rows = 0
        self.errors = 0
        self.uncomputed_ends = tuple(end.format(p=prefix).encode() for end in UNCOMPUTED_ENDS)
        self.uncomputed = 0
        self.sheet_data_tag = tag + b"sheetData"
        self.indented: bool | None = None  # whether the sheet's rows are written indented (None: not seen yet)
        self.last_row_tag = b""
        self.merged: list[str] = []
        self.hidden_rows: set[int] = set()

    def feed(self, chunk: bytes) -> None:
        """Count the tags that end in this chunk (a tag split across chunks is counted once)."""
        buffer = self.tail + chunk
        self.cells += buffer.count(self.cell_tag) - self.tail.count(self.cell_tag)
        self.rows += buffer.count(self.row_tag) - self.tail.count(self.row_tag)
        self.errors += buffer.count(ERROR_CELL) - self.tail.count(ERROR_CELL)
        if self.indented is None:
            self.indented = _indented_after(buffer, self.sheet_data_tag)
        if self.indented:
            self.uncomputed += sum(1 for end in _SPACED_UNCOMPUTED_END.finditer(buffer) if end.end() > len(self.tail))
        else:
            self.uncomputed += sum(buffer.count(end) - self.tail.count(end) for end in self.uncomputed_ends)
        if MERGE_MARK in buffer:
            # Merged ranges follow the data (`<mergeCells>` after `</sheetData>`): a cheap test per chunk, a regex
            # only over the few chunks that hold them. A range already whole in the tail was taken with its chunk.
            for found in _MERGE_CELL.finditer(buffer):
                if found.end() > len(self.tail) and len(self.merged) < MAX_MERGES:
                    self.merged.append(found.group(1).decode())
        if any(mark in buffer for mark in HIDDEN_MARKS):
            self.hidden_rows.update(int(found.group(1)) for found in _HIDDEN_ROW.finditer(buffer))
        if self.locating:  # a reference in the tail is matched again: the maxima do not mind
            for found in _CELL_REF.finditer(buffer):
                self.last_cell_row = max(self.last_cell_row, int(found.group(2)))
                self.last_cell_column = max(self.last_cell_column, column_number(found.group(1).decode()))
        start = buffer.rfind(self.row_tag)
        if start >= 0:
            end = buffer.find(b">", start)
            self.last_row_tag = buffer[start : end if end >= 0 else start + 200]
        self.tail = buffer[-TAIL_BYTES:]

    @property
    def last_row(self) -> int:
        """The `r` of the last row tag seen (rows are written in order); when locating, of the last row holding a
        cell (an empty row tag makes no cell to read)."""
        if self.locating:
            return self.last_cell_row
        match = _ROW_NUMBER.search(self.last_row_tag)
        return int(match.group(1)) if match else 0


def _iter_inflated(
    handle: BinaryIO, info: zipfile.ZipInfo, file_size: int, file_name: str
) -> Iterator[tuple[bytes, int]]:
    """The member's real content with the compressed bytes read so far, inflated from its local header.

    Neither the declared sizes nor the declared compressed size are trusted: a deflate stream ends where it ends.
    """
    handle.seek(info.header_offset)
    header = handle.read(LOCAL_HEADER.size)
    if len(header) < LOCAL_HEADER.size or header[:4] != LOCAL_MAGIC:
        raise _refuse(file_name, f"工作簿内部部件 {info.filename} 的位置信息已损坏，文件可能不完整。")
    fields = LOCAL_HEADER.unpack(header)
    flags, method, name_length, extra_length = fields[2], fields[3], fields[9], fields[10]
    if flags & 0x1:
        raise _refuse(file_name, f"工作簿内部部件 {info.filename} 被加密，平台无法读取。")
    remaining = file_size - (info.header_offset + LOCAL_HEADER.size + name_length + extra_length)
    handle.seek(name_length + extra_length, 1)
    if method == zipfile.ZIP_STORED:
        # A stored member is as long as the zip says, and no longer than the file: it cannot be a bomb.
        left = min(info.compress_size, max(remaining, 0))
        consumed = 0
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                break
            left -= len(data)
            consumed += len(data)
            yield data, consumed
        return
    if method != zipfile.ZIP_DEFLATED:
        raise _refuse(file_name, f"工作簿内部部件 {info.filename} 使用了不支持的压缩方式（{method}）。")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    consumed = 0
    while not inflater.eof:
        pending = inflater.unconsumed_tail
        if not pending:
            if remaining <= 0:
                break
            pending = handle.read(min(READ_CHUNK, remaining))
            if not pending:
                break
            remaining -= len(pending)
            consumed += len(pending)
        try:
            data = inflater.decompress(pending, CHUNK)
        except zlib.error:
            raise _refuse(file_name, f"工作簿内部部件 {info.filename} 的压缩数据已损坏。") from None
        if data:
            yield data, consumed
    if not inflater.eof:
        raise _refuse(file_name, f"工作簿内部部件 {info.filename} 的压缩数据不完整，文件可能被截断。")


def measure_workbook(path: Path, file_name: str, settings: Settings) -> WorkbookMeasure:
    """Inflate every member once, counting; refuse the file at the first limit passed (a located WorkbookUnusable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        # The library's words (English: "File is not a zip file") go to the log and, with --debug, the traceback.
        LOGGER.info("%s is not a readable zip: %s", file_name, error)
        raise _refuse(
            file_name,
            "文件已损坏或不完整（缺少工作簿的目录部分，多半是下载、复制或传输时被截断），无法作为工作簿打开。",
            "请重新保存或重新下载后再上传；通过邮件或网盘传输时请确认文件完整。",
        ) from error
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        inside = sorted(PurePosixPath(name).name for name in names if name.lower().endswith(_WORKBOOK_SUFFIXES))
        if inside:
            listed = "、".join(inside[:5]) + (f" 等 {len(inside)} 个" if len(inside) > 5 else "")
            raise _refuse(
                file_name,
                f"这是一个压缩包，不是 Excel 工作簿：压缩包中有 {len(inside)} 个工作簿（{listed}）。",
                "请先解压，再把工作簿逐个上传（一次上传一个）。",
            )
        raise _refuse(file_name, "这是一个压缩包，但不是 Excel 工作簿。", TEMPLATE_HINT)
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _refuse(file_name, f"工作簿包含 {len(entries)} 个内部部件，远超正常数量，平台拒绝处理。")
    _refuse_active_content(names, file_name)
    measure = WorkbookMeasure(len(entries), 0)
    file_size = path.stat().st_size
    with path.open("rb") as handle:
        for info in entries:
            if info.is_dir():
                continue
            try:
                sheet = _measure_member(handle, info, file_size, file_name, settings, measure)
            except _SheetRefused as refused:
                raise refused.naming(sheet_name_of(path, refused.part), file_name) from None
            if sheet is not None:
                measure.sheets.append(sheet)
    if any(sheet.merged or sheet.hidden_rows for sheet in measure.sheets):
        tabs = {part: name for name, (_, part) in read_sheet_list(path, file_name).items()}
        measure.merged = {tabs[s.part]: s.merged for s in measure.sheets if s.merged and s.part in tabs}
        measure.hidden_rows = {tabs[s.part]: s.hidden_rows for s in measure.sheets if s.hidden_rows and s.part in tabs}
    return measure


def read_sheet_list(path: Path, file_name: str) -> dict[str, tuple[str, str]]:
    """`read_sheets` of a workbook whose size was checked, refused as damaged when its sheet list cannot be read."""
    return _read_package(path, file_name, read_sheets)


def read_hidden_sheets(path: Path, file_name: str) -> list[str]:
    """`hidden_sheets` of a workbook whose size was checked, refused as damaged when its sheet list cannot be read."""
    return _read_package(path, file_name, hidden_sheets)


def _read_package(path: Path, file_name: str, read: Callable[[zipfile.ZipFile], T]) -> T:
    try:
        with zipfile.ZipFile(path) as archive:
            return read(archive)
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError) as error:
        LOGGER.info("the sheet list of %s cannot be read: %r", file_name, error)
        raise _refuse(file_name, "工作簿的工作表目录无法读取，文件可能已损坏。") from error


# How much of the workbook part and its relationships is read to name a refused sheet (they are a few KB).
MAX_SHEET_LIST_BYTES = 1 << 20


def sheet_name_of(path: Path, part: str) -> str | None:
    """The tab name of the sheet a worksheet part holds, from the workbook part and its relationships; None when they
    cannot be read within a small bound (they may not have been measured yet) or do not name it."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = []
            for member in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
                with archive.open(member) as opened:
                    data = opened.read(MAX_SHEET_LIST_BYTES + 1)
                if len(data) > MAX_SHEET_LIST_BYTES or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
                    return None
                parts.append(data)
            sheets = sheets_of(parts[0], parts[1])
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error, ElementTree.ParseError):
        return None
    return next((name for name, (_, target) in sheets.items() if target == part), None)


def _refuse_active_content(names: set[str], file_name: str) -> None:
    """Macros and links to other workbooks are refused: a return is data, and linked values may be stale."""
    if any(PurePosixPath(name).name.lower() == "vbaproject.bin" for name in names):
        raise _refuse(
            file_name,
            "工作簿包含宏（VBA 代码，.xlsm），平台只接收不含宏的 .xlsx 工作簿。",
            "请在 Excel 中选择“另存为 → Excel 工作簿（*.xlsx）”去掉宏后重新上传，最好直接使用平台模板。",
        )
    if any(name.lower().startswith("xl/externallinks/") for name in names):
        raise _refuse(
            file_name,
            "工作簿引用了其他工作簿的数据（外部链接），这些数值可能不是最新的，平台拒绝处理。",
            "请在 Excel 中选择“数据 → 编辑链接 → 断开链接”，确认数值无误并保存后重新上传。",
        )


def _measure_member(
    handle: BinaryIO,
    info: zipfile.ZipInfo,
    file_size: int,
    file_name: str,
    settings: Settings,
    measure: WorkbookMeasure,
) -> SheetMeasure | None:
    is_xml = info.filename.lower().endswith(XML_SUFFIXES) or info.filename == "[Content_Types].xml"
    head = _Head() if is_xml else None
    counter: _Counter | None = None
    sheet: SheetMeasure | None = None
    inflated = 0
    for chunk, consumed in _iter_inflated(handle, info, file_size, file_name):
        inflated += len(chunk)
        measure.inflated_bytes += len(chunk)
        _check_size(info, inflated, consumed, measure.inflated_bytes, file_name, settings)
        body = chunk
        if head is not None and not head.done:
            try:
                head.feed(chunk)
            except _Refused as refused:
                raise _part_refused(
                    info, file_name, f"含有{refused}，这是外部实体或实体膨胀攻击的常见手段，平台拒绝处理。"
                ) from None
            if not head.done and inflated > MAX_HEAD_BYTES:
                head.done = True
            if not head.done:
                continue
            if head.root in WORKSHEET_ROOTS:
                sheet = _start_sheet(info.filename, head, file_name, settings)
                counter = _Counter(head.prefix, locating=sheet.extent_over)
            # The whole chunk is counted: the head holds no cell or row tags before sheetData.
        if counter is not None and sheet is not None:
            counter.feed(body)
            _check_counts(sheet, counter, file_name, settings)
    if head is not None and head.root in WORKSHEET_ROOTS and sheet is None:
        # A worksheet so short (or so broken) that its head never ended: its extent is still checked.
        sheet = _start_sheet(info.filename, head, file_name, settings)
    if counter is not None and sheet is not None:
        sheet.cells, sheet.rows, sheet.last_row = counter.cells, counter.rows, counter.last_row
        sheet.error_cells, sheet.uncomputed_cells = counter.errors, counter.uncomputed
        sheet.merged = counter.merged
        sheet.hidden_rows = sorted(counter.hidden_rows)
        _check_counts(sheet, counter, file_name, settings)
        _check_extent(sheet, counter, settings)
    if inflated != info.file_size:
        raise _part_refused(
            info,
            file_name,
            f"声明的大小（{info.file_size:,} 字节）与实际解压大小（{inflated:,} 字节）不符，文件可能被篡改或损坏。",
        )
    return sheet


def _check_size(
    info: zipfile.ZipInfo, inflated: int, consumed: int, total: int, file_name: str, settings: Settings
) -> None:
    if total > settings.max_uncompressed_bytes:
        limit = settings.max_uncompressed_bytes / 1073741824
        raise _refuse(
            file_name,
            f"工作簿解压后超过 {limit:.1f} GB 的上限（在部件 {info.filename} 处停止计数），可能是异常文件（压缩炸弹），平台拒绝处理。",
        )
    ratio = inflated / max(consumed, 1)
    if inflated > BOMB_RATIO_FLOOR_BYTES and ratio > settings.max_compression_ratio:
        raise _part_refused(
            info, file_name, f"的压缩比异常（超过 {settings.max_compression_ratio} 倍），可能是压缩炸弹，平台拒绝处理。"
        )


def _start_sheet(part: str, head: _Head, file_name: str, settings: Settings) -> SheetMeasure:
    if head.encoding and head.encoding.replace("-", "").lower() != "utf8":
        raise _SheetRefused(part, f"使用了 {head.encoding} 编码，平台只接收 Excel 保存的 UTF-8 工作表。")
    sheet = SheetMeasure(part, head.dimension)
    if head.dimension is None:
        return sheet
    extent = parse_dimension(head.dimension)
    if extent is None:
        raise _SheetRefused(part, f"范围声明 {head.dimension!r} 无法识别，文件可能已损坏。")
    sheet.extent_rows, sheet.extent_columns = extent
    # A declaration is not trusted either way: one over the limits is judged by where the cells are (_check_extent).
    sheet.extent_over = not _within_limits(sheet.extent_rows, sheet.extent_columns, settings)
    return sheet


def _within_limits(rows: int, columns: int, settings: Settings) -> bool:
    return (
        rows <= settings.max_sheet_rows
        and columns <= settings.max_sheet_columns
        and rows * columns <= settings.max_sheet_cells
    )


def _check_extent(sheet: SheetMeasure, counter: _Counter, settings: Settings) -> None:
    """Refuse a sheet declared over the limits whose cells do reach beyond them (a reader lays a sheet out whole, from
    its first to its last cell)."""
    rows, columns = counter.last_cell_row, counter.last_cell_column
    if sheet.extent_over and not _within_limits(rows, columns, settings):
        raise _SheetRefused(
            sheet.part,
            f"声明的范围为 {sheet.dimension}，有内容或格式的单元格到了第 {rows} 行、第 {columns} 列，"
            f"超过上限（{settings.max_sheet_rows} 行、{settings.max_sheet_columns} 列、共 {settings.max_sheet_cells} 个单元格）。",
            "请删除数据区以外被误填或设置了格式的行列（选中多余行列 → 删除），保存后重新上传；最好直接使用平台模板。",
        )


def _check_counts(sheet: SheetMeasure, counter: _Counter, file_name: str, settings: Settings) -> None:
    over = None
    if counter.cells > settings.max_sheet_cells:
        over = f"单元格超过 {settings.max_sheet_cells} 个"
    elif counter.rows > settings.max_sheet_rows:
        over = f"行数超过 {settings.max_sheet_rows} 行"
    elif counter.last_row > settings.max_sheet_rows:
        over = f"行号到了第 {counter.last_row} 行（上限 {settings.max_sheet_rows} 行）"
    if over:
        raise _SheetRefused(
            sheet.part,
            f"{over}，不像是一份报表，平台拒绝处理（已停止读取）。",
            "请确认表中没有误粘贴的大量数据或格式，删除多余的行列后重新上传；如数据确实很多，请联系国家档案局。",
        )


# A cell whose formula has no saved result: its reference, and its formula's text (none for a shared formula's cells).
# (Attributes are matched as `[^<>]*`: well-formed XML has no `<` in them, and a run of `<c` starts without a `>`
# is then scanned once, not once per start.)
_UNCOMPUTED_CELL = re.compile(
    rb"<(?:\w+:)?c\b[^<>]*?\sr\s*=\s*[\"']([A-Z]{1,3})([0-9]{1,7})[\"'][^<>]*>\s*"
    rb"(?:<(?:\w+:)?f\b[^<>]*/>|<(?:\w+:)?f\b[^<>]*>([^<]*)</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v></(?:\w+:)?v>)?\s*</(?:\w+:)?c\s*>"
)
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


def locate_uncomputed_formulas(
    path: Path, sheet_names: list[str], file_name: str
) -> dict[str, list[tuple[int, int, str]]]:
    """Where the named sheets hold formulas with no saved result: (0-based row, 0-based column, the formula).

    Asked only when the measurement counted cells that may be such (a reader gives them as empty). The worksheet
    XML is scanned row by row as it is inflated; the workbook has been measured, so its members are within limits.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = read_sheets(archive)
            return {name: _uncomputed_cells(archive, sheets[name][1]) for name in sheet_names if name in sheets}
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError) as error:
        LOGGER.info("the sheet list of %s cannot be read: %r", file_name, error)
        raise _refuse(file_name, "工作簿的工作表目录无法读取，文件可能已损坏。") from error


def _uncomputed_cells(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int, str]]:
    """The formulas without a saved result in one worksheet part, read whole rows at a time."""
    cells = []
    rest = b""
    with archive.open(part) as member:
        while chunk := member.read(CHUNK):
            buffer = rest + chunk
            ends = [match.end() for match in _ROW_END.finditer(buffer, max(0, len(buffer) - len(chunk) - 16))]
            cut = ends[-1] if ends else 0
            cells += _uncomputed_in(buffer[:cut])
            rest = buffer[cut:]
    return cells + _uncomputed_in(rest)


def _uncomputed_in(xml: bytes) -> list[tuple[int, int, str]]:
    """The formulas without a saved result in a run of whole rows of worksheet XML."""
    found = []
    for match in _UNCOMPUTED_CELL.finditer(xml):
        formula = html.unescape(match.group(3).decode("utf-8", "replace")) if match.group(3) else ""
        shown = f"={formula}" if formula else "（共享公式）"
        found.append((int(match.group(2)) - 1, column_number(match.group(1).decode()) - 1, shown))
    return found
