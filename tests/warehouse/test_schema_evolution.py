"""Schema evolution: old warehouses upgrade without losing a row, fresh and upgraded ones end identical, form
changes become generated migrations, a form without its migration is refused, models follow their SQL."""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from census_schema.census_form import CENSUS_FORM, CENSUS_WORKBOOK, evolve_form
from census_schema.fields import Field, FieldType
from census_schema.forms import CURRENT_FORMS, registered
from warehouse.connection import connect_warehouse
from warehouse.migrations import (
    WarehouseOutOfDate,
    apply_migrations,
    build_raw_table_upgrade_ddl,
    fetch_form_versions,
    is_current,
    list_migrations,
    list_models,
    refresh_models,
)
from warehouse.queries import query_summary
from warehouse.store import WarehouseStore

LEGACY = Path(__file__).parent / "fixtures" / "warehouse-m011.duckdb.gz"
# Tables of the legacy warehouse (migration 011) kept as they were; every one of their rows must survive.
LEGACY_TABLES = (
    "submissions",
    "submission_failures",
    "submission_reviews",
    "raw_census_rows",
    "raw_register_rows",
    "users",
    "findings",
    "finding_transitions",
)
# Tables whose shape changed, read before as they were and after as the upgrade keeps them.
INSPECTIONS_BEFORE = "SELECT * EXCLUDE (inspector_count, inspectors) FROM inspections ORDER BY inspection_id"
INSPECTIONS_AFTER = "SELECT * EXCLUDE (inspectors) FROM inspections ORDER BY inspection_id"
VALUES_BEFORE = (
    "SELECT indicator_code, year, province_code, value, note, submission_id, sheet_name, excel_row, loaded_at "
    "FROM indicator_values WHERE is_current ORDER BY ALL"
)
VALUES_AFTER = (
    "SELECT indicator_code, year, province_code, value, note, submission_id, sheet_name, excel_row, loaded_at "
    "FROM stg_indicator_values WHERE is_current ORDER BY ALL"
)
LEGACY_VIEWS = ("stg_census_returns", "stg_register", "mart_holder_returns", "mart_coverage", "mart_province_figures")


def legacy_copy(tmp_path: Path) -> Path:
    """A copy of the warehouse written by the code of migration 011."""
    path = tmp_path / "legacy.duckdb"
    with gzip.open(LEGACY, "rb") as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target)
    return path


def contents(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str] | None = None) -> list[tuple]:
    """The rows of a table or view (only these columns, when given), in a stable order."""
    selected = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    return sorted(con.execute(f"SELECT {selected} FROM {relation}").fetchall(), key=repr)


def column_names(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description]


