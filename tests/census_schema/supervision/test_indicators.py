"""Plan indicators as data: the plan's targets and baselines, a consistent catalogue."""

from decimal import Decimal as D

import pytest

from census_schema.errors import UsageError
from census_schema.supervision.codes import IndicatorAttribute
from census_schema.supervision.indicators import INDICATORS_BY_CODE, PLAN_INDICATORS, get_indicator


def test_catalogue_holds_the_plan_targets():
    targets = {i.code: (i.name, i.target) for i in PLAN_INDICATORS if i.target is not None}
    assert targets == {
        "ZB01": ("新增高水平数字档案馆", D(150)),
        "ZB02": ("新增高水平数字档案室", D(30)),
        "ZB03": ("企业集团数字档案馆（室）建设试点", D(50)),
        "ZB04": ("各级国家综合档案馆档案信息管理系统覆盖率", D(100)),
        "ZB05": ("中央档案馆新馆建设工程进度", D(100)),
        "ZB06": ("中国第二历史档案馆新馆建设工程进度", D(100)),
        "ZB07": ("建成国家档案局重点实验室", D(4)),
    }
    assert INDICATORS_BY_CODE["JC07"].baseline == D(1_047_000_000)
    assert (INDICATORS_BY_CODE["JC08"].baseline, INDICATORS_BY_CODE["JC09"].baseline) == (D(1200), D(120))


def test_catalogue_is_consistent():
    assert len(INDICATORS_BY_CODE) == len(PLAN_INDICATORS)
    for indicator in PLAN_INDICATORS:
        assert indicator.target_year > indicator.base_year
        assert (indicator.target is None) == (indicator.attribute is IndicatorAttribute.MONITORED)
        assert indicator.source_label == ("计算" if indicator.formula is not None else "填报")


def test_unknown_indicator():
    assert get_indicator("JC01").name == "综合档案馆馆藏档案数字化率"
    with pytest.raises(UsageError, match="未知的规划指标"):
        get_indicator("ZB99")
