"""The web app in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright), served in-process.

One demo-like warehouse is built once for the module: the demo's own generator, workbooks and flows
(`flows.demo.build_demo`), restricted to a few provinces to keep the run short (the full national demo loads
64 workbooks, ~3 minutes here; set ARCHIVE_CENSUS_BROWSER_FULL_DEMO=1 to use it, e.g. for the README screenshots).
Every request a page makes is recorded: none may leave 127.0.0.1 (map geometry and topojson stub are local).
Screenshots of every page go to docs/screenshots/<page>.png when ARCHIVE_CENSUS_SCREENSHOTS=1 (else a temp folder).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import openpyxl
import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

import flows.demo
from census_schema.census_form import CENSUS_FORM
from census_schema.layout import ERRORS_SHEET
from dash_app import ids
from dash_app.app import create_app
from dash_app.pages import PAGES, coverage
from flows.run import run_ingestion
from synthetic.census import write_dataset
from synthetic.supervision import DEMO_TODAY
from tests.dash_app.conftest import USERS, add_users, password_of, province_workbook, read_meta, web_settings
from tests.flows.workbooks import census_workbook
from warehouse.store import WarehouseStore

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 900}
# The committed pictures are refreshed on purpose (ARCHIVE_CENSUS_SCREENSHOTS=1), not by every test run.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("ARCHIVE_CENSUS_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "archive-census-screenshots"
)
# Spread over the map, with both test provinces and Hainan (the South China Sea inset); some get injected errors.
DEMO_PROVINCES = ("110000", "230000", "310000", "420000", "440000", "450000", "460000", "510000", "540000", "650000")
DEMO_UNITS, DEMO_SEED = 1500, 2024
WAIT_MS = 30_000
# The census pages each role sees, in menu order (other pages, e.g. supervision, may sit between them).
CENSUS_PAGES = ("总览", "覆盖情况", "数据质量", "提交记录", "上传报表")
CENSUS_NAVIGATION = {
    "planner": ["总览", "覆盖情况", "数据质量", "提交记录"],
    "admin": ["总览", "覆盖情况", "数据质量", "提交记录"],
    "province": ["总览", "覆盖情况", "数据质量", "提交记录", "上传报表"],
    "evaluator": [],
}
BAD_EDITS = {1: {"vol_total": 1001}, 2: {"contact_phone": "12345"}}


def require_browser() -> None:
    """Skip without Chromium or Playwright locally; in CI (the CI variable set) that is a failure."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[dev]')"
    if problem and os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {problem}", pytrace=False)
    if problem:
        pytest.skip(problem)


class QuietRequestHandler(WSGIRequestHandler):
    """No access log: hundreds of callback requests would bury a failure's output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class Site:
    """The served app and what was loaded into it."""

    url: str
    settings: Any
    folder: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """A demo-like warehouse (a few provinces through the real demo flows), users, and the app on a free port."""
    require_browser()
    folder = tmp_path_factory.mktemp("browser")
    settings = web_settings(folder / "var" / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        if not os.environ.get("ARCHIVE_CENSUS_BROWSER_FULL_DEMO"):
            patch.setattr(flows.demo, "write_dataset", functools.partial(write_dataset, provinces=DEMO_PROVINCES))
        result = flows.demo.build_demo(
            settings, DEMO_UNITS, DEMO_SEED, folder / "demo", lambda request: run_ingestion(request, settings, "direct")
        )
    assert {o["status"] for o in result.outcomes} == {"accepted", "rejected"}
    add_users(WarehouseStore(settings.db_path), USERS)
    # The demo's findings are dated around its own day: judge overdue on it, as the served demo does.
    app = create_app(dataclasses.replace(settings, as_of=DEMO_TODAY))
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="dash-test-server", daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", settings, folder)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@dataclass
class Session:
    """A fresh browser context: its requests, failed responses and page errors are recorded."""

    context: Any
    base_url: str
    requests: list[str] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        return page

    def csp_violations(self) -> list[str]:
        """What Chromium refused under the app's Content-Security-Policy (it says so on the console)."""
        return [m for m in self.console_errors if "Content Security Policy" in m]

    def sign_in(self, user: str) -> Any:
        """A page signed in as the user, on the page the sign-in leads to."""
        page = self.new_page()
        page.goto("/login")
        page.fill("#login-username", user)
        page.fill("#login-password", password_of(user))
        page.click("#login-submit")
        page.wait_for_selector("#nav-user")
        return page

    def offsite(self) -> list[str]:
        """Requests to any host but the test server (data: and blob: URLs stay in the page)."""
        return [u for u in self.requests if urlparse(u).scheme in ("http", "https", "ws", "wss") and not self.local(u)]

    def local(self, url: str) -> bool:
        return urlparse(url).netloc == urlparse(self.base_url).netloc


