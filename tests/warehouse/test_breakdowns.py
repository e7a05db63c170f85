"""Breakdowns, indicator bases, the red-archive inventory and outliers, on hand-computed figures and on a synthetic
nation: every breakdown sums to its total."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from census_schema.breakdowns import GROUP_BREAKDOWNS
from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM, SIGN_OFF_FORM, SUMMARY_SUM_FIELDS
from census_schema.scopes import central_scope
from synthetic.census import generate_national_dataset, summarize_breakdowns, summarize_red_archives
from tests.conftest import on_both_backends
from tests.warehouse.factories import load, make_rows, make_submission, make_uscc
from warehouse.breakdowns import query_breakdowns
from warehouse.indicators import computed_indicator_values
from warehouse.loads import record_upload
from warehouse.outliers import query_outliers
from warehouse.queries import query_children_figures, query_coverage_total, query_summary

UNITS = ("units_expected", "units_reported", "units_unregistered")
DECIMALS = ("e_gb", "storage_m2")
A, B, C, D, X = (make_uscc(n) for n in range(1, 6))


def add(values: list[dict[str, Any]], name: str) -> Any:
    total = sum(v[name] for v in values if v[name] is not None)
    return round(total, 2) if name in DECIMALS else total


def assert_groups_sum_to(members: list[dict[str, Any]], figures: dict[str, Any], *, with_expected: bool = True):
    for name in (*UNITS, *SUMMARY_SUM_FIELDS):
        if name == "units_expected" and not with_expected:
            assert all(m[name] is None for m in members)
            continue
        assert add(members, name) == pytest.approx(figures[name]), name
    for member in members:
        if with_expected:
            assert member["units_reported"] <= member["units_expected"] or member["units_expected"] == 0
            if member["units_expected"]:
                assert 0 <= member["coverage_pct"] <= 100
            else:
                assert member["coverage_pct"] is None


def assert_breakdowns_sum_to(summary: dict[str, Any], figures: dict[str, Any]):
    for group in GROUP_BREAKDOWNS:
        assert_groups_sum_to(summary[group.key], figures, with_expected=group.register_column is not None)
    holdings = figures["vol_total"] + figures["item_total"]
    assert sum(m["holdings"] for m in summary["by_category"]) == holdings
    retention = summary["by_retention"]
    assert sum(m["vol"] for m in retention) == figures["vol_total"]
    assert sum(m["item"] for m in retention) == figures["item_total"]
    assert sum(m["holdings"] for m in retention) == holdings
    carriers = {m["field"]: m["value"] for m in summary["by_carrier"]}
    assert (carriers["e_items"], carriers["e_gb"]) == (figures["e_items"], pytest.approx(figures["e_gb"]))
    assert_groups_sum_to(list(figures["bases"].values()), figures)


# ---------------------------------------------------------------------------------------------- a synthetic nation


def load_census(con, province, dataset_province, *, content: str) -> str:
    """Record a province's clean three-sheet census return, as the ingest flow would after validation."""
    sheets = {
        CENSUS_FORM.sheet_name: framed(dataset_province.census, CENSUS_FORM.sheet_name),
        RED_ARCHIVES_FORM.sheet_name: framed(dataset_province.red_archives, RED_ARCHIVES_FORM.sheet_name),
        SIGN_OFF_FORM.sheet_name: framed(dataset_province.sign_off, SIGN_OFF_FORM.sheet_name),
    }
    submission = make_submission("census", province, content=content, row_count=dataset_province.census.height)
    return record_upload(con, submission, sheets, [])


def framed(frame: pl.DataFrame, sheet: str) -> pl.DataFrame:
    return frame.with_columns(sheet=pl.lit(sheet), excel_row=pl.int_range(3, 3 + frame.height, dtype=pl.Int64))


@pytest.fixture(scope="module")
def nation(tmp_path_factory):
    from warehouse.connection import connect_warehouse

    dataset = generate_national_dataset(900, seed=21)
    con = connect_warehouse(tmp_path_factory.mktemp("nation") / "w.duckdb")
    # One province's return is missing: its register is loaded, its holders are expected and not reported.
    missing = "540000"
    for code, province in dataset.provinces.items():
        register = make_submission("register", code, content=f"register-{code}", row_count=province.register.height)
        record_upload(con, register, {"普查对象名录": framed(province.register, "普查对象名录")}, [])
        if code != missing:
            load_census(con, code, province, content=f"census-{code}")
    yield dataset, missing, con
    con.close()


