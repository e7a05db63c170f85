"""Numbered warehouse migrations, one runner, the SQL models re-created on migrate, and the reference-data refresh.

Tables live in numbered migrations: SQL files in `warehouse/sql/migrations/`, and the raw tables of the forms,
whose DDL is generated from a *pinned* form version (so an old migration builds today what it built then).
A form change is a new form version in `census_schema.forms` plus one `upgrade_raw_table` migration below: a
fresh warehouse runs the whole chain and an old one the missing steps, so both end identical. Which form versions
built the warehouse is recorded in `form_versions`. Views and macros (staging, intermediate, marts) are not
migrations: they live one per file in `warehouse/sql/models/` and are re-created whenever they or the tables change.
"""

from __future__ import annotations

import graphlib
import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import duckdb
import pyarrow as pa

from census_schema.archives import list_comprehensive_archives
from census_schema.audit import AuditKind
from census_schema.breakdowns import CODE_GROUPS
from census_schema.codes import CodeList
from census_schema.divisions import load_divisions
from census_schema.errors import UsageError
from census_schema.fields import FieldType, Form
from census_schema.forms import CURRENT_FORMS, FORMS, KIND_LABELS, get_form
from census_schema.scopes import central_area_code
from census_schema.supervision.rectification import RECTIFICATION_WORKING_DAYS
from supervision.lifecycle import add_working_days
from supervision.rows import split_names
from warehouse.dialect import adapt_ddl, ensure_write_guard, is_ducklake
from warehouse.transactions import quote_identifier, transaction, utc_now

LOGGER = logging.getLogger(__name__)
_SQL_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_MODEL_NAME = re.compile(r"^([a-z0-9_]+)\.sql$")
# Field types stored as numbers or dates; every other type (codes, divisions, USCCs, phones, text) is VARCHAR.
SQL_TYPES: dict[FieldType, str] = {FieldType.INTEGER: "BIGINT", FieldType.DECIMAL: "DOUBLE", FieldType.DATE: "DATE"}
# Columns every raw table carries before the form's fields: where each row came from and when it was loaded.
RAW_LINEAGE_COLUMNS = (
    ("submission_id", "VARCHAR NOT NULL"),
    ("sheet_name", "VARCHAR NOT NULL"),
    ("excel_row", "BIGINT NOT NULL"),
    ("loaded_at", "TIMESTAMP NOT NULL"),
)


# The runner's own tables, created before any migration. form_versions' grain: one row per form version a
# migration brought a raw table to (the latest per form is the current one).
RUNNER_TABLES = (
    "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS form_versions (form_kind VARCHAR NOT NULL, form_version VARCHAR NOT NULL, "
    "raw_table VARCHAR NOT NULL, migration_version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL, "
    "PRIMARY KEY (form_kind, form_version))",
)


class WarehouseOutOfDate(UsageError):
    """The code declares a form version that no migration brings the warehouse to."""


class WarehouseNewerThanCode(UsageError):
    """The warehouse holds migrations this code does not know: a newer version of the platform upgraded it."""


def raw_table_name(form_kind: str) -> str:
    """The raw table holding the uploaded rows of one sheet's form kind, as loaded."""
    return f"raw_{form_kind}_rows"


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


def build_raw_table_upgrade_ddl(
    table: str, old: Form, new: Form, renamed: Mapping[str, str] = MappingProxyType({})
) -> list[str]:
    """ALTER statements taking a raw table from one form version to the next: renamed columns, then added ones.

    A field dropped from the form keeps its column and data (uploads of the new version leave it empty); a
    relabelled field needs nothing (columns are field names). A field whose type changes cannot be migrated by
    this generator: write that migration by hand, with the conversion it needs.
    """
    old_types = {f.name: f.type for f in old.fields}
    unknown = sorted(set(renamed) - set(old_types))
    if unknown:
        raise ValueError(f"renamed fields {unknown} are not fields of {old.kind} {old.version}")
    statements = [
        f"ALTER TABLE {quote_identifier(table)} RENAME COLUMN {quote_identifier(a)} TO {quote_identifier(b)}"
        for a, b in renamed.items()
    ]
    types_now = {renamed.get(name, name): field_type for name, field_type in old_types.items()}
    for f in new.fields:
        if f.name not in types_now:
            statements.append(
                f"ALTER TABLE {quote_identifier(table)} ADD COLUMN {quote_identifier(f.name)} {sql_type(f.type)}"
            )
        elif sql_type(types_now[f.name]) != sql_type(f.type):
            raise ValueError(
                f"{new.kind}.{f.name} changes type from {types_now[f.name]} to {f.type}: write this migration by hand"
            )
    return statements