def browse(chromium, url: str) -> Iterator[Session]:
    """A new browser context on the served app; afterwards no request may have left 127.0.0.1 and no page thrown."""
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True, base_url=url)
    session = Session(context, url)
    context.on("request", lambda request: session.requests.append(request.url))
    context.on(
        "response", lambda response: response.status >= 400 and session.failed.append((response.status, response.url))
    )
    yield session
    context.close()
    assert session.offsite() == []
    assert session.errors == []
    assert session.csp_violations() == []


@pytest.fixture
def browsing(chromium, site) -> Iterator[Session]:
    """A new context per test (see browse)."""
    yield from browse(chromium, site.url)


def screenshot(page: Any, name: str) -> None:
    """docs/screenshots/<name>.png of the whole page, once fonts and pending callbacks have settled."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_for_grid(page: Any, grid_id: str) -> None:
    """Until the grid's rows have arrived (its count says 共 N 条) and, if there are any, are drawn."""
    page.wait_for_function(
        """id => {
            const count = (document.getElementById(id + '-count') || {}).textContent || '';
            return count === '共 0 条' || (count.startsWith('共')
                && document.querySelector(`#${id} .ag-center-cols-container .ag-row .ag-cell`) !== null);
        }""",
        arg=grid_id,
    )


def shown_rows(page: Any, grid_id: str) -> list[dict[str, str]]:
    """The rows the grid displays, in display order, as {column id: cell text} (rows rendered in the DOM)."""
    return page.evaluate(
        """id => Array.from(document.querySelectorAll(`#${id} .ag-center-cols-container .ag-row`))
            .sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))
            .map(row => Object.fromEntries(Array.from(row.querySelectorAll('.ag-cell'))
                .map(cell => [cell.getAttribute('col-id'), cell.innerText.trim()])))""",
        grid_id,
    )


