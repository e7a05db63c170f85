"""Opening the warehouse file: created and migrated for writers, opened as it is for readers."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from census_schema.errors import StorageError, UsageError
from census_schema.settings import env_number
from warehouse.migrations import apply_migrations

LOGGER = logging.getLogger(__name__)

# DuckDB's worker threads per database; unset: one per core. Processes sharing few cores (several web or Prefect
# worker processes, the test suite's workers) spend less CPU on their small queries with one each.
THREADS_ENV = "ARCHIVE_CENSUS_DUCKDB_THREADS"
# More is never faster on one machine, and every database a process opens starts its own (100,000 exhausted the
# machine's thread limit: every other process then failed to start).
MAX_THREADS = 256


def duckdb_settings() -> dict[str, str | int | float | list[str]]:
    """The DuckDB configuration every connection of this process opens with (read from the environment)."""
    threads = int(
        env_number(os.environ, THREADS_ENV, 0, maximum=MAX_THREADS, default_note="每个数据库的线程数，默认按 CPU 核数")
    )
    return {"threads": threads} if threads else {}


def open_duckdb(
    database: Path | str = ":memory:",
    *,
    read_only: bool = False,
    config: Mapping[str, str | int | float | list[str]] | None = None,
) -> duckdb.DuckDBPyConnection:
    """duckdb.connect with this process's DuckDB settings (every connection to one file must use the same)."""
    return duckdb.connect(str(database), read_only=read_only, config={**duckdb_settings(), **(config or {})})


# The first bytes of files that are certainly not a warehouse, and what they are.
OTHER_FORMATS = {
    b"PK\x03\x04": "Excel 工作簿（或其他 zip 压缩文件）",
    b"\xd0\xcf\x11\xe0": "旧版 Office 文件",
    b"%PDF": "PDF 文件",
    b"SQLite format 3": "SQLite 数据库",
}
# A DuckDB database file starts with an 8-byte checksum, then this magic.
DUCKDB_MAGIC, DUCKDB_MAGIC_OFFSET = b"DUCK", 8
# Where a command takes its warehouse from, in the order it looks (census_schema.settings.parse_warehouse).
WAREHOUSE_SOURCES = "--warehouse、--db 或环境变量 ARCHIVE_CENSUS_WAREHOUSE、ARCHIVE_CENSUS_DB"
DB_PATH_HINT = f"请检查 {WAREHOUSE_SOURCES}：它应指向数据仓库文件（如 var/warehouse.duckdb）。"


def snapshot_dir_of(db_path: Path) -> Path:
    """The folder of a warehouse file's published read snapshots (`warehouse.store`)."""
    return db_path.parent / f"{db_path.stem}.snapshots"


def is_duckdb_header(head: bytes) -> bool:
    """True when the first bytes of a file are a DuckDB database's (a checksum, then the magic `DUCK`)."""
    return head[DUCKDB_MAGIC_OFFSET : DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC)] == DUCKDB_MAGIC


def refuse_other_files(db_path: Path) -> None:
    """UsageError when the warehouse path is a folder or a file that is not a DuckDB database (a workbook, a CSV, an
    empty file given as --db): opening it fails, and restoring a backup onto it would destroy it.

    A file without DuckDB's header that has read snapshots beside it was a warehouse: damaged, it is left to the
    store, which says to restore it. A DuckDB file without snapshots is refused if it is another program's database
    (refuse_foreign_database).
    """
    if db_path.is_dir():
        raise UsageError(f"{db_path} 是文件夹，不是数据仓库文件。", hint=DB_PATH_HINT)
    if not db_path.is_file():
        return
    with db_path.open("rb") as handle:
        head = handle.read(16)
    kind = next((name for magic, name in OTHER_FORMATS.items() if head.startswith(magic)), None)
    if kind is not None:
        raise UsageError(f"{db_path} 是 {kind}，不是数据仓库文件，平台不会打开或覆盖它。", hint=DB_PATH_HINT)
    if any(snapshot_dir_of(db_path).glob("snapshot-*.duckdb")):
        return
    if is_duckdb_header(head):
        # Never published as a warehouse: another program's database? Asked before a lock file is made beside it.
        try:
            con = duckdb.connect(str(db_path), read_only=True)
        except duckdb.Error:
            return  # open elsewhere in this process, or locked: the writable connection asks (connect_warehouse)
        try:
            refuse_foreign_database(con, db_path)
        finally:
            con.close()
        return
    what = "空文件（0 字节）" if not head else "其他格式的文件（文件开头没有 DuckDB 的标识）"
    raise UsageError(
        f"{db_path} 不是 DuckDB 数据库文件，而是{what}，不是数据仓库文件，平台不会打开或覆盖它。", hint=DB_PATH_HINT
    )


