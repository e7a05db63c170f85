"""Summary figures and the submission list, checked against hand-computed numbers."""

from __future__ import annotations

from datetime import datetime

import pytest

from census_schema.divisions import load_divisions
from census_schema.errors import UsageError
from tests.conftest import on_both_backends
from tests.warehouse.factories import load, make_submission, make_uscc
from warehouse.loads import new_submission_id, record_submission
from warehouse.queries import (
    DECIMAL_FIGURES,
    FIGURES,
    canonical_submission_id,
    list_submissions,
    query_coverage_total,
    query_summary,
    query_unregistered_holders,
)

BREAKDOWN_KEYS = ("by_holder_type", "by_unit_nature", "by_level", "by_category", "by_retention", "by_carrier")

A, B, C, D, E, X = (make_uscc(n) for n in range(1, 7))
# A scope where no holder is expected: zeros, and no coverage (0 of 0 is not 0 %).
ZEROS = {name: 0 for name in FIGURES} | {"coverage_pct": None}
GX = "450102"  # 兴宁区, 南宁市, 广西


def province(summary: dict, code: str) -> dict:
    (entry,) = [p for p in summary["provinces"] if p["province_code"] == code]
    return entry


def figures(entry: dict) -> dict:
    return {k: entry[k] for k in FIGURES}


def test_a_submission_number_typed_in_any_case_is_the_number_as_made():
    # Numbers typed or pasted in another case were not found (S2024-… and s2024-… were two numbers).
    at = datetime(2026, 11, 30, 4, 30, 47)
    made = [
        new_submission_id(r, c, at)
        for r, c in (("2024", "440000"), ("2024", "enterprises"), ("2021-2025", "indicators"))
    ]
    for number in made:
        assert canonical_submission_id(number) == number
        assert canonical_submission_id(f"  {number.lower()}\t") == canonical_submission_id(number.upper()) == number
    assert canonical_submission_id(" S-none ") == "S-none" and canonical_submission_id("") == ""


@on_both_backends("con")
def test_an_empty_warehouse_has_32_provinces_of_zeros(con):
    summary = query_summary(con)
    assert set(summary) == {
        "round",
        "national",
        "provinces",
        "central",
        "review",
        *BREAKDOWN_KEYS,
        "red_archive_resources",
    }
    assert summary["round"] == "2024"
    assert figures(summary["national"]) == ZEROS
    codes = [p["province_code"] for p in summary["provinces"]]
    assert codes == [p.code for p in load_divisions().census_provinces()]
    assert len(codes) == 32 and codes == sorted(codes)
    assert "660000" in codes and "710000" not in codes
    for entry in summary["provinces"]:
        assert set(entry) == {"province_code", "province_name", *FIGURES, "bases"}
        assert figures(entry) == ZEROS
    assert province(summary, "440000")["province_name"] == "广东省"
    central = summary["central"]
    assert (central["name"], figures(central)) == ("中央", ZEROS)
    assert [(c["channel"], c["channel_name"]) for c in central["channels"]] == [
        ("organs", "中央和国家机关"),
        ("enterprises", "中央企业"),
        ("archives", "中央级档案馆"),
    ]
    assert all(figures(c) == ZEROS for c in central["channels"])
    nothing = {
        "returns": 0,
        "by_state": {"待地级审核": 0, "待省级审核": 0, "待国家局审核": 0, "已审核": 0, "已退回": 0},
        "reviewed_pct": 0.0,
    }
    assert {k: summary["review"][k] for k in nothing} == nothing


@on_both_backends("con")
def test_integers_are_ints_and_decimals_floats(loaded):
    national = query_summary(loaded)["national"]
    assert DECIMAL_FIGURES == {"coverage_pct", "e_gb", "storage_m2", "shelf_m"}
    assert all(type(national[k]) is float for k in DECIMAL_FIGURES)
    assert all(type(national[k]) is int for k in FIGURES if k not in DECIMAL_FIGURES)


