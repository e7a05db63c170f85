"""The entry points: every failure of a parsed return (one sheet) or workbook (its sheets and the rules across them)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from census_schema.failures import Failure, in_workbook_order
from census_schema.fields import Form, WorkbookForm
from checks.cells import failures_at
from checks.context import CheckContext
from checks.kinds import PARSER_KINDS, applicable_rules, require_executors
from checks.row_rules import ROW_RULE_KINDS, ROW_RULES, run_row_rules, scope_detail
from checks.suite import EXECUTORS, GX_KINDS, run_suite
from checks.workbook_rules import WORKBOOK_RULE_KINDS, WORKBOOK_RULES, run_workbook_rules

__all__ = [
    "GX_KINDS",
    "PARSER_KINDS",
    "ROW_RULE_KINDS",
    "WORKBOOK_RULE_KINDS",
    "validate_return",
    "validate_rules",
    "validate_workbook",
]


def _readable(failures: Sequence[Failure], parse_failures: Sequence[Failure]) -> list[Failure]:
    """The failures not on a cell the parser could not read (one message per unreadable cell)."""
    unreadable = {(f.sheet, f.row, f.field) for f in parse_failures if f.field is not None}
    return [f for f in failures if (f.sheet, f.row, f.field) not in unreadable]


def validate_return(
    form: Form,
    rows: pl.DataFrame,
    context: CheckContext,
    *,
    parse_failures: Sequence[Failure] = (),
    data_docs_dir: Path | None = None,
    results_dir: Path | None = None,
) -> list[Failure]:
    """Parse failures plus the failures of every rule of the form, one message per unreadable cell, errors first.

    Workbook rules (across sheets, against the warehouse) are not run here: see `validate_workbook`. GX's results
    are kept in results_dir for Data Docs built on demand; data_docs_dir builds them during the validation (slow).
    """
    require_executors(form, EXECUTORS)
    suite_failures = run_suite(form, rows, context, data_docs_dir=data_docs_dir, results_dir=results_dir)
    checked = [*_naming_own_division(form, suite_failures, context), *run_row_rules(form, rows, context)]
    return in_workbook_order([*parse_failures, *_readable(checked, parse_failures)], [form])


# The suite's kinds on a holder's division code (none that is current, one of another province): their messages go
# on to name the return's own scope and code, the code a mistyped one most often meant.
OWN_DIVISION_NAMED_KINDS = frozenset({"division_current", "division_in_province"})


def _naming_own_division(form: Form, failures: Sequence[Failure], context: CheckContext) -> list[Failure]:
    """The failures, those of a bad division code in a province's, prefecture's or county's return naming its own."""
    if context.scope is None or context.scope.is_central:
        return list(failures)
    named = {rule.rule_id for rule in form.rules if rule.kind in OWN_DIVISION_NAMED_KINDS}
    detail = scope_detail(context)
    return [replace(f, message=f.message + detail) if f.rule in named else f for f in failures]


def validate_workbook(
    book: WorkbookForm,
    sheets: Mapping[str, pl.DataFrame],
    context: CheckContext,
    *,
    parse_failures: Sequence[Failure] = (),
    data_docs_dir: Path | None = None,
    results_dir: Path | None = None,
) -> list[Failure]:
    """Every failure of a parsed workbook: each sheet's own rules, then the rules across sheets, errors first."""
    failures: list[Failure] = []
    for form in book.sheets:
        own = [f for f in parse_failures if f.sheet == form.sheet_name]
        failures += validate_return(
            form,
            sheets[form.sheet_name],
            context,
            parse_failures=own,
            data_docs_dir=data_docs_dir,
            results_dir=results_dir,
        )
    failures += _readable(run_workbook_rules(book, sheets, context), parse_failures)
    return in_workbook_order(_once_per_mistyped_key(book, failures), book.sheets)


# The kinds that find a key (a holder's USCC) mistyped, and those that look it up elsewhere (the register, the other
# sheet): a mistyped key is said once, where it is, not again as missing from the register or the other sheet.
_KEY_SHAPE_KINDS = frozenset({"pattern", "uscc_check_digit", "uscc_structure"})
_KEY_LOOKUP_KINDS = frozenset({"not_in_register", "key_in_sheet"})


def _once_per_mistyped_key(book: WorkbookForm, failures: list[Failure]) -> list[Failure]:
    """The failures without the lookups of a key its own row already reports as mistyped."""
    rules = {rule.rule_id: rule for form in book.sheets for rule in form.rules}
    mistyped = {
        (f.sheet, f.row, f.field) for f in failures if f.rule in rules and rules[f.rule].kind in _KEY_SHAPE_KINDS
    }

    def looks_up_mistyped(f: Failure) -> bool:
        rule = rules.get(f.rule)
        if rule is None or rule.kind not in _KEY_LOOKUP_KINDS:
            return False
        return (f.sheet, f.row, rule.params.get("key", rule.field)) in mistyped

    return [f for f in failures if not looks_up_mistyped(f)]


def validate_rules(form: Form, rows: pl.DataFrame, context: CheckContext, rule_ids: Collection[str]) -> list[Failure]:
    """The failures of some of a form's row and workbook rules on its rows, errors first: a loaded return's warnings
    against the register, judged again when the register changes after the return was loaded."""
    failures: list[Failure] = []
    for rule in applicable_rules(form):
        if rule.rule_id not in rule_ids:
            continue
        if rule.kind in ROW_RULES:
            mask = ROW_RULES[rule.kind](rule, form, context)
            if mask is not None:
                failing = rows.select(mask.fill_null(False)).to_series().arg_true()
                failures += failures_at(form, rows, rule, failing)
        elif rule.kind in WORKBOOK_RULES:
            failures += WORKBOOK_RULES[rule.kind]([rule], form, {form.sheet_name: rows}, context)
        else:
            raise ValueError(f"rule {rule.rule_id} ({rule.kind}) is not a row or workbook rule")
    return in_workbook_order(failures, [form])
