"""A real Prefect server, the deployments and process workers, on a DuckLake in a real PostgreSQL: the command line
submits to the work pool and prints what an in-line run prints; a run killed in the middle of its load (its rows
written, its commit held back by a lock on the catalog) leaves nothing half-loaded, and the retried run completes and
lands once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from census_schema.settings import load_settings
from flows.ingest import IngestRequest, ingest_workbook, load_submission
from flows.prefect_flows import WRITE_TAG
from tests.cluster import (
    ROOT,
    Postgres,
    PrefectServer,
    require_binary,
    running_prefect_server,
    start_worker,
    stop_group,
)
from tests.flows.workbooks import census_workbook
from warehouse.backends import DuckLakeWarehouse, EmbeddedWarehouse
from warehouse.queries import list_submissions

pytestmark = [pytest.mark.prefect_server, pytest.mark.ducklake, pytest.mark.slow]
CLI = str(ROOT / ".venv" / "bin" / "archive-census")
ROWS = 2_000


@pytest.fixture(scope="module")
def server() -> Iterator[PrefectServer]:
    with running_prefect_server() as running:
        deployed = subprocess.run(
            [CLI, "prefect", "deploy", "--json", "--write-limit", "4"],
            env=running.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert deployed.returncode == 0, deployed.stderr
        assert len(json.loads(deployed.stdout)["deployments"]) == 6
        yield running


@pytest.fixture
def lake_env(make_lake: Callable[[], DuckLakeWarehouse], tmp_path: Path) -> tuple[DuckLakeWarehouse, dict[str, str]]:
    lake = make_lake()
    env = {
        "ARCHIVE_CENSUS_WAREHOUSE": lake.url,
        "ARCHIVE_CENSUS_DATA_PATH": str(lake.data_path),
        # The folder every web process and worker shares: uploads, reports, the outcome a worker leaves.
        "ARCHIVE_CENSUS_VAR_DIR": str(tmp_path / "var"),
        "ARCHIVE_CENSUS_DATA_DOCS": "0",
    }
    return lake, env


def worker_log(server: PrefectServer) -> str:
    logs = sorted(server.home.glob("worker-*.log"))
    return logs[-1].read_text(errors="replace")[-3000:] if logs else ""


def cli(server: PrefectServer, env: dict[str, str], *argv: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, *argv], env={**server.env, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    )


def comparable(result: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in result.items() if k not in ("submission_id", "report")}


# Run in a process of its own, as a command is (in a test worker's process Prefect's client may find an event loop and
# hand back a coroutine): no worker gives up at once; an interrupted wait raises KeyboardInterrupt from its sleep.
GIVE_UP = """
import sys
from census_schema.settings import load_settings
from flows import run
from flows.prefect_flows import flow_for
run.NO_WORKER_GRACE_S = run.WORKER_CHECK_S = 0.0
settings = load_settings(None)
parameters = {"path": sys.argv[1], "province_code": "440000", "submitted_by": "x", "warehouse": run.warehouse_parameter(settings)}
deployment = f"{flow_for('census').name}/{run.DEPLOYMENT_NAME}"
if sys.argv[2] == "interrupt":
    run.NO_WORKER_GRACE_S = 3600.0
    def interrupted(_seconds):
        raise KeyboardInterrupt
    run.time.sleep = interrupted
if sys.argv[2] == "interrupted-creating":  # Ctrl-C as the run is created, before the command waits on it
    import signal
    import prefect.deployments
    run.NO_WORKER_GRACE_S = 3600.0
    creating = prefect.deployments.run_deployment
    def created_then_interrupted(*args, **kwargs):
        made = creating(*args, **kwargs)
        signal.raise_signal(signal.SIGINT)
        return made
    prefect.deployments.run_deployment = created_then_interrupted
try:
    run.submit_and_wait(deployment, parameters, settings)
except KeyboardInterrupt:
    print("interrupted")
except Exception as error:
    print(error.describe() if hasattr(error, "describe") else repr(error))
