"""Several `archive-census ingest` processes at once, on the embedded warehouse and on a DuckLake in PostgreSQL:
each return lands exactly once, the same file sent twice at once lands once, and a reader polling meanwhile never
errors and never sees half a load."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from census_schema.settings import load_settings
from flows.ingest import IngestRequest, ingest_workbook
from tests.cluster import ROOT
from tests.conftest import BACKENDS
from tests.returns import ProvinceReturn, write_province_returns
from warehouse.backends import DuckLakeWarehouse, EmbeddedWarehouse, Warehouse
from warehouse.queries import list_submissions, query_summary

CLI = str(ROOT / ".venv" / "bin" / "archive-census")


@dataclass
class Target:
    """A warehouse of one backend and the environment a command needs to reach it."""

    warehouse: Warehouse
    env: dict[str, str]


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> list[ProvinceReturn]:
    return write_province_returns(tmp_path_factory.mktemp("returns"), 4)


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_CENSUS_", "PREFECT_API"))}
    env["ARCHIVE_CENSUS_DATA_DOCS"] = "0"
    if request.param == "embedded":
        db = tmp_path / "var" / "w.duckdb"
        return Target(EmbeddedWarehouse(db), {**env, "ARCHIVE_CENSUS_DB": str(db)})
    make_lake: Callable[[], DuckLakeWarehouse] = request.getfixturevalue("make_lake")
    lake = make_lake()
    lake_env = {"ARCHIVE_CENSUS_WAREHOUSE": lake.url, "ARCHIVE_CENSUS_DATA_PATH": str(lake.data_path)}
    return Target(lake, {**env, **lake_env, "ARCHIVE_CENSUS_VAR_DIR": str(tmp_path / "var")})


def start_ingest(target: Target, item: ProvinceReturn) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, "ingest", "census", str(item.path), "--province", item.province_code, "--json"],
        env=target.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    result: dict[str, object] = json.loads(out)
    return result


@dataclass
class Watcher:
    """Reads the warehouse in a loop while loads run: every current census return must be complete."""

    warehouse: Warehouse
    stop: threading.Event = field(default_factory=threading.Event)
    first_read: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    read_spans: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    half_loads: list[str] = field(default_factory=list)

    def run(self) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                with self.warehouse.reader() as con:
                    rows = con.execute(
                        "SELECT s.submission_id, s.row_count, count(r.submission_id) FROM submissions AS s "
                        "LEFT JOIN raw_census_rows AS r USING (submission_id) "
                        "WHERE s.kind = 'census' AND s.status = 'accepted' GROUP BY ALL"
                    ).fetchall()
                    query_summary(con)
                self.half_loads += [sid for sid, expected, loaded in rows if expected != loaded]
                self.read_spans.append((began, time.monotonic()))
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                self.errors.append(repr(error))
            self.first_read.set()
            self.stop.wait(0.5)  # leave the cores to the writers (a read of the lake's summary costs ~0.3 s)

    def start(self) -> None:
        """Read in a thread of its own until finish()."""
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        """Stop reading and wait for the read under way, so every read is counted."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(60)

    def read_between(self, start: float, end: float) -> bool:
        """Whether a read overlapped the span from start to end (monotonic seconds)."""
        return any(began < end and ended > start for began, ended in self.read_spans)


@pytest.fixture
def watcher(target: Target) -> Iterator[Watcher]:
    watch = Watcher(target.warehouse)
    watch.start()
    # The first read opens the warehouse (slow on a busy machine): the writers start once the watcher reads.
    assert watch.first_read.wait(120)
    yield watch
    watch.finish()