@dataclass(frozen=True)
class Migration:
    """One numbered step of the warehouse schema; `builds` names the form version it brings a raw table to."""

    version: int
    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]
    builds: tuple[str, str] | None = field(default=None)


def _sql_migration(version: int, name: str, sql: str) -> Migration:
    def apply(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(adapt_ddl(sql) if is_ducklake(con) else sql)

    return Migration(version, name, apply)


def create_raw_table(version: int, form_kind: str, form_version: str) -> Migration:
    """The migration creating a form's raw table as the form was at `form_version`."""

    def apply(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(build_raw_table_ddl(raw_table_name(form_kind), get_form(form_kind, form_version)))

    return Migration(version, raw_table_name(form_kind), apply, (form_kind, form_version))


def upgrade_raw_table(
    version: int, form_kind: str, from_version: str, to_version: str, renamed: Mapping[str, str] | None = None
) -> Migration:
    """The migration taking a form's raw table from one version of the form to the next."""

    def apply(con: duckdb.DuckDBPyConnection) -> None:
        old, new = get_form(form_kind, from_version), get_form(form_kind, to_version)
        for statement in build_raw_table_upgrade_ddl(raw_table_name(form_kind), old, new, renamed or {}):
            con.execute(statement)

    return Migration(version, f"{raw_table_name(form_kind)}_to_{to_version}", apply, (form_kind, to_version))


def _inspectors_as_lists(con: duckdb.DuckDBPyConnection) -> None:
    """Inspections keep their inspectors as a list (split as the form's rules read it), not as the typed text; the
    count is the list's length. The lists are written as data (the column emptied, then filled from the names split
    here): DuckDB's log of a step not yet checkpointed is replayed by the next process to open the file, and it
    cannot replay an ALTER whose USING calls a function (its own, or this process's). The count goes first: an ALTER
    of the table after the UPDATE of a list in one transaction trips DuckDB's key check."""
    con.execute("ALTER TABLE inspections DROP COLUMN inspector_count")
    if is_ducklake(con):
        # DuckLake changes a column's type only by a cast, so the column is replaced (renaming the old one first:
        # dropping it and renaming a new one to its name in one transaction corrupts DuckLake 1.5.5's catalog). No
        # lake can hold inspections from before this step (DuckLake support came later), so there is nothing to
        # convert; converting rows here also trips DuckLake ("Missing stats when merging inlined data").
        if con.execute("SELECT count(*) FROM inspections").fetchone() != (0,):
            raise RuntimeError("migration 35 cannot convert existing inspections on a DuckLake")
        con.execute("ALTER TABLE inspections RENAME COLUMN inspectors TO inspectors_text")
        con.execute("ALTER TABLE inspections ADD COLUMN inspectors VARCHAR[]")
        con.execute("ALTER TABLE inspections DROP COLUMN inspectors_text")
    else:
        rows = con.execute("SELECT inspection_id, inspectors FROM inspections").fetchall()
        lists = pa.table({"inspection_id": [key for key, _ in rows], "names": [split_names(text) for _, text in rows]})
        con.execute("ALTER TABLE inspections ALTER inspectors TYPE VARCHAR[] USING NULL")
        con.register("inspector_lists", lists)
        try:
            con.execute(
                "UPDATE inspections SET inspectors = l.names FROM inspector_lists AS l "
                "WHERE inspections.inspection_id = l.inspection_id"
            )
        finally:
            con.unregister("inspector_lists")


# The years whose official holidays were declared after findings of theirs could be loaded (their default deadlines
# had been counted Monday to Friday).
_CALENDAR_ADDED = (date(2021, 1, 1), date(2023, 12, 31))


def _deadlines_on_the_official_calendar(con: duckdb.DuckDBPyConnection) -> None:
    """Default deadlines of findings issued before 2024 were counted Monday to Friday (those years' official days off
    and make-up working days were not declared): recounted on the official calendar; a deadline not extended since
    follows its original one, an extended one stays (unless the original now passes it). A deadline counts as a
    default when it is the Monday-to-Friday count from the feedback day and the workbook's row, when kept, gave
    none; 立行立改 (the same day) never moves. Each change is in the audit log."""
    from warehouse.audit import record_event  # warehouse.audit reads through warehouse.queries, which needs this module

    first, last = _CALENDAR_ADDED
    rows = con.execute(
        "SELECT f.finding_id, f.issued_on, f.severity, f.original_deadline, f.deadline FROM findings AS f "
        "LEFT JOIN raw_findings_rows AS r USING (submission_id, excel_row) "
        "WHERE NOT f.is_immediate AND r.deadline IS NULL AND f.issued_on <= ? AND f.original_deadline >= ?",
        [last, first],
    ).fetchall()
    for finding_id, issued_on, severity, original, deadline in rows:
        days = RECTIFICATION_WORKING_DAYS.get(severity)
        if days is None or original != add_working_days(issued_on, days, _monday_to_friday):
            continue  # given in the workbook, or not a default of this count
        official = add_working_days(issued_on, days)
        if official == original:
            continue
        moved = official if deadline == original else max(deadline, official)
        con.execute(
            "UPDATE findings SET original_deadline = ?, deadline = ? WHERE finding_id = ?",
            [official, moved, finding_id],
        )
        record_event(
            con, AuditKind.FINDING, "recount_deadline", actor=None, target=finding_id,
            before={"original_deadline": original, "deadline": deadline},
            after={"original_deadline": official, "deadline": moved},
            reason=f"按国务院办公厅公布的 {issued_on.year} 年节假日安排重算整改期限（原按周一至周五计算）",
        )  # fmt: skip


def _monday_to_friday(day: date) -> bool:
    """How deadlines were counted without a calendar: every Monday to Friday a working day."""
    return day.weekday() < 5


def _recompute_evaluation_results(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every round's evaluation results by the scoring as it now is: 071, a bonus item is the mean of every
    counted expert's award, a blank counting as none, and experts too far apart hold the archive at 待合议 (it was the
    mean of those who awarded it: one expert's award alone counted in full); 075, the bonus items awarded are listed
    among an archive's item results (the bonus was a sum without its parts)."""
    from warehouse.evaluation import recompute_results  # polars and the scoring: not for every command's migrate

    for (round_id,) in con.execute("SELECT round_id FROM evaluation_rounds ORDER BY round_id").fetchall():
        recompute_results(con, round_id)


# Migrations written in Python: data conversions that need the domain's own rules.
PYTHON_MIGRATIONS: tuple[Migration, ...] = (
    Migration(35, "inspectors_as_lists", _inspectors_as_lists),
    Migration(67, "deadlines_on_the_official_calendar", _deadlines_on_the_official_calendar),
    Migration(71, "bonus_of_every_counted_expert", _recompute_evaluation_results),
    Migration(75, "bonus_items_among_item_results", _recompute_evaluation_results),
)

# The raw tables of every form, created and upgraded version by version (the other migrations are the .sql files).
FORM_MIGRATIONS: tuple[Migration, ...] = (
    create_raw_table(2, "census", "GYDA-2024.1"),
    create_raw_table(3, "register", "GYDA-2024.1"),
    create_raw_table(14, "inspection_records", "JDJC-2025.1"),
    create_raw_table(15, "findings", "JDJC-2025.1"),
    create_raw_table(16, "rectification_updates", "JDJC-2025.1"),
    create_raw_table(17, "evaluation_scores", "PJDF-2025.1"),
    create_raw_table(18, "indicator_values", "GHZB-2025.1"),
    # GYDA-2025.1: retention classes 长期/短期, the red-archive inventory sheet and the form's foot (表尾).
    upgrade_raw_table(50, "census", "GYDA-2024.1", "GYDA-2025.1"),
    create_raw_table(51, "red_archives", "GYDA-2025.1"),
    create_raw_table(52, "census_sign_off", "GYDA-2025.1"),
    # JDJC-2025.2: a special inspection's result (专项检查结论).
    upgrade_raw_table(61, "inspection_records", "JDJC-2025.1", "JDJC-2025.2"),
    # The register's GYDA-2025.1: a holder's annual statistics (统计年报: year, 卷, 件), for the census's
    # year-on-year check (rows of GYDA-2024.1 registers leave them empty).
    upgrade_raw_table(63, "register", "GYDA-2024.1", "GYDA-2025.1"),
    # JDJC-2025.3: the rectifier's measures (整改措施) on 整改进展, whose form was still at JDJC-2025.1 (JDJC-2025.2
    # changed only 检查记录; the other sheets keep their versions, recorded by 15 and 61).
    upgrade_raw_table(65, "rectification_updates", "JDJC-2025.1", "JDJC-2025.3"),
    # GHZB-2025.2: the provinces' own baselines and targets (分省目标), a new sheet of the indicators workbook beside
    # 指标数值 (which stays at GHZB-2025.1, recorded by 18).
    create_raw_table(66, "indicator_targets", "GHZB-2025.2"),
    # PJDF-2025.2: the experts' 扣分说明 on 评分表 (loaded into evaluation_scores.remark, the column of 68).
    upgrade_raw_table(69, "evaluation_scores", "PJDF-2025.1", "PJDF-2025.2"),
)


def list_migrations() -> list[Migration]:
    """Every migration, SQL files and form ones, ordered by version; versions must be unique."""
    migrations = [*FORM_MIGRATIONS, *PYTHON_MIGRATIONS]
    for entry in resources.files("warehouse.sql.migrations").iterdir():
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


def refuse_newer_warehouse(con: duckdb.DuckDBPyConnection, done: set[int]) -> None:
    """WarehouseNewerThanCode, before anything is written, when a newer version of the platform upgraded the warehouse:
    this code would re-create its models from older SQL and write rows the newer code does not expect."""
    unknown = sorted(done - {m.version for m in list_migrations()})
    if not unknown:
        return
    names = con.execute(
        "SELECT version, name FROM schema_migrations WHERE list_contains(?, version) ORDER BY version", [unknown]
    ).fetchall()
    said = "、".join(f"{version:03d} {name}" for version, name in names)
    raise WarehouseNewerThanCode(
        f"数据仓库已由较新版本的平台升级，其中有本版本不认识的迁移（{said}）。本版本读写它可能改坏数据，已拒绝，未做任何处理。",
        hint="请使用升级它的那个版本（或更新的版本）的平台；确需回到本版本时，请用升级前的备份恢复（archive-census restore 备份目录）。",
    )


def _models_digest() -> str:
    return hashlib.sha256(json.dumps(list_models(), sort_keys=True).encode()).hexdigest()


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when a (read-only) warehouse has every migration of this code, its models and its reference data (a
    warehouse written by an older version is not: it must be migrated and published again before it is read; the
    pages read division names from it)."""
    try:
        done = applied_versions(con)
        stored = dict(con.execute("SELECT table_name, content_sha256 FROM reference_data_versions").fetchall())
    except duckdb.CatalogException:
        return False
    return _has_migrations_and_models(done, stored.get("_models")) and _has_reference_data(stored)


def _has_reference_data(stored_digests: dict[str, str]) -> bool:
    """Every reference table holds the rows this code gives it (by the fingerprints recorded when loaded)."""
    return all(stored_digests.get(table) == _reference_snapshot(table)[1] for table in REFERENCE_TABLES)


def _has_migrations_and_models(done: set[int], models_digest: str | None) -> bool:
    """Every migration of this code is among `done` and the models were created from this code's SQL."""
    return {m.version for m in list_migrations()} <= done and models_digest == _models_digest()


def apply_migrations(
    con: duckdb.DuckDBPyConnection,
    migrations: Sequence[Migration] | None = None,
    before_upgrade: Callable[[int, int], object] | None = None,
) -> list[int]:
    """Apply pending migrations in order, each in its own transaction (all of a new embedded warehouse's in one), then
    re-create the models if they or the tables changed, refresh reference data and check the warehouse holds every
    current form; returns versions. `before_upgrade(from, to)` runs first when a warehouse in use has migrations
    pending (the embedded file is copied aside there)."""
    ducklake = is_ducklake(con)
    if migrations is None and _nothing_to_apply(con, ducklake):
        return []
    if ducklake:
        ensure_write_guard(con)
    for ddl in RUNNER_TABLES:
        con.execute(adapt_ddl(ddl) if ducklake else ddl)
    done = applied_versions(con)
    # An upgrade of a warehouse in use (not a new one, not a test's partial migration) records what it changed.
    upgrading = migrations is None and bool(done)
    figures_before = _summary_figures(con) if upgrading else None
    pending = [m for m in (list_migrations() if migrations is None else migrations) if m.version not in done]
    if upgrading and pending and before_upgrade is not None:
        before_upgrade(max(done), pending[-1].version)
    # A new embedded warehouse is created in one transaction (whole or not at all, and ~40 commits fewer); an
    # existing one, or a lake (whose catalog takes some steps only in transactions of their own), step by step.
    steps = [pending] if not done and not ducklake else [[migration] for migration in pending]
    applied = []
    for step in steps:
        with transaction(con):
            # Read again inside the step's transaction: another process migrating the same new lake may have
            # applied it since (its DDL would then meet tables already made, or already dropped).
            done = applied_versions(con) if ducklake else done
            for migration in step:
                if migration.version not in done:
                    _apply_one(con, migration)
                    applied.append(migration.version)
    recreated = refresh_models(con, force=bool(applied), strict=migrations is None)
    refreshed = refresh_reference_data(con)
    if migrations is None:
        check_form_versions(con)
    if upgrading and (applied or recreated or refreshed):
        _record_upgrade(con, max(done), figures_before, _summary_figures(con))
    return applied


# The summary's figures an upgrade compares (mart_province_figures, in every release): its key columns, and at most
# how many changed figures its audit event lists (all are counted).
_FIGURE_KEYS = ("round_id", "province_code", "central_channel")
MAX_FIGURES_LISTED = 100
# What an upgrade's event says of the summary, by whether its figures changed (None: not compared).
UPGRADE_REASONS = {
    True: "新版本的统计规则或参考数据（如行政区划）使部分汇总数字有变化，变化前后的数字见变更后",
    False: "升级前后汇总数字相同",
    None: "升级前的数据仓库没有汇总模型，未能比较升级前后的汇总数字",
}


@dataclass(frozen=True)
class _Figures:
    """The summary's figures as the models compute them: (round, reporting unit) -> figure -> value."""

    columns: frozenset[str]
    rows: dict[tuple[str, str], dict[str, Any]]


def _summary_figures(con: duckdb.DuckDBPyConnection) -> _Figures | None:
    """The summary's figures by round and reporting unit (a province's code, a central channel's area code), or None
    when the warehouse has no such model (one from before it existed)."""
    try:
        cursor = con.execute("SELECT * FROM mart_province_figures")
    except duckdb.Error:
        return None
    names = [column[0] for column in cursor.description]
    rows = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        unit = row.get("province_code") or central_area_code(row.get("central_channel"))
        rows[(str(row["round_id"]), unit)] = {k: v for k, v in row.items() if k not in _FIGURE_KEYS}
    return _Figures(frozenset(names) - set(_FIGURE_KEYS), rows)


def _same(old: Any, new: Any) -> bool:
    """Whether a figure stayed as it was (sums of decimals compared to rounding, which a new query order changes)."""
    if isinstance(old, float | Decimal) or isinstance(new, float | Decimal):
        return old is not None and new is not None and math.isclose(float(old), float(new), rel_tol=1e-9, abs_tol=1e-9)
    return bool(old == new)


def _changed_figures(before: _Figures, after: _Figures) -> list[dict[str, Any]]:
    """Each figure of both versions that an upgrade changed: round, unit, figure, before, after (None: no row)."""
    changes = []
    for key in sorted(set(before.rows) | set(after.rows)):
        old, new = before.rows.get(key, {}), after.rows.get(key, {})
        for name in sorted(before.columns & after.columns):
            was, now = old.get(name), new.get(name)
            if not _same(was, now):
                changes.append(
                    {"round_id": key[0], "unit": key[1], "figure": name, "before": _plain(was), "after": _plain(now)}
                )
    return changes


def _plain(value: Any) -> Any:
    """A figure as JSON keeps it (a Decimal as a float)."""
    return float(value) if isinstance(value, Decimal) else value


def _record_upgrade(
    con: duckdb.DuckDBPyConnection, from_version: int, before: _Figures | None, after: _Figures | None
) -> None:
    """The upgrade's audit event: from which migration to which, and the summary's figures it changed (a model's
    rule or the reference data changed since: a returned return left the figures, a city moved to the Corps...),
    so that nobody finds a changed figure without a word of why."""
    from warehouse.audit import record_event  # warehouse.audit reads through warehouse.queries, which needs this module

    changes = _changed_figures(before, after) if before is not None and after is not None else None
    state: dict[str, Any] = {"migration": max(applied_versions(con))}
    if changes is None:
        state["figures_compared"] = False
    else:
        state["changed_figures"] = len(changes)
        state["summary_changes"] = changes[:MAX_FIGURES_LISTED]
    with transaction(con):
        record_event(
            con,
            AuditKind.WAREHOUSE,
            "upgrade",
            actor=None,
            before={"migration": from_version},
            after=state,
            reason=UPGRADE_REASONS[None if changes is None else bool(changes)],
        )
    if changes:
        # Said where the upgrade ran (a command's terminal, the server's log), in the words of its users.
        LOGGER.warning(
            "数据仓库已升级（迁移版本 %d → %d），汇总中有 %d 个数字随之变化（统计规则或参考数据有更新）；"
            "变化前后的数字见审计日志：archive-census audit --kind warehouse",
            from_version,
            state["migration"],
            len(changes),
        )


def _apply_one(con: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    """Apply one migration and record it (and the form version it builds) inside the caller's transaction."""
    migration.apply(con)
    now = utc_now()
    con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [migration.version, migration.name, now])
    if migration.builds is not None:
        kind, version = migration.builds
        con.execute(
            "INSERT INTO form_versions VALUES (?, ?, ?, ?, ?)",
            [kind, version, raw_table_name(kind), migration.version, now],
        )


# The form version each raw table is at now: the version its latest form migration built.
_FORM_VERSIONS_SQL = (
    "SELECT form_kind, arg_max(form_version, migration_version) AS form_version FROM form_versions GROUP BY form_kind"
)
# What a warehouse holds of its migrations, models, reference data and forms, and (on a lake) its write guard rows.
_STATE_SQL = """
    SELECT (SELECT list(version) FROM schema_migrations),
           (SELECT list([table_name, content_sha256]) FROM reference_data_versions),
           (SELECT list([form_kind, form_version]) FROM ({form_versions})),
           {guard_rows}
"""
_EMBEDDED_STATE_SQL = _STATE_SQL.format(form_versions=_FORM_VERSIONS_SQL, guard_rows="1")
_LAKE_STATE_SQL = _STATE_SQL.format(form_versions=_FORM_VERSIONS_SQL, guard_rows="(SELECT count(*) FROM write_guard)")


def _nothing_to_apply(con: duckdb.DuckDBPyConnection, ducklake: bool) -> bool:
    """True when migrating would change nothing (every migration applied, models and reference data as loaded last,
    the forms at their current versions, a lake's write guard seeded), read in one query: every writing connection
    asks, and the ~15 statements of a full check cost more than most writes. A warehouse a newer version upgraded is
    refused here, from the same query, before anything is written (`refuse_newer_warehouse`)."""
    try:
        row = con.execute(_LAKE_STATE_SQL if ducklake else _EMBEDDED_STATE_SQL).fetchone()
    except duckdb.CatalogException:
        return False  # a new warehouse (or one from before a runner table existed)
    if row is None:
        return False
    versions, digests, forms, guards = row
    done = set(versions or [])
    refuse_newer_warehouse(con, done)
    stored_digests = dict(digests or [])
    return (
        guards > 0
        and _has_migrations_and_models(done, stored_digests.get("_models"))
        and _has_reference_data(stored_digests)
        and not _forms_behind(dict(forms or []))
    )


def fetch_form_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The form version each raw table is at now, by form kind."""
    return dict(con.execute(_FORM_VERSIONS_SQL).fetchall())


def _forms_behind(stored: Mapping[str, str]) -> list[str]:
    """What differs between the forms' current versions and those the raw tables are at (`stored`), said in
    Chinese; empty when nothing does."""
    return [
        f"「{KIND_LABELS.get(kind, kind)}」（{kind}）代码中为 {form.version}，数据仓库中为 {stored.get(kind, '无')}"
        for kind, form in CURRENT_FORMS.items()
        if stored.get(kind) != form.version
    ]


def check_form_versions(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a warehouse whose raw tables are not at the forms' current versions (a form changed, no migration)."""
    behind = _forms_behind(fetch_form_versions(con))
    if behind:
        raise WarehouseOutOfDate(
            "数据仓库的表结构与当前表式版本不一致：" + "；".join(behind) + "。",
            hint="表式每次变更都须在 warehouse/migrations.py 的 FORM_MIGRATIONS 中增加对应的迁移"
            "（见 CONTRIBUTING.md「修改表式」）；如果是旧版本程序打开了新数据仓库，请升级程序。",
        )


def list_models() -> dict[str, str]:
    """The SQL of every model (views and macros), by name."""
    models = {}
    for entry in resources.files("warehouse.sql.models").iterdir():
        match = _MODEL_NAME.match(entry.name)
        if match:
            models[match[1]] = entry.read_text(encoding="utf-8")
    return dict(sorted(models.items()))


def order_models(models: Mapping[str, str]) -> list[str]:
    """Model names in an order where each comes after the models its SQL names (a mart after its staging views)."""
    graph = {
        name: {other for other in models if other != name and re.search(rf"\b{re.escape(other)}\b", sql)}
        for name, sql in models.items()
    }
    return list(graphlib.TopologicalSorter(graph).static_order())


def _recreate_models(con: duckdb.DuckDBPyConnection, models: Mapping[str, str], *, tolerate: bool) -> dict[str, str]:
    # Only this database's objects: a DuckLake connection also sees its in-memory and temporary databases.
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
        "AND database_name = current_database()"
    ).fetchall()
    for (name,) in views:
        con.execute(f"DROP VIEW {quote_identifier(name)}")
    macros = con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE NOT internal AND schema_name = 'main' "
        "AND function_type = 'macro' AND database_name = current_database()"
    ).fetchall()
    for (name,) in macros:
        con.execute(f"DROP MACRO {quote_identifier(name)}")
    errors: dict[str, str] = {}
    for name in order_models(models):
        try:
            con.execute(models[name])
        except (duckdb.CatalogException, duckdb.BinderException) as error:
            # A table or a column the model reads does not exist yet (a warehouse migrated part of the way).
            if not tolerate:
                raise
            errors[name] = str(error)
    return errors


def record_reference_version(con: duckdb.DuckDBPyConnection, table: str, digest: str) -> None:
    """Remember the fingerprint of what was last loaded into a reference table (or of the models)."""
    con.execute("DELETE FROM reference_data_versions WHERE table_name = ?", [table])
    con.execute("INSERT INTO reference_data_versions VALUES (?, ?, ?)", [table, digest, utc_now()])


def refresh_models(con: duckdb.DuckDBPyConnection, *, force: bool = False, strict: bool = True) -> bool:
    """Drop every view and macro and create the models again when their SQL changed (or `force`); True if so.

    Models are created after the models they name, so files need no order. On the embedded warehouse each
    statement commits on its own (readers never see the gap, they read published snapshots); with `strict` false
    (a warehouse migrated only part of the way, in tests) models whose tables do not exist yet are left out and
    the refresh is not recorded. On a DuckLake, whose readers read the catalog itself, the whole refresh is one
    transaction: a reader sees the old models or the new ones.
    """
    models = list_models()
    digest = _models_digest()
    stored = con.execute("SELECT content_sha256 FROM reference_data_versions WHERE table_name = '_models'").fetchone()
    if not force and stored is not None and stored[0] == digest:
        return False
    if is_ducklake(con):
        with transaction(con):
            _recreate_models(con, models, tolerate=False)
            record_reference_version(con, "_models", digest)
        return True
    errors = _recreate_models(con, models, tolerate=True)
    if errors:
        if strict:
            raise RuntimeError(f"models that cannot be created: {errors}")
        return True
    with transaction(con):
        record_reference_version(con, "_models", digest)
    return True


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
            "is_provisional": d.is_provisional,
        }
        for d in sorted(load_divisions().by_code.values(), key=lambda d: d.code)
    ]


