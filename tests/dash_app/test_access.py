"""Access control of the web app, without a browser: a real warehouse of two provinces, the real app, Flask's client.

Callbacks are posted the way the Dash renderer posts them (POST /_dash-update-component with output, outputs,
inputs, state and changedPropIds), so a forged request is exactly what a user with the browser's developer tools
could send.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dash
import openpyxl
import pytest
from werkzeug.security import check_password_hash

from census_schema.breakdowns import CARRIERS
from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.divisions import load_divisions
from census_schema.errors import IllegalTransition
from census_schema.fields import MAX_FILE_NAME_CHARS
from census_schema.forms import CURRENT_WORKBOOKS
from census_schema.layout import ERRORS_SHEET, HEADER_ROW, rule_cell
from census_schema.roles import Role
from dash_app import ids
from dash_app.access import Viewer, for_web
from dash_app.app import ASSETS, close_app, create_app
from dash_app.auth import hash_password
from dash_app.components import query_string
from dash_app.context import CONTEXT_EXTENSION
from dash_app.formatting import (
    KEPT_REVIEW_NOTE,
    area_name,
    figure_label,
    format_count,
    format_magnitude,
    format_number,
    shown_review_note,
)
from dash_app.grid import EXPORT_HEADER_ROW, link_parts
from dash_app.pages import PAGES, lineage
from dash_app.pages import submissions as submissions_page
from dash_app.pages import upload as upload_page
from dash_app.pages.lineage import value_column
from dash_app.pages.overview import build_cards, build_red_panel
from dash_app.reminders import reminders_panel
from dash_app.throttle import ACCOUNT_POLICY
from dash_app.uploads import INFRASTRUCTURE_FAILED, UploadJobs
from flows.ingest import IngestRequest, ingest_workbook
from synthetic.holders import make_uscc
from tests.cluster import ROOT
from tests.dash_app.conftest import (
    PROVINCE_HOLDERS,
    USERS,
    add_users,
    password_of,
    province_workbook,
    read_meta,
    read_sheet,
    web_settings,
)
from tests.flows.supervision_workbooks import finding, inspection, inspections_workbook
from tests.flows.workbooks import census_workbook
from tests.formula_text import INJECTION, assert_kept_as_text
from tests.warehouse.test_schema_evolution import legacy_copy
from warehouse.backends import EmbeddedWarehouse, WarehouseUnavailable
from warehouse.connection import connect_warehouse
from warehouse.queries import list_submissions, query_data_as_of, query_figure_lineage, query_summary
from warehouse.users import add_user

PROVINCES = tuple(PROVINCE_HOLDERS)
REGISTERED, REPORTED = 4, 3
FORMULA_TEXT = INJECTION
GUANGXI_USCC_PREFIX = PROVINCE_HOLDERS["450000"][1]
HELPER_COLUMNS = ("联系人邮箱", "核对人")
# Guangdong's holder that does not report is named like a formula: it shows in the missing holders' grid.
FORMULA_EDITS = {"440000": {REPORTED: {"unit_name": FORMULA_TEXT}}, "450000": {}}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Registers and accepted returns of 440000 and 450000, one user per role, and the app over them."""
    folder = tmp_path_factory.mktemp("access")
    settings = web_settings(folder / "var" / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    for province in PROVINCES:
        for form, count in ((REGISTER_FORM, REGISTERED), (CENSUS_FORM, REPORTED)):
            path = folder / f"{form.kind}-{province}.xlsx"
            province_workbook(path, form, province, count, FORMULA_EDITS[province] if count > REPORTED else None)
            outcome = ingest_workbook(store, IngestRequest(path, form.kind, province, "测试"), settings)
            assert outcome.status == "accepted", outcome.failures
    add_users(store, [*USERS, ("lockme", Role.PROVINCE, "440000")])
    app = create_app(settings)
    yield app, store, folder
    close_app(app)


@pytest.fixture
def app(site):
    return site[0]


def client_of(app, user_name: str | None = None, address: str = "127.0.0.1"):
    """A Flask test client, signed in as the user if one is named; `address` is its remote address (sign-in
    throttling counts failures per address: tests that fail on purpose use addresses of their own)."""
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if user_name:
        response = client.post("/login", data={"username": user_name, "password": password_of(user_name)})
        assert response.status_code == 302, response.text
    return client


def callback_key(outputs: Sequence[tuple[str, str]]) -> str:
    """Dash's name of a callback: `id.prop`, or `..id1.prop1...id2.prop2..` for several outputs."""
    names = [f"{component}.{prop}" for component, prop in outputs]
    return names[0] if len(names) == 1 else ".." + "...".join(names) + ".."


def post_callback(app, client, outputs, inputs, state=()):
    """POST a callback request as the Dash renderer does; inputs and state are (id, prop, value) triples."""
    key = callback_key(outputs)
    # A typo would get HTTP 400 ("回调不存在"), which a test of refusals must not mistake for one.
    assert key in app.callback_map, key
    targets = [{"id": component, "property": prop} for component, prop in outputs]
    body = {
        "output": key,
        "outputs": targets[0] if len(targets) == 1 else targets,
        "inputs": [{"id": c, "property": p, "value": v} for c, p, v in inputs],
        "state": [{"id": c, "property": p, "value": v} for c, p, v in state],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
    }
    return client.post("/_dash-update-component", json=body)


def returned(response, component: str, prop: str) -> Any:
    """One output value of a successful callback response."""
    assert response.status_code == 200, response.status_code
    return response.json["response"][component][prop]


def grid_outputs(app, grid_id: str) -> list[tuple[str, str]]:
    """The outputs of a grid's row callback: its rows, its count and, for a grid with a 合计 row, that row."""
    rows = [(grid_id, "rowData"), (ids.grid_count(grid_id), "children")]
    with_total = [*rows, (grid_id, "pinnedBottomRowData")]
    return with_total if callback_key(with_total) in app.callback_map else rows


def grid_inputs(app, grid_id: str) -> list[tuple[str, str]]:
    """The (id, prop) inputs of a grid's row callback, as registered."""
    entry = app.callback_map[callback_key(grid_outputs(app, grid_id))]
    return [(i["id"], i["property"]) for i in entry["inputs"]]


def load_grid(app, client, grid_id: str, *values: Any):
    """POST a grid's rowData callback with these input values."""
    inputs = [(*target, value) for target, value in zip(grid_inputs(app, grid_id), values, strict=True)]
    return post_callback(app, client, grid_outputs(app, grid_id), inputs)


def grid_rows(app, client, grid_id: str, *values: Any) -> list[dict[str, Any]]:
    """The rows a grid receives."""
    return returned(load_grid(app, client, grid_id, *values), grid_id, "rowData")


def export_grid(app, client, grid_id: str, shown: list[Mapping[str, Any]] | None, *values: Any):
    """POST a grid's export callback as if its button was clicked while the grid showed `shown`."""
    state = [(grid_id, "virtualRowData", shown)]
    state += [(*target, value) for target, value in zip(grid_inputs(app, grid_id), values, strict=True)]
    return post_callback(
        app, client, [(ids.export_download(grid_id), "data")], [(ids.export_button(grid_id), "n_clicks", 1)], state
    )


def exported_workbook(response, grid_id: str) -> openpyxl.Workbook:
    """The workbook an export callback sends."""
    data = returned(response, ids.export_download(grid_id), "data")
    assert data["filename"].endswith(".xlsx") and data["base64"]
    return openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))


COVERAGE_GRIDS = (ids.COVERAGE_GRID, ids.COVERAGE_MISSING_GRID, ids.COVERAGE_UNREGISTERED_GRID)
QUALITY_GRIDS = (
    ids.QUALITY_GRID,
    ids.QUALITY_ERRORS_GRID,
    ids.QUALITY_WARNINGS_GRID,
    ids.QUALITY_OUTLIERS_GRID,
    ids.QUALITY_DUPLICATES_GRID,
)
OVERVIEW = [
    (ids.OVERVIEW_MAP, "figure"),
    (ids.OVERVIEW_CARDS, "children"),
    (ids.OVERVIEW_PROVINCE, "children"),
    (ids.OVERVIEW_TABLE, "children"),
]
PAGES_CONTENT = [("_pages_content", "children"), ("_pages_store", "data")]


def render_page(app, client, path: str, search: str = ""):
    """POST the callback that renders a page's layout."""
    return post_callback(
        app, client, PAGES_CONTENT, [("_pages_location", "pathname", path), ("_pages_location", "search", search)]
    )


# --- signed out -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/coverage?division=440000", "/quality", "/submissions", "/upload"])
def test_pages_redirect_to_login_when_signed_out(app, path):
    response = client_of(app).get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    # What does not follow it (curl, a script) reads Chinese, not Flask's "Redirecting...".
    assert '正在跳转到 <a href="/login?next=' in response.text and "Redirecting" not in response.text


def test_callbacks_downloads_and_uploads_refuse_anonymous_requests(app, tmp_path):
    client = client_of(app)
    assert load_grid(app, client, ids.COVERAGE_GRID, "").status_code == 401
    assert export_grid(app, client, ids.COVERAGE_MISSING_GRID, None, "").status_code == 401
    for path in ("/_dash-layout", "/_dash-dependencies", "/download/template/census", "/download/report/abc"):
        assert client.get(path).status_code == 401, path
    # A download link opened signed out says so in Chinese, with the way to sign in (it was Werkzeug's English).
    page = client.get("/download/report/abc").text
    assert "需要登录" in page and 'href="/login?next=/download/report/abc"' in page and "Unauthorized" not in page
    workbook = census_workbook(tmp_path / "c.xlsx")
    response = client.post(
        "/api/upload",
        data={"kind": "census", "file": (workbook.open("rb"), "c.xlsx")},
        content_type="multipart/form-data",
        headers={"Referer": "http://localhost/upload?kind=census"},
    )
    assert response.status_code == 401
    # An upload sent after the session ended (signed out in another tab) is told it was not received, and the way
    # back to the upload page.
    assert "本次提交的内容（如上传的工作簿）没有收到，数据没有改动。请登录后回到原页面重新提交。" in response.text
    assert "请登录后再打开" not in response.text
    assert 'href="/login?next=/upload%3Fkind%3Dcensus"' in response.text


def test_login_page_health_and_assets_are_public(app):
    client = client_of(app)
    assert client.get("/login").status_code == 200
    assert client.get("/health").json == {"status": "ok"}
    assert client.get("/assets/china_provinces.geojson").status_code == 200
    assert client.get("/assets/topojson/world_110m.json").status_code == 200


@pytest.mark.parametrize("path", ["/login-x", "/logoutfoo", "/healthz", "/favicon.ico.html"])
def test_an_address_that_only_begins_like_a_public_one_needs_signing_in(app, path):
    response = client_of(app).get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "path", ["/_dash-component-suites/dash/dash.py", "/_dash-component-suites/dash/%2e%2e/%2e%2e/etc/passwd"]
)
def test_a_file_dash_does_not_serve_is_not_found_not_a_server_error(app, path, caplog):
    response = client_of(app).get(path)
    assert response.status_code == 404 and "找不到页面或文件" in response.text
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_every_tab_is_titled_by_its_page_and_the_platform_s_one_name(app):
    titles = {page["path"]: page["title"] for page in dash.page_registry.values()}
    assert (
        titles["/"] == "总览 · 国有档案资源普查与监督平台"
        and titles["/404"] == "页面不存在 · 国有档案资源普查与监督平台"
    )
    assert all(title.endswith(" · 国有档案资源普查与监督平台") for title in titles.values())
    # The sign-in page said 国有档案资源普查平台: the platform had two names.
    assert "<title>登录 · 国有档案资源普查与监督平台</title>" in client_of(app).get("/login").text
    # An error page in the platform's look and name, the status a footnote (it read 找不到页面或文件（404）).
    missing = client_of(app, "planner").get("/data-docs/no-such-run/")
    assert missing.status_code == 404 and "<title>找不到页面或文件 · 国有档案资源普查与监督平台</title>" in missing.text
    assert 'href="/assets/app.css"' in missing.text and "<h1>找不到页面或文件</h1>" in missing.text


# --- signing in ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "password"), [("guangdong", "wrong-password"), ("nobody", "pw-nobody-2024")])
def test_a_wrong_password_or_unknown_user_does_not_sign_in(app, user, password):
    client = client_of(app, address="10.0.0.1")
    response = client.post("/login", data={"username": user, "password": password})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.text
    assert f'value="{user}" required>' in response.text  # the name typed stays
    assert client.get("/").status_code == 302


