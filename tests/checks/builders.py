"""Parsed-return frames for check tests: valid base rows, typed as the parser delivers them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.fields import Form
from census_schema.uscc import compute_uscc_check_char

SHEET = "普查表"
PROVINCE = "440000"
BASE_USCC = "91440300708461136T"


def make_uscc(serial: int, prefix: str = "91440300") -> str:
    """A valid USCC: prefix, a zero-padded serial to 17 symbols, then its check character."""
    first17 = f"{prefix}{serial:0{17 - len(prefix)}d}"
    return first17 + compute_uscc_check_char(first17)


def with_wrong_check_char(code: str) -> str:
    """The code with a check character of the right charset that is not the correct one."""
    wrong = "0" if code[17] != "0" else "1"
    return code[:17] + wrong


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
    "vol_unassigned": 40,
    "item_total": 2000,
    "item_permanent": 1000,
    "item_30y": 500,
    "item_10y": 460,
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

REGISTER_BASE: dict[str, Any] = {name: CENSUS_BASE[name] for name in REGISTER_FORM.field_names}

BASE_ROWS: dict[str, dict[str, Any]] = {CENSUS_FORM.kind: CENSUS_BASE, REGISTER_FORM.kind: REGISTER_BASE}


def frame_schema(form: Form) -> dict[str, Any]:
    """The polars schema the parser delivers for a form."""
    fields = {f.name: f.polars_dtype for f in form.fields}
    return {**fields, "excel_row": pl.Int64, "sheet": pl.Utf8}


def build_rows(
    form: Form,
    overrides: Iterable[Mapping[str, Any]],
    *,
    excel_rows: Sequence[int] | None = None,
    sheet: str = SHEET,
) -> pl.DataFrame:
    """A parsed-return frame: the form's base row updated by each mapping, at the given Excel rows (default 3, 4, …).

    Each row is its own holder: rows after the first get a USCC of their own unless their mapping names one.
    """
    rows = [
        {**BASE_ROWS[form.kind], **({"uscc": make_uscc(10_000 + i)} if i else {}), **changes}
        for i, changes in enumerate(overrides)
    ]
    numbers = list(excel_rows) if excel_rows is not None else list(range(3, 3 + len(rows)))
    records = [{**row, "excel_row": number, "sheet": sheet} for row, number in zip(rows, numbers, strict=True)]
    return pl.DataFrame(records, schema=frame_schema(form))
