"""The supervision pages in real headless Chromium (as test_browser.py: Debian's chromium, Playwright, the app served
in-process, every request recorded and none may leave 127.0.0.1, no page may throw).

The site is the session's (conftest.site), whose supervision part is the demo's (inspections in every lifecycle
state, the open evaluation round with the demo evaluator assigned to 3 archives, plan indicator values), deadlines
judged on the demo's day. What a page shows is checked against the warehouse's query functions; what a user saves, in the
warehouse. Screenshots go where test_browser.screenshot puts them (docs/screenshots only on request).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from census_schema.archives import list_comprehensive_archives
from census_schema.roles import Role
from census_schema.supervision.codes import FindingAction, FindingRole, FindingStatus
from census_schema.supervision.evaluation import SELF_SOURCE
from cli.ingest_cmd import DEMO_PEOPLE
from dash_app import ids
from dash_app.formatting import format_value
from dash_app.pages import evaluation, indicators, inspections
from flows.supervision_reports import yearly_status
from synthetic.supervision import DEMO_TODAY
from tests.dash_app.browser import (
    Site,
    columns_out_of_view,
    screenshot,
    shown_rows,
    wait_for_grid,
    wait_until_readable,
)
from warehouse.evaluation import archive_label, query_assignments, query_evaluation_results, query_scores
from warehouse.indicators import query_indicator_progress
from warehouse.inspections import query_finding_history, query_findings
from warehouse.store import WarehouseStore

pytestmark = pytest.mark.browser


def read(site: Site, query: Any, *args: Any, **kwargs: Any) -> Any:
    with WarehouseStore(site.settings.db_path).reader() as con:
        return query(con, *args, **kwargs)


def assigned_archives(site: Site) -> list[str]:
    return [r["archive_code"] for r in read(site, query_assignments, evaluator="evaluator")]


def score_input(code: str) -> str:
    """The selector of an item's score input (Dash writes a dict id as JSON with sorted keys)."""
    dom_id = json.dumps({"type": ids.EVALUATION_SCORE, "item": code}, sort_keys=True, separators=(",", ":"))
    return f"input[id='{dom_id}']"


def grid_count(page: Any, grid_id: str, count: int) -> None:
    """Until the grid says it holds `count` rows."""
    page.wait_for_function(
        "([id, text]) => (document.getElementById(id + '-count') || {}).textContent === text",
        arg=[grid_id, f"共 {count:,} 条"],
    )


# --- an evaluator ----------------------------------------------------------------------------------------------------


def test_an_evaluator_scores_an_assigned_archive_and_finds_the_draft_after_reloading(browsing, site):
    archive = assigned_archives(site)[0]
    draft = {"A1.1.1": 8.5, "A1.2.1": 12.0, "B1": 3.0}
    page = browsing.sign_in("evaluator", evaluation.PATH)
    wait_for_grid(page, ids.EVALUATION_ASSIGNMENTS_GRID)
    assert sorted(row["archive_code"] for row in shown_rows(page, ids.EVALUATION_ASSIGNMENTS_GRID)) == sorted(
        assigned_archives(site)
    )
    assert page.is_disabled(f"#{ids.EVALUATION_SAVE}") and page.is_disabled(f"#{ids.EVALUATION_SUBMIT}")
    row = f"#{ids.EVALUATION_ASSIGNMENTS_GRID} .ag-row[row-id='{archive}']"
    page.locator(f"{row} .ag-cell[col-id='archive_name']").click()
    page.wait_for_selector(f"#{ids.EVALUATION_FORM} table.score-table")
    assert page.is_enabled(f"#{ids.EVALUATION_SAVE}") and page.is_enabled(f"#{ids.EVALUATION_SUBMIT}")
    for code, value in draft.items():
        page.fill(score_input(code), f"{value:g}")
    page.click(f"#{ids.EVALUATION_SAVE}")
    page.wait_for_function(
        "id => document.getElementById(id).textContent.startsWith('草稿已保存')", arg=ids.EVALUATION_RESULT
    )
    assert f"{archive_label(archive)} 已评 2 项" in page.inner_text(f"#{ids.EVALUATION_RESULT}")
    saved = read(site, query_scores, archive, "evaluator")
    assert {r["item_code"]: float(r["score"]) for r in saved} == draft
    assert not any(r["is_submitted"] for r in saved)

    # The chosen archive is in the address: reloading reopens its sheet, with the draft.
    assert page.url.endswith(f"{evaluation.PATH}?archive={archive}")
    page.reload()
    wait_for_grid(page, ids.EVALUATION_ASSIGNMENTS_GRID)
    page.wait_for_function(
        "sel => (document.querySelector(sel + \" .ag-cell[col-id='sheet_state']\") || {}).textContent === '草稿'",
        arg=row,
    )
    page.wait_for_selector(f"#{ids.EVALUATION_FORM} table.score-table")
    page.wait_for_function("sel => document.querySelector(sel).value !== ''", arg=score_input("A1.1.1"))
    assert {code: float(page.input_value(score_input(code))) for code in draft} == draft
    assert page.input_value(score_input("A1.1.2")) == ""
    screenshot(page, "evaluation-scoring")
    assert browsing.failed == []


