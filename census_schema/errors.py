"""Typed errors that carry where the problem is and how to fix it."""

from __future__ import annotations

import errno
import os
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
        return self._location(with_file=True)

    def _location(self, *, with_file: bool) -> str:
        parts = [self.file] if self.file and with_file else []
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列「{self.column}」")
        return "，".join(parts)

    def describe(self, *, with_file: bool = True) -> str:
        """One paragraph: what, where, how to fix (without the file's name where the reader already sees it)."""
        location = self._location(with_file=with_file)
        text = f"{location}：{self.message}" if location else self.message
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


class ServiceUnavailable(CensusError):
    """A service the platform was told to use (the Prefect server of PREFECT_API_URL) could not be reached: worth
    retrying."""

    exit_code = 3


class StorageError(CensusError):
    """The warehouse's folder cannot be written (disk full, read-only, no permission) or its files are damaged."""


# errno values that mean "the disk cannot take this write", whatever the call that met them.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_TEXT = ("no space left", "disk quota", "file too large")
_READ_ONLY_TEXT = ("read-only file system", "permission denied")


def _unreadable(path: Path) -> bool:
    """An existing file or folder the current user may not read (a folder: not list or enter)."""
    try:
        exists = path.exists()
    except OSError:
        return True  # a folder above it refuses to be entered
    if not exists:
        return False
    return not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0))


def storage_error_from(
    error: BaseException, where: str | Path, report: str | Path | None = None
) -> StorageError | None:
    """A StorageError saying what to do when `error` (or what caused it) is a full disk or a read-only folder; its
    hint names --report when the refused file is in the folder of `report` (written there first, then renamed),
    else --db."""
    seen: BaseException | None = error
    refused = None
    while seen is not None:
        code = getattr(seen, "errno", None)
        text = str(seen).lower()
        # The file the operating system refused names the place better than the caller's guess; the system's own
        # (English) words stay in the cause, shown with --debug. A copy's error names its source and its target
        # (filename2, as shutil.copyfile gives them): the target is the one written (a full backup disk was told as
        # the warehouse's).
        refused = getattr(seen, "filename2", None) or getattr(seen, "filename", None) or refused
        where = refused or where
        in_report_folder = report and refused and Path(refused).absolute().parent == Path(report).absolute().parent
        option = "--report" if in_report_folder else "--db"
        if code in _FULL or any(t in text for t in _FULL_TEXT):
            return StorageError(
                f"磁盘空间不足，无法写入 {where}。本次操作未完成。",
                hint="请清理磁盘空间（或扩容）后重试；已提交的数据不受影响。",
            )
        if code in _READ_ONLY and refused and _unreadable(Path(refused)):
            # A file (or folder) this user may not read: a reading step refused, not a write (it said 无法写入).
            return StorageError(
                f"无法读取 {where}：当前用户没有读取权限。本次操作未完成。",
                hint="请让运行本平台的用户能读取该文件及其所在目录后重试。",
            )
        if code in _READ_ONLY or any(t in text for t in _READ_ONLY_TEXT):
            return StorageError(
                f"无法写入 {where}：目录只读或当前用户没有写权限。本次操作未完成。",
                hint=f"请让运行本平台的用户对该目录有读写权限（或改用 {option} 指向可写目录）后重试。",
            )
        seen = seen.__cause__ or seen.__context__
    return None
