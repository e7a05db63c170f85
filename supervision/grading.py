"""The grading of inspections: the compliance share of applicable items, the grade bands and the veto rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from census_schema.errors import UsageError
from census_schema.supervision.checklist import INSPECTION_GRADE_BANDS, VETO_GRADE_CAP
from census_schema.supervision.codes import COMPREHENSIVE, SPECIAL, Grade
from supervision.rows import Row, is_yes


@dataclass(frozen=True)
class InspectionGrade:
    """The grade of a comprehensive inspection; the percentage is truncated to two places, never rounded up."""

    compliance_pct: Decimal
    grade: Grade
    reason: str = ""


def grade_inspection(
    applicable: int, compliant: int, failed_veto_items: int, security_incident: bool
) -> InspectionGrade:
    """Grade a comprehensive inspection by the share of applicable items found compliant, with the veto rules."""
    if applicable <= 0:
        raise UsageError("适用检查项目数为 0，无法计算合规率和评定等次。", hint="请核对适用检查项目数。")
    if not 0 <= compliant <= applicable:
        raise UsageError(f"合规项目数 {compliant} 应在 0～{applicable}（适用项目数）之间。")
    if not 0 <= failed_veto_items <= applicable - compliant:
        raise UsageError(
            f"未通过的否决项数 {failed_veto_items} 应在 0～{applicable - compliant}（不合规项目数）之间：否决项未通过即为不合规项目。"
        )
    share = Fraction(compliant * 100, applicable)
    # Truncation keeps the shown figure on the same side of every integer band bound as the exact share:
    # 79.996 % shows as 79.99 % (良好), never as 80.00 % beside a 良好.
    pct = Decimal(math.floor(share * 100)).scaleb(-2)
    if security_incident:
        return InspectionGrade(pct, Grade.FAIL, "检查期内发生档案安全事故，评定为不合格")
    by_share = next((grade for bound, grade in INSPECTION_GRADE_BANDS if share >= bound), Grade.FAIL)
    if failed_veto_items and by_share is Grade.EXCELLENT:
        return InspectionGrade(pct, VETO_GRADE_CAP, f"有 {failed_veto_items} 个否决项未通过，不能评为优秀")
    return InspectionGrade(pct, by_share)


def grade_record(row: Row) -> tuple[Decimal | None, Grade | None, str]:
    """An inspection record's compliance %, grade and grade reason: graded when comprehensive, passed or failed as
    its inspectors judged when special (专项检查结论); a share whenever there are applicable items."""
    applicable = int(row["items_applicable"])
    special = row.get("special_result") if row["inspection_type"] == SPECIAL else None
    result = (Grade(special), "专项检查，结论由检查组判定") if special else (None, "")
    if row["inspection_type"] != COMPREHENSIVE and applicable == 0:
        return None, *result
    graded = grade_inspection(
        applicable, int(row["items_compliant"]), int(row["failed_veto_items"]), is_yes(row["has_security_incident"])
    )
    if row["inspection_type"] != COMPREHENSIVE:
        return graded.compliance_pct, *result
    return graded.compliance_pct, graded.grade, graded.reason