def test_the_keyboard_never_leaves_a_score_field_under_the_sticky_save_bar(browsing, site):
    page = browsing.sign_in("evaluator", f"{evaluation.PATH}?archive={assigned_archives(site)[0]}")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_selector(f"#{ids.EVALUATION_FORM} table.score-table")
    page.focus(score_input("A1.1.1"))
    hidden = []
    for _ in range(30):
        page.keyboard.press("Tab")
        covered = page.evaluate(
            """() => {
                const field = document.activeElement.getBoundingClientRect();
                const bar = document.querySelector('.action-bar').getBoundingClientRect();
                return document.activeElement.closest('.action-bar') ? null : field.bottom > bar.top;
            }"""
        )
        if covered:
            hidden.append(page.evaluate("() => document.activeElement.id"))
    assert hidden == []


def test_an_evaluator_cannot_open_an_unassigned_archive_by_its_url(browsing, site):
    mine = assigned_archives(site)
    other = next(a for a in list_comprehensive_archives() if a.archive_code not in mine)
    page = browsing.sign_in("evaluator", f"{evaluation.PATH}?archive={other.archive_code}")
    refusal = page.wait_for_selector(f"#{ids.EVALUATION_REFUSED}")
    assert f"未被分配评价{other.name}（{other.archive_code}）" in refusal.inner_text()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#{ids.EVALUATION_FORM} table.score-table").count() == 0
    assert "选择档案馆" in page.inner_text(f"#{ids.EVALUATION_ARCHIVE}")  # nothing chosen
    # Named by the refusal only (the 47 archives' names are public), never chosen in the drop-down.
    assert other.name not in page.inner_text(f"#{ids.EVALUATION_ARCHIVE}")
    assert page.is_disabled(f"#{ids.EVALUATION_SAVE}")  # nothing to save
    screenshot(page, ids.EVALUATION_REFUSED)

    # An assigned archive's address opens its form.
    name = next(a.name for a in list_comprehensive_archives() if a.archive_code == mine[1])
    page.goto(f"{evaluation.PATH}?archive={mine[1]}")
    page.wait_for_selector(f"#{ids.EVALUATION_FORM} table.score-table")
    assert name in page.inner_text(f"#{ids.EVALUATION_ARCHIVE}")
    assert page.locator(f"#{ids.EVALUATION_REFUSED}").count() == 0
    assert browsing.failed == []


def in_view(page: Any, selector: str) -> bool:
    """Whether the element is entirely inside the browser window (as scrolled now)."""
    return page.evaluate(
        """sel => { const r = document.querySelector(sel).getBoundingClientRect();
            return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; }""",
        selector,
    )


def error_slot(code: str) -> str:
    dom_id = json.dumps({"type": ids.EVALUATION_SCORE_ERROR, "item": code}, sort_keys=True, separators=(",", ":"))
    return f"div[id='{dom_id}']"


SCORE_A112 = "input[id='{}']".format(
    json.dumps({"type": ids.EVALUATION_SCORE, "item": "A1.1.2"}, sort_keys=True, separators=(",", ":"))
)


def subtotal(page: Any, area: str) -> str:
    dom_id = json.dumps({"type": ids.EVALUATION_SUBTOTAL, "area": area}, sort_keys=True, separators=(",", ":"))
    return page.inner_text(f"span[id='{dom_id}']")


