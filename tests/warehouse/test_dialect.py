"""The DuckLake dialect: migrations written once with their constraints; on a DuckLake only the constraints go."""

from __future__ import annotations

import duckdb
import pytest

from warehouse import dialect, migrations
from warehouse.dialect import adapt_ddl


def test_adapting_drops_keys_checks_and_references_and_keeps_columns_nulls_and_defaults():
    sql = """
    -- a comment with PRIMARY KEY in it
    CREATE TABLE t (
        id VARCHAR PRIMARY KEY,
        checklist_version VARCHAR NOT NULL,
        parent VARCHAR NOT NULL REFERENCES p (id),
        amount DECIMAL(6, 1) CHECK (amount >= 0),
        state VARCHAR CHECK (state IN ('待审核', '已审核(含复核)')),
        is_active BOOLEAN NOT NULL DEFAULT TRUE,
        UNIQUE (checklist_version),
        PRIMARY KEY (id, parent),
        CHECK (state IS NOT NULL OR NOT is_active)
    );
    CREATE INDEX t_state ON t (state);
    CREATE TEMP TABLE _old AS SELECT 1 AS x;
    """
    assert adapt_ddl(sql) == (
        "CREATE TABLE t (\n    id VARCHAR,\n    checklist_version VARCHAR NOT NULL,\n    parent VARCHAR NOT NULL,\n"
        "    amount DECIMAL(6, 1),\n    state VARCHAR,\n    is_active BOOLEAN NOT NULL DEFAULT TRUE\n);\n"
        "CREATE TEMP TABLE _old AS SELECT 1 AS x;"
    )


def _columns(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name NOT IN ('write_guard')"
    ).fetchall()
    return set(rows)


def test_the_whole_chain_builds_the_same_columns_without_constraints_on_the_ducklake_path(monkeypatch):
    plain = duckdb.connect()
    migrations.apply_migrations(plain)
    # The DuckLake path on a plain DuckDB: the adapted DDL, the write guard, the transactional model refresh.
    monkeypatch.setattr(dialect, "is_ducklake", lambda con: True)
    monkeypatch.setattr(migrations, "is_ducklake", lambda con: True)
    lake_like = duckdb.connect()
    migrations.apply_migrations(lake_like)
    assert _columns(lake_like) == _columns(plain)
    kinds = lake_like.execute(
        "SELECT DISTINCT constraint_type FROM duckdb_constraints() WHERE database_name = current_database()"
    ).fetchall()
    assert kinds == [("NOT NULL",)]
    assert lake_like.execute(
        "SELECT count(*) FROM duckdb_indexes() WHERE database_name = current_database()"
    ).fetchone() == (0,)
    assert lake_like.execute("SELECT count(*) FROM write_guard").fetchone() == (1,)


@pytest.mark.parametrize("bad", ["CREATE TABLE t (a VARCHAR CHECK (a IN ('x')", "CREATE TABLE t (a INT"])
def test_unbalanced_ddl_is_refused(bad):
    with pytest.raises(ValueError, match="unbalanced"):
        adapt_ddl(bad)
