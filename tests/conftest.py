"""Process-wide test settings: Prefect stays offline and quiet."""

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Data Docs cost ~0.5 s and ~4 MB per validation; one test switches them back on to check they are written.
os.environ.setdefault("ARCHIVE_CENSUS_DATA_DOCS", "0")


# ------------------------------------------------------------------------------------ real PostgreSQL, DuckLake

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cluster import Postgres, running_postgres
from warehouse.backends import DuckLakeWarehouse

_LAKE_NUMBERS = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL server for the session (Debian's binaries, run as the postgres user)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def lake_template(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A migrated DuckLake catalog to copy (migrating a new lake takes ~3 s; copying its catalog ~0.2 s)."""
    data_path = tmp_path_factory.mktemp("lake-data")
    name = postgres.create_database("lake_template")
    lake = DuckLakeWarehouse(f"ducklake:postgres:{postgres.dsn(name)}", data_path)
    lake.migrate()
    lake.close()  # PostgreSQL copies a template only while nobody is connected to it
    return name, data_path


@pytest.fixture
def make_lake(postgres: Postgres, lake_template: tuple[str, Path]) -> Iterator[Callable[[], DuckLakeWarehouse]]:
    """New migrated DuckLakes (copies of the template catalog; their Parquet files share one data folder)."""
    template, data_path = lake_template
    made: list[DuckLakeWarehouse] = []

    def make() -> DuckLakeWarehouse:
        name = postgres.create_database(f"lake_{next(_LAKE_NUMBERS)}", template=template)
        lake = DuckLakeWarehouse(f"ducklake:postgres:{postgres.dsn(name)}", data_path)
        made.append(lake)
        return lake

    yield make
    for lake in made:
        lake.close()
