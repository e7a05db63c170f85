"""The entry point: every failure of a parsed return, from the parser, the GX suite and the row rules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from census_schema.failures import Failure
from census_schema.fields import Form
from checks.context import CheckContext
from checks.kinds import PARSER_KINDS, require_executors
from checks.row_rules import ROW_RULE_KINDS, run_row_rules
from checks.suite import EXECUTORS, GX_KINDS, run_suite

__all__ = ["GX_KINDS", "PARSER_KINDS", "ROW_RULE_KINDS", "validate_return"]


def validate_return(
    form: Form,
    rows: pl.DataFrame,
    context: CheckContext,
    *,
    parse_failures: Sequence[Failure] = (),
    data_docs_dir: Path | None = None,
) -> list[Failure]:
    """Parse failures plus the failures of every rule of the form, one message per unreadable cell, errors first."""
    require_executors(form, EXECUTORS)
    unreadable = {(f.sheet, f.row, f.field) for f in parse_failures if f.field is not None}
    checked = [
        *run_suite(form, rows, context, data_docs_dir=data_docs_dir),
        *run_row_rules(form, rows, context),
    ]
    kept = [f for f in checked if (f.sheet, f.row, f.field) not in unreadable]
    return sorted([*parse_failures, *kept], key=lambda f: f.sort_key)
