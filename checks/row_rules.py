"""The rule kinds GX does not express well, as polars expressions: one executor per kind, in a registry.

An executor turns a rule into a boolean expression that is true on the rows that break it, or None when the
context lacks what the rule needs. A null cell never fails here: it is either a missing value (the `required`
rule reports it) or a value the parser could not read (the parser reports it).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache, reduce

import polars as pl

from census_schema.codes import USCC_PREFIX_NATURE
from census_schema.failures import Failure
from census_schema.fields import Form, Rule
from census_schema.scopes import CENTRAL_ADMIN_LEVEL, CENTRAL_HOLDER_TYPES, ScopeKind, rule_kind_applies
from census_schema.uscc import USCC_CHARSET, USCC_PATTERN, USCC_PREFIXES, USCC_WEIGHTS
from checks.cells import failures_at, naming_repeated_rows, require_columns, sum_of_fields
from checks.context import CheckContext
from checks.kinds import applicable_rules

RowRule = Callable[[Rule, Form, CheckContext], pl.Expr | None]


def _field_name(rule: Rule) -> str:
    if rule.field is None:
        raise ValueError(f"rule {rule.rule_id} ({rule.kind}) needs a field")
    return rule.field


def _field(rule: Rule) -> pl.Expr:
    return pl.col(_field_name(rule))


def _weighted_sum(weights: Mapping[str, float]) -> pl.Expr:
    """The weighted sum of fields; null when any of them is null."""
    return reduce(operator.add, [pl.col(name) * weight for name, weight in weights.items()])


def _code_values(form: Form, rule: Rule) -> list[str]:
    code_list = form.field(_field_name(rule)).code_list
    if code_list is None:
        raise ValueError(f"rule {rule.rule_id} ({rule.kind}) needs a coded field")
    return list(code_list.values)


def uscc_check_char(code: pl.Expr) -> pl.Expr:
    """The GB 32100 check character of each code's first 17 symbols (null where one is outside the charset).

    The same weighted sum modulo 31 as census_schema.uscc.compute_uscc_check_char, as one polars expression (a test
    compares the two): per code in Python it was ~1 s per 100,000 rows.
    """
    values = {ch: i for i, ch in enumerate(USCC_CHARSET)}
    total = reduce(
        operator.add,
        [
            code.str.slice(i, 1).replace_strict(values, default=None, return_dtype=pl.Int64) * weight
            for i, weight in enumerate(USCC_WEIGHTS)
        ],
    )
    chars = dict(enumerate(USCC_CHARSET))
    return ((31 - total % 31) % 31).replace_strict(chars, default=None, return_dtype=pl.Utf8)


def check_uscc_structure(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """Codes of the right charset and length whose positions 1-2 are not a registration authority and organisation
    type of GB 32100, or whose positions 3-8 are not six digits (census_schema.uscc.has_uscc_structure, as one
    polars expression; a test compares the two)."""
    code = _field(rule)
    structured = code.str.slice(0, 2).is_in(sorted(USCC_PREFIXES)) & code.str.slice(2, 6).str.contains(r"^\d{6}$")
    return code.str.contains(USCC_PATTERN) & ~structured


def check_uscc_digit(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """Codes of the right charset and length whose check character is wrong (a bad shape is the pattern rule's)."""
    code = _field(rule)
    return code.str.contains(USCC_PATTERN) & (code.str.slice(17, 1) != uscc_check_char(code))


def check_not_equal(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell equals another field of the row."""
    return _field(rule) == pl.col(rule.param("other"))


def check_matches_name_of_code(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """A name given beside a code (spaces aside) that is not the name the code stands for; an unknown code is the
    code's own rule's to report."""
    names: Mapping[str, str] = rule.param("names")
    expected = pl.col(rule.param("key")).replace_strict(dict(names), default=None, return_dtype=pl.String)
    return expected.is_not_null() & (_field(rule).str.replace_all(r"\s", "") != expected)


def check_uscc_nature(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """A listed unit nature that differs from the one the USCC's characters 1-2 imply."""
    nature = _field(rule)
    implied = pl.col(rule.param("uscc_field")).str.slice(0, 2).replace_strict(USCC_PREFIX_NATURE, default=None)
    return nature.is_in(_code_values(form, rule)) & implied.is_not_null() & (nature != implied)


@cache
def _fitting_pairs(allowed: tuple[tuple[str, tuple[str, ...]], ...]) -> pl.Series:
    return pl.Series([f"{code}|{admin}" for code, admins in allowed for admin in admins], dtype=pl.Utf8)


def check_division_level(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """A listed administrative level that does not fit the row's division (its level, a sub-provincial city, a Corps
    city, a central return)."""
    admin_level = _field(rule)
    division = pl.col(rule.param("division_field"))
    known = pl.Series(list(context.division_admin_levels), dtype=pl.Utf8)
    fitting = _fitting_pairs(tuple(sorted(context.division_admin_levels.items())))
    pair = pl.concat_str([division, admin_level], separator="|")
    return admin_level.is_in(_code_values(form, rule)) & division.is_in(known) & ~pair.is_in(fitting)


def check_staff_with_holdings(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """Every staff count is 0 while the holdings are positive."""
    no_staff = reduce(operator.and_, [pl.col(f) == 0 for f in rule.param("staff")])
    return no_staff & (sum_of_fields(rule.param("holdings")) > 0)


def check_share_at_most(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell is more than a share of a positive total."""
    total = pl.col(rule.param("total"))
    return (total > 0) & (_field(rule) > total * rule.param("share"))


def check_ratio_between(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell divided by a weighted sum of fields lies outside [low, high]. Where that sum is 0 the range is [0, 0]
    with `zero_base_flags` (a positive cell is outside it), else the rule is skipped (another rule speaks of it)."""
    denominator = _weighted_sum(rule.param("weights"))
    ratio = _field(rule) / denominator
    outside = (denominator > 0) & ((ratio < rule.param("low")) | (ratio > rule.param("high")))
    if rule.params.get("zero_base_flags"):
        return outside | ((denominator == 0) & (_field(rule) > 0))
    return outside


def check_filled_when(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell is empty on a row whose when_field is one of when_values, or filled on another row."""
    return _field(rule).is_null() == _when(rule)


def _when(rule: Rule) -> pl.Expr:
    """True on rows whose when_field is one of the rule's when_values."""
    values = pl.Series(list(rule.param("when_values")), dtype=pl.Utf8)
    return pl.col(rule.param("when_field")).is_in(values).fill_null(False)


def check_empty_when(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell is filled on a row whose when_field is one of when_values (it must stay empty there)."""
    return _field(rule).is_not_null() & _when(rule)


def check_fraction_when(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The number lies strictly between 0 and 1 on a row whose when_field is one of when_values (a share in per cent
    typed as a fraction)."""
    return (_field(rule) > 0) & (_field(rule) < 1) & _when(rule)


def check_whole_when(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The number has a fractional part on a row whose when_field is one of when_values (a count of archives)."""
    return (_field(rule) != _field(rule).floor()) & _when(rule)


def check_zero_together(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """Exactly one of the cell and another field is 0."""
    return (_field(rule) == 0) != (pl.col(rule.param("other")) == 0)


def check_filled_together(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell is empty while another of a group of fields (`fields`, given all together or not at all) is filled
    (the empty cell is the one to fill; an unreadable one has the parser's message instead)."""
    others = [pl.col(name).is_not_null() for name in rule.param("fields") if name != rule.field]
    return _field(rule).is_null() & reduce(operator.or_, others)


def check_division_in_scope(rule: Rule, form: Form, context: CheckContext) -> pl.Expr | None:
    """A current division of the uploading province that lies outside the return's prefecture or county (codes of
    other provinces and unknown codes have rules of their own)."""
    scope = context.scope
    if scope is None or scope.kind not in (ScopeKind.PREFECTURE, ScopeKind.COUNTY):
        return None
    prefix = scope.code[:2]
    in_province = [code for code in context.valid_division_codes if code[:2] == prefix]
    inside = [code for code in in_province if scope.contains_division(code)]
    code = _field(rule)
    return code.is_in(pl.Series(in_province, dtype=pl.Utf8)) & ~code.is_in(pl.Series(inside, dtype=pl.Utf8))


def check_admin_level_in_scope(rule: Rule, form: Form, context: CheckContext) -> pl.Expr | None:
    """A central unit (行政层级 中央) in a local return, or a local one in a central channel's return."""
    if context.scope is None:
        return None
    level = _field(rule)
    if context.scope.is_central:
        return level.is_in(pl.Series(_code_values(form, rule), dtype=pl.Utf8)) & (level != CENTRAL_ADMIN_LEVEL)
    return level == CENTRAL_ADMIN_LEVEL


def check_holder_type_in_channel(rule: Rule, form: Form, context: CheckContext) -> pl.Expr | None:
    """A central channel's return listing a 普查对象类型 that another channel reports; other returns pass."""
    if context.scope is None or not rule_kind_applies(rule.kind, context.scope):
        return None
    kind = _field(rule)  # a type not in the code list at all is in_list's to say
    known = pl.Series(_code_values(form, rule), dtype=pl.Utf8)
    return kind.is_in(known) & ~kind.is_in(pl.Series(CENTRAL_HOLDER_TYPES[context.scope.code], dtype=pl.Utf8))


def check_not_in_register(rule: Rule, form: Form, context: CheckContext) -> pl.Expr | None:
    """The code is absent from the province's register of expected holders."""
    if context.register_usccs is None:
        return None
    code = _field(rule)
    return code.is_not_null() & ~code.is_in(pl.Series(list(context.register_usccs), dtype=pl.Utf8))


def check_not_after_today(rule: Rule, form: Form, context: CheckContext) -> pl.Expr | None:
    """The cell (the date of something that has happened) is later than the day of upload; skipped without one."""
    if context.today is None:
        return None
    return _field(rule) > pl.lit(context.today)


def check_date_on_or_after(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell (a date) is earlier than a fixed day (`date`, ISO)."""
    return _field(rule) < pl.lit(date.fromisoformat(rule.param("date")))


def check_not_before(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell (a date) is earlier than another field of the row."""
    return _field(rule) < pl.col(rule.param("other"))


def check_later_than(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell (a year or a date) is not later than another field of the row (the same is not later either)."""
    return _field(rule) <= pl.col(rule.param("other"))


def check_year_of(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """The cell (a year) is not the year of another field of the row (a date)."""
    return _field(rule) != pl.col(rule.param("other")).dt.year()


def check_unique_together(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """Another row has the same values in all the given fields (every copy is reported)."""
    return pl.struct(list(rule.param("fields"))).is_duplicated()


def check_min_names(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    """A list of names (split at any of the separators) has fewer than `min` different names (「张三、张三」 is one)."""
    separators = "[" + re.escape(rule.param("separators")) + "]+"
    names = _field(rule).str.strip_chars().str.replace_all(separators, "\n").str.split("\n")
    return names.list.eval(pl.element().str.strip_chars().filter(pl.element() != "")).list.n_unique() < rule.param(
        "min"
    )


ROW_RULES: dict[str, RowRule] = {
    "uscc_structure": check_uscc_structure,
    "uscc_check_digit": check_uscc_digit,
    "not_equal": check_not_equal,
    "matches_name_of_code": check_matches_name_of_code,
    "matches_uscc_nature": check_uscc_nature,
    "matches_division_level": check_division_level,
    "staff_with_holdings": check_staff_with_holdings,
    "share_at_most": check_share_at_most,
    "ratio_between": check_ratio_between,
    "filled_when": check_filled_when,
    "empty_when": check_empty_when,
    "fraction_when": check_fraction_when,
    "whole_when": check_whole_when,
    "not_after_today": check_not_after_today,
    "zero_together": check_zero_together,
    "filled_together": check_filled_together,
    "division_in_scope": check_division_in_scope,
    "admin_level_in_scope": check_admin_level_in_scope,
    "holder_type_in_channel": check_holder_type_in_channel,
    "not_in_register": check_not_in_register,
    "date_on_or_after": check_date_on_or_after,
    "not_before": check_not_before,
    "later_than": check_later_than,
    "year_of": check_year_of,
    "unique_together": check_unique_together,
    "min_names": check_min_names,
}
ROW_RULE_KINDS = frozenset(ROW_RULES)


def scope_detail(context: CheckContext) -> str:
    """The return's scope, named after a scope rule's message (it said 不在本表的填报范围内 without saying which),
    with its division code when it has one (the code a mistyped one most likely meant)."""
    scope = context.scope
    if scope is None:
        return ""
    code = "" if scope.is_central else f"，区划代码 {scope.code}"
    return f"（本表的填报范围：{scope.label}{code}）"


# Kinds whose failures name, after the declared message, what the row was compared with.
ROW_RULE_DETAILS: dict[str, Callable[[CheckContext], str]] = {
    "division_in_scope": scope_detail,
    "admin_level_in_scope": scope_detail,
    "holder_type_in_channel": scope_detail,
}


def build_row_rule_masks(form: Form, context: CheckContext) -> dict[str, pl.Expr]:
    """For each row rule of the form that can run with this context: rule id -> expression true on failing rows."""
    masks = {}
    for rule in applicable_rules(form):
        if rule.kind in ROW_RULES:
            expr = ROW_RULES[rule.kind](rule, form, context)
            if expr is not None:
                masks[rule.rule_id] = expr.fill_null(False)
    return masks


def run_row_rules(form: Form, rows: pl.DataFrame, context: CheckContext) -> list[Failure]:
    """The failures of the form's row rules on parsed rows, rule by rule in form order."""
    require_columns(form, rows)
    masks = build_row_rule_masks(form, context)
    if not masks or rows.height == 0:
        return []
    flagged = rows.select(**masks)
    rules = form.rules_by_id
    failures: list[Failure] = []
    for rule_id in masks:
        rule, positions = rules[rule_id], flagged.get_column(rule_id).arg_true()
        detail = ROW_RULE_DETAILS.get(rule.kind)
        messages = None if detail is None else [rule.message + detail(context)] * len(positions)
        if rule.kind == "unique_together":  # which rows repeat it, as a one-column key's message says
            messages = naming_repeated_rows(rule, rows, positions, rule.param("fields"))
        failures.extend(failures_at(form, rows, rule, positions, messages))
    return failures
