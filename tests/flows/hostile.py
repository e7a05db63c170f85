"""Hostile workbooks for the measurement, worker and fuzz tests: real template workbooks with one part rewritten."""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.flows.workbooks import census_workbook

DATA_SHEET = "xl/worksheets/sheet2.xml"
META_SHEET_PART = "xl/worksheets/sheet4.xml"


def rewrite(source: Path, target: Path, changes: dict[str, Callable[[bytes], bytes] | bytes | None]) -> Path:
    """Copy a workbook's zip member by member; a change replaces (bytes), edits (callable), or drops (None) a part
    and adds it when absent."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename in changes:
                change = changes[item.filename]
                if change is None:
                    continue
                data = change(old.read(item)) if callable(change) else change
                new.writestr(item.filename, data)
            else:
                new.writestr(item, old.read(item))
        for name, change in changes.items():
            if name not in old.namelist() and isinstance(change, bytes):
                new.writestr(name, change)
    return target


def seed(folder: Path, rows: int = 2) -> Path:
    """A valid census return of Guangdong to start from."""
    return census_workbook(folder / f"seed-{rows}.xlsx", rows)


def with_dimension(ref: str) -> Callable[[bytes], bytes]:
    """Declare a sheet extent (inserted after <sheetPr>, where Excel writes it)."""

    def edit(xml: bytes) -> bytes:
        xml = xml.replace(b"<dimension ", b"<dimensionX ")
        return xml.replace(b"</sheetPr>", f'</sheetPr><dimension ref="{ref}" />'.encode(), 1)

    return edit


def huge_extent(path: Path) -> Path:
    """Tiny data, declared extent A1:XFD1048576 (the 56 KB workbook that aborted the server) and a cell at its last
    column (a declaration alone is not trusted: the cells are looked at)."""
    declared = with_dimension("A1:XFD1048576")

    def edit(xml: bytes) -> bytes:
        return declared(xml).replace(b"</row>", b'<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>', 1)

    return rewrite(seed(path.parent), path, {DATA_SHEET: edit})


def far_cell(path: Path) -> Path:
    """A cell at XFD1048576 inside a low row and no dimension: invisible to a byte count, fatal to calamine's
    allocation (the reader must fail in its worker, not here)."""

    def edit(xml: bytes) -> bytes:
        cell = b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'
        return xml.replace(b"</row></sheetData>", cell + b"</row></sheetData>", 1)

    return rewrite(seed(path.parent), path, {DATA_SHEET: edit})


def with_long_text(ref: str, length: int) -> Callable[[bytes], bytes]:
    """Put `length` characters in cell `ref` (a program can write more than Excel's 32,767; openpyxl cuts them)."""

    def edit(xml: bytes) -> bytes:
        cell = re.compile(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'.encode(), re.DOTALL)
        text = f'<c r="{ref}" t="inlineStr"><is><t>{"档" * length}</t></is></c>'.encode()
        return cell.sub(lambda _: text, xml, count=1)

    return edit


def long_cell(path: Path, ref: str = "B4", length: int = 1_000_000) -> Path:
    """A census return whose cell `ref` (default: the second holder's name) holds `length` characters."""
    return rewrite(seed(path.parent), path, {DATA_SHEET: with_long_text(ref, length)})


def with_doctype(doctype: bytes) -> Callable[[bytes], bytes]:
    """Put a DOCTYPE (with entities) before the root element and use its entity in the data."""

    def edit(xml: bytes) -> bytes:
        head = b'<?xml version="1.0" encoding="UTF-8"?>\n' if not xml.startswith(b"<?xml") else b""
        return head + doctype + xml.replace(b"<t>", b"<t>&e;", 1)

    return edit


XXE = b'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY a "lollollollollollollollollollol">'
    + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8))
    + b'<!ENTITY e "&i;">]>'
)


def xxe(path: Path) -> Path:
    """The data sheet reads /etc/passwd through an external entity."""
    return rewrite(seed(path.parent), path, {DATA_SHEET: with_doctype(XXE)})


def billion_laughs(path: Path) -> Path:
    """The data sheet expands an entity ten to the ninth power times."""
    return rewrite(seed(path.parent), path, {DATA_SHEET: with_doctype(LAUGHS)})


def with_macros(path: Path) -> Path:
    """A workbook carrying a VBA project (what Excel saves as .xlsm)."""
    return rewrite(seed(path.parent), path, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 VBA"})


def with_external_link(path: Path) -> Path:
    """A workbook whose values link to another workbook."""
    link = b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    return rewrite(seed(path.parent), path, {"xl/externalLinks/externalLink1.xml": link})


def lying_sizes(path: Path, real_bytes: int = 64 << 20, claimed_bytes: int = 400 << 10) -> Path:
    """The data sheet padded with `real_bytes` of spaces while the zip claims it holds `claimed_bytes`."""
    source = seed(path.parent)
    with zipfile.ZipFile(source) as old:
        sheet = old.read(DATA_SHEET)
    padded = sheet.replace(b"</worksheet>", b" " * real_bytes + b"</worksheet>")
    rewrite(source, path, {DATA_SHEET: padded})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(DATA_SHEET)
    # The uncompressed size in the local header (offset 22) and in the central directory entry (offset 24).
    struct.pack_into("<I", data, info.header_offset + 22, claimed_bytes)
    name = DATA_SHEET.encode()
    position = 0
    while True:
        position = data.find(b"PK\x01\x02", position)
        if position < 0:
            break
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46 : position + 46 + name_length]) == name:
            struct.pack_into("<I", data, position + 24, claimed_bytes)
            break
        position += 4
    path.write_bytes(bytes(data))
    return path
