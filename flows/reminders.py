"""The daily reminders step: compute and store the day's reminders in one write (the flow schedules it)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from warehouse.backends import Warehouse
from warehouse.reminders import refresh_reminders


def write_daily_reminders(store: Warehouse, as_of: date) -> dict[str, Any]:
    """Store the reminders of `as_of`; how many of each kind."""
    reminders = store.write(lambda con: refresh_reminders(con, as_of))
    return {"as_of": as_of.isoformat(), "total": len(reminders), "by_kind": dict(Counter(r["kind"] for r in reminders))}