def test_an_evaluator_sees_invalid_scores_beside_their_fields_and_running_subtotals(browsing, site):
    archive = assigned_archives(site)[2]
    before = read(site, query_scores, archive, "evaluator")
    page = browsing.sign_in("evaluator", f"{evaluation.PATH}?archive={archive}")
    page.wait_for_selector(f"#{ids.EVALUATION_FORM} table.score-table")
    # The archive's self-evaluation is in its own column, beside the maximum, and summed above the sheet.
    reported = {r["item_code"]: r for r in read(site, query_scores, archive, SELF_SOURCE)}
    header = page.locator(f"#{ids.EVALUATION_FORM} table.score-table thead th").all_inner_texts()
    assert header[:5] == ["评分项", "内容", "满分", "该馆自评", "得分与扣分说明"]
    self_cell = json.dumps({"type": ids.EVALUATION_SELF_SCORE, "item": "A1.1.1"}, sort_keys=True, separators=(",", ":"))
    assert page.inner_text(f"td[id='{self_cell}']") == f"{reported['A1.1.1']['score'].normalize():f}"
    assert page.inner_text(f"#{ids.EVALUATION_SELF_NOTE}").startswith("该馆自评：")
    # A score typed more than 20 % of the maximum away from the self-score marks it, as the results will flag it;
    # exactly 20 % away does not (8.8 against 6.8 is 2.0, not 2.0000000000000004), nor does a score the save refuses
    # (99 of 10 read 自评偏差 beside its own error).
    own = reported["A1.1.1"]["score"]
    far, edge = (Decimal(0) if own > 2 else Decimal(10)), (own - 2 if own >= 2 else own + 2)
    for typed, marked in ((far, True), (edge, False), (far, True), (Decimal(99), False), (far, True), (own, False)):
        page.fill(score_input("A1.1.1"), f"{typed}")
        page.wait_for_function(
            "([sel, marked]) => document.querySelector(sel).classList.contains('deviates') === marked",
            arg=[f"td[id='{self_cell}']", marked],
        )
        # Not by colour alone: a marked self-score says 自评偏差 under it, read by screen readers too.
        under = page.evaluate(
            "sel => getComputedStyle(document.querySelector(sel), '::after').content", f"td[id='{self_cell}']"
        )
        assert under == ('"自评偏差"' if marked else "none")
    # Every field is labelled: the scores by their item and maximum, the veto verdicts as a named group.
    page.get_by_label("A1.1.1 得分（满分 10）").fill("8")
    page.get_by_label("A1.1.3 得分（满分 10）").fill("5.5")
    page.wait_for_function(
        "sel => document.querySelector(sel).textContent === '已评 2/11 项，小计 13.5 / 150 分'",
        arg=f"span[id='{json.dumps({'area': 'A1', 'type': ids.EVALUATION_SUBTOTAL}, separators=(',', ':'))}']",
    )
    assert page.get_by_role("group", name="否决项结论").count() == 3
    for typed in ("999", "-3", "9.75"):
        page.fill(score_input("A1.1.2"), typed)
        assert subtotal(page, "A1") == "已评 2/11 项，小计 13.5 / 150 分，1 项待更正"
        page.click(f"#{ids.EVALUATION_SAVE}")
        # The click also leaves the field, which is judged by itself at once: wait for the save's own answer.
        page.wait_for_function(
            "([id, typed]) => document.getElementById(id).textContent.includes(typed)",
            arg=[ids.EVALUATION_RESULT, typed],
        )
        assert typed in page.inner_text(error_slot("A1.1.2"))
        assert page.inner_text(f"#{ids.EVALUATION_RESULT}").startswith("未保存：1 项需要更正")
        # The message is beside the buttons, in view without scrolling back up to the top of the form.
        assert in_view(page, f"#{ids.EVALUATION_RESULT}") and in_view(page, f"#{ids.EVALUATION_SAVE}")
        assert read(site, query_scores, archive, "evaluator") == before  # nothing saved, nothing dropped
    screenshot(page, "evaluation-invalid")

    # A comma is no decimal point (1,000 was saved as 1.0): counted as one to correct, and said so once left.
    page.fill(score_input("A1.1.2"), "９，５")
    assert subtotal(page, "A1") == "已评 2/11 项，小计 13.5 / 150 分，1 项待更正"
    page.press(score_input("A1.1.2"), "Tab")
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).textContent.includes(text)",
        arg=[error_slot("A1.1.2"), "得分请用小数点「.」表示小数，不要用逗号。"],
    )
    # Full-width digits, a full-width decimal point and a trailing zero: counted as the save reads them (9.5).
    page.fill(score_input("A1.1.2"), "９．５０")
    assert subtotal(page, "A1") == "已评 3/11 项，小计 23.0 / 150 分"
    page.click(f"#{ids.EVALUATION_SAVE}")
    page.wait_for_function(
        "id => document.getElementById(id).textContent.startsWith('草稿已保存')", arg=ids.EVALUATION_RESULT
    )
    assert page.inner_text(error_slot("A1.1.2")) == ""
    saved = {r["item_code"]: float(r["score"]) for r in read(site, query_scores, archive, "evaluator")}
    assert saved == {"A1.1.1": 8.0, "A1.1.2": 9.5, "A1.1.3": 5.5}
    assert "基本分 23.0 分（已评 3/65 项）" in page.inner_text(".action-bar .subtotal")

    # Submitting an incomplete sheet lists what is missing, one item a line, and marks every missing field.
    page.click(f"#{ids.EVALUATION_SUBMIT}")
    page.wait_for_selector(f"#{ids.EVALUATION_PROBLEMS} li")
    assert page.locator(f"#{ids.EVALUATION_PROBLEMS} li").count() == evaluation.MAX_LISTED_PROBLEMS
    assert "另有 52 项" in page.inner_text(f"#{ids.EVALUATION_RESULT}")
    assert "每个适用评分项都须评分" in page.inner_text(error_slot("A6.2.1"))
    # Bonus typed beyond the cap (four items of 10 against 30): the totals say what is not counted.
    for code in ("B1", "B2", "B3", "B4"):
        page.fill(score_input(code), "10")
    page.wait_for_function(
        "text => document.querySelector('.action-bar .subtotal').textContent.includes(text)",
        arg="加分 30.0 分（填报 40.0 分，超过上限 30 分的部分不计）",
    )
    assert subtotal(page, "bonus") == "已评 4/5 项，小计 40.0 / 30 分，超过上限的 10.0 分不计"
    assert browsing.failed == []


