"""A register loaded after census returns: the returns' warnings against the register (not on it, far from its
annual statistics) are judged again in the register's own transaction, on real workbooks and a real warehouse.

Before, they stayed as the day each return was validated: a register loaded later gave a return none, a holder added
to the register kept its 「不在名录中」, and uploading the same file again changed nothing (a duplicate)."""

from __future__ import annotations

import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.roles import Role
from census_schema.scopes import central_scope
from cli.main import main
from flows.ingest import IngestRequest, ingest_workbook, validate_workbook
from flows.review import review_and_rejudge
from tests.conftest import backend_of, on_both_backends
from tests.flows.test_annual_stats import FIGURES, RULE, WARNING, central_organs, ingest, register
from tests.flows.workbooks import PROVINCE, holder_rows, write_rows
from warehouse.backends import EmbeddedWarehouse
from warehouse.queries import query_failures, query_quality_by_province
from warehouse.reviews import Reviewer, describe_return
from warehouse.users import add_user

NOT_REGISTERED = "uscc_not_in_register"
# As holder 0 reports it (1000 卷 + 2000 件): no warning.
SAME_FIGURES = {"annual_stats_year": 2024, "annual_stats_vol": 1_000, "annual_stats_item": 2_000}


def warnings_of(store, submission_id: str) -> tuple[list[tuple[int, str]], int]:
    """The return's recorded warnings (row, rule) and its recorded warning count."""
    with store.reader() as con:
        rows = con.execute(
            "SELECT excel_row, rule FROM submission_failures WHERE submission_id = ? ORDER BY excel_row, rule",
            [submission_id],
        ).fetchall()
        (count,) = con.execute(
            "SELECT warning_count FROM submissions WHERE submission_id = ?", [submission_id]
        ).fetchone()
    return [(row, rule) for row, rule in rows], count


