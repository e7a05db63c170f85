"""Process-wide test settings: Prefect stays offline and quiet."""

import os
import shutil

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Data Docs cost ~0.5 s and ~4 MB per validation; one test switches them back on to check they are written.
os.environ.setdefault("ARCHIVE_CENSUS_DATA_DOCS", "0")
# The suite runs more worker processes than cores: one DuckDB thread each spends less CPU on its small queries
# (measured: the DuckDB-heavy modules' CPU -7 %, alternated runs). Commands the tests start inherit it.
os.environ.setdefault("ARCHIVE_CENSUS_DUCKDB_THREADS", "1")


# ------------------------------------------------------------------------------------ real PostgreSQL, DuckLake

import contextlib
import io
import itertools
import json
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from census_schema.settings import Settings
from tests.cluster import ROOT, Postgres, running_postgres
from warehouse.backends import DuckLakeWarehouse

if TYPE_CHECKING:
    from dash import Dash

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
    postgres.psql(EMPTY_TABLE_STATISTICS, name)
    return name, data_path


# The pinned DuckLake (1.5.5) reads an empty table's statistics from the catalog again on every query that names it,
# once per column (~2 ms each: an empty lake's summary takes 2.4 s of CPU, 0.8 s without), because it caches only
# statistics that exist (fixed upstream after this release: duckdb/ducklake#1313). The template's empty tables get
# the statistics row DuckLake writes itself on a table's first insert, saying 0 rows, so the lakes the tests copy plan
# as a lake in use does; what a query returns is the same either way. A new lake in production pays this cost until
# its tables hold data (README, "DuckLake").
EMPTY_TABLE_STATISTICS = """INSERT INTO ducklake_table_stats (table_id, record_count, next_row_id, file_size_bytes)
SELECT table_id, 0, 0, 0 FROM ducklake_table AS t
WHERE end_snapshot IS NULL AND NOT EXISTS (SELECT 1 FROM ducklake_table_stats AS s WHERE s.table_id = t.table_id)"""


# Every test that takes a warehouse runs on the embedded file; the tests marked `on_both_backends(...)` run on a
# DuckLake too. A DuckLake query costs 5-7 times an embedded one here (its catalog is PostgreSQL), and running every
# such test on both took 17 % of the suite (2026-12-06): the lake runs the tests of each write path, of what the lake
# lacks (keys, checks, unique constraints: adapt_ddl drops them), of types, and of the figures' queries once each;
# a check of input that fails before any SQL, and a second query of the same figures, run on the file only.
BACKENDS = ["embedded", pytest.param("ducklake", marks=pytest.mark.ducklake)]


def on_both_backends(fixture: str) -> pytest.MarkDecorator:
    """Run a test on the embedded file and on a DuckLake, by parametrising its warehouse fixture (read with
    `backend_of`)."""
    return pytest.mark.parametrize(fixture, BACKENDS, indirect=True)


def backend_of(request: pytest.FixtureRequest) -> str:
    """The backend a warehouse fixture was asked for: `embedded` unless the test is `on_both_backends`."""
    return str(getattr(request, "param", "embedded"))


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


# ------------------------------------------------------------------------------------ new embedded warehouses


@pytest.fixture
def open_app() -> Iterator[Callable[[Settings], "Dash"]]:
    """Apps made for one test, closed after it (`close_app`): an app's outbox flushing after the run removed the
    test's folder wrote "audit events wait in the outbox: unable to open database file" into the run's output."""
    from dash_app.app import close_app, create_app

    apps: list[Dash] = []

    def open_one(settings: Settings) -> "Dash":
        apps.append(create_app(settings))
        return apps[-1]

    yield open_one
    for app in apps:
        close_app(app)


