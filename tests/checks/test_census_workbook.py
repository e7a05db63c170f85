"""The rules across the census workbook's sheets (普查表, 红色档案资源摸底, 表尾), table-driven: the base workbook passes
every rule; each case changes it so that exactly its rule fails, where it should."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
import pytest

from census_schema.census_form import (
    CENSUS_FORM,
    CENSUS_WORKBOOK,
    CROSS_RETURN_RULES,
    RED_ARCHIVES_FORM,
    SCOPE_RULES,
    SIGN_OFF_FORM,
)
from census_schema.fields import Severity
from checks.context import build_check_context
from checks.validate import WORKBOOK_RULE_KINDS, validate_workbook
from synthetic.holders import BASE_USCC, make_uscc
from tests.checks.builders import PROVINCE, build_rows, with_wrong_check_char

OTHER_USCC = make_uscc(700_001)
Sheets = dict[str, list[dict[str, Any]]]


def base() -> Sheets:
    """One holder in 普查表 (20 革命历史档案, 1000 卷, 2000 件), its red archives (30 卷 + 50 件), one foot row."""
    return {CENSUS_FORM.sheet_name: [{}], RED_ARCHIVES_FORM.sheet_name: [{}], SIGN_OFF_FORM.sheet_name: [{}]}


def frames(sheets: Sheets) -> dict[str, pl.DataFrame]:
    return {
        form.sheet_name: build_rows(form, sheets[form.sheet_name], sheet=form.sheet_name)
        for form in CENSUS_WORKBOOK.sheets
    }


@dataclass(frozen=True)
class Case:
    """A change to the base workbook and where its rule must fail: (sheet, Excel row or None for the sheet)."""

    change: Callable[[Sheets], None]
    where: tuple[tuple[str, int | None], ...]


def _set(sheet: str, index: int, **values: Any) -> Callable[[Sheets], None]:
    def change(sheets: Sheets) -> None:
        sheets[sheet][index] = {**sheets[sheet][index], **values}

    return change


def _add(sheet: str, **values: Any) -> Callable[[Sheets], None]:
    def change(sheets: Sheets) -> None:
        sheets[sheet].append(values)

    return change


def _empty(sheet: str) -> Callable[[Sheets], None]:
    def change(sheets: Sheets) -> None:
        sheets[sheet] = []

    return change


RED, MAIN, FOOT = RED_ARCHIVES_FORM.sheet_name, CENSUS_FORM.sheet_name, SIGN_OFF_FORM.sheet_name
CASES: dict[str, list[Case]] = {
    "red_holder_in_census": [Case(_add(RED, uscc=OTHER_USCC, unit_name="另一单位"), ((RED, 4),))],
    # 1001 卷 of red archives in a holder of 1000 卷 (the conditions still add up: 1031 + 10 + 5 + 3 + 2 = 1001 + 50).
    "red_vol_le_holdings": [Case(_set(RED, 0, red_vol=1001, red_intact=1031), ((RED, 3),))],
    "red_item_le_holdings": [Case(_set(RED, 0, red_item=2001, red_intact=2011), ((RED, 3),))],
    # 15 卷件 of red archives, fewer than the holder's 20 革命历史档案 (a warning).
    "red_covers_revolutionary": [
        Case(
            _set(
                RED,
                0,
                red_vol=5,
                red_item=10,
                red_intact=0,
                red_light=10,
                red_moderate=5,
                red_severe=0,
                red_extreme=0,
                red_digitized=10,
            ),
            ((RED, 3),),
        )
    ],
    # A second holder with revolutionary history archives and no red-archive row (a warning on the main sheet).
    "red_sheet_row_for_revolutionary": [Case(_add(MAIN, uscc=OTHER_USCC, unit_name="另一单位"), ((MAIN, 4),))],
    "sign_off_one_row": [
        Case(_empty(FOOT), ((FOOT, 3),)),  # on the row to fill
        Case(_add(FOOT, preparer="赵六"), ((FOOT, 4),)),
    ],
}
# The rules across the census workbook's sheets (the scope rules, against other returns, are in tests/flows/test_scopes.py;
# the comparison with the register's annual statistics in tests/checks/test_annual_stats.py).
WORKBOOK_RULES = [
    r
    for form in CENSUS_WORKBOOK.sheets
    for r in form.rules
    if r.kind in WORKBOOK_RULE_KINDS and r not in SCOPE_RULES + CROSS_RETURN_RULES
]


def validate(sheets: Sheets) -> list[Any]:
    return validate_workbook(CENSUS_WORKBOOK, frames(sheets), build_check_context(PROVINCE, register_usccs=None))


def test_every_rule_across_the_sheets_has_cases():
    assert {r.rule_id for r in WORKBOOK_RULES} == set(CASES)


def test_the_base_workbook_passes_every_rule():
    assert validate(base()) == []


def test_an_empty_red_archive_sheet_is_allowed_when_no_holder_has_revolutionary_archives():
    sheets = base()
    sheets[RED] = []
    sheets[MAIN] = [{"red_archives": 0}]
    assert validate(sheets) == []


@pytest.mark.parametrize(
    ("rule_id", "index"), [(rule_id, i) for rule_id, cases in CASES.items() for i in range(len(cases))]
)
def test_each_rule_fails_on_its_case_and_nothing_else_does(rule_id, index):
    case = CASES[rule_id][index]
    rule = next(r for r in WORKBOOK_RULES if r.rule_id == rule_id)
    sheets = base()
    case.change(sheets)
    failures = validate(sheets)
    assert {(f.sheet, f.row) for f in failures if f.rule == rule_id} == set(case.where)
    assert {f.rule for f in failures} == {rule_id}, failures
    mine = next(f for f in failures if f.rule == rule_id)
    assert (mine.severity, mine.message, mine.field) == (rule.severity, rule.message, rule.field)


def test_comparisons_with_the_main_sheet_are_warnings_only_where_declared():
    severities = {r.rule_id: r.severity for r in WORKBOOK_RULES}
    assert {rule for rule, severity in severities.items() if severity is Severity.WARNING} == {
        "red_covers_revolutionary",
        "red_sheet_row_for_revolutionary",
    }


def test_a_holder_missing_from_the_main_sheet_is_not_compared_again():
    sheets = base()
    sheets[RED].append({"uscc": OTHER_USCC, "red_vol": 5000, "red_intact": 5030})
    # Only "not in 普查表": there is no row to compare its 5000 卷 with.
    assert [(f.rule, f.row) for f in validate(sheets)] == [("red_holder_in_census", 4)]
    assert BASE_USCC != OTHER_USCC


def test_a_mistyped_code_is_said_once_where_it_is_not_again_as_missing_elsewhere():
    # A 普查表 code with a wrong check character: it was also 「不在名录中」 and 「红色档案资源摸底」 lacked its row.
    sheets = base()
    _set(MAIN, 0, uscc=with_wrong_check_char(BASE_USCC))(sheets)
    context = build_check_context(PROVINCE, register_usccs={BASE_USCC})
    on_main = [(f.row, f.rule) for f in validate_workbook(CENSUS_WORKBOOK, frames(sheets), context) if f.sheet == MAIN]
    assert on_main == [(3, "uscc_check_digit")]


def test_a_code_missing_from_the_other_sheet_names_that_sheet_s_row_of_the_same_unit():
    # The red row's code is right and 普查表's is mistyped (or the other way round): the unit is told by its name, so
    # the message says which row to compare instead of only "not in 普查表".
    sheets = base()
    name = frames(sheets)[MAIN].get_column("unit_name")[0]
    _set(RED, 0, uscc=OTHER_USCC)(sheets)
    said = {f.rule: f.message for f in validate(sheets)}
    assert f"「{MAIN}」第 3 行有同名单位「{name}」，代码为 {BASE_USCC}" in said["red_holder_in_census"]
    assert f"「{RED}」第 3 行有同名单位「{name}」，代码为 {OTHER_USCC}" in said["red_sheet_row_for_revolutionary"]
