"""The row rules GX does not express: polars expressions, cross-return rules fed by the context."""

from __future__ import annotations

import random

import polars as pl
import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.failures import Failure
from census_schema.fields import Severity
from census_schema.forms import FORMS
from census_schema.uscc import USCC_CHARSET, is_valid_uscc
from checks.context import build_check_context
from checks.row_rules import ROW_RULE_KINDS, ROW_RULES, check_uscc_digit, run_row_rules
from synthetic.holders import BASE_HOLDINGS, BASE_USCC, make_uscc
from tests.checks.builders import PROVINCE, build_rows, with_wrong_check_char


def located(failures: list[Failure]) -> list[tuple[int | None, str]]:
    return sorted((f.row, f.rule) for f in failures)


def cross_context(**cross):
    return build_check_context(PROVINCE, **cross)


def test_registry_is_keyed_by_kind_and_every_kind_is_used_by_some_form():
    assert set(ROW_RULES) == ROW_RULE_KINDS
    used = {r.kind for form in FORMS.values() for r in form.rules} & ROW_RULE_KINDS
    assert used == ROW_RULE_KINDS


def test_check_digit_only_for_codes_of_the_right_shape():
    codes = [BASE_USCC, with_wrong_check_char(BASE_USCC), "91440300708461136I", "9144", None]
    rows = pl.DataFrame({"uscc": codes})
    rule = CENSUS_FORM.rules_by_id["uscc_check_digit"]
    flagged = rows.select(check_uscc_digit(rule, CENSUS_FORM, build_check_context(PROVINCE)).fill_null(False))
    assert flagged.to_series().to_list() == [False, True, False, False, False]


def test_check_digit_agrees_with_the_schema_validator_on_random_codes():
    generator = random.Random(7)
    codes = ["".join(generator.choice(USCC_CHARSET) for _ in range(18)) for _ in range(2000)]
    codes += [make_uscc(n) for n in range(200)]
    rule = CENSUS_FORM.rules_by_id["uscc_check_digit"]
    flagged = pl.DataFrame({"uscc": codes}).select(check_uscc_digit(rule, CENSUS_FORM, build_check_context(PROVINCE)))
    assert flagged.to_series().to_list() == [not is_valid_uscc(code) for code in codes]


@pytest.mark.parametrize(
    ("uscc", "nature", "flagged"),
    [
        ("11440000000000001A", "机关", False),
        ("11440000000000001A", "事业单位", True),
        (make_uscc(1, prefix="12440000"), "事业单位", False),
        (make_uscc(1, prefix="13440000"), "国有企业", True),
        (BASE_USCC, "国有企业", False),
        (BASE_USCC, "其他", True),
        (make_uscc(1, prefix="52440000"), "其他", False),  # 52: no nature implied
        (BASE_USCC, "不在列表中", False),  # the in-list rule reports it
    ],
)
def test_unit_nature_against_uscc_prefix(uscc, nature, flagged):
    rows = build_rows(CENSUS_FORM, [{"uscc": uscc, "unit_nature": nature}])
    rules = {f.rule for f in run_row_rules(CENSUS_FORM, rows, build_check_context(PROVINCE))}
    assert ("unit_nature_matches_uscc" in rules) is flagged


@pytest.mark.parametrize(
    ("division", "level", "flagged"),
    [
        ("440000", "省级", False),
        ("440000", "中央", False),
        ("440000", "县级", True),
        ("440100", "副省级", False),
        ("440100", "地级", False),
        ("440100", "县级", True),
        ("440106", "乡级", False),
        ("440106", "省级", True),
        ("449999", "省级", False),  # not a division: the division rules report it
    ],
)
def test_admin_level_against_division_level(division, level, flagged):
    rows = build_rows(REGISTER_FORM, [{"division_code": division, "admin_level": level}])
    rules = {f.rule for f in run_row_rules(REGISTER_FORM, rows, build_check_context(PROVINCE))}
    assert ("admin_level_matches_division" in rules) is flagged


def test_ratios_skip_rows_without_a_positive_denominator():
    rows = build_rows(
        CENSUS_FORM,
        [
            {"e_items": 0, "e_gb": 0.0},
            {"vol_total": 0, "item_total": 0, "shelf_m": 5.0},
            {"shelf_m": 11.0},  # exactly a third of the expected 33 m
            {"shelf_m": 10.9},
            {"e_gb": 0.001},  # 0.000002 GB per item
        ],
    )
    failures = run_row_rules(CENSUS_FORM, rows, build_check_context(PROVINCE))
    assert located(failures) == [(6, "shelf_plausible"), (7, "e_gb_per_item")]
    assert all(f.severity is Severity.WARNING for f in failures)


def test_cross_return_rules_skip_without_their_inputs():
    rows = build_rows(CENSUS_FORM, [{"uscc": make_uscc(5)}])
    assert run_row_rules(CENSUS_FORM, rows, build_check_context(PROVINCE)) == []


def test_not_in_register():
    rows = build_rows(CENSUS_FORM, [{}, {"uscc": make_uscc(1)}, {"uscc": None}])
    failures = run_row_rules(CENSUS_FORM, rows, cross_context(register_usccs={BASE_USCC}))
    assert located(failures) == [(4, "uscc_not_in_register")]


@pytest.mark.parametrize(
    ("vol_total", "previous", "flagged"),
    [
        (1000, BASE_HOLDINGS, False),
        (1000, 2400, False),  # +25 %
        (1250, 2500, False),  # +30 % exactly
        (1000, 2300, True),  # +30.4 %
        (1000, 4000, False),  # -25 %
        (1000, 4300, True),  # -30.2 %
        (1000, 0, True),  # from nothing to something
        (0, 0, False),
    ],
)
def test_change_vs_previous_round(vol_total, previous, flagged):
    # Row rules only: the parts need not add up here.
    rows = build_rows(CENSUS_FORM, [{"vol_total": vol_total, "item_total": BASE_HOLDINGS - 1000}])
    if vol_total == 0:
        rows = rows.with_columns(item_total=0)
    context = cross_context(previous_holdings={BASE_USCC: previous})
    failures = [f for f in run_row_rules(CENSUS_FORM, rows, context) if f.rule == "holdings_change_vs_previous"]
    assert bool(failures) is flagged
    if flagged:
        assert (failures[0].row, failures[0].field, failures[0].value) == (3, "vol_total", str(vol_total))


def test_change_vs_previous_skips_new_holders_and_unreadable_totals():
    rows = build_rows(CENSUS_FORM, [{"uscc": make_uscc(1)}, {"vol_total": None}])
    assert run_row_rules(CENSUS_FORM, rows, cross_context(previous_holdings={BASE_USCC: 1})) == []


def test_row_rules_ignore_null_cells():
    rows = build_rows(
        CENSUS_FORM,
        [
            {"parent_uscc": None},
            {"staff_fulltime": None, "staff_parttime": 0},
            {"e_items": None},
            {"vol_total": None, "vol_unassigned": 999},
            {"unit_nature": None, "admin_level": None},
        ],
    )
    assert run_row_rules(CENSUS_FORM, rows, build_check_context(PROVINCE)) == []
