"""The flows' tests share a warehouse file under a test's own `var/` and its settings (a module may override either)."""

from __future__ import annotations

import pytest

from census_schema.settings import Settings, load_settings
from tests.conftest import copy_warehouse
from warehouse.backends import EmbeddedWarehouse


@pytest.fixture
def settings(tmp_path, warehouse_template) -> Settings:
    """Settings over a new empty warehouse (a copy of the session's migrated template)."""
    return load_settings(copy_warehouse(warehouse_template, tmp_path / "var" / "w.duckdb"))


@pytest.fixture
def store(settings) -> EmbeddedWarehouse:
    return EmbeddedWarehouse(settings.db_path)
