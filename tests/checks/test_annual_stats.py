"""The census return against the annual statistics (统计年报) the register gives: `holdings_vs_annual_stats`, a warning
where a holder's 卷 + 件 differ from the annual figure by more than 30 % of it."""

from __future__ import annotations

from typing import Any

import pytest

from census_schema.census_form import (
    ANNUAL_STATS_MAX_CHANGE_PCT,
    CENSUS_FORM,
    CENSUS_WORKBOOK,
    RED_ARCHIVES_FORM,
    SIGN_OFF_FORM,
    AnnualStatistics,
)
from census_schema.fields import Severity
from checks.context import build_check_context
from checks.validate import validate_workbook
from checks.workbook_rules import check_differs_from_annual_stats
from synthetic.holders import BASE_USCC, make_uscc
from tests.checks.builders import PROVINCE, SHEET, build_rows

RULE = CENSUS_FORM.rules_by_id["holdings_vs_annual_stats"]
OTHER_USCC = make_uscc(700_002)


def warnings_for(annual: dict[str, AnnualStatistics] | None, *holdings: dict[str, Any]) -> list[tuple[int | None, str]]:
    """(Excel row, message) of each warning on rows of these 卷 and 件 (each row its own holder, the first BASE_USCC)."""
    rows = build_rows(CENSUS_FORM, holdings)
    context = build_check_context(PROVINCE, annual_stats=annual)
    failures = check_differs_from_annual_stats([RULE], CENSUS_FORM, {SHEET: rows}, context)
    assert {(f.rule, f.field, f.severity) for f in failures} <= {(RULE.rule_id, "vol_total", Severity.WARNING)}
    return [(f.row, f.message) for f in failures]


def held(vol: int, item: int) -> dict[str, Any]:
    return {"vol_total": vol, "item_total": item}


def annual(vol: int, item: int, year: int = 2023) -> dict[str, AnnualStatistics]:
    return {BASE_USCC: AnnualStatistics(year, vol, item)}


def message(year: int, change: str, was: str, now: str) -> str:
    return (
        f"与 {year} 年统计年报相比，档案数量（卷+件）{change}（年报 {was}，本表 {now}），请核实；"
        "确有接收、移交或销毁的，请在备注中说明。"
    )


# (annual 卷, 件), (census 卷, 件) -> the warning's message, or None.
CASES = [
    pytest.param((10_000, 2_000), (13_000, 4_400), message(2023, "增加 45.0%", "12,000", "17,400"), id="up-45"),
    pytest.param((6_000, 4_000), (9_000, 4_000), None, id="up-exactly-30"),
    pytest.param((6_000, 4_000), (9_000, 4_001), message(2023, "增加 30.01%", "10,000", "13,001"), id="up-just-over"),
    pytest.param((6_000, 4_000), (5_000, 2_000), None, id="down-exactly-30"),
    pytest.param((6_000, 4_000), (5_000, 1_999), message(2023, "减少 30.01%", "10,000", "6,999"), id="down-just-over"),
    pytest.param((6_000, 4_000), (2_000, 500), message(2023, "减少 75.0%", "10,000", "2,500"), id="down-75"),
    pytest.param((3, 2), (0, 0), message(2023, "减少 100.0%", "5", "0"), id="down-to-0"),
    pytest.param((0, 0), (0, 1), message(2023, "增加", "0", "1"), id="annual-0"),
    pytest.param((0, 0), (0, 0), None, id="both-0"),
    pytest.param((60, 40), (1_000_000, 350_100), message(2023, "增加 1,350,000.0%", "100", "1,350,100"), id="huge"),
    # 30.25 % rounds half up to 30.3 % (binary floating point would give 30.2).
    pytest.param((400, 0), (521, 0), message(2023, "增加 30.3%", "400", "521"), id="rounds-half-up"),
    pytest.param((10, 0), (12, 1), None, id="up-30-small"),
]


@pytest.mark.parametrize(("was", "now", "expected"), CASES)
def test_holdings_are_compared_with_the_annual_figure(was, now, expected):
    found = warnings_for(annual(*was), held(*now))
    assert found == ([] if expected is None else [(3, expected)])


def test_the_threshold_is_the_declared_one():
    assert ANNUAL_STATS_MAX_CHANGE_PCT == 30 and RULE.params["max_change_pct"] == 30
    assert RULE.severity is Severity.WARNING and "30%" in RULE.message


def test_the_message_names_the_year_of_the_statistics():
    assert warnings_for(annual(1_000, 0, year=2019), held(2_000, 0)) == [
        (3, message(2019, "增加 100.0%", "1,000", "2,000"))
    ]


def test_only_holders_whose_register_row_gives_figures_are_compared():
    figures = {OTHER_USCC: AnnualStatistics(2023, 10, 0)}
    # The first holder (BASE_USCC) has no figures; the second's 3000 卷件 are far above its 10.
    assert warnings_for(figures, held(1_000, 2_000), {"uscc": OTHER_USCC}) == [
        (4, message(2023, "增加 29,900.0%", "10", "3,000"))
    ]


@pytest.mark.parametrize("figures", [None, {}], ids=["not-available", "register-without-figures"])
def test_without_figures_nothing_is_compared(figures):
    assert warnings_for(figures, held(1_000_000, 0)) == []


def test_a_row_with_an_empty_or_unreadable_count_is_not_compared():
    assert warnings_for(annual(10, 10), {"vol_total": None}, {"uscc": BASE_USCC, "item_total": None}) == []


def test_the_warning_travels_with_an_otherwise_clean_workbook():
    frames = {
        form.sheet_name: build_rows(form, [{}], sheet=form.sheet_name)
        for form in (CENSUS_FORM, RED_ARCHIVES_FORM, SIGN_OFF_FORM)
    }
    context = build_check_context(PROVINCE, register_usccs={BASE_USCC}, annual_stats=annual(1_000, 1_000))
    failures = validate_workbook(CENSUS_WORKBOOK, frames, context)
    # The base holder: 1000 卷 + 2000 件 against 2000 in the annual statistics. Its 填报值 is what was compared, not
    # the located cell's 1000 alone (beside 本表 3,000 it read as a mistake).
    assert [(f.sheet, f.row, f.field, f.value, f.rule, f.severity) for f in failures] == [
        (SHEET, 3, "vol_total", "1,000 卷 + 2,000 件 = 3,000", "holdings_vs_annual_stats", Severity.WARNING)
    ]
    assert failures[0].message == message(2023, "增加 50.0%", "2,000", "3,000")
