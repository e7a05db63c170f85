"""The GX suite: built from the rules, run once over pandas, failures located at the uploaded Excel rows."""

from __future__ import annotations

import logging
import socket

import polars as pl
import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from checks.cells import RowsMissingColumns
from checks.context import build_check_context
from checks.suite import (
    ROW_POSITION,
    SuiteExecutionError,
    _gx_context,
    build_gx_frame,
    build_suite,
    collect_gx_failures,
    derived_columns,
    run_suite,
    sum_column,
    validate_gx_frame,
)
from tests.checks.builders import PROVINCE, build_rows


@pytest.fixture(scope="module")
def context():
    return build_check_context(PROVINCE)


def located(failures):
    return sorted((f.row, f.rule, f.field) for f in failures)


def test_failures_come_back_at_non_contiguous_excel_rows(context):
    rows = build_rows(
        CENSUS_FORM,
        [{}, {"vol_permanent": 601}, {}, {"storage_m2": 600.0, "contact_phone": "12345"}],
        excel_rows=[10, 11, 57, 1000],
    )
    assert located(run_suite(CENSUS_FORM, rows, context)) == [
        (11, "vol_total_sum", "vol_total"),
        (1000, "contact_phone_format", "contact_phone"),
        (1000, "storage_le_building", "storage_m2"),
    ]


def test_a_total_that_is_not_the_sum_of_its_parts_says_the_row_s_sum_and_by_how_much(context):
    parts = CENSUS_FORM.rules_by_id["vol_total_sum"].param("parts")
    over = {part: 100 for part in parts} | {"vol_total": 100 * len(parts) + 7}
    under = {part: 100 for part in parts} | {"vol_total": 100 * len(parts) - 20}
    failures = run_suite(CENSUS_FORM, build_rows(CENSUS_FORM, [over, under]), context)
    said = {f.row: f.message for f in failures if f.rule == "vol_total_sum"}
    rule = CENSUS_FORM.rules_by_id["vol_total_sum"].message
    total = 100 * len(parts)
    assert said == {
        3: f"{rule}本行分项之和为 {total}，合计为 {total + 7}（比分项之和多 7）。",
        4: f"{rule}本行分项之和为 {total}，合计为 {total - 20}（比分项之和少 20）。",
    }
    # In thousands, as every count on the pages and in the reports (本行分项之和为 1052714 was hard to read).
    large = {part: 250_000 for part in parts} | {"vol_total": 250_000 * len(parts) + 1_234}
    [failure] = [
        f for f in run_suite(CENSUS_FORM, build_rows(CENSUS_FORM, [large]), context) if f.rule == "vol_total_sum"
    ]
    total = 250_000 * len(parts)
    assert failure.message.endswith(f"本行分项之和为 {total:,}，合计为 {total + 1_234:,}（比分项之和多 1,234）。")


def test_a_categories_error_caused_by_a_wrong_total_says_which_total_to_mend_first(context):
    # A probe typed 以卷 43754 for 43745: 文书档案 was marked wrong too, and a clerk could have 'mended' it by 9.
    row = build_rows(CENSUS_FORM, [{}]).row(0, named=True)
    wrong_total = {"vol_total": row["vol_total"] + 9}
    wrong_category = {"cat_ws": row["cat_ws"] + 9}
    failures = run_suite(CENSUS_FORM, build_rows(CENSUS_FORM, [wrong_total, wrong_category]), context)
    said = {(f.row, f.rule): f.message for f in failures}
    assert said.keys() == {(3, "vol_total_sum"), (3, "categories_sum"), (4, "categories_sum")}
    mend_first = "其中「以卷为保管单位档案（卷）」本身与其分项之和不符（见该栏的错误），请先改正，本项可能随之相符。"
    assert said[(3, "categories_sum")].endswith(f"（比分项之和多 9）。{mend_first}")
    assert said[(4, "categories_sum")].endswith("（比分项之和少 9）。")
    # The total's own error sends nobody elsewhere (it named 文书档案 as the total to mend first).
    assert said[(3, "vol_total_sum")].endswith("（比分项之和多 9）。"), said[(3, "vol_total_sum")]


