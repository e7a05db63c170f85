"""The inspection checklist as data and the grading of comprehensive inspections."""

import re
from decimal import Decimal

import pytest

from census_schema.errors import UsageError
from census_schema.supervision.checklist import (
    CHECKLIST_VERSION,
    CURRENT_CHECKLIST,
    get_checklist,
    grade_inspection,
)
from census_schema.supervision.codes import (
    FINDING_SEVERITY,
    INSPECTED_UNIT_CLASS,
    INSPECTION_TYPE,
    SUPERVISION_CODE_LISTS,
    Grade,
)

SPEC_AREAS = (
    "档案工作责任制",
    "管理制度",
    "档案用房与库房",
    "收集归档",
    "整理",
    "保管保护",
    "鉴定销毁",
    "统计与移交",
    "信息化建设与安全",
    "开放利用",
)


def test_default_checklist_covers_the_spec_areas_in_order():
    assert CURRENT_CHECKLIST.version == CHECKLIST_VERSION == "JC-2023.1"
    assert tuple(a.name for a in CURRENT_CHECKLIST.areas) == SPEC_AREAS
    assert all(3 <= len(a.items) <= 5 for a in CURRENT_CHECKLIST.areas)


def test_item_codes_are_unique_and_belong_to_their_area():
    codes = [i.code for i in CURRENT_CHECKLIST.items]
    assert len(codes) == len(set(codes))
    for area in CURRENT_CHECKLIST.areas:
        assert re.fullmatch(r"A\d{2}", area.code)
        for item in area.items:
            assert re.fullmatch(rf"{area.code}-\d{{2}}", item.code)
            assert item.text
            assert CURRENT_CHECKLIST.area_of(item.code) == area


def test_checklist_has_a_few_veto_items():
    assert 2 <= len(CURRENT_CHECKLIST.veto_items) <= 6
    assert CURRENT_CHECKLIST.item("A06-04").is_veto


def test_checklist_lookups():
    assert get_checklist() is CURRENT_CHECKLIST
    assert get_checklist("JC-2023.1") is CURRENT_CHECKLIST
    with pytest.raises(UsageError, match="JC-1999"):
        get_checklist("JC-1999")
    with pytest.raises(UsageError, match="A99-01"):
        CURRENT_CHECKLIST.item("A99-01")


@pytest.mark.parametrize(
    ("code_list", "values"),
    [
        (INSPECTION_TYPE, ("综合检查", "专项检查", "执法检查", "回头看")),
        (INSPECTED_UNIT_CLASS, ("省级", "中央和国家机关", "中央企业", "市县")),
        (FINDING_SEVERITY, ("一般", "较重", "严重", "重大安全隐患")),
    ],
)
def test_code_lists(code_list, values):
    assert code_list.values == values
    assert SUPERVISION_CODE_LISTS[code_list.name] is code_list


@pytest.mark.parametrize(
    ("applicable", "compliant", "failed_veto", "incident", "pct", "grade"),
    [
        (100, 80, 0, False, "80.00", Grade.EXCELLENT),  # exactly 80 % is 优秀
        (5, 4, 0, False, "80.00", Grade.EXCELLENT),
        (10000, 7999, 0, False, "79.99", Grade.GOOD),
        (100000, 79999, 0, False, "79.99", Grade.GOOD),  # 79.999 % is truncated, never shown as 80.00
        (100, 70, 0, False, "70.00", Grade.GOOD),
        (10000, 6999, 0, False, "69.99", Grade.PASSED),
        (100, 60, 0, False, "60.00", Grade.PASSED),
        (3, 2, 0, False, "66.66", Grade.PASSED),
        (100, 59, 0, False, "59.00", Grade.FAIL),
        (41, 0, 0, False, "0.00", Grade.FAIL),
        (41, 41, 0, False, "100.00", Grade.EXCELLENT),
        (100, 90, 1, False, "90.00", Grade.GOOD),  # a failed veto item caps at 良好
        (100, 80, 3, False, "80.00", Grade.GOOD),
        (100, 75, 1, False, "75.00", Grade.GOOD),  # the cap does not lower 良好
        (100, 65, 2, False, "65.00", Grade.PASSED),
        (100, 100, 0, True, "100.00", Grade.FAIL),  # a security incident makes it 不合格
        (100, 90, 1, True, "90.00", Grade.FAIL),
    ],
)
def test_grade_inspection(applicable, compliant, failed_veto, incident, pct, grade):
    result = grade_inspection(applicable, compliant, failed_veto, incident)
    assert result.compliance_pct == Decimal(pct)
    assert str(result.compliance_pct) == pct
    assert result.grade is grade
    assert bool(result.reason) == (incident or (failed_veto > 0 and compliant * 100 >= 80 * applicable))


@pytest.mark.parametrize(
    ("applicable", "compliant", "failed_veto", "message"),
    [
        (0, 0, 0, "适用检查项目数为 0"),  # nothing applicable: no share, so no grade
        (-1, 0, 0, "适用检查项目数为 0"),
        (10, 11, 0, "合规项目数"),
        (10, -1, 0, "合规项目数"),
        (10, 9, 2, "否决项数"),  # a failed veto item is a non-compliant item
        (10, 5, -1, "否决项数"),
    ],
)
def test_grade_inspection_rejects_impossible_counts(applicable, compliant, failed_veto, message):
    with pytest.raises(UsageError, match=message):
        grade_inspection(applicable, compliant, failed_veto, False)
