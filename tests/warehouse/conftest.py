"""Fixtures: a fresh warehouse per test, on the embedded file (and on a DuckLake for tests `on_both_backends`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from tests.conftest import backend_of, copy_warehouse
from warehouse.backends import DuckLakeWarehouse
from warehouse.connection import connect_warehouse


@pytest.fixture
def db_path(tmp_path: Path, warehouse_template: Path) -> Path:
    """A new empty warehouse (a copy of the session's migrated template)."""
    return copy_warehouse(warehouse_template, tmp_path / "var" / "warehouse.duckdb")


@pytest.fixture
def con(request: pytest.FixtureRequest, db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated connection for writing and reading: the embedded file, or a writer on a new DuckLake."""
    if backend_of(request) == "embedded":
        connection = connect_warehouse(db_path)
        yield connection
        connection.close()
        return
    make_lake: Callable[[], DuckLakeWarehouse] = request.getfixturevalue("make_lake")
    with make_lake().writer() as connection:
        yield connection