def schema_of(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Every table's columns with types, in order; every view's and macro's name."""
    tables = con.execute(
        "SELECT table_name, list(column_name || ' ' || data_type ORDER BY column_index) FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND NOT internal GROUP BY table_name"
    ).fetchall()
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'").fetchall()
    macros = con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall()
    return {"columns": dict(tables), "views": sorted(views), "macros": sorted(macros)}


def test_a_warehouse_built_by_the_previous_version_upgrades_and_keeps_every_row(tmp_path):
    path = legacy_copy(tmp_path)
    old = duckdb.connect(str(path), read_only=True)
    assert old.execute("SELECT max(version) FROM schema_migrations").fetchone() == (11,)
    before = {name: contents(old, name) for name in LEGACY_TABLES + LEGACY_VIEWS}
    legacy_columns = {name: column_names(old, name) for name in LEGACY_TABLES + LEGACY_VIEWS}
    inspections, values = old.execute(INSPECTIONS_BEFORE).fetchall(), old.execute(VALUES_BEFORE).fetchall()
    typed_inspectors = old.execute("SELECT inspectors FROM inspections ORDER BY inspection_id").fetchall()
    old.close()
    assert len(before["raw_census_rows"]) == 3 and len(before["finding_transitions"]) > 0
    assert len(inspections) == 1 and len(values) == 1 and typed_inspectors == [("张三、李四",)]

    con = connect_warehouse(path)
    # Later migrations and form versions add columns (scopes: 040; GYDA-2025.1: 长期/短期, 050); every old column
    # keeps every row's value, but for the one finding's deadline (067: counted Monday to Friday, now on 2023's
    # official calendar: 5 April and 29 April - 3 May off, Sunday 23 April worked).
    after = {name: contents(con, name, legacy_columns[name]) for name in LEGACY_TABLES + LEGACY_VIEWS}
    recounted = {"original_deadline": date(2023, 5, 4), "deadline": date(2023, 5, 4)}
    finding = legacy_columns["findings"]
    before["findings"] = [
        tuple(recounted.get(column, value) for column, value in zip(finding, row, strict=True))
        for row in before["findings"]
    ]
    assert after == before
    event = con.execute("SELECT action, target, before_state, after_state FROM audit_log WHERE kind = 'finding'")
    assert event.fetchall() == [
        (
            "recount_deadline",
            "JC2023-001-01",
            '{"deadline": "2023-05-01", "original_deadline": "2023-05-01"}',
            '{"deadline": "2023-05-04", "original_deadline": "2023-05-04"}',
        )
    ]
    # The upgrade is in the log, by the platform, with the summary's figures unchanged.
    upgrade = con.execute("SELECT actor, before_state, after_state FROM audit_log WHERE action = 'upgrade'").fetchall()
    assert [(actor, json.loads(b), json.loads(a)["changed_figures"]) for actor, b, a in upgrade] == [
        (None, {"migration": 11}, 0)
    ]
    assert con.execute(INSPECTIONS_AFTER).fetchall() == inspections
    assert con.execute("SELECT inspectors FROM inspections").fetchall() == [(["张三", "李四"],)]
    assert con.execute(VALUES_AFTER).fetchall() == values
    assert fetch_form_versions(con) == {kind: form.version for kind, form in CURRENT_FORMS.items()}
    # Returns recorded before scopes were whole-province returns reviewed nationally.
    scoped = con.execute(
        "SELECT DISTINCT kind, scope_kind = 'province' AND scope_code = province_code, review_stage FROM submissions "
        "WHERE kind IN ('census', 'register')"
    ).fetchall()
    assert {(ok, stage) for _, ok, stage in scoped} <= {(True, "national"), (True, None)}
    assert {kind for kind, _, _ in scoped} == {"census", "register"}
    con.close()


def test_an_upgrade_killed_after_any_step_opens_again_and_finishes(tmp_path):
    # A writer killed before its checkpoint leaves its committed steps in DuckDB's log, which the next process to open
    # the file replays with nothing of the killed process's own (035 once converted through a Python function there).
    path = legacy_copy(tmp_path)
    for migration in [m for m in list_migrations() if m.version > 11]:
        killed = duckdb.connect(str(path))
        killed.execute("PRAGMA disable_checkpoint_on_shutdown")
        apply_migrations(killed, [migration])
        killed.close()
    assert path.with_name(path.name + ".wal").stat().st_size > 0

    con = connect_warehouse(path)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (list_migrations()[-1].version,)
    assert con.execute("SELECT inspectors FROM inspections").fetchall() == [(["张三", "李四"],)]
    con.close()


def test_a_warehouse_of_an_earlier_version_gains_the_shelf_length_and_staff_figures(tmp_path):
    """总排架长度 and 专职档案人员 joined the summary's figures (models re-created on upgrade, no table changes)."""
    path = legacy_copy(tmp_path)
    with duckdb.connect(str(path), read_only=True) as old:
        assert not {"shelf_m", "staff_fulltime"} & set(column_names(old, "mart_province_figures"))
        shelf, staff = old.execute("SELECT sum(shelf_m), sum(staff_fulltime) FROM stg_census_returns").fetchone()
    assert shelf > 0 and staff > 0
    con = connect_warehouse(path)
    national = query_summary(con)["national"]
    assert (national["shelf_m"], national["staff_fulltime"]) == (round(float(shelf), 2), int(staff))
    con.close()


def test_fresh_and_upgraded_warehouses_have_the_same_schema(tmp_path):
    upgraded = connect_warehouse(legacy_copy(tmp_path))
    fresh = connect_warehouse(tmp_path / "fresh.duckdb")
    assert schema_of(upgraded) == schema_of(fresh)
    recorded = "SELECT version, name FROM schema_migrations ORDER BY version"
    assert upgraded.execute(recorded).fetchall() == fresh.execute(recorded).fetchall()
    upgraded.close()
    fresh.close()


def test_a_warehouse_migrated_part_way_by_the_old_steps_upgrades_like_a_fresh_one():
    part_way = duckdb.connect()
    apply_migrations(part_way, [m for m in list_migrations() if m.version <= 11])
    apply_migrations(part_way)
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(part_way) == schema_of(fresh)


NEW_FIELD = Field("oral_items", "口述档案（件）", FieldType.INTEGER, "口述历史档案的件数。", unit="件", min_value=0)


def test_form_changes_become_rename_and_add_statements():
    renamed_field = dataclasses.replace(CENSUS_FORM.field("remarks"), name="notes")
    fields = tuple(renamed_field if f.name == "remarks" else f for f in CENSUS_FORM.fields if f.name != "fonds_count")
    new = dataclasses.replace(CENSUS_FORM, version="T.2", fields=(*fields, NEW_FIELD))
    statements = build_raw_table_upgrade_ddl("raw_census_rows", CENSUS_FORM, new, {"remarks": "notes"})
    assert statements == [
        'ALTER TABLE "raw_census_rows" RENAME COLUMN "remarks" TO "notes"',
        'ALTER TABLE "raw_census_rows" ADD COLUMN "oral_items" BIGINT',
    ]  # the dropped fonds_count keeps its column and data


def test_a_type_change_or_an_unknown_rename_is_not_generated():
    retyped = tuple(
        dataclasses.replace(f, type=FieldType.TEXT) if f.name == "vol_total" else f for f in CENSUS_FORM.fields
    )
    with pytest.raises(ValueError, match="changes type"):
        build_raw_table_upgrade_ddl("t", CENSUS_FORM, dataclasses.replace(CENSUS_FORM, fields=retyped))
    with pytest.raises(ValueError, match="not fields"):
        build_raw_table_upgrade_ddl("t", CENSUS_FORM, CENSUS_FORM, {"nope": "x"})


def test_a_form_version_without_its_migration_is_refused_with_a_clear_message(tmp_path):
    changed = evolve_form(CENSUS_FORM, "GYDA-TEST.1", add=(NEW_FIELD,))
    book = dataclasses.replace(CENSUS_WORKBOOK, version=changed.version, sheets=(changed,))
    with registered(book), pytest.raises(WarehouseOutOfDate, match="普查表.*GYDA-TEST.1.*GYDA-2025.1"):
        connect_warehouse(tmp_path / "w.duckdb")


def test_models_are_recreated_when_their_sql_changes_and_only_then(tmp_path):
    con = connect_warehouse(tmp_path / "w.duckdb")
    assert refresh_models(con) is False
    # A warehouse of an older version: a view and a macro (scope_channel, which the staging views call) it lacks.
    con.execute("DROP VIEW mart_province_figures")
    con.execute("DROP MACRO scope_channel")
    con.execute("UPDATE reference_data_versions SET content_sha256 = 'older' WHERE table_name = '_models'")
    assert refresh_models(con) is True
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    macros = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE NOT internal AND function_type = 'macro' "
            "AND schema_name = 'main'"
        ).fetchall()
    }
    assert views | macros == set(list_models()) and macros == {"coverage_pct", "scope_channel"}
    assert con.execute("SELECT count(*) FROM stg_register").fetchone() == (0,)  # the views read through the macro
    con.close()


