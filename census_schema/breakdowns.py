"""How the census figures are broken down (by holder type, unit nature, tier, category, retention class) and on
which basis the indicators are computed: declared once, read by the warehouse, the generator and the dashboard.

A *group* breakdown splits holders by an attribute of their row: every holder falls in exactly one member, so the
members' figures sum to the total. A *part* breakdown splits holdings (卷件) by the form's parts: the categories sum
to the holdings, the retention classes to the volumes and items (the form's own sum rules guarantee it). Carriers
(photos, reels, objects, electronic records) are counted in their own units: they are listed, not a partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from census_schema.census_form import ITEM_PARTS_2025, VOL_PARTS_2025
from census_schema.codes import (
    ARCHIVE_ROOM_KINDS,
    COMPREHENSIVE,
    HOLDER_TYPE,
    LEVEL_TIERS,
    RETENTION_CLASSES,
    TIER_ORDER,
    UNIT_NATURE,
)


@dataclass(frozen=True)
class GroupBreakdown:
    """Holders grouped by one attribute. `column`: the mart column holding the member; `register_column`: the
    register's column for expected holders (None when the register does not record the attribute)."""

    key: str
    label: str
    member_key: str
    members: tuple[str, ...]
    column: str
    register_column: str | None


@dataclass(frozen=True)
class PartBreakdown:
    """Holdings split into parts of the form: each member reads one field per column (a category its holdings; a
    retention class its volumes and its items), and its holdings are their sum."""

    key: str
    label: str
    member_key: str
    columns: tuple[str, ...]
    members: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field the parts read."""
        return tuple(f for _, parts in self.members for f in parts)


BY_HOLDER_TYPE = GroupBreakdown(
    "by_holder_type", "普查对象类型", "holder_type", HOLDER_TYPE.values, "holder_type", "holder_type"
)
# The register does not record the unit nature: no expected holders, no coverage by nature.
BY_UNIT_NATURE = GroupBreakdown("by_unit_nature", "单位性质", "unit_nature", UNIT_NATURE.values, "unit_nature", None)
BY_LEVEL = GroupBreakdown("by_level", "层级", "level", TIER_ORDER, "level_tier", "level_tier")
GROUP_BREAKDOWNS = (BY_HOLDER_TYPE, BY_UNIT_NATURE, BY_LEVEL)

BY_CATEGORY = PartBreakdown(
    "by_category",
    "门类",
    "category",
    ("holdings",),
    (
        ("文书档案", ("cat_ws",)),
        ("科技档案", ("cat_kj",)),
        ("会计档案", ("cat_ku",)),
        ("人事档案", ("cat_rs",)),
        ("专业档案", ("cat_zy",)),
        ("其他门类档案", ("cat_other",)),
    ),
)
BY_RETENTION = PartBreakdown(
    "by_retention",
    "保管期限",
    "retention",
    ("vol", "item"),
    tuple(
        (name, (vol, item)) for name, vol, item in zip(RETENTION_CLASSES, VOL_PARTS_2025, ITEM_PARTS_2025, strict=True)
    ),
)
PART_BREAKDOWNS = (BY_CATEGORY, BY_RETENTION)
# Carriers other than paper, each in its own unit (not a partition of anything).
CARRIERS: tuple[tuple[str, str, str], ...] = (
    ("照片档案", "photos", "张"),
    ("录音录像影片档案", "av_reels", "盘"),
    ("实物档案", "physical_items", "件"),
    ("电子档案", "e_items", "件"),
    ("电子档案容量", "e_gb", "GB"),
)
BREAKDOWN_LABELS: dict[str, str] = {b.key: b.label for b in (*GROUP_BREAKDOWNS, *PART_BREAKDOWNS)} | {
    "by_carrier": "载体"
}

# The bases indicators are computed on: comprehensive archives, the other archives, archive rooms (a partition).
BASES: dict[str, tuple[str, ...]] = {
    "comprehensive": (COMPREHENSIVE,),
    "other_archives": tuple(t for t in HOLDER_TYPE.values if t != COMPREHENSIVE and t not in ARCHIVE_ROOM_KINDS),
    "archive_rooms": ARCHIVE_ROOM_KINDS,
}
BASIS_LABELS = {
    "comprehensive": "综合档案馆",
    "other_archives": "其他档案馆",
    "archive_rooms": "档案室",
    "all": "全部普查对象",
}
HOLDER_BASIS = {holder_type: basis for basis, types in BASES.items() for holder_type in types}

# Groupings the warehouse reads as reference data (code_groups): value -> (group, position of the group).
CODE_GROUPS: dict[str, dict[str, tuple[str, int]]] = {
    "level_tier": {level: (tier, TIER_ORDER.index(tier)) for level, tier in LEVEL_TIERS.items()},
    "basis": {t: (basis, list(BASES).index(basis)) for t, basis in HOLDER_BASIS.items()},
}

# The condition classes of the red-archive inventory: 完好, then GB/T 42468.1-2023's four damage grades.
RED_CONDITIONS: tuple[tuple[str, str], ...] = (
    ("完好", "red_intact"),
    ("轻度破损", "red_light"),
    ("中度破损", "red_moderate"),
    ("严重破损", "red_severe"),
    ("特残破损", "red_extreme"),
)


def percent(part: int, whole: int) -> float | None:
    """part / whole in percent, rounded half up to 2 decimals (exactly, on integers); None without a whole."""
    if whole == 0:
        return None
    return float((Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# Values screened for outliers among their peers (same holder type and tier): mart column -> label and unit.
OUTLIER_FIELDS: dict[str, tuple[str, str]] = {
    "holdings": ("馆（室）藏档案", "卷件"),
    "staff_fulltime": ("专职档案人员", "人"),
    "storage_m2": ("库房面积", "平方米"),
    "e_gb": ("电子档案容量", "GB"),
}
# A value is an outlier when its modified z-score on the log scale exceeds this (Iglewicz and Hoaglin's 3.5), among
# at least this many peers.
OUTLIER_Z, OUTLIER_MIN_PEERS = 3.5, 8
