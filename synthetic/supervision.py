"""Seeded supervision data for the demo, and the supervision summary it must produce on the demo's fixed day.

Inspections: the 30 central organs and 30 central state-owned enterprises inspected by the national bureau in 2023,
follow-ups (回头看) of some of them in 2025, provincial archives bureaus inspected by the national bureau in 2024,
and two city or county bureaus per province inspected by their provincial bureau in 2024 and 2025; about eight
findings each, walked through the rectification lifecycle by the domain's own `apply_transition` up to
`DEMO_TODAY`, so every state occurs and some findings are overdue. The workbooks are split by year, as bureaus
report: each year's records and findings, and the changes made that year.

Evaluation: a full round of the 47 comprehensive archives, 3–5 experts each, their self-evaluations, a few items
reconciled by the panel, self-scores that deviate, one failed veto item, bonus points; the demo evaluator is
assigned to a few archives as an extra expert who has not scored yet, and the round stays open.

Indicators: reported values of the plan's indicators for 2021–2025 (and ZB04's open baseline for 2020), and a few
provinces' own targets (分省目标) with their reported values for 2023–2024, so that provinces are 达标, 滞后 and
严重滞后 against their targets (`expected_provincial`; the summary stays national).

`expected_summary` is computed here from the generated data with the domain's functions, independently of the
warehouse, in the shape of `archive-census supervision summary --json`.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from census_schema.archives import list_comprehensive_archives
from census_schema.divisions import PREFECTURE, load_divisions
from census_schema.supervision.checklist import CURRENT_CHECKLIST, ChecklistItem
from census_schema.supervision.codes import (
    CENTRAL_UNIT_CLASSES,
    COMPREHENSIVE,
    INSPECTION_GRADE,
    NATIONAL_BUREAU,
    SPECIAL,
    SPECIAL_RESULT,
    VETO_FAILED,
    VETO_PASSED,
    EvaluationStatus,
    FindingAction,
    FindingRole,
    FindingSeverity,
    FindingSource,
    FindingStatus,
    Grade,
    IndicatorStatus,
)
from census_schema.supervision.evaluation import CURRENT_STANDARD, SELF_SOURCE
from census_schema.supervision.forms import (
    EVALUATION_ROUND,
    EVALUATION_WORKBOOK,
    INDICATORS_WORKBOOK,
    INSPECTIONS_WORKBOOK,
)
from census_schema.supervision.indicators import INDICATORS_BY_CODE, PLAN_BASE_YEAR, PLAN_TARGET_YEAR
from census_schema.template import write_workbook
from supervision.grading import grade_record
from supervision.indicators import evaluate_indicator, expected_progress, indicator_status, year_is_over
from supervision.lifecycle import FindingState, apply_transition, is_overdue
from supervision.rows import as_yes_no, finding_deadline, start_of
from supervision.scoring import Reconciliation, ScoreSheet, differ_too_much, evaluate_archive, tolerance
from synthetic.census import GIVEN_NAME_CHARS, SURNAMES, generate_uscc

DEMO_TODAY = date(2025, 6, 30)
CENTRAL_DIVISION = "110000"
# USCC bodies of inspected units sit in a block of their own, apart from the census holders'.
_USCC_BODY_BASE = 97_000_000
ONE = Decimal("0.1")
S, A = FindingStatus, FindingAction
R, V = FindingRole.RECTIFIER, FindingRole.REVIEWER

CENTRAL_ORGANS = (
    "外交部", "国家发展和改革委员会", "教育部", "科学技术部", "工业和信息化部", "国家民族事务委员会", "公安部",
    "民政部", "司法部", "财政部", "人力资源和社会保障部", "自然资源部", "生态环境部", "住房和城乡建设部",
    "交通运输部", "水利部", "农业农村部", "商务部", "文化和旅游部", "国家卫生健康委员会", "退役军人事务部",
    "应急管理部", "中国人民银行", "审计署", "国务院国有资产监督管理委员会", "海关总署", "国家税务总局",
    "国家市场监督管理总局", "国家金融监督管理总局", "国家统计局",
)  # fmt: skip
CENTRAL_ENTERPRISES = (
    "中国核工业集团有限公司", "中国航天科技集团有限公司", "中国航天科工集团有限公司", "中国航空工业集团有限公司",
    "中国船舶集团有限公司", "中国兵器工业集团有限公司", "中国兵器装备集团有限公司", "中国电子科技集团有限公司",
    "中国石油天然气集团有限公司", "中国石油化工集团有限公司", "中国海洋石油集团有限公司", "国家电网有限公司",
    "中国南方电网有限责任公司", "中国华能集团有限公司", "中国大唐集团有限公司", "中国华电集团有限公司",
    "国家电力投资集团有限公司", "中国长江三峡集团有限公司", "国家能源投资集团有限责任公司", "中国电信集团有限公司",
    "中国联合网络通信集团有限公司", "中国移动通信集团有限公司", "中国第一汽车集团有限公司", "东风汽车集团有限公司",
    "中国中化控股有限责任公司", "中国宝武钢铁集团有限公司", "中国铝业集团有限公司", "中国远洋海运集团有限公司",
    "中国航空集团有限公司", "中国建筑集团有限公司",
)  # fmt: skip
PROVINCES_INSPECTED_NATIONALLY = 8
FOLLOW_UPS = 6
UNITS_PER_PROVINCE = 2
RESPONSIBLE_UNITS = ("办公厅（室）", "档案处", "档案馆", "综合处", "信息中心", "后勤服务中心")
SEVERITY_WEIGHTS = {
    FindingSeverity.MINOR: 50,
    FindingSeverity.SERIOUS: 30,
    FindingSeverity.GRAVE: 15,
    FindingSeverity.MAJOR_HAZARD: 5,
}

# Lifecycle walks (actions in order); each finding takes one, weighted by how long ago it was issued.
WALKS: dict[str, tuple[FindingAction, ...]] = {
    "issued": (),
    "started": (A.START,),
    "submitted": (A.START, A.SUBMIT),
    "closed": (A.START, A.SUBMIT, A.CLOSE),
    "returned": (A.START, A.SUBMIT, A.RETURN),
    "returned_closed": (A.START, A.SUBMIT, A.RETURN, A.SUBMIT, A.CLOSE),
    "phased": (A.START, A.MAKE_PHASED),
    "phased_milestone": (A.START, A.MAKE_PHASED, A.REPORT_MILESTONE),
    "extended": (A.EXTEND, A.START),
    "reopened": (A.START, A.SUBMIT, A.CLOSE, A.REOPEN),
    "extended_submitted": (A.START, A.EXTEND, A.SUBMIT),
    "phased_submitted": (A.START, A.MAKE_PHASED, A.REPORT_MILESTONE, A.SUBMIT),
}
WALK_WEIGHTS: dict[str, dict[str, int]] = {
    "old": {"closed": 44, "returned_closed": 14, "reopened": 7, "submitted": 6, "phased": 4, "phased_milestone": 5,
            "started": 5, "returned": 4, "issued": 3, "extended": 3, "extended_submitted": 3, "phased_submitted": 2},
    "recent": {"closed": 24, "returned_closed": 5, "submitted": 14, "started": 15, "returned": 7, "phased": 6,
               "phased_milestone": 4, "issued": 10, "extended": 7, "extended_submitted": 5, "phased_submitted": 3},
    "new": {"issued": 45, "started": 30, "submitted": 10, "extended": 8, "closed": 7},
}  # fmt: skip
NOTES = {
    A.RETURN: "佐证材料不全，请补充整改前后对比照片",
    A.EXTEND: "涉及经费审批和设备采购，申请延期",
    A.MAKE_PHASED: "需分阶段实施：立项、建设、验收",
    A.REPORT_MILESTONE: "第一阶段工作已完成",
    A.REOPEN: "回头看发现问题反弹，重新整改",
}
# The rectifier's measures (整改措施) on its actions; fixed texts, so the seeded draws are those of the workbooks
# without the column (and the expected summary, which does not count measures, is unchanged).
MEASURES = {
    A.START: "制定整改方案，明确责任部门和完成时限",
    A.SUBMIT: "已按整改要求完成整改，并修订相关制度防止问题反弹",
    A.REPORT_MILESTONE: "完成本阶段整改任务，后续阶段按计划推进",
}

# Reported indicator values by year (national); ZB04's 2020 value fills the baseline the plan leaves open.
INDICATOR_VALUES: dict[str, dict[int, str]] = {
    "ZB01": {2021: "28", 2022: "61", 2023: "84", 2024: "118", 2025: "131"},
    "ZB02": {2021: "4", 2022: "9", 2023: "15", 2024: "22", 2025: "24"},
    "ZB03": {2021: "12", 2022: "22", 2023: "31", 2024: "40", 2025: "46"},
    "ZB04": {2020: "78.5", 2021: "83", 2022: "87.9", 2023: "91.2", 2024: "94.5", 2025: "96"},
    "ZB05": {2021: "10", 2022: "25", 2023: "45", 2024: "70", 2025: "85"},
    "ZB06": {2021: "5", 2022: "15", 2023: "30", 2024: "48", 2025: "60"},
    "ZB07": {2021: "0", 2022: "1", 2023: "2", 2024: "3", 2025: "3"},
    "JC08": {2022: "1200", 2023: "1260", 2024: "1340", 2025: "1400"},
    "JC09": {2022: "120", 2023: "128", 2024: "135", 2025: "142"},
}


# Provinces' own targets (分省目标): (baseline, target) from 2020 to 2025, and the values they reported; the latest
# year's statuses are all three kinds. JC01 (computed from the census) has a target in Guangdong only: its value is
# the census's, so its status depends on the census returns loaded.
PROVINCIAL_TARGETS: dict[tuple[str, str], tuple[str, str]] = {
    ("ZB01", "440000"): ("0", "12"),
    ("ZB01", "320000"): ("0", "10"),
    ("ZB01", "330000"): ("0", "9"),
    ("ZB04", "440000"): ("70", "100"),
    ("ZB04", "450000"): ("60", "100"),
    ("ZB04", "510000"): ("75", "100"),
    ("ZB04", "320000"): ("80", "100"),
    ("JC01", "440000"): ("30", "60"),
}
PROVINCIAL_VALUES: dict[tuple[str, str], dict[int, str]] = {
    ("ZB01", "440000"): {2023: "7", 2024: "10"},  # 2024: 9.6 expected, 达标
    ("ZB01", "320000"): {2023: "6", 2024: "7"},  # 8 expected, at least 6.4: 滞后
    ("ZB01", "330000"): {2023: "3", 2024: "4"},  # 7.2 expected, below 5.76: 严重滞后
    ("ZB04", "440000"): {2023: "88", 2024: "95"},  # 94 expected: 达标
    ("ZB04", "450000"): {2023: "80", 2024: "88"},  # 92 expected, at least 85.6: 滞后
    ("ZB04", "510000"): {2023: "84", 2024: "85"},  # 95 expected, below 91: 严重滞后
    ("ZB04", "320000"): {2023: "91", 2024: "97"},  # 96 expected: 达标
}
PROVINCIAL_TARGET_NOTE = "本省档案事业发展“十四五”规划"


@dataclass(frozen=True)
class SupervisionDataset:
    """Everything the demo uploads, in order, and the summary the warehouse must then show on DEMO_TODAY."""

    seed: int
    inspection_books: tuple[tuple[str, Mapping[str, Sequence[Mapping[str, Any]]]], ...]
    assignments: tuple[tuple[str, str], ...]
    self_rows: tuple[Mapping[str, Any], ...]
    expert_rows: tuple[Mapping[str, Any], ...]
    indicator_rows: tuple[Mapping[str, Any], ...]
    expected_summary: Mapping[str, Any]
    target_rows: tuple[Mapping[str, Any], ...]
    # The latest status of each reported indicator and province against the province's own target.
    expected_provincial: Mapping[tuple[str, str], str]


@dataclass
class _Unit:
    name: str
    unit_class: str
    division_code: str
    uscc_prefix: str
    uscc_division: str


class _Names:
    """Distinct personal names from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set[str]()

    def take(self) -> str:
        while True:
            given = "".join(self.rng.choice(GIVEN_NAME_CHARS) for _ in range(self.rng.choice((1, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.used:
                self.used.add(name)
                return name


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------------------------ inspections


def _units() -> tuple[list[_Unit], list[_Unit], dict[str, list[_Unit]]]:
    divisions = load_divisions()
    organs = [_Unit(n, CENTRAL_UNIT_CLASSES[0], CENTRAL_DIVISION, "11", "100000") for n in CENTRAL_ORGANS]
    enterprises = [_Unit(n, CENTRAL_UNIT_CLASSES[1], CENTRAL_DIVISION, "91", "100000") for n in CENTRAL_ENTERPRISES]
    local: dict[str, list[_Unit]] = {}
    for province in divisions.census_provinces():
        children = sorted(
            (d for d in divisions.by_code.values() if d.parent_code == province.code),
            key=lambda d: (d.level != PREFECTURE, d.code),
        )
        local[province.code] = [
            _Unit(f"{divisions.place_name(d.code)}档案局", "市县", d.code, "11", d.code)
            for d in children[:UNITS_PER_PROVINCE]
        ]
    return organs, enterprises, local


def _assign_usccs(units: Sequence[_Unit]) -> list[str]:
    codes = generate_uscc(
        np.array([u.uscc_prefix for u in units]),
        np.array([u.uscc_division for u in units]),
        np.arange(len(units)) + _USCC_BODY_BASE,
    )
    return codes.to_list()


def _dates(rng: random.Random, start: date, end: date) -> tuple[date, date, date, date]:
    notice = start + timedelta(days=rng.randrange((end - start).days))
    onsite = notice + timedelta(days=rng.randint(7, 20))
    onsite_end = onsite + timedelta(days=rng.randint(1, 3))
    feedback = onsite_end + timedelta(days=rng.randint(7, 25))
    return notice, onsite, onsite_end, feedback


@dataclass
class _Generated:
    records: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    updates: list[dict[str, Any]]
    states: dict[str, FindingState]
    finding_unit: dict[str, tuple[str, str]]


def _inspection_record(
    rng: random.Random,
    names: _Names,
    inspection_id: str,
    year: int,
    kind: str,
    organiser: str,
    unit: _Unit,
    uscc: str,
    window: tuple[date, date],
) -> dict[str, Any]:
    notice, onsite, onsite_end, feedback = _dates(rng, *window)
    applicable = compliant = failed = 0
    incident = False
    special_result: Grade | None = None
    if kind == COMPREHENSIVE:
        applicable = rng.randint(34, len(CURRENT_CHECKLIST.items))
        compliant = round(applicable * rng.uniform(0.55, 0.95))
        failed = 1 if rng.random() < 0.12 and compliant < applicable else 0
        incident = rng.random() < 0.03
    elif kind == SPECIAL:
        applicable = rng.randint(8, 15)
        compliant = rng.randint(applicable // 2, applicable)
        special_result = Grade.PASSED if compliant * 10 >= applicable * 8 else Grade.FAIL
    return {
        "inspection_id": inspection_id,
        "year": year,
        "inspection_type": kind,
        "organiser": organiser,
        "unit_uscc": uscc,
        "unit_name": unit.name,
        "unit_class": unit.unit_class,
        "division_code": unit.division_code,
        "notice_date": notice,
        "onsite_start": onsite,
        "onsite_end": onsite_end,
        "inspectors": "、".join(names.take() for _ in range(rng.randint(2, 4))),
        "checklist_version": CURRENT_CHECKLIST.version,
        "items_applicable": applicable,
        "items_compliant": compliant,
        "failed_veto_items": failed,
        "has_security_incident": as_yes_no(incident),
        "special_result": special_result.value if special_result else None,
        "feedback_date": feedback,
        "feedback_doc_no": f"{organiser[:2]}档函〔{year}〕{rng.randint(10, 199)}号",
        "remarks": None,
    }


def _walk_bucket(feedback: date) -> str:
    age = (DEMO_TODAY - feedback).days
    return "old" if age > 365 else "recent" if age > 90 else "new"


def _counted_vetoes(items: list[ChecklistItem], failed: int) -> list[ChecklistItem]:
    """The sampled items with veto items beyond the record's failed count swapped for unused ordinary items, in
    checklist order (a finding on a veto item means it failed; the record must count it)."""
    spare = iter(i for i in CURRENT_CHECKLIST.items if not i.is_veto and i not in items)
    kept: list[ChecklistItem] = []
    for item in items:
        vetoes = sum(i.is_veto for i in kept)
        kept.append(next(spare) if item.is_veto and vetoes >= failed else item)
    return kept


def _findings_of(
    rng: random.Random, names: _Names, record: Mapping[str, Any], count: int, generated: _Generated
) -> None:
    items = _counted_vetoes(rng.sample(CURRENT_CHECKLIST.items, count), int(record["failed_veto_items"] or 0))
    reviewer = str(record["inspectors"]).split("、")[0]
    feedback: date = record["feedback_date"]
    for n, item in enumerate(items, 1):
        finding_id = f"{record['inspection_id']}-{n:02d}"
        severity = rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
        immediate = rng.random() < 0.1
        given = feedback + timedelta(days=rng.randint(20, 60)) if not immediate and rng.random() < 0.15 else None
        deadline = finding_deadline(feedback, severity, immediate, given)
        person = names.take()
        area = CURRENT_CHECKLIST.area_of(item.code)
        generated.findings.append(
            {
                "finding_id": finding_id,
                "inspection_id": record["inspection_id"],
                "item_code": item.code,
                "description": f"{area.name}：{item.text}的要求落实不到位。",
                "severity": severity.value,
                "is_immediate": as_yes_no(immediate),
                "requirement": f"对照{item.basis or '有关规定'}，{'立即' if immediate else '限期'}整改到位。",
                "deadline": given,
                "responsible_unit": rng.choice(RESPONSIBLE_UNITS),
                "responsible_person": person,
                "remarks": None,
            }
        )
        state = replace(FindingState(finding_id, S.ISSUED, deadline, person), updated_at=start_of(feedback))
        colleague = names.take()
        walk_name = rng.choices(*zip(*WALK_WEIGHTS[_walk_bucket(feedback)].items(), strict=True))[0]
        if immediate:
            walk_name = "closed" if _walk_bucket(feedback) != "new" or rng.random() < 0.7 else "started"
        day = feedback
        for action in WALKS[walk_name]:
            day = day + timedelta(days=rng.randint(0, 8) if immediate else rng.randint(3, 45))
            if action is A.REOPEN:
                day = day + timedelta(days=rng.randint(120, 300))
            if day > DEMO_TODAY:
                break
            state = _step(rng, generated, state, action, day, person, colleague, reviewer)
        generated.states[finding_id] = state
        generated.finding_unit[finding_id] = (str(record["unit_class"]), str(record["division_code"]))


def _step(
    rng: random.Random,
    generated: _Generated,
    state: FindingState,
    action: FindingAction,
    day: date,
    person: str,
    colleague: str,
    reviewer: str,
) -> FindingState:
    rule_role = R if action in (A.START, A.SUBMIT, A.REPORT_MILESTONE) else V
    by = reviewer if rule_role is V else (colleague if action is A.SUBMIT and rng.random() < 0.2 else person)
    note, measures = NOTES.get(action), MEASURES.get(action)
    evidence = None
    if action in (A.SUBMIT, A.REPORT_MILESTONE):
        evidence = f"{state.finding_id}-整改报告.pdf"
    elif action is A.CLOSE:
        evidence = f"复核意见书（{state.finding_id}）"
    new_deadline = None
    # A new deadline lies after the day it is set (an extension into the past is refused).
    if action is A.EXTEND:
        new_deadline = max(state.deadline, day) + timedelta(days=rng.randint(30, 90))
    elif action is A.MAKE_PHASED:
        new_deadline = max(state.deadline, day) + timedelta(days=rng.randint(150, 360))
    elif action is A.REOPEN and rng.random() < 0.6:
        new_deadline = max(state.deadline, day) + timedelta(days=rng.randint(30, 90))
    after, _ = apply_transition(state, action, by, rule_role, start_of(day), note, evidence, new_deadline, measures)
    generated.updates.append(
        {
            "finding_id": state.finding_id,
            "action_on": day,
            "action": action.value,
            "actor": by,
            "role": rule_role.label,
            "note": note,
            "measures": measures,
            "evidence": evidence,
            "new_deadline": new_deadline,
        }
    )
    return after


def _generate_inspections(rng: random.Random) -> _Generated:
    names = _Names(rng)
    organs, enterprises, local = _units()
    provinces = load_divisions().census_provinces()
    national_provinces = rng.sample(provinces, PROVINCES_INSPECTED_NATIONALLY)
    province_units = [_Unit(f"{p.name}档案局", "省级", p.code, "11", p.code) for p in national_provinces]
    everyone = [*organs, *enterprises, *province_units, *(u for units in local.values() for u in units)]
    usccs = dict(zip((id(u) for u in everyone), _assign_usccs(everyone), strict=True))
    generated = _Generated([], [], [], {}, {})
    plan: list[tuple[str, int, str, str, _Unit, tuple[date, date], int]] = []
    for i, unit in enumerate([*organs, *enterprises], 1):
        plan.append(
            (f"JC2023-{i:03d}", 2023, "综合检查", NATIONAL_BUREAU, unit, (date(2023, 3, 1), date(2023, 10, 31)), 8)
        )
    for i, unit in enumerate(province_units, 1):
        window = (date(2024, 3, 1), date(2024, 10, 31))
        plan.append((f"JC2024-{i:03d}", 2024, "综合检查", NATIONAL_BUREAU, unit, window, 8))
    for i, unit in enumerate(rng.sample(organs, FOLLOW_UPS), 1):
        window = (date(2025, 2, 1), date(2025, 4, 30))
        plan.append((f"JC2025-{i:03d}", 2025, "回头看", NATIONAL_BUREAU, unit, window, 3))
    for province in provinces:
        organiser = f"{province.name}档案局"
        for n, unit in enumerate(local[province.code]):
            year = 2024 + n
            kind = rng.choices(("综合检查", "专项检查", "执法检查"), weights=(6, 2, 2))[0]
            window = (date(2024, 3, 1), date(2024, 11, 30)) if year == 2024 else (date(2025, 1, 6), date(2025, 5, 10))
            plan.append((f"SJ{province.code[:2]}-{year}-{n + 1:02d}", year, kind, organiser, unit, window, 8))
    for inspection_id, year, kind, organiser, unit, window, mean in plan:
        record = _inspection_record(rng, names, inspection_id, year, kind, organiser, unit, usccs[id(unit)], window)
        generated.records.append(record)
        count = max(2, min(len(CURRENT_CHECKLIST.items), round(rng.gauss(mean, 1.5))))
        _findings_of(rng, names, record, count, generated)
    return generated


def _books_by_year(generated: _Generated) -> tuple[tuple[str, Mapping[str, Sequence[Mapping[str, Any]]]], ...]:
    years = sorted({r["year"] for r in generated.records} | {u["action_on"].year for u in generated.updates})
    inspection_year = {r["inspection_id"]: r["year"] for r in generated.records}
    books = []
    for year in years:
        updates = sorted((u for u in generated.updates if u["action_on"].year == year), key=lambda u: u["action_on"])
        books.append(
            (
                f"inspections-{year}",
                {
                    "检查记录": [r for r in generated.records if r["year"] == year],
                    "发现问题": [f for f in generated.findings if inspection_year[f["inspection_id"]] == year],
                    "整改进展": updates,
                },
            )
        )
    return tuple(books)


def _expected_inspections(generated: _Generated) -> dict[str, Any]:
    records = generated.records
    comprehensive = [r for r in records if r["inspection_type"] == COMPREHENSIVE]
    grades = Counter(g.value for r in comprehensive if (g := grade_record(r)[1]) is not None)
    results = Counter(r["special_result"] for r in records if r["special_result"] is not None)
    return {
        "total": len(records),
        "by_year": dict(sorted(Counter(str(r["year"]) for r in records).items())),
        "by_type": dict(sorted(Counter(r["inspection_type"] for r in records).items())),
        "by_class": dict(sorted(Counter(r["unit_class"] for r in records).items())),
        "by_grade": {g: grades.get(g, 0) for g in INSPECTION_GRADE.values},
        "special_results": {r: results.get(r, 0) for r in SPECIAL_RESULT.values},
    }


def _expected_findings(generated: _Generated) -> dict[str, Any]:
    divisions = load_divisions()

    def blank() -> dict[str, Any]:
        return {"findings": 0, "overdue": 0, "by_state": {s.value: 0 for s in FindingStatus}}

    provinces = {p.code: blank() for p in divisions.census_provinces()}
    central = {c: blank() for c in CENTRAL_UNIT_CLASSES}
    severity = {f["finding_id"]: f["severity"] for f in generated.findings}
    for finding_id, state in generated.states.items():
        unit_class, division = generated.finding_unit[finding_id]
        target = central[unit_class] if unit_class in central else provinces[divisions.get(division).province_code]
        target["findings"] += 1
        target["overdue"] += is_overdue(state, DEMO_TODAY)
        target["by_state"][state.status.value] += 1
    states = Counter(s.status.value for s in generated.states.values())
    return {
        "total": len(generated.states),
        "overdue": sum(is_overdue(s, DEMO_TODAY) for s in generated.states.values()),
        "by_state": {s.value: states.get(s.value, 0) for s in FindingStatus},
        "by_severity": {s.value: Counter(severity.values()).get(s.value, 0) for s in FindingSeverity},
        # The demo's evaluation round stays open for scoring: no evaluation problems are issued as findings.
        "by_source": {FindingSource.INSPECTION.value: len(generated.states), FindingSource.EVALUATION.value: 0},
        "provinces": [
            {"province_code": code, "province_name": divisions.name(code), **figures}
            for code, figures in provinces.items()
        ],
        "central": [{"unit_class": c, **figures} for c, figures in central.items()],
    }


# ------------------------------------------------------------------------------------------------- evaluation


def _clamp(value: Decimal, top: Decimal) -> Decimal:
    return min(max(_round(value), Decimal(0)), top)


def _generate_evaluation(
    rng: random.Random, evaluator: str, evaluator_archives: int
) -> tuple[list[tuple[str, str]], list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    standard = CURRENT_STANDARD
    names = _Names(rng)
    pool = [names.take() for _ in range(24)]
    archives = list_comprehensive_archives()
    extra = {a.archive_code for a in rng.sample(archives, evaluator_archives)}
    vetoed = rng.choice(archives).archive_code
    assignments, self_rows, expert_rows = [], [], []
    evaluations = []
    for archive in archives:
        code = archive.archive_code
        experts = rng.sample(pool, rng.randint(3, 5))
        assignments += [(code, e) for e in experts]
        if code in extra:
            assignments.append((code, evaluator))
        quality = rng.uniform(0.70, 0.97)
        reconciled_items = set(rng.sample([i.code for i in standard.items], rng.choice((0, 1, 1, 2))))
        deviating = set(rng.sample([i.code for i in standard.items], 2))
        sheets = {e: dict[str, Decimal]() for e in experts}
        verdicts = {e: dict[str, bool]() for e in experts}
        reconciliations: dict[str, Reconciliation] = {}
        own: dict[str, Decimal] = {}
        for item in standard.items:
            top = item.max_points
            base = top * Decimal(str(round(min(1.0, max(0.3, rng.gauss(quality, 0.05))), 3)))
            scores = [_clamp(base + top * Decimal(str(round(rng.uniform(-0.05, 0.05), 3))), top) for _ in experts]
            if item.code in reconciled_items:
                scores[0] = _clamp(scores[0] - tolerance(top) * Decimal("1.6"), top) if scores[0] > top / 2 else top
            if differ_too_much(scores, top) and item.code not in reconciled_items:
                scores = [_clamp(base, top)] * len(experts)
            mean = sum(scores, Decimal(0)) / len(scores)
            if item.code in reconciled_items and differ_too_much(scores, top):
                reconciliations[item.code] = Reconciliation(_clamp(mean, top), "专家组合议：综合现场查看和佐证材料确定")
            bump = (
                top * Decimal("0.3") if item.code in deviating else top * Decimal(str(round(rng.uniform(0, 0.06), 3)))
            )
            own[item.code] = _clamp(mean + bump, top)
            for expert, score in zip(experts, scores, strict=True):
                sheets[expert][item.code] = score
                if item.is_veto:
                    failed = code == vetoed and expert == experts[0] and item.code == standard.veto_items[0].code
                    verdicts[expert][item.code] = not failed
        bonus = {b.code: b.max_points / 2 for b in standard.bonus_items if rng.random() < 0.2}
        for expert in experts:
            sheets[expert].update(bonus)
        claimed = {
            **bonus,
            **({standard.bonus_items[0].code: standard.bonus_items[0].max_points} if rng.random() < 0.3 else {}),
        }
        self_verdicts = {i.code: True for i in standard.veto_items}
        evaluations.append(
            evaluate_archive(
                standard,
                ScoreSheet(SELF_SOURCE, {**own, **claimed}, self_verdicts),
                [ScoreSheet(e, sheets[e], verdicts[e]) for e in experts],
                reconciliations,
            )
        )
        self_rows += _score_rows(code, archive.name, SELF_SOURCE, {**own, **claimed}, self_verdicts, {})
        for n, expert in enumerate(experts):
            expert_rows += _score_rows(
                code, archive.name, expert, sheets[expert], verdicts[expert], reconciliations if n == 0 else {}
            )
    statuses = Counter(e.status.value for e in evaluations)
    grades = Counter(e.result.grade.value for e in evaluations if e.result is not None)
    expected = {
        "round": EVALUATION_ROUND,
        "is_open": True,
        "closed_at": None,
        "archives": len(archives),
        "assignments": len(assignments),
        "assigned_archives": len({a for a, _ in assignments}),
        "evaluators": len({e for _, e in assignments}),
        "by_status": {s.value: statuses.get(s.value, 0) for s in EvaluationStatus},
        "grades": {g.value: grades.get(g.value, 0) for g in Grade},
    }
    return assignments, self_rows, expert_rows, expected


def _score_rows(
    archive: str,
    name: str,
    scorer: str,
    scores: Mapping[str, Decimal],
    verdicts: Mapping[str, bool],
    reconciliations: Mapping[str, Reconciliation],
) -> list[dict[str, Any]]:
    rows = []
    for item_code, score in scores.items():
        rec = reconciliations.get(item_code)
        rows.append(
            {
                "archive_code": archive,
                "archive_name": name,
                "scorer": scorer,
                "item_code": item_code,
                "score": score,
                "veto_verdict": None
                if item_code not in verdicts
                else VETO_PASSED
                if verdicts[item_code]
                else VETO_FAILED,
                "remark": _remark(item_code, score, verdicts.get(item_code)) if scorer != SELF_SOURCE else None,
                "evidence": f"{name}自评佐证材料（{item_code}）" if scorer == SELF_SOURCE else None,
                "reconciled": rec.value if rec else None,
                "note": rec.note if rec else None,
            }
        )
    return rows


def _remark(item_code: str, score: Decimal, passed: bool | None) -> str | None:
    """An expert's 扣分说明 on an item they took points off (no random draw: the expected figures stay as they are);
    a veto item passed lost its points on how it is shown, not by the event itself having happened."""
    item = CURRENT_STANDARD.items_by_code.get(item_code)
    if item is None or score >= item.max_points:
        return None
    if passed is False:
        return f"现场核查未达到“{item.text}”的要求（否决项不通过）。"
    if item.is_veto:
        return f"“{item.text}”的佐证材料（制度、台账、检查记录）不够完整。"
    return f"现场核查未完全达到“{item.text}”的要求。"


# ------------------------------------------------------------------------------------------------- indicators


def _generate_indicators() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = [
        {"indicator_code": code, "year": year, "province_code": None, "value": Decimal(value), "note": "年度统计"}
        for code, by_year in INDICATOR_VALUES.items()
        for year, value in by_year.items()
    ]
    places = Decimal("0.01")
    by_year: dict[int, Counter[str]] = defaultdict(Counter)
    latest: list[dict[str, Any]] = []
    for code, values in INDICATOR_VALUES.items():
        indicator = INDICATORS_BY_CODE[code]
        if indicator.target is None:
            continue
        baseline = indicator.baseline if indicator.baseline is not None else Decimal(values[indicator.base_year])
        filled = replace(indicator, baseline=baseline)
        last = None
        for year, text in sorted(values.items()):
            if year <= indicator.base_year or not year_is_over(year, DEMO_TODAY):
                continue
            status = evaluate_indicator(filled, Decimal(text), year)
            assert status is not None
            by_year[year][status.value] += 1
            expected = expected_progress(baseline, indicator.target, indicator.base_year, indicator.target_year, year)
            last = {
                "indicator_code": code,
                "indicator_name": indicator.name,
                "year": year,
                "value": Decimal(text).quantize(places),
                "expected": expected.quantize(places),
                "status": status.value,
            }
        if last is not None:
            latest.append(last)
    summary = {
        "by_year": {str(y): {s.value: c.get(s.value, 0) for s in IndicatorStatus} for y, c in sorted(by_year.items())},
        "latest": latest,
    }
    return rows, summary


def _generate_provincial_targets() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[tuple[str, str], str]]:
    """The provinces' targets and values as uploaded, and each reported one's latest status by the domain's rule."""
    targets = [
        {
            "indicator_code": code,
            "province_code": province,
            "base_year": PLAN_BASE_YEAR,
            "baseline": Decimal(baseline),
            "target_year": PLAN_TARGET_YEAR,
            "target": Decimal(goal),
            "note": PROVINCIAL_TARGET_NOTE,
        }
        for (code, province), (baseline, goal) in PROVINCIAL_TARGETS.items()
    ]
    values = [
        {"indicator_code": code, "year": year, "province_code": province, "value": Decimal(v), "note": "本省统计"}
        for (code, province), by_year in PROVINCIAL_VALUES.items()
        for year, v in by_year.items()
    ]
    statuses = {}
    for key, by_year in PROVINCIAL_VALUES.items():
        baseline, goal = (Decimal(v) for v in PROVINCIAL_TARGETS[key])
        year = max(by_year)
        status = indicator_status(Decimal(by_year[year]), baseline, goal, PLAN_BASE_YEAR, PLAN_TARGET_YEAR, year)
        statuses[key] = status.value
    return targets, values, statuses


# ------------------------------------------------------------------------------------------------------ entry


def generate_supervision_dataset(
    seed: int = 2024, *, evaluator: str = "evaluator", evaluator_archives: int = 3
) -> SupervisionDataset:
    """Inspections, an evaluation round and indicator values from one seed, with the summary they must give."""
    rng = random.Random(seed)  # noqa: S311 - seeded demo data, not secrets
    generated = _generate_inspections(rng)
    assignments, self_rows, expert_rows, evaluation = _generate_evaluation(rng, evaluator, evaluator_archives)
    indicator_rows, indicators = _generate_indicators()
    target_rows, provincial_values, provincial = _generate_provincial_targets()
    expected = {
        "as_of": DEMO_TODAY.isoformat(),
        "inspections": _expected_inspections(generated),
        "findings": _expected_findings(generated),
        "evaluation": evaluation,
        "indicators": indicators,
    }
    return SupervisionDataset(
        seed,
        _books_by_year(generated),
        tuple(assignments),
        tuple(self_rows),
        tuple(expert_rows),
        tuple(indicator_rows + provincial_values),
        expected,
        tuple(target_rows),
        MappingProxyType(provincial),
    )


def write_supervision_workbooks(dataset: SupervisionDataset, folder: Path) -> list[tuple[str, Path]]:
    """Write the dataset's workbooks from the real templates; (kind, path) in the order they are to be loaded."""
    folder.mkdir(parents=True, exist_ok=True)

    def write(name: str, book: Any, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> Path:
        path = folder / f"{name}.xlsx"
        by_sheet = {
            form.sheet_name: [[row.get(f.name) for f in form.fields] for row in rows.get(form.sheet_name, ())]
            for form in book.sheets
        }
        write_workbook(path, book, None, by_sheet)
        return path

    files = [("inspections", write(name, INSPECTIONS_WORKBOOK, rows)) for name, rows in dataset.inspection_books]
    files.append(("evaluation", write("evaluation-self", EVALUATION_WORKBOOK, {"评分表": dataset.self_rows})))
    files.append(("evaluation", write("evaluation-experts", EVALUATION_WORKBOOK, {"评分表": dataset.expert_rows})))
    indicators = {"指标数值": dataset.indicator_rows, "分省目标": dataset.target_rows}
    files.append(("indicators", write("indicators", INDICATORS_WORKBOOK, indicators)))
    return files
