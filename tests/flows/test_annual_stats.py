"""The year-on-year check end to end on real workbooks and a real warehouse: a register (GYDA-2025.1) gives holders'
annual statistics (统计年报), a census return whose 卷 + 件 differ from them by more than 30 % is accepted with a
warning on that row; a register giving them only in part, or for a year out of range, is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM, REGISTER_FORM_2024
from census_schema.errors import WorkbookUnusable
from census_schema.fields import Severity
from census_schema.scopes import central_scope, division_scope
from cli.main import main
from flows.ingest import IngestRequest, ingest_workbook
from synthetic.holders import make_uscc
from tests.flows.workbooks import PROVINCE, holder_rows, write_rows

RULE = "holdings_vs_annual_stats"
# The base holder has 1000 卷 + 2000 件; 12,000 in the annual statistics would be 75 % fewer.
FIGURES = {"annual_stats_year": 2023, "annual_stats_vol": 10_000, "annual_stats_item": 2_000}
WARNING = (
    "与 2023 年统计年报相比，档案数量（卷+件）减少 75.0%（年报 12,000，本表 3,000），请核实；"
    "确有接收、移交或销毁的，请在备注中说明。"
)


def ingest(store, settings, path, kind, central=False):
    return ingest_workbook(store, IngestRequest(path, kind, None if central else PROVINCE, "张三"), settings)


def register(tmp_path, edits: dict[int, dict[str, Any]], count: int = 3, **options: Any):
    rows = holder_rows(REGISTER_FORM, count, edits)
    return write_rows(tmp_path / "register.xlsx", REGISTER_FORM, rows, **options)


def test_a_return_far_from_its_register_s_annual_statistics_is_accepted_with_a_warning(
    store, settings, tmp_path, capsys
):
    # Holder 0: 12,000 in 2023 (warned); holder 1: 3,000 in 2024, as many as it reports; holder 2: none given.
    edits = {0: FIGURES, 1: {"annual_stats_year": 2024, "annual_stats_vol": 1_000, "annual_stats_item": 2_000}}
    loaded = ingest(store, settings, register(tmp_path, edits), "register")
    assert (loaded.status, loaded.failures) == ("accepted", [])
    path = write_rows(tmp_path / "census.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 3))
    db = ["--db", str(settings.db_path)]
    assert main(["ingest", "census", str(path), "--province", PROVINCE, *db, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["status"], payload["errors"], payload["warnings"]) == ("accepted", 0, 1)
    assert payload["failures"] == [
        {
            "sheet": "普查表",
            "row": 3,
            "field": "vol_total",
            "label": "以卷为保管单位档案（卷）",
            "value": "1,000 卷 + 2,000 件 = 3,000",  # the figure compared, not the located 卷 cell alone
            "rule": RULE,
            "severity": "warning",
            "message": WARNING,
        }
    ]
    with store.reader() as con:
        stored = con.execute(
            "SELECT excel_row, rule, severity, message FROM submission_failures WHERE submission_id = ?",
            [payload["submission_id"]],
        ).fetchall()
    assert stored == [(3, RULE, "warning", WARNING)]


def test_a_prefecture_s_return_is_compared_with_its_province_s_register(store, settings, tmp_path):
    # The register is the province's; the return a prefecture's (the holders lie in 广州市天河区).
    assert ingest(store, settings, register(tmp_path, {1: FIGURES}), "register").status == "accepted"
    rows = holder_rows(CENSUS_FORM, 3)
    path = write_rows(tmp_path / "census.xlsx", CENSUS_FORM, rows, scope=division_scope(PROVINCE, "440100"))
    outcome = ingest(store, settings, path, "census")
    assert outcome.status == "accepted"
    assert [(f.row, f.rule, f.message) for f in outcome.failures if f.severity is Severity.WARNING] == [
        (4, RULE, WARNING)
    ]


def central_organs(count: int) -> list[dict[str, Any]]:
    """Census rows of central organs in Beijing."""
    return [
        {
            **row,
            "uscc": make_uscc(i + 1, prefix="11100000"),
            "unit_name": f"中央机关{i}",
            "unit_nature": "机关",
            "holder_type": "机关档案室",
            "division_code": "110000",
            "admin_level": "中央",
        }
        for i, row in enumerate(holder_rows(CENSUS_FORM, count))
    ]


def test_a_central_channel_s_return_is_compared_with_its_register(store, settings, tmp_path):
    organs = central_scope("organs")
    units = central_organs(2)
    registered = [{**unit, **(FIGURES if i == 0 else {})} for i, unit in enumerate(units)]
    book = write_rows(tmp_path / "register.xlsx", REGISTER_FORM, registered, scope=organs)
    assert ingest(store, settings, book, "register", central=True).status == "accepted"
    outcome = ingest(store, settings, write_rows(tmp_path / "c.xlsx", CENSUS_FORM, units, scope=organs), "census", True)
    assert outcome.status == "accepted", outcome.failures
    assert [(f.row, f.rule, f.message) for f in outcome.failures] == [(3, RULE, WARNING)]


def test_a_register_without_annual_statistics_compares_nothing(store, settings, tmp_path):
    assert ingest(store, settings, register(tmp_path, {}), "register").status == "accepted"
    # Holders without figures are not compared (an empty figure is no annual 0, which would warn on any holdings).
    path = write_rows(tmp_path / "census.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 3))
    outcome = ingest(store, settings, path, "census")
    assert (outcome.status, outcome.failures) == ("accepted", [])


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"annual_stats_year": 2023, "annual_stats_vol": 10}, [(3, "annual_stats_item_together")]),
        ({"annual_stats_vol": 10, "annual_stats_item": 20}, [(3, "annual_stats_year_together")]),
        ({**FIGURES, "annual_stats_year": 2025}, [(3, "annual_stats_year_range")]),
        ({**FIGURES, "annual_stats_year": 2014}, [(3, "annual_stats_year_range")]),
    ],
    ids=["no-item", "no-year", "after-the-round", "too-early"],
)
def test_a_register_giving_part_of_the_figures_or_a_year_out_of_range_is_refused(
    store, settings, tmp_path, edit, expected
):
    outcome = ingest(store, settings, register(tmp_path, {0: edit}), "register")
    assert outcome.status == "rejected"
    assert [(f.row, f.rule) for f in outcome.failures] == expected
    assert all(f.severity is Severity.ERROR for f in outcome.failures)
    assert outcome.report is not None and outcome.report.exists()


def test_a_register_template_of_gyda_2024_is_refused_as_retired_while_its_loaded_registers_keep_counting(
    store, settings, tmp_path
):
    # As for the census form: a retired version stays declared for what was loaded with it, but its templates are
    # refused (tests/warehouse/test_schema_evolution.py shows registers loaded at GYDA-2024.1 keep counting).
    old = write_rows(tmp_path / "old.xlsx", REGISTER_FORM_2024, holder_rows(REGISTER_FORM_2024, 2))
    with pytest.raises(WorkbookUnusable, match=f"模板版本 GYDA-2024.1 已停用，本轮使用 {REGISTER_FORM.version}"):
        ingest(store, settings, old, "register")
