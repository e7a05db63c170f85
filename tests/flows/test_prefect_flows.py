"""Each flow runs for real under Prefect's test harness (once per flow: the harness costs ~15 s to enter)."""

from __future__ import annotations

import json
import socket

import pytest
from prefect.testing.utilities import prefect_test_harness

from census_schema.errors import UsageError
from census_schema.forms import CURRENT_WORKBOOKS
from flows import prefect_flows
from flows.prefect_flows import flow_for
from tests.flows.supervision_workbooks import (
    ARCHIVE,
    CLOSE_WALK,
    SELF,
    evaluation_workbook,
    finding,
    indicators_workbook,
    inspection,
    inspections_workbook,
    score_sheet,
)
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook
from warehouse.backends import EmbeddedWarehouse
from warehouse.evaluation import assign_evaluator, open_evaluation, query_evaluation_results
from warehouse.queries import query_summary


def test_every_registered_kind_has_its_flow_named_by_the_registry():
    assert {kind: flow_for(kind).name for kind in CURRENT_WORKBOOKS} == {
        "census": "census-return",
        "register": "census-register",
        "inspections": "supervision-inspections",
        "evaluation": "supervision-evaluation",
        "indicators": "supervision-indicators",
    }


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_register_then_census_flows_load_the_warehouse(harness, tmp_path):
    db = tmp_path / "var" / "w.duckdb"
    register = flow_for("register")(str(register_workbook(tmp_path / "r.xlsx", 3)), PROVINCE, "省档案局", str(db))
    census = flow_for("census")(str(census_workbook(tmp_path / "c.xlsx", 3)), PROVINCE, "张三", str(db))
    assert (register["status"], census["status"], census["rows"]) == ("accepted", "accepted", 3)
    with EmbeddedWarehouse(db).reader() as con:
        figures = query_summary(con, province_code=PROVINCE)["provinces"][0]
    assert (figures["units_expected"], figures["units_reported"], figures["coverage_pct"]) == (3, 3, 100.0)


def test_a_run_records_in_the_audit_log_where_its_upload_came_from_not_where_it_ran(harness, tmp_path):
    # A province's web upload run by a worker was logged as 命令行, with no address.
    db = tmp_path / "var" / "w.duckdb"
    flow_for("register")(str(register_workbook(tmp_path / "r.xlsx", 3)), PROVINCE, "省档案局", str(db))
    census = census_workbook(tmp_path / "c.xlsx", 3)
    flow_for("census")(str(census), PROVINCE, "guangdong", str(db), audit_via="web", audit_address="10.4.5.6")
    with EmbeddedWarehouse(db).reader() as con:
        logged = con.execute(
            "SELECT via, source_address FROM audit_log WHERE kind = 'submission' AND actor = 'guangdong'"
        ).fetchall()
    assert logged and set(logged) == {("web", "10.4.5.6")}


def test_a_request_run_again_reports_its_own_load_and_a_run_without_one_is_named_by_its_flow_run(harness, tmp_path):
    # A run scheduled again after its worker died found the file its first attempt had loaded and said 未作改动.
    from census_schema.settings import load_settings
    from flows.ingest import IngestRequest
    from flows.run import run_ingestion

    settings = load_settings(tmp_path / "var" / "w.duckdb")
    request = IngestRequest(census_workbook(tmp_path / "c.xlsx", 3), "census", PROVINCE, "张三")
    first, again = (run_ingestion(request, settings, "prefect") for _ in "12")
    assert (first["status"], again["status"], again["submission_id"]) == (
        "accepted",
        "accepted",
        first["submission_id"],
    )
    # Started with no request (from Prefect's own UI): each run its own, a file sent again by another a duplicate.
    # (The outcome itself, not the state: State.result() returned a coroutine where an event loop ran.)
    assert flow_for("census")(str(request.path), PROVINCE, "张三", str(settings.db_path))["status"] == "duplicate"
    state = flow_for("census")(
        str(census_workbook(tmp_path / "d.xlsx", 4)), PROVINCE, "张三", str(settings.db_path), return_state=True
    )
    with EmbeddedWarehouse(settings.db_path).reader() as con:
        logged = [
            json.loads(after)["request_id"]
            for (after,) in con.execute(
                "SELECT after_state FROM audit_log WHERE kind = 'submission' ORDER BY occurred_at"
            ).fetchall()
        ]
    assert logged == [request.request_id, str(state.state_details.flow_run_id)]


