"""What a validation found, as the upload page and the submissions page list it (one grid, one shape of row)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from census_schema.rule_titles import rule_title
from dash_app.formatting import SEVERITY_LABELS
from dash_app.grid import Column

FAILURE_COLUMNS = [
    Column("severity", "严重程度"),
    Column("sheet", "工作表"),
    Column("row", "行号", "row"),
    Column("label", "列名"),
    # A cell may hold a long text: one line of at most 240 px, the whole of it on hover (it pushed 问题 and 说明 off
    # the screen; at 240 px all seven columns fit a 1366-pixel screen).
    Column("value", "填报值", clip=True, clip_width=240),
    Column("rule_title", "问题"),
    Column("message", "说明", wrap=True),
]


def failure_rows(failures: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Failures (as `Failure.to_json` gives them) as the grid's rows: severity and rule named in Chinese; a row is
    told by its place in the list (two can share a sheet, row, field and rule: two columns the form does not have,
    both on the header row)."""
    return [
        {
            **f,
            "severity": SEVERITY_LABELS.get(f["severity"], f["severity"]),
            "rule_title": rule_title(f["rule"]),
            "key": str(number),
        }
        for number, f in enumerate(failures)
    ]