def test_choosing_another_archive_with_unsaved_scores_asks_first_and_keeps_them_unless_confirmed(browsing, site):
    here, other = assigned_archives(site)[1:3]
    page = browsing.sign_in("evaluator", f"{evaluation.PATH}?archive={here}")
    page.wait_for_selector(f"#{ids.EVALUATION_FORM} table.score-table")
    asked: list[str] = []
    answer = {"leave": False}
    page.on("dialog", lambda d: (asked.append(d.message), d.accept() if answer["leave"] else d.dismiss()))
    page.fill(score_input("A1.1.3"), "6")
    other_row = f"#{ids.EVALUATION_ASSIGNMENTS_GRID} .ag-row[row-id='{other}'] .ag-cell[col-id='archive_name']"
    page.click(other_row)
    page.wait_for_timeout(500)  # the form would be redrawn here had the click gone through
    assert asked == ["评分表有未保存的修改（得分、否决项结论或扣分说明），离开将丢失这些修改。确定离开吗？"]
    assert page.url.endswith(f"?archive={here}") and page.input_value(score_input("A1.1.3")) == "6"
    answer["leave"] = True
    page.click(other_row)
    page.wait_for_function("archive => location.search === `?archive=${archive}`", arg=other)
    page.wait_for_selector(f"#{ids.EVALUATION_OWN_SHEET_DOWNLOAD}[href='/download/evaluation/{other}']")
    assert page.input_value(score_input("A1.1.3")) != "6"  # the other archive's sheet, as saved
    assert len(asked) == 2 and browsing.failed == []


