"""The annotated report: the uploader's own workbook with failing cells filled and commented, plus `错误清单`.

The workbook is patched as a zip, part by part, instead of being loaded into openpyxl: the data sheet streams
through row by row and only rows with failures are rewritten, so a 100,000-row return is reported in seconds and in
little memory (openpyxl needed ~85 s and ~1.5 GB, see benchmarks/RESULTS.md). Everything else in the file is copied
byte for byte. Marks of an earlier report (our fills, our comments, our `错误清单` sheet) are removed first, so a
province can fill in a report and send it back.
"""

from __future__ import annotations

import bisect
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname, range_boundaries

from census_schema import layout
from census_schema.census_form import COLUMN_NOT_IN_FORM
from census_schema.failures import Failure
from census_schema.fields import Severity
from census_schema.rule_titles import rule_title
from census_schema.template import wrapped_row_height
from census_schema.xlsx import PAGE_FOOTER, Column, looks_like_formula
from flows.package import MAIN_NS, PKG_REL_NS, REL_NS, read_relationships, read_sheets, resolve_target

T = TypeVar("T")
REPORT_AUTHOR = "普查平台"
# Where a marked cell had a comment of the uploader's own, the mark's comment carries it after this line, so that
# nothing the uploader wrote is lost, and a report sent back gives it back to its author.
ORIGINAL_COMMENT = "—— 原批注（{author}）："
ERROR_COLOR = "FFFF8080"
WARNING_COLOR = "FFFFE699"
MARK_COLORS = {Severity.ERROR: ERROR_COLOR, Severity.WARNING: WARNING_COLOR}

REL_TYPE = REL_NS
SHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
COMMENTS_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
ERRORS_PART = "xl/worksheets/sheet_errors.xml"
DROPPED_PART = "xl/worksheets/sheet_dropped.xml"
# The sheets a report adds (and removes from an earlier report sent back): name -> part.
REPORT_SHEETS = {layout.ERRORS_SHEET: ERRORS_PART, layout.DROPPED_SHEET: DROPPED_PART}
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
CHUNK = 1 << 20
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CELL = re.compile(r"<(?:\w+:)?c\b[^>]*?/>|<(?:\w+:)?c\b[^>]*?>.*?</(?:\w+:)?c>", re.DOTALL)
_ROW_START = re.compile(rb"<(?:\w+:)?row\b")
_ATTR = r'\b{name}="([^"]*)"'
# A report sheet's column declared wider prints this wide, its text wrapped: 错误清单 fits one A4 page across at a
# readable size.
WRAP_WIDTH = 56
_DEFINED_NAMES = re.compile(r"<((?:\w+:)?)definedNames\b[^>]*>")


# The main part's content type of a workbook that is not a plain one (macro-enabled, a template) and of a plain one.
WORKBOOK_MAIN_TYPES = (
    r"application/vnd\.ms-excel\.(?:sheet|template)\.macroEnabled\.main\+xml"
    r"|application/vnd\.openxmlformats-officedocument\.spreadsheetml\.template\.main\+xml"
)
PLAIN_WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def _attr(tag: str, name: str) -> str | None:
    match = re.search(_ATTR.format(name=name), tag)
    return match.group(1) if match else None


def _set_attr(tag: str, name: str, value: str) -> str:
    """Set an attribute in an element's start tag (text), adding it when absent."""
    if re.search(_ATTR.format(name=name), tag):
        return re.sub(_ATTR.format(name=name), f'{name}="{value}"', tag, count=1)
    end = tag.index("/>") if tag.rstrip().endswith("/>") else tag.index(">")
    return f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'


def _text(value: object) -> str:
    return escape(_ILLEGAL_XML.sub("", str(value)), {'"': "&quot;"})


def _split_cell(reference: str) -> tuple[int, int]:
    letters = reference.rstrip("0123456789")
    return int(reference[len(letters) :]), column_index_from_string(letters)


@dataclass
class _Package:
    """The source workbook: its archive, the part of each sheet by name, and an earlier report's own sheets."""

    archive: zipfile.ZipFile
    sheet_parts: dict[str, str]
    old_sheets: list[tuple[str, str]]  # (relationship id, part) of an earlier report's 错误清单 and 减少的普查对象

    def read(self, name: str) -> str:
        return self.archive.read(name).decode("utf-8")


def _open_package(source: Path, file_name: str) -> _Package:
    archive = zipfile.ZipFile(source)
    sheets = read_sheets(archive)
    parts = {name: part for name, (_, part) in sheets.items()}
    return _Package(archive, parts, [sheets[name] for name in REPORT_SHEETS if name in sheets])


def _rels_part(sheet_part: str) -> str:
    folder, name = sheet_part.rsplit("/", 1)
    return f"{folder}/_rels/{name}.rels"