def test_failures_keep_each_rows_sheet(context):
    rows = pl.concat(
        [
            build_rows(CENSUS_FORM, [{"vol_permanent": 601}], excel_rows=[5], sheet="普查表"),
            build_rows(
                CENSUS_FORM, [{"uscc": "91440300000000005X", "vol_permanent": 601}], excel_rows=[5], sheet="续表"
            ),
        ]
    )
    assert sorted((f.sheet, f.row) for f in run_suite(CENSUS_FORM, rows, context)) == [("普查表", 5), ("续表", 5)]


def test_duplicate_codes_flag_every_copy(context):
    rows = build_rows(REGISTER_FORM, [{"uscc": "91440300708461136T"}, {}, {"uscc": "91440300708461136T"}])
    assert located(run_suite(REGISTER_FORM, rows, context)) == [(3, "uscc_unique", "uscc"), (5, "uscc_unique", "uscc")]


def test_nulls_in_pair_and_conditional_rules_fail_nothing_but_required(context):
    # Cells the parser could not read arrive as nulls: the sums, comparisons and conditions that need them skip.
    changes = [
        {"vol_permanent": None},
        {"vol_total": None},
        {"building_m2": None, "storage_m2": None},
        {"digitized_vol": None, "digitized_gb": 0.0},
        {"holder_type": None, "opened": 10},
        {"item_total": None, "pre1949": 9999},
    ]
    rows = build_rows(CENSUS_FORM, changes)
    assert located(run_suite(CENSUS_FORM, rows, context)) == [
        (3, "vol_permanent_required", "vol_permanent"),
        (4, "vol_total_required", "vol_total"),
        (5, "building_m2_required", "building_m2"),
        (5, "storage_m2_required", "storage_m2"),
        (6, "digitized_vol_required", "digitized_vol"),
        (7, "holder_type_required", "holder_type"),
        (8, "item_total_required", "item_total"),
    ]


def test_division_rules_judge_only_well_formed_codes(context):
    rows = build_rows(
        CENSUS_FORM, [{"division_code": "44010"}, {"division_code": "119999"}, {"division_code": "110101"}]
    )
    assert located(run_suite(CENSUS_FORM, rows, context)) == [
        (3, "division_code_format", "division_code"),
        (4, "division_code_current", "division_code"),
        (4, "division_code_in_province", "division_code"),
        (5, "division_code_in_province", "division_code"),
    ]


def test_the_corps_reports_its_cities_and_xinjiang_does_not():
    rows = build_rows(
        CENSUS_FORM,
        [{}, {"division_code": "659001", "admin_level": "地级"}, {"division_code": "650102"}],
    )
    xpcc, xinjiang = build_check_context("660000"), build_check_context("650000")
    # 石河子市 (659001) is the Corps' 第八师: reportable by the Corps only, under its one GB/T 2260 code.
    assert located(run_suite(CENSUS_FORM, rows, xpcc)) == [
        (3, "division_code_in_province", "division_code"),
        (5, "division_code_in_province", "division_code"),
    ]
    refused_in_xinjiang = run_suite(CENSUS_FORM, rows, xinjiang)
    assert located(refused_in_xinjiang) == [
        (3, "division_code_in_province", "division_code"),
        (4, "division_code_in_province", "division_code"),
    ]
    # Its first two digits are Xinjiang's: the message says whose code it is, not only "the first two digits".
    assert "新疆生产建设兵团填其师市合一城市的代码 6590××" in refused_in_xinjiang[1].message
    assert "兵团师市合一城市的代码（6590××）由新疆生产建设兵团填报" in CENSUS_FORM.field("division_code").description


