"""A provincial office uploads in real headless Chromium on the session's site: a bad return gets its failures and
the annotated workbook, then a valid one that drops holders is loaded only when confirmed. It runs after the other
modules of the demo's unit (test_every_page takes the README's pictures): the accepted return replaces Guangdong's."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from census_schema.layout import DROPPED_SHEET, ERRORS_SHEET, rule_cell
from census_schema.rule_titles import rule_title
from dash_app import ids
from tests.dash_app.browser import (
    columns_out_of_view,
    screenshot,
    shown_rows,
    upload_file,
    wait_for_grid,
    wait_until_readable,
)
from tests.dash_app.conftest import BAD_EDITS
from tests.flows.workbooks import census_workbook

pytestmark = pytest.mark.browser


def test_a_province_user_uploads_a_bad_return_gets_the_report_then_a_good_one_is_accepted(browsing, site):
    page = browsing.sign_in("guangdong", "/upload")
    page.wait_for_selector(f"#{ids.UPLOAD_STATUS}")
    assert not page.locator(f"#{ids.UPLOAD_FAILURES_GRID}").is_visible()  # no file yet: no empty findings grid
    # Its bad phone is 720 characters long: the value column must not push 问题 and 说明 out of view.
    bad = census_workbook(site.folder / "广东-有误.xlsx", 3, {**BAD_EDITS, 2: {"contact_phone": "12345" + "6" * 715}})
    upload_file(page, bad)
    page.wait_for_url("**/upload?job=*")
    outcome = page.wait_for_selector(f"#{ids.UPLOAD_OUTCOME}")
    assert "未通过校验" in outcome.inner_text()
    # The grid shows once the job has findings (it follows the job's status).
    page.wait_for_selector(f"#{ids.UPLOAD_FAILURES_GRID}", state="visible")
    wait_for_grid(page, ids.UPLOAD_FAILURES_GRID, rows=True)
    listed = {(row["row"], row["rule_title"]) for row in shown_rows(page, ids.UPLOAD_FAILURES_GRID)}
    assert columns_out_of_view(page, ids.UPLOAD_FAILURES_GRID) == []
    # Drawn while hidden, its columns were sized at no width: 严重程度, 行号 and 问题 cut to one character (a probe).
    assert wait_until_readable(page, ids.UPLOAD_FAILURES_GRID) == ([], {})
    assert {("4", rule_title("vol_total_sum")), ("5", rule_title("contact_phone_format"))} <= listed
    # The holders it would drop are one folded line: the errors are what the uploader must read first.
    assert "本表减少" in page.inner_text(f"#{ids.UPLOAD_SHRINK}")
    assert not page.locator(f"#{ids.UPLOAD_DROPPED} li").first.is_visible()
    screenshot(page, "upload")

    with page.expect_download() as download:
        page.click(f"#{ids.UPLOAD_REPORT_LINK}")
    assert download.value.suggested_filename == "广东-有误-错误报告.xlsx"
    report = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    errors = list(report[ERRORS_SHEET].iter_rows(values_only=True))
    assert {(row[1], row[5]) for row in errors[1:]} >= {
        (4, rule_cell("vol_total_sum")),
        (5, rule_cell("contact_phone_format")),
    }

    # A valid return of 3 holders would drop Guangdong's province-wide holders: listed, loaded only when confirmed.
    good = census_workbook(site.folder / "广东-正确.xlsx", 3)
    upload_file(page, good)
    page.wait_for_selector(f"#{ids.UPLOAD_CONFIRM_SHRINK}")
    assert "须确认" in page.inner_text(f"#{ids.UPLOAD_OUTCOME}")
    assert page.locator(f"#{ids.UPLOAD_DROPPED} li").first.is_visible()  # what the confirmation removes, shown
    with page.expect_download() as download:  # nothing wrong in it: the holders it drops, not an error report
        page.click(f"#{ids.UPLOAD_REPORT_LINK}")
    assert download.value.suggested_filename == "广东-正确-核对报告.xlsx"
    assert DROPPED_SHEET in openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).sheetnames
    page.click(f"#{ids.UPLOAD_CONFIRM_SHRINK}")
    page.wait_for_function(
        "id => (document.getElementById(id) || {}).textContent?.includes('已接收')", arg=ids.UPLOAD_OUTCOME
    )
    # Loaded, it has warnings: they are marked in the uploader's workbook (it was offered nothing once confirmed).
    assert page.inner_text(f"#{ids.UPLOAD_REPORT_LINK}") == "下载标注了警告的工作簿"
    with page.expect_download() as download:
        page.click(f"#{ids.UPLOAD_REPORT_LINK}")
    assert download.value.suggested_filename == "广东-正确-核对报告.xlsx"
    report = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    marked = list(report[ERRORS_SHEET].iter_rows(values_only=True))[1:]
    assert marked and {row[6] for row in marked} == {"警告"}
    # Kept under the submission's number, /submissions offers it again.
    kept = re.search(r"核对报告也保存在提交记录中（提交编号 (\S+?)）", page.inner_text("body"))
    assert kept is not None
    page.goto(f"/submissions?submission={kept.group(1)}")
    link = page.wait_for_selector(f"#{ids.SUBMISSIONS_REPORT_LINK}[href]")
    assert link.inner_text() == "下载所填提交的核对报告（原工作簿，有警告的单元格已标注）"
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "广东-正确-核对报告.xlsx"


def test_a_workbook_over_the_size_limit_is_refused_on_the_page_before_it_is_sent(browsing, site):
    page = browsing.sign_in("guangdong", "/upload")
    page.wait_for_load_state("networkidle")
    limit = int(page.get_attribute(f"#{ids.UPLOAD_FILE}", "data-max-bytes") or 0)
    assert limit == site.settings.max_upload_bytes
    big = site.folder / "广东-过大.xlsx"
    with big.open("wb") as file:  # sparse: only its size matters, nothing is read before the check
        file.truncate(limit + 1)
    sent: list[str] = []
    page.on("request", lambda request: request.method == "POST" and sent.append(request.url))
    page.set_input_files(f"#{ids.UPLOAD_FILE}", str(big))
    note = page.inner_text(f"#{ids.UPLOAD_FILE_NOTE}")
    assert note.startswith("「广东-过大.xlsx」100.1 MB，超过 100 MB 的上限，未选中。")  # one byte over: never 100.0
    assert page.evaluate("id => document.getElementById(id).files.length", ids.UPLOAD_FILE) == 0
    page.click(f"#{ids.UPLOAD_SUBMIT}")  # nothing chosen: the required input stops the submit, on this page
    assert page.url.endswith("/upload") and not [url for url in sent if url.endswith("/api/upload")]
    # A workbook within the limit is chosen and the refusal goes.
    page.set_input_files(f"#{ids.UPLOAD_FILE}", str(census_workbook(site.folder / "广东-小.xlsx", 1)))
    assert page.inner_text(f"#{ids.UPLOAD_FILE_NOTE}") == ""
    big.unlink()
