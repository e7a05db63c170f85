"""The grouped GX suite: the same rules as the per-rule suite, checked in a few expectations, the same cells found."""

from __future__ import annotations

import socket
from typing import Any

import numpy as np
import pandas as pd
import pytest
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from census_schema.census_form import CENSUS_FORM
from checks import grouped
from checks.context import build_check_context
from checks.grouped import ExpectRowsToPassGroupedChecks
from checks.suite import (
    RESULTS_FOLDER,
    build_data_docs,
    build_grouped_suite,
    build_gx_frame,
    build_suite,
    collect_gx_failures,
    plan_suite,
    run_suite,
    validate_gx_frame,
)
from synthetic.holders import BASE_USCC, make_uscc
from tests.checks.builders import PROVINCE, build_rows
from tests.checks.test_validate import FORMS, case_for, checked_rules


def located(failures):
    return sorted((f.sheet, f.row, f.rule, f.field, f.value) for f in failures)


def every_case(form) -> Any:
    """Every rule's failing example of the table-driven test, one holder per row, plus a valid row."""
    overrides: list[dict[str, Any]] = [{"uscc": BASE_USCC}]
    for rule in checked_rules(form):
        for changes in case_for(form, rule).rows:
            overrides.append({"uscc": make_uscc(100_000 + len(overrides)), **changes})
    return build_rows(form, overrides, excel_rows=[3 + 2 * i for i in range(len(overrides))])


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_grouped_and_per_rule_suites_locate_the_same_cells(kind):
    form = FORMS[kind]
    rows = every_case(form)
    context = build_check_context(PROVINCE)
    per_rule = collect_gx_failures(
        form, rows, validate_gx_frame(build_suite(form, context), build_gx_frame(form, rows))
    )
    assert per_rule, "the cases must break some GX rules"
    assert located(run_suite(form, rows, context)) == located(per_rule)


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_the_grouped_suite_checks_every_gx_rule_once(kind):
    form = FORMS[kind]
    context = build_check_context(PROVINCE)
    per_rule = [e.meta["rule_id"] for e in build_suite(form, context).expectations]
    grouped = build_grouped_suite(form, context, "grouped").expectations
    checked = [rule_id for e in grouped for rule_id in e.meta.get("rule_ids") or [e.meta["rule_id"]]]
    assert sorted(checked) == sorted(per_rule)
    assert len(grouped) < len(per_rule)


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_a_grouped_expectation_reads_its_arguments_as_gx_s_own_methods_do(kind):
    # ExpectRowsToPassGroupedChecks reads its arguments from its fields instead of building the whole configuration
    # for each one: what it gives must be what GX's own methods give, key by key.
    grouped = build_grouped_suite(FORMS[kind], build_check_context(PROVINCE), "grouped").expectations
    ours = [e for e in grouped if isinstance(e, ExpectRowsToPassGroupedChecks)]
    assert ours
    for expectation in ours:
        assert expectation._get_domain_kwargs() == MulticolumnMapExpectation._get_domain_kwargs(expectation)
        assert expectation._get_success_kwargs() == MulticolumnMapExpectation._get_success_kwargs(expectation)
        for key in (*expectation.success_keys, *expectation.domain_keys, "not_a_field"):
            gx_own = MulticolumnMapExpectation._get_success_kwarg(expectation, key, "absent")
            assert expectation._get_success_kwarg(key, "absent") == gx_own, key


def test_the_census_suite_groups_into_a_handful_of_expectations():
    grouped = build_grouped_suite(CENSUS_FORM, build_check_context(PROVINCE), "grouped").expectations
    assert len(grouped) <= 10  # 106 rules


def test_the_plan_is_built_once_per_process_and_per_province():
    first = plan_suite(CENSUS_FORM, build_check_context(PROVINCE))
    assert plan_suite(CENSUS_FORM, build_check_context(PROVINCE)) is first
    assert plan_suite(CENSUS_FORM, build_check_context("110000")) is not first


def test_a_passing_return_keeps_one_result_and_a_failing_one_the_rows_located(tmp_path):
    context = build_check_context(PROVINCE)
    assert run_suite(CENSUS_FORM, build_rows(CENSUS_FORM, [{}, {}]), context, results_dir=tmp_path / "good") == []
    assert len(list((tmp_path / "good" / RESULTS_FOLDER).glob("*.json"))) == 1
    failures = run_suite(
        CENSUS_FORM, build_rows(CENSUS_FORM, [{}, {"vol_permanent": 601}]), context, results_dir=tmp_path / "bad"
    )
    assert [(f.row, f.rule) for f in failures] == [(4, "vol_total_sum")]
    assert len(list((tmp_path / "bad" / RESULTS_FOLDER).glob("*.json"))) == 2
    assert not (tmp_path / "bad" / "index.html").exists()


def test_data_docs_are_built_later_from_kept_results_locally_and_silently(tmp_path, monkeypatch, capsys):
    site = tmp_path / "docs"
    rows = build_rows(CENSUS_FORM, [{}, {"vol_permanent": 601, "contact_phone": None}])
    run_suite(CENSUS_FORM, rows, build_check_context(PROVINCE), results_dir=site)
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    index = build_data_docs(site)
    assert index == site.resolve() / "index.html" and index.is_file()
    assert attempts == []
    assert capsys.readouterr().out == ""
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "validations").rglob("*.html"))
    assert "vol_total_sum" in pages and "contact_phone_required" in pages
    assert (site / "static").is_symlink()


