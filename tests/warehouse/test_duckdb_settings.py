"""ARCHIVE_CENSUS_DUCKDB_THREADS: the DuckDB threads of every connection the warehouse opens, or a clear refusal."""

from __future__ import annotations

import duckdb
import pytest

from cli.main import main
from tests.cli.test_light_commands import empty_warehouse
from warehouse.backends import EmbeddedWarehouse
from warehouse.connection import MAX_THREADS, THREADS_ENV
from warehouse.loads import one_thread

THREADS = "SELECT current_setting('threads')"


def test_writers_and_readers_open_with_the_threads_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv(THREADS_ENV, "3")
    warehouse = EmbeddedWarehouse(tmp_path / "w.duckdb")
    assert warehouse.write(lambda con: con.execute(THREADS).fetchone()) == (3,)
    with warehouse.reader() as con:
        assert con.execute(THREADS).fetchone() == (3,)


@pytest.mark.parametrize("value", ["0", "two", "-1", "１"])
def test_a_value_that_is_not_a_positive_integer_is_refused_naming_the_variable(tmp_path, monkeypatch, capsys, value):
    db = empty_warehouse(tmp_path / "w.duckdb")
    monkeypatch.setenv(THREADS_ENV, value)
    assert main(["summary", "--json", "--db", db]) == 2
    err = capsys.readouterr().err
    assert THREADS_ENV in err and f"「{value}」不是正整数" in err and "Traceback" not in err


def test_more_threads_than_any_machine_uses_are_refused_before_duckdb_starts_them(tmp_path, monkeypatch, capsys):
    db = empty_warehouse(tmp_path / "w.duckdb")
    monkeypatch.setenv(THREADS_ENV, "100000")  # DuckDB would start them all, for every database the process opens
    assert main(["summary", "--json", "--db", db]) == 2
    err = capsys.readouterr().err
    assert f"{THREADS_ENV} 的值「100000」超过允许的最大值 {MAX_THREADS}" in err and "Traceback" not in err
    monkeypatch.setenv(THREADS_ENV, str(MAX_THREADS))
    assert main(["summary", "--json", "--db", db]) == 0


def test_the_raw_rows_insert_runs_on_one_thread_and_gives_the_connection_its_threads_back(tmp_path, monkeypatch):
    monkeypatch.setenv(THREADS_ENV, "3")
    warehouse = EmbeddedWarehouse(tmp_path / "w.duckdb")

    def inside_and_after(con):
        with one_thread(con):
            inside = con.execute(THREADS).fetchone()
        with pytest.raises(duckdb.CatalogException), one_thread(con):
            con.execute("SELECT * FROM no_such_table")
        return inside, con.execute(THREADS).fetchone()

    assert warehouse.write(inside_and_after) == ((1,), (3,))


def test_a_failed_insert_s_error_is_not_hidden_by_giving_the_threads_back(tmp_path):
    """Inside a transaction a failed statement aborts it: the thread count cannot be set back, the error must show."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("BEGIN")
    with pytest.raises(duckdb.CatalogException), one_thread(con):
        con.execute("SELECT * FROM no_such_table")
    con.execute("ROLLBACK")
