"""Numbers a census return cannot hold: not a number, not finite, or beyond any real holder's figures; each is a
located error with the message that says what is wrong, and nothing non-finite or wrapped reaches the warehouse."""

from __future__ import annotations

import json

import pytest

from census_schema.census_form import CENSUS_FORM
from flows.ingest import IngestRequest, ingest_workbook
from flows.parse import parse_form_sheet
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook
from warehouse.backends import EmbeddedWarehouse
from warehouse.queries import query_summary

FORM = CENSUS_FORM


@pytest.fixture
def store(settings, tmp_path):
    store = EmbeddedWarehouse(settings.db_path)
    request = IngestRequest(register_workbook(tmp_path / "reg.xlsx", 2), "register", PROVINCE, "省档案局")
    assert ingest_workbook(store, request, settings).status == "accepted"
    return store


def ingest(store, settings, path):
    return ingest_workbook(store, IngestRequest(path, "census", PROVINCE, "张三"), settings)


def errors_at(outcome, field):
    return [(f.row, f.rule, f.message) for f in outcome.failures if f.field == field and f.severity == "error"]


@pytest.mark.parametrize(
    ("typed", "rule", "words"),
    [
        ("inf", "shelf_m_number", "应为数字"),
        ("Infinity", "shelf_m_number", "应为数字"),
        ("-inf", "shelf_m_number", "应为数字"),
        ("NaN", "shelf_m_number", "应为数字"),
        ("1" + "0" * 308, "shelf_m_range", "应在"),
        ("1000000000000", "shelf_m_range", "应在"),
        # Scientific notation, text pasted from a cell Excel showed so: its last digits are lost, never read.
        ("1e308", "shelf_m_number", "「1e308」是科学计数法写法"),
        ("2.70E+05", "shelf_m_number", "其后几位数字可能已丢失"),
    ],
)
def test_a_decimal_cell_that_is_not_finite_or_absurd_is_one_located_error(
    store, settings, tmp_path, typed, rule, words
):
    outcome = ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 1, {0: {"shelf_m": typed}}))
    assert outcome.status == "rejected"
    found = errors_at(outcome, "shelf_m")
    assert [(row, r) for row, r, _ in found] == [(3, rule)]
    assert words in found[0][2] and "必填" not in found[0][2]


def test_no_non_finite_value_is_kept_by_the_parser(tmp_path):
    path = census_workbook(
        tmp_path / "c.xlsx", 3, {0: {"shelf_m": "inf"}, 1: {"e_gb": "NaN"}, 2: {"building_m2": "1e308"}}
    )
    rows = parse_form_sheet(path, FORM).rows
    for name in ("shelf_m", "e_gb", "building_m2"):
        assert rows[name].is_nan().sum() == 0 and rows[name].is_infinite().sum() == 0


@pytest.mark.parametrize("typed", ["1" + "0" * 308, "10000000000000000000", "9007199254740993"])
def test_an_integer_beyond_any_holder_is_out_of_range_not_a_fraction(store, settings, tmp_path, typed):
    outcome = ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 1, {0: {"photos": typed}}))
    found = errors_at(outcome, "photos")
    assert [(row, r) for row, r, _ in found] == [(3, "photos_range")]
    assert "小数" not in found[0][2] and "应在 0～" in found[0][2]


@pytest.mark.parametrize("typed", ["2.70E+05", "2.7e5", "1e3", " 1E+19 "])
def test_an_integer_in_scientific_notation_is_refused_not_rounded(store, settings, tmp_path, typed):
    # 2.70E+05 (269,836 as a narrow cell showed it, pasted as text) was loaded as 270,000 without a word.
    outcome = ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 1, {0: {"photos": typed}}))
    found = errors_at(outcome, "photos")
    assert [(row, r) for row, r, _ in found] == [(3, "photos_integer")]
    assert f"「{typed.strip()}」是科学计数法写法" in found[0][2] and "请填写完整的数字" in found[0][2]


@pytest.mark.parametrize("typed", ["9007199254740993", "123456789012345678"])
def test_integers_typed_as_text_are_read_exactly(tmp_path, typed):
    path = census_workbook(tmp_path / "c.xlsx", 1, {0: {"photos": typed}})
    assert parse_form_sheet(path, FORM).rows["photos"].to_list() == [int(typed)]


def test_every_integer_field_has_an_upper_bound():
    for form in (FORM,):
        unbounded = [f.name for f in form.fields if f.type == "integer" and f.max_value is None]
        assert unbounded == []


def test_parts_whose_sum_wraps_around_int64_do_not_pass_the_sum(store, settings, tmp_path):
    # 9e18 + 9e18 + 446744073709551616 + 1000 wraps to 1000 in Int64 (2**64 + 1000).
    parts = {
        "vol_permanent": "9000000000000000000",
        "vol_30y": "9000000000000000000",
        "vol_10y": str(446744073709551616 + 1000),
        "vol_unassigned": 0,
        "vol_long": 0,
        "vol_short": 0,
    }
    outcome = ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 1, {0: parts}))
    assert outcome.status == "rejected"
    rules = {(f.field, f.rule) for f in outcome.failures if f.severity == "error"}
    assert ("vol_permanent", "vol_permanent_range") in rules
    assert ("vol_10y", "vol_10y_range") in rules


def test_summary_json_of_accepted_returns_is_strict_json(store, settings, tmp_path):
    assert ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 2)).status == "accepted"
    with store.reader() as con:
        figures = query_summary(con)
    json.dumps(figures, allow_nan=False, default=str)
