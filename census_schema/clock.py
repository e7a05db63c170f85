"""The platform's clock: people read times and days in Beijing time, whatever time zone the server keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def to_beijing(value: datetime | str) -> datetime:
    """A warehouse timestamp (naive UTC, aware, or its ISO text) in Beijing time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING)


def format_beijing(value: datetime | str) -> str:
    """A moment as people in China read it: 2026年12月4日 10:56（北京时间）."""
    moment = to_beijing(value)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}（北京时间）"


def beijing_today() -> date:
    """Today in Beijing (a server kept in UTC is still on the day before from 00:00 to 08:00 Beijing time)."""
    return datetime.now(BEIJING).date()