def test_the_name_typed_comes_back_escaped_after_a_refused_sign_in(app):
    typed = '"><img src=x onerror=alert(1)>'
    response = client_of(app, address="10.0.0.2").post("/login", data={"username": typed, "password": "x-y-z-1234"})
    assert "用户名或密码不正确" in response.text and "<img" not in response.text
    assert 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" required>' in response.text
    assert 'autocomplete="current-password" required autofocus>' in response.text  # the password has the focus


def test_an_unknown_user_costs_the_same_password_check_as_a_known_one(app, monkeypatch):
    checked = []

    def counting(stored_hash: str, password: str) -> bool:
        checked.append(stored_hash)
        return check_password_hash(stored_hash, password)

    monkeypatch.setattr("dash_app.auth.check_password_hash", counting)
    for user in ("guangxi", "no-such-user"):
        client_of(app, address="10.0.0.2").post("/login", data={"username": user, "password": "wrong-password"})
    assert len(checked) == 2 and all(h.startswith("scrypt:") for h in checked)


def test_repeated_failures_slow_a_new_browser_even_for_the_right_password(app):
    client = client_of(app, address="10.0.0.3")
    for _ in range(ACCOUNT_POLICY.free_failures):
        client.post("/login", data={"username": "lockme", "password": "not-the-password"})
    response = client.post("/login", data={"username": "lockme", "password": password_of("lockme")})
    assert response.status_code == 429 and "登录尝试过于频繁" in response.text
    assert client.get("/").status_code == 302
    # Other accounts are not affected.
    assert client_of(app, "guangdong").get("/").status_code == 200


