"""ARCHIVE_CENSUS_DUCKDB_THREADS: the DuckDB threads of every connection the warehouse opens, or a clear refusal."""

from __future__ import annotations

import pytest

from cli.main import main
from warehouse.backends import EmbeddedWarehouse
from warehouse.connection import THREADS_ENV

THREADS = "SELECT current_setting('threads')"


def test_writers_and_readers_open_with_the_threads_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv(THREADS_ENV, "3")
    warehouse = EmbeddedWarehouse(tmp_path / "w.duckdb")
    assert warehouse.write(lambda con: con.execute(THREADS).fetchone()) == (3,)
    with warehouse.reader() as con:
        assert con.execute(THREADS).fetchone() == (3,)


@pytest.mark.parametrize("value", ["0", "two", "-1", "１"])
def test_a_value_that_is_not_a_positive_integer_is_refused_naming_the_variable(tmp_path, monkeypatch, capsys, value):
    monkeypatch.setenv(THREADS_ENV, value)
    assert main(["summary", "--json", "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert THREADS_ENV in err and f"「{value}」不是正整数" in err and "Traceback" not in err
    assert not (tmp_path / "w.duckdb").exists()
