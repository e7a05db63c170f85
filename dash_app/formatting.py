"""Numbers and labels as the pages show them."""

from __future__ import annotations

from typing import Any


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
