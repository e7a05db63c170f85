"""The five-year plan's indicators as data: what each measures, its baseline and target, where its values come from.

Baselines and targets are the plan's (2020 base year, 2025 target year for the "+N" targets, counted as new since
2020); monitored indicators have no target and so no status. A baseline of None means it is not known yet and must be
reported before a status can be given. Computed indicators can be computed for any set of census figures, national
or per province; `level` is the level at which the plan sets the indicator's baseline and target. Provinces' own
five-year plans set provincial baselines and targets (uploaded, not declared here) for the indicators that allow them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from census_schema.errors import UsageError
from census_schema.supervision.codes import IndicatorAttribute, IndicatorLevel

PLAN_TITLE = "“十四五”全国档案事业发展规划"
PLAN_BASE_YEAR, PLAN_TARGET_YEAR = 2020, 2025


@dataclass(frozen=True)
class PlanIndicator:
    """One plan indicator: what it measures, its baseline and target, and where its values come from."""

    code: str
    name: str
    unit: str
    attribute: IndicatorAttribute
    base_year: int
    baseline: Decimal | None
    target_year: int
    target: Decimal | None
    level: IndicatorLevel
    # The key of the formula in `supervision.indicators.FORMULAS` that computes it; None when reported.
    formula: str | None = None
    note: str = ""
    # Which holders a computed indicator counts, as its name states: "all" census holders, or one basis of
    # census_schema.breakdowns.BASES ("comprehensive" = 综合档案馆, "archive_rooms" = 档案室).
    basis: str = "all"
    # Whether a province's own five-year plan may set it a provincial baseline and target (uploaded in the
    # indicators workbook's 分省目标); False for the national projects no province carries (the two new buildings,
    # the national bureau's laboratories).
    has_provincial_targets: bool = True
    # Whether its values add up over the plan (new ones since the base year, or a building's progress): a year's value
    # is then never below the year before's.
    is_cumulative: bool = False

    @property
    def is_computed(self) -> bool:
        """True when computed from the warehouse by a named formula, False when reported."""
        return self.formula is not None

    @property
    def source_label(self) -> str:
        """The Chinese word for where the values come from."""
        return "计算" if self.is_computed else "填报"


EXP, BIND, MON = IndicatorAttribute.EXPECTED, IndicatorAttribute.BINDING, IndicatorAttribute.MONITORED
NATIONAL = IndicatorLevel.NATIONAL
B, T = PLAN_BASE_YEAR, PLAN_TARGET_YEAR
CENSUS_YEAR = 2024


def _target(
    code: str,
    name: str,
    unit: str,
    attribute: IndicatorAttribute,
    target: int,
    note: str = "",
    *,
    has_provincial_targets: bool = True,
) -> PlanIndicator:
    return PlanIndicator(
        code,
        name,
        unit,
        attribute,
        B,
        Decimal(0),
        T,
        Decimal(target),
        NATIONAL,
        note=note,
        has_provincial_targets=has_provincial_targets,
        is_cumulative=True,
    )


def _computed(code: str, name: str, unit: str, formula: str, note: str = "", basis: str = "all") -> PlanIndicator:
    return PlanIndicator(code, name, unit, MON, CENSUS_YEAR, None, T, None, NATIONAL, formula, note, basis)


PLAN_INDICATORS: tuple[PlanIndicator, ...] = (
    _target("ZB01", "新增高水平数字档案馆", "个", EXP, 150, "“十四五”期间新增数量，基期为0。"),
    _target("ZB02", "新增高水平数字档案室", "个", EXP, 30, "“十四五”期间新增数量，基期为0。"),
    _target("ZB03", "企业集团数字档案馆（室）建设试点", "家", EXP, 50, "“十四五”期间开展试点的企业集团数，基期为0。"),
    PlanIndicator(
        "ZB04",
        "各级国家综合档案馆档案信息管理系统覆盖率",
        "%",
        BIND,
        B,
        None,
        T,
        Decimal(100),
        NATIONAL,
        note="规划未给出基期值：取国家档案局填报的2020年数值，未填报前暂缺。",
    ),
    _target(
        "ZB05",
        "中央档案馆新馆建设工程进度",
        "%",
        EXP,
        100,
        "按工程形象进度填报，建成为100%。",
        has_provincial_targets=False,
    ),
    _target(
        "ZB06",
        "中国第二历史档案馆新馆建设工程进度",
        "%",
        EXP,
        100,
        "按工程形象进度填报，建成为100%。",
        has_provincial_targets=False,
    ),
    _target(
        "ZB07",
        "建成国家档案局重点实验室",
        "个",
        EXP,
        4,
        "“十四五”期间筹建的档案管理新技术新产品适用性验证、档案保护、档案数字资源管理、档案信息开发4个方面实验室，基期为0。",
        has_provincial_targets=False,
    ),
    _computed(
        "JC01",
        "综合档案馆馆藏档案数字化率",
        "%",
        "digitisation_rate",
        "以普查数据为基期；只计综合档案馆。",
        "comprehensive",
    ),
    _computed(
        "JC02", "综合档案馆档案开放率", "%", "opened_share", "以普查数据为基期；只计综合档案馆。", "comprehensive"
    ),
    _computed("JC03", "电子档案容量", "GB", "electronic_gb", "以普查数据为基期；计全部普查对象。"),
    _computed("JC04", "国有档案资源普查完成率", "%", "census_completion", "已报送普查表的普查对象占名录的比例。"),
    _computed(
        "JC05",
        "红色档案数量",
        "卷件",
        "red_archive_holdings",
        "以普查「红色档案资源摸底」表为基期（红色档案的卷与件合计，含革命历史档案）；计全部普查对象。",
    ),
    _computed("JC06", "档案库房面积", "平方米", "storage_area", "以普查数据为基期；计全部普查对象。"),
    PlanIndicator(
        "JC07",
        "综合档案馆馆藏档案总量",
        "卷件",
        MON,
        2022,
        Decimal(1_047_000_000),
        T,
        None,
        NATIONAL,
        "holdings_total",
        "2022年底全国综合档案馆馆藏档案10.47亿卷（件）；只计综合档案馆。",
        "comprehensive",
    ),
    PlanIndicator(
        "JC08",
        "接入全国档案查询利用服务平台的档案馆",
        "个",
        MON,
        2022,
        Decimal(1200),
        T,
        None,
        NATIONAL,
        note="基期值为约数。",
    ),
    PlanIndicator(
        "JC09", "全国示范数字档案馆", "个", MON, 2022, Decimal(120), T, None, NATIONAL, note="基期值为约数（120余个）。"
    ),
    # Archive rooms are not archives: they get figures of their own, never added to the archives'.
    _computed(
        "JC10", "档案室室藏档案数字化率", "%", "digitisation_rate", "以普查数据为基期；只计档案室。", "archive_rooms"
    ),
    _computed(
        "JC11", "档案室室藏档案总量", "卷件", "holdings_total", "以普查数据为基期；只计档案室。", "archive_rooms"
    ),
)
INDICATORS_BY_CODE: dict[str, PlanIndicator] = {i.code: i for i in PLAN_INDICATORS}
PERCENT_UNIT = "%"
# The indicators counted in per cent: no value, baseline or target of theirs exceeds 100.
PERCENT_INDICATORS: tuple[str, ...] = tuple(i.code for i in PLAN_INDICATORS if i.unit == PERCENT_UNIT)
# The indicators that count things (archives, pilots, laboratories): their values are whole numbers.
COUNT_UNITS = frozenset({"个", "家"})
COUNTED_INDICATORS: tuple[str, ...] = tuple(i.code for i in PLAN_INDICATORS if i.unit in COUNT_UNITS)
# The indicators whose values add up over the plan (a year's is never below the year before's).
CUMULATIVE_INDICATORS: tuple[str, ...] = tuple(i.code for i in PLAN_INDICATORS if i.is_cumulative)
# The national projects no province carries: their values are national only.
NATIONAL_ONLY_INDICATORS: tuple[str, ...] = tuple(i.code for i in PLAN_INDICATORS if not i.has_provincial_targets)
# The indicators a province's own plan may set a target for, computed and reported alike.
PROVINCIAL_TARGET_INDICATORS: tuple[PlanIndicator, ...] = tuple(i for i in PLAN_INDICATORS if i.has_provincial_targets)


def get_indicator(code: str) -> PlanIndicator:
    """The indicator with this code."""
    try:
        return INDICATORS_BY_CODE[code]
    except KeyError:
        raise UsageError(f"未知的规划指标「{code}」。", hint=f"现有指标：{'、'.join(INDICATORS_BY_CODE)}。") from None