@pytest.fixture
def loaded(con):
    """Guangdong: register A B C D, return A B X; Guangxi: register E, return A (also in Guangdong) and E."""
    load(con, "register", "440000", [{"uscc": u} for u in (A, B, C, D)])
    load(
        con,
        "census",
        "440000",
        [
            {"uscc": A, "vol_total": 100, "item_total": 50, "digitized_vol": 10, "e_items": 3, "e_gb": 0.126,
             "pre1949": 4, "red_archives": 1, "opened": 7, "storage_m2": 120.5, "shelf_m": 12.3, "staff_fulltime": 2,
             "photos": 40, "av_reels": 2, "physical_items": 1},
            {"uscc": B, "vol_total": 200, "item_total": 0, "digitized_item": 0, "e_gb": 1.0, "storage_m2": 0.25,
             "shelf_m": 4.5, "staff_fulltime": 1, "photos": 60},
            {"uscc": X, "vol_total": 1, "item_total": 2, "digitized_item": 2, "division_code": "440100"},
        ],
    )  # fmt: skip
    load(con, "register", "450000", [{"uscc": E, "division_code": GX}])
    load(
        con,
        "census",
        "450000",
        [
            {"uscc": A, "vol_total": 5, "item_total": 5, "division_code": GX},
            {
                "uscc": E,
                "vol_total": 10,
                "item_total": 20,
                "opened": 3,
                "division_code": GX,
                "e_gb": 2.004,
                "shelf_m": 1.0,
                "staff_fulltime": 3,
            },
        ],
    )
    return con


@on_both_backends("con")
def test_summary_after_loads_matches_hand_computed_figures(loaded):
    summary = query_summary(loaded)
    gd, gx = province(summary, "440000"), province(summary, "450000")
    assert figures(gd) == {
        "units_expected": 4,
        "units_reported": 2,
        "units_unregistered": 1,
        "coverage_pct": 50.0,
        "vol_total": 301,
        "item_total": 52,
        "digitized_vol": 10,
        "digitized_item": 2,
        "e_items": 3,
        "e_gb": 1.13,  # 0.126 + 1.0
        "pre1949": 4,
        "red_archives": 1,
        "opened": 7,
        "storage_m2": 120.75,
        "shelf_m": 16.8,
        "staff_fulltime": 3,
        "photos": 100,  # 40 + 60: the carriers other than paper, each in its own unit
        "av_reels": 2,
        "physical_items": 1,
    }
    assert figures(gx) == {
        **ZEROS,
        "units_expected": 1,
        "units_reported": 1,
        "units_unregistered": 1,  # A reported by Guangxi is not on Guangxi's register
        "coverage_pct": 100.0,
        "vol_total": 15,
        "item_total": 25,
        "opened": 3,
        "e_gb": 2.0,
        "shelf_m": 1.0,
        "staff_fulltime": 3,
    }
    national = summary["national"]
    assert national["units_expected"] == 5
    assert national["units_reported"] == 3
    assert national["units_unregistered"] == 2
    assert national["coverage_pct"] == 60.0
    assert national["vol_total"] == 316
    assert national["item_total"] == 77
    assert national["e_gb"] == 3.13
    assert national["storage_m2"] == 120.75
    assert (national["shelf_m"], national["staff_fulltime"]) == (17.8, 6)
    assert figures(province(summary, "110000")) == ZEROS


def test_one_province_keeps_national_figures(loaded):
    full = query_summary(loaded)
    one = query_summary(loaded, province_code="450000")
    assert [p["province_code"] for p in one["provinces"]] == ["450000"]
    assert one["provinces"][0] == province(full, "450000")
    assert one["national"] == full["national"]


@pytest.mark.parametrize("code", ["44", "440100", "710000", "abcdef", ""])
def test_an_unknown_province_is_a_usage_error(con, code):
    with pytest.raises(UsageError):
        query_summary(con, province_code=code)


def test_coverage_never_exceeds_100_and_unregistered_count_apart(con):
    load(con, "register", "440000", [{"uscc": A}])
    load(con, "census", "440000", [{"uscc": A}, {"uscc": B}, {"uscc": C}])
    gd = province(query_summary(con), "440000")
    assert (gd["units_expected"], gd["units_reported"], gd["units_unregistered"]) == (1, 1, 2)
    assert gd["coverage_pct"] == 100.0


def test_coverage_is_rounded_to_two_decimals(con):
    load(con, "register", "440000", [{"uscc": u} for u in (A, B, C)])
    load(con, "census", "440000", [{"uscc": A}])
    assert province(query_summary(con), "440000")["coverage_pct"] == 33.33


