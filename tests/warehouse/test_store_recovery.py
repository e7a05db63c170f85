"""Publishing cannot hide committed data: crashes, damaged pointers and snapshots, a full disk, a read-only folder.

Real files throughout: writers killed with SIGKILL in a child process at the point under test, a small tmpfs for
a full disk, a read-only bind mount for a read-only folder.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import duckdb
import pytest

from census_schema.errors import StorageError, UsageError
from census_schema.settings import load_settings
from cli.main import main
from flows.demo import reset_warehouse
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook
from warehouse import store as store_module
from warehouse.backends import EmbeddedWarehouse
from warehouse.store import WarehouseStore
from warehouse.users import add_user, get_user


def user_names(store: WarehouseStore) -> set[str]:
    with store.reader() as con:
        return {row[0] for row in con.execute("SELECT user_name FROM users").fetchall()}


def add(store: WarehouseStore, name: str) -> None:
    with store.writer() as con:
        add_user(con, name, "hash", "planner", None, by="管理员")


@pytest.fixture
def store(tmp_path):
    store = WarehouseStore(tmp_path / "var" / "w.duckdb")
    add(store, "before")
    return store


def killed_writer(db: Path, at: str) -> int:
    """A child process adds user `after` and kills itself with SIGKILL at `at`; its exit code."""
    script = textwrap.dedent(
        f"""
        import os, shutil, signal
        from warehouse import store as store_module
        from warehouse.store import WarehouseStore
        from warehouse.users import add_user

        def die(*_args, **_kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        def half_copy(source, target):
            data = open(source, "rb").read()
            with open(target, "wb") as handle:
                handle.write(data[: len(data) // 2])
                handle.flush()
                os.fsync(handle.fileno())
            die()

        at = {at!r}
        if at == "before publishing":
            WarehouseStore._publish = die
        elif at == "while copying the snapshot":
            store_module.shutil.copyfile = half_copy
        store = WarehouseStore({str(db)!r})
        with store.writer() as con:
            add_user(con, "after", "hash", "planner", None, by="管理员")
            if at == "before the checkpoint":
                con.execute("PRAGMA disable_checkpoint_on_shutdown")
                die()
        """
    )
    return subprocess.run([sys.executable, "-c", script], check=False, timeout=120).returncode


@pytest.mark.parametrize("at", ["before the checkpoint", "before publishing", "while copying the snapshot"])
def test_a_writer_killed_after_its_commit_hides_nothing(store, at):
    assert killed_writer(store.db_path, at) == -9
    assert user_names(store) == {"before", "after"}
    assert not store.pending.exists()
    assert not list(store.snapshot_dir.glob(".*.tmp"))


def test_start_up_republishes_what_a_killed_writer_committed(store):
    assert killed_writer(store.db_path, "before publishing") == -9
    assert store.pending.exists()
    assert WarehouseStore(store.db_path).recover() is True
    assert not store.pending.exists()
    with duckdb_read_only(store.current_snapshot()) as con:
        assert con.execute("SELECT count(*) FROM users WHERE user_name = 'after'").fetchone() == (1,)
    assert WarehouseStore(store.db_path).recover() is False


class duckdb_read_only:
    def __init__(self, path: Path) -> None:
        import duckdb

        self.con = duckdb.connect(str(path), read_only=True)

    def __enter__(self):
        return self.con

    def __exit__(self, *_):
        self.con.close()


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff\xfe garbage", b"../../etc/passwd", b"snapshot-1.duckdb", b""],
    ids=["binary", "path outside", "missing snapshot", "empty"],
)
def test_a_garbage_pointer_is_repaired(store, garbage):
    store.pointer.write_bytes(garbage)
    assert user_names(WarehouseStore(store.db_path)) == {"before"}
    assert store._valid_snapshot() is not None


MEMORY_LIMIT = "SELECT current_setting('memory_limit')"


def test_readers_share_one_database_per_snapshot_and_move_on_with_each_publication(store):
    # Starting a DuckDB database costs ~15 ms, and a small ingestion reads ~5 times: the store keeps the latest
    # snapshot's open, so a setting changed through one reader is seen by the next, until a write publishes anew.
    with store.reader() as con:
        default = con.execute(MEMORY_LIMIT).fetchone()
        con.execute("SET GLOBAL memory_limit = '123MiB'")
    with store.reader() as con:
        shared = con.execute(MEMORY_LIMIT).fetchone()
    assert shared != default
    add(store, "after")
    with store.reader() as con:
        assert con.execute(MEMORY_LIMIT).fetchone() == default
        assert {row[0] for row in con.execute("SELECT user_name FROM users").fetchall()} == {"before", "after"}


def test_a_reader_open_across_a_publication_keeps_its_state_and_closing_the_store_keeps_it_open(store):
    with store.reader() as before:
        add(store, "after")
        with store.reader() as after:
            assert after.execute("SELECT count(*) FROM users").fetchone() == (2,)
        store.close()
        assert before.execute("SELECT count(*) FROM users").fetchone() == (1,)


@pytest.mark.parametrize("with_size", [True, False], ids=["pointer with size", "pointer of an older version"])
def test_a_truncated_snapshot_is_repaired(store, with_size):
    snapshot = store.current_snapshot()
    if not with_size:
        store.pointer.write_text(snapshot.name, encoding="utf-8")
    data = snapshot.read_bytes()
    snapshot.write_bytes(data[: len(data) // 3])
    assert user_names(WarehouseStore(store.db_path)) == {"before"}
    assert store.current_snapshot() != snapshot


def test_a_damaged_main_file_is_refused_with_what_to_do(store, capsys):
    store.pointer.write_bytes(b"garbage")
    data = store.db_path.read_bytes()
    store.db_path.write_bytes(data[:4096] + b"\x00" * 100)
    assert main(["summary", "--db", str(store.db_path), "--json"]) == 2
    captured = capsys.readouterr()
    assert "restore" in captured.err and "Traceback" not in captured.err
    assert json.loads(captured.out)["error"]["exit_code"] == 2
    # In words first; DuckDB's English only as its labelled original (it stood alone in the brackets).
    assert "无法打开：文件不完整或已损坏（DuckDB 的原始报错：" in json.loads(captured.out)["error"]["message"]


def test_a_log_duckdb_cannot_replay_says_to_move_it_aside_and_doing_so_loses_only_that_write(
    store, capsys, monkeypatch
):
    # What the upgrade of 035 once left when killed before its checkpoint: an ALTER through a function of its own.
    killed = duckdb.connect(str(store.db_path))
    killed.execute("PRAGMA disable_checkpoint_on_shutdown")
    killed.create_function("own_split", lambda text: text.split(), ["VARCHAR"], "VARCHAR[]")
    killed.execute("CREATE TABLE killed_write AS SELECT '张三 李四' AS names")
    killed.execute("ALTER TABLE killed_write ALTER names TYPE VARCHAR[] USING own_split(names)")
    killed.close()
    store.pending.write_bytes(b"publication owed\n")
    wal = store.db_path.with_name(store.db_path.name + ".wal")

    # Readers keep the last published state; a write is refused with what to do.
    assert user_names(WarehouseStore(store.db_path)) == {"before"}
    monkeypatch.setattr("sys.stdin", io.StringIO("A-password-1\n"))
    argv = ["users", "add", "after", "--role", "planner", "--password-stdin", "--db", str(store.db_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "主文件完好" in err and f"把 {wal} 移到别处" in err
    assert "Traceback" not in err and "Stack Trace" not in err and "restore" in err

    wal.rename(wal.with_name("w.duckdb.wal.aside"))
    assert user_names(WarehouseStore(store.db_path)) == {"before"}
    add(store, "after")
    assert user_names(store) == {"before", "after"}


def test_health_is_503_when_no_sign_in_could_work_and_200_once_repaired(tmp_path, open_app):
    from dash_app.webstate import AuditOutbox, WebState
    from tests.dash_app.conftest import add_users, password_of, web_settings

    settings = web_settings(tmp_path / "var" / "w.duckdb")
    store = WarehouseStore(settings.db_path)
    add_users(store)
    client = open_app(settings).server.test_client()
    store.pointer.write_bytes(b"\x00garbage")
    assert client.get("/health").status_code == 200  # repaired from the main file
    response = client.post("/login", data={"username": "planner", "password": password_of("planner")})
    assert response.status_code == 302
    # The sign-in's audit event goes to the warehouse now: left in the outbox, the app's timer would try it after the
    # damage below, and again every 20 s or more for the rest of the test process.
    outbox = AuditOutbox(WebState(settings.var_dir), EmbeddedWarehouse(settings.db_path))
    outbox.flush()
    assert outbox.pending() == []
    # Now the main file is damaged as well: nothing can be repaired, and /health says so.
    store.pointer.write_bytes(b"\x00garbage")
    store.db_path.write_bytes(b"\x00" * 8192)
    broken = open_app(settings).server.test_client()
    health = broken.get("/health")
    assert health.status_code == 503 and "restore" in health.json["message"]
    # Anyone else (it needs no sign-in) is not told why: a DuckLake's said its catalog's host, port and user.
    elsewhere = broken.get("/health", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert (elsewhere.status_code, elsewhere.json["message"]) == (503, "数据仓库暂时无法访问，详情见服务器日志。")
    # A sign-in is told so in Chinese (it was Flask's English 500 page, with a traceback in the log).
    page = broken.post("/login", data={"username": "planner", "password": password_of("planner")})
    assert page.status_code == 503 and "数据仓库暂时无法访问" in page.text and "Internal Server Error" not in page.text
    # So is a viewer signed in before the damage (the page failed while finding the viewer's own first page).
    signed_in = client.get("/coverage")
    assert signed_in.status_code == 503 and "数据仓库暂时无法访问" in signed_in.text


def test_a_server_older_than_its_warehouse_says_it_must_be_restarted(tmp_path, open_app):
    from tests.dash_app.conftest import add_users, password_of, web_settings

    settings = web_settings(tmp_path / "var" / "w.duckdb")
    store = WarehouseStore(settings.db_path)
    add_users(store)
    client = open_app(settings).server.test_client()
    assert client.post("/login", data={"username": "planner", "password": password_of("planner")}).status_code == 302
    # A newer version's command upgrades the warehouse beside the running server: a migration this code does not
    # know, and models made from other SQL.
    with store.writer() as con:
        con.execute("INSERT INTO schema_migrations VALUES (999, 'a_newer_step', now())")
        con.execute("UPDATE reference_data_versions SET content_sha256 = 'newer' WHERE table_name = '_models'")
    server = open_app(settings).server  # a web process of the older version started, or restarted, after it
    for page in (
        server.test_client().post("/login", data={"username": "guangdong", "password": password_of("guangdong")}),
        client.get("/"),
    ):
        # It was the generic 500 page (服务器内部错误), which gave the administrator nothing to go on.
        assert page.status_code == 503 and "平台需要重新启动" in page.text and "用新版本重新启动服务" in page.text
    with duckdb.connect(str(store.db_path), read_only=True) as con:  # the newer version's warehouse left as it was
        assert con.execute("SELECT name FROM schema_migrations WHERE version = 999").fetchall() == [("a_newer_step",)]


# --- a full disk -----------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk():
    """A 96 MB tmpfs (root only; CI runs as root)."""
    folder = Path(tempfile.mkdtemp(prefix="full-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", str(folder)], check=False)
    if mounted.returncode != 0:
        folder.rmdir()
        # A capability of the machine, not a dependency: the RLIMIT_FSIZE test covers a full disk without it.
        pytest.skip("cannot mount a tmpfs here (needs root and a kernel that allows it)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
        folder.rmdir()


def fill(folder: Path, leave_bytes: int) -> Path:
    """Fill the disk of `folder` until `leave_bytes` are free."""
    filler = folder / "filler"
    free = shutil.disk_usage(folder).free
    with filler.open("wb") as handle:
        handle.truncate(0)
        remaining = max(free - leave_bytes, 0)
        block = b"\x00" * (1 << 20)
        while remaining > 0:
            handle.write(block[: min(len(block), remaining)])
            remaining -= min(len(block), remaining)
    return filler


def counts(db: Path) -> tuple:
    store = WarehouseStore(db)
    with store.reader() as con:
        return con.execute(
            "SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM raw_census_rows)"
        ).fetchone()


def test_a_full_disk_refuses_the_load_before_it_commits(small_disk, tmp_path, capsys):
    db = small_disk / "var" / "w.duckdb"
    assert main(["ingest", "register", str(register_workbook(tmp_path / "r.xlsx")), "--db", str(db)]) == 0
    before = counts(db)
    filler = fill(small_disk, 8 << 20)
    census = census_workbook(tmp_path / "c.xlsx", 3)
    capsys.readouterr()
    code = main(["ingest", "census", str(census), "--province", PROVINCE, "--db", str(db), "--json"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "磁盘空间不足" in captured.err and "Traceback" not in captured.err
    assert json.loads(captured.out)["error"]["exit_code"] == 2
    assert counts(db) == before
    assert not list(db.parent.rglob(".*.tmp"))
    filler.unlink()
    assert main(["ingest", "census", str(census), "--province", PROVINCE, "--db", str(db)]) == 0
    assert counts(db)[0] == before[0] + 1


def test_a_disk_that_fills_during_publication_hides_nothing_once_space_is_back(small_disk, monkeypatch):
    store = WarehouseStore(small_disk / "var" / "w.duckdb")
    add(store, "before")
    size = store.db_path.stat().st_size
    # Room for the commit but not for the snapshot copy: the free-space check cannot foresee everything.
    monkeypatch.setattr(store_module, "FREE_SPACE_MARGIN_BYTES", 0)
    filler = fill(small_disk, size + (256 << 10))
    with pytest.raises(StorageError, match="已提交并保存.*磁盘空间不足"):
        add(store, "after")
    assert not list(store.snapshot_dir.glob(".*.tmp"))
    assert store.pending.exists()
    filler.unlink()
    assert user_names(WarehouseStore(store.db_path)) == {"before", "after"}


def test_a_write_past_the_file_size_limit_is_a_clear_refusal(tmp_path):
    """RLIMIT_FSIZE in a child: DuckDB's own write fails mid-commit; exit 2, nothing committed, nothing left over."""
    db = tmp_path / "var" / "w.duckdb"
    assert main(["ingest", "register", str(register_workbook(tmp_path / "r.xlsx")), "--db", str(db)]) == 0
    before = counts(db)
    big = census_workbook(tmp_path / "c.xlsx", 400)
    limit = 16 << 10  # below the WAL the commit needs; the main file is only rewritten past it
    script = (
        f"import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "from cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    env = {**os.environ, "ARCHIVE_CENSUS_DATA_DOCS": "0"}
    args = ["ingest", "census", str(big), "--province", PROVINCE, "--db", str(db), "--orchestrator", "direct"]
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, check=False, timeout=300
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "磁盘空间不足" in result.stderr and "Traceback" not in result.stderr
    assert counts(db) == before
    assert not list(db.parent.rglob(".*.tmp"))


# --- a read-only folder --------------------------------------------------------------------------------------


@pytest.fixture
def read_only_var(tmp_path):
    """A warehouse with one return, then its folder bind-mounted read-only over itself (root only; CI is root)."""
    db = tmp_path / "var" / "w.duckdb"
    assert main(["ingest", "register", str(register_workbook(tmp_path / "r.xlsx")), "--db", str(db)]) == 0
    folder = db.parent
    bound = subprocess.run(["mount", "--bind", str(folder), str(folder)], check=False)
    if bound.returncode != 0:
        # A capability of the machine, not a dependency (root ignores chmod, so only a mount makes a folder
        # read-only for it); say so rather than fail where the kernel refuses mounts.
        pytest.skip("cannot bind-mount here (needs root and a kernel that allows it)")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        yield db
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_folder_is_a_clear_refusal_and_reads_still_work(read_only_var, tmp_path, capsys):
    db = read_only_var
    census = census_workbook(tmp_path / "c.xlsx", 3)
    capsys.readouterr()
    code = main(["ingest", "census", str(census), "--province", PROVINCE, "--db", str(db), "--orchestrator", "direct"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "只读" in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) <= 2
    assert main(["summary", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["national"]


def test_get_user_reads_through_a_repaired_snapshot(store):
    store.pointer.write_bytes(b"nonsense")
    with store.reader() as con:
        assert get_user(con, "before") is not None


def test_a_main_file_moved_away_is_refused_not_served_from_its_snapshots_nor_recreated_empty(store, tmp_path, capsys):
    # Readers would show the old snapshots as the warehouse; a writer would start an empty main file whose
    # publications soon delete those snapshots, perhaps the last copy of the data.
    assert main(["backup", "--db", str(store.db_path), "--out", str(tmp_path / "backup")]) == 0
    snapshots = sorted(store.snapshot_dir.glob("snapshot-*.duckdb"))
    moved = store.db_path.rename(tmp_path / "moved.duckdb")
    capsys.readouterr()
    assert main(["summary", "--db", str(store.db_path)]) == 2
    said = capsys.readouterr().err
    assert "主文件" in said and "不存在" in said and "restore" in said and "Traceback" not in said
    with pytest.raises(StorageError, match="读取快照还在"):
        add(store, "after")
    assert not store.db_path.exists() and sorted(store.snapshot_dir.glob("snapshot-*.duckdb")) == snapshots
    # Restoring a backup is the way back (said first, as the main file is not there), and so is putting the file back.
    assert main(["restore", str(tmp_path / "backup"), "--db", str(store.db_path)]) == 2
    assert "处没有数据仓库：恢复会在此新建一个" in capsys.readouterr().err and not store.db_path.exists()
    assert main(["restore", str(tmp_path / "backup"), "--db", str(store.db_path), "--confirm"]) == 0
    assert user_names(WarehouseStore(store.db_path)) == {"before"}
    store.db_path.unlink()
    moved.rename(store.db_path)
    add(store, "after")
    assert user_names(WarehouseStore(store.db_path)) == {"before", "after"}


def test_the_demo_s_replace_clears_snapshots_left_without_their_main_file(store, tmp_path):
    # Such snapshots are a warehouse the demo must not overwrite unasked, and must clear when asked to.
    store.db_path.unlink()
    settings = load_settings(store.db_path)
    with pytest.raises(UsageError, match="已存在"):
        reset_warehouse(settings, replace=False)
    reset_warehouse(settings, replace=True)
    assert not store.snapshot_dir.exists()
    add(store, "fresh")
    assert user_names(WarehouseStore(store.db_path)) == {"fresh"}


def test_a_warehouse_a_newer_version_upgraded_is_refused_untouched_and_an_older_backup_restores(
    store, tmp_path, capsys, monkeypatch
):
    db = str(store.db_path)
    assert main(["backup", "--out", str(tmp_path / "backup"), "--db", db]) == 0
    with store.writer() as con:  # what a newer version's upgrade leaves: a migration and models this code lacks
        con.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', now())")
        con.execute("CREATE VIEW future_view AS SELECT 1 AS x")
        con.execute("UPDATE reference_data_versions SET content_sha256 = 'future' WHERE table_name = '_models'")
    upgraded = store.db_path.read_bytes()
    capsys.readouterr()

    monkeypatch.setattr("sys.stdin", io.StringIO("A-password-1\n"))
    for argv in (["summary"], ["users", "add", "after", "--role", "planner", "--password-stdin"]):
        assert main([*argv, "--db", db]) == 2, argv
        err = capsys.readouterr().err
        assert "较新版本的平台升级" in err and "999 from_the_future" in err and "Traceback" not in err, err
    assert store.db_path.read_bytes() == upgraded  # its models were not re-created from this code's older SQL

    assert main(["restore", str(tmp_path / "backup"), "--confirm", "--db", db]) == 0
    assert user_names(WarehouseStore(store.db_path)) == {"before"}
