"""The demo: a seeded national dataset written as real workbooks and loaded through the real ingestion flows."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from census_schema.census_form import ROUND_ID
from census_schema.divisions import load_divisions
from census_schema.errors import UsageError
from census_schema.forms import SUBMISSION_STATUS_LABELS
from census_schema.roles import Role
from census_schema.scopes import (
    APPROVED,
    AWAITING_PROVINCE,
    NATIONAL_REVIEW,
    PROVINCE_REVIEW,
    Scope,
    central_scope,
)
from census_schema.settings import Settings
from census_schema.supervision.indicators import get_indicator
from flows.ingest import IngestRequest
from flows.reminders import write_daily_reminders
from flows.review import review_and_rejudge
from synthetic.census import Manifest, generate_national_dataset, write_census_return
from synthetic.scopes import PlannedReturn, generate_central_dataset, plan_scope_splits, write_demo_dataset
from synthetic.supervision import DEMO_TODAY, generate_supervision_dataset, write_supervision_workbooks
from warehouse.backends import open_warehouse
from warehouse.evaluation import assign_evaluators, open_evaluation
from warehouse.indicators import query_provincial_progress
from warehouse.reviews import Action, Reviewer
from warehouse.scopes import fetch_scope_return
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
        """True when `summary --json` shows the manifest's national figures, breakdowns and red-archive inventory,
        the central channels' figures and the review progress."""
        expected = {
            "national": self.expected,
            "central": self.manifest.central,
            "review": self.manifest.review,
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
    # The latest status of each reported indicator against a province's own target ("ZB04:440000": "达标"), as the
    # warehouse judges it and as the generator planned it.
    provincial: dict[str, str | None] = field(default_factory=dict)
    provincial_expected: dict[str, str] = field(default_factory=dict)

    @property
    def matches(self) -> bool:
        """True when the warehouse shows exactly what the generator planned."""
        return self.summary == self.expected and self.provincial == self.provincial_expected


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
        progress(
            f"{path.name}：{SUBMISSION_STATUS_LABELS[outcome['status']]}（{outcome['rows']} 行，错误 {outcome['errors']}）"
        )
    with store.reader() as con:
        summary = query_supervision_summary(con, DEMO_TODAY)
        # Computed indicators' provincial values come from the census returns loaded: only reported ones are planned.
        provincial = {
            f"{r['indicator_code']}:{r['province_code']}": r["status"]
            for r in query_provincial_progress(con)
            if not get_indicator(r["indicator_code"]).is_computed
        }
    # The summary's values go through JSON on the command line: compare them as they print.
    printable = json.loads(json.dumps(summary, ensure_ascii=False, default=str))
    expected = json.loads(json.dumps(dataset.expected_summary, ensure_ascii=False, default=str))
    planned = {f"{code}:{province}": status for (code, province), status in dataset.expected_provincial.items()}
    return SupervisionDemo(outcomes, printable, expected, provincial, planned)


def reset_warehouse(settings: Settings, *, replace: bool) -> None:
    """Start from an empty warehouse; an existing one is only replaced when asked to."""
    store = open_warehouse(settings)
    if store.exists():
        if not replace:
            raise UsageError(
                f"数据仓库 {store.describe()} 已存在，演示不会覆盖它。",
                hint=(
                    "请用 --warehouse 指定另一个 DuckLake（新建的 PostgreSQL 数据库），或加 --replace 用演示数据替换它。"
                    if settings.is_ducklake
                    else "请用 --db 指定新的文件，或加 --replace 用演示数据替换它。"
                ),
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
    provinces: Sequence[str] | None = None,
) -> DemoResult:
    """Generate, write and load registers and returns of every scope (provinces, some provinces' prefectures and
    counties, the central channels), with rejections and resubmissions, returns sent back with reasons and
    corrected, and reviews at both levels; then the supervision data (inspections, the evaluation round with
    `evaluator` assigned to a few archives, indicators) and the demo day's reminders. `provinces`: load only these
    (default all; tests)."""
    progress(f"生成 {units} 个普查对象的模拟数据（种子 {seed}）")
    dataset = generate_national_dataset(units, seed)
    splits = plan_scope_splits(dataset, provinces=provinces)
    progress(f"写出各省、部分地级和县级单位、中央渠道的名录和普查表工作簿到 {workdir}")
    manifest = write_demo_dataset(
        dataset,
        generate_central_dataset(seed),
        workdir,
        splits,
        inject_errors=DEMO_ERROR_PROVINCES,
        provinces=provinces,
    )
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
        progress(
            f"{expectation.province_name}：{SUBMISSION_STATUS_LABELS[outcome['status']]}（{outcome['rows']} 行，错误 {outcome['errors']}）"
        )
    split_codes = {split.province_code for split in splits}
    resubmit = [e for e in manifest.provinces if e.status == "rejected"]
    # One accepted province also sends its return again (a new file of the same data): it supersedes the first.
    resubmit += [e for e in manifest.provinces if e.status == "accepted" and e.province_code not in split_codes][:1]
    for expectation in resubmit:
        code = expectation.province_code
        corrected = workdir / f"census-{code}-resubmitted.xlsx"
        write_census_return(corrected, dataset.provinces[code])
        outcome = ingest(IngestRequest(corrected, "census", code, f"{expectation.province_name}填报员"))
        outcomes.append(outcome)
        progress(f"{expectation.province_name} 重新报送：{SUBMISSION_STATUS_LABELS[outcome['status']]}")
    outcomes += _load_other_scopes(manifest, workdir, ingest, progress)
    outcomes += _review(settings, manifest, workdir, ingest, progress)
    supervision = build_supervision_demo(settings, seed, workdir, ingest, progress, evaluator=evaluator)
    # What the daily reminders flow would have written on the demo's day (the served demo judges deadlines on it).
    reminders = write_daily_reminders(open_warehouse(settings), DEMO_TODAY)
    progress(f"生成 {reminders['total']} 条当日提醒（{DEMO_TODAY:%Y年%-m月%-d日}）")
    return DemoResult(manifest, outcomes, manifest.national_if_corrected, supervision)


def _uploader(planned: PlannedReturn) -> str:
    return f"{planned.scope_name}{'报送人' if planned.province_code is None else '档案局填报员'}"


def _load_other_scopes(manifest: Manifest, workdir: Path, ingest: Ingest, progress: Progress) -> list[dict[str, Any]]:
    """The prefectures' and counties' returns, then each central channel's register and return."""
    outcomes = []
    for planned in manifest.returns:
        if planned.scope_kind in ("prefecture", "county") and planned.file:
            request = IngestRequest(workdir / planned.file, "census", planned.province_code, _uploader(planned))
            outcomes.append(ingest(request))
            progress(
                f"{planned.scope_name}：{SUBMISSION_STATUS_LABELS[outcomes[-1]['status']]}（{outcomes[-1]['rows']} 行）"
            )
    for files in manifest.central_files:
        scope = central_scope(files.channel)
        for kind, file in (("register", files.register_file), ("census", files.census_file)):
            outcomes.append(
                ingest(IngestRequest(workdir / file, kind, None, f"{files.channel_name}报送人", scope=scope))
            )
        progress(
            f"{files.channel_name}：{SUBMISSION_STATUS_LABELS[outcomes[-1]['status']]}（{outcomes[-1]['rows']} 行）"
        )
    return outcomes


def _reviewer(level: str, planned: PlannedReturn) -> Reviewer:
    if level == PROVINCE_REVIEW and planned.province_code is not None:
        name = load_divisions().name(planned.province_code)
        return Reviewer(f"{name}档案局", Role.PROVINCE, planned.province_code)
    return Reviewer(DEMO_PLANNER, Role.PLANNER)


def _current_id(settings: Settings, scope: Scope) -> str:
    with open_warehouse(settings).reader() as con:
        current, _ = fetch_scope_return(con, "census", scope, ROUND_ID)
    if current is None:
        raise RuntimeError(f"the demo has no current census return for {scope}")
    return current.submission_id


def _reviewing(
    submission_id: str, action: Action, reviewer: Reviewer, reason: str | None
) -> Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]:
    """The work of one review, for the warehouse's writer."""
    return lambda con: review_and_rejudge(con, submission_id, action, reviewer, reason)