@dataclass
class _Styles:
    """New cell formats appended to styles.xml: a filled copy of each original format, and a bold header."""

    xml: str
    fills: dict[Severity, int]
    originals: list[str]
    ours: dict[int, int]  # our earlier filled format -> the format it was copied from
    added: dict[tuple[int, Severity], int] = field(default_factory=dict)
    new_xfs: list[str] = field(default_factory=list)
    header: int = 0
    quoted: int = 0  # text with Excel's quote prefix: formula-like values stay text
    wrapped: int = 0  # a report sheet's cell: its text wrapped

    def marked(self, original: int, severity: Severity) -> int:
        """The index of the original format with the severity's fill."""
        original = self.ours.get(original, original)
        key = (original, severity)
        if key not in self.added:
            base = self.originals[original] if original < len(self.originals) else "<xf/>"
            start = base[: base.index(">") + 1]
            tag = _set_attr(_set_attr(start, "fillId", str(self.fills[severity])), "applyFill", "1")
            self.new_xfs.append(tag if tag.endswith("/>") else tag + base[len(start) :])
            self.added[key] = len(self.originals) + len(self.new_xfs) - 1
        return self.added[key]

    def restored(self, index: int) -> int:
        """An earlier report's filled format mapped back to the format it was copied from."""
        return self.ours.get(index, index)

    def render(self) -> str:
        """styles.xml with the new formats appended."""
        xml = self.xml
        if self.new_xfs:
            match = re.search(r"<((?:\w+:)?)cellXfs\b[^>]*>(.*?)</\1cellXfs>", xml, re.DOTALL)
            assert match is not None
            prefix = match.group(1)
            body = match.group(2) + "".join(self._prefixed(x, prefix) for x in self.new_xfs)
            count = len(self.originals) + len(self.new_xfs)
            xml = (
                xml[: match.start()] + f'<{prefix}cellXfs count="{count}">{body}</{prefix}cellXfs>' + xml[match.end() :]
            )
        return xml

    @staticmethod
    def _prefixed(xf: str, prefix: str) -> str:
        return xf if not prefix else re.sub(r"<(/?)(?!\w+:)(\w+)", rf"<\1{prefix}\2", xf)


def _append_to(xml: str, element: str, items: list[str]) -> tuple[str, int]:
    """Append child elements to `<element count="n">…</element>`; returns the new XML and the first new index."""
    match = re.search(rf"<((?:\w+:)?){element}\b([^>]*)>(.*?)</\1{element}>", xml, re.DOTALL)
    if match is None:
        raise ValueError(f"styles.xml has no <{element}>")
    prefix, children = match.group(1), match.group(3)
    first = len(re.findall(rf"<{prefix}{element[:-1]}\b", children))
    body = children + "".join(_Styles._prefixed(item, prefix) for item in items)
    replaced = f'<{prefix}{element} count="{first + len(items)}">{body}</{prefix}{element}>'
    return xml[: match.start()] + replaced + xml[match.end() :], first


def _load_styles(package: _Package) -> _Styles:
    xml = package.read("xl/styles.xml")
    fill = '<fill><patternFill patternType="solid"><fgColor rgb="{0}"/><bgColor rgb="{0}"/></patternFill></fill>'
    fills_xml = re.search(r"<((?:\w+:)?)fills\b[^>]*>(.*?)</\1fills>", xml, re.DOTALL)
    existing_fills = re.findall(
        r"<(?:\w+:)?fill\b.*?</(?:\w+:)?fill>|<(?:\w+:)?fill\b[^>]*/>",
        fills_xml.group(2) if fills_xml else "",
        re.DOTALL,
    )
    ours_fill = {i for i, f in enumerate(existing_fills) if ERROR_COLOR in f or WARNING_COLOR in f}
    xml, first_fill = _append_to(xml, "fills", [fill.format(MARK_COLORS[s]) for s in Severity])
    xml, bold = _append_to(xml, "fonts", ['<font><b/><sz val="11"/><name val="宋体"/><charset val="134"/></font>'])
    cell_xfs = re.search(r"<((?:\w+:)?)cellXfs\b[^>]*>(.*?)</\1cellXfs>", xml, re.DOTALL)
    if cell_xfs is None:
        raise ValueError("styles.xml has no <cellXfs>")
    originals = re.findall(r"<(?:\w+:)?xf\b[^>]*/>|<(?:\w+:)?xf\b[^>]*>.*?</(?:\w+:)?xf>", cell_xfs.group(2), re.DOTALL)
    fill_ids = [_attr(xf[: xf.index(">") + 1], "fillId") for xf in originals]
    filled = {index for index, fill_id in enumerate(fill_ids) if fill_id is not None and int(fill_id) in ours_fill}
    ours: dict[int, int] = {}
    for index in filled:
        stripped = re.sub(r'\s(fillId|applyFill)="[^"]*"', "", originals[index])
        # The format it was copied from: never another of our marks (a spreadsheet program saving the workbook may
        # put the warning's copy before the original, and an error's old mark came back as a warning's).
        ours[index] = next(
            (
                i
                for i, o in enumerate(originals)
                if i not in filled and re.sub(r'\s(fillId|applyFill)="[^"]*"', "", o) == stripped
            ),
            0,
        )
    styles = _Styles(xml, {Severity.ERROR: first_fill, Severity.WARNING: first_fill + 1}, originals, ours)
    styles.new_xfs.append(f'<xf numFmtId="0" fontId="{bold}" fillId="0" borderId="0" applyFont="1"/>')
    wrap = '<alignment wrapText="1" vertical="top"/></xf>'
    styles.new_xfs.append(
        f'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" quotePrefix="1" applyAlignment="1">{wrap}'
    )
    styles.new_xfs.append(f'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" applyAlignment="1">{wrap}')
    styles.header, styles.quoted, styles.wrapped = len(originals), len(originals) + 1, len(originals) + 2
    return styles


