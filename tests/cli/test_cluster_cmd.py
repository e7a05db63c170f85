"""`archive-census reminders` (what the daily flow runs) and `prefect deploy` refusing without a server."""

from __future__ import annotations

import io
import json
from typing import Any

import duckdb
import pytest

from cli.main import main
from tests.cli.test_light_commands import empty_warehouse
from warehouse.backends import DuckLakeWarehouse, WarehouseUnavailable, describe_catalog_failure


def test_reminders_are_written_then_shown(capsys, tmp_path):
    db = empty_warehouse(tmp_path / "var" / "w.duckdb")
    assert main(["reminders", "--as-of", "2025-06-30", "--db", db]) == 0
    assert "2025年6月30日的提醒已写入" in capsys.readouterr().out
    assert main(["reminders", "--show", "--json", "--db", db]) == 0
    reminders = json.loads(capsys.readouterr().out)["reminders"]
    assert reminders and {r["kind"] for r in reminders} == {"未报送"}
    # The list says whose day it is and when it was written (it said neither).
    assert main(["reminders", "--show", "--db", db]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("2025年6月30日的提醒，") and first.endswith("（北京时间）生成："), first


def test_reminders_of_a_future_day_are_refused_as_they_would_hide_every_later_day(capsys, tmp_path, monkeypatch):
    db = empty_warehouse(tmp_path / "var" / "w.duckdb")
    monkeypatch.setenv("ARCHIVE_CENSUS_AS_OF", "2025-06-30")
    assert main(["reminders", "--db", db]) == 0
    for day in ("2025-07-01", "9999-12-31"):  # the latter was an internal error (a date out of range)
        assert main(["reminders", "--as-of", day, "--db", db]) == 2
        assert f"--as-of {day} 晚于今天（2025年6月30日）" in capsys.readouterr().err
    assert main(["reminders", "--show", "--as-of", "2025-06-01", "--db", db]) == 2  # --as-of was ignored
    assert "不能与 --as-of 同用" in capsys.readouterr().err
    assert main(["reminders", "--show", "--json", "--db", db]) == 0
    assert {r["generated_on"] for r in json.loads(capsys.readouterr().out)["reminders"]} == {"2025-06-30"}


def test_deploy_without_a_prefect_server_is_a_usage_error(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["prefect", "deploy", "--db", str(tmp_path / "w.duckdb")]) == 2
    assert "PREFECT_API_URL" in capsys.readouterr().err


def test_a_ducklake_without_a_data_path_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("ARCHIVE_CENSUS_DATA_PATH", raising=False)
    url = "ducklake:postgres:dbname=census host=127.0.0.1"
    assert main(["summary", "--json", "--warehouse", url]) == 2
    assert "ARCHIVE_CENSUS_DATA_PATH" in capsys.readouterr().err


def test_a_blank_db_is_refused_not_taken_as_the_default_warehouse(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # where the default var/warehouse.duckdb would be looked for
    for option in ("--db", "--warehouse"):
        assert main(["summary", option, " "]) == 2
        assert f"{option} 不能为空" in capsys.readouterr().err


def test_a_ducklake_catalog_nobody_answers_is_said_in_chinese(capsys, monkeypatch, tmp_path):
    # DuckDB's message named the catalog three times and DuckLake's internal alias, in English: one reason now.
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", str(tmp_path / "lake"))
    code = main(["summary", "--warehouse", "ducklake:postgres:dbname=census host=127.0.0.1 port=9 user=postgres"])
    err = capsys.readouterr().err
    assert code == 3 and "连接被拒绝：127.0.0.1 的 9 端口上没有 PostgreSQL 在监听" in err, err
    assert "IO Error" not in err and "__ducklake_metadata" not in err and "内部错误" not in err


def test_a_catalog_database_or_user_that_does_not_exist_is_named(capsys, monkeypatch, tmp_path, postgres):
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", str(tmp_path / "lake"))
    dsn = postgres.dsn("postgres")
    for wrong, said in (
        (("dbname=postgres", "dbname=nosuch"), "没有名为「nosuch」的数据库"),
        (("user=postgres", "user=nobody"), "没有名为「nobody」的用户"),
        (("host=", "hst="), "连接参数「hst」不是 PostgreSQL 的参数"),
    ):
        # The settings must change: exit 2, not 3 ("worth retrying": a worker retried it three times for nothing).
        assert main(["summary", "--warehouse", f"ducklake:postgres:{dsn.replace(*wrong)}"]) == 2
        err = capsys.readouterr().err
        assert said in err and "IO Error" not in err and "请改正" in err, err


@pytest.mark.ducklake
def test_a_lake_s_data_folder_not_there_or_another_is_refused_and_none_is_made(capsys, monkeypatch, tmp_path, postgres):
    # A shared folder not mounted was an internal error (exit 3), and a new empty folder was made in its place.
    url = f"ducklake:postgres:{postgres.dsn(postgres.create_database('lake_folder'))}"
    lake = DuckLakeWarehouse(url, tmp_path / "lake")
    lake.migrate()
    lake.close()
    (tmp_path / "lake").rename(tmp_path / "away")
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", str(tmp_path / "lake"))
    assert main(["summary", "--warehouse", url]) == 2
    err = capsys.readouterr().err
    assert f"的数据目录 {tmp_path / 'lake'} 不存在" in err and "共享目录已挂载" in err, err
    assert not (tmp_path / "lake").exists()
    # A share not mounted whose mount point is there, empty: refused too, before anything is written into it.
    (tmp_path / "lake").mkdir()
    assert main(["summary", "--warehouse", url]) == 2
    err = capsys.readouterr().err
    assert f"的数据目录 {tmp_path / 'lake'} 是空的，而目录数据库记有数据文件" in err and "挂载" in err, err
    assert list((tmp_path / "lake").iterdir()) == []
    (tmp_path / "lake").rmdir()
    # A relative folder would name another folder from every other working directory.
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", "lake")
    assert main(["summary", "--warehouse", url]) == 2
    assert "ARCHIVE_CENSUS_DATA_PATH 是相对路径「lake」" in capsys.readouterr().err
    # Another machine's path for the same lake: both paths said, and nothing made.
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", str(tmp_path / "typo"))
    assert main(["summary", "--warehouse", url]) == 2
    err = capsys.readouterr().err
    assert f"ARCHIVE_CENSUS_DATA_PATH 是 {tmp_path / 'typo'}/，而这个数据仓库的数据目录是 {tmp_path / 'lake'}/" in err
    assert not (tmp_path / "typo").exists()


@pytest.mark.ducklake
def test_a_command_that_starts_a_new_lake_says_so_and_the_next_does_not(capsys, monkeypatch, tmp_path, postgres):
    # A mistyped catalog database became a new, empty lake without a word (the embedded file's creation was said).
    url = f"ducklake:postgres:{postgres.dsn(postgres.create_database('lake_said'))}"
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", str(tmp_path / "lake"))
    said = []
    for name in ("first", "second"):
        monkeypatch.setattr("sys.stdin", io.StringIO("A-password-1\n"))
        assert main(["users", "add", name, "--role", "planner", "--password-stdin", "--warehouse", url]) == 0
        said.append(capsys.readouterr().err)
    assert "注意：DuckLake（PostgreSQL 目录 dbname=lake_said" in said[0] and "）原先没有数据仓库，已新建。" in said[0]
    assert "原先没有数据仓库" not in said[1], said


@pytest.mark.ducklake
def test_health_fails_while_a_served_lake_s_data_folder_is_not_there(monkeypatch, tmp_path, postgres, open_app):
    # The catalog answered for the users (kept in it) while the shared folder was not mounted: /health said ok and
    # every page and upload failed.
    import dataclasses

    from census_schema.settings import load_settings
    from tests.dash_app.conftest import add_users

    url = f"ducklake:postgres:{postgres.dsn(postgres.create_database('lake_health'))}"
    folder = tmp_path / "lake"
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", str(folder))
    monkeypatch.setenv("ARCHIVE_CENSUS_VAR_DIR", str(tmp_path / "var"))
    lake = DuckLakeWarehouse(url, folder)
    lake.migrate()
    add_users(lake)  # type: ignore[arg-type]
    with lake.writer() as con:  # a data file, whatever DuckLake keeps inline
        con.execute("CREATE TABLE filler AS SELECT range AS n FROM range(100000)")
    settings = dataclasses.replace(load_settings(warehouse=url), orchestrator="direct", save_data_docs=False)
    client = open_app(settings).server.test_client()
    assert client.get("/health").json == {"status": "ok"}
    folder.rename(tmp_path / "away")
    gone = client.get("/health")
    assert gone.status_code == 503 and f"数据目录 {folder} 不存在" in gone.json["message"], gone.json
    folder.mkdir()  # the mount point left behind by a share not mounted
    empty = client.get("/health")
    assert empty.status_code == 503 and f"数据目录 {folder} 是空的" in empty.json["message"], empty.json
    folder.rmdir()
    (tmp_path / "away").rename(folder)
    assert client.get("/health").json == {"status": "ok"}


@pytest.mark.ducklake
def test_a_lake_another_process_is_making_at_this_moment_is_not_refused_as_not_mounted(monkeypatch, tmp_path, postgres):
    # Three processes starting on a new lake at once: one saw no folder, then the tables another had just made after
    # making the folder, and refused the lake as a share not mounted (CI, 2026-12-06). The same interleaving, here by
    # the folder (then its files) appearing while the catalog is looked at.
    url = f"ducklake:postgres:{postgres.dsn(postgres.create_database('lake_made_meanwhile'))}"
    folder, away = tmp_path / "lake", tmp_path / "away"
    lake = DuckLakeWarehouse(url, folder)
    lake.migrate()
    with lake.writer() as con:  # a data file, whatever DuckLake keeps inline
        con.execute("CREATE TABLE filler AS SELECT range AS n FROM range(100000)")
    lake.close()
    assert any(folder.rglob("*.parquet"))

    def appearing(looked_at: str, arrive: Any) -> None:
        original = getattr(DuckLakeWarehouse, looked_at)

        def looking(engine: Any) -> bool:
            found = original(engine)
            arrive()
            return found

        monkeypatch.setattr(DuckLakeWarehouse, looked_at, staticmethod(looking))

    folder.rename(away)
    appearing("_holds_tables", lambda: away.rename(folder))
    with DuckLakeWarehouse(url, folder).reader() as con:
        assert con.execute("SELECT count(*) FROM filler").fetchone() == (100000,)
    monkeypatch.undo()
    DuckLakeWarehouse(url, folder).close()
    folder.rename(away)
    folder.mkdir()
    appearing("_holds_data_files", lambda: (folder.rmdir(), away.rename(folder)))
    with DuckLakeWarehouse(url, folder).reader() as con:
        assert con.execute("SELECT count(*) FROM filler").fetchone() == (100000,)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            'could not translate host name "db.example" to address: Name or service not known',
            "主机名「db.example」无法解析",
        ),
        ('password authentication failed for user "census"', "用户「census」不存在或密码不对"),
        (
            "Failed to initialize DuckLake: ERROR:  permission denied for schema public",
            "CREATE DATABASE census OWNER census",
        ),
        ("fe_sendauth: no password supplied", "PGPASSWORD 或 ~/.pgpass"),
        ('no pg_hba.conf entry for host "10.0.0.5", user "census", database "census"', "不允许从 10.0.0.5 连接"),
        (
            'connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: No such file or directory',
            "本机没有",
        ),
        ("timeout expired", "连接超时"),
        (
            'IO Error: Unable to connect to Postgres at "dbname=x": SSL SYSCALL error: EOF detected',
            "原始信息（英文）：SSL",
        ),
        ("", "未说明原因"),
        ('IO Error: Cannot open file "/lake/main/t/x.parquet": Read-only file system', "数据目录是只读的"),
    ],
)
def test_why_a_catalog_could_not_be_reached_is_said_in_chinese(text, said):
    assert said in describe_catalog_failure(text)


