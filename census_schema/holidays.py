"""China's official public holidays and weekend make-up working days (调休上班), as the State Council's General Office
publishes them each year (国务院办公厅关于部分节假日安排的通知): what a "working day" is for rectification deadlines.

A year is added here when its notice is published (usually in November of the year before). A day in a year without
a published arrangement counts as a working day from Monday to Friday, except the statutory holidays of fixed date
(元旦, 劳动节, 国庆节 under the 全国年节及纪念日放假办法 as revised in 2024); the lunar ones (春节, 清明, 端午, 中秋) and the
make-up working days wait for the notice. `arranged_years` says which years are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class HolidayArrangement:
    """One year's notice: the days off (inclusive ranges, weekends within them included) and the weekend days worked."""

    notice: str
    days_off: tuple[tuple[date, date], ...]
    make_up_working_days: tuple[date, ...]


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _days(*texts: str) -> tuple[date, ...]:
    return tuple(map(_d, texts))


ARRANGEMENTS: dict[int, HolidayArrangement] = {
    2021: HolidayArrangement(
        "国办发明电〔2020〕27号",
        (
            (_d("2021-01-01"), _d("2021-01-03")),
            (_d("2021-02-11"), _d("2021-02-17")),
            (_d("2021-04-03"), _d("2021-04-05")),
            (_d("2021-05-01"), _d("2021-05-05")),
            (_d("2021-06-12"), _d("2021-06-14")),
            (_d("2021-09-19"), _d("2021-09-21")),
            (_d("2021-10-01"), _d("2021-10-07")),
        ),
        _days("2021-02-07", "2021-02-20", "2021-04-25", "2021-05-08", "2021-09-18", "2021-09-26", "2021-10-09"),
    ),
    2022: HolidayArrangement(
        "国办发明电〔2021〕11号",
        (
            (_d("2022-01-01"), _d("2022-01-03")),
            (_d("2022-01-31"), _d("2022-02-06")),
            (_d("2022-04-03"), _d("2022-04-05")),
            (_d("2022-04-30"), _d("2022-05-04")),
            (_d("2022-06-03"), _d("2022-06-05")),
            (_d("2022-09-10"), _d("2022-09-12")),
            (_d("2022-10-01"), _d("2022-10-07")),
        ),
        _days("2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24", "2022-05-07", "2022-10-08", "2022-10-09"),
    ),
    # The notice's New Year holiday began on Saturday 31 December 2022, a day off as any Saturday.
    2023: HolidayArrangement(
        "国办发明电〔2022〕16号",
        (
            (_d("2023-01-01"), _d("2023-01-02")),
            (_d("2023-01-21"), _d("2023-01-27")),
            (_d("2023-04-05"), _d("2023-04-05")),
            (_d("2023-04-29"), _d("2023-05-03")),
            (_d("2023-06-22"), _d("2023-06-24")),
            (_d("2023-09-29"), _d("2023-10-06")),
        ),
        _days("2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08"),
    ),
    2024: HolidayArrangement(
        "国办发明电〔2023〕7号",
        (
            (_d("2024-01-01"), _d("2024-01-01")),
            (_d("2024-02-10"), _d("2024-02-17")),
            (_d("2024-04-04"), _d("2024-04-06")),
            (_d("2024-05-01"), _d("2024-05-05")),
            (_d("2024-06-10"), _d("2024-06-10")),
            (_d("2024-09-15"), _d("2024-09-17")),
            (_d("2024-10-01"), _d("2024-10-07")),
        ),
        _days(
            "2024-02-04",
            "2024-02-18",
            "2024-04-07",
            "2024-04-28",
            "2024-05-11",
            "2024-09-14",
            "2024-09-29",
            "2024-10-12",
        ),
    ),
    2025: HolidayArrangement(
        "国办发明电〔2024〕12号",
        (
            (_d("2025-01-01"), _d("2025-01-01")),
            (_d("2025-01-28"), _d("2025-02-04")),
            (_d("2025-04-04"), _d("2025-04-06")),
            (_d("2025-05-01"), _d("2025-05-05")),
            (_d("2025-05-31"), _d("2025-06-02")),
            (_d("2025-10-01"), _d("2025-10-08")),
        ),
        _days("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"),
    ),
    2026: HolidayArrangement(
        "国务院办公厅2025年11月4日通知",
        (
            (_d("2026-01-01"), _d("2026-01-03")),
            (_d("2026-02-15"), _d("2026-02-23")),
            (_d("2026-04-04"), _d("2026-04-06")),
            (_d("2026-05-01"), _d("2026-05-05")),
            (_d("2026-06-19"), _d("2026-06-21")),
            (_d("2026-09-25"), _d("2026-09-27")),
            (_d("2026-10-01"), _d("2026-10-07")),
        ),
        _days("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"),
    ),
}

DAYS_OFF = frozenset(
    first + timedelta(days=n)
    for arrangement in ARRANGEMENTS.values()
    for first, last in arrangement.days_off
    for n in range((last - first).days + 1)
)
MAKE_UP_WORKING_DAYS = frozenset(day for a in ARRANGEMENTS.values() for day in a.make_up_working_days)


def arranged_years() -> tuple[int, ...]:
    """The years whose official arrangement is declared here."""
    return tuple(sorted(ARRANGEMENTS))


# The statutory holidays of fixed date (month, day): 元旦 1 January, 劳动节 1–2 May, 国庆节 1–3 October (in force from
# 2025; every year before it has its notice above). Counted off in a year without a notice.
FIXED_DATE_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
FIXED_DATE_HOLIDAY_NAMES = "元旦、劳动节、国庆节"


def is_working_day(day: date) -> bool:
    """A working day: a weekend make-up working day, or Monday to Friday unless an official day off (in a year without
    a notice, a statutory holiday of fixed date)."""
    if day in MAKE_UP_WORKING_DAYS:
        return True
    if day.year not in ARRANGEMENTS and (day.month, day.day) in FIXED_DATE_HOLIDAYS:
        return False
    return day.weekday() < 5 and day not in DAYS_OFF