def _code_list_rows() -> list[dict[str, Any]]:
    lists: dict[str, CodeList] = {}
    for form in FORMS.values():
        for f in form.fields:
            if f.code_list is not None:
                lists.setdefault(f.code_list.name, f.code_list)
    return [
        {
            "list_name": c.name,
            "label": c.label,
            "value": value,
            "position": position,
            "is_provisional": c.provisional,
            "source": c.source or None,
        }
        for c in sorted(lists.values(), key=lambda c: c.name)
        for position, value in enumerate(c.values)
    ]


def _code_group_rows() -> list[dict[str, Any]]:
    return [
        {"grouping": grouping, "value": value, "group_value": group, "group_position": position}
        for grouping, values in CODE_GROUPS.items()
        for value, (group, position) in values.items()
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
    "code_lists": _code_list_rows,
    "code_groups": _code_group_rows,
}


@cache
def _reference_snapshot(table: str) -> tuple[pa.Table, str]:
    # Computed once per process: the rows only change with census_schema or its packages.
    rows = REFERENCE_TABLES[table]()
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return pa.Table.from_pylist(rows), digest


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? "
        "AND database_name = current_database()",
        [table],
    ).fetchall()
    return {row[0] for row in rows}


def refresh_reference_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Reload each reference table whose rows differ from those last loaded (one transaction each); returns names."""
    refreshed = []
    for table in REFERENCE_TABLES:
        incoming, digest = _reference_snapshot(table)
        columns = _table_columns(con, table)
        if not columns:
            # A warehouse migrated part of the way (in tests) may not have the table yet.
            continue
        if set(incoming.column_names) - columns:
            # Nor every column: load what it has and record no fingerprint, so the next migrate loads the rest.
            incoming, digest = incoming.select([c for c in incoming.column_names if c in columns]), "partial"
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
                record_reference_version(con, table, digest)
        finally:
            con.unregister("_reference_rows")
        refreshed.append(table)
    return refreshed
