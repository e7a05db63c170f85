"""One writer at a time on the warehouse file; readers on immutable published snapshots.

DuckDB lets one process hold a file read-write, and while it does no other process can open it at all.
So writers take an OS file lock, open the main file, commit, checkpoint, close, and publish a copy as the
new read snapshot (atomic rename of the copy, then of the `CURRENT` pointer). Readers (the dashboard, the
summary command, a flow fetching context) open the current snapshot read-only: they never block writers,
and they see either the state before a load or after it, never half of it.

Nothing committed stays hidden. Before it opens the main file a writer records that a publication is owed (the
`PENDING` marker, written and synced); it removes the marker only once the new snapshot and pointer are on disk.
A writer killed in between (or one whose publication failed: disk full) leaves the marker, and the next reader
or start-up that finds the writer lock free republishes from the main file (replaying DuckDB's WAL first), so
readers find the newest committed state. A pointer that is not a snapshot name, a snapshot whose size is not the
size published or that DuckDB cannot open are repaired the same way; temporary files of a killed writer are
removed whenever the lock is held. A full disk or a read-only folder is a `StorageError` (exit 2) raised before
anything is committed where it can be foreseen (free space is checked first), and never leaves a temporary file.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import duckdb

from census_schema.errors import CensusError, StorageError, UsageError, storage_error_from
from warehouse.connection import (
    DAMAGED,
    WAREHOUSE_SOURCES,
    connect_warehouse,
    duckdb_said,
    open_duckdb,
    refuse_other_files,
    snapshot_dir_of,
)
from warehouse.migrations import WarehouseNewerThanCode, is_current

LOGGER = logging.getLogger(__name__)
KEEP_SNAPSHOTS = 3
PENDING = "PENDING"
DEFAULT_LOCK_TIMEOUT_S = 600.0
SNAPSHOT_NAME = re.compile(r"^snapshot-[0-9]{1,25}\.duckdb$")
# A write may grow the main file; its snapshot is a full copy. Free space below this refuses the write up front.
FREE_SPACE_MARGIN_BYTES = 32 * 1024 * 1024
RESTORE_HINT = "数据仓库主文件已损坏：请停止服务，用 archive-census restore 备份目录 从最近的备份恢复。"

# Set while a command runs that reads or changes a warehouse that exists (`existing_warehouse_only`): a main file
# that is not there is then refused, where otherwise the first reader or writer creates an empty warehouse.
_MUST_EXIST: ContextVar[bool] = ContextVar("warehouse_must_exist", default=False)


@contextmanager
def existing_warehouse_only() -> Iterator[None]:
    """Inside, opening an embedded warehouse whose file does not exist is refused instead of creating one."""
    token = _MUST_EXIST.set(True)
    try:
        yield
    finally:
        _MUST_EXIST.reset(token)


def must_exist() -> bool:
    """True inside `existing_warehouse_only`: a warehouse that is not there is refused, not created."""
    return _MUST_EXIST.get()


class WarehouseBusy(CensusError):
    """Another load held the warehouse for longer than we were willing to wait."""


class WarehouseStore:
    """The warehouse file, its writer lock and its published read snapshots."""

    def __init__(self, db_path: Path, *, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.db_path = Path(db_path)
        self.lock_timeout_s = lock_timeout_s
        self.snapshot_dir = snapshot_dir_of(self.db_path)
        self.pointer = self.snapshot_dir / "CURRENT"
        self.pending = self.snapshot_dir / PENDING
        self._schema_checked = False
        # A connection kept open to the latest snapshot this store read: DuckDB then gives the next connections to
        # that file its running database (~0.1 ms) instead of starting one (~15 ms; a small ingestion reads ~5 times).
        self._warm: tuple[Path, duckdb.DuckDBPyConnection] | None = None
        self._warm_lock = threading.Lock()

    # --- the writer lock -------------------------------------------------------------------------------------

    @contextmanager
    def _lock(self, *, wait: bool = True) -> Iterator[bool]:
        """Hold the writer lock; with wait=False yield False at once when another process holds it."""
        refuse_other_files(self.db_path)  # before the lock file and snapshots are made beside a mistaken path
        with self._storage(self.db_path.parent):
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.db_path.with_suffix(".lock"), "a+b")
        with handle:
            deadline = time.monotonic() + self.lock_timeout_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait:
                        yield False
                        return
                    if time.monotonic() > deadline:
                        raise WarehouseBusy(
                            f"数据仓库正被其他装载任务占用，已等待 {self.lock_timeout_s:.0f} 秒。", hint="请稍后重试。"
                        ) from None
                    time.sleep(0.1)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def has_snapshots(self) -> bool:
        """Whether read snapshots of this warehouse exist (with or without its main file)."""
        return any(self.snapshot_dir.glob("snapshot-*.duckdb"))

    def _require_main_file(self) -> None:
        """Refuse to read or write when the main file is gone but its snapshots are not (moved or deleted by hand),
        or is not there at all while `existing_warehouse_only` is in force.

        Readers would serve the old snapshots as the warehouse, and a writer would create an empty main file whose
        publications soon delete them: the last copy of the data, perhaps.
        """
        if self.db_path.exists():
            return
        if not self.has_snapshots():
            if _MUST_EXIST.get():
                raise UsageError(
                    f"数据仓库文件 {self.db_path.absolute()} 不存在。",
                    hint=f"请检查 {WAREHOUSE_SOURCES} 是否写错；"
                    "新的数据仓库在首次运行 serve、users add、ingest（试校验 --dry-run 除外）、restore 或 demo 时建立。",
                )
            return
        raise StorageError(
            f"数据仓库主文件 {self.db_path} 不存在，但它的读取快照还在（{self.snapshot_dir}）：主文件被移走或删除了。"
            "为免把旧快照当作现有数据，也为免新建的空仓库冲掉这些快照，本次操作未执行。",
            hint=(
                "如主文件是误删或误移的，请把它放回原处，或用 archive-census restore 备份目录 从备份恢复（快照目录中"
                f"最新的 snapshot-*.duckdb 也是一份完整副本，可复制为 {self.db_path.name}）；如确要从空仓库重新开始，"
                "请先把快照目录移走。"
            ),
        )

    @contextmanager
    def locked_for_backup(self) -> Iterator[None]:
        """Hold the writer lock with the main file closed, checkpointed and published (for a consistent copy)."""
        self._require_main_file()
        with self._lock():
            if self.pending.exists() or self.db_path.with_name(self.db_path.name + ".wal").exists():
                self._republish_locked()
            yield

    @contextmanager
    def locked_for_restore(self, keep: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the writer lock while the main file is replaced, then publish it (owed until then); `keep` runs first,
        to copy the file being replaced (checkpointed as a backup takes it, unless it cannot be opened)."""
        with self._lock():
            if keep is not None and self.db_path.is_file():
                if self.pending.exists() or self.db_path.with_name(self.db_path.name + ".wal").exists():
                    # A damaged file, or one a newer version of the platform upgraded, is kept as it is.
                    with contextlib.suppress(StorageError, WarehouseNewerThanCode):
                        self._republish_locked()
                keep()
            self._begin()
            yield
            self._republish_locked()

    def storage(self, where: Path) -> contextlib.AbstractContextManager[None]:
        """A full disk or read-only folder met inside becomes a StorageError that says what to do."""
        return self._storage(where)

    @contextmanager
    def _storage(self, where: Path) -> Iterator[None]:
        """Turn a full disk or a read-only folder met inside into a StorageError that says what to do."""
        try:
            yield
        except CensusError:
            raise
        except (OSError, duckdb.Error) as error:
            translated = storage_error_from(error, where)
            if translated is None:
                raise
            raise translated from error

    # --- writing ---------------------------------------------------------------------------------------------

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The only read-write connection; on success the new state is published for readers."""
        self._require_main_file()
        with self._lock():
            self._begin()
            before = self._main_file_state()
            with self._storage(self.db_path):
                con = connect_warehouse(self.db_path)
            try:
                with self._storage(self.db_path):
                    yield con
            except BaseException:
                con.close()
                if self._main_file_state() == before:
                    # Refused before anything was committed: nothing to publish.
                    self.pending.unlink(missing_ok=True)
                raise
            with self._committed():
                try:
                    with self._storage(self.db_path):
                        con.execute("CHECKPOINT")
                finally:
                    con.close()
                self._publish()

    @contextmanager
    def _committed(self) -> Iterator[None]:
        """After the caller's commit: a storage failure says the data is safe and will be published by itself."""
        try:
            yield
        except StorageError as error:
            raise StorageError(
                f"本次操作的数据已提交并保存，但整理数据文件或发布读取快照时失败：{error.message}",
                hint="释放磁盘空间（或恢复写权限）后，下一次读取或服务启动会自动发布最新数据，无需重新提交。",
            ) from error

    def _main_file_state(self) -> tuple[tuple[int, int] | None, ...]:
        def state(path: Path) -> tuple[int, int] | None:
            try:
                info = path.stat()
            except FileNotFoundError:
                return None
            return info.st_mtime_ns, info.st_size

        return state(self.db_path), state(self.db_path.with_name(self.db_path.name + ".wal"))

    def _begin(self) -> None:
        """Under the lock: remove a killed writer's temporary files, check free space, record the owed publication."""
        with self._storage(self.snapshot_dir):
            self.snapshot_dir.mkdir(parents=True, exist_ok=True)
            self._remove_temporary_files()
            self._check_free_space()
            self._write_synced(self.pending, b"publication owed\n")

    def _check_free_space(self) -> None:
        size = self.db_path.stat().st_size if self.db_path.exists() else 0
        wal = self.db_path.with_name(self.db_path.name + ".wal")
        size += wal.stat().st_size if wal.exists() else 0
        free = shutil.disk_usage(self.snapshot_dir).free
        needed = size + FREE_SPACE_MARGIN_BYTES
        if free < needed:
            raise StorageError(
                f"磁盘空间不足：数据仓库写入和发布读取快照约需 {needed / 1048576:.0f} MB，"
                f"{self.snapshot_dir} 所在磁盘只剩 {free / 1048576:.0f} MB。本次操作未执行，数据未改变。",
                hint="请清理磁盘空间（或扩容）后重试。",
            )

    def _remove_temporary_files(self) -> None:
        for stray in self.snapshot_dir.glob(".*.tmp"):
            stray.unlink(missing_ok=True)

    @staticmethod
    def _write_synced(path: Path, data: bytes) -> None:
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def _publish(self) -> None:
        """Copy the closed main file as a new snapshot, point CURRENT at it, then clear the owed publication."""
        name = f"snapshot-{time.time_ns()}.duckdb"
        staging = self.snapshot_dir / f".{name}.tmp"
        with self._storage(self.snapshot_dir):
            try:
                shutil.copyfile(self.db_path, staging)
                with open(staging, "rb") as handle:
                    os.fsync(handle.fileno())
                size = staging.stat().st_size
                os.replace(staging, self.snapshot_dir / name)
            finally:
                staging.unlink(missing_ok=True)
            self._write_synced(self.pointer, f"{name}\n{size}\n".encode())
            self._sync_folder()
            self.pending.unlink(missing_ok=True)
            # Readers that still hold an older snapshot keep reading it: unlinking an open file is safe on POSIX.
            for old in sorted(self.snapshot_dir.glob("snapshot-*.duckdb"))[:-KEEP_SNAPSHOTS]:
                old.unlink(missing_ok=True)

    def _sync_folder(self) -> None:
        descriptor = os.open(self.snapshot_dir, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    # --- reading ---------------------------------------------------------------------------------------------

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the latest published snapshot."""
        con = self.open_snapshot()[1]
        try:
            yield con
        finally:
            con.close()

    def open_snapshot(self) -> tuple[Path, duckdb.DuckDBPyConnection]:
        """The current snapshot and a read-only connection to it; a snapshot DuckDB cannot open is republished once."""
        path = self.current_snapshot()
        try:
            return path, self._open_read_only(path)
        except duckdb.Error:
            self.republish(reason=path)
        path = self.current_snapshot()
        try:
            return path, self._open_read_only(path)
        except duckdb.Error as error:
            raise StorageError(
                f"读取快照 {path} 无法打开{DAMAGED}（{duckdb_said(error)}）。", hint=RESTORE_HINT
            ) from None

    def _open_read_only(self, path: Path) -> duckdb.DuckDBPyConnection:
        """A read-only connection to a snapshot, sharing the database the store keeps open on the latest it read (a
        newer snapshot replaces it; the older database closes with its last connection)."""
        with self._warm_lock:
            if self._warm is None or self._warm[0] != path:
                warm = open_duckdb(path, read_only=True)
                if self._warm is not None:
                    self._warm[1].close()
                self._warm = (path, warm)
            return open_duckdb(path, read_only=True)

    def close(self) -> None:
        """Let go of the snapshot database the store keeps open (it closes with its last connection)."""
        with self._warm_lock:
            if self._warm is not None:
                self._warm[1].close()
                self._warm = None

    def current_snapshot(self) -> Path:
        """The path of the latest published snapshot; republished first when a publication is owed, the pointer or
        its snapshot is damaged, or (checked once per process) it was written by an older version of this code and
        needs migrating (creating the warehouse and a first snapshot if needed)."""
        self._require_main_file()
        path = self._valid_snapshot()
        owed = self.pending.exists()
        behind = path is not None and not owed and self._behind_the_code(path)
        if path is not None and not owed and not behind:
            return path
        # A live writer holds the lock and will publish: read what is published meanwhile, never wait for it.
        try:
            with self._lock(wait=path is None) as locked:
                if locked and (behind or self.pending.exists() or self._valid_snapshot() is None):
                    self._republish_locked()
        except StorageError as error:
            if path is None:
                raise
            # Readable but possibly behind: better than no answer; the next reader with a writable folder repairs.
            LOGGER.warning("could not republish %s: %s", self.db_path, error.describe())
            return path
        path = self._valid_snapshot()
        if path is None:
            raise StorageError(f"数据仓库 {self.db_path} 没有可读的快照，且无法重新发布。", hint=RESTORE_HINT)
        return path

    def _behind_the_code(self, path: Path) -> bool:
        """Whether the published snapshot lacks migrations or models of this code (asked once per store object)."""
        if self._schema_checked:
            return False
        try:
            with open_duckdb(path, read_only=True) as con:
                behind = not is_current(con)
        except duckdb.Error:
            return False  # a damaged snapshot: open_snapshot republishes it
        if not behind:
            self._schema_checked = True
        return behind

    def republish(self, *, reason: Path | None = None) -> None:
        """Publish the main file again under the writer lock (a damaged snapshot, a stale pointer, start-up)."""
        with self._lock():
            if reason is None or self._valid_snapshot() in (None, reason):
                self._republish_locked()

    def recover(self) -> bool:
        """At start-up: republish when a publication is owed or the pointer is damaged; True if it did."""
        self._require_main_file()
        if self._valid_snapshot() is not None and not self.pending.exists():
            return False
        with self._lock():
            if self._valid_snapshot() is not None and not self.pending.exists():
                return False
            self._republish_locked()
        return True

    def _republish_locked(self) -> None:
        self._begin()
        try:
            with self._storage(self.db_path):
                # Opening read-write replays a WAL left by a killed writer; the checkpoint folds it into the file.
                con = connect_warehouse(self.db_path)
        except duckdb.Error as error:
            raise StorageError(
                f"数据仓库主文件 {self.db_path} 无法打开{DAMAGED}（{duckdb_said(error)}）。", hint=RESTORE_HINT
            ) from None
        try:
            with self._storage(self.db_path):
                con.execute("CHECKPOINT")
        finally:
            con.close()
        self._publish()

    def _valid_snapshot(self) -> Path | None:
        """The snapshot CURRENT names, if the name is one of ours and the file has the size it was published with."""
        try:
            lines = self.pointer.read_bytes()[:200].decode("utf-8").split()
        except (FileNotFoundError, UnicodeDecodeError, NotADirectoryError):
            return None
        if not lines or not SNAPSHOT_NAME.match(lines[0]):
            return None
        path = self.snapshot_dir / lines[0]
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        if len(lines) > 1 and lines[1].isdigit() and int(lines[1]) != size:
            return None
        return path