@pytest.mark.ducklake
def test_the_catalog_lost_in_the_middle_of_a_write_is_said_so_and_a_query_s_own_error_is_not(make_lake):
    # PostgreSQL stopped during an ingest: DuckDB's 'Failed to execute query "ROLLBACK"' was an internal error.
    lake = make_lake()
    with pytest.raises(WarehouseUnavailable, match="无法连接数据仓库 "), lake.writer():
        raise duckdb.Error('Failed to execute query "ROLLBACK": ')
    with pytest.raises(duckdb.CatalogException), lake.writer() as con:
        con.execute("SELECT * FROM no_such_table")


@pytest.mark.ducklake
def test_a_command_that_only_reads_does_not_create_a_lake_in_an_empty_catalog(capsys, monkeypatch, tmp_path, postgres):
    # `summary` on a mistyped, empty database created and migrated a lake (85 tables) and answered zeros from it.
    url = f"ducklake:postgres:{postgres.dsn(postgres.create_database('lake_empty'))}"
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", str(tmp_path / "lake"))
    assert main(["summary", "--json", "--warehouse", url]) == 2
    assert "还没有建立：它的目录数据库是空的" in capsys.readouterr().err
    assert not (tmp_path / "lake").exists()
    lake = DuckLakeWarehouse(url, tmp_path / "lake")
    try:
        assert not lake.exists()
    finally:
        lake.close()
