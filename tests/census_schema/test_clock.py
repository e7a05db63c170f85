"""The platform's day is Beijing's, whatever time zone the server keeps: deadlines turn overdue, and 报出日期 may be
today, on the day people in China live in (a server in UTC was a day behind from 00:00 to 08:00 Beijing time)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from census_schema.clock import BEIJING, to_beijing
from census_schema.settings import Settings


# Between them, at any moment, one of these zones is on another day than Beijing: UTC-12 from 16:00 to 12:00 UTC,
# UTC+14 from 10:00 to 16:00 UTC.
@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Etc/GMT-14"])
def test_today_is_beijing_s_day_whatever_the_server_s_time_zone(monkeypatch, zone):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert Settings(db_path=Path("w.duckdb")).today() == datetime.now(BEIJING).date()
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_day_given_is_kept():
    assert Settings(db_path=Path("w.duckdb"), as_of=date(2025, 6, 30)).today() == date(2025, 6, 30)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (datetime(2025, 6, 30, 16, 30), "2025-07-01 00:30"),  # naive: the warehouse's UTC
        (datetime(2025, 6, 30, 16, 30, tzinfo=UTC), "2025-07-01 00:30"),
        ("2025-06-30T16:30:00", "2025-07-01 00:30"),
    ],
)
def test_stored_times_are_shown_in_beijing_time(stored, shown):
    assert f"{to_beijing(stored):%Y-%m-%d %H:%M}" == shown
