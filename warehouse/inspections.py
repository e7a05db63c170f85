"""Inspections, findings and the rectification lifecycle in the warehouse: loads, single changes and queries.

Every change of a finding, whatever its origin (an uploaded 整改进展 row, the command line, the web app), goes
through the domain's `apply_transition`/`apply_updates` and is recorded in `finding_transitions` in the same
transaction as the finding's new state. Overdue is derived for a given day (`as_of`), never stored.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from itertools import takewhile
from typing import Any

import duckdb
import polars as pl

from census_schema.archives import SUB_PROVINCIAL_LEVEL
from census_schema.audit import AuditKind
from census_schema.clock import to_beijing
from census_schema.divisions import load_divisions
from census_schema.errors import IllegalTransition, NotFound, UsageError
from census_schema.failures import require_seen
from census_schema.fields import Field
from census_schema.roles import Role, person_label
from census_schema.scopes import Scope
from census_schema.supervision.checklist import get_checklist
from census_schema.supervision.codes import (
    CENTRAL_UNIT_CLASSES,
    CITY_COUNTY_CLASS,
    COMPREHENSIVE,
    INSPECTION_GRADE,
    NATIONAL_BUREAU,
    SPECIAL,
    SPECIAL_RESULT,
    FindingAction,
    FindingRole,
    FindingSeverity,
    FindingSource,
    FindingStatus,
)
from census_schema.supervision.forms import (
    CORRECTABLE_FINDING_FIELDS,
    FINDINGS_FORM,
    INSPECTION_RECORDS_FORM,
    RECTIFICATION_FORM,
)
from supervision.grading import grade_record
from supervision.lifecycle import (
    TRANSITION_TABLE,
    TRANSITIONS,
    FindingState,
    FindingUpdate,
    TransitionRecord,
    apply_transition,
    apply_updates,
    find_actions,
)
from supervision.resend import UpdateIdentity, finding_as_issued, is_repeated, shown_value, update_identity, update_row
from supervision.rows import Row, as_yes_no, is_yes, issued_finding_states, read_update, split_names, start_of
from warehouse.audit import record_event
from warehouse.evaluation_findings import MAX_PERSON, MAX_REASON, query_finding_sources, required_text
from warehouse.queries import fetch_named
from warehouse.transactions import execute_many, insert_rows, transaction, utc_now
from warehouse.users import account_names, check_national_planner, find_acting_account, person_of

CENTRAL_CLASSES = CENTRAL_UNIT_CLASSES
# Overdue, for a day and the closed state bound as parameters: past the deadline and not closed.
_OVERDUE_SQL = "(? > f.deadline AND f.status <> ?)"
# A finding's current rectification measures: the latest a rectifier gave since it was last reopened (复查未通过: the
# measures before were found wanting, and were shown as current). Grain: one row per finding that has any.
_MEASURES_SQL = f"""
    SELECT t.finding_id, arg_max(t.measures, t.seq) AS measures FROM finding_transitions AS t
    WHERE t.measures IS NOT NULL AND t.seq > coalesce((
        SELECT max(r.seq) FROM finding_transitions AS r WHERE r.finding_id = t.finding_id AND r.action = '{FindingAction.REOPEN.value}'
    ), -1)
    GROUP BY t.finding_id
"""  # noqa: S608 - the action is a constant of the lifecycle, not a value anyone typed


# --------------------------------------------------------------------------------------------- reading state


def fetch_loaded_inspections(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[date, str]]:
    """inspection id -> (feedback date, checklist version) of every loaded inspection."""
    rows = con.execute("SELECT inspection_id, feedback_date, checklist_version FROM inspections").fetchall()
    return {inspection_id: (feedback, version) for inspection_id, feedback, version in rows}


def fetch_finding_states(
    con: duckdb.DuckDBPyConnection, finding_ids: Collection[str] | None = None
) -> dict[str, FindingState]:
    """The current state of loaded findings (all, or those named), with who has acted on them as rectifier: the
    names recorded, and the account holders' own names (姓名) of those that are accounts (--by 李华（广东省档案局）
    closed what the account of 李华 had rectified)."""
    wanted = None if finding_ids is None else sorted(finding_ids)
    rows = con.execute(
        """
        SELECT f.finding_id, f.status, f.deadline, f.responsible_person, f.status_changed_at,
               coalesce(r.rectifiers, []) AS rectifiers
        FROM findings AS f
        LEFT JOIN (
            SELECT finding_id, list(DISTINCT changed_by) AS rectifiers
            FROM finding_transitions WHERE role = ? GROUP BY finding_id
        ) AS r USING (finding_id)
        WHERE ? IS NULL OR list_contains(?, f.finding_id)
        """,
        [FindingRole.RECTIFIER.value, wanted, wanted],
    ).fetchall()
    holders = _holders_names(con)
    return {
        finding_id: FindingState(
            finding_id,
            FindingStatus(status),
            deadline,
            person,
            frozenset({*rectifiers, *(holders[r] for r in rectifiers if r in holders)}),
            changed_at,
        )
        for finding_id, status, deadline, person, changed_at, rectifiers in rows
    }


def _holders_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The account holders' own names by account, where the warehouse records them (migration 074 on: a warehouse
    being upgraded reads its findings before)."""
    recorded = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'full_name'"
    ).fetchone()
    return account_names(con) if recorded and recorded[0] else {}


