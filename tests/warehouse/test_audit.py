"""The audit log: every write function records who, when, from where, what, before, after and why in the same
transaction as its change (a refused change records nothing); the log is only ever appended to; searches by Beijing
days."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from census_schema.audit import NOT_PROCESSED, AuditKind
from census_schema.clock import to_beijing
from census_schema.errors import AccessDenied, IllegalTransition, UsageError
from census_schema.roles import Role
from census_schema.scopes import division_scope
from tests.conftest import on_both_backends
from tests.warehouse.factories import load, make_rows, make_submission, make_uscc
from tests.warehouse.test_evaluation_access import ARCHIVE, opened  # noqa: F401 (fixture)
from tests.warehouse.test_findings import loaded  # noqa: F401 (fixture)
from warehouse.audit import (
    AuditSource,
    append_events,
    audit_source,
    beijing_day_start,
    describe_unknown_actor,
    new_event,
    query_audit_log,
    search_audit_log,
)
from warehouse.evaluation import (
    assign_evaluator,
    close_evaluation,
    query_scores,
    save_evaluator_scores,
    sheet_version,
    unassign_evaluator,
)
from warehouse.inspections import transition_finding
from warehouse.loads import MAX_DROPPED_LISTED, record_submission
from warehouse.queries import query_data_as_of
from warehouse.reviews import Reviewer, review_submission
from warehouse.users import add_user

ROOT = Path(__file__).resolve().parents[2]
WEB = AuditSource("web", "10.1.2.3")


def events(con, kind: AuditKind | None = None) -> list[dict]:
    """The log, oldest first, states as objects."""
    rows = query_audit_log(con, kind=kind and kind.value)
    for row in rows:
        row["before"] = None if row["before_state"] is None else json.loads(row["before_state"])
        row["after"] = None if row["after_state"] is None else json.loads(row["after_state"])
    return list(reversed(rows))


@on_both_backends("con")
def test_a_review_is_logged_with_who_from_where_before_after_and_why(con):
    submission = load(con, "census", "440000", [{"uscc": make_uscc(1)}])
    with audit_source(WEB):
        review_submission(con, submission, "return", Reviewer("审核员甲", Role.PLANNER), "第5行数据有误")
    [event] = events(con, AuditKind.REVIEW)
    assert (event["actor"], event["via"], event["source_address"], event["action"], event["target"]) == (
        "审核员甲",
        "web",
        "10.1.2.3",
        "return",
        submission,
    )
    # States as people read them: the progress label says which level's turn it was.
    assert (event["before"], event["after"], event["reason"]) == (
        {"review_state": "待国家局审核"},
        {"review_state": "已退回"},
        "第5行数据有误",
    )


def test_a_province_review_is_logged_as_passing_the_return_on_to_the_national_bureau(con):
    prefecture = load(con, "census", "440000", [{"uscc": make_uscc(1)}], scope=division_scope("440000", "440100"))
    review_submission(con, prefecture, "accept", Reviewer("广东省档案局", Role.PROVINCE, "440000"), None)
    [event] = events(con, AuditKind.REVIEW)
    assert (event["actor"], event["before"], event["after"]) == (
        "广东省档案局",
        {"review_state": "待省级审核"},
        {"review_state": "待国家局审核"},
    )
    [submitted] = events(con, AuditKind.SUBMISSION)
    assert submitted["after"]["scope"] == "广东省广州市"


def test_a_refused_change_logs_nothing(con):
    submission = load(con, "census", "440000", [{"uscc": make_uscc(1)}])
    review_submission(con, submission, "accept", Reviewer("审核员甲", Role.PLANNER), None)
    before = len(events(con))
    with pytest.raises(IllegalTransition):
        review_submission(con, submission, "return", Reviewer("审核员乙", Role.PLANNER), "再看看")  # 已审核 is final
    assert len(events(con)) == before


@on_both_backends("con")
def test_a_submission_is_logged_with_the_one_it_supersedes(con):
    first = load(con, "census", "440000", [{"uscc": make_uscc(1)}], content="a")
    second = load(con, "census", "440000", [{"uscc": make_uscc(2)}], content="b")
    logged = events(con, AuditKind.SUBMISSION)
    assert [(e["target"], e["action"], e["actor"]) for e in logged] == [
        (first, "accepted", "tester"),
        (second, "accepted", "tester"),
    ]
    assert logged[0]["before"] is None and logged[1]["before"] == {"current": [first]}
    assert logged[1]["after"]["province_code"] == "440000" and logged[1]["after"]["rows"] == 1
    assert logged[0]["via"] == "command"


def test_a_confirmed_shrink_over_a_reviewed_return_is_logged_with_its_holders_and_review(con):
    # A probe: the page warned 本表减少 15 个 and that the return replaced was 已审核; the uploader confirmed, and the
    # event said only {"current": [id]}: not that a shrink was confirmed, which holders went, nor what review was voided.
    kept, gone = [{"uscc": make_uscc(n), "unit_name": f"单位{n}"} for n in range(1, 31)], 25
    first = load(con, "census", "440000", kept, content="a")
    review_submission(con, first, "accept", Reviewer("审核员甲", Role.PLANNER), None)
    smaller = replace(make_submission(content="b", row_count=30 - gone), shrink_confirmed=True)
    second = record_submission(con, smaller, make_rows("census", kept[:5]), [])
    event = events(con, AuditKind.SUBMISSION)[-1]
    assert (event["target"], event["before"]) == (second, {"current": [first], "current_review": "已审核"})
    assert (event["after"]["shrink_confirmed"], event["after"]["holders_dropped"]) == (True, gone)
    assert event["after"]["dropped_holders"] == kept[5 : 5 + MAX_DROPPED_LISTED]  # the first ones, by USCC and name
    assert event["after"]["dropped_unlisted"] == gone - MAX_DROPPED_LISTED
    # A return replacing one nobody reviewed, dropping a holder within the limit: no review, no confirmation.
    third = load(con, "census", "440000", kept[:4], content="c")
    event = events(con, AuditKind.SUBMISSION)[-1]
    assert (event["before"], event["after"]["holders_dropped"]) == ({"current": [second]}, 1)
    assert "shrink_confirmed" not in event["after"] and "dropped_unlisted" not in event["after"]
    assert event["after"]["dropped_holders"] == [kept[4]] and event["target"] == third


def test_a_finding_transition_is_logged_with_states_deadline_and_note(loaded):  # noqa: F811
    transition_finding(loaded, "JC2023-001-01", to_status="整改中", by="王五", note="已部署整改")
    [event] = events(loaded, AuditKind.FINDING)
    assert (event["actor"], event["action"], event["target"], event["reason"]) == (
        "王五",
        "开始整改",
        "JC2023-001-01",
        "已部署整改",
    )
    assert event["before"]["status"] == "待整改" and event["after"]["status"] == "整改中"
    assert event["after"]["role"] == "rectifier" and event["before"]["deadline"] == event["after"]["deadline"]
    with pytest.raises(IllegalTransition):
        transition_finding(loaded, "JC2023-001-01", to_status="已销号", by="王五")
    assert len(events(loaded, AuditKind.FINDING)) == 1


@on_both_backends("con")
def test_rounds_assignments_and_scores_are_logged(opened):  # noqa: F811
    logged = events(opened)
    assert [(e["kind"], e["action"], e["actor"]) for e in logged] == [
        ("evaluation_round", "open", "规划处"),
        ("assignment", "assign", "规划处"),
        ("assignment", "assign", "规划处"),
        ("assignment", "assign", "规划处"),
    ]
    assert logged[1]["after"] == {"round_id": "2025", "archive_code": ARCHIVE, "evaluator": "evaluator"}
    assign_evaluator(opened, ARCHIVE, "evaluator", "规划处")  # repeating changes nothing and logs nothing
    assert len(events(opened)) == 4

    save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": Decimal("9.5")}, False)
    save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": Decimal("8"), "A1.1.2": Decimal("3")}, False)
    first, second = events(opened, AuditKind.EVALUATION_SCORE)[:2]
    assert (first["action"], first["target"], first["after"]["scores"]) == ("save_draft", ARCHIVE, {"A1.1.1": "9.5"})
    assert second["before"]["scores"] == {"A1.1.1": "9.5"}
    assert second["after"]["scores"] == {"A1.1.1": "8", "A1.1.2": "3"}
    assert "veto_passed" not in first["before"] | first["after"]  # no verdict changed: none said (无 → 无)
    # Saved again as it was: neither written nor logged (it was logged as a save that changed nothing).
    again = save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": Decimal("8"), "A1.1.2": Decimal("3")}, False)
    assert again["unchanged"] and again["version"] == sheet_version(query_scores(opened, ARCHIVE, "evaluator"))
    assert len(events(opened, AuditKind.EVALUATION_SCORE)) == 2
    # A stored score is said as typed (it read 8.0 → 7).
    save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": Decimal("7"), "A1.1.2": Decimal("3")}, False)
    third = events(opened, AuditKind.EVALUATION_SCORE)[2]
    assert (third["before"]["scores"], third["after"]["scores"]) == ({"A1.1.1": "8"}, {"A1.1.1": "7"})
    with pytest.raises(AccessDenied):
        save_evaluator_scores(opened, "专家丁", ARCHIVE, {"A1.1.1": Decimal(1)}, False)  # not assigned
    close_evaluation(opened, "规划处")
    assert [(e["action"], e["before"], e["after"]) for e in events(opened, AuditKind.EVALUATION_ROUND)][-1] == (
        "close",
        {"is_open": True},
        {"is_open": False},
    )
    assert len(events(opened, AuditKind.EVALUATION_SCORE)) == 3


def test_a_withdrawn_assignment_is_logged_with_the_sheet_it_removed(opened):  # noqa: F811
    save_evaluator_scores(opened, "evaluator", ARCHIVE, {"A1.1.1": Decimal("9.5")}, False)
    unassign_evaluator(opened, ARCHIVE, "evaluator", "规划处", confirmed=True)
    (event,) = [e for e in events(opened, AuditKind.ASSIGNMENT) if e["action"] == "unassign"]
    assert (event["actor"], event["target"], event["after"]) == ("规划处", ARCHIVE, None)
    assert event["before"] == {
        "round_id": "2025", "archive_code": ARCHIVE, "evaluator": "evaluator",
        "scores": {"A1.1.1": "9.5"}, "is_submitted": False,  # no verdict was given: none is said removed
    }  # fmt: skip


def test_users_and_role_changes_are_logged_without_password_hashes(con):
    add_user(con, "alice", "scrypt:hash-one", "planner", None, by="root")
    add_user(con, "alice", "scrypt:hash-two", "province", "440000", by="root")
    created, changed = events(con, AuditKind.USER)
    assert (created["action"], created["before"], created["actor"]) == ("create", None, "root")
    assert changed["before"] == {"role": "planner", "province_code": None, "is_active": True}
    assert changed["after"] == {
        "role": "province",
        "province_code": "440000",
        "is_active": True,
        "password_changed": True,
    }
    assert "hash" not in json.dumps([created["after"], changed["after"]]).replace("password_changed", "")
    with pytest.raises(UsageError):
        add_user(con, "bob", "scrypt:x", "province", None, by="管理员")  # a province user needs a province
    assert len(events(con, AuditKind.USER)) == 2


@on_both_backends("con")
def test_an_event_appended_twice_is_logged_once(con):
    event = new_event(AuditKind.LOGIN, "login_failed", actor="mallory", source=WEB)
    assert append_events(con, [event]) == 1
    assert append_events(con, [event]) == 0
    assert len(events(con, AuditKind.LOGIN)) == 1


@pytest.mark.parametrize(
    ("kind", "action"),
    [
        *((AuditKind.SUBMISSION, action) for action in NOT_PROCESSED),
        # A probe read 数据截至 move to the time of a rejected upload, a nightly backup and a server's upgrade.
        (AuditKind.SUBMISSION, "rejected"),
        (AuditKind.WAREHOUSE, "backup"),
        (AuditKind.WAREHOUSE, "upgrade"),
    ],
)
def test_what_changes_no_data_is_logged_without_moving_the_data_s_date(con, kind, action):
    load(con, "census", "440000", [{"uscc": make_uscc(1)}])
    as_of = query_data_as_of(con)
    later = datetime(2099, 1, 1)
    attempt = new_event(kind, action, actor="guangdong", target="a.xlsx", source=WEB, at=later)
    assert append_events(con, [attempt]) == 1 and query_data_as_of(con) == as_of
    returned = new_event(AuditKind.SUBMISSION, "accepted", actor="guangdong", target="b.xlsx", source=WEB, at=later)
    append_events(con, [returned])
    assert query_data_as_of(con) == later


def test_an_actor_is_found_by_the_account_holders_name_as_well(con):
    # The grid shows 王敏（planner）: a search for 王敏 finds the account's events, and says nothing is missing.
    add_user(con, "planner", "scrypt:x", "planner", None, by="root", full_name="王敏")
    signed = new_event(AuditKind.LOGIN, "login_succeeded", actor="planner", source=WEB)
    append_events(con, [signed, new_event(AuditKind.LOGIN, "login_succeeded", actor="王敏的同事", source=WEB)])
    assert [r["event_id"] for r in query_audit_log(con, actor="王敏") if r["action"] == "login_succeeded"] == [
        signed.event_id
    ]
    assert describe_unknown_actor(con, "王敏") == ""
    assert describe_unknown_actor(con, "王").endswith(
        "相近的操作人：「王敏的同事」、「王敏」。"
    )  # a part of a 姓名 too
    waiting = new_event(AuditKind.LOGIN, "logout", actor="planner", source=WEB)
    assert waiting.event_id in {r["event_id"] for r in search_audit_log(con, [waiting], actor="王敏")}


def test_searches_are_by_beijing_days_actor_and_kind(con):
    # 2025-06-30 16:30 UTC is 2025-07-01 00:30 in Beijing.
    late = new_event(AuditKind.LOGIN, "login_failed", actor="a", at=datetime(2025, 6, 30, 16, 30), source=WEB)
    early = new_event(AuditKind.LOGIN, "login_succeeded", actor="b", at=datetime(2025, 6, 30, 15, 59), source=WEB)
    append_events(con, [late, early])
    assert beijing_day_start(date(2025, 7, 1)) == datetime(2025, 6, 30, 16, 0)
    assert to_beijing(late.occurred_at).strftime("%Y-%m-%d %H:%M") == "2025-07-01 00:30"
    july = query_audit_log(con, since=date(2025, 7, 1), until=date(2025, 7, 1))
    june = query_audit_log(con, since=date(2025, 6, 30), until=date(2025, 6, 30))
    assert [r["actor"] for r in july] == ["a"] and [r["actor"] for r in june] == ["b"]
    assert [r["actor"] for r in query_audit_log(con, actor="b")] == ["b"]
    assert query_audit_log(con, kind="review") == []
    with pytest.raises(UsageError, match="未知的审计事件类别"):
        query_audit_log(con, kind="nonsense")
    with pytest.raises(UsageError, match="截止日期早于起始日期"):
        query_audit_log(con, since=date(2025, 7, 2), until=date(2025, 7, 1))
    waiting = new_event(AuditKind.LOGIN, "logout", actor="a", at=datetime(2025, 6, 30, 17, 0), source=WEB)
    merged = search_audit_log(con, [waiting, late], actor="a")  # `late` is already logged: listed once
    assert [(r["action"], r["event_id"]) for r in merged] == [
        ("logout", waiting.event_id),
        ("login_failed", late.event_id),
    ]


# --- append-only --------------------------------------------------------------------------------------------------

# Any statement that could change or remove audit rows: UPDATE, DELETE, TRUNCATE, DROP, ALTER, INSERT OR REPLACE,
# or an upsert (ON CONFLICT ... DO UPDATE) on the audit_log table.
FORBIDDEN = re.compile(
    r"(UPDATE\s+\"?audit_log|DELETE\s+FROM\s+\"?audit_log|TRUNCATE\s+(TABLE\s+)?\"?audit_log"
    r"|DROP\s+TABLE\s+(IF\s+EXISTS\s+)?\"?audit_log|ALTER\s+TABLE\s+\"?audit_log"
    r"|INSERT\s+OR\s+REPLACE\s+INTO\s+\"?audit_log|INTO\s+audit_log[^;]*ON\s+CONFLICT[^;]*DO\s+UPDATE)",
    re.IGNORECASE | re.DOTALL,
)
SOURCE_FOLDERS = ("census_schema", "checks", "warehouse", "flows", "dash_app", "cli", "benchmarks", "scripts")


def audit_log_changes(text: str) -> list[str]:
    """Statements in a source text that would change or remove audit rows."""
    return [match.group(0) for match in FORBIDDEN.finditer(text)]


def test_no_code_updates_or_deletes_audit_rows():
    offenders = {}
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".sql", ".sh") and path.is_file():
                found = audit_log_changes(path.read_text(encoding="utf-8"))
                if found:
                    offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
    # Only warehouse/audit.py writes to it at all.
    writers = [
        str(path.relative_to(ROOT))
        for folder in SOURCE_FOLDERS
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"INTO\s+audit_log", path.read_text(encoding="utf-8"), re.IGNORECASE)
    ]
    assert writers == ["warehouse/audit.py"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'x'",
        'delete from "audit_log" where true',
        "TRUNCATE audit_log",
        "DROP TABLE IF EXISTS audit_log",
        "ALTER TABLE audit_log ADD COLUMN x INT",
        "INSERT OR REPLACE INTO audit_log VALUES (1)",
        "INSERT INTO audit_log VALUES (1) ON CONFLICT (event_id) DO UPDATE SET actor = 'x'",
    ],
)
def test_the_append_only_check_catches_each_kind_of_change(statement):
    assert audit_log_changes(f'con.execute("{statement}")')