"""


def test_a_run_no_worker_takes_is_given_up_and_one_whose_wait_is_interrupted_is_cancelled(server, lake_env, tmp_path):
    # First in the module: no worker of the pool has run yet. With none, an upload waited for ever (排队中), and a
    # command interrupted with Ctrl-C left its run queued: a worker started later loaded it, under the command's user.
    lake, env = lake_env
    path = str(census_workbook(tmp_path / "c.xlsx", 2))
    said = []
    for how in ("give-up", "interrupt", "interrupted-creating", "paused"):
        if how == "paused":
            _pool(server, "pause")  # as the README's backup of a lake does: the upload waited, saying 即将开始
        try:
            done = subprocess.run(
                [str(ROOT / ".venv" / "bin" / "python"), "-c", GIVE_UP, path, how],
                env={**server.env, **env},
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            if how == "paused":
                _pool(server, "resume")
        said.append(done.stdout.strip() or done.stderr[-2000:])
    assert "没有运行中的工作节点，这次装载无人接手，已取消" in said[0] and said[1:3] == ["interrupted"] * 2, said
    assert "工作池「archive-census」已暂停（系统维护或备份中），这次装载无人接手，已取消" in said[3], said
    # A command stopped by SIGTERM (timeout's, systemd's) while its run waits cancels it as Ctrl-C does: its run
    # stayed queued and loaded later, over the newer return its office had sent meanwhile.
    stopped = str(census_workbook(tmp_path / "stopped.xlsx", 2))
    submitter = cli(server, env, "ingest", "census", stopped, "--province", "440000")
    try:
        deadline = time.monotonic() + 300
        while not _runs_of(server, stopped):
            assert submitter.poll() is None, submitter.communicate()
            assert time.monotonic() < deadline, "the command never submitted its run"
            time.sleep(0.5)
        submitter.send_signal(signal.SIGTERM)
        _out, err = submitter.communicate(timeout=120)
    finally:
        if submitter.poll() is None:
            submitter.kill()
    assert submitter.returncode == 130 and "未装载" in err, err
    assert _runs_of(server, stopped) == ["CANCELLED"]
    states = _runs_of(server, path)
    assert states == ["CANCELLED"] * 4
    assert not list((Path(env["ARCHIVE_CENSUS_VAR_DIR"]) / "outcomes").glob("*.json"))
    with lake.reader() as con:
        assert list_submissions(con) == []


def test_the_command_line_submits_to_the_pool_and_prints_what_an_in_line_run_prints(server, lake_env, tmp_path):
    lake, env = lake_env
    good = census_workbook(tmp_path / "good.xlsx", 3)
    bad = census_workbook(tmp_path / "bad.xlsx", 3, {1: {"vol_total": -5}})
    not_a_workbook = tmp_path / "notes.xlsx"
    not_a_workbook.write_text("a,b\n1,2\n", encoding="utf-8")
    worker = start_worker(server, env)
    try:
        # The rejected one asks for its report by a path relative to the caller's folder, not the worker's.
        runs = [
            cli(server, env, "ingest", "census", str(path), "--province", "440000", "--json", *extra, cwd=tmp_path)
            for path, extra in ((good, ()), (bad, ("--report", "bad-report.xlsx")), (not_a_workbook, ()))
        ]
        finished = [(p.communicate(timeout=900), p.returncode) for p in runs]
    finally:
        stop_group(worker)
    (good_out, _), good_code = finished[0]
    (bad_out, _), bad_code = finished[1]
    (_, unusable_err), unusable_code = finished[2]
    assert (good_code, bad_code, unusable_code) == (0, 1, 2), [err for (_, err), _ in finished] + [worker_log(server)]
    assert "不是 Excel 工作簿" in unusable_err
    assert json.loads(bad_out)["report"] == str(tmp_path / "bad-report.xlsx")
    assert (tmp_path / "bad-report.xlsx").is_file()
    # The same files run in-line on an embedded warehouse give the same outcome.
    settings = load_settings(tmp_path / "inline" / "w.duckdb")
    inline = EmbeddedWarehouse(settings.db_path)
    for out, path in ((good_out, good), (bad_out, bad)):
        expected = ingest_workbook(inline, IngestRequest(path, "census", "440000", "x"), settings).to_json()
        assert comparable(json.loads(out)) == comparable(expected)
    with lake.reader() as con:
        statuses = sorted(s["status"] for s in list_submissions(con))
    assert statuses == ["accepted", "rejected"]
    # A worker's load asks for a slot of the write limit (an in-process run does not: it has no limit to honour).
    tags = _load_task_tags(server)
    assert tags and all(run_tags == [WRITE_TAG] for run_tags in tags), tags


@contextmanager
def commits_held(postgres: Postgres, dbname: str) -> Iterator[Callable[[], bool]]:
    """While the block runs, every DuckLake commit on the catalog waits (reads go on): a psql session holds the
    snapshot table in EXCLUSIVE mode. Yields whether some connection is waiting for it (a load at its commit)."""
    holder = subprocess.Popen(
        [require_binary("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", postgres.dsn(dbname)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert holder.stdin is not None
    holder.stdin.write("BEGIN; LOCK TABLE ducklake_snapshot IN EXCLUSIVE MODE; SELECT pg_sleep(0);\n")
    holder.stdin.flush()

    def waiting() -> bool:
        sql = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{dbname}' AND wait_event_type = 'Lock'"
        return postgres.psql(sql) != "0"

    try:
        yield waiting
    finally:
        holder.stdin.write("ROLLBACK;\n")
        holder.stdin.close()
        holder.wait(timeout=60)


def _runs_of(server: PrefectServer, path: str) -> list[str]:
    """The states of the runs submitted for a workbook."""
    with server_client(server) as client:
        return [r.state.type.value for r in client.read_flow_runs() if r.parameters.get("path") == path and r.state]


def _pool(server: PrefectServer, action: str) -> None:
    """`prefect work-pool pause|resume` of the deployments' pool."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "prefect"), "work-pool", action, "archive-census"],
        env=server.env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@contextmanager
