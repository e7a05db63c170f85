"""Code lists of the supervision forms, declared once: enums where code branches on a value, code lists for the UI."""

from __future__ import annotations

from enum import StrEnum

from census_schema.codes import CodeList


class Grade(StrEnum):
    """The four grades shared by inspections and the evaluation of the 47 archives."""

    EXCELLENT = "优秀"
    GOOD = "良好"
    PASSED = "合格"
    FAIL = "不合格"


class FindingSeverity(StrEnum):
    """How serious a problem found by an inspection is."""

    MINOR = "一般"
    SERIOUS = "较重"
    GRAVE = "严重"
    MAJOR_HAZARD = "重大安全隐患"

    @property
    def rank(self) -> int:
        """How grave, from 一般 (0) to 重大安全隐患 (3): the order the severities are declared in."""
        return list(FindingSeverity).index(self)


class FindingStatus(StrEnum):
    """The states of the rectification lifecycle; overdue is derived, never a state."""

    ISSUED = "待整改"
    IN_PROGRESS = "整改中"
    PHASED = "阶段性整改"
    SUBMITTED = "已提交整改报告"
    CLOSED = "已销号"


class FindingAction(StrEnum):
    """The named actions that move a finding through its lifecycle."""

    START = "开始整改"
    SUBMIT = "提交整改报告"
    RETURN = "退回"
    CLOSE = "销号"
    EXTEND = "延期"
    MAKE_PHASED = "转为阶段性整改"
    REPORT_MILESTONE = "报告阶段进展"
    REOPEN = "复查未通过"


class FindingRole(StrEnum):
    """Who acts on a finding: the inspected unit's rectifier or the inspecting body's reviewer."""

    RECTIFIER = "rectifier"
    REVIEWER = "reviewer"

    @property
    def label(self) -> str:
        """The Chinese word used in messages."""
        return "整改责任人" if self is FindingRole.RECTIFIER else "审核人"

    @classmethod
    def from_label(cls, label: str) -> FindingRole:
        """The role a Chinese label (as in an uploaded workbook) or an English value names."""
        for role in cls:
            if label in (role.label, role.value):
                return role
        raise ValueError(f"unknown role {label!r}")


class FindingSource(StrEnum):
    """Where a finding was found: by an inspection, or by the business-construction evaluation of an archive."""

    INSPECTION = "监督检查"
    EVALUATION = "业务建设评价"


class EvaluationStatus(StrEnum):
    """How far an archive's evaluation has got: scored and graded, waiting for a reconciled value, or incomplete."""

    COMPLETE = "已完成"
    PENDING_RECONCILIATION = "待合议"
    INCOMPLETE = "未完成"


class IndicatorAttribute(StrEnum):
    """The attribute of a plan indicator as the plan text classifies it."""

    EXPECTED = "预期性"
    BINDING = "约束性"
    MONITORED = "监测"


class IndicatorLevel(StrEnum):
    """Whether an indicator is tracked for the whole country or per province."""

    NATIONAL = "national"
    PROVINCE = "province"

    @property
    def label(self) -> str:
        """The Chinese word used in reports."""
        return "全国" if self is IndicatorLevel.NATIONAL else "省级"


class IndicatorStatus(StrEnum):
    """How an indicator's actual value compares with the progress expected by a year."""

    ON_TRACK = "达标"
    LAGGING = "滞后"
    SEVERELY_LAGGING = "严重滞后"


# A finding flagged 立行立改 must be rectified on the spot: its deadline is the feedback day.
IMMEDIATE = "立行立改"


def _code_list(name: str, label: str, values: type[StrEnum] | tuple[str, ...]) -> CodeList:
    return CodeList(name, label, tuple(str(v) for v in values))


# 综合检查 is graded by its checklist share; 专项检查 is passed or failed (its result as the inspectors judge it).
COMPREHENSIVE, SPECIAL = "综合检查", "专项检查"
INSPECTION_TYPE = CodeList("inspection_type", "检查类型", (COMPREHENSIVE, SPECIAL, "执法检查", "回头看"))
SPECIAL_RESULT = CodeList("special_result", "专项检查结论", (Grade.PASSED.value, Grade.FAIL.value))
# Central units are counted by their class, the others by the province they lie in.
CENTRAL_UNIT_CLASSES = ("中央和国家机关", "中央企业")
# A prefecture's or county's unit (its findings are what a prefecture's or county's office sees of inspections).
CITY_COUNTY_CLASS = "市县"
INSPECTED_UNIT_CLASS = CodeList(
    "inspected_unit_class", "被检查单位类别", ("省级", *CENTRAL_UNIT_CLASSES, CITY_COUNTY_CLASS)
)
FINDING_SEVERITY = _code_list("finding_severity", "问题严重程度", FindingSeverity)
# What the deadline of a finding is derived from: its severity (30 working days) or the 立行立改 flag (same day).
DEADLINE_BASIS = _code_list("deadline_basis", "整改期限依据", (*(str(s) for s in FindingSeverity), IMMEDIATE))
FINDING_STATUS = _code_list("finding_status", "整改状态", FindingStatus)
# The severities an evaluation problem is issued with (supervision.scoring.problem_severity; 重大安全隐患 is found by
# inspections), lightest first: the floors a national user may choose when issuing them.
EVALUATION_SEVERITIES = (FindingSeverity.MINOR, FindingSeverity.SERIOUS, FindingSeverity.GRAVE)
# The inspecting body of the national bureau's inspections (an inspection's 组织单位 is otherwise a provincial bureau).
NATIONAL_BUREAU = "国家档案局"
# Who evaluates the 47 comprehensive archives, and so issues the problems an evaluation finds.
EVALUATION_ORGANISER = NATIONAL_BUREAU
FINDING_ACTION = _code_list("finding_action", "整改操作", FindingAction)
INSPECTION_GRADE = _code_list("inspection_grade", "检查等次", Grade)
EVALUATION_GRADE = _code_list("evaluation_grade", "评价等次", Grade)
EVALUATION_STATUS = _code_list("evaluation_status", "评价进度", EvaluationStatus)
FINDING_ROLE = CodeList("finding_role", "操作角色", tuple(role.label for role in FindingRole))
VETO_PASSED, VETO_FAILED = "通过", "不通过"
VETO_VERDICT = CodeList("veto_verdict", "否决项结论", (VETO_PASSED, VETO_FAILED))


def veto_verdict_text(passed: bool | None) -> str | None:
    """A stored veto verdict (True passed, False failed) as people read it: 通过 or 不通过; None for none given."""
    return None if passed is None else (VETO_PASSED if passed else VETO_FAILED)


INDICATOR_ATTRIBUTE = _code_list("indicator_attribute", "指标属性", IndicatorAttribute)
INDICATOR_STATUS = _code_list("indicator_status", "进展状态", IndicatorStatus)

SUPERVISION_CODE_LISTS: dict[str, CodeList] = {
    c.name: c
    for c in (
        INSPECTION_TYPE,
        SPECIAL_RESULT,
        INSPECTED_UNIT_CLASS,
        FINDING_SEVERITY,
        DEADLINE_BASIS,
        FINDING_STATUS,
        FINDING_ACTION,
        FINDING_ROLE,
        INSPECTION_GRADE,
        EVALUATION_GRADE,
        EVALUATION_STATUS,
        VETO_VERDICT,
        INDICATOR_ATTRIBUTE,
        INDICATOR_STATUS,
    )
}
