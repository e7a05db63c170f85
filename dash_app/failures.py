"""What a validation found, as the upload page and the submissions page list it (one grid, one shape of row)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from census_schema.forms import WORKBOOKS
from census_schema.rule_titles import RULE_KIND_TITLES, UNKNOWN_RULE_TITLE, rule_title
from dash_app.formatting import SEVERITY_LABELS
from dash_app.grid import Column

# Every title a failure's rule can show, and the widest row number (a worksheet's last).
RULE_TITLES = (*RULE_KIND_TITLES.values(), UNKNOWN_RULE_TITLE)
EXCEL_MAX_ROW = str(1_048_576)  # the widest row number, written without separators
# The sheets of every workbook uploaded, at every version (a name the uploader gave a sheet of their own wraps).
UPLOADED_SHEETS = tuple(dict.fromkeys(form.sheet_name for book in WORKBOOKS.values() for form in book.sheets))
# Sized to what they can hold (fit_width), not to the rows first drawn: the grid is drawn hidden, before an upload's
# answer, and AG Grid measured its cells at no width (a probe saw every column but 说明 cut to one character). The
# row, column and value to correct beside the rule and its explanation; names, values and explanations wrap.
FAILURE_COLUMNS = [
    Column("severity", "严重程度", fits=tuple(SEVERITY_LABELS.values())),
    Column("sheet", "工作表", fits=UPLOADED_SHEETS, lines=2),
    Column("row", "行号", "row", fits=(EXCEL_MAX_ROW,)),
    Column("label", "列名", wrap=True, wrap_width=112),
    Column("value", "填报值", wrap=True, wrap_width=190),
    Column("rule_title", "问题", fits=RULE_TITLES, lines=2),
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
