"""What differs between the embedded DuckDB file and a DuckLake, in one place.

DuckLake stores tables as Parquet files under a catalog and refuses PRIMARY KEY, UNIQUE, CHECK and FOREIGN KEY
constraints and indexes; NOT NULL and DEFAULT work, and so do views, macros, ALTER TABLE and transactional DDL.
The migrations are written once, with their constraints (the embedded warehouse keeps enforcing them); on a
DuckLake `adapt_ddl` strips the constraints from each CREATE TABLE. What the constraints guarded is kept by
serialising every writing transaction (`claim_writes`) and by checks inside the loads' transactions.
"""

from __future__ import annotations

import re

import duckdb

# One row that every writing transaction on a DuckLake updates. DuckLake commits optimistically and lets two
# transactions that only insert both commit; two that update the same table conflict, and the loser is re-run
# (warehouse.backends) against the winner's state. So checks made inside a transaction ("is this content already
# loaded?", "is this id already used?") hold at its commit, as they do under the embedded writer lock.
WRITE_GUARD_DDL = "CREATE TABLE IF NOT EXISTS write_guard (claimed_at TIMESTAMP NOT NULL)"


def is_ducklake(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the connection's current database is a DuckLake."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return row is not None and row[0] == "ducklake"


def ensure_write_guard(con: duckdb.DuckDBPyConnection) -> None:
    """Create the guard row if missing (two processes racing may both seed it: any update then touches a row)."""
    con.execute(WRITE_GUARD_DDL)
    if con.execute("SELECT count(*) FROM write_guard").fetchone() == (0,):
        con.execute("INSERT INTO write_guard VALUES (now()::TIMESTAMP)")


def claim_writes(con: duckdb.DuckDBPyConnection) -> None:
    """Inside a transaction on a DuckLake: update the guard row, so concurrent writing transactions conflict."""
    if is_ducklake(con):
        con.execute("UPDATE write_guard SET claimed_at = now()::TIMESTAMP")


def _strip_comments(sql: str) -> str:
    out, i, quote = [], 0, None
    while i < len(sql):
        ch = sql[i]
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _split_top_level(text: str, separator: str = ",") -> list[str]:
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _matching_paren(text: str, open_at: int) -> int:
    depth, quote = 0, None
    for i in range(open_at, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced parentheses in: {text[open_at : open_at + 80]!r}")


_TABLE_CONSTRAINT = re.compile(r"^(PRIMARY\s+KEY|UNIQUE|CHECK|FOREIGN\s+KEY|CONSTRAINT)\b", re.IGNORECASE)


def _words(item: str) -> list[str]:
    """The column definition split into words and parenthesised groups, at the top level."""
    words, i = list[str](), 0
    while i < len(item):
        ch = item[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            end = _matching_paren(item, i)
            words.append(item[i : end + 1])
            i = end + 1
        elif ch in "'\"":
            end = item.index(ch, i + 1)
            words.append(item[i : end + 1])
            i = end + 1
        else:
            j = i
            while j < len(item) and not item[j].isspace() and item[j] != "(":
                j += 1
            words.append(item[i:j])
            i = j
    return words


def _strip_column_constraints(item: str) -> str:
    words, kept, i = _words(item), list[str](), 0
    while i < len(words):
        word = words[i].upper()
        following = words[i + 1].upper() if i + 1 < len(words) else ""
        if word == "PRIMARY" and following == "KEY":
            i += 2
        elif word == "UNIQUE":
            i += 1
        elif word == "CHECK":
            i += 2  # CHECK and its parenthesised condition
        elif word == "REFERENCES":
            i += 2  # REFERENCES and the table ...
            if i < len(words) and words[i].startswith("("):
                i += 1  # ... and its columns
        else:
            # A type's arguments stay attached to it: DECIMAL(5, 2).
            if words[i].startswith("(") and kept:
                kept[-1] += words[i]
            else:
                kept.append(words[i])
            i += 1
    return " ".join(kept)


def _adapt_create_table(statement: str) -> str:
    head_end = statement.find("(")
    head = statement[:head_end] if head_end >= 0 else statement
    if head_end < 0 or " AS " in f" {head.upper()} ":
        return statement
    close = _matching_paren(statement, head_end)
    items = [item.strip() for item in _split_top_level(statement[head_end + 1 : close])]
    columns = [_strip_column_constraints(item) for item in items if item and not _TABLE_CONSTRAINT.match(item)]
    body = ",\n    ".join(columns)
    return f"{head.rstrip()} (\n    {body}\n){statement[close + 1 :]}"


def _is_create_index(statement: str) -> bool:
    words = statement.upper().split()
    return words[:2] == ["CREATE", "INDEX"] or words[:3] == ["CREATE", "UNIQUE", "INDEX"]


def adapt_ddl(sql: str) -> str:
    """The migration SQL for a DuckLake: every CREATE TABLE without its key, unique, check and foreign-key
    constraints (NOT NULL and DEFAULT stay), no CREATE INDEX (a lake has none); every other statement as written."""
    statements = [s.strip() for s in _split_top_level(_strip_comments(sql), ";") if s.strip()]
    adapted = [
        _adapt_create_table(s) if s.upper().split()[:2] == ["CREATE", "TABLE"] else s
        for s in statements
        if not _is_create_index(s)
    ]
    return ";\n".join(adapted) + ";"