def test_an_evaluator_is_told_what_is_wrong_with_a_score_on_leaving_its_field_without_saving(browsing, site):
    archive = assigned_archives(site)[1]
    before = read(site, query_scores, archive, "evaluator")
    page = browsing.sign_in("evaluator", f"{evaluation.PATH}?archive={archive}")
    page.wait_for_selector(f"#{ids.EVALUATION_FORM} table.score-table")
    field = page.get_by_label("A1.1.2 得分（满分 10）")
    field.fill("12")
    # Typing alone keeps the subtotal live; the field is judged once it is left (Tab) or Enter is pressed in it.
    assert "1 项待更正" in subtotal(page, "A1") and page.inner_text(error_slot("A1.1.2")) == ""
    field.press("Tab")
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).textContent === text",
        arg=[error_slot("A1.1.2"), "得分须在 0 至该评分项满分之间。（填写 12，满分 10）"],
    )
    assert page.inner_text(f"#{ids.EVALUATION_RESULT}") == ""  # nothing was saved to say so
    # The field is marked invalid and described by its error: heard again when it is next focused.
    page.wait_for_function("sel => document.querySelector(sel).getAttribute('aria-invalid') === 'true'", arg=SCORE_A112)
    described = page.evaluate(
        "sel => document.getElementById(document.querySelector(sel).getAttribute('aria-describedby')).textContent",
        SCORE_A112,
    )
    assert described == "得分须在 0 至该评分项满分之间。（填写 12，满分 10）"
    screenshot(page, "evaluation-live-error")
    field.fill("9.75")
    field.press("Enter")
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).textContent === text",
        arg=[error_slot("A1.1.2"), "得分最多保留一位小数。（填写 9.75）"],
    )
    field.fill("9.5")
    field.press("Tab")
    page.wait_for_function("sel => document.querySelector(sel).textContent === ''", arg=error_slot("A1.1.2"))
    page.wait_for_function(
        "sel => document.querySelector(sel).getAttribute('aria-invalid') === 'false'", arg=SCORE_A112
    )
    assert page.inner_text(f"#{ids.EVALUATION_RESULT}") == ""
    assert read(site, query_scores, archive, "evaluator") == before  # judged, never saved
    assert browsing.failed == []


# --- a planner -------------------------------------------------------------------------------------------------------


def test_a_planner_lists_the_overdue_findings_and_opens_one_s_history(browsing, site):
    everything = read(site, query_findings, DEMO_TODAY)
    overdue = read(site, query_findings, DEMO_TODAY, overdue_only=True)
    assert 0 < len(overdue) < len(everything)
    # The first overdue findings in the grid's order (finding id): one with a history to show.
    finding = next(f for f in overdue[:5] if len(read(site, query_finding_history, f["finding_id"])["transitions"]) > 1)
    history = read(site, query_finding_history, finding["finding_id"])["transitions"]

    page = browsing.sign_in("planner", inspections.PATH)
    wait_for_grid(page, ids.INSPECTIONS_GRID)
    grid_count(page, ids.INSPECTIONS_GRID, len(everything))
    page.locator(f"#{ids.INSPECTIONS_OVERDUE} input[value='overdue']").check()
    grid_count(page, ids.INSPECTIONS_GRID, len(overdue))
    # Rows leaving the grid stay in the page for the length of AG Grid's row animation.
    page.wait_for_function(
        "id => Array.from(document.querySelectorAll(`#${id} .ag-center-cols-container .ag-cell[col-id='overdue_days']`))"
        ".every(cell => Number(cell.textContent) > 0)",
        arg=ids.INSPECTIONS_GRID,
    )
    shown = shown_rows(page, ids.INSPECTIONS_GRID)
    assert shown and all(int(row["overdue_days"]) > 0 for row in shown)
    assert [row["finding_id"] for row in shown] == [f["finding_id"] for f in overdue[: len(shown)]]

    page.locator(
        f"#{ids.INSPECTIONS_GRID} .ag-row[row-id='{finding['finding_id']}'] .ag-cell[col-id='unit_name']"
    ).click()
    page.wait_for_function(
        "([id, finding]) => document.getElementById(id).textContent.startsWith(finding)",
        arg=[ids.INSPECTIONS_DETAIL, finding["finding_id"]],
    )
    text = page.inner_text(f"#{ids.INSPECTIONS_DETAIL}")
    assert f"当前状态：{finding['status']}" in text and f"（已逾期 {finding['overdue_days']} 天）" in text
    grid_count(page, ids.INSPECTIONS_HISTORY_GRID, len(history))
    rows = shown_rows(page, ids.INSPECTIONS_HISTORY_GRID)
    assert [(row["seq"], row["action"], row["to_status"]) for row in rows] == [
        (str(t["seq"]), t["action"], t["to_status"]) for t in history[: len(rows)]
    ]
    screenshot(page, "inspections-finding")
    assert browsing.failed == []