def test_evolving_a_form_regenerates_the_rules_of_its_fields_only():
    assert evolve_form(CENSUS_FORM, CENSUS_FORM.version) == CENSUS_FORM
    grown = evolve_form(CENSUS_FORM, "T.2", add=(NEW_FIELD,), remove=("remarks",), relabel={"unit_name": "单位全称"})
    assert grown.field_names == (*(n for n in CENSUS_FORM.field_names if n != "remarks"), "oral_items")
    assert {"oral_items_required", "oral_items_integer", "oral_items_range"} <= set(grown.rules_by_id)
    assert not [r for r in grown.rules if r.field == "remarks"]
    assert "单位全称" in grown.rules_by_id["unit_name_required"].message
    assert grown.rules_by_id["vol_total_sum"] == CENSUS_FORM.rules_by_id["vol_total_sum"]
    with pytest.raises(ValueError, match="not fields"):
        evolve_form(CENSUS_FORM, "T.3", remove=("nope",))


def test_a_gyda_2024_warehouse_upgrades_to_gyda_2025_and_its_returns_keep_counting(tmp_path):
    from tests.warehouse.factories import load, make_uscc
    from warehouse.queries import query_summary

    path = legacy_copy(tmp_path)
    old = duckdb.connect(str(path), read_only=True)
    legacy = old.execute("SELECT sum(vol_total), sum(item_total), count(*) FROM stg_census_returns").fetchone()
    province = old.execute("SELECT DISTINCT province_code FROM stg_census_returns").fetchone()
    old.close()
    con = connect_warehouse(path)
    recorded = con.execute(
        "SELECT form_version, migration_version FROM form_versions WHERE form_kind = 'census' ORDER BY 2"
    ).fetchall()
    assert recorded == [("GYDA-2024.1", 2), ("GYDA-2025.1", 50)]
    assert {"red_archives": "GYDA-2025.1", "census_sign_off": "GYDA-2025.1"}.items() <= fetch_form_versions(con).items()
    # The old returns count as they did; the classes they did not have are 0.
    summary = query_summary(con)
    assert (summary["national"]["vol_total"], summary["national"]["item_total"]) == legacy[:2]
    assert con.execute(
        "SELECT DISTINCT vol_long, vol_short, item_long, item_short FROM stg_census_returns"
    ).fetchall() == [(0, 0, 0, 0)]
    assert sum(m["vol"] for m in summary["by_retention"]) == legacy[0]
    # A GYDA-2025.1 return of another province is counted beside them.
    other = "450000" if province != ("450000",) else "460000"
    load(con, "census", other, [{"uscc": make_uscc(77), "vol_total": 7, "vol_long": 7, "division_code": other}])
    summary = query_summary(con)
    assert summary["national"]["vol_total"] == legacy[0] + 7
    assert {m["retention"]: m["vol"] for m in summary["by_retention"]}["长期"] == 7
    versions = con.execute("SELECT form_version, count(*) FROM stg_census_returns GROUP BY 1 ORDER BY 1").fetchall()
    assert versions == [("GYDA-2024.1", legacy[2]), ("GYDA-2025.1", 1)]
    con.close()


def test_a_warehouse_published_by_the_previous_version_is_migrated_before_it_is_read(tmp_path):
    """After an upgrade of the code, the first reader (a dashboard, `summary`) finds the old version's published
    snapshot behind the code: the warehouse is migrated and published again, the old snapshot is not read."""
    path = legacy_copy(tmp_path)
    store = WarehouseStore(path)
    store.snapshot_dir.mkdir()
    old_snapshot = store.snapshot_dir / "snapshot-1.duckdb"
    shutil.copyfile(path, old_snapshot)
    store.pointer.write_text(f"{old_snapshot.name} {old_snapshot.stat().st_size}\n", encoding="utf-8")
    with duckdb.connect(str(old_snapshot), read_only=True) as con:
        assert not is_current(con)
    with store.reader() as con:
        assert is_current(con)
        assert fetch_form_versions(con) == {kind: form.version for kind, form in CURRENT_FORMS.items()}
        assert con.execute("SELECT count(*) FROM stg_census_returns").fetchone() == (3,)
    assert store.current_snapshot() != old_snapshot


