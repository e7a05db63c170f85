"""The schema keeps itself honest: every field is labelled, typed, checked and in the template."""

import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.fields import FieldType, Severity
from census_schema.forms import FORMS, get_form
from census_schema.layout import HEADER_ROW
from census_schema.template import write_form_workbook

CENSUS_FORMS = [CENSUS_FORM, REGISTER_FORM]


@pytest.mark.parametrize("form", CENSUS_FORMS, ids=lambda f: f.kind)
def test_every_field_has_a_label_type_description_and_a_rule(form):
    for field in form.fields:
        assert field.label and field.description, field.name
        assert isinstance(field.type, FieldType)
        assert form.rules_for(field.name), f"{field.name} has no rule"
        if field.code_list is not None:
            assert field.type is FieldType.CODE


@pytest.mark.parametrize("form", CENSUS_FORMS, ids=lambda f: f.kind)
def test_rules_have_unique_ids_known_fields_and_chinese_messages(form):
    ids = [r.rule_id for r in form.rules]
    assert len(ids) == len(set(ids))
    for rule in form.rules:
        assert rule.field is None or rule.field in form.fields_by_name, rule.rule_id
        assert isinstance(rule.severity, Severity)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.message), rule.rule_id


@pytest.mark.parametrize("form", CENSUS_FORMS, ids=lambda f: f.kind)
def test_every_field_has_a_template_column(form, tmp_path):
    import openpyxl

    path = tmp_path / "t.xlsx"
    write_form_workbook(path, form, "440000")
    header = [c.value for c in openpyxl.load_workbook(path)[form.sheet_name][HEADER_ROW]]
    assert header == [f.label for f in form.fields]


def test_labels_are_exactly_those_of_the_spec():
    assert len(CENSUS_FORM.fields) == 46
    assert CENSUS_FORM.fields[0].label == "统一社会信用代码"
    assert CENSUS_FORM.field("vol_total").label == "以卷为保管单位档案（卷）"
    assert CENSUS_FORM.field("red_archives").label == "其中：革命历史档案（卷件）"
    assert [f.label for f in REGISTER_FORM.fields] == [
        "统一社会信用代码",
        "单位名称",
        "普查对象类型",
        "行政区划代码",
        "行政层级",
    ]


def test_forms_registry():
    assert get_form("census") is CENSUS_FORM
    assert FORMS[("register", "GYDA-2024.1")] is REGISTER_FORM
