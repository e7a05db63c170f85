"""The plan indicators' formulas, expected progress and status."""

from datetime import date
from decimal import Decimal as D

import pytest

from census_schema.errors import UsageError
from census_schema.supervision.codes import IndicatorStatus
from census_schema.supervision.indicators import PLAN_INDICATORS, get_indicator
from supervision.indicators import (
    FORMULAS,
    SUMMARY_FIGURE_KEYS,
    compute_formula,
    compute_indicator,
    evaluate_indicator,
    expected_progress,
    indicator_status,
    year_is_over,
)

ON, LAG, SEVERE = IndicatorStatus.ON_TRACK, IndicatorStatus.LAGGING, IndicatorStatus.SEVERELY_LAGGING
FIGURES = {
    "vol_total": 1000,
    "item_total": 3000,
    "digitized_vol": 300,
    "digitized_item": 500,
    "e_gb": 12.5,
    "opened": 1000,
    "red_archives": 40,
    "red_total": 55,
    "storage_m2": D("2500.5"),
    "units_expected": 80,
    "units_reported": 60,
    "units_unregistered": 2,
}


def test_every_computed_indicator_has_its_formula():
    for indicator in PLAN_INDICATORS:
        if indicator.formula is not None:
            assert indicator.formula in FORMULAS
    computed = {i.formula for i in PLAN_INDICATORS if i.is_computed}
    assert computed == set(FORMULAS)
    for formula in FORMULAS.values():
        assert set(formula.inputs) <= set(SUMMARY_FIGURE_KEYS)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("digitisation_rate", D(20)),  # (300 + 500) / (1000 + 3000)
        ("opened_share", D(25)),  # 1000 / 4000
        ("electronic_gb", D("12.5")),
        ("census_completion", D(75)),  # 60 / 80
        ("red_archive_holdings", D(55)),  # the red-archive sheet's total, not field 38 (革命历史档案)
        ("storage_area", D("2500.5")),
        ("holdings_total", D(4000)),
    ],
)
def test_formulas(key, value):
    assert compute_formula(key, FIGURES) == value


def test_formula_keeps_float_figures_decimal():
    assert compute_formula("electronic_gb", {"e_gb": 0.1, "units_reported": 1, "units_unregistered": 0}) == D("0.1")


def test_formula_without_denominator_is_no_data():
    empty = dict.fromkeys(SUMMARY_FIGURE_KEYS, 0)
    assert compute_formula("digitisation_rate", empty) is None
    assert compute_formula("census_completion", empty) is None
    # A sum over returns where no holder reported is no data either (not 0 against a baseline of 10.47 亿), but 0 where
    # holders reported (and an unregistered holder's return counts).
    assert compute_formula("electronic_gb", empty) is None and compute_formula("holdings_total", empty) is None
    assert compute_formula("electronic_gb", {**empty, "units_reported": 1}) == 0
    assert compute_formula("storage_area", {**empty, "units_unregistered": 1, "storage_m2": 5}) == 5


def test_formula_errors():
    with pytest.raises(UsageError, match="digitized_item"):
        compute_formula("digitisation_rate", {"vol_total": 1, "item_total": 1, "digitized_vol": 1})
    with pytest.raises(UsageError, match="未知的指标计算公式"):
        compute_formula("growth", FIGURES)
    with pytest.raises(UsageError, match="填报指标"):
        compute_indicator(get_indicator("ZB01"), FIGURES)


def test_compute_indicator():
    assert compute_indicator(get_indicator("JC01"), FIGURES) == D(20)


@pytest.mark.parametrize(
    ("baseline", "target", "base_year", "target_year", "year", "expected"),
    [
        (0, 150, 2020, 2025, 2020, "0"),
        (0, 150, 2020, 2025, 2023, "90"),
        (0, 150, 2020, 2025, 2025, "150"),
        (0, 150, 2020, 2025, 2027, "150"),  # after the target year the expectation stays at the target
        (50, 100, 2020, 2025, 2021, "60"),
        (100, 50, 2020, 2025, 2022, "80"),  # decreasing target
        (0, 4, 2020, 2025, 2022, "1.6"),
    ],
)
def test_expected_progress(baseline, target, base_year, target_year, year, expected):
    assert expected_progress(D(baseline), D(target), base_year, target_year, year) == D(expected)


@pytest.mark.parametrize(
    ("base_year", "target_year", "year", "message"),
    [(2020, 2020, 2021, "须晚于基期年份"), (2020, 2025, 2019, "早于基期年份")],
)
def test_expected_progress_rejects_bad_years(base_year, target_year, year, message):
    with pytest.raises(UsageError, match=message):
        expected_progress(D(0), D(1), base_year, target_year, year)


@pytest.mark.parametrize(
    ("actual", "baseline", "target", "year", "status"),
    [
        # 0 → 150 over 2020–2025: 90 expected in 2023, 80 % of that progress is 72
        ("90", 0, 150, 2023, ON),
        ("100", 0, 150, 2023, ON),
        ("72", 0, 150, 2023, LAG),
        ("71.9", 0, 150, 2023, SEVERE),
        # 50 → 100: 60 expected in 2021, progress 10, 80 % is 8
        ("60", 50, 100, 2021, ON),
        ("58", 50, 100, 2021, LAG),
        ("57.9", 50, 100, 2021, SEVERE),
        ("45", 50, 100, 2021, SEVERE),
        # decreasing 100 → 50: 80 expected in 2022, a fall of 20 expected, 16 is 80 % of it
        ("80", 100, 50, 2022, ON),
        ("75", 100, 50, 2022, ON),
        ("84", 100, 50, 2022, LAG),
        ("84.1", 100, 50, 2022, SEVERE),
        # base year: no progress expected; holding the baseline is on track, any slip back is severe
        ("100", 100, 150, 2020, ON),
        ("101", 100, 150, 2020, ON),
        ("99", 100, 150, 2020, SEVERE),
        # a target equal to the baseline: hold the line
        ("100", 100, 100, 2023, ON),
        ("99.9", 100, 100, 2023, SEVERE),
    ],
)
def test_indicator_status(actual, baseline, target, year, status):
    assert indicator_status(D(actual), D(baseline), D(target), 2020, 2025, year) is status


@pytest.mark.parametrize(
    ("code", "actual", "year", "status"),
    [
        ("ZB01", D(90), 2023, ON),
        ("ZB01", D(60), 2023, SEVERE),
        ("ZB07", D("1"), 2022, SEVERE),  # 1.6 expected, 1.28 is 80 %
        ("ZB07", D("2"), 2022, ON),
        ("ZB01", None, 2023, None),
        ("JC01", D(20), 2025, None),  # monitored: no target, no status
        ("ZB04", D(90), 2023, None),  # baseline still to be reported
    ],
)
def test_evaluate_indicator(code, actual, year, status):
    assert evaluate_indicator(get_indicator(code), actual, year) == status


def test_a_year_is_judged_from_its_last_day():
    # 2024's values are the census's as of 2024-12-31: a report made that day judged them 年度未结束.
    assert not year_is_over(2024, date(2024, 12, 30))
    assert year_is_over(2024, date(2024, 12, 31)) and year_is_over(2024, date(2025, 1, 1))
    # The page says so (its note said 当年的数值在年底前不评判, which a judgement on 31 December contradicted).
    from dash_app.pages.indicators import TARGETS_HINT

    assert "一年自其 12 月 31 日即年末数的统计时点起算作已结束" in TARGETS_HINT and "年底前不评判" not in TARGETS_HINT
