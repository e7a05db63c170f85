"""One transaction at a time, the clock the warehouse stamps rows with, and inserting named rows."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.dialect import claim_writes

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN, then COMMIT when the block ends, or ROLLBACK and re-raise on any error.

    On a DuckLake the transaction also claims the write guard, so that it conflicts with any concurrent writing
    transaction (`warehouse.dialect`); the backend re-runs the loser.
    """
    con.begin()
    try:
        claim_writes(con)
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


def utc_now() -> datetime:
    """Now in UTC without a zone: DuckDB TIMESTAMP has none, so the warehouse stores naive UTC throughout."""
    return datetime.now(UTC).replace(tzinfo=None)


def execute_many(con: duckdb.DuckDBPyConnection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """executemany that accepts no rows (DuckDB refuses an empty list)."""
    if rows:
        con.executemany(sql, rows)


def quote_catalog_name(name: str) -> str:
    """A double-quoted SQL identifier for a name read from a database's own catalog (any text: quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier, for names from the schema only: anything else is refused."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not an allowed SQL identifier (lower-case letters, digits, underscores)")
    return f'"{name}"'


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows given as column → value into a table, matched by column name (never by position); lists stay
    lists. The table name is a constant of the calling module, through the identifier allow-list."""
    if not rows:
        return
    con.register("_named_rows", pa.Table.from_pylist([dict(r) for r in rows]))
    try:
        con.execute(f"INSERT INTO {quote_identifier(table)} BY NAME SELECT * FROM _named_rows")  # noqa: S608
    finally:
        con.unregister("_named_rows")