def test_the_supervision_flows_load_inspections_scores_and_indicator_values(harness, tmp_path):
    db = tmp_path / "var" / "w.duckdb"
    store = EmbeddedWarehouse(db)
    with store.writer() as con:
        open_evaluation(con, "规划处")
        for expert in ("专家甲", "专家乙", "专家丙"):
            assign_evaluator(con, ARCHIVE, expert, "规划处")
    inspections = inspections_workbook(tmp_path / "i.xlsx", [inspection(1)], [finding(1)], CLOSE_WALK)
    scores = evaluation_workbook(
        tmp_path / "e.xlsx", [row for scorer in (SELF, "专家甲", "专家乙", "专家丙") for row in score_sheet(scorer)]
    )
    values = indicators_workbook(tmp_path / "v.xlsx", [{"indicator_code": "ZB01", "year": 2023, "value": 95}])
    outcomes = [
        flow_for("inspections")(str(inspections), None, "国家档案局", str(db)),
        flow_for("evaluation")(str(scores), None, "专家组", str(db)),
        flow_for("indicators")(str(values), None, "规划处", str(db)),
    ]
    assert [(o["status"], o["errors"]) for o in outcomes] == [("accepted", 0)] * 3
    with store.reader() as con:
        closed = con.execute("SELECT status FROM findings").fetchall()
        result = next(r for r in query_evaluation_results(con) if r["archive_code"] == ARCHIVE)
    assert closed == [("已销号",)] and (result["status"], result["grade"]) == ("已完成", "优秀")


def test_the_daily_reminders_flow_writes_the_days_reminders(harness, tmp_path):
    from flows.prefect_flows import daily_reminders

    db = tmp_path / "var" / "w.duckdb"
    summary = daily_reminders(str(db), "2025-06-30")
    assert summary["as_of"] == "2025-06-30" and summary["by_kind"] == {"未报送": summary["total"]}
    with EmbeddedWarehouse(db).reader() as con:
        assert con.execute("SELECT count(*) FROM reminders").fetchone() == (summary["total"],)


def test_a_flow_run_in_the_caller_s_process_uses_the_caller_s_reader_and_no_heartbeats(harness, tmp_path):
    from prefect import flow
    from prefect.settings import get_current_settings

    from census_schema.settings import load_settings
    from flows.ingest import IngestRequest
    from flows.prefect_flows import run_in_process
    from flows.run import run_ingestion
    from flows.worker import ReaderWorker

    settings = load_settings(tmp_path / "var" / "w.duckdb")
    with ReaderWorker.from_settings(settings) as reader:
        assert reader.pid is None
        request = IngestRequest(register_workbook(tmp_path / "r.xlsx", 3), "register", PROVINCE, "省档案局")
        assert run_ingestion(request, settings, "prefect", worker=reader)["status"] == "accepted"
        assert reader.pid is not None, "the flow run read the workbook in a reader of its own"

    @flow
    def heartbeat_interval() -> int | None:
        return get_current_settings().flows.heartbeat_frequency

    assert run_in_process(heartbeat_interval) is None
    assert heartbeat_interval() is not None  # a run that is not in the caller's process keeps them


def test_a_worker_whose_own_settings_fail_is_named_as_the_machine_at_fault(tmp_path, monkeypatch):
    # A worker started without ARCHIVE_CENSUS_DATA_PATH refused the run in words that sent the operator to fix the
    # shell that submitted it, where the variable was set.
    monkeypatch.delenv("ARCHIVE_CENSUS_DATA_PATH", raising=False)
    outcome = tmp_path / "outcome.json"
    with pytest.raises(UsageError) as refused:
        prefect_flows._ingest(
            "census", str(tmp_path / "c.xlsx"), PROVINCE, "tester", "ducklake:postgres:dbname=x", str(outcome)
        )
    said = json.loads(outcome.read_text(encoding="utf-8"))["error"]["message"]
    assert said == refused.value.describe()
    assert f"运行本次流程的进程（主机 {socket.gethostname()}" in said and "ARCHIVE_CENSUS_DATA_PATH" in said


def test_a_run_is_never_told_a_password_written_in_the_warehouse_s_address(tmp_path):
    # A run's parameters are kept by the Prefect server and shown by its API: the catalog's password went with them.
    import dataclasses

    from census_schema.settings import load_settings
    from flows.run import warehouse_parameter

    url = "ducklake:postgres:dbname=census host=10.0.0.9 password='s3cret pw' user=census"
    settings = dataclasses.replace(load_settings(tmp_path / "w.duckdb"), warehouse_url=url)
    assert warehouse_parameter(settings) == "ducklake:postgres:dbname=census host=10.0.0.9 user=census"
    assert warehouse_parameter(load_settings(tmp_path / "w.duckdb")) == str((tmp_path / "w.duckdb").absolute())
