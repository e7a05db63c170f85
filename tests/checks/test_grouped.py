"""The grouped GX suite: the same rules as the per-rule suite, checked in a few expectations, the same cells found."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from great_expectations.expectations.expectation import MulticolumnMapExpectation

from census_schema.census_form import CENSUS_FORM
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
