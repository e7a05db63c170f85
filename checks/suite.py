"""The GX expectation suite of a form, built in code from its rules, and its run over parsed rows.

One expectation per rule whose kind GX expresses well, each tagged with meta {"rule_id": ...}. Rules that compare a
cell with a sum of fields read a derived column (`__sum__a__b`); all derived columns are computed in one place,
`derived_columns`. GX runs on pandas (its SQL path is broken in 1.24); the frame keeps `excel_row` and a row position,
so every unexpected row maps back to the uploaded cell.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, cast

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import polars as pl
from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.store.store import DataDocsSiteConfigTypedDict
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.validator.v1_validator import Validator as SuiteValidator

from census_schema.divisions import province_code_pattern
from census_schema.failures import Failure
from census_schema.fields import FieldType, Form, Rule
from census_schema.scopes import rule_kind_applies
from checks.cells import EXCEL_ROW, failures_at, naming_repeated_rows, require_columns, sum_of_fields
from checks.context import CheckContext
from checks.data_docs_offline import make_offline
from checks.grouped import (
    FAMILIES,
    ExpectRowsToPassGroupedChecks,
    check_of,
    columns_read,
    decode_checks,
    encode_checks,
    failing_checks,
)
from checks.kinds import PARSER_KINDS, applicable_rules, require_executors
from checks.row_rules import ROW_RULE_KINDS
from checks.workbook_rules import WORKBOOK_RULE_KINDS

# GX sets the logger of its config module to INFO itself (a level set on "great_expectations" does not reach it) and
# logs there, once per ephemeral context, the temporary folder of its docs site: not a line for a person to read.
logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

# The row's position in the parsed frame: how an unexpected row finds its sheet and cell value again.
ROW_POSITION = "__row"
UNEXPECTED_INDEX_COLUMNS = [EXCEL_ROW, ROW_POSITION]
# The rules that failed run again with COMPLETE results: their unexpected rows, by Excel row and row position.
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": UNEXPECTED_INDEX_COLUMNS}
# The grouped pass over every row only says whether each expectation held: nothing is collected that nobody reads.
GROUPED_RESULT_FORMAT = {"result_format": "BOOLEAN_ONLY"}
RESULTS_FOLDER = "results"
DATA_DOCS_SITE = "census_checks"
_PAIR_SKIP: Final = "either_value_is_missing"
_PROVINCE_CODE = re.compile(r"^\d{2}0000$")

# A builder returns None when the rule does not apply to the context (the province rule to a central channel).
ExpectationBuilder = Callable[[Rule, Form, CheckContext], gxe.Expectation | None]


class SuiteExecutionError(RuntimeError):
    """GX could not evaluate an expectation (a bug in the suite or the frame, never a data problem)."""

    def __init__(self, rule_id: str, message: str) -> None:
        super().__init__(f"GX could not evaluate rule {rule_id}: {message}")
        self.rule_id = rule_id


# Derived columns -------------------------------------------------------------------------------------------------


def sum_column(fields: Sequence[str]) -> str:
    """The column a rule compares with: the field itself, or the reserved name of the sum of several fields."""
    return fields[0] if len(fields) == 1 else "__sum__" + "__".join(fields)


def _sums_compared(rule: Rule) -> list[Sequence[str]]:
    return [rule.params[key] for key in _SUM_PARAMS.get(rule.kind, ()) if key in rule.params]


# Which parameters of a kind name fields whose sum the expectation compares.
_SUM_PARAMS: dict[str, tuple[str, ...]] = {
    "sum_equals": ("parts", "total_parts"),
    "at_most": ("limit",),
    "positive_when_any": ("when_fields",),
}


def _sum_expression(form: Form, fields: Sequence[str]) -> pl.Expr:
    # A null part makes the sum null, so the rule skips a row whose cells the parser reported.
    total = sum_of_fields(fields)
    decimal_places = [form.field(name).decimals for name in fields if form.field(name).type is FieldType.DECIMAL]
    # Sums of decimals are rounded to the cells' precision, so 0.1 + 0.2 equals a written 0.3.
    return total.round(max(decimal_places)) if decimal_places else total


def derived_columns(form: Form) -> dict[str, pl.Expr]:
    """Every derived column the form's suite reads: reserved name -> polars expression over the parsed rows."""
    columns: dict[str, pl.Expr] = {}
    for rule in applicable_rules(form):
        for fields in _sums_compared(rule):
            if len(fields) > 1:
                columns[sum_column(fields)] = _sum_expression(form, fields)
    return columns


