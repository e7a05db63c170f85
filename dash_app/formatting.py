"""Numbers and labels as the pages show them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from census_schema.divisions import load_divisions


def format_count(value: Any) -> str:
    """An integer with thousands separators; large ones in 万 or 亿."""
    number = float(value or 0)
    if abs(number) >= 1e8:
        return f"{number / 1e8:,.2f} 亿"
    if abs(number) >= 1e4:
        return f"{number / 1e4:,.1f} 万"
    return f"{number:,.0f}"


def share_pct(part: Any, whole: Any) -> float | None:
    """part / whole in percent, None without a whole."""
    return round(100.0 * float(part or 0) / float(whole), 2) if whole else None


def division_name(code: str | None) -> str:
    """The name of a division, '全国' for None."""
    if code is None:
        return "全国"
    divisions = load_divisions().by_code
    return divisions[code].name if code in divisions else code


# The warehouse stores naive UTC; people here read Beijing time.
BEIJING = timezone(timedelta(hours=8), "北京时间")


def to_beijing(value: datetime | str) -> datetime:
    """A warehouse timestamp (naive UTC, aware, or its ISO text) in Beijing time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING)


def format_date(value: date | str | None) -> str:
    """A date as people write it: 2025年6月30日."""
    if value is None or value == "":
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


def format_datetime(value: datetime | str | None) -> str:
    """A warehouse timestamp as people write it, in Beijing time to the minute: 2026年11月30日 10:17."""
    if value is None or value == "":
        return ""
    moment = to_beijing(value)
    return f"{format_date(moment.date())} {moment:%H:%M}"
