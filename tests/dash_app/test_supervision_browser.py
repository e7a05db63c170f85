"""The supervision pages in real headless Chromium (as test_browser.py: Debian's chromium, Playwright, the app served
in-process, every request recorded and none may leave 127.0.0.1, no page may throw).

The warehouse is a copy of the supervision demo (conftest.supervision_demo_db: inspections in every lifecycle state,
the open evaluation round with the demo evaluator assigned to 3 archives, plan indicator values), deadlines judged on
the demo's day. What a page shows is checked against the warehouse's query functions; what a user saves, in the
warehouse. Screenshots go where test_browser.screenshot puts them (docs/screenshots only on request).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from census_schema.archives import list_comprehensive_archives
from dash_app.app import create_app
from dash_app.pages import evaluation, indicators, inspections
from synthetic.supervision import DEMO_TODAY
from tests.dash_app.conftest import password_of, supervision_warehouse
from tests.dash_app.test_browser import (
    QuietRequestHandler,
    Session,
    Site,
    browse,
    require_browser,
    screenshot,
    shown_rows,
    wait_for_grid,
)
from warehouse.evaluation import query_assignments, query_scores
from warehouse.indicators import query_indicator_progress
from warehouse.inspections import query_finding_history, query_findings
from warehouse.store import WarehouseStore

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(supervision_demo_db, tmp_path_factory) -> Iterator[Site]:
    """A copy of the supervision demo with the test users, and the app on a free port of 127.0.0.1."""
    require_browser()
    folder = tmp_path_factory.mktemp("supervision-browser")
    settings = supervision_warehouse(supervision_demo_db, folder)
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="dash-supervision-server", daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", settings, folder)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browsing(chromium, site) -> Iterator[Session]:
    """A new context per test (see test_browser.browse)."""
    yield from browse(chromium, site.url)


def read(site: Site, query: Any, *args: Any, **kwargs: Any) -> Any:
    with WarehouseStore(site.settings.db_path).reader() as con:
        return query(con, *args, **kwargs)


def open_as(browsing: Session, user: str, path: str) -> Any:
    """A page on `path`, reached as a signed-out user is: through the sign-in form, which leads back to it."""
    page = browsing.new_page()
    page.goto(path)
    assert page.url.startswith(f"{browsing.base_url}/login")
    page.fill("#login-username", user)
    page.fill("#login-password", password_of(user))
    page.click("#login-submit")
    page.wait_for_selector("#nav-user")
    assert page.url == browsing.base_url + path
    return page


def assigned_archives(site: Site) -> list[str]:
    return [r["archive_code"] for r in read(site, query_assignments, evaluator="evaluator")]


def score_input(code: str) -> str:
    """The selector of an item's score input (Dash writes a dict id as JSON with sorted keys)."""
    dom_id = json.dumps({"type": evaluation.SCORE, "item": code}, sort_keys=True, separators=(",", ":"))
    return f"input[id='{dom_id}']"


def grid_count(page: Any, grid_id: str, count: int) -> None:
    """Until the grid says it holds `count` rows."""
    page.wait_for_function(
        "([id, text]) => (document.getElementById(id + '-count') || {}).textContent === text",
        arg=[grid_id, f"共 {count} 条"],
    )


# --- an evaluator ----------------------------------------------------------------------------------------------------


def test_an_evaluator_scores_an_assigned_archive_and_finds_the_draft_after_reloading(browsing, site):
    archive = assigned_archives(site)[0]
    draft = {"A1.1.1": 8.5, "A1.2.1": 12.0, "B1": 3.0}
    page = open_as(browsing, "evaluator", evaluation.PATH)
    wait_for_grid(page, evaluation.ASSIGNMENTS_GRID)
    assert sorted(row["archive_code"] for row in shown_rows(page, evaluation.ASSIGNMENTS_GRID)) == sorted(
        assigned_archives(site)
    )
    row = f"#{evaluation.ASSIGNMENTS_GRID} .ag-row[row-id='{archive}']"
    page.locator(f"{row} .ag-cell[col-id='archive_name']").click()
    page.wait_for_selector(f"#{evaluation.FORM} table.score-table")
    for code, value in draft.items():
        page.fill(score_input(code), f"{value:g}")
    page.click(f"#{evaluation.SAVE}")
    page.wait_for_function(
        "id => document.getElementById(id).textContent.startsWith('草稿已保存')", arg=evaluation.RESULT
    )
    assert f"{archive} 已评 2 项" in page.inner_text(f"#{evaluation.RESULT}")
    saved = read(site, query_scores, archive, "evaluator")
    assert {r["item_code"]: float(r["score"]) for r in saved} == draft
    assert not any(r["is_submitted"] for r in saved)

    page.reload()
    wait_for_grid(page, evaluation.ASSIGNMENTS_GRID)
    page.wait_for_function(
        "sel => (document.querySelector(sel + \" .ag-cell[col-id='sheet_state']\") || {}).textContent === '草稿'",
        arg=row,
    )
    assert page.locator(f"#{evaluation.FORM} table.score-table").count() == 0  # nothing open until chosen
    page.locator(f"{row} .ag-cell[col-id='archive_name']").click()
    page.wait_for_selector(f"#{evaluation.FORM} table.score-table")
    assert {code: float(page.input_value(score_input(code))) for code in draft} == draft
    assert page.input_value(score_input("A1.1.2")) == ""
    screenshot(page, "evaluation-scoring")
    assert browsing.failed == []


