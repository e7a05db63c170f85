"""One writer at a time on the warehouse file; readers on immutable published snapshots.

DuckDB lets one process hold a file read-write, and while it does no other process can open it at all.
So writers take an OS file lock, open the main file, commit, checkpoint, close, and publish a copy as the
new read snapshot (atomic rename of the copy, then of the `CURRENT` pointer). Readers (the dashboard, the
summary command, a flow fetching context) open the current snapshot read-only: they never block writers,
and they see either the state before a load or after it, never half of it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from census_schema.errors import CensusError
from warehouse.connection import connect_warehouse

KEEP_SNAPSHOTS = 3


class WarehouseBusy(CensusError):
    """Another load held the warehouse for longer than we were willing to wait."""


class WarehouseStore:
    """The warehouse file, its writer lock and its published read snapshots."""

    def __init__(self, db_path: Path, *, lock_timeout_s: float = 600.0) -> None:
        self.db_path = Path(db_path)
        self.lock_timeout_s = lock_timeout_s
        self.snapshot_dir = self.db_path.parent / f"{self.db_path.stem}.snapshots"
        self.pointer = self.snapshot_dir / "CURRENT"

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.db_path.with_suffix(".lock"), "a+b") as handle:
            deadline = time.monotonic() + self.lock_timeout_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseBusy(
                            f"数据仓库正被其他装载任务占用，已等待 {self.lock_timeout_s:.0f} 秒。", hint="请稍后重试。"
                        ) from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The only read-write connection; on success the new state is published for readers."""
        with self._lock():
            con = connect_warehouse(self.db_path)
            try:
                yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()
            self._publish()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the latest published snapshot."""
        con = duckdb.connect(str(self.current_snapshot()), read_only=True)
        try:
            yield con
        finally:
            con.close()

    def current_snapshot(self) -> Path:
        """The path of the latest published snapshot, creating the warehouse and a first snapshot if needed."""
        path = self._read_pointer()
        if path is None or not path.exists():
            with self.writer():
                pass
            path = self._read_pointer()
        assert path is not None
        return path

    def _read_pointer(self) -> Path | None:
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return self.snapshot_dir / name if name else None

    def _publish(self) -> None:
        self.snapshot_dir.mkdir(parents=True, exist_ok=True)
        name = f"snapshot-{time.time_ns()}.duckdb"
        staging = self.snapshot_dir / f".{name}.tmp"
        shutil.copyfile(self.db_path, staging)
        os.replace(staging, self.snapshot_dir / name)
        pointer_tmp = self.snapshot_dir / ".CURRENT.tmp"
        pointer_tmp.write_text(name, encoding="utf-8")
        os.replace(pointer_tmp, self.pointer)
        # Readers that still hold an older snapshot keep reading it: unlinking an open file is safe on POSIX.
        for old in sorted(self.snapshot_dir.glob("snapshot-*.duckdb"))[:-KEEP_SNAPSHOTS]:
            old.unlink(missing_ok=True)
