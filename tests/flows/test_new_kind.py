"""A workbook kind registered in one place (its form in census_schema, its raw table in FORM_MIGRATIONS) works end
to end: template and ingest on the command line, validation, the all-or-nothing load, lineage, its Prefect flow."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest

from census_schema.census_form import declare_form
from census_schema.fields import Field, FieldType, WorkbookForm
from census_schema.forms import KIND_LABELS, registered
from census_schema.layout import FIRST_DATA_ROW
from cli.main import main
from flows.prefect_flows import flow_for
from warehouse import migrations
from warehouse.backends import EmbeddedWarehouse
from warehouse.migrations import create_raw_table

FIELDS = (
    Field("course", "培训班名称", FieldType.TEXT, "培训班的名称。", max_length=50),
    Field("held_on", "举办日期", FieldType.DATE, "开班日期。"),
    Field("trainees", "参训人数（人）", FieldType.INTEGER, "结业人数。", unit="人", min_value=0, max_value=2000),
)
SESSIONS = declare_form(
    "training_sessions",
    "PX-2025.1",
    "档案业务培训情况",
    "2025",
    date(2025, 1, 1),
    "培训情况",
    FIELDS,
    max_rows=1000,
    national=True,
)
TRAINING = WorkbookForm(
    "training",
    "PX-2025.1",
    "档案业务培训情况",
    (SESSIONS,),
    "业务培训",
    "supervision-training",
    needs_province=False,
    supersedes=False,
    reviewed=False,
)


@pytest.fixture
def training(monkeypatch):
    with registered(TRAINING):
        monkeypatch.setattr(
            migrations,
            "FORM_MIGRATIONS",
            (*migrations.FORM_MIGRATIONS, create_raw_table(901, "training_sessions", "PX-2025.1")),
        )
        yield


def fill(path, rows):
    book = openpyxl.load_workbook(path)
    sheet = book["培训情况"]
    for i, row in enumerate(rows):
        for j, value in enumerate(row, start=1):
            sheet.cell(FIRST_DATA_ROW + i, j, value)
    book.save(path)
    return path


def test_a_kind_registered_once_gets_a_template_an_ingest_a_raw_table_and_a_flow(training, tmp_path, capsys):
    db = str(tmp_path / "var" / "w.duckdb")
    template = tmp_path / "training.xlsx"
    assert main(["template", "training", "--out", str(template), "--db", db]) == 0
    assert KIND_LABELS["training"] == "业务培训" and flow_for("training").name == "supervision-training"

    bad = fill(template, [["档案数字化", "2025-03-05", 35], ["档案开放审核", "2025-04-01", 99999]])
    capsys.readouterr()
    assert main(["ingest", "training", str(bad), "--db", db, "--json"]) == 1
    rejected = json.loads(capsys.readouterr().out)
    assert [(f["row"], f["field"], f["rule"]) for f in rejected["failures"]] == [
        (FIRST_DATA_ROW + 1, "trainees", "trainees_range")
    ]

    good = fill(template, [["档案数字化", "2025-03-05", 35], ["档案开放审核", "2025-04-01", 42]])
    assert main(["ingest", "training", str(good), "--db", db, "--json"]) == 0
    accepted = json.loads(capsys.readouterr().out)
    assert (accepted["status"], accepted["rows"]) == ("accepted", 2)
    with EmbeddedWarehouse(tmp_path / "var" / "w.duckdb").reader() as con:
        rows = con.execute(
            "SELECT submission_id, sheet_name, excel_row, course, held_on, trainees FROM raw_training_sessions_rows "
            "ORDER BY excel_row"
        ).fetchall()
        kinds = con.execute("SELECT kind, status FROM submissions ORDER BY submitted_at").fetchall()
    assert [r[1:] for r in rows] == [
        ("培训情况", FIRST_DATA_ROW, "档案数字化", date(2025, 3, 5), 35),
        ("培训情况", FIRST_DATA_ROW + 1, "档案开放审核", date(2025, 4, 1), 42),
    ]
    assert {r[0] for r in rows} == {accepted["submission_id"]}
    assert kinds == [("training", "rejected"), ("training", "accepted")]
