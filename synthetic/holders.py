"""One valid holder of each form: the row every rule of the form accepts, for tests and benchmarks to start from."""

from __future__ import annotations

from datetime import date
from typing import Any

from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM, REGISTER_FORM, SIGN_OFF_FORM
from census_schema.uscc import compute_uscc_check_char

BASE_USCC = "91440300708461136T"


def make_uscc(serial: int, prefix: str = "91440300") -> str:
    """A valid USCC: prefix, a zero-padded serial to 17 symbols, then its check character."""
    first17 = f"{prefix}{serial:0{17 - len(prefix)}d}"
    return first17 + compute_uscc_check_char(first17)


PARENT_USCC = make_uscc(1, prefix="11440000")

# A holder that passes every rule of the census form: sums add up, ratios are plausible, an archive room (opened 0).
CENSUS_BASE: dict[str, Any] = {
    "uscc": BASE_USCC,
    "unit_name": "广州某国有企业",
    "unit_nature": "国有企业",
    "holder_type": "企事业单位档案室",
    "division_code": "440106",
    "admin_level": "县级",
    "parent_uscc": PARENT_USCC,
    "staff_fulltime": 2,
    "staff_parttime": 1,
    "fonds_count": 3,
    "vol_total": 1000,
    "vol_permanent": 600,
    "vol_30y": 200,
    "vol_10y": 160,
    "vol_long": 0,
    "vol_short": 0,
    "vol_unassigned": 40,
    "item_total": 2000,
    "item_permanent": 1000,
    "item_30y": 500,
    "item_10y": 460,
    "item_long": 0,
    "item_short": 0,
    "item_unassigned": 40,
    "cat_ws": 1500,
    "cat_kj": 500,
    "cat_ku": 400,
    "cat_rs": 300,
    "cat_zy": 200,
    "cat_other": 100,
    "shelf_m": 33.0,  # 0.03 m x 1000 卷 + 0.0015 m x 2000 件
    "unsorted_shelf_m": 1.5,
    "photos": 100,
    "av_reels": 5,
    "physical_items": 10,
    "e_items": 500,
    "e_gb": 12.5,
    "digitized_vol": 300,
    "digitized_item": 800,
    "digitized_gb": 120.5,
    "pre1949": 100,
    "red_archives": 20,
    "opened": 0,
    "building_m2": 500.0,
    "storage_m2": 300.0,
    "has_climate_control": "是",
    "has_fire_alarm": "否",
    "contact_name": "张三",
    "contact_phone": "13800138000",
    "remarks": None,
}
BASE_HOLDINGS = CENSUS_BASE["vol_total"] + CENSUS_BASE["item_total"]

# The register's row of the same holder, without annual statistics (optional: all three or none).
REGISTER_BASE: dict[str, Any] = {name: CENSUS_BASE.get(name) for name in REGISTER_FORM.field_names}

# The same holder's red archives (80 卷件, more than its 20 革命历史档案), and a return's foot.
RED_BASE: dict[str, Any] = {
    "uscc": BASE_USCC,
    "unit_name": CENSUS_BASE["unit_name"],
    "red_vol": 30,
    "red_item": 50,
    "red_intact": 60,
    "red_light": 10,
    "red_moderate": 5,
    "red_severe": 3,
    "red_extreme": 2,
    "red_digitized": 40,
    "red_exhibitions": 2,
    "red_publications": 1,
    "red_research": 3,
    "remarks": None,
}
SIGN_OFF_BASE: dict[str, Any] = {
    "unit_head": "李四",
    "statistics_head": "王五",
    "preparer": "张三",
    "preparer_phone": "020-83133000",
    "reported_on": date(2025, 3, 1),
}

BASE_ROWS: dict[str, dict[str, Any]] = {
    CENSUS_FORM.kind: CENSUS_BASE,
    REGISTER_FORM.kind: REGISTER_BASE,
    RED_ARCHIVES_FORM.kind: RED_BASE,
    SIGN_OFF_FORM.kind: SIGN_OFF_BASE,
}
