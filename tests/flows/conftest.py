"""The flows' tests share a warehouse file under a test's own `var/` and its settings (a module may override either)."""

from __future__ import annotations

import pytest

from census_schema.settings import Settings, load_settings
from warehouse.backends import EmbeddedWarehouse


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(tmp_path / "var" / "w.duckdb")


@pytest.fixture
def store(settings) -> EmbeddedWarehouse:
    return EmbeddedWarehouse(settings.db_path)
