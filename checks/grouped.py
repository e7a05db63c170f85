"""GX expectations that check many rules in one pass, so a validation costs what the data costs.

GX pays a fixed price per expectation (metric graph, row-condition filtering, result assembly): about 20 ms each at
100,000 rows, 2-3 s for the 106 of the census form. Each class below checks, in one multicolumn expectation, every
rule whose own expectation is of one GX type. Its `checks` are those expectations' own keyword arguments (column,
bounds, value set, regular expression, row condition...), taken from the per-rule suite, so both read the same
parameters, and each family function applies them with the semantics of the GX expectation it stands for:

- a row condition (a pandas expression, as GX's `condition_parser="pandas"`) limits the rows a rule judges;
- a null cell passes every check but "not null" (GX's map expectations skip nulls), and a pair check skips a row
  where either value is missing (`ignore_row_if="either_value_is_missing"`).

A row is unexpected when any of its cells breaks its rule; `failing_checks` says which rules, so only those run
again one by one, with GX's own expectations, to locate their rows (see checks/suite.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import MulticolumnMapMetricProvider
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (
    multicolumn_condition_partial,
)
from pandas.arrays import ArrowStringArray

Check = Mapping[str, Any]
_DOMAIN_KEYS = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _selected(frame: pd.DataFrame, condition: str) -> np.ndarray:
    """The rows a row condition selects."""
    # Evaluated over the columns it names only: pandas builds a resolver for every column of the frame it is given.
    names = [name for name in dict.fromkeys(_NAME.findall(condition)) if name in frame.columns]
    with _quiet_regex_warning():
        selected = frame[names].eval(condition, engine="python")
    return pd.Series(selected, index=frame.index).fillna(False).astype(bool).to_numpy()


@contextmanager
def _quiet_regex_warning() -> Iterator[None]:
    with warnings.catch_warnings():
        # pandas warns that a pattern has groups (the phone pattern does); only whether it matches is used.
        warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression", UserWarning)
        yield


# A check's rows (True on those it judges: all of them without a row condition) -> True where a cell breaks it.
Family = Callable[[pd.DataFrame, Check, np.ndarray | bool], np.ndarray]


def _numbers(column: pd.Series) -> np.ndarray | None:
    """A column of integers or decimals as numpy values (a null as 0 or NaN: the caller masks nulls), else None.

    pandas compares its nullable numbers through these same numpy arrays, so the answers are pandas' own."""
    if pd.api.types.is_signed_integer_dtype(column.dtype):
        return column.to_numpy(dtype="int64", na_value=0)
    if pd.api.types.is_float_dtype(column.dtype):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    return None


def _arrow_text(column: pd.Series) -> pa.Array | None:
    """A text column's Arrow data (pandas' own text columns are Arrow strings), else None."""
    return pa.array(column.array) if isinstance(column.array, ArrowStringArray) else None


def _within_bounds(values: Any, check: Check, ok: Any) -> Any:
    """`ok` (all True) narrowed to where values lie within the check's bounds: numpy arrays or pandas Series alike."""
    low, high = check.get("min_value"), check.get("max_value")
    if low is not None:
        ok &= values > low if check.get("strict_min") else values >= low
    if high is not None:
        ok &= values < high if check.get("strict_max") else values <= high
    return ok


def _in_range(values: np.ndarray, check: Check) -> np.ndarray:
    """Where numpy values lie within the check's bounds (a NaN nowhere)."""
    with np.errstate(invalid="ignore"):
        return _within_bounds(values, check, np.ones(len(values), dtype=bool))


def _compared(a: Any, b: Any, check: Check, equal: bool) -> Any:
    """A pair check's comparison (a == b, a >= b or a > b), of numpy arrays or pandas Series alike."""
    return a == b if equal else (a >= b if check.get("or_equal") else a > b)


def _pandas_cell_check(passes: Callable[[pd.Series, Check], pd.Series]) -> Family:
    """A check of one column's filled cells on the judged rows, computed by pandas (the general path)."""

    def broken(frame: pd.DataFrame, check: Check, judged: np.ndarray | bool) -> np.ndarray:
        column = frame[check["column"]]
        with _quiet_regex_warning():
            # Computed on the whole column, nulls included (they give NA or a value that is masked out below).
            ok = pd.Series(passes(column, check), index=frame.index).fillna(True).astype(bool).to_numpy()
        return column.notna().to_numpy() & ~ok & judged

    return broken


def _pandas_between(values: pd.Series, check: Check) -> pd.Series:
    return _within_bounds(values, check, pd.Series(True, index=values.index))


def _pandas_lengths_between(values: pd.Series, check: Check) -> pd.Series:
    return _pandas_between(values.astype(str).str.len(), check)


def _pandas_in_set(values: pd.Series, check: Check) -> pd.Series:
    return values.isin(_value_set(check))


