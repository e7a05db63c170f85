"""The evaluation standard as data: the areas and points of the spec, a well-formed item tree."""

import re
from decimal import Decimal as D

from census_schema.supervision.evaluation import CURRENT_STANDARD, STANDARD_VERSION, get_standard

SPEC_AREAS = {
    "基础条件与人员": 150,
    "安全体系建设": 150,
    "资源体系建设": 250,
    "利用体系建设": 200,
    "信息化建设": 150,
    "重点工作落实": 100,
}


def test_default_standard_areas_and_points():
    assert CURRENT_STANDARD.version == STANDARD_VERSION == "PJ-2024.1"
    assert get_standard() is get_standard("PJ-2024.1") is CURRENT_STANDARD
    assert {a.name: a.points for a in CURRENT_STANDARD.areas} == {k: D(v) for k, v in SPEC_AREAS.items()}
    for area in CURRENT_STANDARD.areas:
        assert area.max_points == area.points, area.name
        assert sum(ind.max_points for ind in area.indicators) == area.points
    assert CURRENT_STANDARD.max_points == D(1000)


def test_default_standard_structure():
    codes = [i.code for i in CURRENT_STANDARD.items]
    assert len(codes) == len(set(codes))
    for area in CURRENT_STANDARD.areas:
        for indicator in area.indicators:
            assert len(indicator.items) >= 2
            assert indicator.code.startswith(area.code + ".")
            for item in indicator.items:
                assert re.fullmatch(rf"{re.escape(indicator.code)}\.\d+", item.code)
                assert item.text and item.rule and item.evidence and item.max_points > 0
    assert len(CURRENT_STANDARD.veto_items) >= 2
    assert CURRENT_STANDARD.bonus_cap == D(30)
    assert sum(b.max_points for b in CURRENT_STANDARD.bonus_items) > CURRENT_STANDARD.bonus_cap
    assert CURRENT_STANDARD.area_of("A2.4.2").name == "安全体系建设"
