"""The grading of comprehensive inspections: compliance share, grade bands, the veto cap and security incidents."""

from decimal import Decimal

import pytest

from census_schema.errors import UsageError
from census_schema.supervision.codes import Grade
from supervision.grading import grade_inspection


@pytest.mark.parametrize(
    ("applicable", "compliant", "failed_veto", "incident", "pct", "grade"),
    [
        (100, 80, 0, False, "80.00", Grade.EXCELLENT),  # exactly 80 % is 优秀
        (5, 4, 0, False, "80.00", Grade.EXCELLENT),
        (10000, 7999, 0, False, "79.99", Grade.GOOD),
        (100000, 79999, 0, False, "79.99", Grade.GOOD),  # 79.999 % is truncated, never shown as 80.00
        (100, 70, 0, False, "70.00", Grade.GOOD),
        (10000, 6999, 0, False, "69.99", Grade.PASSED),
        (100, 60, 0, False, "60.00", Grade.PASSED),
        (3, 2, 0, False, "66.66", Grade.PASSED),
        (100, 59, 0, False, "59.00", Grade.FAIL),
        (41, 0, 0, False, "0.00", Grade.FAIL),
        (41, 41, 0, False, "100.00", Grade.EXCELLENT),
        (100, 90, 1, False, "90.00", Grade.GOOD),  # a failed veto item caps at 良好
        (100, 80, 3, False, "80.00", Grade.GOOD),
        (100, 75, 1, False, "75.00", Grade.GOOD),  # the cap does not lower 良好
        (100, 65, 2, False, "65.00", Grade.PASSED),
        (100, 100, 0, True, "100.00", Grade.FAIL),  # a security incident makes it 不合格
        (100, 90, 1, True, "90.00", Grade.FAIL),
    ],
)
def test_grade_inspection(applicable, compliant, failed_veto, incident, pct, grade):
    result = grade_inspection(applicable, compliant, failed_veto, incident)
    assert result.compliance_pct == Decimal(pct)
    assert str(result.compliance_pct) == pct
    assert result.grade is grade
    assert bool(result.reason) == (incident or (failed_veto > 0 and compliant * 100 >= 80 * applicable))


@pytest.mark.parametrize(
    ("applicable", "compliant", "failed_veto", "message"),
    [
        (0, 0, 0, "适用检查项目数为 0"),  # nothing applicable: no share, so no grade
        (-1, 0, 0, "适用检查项目数为 0"),
        (10, 11, 0, "合规项目数"),
        (10, -1, 0, "合规项目数"),
        (10, 9, 2, "否决项数"),  # a failed veto item is a non-compliant item
        (10, 5, -1, "否决项数"),
    ],
)
def test_grade_inspection_rejects_impossible_counts(applicable, compliant, failed_veto, message):
    with pytest.raises(UsageError, match=message):
        grade_inspection(applicable, compliant, failed_veto, False)