def test_every_breakdown_of_the_nation_sums_to_the_national_figures(nation):
    _, _, con = nation
    summary = query_summary(con)
    assert summary["national"]["units_reported"] > 0 and summary["national"]["units_unregistered"] > 0
    assert_breakdowns_sum_to(summary, summary["national"])


def test_every_breakdown_of_a_province_sums_to_its_figures_and_bases_to_each_province(nation):
    _, _, con = nation
    for code in ("440000", "660000", "540000"):
        summary = query_summary(con, province_code=code)
        (figures,) = summary["provinces"]
        assert_breakdowns_sum_to(summary, figures)
    for province in query_summary(con)["provinces"]:
        assert_groups_sum_to(list(province["bases"].values()), province)


def test_every_breakdown_of_a_prefecture_or_county_sums_to_its_coverage_and_holdings(nation):
    _, _, con = nation
    children = {r["division_code"]: r for r in query_children_figures(con, "440000")}
    prefecture = next(code for code, row in children.items() if code != "440000" and row["vol_total"] > 0)
    county = next(
        r["division_code"] for r in query_children_figures(con, prefecture) if r["division_code"] != prefecture
    )
    for scope, holdings in ((prefecture, children[prefecture]), (county, None)):
        breakdowns = query_breakdowns(con, scope)
        coverage = query_coverage_total(con, scope)
        for group in GROUP_BREAKDOWNS:
            members = breakdowns[group.key]
            assert sum(m["units_reported"] for m in members) == coverage["units_reported"] > 0, (scope, group.key)
            if group.register_column is not None:
                assert sum(m["units_expected"] for m in members) == coverage["units_expected"], (scope, group.key)
        if holdings is not None:
            assert (
                sum(m["holdings"] for m in breakdowns["by_category"]) == holdings["vol_total"] + holdings["item_total"]
            )
    # A prefecture is part of its province: its breakdowns are not the province's.
    province = query_breakdowns(con, "440000")["by_holder_type"]
    assert sum(m["units_reported"] for m in query_breakdowns(con, prefecture)["by_holder_type"]) < sum(
        m["units_reported"] for m in province
    )


def test_the_warehouse_breakdowns_are_the_generators(nation):
    dataset, missing, con = nation
    returns = {c: (p.register, None if c == missing else p.census) for c, p in dataset.provinces.items()}
    assert query_breakdowns(con) == summarize_breakdowns(returns)
    red = summarize_red_archives(p.red_archives for c, p in dataset.provinces.items() if c != missing)
    assert query_summary(con)["red_archive_resources"] == red
    assert red["holders"] > 50 and red["red_total"] == sum(m["value"] for m in red["by_condition"])


# ---------------------------------------------------------------------------------------------- by hand


@pytest.fixture
def bases(con):
    """Guangdong: two comprehensive archives (A, B) and an archive room (C) on the register, all reporting, and X,
    a room outside the register; B keeps red archives."""
    register = [
        {"uscc": A, "holder_type": "综合档案馆", "admin_level": "省级", "division_code": "440000"},
        {"uscc": B, "holder_type": "综合档案馆", "admin_level": "县级"},
        {"uscc": C, "holder_type": "机关档案室", "admin_level": "县级"},
        {"uscc": D, "holder_type": "企事业单位档案室", "admin_level": "副省级", "division_code": "440100"},
    ]
    load(con, "register", "440000", register)
    rows = [
        {**register[0], "unit_nature": "事业单位", "vol_total": 100, "item_total": 50, "digitized_vol": 20,
         "digitized_item": 10, "opened": 20, "vol_permanent": 60, "vol_long": 40, "item_short": 50, "cat_ws": 150},
        {**register[1], "unit_nature": "事业单位", "vol_total": 200, "item_total": 150, "digitized_vol": 100,
         "digitized_item": 40, "opened": 70, "vol_permanent": 200, "item_10y": 150, "cat_ws": 300, "cat_kj": 50},
        {**register[2], "unit_nature": "机关", "vol_total": 1000, "item_total": 2000, "digitized_vol": 100,
         "digitized_item": 200, "vol_30y": 1000, "item_permanent": 2000, "cat_ws": 3000},
        {"uscc": X, "holder_type": "机关档案室", "admin_level": "县级", "unit_nature": "机关", "vol_total": 10,
         "item_total": 0, "vol_unassigned": 10, "cat_other": 10},
    ]  # fmt: skip
    sheets = {
        "普查表": make_rows("census", rows),
        "红色档案资源摸底": make_rows(
            "red_archives",
            [
                {
                    "uscc": B,
                    "red_vol": 30,
                    "red_item": 10,
                    "red_intact": 30,
                    "red_light": 6,
                    "red_severe": 4,
                    "red_digitized": 10,
                    "red_exhibitions": 2,
                    "red_research": 1,
                }
            ],
        ),  # fmt: skip
    }
    record_upload(con, make_submission("census", "440000", content="by-hand"), sheets, [])
    return con