def test_a_gyda_2024_register_upgrades_to_gyda_2025_keeps_counting_and_gains_the_annual_statistics():
    """Migration 063 takes a warehouse built at the previous schema (every migration up to 062) from the register's
    GYDA-2024.1 to GYDA-2025.1: its registers keep counting, without annual statistics; a register of GYDA-2025.1
    gives them, for the census's year-on-year check."""
    from census_schema.census_form import ANNUAL_STATS_NAMES, REGISTER_FORM, ROUND_ID, AnnualStatistics
    from census_schema.scopes import central_scope, province_scope
    from tests.warehouse.factories import load, make_rows, make_submission, make_uscc
    from warehouse.loads import record_submission
    from warehouse.queries import query_summary
    from warehouse.scopes import fetch_scope_annual_stats

    con = duckdb.connect()
    apply_migrations(con, [m for m in list_migrations() if m.version < 63])
    assert fetch_form_versions(con)["register"] == "GYDA-2024.1"
    assert not set(ANNUAL_STATS_NAMES) & set(column_names(con, "raw_register_rows"))
    # A register loaded at GYDA-2024.1: the old form's columns only.
    old_rows = make_rows("register", [{}, {}]).drop(ANNUAL_STATS_NAMES)
    old = dataclasses.replace(make_submission("register", "440000", row_count=2), form_version="GYDA-2024.1")
    record_submission(con, old, old_rows, [])
    before = query_summary(con)["national"]["units_expected"]

    assert apply_migrations(con)[0] == 63  # then the later steps
    assert con.execute(
        "SELECT form_version, migration_version FROM form_versions WHERE form_kind = 'register' ORDER BY 2"
    ).fetchall() == [("GYDA-2024.1", 3), (REGISTER_FORM.version, 63)]
    assert column_names(con, "raw_register_rows")[-3:] == list(ANNUAL_STATS_NAMES)
    # The old register keeps counting, gives no annual statistics, so its holders are not compared.
    assert before == 2 and query_summary(con)["national"]["units_expected"] == 2
    assert con.execute("SELECT DISTINCT form_version, annual_stats_year FROM stg_register").fetchall() == [
        ("GYDA-2024.1", None)
    ]
    assert fetch_scope_annual_stats(con, province_scope("440000"), ROUND_ID) == {}
    # Registers of GYDA-2025.1, a province's and a central channel's: only rows giving all three are fetched.
    given = {"annual_stats_year": 2023, "annual_stats_vol": 1200, "annual_stats_item": 3400}
    local = [
        {"uscc": make_uscc(11), **given},
        {"uscc": make_uscc(12), **dict.fromkeys(ANNUAL_STATS_NAMES)},
    ]
    load(con, "register", "450000", [{**row, "division_code": "450102"} for row in local])
    organs = central_scope("organs")
    load(
        con, "register", "central", [{"uscc": make_uscc(21, "11100000"), **given, "annual_stats_vol": 5}], scope=organs
    )
    assert query_summary(con)["national"]["units_expected"] == 5
    assert fetch_scope_annual_stats(con, province_scope("450000"), ROUND_ID) == {
        make_uscc(11): AnnualStatistics(2023, 1200, 3400)
    }
    assert fetch_scope_annual_stats(con, organs, ROUND_ID) == {
        make_uscc(21, "11100000"): AnnualStatistics(2023, 5, 3400)
    }
    assert fetch_scope_annual_stats(con, province_scope("440000"), ROUND_ID) == {}
    # Upgraded, the warehouse is what a fresh one is.
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()


def test_transitions_logged_before_064_keep_their_rows_and_later_ones_carry_measures():
    """Migration 064 gives `finding_transitions` its measures (整改措施): changes logged before keep every value and
    have none; the finding's current measures are the latest given afterwards."""
    from datetime import datetime

    from census_schema.supervision.forms import FINDINGS_FORM, INSPECTION_RECORDS_FORM, RECTIFICATION_FORM
    from tests.flows.supervision_workbooks import finding, inspection
    from tests.warehouse.supervision_factories import sheet_frame
    from warehouse.inspections import load_inspection_sheets, query_finding_history, transition_finding

    con = duckdb.connect()
    apply_migrations(con, [m for m in list_migrations() if m.version < 64])
    assert "measures" not in column_names(con, "finding_transitions")
    sheets = {
        INSPECTION_RECORDS_FORM.sheet_name: sheet_frame(INSPECTION_RECORDS_FORM, [inspection(1)]),
        FINDINGS_FORM.sheet_name: sheet_frame(FINDINGS_FORM, [finding(1)]),
        RECTIFICATION_FORM.sheet_name: sheet_frame(RECTIFICATION_FORM, []),
    }
    load_inspection_sheets(con, "S-old", datetime(2023, 3, 21), sheets)
    # A change logged by the code of 063, its measures in the note as they used to travel.
    con.execute(
        "INSERT INTO finding_transitions (finding_id, seq, changed_at, changed_by, role, action, from_status, "
        "to_status, note, recorded_at, recorded_via) VALUES ('JC2023-001-01', 1, TIMESTAMP '2023-04-01 10:00', "
        "'王五', 'rectifier', '开始整改', '待整改', '整改中', '措施：修订制度', TIMESTAMP '2023-04-01 10:00', 'command')"
    )
    con.execute("UPDATE findings SET status = '整改中', status_changed_at = TIMESTAMP '2023-04-01 10:00'")
    before = contents(con, "finding_transitions")

    assert apply_migrations(con)[0] == 64
    assert column_names(con, "finding_transitions")[-1] == "measures"
    assert contents(con, "finding_transitions", column_names(con, "finding_transitions")[:-1]) == before
    history = query_finding_history(con, "JC2023-001-01")
    assert history["measures"] is None and history["transitions"][0]["measures"] is None
    transition_finding(con, "JC2023-001-01", action="提交整改报告", by="王五", at=datetime(2023, 4, 3, 9),
                       evidence="报告", measures="已修订制度并组织培训")  # fmt: skip
    assert query_finding_history(con, "JC2023-001-01")["measures"] == "已修订制度并组织培训"
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()