@pytest.mark.parametrize(
    ("next_page", "expected"),
    [
        ("/coverage?division=440000", "/coverage?division=440000"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        # What browsers turn into //evil.example: a backslash is a slash, tabs and line breaks are dropped.
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        # Parsed with an empty host, but Werkzeug sends it as //evil.example/x.
        ("////evil.example/x", "/"),
        ("///evil.example/x", "/"),
    ],
)
def test_after_sign_in_only_local_pages_are_followed(app, next_page, expected):
    response = client_of(app).post(
        "/login", data={"username": "planner", "password": password_of("planner"), "next": next_page}
    )
    assert response.headers["Location"] == expected


def test_a_backslash_next_page_stays_on_this_site(app):
    response = client_of(app).post(
        "/login", data={"username": "planner", "password": password_of("planner"), "next": "/\\evil.example"}
    )
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location


# --- a provincial office sees its own province only ----------------------------------------------------------------


@pytest.mark.parametrize("search", ["?division=450000", "?division=450100", "?division=450102"])
@pytest.mark.parametrize("grid_id", COVERAGE_GRIDS)
def test_a_forged_coverage_request_for_another_province_is_refused(app, grid_id, search):
    response = load_grid(app, client_of(app, "guangdong"), grid_id, search)
    assert response.status_code == 403
    assert GUANGXI_USCC_PREFIX not in response.text


@pytest.mark.parametrize("grid_id", COVERAGE_GRIDS)
def test_a_forged_export_for_another_province_is_refused(app, grid_id):
    response = export_grid(app, client_of(app, "guangdong"), grid_id, None, "?division=450000")
    assert response.status_code == 403


def test_breadcrumbs_of_another_province_are_refused(app):
    client = client_of(app, "guangdong")
    response = post_callback(
        app, client, [(ids.COVERAGE_CRUMBS, "children")], [(ids.URL, "search", "?division=450000")]
    )
    assert response.status_code == 403


def coverage_total(app, client, search: str) -> dict[str, Any] | None:
    """The 合计 row of the coverage grid."""
    response = load_grid(app, client, ids.COVERAGE_GRID, search)
    total = returned(response, ids.COVERAGE_GRID, "pinnedBottomRowData")
    return total[0] if total else None


COUNTS = ("units_expected", "units_reported", "units_missing", "units_unregistered")


@pytest.mark.parametrize(("user", "search"), [("planner", ""), ("guangdong", ""), ("planner", "?division=440100")])
def test_coverage_rows_add_up_to_their_total_own_level_included(app, user, search):
    client = client_of(app, user)
    rows = grid_rows(app, client, ids.COVERAGE_GRID, search)
    total = coverage_total(app, client, search)
    assert rows and total is not None
    assert {c: sum(r[c] for r in rows) for c in COUNTS} == {c: total[c] for c in COUNTS}
    assert total["units_expected"] > 0


@pytest.mark.parametrize("division", ["440000", "441300"])
def test_coverage_lists_every_division_below_even_one_with_no_unit_in_the_register(app, division):
    # A city or county with no one in the register was left out of the drill-down (东莞市; four of 惠州市's five
    # counties): the very gap a planner must see. It is listed with 0 expected.
    rows = grid_rows(app, client_of(app, "planner"), ids.COVERAGE_GRID, f"?division={division}")
    below = {d.code for d in load_divisions().children(division)}
    assert below <= {row["division_code"] for row in rows}
    empty = [row for row in rows if row["division_code"] in below and row["units_expected"] == 0]
    assert empty and all(row["units_reported"] == row["units_missing"] == 0 for row in empty)


def test_the_coverage_export_ends_with_the_grid_s_total_and_shows_no_pseudo_code(app):
    client = client_of(app, "planner")
    rows = grid_rows(app, client, ids.COVERAGE_GRID, "")
    sheet = exported_workbook(export_grid(app, client, ids.COVERAGE_GRID, rows, ""), ids.COVERAGE_GRID).active
    header = [cell.value for cell in sheet[EXPORT_HEADER_ROW]]
    *body, total = sheet.iter_rows(min_row=EXPORT_HEADER_ROW + 1, values_only=True)
    assert len(body) == len(rows)
    expected = coverage_total(app, client, "")
    assert total[:2] == ("合计", None)
    assert total[header.index("应报（个）")] == expected["units_expected"] > 0
    assert sheet.cell(sheet.max_row, 1).font.bold
    # The central channels' row: named 中央, its 区划代码 empty (its key `central` is not a division code).
    central = next(row for row in body if row[0] == "中央")
    assert central[1] is None and all(row[1] != "central" for row in body)
    assert all(row["shown_code"] == row["division_code"] for row in rows if row["level"] == "province")


def test_a_province_user_s_coverage_rows_are_its_own(app):
    client = client_of(app, "guangdong")
    children = grid_rows(app, client, ids.COVERAGE_GRID, "")
    assert children and {row["division_code"][:2] for row in children} == {"44"}
    missing = grid_rows(app, client, ids.COVERAGE_MISSING_GRID, "")
    assert [(row["province_code"], row["unit_name"]) for row in missing] == [("440000", FORMULA_TEXT)]
    assert grid_rows(app, client, ids.COVERAGE_UNREGISTERED_GRID, "") == []
    # A planner sees both provinces' missing holders.
    national = grid_rows(app, client_of(app, "planner"), ids.COVERAGE_MISSING_GRID, "")
    assert {row["province_code"] for row in national} == {"440000", "450000"}


def overview(app, user: str, search: str = "", metric: str = "holdings"):
    return post_callback(
        app, client_of(app, user), OVERVIEW, [(ids.OVERVIEW_METRIC, "value", metric), (ids.URL, "search", search)]
    )


def test_an_overview_address_naming_another_province_or_none_says_whose_figures_it_shows(app):
    # A province's office asking for another province's overview got its own without a word (/coverage said why).
    said = {
        (who, query): render_page(app, client_of(app, who), "/", query).text
        for who, query in [("guangdong", "?province=450000"), ("planner", "?province=999999"), ("guangdong", "")]
    }
    assert "无权查看广西壮族自治区的数据：只能查看本省，下面是广东省的数据。" in said[("guangdong", "?province=450000")]
    assert "「999999」不是省级行政区划代码，下面是全国的数据。" in said[("planner", "?province=999999")]
    assert ids.OVERVIEW_NOTICE not in said[("guangdong", "")]


def test_a_province_user_s_overview_is_its_own_province_s_view(app):
    response = overview(app, "guangdong", "?province=450000")  # the query is a national user's choice only
    figure = returned(response, ids.OVERVIEW_MAP, "figure")
    coloured = [t for t in figure["data"] if t["type"] == "choropleth" and t.get("name") != "无数据"]
    # Its prefectures on its own map: Guangdong's holders lie in Guangzhou (440100).
    assert coloured and all(trace["geojson"] == "/assets/prefectures/440000.geojson" for trace in figure["data"])
    assert [trace["locations"] for trace in coloured] == [["440100"]]
    assert figure["layout"]["title"]["text"].startswith("广东省各市")
    # Holdings: Guangdong's 3 returns of 1,000 volumes and 2,000 items each; the nation has twice that.
    cards = json.dumps(returned(response, ids.OVERVIEW_CARDS, "children"), ensure_ascii=False)
    assert "9,000" in cards and "18,000" not in cards
    panel = json.dumps(returned(response, ids.OVERVIEW_PROVINCE, "children"), ensure_ascii=False)
    assert "广东省数据质量" in panel and "广东省规划指标" in panel and "广西" not in panel
    # The map's table under it: the same prefectures, each with its figure and its way one level down.
    table = json.dumps(returned(response, ids.OVERVIEW_TABLE, "children"), ensure_ascii=False)
    assert "广州市" in table and "/coverage?division=440100" in table and "4501" not in table
    assert "广东省普查总览" in render_page(app, client_of(app, "guangdong"), "/").text
    planner = overview(app, "planner")
    assert "18,000" in json.dumps(returned(planner, ids.OVERVIEW_CARDS, "children"), ensure_ascii=False)
    assert returned(planner, ids.OVERVIEW_PROVINCE, "children") == []
    # A national user opens any province's own view by its address.
    guangxi = returned(overview(app, "planner", "?province=450000"), ids.OVERVIEW_MAP, "figure")
    assert guangxi["data"][0]["geojson"] == "/assets/prefectures/450000.geojson"
    # A province without data yet draws every prefecture in grey (无数据), not an empty chart; so does a prefecture
    # without data beside those with some.
    sichuan = returned(overview(app, "planner", "?province=510000"), ids.OVERVIEW_MAP, "figure")
    assert [trace["name"] for trace in sichuan["data"]] == ["无数据"]
    assert set(sichuan["data"][0]["locations"]) == {child.code for child in load_divisions().children("510000")}
    grey = next(trace for trace in figure["data"] if trace.get("name") == "无数据")
    assert "440300" in grey["locations"] and "440100" not in grey["locations"]
    # A municipality's own view draws its districts and counties (Beijing's map was one shape, titled 北京市各市).
    beijing = returned(overview(app, "planner", "?province=110000"), ids.OVERVIEW_MAP, "figure")
    drawn = {code for trace in beijing["data"] for code in trace["locations"]}
    assert drawn == {child.code for child in load_divisions().children("110100")} and "110105" in drawn
    assert beijing["layout"]["title"]["text"].startswith("北京市各区县")
    assert "点击区县查看其覆盖情况" in render_page(app, client_of(app, "planner"), "/", "?province=110000").text
    # The Corps has no geometry: it drew an empty map (its geometry a 404) under a hint to click its cities.
    corps = returned(overview(app, "planner", "?province=660000"), ids.OVERVIEW_MAP, "figure")
    assert corps["data"] == [] and "没有可绘制的下级区划边界" in corps["layout"]["annotations"][0]["text"]
    assert returned(overview(app, "planner", "?province=660000"), ids.OVERVIEW_TABLE, "children")["props"]["open"]
    # A share's hover gives its % once (审核进度（%）：66.67%), a count's its unit.
    for search in ("?province=450000", ""):
        shares = returned(overview(app, "planner", search, "coverage_pct"), ids.OVERVIEW_MAP, "figure")
        hovers = [t["hovertemplate"] for t in shares["data"] if "z" in t and "hovertemplate" in t]
        assert hovers and all("普查覆盖率：%{z:.2f}%" in h and "（%）" not in h for h in hovers), hovers
    counts = returned(overview(app, "planner"), ids.OVERVIEW_MAP, "figure")
    assert any("馆（室）藏总量（卷件）：%{z:,.0f}<extra>" in t.get("hovertemplate", "") for t in counts["data"])
    page = render_page(app, client_of(app, "planner"), "/", "?province=660000").text
    assert "本地区没有可绘制的地图边界" in page and "点击地级市" not in page
    corps_panel = returned(overview(app, "planner", "?province=660000"), ids.OVERVIEW_PROVINCE, "children")
    said = json.dumps(corps_panel, ensure_ascii=False)
    assert "打印新疆生产建设兵团简报" in said and "本省简报" not in said  # the Corps is no province


def test_a_share_is_coloured_from_the_tens_below_its_least_to_100_and_a_count_over_its_own_values(app):
    """Coverage of 97.0 % and 97.8 % was drawn as the lightest and the darkest blue; then, on a scale from 0, every
    province's 94.8 % to 98.1 % was one dark blue: a share's colours run from the tens below its least value to 100."""
    for search in ("", "?province=440000"):
        for metric in ("coverage_pct", "holdings"):
            figure = returned(overview(app, "planner", search, metric), ids.OVERVIEW_MAP, "figure")
            coloured = [t for t in figure["data"] if t["type"] == "choropleth" and t.get("name") != "无数据"]
            assert coloured, (search, metric)
            for trace in coloured:
                shown, values = (trace.get("zmin"), trace.get("zmax")), [float(z) for z in trace["z"]]
                if metric != "holdings":
                    assert shown == (10 * (min(values) // 10), 100) and shown[0] > 0, (search, shown, min(values))
                elif search:  # a province's prefectures: between their own least and greatest (one: its value + 1)
                    assert shown == (min(values), max(values) if max(values) > min(values) else min(values) + 1)
                else:  # the nation: plotly's own range over the provinces' values
                    assert shown == (None, None)


def test_the_overview_cards_give_shelf_length_and_full_time_staff_each_with_its_rows(app, site):
    with site[1].reader() as con:
        figures = query_summary(con, province_code="440000")["provinces"][0]
    assert figures["shelf_m"] > 0 and figures["staff_fulltime"] > 0
    cards = json.dumps(returned(overview(app, "guangdong"), ids.OVERVIEW_CARDS, "children"), ensure_ascii=False)
    for label, value, figure in (
        ("总排架长度", format_number(figures["shelf_m"], 1), "shelf_m"),
        ("专职档案人员", format_count(figures["staff_fulltime"]), "staff_fulltime"),
    ):
        assert re.search(f"{label}.*?{re.escape(value)}.*?/lineage\\?figure={figure}&division=440000", cards), label
    client = client_of(app, "guangdong")
    response = post_callback(app, client, [(ids.LINEAGE_SUMMARY, "children")], [(ids.URL, "search", "?figure=shelf_m")])
    sentence = returned(response, ids.LINEAGE_SUMMARY, "children")
    # Written as the overview's card writes it, to one decimal (it read 23,614,069.00 here, 23,614,069.0 there).
    assert sentence.startswith(f"广东省总排架长度 = {format_number(figures['shelf_m'], 1)} 米")
    # Its returns are those that count (a return sent back is current, and counts nowhere): not "现行报表".
    assert re.search(r"来自 \d+ 份计入统计的报表的 [\d,]+ 行。$", sentence), sentence


def test_a_rate_on_the_map_traces_to_its_numerator_s_rows(app, site):
    # 综合档案馆档案开放率's 数据来源 led to the holdings it divides by: its opened holdings had no trace at all.
    from dash_app.pages.overview import region_hrefs

    with site[1].reader() as con:
        archives = query_summary(con, province_code="440000")["provinces"][0]["bases"]["comprehensive"]
    for metric, figure in (("opened_pct", "comprehensive_opened"), ("digitization_pct", "comprehensive_digitized")):
        search = f"?figure={figure}&division=440000"
        assert region_hrefs("440000", metric)[1] == "/lineage" + search
    client = client_of(app, "guangdong")
    response = post_callback(app, client, [(ids.LINEAGE_SUMMARY, "children")], [(ids.URL, "search", search)])
    digitized = archives["digitized_vol"] + archives["digitized_item"]
    assert returned(response, ids.LINEAGE_SUMMARY, "children").startswith(
        f"广东省综合档案馆已数字化档案（卷 + 件） = {digitized:,} 卷件"
    )
    search = "?figure=comprehensive_opened&division=440000"
    response = post_callback(app, client, [(ids.LINEAGE_SUMMARY, "children")], [(ids.URL, "search", search)])
    assert returned(response, ids.LINEAGE_SUMMARY, "children").startswith(
        f"广东省综合档案馆已开放档案 = {archives['opened']:,} 卷件"
    )
    assert sum(r["value"] for r in grid_rows(app, client, ids.LINEAGE_ROWS_GRID, search)) == archives["opened"]
    # Each return says whose it is and how far its review has come (a figure counts returns still under review).
    returns = grid_rows(app, client, ids.LINEAGE_RETURNS_GRID, "?figure=holdings&division=440000")
    with site[1].reader() as con:
        progress = {s["submission_id"]: (s["scope_name"], s["review_progress"]) for s in list_submissions(con)}
    assert returns and all((r["scope_name"], r["review_progress"]) == progress[r["submission_id"]] for r in returns)


def test_the_holders_expected_trace_to_the_register_s_rows(app, site):
    # 应报普查对象 comes from the register, not the returns: it had no 来源 and /lineage could not show it.
    with site[1].reader() as con:
        expected = query_summary(con, province_code="440000")["provinces"][0]["units_expected"]
        registers = {
            r[0] for r in con.execute("SELECT submission_id FROM submissions WHERE kind = 'register'").fetchall()
        }
    cards = json.dumps(returned(overview(app, "guangdong"), ids.OVERVIEW_CARDS, "children"), ensure_ascii=False)
    assert re.search(f"应报普查对象.*?{expected:,}.*?/lineage\\?figure=units_expected&division=440000", cards)
    client = client_of(app, "guangdong")
    search = "?figure=units_expected&division=440000"
    response = post_callback(app, client, [(ids.LINEAGE_SUMMARY, "children")], [(ids.URL, "search", search)])
    assert returned(response, ids.LINEAGE_SUMMARY, "children").startswith(
        f"广东省应报普查对象（普查对象名录） = {expected:,} 个"
    )
    rows = grid_rows(app, client, ids.LINEAGE_ROWS_GRID, search)
    assert len(rows) == expected and {r["submission_id"] for r in rows} <= registers
    uscc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[REGISTER_FORM.field_names.index("uscc")]
    assert all(r["cell"] == f"{uscc}{r['excel_row']}" for r in rows)
    # Each row says its file, then sheet, row and cell (the file was only in the returns grid above).
    exported = export_grid(app, client, ids.LINEAGE_ROWS_GRID, rows, search)
    header = [cell.value for cell in exported_workbook(exported, ids.LINEAGE_ROWS_GRID).active[EXPORT_HEADER_ROW]]
    assert header.index("文件") < header.index("工作表") < header.index("行号") < header.index("单元格（模板列）")


@pytest.mark.parametrize("grid_id", QUALITY_GRIDS)
def test_a_province_user_s_quality_rows_are_its_own(app, grid_id):
    response = load_grid(app, client_of(app, "guangdong"), grid_id, "/quality")
    rows = returned(response, grid_id, "rowData")
    assert all(row["province_code"] == "440000" for row in rows)
    assert GUANGXI_USCC_PREFIX not in response.text and "450000" not in response.text
    if grid_id == ids.QUALITY_GRID:
        assert [row["province_code"] for row in rows] == ["440000"]


def test_a_province_user_s_submissions_and_trend_are_its_own(app, site):
    client = client_of(app, "guangdong")
    rows = grid_rows(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, "")
    with site[1].reader() as con:
        own = {s["submission_id"] for s in list_submissions(con, "440000")}
    assert {row["submission_id"] for row in rows} == own and len(own) == 2
    # Opened from a figure's lineage: that submission alone; another province's is not shown by its id.
    first = sorted(own)[0]
    only = grid_rows(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, f"?submission={first}")
    assert [row["submission_id"] for row in only] == [first]
    # The link's number in another case (typed, or pasted from a message): the same submission, named as stored.
    lower = grid_rows(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, f"?submission={first.lower()}")
    assert [row["submission_id"] for row in lower] == [first]
    page = render_page(app, client, "/submissions", f"?submission={first.lower()}").text
    assert f"只显示提交 {first}。" in page and f"只显示提交 {first.lower()}" not in page
    with site[1].reader() as con:
        other = next(s["submission_id"] for s in list_submissions(con) if s["province_code"] != "440000")
    assert grid_rows(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, f"?submission={other}") == []
    trend = post_callback(app, client, [(ids.QUALITY_TREND, "figure")], [(ids.URL, "pathname", "/quality")])
    bars = returned(trend, ids.QUALITY_TREND, "figure")["data"]
    assert all(len(bar["x"]) == 1 for bar in bars)  # Guangdong's one census submission


def test_lineage_of_another_province_s_holder_is_empty_for_a_province_user(app):
    guangxi_holder = make_uscc(30_000, GUANGXI_USCC_PREFIX)
    assert grid_rows(app, client_of(app, "guangdong"), ids.LINEAGE_GRID, guangxi_holder) == []
    assert len(grid_rows(app, client_of(app, "planner"), ids.LINEAGE_GRID, guangxi_holder)) == 1


@pytest.mark.parametrize(
    ("search", "said"),
    [
        ("?figure=units_reported&division=110000", "无权查看该范围的数据"),
        ("?figure=units_reported&division=central", "无权查看该范围的数据"),
        ("?figure=units_reported&division=999999", "「999999」不是现行的行政区划代码"),
        # Not another figure shown in its place (the holdings were, with nothing said).
        ("?figure=coverage_pct&division=440000", "「coverage_pct」不是本页可以追溯来源的数字"),
        ("?figure=foo", "「foo」不是本页可以追溯来源的数字"),
    ],
)
def test_a_province_user_asking_another_scope_s_lineage_is_told_so_on_the_page(app, search, said):
    # Not a blank page with a 403 in the console (the layout's refusal broke the page).
    response = render_page(app, client_of(app, "guangdong"), "/lineage", search)
    assert response.status_code == 200
    assert any(said in text for text in strings_in(returned(response, "_pages_content", "children")))


def test_a_lineage_names_its_scope_as_people_do():
    scopes = (None, "440000", "440100", "440106", "110105", "central", "central:enterprises")
    assert [area_name(s) for s in scopes] == [
        *("全国", "广东省", "广东省广州市", "广东省广州市天河区", "北京市朝阳区"),  # not 北京市北京市朝阳区 (a probe)
        *("中央渠道", "中央企业"),
    ]


@pytest.mark.parametrize(
    ("row", "note"),
    [
        ({"review_state": "已退回", "return_reason": "第4行请核实"}, "第4行请核实"),
        ({"review_state": "已审核", "return_reason": "第4行请核实"}, "曾退回：第4行请核实"),
        # Who sent it back, by name (the upload page named them, /submissions did not).
        (
            {"review_state": "已退回", "return_reason": "第4行请核实", "returner": "王敏（planner）"},
            "王敏（planner）退回：第4行请核实",
        ),
        (
            {"review_state": "已审核", "return_reason": "请核实", "returner": "王敏（planner）"},
            "曾由王敏（planner）退回：请核实",
        ),
        ({"review_state": "已审核", "kept_reason": "与所替换的报送「S1」相同"}, KEPT_REVIEW_NOTE),
        ({"review_state": "已退回", "return_reason": "请核实", "kept_reason": "相同"}, "请核实"),  # returned after
        ({"review_state": "待审核"}, ""),
        # Sent again unchanged after a return: its reviewer reads so, with why the first was returned.
        (
            {"review_state": "待审核", "resent_reason": "与被退回的报送「S1」逐行逐项相同"},
            "与被退回的报送「S1」逐行逐项相同",
        ),
        ({"review_state": "已退回", "return_reason": "仍未改", "resent_reason": "与被退回的报送「S1」相同"}, "仍未改"),
    ],
)
def test_a_submission_s_review_note_says_why_it_was_returned_or_why_it_needed_no_reviewer(row, note):
    assert shown_review_note(row) == note


def test_a_lineage_export_heads_its_value_column_with_the_figure_asked_for(app):
    client = client_of(app, "planner")
    for figure in ("holdings", "e_gb"):
        title = value_column(figure).title
        search = f"?figure={figure}&division=440000"
        for grid_id in (ids.LINEAGE_RETURNS_GRID, ids.LINEAGE_ROWS_GRID):
            shown = grid_rows(app, client, grid_id, search)
            sheet = exported_workbook(export_grid(app, client, grid_id, shown, search), grid_id).active
            header = [cell.value for cell in sheet[EXPORT_HEADER_ROW]]
            assert title in header and "合计数" not in header and "数值" not in header
            *body, total = sheet.iter_rows(min_row=EXPORT_HEADER_ROW + 1, values_only=True)
            assert shown and [row[header.index(title)] for row in body] == [row["value"] for row in shown]
            pinned = returned(load_grid(app, client, grid_id, search), grid_id, "pinnedBottomRowData")[0]
            assert total[0] == "合计" and total[header.index(title)] == pinned["value"]


def test_a_lineage_export_shows_the_submission_link_as_text_that_opens_its_page(app):
    client = client_of(app, "planner")
    search = "?figure=holdings&division=440000"
    shown = grid_rows(app, client, ids.LINEAGE_RETURNS_GRID, search)
    sheet = exported_workbook(
        export_grid(app, client, ids.LINEAGE_RETURNS_GRID, shown, search), ids.LINEAGE_RETURNS_GRID
    ).active
    header = [cell.value for cell in sheet[EXPORT_HEADER_ROW]]
    column = header.index("提交记录") + 1
    links = [sheet.cell(EXPORT_HEADER_ROW + 1 + n, column) for n in range(len(shown))]
    assert shown and [cell.value for cell in links] == ["打开提交"] * len(shown)
    assert [cell.hyperlink.target for cell in links] == [
        f"http://localhost/submissions?submission={row['submission_id']}" for row in shown
    ]


@pytest.mark.parametrize(
    ("markdown", "parts"),
    [
        (r"[整改报告\(2024\)\-1\.pdf](/evidence/F1/2)", ("整改报告(2024)-1.pdf", "/evidence/F1/2")),
        (r"粤档发\[2024\] 3 号", ("粤档发[2024] 3 号", None)),
        ("", ("", None)),
    ],
)
def test_a_link_cell_is_exported_as_the_text_a_person_reads(markdown, parts):
    assert link_parts(markdown) == parts


def test_a_province_user_cannot_review_another_province_s_submissions(app, site):
    with site[1].reader() as con:
        target = next(s for s in list_submissions(con, "450000") if s["kind"] == "census")
    response = post_callback(
        app,
        client_of(app, "guangdong"),
        [(ids.SUBMISSIONS_REVIEW_RESULT, "children")],
        [
            (ids.SUBMISSIONS_ACCEPT, "n_clicks", 1),
            (ids.SUBMISSIONS_RETURN, "n_clicks", None),
            (ids.SUBMISSIONS_WITHDRAW, "n_clicks", None),
        ],
        [(ids.SUBMISSIONS_REVIEW_ID, "value", target["submission_id"]), (ids.SUBMISSIONS_REVIEW_REASON, "value", "x")],
    )
    message = returned(response, ids.SUBMISSIONS_REVIEW_RESULT, "children")
    assert "找不到报送记录" in message and "广西" not in message
    # Another return chosen (a row clicked): what was said of the last one goes, not read as about the new one.
    (key,) = [k for k in app.callback_map if k.startswith(f"{ids.SUBMISSIONS_REVIEW_RESULT}.children@")]
    chosen = client_of(app, "guangdong").post(
        "/_dash-update-component",
        json={
            "output": key,
            "outputs": {"id": ids.SUBMISSIONS_REVIEW_RESULT, "property": "children"},
            "inputs": [{"id": ids.SUBMISSIONS_REVIEW_ID, "property": "value", "value": "S-x"}],
            "changedPropIds": [f"{ids.SUBMISSIONS_REVIEW_ID}.value"],
        },
    )
    assert returned(chosen, ids.SUBMISSIONS_REVIEW_RESULT, "children") == ""
    with site[1].reader() as con:
        after = next(s for s in list_submissions(con, "450000") if s["submission_id"] == target["submission_id"])
    assert after["review_state"] == target["review_state"]


# --- exports -------------------------------------------------------------------------------------------------------


def test_an_export_holds_exactly_the_authorised_rows_shown_and_formulas_stay_text(app):
    client = client_of(app, "guangdong")
    own = grid_rows(app, client, ids.COVERAGE_MISSING_GRID, "")
    forged = {**own[0], "province_code": "450000", "uscc": make_uscc(30_003, GUANGXI_USCC_PREFIX), "unit_name": "伪造"}
    invented = {**own[0], "uscc": make_uscc(99_999), "unit_name": "凭空捏造"}
    response = export_grid(app, client, ids.COVERAGE_MISSING_GRID, [forged, *own, invented], "")
    sheet = exported_workbook(response, ids.COVERAGE_MISSING_GRID).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "未报送普查对象（广东省）"
    assert rows[1][0].startswith("数据截至：") and "导出人：guangdong" in rows[1][0]
    assert rows[EXPORT_HEADER_ROW - 1] == ["省份或中央渠道", "区划", "统一社会信用代码", "单位名称", "类型", "说明"]
    assert [row[:4] for row in rows[EXPORT_HEADER_ROW:]] == [
        [r["province_name"], r["division_name"], r["uscc"], r["unit_name"]] for r in own
    ]
    assert rows[EXPORT_HEADER_ROW][:2] == ["广东省", "广州市天河区"]  # names, not codes
    assert_kept_as_text(sheet.cell(row=EXPORT_HEADER_ROW + 1, column=4))


def test_an_export_follows_the_grid_s_order_and_without_grid_state_holds_every_authorised_row(app):
    client = client_of(app, "planner")
    rows = grid_rows(app, client, ids.COVERAGE_MISSING_GRID, "")
    reordered = list(reversed(rows))
    shown = exported_workbook(
        export_grid(app, client, ids.COVERAGE_MISSING_GRID, reordered, ""), ids.COVERAGE_MISSING_GRID
    )
    body = shown.active.iter_rows(min_row=EXPORT_HEADER_ROW + 1, values_only=True)
    assert [row[2] for row in body] == [r["uscc"] for r in reordered]
    everything = exported_workbook(
        export_grid(app, client, ids.COVERAGE_MISSING_GRID, None, ""), ids.COVERAGE_MISSING_GRID
    )
    assert everything.active.max_row == EXPORT_HEADER_ROW + len(rows)
    # Rows a column filter left say so above the header: the file read as all of them.
    assert len(rows) > 1 and "列筛选" not in str(everything.active.cell(EXPORT_HEADER_ROW - 1, 1).value)
    filtered = exported_workbook(
        export_grid(app, client, ids.COVERAGE_MISSING_GRID, rows[:1], ""), ids.COVERAGE_MISSING_GRID
    ).active
    assert filtered.cell(EXPORT_HEADER_ROW - 1, 1).value == f"按表格的列筛选导出：共 {len(rows):,} 条中的 1 条。"
    assert filtered.max_row == EXPORT_HEADER_ROW + 1


# --- evaluators ----------------------------------------------------------------------------------------------------


def test_an_evaluator_cannot_read_census_data(app):
    client = client_of(app, "evaluator")
    assert (
        post_callback(
            app, client, OVERVIEW, [(ids.OVERVIEW_METRIC, "value", "coverage_pct"), (ids.URL, "search", "")]
        ).status_code
        == 403
    )
    for grid_id in COVERAGE_GRIDS:
        assert load_grid(app, client, grid_id, "").status_code == 403
        assert export_grid(app, client, grid_id, None, "").status_code == 403
    for grid_id in QUALITY_GRIDS:
        assert load_grid(app, client, grid_id, "/quality").status_code == 403
    assert load_grid(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, "").status_code == 403
    assert load_grid(app, client, ids.LINEAGE_GRID, make_uscc(30_000, GUANGXI_USCC_PREFIX)).status_code == 403
    assert post_callback(app, client, [(ids.QUALITY_TREND, "figure")], [(ids.URL, "pathname", "/")]).status_code == 403
    assert client.get("/download/template/census?province=440000").status_code == 403


@pytest.mark.parametrize(
    ("user", "path", "component"),
    [
        ("planner", "/", ids.OVERVIEW_MAP),
        ("planner", "/coverage", ids.COVERAGE_GRID),
        ("planner", "/quality", ids.QUALITY_GRID),
        ("planner", "/submissions", ids.SUBMISSIONS_GRID),
        ("guangdong", "/", ids.OVERVIEW_MAP),
        ("guangdong", "/upload", ids.UPLOAD_FILE),
    ],
)
def test_every_page_renders_for_its_roles(app, user, path, component):
    response = render_page(app, client_of(app, user), path)
    assert response.status_code == 200
    assert component in response.text and ids.PAGE_REFUSED not in response.text


def headings(node: Any) -> list[str]:
    """The heading levels of a rendered layout (Dash's JSON of components), in document order: ["H1", "H2", …]."""
    if isinstance(node, list):
        return [level for child in node for level in headings(child)]
    if not isinstance(node, dict):
        return []
    own = (
        [node["type"]]
        if node.get("namespace") == "dash_html_components" and re.fullmatch(r"H[1-6]", node.get("type", ""))
        else []
    )
    inside = node["props"] if "props" in node else node  # a component's props, or the response around the layout
    return own + [level for value in inside.values() for level in headings(value)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.PATH)
def test_each_page_has_one_h1_and_its_headings_skip_no_level(app, page):
    # Pages began at h2 (no h1): a screen reader's outline had no page title.
    user = next(u for u, role, _ in USERS if role in page.ROLES)
    layout = json.loads(render_page(app, client_of(app, user), page.PATH).text)
    levels = [int(level[1:]) for level in headings(layout)]
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(levels)), levels


def test_a_changing_outcome_is_announced_to_screen_readers(app):
    upload = render_page(app, client_of(app, "guangdong"), "/upload").text
    review = render_page(app, client_of(app, "planner"), "/submissions").text
    for text, component in ((upload, ids.UPLOAD_STATUS), (review, ids.SUBMISSIONS_REVIEW_RESULT)):
        assert re.search(
            f'"id": ?"{component}"[^}}]*"role": ?"status"|"role": ?"status"[^}}]*"id": ?"{component}"', text
        )
    refused = client_of(app).post("/login", data={"username": "guangdong", "password": "wrong-password-1"})
    assert 'role="alert"' in refused.text


def ids_module_names() -> set[str]:
    """Every id dash_app.ids names: its constants, the ids its helpers derive from one (a grid's export button),
    from a page (its breakdown chart) or from a workbook kind (its template's link)."""
    constants = {value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)}
    grid_parts = {
        h(c) for c in constants for h in (ids.export_button, ids.export_download, ids.grid_count, ids.grid_filtered)
    }
    pages = {page.__name__.rsplit(".", 1)[-1] for page in PAGES}
    breakdowns = {
        h(page) for page in pages for h in (ids.breakdown_choice, ids.breakdown_graph, ids.breakdown_carriers)
    }
    templates = {ids.template_link(kind) for kind in CURRENT_WORKBOOKS}
    return constants | grid_parts | breakdowns | templates


def test_every_component_a_callback_uses_is_named_in_dash_app_ids(app):
    used = set()
    for key, entry in app.callback_map.items():
        outputs = [key] if not key.startswith("..") else key[2:-2].split("...")
        used |= {name.rsplit(".", 1)[0] for name in outputs}
        dependencies = [*entry["inputs"], *entry.get("state", [])]
        used |= {d["id"] if isinstance(d["id"], str) else json.dumps(d["id"]) for d in dependencies}
    assert len(used) > 50
    named = ids_module_names()
    # A pattern-matching id is named by its type; Dash's own components of its pages feature are not the app's.
    strays = [
        u
        for u in used
        if not u.startswith("_pages") and (json.loads(u)["type"] if u.startswith("{") else u) not in named
    ]
    assert sorted(strays) == []


def test_no_module_of_the_app_but_ids_spells_a_component_id():
    """Pages, forms and the sign-in page take their ids from dash_app.ids (an id written out elsewhere would be a
    second name for the same element, found by no test that uses the first)."""
    spelled = re.compile(r"""\b(?:id|htmlFor|for_id)=f?["'][a-z]""")
    package = ROOT / "dash_app"
    strays = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "ids.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line)
    ]
    assert strays == []


