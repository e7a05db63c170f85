"""The supervision part of the demo: its workbooks load through the real flows and the supervision summary on the
demo's day equals the generator's manifest; the demo evaluator is assigned to a few archives only, the round open."""

from __future__ import annotations

import pytest

from census_schema.errors import AccessDenied
from census_schema.supervision.codes import FindingStatus
from synthetic.supervision import DEMO_TODAY
from warehouse.backends import EmbeddedWarehouse
from warehouse.evaluation import check_may_score, query_assignments
from warehouse.indicators import query_provincial_progress
from warehouse.inspections import query_findings

pytestmark = pytest.mark.slow


def test_every_workbook_is_accepted_and_the_summary_equals_the_manifest(demo_run):
    """The supervision part of the session's demo (`archive-census demo`, built once in tests/conftest.py)."""
    demo = demo_run.output
    assert demo["supervision_matches_manifest"] and demo["supervision"] == demo["supervision_expected"]
    with EmbeddedWarehouse(demo_run.db_path).reader() as con:
        outcomes = con.execute(
            "SELECT status, count(*) FROM submissions WHERE kind IN ('inspections', 'evaluation', 'indicators') "
            "GROUP BY status"
        ).fetchall()
        measured = con.execute(
            "SELECT DISTINCT role, action FROM finding_transitions WHERE measures IS NOT NULL ORDER BY ALL"
        ).fetchall()
        provincial = query_provincial_progress(con)
    assert [status for status, _ in outcomes] == ["accepted"]
    # The workbooks (JDJC-2025.3) give the rectifier's measures on its actions, and only there.
    assert {role for role, _ in measured} == {"rectifier"} and ("rectifier", "开始整改") in measured
    findings = demo["supervision"]["findings"]
    assert all(count > 0 for count in findings["by_state"].values())  # every lifecycle state occurs
    assert 0 < findings["overdue"] < findings["total"]
    assert {c["unit_class"]: c for c in findings["central"]}["中央企业"]["findings"] > 0
    assert demo["supervision"]["inspections"]["by_year"]["2023"] == 60
    assert demo["supervision"]["evaluation"]["by_status"]["已完成"] == 47
    # Judged up to the last year over on the demo's day (30 June 2025): 2025's values are not judged yet.
    assert set(demo["supervision"]["indicators"]["by_year"]) == {"2021", "2022", "2023", "2024"}
    # Provinces judged against their own targets (分省目标), as planned (supervision_matches_manifest compares them):
    # all three statuses occur, in several provinces, and the national summary does not count them.
    statuses = {(r["indicator_code"], r["province_code"]): r["status"] for r in provincial}
    assert set(statuses.values()) >= {"达标", "滞后", "严重滞后"}
    assert len({province for _, province in statuses}) >= 4


def test_the_demo_evaluator_may_score_a_few_archives_and_not_the_others(demo_run):
    with EmbeddedWarehouse(demo_run.db_path).reader() as con:
        mine = [a["archive_code"] for a in query_assignments(con, evaluator="evaluator")]
        assert len(mine) == 3 and all(
            a["sheet_state"] == "未填写" for a in query_assignments(con, evaluator="evaluator")
        )
        check_may_score(con, "evaluator", mine[0])
        other = next(code for code in ("110000", "120000", "130000", "140000") if code not in mine)
        with pytest.raises(AccessDenied, match="未被分配"):
            check_may_score(con, "evaluator", other)
        in_progress = query_findings(con, DEMO_TODAY, status=FindingStatus.IN_PROGRESS.value)
        reopened = con.execute("SELECT count(*) FROM finding_transitions WHERE action = '复查未通过'").fetchone()
    assert any(f["is_overdue"] for f in in_progress) and reopened[0] > 0