def current_census(warehouse: Warehouse) -> dict[str, int]:
    with warehouse.reader() as con:
        submissions = list_submissions(con)
    accepted = [s for s in submissions if s["kind"] == "census" and s["status"] == "accepted"]
    return {s["province_code"]: s["row_count"] for s in accepted}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "writers"),
    [
        # The embedded file queues its writers on one lock: two show it; the lake takes four at once, twice the
        # cores (eight took 144 s of the suite on two cores for the same conflicts and retries; two would be the
        # embedded test again).
        ("embedded", 2),
        pytest.param("ducklake", 4, marks=pytest.mark.ducklake),
    ],
    indirect=["target"],
)
def test_writers_at_once_each_land_exactly_once(target, returns, watcher, writers):
    chosen = returns[:writers]
    started = time.monotonic()
    processes = [start_ingest(target, item) for item in chosen]
    outcomes = [finish(p) for p in processes]
    ended = time.monotonic()
    watcher.finish()
    assert [o["status"] for o in outcomes] == ["accepted"] * writers
    assert current_census(target.warehouse) == {r.province_code: r.rows for r in chosen}
    assert (watcher.errors, watcher.half_loads) == ([], [])
    assert watcher.read_between(started, ended)  # it read while the writers ran


@pytest.mark.slow
def test_the_same_file_sent_twice_at_once_lands_once(target, returns, watcher):
    item = returns[0]
    outcomes = [finish(p) for p in [start_ingest(target, item), start_ingest(target, item)]]
    watcher.finish()
    assert sorted(str(o["status"]) for o in outcomes) == ["accepted", "duplicate"]
    assert len({o["submission_id"] for o in outcomes}) == 1
    assert outcomes[0]["rows"] == outcomes[1]["rows"] == item.rows  # the loser reports the file it repeats
    assert current_census(target.warehouse) == {item.province_code: item.rows}
    assert (watcher.errors, watcher.half_loads) == ([], [])


@pytest.mark.ducklake
def test_summary_json_is_the_same_on_both_backends(make_lake, returns, tmp_path, capsys):
    from cli.main import main

    lake = make_lake()
    embedded = EmbeddedWarehouse(tmp_path / "var" / "w.duckdb")
    settings = load_settings(embedded.db_path)
    for store in (embedded, lake):
        for item in returns[:3]:
            request = IngestRequest(item.path, "census", item.province_code, "填报员")
            assert ingest_workbook(store, request, settings).status == "accepted"
    assert main(["summary", "--json", "--db", str(embedded.db_path)]) == 0
    from_file = json.loads(capsys.readouterr().out)
    os.environ["ARCHIVE_CENSUS_DATA_PATH"] = str(lake.data_path)
    try:
        assert main(["summary", "--json", "--warehouse", lake.url]) == 0
    finally:
        del os.environ["ARCHIVE_CENSUS_DATA_PATH"]
    from_lake = json.loads(capsys.readouterr().out)
    assert from_lake == from_file
    assert from_file["national"]["units_reported"] == 0  # no registers: every holder is unregistered
    assert from_file["national"]["units_unregistered"] == sum(r.rows for r in returns[:3])


@pytest.mark.ducklake
def test_replacing_a_lake_drops_all_it_holds_whatever_the_names(make_lake):
    lake = make_lake()
    odd = ['odd "name"', 'another "odd" one']
    with lake.writer() as con:
        con.execute('CREATE VIEW "odd ""name""" AS SELECT 1 AS one')
        con.execute('CREATE TABLE "another ""odd"" one" (x INTEGER)')
    assert lake.exists()
    lake.destroy()
    assert not lake.exists()
    cursor = lake._cursor()  # not writer(): it would migrate the emptied lake again (~8 s)
    try:
        listing = (
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
        )
        assert {name for (name,) in cursor.execute(listing).fetchall()} & set(odd) == set()
        assert cursor.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchone() == (0,)
    finally:
        cursor.close()


MIGRATE = """
import sys
from pathlib import Path
from warehouse.backends import DuckLakeWarehouse
lake = DuckLakeWarehouse(sys.argv[1], Path(sys.argv[2]))
lake.migrate()
lake.close()
"""


@pytest.mark.ducklake
def test_processes_starting_on_a_new_lake_at_once_all_migrate_it(postgres, tmp_path):
    # The losers of the race failed ("Table with name … already exists": exit 3) where they should re-run.
    url = f"ducklake:postgres:{postgres.dsn(postgres.create_database('lake_race'))}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_CENSUS_")}
    racers = [
        subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "python"), "-c", MIGRATE, url, str(tmp_path / "lake")],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    failed = [racer.communicate(timeout=300)[1] for racer in racers if racer.wait(timeout=300) != 0]
    assert failed == []