def test_a_finding_s_history_reads_whole_at_1400_px_before_and_after_an_action_adds_a_longer_row(
    browsing, site, tmp_path
):
    # A Guangdong finding in 整改中 whose history is all shorter than the row its office's 提交整改报告 will add.
    added = {
        "changer": f"{DEMO_PEOPLE[Role.PROVINCE]}（guangdong）",  # the demo's account, by its person's name
        "action": FindingAction.SUBMIT.value,
        "to_status": FindingStatus.SUBMITTED.value,
    }
    findings = read(site, query_findings, DEMO_TODAY, province_code="440000", status=FindingStatus.IN_PROGRESS.value)
    histories = {f["finding_id"]: read(site, query_finding_history, f["finding_id"])["transitions"] for f in findings}
    finding_id, history = next(
        (finding_id, history)
        for finding_id, history in histories.items()
        if all(len(str(t[field] or "")) < len(value) for t in history for field, value in added.items())
    )
    evidence = tmp_path / "整改报告（广东省档案馆）.pdf"
    evidence.write_bytes(b"%PDF-1.4 rectification report")
    page = browsing.sign_in("guangdong", f"{inspections.PATH}?finding={finding_id}")
    grid_count(page, ids.INSPECTIONS_HISTORY_GRID, len(history))
    wait_for_grid(page, ids.INSPECTIONS_HISTORY_GRID, rows=True)
    first_draw = wait_until_readable(page, ids.INSPECTIONS_HISTORY_GRID)
    screenshot(page, "inspections-history-first-draw")

    page.click(f"#{ids.INSPECTIONS_ACTION}")
    page.get_by_role("option", name=f"{FindingAction.SUBMIT} → {FindingStatus.SUBMITTED}").click()
    page.fill(f"#{ids.INSPECTIONS_MEASURES}", "已将全部待整改案卷重新登记入库，并补建温湿度记录台账。")
    # The evidence picker is one Tab stop, its file input (a button inside it was a second, doing nothing).
    tab_stops = page.evaluate(
        "id => Array.from(document.getElementById(id).querySelectorAll('*')).filter(e => e.tabIndex >= 0)"
        ".map(e => e.tagName + ':' + (e.type || ''))",
        ids.INSPECTIONS_EVIDENCE,
    )
    assert tab_stops == ["INPUT:file"]
    chosen_text = "([id, text]) => document.getElementById(id).textContent.includes(text)"
    assert page.inner_text(f"#{ids.INSPECTIONS_EVIDENCE_CHOSEN}").startswith("未选择文件（PDF、图片")
    # A file over the limit is refused as it is chosen (the browser dropped a probe's 25 MB file unsaid, and the file
    # chosen before it went out instead).
    scan = tmp_path / "整改材料（扫描件）.pdf"
    with scan.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(51 * 1024 * 1024)
    page.set_input_files(f"#{ids.INSPECTIONS_EVIDENCE} input[type=file]", str(scan))
    refused = "「整改材料（扫描件）.pdf」51.0 MB，超过 50 MB 的上限，未选中：请压缩或拆分后重新选择。"
    page.wait_for_function(chosen_text, arg=[ids.INSPECTIONS_EVIDENCE_CHOSEN, refused])
    # A kind not taken is refused as it is chosen too (with `accept` the browser dropped it unsaid).
    tool = tmp_path / "整改工具.exe"
    tool.write_bytes(b"MZ\x90\x00 an executable")
    page.set_input_files(f"#{ids.INSPECTIONS_EVIDENCE} input[type=file]", str(tool))
    not_taken = "「整改工具.exe」不能作为佐证材料，未选中：只接收PDF、图片"
    page.wait_for_function(chosen_text, arg=[ids.INSPECTIONS_EVIDENCE_CHOSEN, not_taken])
    page.set_input_files(f"#{ids.INSPECTIONS_EVIDENCE} input[type=file]", str(evidence))
    page.wait_for_function(chosen_text, arg=[ids.INSPECTIONS_EVIDENCE_CHOSEN, f"已选择：「{evidence.name}」（1 KB）"])
    page.click(f"#{ids.INSPECTIONS_APPLY}")
    page.wait_for_function(
        "([id, text]) => document.getElementById(id).textContent.startsWith(text)",
        arg=[ids.INSPECTIONS_RESULT, f"{finding_id}：{FindingStatus.IN_PROGRESS} → {FindingStatus.SUBMITTED}"],
    )
    # Recorded: the file is no longer chosen, and the picker says so; the measures typed for it are gone from view
    # (they stayed shown, yet were not sent with the next change).
    page.wait_for_function(chosen_text, arg=[ids.INSPECTIONS_EVIDENCE_CHOSEN, "未选择文件（"])
    assert page.input_value(f"#{ids.INSPECTIONS_MEASURES}") == ""
    # The same file can be chosen again for the next change (an office's one 整改报告.pdf was ignored the second time).
    page.set_input_files(f"#{ids.INSPECTIONS_EVIDENCE} input[type=file]", str(evidence))
    page.wait_for_function(chosen_text, arg=[ids.INSPECTIONS_EVIDENCE_CHOSEN, f"已选择：「{evidence.name}」（1 KB）"])
    grid_count(page, ids.INSPECTIONS_HISTORY_GRID, len(history) + 1)
    page.wait_for_function(
        "([id, n]) => document.querySelectorAll(`#${id} .ag-center-cols-container .ag-row`).length === n",
        arg=[ids.INSPECTIONS_HISTORY_GRID, len(history) + 1],
    )
    browsing.wait_for_quiet(page)
    after_action = wait_until_readable(page, ids.INSPECTIONS_HISTORY_GRID)
    screenshot(page, "inspections-history-after-action")
    rows = shown_rows(page, ids.INSPECTIONS_HISTORY_GRID)
    assert {k: rows[-1][k] for k in (*added, "role_label", "evidence_link")} == {
        **added,
        "role_label": FindingRole.RECTIFIER.label,
        "evidence_link": evidence.name,
    }
    # Nothing cut, no horizontal scroll: when the grid is first drawn, and after the longer row came.
    assert {"first draw": first_draw, "after the action": after_action} == {
        "first draw": ([], {}),
        "after the action": ([], {}),
    }
    assert browsing.failed == []


