"""The 47 comprehensive archives at sub-provincial level and above."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from census_schema.divisions import SUB_PROVINCIAL_CITIES, load_divisions

__all__ = ["SUB_PROVINCIAL_CITIES", "ComprehensiveArchive", "list_comprehensive_archives"]


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
        ComprehensiveArchive(code, f"{divisions.name(code)}档案馆", code, "副省级") for code in SUB_PROVINCIAL_CITIES
    ]
    return tuple(provincial + cities)