def connect_warehouse(db_path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse; a writable one creates the file's folder and applies pending migrations."""
    db_path = Path(db_path)
    refuse_other_files(db_path)
    if read_only and not db_path.exists():
        raise UsageError(
            f"数据仓库文件 {db_path} 不存在，无法以只读方式打开。",
            hint=f"请检查 {WAREHOUSE_SOURCES} 指向的路径，或先运行一次装载命令（如 archive-census ingest）创建数据仓库。",
        )
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = open_duckdb(db_path, read_only=read_only)
    except duckdb.Error as error:
        if "replaying WAL" in str(error):
            raise unreplayable_log(db_path, error) from None
        if not isinstance(error, duckdb.IOException) or "lock" not in str(error).lower():
            raise
        raise UsageError(
            f"数据仓库文件 {db_path} 正被另一个进程使用（写入时其他进程无法打开）。",
            hint="请等待其他正在使用该文件的命令或服务结束后重试。",
        ) from error
    if not read_only:
        try:
            refuse_foreign_database(con, db_path)
            apply_migrations(con, before_upgrade=lambda old, new: keep_before_upgrade(con, db_path, old, new))
        except BaseException:
            con.close()
            raise
    return con


def keep_before_upgrade(con: duckdb.DuckDBPyConnection, db_path: Path, old: int, new: int) -> Path:
    """Copy the warehouse file, as it is before an upgrade, into var/before-upgrade/<time>/ (its owner's alone: it
    holds password hashes), and say so where the upgrade runs: an upgrade changes data (a deadline recounted on the
    official calendar) and a newer version's warehouse is refused by an older one; the copy is the way back."""
    con.execute("CHECKPOINT")  # the file whole (this connection holds the write lock: nothing else writes)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = db_path.parent / "before-upgrade" / f"{stamp}-m{old:03d}"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    shutil.copyfile(db_path, folder / db_path.name)
    LOGGER.warning(
        "数据仓库 %s 需从迁移版本 %d 升级到 %d，现在开始升级；升级前的文件已另存于 %s（如需退回旧版本的平台，停止服务后用它替换该文件）。",
        db_path,
        old,
        new,
        folder,
    )
    return folder


def unreplayable_log(db_path: Path, error: duckdb.Error) -> StorageError:
    """The main file opened, but DuckDB cannot replay the log a writer killed before its checkpoint left beside it:
    moving the log aside loses only that write, where restoring a backup loses everything since the backup."""
    wal = db_path.with_name(db_path.name + ".wal")
    return StorageError(
        f"数据仓库 {db_path} 无法打开：主文件完好，但它旁边的日志文件 {wal.name}（一次写入在整理进主文件前被中断时留下）"
        f"无法重放（{duckdb_said(error)}）。",
        hint=f"请停止服务和正在运行的命令，把 {wal} 移到别处保存（不要删除，以便排查）后重试：数据仓库回到被中断的那次写入之前，"
        "那次写入（如一次上传、审核或升级）需重新进行。若仍无法打开，再用 archive-census restore 备份目录 从最近的备份恢复。",
    )


# Said of a file DuckDB cannot open (its own English words follow, labelled, for the administrator).
DAMAGED = "：文件不完整或已损坏"


def duckdb_said(error: BaseException) -> str:
    """DuckDB's own words on an error, labelled as such in a Chinese message (an administrator may search for them)."""
    return f"DuckDB 的原始报错：{first_line(error)}"


def first_line(error: BaseException) -> str:
    """The first line of an error's text (DuckDB's internal errors append a stack trace)."""
    return str(error).strip().partition("\n")[0]


# How many of a foreign database's tables a refusal names.
FOREIGN_TABLES_SHOWN = 5


def refuse_foreign_database(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """UsageError when the DuckDB file holds tables but no record of the platform's migrations: another program's
    database, which migrating would fill with the warehouse's tables (and a read would show as an empty warehouse)."""
    tables = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal "
            "ORDER BY table_name"
        ).fetchall()
    ]
    if not tables or "schema_migrations" in tables:
        return
    shown = "、".join(tables[:FOREIGN_TABLES_SHOWN]) + ("等" if len(tables) > FOREIGN_TABLES_SHOWN else "")
    raise UsageError(
        f"{db_path} 是 DuckDB 数据库，但不是本平台的数据仓库：其中有 {len(tables)} 张别的表（{shown}），"
        "没有平台的迁移记录（schema_migrations）。平台不会在其中建表或改动它。",
        hint=DB_PATH_HINT,
    )