def test_a_jdjc_2025_2_warehouse_upgrades_its_updates_to_jdjc_2025_3_and_its_uploads_keep_counting(monkeypatch):
    """Migration 065 takes a warehouse built before it (every migration up to 064) from the 整改进展 form of JDJC-2025.1
    (JDJC-2025.2 changed only 检查记录) to JDJC-2025.3: an upload of JDJC-2025.2 keeps every row and its findings'
    states, without measures; the other sheets stay at their versions; an upload of JDJC-2025.3 gives measures."""
    from census_schema.supervision.forms import INSPECTIONS_WORKBOOK, INSPECTIONS_WORKBOOK_2025_2, RECTIFICATION_FORM
    from tests.flows.supervision_workbooks import CLOSE_WALK, RECT, finding, inspection, update
    from tests.warehouse.factories import make_submission
    from tests.warehouse.supervision_factories import sheet_frame
    from warehouse.inspections import query_finding_history
    from warehouse.loads import record_upload

    def upload(con, book, content, records, findings, updates):
        sheets = {
            form.sheet_name: sheet_frame(form, rows)
            for form, rows in zip(book.sheets, (records, findings, updates), strict=True)
        }
        submission = dataclasses.replace(
            make_submission("inspections", None, content=content, row_count=len(records) + len(findings)),
            form_version=book.version,
        )
        record_upload(con, submission, sheets, [])

    con = duckdb.connect()
    apply_migrations(con, [m for m in list_migrations() if m.version < 65])
    versions = fetch_form_versions(con)
    assert versions["rectification_updates"] == "JDJC-2025.1" and versions["inspection_records"] == "JDJC-2025.2"
    assert "measures" not in column_names(con, "raw_rectification_updates_rows")
    # An upload of JDJC-2025.2, loaded by the code of 064: its 整改进展 has no measures (and that code did not hold
    # 操作人 to the accounts' rights, which reads the accounts of migration 072).
    assert [f.kind for f in INSPECTIONS_WORKBOOK_2025_2.sheets] == [f.kind for f in INSPECTIONS_WORKBOOK.sheets]
    with monkeypatch.context() as patched:
        patched.setattr("warehouse.inspections.find_acting_account", lambda *_, **__: None)
        upload(con, INSPECTIONS_WORKBOOK_2025_2, "old", [inspection(1)], [finding(1)], CLOSE_WALK)
    before = {table: contents(con, table) for table in ("raw_rectification_updates_rows", "finding_transitions")}
    states = "SELECT finding_id, status, deadline FROM findings ORDER BY 1"
    closed = con.execute(states).fetchall()
    assert [status for _, status, _ in closed] == ["已销号"]

    assert apply_migrations(con)[0] == 65
    assert con.execute(
        "SELECT form_version, migration_version FROM form_versions WHERE form_kind = 'rectification_updates' ORDER BY 2"
    ).fetchall() == [("JDJC-2025.1", 16), (RECTIFICATION_FORM.version, 65)]
    assert RECTIFICATION_FORM.version == INSPECTIONS_WORKBOOK.version == "JDJC-2025.3"
    assert fetch_form_versions(con) == {kind: form.version for kind, form in CURRENT_FORMS.items()}
    columns = column_names(con, "raw_rectification_updates_rows")
    assert columns[-1] == "measures"
    assert contents(con, "raw_rectification_updates_rows", columns[:-1]) == before["raw_rectification_updates_rows"]
    assert con.execute("SELECT DISTINCT measures FROM raw_rectification_updates_rows").fetchall() == [(None,)]
    assert contents(con, "finding_transitions") == before["finding_transitions"]
    assert con.execute(states).fetchall() == closed
    # An upload of JDJC-2025.3 gives measures.
    start = update("开始整改", "王五", RECT, CLOSE_WALK[0]["action_on"], "JC2023-002-01", measures="修订制度")
    upload(con, INSPECTIONS_WORKBOOK, "new", [inspection(2)], [finding(1, 2)], [start])
    assert query_finding_history(con, "JC2023-002-01")["measures"] == "修订制度"
    assert con.execute("SELECT measures FROM raw_rectification_updates_rows WHERE measures IS NOT NULL").fetchall() == [
        ("修订制度",)
    ]
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()