def fetch_loaded_records(con: duckdb.DuckDBPyConnection) -> dict[str, Row]:
    """inspection id -> the loaded inspection record as its 检查记录 row (a special one's result is its grade)."""
    rows = fetch_named(
        con,
        f"SELECT {', '.join(_INSPECTION_COLUMNS)}, inspectors, has_security_incident, "  # noqa: S608 (constant names)
        "CASE WHEN inspection_type = ? THEN grade END AS special_result FROM inspections",
        [SPECIAL],
    )
    return {r["inspection_id"]: {**r, "has_security_incident": as_yes_no(r["has_security_incident"])} for r in rows}


def fetch_loaded_finding_rows(con: duckdb.DuckDBPyConnection) -> dict[str, Row]:
    """finding id -> the loaded finding as its 发现问题 row, with the deadline it was issued with."""
    rows = fetch_named(
        con,
        f"SELECT {', '.join(_FINDING_COLUMNS)}, is_immediate, original_deadline AS deadline "  # noqa: S608 (constant names)
        "FROM findings",
        [],
    )
    return {r["finding_id"]: {**r, "is_immediate": as_yes_no(r["is_immediate"])} for r in rows}


def fetch_corrections(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, tuple[str, datetime]]]:
    """finding id -> field -> who corrected that field of the loaded finding last and when (`correct_finding`)."""
    rows = con.execute(
        "SELECT target, after_state, actor, occurred_at FROM audit_log WHERE kind = ? AND action = 'correct' "
        "ORDER BY occurred_at",
        [AuditKind.FINDING.value],
    ).fetchall()
    corrected: dict[str, dict[str, tuple[str, datetime]]] = {}
    for target, after, actor, at in rows:
        corrected.setdefault(target, {}).update(dict.fromkeys(json.loads(after or "{}"), (actor, at)))
    return corrected


def fetch_uploaded_updates(
    con: duckdb.DuckDBPyConnection, finding_ids: Collection[str] | None = None
) -> dict[UpdateIdentity, Row]:
    """The 整改进展 rows uploads have applied (of all findings, or those named), by identity: sent again, they are
    recognised."""
    wanted = None if finding_ids is None else sorted(finding_ids)
    rows = con.execute(
        "SELECT finding_id, action, changed_by, role, changed_at, note, evidence, new_deadline, measures "
        "FROM finding_transitions WHERE recorded_via = 'upload' AND (? IS NULL OR list_contains(?, finding_id))",
        [wanted, wanted],
    ).fetchall()
    updates = [FindingUpdate(*row) for row in rows]
    return {update_identity(update): update_row(update) for update in updates}


# --------------------------------------------------------------------------------------------------- loading


def load_inspection_sheets(
    con: duckdb.DuckDBPyConnection, submission_id: str, loaded_at: datetime, sheets: Mapping[str, pl.DataFrame]
) -> None:
    """Load an accepted inspections workbook inside the caller's transaction: records, findings, then updates.

    The updates are applied again to the states now in the warehouse; a refusal means a state changed since the
    workbook was validated, and raises (rolling the submission back) rather than recording a different history.
    Rows that repeat what an earlier upload loaded (a workbook sent again as it grows) are not loaded twice.
    """
    _insert_inspections(con, submission_id, loaded_at, sheets[INSPECTION_RECORDS_FORM.sheet_name])
    _insert_findings(con, submission_id, loaded_at, sheets[FINDINGS_FORM.sheet_name])
    updates = sheets[RECTIFICATION_FORM.sheet_name]
    read = []
    for row in updates.iter_rows(named=True):
        update = read_update(row)
        if update is None:
            raise ValueError(f"update row {row['excel_row']} was accepted but cannot be read")
        read.append((row, update))
    if read:
        before = fetch_uploaded_updates(con, {update.finding_id for _, update in read})
        read = [
            (row, update)
            for row, update in read
            if not is_repeated(RECTIFICATION_FORM, update_row(update), before, update_identity(update))
        ]
    states = fetch_finding_states(con, {update.finding_id for _, update in read})
    applied = apply_updates(states, [update for _, update in read])
    if applied.refused:
        index, refusal = applied.refused[0]
        raise IllegalTransition(
            f"{RECTIFICATION_FORM.sheet_name}第 {read[index][0]['excel_row']} 行：{refusal.message}",
            hint="问题的整改状态在校验之后发生了变化，请核对后重新上传。",
            rule=refusal.rule,
        )
    # A 操作人 naming a platform account acts only as that account may on the web and the command line (a history
    # must not say a province closed a finding, or moved another province's). Each name is looked up once.
    accounts = {
        by for by in {update.by for _, update in read} if find_acting_account(con, by, from_sheet=True) is not None
    }
    for row, update in read:
        if update.by not in accounts:
            continue
        try:
            check_account_may_act(con, update.by, update.finding_id, FindingRole(update.role))
        except IllegalTransition as refused:
            raise IllegalTransition(
                refused.message,
                sheet=RECTIFICATION_FORM.sheet_name,
                row=row["excel_row"],
                column=ACTOR_LABEL,
                hint=f"{refused.hint}「{ACTOR_LABEL}」填平台用户名的，按该账号在平台上的权限核对；线下的人员请填其姓名。",
                rule=refused.rule,
            ) from None
    lineage = [(submission_id, RECTIFICATION_FORM.sheet_name, row["excel_row"]) for row, _ in read]
    _record_transitions(con, applied.records, lineage, "upload")
    _save_states(con, [applied.states[fid] for fid in dict.fromkeys(u.finding_id for _, u in read)])


