"""Report workbooks of the supervision side: an archive's evaluation feedback and the plan's mid-term evaluation.

Data come from warehouse queries; this module only lays them out (openpyxl) and saves atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from census_schema.errors import UsageError
from census_schema.supervision.codes import EvaluationStatus
from census_schema.supervision.evaluation import get_standard
from census_schema.supervision.indicators import PLAN_INDICATORS, PLAN_TITLE
from census_schema.template import save_workbook
from supervision.indicators import FORMULAS
from warehouse.evaluation import (
    DEFAULT_ROUND,
    fetch_round,
    query_area_results,
    query_evaluation_results,
    query_item_results,
    require_archive,
)
from warehouse.indicators import query_indicator_progress, query_reported_values

_TITLE = Font(size=14, bold=True)
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_FLAG_FILL = PatternFill("solid", fgColor="FFE699")
_WRAP = Alignment(wrap_text=True, vertical="top")
STATUS_FILLS = {
    "达标": PatternFill("solid", fgColor="C6EFCE"),
    "滞后": PatternFill("solid", fgColor="FFEB9C"),
    "严重滞后": PatternFill("solid", fgColor="FFC7CE"),
}


def _table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[int],
    *,
    start_row: int = 1,
    flag_column: int | None = None,
) -> None:
    """A header row and data rows from `start_row`; rows whose `flag_column` value is truthy are highlighted."""
    for column, (header, width) in enumerate(zip(headers, widths, strict=True), 1):
        cell = ws.cell(start_row, column, header)
        cell.font, cell.fill, cell.alignment = _BOLD, _HEADER_FILL, _WRAP
        ws.column_dimensions[get_column_letter(column)].width = width
    for offset, values in enumerate(rows, 1):
        for column, value in enumerate(values, 1):
            cell = ws.cell(start_row + offset, column, value)
            cell.alignment = _WRAP
            if flag_column is not None and values[flag_column]:
                cell.fill = _FLAG_FILL
    ws.freeze_panes = ws.cell(start_row + 1, 1)
    ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(headers))}{start_row + max(len(rows), 1)}"


def _save(workbook: Workbook, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(workbook, out)
    return out


def _yes(flag: bool | None) -> str:
    return "是" if flag else ""


# ------------------------------------------------------------------------------------------ evaluation feedback


def write_evaluation_report(
    con: duckdb.DuckDBPyConnection, archive_code: str, out: Path, round_id: str = DEFAULT_ROUND
) -> Path:
    """The feedback report an archive receives: result, area subtotals, scores by item, deviations,
    reconciliations and the problems found (items that lost points, failed veto items)."""
    require_archive(archive_code)
    found = fetch_round(con, round_id)
    if found is None:
        raise UsageError(f"评价轮次 {round_id} 不存在。", hint="请先用 archive-census evaluation open 开启评价。")
    results = query_evaluation_results(con, round_id)
    result = next((r for r in results if r["archive_code"] == archive_code), None)
    if result is None or result["status"] != EvaluationStatus.COMPLETE:
        status = result["status"] if result else EvaluationStatus.INCOMPLETE.value
        pending = f"（待合议的评分项：{result['unreconciled']}）" if result and result["unreconciled"] else ""
        raise UsageError(
            f"档案馆 {archive_code} 的评价{status}{pending}，尚不能生成反馈报告。",
            hint="须有完整的自评、至少3位专家提交的评分，且专家分歧较大的评分项已给出合议分。",
        )
    completed = sum(1 for r in results if r["status"] == EvaluationStatus.COMPLETE)
    standard = get_standard(found["standard_version"])
    items = query_item_results(con, archive_code, round_id)
    areas = query_area_results(con, round_id, archive_code)

    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "评价结果"
    summary["A1"] = f"{result['archive_name']}业务建设评价反馈报告"
    summary["A1"].font = _TITLE
    facts = [
        ("档案馆", f"{result['archive_name']}（{archive_code}）"),
        ("评价轮次", round_id),
        ("评价标准", f"{standard.title}（{standard.version}）"),
        ("评价专家（人）", result["experts"]),
        ("评分项得分合计", result["total"]),
        ("加分（封顶后）", result["bonus"]),
        ("加分（申报合计）", result["bonus_claimed"]),
        ("最终得分", result["final_score"]),
        ("评价等次", result["grade"]),
        ("排名", f"第 {result['rank']} 名（共 {completed} 个已完成评价的档案馆）"),
        ("未通过的否决项", result["veto_failures"] or "无"),
        ("自评偏差项（个）", result["deviation_count"]),
    ]
    for offset, (key, value) in enumerate(facts, 3):
        summary.cell(offset, 1, key).font = _BOLD
        summary.cell(offset, 2, value)
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 20, 60

    area_sheet = workbook.create_sheet("领域小计")
    _table(
        area_sheet,
        ("领域编号", "一级领域", "满分", "得分", "得分率%"),
        [
            [
                a["area_code"],
                a["area_name"],
                a["max_points"],
                a["subtotal"],
                round(a["subtotal"] * 100 / a["max_points"], 1),
            ]
            for a in areas
        ],
        (10, 20, 10, 10, 10),
    )

    item_sheet = workbook.create_sheet("分项得分")
    _table(
        item_sheet,
        (
            "评分项",
            "一级领域",
            "二级指标",
            "评分内容",
            "满分",
            "否决项",
            "自评分",
            "专家评分",
            "专家均分",
            "合议分",
            "合议说明",
            "最终得分",
            "自评偏差",
        ),  # fmt: skip
        [
            [
                i["item_code"],
                i["area_name"],
                i["indicator_name"],
                i["item_text"],
                i["max_points"],
                _yes(i["is_veto"]),
                i["self_score"],
                i["expert_scores"],
                i["expert_mean"],
                i["score"] if i["is_reconciled"] else None,
                i["reconciliation_note"],
                i["score"],
                _yes(i["is_deviation"]),
            ]
            for i in items
        ],  # fmt: skip
        (9, 14, 14, 40, 7, 7, 8, 18, 9, 8, 24, 9, 9),
        flag_column=12,
    )

    deviation_sheet = workbook.create_sheet("自评偏差")
    _table(
        deviation_sheet,
        ("评分项", "评分内容", "满分", "自评分", "最终得分", "相差", "允许偏差（满分20%）"),
        [
            [
                i["item_code"],
                i["item_text"],
                i["max_points"],
                i["self_score"],
                i["score"],
                abs(i["self_score"] - i["score"]),
                i["max_points"] * 2 / 10,
            ]
            for i in items
            if i["is_deviation"]
        ],  # fmt: skip
        (9, 40, 7, 8, 9, 7, 18),
    )

    reconciled_sheet = workbook.create_sheet("合议说明")
    _table(
        reconciled_sheet,
        ("评分项", "评分内容", "专家评分", "专家均分", "合议分", "合议说明"),
        [
            [i["item_code"], i["item_text"], i["expert_scores"], i["expert_mean"], i["score"], i["reconciliation_note"]]
            for i in items
            if i["is_reconciled"]
        ],
        (9, 40, 18, 9, 8, 40),
    )

    problem_sheet = workbook.create_sheet("发现问题")
    vetoes = set((result["veto_failures"] or "").split("、")) - {""}
    problems = sorted(
        (i for i in items if i["score"] < i["max_points"] or i["item_code"] in vetoes),
        key=lambda i: (i["item_code"] not in vetoes, -(i["max_points"] - i["score"]), i["item_code"]),
    )
    _table(
        problem_sheet,
        ("评分项", "一级领域", "评分内容", "满分", "最终得分", "扣分", "否决项未通过", "评分规则", "佐证材料要求"),
        [
            [
                i["item_code"],
                i["area_name"],
                i["item_text"],
                i["max_points"],
                i["score"],
                i["max_points"] - i["score"],
                _yes(i["item_code"] in vetoes),
                standard.items_by_code[i["item_code"]].rule,
                standard.items_by_code[i["item_code"]].evidence,
            ]
            for i in problems
        ],  # fmt: skip
        (9, 14, 40, 7, 9, 7, 12, 36, 24),
        flag_column=6,
    )
    return _save(workbook, out)


# ------------------------------------------------------------------------------------------- plan indicators


def write_indicators_report(con: duckdb.DuckDBPyConnection, out: Path, as_of: date | None = None) -> Path:
    """The mid-term evaluation workbook: each indicator's latest value against expected progress, the progress
    year by year, computed indicators per province and the reported values with their lineage."""
    progress = query_indicator_progress(con)
    if as_of is not None:
        progress = [p for p in progress if p["year"] <= as_of.year]
    workbook = Workbook()
    overview = workbook.active
    assert overview is not None
    overview.title = "指标总览"
    overview["A1"] = f"{PLAN_TITLE}主要指标中期评估"
    overview["A1"].font = _TITLE
    latest: dict[str, dict[str, Any]] = {}
    for row in progress:
        if row["province_code"] is None and row["value"] is not None:
            latest[row["indicator_code"]] = row
    _table(
        overview,
        (
            "指标编号",
            "指标名称",
            "单位",
            "属性",
            "来源",
            "层级",
            "基期年",
            "基期值",
            "目标年",
            "目标值",
            "最新年度",
            "最新值",
            "预期进度",
            "进展状态",
            "说明",
        ),  # fmt: skip
        [
            [
                i.code,
                i.name,
                i.unit,
                i.attribute.value,
                i.source_label,
                i.level.label,
                i.base_year,
                latest.get(i.code, {}).get("baseline", i.baseline),
                i.target_year,
                i.target,
                latest.get(i.code, {}).get("year"),
                latest.get(i.code, {}).get("value"),
                latest.get(i.code, {}).get("expected"),
                latest.get(i.code, {}).get("status"),
                i.note,
            ]
            for i in PLAN_INDICATORS
        ],  # fmt: skip
        (9, 34, 7, 8, 6, 6, 7, 14, 7, 10, 9, 16, 12, 10, 30),
        start_row=3,
    )
    for row in overview.iter_rows(min_row=4, min_col=14, max_col=14):
        fill = STATUS_FILLS.get(str(row[0].value))
        if fill is not None:
            row[0].fill = fill

    yearly = workbook.create_sheet("年度进展")
    targeted = [p for p in progress if p["province_code"] is None and p["target"] is not None]
    _table(
        yearly,
        ("指标编号", "指标名称", "年度", "实际值", "基期值", "目标值", "预期进度", "进展状态"),
        [
            [
                p["indicator_code"],
                p["indicator_name"],
                p["year"],
                p["value"],
                p["baseline"],
                p["target"],
                p["expected"],
                p["status"] or ("未填报" if p["value"] is None else ""),
            ]
            for p in targeted
        ],  # fmt: skip
        (9, 34, 7, 14, 12, 10, 12, 10),
    )
    for row in yearly.iter_rows(min_row=2, min_col=8, max_col=8):
        fill = STATUS_FILLS.get(str(row[0].value))
        if fill is not None:
            row[0].fill = fill

    provinces = workbook.create_sheet("分省计算指标")
    names = {i.code: i.name for i in PLAN_INDICATORS}
    _table(
        provinces,
        ("指标编号", "指标名称", "年度", "省份代码", "省份", "数值"),
        [
            [
                p["indicator_code"],
                p["indicator_name"],
                p["year"],
                p["province_code"] or "",
                p["province_name"],
                p["value"],
            ]
            for p in progress
            if p["source"] == "计算"
        ],
        (9, 30, 7, 10, 16, 16),
    )

    reported = workbook.create_sheet("填报数据")
    _table(
        reported,
        ("指标编号", "指标名称", "年度", "省份代码", "数值", "说明", "报送编号", "工作表", "行号"),
        [
            [
                r["indicator_code"],
                names.get(r["indicator_code"], ""),
                r["year"],
                r["province_code"] or "全国",
                r["value"],
                r["note"],
                r["submission_id"],
                r["sheet_name"],
                r["excel_row"],
            ]
            for r in query_reported_values(con)
        ],  # fmt: skip
        (9, 30, 7, 10, 14, 30, 36, 10, 6),
    )
    formulas = workbook.create_sheet("计算口径")
    _table(
        formulas,
        ("指标编号", "指标名称", "计算公式", "数据来源"),
        [
            [i.code, i.name, FORMULAS[i.formula].expression, "当前有效的普查表汇总（已接收、未被替代）"]
            for i in PLAN_INDICATORS
            if i.formula is not None
        ],
        (9, 30, 60, 36),
    )
    return _save(workbook, out)
