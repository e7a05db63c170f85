"""Plan-indicator values through the real pipeline, progress and status against the plan, computed indicators from
the census, provinces judged against their own targets (分省目标), and the mid-term evaluation workbook read back."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal as D

import openpyxl

from census_schema.supervision.forms import INDICATORS_WORKBOOK, INDICATORS_WORKBOOK_2025
from cli.ingest_cmd import describe_outcome
from cli.main import main
from flows.ingest import IngestRequest, ingest_workbook
from flows.supervision_reports import figure_format, yearly_status
from tests.flows.supervision_workbooks import indicators_workbook, target, write_book
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook
from tests.formula_text import INJECTION, assert_kept_as_text
from warehouse.indicators import (
    query_indicator_progress,
    query_provincial_progress,
    query_provincial_targets,
    query_reported_values,
    summarize_indicators,
)


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
    correction = [value("ZB01", 2023, 70, note="更正"), value("ZB01", 2022, 50)]  # 2022 sent again unchanged
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "b.xlsx", correction))
    assert outcome.status == "accepted"
    # What the upload replaced is said, old → new (a probe's 118 became 11 unsaid); a value sent again unchanged not.
    assert outcome.replaced_values == ["ZB01 新增高水平数字档案馆 2023年 全国：60 → 70"]
    assert (
        "替换了 1 项现行数据（原值 → 新值）：ZB01 新增高水平数字档案馆 2023年 全国：60 → 70；原值保留在历史中"
        in describe_outcome(outcome.to_json())
    )
    with store.reader() as con:
        reported = query_reported_values(con, "ZB01")
        everything = query_indicator_progress(con)
        progress = [p for p in everything if p["indicator_code"] == "ZB01"]
        history = con.execute(
            "SELECT value, is_current FROM stg_indicator_values WHERE indicator_code = 'ZB01' AND year = 2023 "
            "AND province_code IS NULL ORDER BY value"
        ).fetchall()
        summary = summarize_indicators(con, date(2024, 1, 1))
        # On 30 June 2023 the year 2023 is not over: its 70 against 90 due by December is not judged yet.
        in_june = summarize_indicators(con, date(2023, 6, 30))
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
    # A monitored indicator has the plan's baseline beside its value, and no target nor status.
    jc08 = next(p for p in everything if p["indicator_code"] == "JC08")
    assert (jc08["province_code"], jc08["year"], jc08["value"], jc08["baseline"]) == (None, 2023, D(1300), D(1200))
    assert (jc08["target"], jc08["expected"], jc08["status"]) == (None, None, None)
    assert summary["by_year"]["2022"] == {"达标": 0, "滞后": 1, "严重滞后": 0}
    assert {r["indicator_code"]: r["status"] for r in summary["latest"]} == {"ZB01": "严重滞后"}
    assert sorted(in_june["by_year"]) == ["2021", "2022"]
    assert [(r["indicator_code"], r["year"], r["status"]) for r in in_june["latest"]] == [("ZB01", 2022, "滞后")]


def test_an_earlier_workbook_sent_again_restores_what_a_later_one_replaced(store, settings, tmp_path):
    # It was a duplicate (与已接收的文件完全相同，未作改动) though the values it brought were no longer current.
    first = indicators_workbook(tmp_path / "a.xlsx", [value("ZB01", 2022, 50), value("ZB01", 2023, 60)])
    correction = indicators_workbook(tmp_path / "b.xlsx", [value("ZB01", 2023, 70)])  # each file written once
    assert ingest(store, settings, first).status == "accepted"
    assert ingest(store, settings, correction).status == "accepted"
    again = ingest(store, settings, first)
    assert (again.status, again.replaced_values) == ("accepted", ["ZB01 新增高水平数字档案馆 2023年 全国：70 → 60"])
    assert ingest(store, settings, first).status == "duplicate"  # now it is
    correction_again = ingest(store, settings, correction)
    assert (correction_again.status, correction_again.replaced_values) == (
        "accepted",
        ["ZB01 新增高水平数字档案馆 2023年 全国：60 → 70"],
    )


def test_every_indicator_rule_is_located(store, settings, tmp_path):
    rows = [
        value("JC01", 2023, 50),
        value("ZB02", 2022, 3),
        value("ZB02", 2022, 4),
        value("ZB03", 2019, 1),
        value("ZB03", 2022, 1, "990000"),
        value("ZB04", 2022, -1),
        value("ZB04", 2024, 150),  # a share in per cent over 100
        value("ZB05", 2024, 50, "440000"),  # a national project given a provincial value
        value("ZB04", 2023, D("0.88"), "450000"),  # 88 % typed as a fraction: a warning
        value("ZB01", 2024, D("0.5")),  # a count below 1 is no fraction of anything, and half an archive none
        value("ZB04", 2023, 100),  # exactly 100 passes
    ]
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "bad.xlsx", rows))
    assert {(f.row, f.field, f.rule, f.severity.label) for f in outcome.failures} == {
        (3, "indicator_code", "indicator_reported", "错误"),
        (4, "indicator_code", "indicator_value_unique", "错误"),
        (5, "indicator_code", "indicator_value_unique", "错误"),
        (6, "year", "year_range", "错误"),
        (7, "province_code", "province_code_in_list", "错误"),
        (8, "value", "value_range", "错误"),
        (9, "value", "value_percent_at_most_100", "错误"),
        (10, "province_code", "indicator_national_only", "错误"),
        (11, "value", "value_percent_fraction", "警告"),
        (12, "value", "value_whole_count", "错误"),
    }
    half = next(f for f in outcome.failures if f.rule == "value_whole_count")
    assert half.message == "该指标以个数计（ZB01、ZB02、ZB03、ZB07、JC08、JC09），「数值」须为整数，请核实后重填。"
    over = next(f for f in outcome.failures if f.rule == "value_percent_at_most_100")
    assert over.message == "该指标以 % 计（ZB04、ZB05、ZB06），「数值」不能超过 100，请核实后重填。"
    with store.reader() as con:
        assert query_reported_values(con) == []


def test_computed_indicators_come_from_the_census_and_the_report_reads_back(
    store, settings, tmp_path, capsys, monkeypatch
):
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
    assert book.sheetnames == ["指标总览", "年度进展", "分省进展", "分省计算指标", "填报数据", "分省目标", "计算口径"]
    overview = {row[0]: row for row in book["指标总览"].iter_rows(min_row=4, values_only=True)}
    assert overview["ZB04"][11:16] == (92, 92, "达标", 2023, "达标")  # its latest year is over: judged itself
    assert overview["JC04"][4] == "计算" and overview["JC04"][11] == 75
    computed = [row for row in book["分省计算指标"].iter_rows(min_row=2, values_only=True) if row[0] == "JC04"]
    assert ("JC04", "国有档案资源普查完成率", 2024, "440000", "广东省", 75) in computed
    assert book["指标总览"].cell(4 + 3, 14).fill.start_color.rgb.endswith("C6EFCE")  # ZB04's status cell, green
    reported = book["填报数据"]
    note = next(row[6] for row in reported.iter_rows(min_row=2) if (row[0].value, row[2].value) == ("ZB04", 2023))
    assert_kept_as_text(note)
    # JC01 and JC10 share a formula: the sheet says which holders each counts, and which returns (it said only
    # 已接收、未被替代, while the figures count returns under review too).
    formulas = {row[0]: row for row in book["计算口径"].iter_rows(min_row=2, values_only=True)}
    assert (formulas["JC01"][3], formulas["JC10"][3], formulas["JC04"][3]) == ("综合档案馆", "档案室", "全部普查对象")
    assert formulas["JC01"][4] == "现行普查表汇总（已接收、未被替代、未被退回，含尚在审核中的）"

    # Without --as-of it is judged on the platform's day, as the web's report is (it counted every year, its 2023
    # judged in June where ARCHIVE_CENSUS_AS_OF said 2023-06-30).
    monkeypatch.setenv("ARCHIVE_CENSUS_AS_OF", "2023-06-30")
    assert main(["indicators", "report", "--out", str(out), "--replace", "--db", str(settings.db_path)]) == 0
    book = openpyxl.load_workbook(out)
    assert "截至 2023年6月30日" in book["指标总览"]["A2"].value
    overview = {row[0]: row for row in book["指标总览"].iter_rows(min_row=4, values_only=True)}
    assert overview["ZB04"][13] == "年度未结束"


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
    # Not as of a day to come: it judged the years before it as over (2026 滞后 on a report 截至 2027年3月1日).
    future = (settings.today() + timedelta(days=1)).isoformat()
    argv = ["indicators", "report", "--out", str(tmp_path / "f.xlsx"), "--as-of", future, "--db", str(settings.db_path)]
    capsys.readouterr()
    assert main(argv) == 2 and not (tmp_path / "f.xlsx").exists()
    assert "评估报告不能截至未来的日期" in capsys.readouterr().err


# --- provincial targets (分省目标, GHZB-2025.2) ------------------------------------------------------------------------

# Each province's own target for ZB04: 40 % (2020) to 90 % (2025), so 70 expected in 2023 and 80 % of the expected gain
# (30) is 24: at least 64 is 滞后. A value exactly on a boundary takes the better status.
BOUNDARIES = [
    ("110000", "70", "达标"),
    ("120000", "75.5", "达标"),
    ("130000", "69.99", "滞后"),
    ("140000", "64", "滞后"),
    ("150000", "63.99", "严重滞后"),
    ("210000", "40", "严重滞后"),
]


def test_provincial_targets_give_each_province_its_status_by_the_plan_s_formula(store, settings, tmp_path):
    values = [value("ZB04", 2023, amount, province) for province, amount, _ in BOUNDARIES]
    values += [value("ZB04", 2020, 80), value("ZB04", 2023, 92), value("ZB04", 2023, 50, "220000")]
    values += [value("ZB04", 2022, 30, "210000")]  # judged 严重滞后 in 2022 (expected 60)
    targets = [target("ZB04", province, 40, 90) for province, _, _ in BOUNDARIES]
    path = indicators_workbook(tmp_path / "t.xlsx", values, targets)
    assert ingest(store, settings, path).status == "accepted"
    with store.reader() as con:
        progress = [p for p in query_indicator_progress(con) if p["indicator_code"] == "ZB04"]
        latest = query_provincial_progress(con, "ZB04")
        summary = summarize_indicators(con, date(2024, 1, 1))
    judged = {
        p["province_code"]: (p["baseline"], p["target"], p["expected"], p["status"])
        for p in progress
        if p["year"] == 2023
    }
    for province, _, status in BOUNDARIES:
        assert judged[province] == (D(40), D(90), D(70), status), province
    # National rows unchanged: the plan's target, ZB04's open baseline from the reported 2020 value.
    assert judged[None] == (D(80), D(100), D(92), "达标")
    # A province without a target of its own has its value and nothing to judge it by.
    assert judged["220000"] == (None, None, None, None)
    # Each targeted province has a row for every year after its base year, as the nation has.
    assert sorted(p["year"] for p in progress if p["province_code"] == "110000") == [2021, 2022, 2023, 2024, 2025]
    assert [(r["province_code"], r["year"], r["status"]) for r in latest] == [
        (province, 2023, status) for province, _, status in BOUNDARIES
    ]
    # Judged on a day of 2023, that year still runs: a province's latest finished year judged stands (2022 for
    # 210000), else its latest value, which the pages say is 年度未结束 (its 滞后 by June stood as the latest status).
    with store.reader() as con:
        running = query_provincial_progress(con, "ZB04", None, "2024", date(2023, 6, 30))
    assert [(r["province_code"], r["year"]) for r in running] == [
        (province, 2022 if province == "210000" else 2023) for province, _, _ in BOUNDARIES
    ]
    assert [yearly_status(r, date(2023, 6, 30)) for r in running][-2:] == ["年度未结束", "严重滞后"]
    # The summary stays the plan's national evaluation: the provinces' statuses are not counted in it.
    assert summary["by_year"]["2023"] == {"达标": 1, "滞后": 0, "严重滞后": 0}


def test_targets_load_with_their_lineage_and_a_later_upload_supersedes_keeping_history(store, settings, tmp_path):
    first = [target("JC01", "440000", 30, 60, note="广东省“十四五”档案事业发展规划"), target("ZB01", "440000", 0, 12)]
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "a.xlsx", [], first))
    assert outcome.status == "accepted"  # a workbook of targets only: 指标数值 may stay empty
    corrected = [target("JC01", "440000", 32, 65, base_year=2021, note="中期调整")]
    second = ingest(store, settings, indicators_workbook(tmp_path / "b.xlsx", [], corrected))
    assert second.status == "accepted"
    assert outcome.replaced_values == []  # nothing current before it
    assert second.replaced_values == [
        "分省目标 JC01 综合档案馆馆藏档案数字化率 广东省：2020年 30，2025年 60 → 2021年 32，2025年 65"
    ]
    with store.reader() as con:
        current = query_provincial_targets(con)
        guangdong_jc01 = query_provincial_targets(con, "JC01", "440000")
        history = con.execute(
            "SELECT base_year, baseline, target, is_current, submission_id, sheet_name, excel_row "
            "FROM stg_indicator_targets WHERE indicator_code = 'JC01' ORDER BY loaded_at"
        ).fetchall()
        assert query_provincial_targets(con, province_code="450000") == []
    assert [(t["indicator_code"], t["base_year"], t["baseline"], t["target"], t["note"]) for t in current] == [
        ("JC01", 2021, D(32), D(65), "中期调整"),
        ("ZB01", 2020, D(0), D(12), None),
    ]
    assert guangdong_jc01 == [current[0]]
    assert (current[0]["submission_id"], current[0]["sheet_name"], current[0]["excel_row"]) == (
        second.submission_id,
        "分省目标",
        3,
    )
    assert history == [
        (2020, D(30), D(60), False, outcome.submission_id, "分省目标", 3),
        (2021, D(32), D(65), True, second.submission_id, "分省目标", 3),
    ]


def test_every_target_rule_is_located(store, settings, tmp_path):
    rows = [
        target("ZB01", "440000", 0, 10),
        target("ZB01", "440000", 0, 12),  # the same indicator and province twice
        target("ZB05", "440000", 0, 100),  # a national project: no provincial target
        target("ZB02", None, 0, 3),
        target("ZB02", "450000", 0, 3, base_year=2023, target_year=2023),
        target("ZB02", "460000", 0, 3, base_year=2024, target_year=2022),
        target("ZB03", "460000", 0, 3, base_year=2019),
        target("ZB03", "470000", -1, 3),
        target("JC01", "440000", 30, 120),  # a share in per cent over 100
        target("ZB04", "450000", D("0.6"), 100),  # 60 % typed as a fraction: a warning
        target("ZB01", "110000", D("0.5"), D("12.5")),  # a count: whole numbers, as its values
    ]
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "bad.xlsx", [], rows))
    assert outcome.status == "rejected"
    assert {(f.sheet, f.row, f.field, f.rule) for f in outcome.failures} == {
        ("分省目标", 3, "indicator_code", "indicator_target_unique"),
        ("分省目标", 4, "indicator_code", "indicator_target_unique"),
        ("分省目标", 5, "indicator_code", "indicator_code_in_list"),
        ("分省目标", 6, "province_code", "province_code_required"),
        ("分省目标", 7, "target_year", "target_year_after_base_year"),
        ("分省目标", 8, "target_year", "target_year_after_base_year"),
        ("分省目标", 9, "base_year", "base_year_range"),
        ("分省目标", 10, "province_code", "province_code_in_list"),
        ("分省目标", 10, "baseline", "baseline_range"),
        ("分省目标", 11, "target", "target_percent_at_most_100"),
        ("分省目标", 12, "baseline", "baseline_percent_fraction"),
        ("分省目标", 13, "baseline", "baseline_whole_count"),
        ("分省目标", 13, "target", "target_whole_count"),
    }
    # Each repeated row names the other (the inspections workbook's did; the indicators' did not).
    repeated = {f.row: f.message for f in outcome.failures if f.rule == "indicator_target_unique"}
    assert repeated == {
        3: "同一指标、省份的分省目标在本表中出现多次：每个指标、省份只填一行（与第 4 行重复）。",
        4: "同一指标、省份的分省目标在本表中出现多次：每个指标、省份只填一行（与第 3 行重复）。",
    }
    message = next(f.message for f in outcome.failures if f.rule == "target_year_after_base_year")
    assert "「目标年份」须晚于「基期年份」" in message
    with store.reader() as con:
        assert query_provincial_targets(con) == []


def test_a_ghzb_2025_1_template_is_refused_as_retired(tmp_path, capsys):
    path = write_book(tmp_path / "old.xlsx", INDICATORS_WORKBOOK_2025, {"指标数值": [value("ZB01", 2021, 30)]})
    db = tmp_path / "var" / "w.duckdb"
    assert main(["ingest", "indicators", str(path), "--db", str(db), "--orchestrator", "direct"]) == 2
    said = capsys.readouterr()
    assert f"模板版本 GHZB-2025.1 已停用，本轮使用 {INDICATORS_WORKBOOK.version}" in said.err
    assert "请下载最新模板" in said.err


def test_the_report_carries_the_provinces_statuses_and_their_targets(store, settings, tmp_path):
    values = [value("ZB04", 2022, 58, "440000"), value("ZB04", 2023, 64, "440000"), value("ZB04", 2023, 40, "450000")]
    targets = [target("ZB04", "440000", 40, 90, note="广东规划"), target("ZB04", "450000", 40, 90)]
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "t.xlsx", values, targets))
    assert outcome.status == "accepted"
    out = tmp_path / "中期评估.xlsx"
    assert main(["indicators", "report", "--out", str(out), "--by", "王敏", "--db", str(settings.db_path)]) == 0
    book = openpyxl.load_workbook(out)
    assert "；生成人：王敏；" in book["指标总览"]["A2"].value  # the operating-system user's name without --by
    assert book.sheetnames == ["指标总览", "年度进展", "分省进展", "分省计算指标", "填报数据", "分省目标", "计算口径"]
    sheet = book["分省进展"]
    header = [c.value for c in sheet[1]]
    assert header[:12] == [
        "指标编号", "指标名称", "省份代码", "省份", "年度", "实际值", "基期年", "基期值", "目标年", "目标值", "预期进度", "进展状态",
    ]  # fmt: skip
    rows = {(r[2], r[4]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    # 2022: 40 + 50 × 2/5 = 60 expected, 58 gained 18 of 20: 滞后; 2023: 70 expected, 64 is 滞后 at 80 % exactly.
    assert rows[("440000", 2022)][5:12] == (58, 2020, 40, 2025, 90, 60, "滞后")
    assert rows[("440000", 2023)][5:12] == (64, 2020, 40, 2025, 90, 70, "滞后")
    assert rows[("450000", 2023)][11] == "严重滞后"
    assert rows[("450000", 2024)][5] is None and rows[("450000", 2024)][11] == "未填报"
    # Under the title, what the report counts and who made it when; figures with separators, decimals where any.
    basis = book["指标总览"]["A2"].value
    assert (
        re.match(r"计入 \d{4} 年及以前的年度数值（截至 \d{4}年\d{1,2}月\d{1,2}日）；生成人：", basis)
        and "；生成时间：" in basis
        and basis.endswith("（北京时间）")
    )
    cells = next(r for r in sheet.iter_rows(min_row=2) if (r[2].value, r[4].value) == ("440000", 2022))
    assert [(c.value, c.number_format) for c in cells[5:11:5]] == [(58, "#,##0"), (60, "#,##0")]
    overview = {r[0].value: r for r in book["指标总览"].iter_rows(min_row=4)}
    assert (overview["JC07"][7].value, overview["JC07"][7].number_format) == (1_047_000_000, "#,##0")
    # As the pages write it: no trailing zeros (94.50 stood beside 83 in one column).
    assert [figure_format(D(v)) for v in ("150.00", "94.50", "38242.5", "87.95", "1E+3", "0.001")] == [
        "#,##0",
        "#,##0.0",
        "#,##0.0",
        "#,##0.00",
        "#,##0",
        "#,##0",
    ]
    assert book["指标总览"].page_setup.orientation == "landscape" and book["指标总览"].page_setup.fitToWidth == 1
    assert (
        main(
            [
                "indicators",
                "report",
                "--out",
                str(out),
                "--replace",
                "--as-of",
                "2023-06-30",
                "--db",
                str(settings.db_path),
            ]
        )
        == 0
    )
    again = openpyxl.load_workbook(out)
    assert again["指标总览"]["A2"].value.startswith("计入 2023 年及以前的年度数值（截至 2023年6月30日）；生成人：")
    years = {(r[2], r[4]): r[11] for r in again["分省进展"].iter_rows(min_row=2, values_only=True)}
    # 2023 is not over on 30 June 2023: its value (given before the year's end) is not judged against the year-end
    # expectation (it read 严重滞后).
    assert years[("450000", 2023)] == "年度未结束" and ("450000", 2024) not in years
    yearly = {(r[0], r[2]): r[7] for r in again["年度进展"].iter_rows(min_row=2, values_only=True)}
    assert yearly[("ZB01", 2023)] == "年度未结束"  # a year-end value: 2023 is not over on 30 June 2023
    status_cell = next(r[11] for r in sheet.iter_rows(min_row=2) if (r[2].value, r[4].value) == ("450000", 2023))
    assert status_cell.fill.start_color.rgb.endswith("FFC7CE")
    listed = [r for r in book["分省目标"].iter_rows(min_row=2, values_only=True)]
    # Each province named beside its code, as 分省进展 names it.
    assert [r[:9] for r in listed] == [
        ("ZB04", "各级国家综合档案馆档案信息管理系统覆盖率", "440000", "广东省", 2020, 40, 2025, 90, "广东规划"),
        ("ZB04", "各级国家综合档案馆档案信息管理系统覆盖率", "450000", "广西壮族自治区", 2020, 40, 2025, 90, None),
    ]
    assert listed[0][9:] == (outcome.submission_id, "分省目标", 3)
    reported = {(r[0], r[2], r[3]): r[4] for r in book["填报数据"].iter_rows(min_row=2, values_only=True)}
    assert reported[("ZB04", 2023, "440000")] == "广东省" and reported[("ZB04", 2023, "450000")] == "广西壮族自治区"


def test_a_code_not_in_a_long_list_is_told_where_the_list_is_with_an_example_named(store, settings, tmp_path):
    # 「省份代码」只能填写：110000、120000、… listed 32 bare codes, naming none of the provinces.
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "p.xlsx", [value("ZB01", 2023, 5, "449900")]))
    (failure,) = [f for f in outcome.failures if f.rule == "province_code_in_list"]
    assert failure.message == (
        "「省份代码」只能填写「代码表」工作表中「省份代码」所列的代码（如 110000 北京市），请从下拉列表中选择。"
    )


def test_a_likely_slip_in_a_reported_value_is_a_warning_on_its_cell(store, settings, tmp_path):
    # A probe's ZB01 2024 of 1180 (for 118) turned 滞后 into 达标, and ZB05's progress went back from 25 % to 20 %:
    # both loaded without a word.
    rows = [value("ZB01", 2023, 84), value("ZB01", 2024, 1180), value("ZB05", 2022, 25), value("ZB05", 2023, 20)]
    rows.append(value("ZB01", 2024, 40, "440000"))  # a province's own count, below the year before only nationally
    outcome = ingest(store, settings, indicators_workbook(tmp_path / "slip.xlsx", rows))
    assert outcome.status == "accepted"  # warnings: the values may be right
    said = {(f.row, f.rule): f.message for f in outcome.failures}
    assert said == {
        (
            4,
            "indicator_far_above_target",
        ): "数值超过该指标全国“十四五”目标值的 2 倍，请核实是否多填了位数。（填写 1180，目标 150）",
        (6, "indicator_cumulative_not_lower"): (
            "该指标是“十四五”期间的累计数（建设工程为累计进度），不应小于上一年度的数值，请核实。（2022年 25，2023年 20）"
        ),
    }