def test_the_upload_form_is_a_plain_multipart_post(app):
    response = render_page(app, client_of(app, "guangdong"), "/upload")
    markup = [text for text in strings_in(returned(response, "_pages_content", "children")) if "<form" in text]
    assert len(markup) == 1
    for part in (
        'action="/api/upload"',
        'method="POST"',
        'encType="multipart/form-data"',
        'type="file"',
        'name="file"',
    ):
        assert part in markup[0], part


def strings_in(tree: Any) -> list[str]:
    """Every string inside a serialised component tree."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [text for value in tree.values() for text in strings_in(value)]
    if isinstance(tree, list):
        return [text for value in tree for text in strings_in(value)]
    return []


@pytest.mark.parametrize(("user", "path"), [("evaluator", "/"), ("evaluator", "/coverage"), ("evaluator", "/upload")])
def test_a_page_outside_the_user_s_role_renders_a_refusal(app, user, path):
    response = render_page(app, client_of(app, user), path)
    assert response.status_code == 200
    assert ids.PAGE_REFUSED in response.text
    assert ids.OVERVIEW_MAP not in response.text and ids.COVERAGE_GRID not in response.text
    role = dict((name, r) for name, r, _ in USERS)[user]
    links = [p.PATH for p in PAGES if role in p.ROLES]
    assert hrefs_in(returned(response, "_pages_content", "children")) == links


@pytest.mark.parametrize(
    ("user", "back"), [("planner", ("/", "返回总览")), ("evaluator", ("/evaluation", "返回业务建设评价"))]
)
def test_an_unknown_address_leads_back_to_a_page_the_user_may_open(app, user, back):
    # 返回总览 sent an evaluator (and a central channel's office) to a page that refused it.
    response = render_page(app, client_of(app, user), "/no-such-page")
    assert ids.PAGE_NOT_FOUND in response.text
    content = returned(response, "_pages_content", "children")
    assert hrefs_in(content) == [back[0]] and back[1] in strings_in(content)


def hrefs_in(tree: Any) -> list[str]:
    """Every link target inside a serialised component tree, in order."""
    if isinstance(tree, dict):
        own = [tree["props"]["href"]] if "href" in tree.get("props", {}) else []
        return own + [href for value in tree.get("props", {}).values() for href in hrefs_in(value)]
    if isinstance(tree, list):
        return [href for value in tree for href in hrefs_in(value)]
    return []


# --- uploads and downloads -----------------------------------------------------------------------------------------


def upload(client, path: Path, kind: str = "census"):
    return client.post(
        "/api/upload", data={"kind": kind, "file": (path.open("rb"), path.name)}, content_type="multipart/form-data"
    )


def job_status(app, client, job_id: str) -> tuple[str, bool]:
    """The upload page's status (as JSON text) for ?job=job_id, and whether polling has stopped."""
    response = post_callback(
        app,
        client,
        [(ids.UPLOAD_STATUS, "children"), (ids.UPLOAD_POLL, "disabled")],
        [(ids.UPLOAD_POLL, "n_intervals", 1), (ids.URL, "search", f"?job={job_id}")],
    )
    children = returned(response, ids.UPLOAD_STATUS, "children")
    return json.dumps(children, ensure_ascii=False), returned(response, ids.UPLOAD_POLL, "disabled")


