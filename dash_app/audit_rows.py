"""Audit events as people read them (the /audit page and `archive-census audit`): Beijing times, Chinese names of
kinds, actions, roles and provinces, archives by name, recorded states item by item."""

from __future__ import annotations

import json
from typing import Any

from census_schema.archives import archive_label, archive_names
from census_schema.audit import (
    AUDIT_COUNTER_LABELS,
    AUDIT_LEADING_FIELDS,
    AUDIT_STATE_LABELS,
    AUDIT_TYPED_FIELDS,
    AUDIT_VIA_LABELS,
    AuditKind,
    action_label,
    describe_removed_return,
    unnamed_actor,
)
from census_schema.roles import Role, person_label
from census_schema.scopes import CENTRAL_CHANNELS, describe_division
from census_schema.supervision.codes import FindingRole
from dash_app.formatting import (
    area_name,
    division_name,
    figure_label,
    format_count,
    format_date,
    format_datetime,
    format_number,
    kind_label,
)
from warehouse.audit import NamesInTime


def _state_value(key: str, value: Any) -> str:
    """One recorded value as a person reads it: names for codes, 是/否, Chinese dates, typed names quoted."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "summary_changes" and isinstance(value, dict):
        return _figure_change(value)
    if key == "returns_removed" and isinstance(value, dict):
        return describe_removed_return(value)
    if key == "dropped_holders" and isinstance(value, dict):  # 某档案室（9144…）
        return f"{value.get('unit_name') or '（未填单位名称）'}（{value.get('uscc')}）"
    if isinstance(value, dict):
        return "，".join(f"{k} {_state_value(key, v)}" for k, v in value.items()) or "无"
    if isinstance(value, list):
        return "、".join(_state_value(key, v) for v in value) or "无"
    if key == "kind":
        return kind_label(str(value))
    if key == "province_code":
        return division_name(str(value))
    if key == "scope_code":  # a prefecture's or county's division, or a central channel's key
        return CENTRAL_CHANNELS.get(str(value)) or describe_division(str(value))
    if key == "role":
        return _role_label(str(value))
    if key in ("deadline", "original_deadline"):
        return format_date(str(value))
    if key == "backup_taken_at":
        try:
            return format_datetime(str(value), seconds=True)
        except ValueError:  # a time this code never writes: shown as it is, never a page that cannot be read
            return str(value)
    if key == "counters":
        return AUDIT_COUNTER_LABELS.get(str(value), str(value))
    if key in AUDIT_TYPED_FIELDS:
        return f"「{value}」"
    return format_count(value) if isinstance(value, int) else str(value)


def _figure_change(change: dict[str, Any]) -> str:
    """广东省 以卷为保管单位档案：1,000 → 900 (卷): one figure an upgrade changed, as a person reads it."""
    figure = str(change.get("figure"))
    try:
        name, unit = figure_label(figure)
    except KeyError:  # a figure of a release this code does not know: by its name
        name, unit = figure, ""
    values = " → ".join(_figure_value(change.get(side)) for side in ("before", "after"))
    return f"{area_name(change.get('unit'))} {name}：{values}{f'（{unit}）' if unit else ''}"


def _figure_value(value: Any) -> str:
    if value is None:
        return "无"
    if isinstance(value, float) and not value.is_integer():
        return format_number(value, 2)
    return format_count(int(value)) if isinstance(value, int | float) else str(value)


def _role_label(value: str) -> str:
    for roles in (Role, FindingRole):
        if value in set(roles):
            return roles(value).label
    return value


def state_parts(text: str | None) -> list[str]:
    """A stored JSON state as `字段：值` items with the fields' Chinese names (no braces, no codes)."""
    if not text:
        return []
    state = json.loads(text)
    if not isinstance(state, dict):
        return [str(state)]
    leading = {key: place for place, key in enumerate(AUDIT_LEADING_FIELDS)}
    items = sorted(state.items(), key=lambda item: leading.get(item[0], len(leading)))
    return [f"{AUDIT_STATE_LABELS.get(key, key)}：{_state_value(key, value)}" for key, value in items]


def _state(text: str | None) -> str | None:
    """A stored JSON state on one line, `字段：值；…` (an item's own full stop dropped before the ；)."""
    return "；".join(part.removesuffix("。") for part in state_parts(text)) or None


# The log's columns by their Chinese names, on /audit and in `archive-census audit` alike.
AUDIT_HEADERS = {
    "occurred_at": "时间（北京时间）",
    "actor": "操作人",
    "via": "途径",
    "source_address": "来源地址",
    "kind": "类别",
    "action": "操作",
    "target": "对象",
    "before_state": "变更前",
    "after_state": "变更后",
    "reason": "原因或说明",
}
USER_TARGETS = frozenset({AuditKind.USER, AuditKind.LOGIN})
ARCHIVE_TARGETS = frozenset({AuditKind.ASSIGNMENT, AuditKind.EVALUATION_SCORE})


def _target(kind: AuditKind, target: str | None) -> str | None:
    """What changed, as a person reads it: a user's name quoted (what an administrator typed), an archive by name."""
    if target and kind in USER_TARGETS:
        return f"「{target}」"
    if target and kind in ARCHIVE_TARGETS and target in archive_names():
        return archive_label(target)
    return target


def shown_row(row: dict[str, Any], names: NamesInTime) -> dict[str, Any]:
    """An audit event as the grid shows it: Beijing time, Chinese names of kinds, actions and sources; its actor by
    the person's name the account bore when it acted, beside the account (欧阳李华（guangdong）: an account passed
    to a successor credited them with the predecessor's acts)."""
    kind = AuditKind(row["kind"])
    actor = row["actor"]
    return {
        "event_id": row["event_id"],
        "occurred_at": format_datetime(row["occurred_at"], seconds=True),
        "actor": person_label(actor, names.at(actor, row["occurred_at"])) if actor else unnamed_actor(kind),
        "via": AUDIT_VIA_LABELS.get(row["via"], row["via"]),
        "source_address": row["source_address"],
        "kind": kind.label,
        "action": action_label(row["action"], kind),
        "target": _target(kind, row["target"]),
        "before_state": _state(row["before_state"]),
        "after_state": _state(row["after_state"]),
        "reason": row["reason"],
    }
