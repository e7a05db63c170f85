"""Dates as people type them: real date cells and the usual written forms are read; anything else is located."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from census_schema.errors import WorkbookUnusable
from census_schema.supervision.forms import INSPECTIONS_WORKBOOK
from flows.parse import parse_workbook
from tests.flows.supervision_workbooks import inspection, inspections_workbook


@pytest.mark.parametrize(
    "typed",
    [date(2023, 3, 5), datetime(2023, 3, 5, 0, 0), "2023-03-05", "2023-3-5", "2023/3/5", "2023.3.5", "2023年3月5日",
     "20230305", " 2023-03-05 ", "２０２３－０３－０５", "2023年3月5号", "2023-03-05T00:00", "2023-03-05T08:30:00"],
)  # fmt: skip
def test_every_usual_form_of_a_date_is_read(tmp_path, typed):
    path = inspections_workbook(tmp_path / "d.xlsx", [inspection(1, notice_date=typed)])
    parsed = parse_workbook(path, INSPECTIONS_WORKBOOK)
    assert parsed.failures == []
    assert parsed.rows["检查记录"]["notice_date"].to_list() == [date(2023, 3, 5)]


# A year of two digits was read as the year 23 (a probe's 25.3.3 went in as 0025-03-03, with a warning only).
@pytest.mark.parametrize("typed", ["2023-02-30", "明年三月", "3/5/2023", "45000", "23.3.5", "23-03-05", "023年3月5日"])
def test_what_is_not_a_date_is_located_with_the_cell_as_typed(tmp_path, typed):
    path = inspections_workbook(tmp_path / "d.xlsx", [inspection(1, notice_date=typed)])
    parsed = parse_workbook(path, INSPECTIONS_WORKBOOK)
    assert [(f.sheet, f.row, f.field, f.rule, f.value) for f in parsed.failures] == [
        ("检查记录", 3, "notice_date", "notice_date_date", typed)
    ]
    assert parsed.rows["检查记录"]["notice_date"].to_list() == [None]
    assert "年份写全四位" in parsed.failures[0].message


def test_empty_sheets_are_allowed_but_not_an_empty_workbook(tmp_path):
    with pytest.raises(WorkbookUnusable, match="都没有数据行"):
        parse_workbook(inspections_workbook(tmp_path / "e.xlsx"), INSPECTIONS_WORKBOOK)


@pytest.mark.parametrize(("typed", "day"), [("45692", "2025-02-04"), ("45000.0", "2023-03-15")])
def test_an_excel_date_serial_is_named_with_the_day_it_stands_for(tmp_path, typed, day):
    # A date cell formatted as a number reads 45692: the message said only 应为日期.
    path = inspections_workbook(tmp_path / "d.xlsx", [inspection(1, notice_date=typed)])
    (failure,) = parse_workbook(path, INSPECTIONS_WORKBOOK).failures
    assert (
        f"「{typed}」像是 Excel 的日期序号（即 {day}）：请把该单元格设为日期格式，或直接填写 {day}。" in failure.message
    )


@pytest.mark.parametrize(
    ("typed", "why"),
    [("2025-2-30", "2025年2月只有 28 天"), ("2024年2月30日", "2024年2月只有 29 天"), ("2025/13/1", "没有 13 月")],
)
def test_a_day_the_calendar_does_not_have_is_told_why(tmp_path, typed, why):
    # 2025-2-30 was given the generic date message, as if its form were wrong.
    path = inspections_workbook(tmp_path / "d.xlsx", [inspection(1, notice_date=typed)])
    (failure,) = parse_workbook(path, INSPECTIONS_WORKBOOK).failures
    assert f"「{typed}」是日历上没有的日期：{why}" in failure.message