def wait_for_job(app, client, job_id: str, timeout_s: float = 90.0) -> str:
    """Poll like the page does until the job has finished; its status text."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text, finished = job_status(app, client, job_id)
        if finished:
            return text
        time.sleep(0.2)
    raise AssertionError(f"upload job {job_id} did not finish in {timeout_s} s: {text}")


@pytest.fixture(scope="module")
def rejected_job(site):
    """Guangdong uploads a return that breaks two rules; the job id once it has finished."""
    app, _, folder = site
    client = client_of(app, "guangdong")
    bad = census_workbook(folder / "bad.xlsx", 3, {1: {"vol_total": 1001}, 2: {"contact_phone": "12345"}})
    # Two helper columns of the clerk's own: two warnings of one sheet, row and rule, with no field.
    workbook = openpyxl.load_workbook(bad)
    sheet = workbook[CENSUS_FORM.sheet_name]
    for label in HELPER_COLUMNS:
        column = sheet.max_column + 1
        sheet.cell(HEADER_ROW, column, label)
        sheet.cell(HEADER_ROW + 1, column, "x")
    workbook.save(bad)
    response = upload(client, bad)
    assert response.status_code == 302 and response.headers["Location"].startswith("/upload?job=")
    job_id = response.headers["Location"].split("=", 1)[1]
    status = wait_for_job(app, client, job_id)
    assert "未通过校验" in status and f"/download/report/{job_id}" in status, status
    return job_id


def test_the_uploader_downloads_the_annotated_report(app, rejected_job):
    response = client_of(app, "guangdong").get(f"/download/report/{rejected_job}")
    assert response.status_code == 200
    errors = read_sheet(response.data, ERRORS_SHEET)
    assert {(row[1], row[5]) for row in errors[1:]} >= {
        (4, rule_cell("vol_total_sum")),
        (5, rule_cell("contact_phone_format")),
    }


@pytest.mark.parametrize("user", ["guangxi", "planner", "admin"])
def test_another_user_s_upload_report_and_job_are_not_found(app, rejected_job, user):
    client = client_of(app, user)
    assert client.get(f"/download/report/{rejected_job}").status_code == 404
    if user == "guangxi":
        status, finished = job_status(app, client, rejected_job)
        assert finished and "bad.xlsx" not in status and rejected_job not in status
        assert grid_rows(app, client, ids.UPLOAD_FAILURES_GRID, f"?job={rejected_job}", None) == []


def test_a_rejected_return_s_report_is_kept_under_its_submission_for_its_province_after_a_restart(
    site, rejected_job, open_app
):
    app, store, folder = site
    with store.reader() as con:
        submissions = con.execute(
            "SELECT status, submission_id FROM submissions WHERE province_code = '440000' "
            "AND (status = 'accepted' OR file_name = 'bad.xlsx')"
        )
        ids_by_status = dict(submissions.fetchall())
    rejected, accepted = ids_by_status["rejected"], ids_by_status["accepted"]
    status, _ = job_status(app, client_of(app, "guangdong"), rejected_job)
    assert (
        f"/submissions?submission={rejected}" in status
        and f"中（提交编号 {rejected}），以后可以在那里再次下载" in status
    )

    restarted = open_app(web_settings(folder / "var" / "warehouse.duckdb"))
    uploader = client_of(restarted, "guangdong")
    assert uploader.get(f"/download/report/{rejected_job}").status_code == 404  # the job was the old server's
    # Its page still names the file and its outcome, and says where the report is now (it read 找不到这次上传的处理
    # 记录, and before that 选择工作簿后点击“上传并校验”, as if none).
    status, finished = job_status(restarted, uploader, rejected_job)
    assert finished and "「bad.xlsx」（" in status and "上传）未通过校验，整份退回。服务器此后重新启动过" in status
    assert f"/submissions?submission={rejected}" in status and f"（提交编号 {rejected}）" in status
    assert "bad.xlsx" not in job_status(restarted, client_of(restarted, "guangxi"), rejected_job)[0]
    url = f"/download/submission-report/{rejected}"
    response = uploader.get(url)
    assert response.status_code == 200 and quote("bad-错误报告.xlsx") in response.headers["Content-Disposition"]
    errors = read_sheet(response.data, ERRORS_SHEET)
    assert {(row[1], row[5]) for row in errors[1:]} >= {
        (4, rule_cell("vol_total_sum")),
        (5, rule_cell("contact_phone_format")),
    }
    # /submissions links to it once its id is filled in, for those who may see the submission.
    link = [(ids.SUBMISSIONS_REPORT_LINK, prop) for prop in ("href", "style", "children")]
    for user, shown in (("guangdong", url), ("planner", url), ("guangxi", None)):
        answer = post_callback(
            restarted, client_of(restarted, user), link, [(ids.SUBMISSIONS_REVIEW_ID, "value", rejected)]
        )
        assert returned(answer, ids.SUBMISSIONS_REPORT_LINK, "href") == shown, user
        if shown:
            said = returned(answer, ids.SUBMISSIONS_REPORT_LINK, "children")
            assert said == "下载所填提交的错误报告（原工作簿，出错的单元格已标注）"
    assert client_of(restarted, "guangxi").get(url).status_code == 404
    # Its errors, then its warnings, are listed there too, as the upload page listed them.
    listed = grid_rows(restarted, uploader, ids.SUBMISSIONS_FAILURES_GRID, rejected)
    with store.reader() as con:
        counts = con.execute(
            "SELECT error_count, warning_count FROM submissions WHERE submission_id = ?", [rejected]
        ).fetchone()
    severities = [r["severity"] for r in listed]
    assert severities == ["错误"] * counts[0] + ["警告"] * counts[1] and counts[1] > 0, listed
    assert {(r["row"], r["rule"]) for r in listed} >= {(4, "vol_total_sum"), (5, "contact_phone_format")}
    assert client_of(restarted, "evaluator").get(url).status_code == 403
    page = uploader.get(f"/download/submission-report/{accepted}")
    assert page.status_code == 404 and "通过了校验，没有错误，也没有警告：没有需要标注的单元格" in page.text


def test_the_uploader_sees_the_failures_listed(app, rejected_job):
    client = client_of(app, "guangdong")
    rows = grid_rows(app, client, ids.UPLOAD_FAILURES_GRID, f"?job={rejected_job}", None)
    assert {(row["sheet"], row["row"], row["rule"], row["severity"]) for row in rows} >= {
        (CENSUS_FORM.sheet_name, 4, "vol_total_sum", "错误"),
        (CENSUS_FORM.sheet_name, 5, "contact_phone_format", "错误"),
    }
    # Exported as shown, each failure once: the two helper columns' warnings share a sheet, row and rule.
    exported = exported_workbook(
        export_grid(app, client, ids.UPLOAD_FAILURES_GRID, rows, f"?job={rejected_job}", None), ids.UPLOAD_FAILURES_GRID
    ).active
    header = [c.value for c in exported[EXPORT_HEADER_ROW]]
    assert header == [c.title for c in upload_page.FAILURE_COLUMNS] and "工作表" in header
    label_at = header.index("列名")
    labels = [row[label_at] for row in exported.iter_rows(min_row=EXPORT_HEADER_ROW + 1, values_only=True)]
    assert len(labels) == len(rows) and sorted(label for label in labels if label in HELPER_COLUMNS) == sorted(
        HELPER_COLUMNS
    )


def test_an_unexpected_error_in_an_upload_job_fails_the_job_and_is_logged(site, monkeypatch, caplog, tmp_path):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("dash_app.uploads.run_ingestion", broken)
    jobs = UploadJobs(web_settings(site[2] / "var" / "warehouse.duckdb"))
    saved = census_workbook(tmp_path / "saved.xlsx")
    job = jobs.submit(Viewer("guangdong", Role.PROVINCE, "440000"), "census", saved, "c.xlsx")
    jobs.wait(job.job_id)
    assert job.status == "failed" and "已记录日志" in (job.error or "")
    assert "disk on fire" in caplog.text
    assert not saved.exists()


def test_the_findings_grid_shows_only_for_an_upload_with_findings(app, site, rejected_job):
    # After a file that could not be read (a CSV renamed), its empty 校验结果 (共 0 条) read as "no problems".
    client = client_of(app, "guangdong")
    renamed = site[2] / "renamed-csv.xlsx"
    renamed.write_text("统一社会信用代码,单位名称\n", encoding="utf-8")
    unusable = upload(client, renamed).headers["Location"].split("=", 1)[1]
    assert "无法处理「renamed-csv.xlsx」" in wait_for_job(app, client, unusable)

    def hidden(search: str) -> bool:
        shown = post_callback(
            app,
            client,
            [(ids.UPLOAD_FAILURES_SECTION, "hidden")],
            [(ids.URL, "search", search), (ids.UPLOAD_STATUS, "children", None)],
        )
        return returned(shown, ids.UPLOAD_FAILURES_SECTION, "hidden")

    assert (hidden(f"?job={unusable}"), hidden(""), hidden(f"?job={rejected_job}")) == (True, True, False)


def test_an_unusable_upload_is_named_once_in_what_the_page_says(site, tmp_path):
    jobs = UploadJobs(web_settings(site[2] / "var" / "warehouse.duckdb"))
    try:
        saved = tmp_path / "saved.xlsx"
        saved.write_text("统一社会信用代码,单位名称\n", encoding="utf-8")  # a CSV given the workbook's name
        job = jobs.submit(Viewer("guangdong", Role.PROVINCE, "440000"), "census", saved, "广东省普查表.xlsx")
        jobs.wait(job.job_id)
    finally:
        jobs.close()
    said = upload_page.describe_job(job)[0].children
    assert (
        job.status == "failed"
        and said.startswith("无法处理「广东省普查表.xlsx」：")
        and said.count("广东省普查表") == 1
    )


def test_each_role_uploads_only_its_own_kinds_of_workbook(app, site):
    workbook = census_workbook(site[2] / "upload-good.xlsx")
    # The bureau sends census returns of the central channels only: a province's is refused once its scope is read.
    planner = client_of(app, "planner")
    refused = wait_for_job(app, planner, upload(planner, workbook).headers["Location"].split("=", 1)[1])
    assert "国家档案局在此只上传中央单位" in refused, refused
    assert upload(client_of(app, "evaluator"), workbook).status_code == 403
    assert upload(client_of(app, "admin"), workbook).status_code == 403
    assert upload(client_of(app, "guangdong"), workbook, kind="inspections").status_code == 403  # the bureau's
    assert upload(client_of(app, "guangdong"), workbook, kind="red_archives").status_code == 400  # a sheet, not a kind


def test_a_planner_uploads_an_inspections_workbook_that_takes_effect_without_review(app, site):
    _, store, folder = site
    records = [inspection(91, inspection_id="JC2023-091")]
    path = inspections_workbook(folder / "web-inspections.xlsx", records, [finding(1, 91)])
    client = client_of(app, "planner")
    response = upload(client, path, kind="inspections")
    assert response.status_code == 302
    job_id = response.headers["Location"].split("job=")[1]
    assert "已接收" in wait_for_job(app, client, job_id)
    with store.reader() as con:
        loaded = con.execute(
            "SELECT submitted_by, province_code, review_state FROM submissions WHERE kind = 'inspections'"
        )
        assert loaded.fetchall() == [("planner", None, None)]  # the bureau's own, no province, no review
        assert con.execute("SELECT finding_id FROM findings").fetchall() == [("JC2023-091-01",)]
    # The job is the planner's alone: another user polling it is told of no such upload of theirs, nothing of it.
    status = job_status(app, client_of(app, "guangdong"), job_id)[0]
    assert "找不到这次上传的处理记录" in status and path.name not in status and "已接收：" not in status


def test_the_bureau_downloads_the_national_templates_and_a_province_does_not(app):
    for kind in ("inspections", "evaluation", "indicators"):
        response = client_of(app, "planner").get(f"/download/template/{kind}")
        assert response.status_code == 200, kind
        assert read_meta(response.data)["form_kind"] == kind
        assert client_of(app, "guangdong").get(f"/download/template/{kind}").status_code == 403
    assert client_of(app, "planner").get("/download/template/red_archives").status_code == 404
    # The evaluation's for one archive lists each of its items to score (the clerk typed every 评分项编号).
    response = client_of(app, "planner").get("/download/template/evaluation?archive=440000")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["评分表"]
    assert [row[:4] for row in sheet.iter_rows(min_row=3, max_row=4, values_only=True)] == [
        ("440000", "广东省档案馆", "自评", "A1.1.1"),
        ("440000", "广东省档案馆", "自评", "A1.1.2"),
    ]
    assert quote("业务建设评价评分模板-广东省档案馆（自评）.xlsx") in response.headers["Content-Disposition"]
    refused = client_of(app, "planner").get("/download/template/evaluation?archive=999999")
    assert refused.status_code == 400 and "不是参加评价的副省级以上综合档案馆代码" in refused.text
    assert client_of(app, "guangdong").get("/download/template/evaluation?archive=440000").status_code == 403


def test_a_feedback_report_that_cannot_be_made_yet_says_why_on_a_page_with_a_way_back(app):
    # No evaluation round in this warehouse (as an archive 待合议 or 未完成 in one): it was a bare plain-text 404.
    response = client_of(app, "planner").get("/download/evaluation/440000")
    assert (response.status_code, response.mimetype) == (409, "text/html")
    assert (
        "反馈报告尚不能生成" in response.text and "评价轮次" in response.text and 'href="/evaluation"' in response.text
    )


def test_a_province_user_s_template_is_for_its_own_province(app):
    response = client_of(app, "guangdong").get("/download/template/census?province=450000")
    assert response.status_code == 200
    assert read_meta(response.data)["province_code"] == "440000"
    assert quote("普查表模板-广东省.xlsx") in response.headers["Content-Disposition"]  # its own, by name
    # A client reading only the plain name got -.xlsx (the ASCII letters of 普查表模板-广东省.xlsx): the address's words.
    assert response.headers["Content-Disposition"].startswith("attachment; filename=download-template-census.xlsx; ")


def test_a_planner_chooses_the_template_s_province(app):
    client = client_of(app, "planner")
    response = client.get("/download/template/register?province=450000")
    assert response.status_code == 200
    meta = read_meta(response.data)
    assert (meta["province_code"], meta["form_kind"]) == ("450000", "register")
    assert client.get("/download/template/census").status_code == 400
    assert client.get("/download/template/nonsense?province=450000").status_code == 404


def test_a_template_of_a_division_outside_the_province_is_refused_in_chinese(app):
    # It answered 400 (a malformed request), where another prefecture's template answers a prefecture 403.
    response = client_of(app, "guangdong").get("/download/template/census?division=110101")
    assert response.status_code == 403
    assert (
        "无权下载该模板" in response.text
        and "北京市东城区（110101）不在广东省范围内" in response.text
        and "<h1>" in response.text
    )


def test_an_upload_over_the_size_limit_gets_a_chinese_page_back_to_the_upload_page(app, site):
    limit_mb = site[0].server.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    client = client_of(app, "guangdong")
    response = client.post(
        "/api/upload",
        data={"kind": "census", "file": (io.BytesIO(b"x" * (limit_mb + 1) * 1024 * 1024), "big.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "文件过大" in response.text and "MB 的上限" in response.text and 'href="/upload"' in response.text


def breakdown_figure(app, user: str, page: str, key: str, search: str = "") -> dict[str, Any]:
    response = post_callback(
        app,
        client_of(app, user),
        [(ids.breakdown_graph(page), "figure")],
        [(ids.breakdown_choice(page), "value", key), (ids.URL, "search", search)],
    )
    return returned(response, ids.breakdown_graph(page), "figure")


def test_a_province_user_s_breakdowns_are_its_own(app):
    # Each province: 3 reported 企事业单位档案室 of 3,000 卷件; the nation has twice that.
    own = breakdown_figure(app, "guangdong", "overview", "by_holder_type")["data"][0]
    national = breakdown_figure(app, "planner", "overview", "by_holder_type")["data"][0]
    assert dict(zip(own["y"], own["x"], strict=True))["企事业单位档案室"] == 9_000
    assert dict(zip(national["y"], national["x"], strict=True))["企事业单位档案室"] == 18_000
    # A national user on a province's own view (or its coverage) sees that province's, named in the title.
    for page, search in (("overview", "?province=440000"), ("coverage", "?division=440000")):
        title = breakdown_figure(app, "planner", page, "by_holder_type", search)["layout"]["title"]["text"]
        assert title.startswith("广东省") and not title.startswith("广东省广州市"), page
    # A prefecture's coverage page shows the prefecture's chart (not its province's), to a national user and to its
    # province's office: the members' expected holders add up to the prefecture's.
    expected = coverage_total(app, client_of(app, "planner"), "?division=440100")["units_expected"]
    assert expected > 0
    for user in ("planner", "guangdong"):
        figure = breakdown_figure(app, user, "coverage", "by_level", "?division=440100")
        assert figure["layout"]["title"]["text"].startswith("广东省广州市普查覆盖率"), user
        assert sum(int(counts[0].replace(",", "")) for counts in figure["data"][0]["customdata"]) == expected, user
    # A provincial office cannot widen its scope through the address.
    forged = breakdown_figure(app, "guangdong", "overview", "by_holder_type", "?province=450000")["data"][0]
    assert dict(zip(forged["y"], forged["x"], strict=True))["企事业单位档案室"] == 9_000
    coverage = breakdown_figure(app, "guangdong", "coverage", "by_level")["data"][0]
    # Guangdong's 4 registered 县级 holders, 3 reported.
    assert dict(zip(coverage["y"], coverage["x"], strict=True))["县级"] == 75.0
    # The coverage chart offers only breakdowns the register records (not 单位性质): a forged choice falls back.
    fallback = breakdown_figure(app, "planner", "coverage", "by_unit_nature")
    assert "普查对象类型" in fallback["layout"]["title"]["text"]


def links_in(component: Any) -> dict[str, str]:
    """href -> text of every link inside a component as a callback returns it."""
    found: dict[str, str] = {}
    if isinstance(component, dict):
        props = component.get("props", {})
        if component.get("type") == "A":
            found[props["href"]] = props["children"]
        found |= links_in(props.get("children"))
    elif isinstance(component, list):
        for child in component:
            found |= links_in(child)
    return found


def test_the_overview_lists_the_carriers_other_than_paper_each_linked_to_the_rows_it_sums(app):
    # Photos, reels, objects and electronic records were computed but shown nowhere (the README said so).
    carriers = ids.breakdown_carriers("overview")
    for user, scope in (("planner", None), ("guangdong", "440000")):
        client = client_of(app, user)
        table = returned(
            post_callback(app, client, [(carriers, "children")], [(ids.URL, "search", "")]), carriers, "children"
        )
        links = links_in(table)
        assert f"{'全国' if scope is None else '广东省'}其他载体的档案" in json.dumps(table, ensure_ascii=False)
        for label, field, unit in CARRIERS:
            search = query_string(figure=field, division=scope)
            said = post_callback(app, client, [(ids.LINEAGE_SUMMARY, "children")], [(ids.URL, "search", search)])
            # The lineage page's sentence: <scope><label> = <the figure> <unit>，来自 …; the table shows the same figure.
            total = returned(said, ids.LINEAGE_SUMMARY, "children").split(" = ")[1].split(" ")[0]
            assert links["/lineage" + search] == total, (user, label)
            assert total not in ("0", "—"), (user, label)


def test_a_province_user_s_red_archive_panel_is_its_own(app):
    outputs = [(ids.OVERVIEW_RED, "children")]
    inputs = [(ids.OVERVIEW_METRIC, "value", "holdings"), (ids.URL, "search", "")]
    own = post_callback(app, client_of(app, "guangdong"), outputs, inputs)
    national = post_callback(app, client_of(app, "planner"), outputs, inputs)
    # Every holder of the test returns has one red-archive row of 80 卷件.
    assert "240" in json.dumps(returned(own, ids.OVERVIEW_RED, "children"), ensure_ascii=False)
    assert "480" in json.dumps(returned(national, ids.OVERVIEW_RED, "children"), ensure_ascii=False)


# --- around every page: the data stamp, the 404 page, compression, the bulletin --------------------------------------


def test_every_page_carries_the_data_stamp_and_the_census_round(app):
    response = post_callback(
        app, client_of(app, "guangdong"), [(ids.NAV, "children"), (ids.STAMP, "children")], [(ids.URL, "pathname", "/")]
    )
    stamp = json.dumps(returned(response, ids.STAMP, "children"), ensure_ascii=False)
    assert "数据截至 20" in stamp and "年" in stamp and "（北京时间）" in stamp
    assert "2024 年度国有档案资源普查表（统计截止 2024年12月31日）" in stamp


def test_an_unknown_address_gets_a_chinese_page_and_the_status_404(app):
    client = client_of(app, "planner")
    response = render_page(app, client, "/no-such-page")
    assert response.status_code == 200 and "页面不存在" in response.text and "404" not in response.text
    # The single page is served at any address; one that is no page says so in its status (it was 200).
    for path, status in [("/no-such-page", 404), ("/quality/extra", 404), ("/quality", 200), ("/quality/", 200)]:
        with client.get(path) as served:
            assert served.status_code == status and "<html" in served.text, path
    with client.get("/") as served:
        assert served.status_code == 200
    # The icon browsers ask for by themselves, signed in or not (it fell to the 404 in the browser's console).
    for asking in (client, client_of(app)):
        with asking.get("/favicon.ico") as served:
            assert served.status_code == 200 and served.mimetype == "image/x-icon" and served.data[:4] == b"\0\0\1\0"


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_and_assets_are_compressed(app, encoding):
    client = client_of(app, "planner")
    for path in ("/", "/assets/china_provinces.geojson", "/assets/app.css"):
        with client.get(path, headers={"Accept-Encoding": encoding}) as response:
            assert response.status_code == 200 and response.headers.get("Content-Encoding") == encoding, path
            assert len(response.get_data()) > 0


@pytest.mark.parametrize(
    ("user", "province", "status"),
    [
        ("planner", "440000", 200),
        ("admin", "450000", 200),
        ("guangdong", "440000", 200),
        ("guangdong", "450000", 403),
        ("evaluator", "440000", 403),
        ("planner", "999999", 404),
        ("planner", "660000", 200),  # the Corps (新疆生产建设兵团) reports as a province does
    ],
)
def test_a_province_s_bulletin_is_for_those_who_may_see_the_province(app, user, province, status):
    response = client_of(app, user).get(f"/bulletin/{province}")
    assert response.status_code == status
    if status != 200:
        # Said in Chinese, with a way back, not the web server's English page ("Forbidden", "Not Found").
        page = response.get_data(as_text=True)
        assert '<html lang="zh-CN">' in page and ("无权访问" if status == 403 else "找不到") in page
        assert "Forbidden" not in page and "Not Found" not in page and ">返回首页</a>" in page
    if status == 200:
        page = response.get_data(as_text=True)
        assert '<html lang="zh-CN">' in page and "国有档案资源普查简报" in page
        for section in ("普查覆盖", "数据质量", "审核状态", "逾期未销号的整改问题", "规划指标"):
            assert section in page
        other = "广西" if province == "440000" else "广东"
        assert other not in page
        # Review progress as the submissions page words it (待省级审核, 待国家局审核), not the stored state.
        assert "待审核" not in page
        assert page.count('<tr class="total">') == 1 and '<tr class="total"><td class="">合计</td>' in page
        # A line break inside a paragraph is drawn as a space in Chinese text (已报 810 个， 覆盖率).
        assert [p for p in re.findall(r"<p[^>]*>(.*?)</p>", page, re.S) if "\n" in p] == []


def test_a_bulletin_downloads_with_its_province_and_day_in_the_name(app):
    response = client_of(app, "guangdong").get("/bulletin/440000?download=1")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and quote("普查简报-广东省-") in disposition
    # Saved and opened from disk, it carries its own styles (a link to /assets/ found nothing there); the page the
    # app serves keeps the link to the stylesheet.
    saved = response.get_data(as_text=True)
    assert 'rel="stylesheet"' not in saved
    assert (ASSETS / "bulletin.css").read_text(encoding="utf-8").strip() in saved.split("<style>")[1]
    served = client_of(app, "guangdong").get("/bulletin/440000").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/assets/bulletin.css">' in served and "<style>" not in served


# --- last: changes the module's warehouse ----------------------------------------------------------------------------


def test_holders_registered_at_a_division_s_own_level_have_their_own_row(app, site):
    # One of Guangdong's registered holders moves up to the province's own level (a provincial body, division 440000).
    store = site[1]
    with store.writer() as con:
        con.execute(
            "UPDATE raw_register_rows SET division_code = '440000' WHERE uscc = ("
            "SELECT min(uscc) FROM raw_register_rows WHERE division_code LIKE '44%')"
        )
    client = client_of(app, "guangdong")
    rows = grid_rows(app, client, ids.COVERAGE_GRID, "")
    own = [r for r in rows if r["is_own_level"]]
    assert [(r["division_code"], r["name"]) for r in own] == [("440000", "广东省本级")]
    assert rows[0] == own[0]  # first
    total = coverage_total(app, client, "")
    assert total is not None and sum(r["units_expected"] for r in rows) == total["units_expected"]


def test_the_coverage_hint_names_the_central_row_only_where_there_is_one(app):
    central_row = "“中央”一行为三个中央报送渠道"
    assert central_row in render_page(app, client_of(app, "planner"), "/coverage").text
    assert central_row not in render_page(app, client_of(app, "guangdong"), "/coverage").text
    province_page = render_page(app, client_of(app, "planner"), "/coverage", "?division=440000").text
    assert "覆盖率 = 名录内已报送单位" in province_page and central_row not in province_page


def test_a_lineage_sentence_names_a_part_of_a_column_without_its_form_prefix():
    assert CENSUS_FORM.field("red_archives").label.startswith("其中：")
    assert figure_label("red_archives") == ("革命历史档案", "卷件")
    # The red-archive sheet's own columns, said of red archives (their sheet's title is not in the sentence).
    assert figure_label("red_digitized") == ("红色档案已数字化", "卷件")
    assert figure_label("red_exhibitions") == ("利用红色档案举办展览", "个")


def test_reminders_made_before_today_say_they_are_old():
    made = {"generated_on": date(2025, 6, 30), "kind": "即将逾期", "scope_name": "广东省", "message": "3 天后到期"}
    current = str(reminders_panel([made], "整改期限提醒", date(2025, 6, 30)))
    assert "整改期限提醒（2025年6月30日生成）" in current and "没有生成新的提醒" not in current
    old = str(reminders_panel([made], "整改期限提醒", date(2026, 12, 3)))
    assert "这是2025年6月30日生成的提醒，此后（至今日2026年12月3日）没有生成新的提醒" in old
    # Who reads it is told what to do, not a command only the server's operator can run.
    assert "archive-census" not in old and "多日未更新请联系系统管理员" in old
    # A panel with none of its own kinds says so too when the latest reminders are old (it said 今日无提醒).
    assert "今日无提醒" in str(reminders_panel([], "报送提醒", date(2025, 6, 30), latest=date(2025, 6, 30)))
    empty = str(reminders_panel([], "报送提醒", date(2027, 3, 1), latest=date(2025, 6, 30)))
    assert (
        "今日无提醒" not in empty
        and "2025年6月30日生成的提醒中没有本栏的提醒，此后（至今日2027年3月1日）没有生成新的提醒" in empty
    )
    assert "多日未更新请联系系统管理员" in empty
    # Counted now only (a prefecture's own overdue findings): its heading gives the day, as a generated panel does.
    counted = {"kind": "已逾期", "scope_name": "广东省韶关市", "message": "已逾期 90 天。"}
    assert "整改期限提醒（截至2025年6月30日）" in str(
        reminders_panel([], "整改期限提醒", date(2025, 6, 30), current=[counted])
    )


def test_reminders_say_when_they_were_made_and_that_data_changed_since():
    # A card said 11 overdue, the panel below it 13, for the same day: the reminders were made that morning.
    made = {
        "generated_on": date(2025, 6, 30),
        "kind": "已逾期",
        "scope_name": "广东省",
        "message": "13 个问题逾期未销号。",
    }
    at = datetime(2025, 6, 30, 0, 5)  # 08:05 in Beijing
    unchanged = str(reminders_panel([made], "整改期限提醒", date(2025, 6, 30), at, at - timedelta(hours=1)))
    assert "整改期限提醒（2025年6月30日 08:05生成）" in unchanged and "又有变化" not in unchanged
    changed = str(reminders_panel([made], "整改期限提醒", date(2025, 6, 30), at, datetime(2025, 6, 30, 3, 10)))
    assert "提醒生成（2025年6月30日 08:05）之后数据又有变化（最近一次在 2025年6月30日 11:10）" in changed
    assert "现状以本页的数字为准" in changed


def test_reminders_beyond_the_first_few_of_each_kind_are_folded_not_dropped():
    # It said 共 9 条，仅列出前 8 条 with no way to the ninth; then eight overdue provinces hid every finding soon due.
    def made(kind: str, n: int) -> dict[str, Any]:
        return {"generated_on": date(2025, 6, 30), "kind": kind, "scope_name": "广东省", "message": f"问题 {n}"}

    panel = reminders_panel(
        [*(made("已逾期", n) for n in range(1, 10)), made("即将逾期", 10)], "整改期限提醒", date(2025, 6, 30)
    )
    overdue, folded, soon = panel.children[1:]
    assert [item.children for item in overdue.children] == [f"【已逾期】广东省：问题 {n}" for n in range(1, 6)]
    assert folded.children[0].children == "已逾期共 9 条，其余 4 条"
    assert [item.children for item in folded.children[1].children][-1] == "【已逾期】广东省：问题 9"
    assert [item.children for item in soon.children] == ["【即将逾期】广东省：问题 10"]
    # An office's own area's overdue findings, counted now, come first and say so.
    counted = reminders_panel([], "整改期限提醒", date(2025, 6, 30), current=[made("已逾期", 4)])
    assert counted.children[0].children == "整改期限提醒（截至2025年6月30日）"
    assert [item.children for item in counted.children[1].children] == ["【已逾期】广东省：问题 4。"]
    # Beside generated ones, the day it is counted on (it said 截至目前, read as running to the real today).
    both = reminders_panel([made("即将逾期", 5)], "整改期限提醒", date(2025, 7, 1), current=[made("已逾期", 4)])
    said = [
        item.children
        for section in both.children[1:]
        if section.__class__.__name__ == "Ul"
        for item in section.children
    ]
    assert "【已逾期】广东省：问题 4（截至2025年7月1日）。" in said, said


def test_a_county_s_page_gives_its_own_figures(app):
    # A county has no level below, so its grid (and the 合计 row that carries a level's own figures) is hidden.
    client = client_of(app, "planner")
    assert ids.COVERAGE_COUNTY_FIGURES in render_page(app, client, "/coverage", "?division=440106").text
    prefecture_page = render_page(app, client, "/coverage", "?division=440100").text
    assert ids.COVERAGE_GRID in prefecture_page and ids.COVERAGE_COUNTY_FIGURES not in prefecture_page
    total = coverage_total(app, client, "?division=440106")
    assert total is not None and total["units_expected"] > 0
    response = post_callback(
        app, client, [(ids.COVERAGE_COUNTY_FIGURES, "children")], [(ids.URL, "search", "?division=440106")]
    )
    said, _, link = returned(response, ids.COVERAGE_COUNTY_FIGURES, "children")
    assert said == (
        f"本区县：应报 {total['units_expected']:,} 个，已报 {total['units_reported']:,} 个，"
        f"未报 {total['units_missing']:,} 个，名录外报送 {total['units_unregistered']:,} 个；"
        f"覆盖率 {total['coverage_pct']:.2f}%。"
    )
    # Who did report: the page lists who did not; the link opens the rows of the reported units.
    assert link["props"]["href"] == "/lineage?figure=units_reported&division=440106"
    assert (
        len(grid_rows(app, client, ids.LINEAGE_ROWS_GRID, "?figure=units_reported&division=440106"))
        == total["units_reported"]
    )


@pytest.mark.parametrize(
    ("path", "search", "said"),
    [
        ("/quality", "", "没有在两个以上省份的现行报表中重复报送的单位。"),
        ("/coverage", "?division=440106", "没有名录外报送的单位。"),
        (
            "/indicators",
            "",
            "ZB05 中央档案馆新馆建设工程进度、ZB06 中国第二历史档案馆新馆建设工程进度、ZB07 建成国家档案局重点实验室为国家项目，不设分省目标",
        ),
        # A holder's trace of a mistyped code, or one outside the viewer's area (it said 没有数据).
        ("/submissions", "?uscc=91440000000000000X", "没有列出的，请核对代码（18 位）"),
        ("/audit", "", "没有符合条件的事件。"),
    ],
)
def test_an_empty_grid_says_what_it_has_none_of(app, path, search, said):
    page = render_page(app, client_of(app, "admin" if path == "/audit" else "planner"), path, search).text
    assert said in page and "页面不存在" not in page


def test_the_page_benchmark_posts_the_callbacks_the_app_has(app):
    # `./dev bench pages` and `login_flood` post these by hand: five had gone out of step with the app (outputs and
    # inputs added since), so the benchmarks measured 400 answers or stopped.
    from benchmarks.pages import CALLBACKS

    for _, name, outputs, inputs in CALLBACKS:
        entry = app.callback_map.get(callback_key(outputs))
        assert entry is not None, name
        assert [(i["id"], i["property"]) for i in entry["inputs"]] == [(i, p) for i, p, _ in inputs], name


def test_the_holdings_card_says_it_counts_units_outside_the_register_and_the_two_red_figures_are_told_apart():
    # 馆（室）藏 counted the 4 名录外 units' holdings without a word (only /lineage showed it); 革命历史档案 sat beside
    # a larger 红色档案 as if one contradicted the other.
    archives = {"vol_total": 10, "item_total": 20, "digitized_vol": 5, "digitized_item": 5}
    figures = {"vol_total": 100, "item_total": 200, "bases": {"comprehensive": archives}, "coverage_pct": 96.43}
    figures |= {"units_expected": 28, "units_reported": 27, "units_unregistered": 4, "red_archives": 7}
    figures |= {"e_gb": 1.5, "shelf_m": 2.0, "staff_fulltime": 3}
    cards = {card.children[0].children: str(card) for card in build_cards(figures)}
    assert "含名录外报送的 4 个单位" in cards["馆（室）藏"]
    assert "红色档案见下方摸底" in cards["革命历史档案"]
    assert "名录外" not in str(build_cards(figures | {"units_unregistered": 0})[3])
    # The figures count returns still under review (those sent back are not counted): a card says how many.
    review = {"returns": 10, "reviewed_pct": 60.0, "by_state": {"待地级审核": 0, "待省级审核": 1, "待国家局审核": 2}}
    review["by_state"] |= {"已审核": 6, "已退回": 1}
    last = str(build_cards(figures, None, review)[-1])
    said = "现行普查表 10 份，已审核 6 份，已退回或撤回 1 份（不计入以上数字）；以上数字含尚在审核中的 3 份"
    assert "审核进度" in last and "60.00%" in last and said in last
    # Nothing awaiting review, one sent back: it is what the share lacks (the card said 以上数字均已审核 beside 2 of 3).
    settled = review | {"returns": 3, "reviewed_pct": 66.67, "by_state": dict.fromkeys(review["by_state"], 0)}
    settled["by_state"] |= {"已审核": 2, "已退回": 1}
    last = str(build_cards(figures, None, settled)[-1])
    assert "现行普查表 3 份，已审核 2 份，已退回或撤回 1 份（不计入以上数字）；计入以上数字的均已审核" in last
    assert "审核进度" not in str(build_cards(figures, None, review | {"returns": 0}))


def test_a_large_figure_is_also_said_in_wan_or_yi_beside_its_exact_value():
    # 134,560,165 卷件 had its digits counted by the reader; the bureau writes 10.47亿卷（件）.
    assert format_magnitude(1_034_567_890, "卷件") == "约 10.35 亿卷件"
    assert format_magnitude(134_560_165) == "约 1.35 亿"
    assert format_magnitude(2_542_860.6, "米") == "约 254.29 万米"
    assert format_magnitude(100_000, "人") == "约 10 万人"
    assert format_magnitude(69_449_843, "卷件") == "约 6944.98 万卷件"
    assert [format_magnitude(v) for v in (99_999, 1_329, None)] == [None, None, None]
    assert format_magnitude(197_567.36, "GB") is None
    archives = {"vol_total": 60_000_000, "item_total": 42_706_019, "digitized_vol": 5, "digitized_item": 5}
    figures = {"vol_total": 75_884_370, "item_total": 58_675_795, "bases": {"comprehensive": archives}}
    figures |= {"units_expected": 1_329, "units_reported": 1_295, "units_unregistered": 0, "coverage_pct": 97.44}
    figures |= {"red_archives": 1_665_487, "e_gb": 197_567.36, "shelf_m": 2_542_860.6, "staff_fulltime": 5_698}
    values = {card.children[0].children: card.children[1] for card in build_cards(figures)}

    def said(label: str) -> str:
        return "".join(part if isinstance(part, str) else part.children for part in values[label].children if part)

    assert said("馆（室）藏") == "134,560,165 卷件（约 1.35 亿卷件）"
    assert said("综合档案馆馆藏") == "102,706,019 卷件（约 1.03 亿卷件）"
    assert said("革命历史档案") == "1,665,487 卷件（约 166.55 万卷件）"
    assert said("总排架长度") == "2,542,860.6 米（约 254.29 万米）"
    assert said("应报普查对象") == "1,329 个" and said("电子档案容量") == "197,567.36 GB"
    # The red-archive inventory's total too (it read 21,133,208 卷件 alone beside 馆藏's 约 12.46 亿).
    red = {
        "holders": 3_442,
        "red_total": 21_133_208,
        "red_vol": 9_000_000,
        "red_item": 12_133_208,
        "digitized_pct": 62.94,
    }
    red |= {"red_exhibitions": 4_841, "red_publications": 1_763, "red_research": 4_258, "by_condition": []}
    panel = build_red_panel(red)[0].children
    total = next(c.children[1] for c in panel if c.children[0].children == "红色档案")
    assert "".join(p if isinstance(p, str) else p.children for p in total.children if p) == (
        "21,133,208 卷件（约 2113.32 万卷件）"
    )
    # A whole total has no decimals to show (it read 23,614,069.0 米).
    whole = {card.children[0].children: card.children[1] for card in build_cards(figures | {"shelf_m": 23_614_069.0})}
    assert "".join(p if isinstance(p, str) else p.children for p in whole["总排架长度"].children if p).startswith(
        "23,614,069 米"
    )


def test_a_sender_tells_its_uploads_apart_by_file_and_time_beside_the_scope():
    # 文件 was the grid's eleventh column, out of view at 1,366 px: rows read alike (广东省广州市 普查表 已接收).
    fields = [column.field for column in submissions_page.SUBMISSION_COLUMNS]
    assert fields[:4] == ["scope_name", "kind_label", "file_name", "submitted_at"]
    # Then its review: 审核状态 and 审核说明 were out of view at 1,400 px after the check's three columns.
    assert fields[4:6] == ["review_progress", "review_note"]


def test_what_leaves_the_platform_names_the_person_an_account_belongs_to(app, site):
    # 导出人：planner and "planner 于 … 生成" on exports and bulletins: a login, not a person who answers for them.
    store = site[1]
    with store.writer() as con:
        password = hash_password(password_of("wangmin"), "wangmin")
        add_user(con, "wangmin", password, "planner", None, by="管理员", full_name="王敏")
    client = client_of(app, "wangmin")
    rows = grid_rows(app, client, ids.COVERAGE_GRID, "")
    sheet = exported_workbook(export_grid(app, client, ids.COVERAGE_GRID, rows, ""), ids.COVERAGE_GRID).active
    assert "导出人：王敏（wangmin）；" in sheet["A2"].value
    assert "王敏（wangmin）于 " in client.get("/bulletin/440000").get_data(as_text=True)
    # An account without a person's name signs with its login, as before.
    planner = client_of(app, "planner")
    rows = grid_rows(app, planner, ids.COVERAGE_GRID, "")
    sheet = exported_workbook(export_grid(app, planner, ids.COVERAGE_GRID, rows, ""), ids.COVERAGE_GRID).active
    assert "导出人：planner；" in sheet["A2"].value
    assert "planner 于 " in planner.get("/bulletin/440000").get_data(as_text=True)
    # A login in Chinese without a name takes no space before 于, as Chinese text does not.
    with store.writer() as con:
        add_user(con, "规划员", hash_password(password_of("规划员"), "规划员"), "planner", None, by="管理员")
    assert "规划员于 " in client_of(app, "规划员").get("/bulletin/440000").get_data(as_text=True)


def navigation(app, client) -> str:
    """The header bar's text as the signed-in user's pages draw it."""
    response = post_callback(
        app, client, [(ids.NAV, "children"), (ids.STAMP, "children")], [(ids.URL, "pathname", "/")]
    )
    return json.dumps(returned(response, ids.NAV, "children"), ensure_ascii=False)


def test_the_people_who_sent_a_return_or_use_the_page_are_named_beside_their_accounts(app, site):
    # 提交人 read 测试 and the header bar planner（…）: a login, where the account has its person's name.
    store = site[1]
    with store.writer() as con:
        add_user(
            con, "测试", hash_password(password_of("测试"), "测试"), "province", "440000", by="管理员", full_name="李明"
        )
    try:
        client = client_of(app, "测试")
        rows = grid_rows(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, "")
        senders = {row["submitted_by"]: row["submitter"] for row in rows}
        assert senders["测试"] == "李明（测试）" and senders.get("guangdong", "guangdong") == "guangdong"
        grid = ids.SUBMISSIONS_GRID
        sheet = exported_workbook(export_grid(app, client, grid, rows, "/submissions", None, ""), grid).active
        header = [cell.value for cell in sheet[EXPORT_HEADER_ROW]]
        column = header.index("提交人")
        shown = {row[column] for row in sheet.iter_rows(min_row=EXPORT_HEADER_ROW + 1, values_only=True)}
        assert "李明（测试）" in shown and "测试" not in shown
        assert "李明（测试，省级档案部门·广东省）" in navigation(app, client)
        # Without a name: the login, as before.
        assert "planner（国家档案局规划人员）" in navigation(app, client_of(app, "planner"))
    finally:
        with store.writer() as con:
            con.execute("DELETE FROM users WHERE user_name = '测试'")


def test_a_refused_file_is_logged_as_an_attempt_without_moving_the_data_s_date(app, site, tmp_path):
    # Seven refused files left no trace: an administrator could not see that an office had tried and failed.
    store = site[1]
    with store.reader() as con:
        as_of = query_data_as_of(con)
    client = client_of(app, "guangdong")
    pdf = tmp_path / "广东省普查表（扫描件）.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    status = wait_for_job(app, client, upload(client, pdf).headers["Location"].split("=", 1)[1])
    assert "这不是 Excel 工作簿，而是 PDF 文件" in status
    app.server.extensions[CONTEXT_EXTENSION].outbox.flush()
    with store.reader() as con:
        logged = con.execute(
            "SELECT actor, kind, via, reason FROM audit_log WHERE action = 'refused' AND target = ?", [pdf.name]
        ).fetchall()
        assert query_data_as_of(con) == as_of  # an attempt is no change of the data shown
    assert [row[:3] for row in logged] == [("guangdong", "submission", "web")]
    assert logged[0][3].startswith("这不是 Excel 工作簿，而是 PDF 文件")


def test_an_upload_the_warehouse_cannot_take_is_told_so_without_its_catalog_s_address(app, site, tmp_path, monkeypatch):
    # A province's upload with the lake's data path read-only showed the catalog's host, port and user, and told the
    # province to set ARCHIVE_CENSUS_WAREHOUSE.
    def unavailable(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise WarehouseUnavailable(
            "无法写入 DuckLake（目录 host=10.0.0.9 port=5432 user=census）。", hint="请改正 ARCHIVE_CENSUS_WAREHOUSE。"
        )

    monkeypatch.setattr("dash_app.uploads.run_ingestion", unavailable)
    client = client_of(app, "guangdong")
    good = census_workbook(tmp_path / "广东.xlsx", 2)
    status = wait_for_job(app, client, upload(client, good).headers["Location"].split("=", 1)[1])
    assert INFRASTRUCTURE_FAILED in status and "10.0.0.9" not in status and "ARCHIVE_CENSUS" not in status, status


def test_a_control_character_in_an_upload_s_name_is_kept_as_its_code_and_breaks_no_export(app, site, tmp_path):
    # A refused upload named with \x01 went into the audit log as sent: the administrator's export of it then failed
    # (openpyxl cannot write the character), as did every export listing a return so named.
    store = site[1]
    client = client_of(app, "guangdong")
    page = tmp_path / "page.html"
    page.write_bytes(b"<html><body>not a workbook</body></html>")
    sent = client.post(
        "/api/upload",
        data={"kind": "census", "file": (page.open("rb"), "广东\x01<b>" + "长" * 300 + ".xlsx")},
        content_type="multipart/form-data",
    )
    status = wait_for_job(app, client, sent.headers["Location"].split("=", 1)[1])
    assert "广东[U+0001]<b>长" in status and "\\u0001" not in status, status
    app.server.extensions[CONTEXT_EXTENSION].outbox.flush()
    with store.reader() as con:
        (target,) = con.execute(
            "SELECT target FROM audit_log WHERE action = 'refused' AND target LIKE '广东[U+0001]%'"
        ).fetchone()
    assert len(target) == MAX_FILE_NAME_CHARS and target.endswith("长….xlsx"), target
    admin = client_of(app, "admin")
    sheet = exported_workbook(export_grid(app, admin, ids.AUDIT_GRID, None, None, None, None, None), ids.AUDIT_GRID)
    assert target in {cell.value for row in sheet.active.iter_rows() for cell in row}
    # A value typed into a filter with such a character is written as its code in the export's note, too.
    response = export_grid(app, admin, ids.AUDIT_GRID, None, "x\x00", None, None, None)
    assert "x[U+0000]" in str([c.value for row in exported_workbook(response, ids.AUDIT_GRID).active for c in row])


@pytest.mark.parametrize(
    ("hint", "shown"),
    [
        (
            "请在“说明”中填写（页面上的说明框、整改进展表的说明列，命令行用 --note）。",
            "请在“说明”中填写（页面上的说明框、整改进展表的说明列）。",
        ),
        (
            "已装载的问题由国家档案局规划人员更正：请以其启用的账号操作，或核对 --by。",
            "已装载的问题由国家档案局规划人员更正：请以其启用的账号操作。",
        ),
        ("请检查 --round 是否写错；省略 --round 即为本轮。", None),
        ("请下载模板后上传。", "请下载模板后上传。"),
    ],
)
def test_a_page_s_refusal_keeps_its_hint_without_the_command_line_s_options(hint, shown):
    # 退回 without a note lost its whole hint (请在“说明”中填写) for the --note inside its parenthesis.
    assert for_web(IllegalTransition("不能退回。", hint=hint)).hint == shown


def test_a_province_s_upload_of_another_province_s_workbook_is_told_whose_its_account_is(app, tmp_path):
    # It said 上传的省份是广东省 and 确认上传的省份: a web uploader chooses no province, the account is the province.
    client = client_of(app, "guangdong")
    other = province_workbook(tmp_path / "广西.xlsx", CENSUS_FORM, "450000", 2)
    status = wait_for_job(app, client, upload(client, other).headers["Location"].split("=", 1)[1])
    assert "而您的账号只能报送广东省（440000）的报表" in status and "上传的省份" not in status, status


@pytest.mark.parametrize(("figure", "decimals"), [("shelf_m", 1), ("e_gb", 2), ("storage_m2", 1)])
def test_lineage_s_grids_write_a_measured_figure_with_its_field_s_decimals(figure, decimals):
    # Its sentence read 103,209.6 米 and its grids 103,209.60 (and 3,821.00 a row).
    assert lineage.value_column(figure).decimals == decimals


def test_a_gyda_2024_return_s_cells_are_those_of_its_own_template(tmp_path):
    # /lineage cited the current form's column letters for every return: a GYDA-2024.1 return's 照片档案 sits in
    # column AC of its template, not AG.
    con = connect_warehouse(legacy_copy(tmp_path))
    try:
        rows = query_figure_lineage(con, "photos", None)
    finally:
        con.close()
    assert rows and {r["form_version"] for r in rows} == {"GYDA-2024.1"}
    cells = {lineage.template_cells("photos", r["excel_row"], r["form_version"]) for r in rows}
    assert cells == {f"AC{r['excel_row']}" for r in rows}
    assert lineage.template_cells("photos", 3) == "AG3"