def _cell_check(
    fast: Callable[[pd.Series, Check], np.ndarray | None], general: Callable[[pd.Series, Check], pd.Series]
) -> Family:
    """A check of one column's filled cells on the judged rows: `fast` says where cells pass (through numpy or Arrow),
    or None for a column it does not handle, which `general` (pandas, as GX computes it) then judges."""
    judged_by_pandas = _pandas_cell_check(general)

    def broken(frame: pd.DataFrame, check: Check, judged: np.ndarray | bool) -> np.ndarray:
        column = frame[check["column"]]
        ok = fast(column, check)
        if ok is None:
            return judged_by_pandas(frame, check, judged)
        return ~column.isna().to_numpy() & ~ok & judged

    return broken


def _numbers_in_range(column: pd.Series, check: Check) -> np.ndarray | None:
    values = _numbers(column)
    return None if values is None else _in_range(values, check)


def _lengths_in_range(column: pd.Series, check: Check) -> np.ndarray | None:
    text = _arrow_text(column)
    # Characters, as pandas' str.len() counts them on Arrow text (a null's length is masked out).
    return None if text is None else _in_range(pc.utf8_length(text).fill_null(0).to_numpy(), check)


def _text_in_set(column: pd.Series, check: Check) -> np.ndarray | None:
    text = _arrow_text(column)
    if text is None:
        return None
    # pandas' isin on Arrow text, without converting the value set again for every call (~17 ms for the divisions).
    return pc.is_in(text, value_set=_arrow_value_set(check, text.type)).to_numpy(zero_copy_only=False)


def _pair_broken(equal: bool) -> Family:
    def broken(frame: pd.DataFrame, check: Check, judged: np.ndarray | bool) -> np.ndarray:
        a_column, b_column = frame[check["column_A"]], frame[check["column_B"]]
        candidates = ~a_column.isna().to_numpy() & ~b_column.isna().to_numpy() & judged
        a, b = _numbers(a_column), _numbers(b_column)
        if a is None or b is None:
            ok = _pandas_pair_ok(a_column, b_column, check, equal)
        else:
            with np.errstate(invalid="ignore"):
                ok = _compared(a, b, check, equal)
        return candidates & ~ok

    return broken


def _pandas_pair_ok(a: pd.Series, b: pd.Series, check: Check, equal: bool) -> np.ndarray:
    return _compared(a, b, check, equal).fillna(False).astype(bool).to_numpy()


# Large value sets (the ~3,400 current division codes) are kept here by name: GX copies an expectation's
# arguments many times per run (pydantic .dict()), which for the codes themselves cost ~1 s per validation.
_VALUE_SETS: dict[str, frozenset[Any]] = {}
LARGE_VALUE_SET = 100


def _name_value_set(values: Sequence[Any]) -> str:
    digest = hashlib.sha256(json.dumps(sorted(map(str, values)), ensure_ascii=False).encode()).hexdigest()[:16]
    name = f"{len(values)}-values-{digest}"
    _VALUE_SETS.setdefault(name, frozenset(values))
    return name


def _value_set(check: Check) -> Any:
    if "value_set_name" in check:
        return _VALUE_SETS[check["value_set_name"]]
    return list(check["value_set"])


def _arrow_value_set(check: Check, text_type: pa.DataType) -> pa.Array:
    """The check's value set as pandas' isin gives it to Arrow: its text values, as the column's type (pandas keeps
    nulls too, which match only null cells, and those the caller masks out)."""
    key = check.get("value_set_name") or tuple(check["value_set"])
    return _arrow_strings(key, text_type)


@functools.lru_cache(maxsize=64)
def _arrow_strings(key: str | tuple[Any, ...], text_type: pa.DataType) -> pa.Array:
    values = _VALUE_SETS[key] if isinstance(key, str) else key
    return pa.array(sorted(v for v in values if isinstance(v, str)), type=text_type)


# GX expectation type -> the function that finds the cells (rows) breaking one of its checks.
FAMILIES: dict[str, Family] = {
    "expect_column_values_to_not_be_null": lambda frame, check, judged: (
        frame[check["column"]].isna().to_numpy() & judged
    ),
    "expect_column_values_to_be_between": _cell_check(_numbers_in_range, _pandas_between),
    "expect_column_value_lengths_to_be_between": _cell_check(_lengths_in_range, _pandas_lengths_between),
    "expect_column_values_to_match_regex": _pandas_cell_check(
        lambda values, check: values.astype(str).str.contains(check["regex"])
    ),
    "expect_column_values_to_be_in_set": _cell_check(_text_in_set, _pandas_in_set),
    "expect_column_pair_values_to_be_equal": _pair_broken(equal=True),
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_broken(equal=False),
}
# The per-rule expectation arguments a grouped check keeps (the rest are GX bookkeeping or defaults).
CHECK_KEYS = (
    "column",
    "column_A",
    "column_B",
    "min_value",
    "max_value",
    "strict_min",
    "strict_max",
    "value_set",
    "regex",
    "or_equal",
    "row_condition",
)


def broken_checks(frame: pd.DataFrame, expectation_type: str, checks: Sequence[Check]) -> np.ndarray:
    """One boolean column per check (in order), one row per frame row: True where the check's rule is broken."""
    family = FAMILIES[expectation_type]
    conditions = {check["row_condition"] for check in checks if check.get("row_condition")}
    selected = {condition: _selected(frame, condition) for condition in conditions}  # each evaluated once
    broken = np.zeros((len(frame), len(checks)), dtype=bool)
    for i, check in enumerate(checks):
        condition = check.get("row_condition")
        broken[:, i] = family(frame, check, selected[condition] if condition else True)
    return broken