def test_a_ghzb_2025_1_warehouse_gains_provincial_targets_and_its_values_keep_counting():
    """Migration 066 gives a warehouse built before it (every migration up to 065) the raw table of the indicators
    workbook's new sheet 分省目标 (GHZB-2025.2): values uploaded with GHZB-2025.1 keep every row and their national
    statuses; 指标数值 stays at its form's version; an upload of GHZB-2025.2 adds provincial targets and statuses."""
    from decimal import Decimal

    from census_schema.supervision.forms import INDICATOR_TARGETS_FORM, INDICATORS_WORKBOOK, INDICATORS_WORKBOOK_2025
    from tests.flows.supervision_workbooks import target
    from tests.warehouse.factories import make_submission
    from tests.warehouse.supervision_factories import sheet_frame
    from warehouse.indicators import query_indicator_progress, query_provincial_targets
    from warehouse.loads import record_upload

    def upload(con, book, content, values, targets=None):
        rows = {"指标数值": values, "分省目标": targets}
        sheets = {form.sheet_name: sheet_frame(form, rows[form.sheet_name]) for form in book.sheets}
        submission = dataclasses.replace(
            make_submission("indicators", None, content=content, row_count=len(values) + len(targets or [])),
            form_version=book.version,
        )
        record_upload(con, submission, sheets, [])

    def judged(con):
        return [
            (p["province_code"], p["year"], p["value"], p["expected"], p["status"])
            for p in query_indicator_progress(con)
            if p["indicator_code"] == "ZB01" and p["value"] is not None
        ]

    con = duckdb.connect()
    apply_migrations(con, [m for m in list_migrations() if m.version < 66])
    assert "indicator_targets" not in fetch_form_versions(con)
    assert con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'raw_indicator_targets_rows'"
    ).fetchone() == (0,)
    # Values uploaded with GHZB-2025.1 (指标数值 only), loaded by the code of 065.
    old_values = [
        {"indicator_code": "ZB01", "year": 2022, "province_code": None, "value": 50.0},
        {"indicator_code": "ZB01", "year": 2022, "province_code": "440000", "value": 6.0},
    ]
    upload(con, INDICATORS_WORKBOOK_2025, "old", old_values)
    before = contents(con, "raw_indicator_values_rows")
    current_before = con.execute(VALUES_AFTER).fetchall()

    assert apply_migrations(con)[0] == 66
    assert con.execute(
        "SELECT form_kind, form_version, migration_version FROM form_versions WHERE form_kind LIKE 'indicator%' "
        "ORDER BY 3"
    ).fetchall() == [("indicator_values", "GHZB-2025.1", 18), ("indicator_targets", INDICATORS_WORKBOOK.version, 66)]
    assert INDICATOR_TARGETS_FORM.version == INDICATORS_WORKBOOK.version == "GHZB-2025.2"
    assert fetch_form_versions(con) == {kind: form.version for kind, form in CURRENT_FORMS.items()}
    assert contents(con, "raw_indicator_values_rows") == before
    assert con.execute(VALUES_AFTER).fetchall() == current_before
    # The old values keep their national status; Guangdong's value has no target yet, so no status.
    assert judged(con) == [(None, 2022, Decimal(50), Decimal(60), "滞后"), ("440000", 2022, Decimal(6), None, None)]
    assert query_provincial_targets(con) == []
    # An upload of GHZB-2025.2 gives Guangdong its own target: 0 (2020) to 10 (2025), 4 expected in 2022.
    upload(con, INDICATORS_WORKBOOK, "new", [], [target("ZB01", "440000", 0.0, 10.0)])
    assert [(t["province_code"], t["target"]) for t in query_provincial_targets(con)] == [("440000", Decimal(10))]
    assert judged(con) == [
        (None, 2022, Decimal(50), Decimal(60), "滞后"),
        ("440000", 2022, Decimal(6), Decimal(4), "达标"),
    ]
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()


def test_scores_saved_before_068_keep_their_rows_and_later_ones_carry_the_expert_s_remark():
    """Migration 068 gives `evaluation_scores` the expert's 扣分说明: scores saved before keep every value and have
    none; a remark saved afterwards is kept and read back."""
    from decimal import Decimal

    from warehouse.evaluation import assign_evaluator, open_evaluation, query_scores, save_evaluator_scores

    con = duckdb.connect()
    apply_migrations(con, [m for m in list_migrations() if m.version < 68])
    assert "remark" not in column_names(con, "evaluation_scores")
    # A draft saved by the code of 067 (its columns named: the remark did not exist).
    con.execute(
        "INSERT INTO evaluation_scores (round_id, archive_code, scorer, is_self, item_code, score, veto_passed, "
        "evidence, is_submitted, saved_at, saved_by) VALUES ('2025', '440000', 'evaluator', false, 'A1.1.1', 8.5, "
        "NULL, NULL, false, TIMESTAMP '2025-06-01 10:00', 'evaluator')"
    )
    before = contents(con, "evaluation_scores")

    assert apply_migrations(con)[0] == 68
    assert column_names(con, "evaluation_scores")[-1] == "remark"
    assert contents(con, "evaluation_scores", column_names(con, "evaluation_scores")[:-1]) == before
    assert query_scores(con, "440000", "evaluator")[0]["remark"] is None
    open_evaluation(con, "规划处")
    assign_evaluator(con, "440000", "evaluator", "规划处")
    save_evaluator_scores(con, "evaluator", "440000", {"A1.1.1": Decimal(8)}, False, remarks={"A1.1.1": "未修订"})
    assert query_scores(con, "440000", "evaluator")[0]["remark"] == "未修订"
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()