def _insert_inspections(
    con: duckdb.DuckDBPyConnection, submission_id: str, loaded_at: datetime, records: pl.DataFrame
) -> None:
    divisions = load_divisions()
    loaded = fetch_loaded_records(con)
    rows = []
    for r in records.iter_rows(named=True):
        if is_repeated(INSPECTION_RECORDS_FORM, r, loaded, r["inspection_id"]):
            continue
        pct, grade, reason = grade_record(r)
        rows.append(
            {
                **{name: r[name] for name in _INSPECTION_COLUMNS},
                "province_code": divisions.get(r["division_code"]).province_code,
                "inspectors": split_names(r["inspectors"]),
                "has_security_incident": is_yes(r["has_security_incident"]),
                "compliance_pct": pct,
                "grade": grade.value if grade else None,
                "grade_reason": reason or None,
                "submission_id": submission_id,
                "sheet_name": INSPECTION_RECORDS_FORM.sheet_name,
                "excel_row": r["excel_row"],
                "loaded_at": loaded_at,
            }
        )
    insert_rows(con, "inspections", rows)


# Columns of `inspections` taken as uploaded (the others are derived when loading).
_INSPECTION_COLUMNS = (
    "inspection_id",
    "year",
    "inspection_type",
    "organiser",
    "unit_uscc",
    "unit_name",
    "unit_class",
    "division_code",
    "notice_date",
    "onsite_start",
    "onsite_end",
    "checklist_version",
    "items_applicable",
    "items_compliant",
    "failed_veto_items",
    "feedback_date",
    "feedback_doc_no",
    "remarks",
)
# Columns of `findings` taken as uploaded.
_FINDING_COLUMNS = (
    "finding_id",
    "inspection_id",
    "item_code",
    "description",
    "severity",
    "requirement",
    "responsible_unit",
    "responsible_person",
    "remarks",
)


def _insert_findings(
    con: duckdb.DuckDBPyConnection, submission_id: str, loaded_at: datetime, findings: pl.DataFrame
) -> None:
    inspections = fetch_loaded_inspections(con)
    loaded = fetch_loaded_finding_rows(con)
    uploaded = [
        r
        for r in findings.iter_rows(named=True)
        if not is_repeated(
            FINDINGS_FORM, finding_as_issued(r, inspections[r["inspection_id"]][0]), loaded, r["finding_id"]
        )
    ]
    states = issued_finding_states(uploaded, inspections)
    rows = []
    for r in uploaded:
        feedback, version = inspections[r["inspection_id"]]
        area = get_checklist(version).area_of(r["item_code"])
        state = states[r["finding_id"]]
        rows.append(
            {
                **{name: r[name] for name in _FINDING_COLUMNS},
                "area_code": area.code,
                "area_name": area.name,
                "is_immediate": is_yes(r["is_immediate"]),
                "original_deadline": state.deadline,
                "deadline": state.deadline,
                "status": state.status.value,
                "issued_on": feedback,
                "status_changed_at": start_of(feedback),
                "submission_id": submission_id,
                "sheet_name": FINDINGS_FORM.sheet_name,
                "excel_row": r["excel_row"],
                "loaded_at": loaded_at,
            }
        )
    insert_rows(con, "findings", rows)


def _record_transitions(
    con: duckdb.DuckDBPyConnection,
    records: Iterable[TransitionRecord],
    lineage: Iterable[tuple[str | None, str | None, int | None]],
    via: str,
) -> None:
    records = list(records)
    ids = sorted({r.finding_id for r in records})
    last = dict(
        con.execute(
            "SELECT finding_id, max(seq) FROM finding_transitions WHERE list_contains(?, finding_id) GROUP BY 1",
            [ids],
        ).fetchall()
    )
    now = utc_now()
    rows = []
    for record, (submission_id, sheet, row) in zip(records, lineage, strict=True):
        seq = last.get(record.finding_id, 0) + 1
        last[record.finding_id] = seq
        rows.append(
            {
                "finding_id": record.finding_id,
                "seq": seq,
                "changed_at": record.at,
                "changed_by": record.by,
                "role": record.role.value,
                "action": record.action.value,
                "from_status": record.from_state.value,
                "to_status": record.to_state.value,
                "note": record.note,
                "evidence": record.evidence,
                "new_deadline": record.new_deadline,
                "measures": record.measures,
                "recorded_at": now,
                "recorded_via": via,
                "submission_id": submission_id,
                "sheet_name": sheet,
                "excel_row": row,
            }
        )
    insert_rows(con, "finding_transitions", rows)