def server_client(server: PrefectServer) -> Iterator[Any]:
    """A Prefect client of the test's server (this process's Prefect settings were fixed at import: without the
    override a client would start and ask a temporary server of its own)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
        yield client


def _load_task_tags(server: PrefectServer) -> list[list[str]]:
    """The tags of the load task runs the server knows (recorded from the workers' events, so shortly after)."""
    deadline = time.monotonic() + 60
    with server_client(server) as client:
        while True:
            runs = [run for run in client.read_task_runs() if run.name.startswith(load_submission.__name__)]
            if runs or time.monotonic() > deadline:
                return [run.tags for run in runs]
            time.sleep(0.5)


def _census_run_states(server: PrefectServer) -> list[str]:
    with server_client(server) as client:
        return [run.state.type.value for run in client.read_flow_runs() if run.state is not None]


def _flow_run_processes(worker: subprocess.Popen[bytes]) -> list[int]:
    """The processes the worker started (its flow runs), read from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == worker.pid:
                children.append(int(entry.name))
    return children


def test_a_run_killed_during_its_load_leaves_nothing_half_loaded_and_its_retry_completes(
    server, postgres, lake_env, tmp_path
):
    lake, env = lake_env
    big = census_workbook(tmp_path / "big.xlsx", ROWS)
    dbname = re.search(r"dbname=(\S+)", lake.url)
    assert dbname is not None
    worker = start_worker(server, env)
    submitter = cli(server, env, "ingest", "census", str(big), "--province", "440000", "--json")
    try:
        deadline = time.monotonic() + 600
        with commits_held(postgres, dbname.group(1)) as load_is_committing:
            # The load's transaction has written its rows and waits to commit: the middle of the load.
            while not load_is_committing():
                assert submitter.poll() is None, submitter.communicate()
                assert time.monotonic() < deadline, "the load never started"
                time.sleep(0.1)
            # The pool takes no run until the new worker: the old one must not pick up the run scheduled again.
            _pool(server, "pause")
            # Kill the process running the flow in the middle of its load, then the worker itself.
            for pid in _flow_run_processes(worker):
                os.kill(pid, signal.SIGKILL)
        with lake.reader() as con:
            assert list_submissions(con) == []  # nothing half-loaded: the transaction never committed
        while "RUNNING" in _census_run_states(server):
            assert time.monotonic() < deadline, "the worker never reported the killed run"
            time.sleep(0.2)  # the worker reports the run as crashed, the submitter schedules it again
        stop_group(worker, signal.SIGKILL)
        # A new worker takes the run the submitter scheduled again.
        _pool(server, "resume")
        worker = start_worker(server, env)
        out, err = submitter.communicate(timeout=900)
    finally:
        stop_group(worker)
        if submitter.poll() is None:
            submitter.kill()
    assert submitter.returncode == 0, err
    # Accepted even had the killed attempt committed: the retry's load is its request's own, not a duplicate.
    assert json.loads(out)["status"] == "accepted"
    with lake.reader() as con:
        census = [s for s in list_submissions(con) if s["kind"] == "census"]
        loaded = con.execute("SELECT count(*) FROM raw_census_rows").fetchone()
    assert [(s["status"], s["is_current"], s["row_count"]) for s in census] == [("accepted", True, ROWS)]
    assert loaded == (ROWS,)
