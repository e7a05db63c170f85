"""Helpers of the browser tests: Debian's /usr/bin/chromium driven by Playwright, the app served in-process on one
session-wide site (a demo-like warehouse built once, see conftest.site), a recorded browser context per test.

Every request a page makes is recorded: none may leave 127.0.0.1 (map geometry and topojson stub are local).
Screenshots go to docs/screenshots/<page>.png when ARCHIVE_CENSUS_SCREENSHOTS=1 (else a temp folder).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from werkzeug.serving import WSGIRequestHandler

from dash_app import ids
from tests.dash_app.conftest import password_of

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
# The browser of a user in China: its own words (a date input's 年/月/日) in Chinese, as the pages are. On Linux,
# Chromium takes its language from the environment (its --lang switch is ignored there).
LAUNCH_ENV = {**os.environ, "LANGUAGE": "zh_CN"}
VIEWPORT = {"width": 1400, "height": 900}
# The committed pictures are refreshed on purpose (ARCHIVE_CENSUS_SCREENSHOTS=1), not by every test run.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("ARCHIVE_CENSUS_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "archive-census-screenshots"
)
# A wait only runs out when something is wrong or the machine is starved: on CI (2026-12-06) the planner's first page
# (the map, right after the demo was built) was drawn but its header bar's wait still ran out at 30 s.
WAIT_MS = 60_000


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


@dataclass
class Session:
    """A fresh browser context: its requests, failed responses, console errors and page errors are recorded."""

    context: Any
    base_url: str
    requests: list[str] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    in_flight: int = 0
    last_request_change: float = 0.0

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and self.console.append(message.text))
        page.on("request", lambda _: self._count_request(1))
        page.on("requestfinished", lambda _: self._count_request(-1))
        page.on("requestfailed", lambda _: self._count_request(-1))
        return page

    def _count_request(self, change: int) -> None:
        self.in_flight += change
        self.last_request_change = time.monotonic()

    def wait_for_quiet(self, page: Any, quiet_s: float = 0.5) -> None:
        """Until no request of the session's pages has been in flight for quiet_s (before signing out, say).
        Playwright's "networkidle" is reached once per document: after the app changed page without reloading
        (a link inside the app) it answers at once, with the new page's callbacks still in flight."""
        deadline = time.monotonic() + WAIT_MS / 1000
        while self.in_flight > 0 or time.monotonic() - self.last_request_change < quiet_s:
            assert time.monotonic() < deadline, f"{self.in_flight} requests still in flight"
            page.wait_for_timeout(100)  # lets Playwright deliver the request events

    def expect_refusals(self) -> list[tuple[int, str]]:
        """The failed responses so far, forgotten (with the console lines browsers log for them): a test that
        provokes refusals on purpose checks them, then clears them."""
        failed, self.failed = self.failed, []
        self.console = [
            line
            for line in self.console
            if not line.startswith("Failed to load resource") and "<title>403 Forbidde" not in line
        ]
        return failed

    def sign_in(self, user: str, path: str | None = None) -> Any:
        """A page signed in as the user: on `path` reached as a signed-out user is (its address leads to the sign-in
        form, which leads back to it), else on the page the sign-in leads to."""
        page = self.new_page()
        page.goto(path or "/login")
        assert page.url.startswith(f"{self.base_url}/login")
        page.fill(f"#{ids.LOGIN_USERNAME}", user)
        page.fill(f"#{ids.LOGIN_PASSWORD}", password_of(user))
        page.click(f"#{ids.LOGIN_SUBMIT}")
        page.wait_for_selector(f"#{ids.NAV_USER}")
        assert path is None or page.url == self.base_url + path
        return page

    def offsite(self) -> list[str]:
        """Requests to any host but the test server (data: and blob: URLs stay in the page)."""
        return [u for u in self.requests if urlparse(u).scheme in ("http", "https", "ws", "wss") and not self.local(u)]

    def local(self, url: str) -> bool:
        return urlparse(url).netloc == urlparse(self.base_url).netloc


def browse(chromium: Any, url: str) -> Iterator[Session]:
    """A new browser context on the served app; afterwards no request may have left 127.0.0.1 and no page thrown."""
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True, base_url=url)
    session = Session(context, url)
    context.on("request", lambda request: session.requests.append(request.url))
    context.on(
        "response", lambda response: response.status >= 400 and session.failed.append((response.status, response.url))
    )
    yield session
    context.close()
    assert session.offsite() == [], session.offsite()
    assert session.errors == [], session.errors
    assert session.console == [], session.console
    assert session.failed == [], session.failed


