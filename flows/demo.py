"""The demo: a seeded national dataset written as real workbooks and loaded through the real ingestion flows."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from census_schema.errors import UsageError
from census_schema.settings import Settings
from flows.ingest import IngestRequest
from synthetic.census import Manifest, generate_national_dataset, write_census_return, write_dataset
from synthetic.supervision import DEMO_TODAY, generate_supervision_dataset, write_supervision_workbooks
from warehouse.backends import open_warehouse
from warehouse.evaluation import assign_evaluators, open_evaluation
from warehouse.supervision import query_supervision_summary

DEFAULT_DEMO_UNITS = 12_000
DEMO_ERROR_PROVINCES = 3
# Who runs the evaluation round in the demo.
DEMO_PLANNER = "国家档案局业务指导司"
Ingest = Callable[[IngestRequest], dict[str, Any]]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    """What the demo loaded and what the warehouse should now show."""

    manifest: Manifest
    outcomes: list[dict[str, Any]]
    expected: dict[str, Any]
    supervision: SupervisionDemo | None = None

    def matches(self, summary: dict[str, Any]) -> bool:
        """True when `summary --json` shows the manifest's national figures, breakdowns and red-archive inventory."""
        expected = {
            "national": self.expected,
            **self.manifest.breakdowns_if_corrected,
            "red_archive_resources": self.manifest.red_archive_resources_if_corrected,
        }
        # Compared as they print.
        return json.loads(json.dumps({k: summary[k] for k in expected}, ensure_ascii=False)) == json.loads(
            json.dumps(expected, ensure_ascii=False)
        )


@dataclass(frozen=True)
class SupervisionDemo:
    """What the supervision part of the demo loaded, the summary it gave on DEMO_TODAY and the one expected."""

    outcomes: list[dict[str, Any]]
    summary: dict[str, Any]
    expected: dict[str, Any]

    @property
    def matches(self) -> bool:
        """True when the warehouse shows exactly what the generator planned."""
        return self.summary == self.expected


def build_supervision_demo(
    settings: Settings,
    seed: int,
    workdir: Path,
    ingest: Ingest,
    progress: Progress = lambda _: None,
    *,
    evaluator: str = "evaluator",
) -> SupervisionDemo:
    """Inspections, an open evaluation round (the demo evaluator assigned to a few archives) and indicator values,
    written as workbooks and loaded through the real flows; the summary on DEMO_TODAY and the expected one."""
    progress("生成监督检查、业务建设评价和规划指标的模拟数据")
    dataset = generate_supervision_dataset(seed, evaluator=evaluator)
    files = write_supervision_workbooks(dataset, workdir / "supervision")
    store = open_warehouse(settings)
    store.write(lambda con: open_evaluation(con, DEMO_PLANNER))
    store.write(lambda con: assign_evaluators(con, dataset.assignments, DEMO_PLANNER))
    outcomes = []
    for kind, path in files:
        outcome = ingest(IngestRequest(path, kind, None, DEMO_PLANNER))
        outcomes.append(outcome)
        progress(f"{path.name}：{outcome['status']}（{outcome['rows']} 行，错误 {outcome['errors']}）")
    with store.reader() as con:
        summary = query_supervision_summary(con, DEMO_TODAY)
    # The summary's values go through JSON on the command line: compare them as they print.
    printable = json.loads(json.dumps(summary, ensure_ascii=False, default=str))
    expected = json.loads(json.dumps(dataset.expected_summary, ensure_ascii=False, default=str))
    return SupervisionDemo(outcomes, printable, expected)


def reset_warehouse(settings: Settings, *, replace: bool) -> None:
    """Start from an empty warehouse; an existing one is only replaced when asked to."""
    store = open_warehouse(settings)
    if store.exists():
        if not replace:
            raise UsageError(
                f"数据仓库 {store.describe()} 已存在，演示不会覆盖它。",
                hint="请用 --db 指定新的文件，或加 --replace 用演示数据替换它。",
            )
        store.destroy()


def build_demo(
    settings: Settings,
    units: int,
    seed: int,
    workdir: Path,
    ingest: Ingest,
    progress: Progress = lambda _: None,
    *,
    evaluator: str = "evaluator",
) -> DemoResult:
    """Generate, write and load registers and returns for every province, with rejections and resubmissions, then
    the supervision data (inspections, the evaluation round with `evaluator` assigned to a few archives, indicators)."""
    progress(f"生成 {units} 个普查对象的模拟数据（种子 {seed}）")
    dataset = generate_national_dataset(units, seed)
    progress(f"写出各省名录和普查表工作簿到 {workdir}")
    manifest = write_dataset(dataset, workdir, inject_errors=DEMO_ERROR_PROVINCES)
    outcomes = []
    for expectation in manifest.provinces:
        code = expectation.province_code
        request = IngestRequest(
            workdir / expectation.register_file, "register", code, f"{expectation.province_name}档案局"
        )
        outcomes.append(ingest(request))
        request = IngestRequest(workdir / expectation.census_file, "census", code, f"{expectation.province_name}填报员")
        outcome = ingest(request)
        outcomes.append(outcome)
        progress(f"{expectation.province_name}：{outcome['status']}（{outcome['rows']} 行，错误 {outcome['errors']}）")
    resubmit = [e for e in manifest.provinces if e.status == "rejected"]
    # One accepted province also sends its return again (a new file of the same data): it supersedes the first.
    resubmit += [next(e for e in manifest.provinces if e.status == "accepted")]
    for expectation in resubmit:
        code = expectation.province_code
        corrected = workdir / f"census-{code}-resubmitted.xlsx"
        write_census_return(corrected, dataset.provinces[code])
        outcome = ingest(IngestRequest(corrected, "census", code, f"{expectation.province_name}填报员"))
        outcomes.append(outcome)
        progress(f"{expectation.province_name} 重新报送：{outcome['status']}")
    supervision = build_supervision_demo(settings, seed, workdir, ingest, progress, evaluator=evaluator)
    return DemoResult(manifest, outcomes, manifest.national_if_corrected, supervision)
