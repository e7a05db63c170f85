"""Finding 3 and the web parts of finding 8 as an attacker would try them, in real headless Chromium: a page served
from another port of the same host (same site, another origin: SameSite cookies do not separate ports) posts an
upload to the app with the signed-in user's cookie, and frames the app; a session cookie copied before sign-out is
presented after it. The app itself keeps working under its CSP: every browser test (browser.browse) fails on a
CSP violation (any console error) in the browser.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from census_schema.census_form import CENSUS_FORM
from census_schema.settings import load_settings
from dash_app import ids
from dash_app.app import close_app, create_app
from dash_app.webstate import WebState, end_sessions_of
from flows.ingest import IngestRequest, ingest_workbook
from tests.dash_app.browser import (
    QuietRequestHandler,
    Session,
    Site,
    browse,
    require_browser,
    screenshot,
    wait_for_grid,
)
from tests.dash_app.conftest import USERS, private_demo_warehouse, province_workbook
from warehouse.backends import EmbeddedWarehouse
from warehouse.queries import list_submissions
from warehouse.store import WarehouseStore
from warehouse.transactions import utc_now

pytestmark = pytest.mark.browser

ATTACK_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>抽奖</title></head><body>
<h1>恭喜中奖</h1>
<iframe id="framed" src="{app}/" width="800" height="400"></iframe>
<script>
const bytes = Uint8Array.from(atob("{workbook}"), c => c.charCodeAt(0));
const form = new FormData();
form.append("kind", "census");
form.append("file", new Blob([bytes], {{type: "application/octet-stream"}}), "广东-伪造.xlsx");
fetch("{app}/api/upload", {{method: "POST", body: form, credentials: "include", mode: "no-cors"}})
  .then(() => {{ document.title = "sent"; }}, () => {{ document.title = "sent"; }});
</script></body></html>"""