def screenshot(page: Any, name: str) -> None:
    """docs/screenshots/<name>.png of the whole page, once fonts and pending callbacks have settled."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def wait_for_grid(page: Any, grid_id: str, *, rows: bool = False) -> None:
    """Until the grid's rows have arrived (its count says 共 N 条) and, if there are any, are drawn; with `rows`, until
    a row is drawn (a grid that follows a changing input shows 共 0 条 until its rows come)."""
    page.wait_for_function(
        """([id, rows]) => {
            const count = (document.getElementById(id + '-count') || {}).textContent || '';
            return (count === '共 0 条' && !rows) || (count.startsWith('共') && count !== '共 0 条'
                && document.querySelector(`#${id} .ag-center-cols-container .ag-row .ag-cell`) !== null);
        }""",
        arg=[grid_id, rows],
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


def filter_column(page: Any, grid_id: str, column: str, text: str, *, attempts: int = 3) -> None:
    """Type `text` into the column's filter (opening it if needed) until the grid has taken it as its filter.

    A box typed into in the grid's first moments can be emptied before its debounce applies it: dash-ag-grid sets the
    grid's filter model from its own prop on the render that follows the grid's creation, and on a cold browser cache
    that render can come after the typing (failed CI once; here 5 of 30 fresh browsers lost the text). The text is
    then typed again, as a reader would; a filter the grid never takes still fails."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    box = page.locator(".ag-filter .ag-filter-body input").first
    if not box.is_visible():
        page.locator(f"#{grid_id} .ag-header-cell[col-id='{column}'] .ag-header-cell-filter-button").click()
    for _ in range(attempts):
        box.fill(text)
        try:
            page.wait_for_function(
                "([id, column, text]) => ((dash_ag_grid.getApi(id).getFilterModel() || {})[column] || {}).filter === text",
                arg=[grid_id, column, text],
                timeout=5_000,
            )
            return
        except PlaywrightTimeoutError:
            continue
    raise AssertionError(f"{grid_id}: the filter of {column} never took {text!r} ({attempts} tries)")


def cut_cells(page: Any, grid_id: str) -> list[list[Any]]:
    """The grid's header texts and cells whose text does not fit (AG Grid cuts it with …): [column, text, width the
    text needs, width shown]. A cell's boxes are measured (a link's text by the box it sits in); a header by its text
    (its resize handle juts out of its box)."""
    return page.evaluate(
        """id => [
                ...Array.from(document.querySelectorAll(`#${id} .ag-header-cell-text`)).map(text => [text, text]),
                ...Array.from(document.querySelectorAll(`#${id} .ag-center-cols-container .ag-cell`))
                    .flatMap(cell => [cell, ...cell.querySelectorAll('*')].map(box => [cell, box])),
            ]
            .filter(([, box]) => getComputedStyle(box).display !== 'inline' && box.scrollWidth > box.clientWidth)
            .map(([cell, box]) => [cell.closest('[col-id]').getAttribute('col-id'), box.textContent.trim(),
                                   box.scrollWidth, box.clientWidth])""",
        grid_id,
    )


def horizontal_overflow(page: Any, grid_id: str) -> dict[str, list[int]]:
    """The grid's boxes wider inside than shown ([scroll width, client width]): its rows (a horizontal scroll bar)
    and the page itself."""
    return page.evaluate(
        """id => Object.fromEntries([
                ['rows', document.querySelector(`#${id} .ag-center-cols-viewport`)],
                ['scroll bar', document.querySelector(`#${id} .ag-body-horizontal-scroll-viewport`)],
                ['page', document.documentElement],
            ].filter(([, box]) => box.scrollWidth > box.clientWidth).map(([name, box]) => [name,
                [box.scrollWidth, box.clientWidth]]))""",
        grid_id,
    )


def wait_until_readable(page: Any, grid_id: str) -> tuple[list[list[Any]], dict[str, list[int]]]:
    """The grid's cut texts and overflow once it has settled (columns are sized after the rows are drawn): none, or
    what is still cut after a few seconds."""
    for _ in range(30):
        page.wait_for_timeout(200)
        if not cut_cells(page, grid_id) and not horizontal_overflow(page, grid_id):
            break
    return cut_cells(page, grid_id), horizontal_overflow(page, grid_id)


def columns_out_of_view(page: Any, grid_id: str) -> list[str]:
    """The grid's columns whose header is not wholly inside its rows' viewport (reached only by scrolling sideways)."""
    return page.evaluate(
        """id => {
            const shown = document.querySelector(`#${id} .ag-center-cols-viewport`).getBoundingClientRect();
            return Array.from(document.querySelectorAll(`#${id} .ag-header-cell[col-id]`))
                .filter(cell => cell.getBoundingClientRect().right > shown.right + 1)
                .map(cell => cell.getAttribute('col-id'));
        }""",
        grid_id,
    )


def as_text(value: Any) -> str:
    """A spreadsheet value as the grid prints it (95.0 → '95', None → '')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_shown(column: Any, value: Any) -> str:
    """An exported cell's value as the grid column shows it (the formats of assets/grid_formats.js): 1,234, 96.39%
    (exported as the fraction 0.9639 under Excel's % format), 是."""
    if value is None or value == "":
        return ""
    if column.kind == "int":
        return f"{round(float(value)):,}"
    if column.kind == "decimal":
        return f"{float(value):,.{column.decimals}f}"
    if column.kind == "pct":
        return value if value == "—" else f"{float(value) * 100:,.{column.decimals}f}%"  # — : nothing to divide by
    if column.kind == "bool":
        return "是" if value else "否"
    return as_text(value)


def number(text: str) -> float:
    """A number as a grid shows it (1,234 / 96.39%) read back."""
    return float(text.replace(",", "").rstrip("%"))


def upload_file(page: Any, path: Path) -> None:
    """Choose the workbook in the upload form and submit it (the form re-mounts once after the page loads)."""
    page.wait_for_load_state("networkidle")
    page.set_input_files(f"#{ids.UPLOAD_FILE}", str(path))
    assert page.evaluate("id => document.getElementById(id).files.length", ids.UPLOAD_FILE) == 1
    page.click(f"#{ids.UPLOAD_SUBMIT}")


def nav_links(page: Any) -> list[str]:
    """The navigation's page links (not 修改密码 nor 退出, which every signed-in user has)."""
    links = page.locator(f".navbar a.nav-link:not(#{ids.NAV_PASSWORD})").all_inner_texts()
    return [text.strip() for text in links if text.strip() != "退出"]
