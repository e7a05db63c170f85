"""Sheets of the supervision workbooks as an accepted upload hands them to the warehouse, from dicts of fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from census_schema.fields import Form


def sheet_frame(form: Form, rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """A typed frame of a form's sheet: every field (missing ones empty), plus sheet and excel_row from row 3."""
    schema = {f.name: f.polars_dtype for f in form.fields} | {"sheet": pl.Utf8, "excel_row": pl.Int64}
    records = [
        {**{f.name: None for f in form.fields}, **row, "sheet": form.sheet_name, "excel_row": 3 + i}
        for i, row in enumerate(rows)
    ]
    return pl.DataFrame(records, schema=schema)