def test_returns_without_a_register_have_no_coverage(con):
    # 0 of 0 expected is not 0 %: a script reading summary --json would take 0.0 for "nobody reported".
    load(con, "census", "440000", [{"uscc": A}])
    summary = query_summary(con)
    gd = province(summary, "440000")
    assert (gd["units_expected"], gd["units_reported"], gd["units_unregistered"], gd["coverage_pct"]) == (0, 0, 1, None)
    assert summary["national"]["coverage_pct"] is None
    assert gd["bases"]["archive_rooms"]["coverage_pct"] is None
    assert all(member["coverage_pct"] is None for member in summary["by_holder_type"])


def test_only_current_accepted_returns_of_the_round_count(con):
    load(con, "census", "440000", [{"uscc": A, "vol_total": 1000}], content="old")
    load(con, "census", "440000", [{"uscc": A, "vol_total": 10}], content="new")
    load(con, "census", "440000", [{"uscc": A, "vol_total": 7}], round_id="2023")
    record_submission(con, make_submission(status="rejected", content="bad", error_count=1), None, [])
    assert province(query_summary(con), "440000")["vol_total"] == 10
    assert province(query_summary(con, "2023"), "440000")["vol_total"] == 7
    assert query_summary(con, "2023")["round"] == "2023"


@on_both_backends("con")
def test_holder_mart_derives_prefecture_and_county(con):
    load(
        con,
        "census",
        "440000",
        [
            {"uscc": A, "division_code": "440106"},
            {"uscc": B, "division_code": "440100"},
            {"uscc": C, "division_code": "440000"},
        ],
    )
    load(con, "census", "410000", [{"uscc": D, "division_code": "419001"}])  # a county directly under the province
    rows = con.execute(
        "SELECT uscc, province_code, prefecture_code, county_code, holdings, is_registered FROM mart_holder_returns "
        "ORDER BY uscc"
    ).fetchall()
    assert rows == [
        (A, "440000", "440100", "440106", 0, False),
        (B, "440000", "440100", None, 0, False),
        (C, "440000", None, None, 0, False),
        (D, "410000", None, "419001", 0, False),
    ]


@on_both_backends("con")
def test_coverage_mart_has_one_row_per_registered_holder(loaded):
    rows = loaded.execute(
        "SELECT province_code, uscc, expected_count, has_reported FROM mart_coverage ORDER BY province_code, uscc"
    ).fetchall()
    assert rows == [
        ("440000", A, 1, True),
        ("440000", B, 1, True),
        ("440000", C, 1, False),
        ("440000", D, 1, False),
        ("450000", E, 1, True),
    ]


@on_both_backends("con")
def test_list_submissions_newest_first_and_by_province(loaded):
    everything = list_submissions(loaded)
    assert len(everything) == 4
    assert [s["submitted_at"] for s in everything] == sorted((s["submitted_at"] for s in everything), reverse=True)
    gx = list_submissions(loaded, "450000")
    assert {(s["kind"], s["province_code"]) for s in gx} == {("census", "450000"), ("register", "450000")}
    assert {"submission_id", "status", "is_current", "review_state", "file_sha256"} <= set(gx[0])
    assert list_submissions(loaded, "110000") == []


def test_holders_off_the_register_are_listed_in_their_return_s_row_order(con):
    # As the uploader reads the workbook (they were listed by credit code: rows 278, 704, 95, 310).
    load(con, "census", "440000", [{"uscc": C}, {"uscc": A}, {"uscc": B}])
    listed = query_unregistered_holders(con, "440000")
    assert [(r["uscc"], r["excel_row"]) for r in listed] == [(C, 3), (A, 4), (B, 5)]


def test_a_corps_city_in_an_older_xinjiang_return_counts_under_the_corps_in_the_summary_as_on_coverage(con):
    # Releases before the Corps reported on its own loaded Xinjiang's registers and returns with holders of its
    # 师市合一 cities (6590xx); those holders now belong to the Corps (660000): every view must place them so.
    holders = [
        {"uscc": make_uscc(1, "12650000"), "division_code": "650102"},
        {"uscc": make_uscc(2, "12650000"), "division_code": "659002"},
    ]
    load(con, "register", "650000", holders)
    load(con, "census", "650000", holders)
    by_province = {p["province_code"]: p for p in query_summary(con)["provinces"]}
    for code in ("650000", "660000"):
        total = query_coverage_total(con, code)
        summary = by_province[code]
        assert (summary["units_expected"], summary["units_reported"]) == (1, 1), code
        assert (total["units_expected"], total["units_reported"]) == (1, 1), code