def test_a_register_loaded_after_a_return_judges_its_warnings_again(store, settings, tmp_path, capsys):
    census = write_rows(tmp_path / "census.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 3))
    returned = ingest(store, settings, census, "census")
    assert (returned.status, returned.failures) == ("accepted", [])  # no register yet: nothing to compare with
    # A register of holders 0 and 1, holder 0's annual statistics far from what it reports: the return (rows 3-5)
    # now warns on holder 0 (row 3) and on holder 2, not on the register (row 5).
    first = ingest(store, settings, register(tmp_path, {0: FIGURES}, count=2), "register")
    assert (first.status, first.returns_rejudged) == ("accepted", 1)
    assert warnings_of(store, returned.submission_id) == ([(3, RULE), (5, NOT_REGISTERED)], 2)
    with store.reader() as con:
        shown = query_failures(con, "440000", severity="warning", current_only=True)
        quality = next(r for r in query_quality_by_province(con) if r["province_code"] == "440000")
    assert {(r["excel_row"], r["rule"], r["message"]) for r in shown} >= {(3, RULE, WARNING)}
    assert quality["current_warnings"] == 2
    # The same return uploaded again is a duplicate: it reports the warnings as they stand now.
    again = ingest(store, settings, census, "census")
    assert (again.status, sorted((f.row, f.rule) for f in again.failures)) == (
        "duplicate",
        [(3, RULE), (5, NOT_REGISTERED)],
    )
    # The register completed (holder 2 added, holder 0's figures as it reports them), on the command line: the
    # warnings go, and the uploader is told.
    completed = register(tmp_path, {0: SAME_FIGURES}, count=3)
    assert main(["ingest", "register", str(completed), "--province", PROVINCE, "--db", str(settings.db_path)]) == 0
    assert "已按本名录重新核对现行普查表：1 份报表的名录相关警告有变化。" in capsys.readouterr().out
    assert warnings_of(store, returned.submission_id) == ([], 0)
    # A register that changes nothing the return is judged on changes none of its warnings.
    third = ingest(store, settings, register(tmp_path, {0: SAME_FIGURES, 1: SAME_FIGURES}, count=3), "register")
    assert (third.status, third.returns_rejudged) == ("accepted", 0)


@pytest.fixture
def any_store(request, settings):
    """The embedded file, or a new DuckLake on PostgreSQL for the tests `on_both_backends` (the returns are judged
    again in the register's transaction on both backends)."""
    if backend_of(request) == "embedded":
        return EmbeddedWarehouse(settings.db_path)
    return request.getfixturevalue("make_lake")()


@on_both_backends("any_store")
def test_a_central_channel_s_register_judges_only_that_channel_s_return_again(any_store, settings, tmp_path):
    store = any_store
    organs = central_scope("organs")
    units = central_organs(2)
    central = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, units, scope=organs)
    returned = ingest(store, settings, central, "census", central=True)
    local = ingest(
        store, settings, write_rows(tmp_path / "gd.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 2)), "census"
    )
    assert returned.failures == [] == local.failures
    # The channel's register lists its first unit only: its second (row 4) is not on it; Guangdong's return is not
    # compared with a central channel's register.
    book = write_rows(tmp_path / "register.xlsx", REGISTER_FORM, units[:1], scope=organs)
    loaded = ingest(store, settings, book, "register", central=True)
    assert (loaded.status, loaded.returns_rejudged) == ("accepted", 1)
    assert warnings_of(store, returned.submission_id) == ([(4, NOT_REGISTERED)], 1)
    assert warnings_of(store, local.submission_id) == ([], 0)
    # The register returned by its reviewer: the channel has no register to compare with, so no warning (not every
    # unit "not on an empty register").
    change = store.write(
        lambda con: review_and_rejudge(con, loaded.submission_id, "return", Reviewer("planner", Role.PLANNER), "漏报")
    )
    assert change["returns_rejudged"] == 1
    assert warnings_of(store, returned.submission_id) == ([], 0)


def test_a_register_returned_by_its_reviewer_and_accepted_again_judges_the_returns_again(
    store, settings, tmp_path, capsys
):
    returned = ingest(
        store, settings, write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 3)), "census"
    )
    listed = ingest(store, settings, register(tmp_path, {0: FIGURES}, count=2), "register")
    assert warnings_of(store, returned.submission_id) == ([(3, RULE), (5, NOT_REGISTERED)], 2)
    with store.writer() as con:
        add_user(con, "planner", "hash", Role.PLANNER, None, by="管理员")
    planner = Reviewer("planner", Role.PLANNER)
    with store.reader() as con:
        said = describe_return(con, listed.submission_id, planner)
    assert said is not None and "与其核对的现行普查表将重新核对名录相关警告" in said
    # Returned on the command line: the register no longer counts, so nothing is compared with it; the reviewer is told.
    db = str(settings.db_path)
    argv = ["review", "return", listed.submission_id, "--by", "planner", "--reason", "名录不全", "--db", db]
    assert main(argv) == 0
    assert "已按审核后的名录重新核对现行普查表：1 份报表的名录相关警告有变化。" in capsys.readouterr().out
    assert warnings_of(store, returned.submission_id) == ([], 0)
    # Accepted after all: its warnings come back.
    change = store.write(lambda con: review_and_rejudge(con, listed.submission_id, "accept", planner, None))
    assert (change["to_state"], change["returns_rejudged"]) == ("已审核", 1)
    assert warnings_of(store, returned.submission_id) == ([(3, RULE), (5, NOT_REGISTERED)], 2)
    # A census return's review judges nothing again.
    change = store.write(lambda con: review_and_rejudge(con, returned.submission_id, "accept", planner, None))
    assert change["returns_rejudged"] is None


@on_both_backends("any_store")
def test_a_register_loaded_while_a_return_is_validated_has_the_return_judged_again_as_it_loads(
    any_store, settings, tmp_path
):
    store = any_store
    census = write_rows(tmp_path / "census.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 3))
    book = register(tmp_path, {0: FIGURES}, count=2)

    def validate_after_a_register_loads(step, /, *args, **kwargs):
        if step is validate_workbook:  # the register commits while the return is validated against none
            loaded = ingest(store, settings, book, "register")
            assert (loaded.status, loaded.returns_rejudged) == ("accepted", 0)  # the return is not loaded yet
        return step(*args, **kwargs)

    request = IngestRequest(census, "census", PROVINCE, "张三")
    returned = ingest_workbook(store, request, settings, run_step=validate_after_a_register_loads)
    expected = [(3, RULE), (5, NOT_REGISTERED)]
    assert returned.status == "accepted"
    assert warnings_of(store, returned.submission_id) == (expected, 2)
    assert sorted((f.row, f.rule) for f in returned.failures) == expected  # the uploader is told what is recorded
