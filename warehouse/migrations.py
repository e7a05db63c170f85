"""Numbered warehouse migrations (SQL files and schema-generated DDL), one runner, and the reference-data refresh."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa

from census_schema.archives import list_comprehensive_archives
from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.divisions import load_divisions
from census_schema.fields import FieldType, Form
from warehouse.transactions import transaction, utc_now

_SQL_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Field types stored as numbers; every other type (codes, codes of divisions, USCCs, phones, text) is VARCHAR.
SQL_TYPES: dict[FieldType, str] = {FieldType.INTEGER: "BIGINT", FieldType.DECIMAL: "DOUBLE"}
# Columns every raw table carries before the form's fields: where each row came from and when it was loaded.
RAW_LINEAGE_COLUMNS = (
    ("submission_id", "VARCHAR NOT NULL"),
    ("sheet_name", "VARCHAR NOT NULL"),
    ("excel_row", "BIGINT NOT NULL"),
    ("loaded_at", "TIMESTAMP NOT NULL"),
)
# The raw table of each form kind.
RAW_TABLES: dict[str, str] = {"census": "raw_census_rows", "register": "raw_register_rows"}


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier, for names from the schema only: anything else is refused."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not an allowed SQL identifier (lower-case letters, digits, underscores)")
    return f'"{name}"'


def sql_type(field_type: FieldType) -> str:
    """The DuckDB column type a field of this type is stored as."""
    return SQL_TYPES.get(field_type, "VARCHAR")


def build_raw_table_ddl(table: str, form: Form) -> str:
    """CREATE TABLE for a form's raw rows: lineage columns, then one column per field, typed from the schema."""
    columns = [f"{quote_identifier(name)} {decl}" for name, decl in RAW_LINEAGE_COLUMNS]
    columns += [f"{quote_identifier(f.name)} {sql_type(f.type)}" for f in form.fields]
    body = ",\n    ".join(columns)
    # No key on uscc: an index makes million-row loads ~7x slower and validation already checks uniqueness.
    return f"CREATE TABLE {quote_identifier(table)} (\n    {body}\n)"


@dataclass(frozen=True)
class Migration:
    """One numbered step of the warehouse schema."""

    version: int
    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def _sql_migration(version: int, name: str, sql: str) -> Migration:
    def apply(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(sql)

    return Migration(version, name, apply)


def _raw_table_migration(version: int, kind: str, form: Form) -> Migration:
    table = RAW_TABLES[kind]

    def apply(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(build_raw_table_ddl(table, form))

    return Migration(version, table, apply)


# Migrations whose DDL is generated from the schema; the others are the .sql files.
PYTHON_MIGRATIONS: tuple[Migration, ...] = (
    _raw_table_migration(2, "census", CENSUS_FORM),
    _raw_table_migration(3, "register", REGISTER_FORM),
)


def list_migrations() -> list[Migration]:
    """Every migration, SQL files and Python ones, ordered by version; versions must be unique."""
    migrations = list(PYTHON_MIGRATIONS)
    folder = resources.files("warehouse.sql.migrations")
    for entry in folder.iterdir():
        match = _SQL_NAME.match(entry.name)
        if match:
            migrations.append(_sql_migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    migrations.sort(key=lambda m: m.version)
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return migrations


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Versions already recorded in schema_migrations."""
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def apply_migrations(con: duckdb.DuckDBPyConnection, migrations: Sequence[Migration] | None = None) -> list[int]:
    """Apply pending migrations in order, each in its own transaction, then refresh reference data; returns versions."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = applied_versions(con)
    applied = []
    for migration in list_migrations() if migrations is None else migrations:
        if migration.version in done:
            continue
        with transaction(con):
            migration.apply(con)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [migration.version, migration.name, utc_now()]
            )
        applied.append(migration.version)
    refresh_reference_data(con)
    return applied


def _division_rows() -> list[dict[str, Any]]:
    return [
        {
            "division_code": d.code,
            "name": d.name,
            "level": d.level,
            "parent_code": d.parent_code,
            "province_code": d.province_code,
            "longitude": d.longitude,
            "latitude": d.latitude,
        }
        for d in sorted(load_divisions().by_code.values(), key=lambda d: d.code)
    ]


def _archive_rows() -> list[dict[str, Any]]:
    return [
        {"archive_code": a.archive_code, "name": a.name, "division_code": a.division_code, "level": a.level}
        for a in list_comprehensive_archives()
    ]


# Reference tables and where their rows come from.
REFERENCE_TABLES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "divisions": _division_rows,
    "comprehensive_archives": _archive_rows,
}


@cache
def _reference_snapshot(table: str) -> tuple[pa.Table, str]:
    # Computed once per process: the rows only change with census_schema or its packages.
    rows = REFERENCE_TABLES[table]()
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return pa.Table.from_pylist(rows), digest


def refresh_reference_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Reload each reference table whose rows differ from those last loaded (one transaction each); returns names."""
    refreshed = []
    for table in REFERENCE_TABLES:
        incoming, digest = _reference_snapshot(table)
        stored = con.execute(
            "SELECT content_sha256 FROM reference_data_versions WHERE table_name = ?", [table]
        ).fetchone()
        if stored is not None and stored[0] == digest:
            continue
        # The table name comes from REFERENCE_TABLES through the identifier allow-list; rows match by name.
        target = quote_identifier(table)
        con.register("_reference_rows", incoming)
        try:
            with transaction(con):
                con.execute(f"DELETE FROM {target}")  # noqa: S608
                con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _reference_rows")  # noqa: S608
                con.execute(
                    "INSERT OR REPLACE INTO reference_data_versions VALUES (?, ?, ?)", [table, digest, utc_now()]
                )
        finally:
            con.unregister("_reference_rows")
        refreshed.append(table)
    return refreshed