@pytest.mark.parametrize(("user", "query"), [("planner", "?overdue=1"), ("guangdong", "")])
def test_the_findings_list_shows_every_column_whole_at_1400_px(browsing, user, query):
    # The overdue list as a national planner opens it, and a provincial office's own findings: 逾期 and 问题描述 (what
    # a planner reads first) and every other column in view, nothing cut, nothing to scroll sideways to.
    page = browsing.sign_in(user, f"{inspections.PATH}{query}")
    wait_for_grid(page, ids.INSPECTIONS_GRID, rows=True)
    browsing.wait_for_quiet(page)
    readable = wait_until_readable(page, ids.INSPECTIONS_GRID)
    screenshot(page, f"inspections-findings-{user}")
    assert {"out of view": columns_out_of_view(page, ids.INSPECTIONS_GRID), "cut, overflow": readable} == {
        "out of view": [],
        "cut, overflow": ([], {}),
    }
    # Every column drawn (AG Grid draws only the columns in view), 问题描述 filled in, 逾期 for the overdue (blank for
    # the rest: every row of the overdue list, some of the province's).
    rows = shown_rows(page, ids.INSPECTIONS_GRID)
    assert set(rows[0]) == {c.field for c in inspections.FINDING_COLUMNS}
    assert all(row["description"] for row in rows)
    assert (all if query else any)(row["overdue_days"] for row in rows)
    assert browsing.failed == []


def test_a_planner_sees_the_indicator_cards_and_a_trajectory(browsing, site):
    progress = [r for r in read(site, query_indicator_progress) if r["province_code"] is None]
    latest = {r["indicator_code"]: r for r in progress if r["target"] is not None and r["value"] is not None}
    page = browsing.sign_in("planner", indicators.PATH)
    page.wait_for_selector(f"#{ids.INDICATORS_CARDS} .card")
    cards = page.locator(f"#{ids.INDICATORS_CARDS} .card").all_inner_texts()
    assert len(cards) == len(latest) > 0
    # A percentage reads 96%, as everywhere else on the pages (96 % beside 62.57% read as two kinds of number).
    assert any("%" in card for card in cards) and not any(" %" in card for card in cards)
    for card, row in zip(cards, latest.values(), strict=True):
        assert card.startswith(row["indicator_name"])
        # The status as people read it: a year not over on the demo's day is not judged (all read 滞后 on 30 June),
        # and the last full year's is given below it, each with its year's value and expected value.
        lines = card.rstrip().splitlines()
        said = f"{row['year']}年：实际 {format_value(row['value'])}，应达 {format_value(row['expected'])}，"
        assert f"{said}{yearly_status(row, DEMO_TODAY)}" in lines[-2:], (lines, said)

    def trajectory() -> dict[str, Any]:
        return page.evaluate(
            """id => {
                const gd = document.querySelector(`#${id} .js-plotly-plot`);
                return {title: gd.layout.title.text, series: Object.fromEntries(gd.data.map(t => [t.name, [t.x, t.y]]))};
            }""",
            ids.INDICATORS_TRAJECTORY,
        )

    def expected(code: str) -> dict[str, Any]:
        rows = [r for r in progress if r["indicator_code"] == code]
        return {
            "全国实际值": [
                [r["year"] for r in rows],
                [None if r["value"] is None else float(r["value"]) for r in rows],
            ],
            "全国应达进度": [
                [r["year"] for r in rows if r["expected"] is not None],
                [float(r["expected"]) for r in rows if r["expected"] is not None],
            ],
        }

    first, other = list(latest)[0], list(latest)[3]
    page.wait_for_selector(f"#{ids.INDICATORS_TRAJECTORY} .js-plotly-plot .scatterlayer .trace")
    assert trajectory()["series"] == expected(first)
    page.click(f"#{ids.INDICATORS_CHOICE}")
    page.get_by_role("option", name=f"{latest[other]['indicator_name']}（{latest[other]['unit']}）").click()
    page.wait_for_function(
        "([id, name]) => document.querySelector(`#${id} .js-plotly-plot`).layout.title.text.startsWith(name)",
        arg=[ids.INDICATORS_TRAJECTORY, latest[other]["indicator_name"]],
    )
    assert trajectory()["series"] == expected(other)
    screenshot(page, "indicators-trajectory")
    assert browsing.failed == []


