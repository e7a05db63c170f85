"""Report workbooks of the supervision side: an archive's evaluation feedback and the plan's mid-term evaluation.

Data come from warehouse queries; this module only lays them out and saves atomically. Each sheet is a table
declared once as a tuple of `Column`s (header, value, width, number format, status fill): the writer walks it, so a
column's header, value and width can never drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from census_schema.breakdowns import BASIS_LABELS
from census_schema.clock import beijing_today, format_beijing
from census_schema.errors import UsageError
from census_schema.scopes import COUNTED_RETURNS, format_day
from census_schema.supervision.codes import EvaluationStatus, IndicatorStatus
from census_schema.supervision.evaluation import (
    RESULT_LABELS,
    STANDARD_PROVISIONAL,
    EvaluationStandard,
    ScoringItem,
    get_standard,
)
from census_schema.supervision.indicators import INDICATORS_BY_CODE, PLAN_INDICATORS, PLAN_TITLE, PlanIndicator
from census_schema.template import save_workbook, wrapped_row_height
from census_schema.xlsx import Column, print_wide, set_cell_value
from supervision.indicators import FORMULAS, year_is_over
from supervision.scoring import TOLERANCE_SHARE, problem_severity, select_problems, tolerance
from warehouse.evaluation import (
    COMPLETE_HINT,
    DEFAULT_ROUND,
    describe_result_state,
    fetch_remarks,
    fetch_round,
    query_area_results,
    query_evaluation_results,
    query_item_results,
    require_archive,
)
from warehouse.indicators import (
    province_name,
    query_indicator_progress,
    query_provincial_targets,
    query_reported_values,
)
from warehouse.queries import query_data_as_of
from warehouse.transactions import utc_now

R = TypeVar("R")
Row = Mapping[str, Any]

_TITLE = Font(size=14, bold=True)
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_FLAG_FILL = PatternFill("solid", fgColor="FFE699")
_WRAP = Alignment(wrap_text=True, vertical="top")
# A fact's value, numbers too, read from the left beside its label.
_WRAP_LEFT = Alignment(wrap_text=True, vertical="top", horizontal="left")
STATUS_FILLS = {
    IndicatorStatus.ON_TRACK: PatternFill("solid", fgColor="C6EFCE"),
    IndicatorStatus.LAGGING: PatternFill("solid", fgColor="FFEB9C"),
    IndicatorStatus.SEVERELY_LAGGING: PatternFill("solid", fgColor="FFC7CE"),
}
SCORE = "0.0"  # scores have one decimal place
DECIMAL = "#,##0.00"
# An indicator's figures: thousands separated, two decimals where a value has any (150 个, 1,047,000,000 卷件,
# 94.50 %), chosen per cell (a whole number in a two-decimal format read 150.00 个; General wrote 1047000000).
FIGURE = "figure"


@dataclass(frozen=True)
class Table(Generic[R]):
    """A sheet's table: its columns and which rows to highlight."""

    columns: tuple[Column[R], ...]
    flagged: Callable[[R], bool] | None = None


def _key(name: str) -> Callable[[Row], Any]:
    return lambda row: row[name]


def _joined(name: str) -> Callable[[Row], object]:
    """A list column written as the list a person reads (张三、李四; 8.5、9.0)."""
    return lambda row: "、".join(str(v) for v in row[name])


def _status_fill(value: object) -> PatternFill | None:
    return STATUS_FILLS[IndicatorStatus(value)] if isinstance(value, str) and value in STATUS_FILLS else None


def _yes(flag: object) -> str:
    return "是" if flag else ""


def _write_header(ws: Worksheet, columns: Sequence[Column[Any]], row: int) -> None:
    for number, column in enumerate(columns, 1):
        cell = set_cell_value(ws.cell(row, number), column.header)
        cell.font, cell.fill, cell.alignment = _BOLD, _HEADER_FILL, _WRAP
        ws.column_dimensions[get_column_letter(number)].width = column.width
    # As high as its longest wrapped header, as a row is (该年度进展状态 printed over the first row's 滞后).
    ws.row_dimensions[row].height = wrapped_row_height([c.header for c in columns], [c.width for c in columns])


