"""The places a command will write, checked before it starts: a path under an ordinary file, or in a folder that
cannot be written, is refused by name in Chinese (exit 2) instead of failing halfway as an internal error."""

from __future__ import annotations

import argparse
import errno
import os
import tempfile
from pathlib import Path

from census_schema.errors import UsageError
from census_schema.settings import VAR_DIR_ENV, load_settings

# The options that name a file or folder a command writes, by argparse destination.
WRITTEN_OPTIONS = {"out": "--out", "workdir": "--workdir", "report": "--report"}
# Why a folder cannot take a new file, by errno (the operating system's own words are English).
_WHY_UNWRITABLE = {
    errno.EACCES: "没有写权限",
    errno.EPERM: "没有写权限",
    errno.EROFS: "位于只读文件系统",
    errno.ENOSPC: "所在磁盘已满",
}


def require_writable_place(path: Path, option: str, *, folder: bool = False) -> None:
    """UsageError unless `path` can be created (a `folder`: used or created): its nearest existing folder is a
    folder and can be written."""
    ancestor = path.absolute() if folder else path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(
            f"{option} {path} 无法创建：路径中的 {ancestor} 是一个文件，不是文件夹。本次未做任何处理。",
            hint=f"请给 {option} 换一个不经过该文件的路径（例如去掉多余的路径部分，或换一个文件夹）后重试。",
        )
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as error:
        raise UsageError(
            f"{option} {path} 无法写入：文件夹 {ancestor} {_WHY_UNWRITABLE.get(error.errno or 0, '中不能建立文件')}。"
            "本次未做任何处理。",
            hint=f"请让 {option} 指向当前用户可以写入的文件夹（或其中的文件）后重试。",
        ) from error


def may_create_warehouse(args: argparse.Namespace) -> bool:
    """Whether the command may start a warehouse where its file is not there: those marked so (ingest, restore, demo,
    serve, users add), but not a dry run, which writes nothing (a mistyped --db must not leave a new warehouse)."""
    return bool(getattr(args, "may_create_warehouse", False)) and not getattr(args, "dry_run", False)


def require_written_places(args: argparse.Namespace) -> None:
    """Refuse the command before it starts when a place it would write cannot be: its output options and, for a
    command that may create the warehouse, the warehouse file."""
    for destination, option in WRITTEN_OPTIONS.items():
        if getattr(args, destination, None):
            require_writable_place(Path(getattr(args, destination)), option)
    out = Path(args.out) if getattr(args, "out", None) else None
    if out is not None and out.is_file() and hasattr(args, "replace") and not args.replace:
        raise UsageError(
            f"--out {out} 已存在：写入会替换它（它可能是填好的报表或别的文件）。本次未做任何处理。",
            hint="请另取一个文件名；如确要替换它，请加 --replace。",
        )
    var_dir = os.environ.get(VAR_DIR_ENV, "").strip()
    if var_dir and hasattr(args, "db"):  # every command that opens the warehouse may write reports, state or logs there
        require_writable_place(Path(var_dir), f"环境变量 {VAR_DIR_ENV}", folder=True)
    if may_create_warehouse(args):
        settings = load_settings(args.db, args.warehouse)
        if settings.warehouse_url is None:
            require_writable_place(
                settings.db_path, "--db" if args.db else "数据仓库文件（$ARCHIVE_CENSUS_DB 或默认路径）"
            )
