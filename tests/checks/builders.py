"""Parsed-return frames for check tests: the valid holders of `synthetic.holders`, typed as the parser delivers them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from census_schema.fields import Form
from synthetic.holders import BASE_ROWS, make_uscc

SHEET = "普查表"
PROVINCE = "440000"


def with_wrong_check_char(code: str) -> str:
    """The code with a check character of the right charset that is not the correct one."""
    wrong = "0" if code[17] != "0" else "1"
    return code[:17] + wrong


def frame_schema(form: Form) -> dict[str, Any]:
    """The polars schema the parser delivers for a form."""
    fields = {f.name: f.polars_dtype for f in form.fields}
    return {**fields, "excel_row": pl.Int64, "sheet": pl.Utf8}


def build_rows(
    form: Form,
    overrides: Iterable[Mapping[str, Any]],
    *,
    excel_rows: Sequence[int] | None = None,
    sheet: str = SHEET,
) -> pl.DataFrame:
    """A parsed-return frame: the form's base row updated by each mapping, at the given Excel rows (default 3, 4, …).

    Each row is its own holder: rows after the first get a USCC of their own unless their mapping names one.
    """
    rows = [
        {**BASE_ROWS[form.kind], **({"uscc": make_uscc(10_000 + i)} if i else {}), **changes}
        for i, changes in enumerate(overrides)
    ]
    numbers = list(excel_rows) if excel_rows is not None else list(range(3, 3 + len(rows)))
    records = [{**row, "excel_row": number, "sheet": sheet} for row, number in zip(rows, numbers, strict=True)]
    return pl.DataFrame(records, schema=frame_schema(form))