def _write_row(ws: Worksheet, table: Table[R], row: R, number: int) -> None:
    flagged = table.flagged is not None and table.flagged(row)
    values = [column.value(row) for column in table.columns]
    # As high as its longest wrapped text (a row written without a height overprinted the next in LibreOffice).
    ws.row_dimensions[number].height = wrapped_row_height(values, [column.width for column in table.columns])
    for index, (column, value) in enumerate(zip(table.columns, values, strict=True), 1):
        cell = set_cell_value(ws.cell(number, index), value)
        cell.alignment = _WRAP
        if column.number_format == FIGURE:
            cell.number_format = figure_format(value)
        elif column.number_format is not None:
            cell.number_format = column.number_format
        if flagged:
            cell.fill = _FLAG_FILL
        fill = column.fill(value) if column.fill is not None else None
        if fill is not None:
            cell.fill = fill


def figure_format(value: object) -> str:
    """The number format of an indicator's figure, as the pages write it: its own decimals, at most two, without
    trailing zeros (150, 94.5, 87.95; it wrote 94.50 beside 83)."""
    if isinstance(value, int):
        return "#,##0"
    if not isinstance(value, Decimal):
        return DECIMAL
    places = -min(0, value.quantize(Decimal("0.01")).normalize().as_tuple().exponent)  # type: ignore[operator]
    return "#,##0" + ("." + "0" * places if places else "")


def write_table(
    ws: Worksheet, table: Table[R], rows: Iterable[R], *, start_row: int = 1, empty: str | None = None
) -> None:
    """The table's header at `start_row`, then one row per item (or the line `empty` when there is none); panes
    frozen below the header, a filter on it."""
    _write_header(ws, table.columns, start_row)
    count = 0
    for count, row in enumerate(rows, 1):
        _write_row(ws, table, row, start_row + count)
    if not count and empty:
        set_cell_value(ws.cell(start_row + 1, 1), empty)
    ws.freeze_panes = ws.cell(start_row + 1, 1)
    ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(table.columns))}{start_row + max(count, 1)}"


def _write_title(ws: Worksheet, title: str) -> None:
    set_cell_value(ws["A1"], title).font = _TITLE