def test_a_pjdf_2025_1_warehouse_upgrades_its_score_sheet_to_pjdf_2025_2_and_its_uploads_keep_counting():
    """Migration 069 takes a warehouse built before it from the 评分表 of PJDF-2025.1 to PJDF-2025.2: an upload of
    PJDF-2025.1 keeps every raw row and its scores, without remarks; an upload of PJDF-2025.2 gives the expert's
    扣分说明, loaded into evaluation_scores."""
    from decimal import Decimal

    from census_schema.supervision.forms import EVALUATION_SCORES_FORM, EVALUATION_WORKBOOK, EVALUATION_WORKBOOK_2025
    from tests.flows.supervision_workbooks import score_sheet
    from tests.warehouse.factories import make_submission
    from tests.warehouse.supervision_factories import sheet_frame
    from warehouse.evaluation import assign_evaluator, open_evaluation, query_scores
    from warehouse.loads import record_upload

    def upload(con, book, content, rows):
        submission = dataclasses.replace(
            make_submission("evaluation", None, content=content, row_count=len(rows)),
            form_version=book.version,
            round_id="2025",
        )
        record_upload(con, submission, {book.sheets[0].sheet_name: sheet_frame(book.sheets[0], rows)}, [])

    con = duckdb.connect()
    # The accounts' own steps too (070, 072, 074): today's code of assigning an expert reads the accounts as they are
    # now (their people's names too).
    apply_migrations(con, [m for m in list_migrations() if m.version < 69 or m.version in (70, 72, 74)])
    assert fetch_form_versions(con)["evaluation_scores"] == "PJDF-2025.1"
    assert "remark" not in column_names(con, "raw_evaluation_scores_rows")
    open_evaluation(con, "规划处")
    assign_evaluator(con, "440000", "evaluator", "规划处")
    # An upload of PJDF-2025.1, loaded by the code of 068: its 评分表 has no 扣分说明.
    upload(con, EVALUATION_WORKBOOK_2025, "old", score_sheet("evaluator", "440000"))
    before = {table: contents(con, table) for table in ("raw_evaluation_scores_rows", "evaluation_scores")}

    assert apply_migrations(con)[0] == 69
    assert EVALUATION_SCORES_FORM.version == EVALUATION_WORKBOOK.version == "PJDF-2025.2"
    assert fetch_form_versions(con) == {kind: form.version for kind, form in CURRENT_FORMS.items()}
    columns = column_names(con, "raw_evaluation_scores_rows")
    assert columns[-1] == "remark"
    assert contents(con, "raw_evaluation_scores_rows", columns[:-1]) == before["raw_evaluation_scores_rows"]
    assert con.execute("SELECT DISTINCT remark FROM raw_evaluation_scores_rows").fetchall() == [(None,)]
    assert contents(con, "evaluation_scores") == before["evaluation_scores"]
    # An upload of PJDF-2025.2 gives the expert's remark.
    again = score_sheet("evaluator", "440000", A1_1_1={"score": Decimal(8), "remark": "制度未修订"})
    upload(con, EVALUATION_WORKBOOK, "new", again)
    remarks = {s["item_code"]: s["remark"] for s in query_scores(con, "440000", "evaluator") if s["remark"]}
    assert remarks == {"A1.1.1": "制度未修订"}
    assert con.execute("SELECT remark FROM raw_evaluation_scores_rows WHERE remark IS NOT NULL").fetchall() == [
        ("制度未修订",)
    ]
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()


def test_accounts_before_070_count_their_password_from_their_creation_and_are_not_made_to_change_it():
    """Migration 070 records when a password was set and whether an administrator set it: the accounts of before keep
    every value, their password dated from their creation, none made to change it; an administrator's new password
    is marked for its owner to change, and their own change clears the mark."""
    from warehouse.users import add_user, change_own_password, get_user, query_accounts

    con = duckdb.connect()
    apply_migrations(con, [m for m in list_migrations() if m.version < 70])
    con.execute(
        "INSERT INTO users (user_name, password_hash, role, province_code, created_at) "
        "VALUES ('planner', 'scrypt:old', 'planner', NULL, TIMESTAMP '2025-03-01 08:00')"
    )
    before, old_columns = contents(con, "users"), column_names(con, "users")

    assert apply_migrations(con)[0] == 70
    columns = column_names(con, "users")
    assert [c for c in columns if c not in old_columns][:2] == ["password_set_at", "must_change_password"]
    assert contents(con, "users", old_columns) == before
    [planner] = query_accounts(con)
    assert str(planner["password_set_at"]) == "2025-03-01 08:00:00" and planner["must_change_password"] is False
    assert get_user(con, "planner").must_change_password is False
    add_user(con, "zhang", "scrypt:set-by-admin", "evaluator", None, must_change_password=True, by="管理员")
    assert get_user(con, "zhang").must_change_password is True
    assert change_own_password(con, "zhang", "scrypt:own")
    assert get_user(con, "zhang").must_change_password is False
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()