# The grouped families' numpy and Arrow paths against the pandas computations GX's own expectations make, on cells
# chosen to be awkward: nulls, integers beyond float precision, bounds met exactly, infinities, CJK and emoji text.
_BIG = 2**53
_INTEGERS = st.one_of(st.none(), st.integers(-(2**63) + 1, 2**63 - 1), st.sampled_from([0, -1, 1, _BIG, _BIG + 1]))
_DECIMALS = st.one_of(st.none(), st.floats(allow_nan=False), st.sampled_from([0.0, -0.0, 0.5, float(_BIG), 1e10]))
_BOUNDS = st.one_of(st.none(), st.sampled_from([0, 0.0, -5, 1, 1e10, float(_BIG), _BIG + 1]), st.floats(-1e12, 1e12))
_TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "档案馆", "🗄️", "e\u0301", " ab "]), st.text(max_size=6))


def _column(values: list[Any], dtype: str) -> pd.Series:
    return pd.Series(pd.array(values, dtype=dtype))


def _same(fast: np.ndarray, general: np.ndarray) -> None:
    assert fast.dtype == np.bool_ and general.dtype == np.bool_
    assert fast.tolist() == general.tolist()


@given(
    values=st.one_of(
        st.lists(_INTEGERS, min_size=1, max_size=8).map(lambda v: _column(v, "Int64")),
        st.lists(_DECIMALS, min_size=1, max_size=8).map(lambda v: _column(v, "Float64")),
    ),
    low=_BOUNDS,
    high=_BOUNDS,
    strict_min=st.booleans(),
    strict_max=st.booleans(),
)
@example(values=_column([_BIG + 1, 0, None], "Int64"), low=float(_BIG), high=None, strict_min=True, strict_max=False)
@settings(max_examples=300, deadline=None, database=None)
def test_a_range_check_on_numbers_judges_as_pandas_does(values, low, high, strict_min, strict_max):
    frame = pd.DataFrame({"x": values})
    check = {"column": "x", "min_value": low, "max_value": high, "strict_min": strict_min, "strict_max": strict_max}
    general = grouped._pandas_cell_check(grouped._pandas_between)(frame, check, True)
    _same(grouped.FAMILIES["expect_column_values_to_be_between"](frame, check, True), general)


@given(
    a=st.lists(st.one_of(_INTEGERS, _DECIMALS), min_size=4, max_size=4),
    b=st.lists(st.one_of(_INTEGERS, _DECIMALS), min_size=4, max_size=4),
    a_type=st.sampled_from(["Int64", "Float64"]),
    b_type=st.sampled_from(["Int64", "Float64"]),
    kind=st.sampled_from(["equal", "greater", "at_least"]),
)
@example(a=[_BIG, _BIG + 1, None, 0], b=[_BIG + 1, _BIG, 0, None], a_type="Int64", b_type="Int64", kind="equal")
@example(a=[_BIG, _BIG + 1, 1, 0], b=[_BIG + 1, _BIG, 1, 0.5], a_type="Int64", b_type="Int64", kind="greater")
@settings(max_examples=300, deadline=None, database=None)
def test_a_pair_check_on_numbers_judges_as_pandas_does(a, b, a_type, b_type, kind):
    def typed(values, dtype):
        if dtype == "Int64":
            return [v if v is None or isinstance(v, int) else None for v in values]
        return [v if v is None or isinstance(v, float) else float(v) for v in values]

    frame = pd.DataFrame({"a": _column(typed(a, a_type), a_type), "b": _column(typed(b, b_type), b_type)})
    check = {"column_A": "a", "column_B": "b", **({"or_equal": True} if kind == "at_least" else {})}
    equal = kind == "equal"
    candidates = frame["a"].notna().to_numpy() & frame["b"].notna().to_numpy()
    general = candidates & ~grouped._pandas_pair_ok(frame["a"], frame["b"], check, equal)
    _same(grouped._pair_broken(equal)(frame, check, True), general)


@given(
    text=st.lists(_TEXT, min_size=1, max_size=8),
    dtype=st.sampled_from(["str", "string"]),
    low=st.one_of(st.none(), st.integers(0, 3)),
    high=st.one_of(st.none(), st.integers(0, 6)),
    value_set=st.lists(st.one_of(_TEXT, st.integers(0, 3)), max_size=5),
)
@settings(max_examples=300, deadline=None, database=None)
def test_length_and_value_set_checks_on_text_judge_as_pandas_does(text, dtype, low, high, value_set):
    frame = pd.DataFrame({"t": _column(text, dtype)})
    lengths = {"column": "t", "min_value": low, "max_value": high}
    general = grouped._pandas_cell_check(grouped._pandas_lengths_between)(frame, lengths, True)
    _same(grouped.FAMILIES["expect_column_value_lengths_to_be_between"](frame, lengths, True), general)
    in_set = {"column": "t", "value_set": value_set}
    _same(
        grouped.FAMILIES["expect_column_values_to_be_in_set"](frame, in_set, True),
        grouped._pandas_cell_check(grouped._pandas_in_set)(frame, in_set, True),
    )


def test_the_text_and_number_paths_are_the_ones_taken_for_a_parsed_return():
    # The equivalence above matters only if parsed returns take those paths: their text is Arrow text and their counts
    # nullable integers.
    frame = build_gx_frame(CENSUS_FORM, build_rows(CENSUS_FORM, [{}, {"remarks": None}]))
    assert grouped._arrow_text(frame["unit_name"]) is not None
    assert grouped._numbers(frame["vol_total"]) is not None and grouped._numbers(frame["e_gb"]) is not None
