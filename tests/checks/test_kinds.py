"""Every rule kind of every form has exactly one executor; rules that do not apply to a form are listed here."""

from __future__ import annotations

import dataclasses

import pytest

from census_schema.census_form import CENSUS_FORM
from census_schema.fields import Rule, Severity
from census_schema.forms import FORMS
from checks.context import build_check_context
from checks.kinds import RuleNotExecutable, applicable_rules, referenced_fields
from checks.suite import build_suite
from checks.validate import GX_KINDS, PARSER_KINDS, ROW_RULE_KINDS, WORKBOOK_RULE_KINDS, validate_return
from tests.checks.builders import PROVINCE, build_rows

FORM_PARAMS = [pytest.param(form, id=f"{kind}-{version}") for (kind, version), form in FORMS.items()]

# Rules a form declares but cannot apply because it lacks a field they read. The register declares the
# 单位性质/USCC rule but has no 单位性质 column: census_schema should drop it from REGISTER_FORM.
# Every form not listed has none.
INAPPLICABLE: dict[tuple[str, str], set[str]] = {("census", "GYDA-2024.1"): set(), ("register", "GYDA-2024.1"): set()}
EXECUTOR_KINDS = (
    ("gx", GX_KINDS),
    ("row", ROW_RULE_KINDS),
    ("parser", PARSER_KINDS),
    ("workbook", WORKBOOK_RULE_KINDS),
)


def test_executor_kinds_do_not_overlap():
    for i, (_, kinds) in enumerate(EXECUTOR_KINDS):
        for _, others in EXECUTOR_KINDS[i + 1 :]:
            assert kinds & others == set()


@pytest.mark.parametrize("form", FORM_PARAMS)
def test_every_rule_kind_has_exactly_one_executor(form):
    for rule in form.rules:
        owners = [name for name, kinds in EXECUTOR_KINDS if rule.kind in kinds]
        assert len(owners) == 1, (rule.rule_id, rule.kind, owners)


@pytest.mark.parametrize("form", FORM_PARAMS)
def test_suite_has_one_expectation_per_gx_rule_tagged_with_its_id(form):
    suite = build_suite(form, build_check_context(PROVINCE))
    expected = [rule.rule_id for rule in applicable_rules(form) if rule.kind in GX_KINDS]
    assert [e.meta["rule_id"] for e in suite.expectations] == expected


@pytest.mark.parametrize(("key", "form"), FORMS.items())
def test_rules_that_do_not_apply_are_exactly_the_listed_ones(key, form):
    applicable = {rule.rule_id for rule in applicable_rules(form)}
    assert {rule.rule_id for rule in form.rules} - applicable == INAPPLICABLE.get(key, set())


def test_referenced_fields_read_every_field_parameter():
    shelf = CENSUS_FORM.rules_by_id["shelf_plausible"]
    categories = CENSUS_FORM.rules_by_id["categories_sum"]
    assert referenced_fields(shelf) == ("shelf_m", "vol_total", "item_total")
    assert referenced_fields(categories)[-2:] == ("vol_total", "item_total")


def test_a_rule_kind_without_executor_is_refused_when_the_suite_is_built():
    novel = Rule("holdings_prime", "is_prime", Severity.ERROR, "vol_total", "不是质数")
    form = dataclasses.replace(CENSUS_FORM, rules=(*CENSUS_FORM.rules, novel))
    context = build_check_context(PROVINCE)
    with pytest.raises(RuleNotExecutable, match=r"holdings_prime \(kind 'is_prime'\): no executor"):
        build_suite(form, context)
    with pytest.raises(RuleNotExecutable):
        validate_return(form, build_rows(form, [{}]), context)