@pytest.fixture(scope="session")
def warehouse_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty migrated warehouse file for fixtures to copy (`copy_warehouse`): creating one takes ~0.2 s quietly,
    ~0.6 s in the busy suite; copying it ~5 ms. The tests of creating and migrating a warehouse make their own."""
    from warehouse.connection import connect_warehouse

    path = tmp_path_factory.mktemp("template") / "warehouse.duckdb"
    connect_warehouse(path).close()
    return path


# ------------------------------------------------------------------------------------ the demo, built once

# Spread over the map, with both test provinces and Hainan (the South China Sea inset); the demo splits some of them
# into prefecture and county returns and injects errors into some. The full national demo loads every province
# (~3 minutes here): set ARCHIVE_CENSUS_FULL_DEMO=1 to use it, e.g. for the README screenshots.
DEMO_PROVINCES = ("110000", "230000", "310000", "420000", "440000", "450000", "460000", "510000", "540000", "650000")
DEMO_UNITS, DEMO_SEED = 1500, 2024


@dataclass(frozen=True)
class DemoRun:
    """`archive-census demo` as `./dev demo` runs it: its working directory (the warehouse at the relative
    `var/warehouse.duckdb`, the workbooks and manifest under `var/demo/`) and what it printed with --json."""

    folder: Path
    output: dict[str, Any]

    @property
    def db_path(self) -> Path:
        """The demo's warehouse file."""
        return self.folder / "var" / "warehouse.duckdb"

    @property
    def manifest(self) -> dict[str, Any]:
        """The generator's manifest of what the warehouse should show."""
        return json.loads((self.folder / "var" / "demo" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The demo built once for the session through the command line and the real flows (tests that change it work
    on a copy: `copy_warehouse`)."""
    from cli.main import main

    folder = tmp_path_factory.mktemp("demo")
    argv = ["demo", "--units", str(DEMO_UNITS), "--seed", str(DEMO_SEED), "--orchestrator", "direct", "--json"]
    if not os.environ.get("ARCHIVE_CENSUS_FULL_DEMO"):
        argv += ["--provinces", ",".join(DEMO_PROVINCES)]
    printed = io.StringIO()
    sigterm = signal.getsignal(signal.SIGTERM)  # the demo makes SIGTERM stop it as Ctrl-C does
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.chdir(folder)  # the default, relative var/warehouse.duckdb
        code = main(argv)
    signal.signal(signal.SIGTERM, sigterm)
    assert code == 0, printed.getvalue()
    return DemoRun(folder, json.loads(printed.getvalue()))


def copy_warehouse(source: Path, target: Path) -> Path:
    """A private copy of a warehouse file at `target` (its first snapshot is published when opened)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


# ------------------------------------------------------------------------------------ parallel runs (pytest-xdist)

# `./dev test` runs the suite on three worker processes (`-n 3`, on two cores). Session fixtures are built once per
# worker, so the modules of an expensive session fixture run together on one worker, as one unit: the session's demo
# (the demo build, the browser site, Chromium), sent first (its unit takes longest), and the two web modules over the
# supervision demo (~12 s of CPU each time it is built). Every other module runs whole on one worker (its module
# fixtures built once, its tests in order). xdist's own `--dist loadgroup` cannot do this under pytest 9 (it renames
# node ids through an attribute pytest 9 no longer reads), hence a scheduler of our own.
DEMO_FIXTURES = frozenset({"demo_run", "site", "chromium"})
DEMO_MODULES = frozenset(
    {
        "tests/dash_app/test_browser.py",
        "tests/dash_app/test_every_page.py",
        "tests/dash_app/test_security_browser.py",
        "tests/dash_app/test_supervision_browser.py",
        "tests/dash_app/test_upload_browser.py",
        "tests/flows/test_demo.py",
        "tests/flows/test_supervision_demo.py",
    }
)
SUPERVISION_DEMO_MODULES = frozenset(
    {"tests/dash_app/test_supervision_access.py", "tests/dash_app/test_web_security.py"}
)
UNITS = {"demo": DEMO_MODULES, "supervision demo": SUPERVISION_DEMO_MODULES}
SESSION_FIXTURES = {"demo": DEMO_FIXTURES, "supervision demo": frozenset({"supervision_demo_db"})}


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Refuse to run when a test of an expensive session fixture lives outside its unit (its worker would build
    another)."""
    for unit, fixtures in SESSION_FIXTURES.items():
        modules = {item.path.relative_to(ROOT).as_posix() for item in items if _uses_session(item, fixtures)}
        allowed = DEMO_MODULES | UNITS[unit]  # the demo's unit may build a second one
        if modules - allowed:
            raise pytest.UsageError(f"add {sorted(modules - allowed)} to the {unit!r} unit in tests/conftest.py")


def _uses_session(item: Any, fixtures: frozenset[str]) -> bool:
    """True when the test reaches one of these session fixtures (not a module's own fixture of the same name)."""
    definitions = getattr(item, "_fixtureinfo", None)
    if definitions is None:
        return False
    used = definitions.name2fixturedefs
    return any(used[name][-1].scope == "session" for name in fixtures if used.get(name))


@pytest.hookimpl(optionalhook=True)  # a hook of xdist: unknown when it is not loaded (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Whole modules per worker, each unit's modules together, the demo's first."""
    from xdist.scheduler import LoadScopeScheduling

    class DemoFirstScheduling(LoadScopeScheduling):
        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            config.option.loadscopereorder = False  # the demo first (below), then the modules in collection order

        def _assign_work_unit(self, node: Any) -> None:
            # The demo's unit goes out first. The collection itself must stay in the workers' order: the
            # controller sends each worker positions in it (reordering it ran other tests than the ones assigned).
            if "demo" in self.workqueue:
                self.workqueue.move_to_end("demo", last=False)
            super()._assign_work_unit(node)

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((unit for unit, modules in UNITS.items() if path in modules), path)

    return DemoFirstScheduling(config, log)
