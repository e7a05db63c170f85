"""The row rules GX does not express: polars expressions, cross-return rules fed by the context."""

from __future__ import annotations

import random

import polars as pl
import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.failures import Failure
from census_schema.fields import Severity
from census_schema.forms import FORMS
from census_schema.uscc import (
    USCC_CHARSET,
    USCC_PREFIXES,
    compute_uscc_check_char,
    has_uscc_structure,
    is_valid_uscc,
)
from checks.context import build_check_context
from checks.row_rules import ROW_RULE_KINDS, ROW_RULES, check_uscc_digit, check_uscc_structure, run_row_rules
from synthetic.holders import BASE_USCC, make_uscc
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


def test_structure_agrees_with_the_schema_validator_on_random_codes():
    generator = random.Random(32100)
    prefixes = sorted(USCC_PREFIXES) + ["94", "B1", "Y2", "01"]
    codes = [
        generator.choice(prefixes) + "".join(generator.choice(USCC_CHARSET) for _ in range(16)) for _ in range(2000)
    ]
    codes += [generator.choice(prefixes) + f"{generator.randrange(10**6):06d}" + "0" * 10 for _ in range(500)]
    rule = CENSUS_FORM.rules_by_id["uscc_structure"]
    flagged = pl.DataFrame({"uscc": codes}).select(
        check_uscc_structure(rule, CENSUS_FORM, build_check_context(PROVINCE))
    )
    assert flagged.to_series().to_list() == [not has_uscc_structure(code) for code in codes]
    assert 0 < sum(flagged.to_series()) < len(codes)


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
    ("province", "division", "level", "flagged"),
    [
        ("440000", "440000", "省级", False),
        # A province does not report central units: a central enterprise's provincial branch is 省级.
        ("440000", "440000", "中央", True),
        (None, "110000", "中央", False),  # a central return, filed nationally
        (None, "110101", "中央", False),  # a ministry in 东城区
        (None, "310115", "中央", False),  # a central enterprise's seat in 浦东新区
        ("440000", "440000", "县级", True),
        ("440000", "440100", "副省级", False),  # 广州: a sub-provincial city
        ("440000", "440200", "副省级", True),  # 韶关 is not: nor is any development zone in 广州 coded 4401xx
        ("440000", "440100", "地级", False),
        ("440000", "440100", "县级", True),
        ("440000", "440106", "乡级", False),
        ("440000", "440106", "副省级", True),
        ("440000", "440106", "省级", True),
        ("660000", "659001", "地级", False),  # 石河子市 is 第八师: a Corps city of division rank
        ("660000", "659001", "县级", False),
        ("440000", "449999", "省级", False),  # not a division: the division rules report it
    ],
)
def test_admin_level_against_division(province, division, level, flagged):
    rows = build_rows(REGISTER_FORM, [{"division_code": division, "admin_level": level}])
    rules = {f.rule for f in run_row_rules(REGISTER_FORM, rows, build_check_context(province))}
    assert ("admin_level_matches_division" in rules) is flagged


@pytest.mark.parametrize(
    ("uscc", "flagged"),
    [
        ("91440300708461136T", False),
        ("N2440300708461136" + compute_uscc_check_char("N2440300708461136"), False),  # 农业: 村级集体经济组织
        ("Y1440300708461136" + compute_uscc_check_char("Y1440300708461136"), False),
        ("Y2440300708461136" + compute_uscc_check_char("Y2440300708461136"), True),  # 其他 has type 1 only
        ("B1440300708461136" + compute_uscc_check_char("B1440300708461136"), True),  # no authority B
        ("9144A300708461136" + compute_uscc_check_char("9144A300708461136"), True),  # a letter in the division
        ("91440300708461136I", False),  # not the charset: the format rule reports it
    ],
)
def test_uscc_structure(uscc, flagged):
    rows = build_rows(CENSUS_FORM, [{"uscc": uscc}])
    rules = {f.rule for f in run_row_rules(CENSUS_FORM, rows, build_check_context(PROVINCE))}
    assert ("uscc_structure" in rules) is flagged


def test_ratios_at_their_bounds_and_without_a_positive_denominator():
    # No electronic items: the GB per item is not judged (e_items_zero_together speaks of it). No holdings but 5 m of
    # shelving: outside [E/3, 3E] = [0, 0], as the form says.
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
    assert located(failures) == [(4, "shelf_plausible"), (6, "shelf_plausible"), (7, "e_gb_per_item")]
    assert all(f.severity is Severity.WARNING for f in failures)


def test_cross_return_rules_skip_without_their_inputs():
    rows = build_rows(CENSUS_FORM, [{"uscc": make_uscc(5)}])
    assert run_row_rules(CENSUS_FORM, rows, build_check_context(PROVINCE)) == []


def test_not_in_register():
    rows = build_rows(CENSUS_FORM, [{}, {"uscc": make_uscc(1)}, {"uscc": None}])
    failures = run_row_rules(CENSUS_FORM, rows, cross_context(register_usccs={BASE_USCC}))
    assert located(failures) == [(4, "uscc_not_in_register")]


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


@pytest.mark.parametrize(
    ("base_year", "target_year", "flagged"),
    [(2020, 2025, False), (2024, 2025, False), (2023, 2023, True), (2024, 2021, True), (None, 2021, False)],
)
def test_a_target_year_must_be_later_than_the_base_year(base_year, target_year, flagged):
    form = FORMS[("indicator_targets", "GHZB-2025.2")]
    rule = form.rules_by_id["target_year_after_base_year"]
    rows = pl.DataFrame(
        {"base_year": [base_year], "target_year": [target_year]},
        schema={"base_year": pl.Int64, "target_year": pl.Int64},
    )
    mask = rows.select(ROW_RULES[rule.kind](rule, form, build_check_context(PROVINCE)).fill_null(False))
    assert mask.to_series().to_list() == [flagged]
