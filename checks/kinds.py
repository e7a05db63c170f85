"""Which part of the platform executes each rule kind, and which rules of a form apply to it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from census_schema.census_form import CELL_RULES
from census_schema.fields import Form, Rule

# Kinds the parser checks while it reads the sheets; checks only keep their failures (one message per cell).
PARSER_KINDS = frozenset({"integer", "decimal", "date", *(rule.kind for rule in CELL_RULES)})

# Rule parameters that name one field, and those that name several (tuples, or a mapping keyed by field).
_FIELD_PARAMS = ("other", "uscc_field", "division_field", "total", "when_field", "key")
_FIELDS_PARAMS = ("staff", "holdings", "parts", "total_parts", "limit", "when_fields", "fields", "weights")


class RuleNotExecutable(LookupError):
    """A rule of a form whose kind no part of the platform executes, or that several would execute."""

    def __init__(self, form: Form, rule: Rule, problem: str) -> None:
        super().__init__(f"form {form.kind} {form.version}, rule {rule.rule_id} (kind {rule.kind!r}): {problem}")
        self.form_kind, self.form_version, self.rule_id, self.kind = form.kind, form.version, rule.rule_id, rule.kind


def referenced_fields(rule: Rule) -> tuple[str, ...]:
    """Every field a rule reads: the field it marks, then those its parameters name."""
    names = [rule.field] if rule.field is not None else []
    for key in _FIELD_PARAMS:
        if key in rule.params:
            names.append(rule.params[key])
    for key in _FIELDS_PARAMS:
        if key in rule.params:
            names.extend(rule.params[key])  # a tuple of names, or a mapping keyed by name
    return tuple(dict.fromkeys(names))


def compared_fields(forms: Iterable[Form]) -> dict[tuple[str, str], tuple[str, ...]]:
    """For each rule of the forms that reads fields besides the one it marks: (sheet, rule id) -> those fields (a
    return's report marks them too, so that a total and its parts, or two dates, show which cells disagree)."""
    return {
        (form.sheet_name, rule.rule_id): others
        for form in forms
        for rule in applicable_rules(form)
        if (others := tuple(name for name in referenced_fields(rule) if name != rule.field))
    }


def applicable_rules(form: Form) -> tuple[Rule, ...]:
    """The rules of a form that read only fields the form has.

    A rule shared between forms applies where its fields exist (the register has no 单位性质, so the 单位性质/USCC
    rule does not apply to it). tests/checks lists every rule this leaves out, form by form, so a misspelt field
    name cannot hide here.
    """
    names = set(form.field_names)
    return tuple(rule for rule in form.rules if all(name in names for name in referenced_fields(rule)))


def require_executors(form: Form, executors: Mapping[str, Iterable[str]]) -> None:
    """Raise RuleNotExecutable unless every rule kind of the form has exactly one executor."""
    owners: dict[str, list[str]] = {}
    for owner, kinds in executors.items():
        for kind in kinds:
            owners.setdefault(kind, []).append(owner)
    for rule in form.rules:
        found = owners.get(rule.kind, [])
        if len(found) != 1:
            problem = "no executor" if not found else f"several executors ({', '.join(found)})"
            raise RuleNotExecutable(form, rule, f"{problem}; executed kinds: {', '.join(sorted(owners))}")