def test_the_results_grid_shows_each_archive_s_bonus_as_the_warehouse_holds_it(browsing, site):
    expected = {r["archive_code"]: r for r in read(site, query_evaluation_results)}
    assert any(r["bonus"] for r in expected.values())
    page = browsing.sign_in("planner", evaluation.PATH)
    wait_for_grid(page, ids.EVALUATION_RESULTS_GRID)
    rows = shown_rows(page, ids.EVALUATION_RESULTS_GRID)
    assert rows
    for row in rows:
        want = expected[row["archive_code"]]
        assert (float(row["bonus"]) if row["bonus"] else None) == (
            None if want["bonus"] is None else float(want["bonus"])
        )
        if want["final_score"] is not None:
            assert float(row["total"]) + float(row["bonus"] or 0) == float(want["final_score"])
        # How far its experts have got, beside its status (a planner chasing the missing sheets).
        assert (row["experts"], row["assigned"]) == (str(want["experts"]), str(want["assigned"]))
    assert any(row["bonus"] for row in rows)
    # What AG Grid keeps for screen readers no longer says 没有数据 or 加载中…… (its overlays before the rows came) over
    # the rows.
    notice = f"#{ids.EVALUATION_RESULTS_GRID} .ag-aria-description-container"
    # One wait for the whole state (a wait for 没有数据 to go, then a read, raced AG Grid rewriting it once more).
    page.wait_for_function(
        "sel => { const t = document.querySelector(sel).textContent; "
        "return t.startsWith('第 1 页') && !t.includes('没有数据') && !t.includes('加载中'); }",
        arg=notice,
    )
    # The items grid, with no archive chosen, still says it, and only it (not "。. 第 0 页，共 0 页" after it).
    empty = f"#{ids.EVALUATION_ITEMS_GRID} .ag-aria-description-container"
    page.wait_for_function(
        "sel => { const n = document.querySelector(sel); return n.textContent === n.closest('.grid-block').dataset.empty; }",
        arg=empty,
    )
    assert "没有数据" in page.text_content(empty)


def test_the_radar_s_labels_do_not_overlap(browsing, site):
    archive = next(r["archive_code"] for r in read(site, query_evaluation_results) if r["final_score"] is not None)
    page = browsing.sign_in("planner", evaluation.PATH)
    wait_for_grid(page, ids.EVALUATION_RESULTS_GRID)
    page.locator(f"#{ids.EVALUATION_RESULTS_GRID} .ag-row[row-id='{archive}'] .ag-cell[col-id='archive_name']").click()
    page.wait_for_selector(f"#{ids.EVALUATION_RADAR} .angularaxistick text")
    boxes = page.evaluate(
        """id => Array.from(document.querySelectorAll(`#${id} svg text`))
            .filter(t => t.textContent.trim())
            .map(t => { const r = t.getBoundingClientRect();
                        return [t.textContent, r.left, r.top, r.right, r.bottom]; })""",
        ids.EVALUATION_RADAR,
    )
    assert len(boxes) >= 6 + 4 + 1

    def overlap(a: list[Any], b: list[Any]) -> bool:
        return a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]

    clashes = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if overlap(a, b)]
    assert clashes == []
    screenshot(page, "evaluation-radar")
    assert browsing.failed == []