def serve(wsgi: Any, name: str) -> tuple[str, Any, threading.Thread]:
    server = make_server("127.0.0.1", 0, wsgi, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", server, thread


# What the app answered to each request that reached it: (method, path, status, Origin header, cookie sent).
ANSWERED: list[tuple[str, str, int, str | None, bool]] = []


def recording(wsgi: Any) -> Any:
    """The app, noting what it answers (a no-cors response is opaque to the page and to Playwright)."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: Any, *rest: Any) -> Any:
            note = (environ["REQUEST_METHOD"], environ["PATH_INFO"], int(status.split()[0]))
            ANSWERED.append((*note, environ.get("HTTP_ORIGIN"), "session=" in environ.get("HTTP_COOKIE", "")))
            return start_response(status, headers, *rest)

        return wsgi(environ, start)

    return app


@pytest.fixture(scope="module")
def site(demo_run, tmp_path_factory) -> Iterator[Site]:
    """A copy of the session's demo with the test users, the app on one port of 127.0.0.1 (its own server: the
    attack's answers are recorded)."""
    require_browser()
    folder = tmp_path_factory.mktemp("security-browser")
    settings = private_demo_warehouse(demo_run.db_path, folder, USERS)
    app = create_app(settings)
    url, server, thread = serve(recording(app.server), "dash-security-server")
    try:
        yield Site(url, settings, folder)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        close_app(app)


@pytest.fixture(scope="module")
def attacker(site) -> Iterator[str]:
    """Another port of the same host serving a page that uploads a forged return to the app and frames it."""
    workbook = province_workbook(Path(site.folder) / "forged.xlsx", CENSUS_FORM, "440000", 2)
    page = ATTACK_PAGE.format(app=site.url, workbook=base64.b64encode(workbook.read_bytes()).decode())

    @Request.application
    def attack(_request: Request) -> Response:
        return Response(page, mimetype="text/html")

    url, server, thread = serve(attack, "attacker-server")
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browsing(chromium, site) -> Iterator[Session]:
    yield from browse(chromium, site.url)


def census_submissions(site: Site) -> list[dict[str, Any]]:
    with WarehouseStore(site.settings.db_path).reader() as con:
        return [s for s in list_submissions(con) if s["kind"] == "census"]


def test_a_page_on_another_port_cannot_upload_as_the_signed_in_user_nor_frame_the_app(browsing, site, attacker):
    before = census_submissions(site)
    page = browsing.sign_in("guangdong")
    ANSWERED.clear()
    page.goto(attacker)
    page.wait_for_function("document.title === 'sent'")
    # The browser did send the user's cookie (same site: SameSite does not separate ports); the app refused.
    assert [a for a in ANSWERED if a[1] == "/api/upload"] == [("POST", "/api/upload", 403, attacker, True)]
    assert census_submissions(site) == before
    # The app refuses to be framed: Chromium shows an error page in the frame instead of the app.
    framed = next(f for f in page.frames if f is not page.main_frame)
    assert framed.url.startswith("chrome-error://") or "国有档案资源普查" not in framed.content()
    # What the attacker's page did is not the app's doing: its own request, the refused frame, the 403.
    browsing.requests[:] = [u for u in browsing.requests if not u.startswith(attacker)]
    browsing.console.clear()
    browsing.failed.clear()


def test_a_session_cookie_copied_before_sign_out_is_refused_after_it(browsing, chromium, site):
    page = browsing.sign_in("planner")
    copied = browsing.context.cookies()
    assert any(c["name"] == "session" for c in copied)
    browsing.wait_for_quiet(page)  # no callback of the page still in flight at sign-out
    page.click(f"#{ids.NAV_LOGOUT}")
    page.wait_for_url("**/login")
    thief = chromium.new_context(base_url=site.url)
    try:
        thief.add_cookies([c for c in copied if c["name"] == "session"])
        stolen = thief.new_page()
        stolen.goto("/coverage")
        assert "/login" in stolen.url
        assert stolen.request.get("/download/indicators-report").status == 401
    finally:
        thief.close()


def set_last_seen(site: Site, user: str, minutes_ago: float) -> None:
    """Make the user's sessions look as if their browsers had last asked the server `minutes_ago` minutes ago."""
    seen = (utc_now() - timedelta(minutes=minutes_ago)).isoformat()
    with WebState(site.settings.var_dir).connect() as con:
        con.execute("UPDATE web_sessions SET last_seen_at = ? WHERE user_name = ?", [seen, user])


def skip_a_minute(page: Any) -> None:
    """The page's clock a minute and a second on (session.js tells the server of activity at most once a minute)."""
    page.evaluate("(() => { const now = Date.now; Date.now = () => now() + 61000; })()")


def test_typing_keeps_a_session_alive_and_one_that_ended_meanwhile_keeps_what_was_typed(browsing, site):
    page = browsing.sign_in("guangdong", "/inspections")
    browsing.wait_for_quiet(page)
    measures = page.locator(f"#{ids.INSPECTIONS_MEASURES}")
    # 29 minutes since the page last asked the server; the user types a long text, which sends nothing itself.
    set_last_seen(site, "guangdong", 29)
    skip_a_minute(page)
    with page.expect_response("**/session/keepalive") as kept:
        measures.type("已对库房温湿度")
    assert kept.value.status == 204
    with WebState(site.settings.var_dir).connect() as con:
        seen = con.execute("SELECT max(last_seen_at) FROM web_sessions WHERE user_name = 'guangdong'").fetchone()[0]
    assert utc_now() - datetime.fromisoformat(seen) < timedelta(minutes=1)
    # Then the user is away 30 minutes and comes back to the text: the session has ended. The page says so and stays.
    set_last_seen(site, "guangdong", 31)
    skip_a_minute(page)
    with page.expect_response("**/session/keepalive") as ended:
        measures.type("进行监测。")
    assert ended.value.status == 401
    notice = page.locator("#session-ended-notice")
    notice.wait_for()
    assert "重新登录" in notice.inner_text()
    screenshot(page, "session-ended-notice")
    page.click(f"#{ids.INSPECTIONS_APPLY}")  # refused (401), but the page is not left: the text would be lost
    page.wait_for_timeout(1000)
    assert page.url.endswith("/inspections") and measures.input_value() == "已对库房温湿度进行监测。"
    # Signed in again in another tab, the same page goes on: its next request is answered and the notice goes.
    browsing.sign_in("guangdong").close()
    page.click(f"#{ids.INSPECTIONS_APPLY}")
    notice.wait_for(state="detached")
    assert measures.input_value() == "已对库房温湿度进行监测。"
    assert {status for status, _ in browsing.expect_refusals()} == {401}


def test_a_server_out_of_reach_is_said_until_it_answers_again(browsing):
    # A stopped or restarting server left the page as it was: an upload's status said 排队中 while it was gone.
    page = browsing.sign_in("guangdong", "/inspections")
    browsing.wait_for_quiet(page)
    measures = page.locator(f"#{ids.INSPECTIONS_MEASURES}")
    page.route("**/_dash-update-component*", lambda route: route.abort())
    measures.fill("已制定整改方案")
    measures.press("Tab")  # leaving the field asks the server for the action's preview
    notice = page.locator("#server-unreachable-notice")
    notice.wait_for()
    assert notice.inner_text().startswith("暂时无法连接服务器") and notice.get_attribute("role") == "alert"
    screenshot(page, "server-unreachable-notice")
    page.unroute("**/_dash-update-component*")
    # Back, it goes by itself (it stayed until the page next sent something).
    notice.wait_for(state="detached", timeout=15_000)
    browsing.expect_refusals()  # the request cut off, and Dash's own line for it:
    assert [line for line in browsing.console if "Callback failed: the server did not respond" in line]
    browsing.console.clear()


def test_the_app_sends_its_security_headers_to_the_browser(browsing, site):
    page = browsing.new_page()
    response = page.goto("/login")
    headers = response.all_headers()
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    audit = browsing.sign_in("admin", "/audit")
    audit.wait_for_selector(f"#{ids.AUDIT_GRID} .ag-row")
    # A clicked event shows in full under the grid (the grid shows its states on one clipped line).
    audit.locator(f"#{ids.AUDIT_GRID} .ag-center-cols-container .ag-row", has_text="用户与角色").first.click()
    audit.wait_for_selector(f"#{ids.AUDIT_DETAIL} .audit-states li")
    audit.wait_for_load_state("networkidle")
    screenshot(audit, "audit")
    # By keyboard too: Enter on the first row opens it in the detail, which says so as it changes (aria-live).
    assert audit.get_attribute(f"#{ids.AUDIT_DETAIL}", "aria-live") == "polite"
    first = audit.locator(f"#{ids.AUDIT_GRID} .ag-center-cols-container .ag-row[row-index='0'] .ag-cell").first
    first.focus()
    audit.keyboard.press("Enter")
    when = first.inner_text()
    audit.wait_for_function(
        "([id, when]) => document.getElementById(id).textContent.includes(when)", arg=[ids.AUDIT_DETAIL, when]
    )
    assert [line for line in browsing.console if "Content Security Policy" in line] == []


def test_a_page_whose_session_the_server_ended_goes_to_sign_in_and_says_why(browsing, site):
    # Its callbacks answered 401 and the page stayed as it was, silently, the old user's name in its header.
    page = browsing.sign_in("planner", "/coverage")
    browsing.wait_for_quiet(page)
    assert end_sessions_of(site.settings.var_dir, "planner", "credentials_changed") >= 1
    page.click("nav a[href='/inspections']")
    page.wait_for_url("**/login?expired=1&next=%2Finspections")
    assert "登录已失效" in page.locator("body").inner_text()
    refused = browsing.expect_refusals()
    assert refused and {status for status, _ in refused} == {401}
    browsing.console = [line for line in browsing.console if "401" not in line]


def test_a_tab_open_when_an_administrator_reset_the_password_goes_to_the_password_form(browsing, site):
    # The reset user signed in again in another tab and landed on /password; this tab's callbacks got 403 and the
    # page changed its address but kept the old content, without a word.
    from dash_app.auth import hash_password
    from tests.dash_app.conftest import password_of
    from warehouse.users import add_user

    name = f"reset{secrets.token_hex(3)}"
    store = WarehouseStore(site.settings.db_path)
    with store.writer() as con:
        add_user(con, name, hash_password(password_of(name), name), "province", "440000", by="管理员")
    tab = browsing.sign_in(name, "/coverage")
    wait_for_grid(tab, ids.COVERAGE_GRID)
    browsing.wait_for_quiet(tab)
    with store.writer() as con:  # as `users add --replace`: this tab's session ends with the old password hash
        add_user(
            con,
            name,
            hash_password(password_of(name), name),
            "province",
            "440000",
            must_change_password=True,
            by="管理员",
        )
    other = browsing.new_page()
    other.goto("/login")
    other.fill(f"#{ids.LOGIN_USERNAME}", name)
    other.fill(f"#{ids.LOGIN_PASSWORD}", password_of(name))
    other.click(f"#{ids.LOGIN_SUBMIT}")
    other.wait_for_url("**/password")
    tab.click(f"#{ids.nav_link('数据质量')}")
    tab.wait_for_url("**/password?next=*")  # and back to the page once the password is changed
    assert "须先改为只有您知道的密码" in tab.inner_text("body")
    assert {status for status, _ in browsing.expect_refusals()} <= {403}


def test_data_docs_draw_their_tables_sandboxed_with_nothing_from_another_host(browsing, site, monkeypatch):
    # GX's pages load their scripts from public CDNs, unreachable here as in the bureau: their tables were blank.
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_DOCS", "1")  # the suite keeps none by default
    settings = load_settings(site.settings.db_path)
    # A return with an error: recorded (rejected) without touching what the province reported.
    workbook = province_workbook(
        Path(site.folder) / "with-data-docs.xlsx", CENSUS_FORM, "440000", 2, {0: {"vol_total": -1}}
    )
    outcome = ingest_workbook(
        EmbeddedWarehouse(settings.db_path), IngestRequest(workbook, "census", "440000", "测试"), settings
    )
    assert outcome.data_docs is not None and outcome.submission_id is not None
    submission = outcome.submission_id
    page = browsing.sign_in("planner")
    page.goto(f"/data-docs/{submission}/")
    # bootstrap-table draws the list of validations from the page's data, with its own pagination line.
    page.wait_for_selector("table tbody tr td a")
    assert "Showing 1 to" in page.locator("body").inner_text()
    screenshot(page, "data-docs")
    page.locator("table tbody tr td a").first.click()
    page.wait_for_selector("text=Expectation Suite")
    screenshot(page, "data-docs-suite")
