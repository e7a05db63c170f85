"""Migrations: numbered, recorded once, each in its own transaction (a new warehouse's all in one); raw tables
generated from the schema."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from census_schema.archives import list_comprehensive_archives
from census_schema.census_form import CENSUS_FORM
from census_schema.divisions import load_divisions
from census_schema.errors import UsageError
from census_schema.fields import FieldType
from census_schema.forms import CURRENT_FORMS
from census_schema.supervision.evaluation import CURRENT_STANDARD, SELF_SOURCE
from tests.conftest import on_both_backends
from tests.warehouse.factories import count
from warehouse.connection import connect_warehouse
from warehouse.migrations import (
    Migration,
    WarehouseOutOfDate,
    apply_migrations,
    build_raw_table_ddl,
    is_current,
    list_migrations,
    raw_table_name,
    refresh_reference_data,
)
from warehouse.transactions import quote_identifier

TABLES = {
    "schema_migrations",
    "submissions",
    "submission_failures",
    "submission_reviews",
    "raw_census_rows",
    "raw_register_rows",
    "divisions",
    "comprehensive_archives",
    "reference_data_versions",
    "users",
    "inspections",
    "findings",
    "finding_transitions",
    "evaluation_rounds",
    "evaluation_assignments",
    "evaluation_feedbacks",
    "evaluation_scores",
    "evaluation_reconciliations",
    "mart_evaluation_results",
    "mart_evaluation_area_results",
    "mart_evaluation_item_results",
    "audit_log",
    "form_versions",
    "raw_inspection_records_rows",
    "raw_findings_rows",
    "raw_rectification_updates_rows",
    "raw_evaluation_scores_rows",
    "raw_indicator_values_rows",
    "raw_indicator_targets_rows",
    "raw_red_archives_rows",
    "raw_census_sign_off_rows",
    "code_lists",
    "code_groups",
    "reminders",
}
VIEWS = {
    "stg_census_returns",
    "stg_register",
    "int_division_hierarchy",
    "mart_holder_returns",
    "mart_coverage",
    "mart_province_figures",
    "stg_indicator_values",
    "stg_indicator_targets",
    "mart_red_archives",
    "finding_units",
    "latest_returns",
}
LINEAGE = ["submission_id", "sheet_name", "excel_row", "loaded_at"]
EXPECTED_TYPES = {FieldType.INTEGER: "BIGINT", FieldType.DECIMAL: "DOUBLE", FieldType.DATE: "DATE"}


def relations(con: duckdb.DuckDBPyConnection, table_type: str) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = ? AND table_schema = 'main' "
        "AND table_catalog = current_database()",
        [table_type],
    ).fetchall()
    # A DuckLake also holds the write guard its writers claim (warehouse.dialect).
    return {r[0] for r in rows} - {"write_guard"}


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "AND table_catalog = current_database() ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]


@on_both_backends("con")
def test_migrations_create_every_table_and_view(con):
    assert relations(con, "BASE TABLE") == TABLES
    assert relations(con, "VIEW") == VIEWS


def test_applying_twice_applies_nothing_and_records_each_version_once(db_path):
    first = connect_warehouse(db_path)
    versions = [m.version for m in list_migrations()]
    assert versions == sorted(set(versions))
    assert apply_migrations(first) == []
    first.close()
    second = connect_warehouse(db_path)
    assert apply_migrations(second) == []
    recorded = second.execute("SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY 1").fetchall()
    assert recorded == [(v, 1) for v in versions]
    assert relations(second, "BASE TABLE") == TABLES
    second.close()


def test_a_fresh_database_applies_every_version_in_order():
    con = duckdb.connect(":memory:")
    assert apply_migrations(con) == [m.version for m in list_migrations()]
    names = [r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY version").fetchall()]
    assert names == [m.name for m in list_migrations()]
    assert apply_migrations(con) == []


@on_both_backends("con")
@pytest.mark.parametrize("form", list(CURRENT_FORMS.values()), ids=lambda f: f.kind)
def test_every_form_has_a_raw_table_whose_columns_are_its_fields(con, form):
    cols = columns(con, raw_table_name(form.kind))
    names = [name for name, _ in cols]
    # Fields added by a later form version are appended by its upgrade migration: same set, lineage first.
    assert names[: len(LINEAGE)] == LINEAGE and sorted(names[len(LINEAGE) :]) == sorted(form.field_names)
    types = dict(cols)
    for field in form.fields:
        assert types[field.name] == EXPECTED_TYPES.get(field.type, "VARCHAR"), field.name


@on_both_backends("con")
def test_raw_census_types_follow_the_field_types(con):
    types = dict(columns(con, "raw_census_rows"))
    assert types["vol_total"] == "BIGINT"
    assert types["e_gb"] == "DOUBLE"
    assert types["division_code"] == "VARCHAR"
    assert types["loaded_at"] == "TIMESTAMP"


@on_both_backends("con")
def test_reference_data_is_loaded(con):
    assert count(con, "divisions") == len(load_divisions().by_code)
    assert count(con, "comprehensive_archives") == len(list_comprehensive_archives()) == 47
    row = con.execute("SELECT name, level, parent_code, province_code FROM divisions WHERE division_code = '440106'")
    assert row.fetchone() == ("天河区", "county", "440100", "440000")


@on_both_backends("con")
def test_reference_data_reloads_only_when_it_changed(con):
    assert refresh_reference_data(con) == []
    con.execute("DELETE FROM divisions WHERE division_code = '440106'")
    con.execute("UPDATE reference_data_versions SET content_sha256 = 'stale' WHERE table_name = 'divisions'")
    assert refresh_reference_data(con) == ["divisions"]
    assert count(con, "divisions") == len(load_divisions().by_code)


@on_both_backends("con")
def test_a_warehouse_whose_reference_data_is_not_this_code_s_is_not_current(con):
    # Division names changed in the code (北京市 → 北京市市辖区): a served warehouse, current by its migrations and
    # models, went on showing the old names until something wrote to it. Not current, its snapshot is published again.
    assert is_current(con)
    con.execute("UPDATE reference_data_versions SET content_sha256 = 'old' WHERE table_name = 'divisions'")
    assert not is_current(con)


@on_both_backends("con")
@pytest.mark.parametrize("table", ["divisions", "_models"])
def test_a_current_warehouse_is_left_alone_but_a_stale_part_is_redone(con, table):
    # The one-query check of a current warehouse must not hide a part that is out of date.
    before = con.execute("SELECT table_name, content_sha256 FROM reference_data_versions ORDER BY 1").fetchall()
    assert apply_migrations(con) == []
    con.execute("DELETE FROM divisions WHERE division_code = '440106'")
    con.execute("UPDATE reference_data_versions SET content_sha256 = 'stale' WHERE table_name = ?", [table])
    assert apply_migrations(con) == []
    assert con.execute("SELECT table_name, content_sha256 FROM reference_data_versions ORDER BY 1").fetchall() == before
    expected_divisions = len(load_divisions().by_code) - (table != "divisions")
    assert count(con, "divisions") == expected_divisions


@on_both_backends("con")
def test_a_warehouse_behind_a_form_is_refused_when_all_else_is_current(con):
    con.execute("DELETE FROM form_versions WHERE form_kind = 'census'")
    with pytest.raises(WarehouseOutOfDate, match="census"):
        apply_migrations(con)


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("vol_total", True),
        ("_x1", True),
        ("Vol", False),
        ("1abc", False),
        ('x"; DROP TABLE submissions; --', False),
        ("a b", False),
        ("", False),
    ],
)
def test_identifiers_are_allow_listed(name, allowed):
    if allowed:
        assert quote_identifier(name) == f'"{name}"'
    else:
        with pytest.raises(ValueError, match="not an allowed SQL identifier"):
            quote_identifier(name)


def test_raw_table_ddl_quotes_every_column():
    ddl = build_raw_table_ddl("raw_census_rows", CENSUS_FORM)
    assert '"vol_total" BIGINT' in ddl and '"uscc" VARCHAR' in ddl
    assert "PRIMARY KEY" not in ddl


@on_both_backends("con")
def test_a_failing_migration_rolls_back_alone(con):
    def half_done(c: duckdb.DuckDBPyConnection) -> None:
        c.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    def good(c: duckdb.DuckDBPyConnection) -> None:
        c.execute("CREATE TABLE good (x INTEGER)")

    with pytest.raises(RuntimeError, match="boom"):
        apply_migrations(con, [Migration(100, "good", good), Migration(101, "half_done", half_done)])
    assert "good" in relations(con, "BASE TABLE")
    assert "half_done" not in relations(con, "BASE TABLE")
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (100,)


def test_a_new_warehouse_whose_creation_fails_is_left_without_any_of_it():
    def failing(c: duckdb.DuckDBPyConnection) -> None:
        raise RuntimeError("boom")

    con = duckdb.connect(":memory:")
    with pytest.raises(RuntimeError, match="boom"):
        apply_migrations(con, [*list_migrations(), Migration(999, "failing", failing)])
    assert relations(con, "BASE TABLE") <= {"schema_migrations", "form_versions", "reference_data_versions"}
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (0,)
    assert apply_migrations(con) == [m.version for m in list_migrations()], "created whole on the next try"


def test_read_only_on_a_missing_file_is_a_usage_error(tmp_path):
    missing = tmp_path / "nowhere" / "w.duckdb"
    with pytest.raises(UsageError, match="不存在"):
        connect_warehouse(missing, read_only=True)
    assert not missing.parent.exists()


def test_read_only_opens_an_existing_warehouse_without_writing(db_path):
    connect_warehouse(db_path).close()
    reader = connect_warehouse(db_path, read_only=True)
    assert count(reader, "submissions") == 0
    with pytest.raises(duckdb.Error):
        reader.execute("CREATE TABLE nope (x INTEGER)")
    reader.close()


def test_writer_creates_the_parent_folder(tmp_path):
    path = tmp_path / "a" / "b" / "w.duckdb"
    connect_warehouse(path).close()
    assert path.exists()


def test_the_submissions_rebuilds_keep_every_row_and_leave_kinds_to_the_registry():
    con = duckdb.connect()
    migrations = list_migrations()
    apply_migrations(con, [m for m in migrations if m.version < 8])
    con.execute(
        "INSERT INTO submissions VALUES ('S1', 'census', '440000', '2024', 'GYDA-2024.1', 'c.xlsx', 'abc', 10, 'u', "
        "TIMESTAMP '2024-01-01', 'accepted', true, NULL, NULL, '待审核', 1, 0, 1)"
    )
    con.execute("INSERT INTO submission_failures VALUES ('S1', '普查表', 3, 'uscc', '代码', 'x', 'r', 'warning', 'm')")
    con.execute("INSERT INTO submission_reviews VALUES ('S1', TIMESTAMP '2024-01-02', 'p', '待审核', '已审核', NULL)")
    tables = ("submissions", "submission_failures", "submission_reviews")
    before = [con.execute(f"SELECT * FROM {t}").fetchall() for t in tables]
    assert apply_migrations(con) == [m.version for m in migrations if m.version >= 8]
    # Migration 040 adds scope and review-stage columns after the old ones: the old columns keep every value.
    after = [
        [row[: len(old[0])] for row in con.execute(f"SELECT * FROM {t}").fetchall()]
        for t, old in zip(tables, before, strict=True)
    ]
    assert after == before
    assert con.execute("SELECT scope_kind, scope_code, review_stage FROM submissions").fetchall() == [
        ("province", "440000", "national")
    ]
    assert con.execute("SELECT review_level FROM submission_reviews").fetchall() == [("national",)]
    assert count(con, "stg_census_returns") == 0  # the models over the rebuilt table bind
    # A kind the registry adds later needs no table rebuild; a review state on a rejected upload is still refused.
    con.execute(
        "INSERT INTO submissions VALUES ('S2', 'a_future_kind', NULL, '2025', 'X-2025.1', 'i.xlsx', 'def', 10, 'u', "
        "TIMESTAMP '2025-01-01', 'accepted', true, NULL, NULL, NULL, 1, 0, 0, NULL, NULL, NULL)"
    )
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "INSERT INTO submissions VALUES ('S3', 'census', '440000', '2024', 'v', 'c.xlsx', 'ghi', 10, 'u', "
            "TIMESTAMP '2025-01-01', 'rejected', false, NULL, NULL, '待审核', 1, 1, 0, NULL, NULL, NULL)"
        )


@on_both_backends("con")
def test_provisional_codes_and_code_lists_are_marked_in_the_reference_data(con):
    provisional = con.execute("SELECT division_code FROM divisions WHERE is_provisional").fetchall()
    assert provisional == [("660000",)]
    assert con.execute("SELECT count(*) FROM divisions WHERE division_code LIKE '66%'").fetchone() == (1,)
    lists = dict(con.execute("SELECT list_name, bool_and(is_provisional) FROM code_lists GROUP BY 1").fetchall())
    assert lists["unit_nature"] and lists["holder_type"] and lists["admin_level"] and not lists["yes_no"]
    tiers = dict(con.execute("SELECT value, group_value FROM code_groups WHERE grouping = 'level_tier'").fetchall())
    assert (tiers["副省级"], tiers["乡级"]) == ("地级", "县级")


@on_both_backends("con")
def test_deadlines_counted_monday_to_friday_are_recounted_on_the_official_calendar(con):
    # Findings fed back on Monday 2023-03-20 as versions before 067 stored them (30 weekdays: Monday 1 May): a
    # default, one whose workbook row gave 1 May itself, one extended since to 10 May, one extended to 3 May (now
    # before its recounted original), and a 立行立改.
    findings = {"F1": ("2023-05-01", None), "F2": ("2023-05-01", "2023-05-01"), "F3": ("2023-05-10", None),
                "F4": ("2023-05-03", None), "F5": ("2023-03-20", None)}  # fmt: skip
    for row, (finding_id, (deadline, given)) in enumerate(findings.items(), 3):
        original = "2023-03-20" if finding_id == "F5" else "2023-05-01"
        con.execute(
            "INSERT INTO findings (finding_id, inspection_id, item_code, area_code, area_name, description, severity,"
            " is_immediate, requirement, original_deadline, deadline, responsible_unit, responsible_person, status,"
            " issued_on, status_changed_at, submission_id, sheet_name, excel_row, loaded_at) VALUES (?, 'JC2023-001',"
            " 'A03-03', 'A03', '档案用房与库房', '问题', '一般', ?, '整改', ?, ?, '单位', '王五', '待整改', DATE '2023-03-20',"
            " TIMESTAMP '2023-03-20 00:00', 'S1', '发现问题', ?, TIMESTAMP '2023-03-21 00:00')",
            [finding_id, finding_id == "F5", original, deadline, row],
        )
        con.execute(
            "INSERT INTO raw_findings_rows (submission_id, sheet_name, excel_row, loaded_at, finding_id, deadline) "
            "VALUES ('S1', '发现问题', ?, TIMESTAMP '2023-03-21 00:00', ?, ?)",
            [row, finding_id, given],
        )
    next(m for m in list_migrations() if m.name == "deadlines_on_the_official_calendar").apply(con)
    stored = con.execute("SELECT finding_id, original_deadline::VARCHAR, deadline::VARCHAR FROM findings ORDER BY 1")
    assert stored.fetchall() == [
        ("F1", "2023-05-04", "2023-05-04"),  # 5 April, 29 April - 3 May off, Sunday 23 April worked
        ("F2", "2023-05-01", "2023-05-01"),  # given: kept
        ("F3", "2023-05-04", "2023-05-10"),  # the extension stays
        ("F4", "2023-05-04", "2023-05-04"),  # never before its original
        ("F5", "2023-03-20", "2023-03-20"),  # the same day
    ]
    changed = con.execute("SELECT target FROM audit_log WHERE action = 'recount_deadline' ORDER BY 1").fetchall()
    assert changed == [("F1",), ("F3",), ("F4",)]


def submitted_sheets(con, archive: str, bonus_by: dict[str, Any]) -> None:
    """An open round 2025 with the archive's self sheet and three experts' sheets, every item at full marks, and the
    bonus item B1 awarded by the experts named (its points each)."""
    con.execute(
        "INSERT INTO evaluation_rounds VALUES ('2025', ?, true, NULL, NULL, NULL, NULL)", [CURRENT_STANDARD.version]
    )
    bonus = CURRENT_STANDARD.bonus_items[0]
    for scorer in (SELF_SOURCE, "专家甲", "专家乙", "专家丙"):
        scores = [(item.code, item.max_points, True if item.is_veto else None) for item in CURRENT_STANDARD.items]
        if scorer in bonus_by:
            scores.append((bonus.code, bonus_by[scorer], None))
        for code, score, passed in scores:
            con.execute(
                "INSERT INTO evaluation_scores (round_id, archive_code, scorer, is_self, item_code, score, veto_passed,"
                " is_submitted, saved_at, saved_by) VALUES ('2025', ?, ?, ?, ?, ?, ?, true, TIMESTAMP '2025-06-01', ?)",
                [archive, scorer, scorer == SELF_SOURCE, code, score, passed, scorer],
            )


@on_both_backends("con")
def test_the_bonus_items_awarded_are_listed_among_an_archive_s_item_results(con):
    # Before 075 an archive's item results had the standard's items only: its bonus was a sum without its parts.
    archive = list_comprehensive_archives()[0].archive_code
    submitted_sheets(con, archive, {"专家甲": 5, "专家乙": 5, "专家丙": 5})
    next(m for m in list_migrations() if m.name == "bonus_items_among_item_results").apply(con)
    listed = con.execute(
        "SELECT item_code, score, self_score FROM mart_evaluation_item_results WHERE item_code LIKE 'B%'"
    ).fetchall()
    assert listed == [(CURRENT_STANDARD.bonus_items[0].code, 5, 0)]


@on_both_backends("con")
def test_evaluation_results_are_recounted_with_a_bonus_left_blank_counting_as_none(con):
    # Before 071 a bonus item was the mean of the experts who awarded it: one expert's 10 points alone counted in
    # full. Recounted, the other experts' blanks are 0 and the spread holds the archive at 待合议.
    archive = list_comprehensive_archives()[0].archive_code
    bonus = CURRENT_STANDARD.bonus_items[0]
    submitted_sheets(con, archive, {"专家甲": bonus.max_points})
    con.execute(
        "INSERT INTO mart_evaluation_results (round_id, archive_code, status, experts, assigned, total, bonus_claimed,"
        " bonus, final_score, grade, rank, veto_failures, deviation_count, unreconciled, computed_at) VALUES ('2025',"
        " ?, '已完成', 3, 3, 1000, ?, ?, ?, '优秀', 1, [], 0, [], TIMESTAMP '2025-06-01')",
        [archive, bonus.max_points, bonus.max_points, 1000 + bonus.max_points],
    )
    next(m for m in list_migrations() if m.name == "bonus_of_every_counted_expert").apply(con)
    recounted = con.execute(
        "SELECT status, final_score, unreconciled FROM mart_evaluation_results WHERE round_id = '2025' AND archive_code = ?",
        [archive],
    ).fetchone()
    assert recounted == ("待合议", None, [bonus.code])
