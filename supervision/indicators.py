"""The plan indicators computed: the formulas over summed census figures, and progress against the targets.

Progress is judged against the straight line from baseline to target (`expected_progress`); monitored indicators have
no target and so no status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from census_schema.errors import UsageError
from census_schema.supervision.codes import IndicatorStatus
from census_schema.supervision.indicators import PlanIndicator

# Progress of at least this share of the expected progress is 滞后 rather than 严重滞后.
LAGGING_SHARE = Fraction(8, 10)

# The summed census figures formulas read: the keys of the warehouse's summary figures.
SUMMARY_FIGURE_KEYS = (
    "vol_total",
    "item_total",
    "digitized_vol",
    "digitized_item",
    "e_gb",
    "opened",
    "red_archives",
    "storage_m2",
    "units_expected",
    "units_reported",
    "units_unregistered",
    "red_total",
)
# The holders that sent a return (registered or not): a figure summed over returns needs at least one.
REPORTING = ("units_reported", "units_unregistered")

Figures = Mapping[str, int | float | Decimal]


@dataclass(frozen=True)
class Formula:
    """A named way to compute an indicator from summed census figures."""

    key: str
    expression: str
    inputs: tuple[str, ...]
    compute: Callable[[Mapping[str, Decimal]], Decimal | None]


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    # No denominator means no data, not 0 %.
    return None if denominator == 0 else numerator * 100 / denominator


def _digitisation_rate(f: Mapping[str, Decimal]) -> Decimal | None:
    return _percent(f["digitized_vol"] + f["digitized_item"], f["vol_total"] + f["item_total"])


def _opened_share(f: Mapping[str, Decimal]) -> Decimal | None:
    return _percent(f["opened"], f["vol_total"] + f["item_total"])


def _sum_over_returns(*names: str) -> Callable[[Mapping[str, Decimal]], Decimal | None]:
    """A sum of census figures; None where no holder reported (no data, not 0)."""

    def compute(f: Mapping[str, Decimal]) -> Decimal | None:
        if sum(f[n] for n in REPORTING) == 0:
            return None
        return sum((f[n] for n in names), Decimal(0))

    return compute


def _census_completion(f: Mapping[str, Decimal]) -> Decimal | None:
    return _percent(f["units_reported"], f["units_expected"])


FORMULAS: dict[str, Formula] = {
    f.key: f
    for f in (
        Formula(
            "digitisation_rate",
            "(已数字化卷 + 已数字化件) ÷ (以卷为单位档案 + 以件为单位档案) × 100%",
            ("digitized_vol", "digitized_item", "vol_total", "item_total"),
            _digitisation_rate,
        ),
        Formula(
            "opened_share",
            "已开放档案 ÷ (以卷为单位档案 + 以件为单位档案) × 100%（档案开放率）",
            ("opened", "vol_total", "item_total"),
            _opened_share,
        ),
        Formula("electronic_gb", "电子档案容量（GB）合计", ("e_gb", *REPORTING), _sum_over_returns("e_gb")),
        Formula(
            "census_completion",
            "已接收普查表的普查对象数 ÷ 应普查对象数 × 100%",
            ("units_reported", "units_expected"),
            _census_completion,
        ),
        Formula(
            "red_archive_holdings",
            "「红色档案资源摸底」的红色档案（卷）+ 红色档案（件）",
            ("red_total", *REPORTING),
            _sum_over_returns("red_total"),
        ),
        Formula(
            "storage_area", "档案库房面积合计（平方米）", ("storage_m2", *REPORTING), _sum_over_returns("storage_m2")
        ),
        Formula(
            "holdings_total",
            "以卷为单位档案 + 以件为单位档案",
            ("vol_total", "item_total", *REPORTING),
            _sum_over_returns("vol_total", "item_total"),
        ),
    )
}


def _as_decimal(value: int | float | Decimal) -> Decimal:
    # Through str so that a float such as 0.1 becomes Decimal("0.1"), not its binary expansion.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def compute_formula(key: str, figures: Figures) -> Decimal | None:
    """The value of a named formula over summed census figures; None when its denominator is 0."""
    try:
        formula = FORMULAS[key]
    except KeyError:
        raise UsageError(f"未知的指标计算公式「{key}」。", hint=f"现有公式：{'、'.join(FORMULAS)}。") from None
    missing = [name for name in formula.inputs if name not in figures]
    if missing:
        raise UsageError(f"计算「{key}」缺少汇总数据：{'、'.join(missing)}。")
    return formula.compute({name: _as_decimal(figures[name]) for name in formula.inputs})


def compute_indicator(indicator: PlanIndicator, figures: Figures) -> Decimal | None:
    """A computed indicator's value over summed census figures."""
    if indicator.formula is None:
        raise UsageError(f"指标 {indicator.code}「{indicator.name}」为填报指标，不能由普查数据计算。")
    return compute_formula(indicator.formula, figures)


def _expected(baseline: Fraction, target: Fraction, base_year: int, target_year: int, year: int) -> Fraction:
    if target_year <= base_year:
        raise UsageError(f"目标年份 {target_year} 须晚于基期年份 {base_year}。")
    if year < base_year:
        raise UsageError(f"评估年份 {year} 早于基期年份 {base_year}。")
    # After the target year the expectation stays at the target rather than growing past it.
    elapsed = min(year, target_year) - base_year
    return baseline + (target - baseline) * elapsed / (target_year - base_year)


def expected_progress(baseline: Decimal, target: Decimal, base_year: int, target_year: int, year: int) -> Decimal:
    """The value expected by a year: baseline + (target − baseline) × (year − base_year) / (target_year − base_year)."""
    value = _expected(Fraction(baseline), Fraction(target), base_year, target_year, year)
    return Decimal(value.numerator) / Decimal(value.denominator)


def indicator_status(
    actual: Decimal, baseline: Decimal, target: Decimal, base_year: int, target_year: int, year: int
) -> IndicatorStatus:
    """达标 at or beyond the expected value, 滞后 with at least 80 % of the expected progress, else 严重滞后.

    Progress is measured from the baseline towards the target, so a decreasing target (target < baseline) counts
    a fall as progress. When the expected progress is 0 (the base year, or a target equal to the baseline) there is
    no 80 % band: holding the baseline or better is 达标, any slip back is 严重滞后.
    """
    base, goal = Fraction(baseline), Fraction(target)
    direction = 1 if goal >= base else -1
    expected = _expected(base, goal, base_year, target_year, year)
    progress = direction * (Fraction(actual) - base)
    expected_gain = direction * (expected - base)
    if progress >= expected_gain:
        return IndicatorStatus.ON_TRACK
    if progress >= LAGGING_SHARE * expected_gain:
        return IndicatorStatus.LAGGING
    return IndicatorStatus.SEVERELY_LAGGING


def year_is_over(year: int, today: date) -> bool:
    """Whether a year's progress can be judged on `today`: its expectation is a year-end one (131 by June against 150
    due in December is not 滞后), reached on 31 December (the census's own reference day, 2024-12-31)."""
    return today >= date(year, 12, 31)


def evaluate_indicator(indicator: PlanIndicator, actual: Decimal | None, year: int) -> IndicatorStatus | None:
    """An indicator's status in a year; None without an actual value, a baseline or a target (monitored indicators)."""
    if actual is None or indicator.baseline is None or indicator.target is None:
        return None
    return indicator_status(
        actual, indicator.baseline, indicator.target, indicator.base_year, indicator.target_year, year
    )
