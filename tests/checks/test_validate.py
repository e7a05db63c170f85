"""validate_return, rule by rule: every rule of every form has a passing example (the base row) and a failing one.

All cases of a form run together in one frame, one case per group of rows at non-contiguous Excel rows, each row
with its own USCC, so that one GX run covers the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from census_schema.census_form import CENSUS_FORM, RED_ARCHIVES_FORM, REGISTER_FORM, SIGN_OFF_FORM
from census_schema.divisions import load_divisions
from census_schema.failures import Failure, in_workbook_order
from census_schema.fields import Form, Rule, Severity
from census_schema.scopes import division_scope
from census_schema.uscc import compute_uscc_check_char
from checks.context import build_check_context
from checks.kinds import PARSER_KINDS, applicable_rules
from checks.row_rules import ROW_RULE_DETAILS
from checks.validate import OWN_DIVISION_NAMED_KINDS, WORKBOOK_RULE_KINDS, validate_return
from synthetic.holders import BASE_USCC, PARENT_USCC, make_uscc
from tests.checks.builders import PROVINCE, SHEET, build_rows, with_wrong_check_char

# Holders the cross-return cases need.
UNREGISTERED_USCC = make_uscc(900_002)  # not in Guangdong's register
# Letters where the division code stands, with a correct check character: the shape and check pass, the structure not.
UNSTRUCTURED_USCC = "91AB0300708461136" + compute_uscc_check_char("91AB0300708461136")
# Positions 1-2 "94": 工商 registers no organisation type 4.
UNKNOWN_TYPE_USCC = "94440300708461136" + compute_uscc_check_char("94440300708461136")
SELF_PARENT_USCC = make_uscc(900_004)
NOT_A_DIVISION = "449999"
# The scope the rule table is validated for: the base row (440106, 广州市天河区) lies inside it.
TABLE_SCOPE = division_scope(PROVINCE, "440100")
UPLOAD_DAY = date(2025, 6, 30)
# A register row's annual statistics, all three given.
ANNUAL_STATS = {"annual_stats_year": 2023, "annual_stats_vol": 800, "annual_stats_item": 1500}


@dataclass(frozen=True)
class Case:
    """Rows that break one rule; `also` lists the other rules the same change cannot help breaking."""

    rows: tuple[dict[str, Any], ...]
    also: frozenset[str] = field(default_factory=frozenset)


def case(changes: dict[str, Any], *also: str) -> Case:
    """A one-row case."""
    return Case((changes,), frozenset(also))


def default_case(form: Form, rule: Rule) -> Case | None:
    """The obvious breaking change for the generic kinds; None when the rule needs a hand-written case."""
    assert rule.field is not None
    target = form.field(rule.field)
    if rule.kind == "required":
        return case({rule.field: None})
    if rule.kind == "in_list":
        return case({rule.field: "不在列表中"})
    if rule.kind == "max_length":
        return case({rule.field: "长" * (rule.param("max") + 1)})
    # Below the floor (every count's upper bound is far above the figures its relations accept: test_numbers).
    if rule.kind == "range" and target.is_numeric and rule.params.get("min") is not None:
        below = rule.param("min") - 1
        return case({rule.field: float(below) if target.decimals else int(below)})
    if rule.kind == "range" and rule.params.get("max") is not None:
        return case({rule.field: int(rule.param("max")) + 1})
    return None


# Hand-written cases: shape errors, parts of sums (moved so their total still adds up), relations, cross-return rules.
CASES: dict[str, Case] = {
    "uscc_format": case({"uscc": "91440300708461136I"}),  # I is not in the charset: no check-digit message as well
    "uscc_check_digit": case({"uscc": with_wrong_check_char(make_uscc(800_001))}),
    "uscc_structure": Case(({"uscc": UNSTRUCTURED_USCC}, {"uscc": UNKNOWN_TYPE_USCC})),
    "parent_uscc_structure": case({"parent_uscc": "11AB0000000000001" + compute_uscc_check_char("11AB0000000000001")}),
    "parent_uscc_format": case({"parent_uscc": PARENT_USCC[:16]}),
    "parent_uscc_check_digit": case({"parent_uscc": with_wrong_check_char(PARENT_USCC)}),
    "division_code_format": case({"division_code": "4401"}),  # reported once: not also "not current"
    "division_code_current": case({"division_code": NOT_A_DIVISION}),
    "division_code_in_province": case({"division_code": "110101"}),  # 北京市东城区: current, county level
    "contact_phone_length": case({"contact_phone": "1" * 31}, "contact_phone_format"),
    "contact_phone_format": case({"contact_phone": "12345"}),
    "vol_total_range": case(
        {"vol_total": -1},
        "vol_total_sum",
        "categories_sum",
        "digitized_vol_le_total",
        "shelf_plausible",
    ),
    "vol_permanent_range": case({"vol_permanent": -1, "vol_30y": 801}),
    "vol_30y_range": case({"vol_30y": -1, "vol_permanent": 801}),
    "vol_10y_range": case({"vol_10y": -1, "vol_permanent": 761}),
    "vol_unassigned_range": case({"vol_unassigned": -1, "vol_permanent": 641}),
    "vol_long_range": case({"vol_long": -1, "vol_permanent": 601}),
    "vol_short_range": case({"vol_short": -1, "vol_permanent": 601}),
    "item_total_range": case({"item_total": -1}, "item_total_sum", "categories_sum", "digitized_item_le_total"),
    "item_permanent_range": case({"item_permanent": -1, "item_30y": 1501}),
    "item_30y_range": case({"item_30y": -1, "item_permanent": 1501}),
    "item_10y_range": case({"item_10y": -1, "item_permanent": 1461}),
    "item_unassigned_range": case({"item_unassigned": -1, "item_permanent": 1041}),
    "item_long_range": case({"item_long": -1, "item_permanent": 1001}),
    "item_short_range": case({"item_short": -1, "item_permanent": 1001}),
    "cat_ws_range": case({"cat_ws": -1, "cat_kj": 2001}),
    "cat_kj_range": case({"cat_kj": -1, "cat_ws": 2001}),
    "cat_ku_range": case({"cat_ku": -1, "cat_ws": 1901}),
    "cat_rs_range": case({"cat_rs": -1, "cat_ws": 1801}),
    "cat_zy_range": case({"cat_zy": -1, "cat_ws": 1701}),
    "cat_other_range": case({"cat_other": -1, "cat_ws": 1601}),
    "shelf_m_range": case({"shelf_m": -1.0}, "shelf_plausible"),
    "e_gb_range": case({"e_gb": -1.0}, "e_gb_per_item"),
    "digitized_gb_range": case({"digitized_gb": -1.0}, "digitized_gb_positive"),
    "pre1949_range": case({"pre1949": -1}, "red_archives_le_pre1949"),
    "opened_range": case({"opened": -1, "holder_type": "综合档案馆"}),
    "building_m2_range": case({"building_m2": -1.0}, "storage_le_building"),
    "uscc_unique": Case(({"uscc": make_uscc(800_002)}, {"uscc": make_uscc(800_002)})),
    "unit_nature_matches_uscc": case({"unit_nature": "机关"}),
    "admin_level_matches_division": case({"admin_level": "地级"}),
    "parent_uscc_not_self": case({"uscc": SELF_PARENT_USCC, "parent_uscc": SELF_PARENT_USCC}),
    "staff_with_holdings": case({"staff_fulltime": 0, "staff_parttime": 0}),
    "fonds_count_archives": case({"holder_type": "综合档案馆", "fonds_count": 0}),
    "vol_total_sum": case({"vol_permanent": 601}),
    "vol_unassigned_share": case({"vol_unassigned": 100, "vol_permanent": 540}),
    "item_total_sum": case({"item_permanent": 1001}),
    "item_unassigned_share": case({"item_unassigned": 200, "item_permanent": 840}),
    "categories_sum": case({"cat_ws": 1501}),
    "shelf_plausible": case({"shelf_m": 200.0}),  # about 6 times the expected 33 m
    "e_items_zero_together": case({"e_items": 0}),
    "e_gb_per_item": case({"e_gb": 30_000.0}),  # 60 GB per item
    "digitized_vol_le_total": case({"digitized_vol": 1001}),
    "digitized_item_le_total": case({"digitized_item": 2001}),
    "digitized_gb_positive": case({"digitized_gb": 0.0}),
    "pre1949_le_holdings": case({"pre1949": 3001}),
    "red_archives_le_pre1949": case({"red_archives": 101}),
    "opened_le_holdings": case({"opened": 3001, "holder_type": "综合档案馆"}),
    "opened_zero_for_rooms": case({"opened": 10}),
    "storage_le_building": case({"storage_m2": 600.0}),
    # The table runs for the prefecture 广州市 (440100): 440306 is a county of 深圳市, in the province but not in scope.
    "division_in_scope": case({"division_code": "440306"}),
    "admin_level_in_scope": case({"admin_level": "中央"}, "admin_level_matches_division"),
    "uscc_not_in_register": case({"uscc": UNREGISTERED_USCC}),
    # The register's annual statistics (base: none given): all three or none, the year within 2015-2024.
    "annual_stats_year_together": case({"annual_stats_vol": 800, "annual_stats_item": 1500}),
    "annual_stats_vol_together": case({"annual_stats_year": 2023, "annual_stats_item": 1500}),
    "annual_stats_item_together": case({"annual_stats_year": 2023, "annual_stats_vol": 800}),
    "annual_stats_year_range": Case(
        (
            {**ANNUAL_STATS, "annual_stats_year": 2025},  # after the round's year
            {**ANNUAL_STATS, "annual_stats_year": 2014},  # before the floor
        )
    ),
    "annual_stats_vol_range": case({**ANNUAL_STATS, "annual_stats_vol": -1}),
    "annual_stats_item_range": case({**ANNUAL_STATS, "annual_stats_item": -1}),
    # The red-archive inventory (base: 30 卷 + 50 件, conditions 60 + 10 + 5 + 3 + 2, 40 digitised).
    "red_uscc_unique": Case(({"uscc": make_uscc(800_003)}, {"uscc": make_uscc(800_003)})),
    "red_conditions_sum": case({"red_intact": 61}),
    "red_digitized_le_total": case({"red_digitized": 81}),
    "red_vol_range": case({"red_vol": -1}, "red_conditions_sum"),
    "red_item_range": case({"red_item": -1}, "red_conditions_sum", "red_digitized_le_total"),
    "red_intact_range": case({"red_intact": -1, "red_light": 71}),
    "red_light_range": case({"red_light": -1, "red_intact": 71}),
    "red_moderate_range": case({"red_moderate": -1, "red_intact": 66}),
    "red_severe_range": case({"red_severe": -1, "red_intact": 64}),
    "red_extreme_range": case({"red_extreme": -1, "red_intact": 63}),
    # The foot.
    "preparer_phone_length": case({"preparer_phone": "1" * 31}, "preparer_phone_format"),
    "preparer_phone_format": case({"preparer_phone": "12345"}),
    "reported_on_after_reference_date": case({"reported_on": date(2024, 12, 30)}),
    "reported_on_not_future": case({"reported_on": UPLOAD_DAY + timedelta(days=1)}),
}

FORMS = {form.kind: form for form in (CENSUS_FORM, REGISTER_FORM, RED_ARCHIVES_FORM, SIGN_OFF_FORM)}


def case_for(form: Form, rule: Rule) -> Case:
    """The case of a rule: hand-written, or the generic one of its kind."""
    found = CASES.get(rule.rule_id) or default_case(form, rule)
    assert found is not None, f"no failing example for rule {rule.rule_id} ({rule.kind}): add one to CASES"
    return found


# Rules that run on a central channel's return only (the table is a prefecture's): tests/flows/test_scopes.py.
CENTRAL_CHANNEL_KINDS = frozenset({"holder_type_in_channel"})


def checked_rules(form: Form) -> list[Rule]:
    """The rules checks execute on one sheet: the parser's own kinds are tested with the parser, the rules across a
    workbook's sheets in test_workbook_rules, those against other returns (with messages of their own) in
    test_scope_rules, and a central channel's own in tests/flows/test_scopes; see test_kinds for the rules that do not
    apply to a form."""
    return [
        rule
        for rule in applicable_rules(form)
        if rule.kind not in PARSER_KINDS | WORKBOOK_RULE_KINDS | CENTRAL_CHANNEL_KINDS
    ]


@dataclass(frozen=True)
class TableRun:
    """One validation of all cases of a form: failures keyed by Excel row, and the Excel rows of each case."""

    by_row: dict[int, list[Failure]]
    case_rows: dict[str, list[int]]
    base_row: int


def run_table(form: Form) -> TableRun:
    """Validate every case of a form in one frame (rows 3, 5, 7, …), plus one unchanged base row."""
    overrides: list[dict[str, Any]] = [{"uscc": BASE_USCC}]
    case_rows: dict[str, list[int]] = {}
    for rule in checked_rules(form):
        start = len(overrides)
        for changes in case_for(form, rule).rows:
            # Each row is its own holder unless the case says otherwise.
            overrides.append({"uscc": make_uscc(100_000 + len(overrides)), **changes})
        case_rows[rule.rule_id] = [3 + 2 * i for i in range(start, len(overrides))]
    excel_rows = [3 + 2 * i for i in range(len(overrides))]
    rows = build_rows(form, overrides, excel_rows=excel_rows)
    usccs = {changes["uscc"] for changes in overrides}
    context = build_check_context(
        PROVINCE,
        register_usccs=usccs - {UNREGISTERED_USCC},
        scope=TABLE_SCOPE,
        today=UPLOAD_DAY,
    )
    by_row: dict[int, list[Failure]] = {}
    for failure in validate_return(form, rows, context):
        assert failure.row is not None
        by_row.setdefault(failure.row, []).append(failure)
    return TableRun(by_row, case_rows, base_row=excel_rows[0])


@pytest.fixture(scope="module")
def table_runs() -> dict[str, TableRun]:
    return {kind: run_table(form) for kind, form in FORMS.items()}


RULE_PARAMS = [
    pytest.param(kind, rule.rule_id, id=f"{kind}-{rule.rule_id}")
    for kind, form in FORMS.items()
    for rule in checked_rules(form)
]


@pytest.mark.parametrize(("kind", "rule_id"), RULE_PARAMS)
def test_rule_fails_on_its_case_and_nothing_else_does(table_runs, kind, rule_id):
    form, run = FORMS[kind], table_runs[kind]
    rule = form.rules_by_id[rule_id]
    expected_also = case_for(form, rule).also
    for excel_row in run.case_rows[rule_id]:
        failures = run.by_row.get(excel_row, [])
        assert (rule_id, rule.field) in {(f.rule, f.field) for f in failures}, failures
        assert {f.rule for f in failures} == {rule_id} | expected_also
        mine = next(f for f in failures if f.rule == rule_id)
        # A repeated key's message goes on to name the rows it repeats (与第 N 行重复), a total's to give the row's
        # own sums (本行分项之和为 …).
        said = mine.message.split("（与第 ")[0] + "。" if rule.kind == "unique" else mine.message
        said = said.split("本行分项之和为 ")[0] if rule.kind == "sum_equals" else said
        # A scope rule's, and a bad division code's, go on to name the return's scope (本表的填报范围：广东省广州市
        # （地级），区划代码 440100).
        named = rule.kind in ROW_RULE_DETAILS or rule.kind in OWN_DIVISION_NAMED_KINDS
        if named:
            assert mine.message.endswith(f"（本表的填报范围：{TABLE_SCOPE.label}，区划代码 {TABLE_SCOPE.code}）")
        said = said.split("（本表的填报范围：")[0] if named else said
        assert (mine.sheet, mine.severity, said) == (SHEET, rule.severity, rule.message)
        assert mine.label == form.field(rule.field).label if rule.field else mine.label is None


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_base_row_passes_every_rule(table_runs, kind):
    run = table_runs[kind]
    assert run.by_row.get(run.base_row, []) == []


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_base_row_alone_has_no_errors_and_no_warnings(kind):
    form = FORMS[kind]
    context = build_check_context(
        PROVINCE,
        register_usccs={BASE_USCC},
        scope=TABLE_SCOPE,
    )
    assert validate_return(form, build_rows(form, [{}]), context) == []


def test_cases_name_only_rules_of_the_forms():
    known = {rule.rule_id for form in FORMS.values() for rule in form.rules}
    assert set(CASES) - known == set()
    assert NOT_A_DIVISION not in load_divisions().by_code


def test_failures_carry_the_value_as_written_errors_first():
    rows = build_rows(CENSUS_FORM, [{"shelf_m": 200.0}, {"vol_permanent": 601}, {"e_gb": 30_000.5}])
    failures = validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE))
    assert [(f.row, f.rule, f.value, f.severity) for f in failures] == [
        (4, "vol_total_sum", "1000", Severity.ERROR),
        (3, "shelf_plausible", "200", Severity.WARNING),
        (5, "e_gb_per_item", "30000.5", Severity.WARNING),
    ]


def test_a_cell_the_parser_reported_gets_no_second_message():
    # The parser could not read vol_permanent of row 3 (so it is null) nor storage_m2 of row 4.
    rows = build_rows(CENSUS_FORM, [{"vol_permanent": None}, {"storage_m2": None}])
    parse_failures = [
        Failure(SHEET, 3, "vol_permanent", "其中：永久（卷）", "六百", "vol_permanent_integer", Severity.ERROR, "整数"),
        Failure(
            SHEET, 4, "storage_m2", "其中：库房面积（平方米）", "三百", "storage_m2_number", Severity.ERROR, "数字"
        ),
    ]
    failures = validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE), parse_failures=parse_failures)
    # No "required" on the same cells, and no sum or comparison judged on a value that could not be read.
    assert failures == parse_failures


def test_parse_failures_of_whole_rows_are_kept_and_sorted_with_the_rest():
    workbook_failure = Failure(SHEET, None, None, None, None, "cell_too_long", Severity.ERROR, "过长")
    rows = build_rows(CENSUS_FORM, [{"shelf_m": 200.0}])
    failures = validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE), parse_failures=[workbook_failure])
    assert [f.rule for f in failures] == ["cell_too_long", "shelf_plausible"]


def test_validate_return_prints_nothing(capsys):
    rows = build_rows(CENSUS_FORM, [{}, {"vol_permanent": 601}])
    validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE))
    assert capsys.readouterr().out == ""


def test_an_empty_return_has_no_failures():
    empty = pl.DataFrame(schema=build_rows(CENSUS_FORM, []).schema)
    assert validate_return(CENSUS_FORM, empty, build_check_context(PROVINCE)) == []


@pytest.mark.parametrize(
    "given",
    [
        ANNUAL_STATS,
        {**ANNUAL_STATS, "annual_stats_year": 2024},  # the round's own year
        {**ANNUAL_STATS, "annual_stats_year": 2015},  # the earliest accepted
        {**ANNUAL_STATS, "annual_stats_vol": 0, "annual_stats_item": 0},  # zeros are figures, not blanks
    ],
)
def test_a_register_row_with_all_three_annual_figures_passes(given):
    context = build_check_context(PROVINCE, register_usccs={BASE_USCC}, scope=TABLE_SCOPE)
    assert validate_return(REGISTER_FORM, build_rows(REGISTER_FORM, [given]), context) == []


def test_a_partial_annual_statistics_row_is_told_which_cell_to_fill():
    rows = build_rows(REGISTER_FORM, [{"annual_stats_year": 2023}])
    failures = validate_return(REGISTER_FORM, rows, build_check_context(PROVINCE, scope=TABLE_SCOPE))
    assert [(f.row, f.field, f.label, f.severity) for f in failures] == [
        (3, "annual_stats_item", "统计年报档案数量（件）", Severity.ERROR),
        (3, "annual_stats_vol", "统计年报档案数量（卷）", Severity.ERROR),
    ]
    assert failures[1].message.startswith("「统计年报档案数量（卷）」为空")
    assert "三列须同时填写或同时留空" in failures[1].message


# The census form's limits as the specification writes them (spec/census-form.md, rows 8-10), not as the form
# declares them: a changed bound fails here.
@pytest.mark.parametrize("field_name", ["staff_fulltime", "staff_parttime"])
def test_a_staff_count_is_accepted_up_to_5000_and_refused_above(field_name):
    rows = build_rows(CENSUS_FORM, [{field_name: 5000}, {field_name: 5001}])
    failures = validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE))
    assert [(f.row, f.rule, f.severity) for f in failures] == [(4, f"{field_name}_range", Severity.ERROR)]


def test_each_of_the_four_kinds_of_archives_needs_a_fonds_and_an_archive_room_does_not():
    kinds = ["综合档案馆", "专门档案馆", "部门档案馆", "企事业单位档案馆", "机关档案室", "企事业单位档案室"]
    rows = build_rows(CENSUS_FORM, [{"holder_type": kind, "fonds_count": 0} for kind in kinds])
    failures = validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE))
    refused = [(f.row, f.severity) for f in failures if f.rule == "fonds_count_archives"]
    assert refused == [(3, Severity.ERROR), (4, Severity.ERROR), (5, Severity.ERROR), (6, Severity.ERROR)]


def test_a_phone_number_is_accepted_as_offices_write_it_and_nonsense_is_not():
    written = ["13800138000", "+86 13800138000", "020-83133000", "（020）83133000", "(020)83133000",
               "020-83133000转8001", "020-83133000-8001", "0755 1234567"]  # fmt: skip
    wrong = ["12345", "1380013800", "23800138000", "020-831", "（020-83133000", "020-83133000转"]
    rows = build_rows(CENSUS_FORM, [{"contact_phone": phone} for phone in [*written, *wrong]])
    failures = validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE))
    refused = {f.value for f in failures if f.rule == "contact_phone_format"}
    assert refused == set(wrong) and [f for f in failures if f.rule != "contact_phone_format"] == []


def test_failures_come_as_the_uploader_reads_the_sheet_errors_first_then_row_then_column():
    # Sorted by the fields' English ids, row 3 listed 文书档案 (cat_ws, column Y) before 联系电话 and 永久 (column L).
    rows = build_rows(
        CENSUS_FORM,
        [{"contact_phone": "12345", "cat_ws": -1, "cat_kj": 2001, "vol_permanent": -1, "vol_30y": 801}, {"uscc": "1"}],
    )
    failures = validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE))
    position = {field.name: i for i, field in enumerate(CENSUS_FORM.fields)}
    shown = [
        (f.severity is not Severity.ERROR, f.row or 0, position.get(f.field or "", len(position))) for f in failures
    ]
    assert shown == sorted(shown) and len({f.row for f in failures}) == 2
    assert [f.field for f in failures if f.row == 3][:3] == ["vol_permanent", "cat_ws", "contact_phone"]


def test_a_workbook_s_failures_keep_its_sheets_together_in_its_order():
    # The report and the command line sorted again by row alone: 普查表 row 4, 红色档案资源摸底 row 5, 普查表 row 6.
    def failure(form: Form, row: int) -> Failure:
        return Failure(form.sheet_name, row, "uscc", "统一社会信用代码", "1", "uscc_format", Severity.ERROR, "…")

    mixed = [failure(CENSUS_FORM, 6), failure(RED_ARCHIVES_FORM, 5), failure(CENSUS_FORM, 4)]
    ordered = in_workbook_order(mixed, [CENSUS_FORM, RED_ARCHIVES_FORM])
    assert [(f.sheet, f.row) for f in ordered] == [
        (CENSUS_FORM.sheet_name, 4),
        (CENSUS_FORM.sheet_name, 6),
        (RED_ARCHIVES_FORM.sheet_name, 5),
    ]


def test_a_repeated_code_names_the_rows_it_repeats():
    twice, thrice = make_uscc(800_011), make_uscc(800_012)
    rows = build_rows(
        CENSUS_FORM, [{"uscc": twice}, {}, {"uscc": thrice}, {"uscc": twice}, {"uscc": thrice}, {"uscc": thrice}]
    )
    failures = validate_return(CENSUS_FORM, rows, build_check_context(PROVINCE))
    repeated = {f.row: f.message for f in failures if f.rule == "uscc_unique"}
    rule = CENSUS_FORM.rules_by_id["uscc_unique"].message.rstrip("。")
    assert repeated == {
        3: f"{rule}（与第 6 行重复）。",
        6: f"{rule}（与第 3 行重复）。",
        5: f"{rule}（与第 7、8 行重复）。",
        7: f"{rule}（与第 5、8 行重复）。",
        8: f"{rule}（与第 5、7 行重复）。",
    }
