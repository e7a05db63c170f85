"""Every page as every role, in real Chromium on the session's site: what a person reads is Chinese (no English ids,
no ISO timestamps), no page throws or logs a console error, no request fails or leaves 127.0.0.1, a page a role may
not open says so, and every grid with a 合计 row adds up to it (browser.browse checks the requests and the console).
The README's pictures of whole pages are taken on this walk (PICTURES)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from census_schema.archives import list_comprehensive_archives
from census_schema.roles import Role
from dash_app import ids
from dash_app.pages import PAGES, accounts, evaluation, indicators, inspections, quality
from tests.dash_app.browser import columns_out_of_view, number, screenshot, wait_for_grid, wait_until_readable
from tests.dash_app.conftest import REPORTING_OFFICES, USERS

pytestmark = pytest.mark.browser

# Words of the code that must never reach a person: snake_case ids, English values of kinds, results, states and
# roles, and how machines write time.
# Codes inside identifiers (S2025-evaluation-…, SJ44-2024-01-01) are part of the identifier, not words.
SNAKE_CASE = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
CODE_WORDS = re.compile(
    r"(?<![\w-])(accepted|rejected|duplicate|census|register|inspections?|evaluation|indicators?|rectifier|reviewer|planner"
    r"|province|evaluator|admin|draft|submitted|pending|error|warning|true|false|True|False|None|null|NaN|undefined"
    r"|Page|of|to|Loading|No Rows)(?![\w-])"
)
ISO_TIME = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?(?![\w-])")
ENGLISH_DATE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
# Text that is data, not the app's words: the signed-in user's name, file names as uploaded, the audit log's actors
# and the accounts' names (user names as typed), user names quoted in a message (「evaluator」), the plotly mode bar
# (icons).
DATA_ELEMENTS = (
    f'#{ids.NAV_USER}, [col-id="file_name"], #{ids.AUDIT_GRID} [col-id="actor"], '
    f'#{ids.ACCOUNTS_GRID} [col-id="user_name"], .modebar, script, style, [hidden]'
)
VISIBLE_TEXT = """skipped => {
    const skip = el => el.matches(skipped)
        || getComputedStyle(el).display === 'none' || getComputedStyle(el).visibility === 'hidden';
    const parts = [];
    const walk = node => {
        if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
        if (node.nodeType !== Node.ELEMENT_NODE || skip(node)) { return; }
        for (const child of node.childNodes) { walk(child); }
        if (node.tagName === 'INPUT' && node.type !== 'hidden' && node.placeholder) { parts.push(node.placeholder); }
    };
    walk(document.body);
    return parts.join(' ').replace(/「[^」]*」/g, ' ');
}"""
GRID_TOTALS = """() => Array.from(document.querySelectorAll('.ag-root-wrapper')).map(root => {
    const grid = root.closest('[id]');
    const cells = row => Object.fromEntries(Array.from(row.querySelectorAll('.ag-cell'))
        .map(c => [c.getAttribute('col-id'), c.innerText.trim()]));
    const total = root.querySelector('.ag-floating-bottom .ag-row');
    return {id: grid ? grid.id : '', total: total ? cells(total) : null,
            rows: Array.from(root.querySelectorAll('.ag-center-cols-container .ag-row')).map(cells),
            count: (document.getElementById((grid ? grid.id : '') + '-count') || {}).textContent || ''};
})"""


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea, [role="combobox"]'))
    .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
    .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
                   || el.title || el.closest('label')))
    .map(el => el.outerHTML.slice(0, 120))"""


