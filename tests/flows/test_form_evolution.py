"""The form changes: a field added to a copy of the census form reaches a warehouse built by the previous version
through one generated migration, and a return with the new field lands in the marts."""

from __future__ import annotations

import dataclasses

from census_schema.census_form import CENSUS_FORM, CENSUS_WORKBOOK, REGISTER_FORM, evolve_form
from census_schema.forms import registered
from census_schema.settings import load_settings
from flows.ingest import IngestRequest, ingest_workbook
from tests.flows.workbooks import PROVINCE, holder_rows, write_rows
from tests.warehouse.test_schema_evolution import NEW_FIELD, legacy_copy
from warehouse import migrations
from warehouse.backends import EmbeddedWarehouse
from warehouse.migrations import upgrade_raw_table
from warehouse.queries import query_summary

NEXT = evolve_form(CENSUS_FORM, "GYDA-TEST.1", add=(NEW_FIELD,))


def test_an_added_field_migrates_an_old_warehouse_and_reaches_the_marts(tmp_path, monkeypatch):
    var = tmp_path / "var"
    var.mkdir()
    legacy_copy(tmp_path).rename(var / "warehouse.duckdb")
    settings = load_settings(var / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    book = dataclasses.replace(CENSUS_WORKBOOK, version=NEXT.version, sheets=(NEXT, *CENSUS_WORKBOOK.sheets[1:]))
    with registered(book):
        # What a developer writes: the new form version above, and this one line in FORM_MIGRATIONS.
        step = upgrade_raw_table(900, "census", CENSUS_FORM.version, NEXT.version)
        monkeypatch.setattr(migrations, "FORM_MIGRATIONS", (*migrations.FORM_MIGRATIONS, step))

        rows = [{**row, "oral_items": 7 * (i + 1)} for i, row in enumerate(holder_rows(NEXT, 4))]
        path = write_rows(tmp_path / "next.xlsx", NEXT, rows)
        outcome = ingest_workbook(store, IngestRequest(path, "census", PROVINCE, "张三"), settings)
        assert (outcome.status, outcome.rows, outcome.errors) == ("accepted", 4, 0), outcome.failures

        with store.reader() as con:
            marts = con.execute(
                "SELECT uscc, oral_items, form_version FROM mart_holder_returns ORDER BY oral_items"
            ).fetchall()
            recorded = con.execute(
                "SELECT form_version, migration_version FROM form_versions WHERE form_kind = 'census'"
            )
            versions = sorted(recorded.fetchall())
            register_versions = con.execute(
                "SELECT (SELECT list(DISTINCT form_version) FROM stg_register), list(form_version ORDER BY "
                "migration_version) FROM form_versions WHERE form_kind = 'register'"
            ).fetchone()
            figures = query_summary(con, province_code=PROVINCE)["provinces"][0]
    assert [(oral, version) for _, oral, version in marts] == [
        (7, NEXT.version),
        (14, NEXT.version),
        (21, NEXT.version),
        (28, NEXT.version),
    ]
    # The legacy warehouse was at GYDA-2024.1: migration 050 took it to GYDA-2025.1, the new line to the next.
    assert versions == [("GYDA-2024.1", 2), (CENSUS_FORM.version, 50), (NEXT.version, 900)]
    # The legacy register (4 holders, the same USCCs as holder_rows) still counts them: coverage survives. It was
    # loaded at GYDA-2024.1; migration 063 took its table to the register's GYDA-2025.1 (annual statistics).
    assert (figures["units_expected"], figures["units_reported"]) == (4, 4)
    assert register_versions == (["GYDA-2024.1"], ["GYDA-2024.1", REGISTER_FORM.version])
