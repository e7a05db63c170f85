"""Recording submissions: one transaction, supersede with history, duplicates by content, reference look-ups."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.fields import Severity
from tests.conftest import on_both_backends
from tests.warehouse.factories import count, load, make_failure, make_rows, make_submission, make_uscc
from warehouse.loads import (
    fetch_register_usccs,
    find_current_by_sha256,
    record_submission,
)

A, B, C = make_uscc(1), make_uscc(2), make_uscc(3)


def submission_row(con: duckdb.DuckDBPyConnection, submission_id: str) -> dict:
    cursor = con.execute("SELECT * FROM submissions WHERE submission_id = ?", [submission_id])
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


@on_both_backends("con")
def test_an_accepted_census_return_is_recorded_with_rows_and_warnings(con):
    rows = make_rows("census", [{"uscc": A, "vol_total": 10, "e_gb": 1.25}, {"uscc": B, "item_total": 7}])
    submission = make_submission(row_count=2, warning_count=1)
    submission_id = record_submission(con, submission, rows, [make_failure(row=4)])

    assert re.fullmatch(r"S2024-440000-\d{8}T\d{6}Z-[0-9a-f]{6}", submission_id)
    recorded = submission_row(con, submission_id)
    assert recorded["status"] == "accepted"
    assert recorded["is_current"] is True
    assert recorded["review_state"] == "待审核"
    assert recorded["superseded_by"] is None
    assert (recorded["row_count"], recorded["error_count"], recorded["warning_count"]) == (2, 0, 1)
    assert recorded["file_sha256"] == submission.file_sha256

    raw = con.execute(
        "SELECT submission_id, sheet_name, excel_row, uscc, vol_total, item_total, e_gb FROM raw_census_rows "
        "ORDER BY excel_row"
    ).fetchall()
    assert raw == [(submission_id, "普查表", 3, A, 10, 0, 1.25), (submission_id, "普查表", 4, B, 0, 7, 0.0)]
    failures = con.execute("SELECT submission_id, excel_row, field, rule, severity FROM submission_failures")
    assert failures.fetchall() == [(submission_id, 4, "uscc", "uscc_not_in_register", "warning")]
    assert count(con, "stg_census_returns") == 2


@on_both_backends("con")
def test_every_census_field_round_trips(con):
    holder = {f.name: (i if f.is_numeric else f"v{i}") for i, f in enumerate(CENSUS_FORM.fields)}
    load(con, "census", "440000", [holder])
    cursor = con.execute(
        "SELECT * EXCLUDE (round_id, province_code, scope_kind, scope_code, central_channel, review_state, "
        "form_version, submission_id, sheet_name, excel_row) FROM stg_census_returns"
    )
    names = [d[0] for d in cursor.description]
    # Fields a later form version added come after the first version's (the upgrade appends their columns).
    assert sorted(names) == sorted(CENSUS_FORM.field_names)
    assert cursor.fetchone() == tuple(holder[n] for n in names)


@on_both_backends("con")
def test_a_register_is_recorded_into_its_own_raw_table(con):
    load(con, "register", "440000", [{"uscc": A}, {"uscc": B}])
    assert count(con, "raw_register_rows") == 2
    assert count(con, "raw_census_rows") == 0
    cols = [d[0] for d in con.execute("SELECT * FROM raw_register_rows").description]
    assert cols[4:] == list(REGISTER_FORM.field_names)


@on_both_backends("con")
def test_a_rejected_return_keeps_its_failures_but_no_rows_and_supersedes_nothing(con):
    accepted = load(con, "census", "440000", [{"uscc": A}])
    rows = make_rows("census", [{"uscc": B}])
    errors = [make_failure(row=3, severity=Severity.ERROR, rule="vol_total_sum"), make_failure(row=3)]
    rejected = record_submission(
        con, make_submission(status="rejected", content="bad", error_count=1, warning_count=1), rows, errors
    )
    recorded = submission_row(con, rejected)
    assert recorded["status"] == "rejected"
    assert recorded["is_current"] is False
    assert recorded["review_state"] is None
    assert con.execute("SELECT count(*) FROM raw_census_rows WHERE submission_id = ?", [rejected]).fetchone() == (0,)
    severities = con.execute(
        "SELECT severity FROM submission_failures WHERE submission_id = ? ORDER BY severity", [rejected]
    ).fetchall()
    assert severities == [("error",), ("warning",)]
    assert submission_row(con, accepted)["is_current"] is True
    assert find_current_by_sha256(con, "census", "440000", "2024", make_submission(content="bad").file_sha256) is None


@on_both_backends("con")
def test_a_resubmission_supersedes_and_keeps_history(con):
    first = load(con, "census", "440000", [{"uscc": A, "vol_total": 5}, {"uscc": B, "vol_total": 6}])
    second = load(con, "census", "440000", [{"uscc": C, "vol_total": 100}])

    old, new = submission_row(con, first), submission_row(con, second)
    assert (old["is_current"], old["superseded_by"]) == (False, second)
    assert old["superseded_at"] is not None
    assert (new["is_current"], new["superseded_by"]) == (True, None)
    assert count(con, "raw_census_rows") == 3  # history kept
    assert con.execute("SELECT submission_id, uscc FROM stg_census_returns").fetchall() == [(second, C)]
    assert con.execute("SELECT sum(vol_total) FROM mart_holder_returns").fetchone() == (100,)


@on_both_backends("con")
def test_supersede_is_per_kind_province_and_round(con):
    census_gd = load(con, "census", "440000", [{"uscc": A}])
    load(con, "register", "440000", [{"uscc": A}])
    load(con, "census", "450000", [{"uscc": B, "division_code": "450102"}])
    load(con, "census", "440000", [{"uscc": C}], round_id="2023")
    assert submission_row(con, census_gd)["is_current"] is True
    assert con.execute("SELECT count(*) FROM submissions WHERE is_current").fetchone() == (4,)


@on_both_backends("con")
def test_duplicate_lookup_finds_only_the_current_accepted_identical_file(con):
    sha = make_submission(content="v1").file_sha256
    first = load(con, "census", "440000", [{"uscc": A}], content="v1")
    assert find_current_by_sha256(con, "census", "440000", "2024", sha) == first
    assert find_current_by_sha256(con, "census", "450000", "2024", sha) is None
    assert find_current_by_sha256(con, "register", "440000", "2024", sha) is None
    assert find_current_by_sha256(con, "census", "440000", "2023", sha) is None
    load(con, "census", "440000", [{"uscc": B}], content="v2")
    assert find_current_by_sha256(con, "census", "440000", "2024", sha) is None


@on_both_backends("con")
@pytest.mark.parametrize(
    ("break_rows", "error"),
    [
        (lambda rows: rows.drop("vol_total"), ValueError),
        (lambda rows: rows.drop("excel_row"), ValueError),
        (lambda rows: rows.with_columns(vol_total=pl.lit("十二")), duckdb.ConversionException),
    ],
    ids=["missing-field", "missing-row-number", "wrong-type"],
)
def test_a_failing_insert_leaves_nothing_behind(con, break_rows, error):
    earlier = load(con, "census", "440000", [{"uscc": A}])
    before = {t: count(con, t) for t in ("submissions", "submission_failures", "raw_census_rows")}
    rows = break_rows(make_rows("census", [{"uscc": B}, {"uscc": C}]))
    with pytest.raises(error):
        record_submission(con, make_submission(content="broken", warning_count=1), rows, [make_failure()])
    assert {t: count(con, t) for t in before} == before
    assert submission_row(con, earlier)["is_current"] is True  # the supersede was rolled back too
    assert submission_row(con, earlier)["superseded_by"] is None
    load(con, "census", "440000", [{"uscc": B}])  # the connection is usable afterwards


@on_both_backends("con")
def test_an_accepted_submission_needs_rows(con):
    with pytest.raises(ValueError, match="needs its rows"):
        record_submission(con, make_submission(), None, [])
    assert count(con, "submissions") == 0


@on_both_backends("con")
def test_fetch_register_usccs_reads_the_current_register(con):
    load(con, "register", "440000", [{"uscc": A}, {"uscc": B}])
    load(con, "register", "440000", [{"uscc": B}, {"uscc": C}])
    load(con, "register", "450000", [{"uscc": A, "division_code": "450102"}])
    assert fetch_register_usccs(con, "440000", "2024") == frozenset({B, C})
    assert fetch_register_usccs(con, "440000", "2023") == frozenset()