def settle(page: Any) -> None:
    """Until the page's callbacks have answered and nothing is loading."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_load_state("networkidle")


def problems_in_text(text: str) -> list[str]:
    """What a person should not have to read."""
    found = SNAKE_CASE.findall(text) + CODE_WORDS.findall(text) + ISO_TIME.findall(text) + ENGLISH_DATE.findall(text)
    return sorted(set(found))


def test_the_text_check_finds_what_it_is_for():
    text = "uscc_not_in_register accepted 2026-11-30T02:17:36.405484 Nov 30, 2026 rectifier 第 1 页，共 3 页"
    assert problems_in_text(text) == sorted(
        {"uscc_not_in_register", "accepted", "2026-11-30T02:17", "Nov", "rectifier"}
    )
    identifiers = "S2024-440000-20261130T043047Z-52014c S2025-evaluation-20261130T043135Z-05a9c5 SJ44-2024-01-01"
    assert problems_in_text(f"广东省 2026年11月30日 10:17 共 1,234 条 96.39% {identifiers}") == []


def grids_add_up(grids: list[dict[str, Any]]) -> list[str]:
    """Grids whose shown rows (all of them on one page) do not add up to their 合计 row, column by column."""
    wrong = []
    for grid in grids:
        total = grid["total"]
        if not total or not grid["rows"]:
            continue
        if grid["count"].replace(",", "") != f"共 {len(grid['rows'])} 条":
            continue  # rows on several pages: the grid's own test sums them (see test_lineage_adds_up)
        for column, text in total.items():
            if (column.startswith("units_") or column == "value") and text:
                summed = sum(number(row[column]) for row in grid["rows"] if row.get(column))
                if summed != number(text):
                    wrong.append(f"{grid['id']}.{column}: rows {summed:,.0f} ≠ 合计 {text}")
    return wrong


ROLE_OF = {name: Role(role) for name, role, _ in (*USERS, *REPORTING_OFFICES)}
ANY_CONTENT = ".js-plotly-plot, .ag-root, table"
# The README's pictures of whole pages (docs/screenshots/<name>.png), each taken once the page shows what it must
# (grid rows, the drawn map): this module runs before test_upload_browser changes Guangdong's return.
PICTURES = {
    ("planner", "/coverage"): ("coverage", f"#{ids.COVERAGE_GRID} .ag-center-cols-container .ag-row"),
    ("planner", "/quality"): ("quality", f"#{ids.QUALITY_GRID} .ag-center-cols-container .ag-row"),
    ("planner", "/submissions"): ("submissions", f"#{ids.SUBMISSIONS_GRID} .ag-center-cols-container .ag-row"),
    ("planner", "/inspections"): ("inspections", ANY_CONTENT),
    ("planner", "/evaluation"): ("evaluation", ANY_CONTENT),
    ("planner", "/indicators"): ("indicators", ANY_CONTENT),
    ("guangdong", "/"): ("overview-province", f"#{ids.OVERVIEW_MAP} path.choroplethlocation"),
    ("evaluator", "/evaluation"): ("evaluation-evaluator", ANY_CONTENT),
    ("admin", "/accounts"): ("accounts", f"#{ids.ACCOUNTS_GRID} .ag-center-cols-container .ag-row"),
}


WALKERS = ["planner", "guangdong", "evaluator", "admin", "guangzhou", "yangqi"]


def test_every_picture_is_of_a_page_its_user_walks_and_may_open():
    assert all(
        user in WALKERS and ROLE_OF[user] in next(p for p in PAGES if p.PATH == path).ROLES for user, path in PICTURES
    )


@pytest.mark.parametrize("user", WALKERS)
def test_every_page_reads_in_chinese_and_its_grids_add_up(browsing, user):
    role = ROLE_OF[user]
    page = browsing.sign_in(user)
    for target in PAGES:
        page.goto(target.PATH)
        settle(page)
        allowed = role in target.ROLES
        assert (page.locator(f"#{ids.PAGE_REFUSED}").count() == 0) == allowed, (user, target.PATH)
        assert problems_in_text(page.evaluate(VISIBLE_TEXT, DATA_ELEMENTS)) == [], (user, target.PATH)
        assert grids_add_up(page.evaluate(GRID_TOTALS)) == [], (user, target.PATH)
        assert page.evaluate(UNLABELLED) == [], (user, target.PATH)
        assert page.locator(f"#{ids.DATA_AS_OF}").inner_text().startswith("数据截至 ")
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        if target is inspections and allowed:
            # The lifecycle form is shown only to who acts on findings (hidden, .toolbar's flex had shown it).
            acts = role not in inspections.READ_ONLY_NOTES
            assert page.locator(f"#{ids.INSPECTIONS_APPLY}").is_visible() == acts, user
        if (user, target.PATH) in PICTURES:
            name, shown = PICTURES[user, target.PATH]
            page.wait_for_selector(shown)
            screenshot(page, name)


# Grids sized to what their columns hold (grid_block(fit_width=True)) on pages whose own browser tests do not check
# it (the findings and history grids of /inspections are checked in test_supervision_browser).
FITTED_GRIDS = [
    # The row, column and value to correct (填报值, 行号, the credit code) were right of the explanation.
    ("planner", quality.PATH, ids.QUALITY_ERRORS_GRID),
    ("planner", quality.PATH, ids.QUALITY_WARNINGS_GRID),
    ("guangdong", quality.PATH, ids.QUALITY_ERRORS_GRID),
    ("guangdong", quality.PATH, ids.QUALITY_WARNINGS_GRID),
    # A figure beside its peers' median: the peers' tier, the z-score and the row were out of view.
    ("planner", quality.PATH, ids.QUALITY_OUTLIERS_GRID),
    ("guangdong", quality.PATH, ids.QUALITY_OUTLIERS_GRID),
    # The 47 archives' results with how far their experts have got.
    ("planner", evaluation.PATH, ids.EVALUATION_RESULTS_GRID),
    # An archive's items as a planner reconciles them: 自评偏差 and 合议说明 were out of view.
    (
        "planner",
        f"{evaluation.PATH}?archive={list_comprehensive_archives()[0].archive_code}",
        ids.EVALUATION_ITEMS_GRID,
    ),
    # Sized to its rows, not fitted: AG Grid sized only the columns it had drawn, and left 单位 and 来源 at 200 px,
    # off-screen for a province user.
    ("guangdong", indicators.PATH, ids.INDICATORS_GRID),
    # Its last column (分派评价的档案馆) was read only by scrolling.
    ("admin", accounts.PATH, ids.ACCOUNTS_GRID),
]


@pytest.mark.parametrize(("user", "path", "grid_id"), FITTED_GRIDS)
def test_a_fitted_grid_shows_every_column_whole_at_1400_px(browsing, user, path, grid_id):
    # Columns a user reads were off-screen to the right (see FITTED_GRIDS): every column in view, no cell cut,
    # nothing to scroll sideways to, with rows or without.
    page = browsing.sign_in(user, path)
    wait_for_grid(page, grid_id, rows="?" in path)
    settle(page)
    readable = wait_until_readable(page, grid_id)
    screenshot(page, f"fitted-{user}-{grid_id}")
    assert {"out of view": columns_out_of_view(page, grid_id), "cut, overflow": readable} == {
        "out of view": [],
        "cut, overflow": ([], {}),
    }
