"""The web app in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright), served in-process on
the session's demo-like site (conftest.site; helpers in browser.py): sign-in, the map, drilling, lineage, exports,
nothing of another province (every page as every role: test_every_page; uploads: test_upload_browser)."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import openpyxl
import pytest

from census_schema.census_form import CENSUS_FORM
from census_schema.roles import Role
from cli.ingest_cmd import DEMO_PEOPLE
from dash_app import ids
from dash_app.grid import EXPORT_HEADER_ROW
from dash_app.pages import PAGES, coverage
from tests.dash_app import browser
from tests.dash_app.browser import (
    as_shown,
    filter_column,
    nav_links,
    number,
    require_browser,
    screenshot,
    shown_rows,
    wait_for_grid,
)
from tests.dash_app.conftest import BAD_EDITS, password_of, province_workbook, read_meta

pytestmark = pytest.mark.browser

# The census pages each role sees, in menu order (other pages, e.g. supervision, may sit between them).
CENSUS_PAGES = ("总览", "覆盖情况", "数据质量", "提交记录", "上传报表")
CENSUS_NAVIGATION = {
    "planner": ["总览", "覆盖情况", "数据质量", "提交记录", "上传报表"],  # the national workbooks
    "admin": ["总览", "覆盖情况", "数据质量", "提交记录"],
    "province": ["总览", "覆盖情况", "数据质量", "提交记录", "上传报表"],
    "evaluator": [],
}


# --- the skip/fail rule -------------------------------------------------------------------------------------------


def test_without_chromium_the_browser_tests_fail_in_ci_and_skip_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
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
    page.fill(f"#{ids.LOGIN_USERNAME}", user)
    page.fill(f"#{ids.LOGIN_PASSWORD}", password_of(user))
    page.click(f"#{ids.LOGIN_SUBMIT}")
    page.wait_for_selector(f"#{ids.NAV_USER}")
    assert urlparse(page.url).path == "/coverage"
    links = nav_links(page)
    assert [link for link in links if link in CENSUS_PAGES] == CENSUS_NAVIGATION[role]
    assert links == [p.NAME for p in PAGES if role in p.ROLES]
    assert user in page.inner_text(f"#{ids.NAV_USER}")
    assert page.inner_text(f"#{ids.NAV_PASSWORD}") == "修改密码"  # every role changes its own password
    if role == "evaluator":
        page.wait_for_selector(f"#{ids.PAGE_REFUSED}")
        allowed = [p for p in PAGES if role in p.ROLES]
        if allowed:  # the refusal links to the pages the role may open
            page.locator("main a", has_text=allowed[0].NAME).click()
            page.wait_for_url(f"**{allowed[0].PATH}")
            page.wait_for_selector(f"#{ids.PAGE_REFUSED}", state="detached")
    else:
        wait_for_grid(page, ids.COVERAGE_GRID)
    # The page's last callbacks answered first: one still in flight at sign-out is refused (401, a console error).
    browsing.wait_for_quiet(page)
    page.click(f"#{ids.NAV_LOGOUT}")
    page.wait_for_url("**/login")
    page.goto("/")
    assert urlparse(page.url).path == "/login"


def test_a_wrong_password_is_refused_in_the_browser(browsing):
    page = browsing.new_page()
    page.goto("/login")
    page.fill(f"#{ids.LOGIN_USERNAME}", "planner")
    page.fill(f"#{ids.LOGIN_PASSWORD}", "not-the-password")
    page.click(f"#{ids.LOGIN_SUBMIT}")
    assert "用户名或密码不正确" in page.inner_text(f"#{ids.LOGIN_FORM}")
    assert page.locator(f"#{ids.NAV_USER}").count() == 0
    # The name typed stays and the password has the focus: a keyboard user types it again, nothing more.
    assert page.input_value(f"#{ids.LOGIN_USERNAME}") == "planner"
    assert page.evaluate("document.activeElement.id") == ids.LOGIN_PASSWORD


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

    # Sichuan's largest drawn path (on the mainland view), scrolled into view as a user would (the cards above the
    # map may push it below the fold); plotly picks the province under the pointer.
    x, y = page.evaluate(
        """id => {
            const area = p => { const r = p.getBoundingClientRect(); return r.width * r.height; };
            const paths = Array.from(document.querySelectorAll(`#${id} path.choroplethlocation`))
                .filter(p => p.__data__.loc === '510000').sort((a, b) => area(b) - area(a));
            paths[0].scrollIntoView({block: 'center', inline: 'center'});
            const box = paths[0].getBoundingClientRect();
            return [box.x + box.width / 2, box.y + box.height / 2];
        }""",
        ids.OVERVIEW_MAP,
    )
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    # The region offers its coverage one level down and the lineage of its figure.
    assert page.wait_for_selector(f"#{ids.OVERVIEW_REGION} strong").inner_text() == "四川省"
    assert page.get_attribute(f"#{ids.OVERVIEW_LINEAGE}", "href") == "/lineage?figure=units_reported&division=510000"
    page.click(f"#{ids.OVERVIEW_DRILL}")
    page.wait_for_url("**/coverage?division=510000")
    wait_for_grid(page, ids.COVERAGE_GRID)
    assert page.inner_text(f"#{ids.COVERAGE_CRUMBS}").split(" › ") == ["全国", "四川省"]
    prefectures = shown_rows(page, ids.COVERAGE_GRID)
    assert prefectures and all(row["shown_code"].startswith("51") for row in prefectures)
    screenshot(page, "coverage-province")

    first = next(row for row in prefectures if not row["name"].endswith("本级"))
    page.locator(f"#{ids.COVERAGE_GRID} .ag-row[row-id='{first['shown_code']}'] .ag-cell[col-id='name']").click()
    page.wait_for_url(f"**/coverage?division={first['shown_code']}")
    page.wait_for_function(
        "([id, name]) => document.getElementById(id).textContent.endsWith(name)",
        arg=[ids.COVERAGE_CRUMBS, first["name"]],
    )
    # Every row shown is the prefecture's (the province's rows, also of that prefix for one of them, are gone).
    page.wait_for_function(
        "([id, code]) => { const cells = Array.from(document.querySelectorAll("
        "`#${id} .ag-center-cols-container .ag-cell[col-id='shown_code']`));"
        " return cells.length > 0 && cells.every(c => c.textContent.startsWith(code.slice(0, 4))); }",
        arg=[ids.COVERAGE_GRID, first["shown_code"]],
    )
    counties = shown_rows(page, ids.COVERAGE_GRID)
    assert counties and all(row["shown_code"][:4] == first["shown_code"][:4] for row in counties)
    # The breadcrumb leads back up.
    page.get_by_role("link", name="四川省").click()
    page.wait_for_url("**/coverage?division=510000")
    page.wait_for_function("id => document.getElementById(id).textContent.endsWith('四川省')", arg=ids.COVERAGE_CRUMBS)


def test_a_province_user_sees_its_own_province_s_map_indicators_and_quality(browsing):
    page = browsing.sign_in("guangdong")
    assert page.inner_text("main h1") == "广东省普查总览"
    page.wait_for_selector(f"#{ids.OVERVIEW_MAP} path.choroplethlocation")
    drawn = page.evaluate(
        """id => Array.from(new Set(Array.from(document.querySelectorAll(`#${id} path.choroplethlocation`))
            .filter(p => { const r = p.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
            .map(p => p.__data__.loc))).sort()""",
        ids.OVERVIEW_MAP,
    )
    assert len(drawn) >= 20 and all(code.startswith("44") for code in drawn)  # its 21 prefectures
    assert any(u.endswith("/assets/prefectures/440000.geojson") for u in browsing.requests)
    assert not any(u.endswith("/assets/china_provinces.geojson") for u in browsing.requests)
    panel = page.wait_for_selector(f"#{ids.OVERVIEW_PROVINCE} .card")
    assert panel is not None
    text = page.inner_text(f"#{ids.OVERVIEW_PROVINCE}")
    assert "广东省数据质量" in text and "质量分" in text and "广东省规划指标" in text


# --- coverage that adds up ---------------------------------------------------------------------------------------


def grid_total(page: Any, grid_id: str) -> dict[str, str]:
    """The grid's pinned 合计 row as {column id: cell text}."""
    return page.evaluate(
        """id => Object.fromEntries(Array.from(document.querySelectorAll(`#${id} .ag-floating-bottom .ag-row .ag-cell`))
            .map(cell => [cell.getAttribute('col-id'), cell.innerText.trim()]))""",
        grid_id,
    )


def wait_for_total(page: Any, grid_id: str, label_column: str = "name") -> dict[str, str]:
    page.wait_for_function(
        "([id, column]) => (document.querySelector(`#${id} .ag-floating-bottom .ag-row .ag-cell[col-id='${column}']`) || {}).innerText === '合计'",
        arg=[grid_id, label_column],
    )
    return grid_total(page, grid_id)


def test_coverage_adds_up_at_every_level_and_a_county_says_it_is_the_lowest(browsing):
    page = browsing.sign_in("planner")
    counts = ("units_expected", "units_reported", "units_missing", "units_unregistered")
    for search in ("", "?division=510000", "?division=440100"):
        page.goto(f"/coverage{search}")
        wait_for_grid(page, ids.COVERAGE_GRID)
        total = wait_for_total(page, ids.COVERAGE_GRID)
        rows = shown_rows(page, ids.COVERAGE_GRID)
        sums = {c: sum(number(r[c]) for r in rows) for c in counts}
        assert sums == {c: number(total[c]) for c in counts}, search
        # Where no holder is expected the share reads —, as on the cards and the bulletin (it was left blank).
        nothing_expected = [r["coverage_pct"] for r in rows if number(r["units_expected"]) == 0]
        assert set(nothing_expected) <= {"—"}, (search, nothing_expected)
        if not search:
            assert nothing_expected, "provinces without a register yet"
        if search:
            # The division's own holders (a provincial body, a city's own bureau) have their own first row.
            own = [r for r in rows if r["name"].endswith("本级")]
            assert own == [] or rows[0] == own[0]
    assert any(r["name"] == "广州市本级" for r in rows) or number(total["units_expected"]) > 0
    county = next(r for r in rows if not r["name"].endswith("本级"))
    page.locator(f"#{ids.COVERAGE_GRID} .ag-row[row-id='{county['shown_code']}'] .ag-cell[col-id='name']").click()
    page.wait_for_url(f"**/coverage?division={county['shown_code']}")
    page.wait_for_function("() => document.querySelector('main').innerText.includes('区县是最低一级')")
    wait_for_grid(page, ids.COVERAGE_MISSING_GRID)
    assert all(r["division_name"].endswith(county["name"]) for r in shown_rows(page, ids.COVERAGE_MISSING_GRID))
    screenshot(page, "coverage-county")


def test_a_chart_downloads_as_an_image(browsing):
    # The modebar's camera did nothing: the image is drawn from a blob: URL, which the CSP refused (img-src).
    page = browsing.sign_in("planner", "/coverage")
    chart = page.locator(".js-plotly-plot").first
    chart.locator(".main-svg").first.wait_for()
    chart.hover()
    with page.expect_download() as download:
        chart.locator(".modebar-btn[data-title='下载图表为PNG格式']").click()
    assert download.value.suggested_filename == "国有档案资源普查图表.png"
    assert download.value.path().read_bytes().startswith(b"\x89PNG")


def test_a_printed_page_holds_every_row_of_its_grids_and_its_charts_fit_the_paper(browsing):
    # A grid printed its page of 20 rows and nothing said the others were left out; a chart kept its width on the
    # screen and was cut at the paper's edge.
    page = browsing.sign_in("planner")
    # What was printed, read as the printing ends: a listener added before the page's scripts runs before theirs,
    # which undo it.
    page.add_init_script(
        """addEventListener('afterprint', () => {
            const chart = document.querySelector('.js-plotly-plot');
            window.printed = {
                rows: document.querySelectorAll('.ag-center-cols-container .ag-row').length,
                zoom: chart && (parseFloat(chart.style.zoom) || 1),
                landscape: [...document.querySelectorAll('style')].some((s) => s.textContent.includes('landscape')),
            };
        })"""
    )
    page.goto("/submissions")
    wait_for_grid(page, ids.SUBMISSIONS_GRID)
    total = int(re.sub(r"\D", "", page.inner_text(f"#{ids.grid_count(ids.SUBMISSIONS_GRID)}")))
    rows = f"#{ids.SUBMISSIONS_GRID} .ag-center-cols-container .ag-row"
    assert total > 20 and page.locator(rows).count() == page.locator(".ag-center-cols-container .ag-row").count() == 20
    page.pdf()
    assert page.evaluate("() => window.printed.rows") == total
    # Once printed, the screen is as it was.
    page.wait_for_function(f"() => document.querySelectorAll('{rows}').length === 20")
    assert page.locator(f"#{ids.SUBMISSIONS_GRID} .ag-paging-panel").is_visible()
    page.goto("/coverage")
    page.locator(".js-plotly-plot .main-svg").first.wait_for()
    on_screen = page.locator(".js-plotly-plot").first.bounding_box()["width"]
    assert on_screen > 1030
    page.pdf()
    printed = page.evaluate("() => window.printed")
    # On landscape A4 (1,030 pixels between the margins), scaled down to fit.
    assert printed["landscape"] and on_screen * printed["zoom"] <= 1030, printed


def test_a_narrow_window_scrolls_the_map_not_the_page(browsing):
    # At 200 % zoom of a 1,280-pixel screen (640 CSS pixels), or any window under ~970, the whole page scrolled
    # sideways for the map's 920 pixels, the menu and the stamp stopping short of the page's width.
    page = browsing.sign_in("planner")
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto("/")  # drawn at this width (charts drawn wider redraw themselves some time after a resize)
    page.locator(f"#{ids.OVERVIEW_MAP} .main-svg").first.wait_for()
    page.locator(".js-plotly-plot .main-svg").last.wait_for()
    page.wait_for_function("() => document.documentElement.scrollWidth <= 800")
    box = page.locator(".map-box")
    assert box.evaluate("(e) => e.scrollWidth > e.clientWidth")  # the map itself still whole, scrolled to


@pytest.mark.parametrize("user", ["planner", "admin", "guangdong"])
def test_an_unknown_division_says_so(browsing, user):
    page = browsing.sign_in(user, "/coverage?division=999999")
    notice = page.wait_for_selector(f"#{ids.COVERAGE_NOTICE}")
    assert "没有这个区划" in notice.inner_text()
    page.wait_for_load_state("networkidle")
    assert browsing.failed == []


def test_a_figure_leads_to_the_returns_and_rows_it_comes_from_and_on_to_the_submission(browsing):
    page = browsing.sign_in("planner", "/coverage?division=510000")
    total = wait_for_total(page, ids.COVERAGE_GRID)
    page.locator(f"#{ids.COVERAGE_GRID} .ag-floating-bottom .ag-cell[col-id='units_reported']").click()
    page.wait_for_url("**/lineage?figure=units_reported&division=510000")
    wait_for_grid(page, ids.LINEAGE_RETURNS_GRID)
    summary = page.wait_for_selector(f"#{ids.LINEAGE_SUMMARY}").inner_text()
    assert summary.startswith(f"四川省已报普查对象（名录内） = {total['units_reported']} 个")
    returns = shown_rows(page, ids.LINEAGE_RETURNS_GRID)
    assert sum(number(r["value"]) for r in returns) == number(
        wait_for_total(page, ids.LINEAGE_RETURNS_GRID, "province_name")["value"]
    )
    assert number(grid_total(page, ids.LINEAGE_RETURNS_GRID)["value"]) == number(total["units_reported"])
    # Every row that counts, down to its cell in the uploader's workbook (that grid answers on its own: wait for it).
    wait_for_grid(page, ids.LINEAGE_ROWS_GRID, rows=True)
    rows = shown_rows(page, ids.LINEAGE_ROWS_GRID)
    assert rows and all(r["cell"] == f"A{r['excel_row']}" for r in rows)
    screenshot(page, "lineage")
    # The link is the last column, beyond the page's width: the grid renders a column only once it is scrolled to.
    viewport = page.locator(f"#{ids.LINEAGE_RETURNS_GRID} .ag-body-horizontal-scroll-viewport")
    viewport.evaluate("element => { element.scrollLeft = element.scrollWidth; }")
    page.locator(f"#{ids.LINEAGE_RETURNS_GRID} .ag-cell[col-id='open'] a").first.click()
    page.wait_for_url(f"**/submissions?submission={returns[0]['submission_id']}")
    # That submission alone, and the page says so (with a link to all).
    page.wait_for_selector(f"text=只显示提交 {returns[0]['submission_id']}。")
    page.wait_for_function(
        "id => document.querySelectorAll(`#${id} .ag-center-cols-container .ag-row`).length === 1",
        arg=ids.SUBMISSIONS_GRID,
    )
    # Its id, by the row's id (the id column is the grid's last but one, not drawn until scrolled to).
    shown = page.evaluate(
        "id => Array.from(document.querySelectorAll(`#${id} .ag-center-cols-container .ag-row`), r => r.getAttribute('row-id'))",
        ids.SUBMISSIONS_GRID,
    )
    assert shown == [returns[0]["submission_id"]]


@pytest.mark.parametrize(
    ("user", "width"), [("guangdong", 1366), ("admin", 1366), ("planner", 1280), ("guangdong", 1280)]
)
def test_the_menu_fits_one_line_on_a_laptop(browsing, user, width):
    # A probe's provincial office saw 退出 wrapped alone onto a second line at 1366 × 768; a planner's at 1280 × 720.
    page = browsing.sign_in(user)
    page.set_viewport_size({"width": width, "height": 720})
    page.wait_for_selector(f"#{ids.NAV} .navbar .nav-logout")
    tops = page.evaluate(
        "() => Array.from(document.querySelectorAll('.navbar > *')).map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert len(tops) > 5 and max(tops) - min(tops) < 20, tops


def test_a_card_leads_to_the_lineage_of_its_figure(browsing):
    page = browsing.sign_in("guangdong")
    page.wait_for_selector(f"#{ids.OVERVIEW_CARDS} .card-source")
    # The overview's charts drawn first, as a reader sees them: a chart still being drawn when the page changes makes
    # plotly.js throw in the console ("reading '_axisMatchGroups'": seen once on a loaded machine), nothing a reader sees.
    browsing.wait_for_quiet(page)
    # Each link named by its figure for a screen reader's list of links (they all read 来源), shown as 来源.
    names = [n.replace("\n", "") for n in page.locator(f"#{ids.OVERVIEW_CARDS} .card-source").all_inner_texts()]
    assert len(names) > 5 and len(set(names)) == len(names) and "来源：馆（室）藏" in names, names
    assert page.locator(f"#{ids.OVERVIEW_CARDS} .card-source .visually-hidden").first.bounding_box()["width"] <= 1
    page.locator(f"#{ids.OVERVIEW_CARDS} .card", has_text="馆（室）藏").locator(".card-source").click()
    page.wait_for_url("**/lineage?figure=holdings&division=440000")
    summary = page.wait_for_selector(f"#{ids.LINEAGE_SUMMARY}").inner_text()
    assert summary.startswith("广东省馆（室）藏")
    # The red-archive inventory's cards too: their rows are the returns' 红色档案资源摸底 sheets'.
    page.go_back()
    holders = page.locator(f"#{ids.OVERVIEW_RED} .card", has_text="摸底单位").locator(".card-value").inner_text()
    red = page.locator(f"#{ids.OVERVIEW_RED} .card", has_text="红色档案").first
    red.locator(".card-source").click()
    page.wait_for_url("**/lineage?figure=red_total&division=440000")
    summary = page.wait_for_selector(f"#{ids.LINEAGE_SUMMARY}").inner_text()
    assert summary.startswith("广东省红色档案（卷 + 件）")
    wait_for_grid(page, ids.LINEAGE_ROWS_GRID, rows=True)
    assert page.locator(f"#{ids.LINEAGE_ROWS_GRID}-count").inner_text() == f"共 {holders.removesuffix(' 个')} 条"


# --- exports -------------------------------------------------------------------------------------------------------


def test_an_export_contains_what_the_grid_shows_after_filter_and_sort(browsing):
    page = browsing.sign_in("planner", "/coverage")
    wait_for_grid(page, ids.COVERAGE_GRID)
    everything = shown_rows(page, ids.COVERAGE_GRID)
    grid = page.locator(f"#{ids.COVERAGE_GRID}")
    pager = grid.locator(".ag-paging-panel")
    assert pager.is_visible()
    # A filter matching nothing says so, in Chinese, without a pager reading 第 0 页，共 0 页 under it.
    filter_column(page, ids.COVERAGE_GRID, "name", "无此地区")
    grid.get_by_text("没有符合筛选条件的数据", exact=True).wait_for()
    pager.wait_for(state="hidden")
    filter_column(page, ids.COVERAGE_GRID, "name", "区")  # the autonomous regions
    pager.wait_for()
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
    # The 合计 row pinned under them stays the nation's: the count beside the grid says so.
    filtered = page.locator(f"#{ids.grid_filtered(ids.COVERAGE_GRID)}").inner_text()
    assert filtered == f"（筛选后 {len(shown)} 条；合计行仍为全部，不随筛选变化）"
    expected_counts = [number(row["units_expected"]) for row in shown]
    assert expected_counts == sorted(expected_counts, reverse=True) and expected_counts[0] > 0

    with page.expect_download() as download:
        page.click(f"#{ids.export_button(ids.COVERAGE_GRID)}")
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert download.value.suggested_filename.startswith(
        "覆盖情况-全国-"
    ) and download.value.suggested_filename.endswith("日.xlsx")
    rows = list(workbook.active.iter_rows(values_only=True))
    # Signed by the person the demo's planner account belongs to, with the login.
    assert rows[0][0] == "覆盖情况（全国）" and f"导出人：{DEMO_PEOPLE[Role.PLANNER]}（planner）" in rows[1][0]
    assert list(rows[EXPORT_HEADER_ROW - 1]) == [column.title for column in coverage.CHILD_COLUMNS]
    columns = coverage.CHILD_COLUMNS
    *body, total = rows[EXPORT_HEADER_ROW:]
    assert [[as_shown(c, v) for c, v in zip(columns, row, strict=True)] for row in body] == [
        [row[c.field] for c in columns] for row in shown
    ]
    # The pinned 合计 row follows the rows, as the page shows it.
    pinned = grid_total(page, ids.COVERAGE_GRID)
    assert [as_shown(c, v) for c, v in zip(columns, total, strict=True)] == [pinned[c.field] for c in columns]


# --- nothing of another province ------------------------------------------------------------------------------


def test_a_province_user_cannot_see_or_fetch_another_province(browsing, chromium, site):
    page = browsing.sign_in("guangdong", "/coverage?division=450102")
    notice = page.wait_for_selector(f"#{ids.COVERAGE_NOTICE}")
    assert notice.inner_text().startswith("无权查看广西壮族自治区的数据")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#{ids.COVERAGE_GRID}").count() == 0  # no grid asking for rows it may not have
    text = page.inner_text("main")
    assert "南宁" not in text and "4501" not in text
    assert browsing.failed == []  # a page that says why, not callbacks refused in the background

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
    browsing.expect_refusals()


def test_the_first_tab_offers_to_skip_the_navigation_to_the_page(browsing):
    page = browsing.sign_in("planner", "/coverage")
    wait_for_grid(page, ids.COVERAGE_GRID, rows=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # seen while it has the focus, off-screen otherwise
    page.keyboard.press("Enter")
    page.wait_for_function("id => document.activeElement.id === id", arg=ids.MAIN)
    page.keyboard.press("Tab")  # on into the page, not back through the navigation
    assert page.evaluate(f"document.getElementById('{ids.MAIN}').contains(document.activeElement)")


def test_the_keyboard_drills_down_a_grid_row_and_tab_leaves_the_grid(browsing):
    page = browsing.sign_in("planner", "/coverage")
    wait_for_grid(page, ids.COVERAGE_GRID, rows=True)
    header = f"#{ids.COVERAGE_GRID} .ag-header-cell[col-id='name']"
    page.focus(header)
    page.keyboard.press("Tab")  # on past the grid's cells (to its pager), not through each of them
    assert page.evaluate("!document.activeElement.closest('.ag-cell, .ag-header-cell')")
    # The arrows move within the grid: down to the first province with holders to report (after the first row).
    rows = shown_rows(page, ids.COVERAGE_GRID)
    index = next(i for i, r in enumerate(rows) if i > 0 and number(r["units_expected"]) > 0)
    page.focus(header)
    for _ in range(index + 1):
        page.keyboard.press("ArrowDown")
    row = page.evaluate("document.activeElement.closest('.ag-row').getAttribute('row-id')")
    assert row == rows[index]["shown_code"]
    page.keyboard.press("Enter")  # as a click: one level down
    page.wait_for_url(f"**/coverage?division={row}")
    # The focus is not left on the page's body: it waits on the first row one level down, for the arrows to go on.
    page.wait_for_function(
        "([id, code]) => { const cell = document.activeElement.closest(`#${id} .ag-row[row-index='0'] .ag-cell`);"
        " return cell !== null && cell.closest('.ag-row').getAttribute('row-id').startsWith(code.slice(0, 2)); }",
        arg=[ids.COVERAGE_GRID, row],
    )
    # A county's row opens the county's holders, with no grid one level down: the focus goes to its own figures
    # (it was left on the page's body).
    page.goto("/coverage?division=440100")
    wait_for_grid(page, ids.COVERAGE_GRID, rows=True)
    county = next(i for i, r in enumerate(shown_rows(page, ids.COVERAGE_GRID)) if r["shown_code"] != "440100")
    page.focus(header)
    for _ in range(county + 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/coverage?division=4401*")
    page.wait_for_function(
        "() => document.activeElement.classList.contains('drill-target')"
        " && document.activeElement.textContent.startsWith('本区县：应报')"
    )


def test_a_link_to_another_page_takes_the_keyboard_to_its_title(browsing):
    page = browsing.sign_in("planner")
    page.wait_for_selector(f"#{ids.OVERVIEW_MAP} path.choroplethlocation")
    page.get_by_role("link", name="数据质量", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/quality")
    # Not left on the page's body: the new page's title has the focus (a screen reader reads it).
    page.wait_for_function(
        "() => document.activeElement.tagName === 'H1' && document.activeElement.textContent === '数据质量'"
    )


def test_a_drop_down_is_named_by_its_label_and_its_value(browsing):
    page = browsing.sign_in("planner")
    page.wait_for_selector(f"#{ids.OVERVIEW_MAP} path.choroplethlocation")
    # Dash 4 names it by its value alone (普查覆盖率（%）); a screen reader hears what it chooses first.
    for name in ("地图指标 普查覆盖率（%）", "分类查看 按普查对象类型"):
        page.get_by_role("button", name=name, exact=True).wait_for(state="attached", timeout=5000)


# --- the audit log ---------------------------------------------------------------------------------------------------


def test_the_audit_log_filters_by_the_dates_picked_without_a_page_error(browsing):
    # A debounced dcc.Input of type date threw on every pick (setSelectionRange is not supported on a date input);
    # browsing's teardown fails on any page error or console error.
    page = browsing.sign_in("admin", "/audit")
    wait_for_grid(page, ids.AUDIT_GRID, rows=True)
    count = page.locator(f"#{ids.grid_count(ids.AUDIT_GRID)}")
    everything = count.inner_text()
    page.locator(f"#{ids.AUDIT_SINCE}").fill("2099-01-01")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "id => document.getElementById(id).innerText === '共 0 条'", arg=ids.grid_count(ids.AUDIT_GRID)
    )
    page.locator(f"#{ids.AUDIT_SINCE}").fill("")
    page.keyboard.press("Enter")
    # Every event again: those listed first, and any the audit outbox wrote since (the sign-in's own, flushed after
    # the grid first loaded, made this wait for an exact count time out now and then).
    listed = int(re.sub(r"\D", "", everything))
    page.wait_for_function(
        """([id, least]) => {
            const shown = document.getElementById(id).innerText.match(/^共 ([0-9,]+) 条$/);
            return shown !== null && Number(shown[1].replace(/,/g, "")) >= least;
        }""",
        arg=[ids.grid_count(ids.AUDIT_GRID), listed],
    )