def _save(workbook: Workbook, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(workbook, out)
    return out


# ------------------------------------------------------------------------------------------ evaluation feedback


@dataclass(frozen=True)
class Problem:
    """An item that lost points or whose veto failed, with what the standard says about it."""

    item: Row
    scoring_item: ScoringItem
    veto_failed: bool


AREA_TABLE: Table[Row] = Table(
    (
        Column("领域编号", _key("area_code"), 10),
        Column("一级指标", _key("area_name"), 20),
        Column("满分", _key("max_points"), 10, SCORE),
        Column("得分", _key("subtotal"), 10, SCORE),
        Column("得分率%", lambda a: round(a["subtotal"] * 100 / a["max_points"], 1), 10, SCORE),
    )
)
# The column of the experts' single scores, which only the bureau's copy of a feedback report carries.
EXPERT_SCORES = "专家评分"
INDICATORS_REPORT_TITLE = f"{PLAN_TITLE}主要指标中期评估"
ITEM_TABLE: Table[Row] = Table(
    (
        Column("评分项", _key("item_code"), 9),
        Column("一级指标", _key("area_name"), 14),
        Column("二级指标", _key("indicator_name"), 14),
        Column("评分内容", _key("item_text"), 40),
        Column("满分", _key("max_points"), 7, SCORE),
        Column("否决项", lambda i: _yes(i["is_veto"]), 7),
        # A veto item's verdict (the sheet said which items are vetoes, not which the archive failed).
        Column("否决项结论", lambda i: i.get("veto_verdict") or "—", 9),
        Column("自评分", _key("self_score"), 8, SCORE),
        # Wide enough for five scores on one line (at 18 a printed score broke in two: 8 / .5).
        Column(EXPERT_SCORES, _joined("expert_scores"), 26),
        Column("专家均分", _key("expert_mean"), 9, SCORE),
        Column("合议分", lambda i: i["score"] if i["is_reconciled"] else None, 8, SCORE),
        Column("合议说明", _key("reconciliation_note"), 16),
        Column("最终得分", _key("score"), 9, SCORE),
        Column("自评偏差", lambda i: _yes(i["is_deviation"]), 9),
    ),
    flagged=lambda i: bool(i["is_deviation"]),
)
DEVIATION_TABLE: Table[Row] = Table(
    (
        Column("评分项", _key("item_code"), 9),
        Column("评分内容", _key("item_text"), 40),
        Column("满分", _key("max_points"), 7, SCORE),
        Column("自评分", _key("self_score"), 8, SCORE),
        Column("最终得分", _key("score"), 9, SCORE),
        Column("相差", lambda i: abs(i["self_score"] - i["score"]), 7, SCORE),
        Column(f"允许偏差（满分{TOLERANCE_SHARE:.0%}）", lambda i: tolerance(Decimal(i["max_points"])), 18, SCORE),
    )
)
RECONCILIATION_TABLE: Table[Row] = Table(
    (
        Column("评分项", _key("item_code"), 9),
        Column("评分内容", _key("item_text"), 40),
        Column(EXPERT_SCORES, _joined("expert_scores"), 18),
        Column("专家均分", _key("expert_mean"), 9, SCORE),
        Column("合议分", _key("score"), 8, SCORE),
        Column("合议说明", _key("reconciliation_note"), 40),
    )
)
PROBLEM_TABLE: Table[Problem] = Table(
    (
        Column("评分项", lambda p: p.item["item_code"], 9),
        Column("一级指标", lambda p: p.item["area_name"], 14),
        Column("评分内容", lambda p: p.item["item_text"], 40),
        Column("满分", lambda p: p.item["max_points"], 7, SCORE),
        Column("最终得分", lambda p: p.item["score"], 9, SCORE),
        Column("扣分", lambda p: p.item["max_points"] - p.item["score"], 7, SCORE),
        Column("否决项未通过", lambda p: _yes(p.veto_failed), 12),
        # What the experts found wrong (their 扣分说明), as the finding issued from it says.
        Column("专家意见", lambda p: "；".join(p.item.get("remarks", ())), 36),
        Column("评分规则", lambda p: p.scoring_item.rule, 36),
        Column("佐证材料要求", lambda p: p.scoring_item.evidence, 24),
        # As the problem is issued as a finding (evaluation issue-findings).
        Column("严重程度", lambda p: problem_severity(p.item["score"], p.item["max_points"], p.veto_failed).value, 9),
    ),
    flagged=lambda p: p.veto_failed,
)


@dataclass(frozen=True)
class EvaluationFeedback:
    """What an archive's feedback report shows: its result among the completed ones, its areas and items."""

    archive_code: str
    round_id: str
    result: Row
    completed: int
    standard: EvaluationStandard
    areas: list[dict[str, Any]]
    items: list[dict[str, Any]]
    # Final once the round is closed; until then the report says it is provisional, and why (`describe_result_state`).
    is_final: bool
    state: str

    @property
    def veto_failures(self) -> set[str]:
        """The codes of the veto items the archive failed."""
        return set(self.result["veto_failures"] or ())


def fetch_evaluation_feedback(
    con: duckdb.DuckDBPyConnection, archive_code: str, round_id: str = DEFAULT_ROUND
) -> EvaluationFeedback:
    """An archive's completed evaluation; UsageError when the round is unknown or the evaluation not complete."""
    require_archive(archive_code)
    found = fetch_round(con, round_id)
    if found is None:
        raise UsageError(f"评价轮次 {round_id} 不存在。", hint="请先用 archive-census evaluation open 开启评价。")
    results = query_evaluation_results(con, round_id)
    result = next((r for r in results if r["archive_code"] == archive_code), None)
    if result is None or result["status"] != EvaluationStatus.COMPLETE:
        status = result["status"] if result else EvaluationStatus.INCOMPLETE.value
        pending = (
            f"（待合议的评分项：{'、'.join(result['unreconciled'])}）" if result and result["unreconciled"] else ""
        )
        raise UsageError(
            f"档案馆 {archive_code} 的评价{status}{pending}，尚不能生成反馈报告。",
            hint=COMPLETE_HINT,
        )
    remarks = fetch_remarks(con, archive_code, round_id)
    return EvaluationFeedback(
        archive_code,
        round_id,
        result,
        sum(1 for r in results if r["status"] == EvaluationStatus.COMPLETE),
        get_standard(found["standard_version"]),
        query_area_results(con, round_id, archive_code),
        [
            {**item, "remarks": remarks.get(item["item_code"], [])}
            for item in query_item_results(con, archive_code, round_id)
        ],
        not found["is_open"],
        describe_result_state(con, round_id, archive_code),
    )


def _result_facts(report: EvaluationFeedback) -> list[tuple[str, object]]:
    result, standard = report.result, report.standard
    return [
        ("档案馆", f"{result['archive_name']}（{report.archive_code}）"),
        ("评价轮次", report.round_id),
        ("结果状态", report.state),
        ("评价标准", f"{standard.title}（{standard.version}，暂定稿）"),
        ("评价专家（人）", result["experts"]),
        (RESULT_LABELS["total"], result["total"]),
        (f"{RESULT_LABELS['bonus']}（封顶后）", result["bonus"]),
        (f"{RESULT_LABELS['bonus']}（专家评定合计，封顶前）", result["bonus_claimed"]),
        (RESULT_LABELS["final_score"], result["final_score"]),
        ("评价等次", result["grade"]),
        ("排名", f"第 {result['rank']} 名（共 {report.completed} 个已完成评价的档案馆）"),
        ("未通过的否决项", standard.name_items(result["veto_failures"]) or "无"),
        ("自评偏差项（个）", result["deviation_count"]),
        ("说明", STANDARD_PROVISIONAL),
    ]


# 评价结果's label and value columns: 加分（专家评定合计，封顶前） whole, 说明 wrapped under its label.
FACT_WIDTHS = (30, 80)


def feedback_title(report: EvaluationFeedback) -> str:
    """The feedback report's title: 广东省档案馆业务建设评价反馈报告（暂定）, 暂定 while the round is open."""
    return f"{report.result['archive_name']}业务建设评价反馈报告{'' if report.is_final else '（暂定）'}"


def _write_result_sheet(ws: Worksheet, report: EvaluationFeedback, made: Sequence[tuple[str, object]] = ()) -> None:
    ws.title = "评价结果"
    _write_title(ws, feedback_title(report))
    for number, (key, value) in enumerate([*_result_facts(report), *made], 3):
        set_cell_value(ws.cell(number, 1), key).font = _BOLD
        ws.cell(number, 1).alignment = _WRAP
        set_cell_value(ws.cell(number, 2), value).alignment = _WRAP_LEFT
        ws.row_dimensions[number].height = wrapped_row_height((key, value), FACT_WIDTHS)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = FACT_WIDTHS


def list_problems(report: EvaluationFeedback) -> list[Problem]:
    """Failed veto items first, then the items that lost most points."""
    items_by_code = report.standard.items_by_code
    return [
        Problem(item, items_by_code[item["item_code"]], veto_failed)
        for item, veto_failed in select_problems(report.items, report.veto_failures)
    ]


def without_expert_scores(table: Table[Row]) -> Table[Row]:
    """A table without the experts' single scores (专家评分): what the evaluated archive's province reads."""
    return Table(tuple(c for c in table.columns if c.header != EXPERT_SCORES), table.flagged)


def write_evaluation_report(
    con: duckdb.DuckDBPyConnection,
    archive_code: str,
    out: Path,
    round_id: str = DEFAULT_ROUND,
    *,
    expert_scores: bool = True,
    generated_by: str | None = None,
) -> Path:
    """The feedback report an archive receives: result, area subtotals, scores by item, deviations,
    reconciliations and the problems found (items that lost points, failed veto items); without `expert_scores`,
    no single expert's score (the province's copy: the mean, the reconciled and the final score only). Its result
    sheet ends with what data it was made from, by whom and when (a provisional copy and the final one could not be
    told apart)."""
    report = fetch_evaluation_feedback(con, archive_code, round_id)
    as_of = query_data_as_of(con)
    made: list[tuple[str, object]] = [
        ("数据截至", format_beijing(as_of) if as_of else "—"),
        *([("生成人", generated_by)] if generated_by else []),
        ("生成时间", format_beijing(utc_now())),
    ]
    items, reconciled = (ITEM_TABLE, RECONCILIATION_TABLE) if expert_scores else (
        without_expert_scores(ITEM_TABLE), without_expert_scores(RECONCILIATION_TABLE)
    )  # fmt: skip
    workbook = Workbook()
    assert workbook.active is not None
    _write_result_sheet(workbook.active, report, made)
    write_table(workbook.create_sheet("领域小计"), AREA_TABLE, report.areas)
    write_table(workbook.create_sheet("分项得分"), items, report.items)
    deviating = [i for i in report.items if i["is_deviation"]]
    write_table(workbook.create_sheet("自评偏差"), DEVIATION_TABLE, deviating, empty="本馆无自评偏差项。")
    reconciled_items = [i for i in report.items if i["is_reconciled"]]
    write_table(workbook.create_sheet("合议说明"), reconciled, reconciled_items, empty="本馆无合议项。")
    write_table(workbook.create_sheet("发现问题"), PROBLEM_TABLE, list_problems(report))
    for sheet in workbook.worksheets:
        print_wide(sheet, feedback_title(report))
    return _save(workbook, out)


# ------------------------------------------------------------------------------------------- plan indicators


@dataclass(frozen=True)
class IndicatorLatest:
    """A plan indicator with its latest national value (empty when none was reported or computed)."""

    indicator: PlanIndicator
    latest: Row
    # The latest national value of a year that is over, judged (the latest, of a year not over, is not).
    judged: Row

    def get(self, name: str) -> Any:
        """A figure of the latest national value, None when there is none."""
        return self.latest.get(name)


def _indicator_name(row: Row) -> str:
    found = INDICATORS_BY_CODE.get(row["indicator_code"])
    return found.name if found else ""


NOT_REPORTED, NO_CENSUS_DATA, YEAR_NOT_OVER = "未填报", "无普查数据", "年度未结束"


def yearly_status(row: Row, today: date) -> str:
    """A year's progress status as people read it: a year not over yet is not judged (its expectation is a year-end
    one: a value given before its end, 131 by June against 150 due in December, read as 滞后); else the judged status;
    where a past year has no value, why: the census holds no figures for a computed indicator (nothing to report), or
    it was not reported."""
    indicator = INDICATORS_BY_CODE[row["indicator_code"]]
    if not year_is_over(row["year"], today):
        # A value with no target (a monitored indicator's) is never judged: its running year alone read 年度未结束.
        judged = row["value"] is None or row.get("target", indicator.target) is not None
        return YEAR_NOT_OVER if judged else ""
    if row["status"] or row["value"] is not None:
        return row["status"] or ""
    return NO_CENSUS_DATA if indicator.is_computed else NOT_REPORTED


OVERVIEW_TABLE: Table[IndicatorLatest] = Table(
    (
        Column("指标编号", lambda x: x.indicator.code, 9),
        Column("指标名称", lambda x: x.indicator.name, 34),
        Column("单位", lambda x: x.indicator.unit, 7),
        Column("属性", lambda x: x.indicator.attribute.value, 8),
        Column("来源", lambda x: x.indicator.source_label, 6),
        Column("层级", lambda x: x.indicator.level.label, 6),
        Column("基期年", lambda x: x.indicator.base_year, 7),
        Column("基期值", lambda x: x.latest.get("baseline", x.indicator.baseline), 14, FIGURE),
        Column("目标年", lambda x: x.indicator.target_year, 7),
        Column("目标值", lambda x: x.indicator.target, 10, FIGURE),
        Column("最新年度", lambda x: x.get("year"), 9),
        Column("最新值", lambda x: x.get("value"), 16, FIGURE),
        Column("预期进度", lambda x: x.get("expected"), 12, FIGURE),
        Column("进展状态", lambda x: x.get("shown_status"), 10, fill=_status_fill),
        Column("最近完整年度", lambda x: x.judged.get("year"), 9),
        Column("该年度进展状态", lambda x: x.judged.get("shown_status"), 10, fill=_status_fill),
        Column("说明", lambda x: x.indicator.note, 30),
    )
)
YEARLY_TABLE: Table[Row] = Table(
    (
        Column("指标编号", _key("indicator_code"), 9),
        Column("指标名称", _key("indicator_name"), 34),
        Column("年度", _key("year"), 7),
        Column("实际值", _key("value"), 14, FIGURE),
        Column("基期值", _key("baseline"), 12, FIGURE),
        Column("目标值", _key("target"), 10, FIGURE),
        Column("预期进度", _key("expected"), 12, FIGURE),
        Column("进展状态", _key("shown_status"), 10, fill=_status_fill),
    )
)
PROVINCIAL_PROGRESS_TABLE: Table[Row] = Table(
    (
        Column("指标编号", _key("indicator_code"), 9),
        Column("指标名称", _key("indicator_name"), 30),
        Column("省份代码", _key("province_code"), 10),
        Column("省份", _key("province_name"), 16),
        Column("年度", _key("year"), 7),
        Column("实际值", _key("value"), 14, FIGURE),
        Column("基期年", _key("base_year"), 7),
        Column("基期值", _key("baseline"), 12, FIGURE),
        Column("目标年", _key("target_year"), 7),
        Column("目标值", _key("target"), 12, FIGURE),
        Column("预期进度", _key("expected"), 12, FIGURE),
        Column("进展状态", _key("shown_status"), 10, fill=_status_fill),
        Column("单位", _key("unit"), 7),
    )
)
PROVINCE_TABLE: Table[Row] = Table(
    (
        Column("指标编号", _key("indicator_code"), 9),
        Column("指标名称", _key("indicator_name"), 30),
        Column("年度", _key("year"), 7),
        Column("省份代码", lambda p: p["province_code"] or "", 10),
        Column("省份", _key("province_name"), 16),
        Column("数值", _key("value"), 16, FIGURE),
    )
)
REPORTED_TABLE: Table[Row] = Table(
    (
        Column("指标编号", _key("indicator_code"), 9),
        Column("指标名称", _indicator_name, 30),
        Column("年度", _key("year"), 7),
        Column("省份代码", lambda r: r["province_code"] or "", 10),
        Column("省份", lambda r: province_name(r["province_code"]), 16),
        Column("数值", _key("value"), 14, FIGURE),
        Column("说明", _key("note"), 30),
        Column("提交编号", _key("submission_id"), 36),
        Column("工作表", _key("sheet_name"), 10),
        Column("行号", _key("excel_row"), 6),
    )
)
TARGETS_TABLE: Table[Row] = Table(
    (
        Column("指标编号", _key("indicator_code"), 9),
        Column("指标名称", _indicator_name, 30),
        Column("省份代码", _key("province_code"), 10),
        Column("省份", lambda r: province_name(r["province_code"]), 16),
        Column("基期年份", _key("base_year"), 8),
        Column("基期值", _key("baseline"), 14, FIGURE),
        Column("目标年份", _key("target_year"), 8),
        Column("目标值", _key("target"), 14, FIGURE),
        Column("说明", _key("note"), 30),
        Column("提交编号", _key("submission_id"), 36),
        Column("工作表", _key("sheet_name"), 10),
        Column("行号", _key("excel_row"), 6),
    )
)
FORMULA_TABLE: Table[PlanIndicator] = Table(
    (
        Column("指标编号", lambda i: i.code, 9),
        Column("指标名称", lambda i: i.name, 30),
        Column("计算公式", lambda i: FORMULAS[i.formula].expression if i.formula else "", 60),
        # Which holders it counts: JC01 and JC10 share a formula, over 综合档案馆 and 档案室 (the sheet did not say).
        Column("计入的普查对象", lambda i: BASIS_LABELS[i.basis], 14),
        Column("数据来源", lambda i: f"现行普查表汇总（{COUNTED_RETURNS}）", 36),
    )
)


def latest_national_values(progress: Iterable[Row], status_key: str = "shown_status") -> list[IndicatorLatest]:
    """Every plan indicator with its latest national value, and its latest of a year that is over (progress rows
    come year by year; `status_key` holds `yearly_status`): while a year runs, the headline status is the last full
    year's (every target read 年度未结束 in June, a year's 严重滞后 only in the yearly table)."""
    latest: dict[str, Row] = {}
    judged: dict[str, Row] = {}
    for row in progress:
        if row["province_code"] is None and row["value"] is not None:
            latest[row["indicator_code"]] = row
            if row[status_key] != YEAR_NOT_OVER:
                judged[row["indicator_code"]] = row
    return [IndicatorLatest(i, latest.get(i.code, {}), judged.get(i.code, {})) for i in PLAN_INDICATORS]


def describe_report_basis(as_of: date | None, generated_by: str | None, generated_at: datetime) -> str:
    """The line under the mid-term report's title: which years it counts, who made it and when (two reports made
    with different --as-of days could not be told apart)."""
    years = f"计入 {as_of.year} 年及以前的年度数值（截至 {format_day(as_of)}）" if as_of else "计入全部年度的数值"
    by = f"；生成人：{generated_by}" if generated_by else ""
    return f"{years}{by}；生成时间：{format_beijing(generated_at)}"


def write_indicators_report(
    con: duckdb.DuckDBPyConnection, out: Path, as_of: date | None = None, *, generated_by: str | None = None
) -> Path:
    """The mid-term evaluation workbook: each indicator's latest value against expected progress, the progress
    year by year, nationally and per province against the provinces' own targets, computed indicators per province,
    the reported values and the provincial targets with their lineage; under its title, what it counts and who made
    it when."""
    today = as_of or beijing_today()
    progress = [
        {**p, "shown_status": yearly_status(p, today)}
        for p in query_indicator_progress(con)
        if as_of is None or p["year"] <= as_of.year
    ]
    workbook = Workbook()
    overview = workbook.active
    assert overview is not None
    overview.title = "指标总览"
    _write_title(overview, INDICATORS_REPORT_TITLE)
    set_cell_value(overview["A2"], describe_report_basis(as_of, generated_by, utc_now()))
    write_table(overview, OVERVIEW_TABLE, latest_national_values(progress), start_row=3)
    national_targets = [p for p in progress if p["province_code"] is None and p["target"] is not None]
    write_table(workbook.create_sheet("年度进展"), YEARLY_TABLE, national_targets)
    provincial = [p for p in progress if p["province_code"] is not None and p["target"] is not None]
    write_table(workbook.create_sheet("分省进展"), PROVINCIAL_PROGRESS_TABLE, provincial)
    computed_values = [p for p in progress if p["source"] == "计算" and p["value"] is not None]
    write_table(workbook.create_sheet("分省计算指标"), PROVINCE_TABLE, computed_values)
    write_table(workbook.create_sheet("填报数据"), REPORTED_TABLE, query_reported_values(con))
    write_table(workbook.create_sheet("分省目标"), TARGETS_TABLE, query_provincial_targets(con))
    computed = [i for i in PLAN_INDICATORS if i.formula is not None]
    write_table(workbook.create_sheet("计算口径"), FORMULA_TABLE, computed)
    for sheet in workbook.worksheets:
        print_wide(sheet, INDICATORS_REPORT_TITLE)
    return _save(workbook, out)