def failing_checks(frame: pd.DataFrame, expectation_type: str, checks: Sequence[Check]) -> list[int]:
    """The positions of the checks that at least one row of the frame breaks."""
    return [int(i) for i in np.flatnonzero(broken_checks(frame, expectation_type, checks).any(axis=0))]


def check_of(expectation_type: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The check a grouped expectation keeps for one per-rule expectation (its type and arguments)."""
    if expectation_type not in FAMILIES:
        raise ValueError(f"GX expectations of type {expectation_type} cannot be grouped")
    ignore = kwargs.get("ignore_row_if")
    if ignore not in (None, "either_value_is_missing"):
        raise ValueError(f"grouped pair checks skip rows with a missing value, not {ignore!r}")
    if kwargs.get("condition_parser") not in (None, "pandas"):
        raise ValueError("grouped checks read row conditions as pandas expressions")
    if kwargs.get("mostly", 1) != 1:
        raise ValueError("grouped checks hold for every row (mostly=1)")
    check = {key: kwargs[key] for key in CHECK_KEYS if kwargs.get(key) is not None}
    condition = check.get("row_condition")
    if isinstance(condition, Mapping):
        # GX keeps a pandas row condition string as a "pass-through" condition.
        if condition.get("type") != "pass_through" or not isinstance(condition.get("pass_through_filter"), str):
            raise ValueError(f"grouped checks read pandas row conditions only, not {condition!r}")
        check["row_condition"] = condition["pass_through_filter"]
    if len(check.get("value_set", ())) > LARGE_VALUE_SET:
        check["value_set_name"] = _name_value_set(check.pop("value_set"))
    return check


def encode_checks(checks: Sequence[Check]) -> str:
    """The JSON text of checks, as a grouped expectation holds them."""
    return json.dumps(list(checks), ensure_ascii=False)


@functools.lru_cache(maxsize=256)
def decode_checks(text: str) -> tuple[Check, ...]:
    """The checks a grouped expectation holds (read-only, parsed once per text)."""
    return tuple(MappingProxyType(check) for check in json.loads(text))


def columns_read(checks: Sequence[Check], available: Sequence[str]) -> list[str]:
    """The frame columns the checks read (their columns and those their row conditions name), in frame order."""
    names: set[str] = set()
    for check in checks:
        names.update(check[key] for key in ("column", "column_A", "column_B") if key in check)
        names.update(_NAME.findall(check.get("row_condition") or ""))
    return [name for name in available if name in names]


class GroupedChecks(MulticolumnMapMetricProvider):
    """Row metric: the row breaks none of the checks."""

    condition_metric_name = "multicolumn_values.census_grouped_checks"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("grouped_type", "checks")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, grouped_type: str, checks: str, **kwargs: Any) -> pd.Series:
        broken = broken_checks(column_list, grouped_type, decode_checks(checks)).any(axis=1)
        return pd.Series(~broken, index=column_list.index)


class ExpectRowsToPassGroupedChecks(MulticolumnMapExpectation):
    """Every row passes every check: many rules (one per check, of one GX expectation type) in one pass.

    Each check holds the arguments of the rule's own GX expectation (of type `grouped_type`; a value set of more than
    LARGE_VALUE_SET values by name); meta["rule_ids"] names the rules in order. `checks` is their JSON text
    (`encode_checks`): GX copies and re-validates an expectation's arguments several times per run, a list of dicts
    item by item (a quarter of a small return's validation), a string by reference.
    """

    grouped_type: str
    checks: str
    ignore_row_if: str = "never"  # type: ignore[assignment]
    map_metric: ClassVar[str] = "multicolumn_values.census_grouped_checks"
    args_keys = ("column_list", "grouped_type", "checks")
    success_keys = ("grouped_type", "checks", "mostly")

    def _get_domain_kwargs(self) -> dict[str, Any]:
        """GX's own, read from the fields: GX builds the whole configuration (a pydantic copy of it) for each key."""
        return self._kwargs(self.domain_keys)

    def _get_success_kwargs(self) -> dict[str, Any]:
        """GX's own (success keys, then domain keys over them), read from the fields."""
        return self._kwargs((*self.success_keys, *self.domain_keys))

    def _get_success_kwarg(self, key: str, default: Any = None) -> Any:
        """GX's own: the configured value, else the field's default, which is the field's value either way."""
        return self._field_value(key, default)

    def _kwargs(self, keys: tuple[str, ...]) -> dict[str, Any]:
        return {key: self._field_value(key) for key in keys}

    def _field_value(self, key: str, default: Any = None) -> Any:
        """What `configuration.kwargs.get(key, default value)` gives, without building the configuration (~200
        times a validation): the field's value (a list copied, as the configuration's is), or `default`."""
        if key not in self.__fields__:
            return default
        value = getattr(self, key)
        return list(value) if isinstance(value, list) else value