def _save_states(con: duckdb.DuckDBPyConnection, states: Iterable[FindingState]) -> None:
    execute_many(
        con,
        "UPDATE findings SET status = ?, deadline = ?, status_changed_at = ? WHERE finding_id = ?",
        [[s.status.value, s.deadline, s.updated_at, s.finding_id] for s in states],
    )


# ----------------------------------------------------------------------------------------- one change at a time


def _status(value: str) -> FindingStatus:
    try:
        return FindingStatus(value)
    except ValueError:
        known = "、".join(FindingStatus)
        raise UsageError(f"未知的整改状态「{value}」。", hint=f"可用的状态：{known}。") from None


def _check_typed(**texts: str | None) -> None:
    """UsageError when a typed note or measures break what the 整改进展 sheet allows in their column: a length, or
    a character nobody sees (_check_seen)."""
    for name, text in texts.items():
        field = RECTIFICATION_FORM.field(name)
        if text is not None and field.max_length is not None and len(text.strip()) > field.max_length:
            raise UsageError(
                f"「{field.label}」不超过 {field.max_length} 字，现为 {len(text.strip())} 字。",
                hint="请概括要点；详细内容请写入整改报告，作为佐证材料上传。",
            )
        _check_seen(name, text)


def _check_seen(name: str, text: str | None) -> None:
    """UsageError when typed text holds a character nobody sees, as the sheet's column would refuse it (stored, it
    would reach other users' pages and terminals as it is)."""
    field = RECTIFICATION_FORM.field(name)
    require_seen(field.label, text, multiline=field.is_multiline)


def account_lifecycle_roles(
    role: Role, province_code: str | None, finding: Mapping[str, Any]
) -> tuple[FindingRole, ...]:
    """The lifecycle roles a platform account acts in on a finding (its `organiser`, `province_code`, `unit_class`): the national
    bureau reviews every finding; a provincial office rectifies what the national bureau found in its province and,
    on the inspections its own bureau organised (of its prefectures and counties, whose own accounts send census
    returns and registers only), records the inspected unit's rectification and reviews it (the lifecycle keeps
    whoever recorded a rectification from closing it); an administrator (who manages accounts and reads), an
    evaluator, a prefecture's, county's or central channel's office, or a province for another province's finding or a
    central unit's in its province (which answers to the national bureau: `answers_for`), none."""
    if role is Role.PLANNER:
        return (FindingRole.REVIEWER,)
    if role is not Role.PROVINCE or province_code is None or not answers_for(province_code, finding):
        return ()
    if finding["organiser"] == NATIONAL_BUREAU:
        return (FindingRole.RECTIFIER,)
    return (FindingRole.RECTIFIER, FindingRole.REVIEWER)


# The 整改进展 sheet's column naming who acted.
ACTOR_LABEL = RECTIFICATION_FORM.field("actor").label


def check_account_may_act(con: duckdb.DuckDBPyConnection, by: str, finding_id: str, role: FindingRole) -> None:
    """IllegalTransition when `by` names a platform account (active or not) that may not act in this role on the
    finding. Other names are people without an account (the inspected unit's staff, an inspection team), recorded
    as given, as the workbook's 操作人 are."""
    account = find_acting_account(con, by)
    if account is None:
        return
    finding = fetch_named(
        con, "SELECT organiser, province_code, unit_class FROM finding_units WHERE finding_id = ?", [finding_id]
    )
    allowed = (
        account_lifecycle_roles(account.role, account.province_code, finding[0])
        if account.is_active and finding
        else ()
    )
    if role in allowed:
        return
    raise IllegalTransition(
        f"{account.described}不能以{role.label}身份操作问题 {finding_id}。",
        hint=f"该用户在本问题上可用的身份：{'、'.join(r.label for r in allowed) or '无'}。",
        rule="transition_role",
    )


