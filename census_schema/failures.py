"""The located failure: the one shape every check, report, warehouse table and API speaks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from census_schema.errors import UsageError
from census_schema.fields import Form, Severity, holds_unseen, show_unseen

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
    def severity_rank(self) -> int:
        """0 for an error, 1 for a warning: errors come first."""
        return 0 if self.severity is Severity.ERROR else 1


def in_workbook_order(failures: Iterable[Failure], sheets: Sequence[Form]) -> list[Failure]:
    """Errors first, then as the uploader reads the workbook: by sheet (in the workbook's order), row, column (in the
    form's order) and rule."""
    sheet_at = {form.sheet_name: i for i, form in enumerate(sheets)}
    column_at = {(form.sheet_name, field.name): j for form in sheets for j, field in enumerate(form.fields)}

    def key(f: Failure) -> tuple[int, int, int, int, str, str]:
        column = column_at.get((f.sheet, f.field or ""), len(column_at))
        return (f.severity_rank, sheet_at.get(f.sheet, len(sheet_at)), f.row or 0, column, f.field or "", f.rule)

    return sorted(failures, key=key)


# How many runs of rows a line names before it says how many rows there are in all.
SHOWN_ROW_RUNS = 5


def describe_rows(rows: list[int]) -> str:
    """Rows as people write them: 3、5–9、12, or 3–5、7…等 316 行."""
    runs: list[list[int]] = []
    for row in sorted(set(rows)):
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    said = "、".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs[:SHOWN_ROW_RUNS])
    return f"{said}…等 {len(set(rows)):,}" if len(runs) > SHOWN_ROW_RUNS else said


def shorten_value(value: object) -> str | None:
    """A cell value as text, cut to a length a report can show."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + f"…（共 {len(text)} 字）"


# What typed text holding characters nobody sees is told to do.
UNSEEN_HINT = "多半是从网页或聊天软件复制时带入的；请删除后重新输入，或粘贴为纯文本。"


def require_seen(label: str, text: str | None, *, multiline: bool) -> None:
    """UsageError when typed text holds a character nobody sees (zero-width, direction controls, and line breaks
    where the text is not a paragraph), as a form's cell would be refused: stored, it would reach other users'
    pages, exports and terminals as it is (a reversed reason, a name that looks like another)."""
    if text is not None and holds_unseen(text, multiline):
        raise UsageError(
            f"「{label}」含有看不见的字符：{shorten_value(show_unseen(text.strip()))}",
            hint=UNSEEN_HINT,
        )