def _review(
    settings: Settings, manifest: Manifest, workdir: Path, ingest: Ingest, progress: Progress
) -> list[dict[str, Any]]:
    """Send back the planned returns with their reasons and load their corrections, then review every current
    return up to its planned state: the province first for prefectures and counties, then the national bureau."""
    store, outcomes = open_warehouse(settings), []
    for planned in manifest.returns:
        if planned.return_reason is None or planned.corrected_file is None:
            continue
        level, submission_id = planned.scope.first_review_level, _current_id(settings, planned.scope)
        reviewer, reason = _reviewer(level, planned), planned.return_reason
        store.write(_reviewing(submission_id, "return", reviewer, reason))
        request = IngestRequest(
            workdir / planned.corrected_file, "census", planned.province_code, _uploader(planned), scope=planned.scope
        )
        outcomes.append(ingest(request))
        progress(f"{planned.scope_name} 退回后更正重报：{SUBMISSION_STATUS_LABELS[outcomes[-1]['status']]}")
    for planned in manifest.returns:
        steps = []
        if planned.scope.first_review_level == PROVINCE_REVIEW and planned.final_state != AWAITING_PROVINCE:
            steps.append(PROVINCE_REVIEW)
        if planned.final_state == APPROVED:
            steps.append(NATIONAL_REVIEW)
        for level in steps:
            submission_id, reviewer = _current_id(settings, planned.scope), _reviewer(level, planned)
            store.write(_reviewing(submission_id, "accept", reviewer, None))
    progress(f"审核：{len(manifest.returns)} 份现行普查表，已审核 {manifest.review['by_state'][APPROVED]} 份")
    return outcomes