def transition_finding(
    con: duckdb.DuckDBPyConnection,
    finding_id: str,
    *,
    by: str,
    to_status: str | None = None,
    action: str | None = None,
    role: str | None = None,
    note: str | None = None,
    evidence: str | None = None,
    new_deadline: date | None = None,
    at: datetime | None = None,
    via: str = "command",
    measures: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Change one finding (to a state, or by a named action) in one transaction, logging the transition.

    With only a target state the action is the one that leads there (an ambiguous target, such as 阶段性整改 →
    阶段性整改, needs the action named). The role defaults to the one the action requires. Illegal changes raise
    IllegalTransition with the domain's message; an unknown finding raises NotFound. `measures` are the rectifier's
    rectification measures (整改措施), taken by the actions the lifecycle allows them with.
    """
    if to_status is None and action is None:
        raise UsageError("须指明目标状态或整改操作。", hint="例如 --to 整改中。")
    _check_typed(note=note, measures=measures)
    finding_id = resolve_finding_id(con, finding_id)
    _check_seen("actor", by)
    with transaction(con):
        state = fetch_finding_states(con, [finding_id]).get(finding_id)
        if state is None:
            raise NotFound(
                f"找不到问题「{finding_id}」。", hint="请核对问题编号（archive-census finding show 可查看）。"
            )
        if action is not None:
            act = FindingAction(action) if action in {a.value for a in FindingAction} else action
        else:
            target = _status(str(to_status))
            actions = find_actions(state.status, target)
            if not actions:
                reachable = "、".join(dict.fromkeys(t.to_status for t in TRANSITIONS if t.from_status is state.status))
                raise IllegalTransition(
                    f"问题 {finding_id} 当前为「{state.status}」，不能变为「{target}」。",
                    hint=f"当前状态下可变为：{reachable or '无'}。",
                    rule="transition_allowed",
                )
            if len(actions) > 1:
                raise UsageError(
                    f"问题 {finding_id} 从「{state.status}」到「{target}」有多种操作：{'、'.join(actions)}。",
                    hint="请用 --action 指明是哪一种。",
                )
            act = actions[0]
        rule = TRANSITION_TABLE.get((state.status, act)) if isinstance(act, FindingAction) else None
        if to_status is not None and rule is not None and rule.to_status is not _status(to_status):
            raise IllegalTransition(
                f"问题 {finding_id}：「{act}」会使状态变为「{rule.to_status}」，而不是「{to_status}」。",
                rule="transition_allowed",
            )
        who = role if role is not None else (rule.role if rule is not None else FindingRole.REVIEWER)
        check_account_may_act(con, by, finding_id, FindingRole(who))
        try:
            after, record = apply_transition(
                state, act, by, who, at or utc_now(), note, evidence, new_deadline, measures, today
            )
        except IllegalTransition as refused:
            # An account named as people read it (「李华（guangdong）」曾记录本问题的整改), not by its login alone.
            refused.message = refused.message.replace(
                f"「{by}」", f"「{person_label(by, _holders_names(con).get(by))}」"
            )
            raise
        _record_transitions(con, [record], [(None, None, None)], via)
        _save_states(con, [after])
        record_event(
            con, AuditKind.FINDING, record.action.value, actor=by, target=finding_id, reason=note,
            before={"status": state.status.value, "deadline": state.deadline},
            after={"status": after.status.value, "deadline": after.deadline, "role": record.role.value, "evidence": evidence,
                   "measures": record.measures},
        )  # fmt: skip
    return {
        "finding_id": finding_id,
        "action": record.action.value,
        "role": record.role.value,
        "from_status": record.from_state.value,
        "to_status": record.to_state.value,
        "deadline": after.deadline.isoformat(),
        "changed_by": record.by,
        "changer": person_of(con, record.by),
        "changed_at": to_beijing(record.at).isoformat(timespec="seconds"),  # with its offset, as `--json` prints times
        "note": record.note,
        "evidence": record.evidence,
        "measures": record.measures,
    }


def correct_finding(
    con: duckdb.DuckDBPyConnection,
    finding_id: str,
    field: str,
    value: str,
    *,
    by: str,
    reason: str,
    confirmed: bool,
) -> dict[str, Any]:
    """Correct what a loaded finding says (one of CORRECTABLE_FINDING_FIELDS, named by its label or name), as the
    national bureau may: a loaded finding is never changed by sending its workbook again. Unconfirmed, raises a
    UsageError saying what would change; confirmed, changes it in one transaction, audited with before and after."""
    target = correctable_field(field)
    finding_id = resolve_finding_id(con, finding_id)
    by = required_text(by, "操作人", MAX_PERSON)
    check_national_planner(con, by, "更正已装载的问题", "已装载的问题由国家档案局规划人员更正")
    reason = required_text(reason, "更正原因", MAX_REASON)
    text = value.strip() or None
    if text is None and target.required:
        raise UsageError(f"「{target.label}」不能为空。", hint=f"请给出更正后的{target.label}。")
    if text is not None and target.max_length is not None and len(text) > target.max_length:
        raise UsageError(f"「{target.label}」不超过 {target.max_length} 字，现为 {len(text)} 字。", hint="请概括要点。")
    require_seen(target.label, text, multiline=target.is_multiline)
    with transaction(con):
        found = con.execute(
            f"SELECT {target.name} FROM findings WHERE finding_id = ?",  # noqa: S608 (an allow-listed column)
            [finding_id],
        ).fetchone()
        if found is None:
            raise NotFound(
                f"找不到问题「{finding_id}」。", hint="请核对问题编号（archive-census finding show 可查看）。"
            )
        before = found[0]
        change = describe_correction(finding_id, target, before, text)
        if before == text:
            raise UsageError(f"问题 {finding_id} 的「{target.label}」与更正后的内容相同，无须更正。")
        if not confirmed:
            raise UsageError(f"将把{change}。", hint="确认更正请加 --confirm。")
        con.execute(
            f"UPDATE findings SET {target.name} = ? WHERE finding_id = ?",  # noqa: S608 (an allow-listed column)
            [text, finding_id],
        )
        record_event(
            con, AuditKind.FINDING, "correct", actor=by, target=finding_id, reason=reason,
            before={target.name: before}, after={target.name: text},
        )  # fmt: skip
    return {"finding_id": finding_id, "field": target.name, "before": before, "after": text, "description": change}


def describe_correction(finding_id: str, field: Field, before: str | None, after: str | None) -> str:
    """What a correction changes: 问题 X 的「问题描述」由「…」改为「…」."""
    return f"问题 {finding_id} 的{describe_change(field, before, after)}"


def describe_change(field: Field, before: str | None, after: str | None) -> str:
    """A field's change: 「问题描述」由「…」改为「…」."""
    return f"「{field.label}」由{shown_value(before)}改为{shown_value(after)}"


def correctable_field(field: str) -> Field:
    """The finding's field a correction names (by its label or name), if it may be corrected."""
    for name in CORRECTABLE_FINDING_FIELDS:
        found = FINDINGS_FORM.field(name)
        if field.strip() in (found.label, found.name):
            return found
    labels = "、".join(FINDINGS_FORM.field(name).label for name in CORRECTABLE_FINDING_FIELDS)
    raise UsageError(
        f"「{field}」不能更正。",
        hint=f"可更正：{labels}；整改期限请用延期（finding transition --action 延期），其余内容随检查记录确定。",
    )


# --------------------------------------------------------------------------------------------------- queries


def _group_of(unit_class: str, province_code: str) -> tuple[str, str]:
    """Where a finding is counted: central units by their class, the others by their province."""
    return ("central", unit_class) if unit_class in CENTRAL_CLASSES else ("province", province_code)


def query_finding_counts(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict[str, Any]]:
    """Findings and overdue findings on `as_of`, by source, inspected unit class, province, status and severity.

    Grain: one row per (source, unit_class, province_code, status, severity) that has findings.
    """
    return fetch_named(
        con,
        f"""
        SELECT i.source, i.unit_class, i.province_code, f.status, f.severity,
               count(*) AS findings,
               count(*) FILTER (WHERE {_OVERDUE_SQL}) AS overdue
        FROM findings AS f JOIN finding_units AS i USING (finding_id)
        GROUP BY ALL ORDER BY ALL
        """,  # noqa: S608 - a constant fragment; values are bound
        [as_of, FindingStatus.CLOSED.value],
    )


def summarize_findings(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any]:
    """Findings by state, severity and source, overdue counts, per province (all census provinces) and per central
    class."""
    counts = query_finding_counts(con, as_of)
    states = {s.value: 0 for s in FindingStatus}
    severities = {s.value: 0 for s in FindingSeverity}
    sources = {s.value: 0 for s in FindingSource}
    groups: dict[tuple[str, str], dict[str, Any]] = {}

    def group(key: tuple[str, str]) -> dict[str, Any]:
        return groups.setdefault(key, {"findings": 0, "overdue": 0, "by_state": dict.fromkeys(states, 0)})

    for p in load_divisions().census_provinces():
        group(("province", p.code))
    for unit_class in CENTRAL_CLASSES:
        group(("central", unit_class))
    for row in counts:
        states[row["status"]] += row["findings"]
        severities[row["severity"]] += row["findings"]
        sources[row["source"]] += row["findings"]
        target = group(_group_of(row["unit_class"], row["province_code"]))
        target["findings"] += row["findings"]
        target["overdue"] += row["overdue"]
        target["by_state"][row["status"]] += row["findings"]
    divisions = load_divisions()
    return {
        "total": sum(states.values()),
        "overdue": sum(row["overdue"] for row in counts),
        "by_state": states,
        "by_severity": severities,
        "by_source": sources,
        "provinces": [
            {"province_code": code, "province_name": divisions.name(code), **figures}
            for (kind, code), figures in groups.items()
            if kind == "province"
        ],
        "central": [
            {"unit_class": unit_class, **figures} for (kind, unit_class), figures in groups.items() if kind == "central"
        ],
    }


def summarize_inspections(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Inspections counted by year, type, inspected unit class, grade (comprehensive ones) and result (special)."""
    rows = con.execute("SELECT year, inspection_type, unit_class, grade FROM inspections").fetchall()

    def graded(kind: str, codes: Iterable[str]) -> dict[str, int]:
        # Every grade or result, 0 included (as the findings' and the evaluation's counts are).
        counts = Counter(r[3] for r in rows if r[1] == kind and r[3] is not None)
        return {code: counts.get(code, 0) for code in codes} | dict(counts)

    return {
        "total": len(rows),
        "by_year": dict(sorted(Counter(str(r[0]) for r in rows).items())),
        "by_type": dict(sorted(Counter(r[1] for r in rows).items())),
        "by_class": dict(sorted(Counter(r[2] for r in rows).items())),
        "by_grade": graded(COMPREHENSIVE, INSPECTION_GRADE.values),
        "special_results": graded(SPECIAL, SPECIAL_RESULT.values),
    }


def query_inspections(con: duckdb.DuckDBPyConnection, as_of: date) -> list[dict[str, Any]]:
    """Every inspection record with its grade (or special result), its findings, those not closed and those overdue
    on `as_of`, and the upload it came from (submission, sheet, row).

    Grain: one row per inspection, newest feedback first.
    """
    return fetch_named(
        con,
        f"""
        SELECT i.inspection_id, i.year, i.inspection_type, i.organiser, i.unit_name, i.unit_class, i.province_code,
               i.division_code, i.feedback_date, i.feedback_doc_no, i.items_applicable, i.items_compliant,
               i.compliance_pct, i.grade, i.grade_reason,
               count(f.finding_id) AS findings,
               count(f.finding_id) FILTER (WHERE f.status <> ?) AS open_findings,
               count(f.finding_id) FILTER (WHERE {_OVERDUE_SQL}) AS overdue,
               i.submission_id, i.sheet_name, i.excel_row
        FROM inspections AS i LEFT JOIN findings AS f USING (inspection_id)
        GROUP BY ALL
        ORDER BY i.feedback_date DESC, i.inspection_id
        """,  # noqa: S608 - a constant fragment; values are bound
        [FindingStatus.CLOSED.value, as_of, FindingStatus.CLOSED.value],
    )


def answers_for(province_code: str | None, finding: Mapping[str, Any]) -> bool:
    """Whether the provincial office of `province_code` (None: the national bureau) answers for a finding: the rule
    of `query_findings`' province filter, for one finding."""
    if province_code is None:
        return True
    return finding["province_code"] == province_code and finding["unit_class"] not in CENTRAL_CLASSES


# The units whose findings a prefecture's or county's office sees, where they lie in its area: a city's or county's
# (inspected by its province's bureau) and a sub-provincial city's archive (evaluated by the national bureau).
LOCAL_UNIT_CLASSES = (CITY_COUNTY_CLASS, SUB_PROVINCIAL_LEVEL)


def in_local_area(scope: Scope, finding: Mapping[str, Any]) -> bool:
    """Whether a prefecture's or county's office (its `scope`) sees a finding (its `unit_class`, `division_code`): one
    of a local unit lying in its area, to read only (it acts on none: `account_lifecycle_roles`)."""
    return finding["unit_class"] in LOCAL_UNIT_CLASSES and scope.contains_division(finding["division_code"])


def query_findings(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    province_code: str | None = None,
    unit_class: str | None = None,
    status: str | None = None,
    overdue_only: bool = False,
    inspection_id: str | None = None,
) -> list[dict[str, Any]]:
    """Findings with their inspection and unit, whether overdue on `as_of` and by how many days, their current
    rectification measures (the latest given, or None), filtered.

    Grain: one row per finding. province_code: the findings a provincial office answers for, those of units in the
    province that are not central (central organs and enterprises are counted apart from every province, as
    `summarize_findings` counts them).
    """
    closed = FindingStatus.CLOSED.value
    return fetch_named(
        con,
        f"""
        SELECT f.finding_id, i.source, f.inspection_id, f.round_id, f.archive_code, i.year, i.inspection_type, i.organiser, i.unit_name, i.unit_class,
               i.province_code, i.division_code, f.item_code, f.area_name, f.description, f.severity, f.is_immediate,
               f.responsible_unit, f.responsible_person, f.status, f.issued_on, f.original_deadline, f.deadline,
               {_OVERDUE_SQL} AS is_overdue,
               CASE WHEN {_OVERDUE_SQL} THEN date_diff('day', f.deadline, ?) ELSE 0 END AS overdue_days,
               f.status_changed_at, m.measures
        FROM findings AS f JOIN finding_units AS i USING (finding_id) LEFT JOIN ({_MEASURES_SQL}) AS m USING (finding_id)
        WHERE (? IS NULL OR (i.province_code = ? AND NOT list_contains(?, i.unit_class)))
          AND (? IS NULL OR i.unit_class = ?)
          AND (? IS NULL OR f.status = ?) AND (? IS NULL OR f.inspection_id = ?)
          AND (NOT ? OR {_OVERDUE_SQL})
        ORDER BY f.finding_id
        """,  # noqa: S608 - a constant fragment; values are bound
        [
            as_of,
            closed,
            as_of,
            closed,
            as_of,
            province_code,
            province_code,
            list(CENTRAL_CLASSES),
            unit_class,
            unit_class,
            status,
            status,
            inspection_id,
            inspection_id,
            overdue_only,
            as_of,
            closed,
        ],
    )


def query_overdue_findings(
    con: duckdb.DuckDBPyConnection, as_of: date, province_code: str | None = None
) -> list[dict[str, Any]]:
    """Findings past their deadline and not closed on `as_of`, longest overdue first."""
    rows = query_findings(con, as_of, province_code=province_code, overdue_only=True)
    return sorted(rows, key=lambda r: (-r["overdue_days"], r["finding_id"]))


def resolve_finding_id(con: duckdb.DuckDBPyConnection, typed: str) -> str:
    """The finding number a person typed, as loaded: full-width forms folded and spaces dropped (a Chinese input
    method types ＳＪ４４－２０２５), any dash a hyphen, and its letter case when exactly one finding matches regardless
    of case (a pasted " sj44-2025-02-07 " was not found)."""
    wanted = re.sub(r"[\s]+", "", unicodedata.normalize("NFKC", typed))
    wanted = re.sub(r"[\u2010-\u2015\u2212\uFE58\uFE63]", "-", wanted)
    rows = con.execute("SELECT finding_id FROM findings WHERE lower(finding_id) = lower(?)", [wanted]).fetchall()
    matches = [row[0] for row in rows]
    return matches[0] if len(matches) == 1 else wanted


def query_finding_history(con: duckdb.DuckDBPyConnection, finding_id: str) -> dict[str, Any]:
    """A finding with where it was found (inspection or evaluation), its current rectification measures (`measures`:
    the latest given since it was last reopened), its corrections and when a report awaiting review was sent, its full
    transition log (oldest first, each with the measures given) and, for an evaluation's
    finding, the score rows it was derived from; NotFound when unknown. The number may be typed (`resolve_finding_id`).
    """
    finding_id = resolve_finding_id(con, finding_id)
    found = fetch_named(
        con,
        "SELECT f.*, i.source, i.inspection_type, i.unit_name, i.unit_class, i.province_code, i.division_code, "
        "i.organiser, i.feedback_doc_no "
        "FROM findings AS f JOIN finding_units AS i USING (finding_id) WHERE f.finding_id = ?",
        [finding_id],
    )
    if not found:
        raise NotFound(f"找不到问题「{finding_id}」。", hint="请核对问题编号。")
    transitions = fetch_named(
        con,
        "SELECT t.seq, t.changed_at, t.changed_by, t.role, t.action, t.from_status, t.to_status, t.note, t.evidence, "
        "t.new_deadline, t.measures, t.recorded_via, t.submission_id, t.sheet_name, t.excel_row, "
        "u.full_name AS changed_by_name FROM finding_transitions AS t LEFT JOIN users AS u ON u.user_name = t.changed_by "
        "WHERE t.finding_id = ? ORDER BY t.seq",
        [finding_id],
    )
    for step in transitions:
        step["changer"] = person_label(step["changed_by"], step["changed_by_name"])
    sources = query_finding_sources(con, finding_id) if found[0]["round_id"] is not None else []
    # The current measures, as `query_findings` gives them (_MEASURES_SQL): the latest given in the log just read since
    # the last reopening.
    since = [*takewhile(lambda t: t["action"] != FindingAction.REOPEN, reversed(transitions))]
    measures = next((t["measures"] for t in since if t["measures"] is not None), None)
    corrections = query_finding_corrections(con, finding_id)
    # When the report now awaiting review was submitted: a report sent in time is overdue by the reviewer's delay.
    waiting = found[0]["status"] == FindingStatus.SUBMITTED.value
    submitted = next((t["changed_at"] for t in reversed(transitions) if t["action"] == FindingAction.SUBMIT), None)
    return {
        **found[0],
        "measures": measures,
        "transitions": transitions,
        "sources": sources,
        "corrections": corrections,
        "report_submitted_at": submitted if waiting else None,
    }


def query_finding_corrections(con: duckdb.DuckDBPyConnection, finding_id: str) -> list[dict[str, Any]]:
    """The national bureau's corrections of what a loaded finding says, oldest first, each with who, when, why and
    what it changed (`change`): they were in the audit log only, so a province read a changed description
    without a trace."""
    rows = fetch_named(
        con,
        "SELECT a.occurred_at, a.actor, u.full_name, a.reason, a.before_state, a.after_state FROM audit_log AS a "
        "LEFT JOIN users AS u ON u.user_name = a.actor "
        "WHERE a.kind = ? AND a.action = 'correct' AND a.target = ? ORDER BY a.occurred_at, a.event_id",
        [AuditKind.FINDING.value, finding_id],
    )
    corrections = []
    for row in rows:
        before, after = json.loads(row["before_state"] or "{}"), json.loads(row["after_state"] or "{}")
        for name in (n for n in after if n in CORRECTABLE_FINDING_FIELDS):
            field = FINDINGS_FORM.field(name)
            corrections.append(
                {
                    "at": row["occurred_at"],
                    "by": person_label(row["actor"], row["full_name"]),
                    "reason": row["reason"],
                    "field": field.label,
                    "change": describe_change(field, before.get(name), after[name]),
                }
            )
    return corrections


def allowed_targets(status: FindingStatus) -> list[dict[str, str]]:
    """What can happen to a finding in a state: each action with its target state and the role that may take it."""
    return [
        {"action": t.action.value, "to_status": t.to_status.value, "role": t.role.value}
        for t in TRANSITIONS
        if t.from_status is status
    ]
