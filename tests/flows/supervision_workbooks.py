"""Real supervision workbooks for tests: written from the schema's templates, base rows plus edits."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from census_schema.fields import WorkbookForm
from census_schema.supervision.evaluation import CURRENT_STANDARD, SELF_SOURCE
from census_schema.supervision.forms import (
    EVALUATION_WORKBOOK,
    INDICATORS_WORKBOOK,
    INSPECTIONS_WORKBOOK,
)
from census_schema.template import write_workbook
from tests.warehouse.factories import make_uscc

Row = Mapping[str, Any]
FEEDBACK = date(2023, 3, 20)
ARCHIVE = "440000"


def inspection(n: int = 1, **edits: Any) -> dict[str, Any]:
    """A valid comprehensive inspection record of a central organ, numbered n (82.5 % compliant: 优秀)."""
    return {
        "inspection_id": f"JC2023-{n:03d}",
        "year": 2023,
        "inspection_type": "综合检查",
        "organiser": "国家档案局",
        "unit_uscc": make_uscc(n, "11100000"),
        "unit_name": f"中央单位{n}",
        "unit_class": "中央和国家机关",
        "division_code": "110000",
        "notice_date": date(2023, 3, 1),
        "onsite_start": date(2023, 3, 10),
        "onsite_end": date(2023, 3, 12),
        "inspectors": "张三、李四",
        "checklist_version": "JC-2023.1",
        "items_applicable": 40,
        "items_compliant": 33,
        "failed_veto_items": 0,
        "has_security_incident": "否",
        "feedback_date": FEEDBACK,
        "feedback_doc_no": f"档函〔2023〕{n}号",
        **edits,
    }


def finding(n: int = 1, inspection_n: int = 1, **edits: Any) -> dict[str, Any]:
    """A valid finding of inspection `inspection_n` (default deadline, responsible person 王五)."""
    return {
        "finding_id": f"JC2023-{inspection_n:03d}-{n:02d}",
        "inspection_id": f"JC2023-{inspection_n:03d}",
        "item_code": "A03-03",  # not a veto item: the default record counts no failed veto item
        "description": "库房温湿度未按要求调控和记录",
        "severity": "较重",
        "is_immediate": "否",
        "requirement": "配备温湿度调控设备并逐日记录",
        "responsible_unit": "办公厅",
        "responsible_person": "王五",
        **edits,
    }


def update(action: str, actor: str, role: str, day: date, finding_id: str = "JC2023-001-01", **edits: Any) -> dict:
    """One 整改进展 row."""
    return {"finding_id": finding_id, "action_on": day, "action": action, "actor": actor, "role": role, **edits}


RECT, REV = "整改责任人", "审核人"
# A finding's whole legal walk to 已销号 (by 王五, then reviewed by 赵六).
CLOSE_WALK = (
    update("开始整改", "王五", RECT, date(2023, 3, 25)),
    update("提交整改报告", "王五", RECT, date(2023, 4, 5), evidence="整改报告.pdf"),
    update("销号", "赵六", REV, date(2023, 4, 10), evidence="复核意见.pdf"),
)


def write_book(path: Path, book: WorkbookForm, rows: Mapping[str, Iterable[Row]]) -> Path:
    """Rows (dicts by field name) written into the workbook's real template, by sheet name."""
    by_sheet = {
        form.sheet_name: [[row.get(f.name) for f in form.fields] for row in rows.get(form.sheet_name, ())]
        for form in book.sheets
    }
    write_workbook(path, book, None, by_sheet)
    return path


def inspections_workbook(
    path: Path, records: Iterable[Row] = (), findings: Iterable[Row] = (), updates: Iterable[Row] = ()
) -> Path:
    """An inspections workbook with the given records, findings and updates."""
    return write_book(path, INSPECTIONS_WORKBOOK, {"检查记录": records, "发现问题": findings, "整改进展": updates})


def score_sheet(
    scorer: str, archive: str = ARCHIVE, value: Callable[[Any], Decimal] | None = None, **edits: Row
) -> list[dict[str, Any]]:
    """A complete score sheet for every item (default: 90 % of the maximum), veto items 通过; edits by item code."""
    rows = []
    for item in CURRENT_STANDARD.items:
        score = value(item) if value else (item.max_points * Decimal("0.9")).quantize(Decimal("0.1"))
        row = {"archive_code": archive, "scorer": scorer, "item_code": item.code, "score": score}
        if scorer == SELF_SOURCE:  # a self-evaluation names its evidence for every item
            row["evidence"] = f"自评佐证材料（{item.code}）"
        if item.is_veto:
            row["veto_verdict"] = "通过"
        rows.append({**row, **edits.get(item.code.replace(".", "_"), {})})
    return rows


def evaluation_workbook(path: Path, rows: Iterable[Row]) -> Path:
    """A score sheet workbook."""
    return write_book(path, EVALUATION_WORKBOOK, {"评分表": rows})


def indicators_workbook(path: Path, rows: Iterable[Row], targets: Iterable[Row] = ()) -> Path:
    """A plan-indicator workbook: values (指标数值) and provincial targets (分省目标)."""
    return write_book(path, INDICATORS_WORKBOOK, {"指标数值": rows, "分省目标": targets})


def target(code: str, province: str, baseline: Any, goal: Any, base_year: int = 2020, target_year: int = 2025, **extra):
    """One 分省目标 row: a province's own baseline and target of an indicator."""
    return {
        "indicator_code": code,
        "province_code": province,
        "base_year": base_year,
        "baseline": baseline,
        "target_year": target_year,
        "target": goal,
        **extra,
    }


SELF = SELF_SOURCE
