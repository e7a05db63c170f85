"""Real servers for tests: PostgreSQL from Debian's binaries (as the postgres user) and a Prefect server with a
process worker, each on a free loopback port in a temporary folder, stopped when the session ends."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on now (on loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_binary(name: str) -> str:
    """The path of a program, or a skip (a failure under CI=1, where .ci/run installs it)."""
    # Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<version>/bin.
    extra = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    path = shutil.which(name) or shutil.which(name, path=os.pathsep.join(map(str, extra)))
    if path is None:
        message = f"{name} is not installed (Debian: apt-get install postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class Postgres:
    """A running PostgreSQL cluster on 127.0.0.1:port, trust authentication, superuser `postgres`."""

    folder: Path
    port: int
    as_postgres: list[str]

    def dsn(self, dbname: str) -> str:
        """libpq keywords for a database of this server."""
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user=postgres"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run one statement with psql; its output."""
        out = subprocess.run(
            [
                require_binary("psql"),
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.dsn(dbname),
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (optionally a copy of a template); its name."""
        self.psql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name


def _as_postgres() -> list[str]:
    # PostgreSQL refuses to run as root: as root, run its programs as the postgres user.
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root but there is no postgres user (apt-get install postgresql creates it)")
    return ["runuser", "-u", "postgres", "--"]


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """initdb in a temporary folder owned by postgres, pg_ctl start on a free port; stopped and removed after."""
    initdb, pg_ctl = require_binary("initdb"), require_binary("pg_ctl")
    prefix = _as_postgres()
    folder = Path(tempfile.mkdtemp(prefix="archive-census-pg-"))
    if prefix:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield Postgres(folder, port, prefix)
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class PrefectServer:
    """A `prefect server start` on loopback and the environment its clients and workers need."""

    url: str
    home: Path
    env: dict[str, str]


def prefect_env(home: Path, url: str | None = None) -> dict[str, str]:
    """The environment of a process talking to (or being) the test's Prefect server."""
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(home),
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    if url:
        env["PREFECT_API_URL"] = url
    else:
        env.pop("PREFECT_API_URL", None)
    return env


@contextmanager
def running_prefect_server() -> Iterator[PrefectServer]:
    """A real Prefect server (SQLite in a temporary PREFECT_HOME) on a free loopback port."""
    home = Path(tempfile.mkdtemp(prefix="archive-census-prefect-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(home)
    log = open(home / "server.log", "wb")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield PrefectServer(url, home, prefect_env(home, url))
    finally:
        stop_group(server)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def stop_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process started in its own session, and everything it started."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def start_worker(server: PrefectServer, env: dict[str, str], pool: str = "archive-census") -> subprocess.Popen[bytes]:
    """A process worker polling the pool (its own session, so that it and its flow runs can be stopped)."""
    log = open(server.home / f"worker-{time.monotonic_ns()}.log", "wb")
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "prefect"), "worker", "start", "--pool", pool, "--type", "process"],
        env={**server.env, **env, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "5"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=ROOT,
    )
