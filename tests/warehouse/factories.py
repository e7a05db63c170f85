"""Frames, submissions and failures built from the schema's field list, for warehouse tests."""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import polars as pl

from census_schema.census_form import ROUND_ID
from census_schema.failures import Failure
from census_schema.fields import FieldType, Severity
from census_schema.forms import get_form, get_workbook_form
from census_schema.scopes import Scope
from census_schema.uscc import compute_uscc_check_char
from warehouse.loads import NewSubmission, record_submission


def make_uscc(n: int, prefix: str = "12440000") -> str:
    """A valid 18-character USCC numbered n."""
    first17 = f"{prefix}{n:09d}"
    return first17 + compute_uscc_check_char(first17)


def _default(field_type: FieldType) -> Any:
    return {FieldType.INTEGER: 0, FieldType.DECIMAL: 0.0}.get(field_type, "x")


def make_rows(kind: str, holders: list[dict[str, Any]], sheet: str | None = None) -> pl.DataFrame:
    """A frame as a flow hands it to the warehouse: every field of the form, typed, plus sheet and excel_row."""
    form = get_form(kind)
    records = []
    for i, holder in enumerate(holders):
        record = {f.name: _default(f.type) for f in form.fields}
        record.update(uscc=make_uscc(i + 1), unit_name=f"单位{i + 1}", division_code="440106")
        record.update(holder)
        record.update(sheet=sheet or form.sheet_name, excel_row=i + 3)
        records.append(record)
    schema = {f.name: f.polars_dtype for f in form.fields} | {
        "sheet": pl.Utf8,
        "excel_row": pl.Int64,
    }
    return pl.DataFrame(records, schema=schema)


def make_submission(
    kind: str = "census",
    province_code: str = "440000",
    *,
    status: str = "accepted",
    round_id: str = ROUND_ID,
    content: str = "file",
    row_count: int = 0,
    error_count: int = 0,
    warning_count: int = 0,
    scope: Scope | None = None,
) -> NewSubmission:
    """A NewSubmission whose sha256 is that of `content` (for the whole province, unless a scope is given)."""
    return NewSubmission(
        kind=kind,  # type: ignore[arg-type]
        province_code=province_code if scope is None else scope.province_code,
        round_id=round_id,
        form_version=get_workbook_form(kind).version,
        file_name=f"{kind}-{province_code}.xlsx",
        file_sha256=hashlib.sha256(content.encode()).hexdigest(),
        file_bytes=len(content),
        submitted_by="tester",
        status=status,  # type: ignore[arg-type]
        row_count=row_count,
        error_count=error_count,
        warning_count=warning_count,
        scope=scope,
    )


def make_failure(row: int = 3, severity: Severity = Severity.WARNING, rule: str = "uscc_not_in_register") -> Failure:
    """One located failure."""
    return Failure("普查表", row, "uscc", "统一社会信用代码", "X", rule, severity, "说明")


def load(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    province_code: str,
    holders: list[dict[str, Any]],
    *,
    round_id: str = ROUND_ID,
    content: str | None = None,
    scope: Scope | None = None,
) -> str:
    """Record an accepted submission of these holders (for the whole province, or a scope); returns its id."""
    submission = make_submission(
        kind,
        province_code,
        round_id=round_id,
        content=content or f"{kind}{province_code}{scope}{round_id}{holders}",
        row_count=len(holders),
        scope=scope,
    )
    return record_submission(con, submission, make_rows(kind, holders), [])


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in a table or view (test helper: the name is a literal of the test)."""
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])
