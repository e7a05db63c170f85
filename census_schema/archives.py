"""The 47 comprehensive archives at sub-provincial level and above."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from census_schema.divisions import load_divisions

# The 15 sub-provincial cities whose archives are evaluated with the provincial ones.
SUB_PROVINCIAL_CITIES = (
    "230100", "220100", "210100", "210200", "370100", "370200", "320100", "330100",
    "330200", "350200", "420100", "440100", "440300", "510100", "610100",
)  # fmt: skip


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