def test_derived_columns_are_sums_of_several_fields_named_once():
    columns = derived_columns(CENSUS_FORM)
    holdings = sum_column(("vol_total", "item_total"))
    assert holdings == "__sum__vol_total__item_total"
    assert sum_column(("pre1949",)) == "pre1949"
    assert set(columns) == {
        sum_column(("vol_permanent", "vol_30y", "vol_10y", "vol_long", "vol_short", "vol_unassigned")),
        sum_column(("item_permanent", "item_30y", "item_10y", "item_long", "item_short", "item_unassigned")),
        sum_column(("cat_ws", "cat_kj", "cat_ku", "cat_rs", "cat_zy", "cat_other")),
        holdings,
        sum_column(("digitized_vol", "digitized_item")),
    }
    frame = build_rows(CENSUS_FORM, [{}, {"item_total": None}]).select(**columns)
    assert frame.get_column(holdings).to_list() == [3000, None]


def test_gx_frame_keeps_types_excel_row_and_position():
    frame = build_gx_frame(CENSUS_FORM, build_rows(CENSUS_FORM, [{}, {"vol_total": None}], excel_rows=[8, 9]))
    assert frame["excel_row"].tolist() == [8, 9]
    assert frame[ROW_POSITION].tolist() == [0, 1]
    assert str(frame["vol_total"].dtype) == "Int64"
    assert frame["vol_total"].isna().tolist() == [False, True]


def test_missing_columns_are_named(context):
    rows = build_rows(CENSUS_FORM, [{}]).drop("excel_row", "remarks")
    with pytest.raises(RowsMissingColumns, match="remarks, excel_row"):
        run_suite(CENSUS_FORM, rows, context)


def test_suite_rejects_a_province_code_of_the_wrong_shape():
    with pytest.raises(ValueError, match="province"):
        build_check_context("44")


def test_data_docs_are_built_locally_without_network_and_silently(tmp_path, context, monkeypatch, capsys):
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    rows = build_rows(CENSUS_FORM, [{}, {"vol_permanent": 601}])
    failures = run_suite(CENSUS_FORM, rows, context, data_docs_dir=tmp_path / "docs")
    assert located(failures) == [(4, "vol_total_sum", "vol_total")]
    assert attempts == []
    assert capsys.readouterr().out == ""
    assert (tmp_path / "docs" / "index.html").is_file()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert len(pages) == 1
    assert "vol_total_sum" in pages[0].read_text(encoding="utf-8")


def test_suite_is_the_declared_contract(context):
    suite = build_suite(CENSUS_FORM, context)
    by_rule = {e.meta["rule_id"]: e for e in suite.expectations}
    assert by_rule["fonds_count_archives"].row_condition.pass_through_filter.startswith("holder_type in [")
    assert by_rule["division_code_in_province"].regex == r"^44\d{4}$"
    assert by_rule["opened_le_holdings"].column_A == "__sum__vol_total__item_total"
    assert by_rule["vol_total_sum"].notes == CENSUS_FORM.rules_by_id["vol_total_sum"].message


def test_an_expectation_gx_cannot_evaluate_is_raised_not_swallowed(context):
    # A frame without a column the suite reads: GX records an exception, which must not read as "no failures".
    rows = build_rows(CENSUS_FORM, [{}])
    frame = build_gx_frame(CENSUS_FORM, rows).drop(columns=["unit_name"])
    result = validate_gx_frame(build_suite(CENSUS_FORM, context), frame)
    with pytest.raises(SuiteExecutionError, match="unit_name_required"):
        collect_gx_failures(CENSUS_FORM, rows, result)


def test_a_gx_context_logs_nothing_below_a_warning(caplog):
    """GX logs the temporary folder of each ephemeral context's docs site at INFO; the demo's terminal must not show it."""
    with caplog.at_level(logging.INFO):
        _gx_context(None)
    gx_lines = [r.getMessage() for r in caplog.records if r.name.startswith("great_expectations")]
    assert [line for line in gx_lines if "docs site" in line] == []
