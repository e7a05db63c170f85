"""The dashboard's read side: one read-only connection to the latest published snapshot, a cursor per request."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from warehouse.store import WarehouseStore

# Connections to superseded snapshots kept open for requests still using their cursors.
KEEP_OLD_CONNECTIONS = 2
T = TypeVar("T")


class SnapshotReader:
    """Hands out cursors on the newest snapshot; switches when a writer publishes, never mid-request."""

    def __init__(self, store: WarehouseStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._connections: list[duckdb.DuckDBPyConnection] = []
        self._cache_path: Path | None = None
        self._cache: dict[tuple[Any, ...], Any] = {}

    def _connection(self) -> duckdb.DuckDBPyConnection:
        path = self.store.current_snapshot()
        with self._lock:
            if path != self._path or not self._connections:
                path, connection = self.store.open_snapshot()
                self._connections.append(connection)
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

    def cached(self, query: Callable[..., T], *args: Hashable) -> T:
        """A query's result on the current snapshot, computed once per snapshot: a snapshot never changes.

        For the national aggregates every page starts from (~0.4 s each on a million holders); callers get a copy.
        """
        path = self.store.current_snapshot()
        key = (query.__module__, query.__qualname__, args)
        with self._lock:
            if self._cache_path != path:
                self._cache, self._cache_path = {}, path
            if key in self._cache:
                return copy.deepcopy(self._cache[key])
        with self.cursor() as cursor:
            value = query(cursor, *args)
        with self._lock:
            if self._cache_path == path:
                self._cache[key] = value
        return copy.deepcopy(value)

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
            self._path = None
