"""The parts of an xlsx package: relationships, where their targets lead, and which worksheet part holds each sheet.

Read only from workbooks the measurement (`flows.measure`) has checked: sizes bounded, no DTD or entity.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath
from xml.etree import ElementTree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def resolve_target(base: str, target: str) -> str:
    """The zip member a relationship of part `base` points to (absolute, or relative to `base`'s folder)."""
    if target.startswith("/"):
        path = target.lstrip("/")
    else:
        path = str(PurePosixPath(base).parent.joinpath(target)).replace("\\", "/")
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def read_relationships(xml: str) -> list[dict[str, str]]:
    """The relationships of a .rels part: Id, Type, Target and TargetMode of each."""
    return [
        {
            "Id": r.get("Id", ""),
            "Type": r.get("Type", ""),
            "Target": r.get("Target", ""),
            "TargetMode": r.get("TargetMode", ""),
        }
        for r in ElementTree.fromstring(xml).iter(f"{{{PKG_REL_NS}}}Relationship")  # noqa: S314 - size-checked zip
    ]


def read_sheets(archive: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """Sheet name -> (its relationship id, the zip member holding it), for the sheets whose relationship exists."""
    return sheets_of(archive.read("xl/workbook.xml"), archive.read("xl/_rels/workbook.xml.rels"))


def hidden_sheets(archive: zipfile.ZipFile) -> list[str]:
    """The names of the sheets the workbook part hides (state "hidden", or "veryHidden": unhidden only by a macro)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - size-checked zip
    return [s.get("name") or "" for s in workbook.iter(f"{{{MAIN_NS}}}sheet") if s.get("state") in _HIDDEN_STATES]


_HIDDEN_STATES = ("hidden", "veryHidden")


def sheets_of(workbook_xml: bytes, rels_xml: bytes) -> dict[str, tuple[str, str]]:
    """`read_sheets` from the workbook part and its relationships part, as read."""
    rels = read_relationships(rels_xml.decode("utf-8"))
    targets = {r["Id"]: resolve_target("xl/workbook.xml", r["Target"]) for r in rels}
    workbook = ElementTree.fromstring(workbook_xml)  # noqa: S314 - size-checked zip (or read bounded, no DTD)
    sheets = {s.get("name") or "": s.get(f"{{{REL_NS}}}id") or "" for s in workbook.iter(f"{{{MAIN_NS}}}sheet")}
    return {name: (rel, targets[rel]) for name, rel in sheets.items() if rel in targets}
