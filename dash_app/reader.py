"""The dashboard's read side: one read-only connection to the latest published snapshot, a cursor per request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.store import WarehouseStore

# Connections to superseded snapshots kept open for requests still using their cursors.
KEEP_OLD_CONNECTIONS = 2


class SnapshotReader:
    """Hands out cursors on the newest snapshot; switches when a writer publishes, never mid-request."""

    def __init__(self, store: WarehouseStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._connections: list[duckdb.DuckDBPyConnection] = []

    def _connection(self) -> duckdb.DuckDBPyConnection:
        path = self.store.current_snapshot()
        with self._lock:
            if path != self._path or not self._connections:
                self._connections.append(duckdb.connect(str(path), read_only=True))
                self._path = path
                while len(self._connections) > KEEP_OLD_CONNECTIONS + 1:
                    self._connections.pop(0).close()
            return self._connections[-1]

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor (its own snapshot-consistent view) for one request."""
        cursor = self._connection().cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
            self._path = None
