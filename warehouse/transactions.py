"""One transaction at a time, and the clock the warehouse stamps rows with."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN, then COMMIT when the block ends, or ROLLBACK and re-raise on any error."""
    con.begin()
    try:
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
