"""Each flow runs for real under Prefect's test harness (once per flow: the harness costs ~15 s to enter)."""

from __future__ import annotations

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.prefect_flows import census_return_flow, register_flow
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook
from warehouse.queries import query_summary
from warehouse.store import WarehouseStore


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_register_then_census_flows_load_the_warehouse(harness, tmp_path):
    db = tmp_path / "var" / "w.duckdb"
    register = register_flow(str(register_workbook(tmp_path / "r.xlsx", 3)), PROVINCE, "省档案局", str(db))
    census = census_return_flow(str(census_workbook(tmp_path / "c.xlsx", 3)), PROVINCE, "张三", str(db))
    assert (register["status"], census["status"], census["rows"]) == ("accepted", "accepted", 3)
    with WarehouseStore(db).reader() as con:
        figures = query_summary(con, province_code=PROVINCE)["provinces"][0]
    assert (figures["units_expected"], figures["units_reported"], figures["coverage_pct"]) == (3, 3, 100.0)
