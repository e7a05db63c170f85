"""An inspections workbook sent again as it grows: the rows that repeat what is loaded are recognised (neither
refused nor loaded twice), and a loaded record or finding sent with other content is told apart field by field.

An office keeps one workbook per inspection and adds 整改进展 rows as the rectification goes on; sending it again
must load the new rows only. A record or finding is the same when every field of its sheet reads as loaded (text
trimmed, a blank as a blank, names as the names they list, a finding's blank deadline as its default). An update is
an uploaded one sent again when it names the same finding, day, action, person and role: the same when its words,
evidence, new deadline and measures are too, else a loaded action sent with other content.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from census_schema.fields import Field, Form
from census_schema.scopes import format_day
from census_schema.supervision.codes import IMMEDIATE, FindingRole
from census_schema.supervision.rectification import RECTIFICATION_WORKING_DAYS
from supervision.lifecycle import FindingUpdate
from supervision.rows import Row, finding_deadline, is_yes, split_names

# The fields holding a list of names: compared as the names they list, whatever the separators.
NAME_LIST_FIELDS = frozenset({"inspectors"})

# What makes two reports of an action on a finding one action: finding, day, action, person and role.
UpdateIdentity = tuple[str, date, str, str, str]


def _text(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


def _comparable(name: str, value: object) -> object:
    """A value as compared: text trimmed (empty is blank), a list of names as its names, numbers by their value."""
    if isinstance(value, str):
        value = _text(value)
        if value is not None and name in NAME_LIST_FIELDS:
            return tuple(split_names(value))
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def changed_fields(form: Form, row: Row, loaded: Row) -> list[Field]:
    """The fields of the form whose value in a sheet row reads otherwise than the loaded one's. Not compared: a field
    the row's version of the sheet has not, and a required one the row has no value in (blank or unreadable, as a
    date typed 25.3.3: its own rule says so; a probe read 本行 未填 for it)."""
    return [
        f
        for f in form.fields
        if f.name in loaded
        and f.name in row
        and not (f.required and row[f.name] is None)
        and _comparable(f.name, row[f.name]) != _comparable(f.name, loaded[f.name])
    ]


def shown_value(value: object) -> str:
    """A value as a message quotes it: text in 「」, anything else after a space (未填 for a blank)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return " 未填"
    if isinstance(value, str):
        return f"「{value}」"
    if isinstance(value, date):
        return f" {format_day(value)}"
    if isinstance(value, list | tuple):
        return "「" + "、".join(str(v) for v in value) + "」"
    return f" {value}"


def describe_changes(form: Form, row: Row, loaded: Row, notes: Mapping[str, str] | None = None) -> str:
    """Each changed field with its loaded value and this row's, and what `notes` says of it (by field name): 反馈日期
    （已装载 2023年3月20日，本行 2023年3月21日）."""
    notes = notes or {}
    return "；".join(
        f"{f.label}（已装载{shown_value(loaded[f.name])}，本行{shown_value(row.get(f.name))}"
        + (f"；{notes[f.name]}" if f.name in notes else "")
        + "）"
        for f in changed_fields(form, row, loaded)
    )


def finding_as_issued(row: Row, feedback: date | None) -> Row:
    """A 发现问题 row with the deadline it is issued with: a blank one is its default from the feedback day (kept blank
    when the inspection or the severity is unknown: their own rules say so)."""
    basis = IMMEDIATE if is_yes(row.get("is_immediate")) else row.get("severity")
    if row.get("deadline") is not None or feedback is None or basis not in RECTIFICATION_WORKING_DAYS:
        return row
    return {**row, "deadline": finding_deadline(feedback, row.get("severity"), is_yes(row.get("is_immediate")), None)}


def is_repeated(form: Form, row: Row, loaded: Mapping[Any, Row], key: object) -> bool:
    """Whether a row is the one loaded under its key (a record's or finding's id, an update's identity), field for
    field."""
    found = loaded.get(key)
    return found is not None and not changed_fields(form, row, found)


def update_identity(update: FindingUpdate) -> UpdateIdentity:
    """The identity an update is recognised by when it is sent again."""
    return (update.finding_id, update.at.date(), str(update.action), update.by.strip(), str(update.role))


def update_row(update: FindingUpdate) -> Row:
    """An update as the fields of its 整改进展 row."""
    return {
        "finding_id": update.finding_id,
        "action_on": update.at.date(),
        "action": str(update.action),
        "actor": update.by.strip(),
        "role": FindingRole(update.role).label,
        "note": update.note,
        "measures": update.measures,
        "evidence": update.evidence,
        "new_deadline": update.new_deadline,
    }