def test_an_evaluator_cannot_open_an_unassigned_archive_by_its_url(browsing, site):
    mine = assigned_archives(site)
    other = next(a for a in list_comprehensive_archives() if a.archive_code not in mine)
    page = open_as(browsing, "evaluator", f"{evaluation.PATH}?archive={other.archive_code}")
    refusal = page.wait_for_selector("#evaluation-refused")
    assert f"未被分配评价档案馆 {other.archive_code}" in refusal.inner_text()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#{evaluation.FORM} table.score-table").count() == 0
    assert "选择档案馆" in page.inner_text(f"#{evaluation.ARCHIVE}")  # nothing chosen
    assert other.name not in page.inner_text("main")
    screenshot(page, "evaluation-refused")

    # An assigned archive's address opens its form.
    name = next(a.name for a in list_comprehensive_archives() if a.archive_code == mine[1])
    page.goto(f"{evaluation.PATH}?archive={mine[1]}")
    page.wait_for_selector(f"#{evaluation.FORM} table.score-table")
    assert name in page.inner_text(f"#{evaluation.ARCHIVE}")
    assert page.locator("#evaluation-refused").count() == 0
    assert browsing.failed == []


# --- a planner -------------------------------------------------------------------------------------------------------


def test_a_planner_lists_the_overdue_findings_and_opens_one_s_history(browsing, site):
    everything = read(site, query_findings, DEMO_TODAY)
    overdue = read(site, query_findings, DEMO_TODAY, overdue_only=True)
    assert 0 < len(overdue) < len(everything)
    # The first overdue findings in the grid's order (finding id): one with a history to show.
    finding = next(f for f in overdue[:5] if len(read(site, query_finding_history, f["finding_id"])["transitions"]) > 1)
    history = read(site, query_finding_history, finding["finding_id"])["transitions"]

    page = open_as(browsing, "planner", inspections.PATH)
    wait_for_grid(page, inspections.GRID)
    grid_count(page, inspections.GRID, len(everything))
    page.locator(f"#{inspections.OVERDUE} input[value='overdue']").check()
    grid_count(page, inspections.GRID, len(overdue))
    # Rows leaving the grid stay in the page for the length of AG Grid's row animation.
    page.wait_for_function(
        "id => Array.from(document.querySelectorAll(`#${id} .ag-center-cols-container .ag-cell[col-id='overdue_days']`))"
        ".every(cell => Number(cell.textContent) > 0)",
        arg=inspections.GRID,
    )
    shown = shown_rows(page, inspections.GRID)
    assert shown and all(int(row["overdue_days"]) > 0 for row in shown)
    assert [row["finding_id"] for row in shown] == [f["finding_id"] for f in overdue[: len(shown)]]

    page.locator(f"#{inspections.GRID} .ag-row[row-id='{finding['finding_id']}'] .ag-cell[col-id='unit_name']").click()
    page.wait_for_function(
        "([id, finding]) => document.getElementById(id).textContent.startsWith(finding)",
        arg=[inspections.DETAIL, finding["finding_id"]],
    )
    text = page.inner_text(f"#{inspections.DETAIL}")
    assert f"当前状态：{finding['status']}" in text and "（已逾期）" in text
    grid_count(page, inspections.HISTORY_GRID, len(history))
    rows = shown_rows(page, inspections.HISTORY_GRID)
    assert [(row["seq"], row["action"], row["to_status"]) for row in rows] == [
        (str(t["seq"]), t["action"], t["to_status"]) for t in history[: len(rows)]
    ]
    screenshot(page, "inspections-finding")
    assert browsing.failed == []


def test_a_planner_sees_the_indicator_cards_and_a_trajectory(browsing, site):
    progress = [r for r in read(site, query_indicator_progress) if r["province_code"] is None]
    latest = {r["indicator_code"]: r for r in progress if r["target"] is not None and r["value"] is not None}
    page = open_as(browsing, "planner", indicators.PATH)
    page.wait_for_selector(f"#{indicators.CARDS} .card")
    cards = page.locator(f"#{indicators.CARDS} .card").all_inner_texts()
    assert len(cards) == len(latest) > 0
    for card, row in zip(cards, latest.values(), strict=True):
        assert card.startswith(f"{row['indicator_code']} {row['indicator_name']}")
        assert card.rstrip().endswith(row["status"]) and f"{row['year']} 年应达" in card

    def trajectory() -> dict[str, Any]:
        return page.evaluate(
            """id => {
                const gd = document.querySelector(`#${id} .js-plotly-plot`);
                return {title: gd.layout.title.text, series: Object.fromEntries(gd.data.map(t => [t.name, [t.x, t.y]]))};
            }""",
            indicators.TRAJECTORY,
        )

    def expected(code: str) -> dict[str, Any]:
        rows = [r for r in progress if r["indicator_code"] == code]
        return {
            "实际值": [[r["year"] for r in rows], [None if r["value"] is None else float(r["value"]) for r in rows]],
            "应达进度": [
                [r["year"] for r in rows if r["expected"] is not None],
                [float(r["expected"]) for r in rows if r["expected"] is not None],
            ],
        }

    first, other = list(latest)[0], list(latest)[3]
    page.wait_for_selector(f"#{indicators.TRAJECTORY} .js-plotly-plot .scatterlayer .trace")
    assert trajectory()["series"] == expected(first)
    page.click(f"#{indicators.CHOICE}")
    page.get_by_role("option", name=f"{other} {latest[other]['indicator_name']}").click()
    page.wait_for_function(
        "([id, name]) => document.querySelector(`#${id} .js-plotly-plot`).layout.title.text.startsWith(name)",
        arg=[indicators.TRAJECTORY, latest[other]["indicator_name"]],
    )
    assert trajectory()["series"] == expected(other)
    screenshot(page, "indicators-trajectory")
    assert browsing.failed == []
