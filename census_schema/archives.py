"""The 47 comprehensive archives at sub-provincial level and above."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from census_schema.divisions import SUB_PROVINCIAL_CITIES, census_province_of, load_divisions
from census_schema.errors import NotFound

__all__ = [
    "SUB_PROVINCIAL_CITIES",
    "ComprehensiveArchive",
    "archive_label",
    "archive_names",
    "list_comprehensive_archives",
]


# The level of a sub-provincial city's archive (its findings are also its city's office's to see).
SUB_PROVINCIAL_LEVEL = "副省级"


@dataclass(frozen=True)
class ComprehensiveArchive:
    """A comprehensive archive evaluated nationally; its code is its division's code."""

    archive_code: str
    name: str
    division_code: str
    level: str


@cache
def list_comprehensive_archives() -> tuple[ComprehensiveArchive, ...]:
    """The 31 provincial archives, the XPCC archives and the 15 sub-provincial city archives."""
    divisions = load_divisions()
    provincial = [ComprehensiveArchive(p.code, f"{p.name}档案馆", p.code, "省级") for p in divisions.census_provinces()]
    cities = [
        ComprehensiveArchive(code, f"{divisions.name(code)}档案馆", code, SUB_PROVINCIAL_LEVEL)
        for code in SUB_PROVINCIAL_CITIES
    ]
    return tuple(provincial + cities)


def archives_in_province(province_code: str) -> tuple[ComprehensiveArchive, ...]:
    """The comprehensive archives in a census province: its provincial archive and its sub-provincial cities'."""
    return tuple(a for a in list_comprehensive_archives() if census_province_of(a.division_code) == province_code)


def archive_names() -> dict[str, str]:
    """The 47 comprehensive archives' names by code."""
    return {a.archive_code: a.name for a in list_comprehensive_archives()}


def require_archive(archive_code: str) -> str:
    """The code of one of the 47 comprehensive archives; NotFound otherwise."""
    if archive_code not in archive_names():
        raise NotFound(
            f"「{archive_code[:20]}」不是参加评价的副省级以上综合档案馆代码。",
            hint="代码即档案馆所在行政区划代码，如 440000（广东省档案馆）、440100（广州市档案馆）。",
        )
    return archive_code


def archive_label(archive_code: str) -> str:
    """How a message names an archive: 深圳市档案馆（440300）; a code that is none of the 47 (a workbook's row, a
    forged request) as 档案馆 <code>."""
    name = archive_names().get(archive_code)
    return f"{name}（{archive_code}）" if name else f"档案馆 {archive_code}"
