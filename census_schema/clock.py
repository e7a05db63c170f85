"""The platform's clock: people read times and days in Beijing time, whatever time zone the server keeps."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")
# How a day typed by a person is read, in a workbook's cell and a command's option alike: 2024-03-05, 2024-3-5,
# 2024/3/5, 2024.3.5, 2024年3月5日 or 20240305 (full-width digits too) all become year-month-day. The patterns are
# applied in this order; the replacements are written for polars and, with `_python`, for Python's re.
# 2023年3月5号 too (号 is how a day is often said and typed; it was refused with the generic date message).
DAY_PATTERNS = ((r"^(\d{4})(\d{2})(\d{2})$", "${1}-${2}-${3}"), (r"[年月/.]", "-"), (r"[日号]$", ""))


def to_beijing(value: datetime | str) -> datetime:
    """A warehouse timestamp (naive UTC, aware, or its ISO text) in Beijing time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING)


def is_day_only(moment: datetime) -> bool:
    """Whether a warehouse time stands for a day alone (an action dated by its day, as an uploaded 整改进展 row is: the
    day's first moment, naive), not a moment recorded in UTC."""
    return moment.tzinfo is None and moment.time() == time.min


def format_beijing(value: datetime | str) -> str:
    """A moment as people in China read it: 2026年12月4日 10:56（北京时间）."""
    moment = to_beijing(value)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}（北京时间）"


def beijing_today() -> date:
    """Today in Beijing (a server kept in UTC is still on the day before from 00:00 to 08:00 Beijing time)."""
    return datetime.now(BEIJING).date()


def _python(replacement: str) -> str:
    return re.sub(r"\$\{(\d)\}", r"\\\1", replacement)


def missing_day(typed: str) -> str | None:
    """Why a year-month-day read from DAY_PATTERNS names no day of the calendar (2025-2-30: 2025年2月只有 28 天), or
    None when it does or is not of that shape."""
    found = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", typed)
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    if not 1 <= month <= 12:
        return f"没有 {month} 月（月份为 1 至 12）"
    last = calendar.monthrange(year, month)[1]
    return None if 1 <= day <= last else f"{year}年{month}月只有 {last} 天"


class MissingDay(ValueError):
    """A typed day of the right shape that the calendar does not have; its text says why, in Chinese."""


def read_typed_day(text: str) -> date:
    """A day as a person types it (see DAY_PATTERNS); ValueError when it is not one, MissingDay when the calendar does
    not have it."""
    typed = unicodedata.normalize("NFKC", text).strip()
    for pattern, replacement in DAY_PATTERNS:
        typed = re.sub(pattern, _python(replacement), typed)
    parts = typed.split("-")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts) or len(parts[0]) != 4:
        raise ValueError(f"not a day: {text!r}")
    if (why := missing_day(typed)) is not None:
        raise MissingDay(why)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))