_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b[^>]*>")


def _iter_sheet(archive: zipfile.ZipFile, part: str) -> Iterator[tuple[str, bytes]]:
    """The sheet XML, streamed: ('head', …) up to <sheetData>, ('row', …) per row element, then ('tail', …)."""
    with archive.open(part) as stream:
        buffer, pos, state, eof = b"", 0, "head", False
        while not eof:
            chunk = stream.read(CHUNK)
            eof = not chunk
            buffer, pos = buffer[pos:] + chunk, 0
            while True:
                if state == "head":
                    match = _SHEET_DATA.search(buffer, pos)
                    if match is None:
                        break
                    yield "head", buffer[pos : match.end()]
                    pos, state = match.end(), "tail" if match.group(0).endswith(b"/>") else "rows"
                    continue
                if state != "rows":
                    break
                while pos < len(buffer) and buffer[pos : pos + 1].isspace():
                    pos += 1
                if _ROW_START.match(buffer, pos):
                    tag_end = buffer.find(b">", pos)
                    if tag_end < 0:
                        break
                    close = None if buffer[tag_end - 1 : tag_end] == b"/" else _ROW_END.search(buffer, tag_end)
                    if buffer[tag_end - 1 : tag_end] != b"/" and close is None:
                        break
                    end = tag_end + 1 if close is None else close.end()
                    yield "row", buffer[pos:end]
                    pos = end
                    continue
                if buffer.startswith(b"</", pos):
                    state = "tail"
                break
        yield "tail", buffer[pos:]


def _patch_row(row: bytes, marks: dict[int, Severity], styles: _Styles, number: int) -> bytes:
    """A row element with marked cells restyled (cells that do not exist are added) and old marks removed."""
    text = row.decode("utf-8")
    tag_end = text.index(">")
    prefix = re.match(r"<(\w+:)?", text).group(1) or ""  # type: ignore[union-attr]
    if text[tag_end - 1] == "/":
        text = text[: tag_end - 1].rstrip() + f"></{prefix}row>"
        tag_end = text.index(">")
    closing = text.rindex("</")
    cells: list[tuple[int, str]] = []
    column = 0
    for match in _CELL.finditer(text, tag_end + 1, closing):
        cell = match.group(0)
        start = cell[: cell.index(">") + 1]
        reference = _attr(start, "r")
        column = _split_cell(reference)[1] if reference else column + 1
        style = int(_attr(start, "s") or 0)
        wanted = styles.marked(style, marks[column]) if column in marks else styles.restored(style)
        cells.append((column, cell if wanted == style else _set_attr(start, "s", str(wanted)) + cell[len(start) :]))
    present = {c for c, _ in cells}
    for column, severity in marks.items():
        if column not in present:
            cells.append(
                (column, f'<{prefix}c r="{get_column_letter(column)}{number}" s="{styles.marked(0, severity)}"/>')
            )
    cells.sort(key=lambda c: c[0])
    return (text[: tag_end + 1] + "".join(c for _, c in cells) + text[closing:]).encode("utf-8")


def _comments_xml(comments: list[tuple[str, str, str]]) -> str:
    authors = sorted({author for _, author, _ in comments})
    index = {a: i for i, a in enumerate(authors)}
    body = "".join(
        f'<comment ref="{ref}" authorId="{index[author]}"><text><t xml:space="preserve">{_text(text)}</t></text></comment>'
        for ref, author, text in comments
    )
    author_xml = "".join(f"<author>{_text(a)}</author>" for a in authors)
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN_NS}"><authors>{author_xml}</authors><commentList>{body}</commentList></comments>'