def test_accounts_before_072_keep_everything_and_every_reporting_level_may_then_have_one():
    """Migration 072 builds `users` again to take the accounts of prefectures, counties and central channels (their
    division or channel in `scope_code`): every account of before keeps every value, the new roles are accepted with
    their scope and refused without it, and the upgraded warehouse is the fresh one's."""
    from warehouse.users import add_user, get_user

    con = duckdb.connect()
    apply_migrations(con, [m for m in list_migrations() if m.version < 72])
    con.execute(
        "INSERT INTO users (user_name, password_hash, role, province_code, created_at, is_active, password_set_at, "
        "must_change_password) VALUES ('guangdong', 'scrypt:gd', 'province', '440000', TIMESTAMP '2025-03-01 08:00', "
        "true, TIMESTAMP '2025-03-02 08:00', false), ('planner', 'scrypt:pl', 'planner', NULL, "
        "TIMESTAMP '2025-03-01 09:00', false, TIMESTAMP '2025-03-01 09:00', true)"
    )
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "INSERT INTO users (user_name, password_hash, role, province_code, created_at) "
            "VALUES ('gz', 'scrypt:gz', 'prefecture', '440000', TIMESTAMP '2025-03-01 08:00')"
        )
    before = contents(con, "users")

    assert apply_migrations(con, [m for m in list_migrations() if m.version <= 72]) == [72]
    columns = column_names(con, "users")
    assert columns[-1] == "scope_code"
    assert contents(con, "users", columns[:-1]) == before
    assert con.execute("SELECT DISTINCT scope_code FROM users").fetchall() == [(None,)]
    apply_migrations(con)  # the later ones, which add_user below relies on
    add_user(con, "gz", "scrypt:gz", "prefecture", None, division_code="440100", by="管理员")
    add_user(con, "yangqi", "scrypt:yq", "central", None, central="enterprises", by="管理员")
    assert get_user(con, "gz").scope.label == "广东省广州市（地级）"
    assert (get_user(con, "gz").province_code, get_user(con, "yangqi").scope.name) == ("440000", "中央企业")
    for role, province, scope in (
        ("county", "440000", None),
        ("central", "440000", "enterprises"),
        ("planner", None, "x"),
    ):
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "INSERT INTO users (user_name, password_hash, role, province_code, scope_code, created_at) "
                "VALUES ('bad', 'scrypt:x', ?, ?, ?, TIMESTAMP '2025-03-01 08:00')",
                [role, province, scope],
            )
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()


def test_an_upgrade_keeps_the_file_as_it_was_and_says_where(tmp_path, caplog):
    # A probe found an old warehouse upgraded by a reading command, silently and with no copy kept: the upgrade
    # recounts a deadline, and a newer version's warehouse is refused by the older platform. The file as it was is
    # now kept beside it (its owner's alone) and the upgrade says where; a warehouse already current keeps nothing.
    path = legacy_copy(tmp_path)
    with duckdb.connect(str(path), read_only=True) as before:
        rows = {name: contents(before, name) for name in LEGACY_TABLES}
    with caplog.at_level(logging.WARNING, logger="warehouse.connection"):
        connect_warehouse(path).close()
    [kept] = list((tmp_path / "before-upgrade").iterdir())
    assert kept.name.endswith("-m011") and kept.stat().st_mode & 0o777 == 0o700
    old = duckdb.connect(str(kept / path.name), read_only=True)
    assert old.execute("SELECT max(version) FROM schema_migrations").fetchone() == (11,)
    assert {name: contents(old, name) for name in LEGACY_TABLES} == rows
    old.close()
    said = " ".join(r.getMessage() for r in caplog.records)
    assert f"需从迁移版本 11 升级到 {list_migrations()[-1].version}，现在开始升级" in said and str(kept) in said
    connect_warehouse(path).close()  # current now: nothing more kept
    assert len(list((tmp_path / "before-upgrade").iterdir())) == 1


def test_accounts_before_074_keep_everything_and_may_then_name_their_owner():
    """Migration 074 adds the person's name of an account: every account of before keeps every value and has none
    until one is given; a reset without a name keeps it; the upgraded warehouse is the fresh one's."""
    from warehouse.users import add_user, get_user

    con = duckdb.connect()
    apply_migrations(con, [m for m in list_migrations() if m.version < 74])
    con.execute(
        "INSERT INTO users (user_name, password_hash, role, province_code, created_at, password_set_at, "
        "must_change_password) VALUES ('planner', 'scrypt:pl', 'planner', NULL, TIMESTAMP '2025-03-01 08:00', "
        "TIMESTAMP '2025-03-01 08:00', false)"
    )
    before, old_columns = contents(con, "users"), column_names(con, "users")

    assert apply_migrations(con)[0] == 74
    assert [c for c in column_names(con, "users") if c not in old_columns] == ["full_name"]
    assert contents(con, "users", old_columns) == before
    assert get_user(con, "planner").full_name is None
    add_user(con, "planner", "scrypt:pl", "planner", None, by="管理员", full_name="王敏")
    add_user(con, "planner", "scrypt:new", "planner", None, by="管理员")
    assert get_user(con, "planner").full_name == "王敏"
    fresh = duckdb.connect()
    apply_migrations(fresh)
    assert schema_of(con) == schema_of(fresh)
    con.close()
    fresh.close()
