"""The schema keeps itself honest: every field is labelled, typed, checked and in the template."""

import re

import pytest

from census_schema.census_form import (
    CENSUS_FORM,
    CENSUS_FORM_2024,
    CENSUS_WORKBOOK,
    RED_ARCHIVES_FORM,
    REGISTER_FORM,
    REGISTER_FORM_2024,
    SIGN_OFF_FORM,
)
from census_schema.fields import FieldType, Severity
from census_schema.forms import FORMS, get_form, get_workbook_form
from census_schema.layout import HEADER_ROW
from census_schema.template import write_form_workbook

CENSUS_FORMS = [CENSUS_FORM, REGISTER_FORM, RED_ARCHIVES_FORM, SIGN_OFF_FORM]


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
    # GYDA-2024.1's 46 fields, plus 长期 and 短期 for volumes and for items (GYDA-2025.1), beside the other classes.
    assert len(CENSUS_FORM_2024.fields) == 46 and len(CENSUS_FORM.fields) == 50
    assert CENSUS_FORM.field_names[11:17] == (
        "vol_permanent",
        "vol_30y",
        "vol_10y",
        "vol_long",
        "vol_short",
        "vol_unassigned",
    )
    assert CENSUS_FORM.field("vol_long").label == "其中：长期（卷）"
    assert CENSUS_FORM.field("item_short").label == "其中：短期（件）"
    assert CENSUS_FORM.fields[0].label == "统一社会信用代码"
    assert CENSUS_FORM.field("vol_total").label == "以卷为保管单位档案（卷）"
    assert CENSUS_FORM.field("red_archives").label == "其中：革命历史档案（卷件）"
    # The register's five labels of the spec, then (GYDA-2025.1) the annual statistics to compare returns with.
    assert [f.label for f in REGISTER_FORM_2024.fields] == [
        "统一社会信用代码",
        "单位名称",
        "普查对象类型",
        "行政区划代码",
        "行政层级",
    ]
    assert [f.label for f in REGISTER_FORM.fields] == [
        *(f.label for f in REGISTER_FORM_2024.fields),
        "统计年报年度",
        "统计年报档案数量（卷）",
        "统计年报档案数量（件）",
    ]


def test_forms_registry():
    assert get_form("census") is CENSUS_FORM
    assert FORMS[("register", "GYDA-2024.1")] is REGISTER_FORM_2024
    assert get_form("register") is REGISTER_FORM and REGISTER_FORM.version == "GYDA-2025.1"
    # The old version stays declared (its returns stay in warehouses); the last one registered is current.
    assert get_form("census", "GYDA-2024.1") is CENSUS_FORM_2024
    assert get_workbook_form("census") is CENSUS_WORKBOOK
    assert CENSUS_WORKBOOK.sheet_names == ("普查表", "红色档案资源摸底", "表尾")


def test_the_previous_round_comparison_is_gone():
    # The census runs once: year-on-year comparisons belong to the annual statistics (统计年报).
    for form in FORMS.values():
        assert not [r for r in form.rules if "previous" in r.rule_id or "previous" in r.kind]


def test_the_census_workbook_carries_the_statutory_header_and_foot():
    header = CENSUS_WORKBOOK.header
    assert header is not None and header.authority == "国家档案局"
    assert [label for label, _ in header.marks("普查表")] == ["表号", "制定机关", "批准（备案）文号", "有效期至"]
    assert header.provisional and "暂定" in header.line("普查表")
    assert [f.label for f in SIGN_OFF_FORM.fields] == ["单位负责人", "统计负责人", "填表人", "联系电话", "报出日期"]
    assert all(f.required for f in SIGN_OFF_FORM.fields)


@pytest.mark.parametrize("form", list(FORMS.values()), ids=lambda f: f"{f.kind}-{f.version}")
def test_a_total_s_instructions_count_the_parts_its_sum_rule_adds(form):
    # The template's instructions for a total ("等于下列四项之和") and the rule's message must name the same number of
    # parts as the rule adds (GYDA-2025.1 added two retention classes: its instructions still said four).
    numerals = {"二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
    for rule in (r for r in form.rules if r.kind == "sum_equals"):
        for text in (form.field(rule.field).description, rule.message):
            said = re.search(r"([二三四五六七八九十])项之和", text)
            assert said is None or numerals[said.group(1)] == len(rule.params["parts"]), (rule.rule_id, text)