def _vml_xml(comments: list[tuple[str, str, str]], first_block: int) -> str:
    blocks = max(1, math.ceil(len(comments) / 1024))
    shapes = []
    for i, (ref, _, text) in enumerate(comments):
        row, column = _split_cell(ref)
        lines = min(12, 1 + text.count("\n") + len(text) // 30)
        shapes.append(
            f'<v:shape id="_x0000_s{first_block * 1024 + i + 1}" type="#_x0000_t202" style="position:absolute;margin-left:80pt;'
            f'margin-top:2pt;width:240pt;height:{20 + 14 * lines}pt;z-index:{i + 1};visibility:hidden" fillcolor="#ffffe1" '
            'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div>'
            f'</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>'
            f"<x:Row>{row - 1}</x:Row><x:Column>{column - 1}</x:Column></x:ClientData></v:shape>"
        )
    idmap = ",".join(str(first_block + b) for b in range(blocks))
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    )


def _errors_sheet_xml(failures: Sequence[Failure], styles: _Styles) -> str:
    """The 错误清单 sheet, column by column as `layout.ERRORS_COLUMNS` declares it."""
    return _table_sheet_xml(layout.ERRORS_COLUMNS, failures, styles, selected=True)  # in the workbook's order


def _table_sheet_xml(columns: Sequence[Column[T]], items: Sequence[T], styles: _Styles, *, selected: bool) -> str:
    """A sheet of one header row and one row per item, column by column as declared (no wider than WRAP_WIDTH, text
    wrapped); printed landscape one page wide, the header on every page."""
    sizes = [min(c.width, WRAP_WIDTH) for c in columns]

    def cell(reference: str, value: object, style: int = 0) -> str:
        if value is None:
            return ""
        # Inline text is never a formula; the quote prefix keeps it text when the cell is edited, too.
        style = styles.quoted if looks_like_formula(value) else style
        styled = f' s="{style}"' if style else ""
        if isinstance(value, int):
            return f'<c r="{reference}"{styled}><v>{value}</v></c>'
        return f'<c r="{reference}"{styled} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'

    rows = [
        '<row r="1">'
        + "".join(cell(f"{get_column_letter(i)}1", c.header, styles.header) for i, c in enumerate(columns, 1))
        + "</row>"
    ]
    for number, item in enumerate(items, 2):
        values = [c.value(item) for c in columns]
        # LibreOffice does not grow a row of wrapped text when it loads the file.
        height = wrapped_row_height(values, sizes)
        rows.append(
            f'<row r="{number}" ht="{height}" customHeight="1">'
            + "".join(cell(f"{get_column_letter(i)}{number}", v, styles.wrapped) for i, v in enumerate(values, 1))
            + "</row>"
        )
    widths = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(sizes, 1))
    last = max(1, len(items) + 1)
    tab = ' tabSelected="1"' if selected else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<sheetViews><sheetView{tab} workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        f'state="frozen"/></sheetView></sheetViews><cols>{widths}</cols><sheetData>{"".join(rows)}</sheetData>'
        f'<autoFilter ref="A1:{get_column_letter(len(columns))}{last}"/>'
        # Printed on A4 across, its columns one page wide (portrait, 错误清单 came out in four strips).
        '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        f"<headerFooter><oddFooter>&amp;C{_text(PAGE_FOOTER)}</oddFooter></headerFooter></worksheet>"
    )


def _rel_prefix(xml: str) -> str:
    match = re.search(rf'xmlns:(\w+)="{re.escape(REL_NS)}"', xml)
    return match.group(1) if match else "r"


def _next_rel_id(rels_xml: str) -> str:
    numbers = [int(n) for n in re.findall(r'Id="rId(\d+)"', rels_xml)]
    return f"rId{max(numbers, default=0) + 1}"


