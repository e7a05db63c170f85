"""What validating a parsed return costs: GX suite vs the same checks as polars expressions, plus the row rules.

    python -m benchmarks.checks_engine [--rows 100000] [--docs]

Each engine runs in a fresh subprocess so its peak RSS is its own. Rows are the tests' valid base row repeated and
perturbed with polars (about 1 % of rows break a rule).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.measure import peak_rss_mib
from census_schema.census_form import CENSUS_FORM
from census_schema.divisions import province_code_pattern
from census_schema.fields import Form, Rule
from census_schema.uscc import compute_uscc_check_char
from checks.cells import failures_at
from checks.context import CheckContext, build_check_context
from checks.kinds import applicable_rules
from checks.row_rules import build_row_rule_masks, run_row_rules
from checks.suite import (
    EXPECTATIONS,
    build_gx_frame,
    build_suite,
    collect_gx_failures,
    derived_columns,
    sum_column,
    validate_gx_frame,
)
from checks.validate import validate_return
from synthetic.holders import CENSUS_BASE

PROVINCE = "440000"
ENGINES = ("gx", "polars", "row_rules", "validate_return")
# The same valid holder the check tests start from (one definition, in synthetic/holders.py).
BASE: dict[str, Any] = {**CENSUS_BASE, "uscc": None}
_SCALED = [f.name for f in CENSUS_FORM.fields if f.is_numeric and f.name not in ("staff_fulltime", "staff_parttime")]


def synthetic_rows(n: int) -> pl.DataFrame:
    """n holders: the base row scaled by 1-5 (sums stay consistent), with about 1 % of rows broken somehow."""
    schema = {f.name: f.polars_dtype for f in CENSUS_FORM.fields}
    base = pl.DataFrame([BASE], schema=schema)
    first17 = [f"91440300{i:09d}" for i in range(n)]
    usccs = [code + compute_uscc_check_char(code) for code in first17]
    i = pl.int_range(pl.len(), dtype=pl.Int64)
    rows = (
        base.select(pl.all().repeat_by(n).explode())
        .with_columns(uscc=pl.Series(usccs), excel_row=i + 3, sheet=pl.lit(CENSUS_FORM.sheet_name))
        .with_columns([(pl.col(name) * (i % 5 + 1)).alias(name) for name in _SCALED])
    )
    return rows.with_columns(
        vol_permanent=pl.when(i % 199 == 1).then(pl.col("vol_permanent") + 1).otherwise("vol_permanent"),
        shelf_m=pl.when(i % 211 == 2).then(pl.col("shelf_m") * 10).otherwise("shelf_m"),
        division_code=pl.when(i % 223 == 3).then(pl.lit("449999")).otherwise("division_code"),
        contact_phone=pl.when(i % 227 == 4).then(pl.lit("12345")).otherwise("contact_phone"),
        unit_name=pl.when(i % 229 == 5).then(None).otherwise("unit_name"),
        uscc=pl.when(i % 233 == 6).then(pl.col("uscc").shift(1)).otherwise("uscc"),
        opened=pl.when(i % 239 == 7).then(pl.lit(10)).otherwise("opened"),
    )


def synthetic_context(rows: pl.DataFrame) -> CheckContext:
    """A context with a register of every holder but a few, and a few holders accepted in another province."""
    usccs = rows.get_column("uscc").to_list()
    return build_check_context(
        PROVINCE,
        register_usccs=usccs[::-1][:-50],
    )


# The GX kinds written directly as polars expressions, for comparison only (checks runs these kinds in GX).

PolarsCheck = Callable[[Rule, Form, CheckContext], pl.Expr]


def _total(fields: tuple[str, ...]) -> pl.Expr:
    return pl.col(sum_column(fields))


def _range(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    value, low, high = pl.col(rule.field or ""), rule.params.get("min"), rule.params.get("max")
    below = value < low if low is not None else pl.lit(False)
    return below | (value > high) if high is not None else below


def _in_province(rule: Rule, form: Form, context: CheckContext) -> pl.Expr:
    # As the GX suite: the rule needs the uploading province.
    if context.province_code is None:
        raise ValueError(f"rule {rule.rule_id} needs the uploading province, and the context has none")
    return _guarded(rule, form, ~pl.col(rule.field or "").str.contains(province_code_pattern(context.province_code)))


def _guarded(rule: Rule, form: Form, expr: pl.Expr) -> pl.Expr:
    pattern = form.field(rule.field or "").pattern
    return pl.col(rule.field or "").str.contains(pattern) & expr if pattern else expr


POLARS_CHECKS: dict[str, PolarsCheck] = {
    "required": lambda r, f, c: pl.col(r.field or "").is_null(),
    "range": _range,
    "in_list": lambda r, f, c: ~pl.col(r.field or "").is_in(list(r.param("values"))),
    "max_length": lambda r, f, c: pl.col(r.field or "").str.len_chars() > r.param("max"),
    "pattern": lambda r, f, c: ~pl.col(r.field or "").str.contains(r.param("pattern")),
    "division_current": lambda r, f, c: _guarded(
        r, f, ~pl.col(r.field or "").is_in(pl.Series(sorted(c.valid_division_codes)))
    ),
    "division_in_province": _in_province,
    "unique": lambda r, f, c: pl.col(r.field or "").is_duplicated() & pl.col(r.field or "").is_not_null(),
    "sum_equals": lambda r, f, c: (
        (_total(r.param("total_parts")) if "total_parts" in r.params else pl.col(r.field or ""))
        != _total(r.param("parts"))
    ),
    "at_most": lambda r, f, c: pl.col(r.field or "") > _total(r.param("limit")),
    "at_least_when": lambda r, f, c: (
        pl.col(r.param("when_field")).is_in(list(r.param("when_values"))) & (pl.col(r.field or "") < r.param("min"))
    ),
    "zero_when": lambda r, f, c: (
        pl.col(r.param("when_field")).is_in(list(r.param("when_values"))) & (pl.col(r.field or "") != 0)
    ),
    "positive_when_any": lambda r, f, c: (_total(r.param("when_fields")) > 0) & (pl.col(r.field or "") <= 0),
}
assert set(POLARS_CHECKS) == set(EXPECTATIONS)


def run_polars_checks(form: Form, rows: pl.DataFrame, context: CheckContext) -> list[Any]:
    """The GX kinds as polars expressions: failures in the same shape as run_suite's."""
    rules = [rule for rule in applicable_rules(form) if rule.kind in POLARS_CHECKS]
    masks = {rule.rule_id: POLARS_CHECKS[rule.kind](rule, form, context).fill_null(False) for rule in rules}
    flagged = rows.with_columns(**derived_columns(form)).select(**masks)
    by_id = form.rules_by_id
    failures: list[Any] = []
    for rule_id in masks:
        failures.extend(failures_at(form, rows, by_id[rule_id], flagged.get_column(rule_id).arg_true()))
    return failures


