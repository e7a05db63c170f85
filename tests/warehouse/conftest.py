"""Fixtures: a fresh warehouse file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from warehouse.connection import connect_warehouse


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "warehouse.duckdb"


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect_warehouse(db_path)
    yield connection
    connection.close()