def _shift_local_sheet_ids(workbook: str, removed: int) -> str:
    """Defined names scoped to sheets after a removed one move one place down."""

    def shifted(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return f'localSheetId="{index - (index > removed)}"'

    return re.sub(r'localSheetId="(\d+)"', shifted, workbook)


def _without_element(xml: str, pattern: str) -> str:
    return re.sub(pattern, "", xml, count=1)


def _with_print_titles(workbook: str, prefix: str, titled: Mapping[int, str]) -> str:
    """The workbook with each sheet's first row (position: name) repeated on every printed page."""
    names = "".join(
        f'<{prefix}definedName name="_xlnm.Print_Titles" localSheetId="{position}">{_text(quote_sheetname(name))}!$1:$1'
        f"</{prefix}definedName>"
        for position, name in titled.items()
    )
    workbook = re.sub(r"<(?:\w+:)?definedNames\s*/>", "", workbook)
    found = _DEFINED_NAMES.search(workbook)
    if found is None:
        return workbook.replace(
            f"</{prefix}sheets>", f"</{prefix}sheets><{prefix}definedNames>{names}</{prefix}definedNames>", 1
        )
    return workbook.replace(f"</{found.group(1)}definedNames>", f"{names}</{found.group(1)}definedNames>", 1)


def write_annotated_report(
    source: Path,
    out: Path,
    columns: dict[str, dict[str, int]],
    failures: Sequence[Failure],
    dropped: Sequence[Mapping[str, Any]] | None = None,
    unread: Mapping[str, Mapping[int, str]] | None = None,
    merged: Mapping[str, Sequence[str]] | None = None,
    compared: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> Path:
    """Copy the uploaded workbook to `out`, fill and comment every failing cell, and add the `错误清单` sheet (and,
    when the return would drop holders of its scope, the `减少的普查对象` sheet listing them).

    `columns` gives, for each data sheet, the 0-based column of each field (as the parser found them); `unread`, the
    0-based columns of header labels the form does not have, whose header cell carries their warning; `merged`, each
    sheet's merged ranges, under which only the top-left cell is seen (the others' failures are in 错误清单 only);
    `compared`, for a (sheet, rule id), the other fields the rule compares its field with, whose cells in the failing
    row carry the failure too (错误清单 lists it once, at its field).
    """
    package = _open_package(source, source.name)
    try:
        return _write(package, out, _cells(columns, unread or {}, merged or {}, compared or {}, failures), dropped)
    finally:
        package.archive.close()


@dataclass
class _SheetPatch:
    """What changes in one data sheet: marked cells, new comments, and its relationships."""

    part: str
    marks: dict[int, dict[int, Severity]]
    comments: list[tuple[str, str, str]]
    rels_xml: str | None
    comments_part: str | None = None
    vml_part: str | None = None
    legacy_id: str | None = None


def _original_comment(text: str) -> tuple[str, str] | None:
    """The uploader's own comment an earlier report's mark carried (its author and text), or None."""
    head, _, rest = ORIGINAL_COMMENT.partition("{author}")
    _, found, after = text.partition("\n" + head)
    author, found_author, own = after.partition(rest + "\n")
    return (author, own) if found and found_author else None


def _is_mark(text: str) -> bool:
    """True when a comment is an earlier report's mark whatever its author says (a spreadsheet program saving the
    workbook may drop it: LibreOffice writes a blank)."""
    return text.startswith(tuple(f"[{severity.label}] " for severity in Severity))


def _sheet_patch(package: _Package, part: str, texts: dict[tuple[int, int], list[Failure]]) -> _SheetPatch:
    """Plan one sheet: keep other people's comments, drop ours from an earlier report, add the new ones."""
    marks: dict[int, dict[int, Severity]] = defaultdict(dict)
    for (row, column), failures in texts.items():
        marks[row][column] = min(failures, key=lambda f: f.severity_rank).severity
    names = set(package.archive.namelist())
    rels_part = _rels_part(part)
    rels_xml = package.read(rels_part) if rels_part in names else None
    rels = read_relationships(rels_xml) if rels_xml else []
    comments_rel = next((r for r in rels if r["Type"].endswith("/comments")), None)
    vml_rel = next((r for r in rels if r["Type"].endswith("/vmlDrawing")), None)
    kept: list[tuple[str, str, str]] = []
    if comments_rel is not None:
        old = ElementTree.fromstring(package.read(resolve_target(part, comments_rel["Target"])))  # noqa: S314
        authors = [a.text or "" for a in old.iter(f"{{{MAIN_NS}}}author")]
        for comment in old.iter(f"{{{MAIN_NS}}}comment"):
            author = authors[int(comment.get("authorId", "0"))] if authors else ""
            text = "".join(t.text or "" for t in comment.iter(f"{{{MAIN_NS}}}t"))
            original = _original_comment(text) if author == REPORT_AUTHOR or _is_mark(text) else (author, text)
            if original is not None:
                kept.append((comment.get("ref", ""), *original))
    theirs = {ref: (author, text) for ref, author, text in kept}
    ours = []
    for (r, c), fs in sorted(texts.items()):
        ref = f"{get_column_letter(c)}{r}"
        # The rule by its Chinese title (its id stays in 错误清单, for those who look it up).
        text = "\n".join(f"[{f.severity.label}] {rule_title(f.rule)}：{f.message}" for f in fs)
        if ref in theirs:  # one comment a cell: the uploader's own comes after the marks, whole
            author, own = theirs[ref]
            text += "\n" + ORIGINAL_COMMENT.format(author=author) + "\n" + own
        ours.append((ref, REPORT_AUTHOR, text))
    taken = {ref for ref, _, _ in ours}
    patch = _SheetPatch(part, marks, [c for c in kept if c[0] not in taken] + ours, rels_xml)
    if not patch.comments and comments_rel is None:
        return patch
    stem = PurePosixPath(part).stem
    patch.comments_part = resolve_target(part, comments_rel["Target"]) if comments_rel else f"xl/comments_{stem}.xml"
    patch.vml_part = resolve_target(part, vml_rel["Target"]) if vml_rel else f"xl/drawings/vml_{stem}.vml"
    rels_xml = (
        rels_xml
        or f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL_NS}"></Relationships>'
    )
    for rel, kind, target in ((comments_rel, "comments", patch.comments_part), (vml_rel, "vmlDrawing", patch.vml_part)):
        if rel is None:
            rel_id = _next_rel_id(rels_xml)
            rels_xml = rels_xml.replace(
                "</Relationships>",
                f'<Relationship Id="{rel_id}" Type="{REL_TYPE}/{kind}" Target="/{target}"/></Relationships>',
            )
            if kind == "vmlDrawing":
                patch.legacy_id = rel_id
        elif kind == "vmlDrawing":
            patch.legacy_id = rel["Id"]
    patch.rels_xml = rels_xml
    return patch


def _stream_sheet(package: _Package, target: zipfile.ZipFile, patch: _SheetPatch, styles: _Styles) -> None:
    info = zipfile.ZipInfo(patch.part, date_time=(2024, 12, 31, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    # Deflate level 1: a 100,000-row data sheet is ~150 MB of XML, and the default level 6 spends seconds making it
    # ~10 % smaller while the uploader waits. (ZipInfo's level attribute: `_compresslevel` on Python 3.11.)
    info._compresslevel = 1  # type: ignore[attr-defined]
    with target.open(info, "w", force_zip64=True) as handle:
        number = 0
        # Rows go out in batches of about a megabyte: one write per row cost more than the rows' own handling.
        pending: list[bytes] = []
        size = 0
        for kind, piece in _iter_sheet(package.archive, patch.part):
            if kind == "row":
                found = _ROW_NUMBER.search(piece, 0, piece.find(b">") + 1)
                number = int(found.group(1)) if found else number + 1
                needs = number in patch.marks or (styles.ours and re.search(rb'\ss="\d+"', piece))
                piece = _patch_row(piece, patch.marks.get(number, {}), styles, number) if needs else piece
                pending.append(piece)
                size += len(piece)
                if size >= 1 << 20:
                    handle.write(b"".join(pending))
                    pending, size = [], 0
                continue
            handle.write(b"".join(pending))
            pending, size = [], 0
            if kind == "head":
                # Only one tab may be selected, or Excel groups the sheets: the report's own tab is.
                handle.write(re.sub(rb'\stabSelected="(1|true)"', b"", piece, count=1))
            else:
                if patch.comments and not re.search(rb"<(?:\w+:)?legacyDrawing\b", piece):
                    piece = _insert_legacy_drawing(piece, prefix_of(piece), patch.legacy_id or "")
                handle.write(piece)
        handle.write(b"".join(pending))


@dataclass(frozen=True)
class _Located:
    """The failures, the data sheets in order, and each sheet's failing cells: (row, 1-based column) -> failures."""

    failures: Sequence[Failure]
    sheets: list[str]
    cells: dict[str, dict[tuple[int, int], list[Failure]]]


def _cells(
    columns: Mapping[str, Mapping[str, int]],
    unread: Mapping[str, Mapping[int, str]],
    merged: Mapping[str, Sequence[str]],
    compared: Mapping[tuple[str, str], Sequence[str]],
    failures: Sequence[Failure],
) -> _Located:
    """Where each failure is marked: a field's failure in the field's column, and in the row's cells of the fields
    its rule compares that field with (a total's parts: any of them may be the wrong one); an unread column's
    warning on that column's header cell (two columns of one label take their warnings in turn); a whole row's
    failure (a stray entry, a header pasted again) on the row's cell of the table's first column; none on a cell a
    merge hides; a failure of no row only in 错误清单."""
    cells: dict[str, dict[tuple[int, int], list[Failure]]] = defaultdict(lambda: defaultdict(list))
    waiting = {
        sheet: {label: sorted(c for c, other in labels.items() if other == label) for label in set(labels.values())}
        for sheet, labels in unread.items()
    }
    for failure in failures:
        if failure.row is None:
            continue
        column = columns.get(failure.sheet, {}).get(failure.field or "")
        if column is None and failure.field is None and failure.rule == COLUMN_NOT_IN_FORM.rule_id:
            same_label = waiting.get(failure.sheet, {}).get(failure.label or "", [])
            column = same_label.pop(0) if same_label else None
        elif column is None and failure.field is None and columns.get(failure.sheet):
            column = min(columns[failure.sheet].values())
        if column is not None:
            cells[failure.sheet][(failure.row, column + 1)].append(failure)
        for name in compared.get((failure.sheet, failure.rule), ()) if failure.field is not None else ():
            other = columns.get(failure.sheet, {}).get(name)
            if other is not None and other != column:
                cells[failure.sheet][(failure.row, other + 1)].append(failure)
    for sheet, refs in merged.items():
        if sheet in cells:
            for cell in _hidden_by_merges(refs, cells[sheet]):
                del cells[sheet][cell]
    return _Located(failures, list(columns), cells)


def _hidden_by_merges(refs: Sequence[str], located: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """The cells among `located` (row, 1-based column) that a merged range covers other than at its top-left, which
    alone is seen. Each range looks up only the located rows of its columns (a sheet may have 1,000 merges and a
    return 100,000 failures: every failure against every range took seconds)."""
    rows_of: dict[int, list[int]] = defaultdict(list)
    for row, column in located:
        rows_of[column].append(row)
    for rows in rows_of.values():
        rows.sort()
    hidden = set()
    for ref in refs:
        first_col, first_row, last_col, last_row = range_boundaries(ref)
        for column, rows in rows_of.items():
            if first_col <= column <= last_col:
                for row in rows[bisect.bisect_left(rows, first_row) : bisect.bisect_right(rows, last_row)]:
                    if (row, column) != (first_row, first_col):
                        hidden.add((row, column))
    return hidden


def _write(
    package: _Package,
    out: Path,
    located: _Located,
    dropped: Sequence[Mapping[str, Any]] | None,
) -> Path:
    archive = package.archive
    failures, by_sheet = located.failures, located.cells
    styles = _load_styles(package)
    patches = [
        _sheet_patch(package, package.sheet_parts[name], by_sheet.get(name, {}))
        for name in located.sheets
        if name in package.sheet_parts
    ]

    # The workbook: drop an earlier report's sheets, append the new ones and make 错误清单 the active tab.
    workbook = package.read("xl/workbook.xml")
    workbook_rels = package.read("xl/_rels/workbook.xml.rels")
    # A workbook saved as .xlsm or .xltx (without macros: those are refused) comes back as the .xlsx it is named:
    # Excel refuses to open a file whose name and declared type disagree.
    content_types = re.sub(WORKBOOK_MAIN_TYPES, PLAIN_WORKBOOK_TYPE, package.read("[Content_Types].xml"))
    rewritten = {"xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"}
    for patch in patches:
        rewritten |= {patch.part, _rels_part(patch.part)} | {p for p in (patch.comments_part, patch.vml_part) if p}
    for old_id, old_part in package.old_sheets:
        entries = re.findall(r"<(?:\w+:)?sheet\b[^>]*/>", workbook)
        position = next(i for i, entry in enumerate(entries) if f'"{old_id}"' in entry)
        workbook = _without_element(workbook, rf'<(?:\w+:)?sheet\b[^>]*"{old_id}"[^>]*/>')
        # Its own names (print titles, a filter LibreOffice saved) would name the sheet after it.
        scoped = rf'<(?:\w+:)?definedName\b[^>]*localSheetId="{position}"[^>]*>.*?</(?:\w+:)?definedName>'
        workbook = _shift_local_sheet_ids(re.sub(scoped, "", workbook, flags=re.DOTALL), position)
        workbook_rels = _without_element(workbook_rels, rf'<Relationship\b[^>]*Id="{old_id}"[^>]*/>')
        content_types = _without_element(content_types, rf'<Override\b[^>]*PartName="/{re.escape(old_part)}"[^>]*/>')
        rewritten.add(old_part)
    prefix = _rel_prefix(workbook)
    sheet_ids = [int(n) for n in re.findall(r'<(?:\w+:)?sheet\b[^>]*sheetId="(\d+)"', workbook)]
    sheets_prefix = re.search(r"<((?:\w+:)?)sheets\b", workbook).group(1)  # type: ignore[union-attr]
    added = {}
    if failures or not dropped:  # a return that only drops holders gets their list, not an empty 错误清单
        added[ERRORS_PART] = _errors_sheet_xml(failures, styles)
    if dropped:
        added[DROPPED_PART] = _table_sheet_xml(layout.DROPPED_COLUMNS, dropped, styles, selected=not added)
    names = {part: name for name, part in REPORT_SHEETS.items()}
    for number, part in enumerate(added, 1):
        rel = _next_rel_id(workbook_rels)
        entry = f'<{sheets_prefix}sheet name="{names[part]}" sheetId="{max(sheet_ids, default=0) + number}" {prefix}:id="{rel}"/>'
        workbook = workbook.replace(f"</{sheets_prefix}sheets>", f"{entry}</{sheets_prefix}sheets>")
        workbook_rels = workbook_rels.replace(
            "</Relationships>",
            f'<Relationship Id="{rel}" Type="{REL_TYPE}/worksheet" Target="/{part}"/></Relationships>',
        )
    first_added = len(re.findall(r"<(?:\w+:)?sheet\b[^>]*/>", workbook)) - len(added)
    workbook = _with_print_titles(
        workbook, sheets_prefix, {first_added + i: names[part] for i, part in enumerate(added)}
    )
    active = str(first_added)
    workbook = re.sub(
        r"<(?:\w+:)?workbookView\b[^>]*?/?>",
        lambda m: _set_attr(_set_attr(m.group(0), "activeTab", active), "firstSheet", "0"),
        workbook,
        count=1,
    )
    overrides = [(f"/{part}", SHEET_CONTENT_TYPE) for part in added]
    overrides += [(f"/{p.comments_part}", COMMENTS_CONTENT_TYPE) for p in patches if p.comments_part]
    if any(p.vml_part for p in patches) and not re.search(r'Extension="vml"', content_types, re.IGNORECASE):
        content_types = content_types.replace(
            "</Types>", f'<Default Extension="vml" ContentType="{VML_CONTENT_TYPE}"/></Types>'
        )
    for part_name, content_type in overrides:
        if f'PartName="{part_name}"' not in content_types:
            override = f'<Override PartName="{part_name}" ContentType="{content_type}"/>'
            content_types = content_types.replace("</Types>", f"{override}</Types>")

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    # Deflate level 1: the data sheet of a 100,000-row return is ~150 MB of XML, and level 6 (the default) spent
    # seconds compressing it ~10 % smaller. The uploader waits for this file.
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for item in archive.infolist():
            if item.filename in rewritten:
                continue
            data = archive.read(item.filename)
            if item.filename.startswith("xl/worksheets/") and item.filename.endswith(".xml"):
                data = re.sub(rb'\stabSelected="(1|true)"', b"", data, count=1)
            target.writestr(item, data)
        for block, patch in enumerate(patches):
            _stream_sheet(package, target, patch, styles)
            if patch.rels_xml is not None:
                target.writestr(_rels_part(patch.part), patch.rels_xml.encode("utf-8"), zipfile.ZIP_DEFLATED)
            if patch.comments_part and patch.vml_part:
                target.writestr(
                    patch.comments_part, _comments_xml(patch.comments).encode("utf-8"), zipfile.ZIP_DEFLATED
                )
                vml = _vml_xml(patch.comments, 200 + 100 * block)
                target.writestr(patch.vml_part, vml.encode("utf-8"), zipfile.ZIP_DEFLATED)
        target.writestr("xl/styles.xml", styles.render().encode("utf-8"), zipfile.ZIP_DEFLATED)
        target.writestr("xl/workbook.xml", workbook.encode("utf-8"), zipfile.ZIP_DEFLATED)
        target.writestr("xl/_rels/workbook.xml.rels", workbook_rels.encode("utf-8"), zipfile.ZIP_DEFLATED)
        target.writestr("[Content_Types].xml", content_types.encode("utf-8"), zipfile.ZIP_DEFLATED)
        for part, xml in added.items():
            target.writestr(part, xml.encode("utf-8"), zipfile.ZIP_DEFLATED)
    partial.replace(out)
    return out


def prefix_of(tail: bytes) -> str:
    """The namespace prefix of the worksheet element's children (usually none)."""
    match = re.search(rb"</(\w+:)?worksheet>", tail)
    return (match.group(1) or b"").decode() if match else ""


# Elements that must follow <legacyDrawing> inside a worksheet (ECMA-376 CT_Worksheet order).
_AFTER_LEGACY_DRAWING = (
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)


def _insert_legacy_drawing(tail: bytes, prefix: str, rel_id: str) -> bytes:
    text = tail.decode("utf-8")
    element = f'<{prefix}legacyDrawing r:id="{rel_id}" xmlns:r="{REL_NS}"/>'
    positions = [m.start() for name in _AFTER_LEGACY_DRAWING for m in [re.search(rf"<{prefix}{name}\b", text)] if m]
    at = min(positions) if positions else text.rindex(f"</{prefix}worksheet>")
    return (text[:at] + element + text[at:]).encode("utf-8")
