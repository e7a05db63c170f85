"""The located failure: the one shape every check, report, warehouse table and API speaks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from census_schema.fields import Severity

MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class Failure:
    """One failing cell, row or workbook, with the rule it broke and how to fix it."""

    sheet: str
    row: int | None
    field: str | None
    label: str | None
    value: str | None
    rule: str
    severity: Severity
    message: str

    def to_json(self) -> dict[str, Any]:
        """The failure as in the interfaces spec (`failures` of `ingest --json`)."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        """Errors first, then by row, field and rule."""
        return (0 if self.severity is Severity.ERROR else 1, self.row or 0, self.field or "", self.rule)


def shorten_value(value: object) -> str | None:
    """A cell value as text, cut to a length a report can show."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + f"…（共 {len(text)} 字）"
