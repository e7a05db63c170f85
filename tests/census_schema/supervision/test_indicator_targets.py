"""The indicators workbook's provincial targets (分省目标, GHZB-2025.2) as declared and as the template writes them."""

from __future__ import annotations

import openpyxl
import pytest

from census_schema.forms import CURRENT_WORKBOOKS, WORKBOOKS, get_form
from census_schema.layout import CODES_SHEET, HEADER_ROW, INSTRUCTIONS_SHEET
from census_schema.supervision.forms import (
    CENSUS_PROVINCES,
    INDICATOR_TARGETS_FORM,
    INDICATOR_VALUES_FORM,
    INDICATORS_WORKBOOK,
    INDICATORS_WORKBOOK_2025,
    PROVINCIAL_TARGET_CODES,
)
from census_schema.supervision.indicators import PLAN_INDICATORS
from census_schema.template import write_template


def test_the_current_workbook_adds_the_targets_sheet_and_keeps_the_old_version_declared():
    assert CURRENT_WORKBOOKS["indicators"] is INDICATORS_WORKBOOK
    assert WORKBOOKS[("indicators", "GHZB-2025.1")] is INDICATORS_WORKBOOK_2025
    assert INDICATORS_WORKBOOK_2025.sheet_names == ("指标数值",)
    assert INDICATORS_WORKBOOK.sheet_names == ("指标数值", "分省目标")
    # 指标数值 is unchanged: it keeps its form's version; the new sheet is at the workbook's.
    assert get_form("indicator_values") is INDICATOR_VALUES_FORM and INDICATOR_VALUES_FORM.version == "GHZB-2025.1"
    assert get_form("indicator_targets") is INDICATOR_TARGETS_FORM
    assert INDICATOR_TARGETS_FORM.version == INDICATORS_WORKBOOK.version == "GHZB-2025.2"
    # Either sheet may be uploaded alone (values only, or targets only).
    assert INDICATORS_WORKBOOK.sheets_optional and not INDICATORS_WORKBOOK.needs_province


@pytest.mark.parametrize(
    ("name", "label", "required", "code_list", "bounds"),
    [
        ("indicator_code", "指标编号", True, PROVINCIAL_TARGET_CODES, None),
        ("province_code", "省份代码", True, CENSUS_PROVINCES, None),
        ("base_year", "基期年份", True, None, (2020, 2025)),
        ("baseline", "基期值", True, None, (0, 1_000_000_000_000)),
        ("target_year", "目标年份", True, None, (2020, 2025)),
        ("target", "目标值", True, None, (0, 1_000_000_000_000)),
        ("note", "说明", False, None, None),
    ],
)
def test_each_target_field_is_declared_with_its_label_list_and_bounds(name, label, required, code_list, bounds):
    field = INDICATOR_TARGETS_FORM.field(name)
    assert (field.label, field.required, field.code_list) == (label, required, code_list)
    if bounds is not None:
        assert (field.min_value, field.max_value) == bounds
    assert field.description


def test_targets_may_be_set_for_computed_and_reported_indicators_but_not_for_the_national_projects():
    assert PROVINCIAL_TARGET_CODES.values == tuple(i.code for i in PLAN_INDICATORS if i.has_provincial_targets)
    assert {"ZB01", "ZB04", "JC01", "JC08"} <= set(PROVINCIAL_TARGET_CODES.values)
    assert not {"ZB05", "ZB06", "ZB07"} & set(PROVINCIAL_TARGET_CODES.values)


@pytest.mark.parametrize(
    ("rule_id", "kind", "field", "params"),
    [
        (
            "indicator_target_unique",
            "unique_together",
            "indicator_code",
            {"fields": ("indicator_code", "province_code")},
        ),
        ("target_year_after_base_year", "later_than", "target_year", {"other": "base_year"}),
        ("indicator_code_in_list", "in_list", "indicator_code", {"values": PROVINCIAL_TARGET_CODES.values}),
        ("province_code_required", "required", "province_code", {}),
        ("base_year_range", "range", "base_year", {"min": 2020, "max": 2025}),
    ],
)
def test_the_target_rules_are_errors_of_the_declared_kinds(rule_id, kind, field, params):
    rule = INDICATOR_TARGETS_FORM.rules_by_id[rule_id]
    assert (rule.kind, rule.field, rule.severity.value) == (kind, field, "error")
    assert {k: rule.params[k] for k in params} == params


def test_a_required_year_is_not_told_to_be_filled_with_0():
    # 年度 ranges over 2020–2025: "没有的请填 0" named a value its own range rule refuses.
    for form, name in ((INDICATOR_VALUES_FORM, "year"), (INDICATOR_TARGETS_FORM, "base_year")):
        assert form.rules_by_id[f"{name}_required"].message.endswith("不能为空；请填写。")
    assert INDICATOR_TARGETS_FORM.rules_by_id["baseline_required"].message.endswith("不能为空；没有的请填 0。")


def test_the_template_has_the_targets_sheet_its_code_list_and_says_either_sheet_may_be_sent(tmp_path):
    write_template(tmp_path / "indicators.xlsx", "indicators", None)
    book = openpyxl.load_workbook(tmp_path / "indicators.xlsx")
    sheet = book["分省目标"]
    assert [c.value for c in sheet[HEADER_ROW]] == [
        "指标编号",
        "省份代码",
        "基期年份",
        "基期值",
        "目标年份",
        "目标值",
        "说明",
    ]
    lists = {
        ws_column[0].value: [c.value for c in ws_column[1:] if c.value is not None]
        for ws_column in book[CODES_SHEET].iter_cols()
    }
    assert lists["分省目标指标编号"] == list(PROVINCIAL_TARGET_CODES.values)
    dropdowns = [v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert len(dropdowns) == 2  # 指标编号 and 省份代码 choose from the 代码表
    text = "\n".join(str(v) for r in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for v in r if v)
    assert "两张表可以只填其中一张（如只报送分省目标），但至少填一张" in text
    assert "目标年份须晚于基期年份" in text and "GHZB-2025.2" in text


def test_a_form_of_few_required_columns_neither_judges_nor_lists_nearly_empty_rows(tmp_path):
    # A short row of 指标编号、年度、数值 is a row: the indicators' instructions spoke of 不完整的普查对象 all the same.
    assert "row_nearly_empty" in get_form("census").rules_by_id
    assert all("row_nearly_empty" not in form.rules_by_id for form in INDICATORS_WORKBOOK.sheets)
    write_template(tmp_path / "indicators.xlsx", "indicators", None)
    book = openpyxl.load_workbook(tmp_path / "indicators.xlsx")
    text = "\n".join(str(v) for r in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for v in r if v)
    assert "普查对象" not in text
