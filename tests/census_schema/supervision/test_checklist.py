"""The inspection checklist and the supervision code lists as data."""

import re

import pytest

from census_schema.errors import UsageError
from census_schema.supervision.checklist import CHECKLIST_VERSION, CURRENT_CHECKLIST, get_checklist
from census_schema.supervision.codes import (
    FINDING_SEVERITY,
    INSPECTED_UNIT_CLASS,
    INSPECTION_TYPE,
    SUPERVISION_CODE_LISTS,
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


def test_the_audit_log_names_a_corrected_findings_fields_as_its_sheet_does():
    """The audit log's labels of a finding's correctable fields are typed beside the form (importing the forms would
    cost the light commands ~0.3 s): they must read as the 发现问题 sheet's columns."""
    from census_schema.audit import AUDIT_STATE_LABELS, AUDIT_TYPED_FIELDS
    from census_schema.supervision.forms import CORRECTABLE_FINDING_FIELDS, FINDINGS_FORM

    for name in CORRECTABLE_FINDING_FIELDS:
        assert AUDIT_STATE_LABELS[name] == FINDINGS_FORM.field(name).label
        assert name in AUDIT_TYPED_FIELDS