def as_text(value: Any) -> str:
    """A spreadsheet value as the grid prints it (95.0 → '95', None → '')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def upload_file(page: Any, path: Path) -> None:
    """Choose the workbook in the upload form and submit it (the form re-mounts once after the page loads)."""
    page.wait_for_load_state("networkidle")
    page.set_input_files("#upload-file", str(path))
    assert page.evaluate("() => document.getElementById('upload-file').files.length") == 1
    page.click("#upload-submit")


def nav_links(page: Any) -> list[str]:
    return [text.strip() for text in page.locator(".navbar a.nav-link").all_inner_texts() if text.strip() != "退出"]


# --- the skip/fail rule -------------------------------------------------------------------------------------------


def test_without_chromium_the_browser_tests_fail_in_ci_and_skip_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setattr(f"{__name__}.CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI"):
        require_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no-chromium"):
        require_browser()


# --- signing in ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "role"),
    [("planner", "planner"), ("guangdong", "province"), ("evaluator", "evaluator"), ("admin", "admin")],
)
def test_each_role_signs_in_and_sees_its_navigation(browsing, user, role):
    page = browsing.new_page()
    page.goto("/coverage")
    assert urlparse(page.url).path == "/login"
    if role == "planner":
        screenshot(page, "login")
    page.fill("#login-username", user)
    page.fill("#login-password", password_of(user))
    page.click("#login-submit")
    page.wait_for_selector("#nav-user")
    assert urlparse(page.url).path == "/coverage"
    links = nav_links(page)
    assert [link for link in links if link in CENSUS_PAGES] == CENSUS_NAVIGATION[role]
    assert links == [p.NAME for p in PAGES if role in p.ROLES]
    assert user in page.inner_text("#nav-user")
    if role == "evaluator":
        page.wait_for_selector("#page-refused")
        allowed = [p for p in PAGES if role in p.ROLES]
        if allowed:  # the refusal links to the pages the role may open
            page.locator("main a", has_text=allowed[0].NAME).click()
            page.wait_for_url(f"**{allowed[0].PATH}")
            page.wait_for_selector("#page-refused", state="detached")
    else:
        wait_for_grid(page, ids.COVERAGE_GRID)
    page.click("#nav-logout")
    page.wait_for_url("**/login")
    page.goto("/")
    assert urlparse(page.url).path == "/login"


def test_a_wrong_password_is_refused_in_the_browser(browsing):
    page = browsing.new_page()
    page.goto("/login")
    page.fill("#login-username", "planner")
    page.fill("#login-password", "not-the-password")
    page.click("#login-submit")
    assert "用户名或密码不正确" in page.inner_text("#login-form")
    assert page.locator("#nav-user").count() == 0


# --- the planner's map ---------------------------------------------------------------------------------------------


def test_a_planner_sees_the_map_and_drills_down_to_a_prefecture(browsing):
    page = browsing.sign_in("planner")
    page.wait_for_selector(f"#{ids.OVERVIEW_MAP} path.choroplethlocation")
    map_state = page.evaluate(
        """id => {
            const gd = document.querySelector(`#${id} .js-plotly-plot`);
            const paths = Array.from(gd.querySelectorAll('path.choroplethlocation'));
            const drawn = paths.filter(p => { const r = p.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
            return {
                geos: Object.keys(gd._fullLayout).filter(k => /^geo\\d*$/.test(k)).sort(),
                locations: Array.from(new Set(drawn.map(p => p.__data__.loc))).sort(),
                fills: Array.from(new Set(drawn.map(p => getComputedStyle(p).fill))).length,
                lines: gd.querySelectorAll('path.js-line').length,
            };
        }""",
        ids.OVERVIEW_MAP,
    )
    assert map_state["geos"] == ["geo", "geo2"]  # the mainland and the South China Sea inset
    assert {"440000", "460000", "510000", "710000", "810000", "820000"} <= set(map_state["locations"])
    assert map_state["fills"] > 2  # a colour scale, not just "no data"
    assert map_state["lines"] >= 2  # the dashed line on both views
    assert any(u.endswith("/assets/china_provinces.geojson") for u in browsing.requests)
    assert any(u.endswith("/assets/topojson/world_110m.json") for u in browsing.requests)
    screenshot(page, "overview")

    # Sichuan's largest drawn path (on the mainland view); plotly picks the province under the pointer.
    x, y = page.evaluate(
        """id => {
            const boxes = Array.from(document.querySelectorAll(`#${id} path.choroplethlocation`))
                .filter(p => p.__data__.loc === '510000').map(p => p.getBoundingClientRect());
            const box = boxes.sort((a, b) => b.width * b.height - a.width * a.height)[0];
            return [box.x + box.width / 2, box.y + box.height / 2];
        }""",
        ids.OVERVIEW_MAP,
    )
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_url("**/coverage?division=510000")
    wait_for_grid(page, ids.COVERAGE_GRID)
    assert page.inner_text(f"#{ids.COVERAGE_CRUMBS}").split(" › ") == ["全国", "四川省"]
    prefectures = shown_rows(page, ids.COVERAGE_GRID)
    assert prefectures and all(row["division_code"].startswith("51") for row in prefectures)
    screenshot(page, "coverage-province")

    first = prefectures[0]
    page.locator(f"#{ids.COVERAGE_GRID} .ag-row[row-index='0'] .ag-cell[col-id='name']").click()
    page.wait_for_url(f"**/coverage?division={first['division_code']}")
    page.wait_for_function(
        "([id, name]) => document.getElementById(id).textContent.endsWith(name)",
        arg=[ids.COVERAGE_CRUMBS, first["name"]],
    )
    page.wait_for_function(
        "([id, code]) => { const c = document.querySelector(`#${id} .ag-row[row-index='0'] .ag-cell[col-id='division_code']`);"
        " return c && c.textContent.startsWith(code.slice(0, 4)) && c.textContent !== code; }",
        arg=[ids.COVERAGE_GRID, first["division_code"]],
    )
    counties = shown_rows(page, ids.COVERAGE_GRID)
    assert counties and all(row["division_code"][:4] == first["division_code"][:4] for row in counties)
    # The breadcrumb leads back up.
    page.get_by_role("link", name="四川省").click()
    page.wait_for_url("**/coverage?division=510000")
    page.wait_for_function("id => document.getElementById(id).textContent.endsWith('四川省')", arg=ids.COVERAGE_CRUMBS)


# --- exports -------------------------------------------------------------------------------------------------------


def test_an_export_contains_what_the_grid_shows_after_filter_and_sort(browsing):
    page = browsing.sign_in("planner")
    page.goto("/coverage")
    wait_for_grid(page, ids.COVERAGE_GRID)
    everything = shown_rows(page, ids.COVERAGE_GRID)
    grid = page.locator(f"#{ids.COVERAGE_GRID}")
    grid.locator(".ag-header-cell[col-id='name'] .ag-header-cell-filter-button").click()
    page.locator(".ag-filter .ag-filter-body input").first.fill("区")  # the autonomous regions
    page.keyboard.press("Escape")
    header = grid.locator(".ag-header-cell[col-id='units_expected'] .ag-header-cell-label")
    header.click()
    header.click()  # descending
    page.wait_for_function(
        "id => document.querySelector(`#${id} .ag-header-cell[col-id='units_expected']`).getAttribute('aria-sort') === 'descending'",
        arg=ids.COVERAGE_GRID,
    )
    page.wait_for_function(
        "id => Array.from(document.querySelectorAll(`#${id} .ag-center-cols-container .ag-cell[col-id='name']`))"
        ".every(c => c.textContent.includes('区'))",
        arg=ids.COVERAGE_GRID,
    )
    shown = shown_rows(page, ids.COVERAGE_GRID)
    assert 1 < len(shown) < len(everything)
    expected_counts = [int(row["units_expected"]) for row in shown]
    assert expected_counts == sorted(expected_counts, reverse=True) and expected_counts[0] > 0

    with page.expect_download() as download:
        page.click(f"#{ids.export_button(ids.COVERAGE_GRID)}")
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert list(rows[0]) == [header for _, header in coverage.CHILD_COLUMNS]
    fields = [field for field, _ in coverage.CHILD_COLUMNS]
    assert [[as_text(v) for v in row] for row in rows[1:]] == [[row[f] for f in fields] for row in shown]


# --- every page (before the uploads below change Guangdong's data) ----------------------------------------------------


@pytest.mark.parametrize(
    ("user", "path", "grid_id", "name"),
    [
        ("planner", "/coverage", ids.COVERAGE_GRID, "coverage"),
        ("planner", "/quality", ids.QUALITY_GRID, "quality"),
        ("planner", "/submissions", ids.SUBMISSIONS_GRID, "submissions"),
        ("guangdong", "/", None, "overview-province"),
    ],
)
def test_every_page_loads_without_errors(browsing, user, path, grid_id, name):
    page = browsing.sign_in(user)
    page.goto(path)
    if grid_id:
        wait_for_grid(page, grid_id)
        assert shown_rows(page, grid_id)
    else:
        page.wait_for_selector(f"#{ids.OVERVIEW_MAP} path.choroplethlocation")
    screenshot(page, name)
    assert browsing.failed == []


@pytest.mark.parametrize(
    ("user", "path", "name"),
    [
        ("planner", "/inspections", "inspections"),
        ("planner", "/evaluation", "evaluation"),
        ("planner", "/indicators", "indicators"),
        ("evaluator", "/evaluation", "evaluation-evaluator"),
    ],
)
def test_supervision_pages_load_without_errors(browsing, user, path, name):
    """A smoke test and the screenshots on the demo-like warehouse; these pages' behaviour in the browser is tested in
    test_supervision_browser.py."""
    page = browsing.sign_in(user)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert page.locator("#page-refused").count() == 0
    assert page.locator(".js-plotly-plot, .ag-root, table").count() > 0
    screenshot(page, name)
    assert browsing.failed == []


# --- a provincial office: uploads, and nothing of another province -------------------------------------------------


def test_a_province_user_uploads_a_bad_return_gets_the_report_then_a_good_one_is_accepted(browsing, site):
    page = browsing.sign_in("guangdong")
    page.goto("/upload")
    bad = census_workbook(site.folder / "广东-有误.xlsx", 3, BAD_EDITS)
    upload_file(page, bad)
    page.wait_for_url("**/upload?job=*")
    outcome = page.wait_for_selector("#upload-outcome")
    assert "未通过校验" in outcome.inner_text()
    wait_for_grid(page, ids.UPLOAD_FAILURES_GRID)
    listed = {(row["row"], row["rule"]) for row in shown_rows(page, ids.UPLOAD_FAILURES_GRID)}
    assert {("4", "vol_total_sum"), ("5", "contact_phone_format")} <= listed
    screenshot(page, "upload")

    with page.expect_download() as download:
        page.click("#upload-report-link")
    assert download.value.suggested_filename.endswith("错误报告.xlsx")
    report = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    errors = list(report[ERRORS_SHEET].iter_rows(values_only=True))
    assert {(row[1], row[5]) for row in errors[1:]} >= {(4, "vol_total_sum"), (5, "contact_phone_format")}

    good = census_workbook(site.folder / "广东-正确.xlsx", 3)
    upload_file(page, good)
    page.wait_for_function("() => (document.getElementById('upload-outcome') || {}).textContent?.includes('已接收')")
    assert page.locator("#upload-report-link").count() == 0


def test_a_province_user_cannot_see_or_fetch_another_province(browsing, chromium, site):
    page = browsing.sign_in("guangdong")
    page.goto("/coverage?division=450000")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    refused = [u for status, u in browsing.failed if status == 403 and urlparse(u).path == "/_dash-update-component"]
    assert len(refused) >= 4  # breadcrumbs and three grids
    assert shown_rows(page, ids.COVERAGE_GRID) == []
    text = page.inner_text("main")
    assert "广西" not in text and "南宁" not in text and "4501" not in text
    browsing.failed.clear()

    # Templates are always the user's own province, whatever the query asks.
    template = page.request.get("/download/template/census?province=450000")
    assert template.ok and read_meta(template.body())["province_code"] == "440000"

    # Guangxi's upload report is Guangxi's alone.
    guangxi = chromium.new_context(base_url=site.url)
    try:
        sign_in = guangxi.request.post(
            "/login", form={"username": "guangxi", "password": password_of("guangxi")}, max_redirects=0
        )
        assert sign_in.status == 302
        bad = province_workbook(site.folder / "广西-有误.xlsx", CENSUS_FORM, "450000", 3, BAD_EDITS)
        response = guangxi.request.post(
            "/api/upload",
            multipart={
                "kind": "census",
                "file": {"name": bad.name, "mimeType": "application/octet-stream", "buffer": bad.read_bytes()},
            },
            max_redirects=0,
        )
        job_id = response.headers["location"].split("job=", 1)[1]
        deadline = time.monotonic() + 30
        while guangxi.request.get(f"/download/report/{job_id}").status != 200:
            assert time.monotonic() < deadline, "Guangxi's upload did not finish"
            time.sleep(0.3)
    finally:
        guangxi.close()
    assert page.request.get(f"/download/report/{job_id}").status == 404
    page.goto(f"/upload?job={job_id}")
    page.wait_for_load_state("networkidle")
    assert bad.name not in page.inner_text("main")
    assert shown_rows(page, ids.UPLOAD_FAILURES_GRID) == []
    browsing.failed.clear()
