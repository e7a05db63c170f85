"""Rows of the supervision sheets read as domain values, the same way for the checks and for the loads.

A row is a mapping of field name to typed cell (as parsed from the sheet, or as the demo generates it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from census_schema.codes import YES_NO
from census_schema.supervision.codes import IMMEDIATE, FindingAction, FindingRole
from census_schema.supervision.forms import NAME_SEPARATORS
from census_schema.supervision.rectification import RECTIFICATION_WORKING_DAYS
from supervision.lifecycle import FindingState, FindingUpdate, default_deadline, issue_finding

Row = Mapping[str, Any]
YES, NO = YES_NO.values
_NAMES = re.compile("[" + re.escape(NAME_SEPARATORS) + "]+")


def is_bonus_code(code: str) -> bool:
    """Bonus items are numbered B1, B2, … (scoring items A1.1.1, …): a B-code is a bonus claim, known or not."""
    return code.startswith("B")


def is_yes(value: object) -> bool:
    """True for the code list's 是."""
    return value == YES


def as_yes_no(flag: bool) -> str:
    """A flag as a sheet's cell holds it: the code list's 是 or 否."""
    return YES if flag else NO


def start_of(day: date) -> datetime:
    """The first moment of a day: when an action dated only by its day is taken to have happened."""
    return datetime.combine(day, time.min)


def split_names(text: str) -> list[str]:
    """The names in a list written with any of the accepted separators."""
    return [name for name in _NAMES.split(text.strip()) if name]


def as_decimal(value: object) -> Decimal:
    """A cell's number as a Decimal, through its text (7.3 stays 7.3)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def finding_deadline(feedback: date, severity: str | None, is_immediate: bool, given: date | None) -> date:
    """A finding's deadline: as given, else the default from the feedback date (立行立改: the same day)."""
    if given is not None:
        return given
    return default_deadline(feedback, IMMEDIATE if is_immediate else str(severity))


def issued_finding_states(
    findings: Iterable[Row], inspections: Mapping[str, tuple[date, str]]
) -> dict[str, FindingState]:
    """The state of each finding row as issued: its deadline, its responsible person, issued on the feedback day.

    `inspections`: inspection id -> (feedback date, checklist version). A finding whose inspection is unknown (a
    rule of its own reports that) gets no meaningful deadline, so that its updates can still be checked.
    """
    states = {}
    for row in findings:
        if not row["finding_id"]:
            continue
        inspection = inspections.get(str(row["inspection_id"]))
        feedback = inspection[0] if inspection else None
        given = row["deadline"]
        basis = IMMEDIATE if is_yes(row["is_immediate"]) else row["severity"]
        if feedback is not None and (given is not None or basis in RECTIFICATION_WORKING_DAYS):
            deadline = finding_deadline(feedback, row["severity"], is_yes(row["is_immediate"]), given)
        else:
            # No feedback day or no known severity (their own rules say so): no meaningful deadline.
            deadline = given or date.min
        issued = issue_finding(row["finding_id"], deadline, row["responsible_person"])
        states[row["finding_id"]] = replace(issued, updated_at=start_of(feedback) if feedback else None)
    return states


def read_update(row: Row) -> FindingUpdate | None:
    """A 整改进展 row as an update, or None when a needed cell is empty or names an unknown action or role."""
    if not (row["finding_id"] and row["action_on"] and row["actor"]):
        return None
    if row["action"] not in {a.value for a in FindingAction}:
        return None
    try:
        role = FindingRole.from_label(str(row["role"]))
    except ValueError:
        return None
    return FindingUpdate(
        row["finding_id"],
        row["action"],
        row["actor"],
        role,
        start_of(row["action_on"]),
        row["note"],
        row["evidence"],
        row["new_deadline"],
        row.get("measures"),  # the sheets of JDJC-2025.1 and 2025.2 have no 整改措施 column
    )
