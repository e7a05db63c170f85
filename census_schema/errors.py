"""Typed errors that carry where the problem is and how to fix it."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class CensusError(Exception):
    """A problem the user can act on; `exit_code` is what the command line returns for it."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = Path(file).name if file is not None else None
        self.sheet, self.row, self.column, self.hint = sheet, row, column, hint

    @property
    def location(self) -> str:
        """Where the problem is: file, sheet, row, column, as far as known."""
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列「{self.column}」")
        return "，".join(parts)

    def describe(self) -> str:
        """One paragraph: what, where, how to fix."""
        text = f"{self.location}：{self.message}" if self.location else self.message
        return f"{text} 处理办法：{self.hint}" if self.hint else text


class WorkbookUnusable(CensusError):
    """The file cannot be used at all: not a workbook, corrupt, encrypted, wrong template, too large."""


class UsageError(CensusError):
    """A command or request was misused (unknown id, bad argument)."""


class NotFound(UsageError):
    """A submission, finding, archive or user that does not exist."""


class IllegalTransition(CensusError):
    """A state change the lifecycle does not allow; `rule` names the declared rule it breaks, when there is one."""

    def __init__(self, message: str, *, rule: str | None = None, **location: Any) -> None:
        super().__init__(message, **location)
        self.rule = rule


class AccessDenied(CensusError):
    """The signed-in user may not do this."""
