"""One transaction at a time, and the clock the warehouse stamps rows with."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse.dialect import claim_writes


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
