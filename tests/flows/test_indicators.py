"""Plan-indicator values through the real pipeline, progress and status against the plan, computed indicators from
the census, and the mid-term evaluation workbook read back."""

from __future__ import annotations

from decimal import Decimal as D

import openpyxl

from cli.main import main
from flows.ingest import IngestRequest, ingest_workbook
from tests.flows.supervision_workbooks import indicators_workbook
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook
from tests.formula_text import INJECTION, assert_kept_as_text
from warehouse.indicators import query_indicator_progress, query_reported_values, summarize_indicators


def ingest(store, settings, path, kind="indicators", province=None):
    return ingest_workbook(store, IngestRequest(path, kind, province, "规划处"), settings)


def value(code, year, amount, province=None, **extra):
    return {"indicator_code": code, "year": year, "province_code": province, "value": amount, **extra}


def test_values_load_supersede_and_give_statuses_against_expected_progress(store, settings, tmp_path):
    # ZB01: +150 from 0 (2020) to 2025, so 30 a year expected. 2021: 30 of 30 达标; 2022: 50 of 60 (≥ 48) 滞后;
    # 2023: 70 of 90 (< 72) 严重滞后.
    first = [value("ZB01", 2021, 30), value("ZB01", 2022, 50), value("ZB01", 2023, 60), value("JC08", 2023, 1300)]
    first.append(value("ZB01", 2023, 5, "440000", note="广东新增"))
    assert ingest(store, settings, indicators_workbook(tmp_path / "a.xlsx", first)).status == "accepted"
    correction = [value("ZB01", 2023, 70, note="更正")]
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "b.xlsx", correction))
    assert outcome.status == "accepted"
    with store.reader() as con:
        reported = query_reported_values(con, "ZB01")
        progress = [p for p in query_indicator_progress(con) if p["indicator_code"] == "ZB01"]
        history = con.execute(
            "SELECT value, is_current FROM stg_indicator_values WHERE indicator_code = 'ZB01' AND year = 2023 "
            "AND province_code IS NULL ORDER BY value"
        ).fetchall()
        summary = summarize_indicators(con)
    assert [(r["year"], r["province_code"], r["value"]) for r in reported] == [
        (2021, None, D("30.00")),
        (2022, None, D("50.00")),
        (2023, None, D("70.00")),
        (2023, "440000", D("5.00")),
    ]
    assert reported[2]["submission_id"] == outcome.submission_id and reported[2]["excel_row"] == 3
    assert history == [(D("60.00"), False), (D("70.00"), True)]
    national = [(p["year"], p["value"], p["expected"], p["status"]) for p in progress if p["province_code"] is None]
    assert national == [
        (2021, D(30), D(30), "达标"),
        (2022, D(50), D(60), "滞后"),
        (2023, D(70), D(90), "严重滞后"),
        (2024, None, D(120), None),
        (2025, None, D(150), None),
    ]
    assert [(p["province_code"], p["value"], p["status"]) for p in progress if p["province_code"]] == [
        ("440000", D(5), None)
    ]
    assert summary["by_year"]["2022"] == {"达标": 0, "滞后": 1, "严重滞后": 0}
    assert {r["indicator_code"]: r["status"] for r in summary["latest"]} == {"ZB01": "严重滞后"}


def test_every_indicator_rule_is_located(store, settings, tmp_path):
    rows = [
        value("JC01", 2023, 50),
        value("ZB02", 2022, 3),
        value("ZB02", 2022, 4),
        value("ZB03", 2019, 1),
        value("ZB03", 2022, 1, "990000"),
        value("ZB04", 2022, -1),
    ]
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "bad.xlsx", rows))
    assert {(f.row, f.field, f.rule) for f in outcome.failures} == {
        (3, "indicator_code", "indicator_reported"),
        (4, "indicator_code", "indicator_value_unique"),
        (5, "indicator_code", "indicator_value_unique"),
        (6, "year", "year_range"),
        (7, "province_code", "province_code_in_list"),
        (8, "value", "value_range"),
    }
    with store.reader() as con:
        assert query_reported_values(con) == []


def test_computed_indicators_come_from_the_census_and_the_report_reads_back(store, settings, tmp_path, capsys):
    assert ingest(store, settings, register_workbook(tmp_path / "r.xlsx", 4), "register", PROVINCE).status == "accepted"
    assert ingest(store, settings, census_workbook(tmp_path / "c.xlsx", 3), "census", PROVINCE).status == "accepted"
    baseline = [value("ZB04", 2020, 80), value("ZB04", 2023, 92, note=INJECTION)]
    assert ingest(store, settings, indicators_workbook(tmp_path / "v.xlsx", baseline)).status == "accepted"
    with store.reader() as con:
        progress = query_indicator_progress(con)
    completion = {p["province_code"]: p["value"] for p in progress if p["indicator_code"] == "JC04"}
    assert completion["440000"] == D("75.00") and completion[None] == D("75.00")  # 3 of 4 registered holders
    assert "110000" not in completion  # no register: no data (not 0 %)
    # ZB04's baseline is open in the plan: the reported 2020 value fills it. 2023: 80 + 20 × 3/5 = 92 expected.
    zb04 = next(p for p in progress if p["indicator_code"] == "ZB04" and p["year"] == 2023)
    assert (zb04["baseline"], zb04["expected"], zb04["status"]) == (D(80), D(92), "达标")

    out = tmp_path / "中期评估.xlsx"
    assert main(["indicators", "report", "--out", str(out), "--db", str(settings.db_path)]) == 0
    assert "中期评估" in capsys.readouterr().out
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["指标总览", "年度进展", "分省计算指标", "填报数据", "计算口径"]
    overview = {row[0]: row for row in book["指标总览"].iter_rows(min_row=4, values_only=True)}
    assert overview["ZB04"][11:14] == (92, 92, "达标")
    assert overview["JC04"][4] == "计算" and overview["JC04"][11] == 75
    computed = [row for row in book["分省计算指标"].iter_rows(min_row=2, values_only=True) if row[0] == "JC04"]
    assert ("JC04", "国有档案资源普查完成率", 2024, "440000", "广东省", 75) in computed
    assert book["指标总览"].cell(4 + 3, 14).fill.start_color.rgb.endswith("C6EFCE")  # ZB04's status cell, green
    reported = book["填报数据"]
    note = next(row[5] for row in reported.iter_rows(min_row=2) if (row[0].value, row[2].value) == ("ZB04", 2023))
    assert_kept_as_text(note)


def test_a_value_beyond_the_warehouse_s_decimal_is_refused_where_it_was_typed(store, settings, tmp_path, capsys):
    # 1e16 does not fit DECIMAL(18, 2): it used to load, then every report on indicators failed (exit 3).
    rows = [value("ZB01", 2021, 30), value("ZB01", 2022, 1e16), value("ZB01", 2023, "inf")]
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "a.xlsx", rows))
    assert outcome.status == "rejected"
    found = {(f.sheet, f.row, f.field, f.rule) for f in outcome.failures if f.severity == "error"}
    sheet = outcome.failures[0].sheet
    assert found == {(sheet, 4, "value", "value_range"), (sheet, 5, "value", "value_number")}
    assert "应在 0～1,000,000,000,000 之间" in next(f.message for f in outcome.failures if f.row == 4)
    assert main(["indicators", "report", "--out", str(tmp_path / "r.xlsx"), "--db", str(settings.db_path)]) == 0
    assert main(["supervision", "summary", "--json", "--db", str(settings.db_path)]) == 0