# Expectation builders, one per rule kind ---------------------------------------------------------------------------


def _column(rule: Rule) -> str:
    if rule.field is None:
        raise ValueError(f"rule {rule.rule_id} ({rule.kind}) needs a field")
    return rule.field


def _tags(rule: Rule) -> dict[str, Any]:
    return {"meta": {"rule_id": rule.rule_id}, "notes": rule.message, "description": f"{rule.rule_id}：{rule.message}"}


def _identifier(name: str) -> str:
    # Names go into pandas query strings: allow plain identifiers only.
    if not name.isidentifier():
        raise ValueError(f"{name!r} cannot be used in a row condition")
    return name


def _in_values(field_name: str, values: Sequence[str]) -> str:
    return f"{_identifier(field_name)} in {json.dumps(list(values), ensure_ascii=False)}"


def _format_guard(form: Form, field_name: str) -> str | None:
    # A code of the wrong shape is reported once, by the field's pattern rule.
    pattern = form.field(field_name).pattern
    return f"{_identifier(field_name)}.str.match({json.dumps(pattern)})" if pattern else None


def _conditioned(condition: str | None) -> dict[str, Any]:
    return {"row_condition": condition, "condition_parser": "pandas"} if condition else {}


def expect_required(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The cell is not empty."""
    return gxe.ExpectColumnValuesToNotBeNull(column=_column(rule), **_tags(rule))


def expect_range(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The number lies in [min, max] (either bound may be open)."""
    return gxe.ExpectColumnValuesToBeBetween(
        column=_column(rule), min_value=rule.params.get("min"), max_value=rule.params.get("max"), **_tags(rule)
    )


def expect_in_list(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The cell is one of the code list's values."""
    return gxe.ExpectColumnValuesToBeInSet(column=_column(rule), value_set=list(rule.param("values")), **_tags(rule))


def expect_max_length(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The text has at most max characters."""
    return gxe.ExpectColumnValueLengthsToBeBetween(column=_column(rule), max_value=rule.param("max"), **_tags(rule))


def expect_pattern(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The text matches the field's regular expression."""
    return gxe.ExpectColumnValuesToMatchRegex(column=_column(rule), regex=rule.param("pattern"), **_tags(rule))


def expect_division_current(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """A well-formed division code is a current one."""
    return gxe.ExpectColumnValuesToBeInSet(
        column=_column(rule),
        value_set=sorted(context.valid_division_codes),
        **_conditioned(_format_guard(form, _column(rule))),
        **_tags(rule),
    )


def expect_division_in_province(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation | None:
    """A well-formed division code is one the uploading province reports for (the Corps' cities belong to the
    Corps, not to Xinjiang); a central channel's units may lie anywhere: no expectation."""
    if context.province_code is None and context.scope is not None and not rule_kind_applies(rule.kind, context.scope):
        return None
    if context.province_code is None:
        raise ValueError(f"rule {rule.rule_id} needs the uploading province, and the context has none")
    if not _PROVINCE_CODE.match(context.province_code):
        raise ValueError(f"province code {context.province_code!r} is not a province code")
    return gxe.ExpectColumnValuesToMatchRegex(
        column=_column(rule),
        regex=province_code_pattern(context.province_code),
        **_conditioned(_format_guard(form, _column(rule))),
        **_tags(rule),
    )


def expect_unique(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """No value appears twice in the return (every copy is reported)."""
    return gxe.ExpectColumnValuesToBeUnique(column=_column(rule), **_tags(rule))


def _total_fields(rule: Rule) -> Sequence[str]:
    """The fields whose sum is a sum_equals rule's total: its total_parts, or its own cell."""
    return rule.param("total_parts") if "total_parts" in rule.params else [_column(rule)]


def expect_sum_equals(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The total (the cell, or the sum of total_parts) equals the sum of parts."""
    return gxe.ExpectColumnPairValuesToBeEqual(
        column_A=sum_column(_total_fields(rule)),
        column_B=sum_column(rule.param("parts")),
        ignore_row_if=_PAIR_SKIP,
        **_tags(rule),
    )


def expect_at_most(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The cell is at most the limit field, or the sum of the limit fields."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=sum_column(rule.param("limit")),
        column_B=_column(rule),
        or_equal=True,
        ignore_row_if=_PAIR_SKIP,
        **_tags(rule),
    )


def expect_at_least_when(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The cell is at least min on rows whose when_field is one of when_values."""
    condition = _in_values(rule.param("when_field"), rule.param("when_values"))
    return gxe.ExpectColumnValuesToBeBetween(
        column=_column(rule), min_value=rule.param("min"), **_conditioned(condition), **_tags(rule)
    )


def expect_at_most_when(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The cell is at most max on rows whose when_field is one of when_values."""
    condition = _in_values(rule.param("when_field"), rule.param("when_values"))
    return gxe.ExpectColumnValuesToBeBetween(
        column=_column(rule), max_value=rule.param("max"), **_conditioned(condition), **_tags(rule)
    )


def expect_zero_when(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The cell is 0 on rows whose when_field is one of when_values."""
    condition = _in_values(rule.param("when_field"), rule.param("when_values"))
    return gxe.ExpectColumnValuesToBeBetween(
        column=_column(rule), min_value=0, max_value=0, **_conditioned(condition), **_tags(rule)
    )


def expect_positive_when_any(rule: Rule, form: Form, context: CheckContext) -> gxe.Expectation:
    """The cell is > 0 on rows where the sum of when_fields is > 0."""
    condition = f"{_identifier(sum_column(rule.param('when_fields')))} > 0"
    return gxe.ExpectColumnValuesToBeBetween(
        column=_column(rule), min_value=0, strict_min=True, **_conditioned(condition), **_tags(rule)
    )


EXPECTATIONS: dict[str, ExpectationBuilder] = {
    "required": expect_required,
    "range": expect_range,
    "in_list": expect_in_list,
    "max_length": expect_max_length,
    "pattern": expect_pattern,
    "division_current": expect_division_current,
    "division_in_province": expect_division_in_province,
    "unique": expect_unique,
    "sum_equals": expect_sum_equals,
    "at_most": expect_at_most,
    "at_least_when": expect_at_least_when,
    "at_most_when": expect_at_most_when,
    "zero_when": expect_zero_when,
    "positive_when_any": expect_positive_when_any,
}
GX_KINDS = frozenset(EXPECTATIONS)
EXECUTORS = {
    "great_expectations": GX_KINDS,
    "row_rules": ROW_RULE_KINDS,
    "parser": PARSER_KINDS,
    "workbook_rules": WORKBOOK_RULE_KINDS,
}


def suite_name(form: Form, context: CheckContext) -> str:
    """The suite's name: form kind, version and province."""
    return f"{form.kind}-{form.version}-{context.province_code or 'national'}".replace(".", "_")


def build_suite(form: Form, context: CheckContext) -> gx.ExpectationSuite:
    """The GX suite of a form's GX-expressible rules; raises RuleNotExecutable for a rule nothing can run."""
    require_executors(form, EXECUTORS)
    rules = [rule for rule in applicable_rules(form) if rule.kind in EXPECTATIONS]
    built = [EXPECTATIONS[rule.kind](rule, form, context) for rule in rules]
    expectations = [expectation for expectation in built if expectation is not None]
    # Passed to the constructor: add_expectation() on a suite needs an active GX context, building one does not.
    return gx.ExpectationSuite(name=suite_name(form, context), expectations=expectations)


# Running ---------------------------------------------------------------------------------------------------------

# Arrow type name -> nullable pandas dtype: integers stay integral (no float64 NaN), empty cells stay <NA>.
_PANDAS_TYPES = {"int64": pd.Int64Dtype(), "double": pd.Float64Dtype()}


def _pandas_type(arrow_type: object) -> Any:
    return _PANDAS_TYPES.get(str(arrow_type))


def build_gx_frame(form: Form, rows: pl.DataFrame) -> pd.DataFrame:
    """The pandas frame GX validates: the form's fields, excel_row, the row position and the derived columns."""
    require_columns(form, rows)
    selected = rows.select(
        *form.field_names,
        pl.col(EXCEL_ROW).cast(pl.Int64),
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW_POSITION),
        **derived_columns(form),
    )
    return selected.to_pandas(types_mapper=_pandas_type)


def _gx_context(data_docs_dir: Path | None) -> Any:
    # An ephemeral context (about 20 ms): nothing is written unless Data Docs are asked for.
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if data_docs_dir is not None:
        site: dict[str, Any] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(data_docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        # show_how_to_buttons is a SiteBuilder option GX's TypedDict does not list.
        context.add_data_docs_site(site_name=DATA_DOCS_SITE, site_config=cast(DataDocsSiteConfigTypedDict, site))
    return context


def validate_gx_frame(
    suite: gx.ExpectationSuite, frame: pd.DataFrame, *, data_docs_dir: Path | None = None
) -> ExpectationSuiteValidationResult:
    """Run the suite once over the frame in a context of its own (COMPLETE results); Data Docs into data_docs_dir.

    The slow, self-contained path: `run_suite` uses it when Data Docs are wanted during the validation itself.
    """
    with _quiet_regex_warning():
        return _validate(suite, frame, data_docs_dir)


@contextmanager
def _quiet_regex_warning() -> Iterator[None]:
    with warnings.catch_warnings():
        # pandas warns that GX's regex match has groups (the phone pattern does); GX only tests for a match.
        warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression", UserWarning)
        yield


def _validate(
    suite: gx.ExpectationSuite, frame: pd.DataFrame, data_docs_dir: Path | None
) -> ExpectationSuiteValidationResult:
    context = _gx_context(data_docs_dir)
    batch = context.data_sources.add_pandas("parsed_return").add_dataframe_asset("rows")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name=suite.name,
            data=batch.add_batch_definition_whole_dataframe("whole_return"),
            suite=context.suites.add(suite),
        )
    )
    if data_docs_dir is None:
        return definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=suite.name,
            validation_definitions=[definition],
            actions=[UpdateDataDocsAction(name="data_docs", site_names=[DATA_DOCS_SITE])],
            result_format=RESULT_FORMAT,
        )
    )
    (result,) = checkpoint.run(batch_parameters={"dataframe": frame}).run_results.values()
    share_static_assets(data_docs_dir)
    make_offline(data_docs_dir)
    return result


# The fast path: one GX context per process, grouped expectations, located failures only where GX found some ------


@dataclass(frozen=True)
class SuitePlan:
    """How a form's suite runs on the fast path: the grouped suite GX checks every row with, under a unique name."""

    name: str
    grouped: gx.ExpectationSuite


class _GxRunner:
    """One ephemeral GX context for the process and its pandas batch definition, reused by every validation.

    A run is GX's own validator over the suite (what `ValidationDefinition.run` does inside) without what that adds:
    a freshness check that serialises the suite against the context's stores, and a copy of the result serialised
    into the context's result store (~25 % of a small return's validation; results are kept by
    `save_validation_results` when wanted). GX's context is not thread-safe: runs are serialised by a lock
    (validations are CPU-bound; two at once on the same cores would not finish sooner).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._batch: Any = None
        self._runs = 0

    def _ensure(self) -> Any:
        if self._batch is None:
            # GX fingerprints every pandas batch under 1 GB (an md5 over pandas' hash of every cell: ~0.3 s per
            # 100,000 rows) only to tag the result with it; nothing here reads it.
            pandas_execution_engine.HASH_THRESHOLD = 0
            asset = _gx_context(None).data_sources.add_pandas("parsed_return").add_dataframe_asset("rows")
            self._batch = asset.add_batch_definition_whole_dataframe("whole_return")
        return self._batch

    def run(
        self, suite: gx.ExpectationSuite, frame: pd.DataFrame, result_format: dict[str, Any]
    ) -> ExpectationSuiteValidationResult:
        """Validate the frame with the suite; the result carries its run id and time, as a validation definition's."""
        with self.lock, _quiet_regex_warning():
            validator = SuiteValidator(
                batch_definition=self._ensure(), batch_parameters={"dataframe": frame}, result_format=result_format
            )
            result = validator.validate_expectation_suite(suite)
        run_id = RunIdentifier(run_time=datetime.now(UTC))
        result.meta["run_id"] = run_id
        result.meta["validation_time"] = run_id.run_time
        result.meta["batch_parameters"] = dict(BATCH_PARAMETERS)
        return result

    def unique_name(self, prefix: str) -> str:
        """A suite name not used before in this process."""
        with self.lock:
            self._runs += 1
            return f"{prefix}-{self._runs}"


_RUNNER = _GxRunner()
# What a validation definition records of its batch parameters (the frame itself is not kept).
BATCH_PARAMETERS: Final = {"dataframe": DATAFRAME_REPLACEMENT_STR}
_PLANS: dict[tuple[Any, ...], SuitePlan] = {}
_PLANS_LOCK = threading.Lock()


def _plan_key(form: Form, context: CheckContext) -> tuple[Any, ...]:
    # What the expectations depend on: the form (kind, version, sheet), the province (or a central channel: no
    # province rule) and the current divisions.
    central = context.scope is not None and context.scope.is_central
    return (form.kind, form.version, form.sheet_name, context.province_code, central, context.valid_division_codes)


def build_grouped_suite(form: Form, context: CheckContext, name: str) -> gx.ExpectationSuite:
    """The per-rule suite with its expectations of one type merged: one grouped expectation per type of 2+ rules.

    The grouped checks are the per-rule expectations' own arguments, so both suites check the same thing.
    """
    available = [*form.field_names, *derived_columns(form)]
    by_type: dict[str, list[gxe.Expectation]] = {}
    for expectation in build_suite(form, context).expectations:
        by_type.setdefault(expectation.expectation_type, []).append(expectation)
    expectations: list[gxe.Expectation] = []
    for expectation_type, members in by_type.items():
        checks = (
            [check_of(expectation_type, e.configuration.kwargs) for e in members]
            if expectation_type in FAMILIES
            else []
        )
        columns = columns_read(checks, available)
        if len(members) < 2 or len(columns) < 2:
            expectations += members
            continue
        rule_ids = [(e.meta or {})["rule_id"] for e in members]
        expectations.append(
            ExpectRowsToPassGroupedChecks(
                column_list=columns,
                grouped_type=expectation_type,
                checks=encode_checks(checks),
                meta={"rule_ids": rule_ids},
                description=f"{len(rule_ids)} 条规则（{expectation_type}）一次校验：{'、'.join(rule_ids)}",
            )
        )
    return gx.ExpectationSuite(name=name, expectations=expectations)


def plan_suite(form: Form, context: CheckContext) -> SuitePlan:
    """The grouped suite of a form for a context, built once per process and reused."""
    key = _plan_key(form, context)
    with _PLANS_LOCK:
        plan = _PLANS.get(key)
        if plan is None:
            name = _RUNNER.unique_name(suite_name(form, context))
            plan = SuitePlan(name, build_grouped_suite(form, context, name))
            _PLANS[key] = plan
        return plan


def _rules_to_locate(result: ExpectationSuiteValidationResult, frame: pd.DataFrame) -> dict[str, list[str]]:
    """Failed expectation -> the rules to run one by one to find their rows (raises if GX could not evaluate one)."""
    to_locate: dict[str, list[str]] = {}
    for outcome in result.results:
        config = outcome.expectation_config
        meta = (config.meta if config is not None else None) or {}
        rule_ids = meta.get("rule_ids") or ([meta["rule_id"]] if "rule_id" in meta else [])
        if config is None or not rule_ids:
            raise SuiteExecutionError("?", "a result without the rule ids of its expectation")
        problem = _raised(outcome.exception_info)
        if problem:
            raise SuiteExecutionError("、".join(rule_ids), problem)
        if outcome.success:
            continue
        if "grouped_type" in config.kwargs:
            # Only the rules some row breaks; all of the group's if this narrowing found none.
            failing = failing_checks(frame, config.kwargs["grouped_type"], decode_checks(config.kwargs["checks"]))
            rule_ids = [rule_ids[i] for i in failing] or rule_ids
        to_locate[config.type + ":" + "、".join(meta.get("rule_ids") or [meta["rule_id"]])] = list(rule_ids)
    return to_locate


def _locate(
    form: Form, rows: pl.DataFrame, context: CheckContext, plan: SuitePlan, frame: pd.DataFrame, rule_ids: list[str]
) -> tuple[gx.ExpectationSuite, list[Failure], ExpectationSuiteValidationResult]:
    by_id = form.rules_by_id
    built = [EXPECTATIONS[by_id[rule_id].kind](by_id[rule_id], form, context) for rule_id in rule_ids]
    expectations = [expectation for expectation in built if expectation is not None]
    suite = gx.ExpectationSuite(name=_RUNNER.unique_name(plan.name + "-locate"), expectations=expectations)
    located = _RUNNER.run(suite, frame, RESULT_FORMAT)
    return suite, collect_gx_failures(form, rows, located), located


def save_validation_results(
    folder: Path, runs: Sequence[tuple[gx.ExpectationSuite, ExpectationSuiteValidationResult]]
) -> list[Path]:
    """Keep GX suites and validation results as JSON in folder/results, for Data Docs built later."""
    target = folder / RESULTS_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    saved = []
    for suite, result in runs:
        stamp = result.meta["run_id"].run_time.strftime("%Y%m%dT%H%M%S%f")
        path = target / f"{stamp}-{result.suite_name}.json"
        kept = {"suite": suite.to_json_dict(), "result": result.to_json_dict()}
        path.write_text(json.dumps(kept, ensure_ascii=False, default=str), encoding="utf-8")
        saved.append(path)
    return saved


def build_data_docs(site: Path) -> Path:
    """Build the GX Data Docs site of the validation results kept in site/results; the path of its index.html."""
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    site = site.resolve()
    context = _gx_context(site)
    schema = ExpectationSuiteValidationResultSchema()
    store = context.validation_results_store
    for path in sorted((site / RESULTS_FOLDER).glob("*.json")):
        kept = json.loads(path.read_text(encoding="utf-8"))
        suite = kept["suite"]
        if suite["name"] not in {existing.name for existing in context.suites.all()}:
            context.suites.add(gx.ExpectationSuite(**{k: suite[k] for k in ("name", "expectations", "meta")}))
        result = schema.load(escaped_observations(kept["result"]))
        run = result.meta.get("run_id") or {}
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=RunIdentifier(run_name=run.get("run_name"), run_time=run.get("run_time")),
            batch_identifier=path.stem,
        )
        store.set(key, result)
    with _quiet_regex_warning():
        context.build_data_docs(site_names=[DATA_DOCS_SITE])
    share_static_assets(site)
    make_offline(site)
    (site / ESCAPED_MARK).write_text(ESCAPED_VERSION, encoding="utf-8")
    return site / "index.html"


# GX's renderers put the observed values into the pages' HTML as they are: a workbook cell holding markup ran in the
# page (a sandboxed origin, but it could rewrite what the reviewer reads). The values are escaped before rendering;
# a site says in this file that it was built so (one built before is built again from its kept results).
ESCAPED_MARK = ".escaped"
ESCAPED_VERSION = "1"


def built_escaped(site: Path) -> bool:
    """True when the site's pages were built from escaped observations (this code's `build_data_docs`)."""
    mark = site / ESCAPED_MARK
    return mark.is_file() and mark.read_text(encoding="utf-8") == ESCAPED_VERSION


def escaped_observations(result: dict[str, Any]) -> dict[str, Any]:
    """A kept validation result with every text of what each expectation observed (the uploaded cells' values, its
    exception messages) HTML-escaped; the suite's own configuration is left as it is."""

    def escaped(value: Any) -> Any:
        if isinstance(value, str):
            return html.escape(value)
        if isinstance(value, dict):
            return {key: escaped(item) for key, item in value.items()}
        if isinstance(value, list):
            return [escaped(item) for item in value]
        return value

    observed = ("result", "exception_info")
    outcomes = [
        {**outcome, **{key: escaped(outcome[key]) for key in observed if key in outcome}}
        for outcome in result.get("results", [])
    ]
    return {**result, "results": outcomes}


def share_static_assets(site: Path) -> None:
    """Replace a Data Docs site's 4 MB of fonts, images and styles by a link to one copy beside the sites."""
    static, shared = site / "static", site.parent / "_static"
    if not static.is_dir() or static.is_symlink():
        return
    if shared.is_dir():
        shutil.rmtree(static)
    else:
        static.rename(shared)
    static.symlink_to(os.path.relpath(shared, site), target_is_directory=True)


def _raised(exception_info: Any) -> str | None:
    # GX reports an exception either directly or keyed by the metric that raised it.
    infos = [exception_info] if "raised_exception" in (exception_info or {}) else list((exception_info or {}).values())
    messages = [str(info.get("exception_message")) for info in infos if info.get("raised_exception")]
    return "; ".join(messages) or None


def collect_gx_failures(form: Form, rows: pl.DataFrame, result: ExpectationSuiteValidationResult) -> list[Failure]:
    """The failures of a suite run, one per unexpected row, located through the row position column."""
    rules = form.rules_by_id
    failures: list[Failure] = []
    for outcome in result.results:
        config = outcome.expectation_config
        if config is None or not config.meta or "rule_id" not in config.meta:
            raise SuiteExecutionError("?", "a result without the rule_id of its expectation")
        rule_id = config.meta["rule_id"]
        problem = _raised(outcome.exception_info)
        if problem:
            raise SuiteExecutionError(rule_id, problem)
        if outcome.success:
            continue
        unexpected = outcome.result.get("unexpected_index_list")
        if unexpected is None:
            raise SuiteExecutionError(rule_id, "failed without listing the unexpected rows")
        positions = [int(index[ROW_POSITION]) for index in unexpected]
        rule = rules[rule_id]
        messages = None
        if rule.kind == "unique":
            assert rule.field is not None  # a unique rule is on one column
            messages = naming_repeated_rows(rule, rows, positions, [rule.field])
        elif rule.kind == "sum_equals":
            messages = _stating_the_sums(form, rule, rows, positions)
        failures.extend(failures_at(form, rows, rule, positions, messages))
    return failures


def _stating_the_sums(form: Form, rule: Rule, rows: pl.DataFrame, positions: Sequence[int]) -> list[str]:
    """A total's message for each row, with the row's own figures: the sum of its parts, its total, and by how much
    the total is over or under (the uploader should not have to add the parts up again to find the wrong cell); and
    where the total is a sum of cells that are themselves totals (各门类之和 against 以卷 + 以件), those of them that
    do not add up on that row: a wrong 以卷 total made 文书档案 look wrong too, and a clerk could 'mend' it."""
    totals = _total_fields(rule)
    # The sum rules whose total is one of this rule's total cells alone (以卷为保管单位档案 = its four terms), not
    # another sum of totals (the categories' rule would have sent 以卷's own error to 文书档案).
    inner = [
        r
        for r in form.rules
        if r.kind == "sum_equals" and r is not rule and "total_parts" not in r.params and _column(r) in totals
    ]
    picked = rows.select(
        sum_of_fields(rule.param("parts")).gather(positions).alias("parts"),
        sum_of_fields(totals).gather(positions).alias("total"),
        *(
            (sum_of_fields(r.param("parts")) != pl.col(_column(r)).cast(pl.Float64)).gather(positions).alias(r.rule_id)
            for r in inner
        ),
    )
    messages = []
    for parts, total, *unequal in picked.iter_rows():
        gap = round(total - parts, 6)
        over = f"多 {_grouped(gap)}" if gap > 0 else f"少 {_grouped(-gap)}"
        wrong = [f"「{form.field(_column(r)).label}」" for r, differs in zip(inner, unequal, strict=True) if differs]
        first = (
            f"其中{'、'.join(wrong)}本身与其分项之和不符（见该栏的错误），请先改正，本项可能随之相符。" if wrong else ""
        )
        messages.append(
            f"{rule.message}本行分项之和为 {_grouped(round(parts, 6))}，合计为 {_grouped(round(total, 6))}"
            f"（比分项之和{over}）。{first}"
        )
    return messages


def _grouped(value: float) -> str:
    """A figure of the message in thousands, as every count is shown (1,052,714; 1,234.5)."""
    return f"{int(value):,}" if float(value).is_integer() else format(Decimal(repr(float(value))), ",f")


def run_suite(
    form: Form,
    rows: pl.DataFrame,
    context: CheckContext,
    *,
    data_docs_dir: Path | None = None,
    results_dir: Path | None = None,
) -> list[Failure]:
    """The failures of the form's GX rules on parsed rows.

    GX checks every row with the grouped suite, collecting only whether each expectation held; the rules of the
    expectations that failed are then run one by one with COMPLETE results, which locate their rows. With
    `results_dir`, both GX results are kept there for Data Docs built on demand; with `data_docs_dir`, the whole
    per-rule suite runs the slow way and its Data Docs are built at once.
    """
    if data_docs_dir is not None:
        suite = build_suite(form, context)
        if rows.height == 0:
            return []
        result = validate_gx_frame(suite, build_gx_frame(form, rows), data_docs_dir=data_docs_dir)
        return collect_gx_failures(form, rows, result)
    plan = plan_suite(form, context)
    if rows.height == 0:
        return []
    frame = build_gx_frame(form, rows)
    checked = _RUNNER.run(plan.grouped, frame, GROUPED_RESULT_FORMAT)
    to_locate = _rules_to_locate(checked, frame)
    runs = [(plan.grouped, checked)]
    failures: list[Failure] = []
    if to_locate:
        suite, failures, located = _locate(
            form, rows, context, plan, frame, [r for ids in to_locate.values() for r in ids]
        )
        runs.append((suite, located))
        found = {f.rule for f in failures}
        for expectation, rule_ids in to_locate.items():
            if not found.intersection(rule_ids):
                raise SuiteExecutionError(expectation, "the grouped expectation failed but none of its rules did")
    if results_dir is not None:
        save_validation_results(results_dir, runs)
    return failures