@on_both_backends("con")
def test_bases_and_breakdowns_by_hand(bases):
    summary = query_summary(bases)
    national = summary["national"]
    comprehensive, rooms = national["bases"]["comprehensive"], national["bases"]["archive_rooms"]
    assert (comprehensive["units_expected"], comprehensive["units_reported"], comprehensive["vol_total"]) == (2, 2, 300)
    assert (rooms["units_expected"], rooms["units_reported"], rooms["units_unregistered"]) == (2, 1, 1)
    assert (rooms["vol_total"], rooms["item_total"], rooms["coverage_pct"]) == (1010, 2000, 50.0)
    assert national["bases"]["other_archives"]["units_expected"] == 0
    by_level = {m["level"]: m for m in summary["by_level"]}
    # 副省级 counts with 地级: D is expected there and did not report.
    assert (
        by_level["省级"]["units_expected"],
        by_level["地级"]["units_expected"],
        by_level["县级"]["units_expected"],
    ) == (
        1,
        1,
        2,
    )
    assert (by_level["地级"]["units_reported"], by_level["县级"]["units_unregistered"]) == (0, 1)
    by_nature = {m["unit_nature"]: m for m in summary["by_unit_nature"]}
    assert (by_nature["事业单位"]["units_reported"], by_nature["机关"]["units_reported"]) == (2, 1)
    assert (by_nature["机关"]["units_unregistered"], by_nature["机关"]["units_expected"]) == (1, None)
    retention = {m["retention"]: (m["vol"], m["item"]) for m in summary["by_retention"]}
    assert retention == {
        "永久": (260, 2000),
        "定期30年": (1000, 0),
        "定期10年": (0, 150),
        "长期": (40, 0),
        "短期": (0, 50),
        "未划定期限": (10, 0),
    }
    assert_breakdowns_sum_to(summary, national)


def test_central_channels_count_in_the_national_bases_breakdowns_and_red_archives(bases):
    """National figures include the central channels (as query_summary's do), with bases of their own: a central
    archives (no province) must neither overwrite the nation's bases nor fall out of them."""
    scope = central_scope("archives")
    central_uscc, missing_uscc = make_uscc(901), make_uscc(902)
    register = [
        {"uscc": uscc, "holder_type": "综合档案馆", "admin_level": "中央", "division_code": "110000"}
        for uscc in (central_uscc, missing_uscc)
    ]
    load(bases, "register", "110000", register, scope=scope)
    row = {**register[0], "unit_nature": "事业单位", "vol_total": 5000, "item_total": 0, "vol_permanent": 5000,
           "cat_ws": 5000}  # fmt: skip
    sheets = {
        "普查表": make_rows("census", [row]),
        "红色档案资源摸底": make_rows(
            "red_archives", [{"uscc": central_uscc, "red_vol": 100, "red_intact": 100, "red_digitized": 50}]
        ),
    }
    record_upload(bases, make_submission("census", "110000", content="central", scope=scope), sheets, [])
    summary = query_summary(bases)
    national, central = summary["national"], summary["central"]
    comprehensive = national["bases"]["comprehensive"]
    # Guangdong's two comprehensive archives and the central one; the central channel's two expected.
    assert (comprehensive["units_expected"], comprehensive["units_reported"], comprehensive["vol_total"]) == (
        4,
        3,
        5300,
    )
    assert central["bases"]["comprehensive"]["units_expected"] == 2
    assert (central["bases"]["comprehensive"]["vol_total"], central["bases"]["comprehensive"]["coverage_pct"]) == (
        5000,
        50.0,
    )
    channels = {c["channel"]: c for c in central["channels"]}
    assert channels["archives"]["bases"] == central["bases"]
    assert channels["organs"]["bases"]["comprehensive"]["units_expected"] == 0
    guangdong = next(p for p in summary["provinces"] if p["province_code"] == "440000")
    assert guangdong["bases"]["comprehensive"]["units_expected"] == 2
    by_level = {m["level"]: m for m in summary["by_level"]}
    assert (by_level["中央"]["units_expected"], by_level["中央"]["vol_total"]) == (2, 5000)
    assert summary["red_archive_resources"]["holders"] == 2
    assert summary["red_archive_resources"]["red_vol"] == 130
    assert_breakdowns_sum_to(summary, national)
    # A province's breakdowns leave the central channels out.
    assert query_summary(bases, province_code="440000")["red_archive_resources"]["holders"] == 1