def _timed(timings: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = step()
    timings[name] = round(time.perf_counter() - started, 3)
    return result


def measure(engine: str, n: int, docs: bool) -> dict[str, Any]:
    """Run one engine on n synthetic rows in this process: stage timings, failures and peak RSS."""
    timings: dict[str, float] = {}
    rows = _timed(timings, "synthesise rows", lambda: synthetic_rows(n))
    context = _timed(timings, "build context", lambda: synthetic_context(rows))
    baseline = round(peak_rss_mib(), 1)
    report: dict[str, Any] = {"engine": engine, "rows": n}
    if engine == "gx":
        suite = _timed(timings, "build suite", lambda: build_suite(CENSUS_FORM, context))
        frame = _timed(timings, "polars -> pandas", lambda: build_gx_frame(CENSUS_FORM, rows))
        result = _timed(timings, "GX validate", lambda: validate_gx_frame(suite, frame))
        failures = _timed(timings, "GX results -> failures", lambda: collect_gx_failures(CENSUS_FORM, rows, result))
        report["expectations"] = len(suite.expectations)
        if docs:
            with tempfile.TemporaryDirectory() as folder:
                _timed(
                    timings,
                    "GX validate + Data Docs",
                    lambda: validate_gx_frame(suite, frame, data_docs_dir=Path(folder)),
                )
                files = [p for p in Path(folder).rglob("*") if p.is_file()]
                report["data_docs_files"] = len(files)
                report["data_docs_mib"] = round(sum(p.stat().st_size for p in files) / 2**20, 2)
    elif engine == "polars":
        failures = _timed(timings, "polars checks (GX kinds)", lambda: run_polars_checks(CENSUS_FORM, rows, context))
        masks = build_row_rule_masks(CENSUS_FORM, context)
        _timed(timings, "row-rule masks only", lambda: rows.select(**masks))
    elif engine == "row_rules":
        failures = _timed(timings, "row rules", lambda: run_row_rules(CENSUS_FORM, rows, context))
    elif engine == "validate_return":
        failures = _timed(timings, "validate_return", lambda: validate_return(CENSUS_FORM, rows, context))
    else:
        raise ValueError(engine)
    report["timings_s"] = timings
    report["failures"] = len(failures)
    report["failure_keys"] = sorted({(f.rule, f.row) for f in failures})
    report["peak_rss_mib"] = round(peak_rss_mib(), 1)
    report["peak_rss_over_inputs_mib"] = round(report["peak_rss_mib"] - baseline, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    """Run every engine in its own process and print a summary (JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--docs", action="store_true", help="also build GX Data Docs for the run")
    parser.add_argument("--engine", choices=ENGINES, help="run one engine in this process and print JSON")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.engine:
        print(json.dumps(measure(args.engine, args.rows, args.docs)))
        return 0
    reports = {}
    for engine in ENGINES:
        command = [sys.executable, "-m", "benchmarks.checks_engine", "--engine", engine, "--rows", str(args.rows)]
        out = subprocess.run(command + (["--docs"] if args.docs else []), check=True, capture_output=True, text=True)
        reports[engine] = json.loads(out.stdout)
    same = reports["gx"]["failure_keys"] == reports["polars"]["failure_keys"]
    for report in reports.values():
        report.pop("failure_keys")
    if args.json:
        print(json.dumps({"reports": reports, "gx_and_polars_agree": same}, ensure_ascii=False, indent=2))
        return 0
    for engine, report in reports.items():
        print(
            f"{engine}: {report['rows']} rows, {report['failures']} failures, peak RSS {report['peak_rss_mib']} MiB "
            f"(+{report['peak_rss_over_inputs_mib']} over rows and context)"
        )
        for stage, seconds in report["timings_s"].items():
            print(f"  {stage:<28} {seconds:8.3f} s")
        for key in ("expectations", "data_docs_files", "data_docs_mib"):
            if key in report:
                print(f"  {key:<28} {report[key]}")
    print(f"GX and polars flag the same (rule, row) pairs: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