def test_indicators_use_the_basis_their_names_state(bases):
    values = {r["indicator_code"]: r["value"] for r in computed_indicator_values(bases) if r["province_code"] is None}
    # 综合档案馆 only: (20 + 10 + 100 + 40) / (150 + 350) and (20 + 70) / 500.
    assert values["JC01"] == Decimal("34.00")
    assert values["JC02"] == Decimal("18.00")
    assert values["JC07"] == Decimal("500.00")
    # Archive rooms on their own: (100 + 200) / (3000 + 10), and their holdings.
    assert values["JC10"] == Decimal("9.97")
    assert values["JC11"] == Decimal("3010.00")
    # Indicators over every holder say so: completion 3 of 4 registered holders.
    assert values["JC04"] == Decimal("75.00")
    # Red-archive holdings: the inventory sheet's 30 卷 + 10 件 (field 38, 革命历史档案, is another figure), nationally
    # and for the province that holds them.
    assert values["JC05"] == Decimal("40.00")
    guangdong = {
        r["indicator_code"]: r["value"] for r in computed_indicator_values(bases) if r["province_code"] == "440000"
    }
    assert guangdong["JC05"] == Decimal("40.00")


@on_both_backends("con")
def test_the_red_archive_inventory_by_hand(bases):
    red = query_summary(bases)["red_archive_resources"]
    assert red == {
        "holders": 1,
        "red_vol": 30,
        "red_item": 10,
        "red_total": 40,
        "by_condition": [
            {"condition": "完好", "value": 30},
            {"condition": "轻度破损", "value": 6},
            {"condition": "中度破损", "value": 0},
            {"condition": "严重破损", "value": 4},
            {"condition": "特残破损", "value": 0},
        ],
        "red_digitized": 10,
        "digitized_pct": 25.0,
        "red_exhibitions": 2,
        "red_publications": 0,
        "red_research": 1,
    }
    assert query_summary(bases, province_code="450000")["red_archive_resources"]["holders"] == 0


# ---------------------------------------------------------------------------------------------- outliers


@pytest.fixture
def peers(con):
    """Two peer groups of ten county archive rooms in Guangdong, each with one value far above the rest, and a
    third holder far below its peers."""
    organs = [1000, 1100, 900, 1050, 950, 1000, 1020, 980, 10, 50_000]
    enterprises = [500] * 9 + [20_000]
    rows = [
        {"uscc": make_uscc(100 + i), "holder_type": "机关档案室", "admin_level": "县级", "vol_total": v, "item_total": 0}
        for i, v in enumerate(organs)
    ] + [
        {"uscc": make_uscc(200 + i), "holder_type": "企事业单位档案室", "admin_level": "县级", "vol_total": v,
         "item_total": 0}
        for i, v in enumerate(enterprises)
    ]  # fmt: skip
    load(con, "census", "440000", rows)
    return con, sum(organs) + sum(enterprises)


def test_outliers_are_ranked_by_their_impact_on_the_national_total(peers):
    con, total = peers
    found = query_outliers(con)
    assert [(r["uscc"], r["field"], r["value"], r["peer_median"]) for r in found] == [
        (make_uscc(109), "holdings", 50_000, 1000),  # moves the total by 49,000
        (make_uscc(209), "holdings", 20_000, 500),  # by 19,500 (its peers all equal: the mean deviation scales it)
        (make_uscc(108), "holdings", 10, 1000),  # by 990, downwards
    ]
    first = found[0]
    assert first["impact_pct"] == round(100 * 49_000 / total, 4)
    assert (first["peer_count"], first["direction"], first["field_label"]) == (10, "偏高", "馆（室）藏档案")
    assert found[2]["direction"] == "偏低" and found[2]["modified_z"] < -3.5
    assert all(abs(r["modified_z"]) > 3.5 for r in found)
    # Where each was read: the workbook and its row (a province's current returns are several).
    files = dict(con.execute("SELECT submission_id, file_name FROM submissions").fetchall())
    assert all(r["file_name"] and r["file_name"] == files[r["submission_id"]] and r["excel_row"] >= 3 for r in found)
    # Constant fields (staff, storage, capacity all 0) flag nothing; a province filter keeps national peers.
    assert query_outliers(con, province_code="450000") == []
    assert len(query_outliers(con, province_code="440000")) == 3


def test_small_peer_groups_are_not_judged(peers):
    con, _ = peers
    assert query_outliers(con, min_peers=11) == []
