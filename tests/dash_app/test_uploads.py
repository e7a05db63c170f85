"""Browser uploads under hostile input: a reader crash fails one job (not the server), files never stay behind,
the queue is fair across provinces and each user may only queue so many files."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dash import html

from census_schema.audit import INTERRUPTED
from census_schema.census_form import CENSUS_FORM
from census_schema.roles import Role
from census_schema.settings import Settings
from cli.main import main
from dash_app import ids
from dash_app.access import Viewer
from dash_app.app import close_app, create_app
from dash_app.pages.upload import describe_current_returns, describe_job, status_text
from dash_app.uploads import (
    INTERRUPTED_TEXT,
    STOPPING,
    FairQueue,
    UploadJob,
    UploadJobs,
    _no_report,
    remove_stale_uploads,
)
from dash_app.webstate import FAILED, UploadLedger, UploadRecord, WebState
from tests.dash_app.conftest import add_users, province_workbook, web_settings
from tests.dash_app.test_access import (
    client_of,
    job_status,
    post_callback,
    render_page,
    returned,
    upload,
    wait_for_job,
)
from tests.flows import hostile
from tests.flows.test_bad_input import bomb
from warehouse.audit import AuditEvent
from warehouse.queries import list_submissions
from warehouse.store import WarehouseStore

GUANGDONG = Viewer("guangdong", "province", "440000")
GUANGXI = Viewer("guangxi", "province", "450000")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uploads")
    settings = web_settings(folder / "var" / "warehouse.duckdb")
    add_users(WarehouseStore(settings.db_path))
    app = create_app(settings)
    yield app, settings, folder
    close_app(app)


def job(name: str, province: str) -> UploadJob:
    return UploadJob(name, f"user-{province}", province, "census", f"{name}.xlsx")


def test_the_queue_serves_the_province_served_least_recently():
    queue = FairQueue()
    queue.put(job("gd-1", "440000"), Path("a"))
    queue.put(job("gd-2", "440000"), Path("b"))
    assert queue.take()[0].job_id == "gd-1"
    # Guangxi queues after Guangdong's second file, and is served before it.
    queue.put(job("gx-1", "450000"), Path("c"))
    queue.put(job("gd-3", "440000"), Path("d"))
    # The order a queued job's uploader is told (前面还有 N 个文件) is the order it is served in.
    assert [j.job_id for j in queue.order()] == ["gx-1", "gd-2", "gd-3"] and len(queue) == 3
    assert [queue.take()[0].job_id for _ in range(3)] == ["gx-1", "gd-2", "gd-3"]
    assert queue.take() is None and len(queue) == 0


def test_a_queued_upload_says_it_waits_and_for_how_many_files():
    # It said 正在处理「…」：排队中 while other offices' files were read, not that it waited nor for what.
    waiting = job("sg-r", "440000")
    said = text_of(describe_job(waiting, ahead=2))
    assert said == "已收到「sg-r.xlsx」，排队等候处理：前面还有 2 个文件（各省的上传轮流处理） …"
    waiting.stages.append("读取")
    assert text_of(describe_job(waiting)) == "正在处理「sg-r.xlsx」：读取 …"


def test_two_queued_bombs_from_one_province_do_not_hold_another_province(site, tmp_path):
    _, settings, _ = site
    jobs = UploadJobs(settings)
    bombs = [bomb(tmp_path / f"bomb{i}.xlsx") for i in range(2)]
    small = province_workbook(tmp_path / "small.xlsx", CENSUS_FORM, "450000", 3)
    saved = [tmp_path / f"saved{i}" for i in range(4)]
    for source, target in zip([*bombs, small], saved, strict=False):
        target.write_bytes(source.read_bytes())
    try:
        # All arrive while the runner is busy (here: waiting for the queue's lock, as behind a slow file).
        with jobs._ready:
            first = jobs.submit(GUANGDONG, "census", saved[0], "bomb0.xlsx")
            second = jobs.submit(GUANGDONG, "census", saved[1], "bomb1.xlsx")
            other = jobs.submit(GUANGXI, "census", saved[2], "small.xlsx")
            saved[3].write_bytes(b"PK")
            third = jobs.submit(GUANGDONG, "census", saved[3], "bomb2.xlsx")
            # Guangxi's file goes after Guangdong's first, before its second: what their uploaders are told.
            assert [jobs.ahead_of(j.job_id) for j in (first, other, second, third)] == [0, 1, 2, None]
        assert third.status == "failed" and "最多 2 个" in (third.error or "")
        assert not saved[3].exists()
        for each in (first, second, other):
            assert jobs.wait(each.job_id, 120)
        assert other.status == "done" and other.result["status"] == "accepted"
        assert first.status == second.status == "failed" and "压缩" in (first.error or "")
        assert other.finished_at < second.started_at
        assert (other.finished_at - other.created_at).total_seconds() < 60
        assert not any(path.exists() for path in saved)
    finally:
        jobs.close()


def test_a_finished_job_s_report_and_data_docs_links_stand_apart_in_one_row():
    result = {"status": "rejected", "rows": 3, "errors": 1, "warnings": 0}
    result |= {"report": "r.xlsx", "data_docs": "docs/index.html", "submission_id": "S1"}
    job = UploadJob("j1", "guangdong", "440000", "census", "a.xlsx", status="done", result=result)
    row = describe_job(job)[-1]
    assert row.className == "toolbar"  # spaced: side by side without a gap the two links read as one
    assert [link.id for link in row.children] == [ids.UPLOAD_REPORT_LINK, ids.UPLOAD_DATA_DOCS_LINK]
    assert [link.href for link in row.children] == ["/download/report/j1", "/data-docs/S1/"]


def test_a_register_s_job_says_how_many_returns_it_judged_again():
    result = {"status": "accepted", "rows": 3, "errors": 0, "warnings": 0, "returns_rejudged": 2}
    job = UploadJob("j1", "guangdong", "440000", "register", "r.xlsx", status="done", result=result)
    said = [part.children for part in describe_job(job)]
    assert "已按本名录重新核对现行普查表：2 份报表的名录相关警告有变化（见“数据质量”）。" in said
    # A county's or prefecture's office may not open 数据质量: it is sent where it sees its returns' warnings.
    for role in (Role.COUNTY, Role.PREFECTURE):
        said = [part.children for part in describe_job(job, role)]
        assert "已按本名录重新核对现行普查表：2 份报表的名录相关警告有变化（见“提交记录”中各报表的警告数）。" in said
    quiet = UploadJob(
        "j2", "guangdong", "440000", "register", "r.xlsx", status="done", result=result | {"returns_rejudged": 0}
    )
    assert not any("重新核对" in str(part.children) for part in describe_job(quiet))


def test_an_accepted_upload_says_its_own_number_a_dry_run_or_refused_one_does_not_here():
    # A walk found only the number of the return it replaced on the page, not its own, to quote when asking about it.
    result = {"status": "accepted", "rows": 3, "errors": 0, "warnings": 0, "submission_id": "S2024-440000-x"}
    job = UploadJob("j1", "guangdong", "440000", "census", "c.xlsx", status="done", result=result)
    number = next(part for part in describe_job(job) if getattr(part, "id", None) == ids.UPLOAD_SUBMISSION_ID)
    label, link = number.children
    assert (label, link.children, link.href) == (
        "提交编号：",
        "S2024-440000-x",
        "/submissions?submission=S2024-440000-x",
    )
    for other in ({"dry_run": True}, {"status": "rejected", "errors": 1}):
        job = UploadJob("j2", "guangdong", "440000", "census", "c.xlsx", status="done", result=result | other)
        assert not any(getattr(part, "id", None) == ids.UPLOAD_SUBMISSION_ID for part in describe_job(job))


def test_a_withdrawn_return_is_said_withdrawn_and_a_shrink_over_it_voids_nothing():
    # A probe read 该表被退回 of a return its sender had taken back, and that confirming would void its conclusion.
    from dash_app.pages.coverage import returned_note
    from dash_app.pages.upload import describe_shrink

    assert returned_note({"returned_file": "sg.xlsx", "returned_reason": "报送人撤回：误传"}) == (
        "已在「sg.xlsx」中报送，该表已被撤回，不计入（撤回原因：误传）"
    )
    current = {"said": "广东省韶关市（地级）现行报表（已撤回，不计入统计；…）", "is_returned": True}
    shrink = {"current": current, "current_holders": 70, "dropped": 10, "dropped_pct": 14.29, "limit_pct": 10.0}
    said = describe_shrink(shrink, "needs_confirmation")
    assert "确认装载后，本表替换该表：本表须重新审核" in said and "作废" not in said and "不再计入" not in said
    counted = describe_shrink({**shrink, "current": {**current, "is_returned": False}}, "needs_confirmation")
    assert "该表的数据不再计入，其审核结论作废" in counted
    # Loaded over it, the holders left out stop nothing (a probe read 不再计入 of holders that counted nowhere).
    loaded = describe_shrink(shrink, "accepted")
    assert "以下普查对象未列入本表（原表已退回或撤回，本不计入统计" in loaded and "不再计入" not in loaded
    assert "不再计入本范围" in describe_shrink({**shrink, "current": {**current, "is_returned": False}}, "accepted")


def test_the_confirmation_over_one_s_own_reviewed_return_says_the_review_is_voided_not_whose_it_is():
    from dash_app.pages.upload import describe_replacing_reviewed, status_text

    own = {
        "said": "广东省广州市（地级）现行有效的报表（…）",
        "submitted_by": "gz",
        "review": "已审核",
        "is_returned": False,
    }
    result = {"status": "needs_confirmation", "replaces_other": own, "replaces_reviewed": True, "shrink": None}
    assert status_text(result) == "未装载：将替换已经审核的现行报表，须确认"
    assert status_text({**result, "replaces_reviewed": False}) == "未装载：将替换他人报送的现行报表，须确认"
    said = describe_replacing_reviewed(own)
    assert "该表的审核进度为「已审核」" in said and "已作出的审核结论作废，本表须从头重新逐级审核" in said


def test_the_confirmation_over_a_colleague_s_returned_return_voids_nothing_it_does_not_have():
    # A probe replacing a colleague's withdrawn return read that its figures would stop counting and its conclusion be
    # voided: it had neither.
    from dash_app.pages.upload import describe_replacing_other

    other = {
        "said": "广东省（省级）现行有效的报表（…）",
        "scope": {"name": "广东省"},
        "submitted_by": "gd2",
        "submitter": "gd2",
        "sender_office": "广东省",
    }
    assert "确认后本表替换该表，该表的数据不再计入，其审核结论作废，本表须重新审核" in describe_replacing_other(other)
    said = describe_replacing_other(
        other | {"is_returned": True, "said": "广东省（省级）现行报表（已退回，不计入统计；…）"}
    )
    assert "确认后本表替换该表，本表须重新审核" in said and "不再计入" not in said and "作废" not in said
    assert "该表由广东省的账号 gd2 报送" in said and "请先与账号 gd2 的使用人核实" in said
    # An account with its person's name: the person to ask is named.
    said = describe_replacing_other(other | {"submitter": "陈红（gd2）"})
    assert "该表由广东省的账号 陈红（gd2） 报送" in said and "请先与陈红（gd2）核实" in said
    # Sent by the province for its county: the account is named with its own office, not the county's (it read 天河区的
    # 账号 guangdong); loaded by the command line: said so, and the county's office is whom to ask.
    county = other | {
        "scope": {"name": "广东省广州市天河区"},
        "submitted_by": "guangdong",
        "submitter": "李华（guangdong）",
    }
    said = describe_replacing_other(county)
    assert "该表由广东省的账号 李华（guangdong） 报送" in said and "该账号在其上传页面可看到" in said
    said = describe_replacing_other(county | {"submitted_by": "填报员", "submitter": "填报员", "sender_office": None})
    assert "该表由命令行以「填报员」的名义报送" in said and "请先与广东省广州市天河区的报送单位核实" in said
    assert "广东省广州市天河区的报送单位在其上传页面可看到该表已被本表替换" in said


def test_a_return_that_kept_its_review_says_so():
    result = {"status": "accepted", "rows": 3, "errors": 0, "warnings": 0, "review_kept": "已审核"}
    job = UploadJob("j1", "guangdong", "440000", "census", "c.xlsx", status="done", result=result)
    said = [part.children for part in describe_job(job)]
    assert "与所替换的报表逐行逐项相同（同一份数据另存），沿用其审核进度：已审核。" in said
    fresh = UploadJob(
        "j2", "guangdong", "440000", "census", "c.xlsx", status="done", result=result | {"review_kept": None}
    )
    assert not any("沿用" in str(part.children) for part in describe_job(fresh))


def test_an_accepted_return_that_drops_holders_within_the_limit_says_which(tmp_path):
    # "No upload silently removes what another reported": within the limit the drop is loaded, and said.
    jobs = UploadJobs(web_settings(tmp_path / "var" / "warehouse.duckdb"))
    try:
        for count in (20, 19):
            saved = tmp_path / f"saved{count}"
            saved.write_bytes(
                province_workbook(tmp_path / f"gd{count}.xlsx", CENSUS_FORM, "440000", count).read_bytes()
            )
            done = jobs.submit(GUANGDONG, "census", saved, f"广东-{count}.xlsx")
            assert jobs.wait(done.job_id, 120) and done.result["status"] == "accepted", done.error
    finally:
        jobs.close()
    parts = describe_job(done)
    assert parts[0].className == "ok"
    shrink = next(part for part in parts if getattr(part, "className", None) == "warn")
    summary, listed = shrink.children
    assert summary.id == ids.UPLOAD_SHRINK and not shrink.open
    current = done.result["shrink"]["current"]
    assert current["said"].startswith("广东省（省级）现行有效的报表（文件「广东-20.xlsx」，guangdong ")
    assert summary.children == (
        f"{current['said']}有 20 个普查对象，本表减少 1 个（5.00%，允许 10%），已装载：以下普查对象不再计入本范围的普查数据"
        "（点击展开名单）"  # folded: the line ended in a colon with nothing after it
    )
    dropped = done.result["shrink"]["holders"][0]
    assert [item.children for item in listed.children] == [
        f"{dropped['uscc']} {dropped['unit_name']}（{dropped['holder_type']}）"
    ]


def test_a_shrink_waiting_on_confirmation_is_not_shown_as_a_success():
    said = "广东省（省级）现行有效的报表（文件「census-440000.xlsx」，guangdong 2025年1月3日报送，编号 S1）"
    shrink = {"current_holders": 737, "dropped": 735, "dropped_pct": 99.73, "limit_pct": 10.0, "exceeds_limit": True}
    result = {"status": "needs_confirmation", "rows": 2, "errors": 0, "warnings": 0, "report": "r.xlsx"}
    result |= {"shrink": shrink | {"confirmed": False, "holders": [], "current": {"said": said}}}
    job = UploadJob("j1", "guangdong", "440000", "census", "c.xlsx", status="done", result=result)
    parts = describe_job(job)
    assert parts[0].className == "warn"
    # What the confirmation would replace, by name, and what the replaced return loses (the page said only
    # 本范围现行报表 while the province had five current returns).
    summary = next(p for p in parts if isinstance(p, html.Details)).children[0]
    assert summary.children == (
        f"{said}有 737 个普查对象，本表减少 735 个（99.73%，允许 10%）。"
        "确认装载后，本表替换该表：该表的数据不再计入，其审核结论作废，本表须重新审核。减少的普查对象："
    )
    assert parts[-1].children[0].children == "下载报告（含减少的普查对象清单）"  # it marks no errors
    assert ids.UPLOAD_CHANGED_SINCE not in str(parts)
    # The run of a confirmation asked again: what was confirmed is no longer current, and it says so first.
    rerun = UploadJob(
        "j2", "guangdong", "440000", "census", "c.xlsx", status="done", result=result, confirm_shrink=True
    )
    rerun.confirmed_current = "S1"  # the one it was confirmed against, named (the page said only that it changed)
    changed = next(p for p in describe_job(rerun) if getattr(p, "id", None) == ids.UPLOAD_CHANGED_SINCE)
    assert changed.children.startswith("您确认时所见的本范围现行报表（编号 S1）已被另一份报表替换，本表未装载")
    # A rejected return has nothing to confirm: it said 确认装载后… under the rejection, and counted a holder whose
    # code it had mistyped as one left out, without a word.
    job.result = result | {"status": "rejected", "errors": 3}
    summary = next(p for p in describe_job(job) if isinstance(p, html.Details)).children[0]
    assert "确认" not in summary.children.replace("无需确认", "") and "未装载" in summary.children
    assert "统一社会信用代码填错的单位也按减少计" in summary.children
    # An empty return waiting on confirmation says it is empty, above the button.
    job.result = result | {"rows": 0, "shrink": result["shrink"] | {"dropped": 737, "dropped_pct": 100.0}}
    said = [p.children for p in describe_job(job) if isinstance(p, html.P) and p.className == "error"]
    assert any(text.startswith("本表是空表，没有任何普查对象") for text in said), said
    # Once confirmed and loaded, it says what was done (not the advice before the confirmation), the holders it gave
    # up open beneath.
    job.result = job.result | {"status": "accepted", "shrink": job.result["shrink"] | {"confirmed": True}}
    parts = describe_job(job)
    notes = [p.children for p in parts if isinstance(p, html.P) and "空表" in str(p.children)]
    assert notes == [
        "本表是空表，已装载：该范围原有的普查对象全部不再计入。如系误传了空模板，请上传填好的工作簿替换本表。"
    ]
    assert next(p for p in parts if isinstance(p, html.Details)).open is True


def test_closing_finishes_the_running_job_and_drops_the_queued_ones(site, tmp_path, monkeypatch):
    """At the server's exit the job inside DuckDB runs to its end (cut off there, the process aborted)."""
    _, settings, _ = site
    events: list[AuditEvent] = []
    jobs = UploadJobs(settings, events.append)
    started, finished = threading.Event(), []

    def run_inside_duckdb(job: UploadJob, saved: Path) -> None:
        started.set()
        duckdb.connect().execute("SELECT sum(range) FROM range(500000000)").fetchall()
        finished.append(job.job_id)
        job.status = "done"

    monkeypatch.setattr(jobs, "_run", run_inside_duckdb)
    saved = [tmp_path / f"saved{i}.xlsx" for i in range(3)]
    for path in saved:
        path.write_bytes(b"PK")
    running = jobs.submit(GUANGDONG, "census", saved[0], "a.xlsx")
    assert started.wait(30)
    queued = jobs.submit(GUANGXI, "census", saved[1], "b.xlsx")
    jobs.close()
    assert finished == [running.job_id] and running.status == "done"
    assert queued.status == "failed" and queued.error == STOPPING and jobs.wait(queued.job_id, 0)
    assert not saved[1].exists() and jobs._runner is not None and not jobs._runner.is_alive()
    late = jobs.submit(GUANGDONG, "census", saved[2], "c.xlsx")
    assert late.status == "failed" and late.error == STOPPING and not saved[2].exists()
    # The dropped file is logged (it left no trace), and the next server still tells its uploader what became of it.
    assert [(e.action, e.actor, e.target, e.reason) for e in events] == [(INTERRUPTED, "guangxi", "b.xlsx", STOPPING)]
    restarted = UploadJobs(settings)
    try:
        kept = restarted.get(queued.job_id, GUANGXI)
        assert kept is not None and kept.status == "recovered" and kept.error == STOPPING
        assert "无法处理「b.xlsx」（" in text_of(describe_job(kept)) and restarted.get(queued.job_id, GUANGDONG) is None
    finally:
        restarted.close()


def test_an_upload_that_ends_as_the_server_stops_is_not_taken_for_a_failure(site, tmp_path):
    # Its Data Docs could no longer be scheduled (the pool shut down): the job was logged as failed with a traceback
    # and its uploader told 服务器处理该文件时出错, though the return had loaded.
    _, settings, _ = site
    jobs = UploadJobs(dataclasses.replace(settings, keep_validation_results=True))  # the tests' default keeps none
    try:
        jobs._docs_executor.shutdown()
        saved = province_workbook(tmp_path / "good.xlsx", CENSUS_FORM, "440000", 2)
        done = jobs.submit(GUANGDONG, "census", saved, "good.xlsx")
        assert jobs.wait(done.job_id, 120)
        assert (done.status, done.error, done.result["status"]) == ("done", None, "accepted")
        assert done.result["data_docs"]  # built when first opened
    finally:
        jobs.close()


def text_of(parts: Any) -> str:
    """What a job's description says, its links' words included."""
    if isinstance(parts, str):
        return parts
    if isinstance(parts, list):
        return "".join(text_of(part) for part in parts)
    return text_of(getattr(parts, "children", None) or "")


def test_a_job_a_killed_server_left_is_found_at_the_next_start_logged_and_told_to_its_uploader(tmp_path):
    settings = web_settings(tmp_path / "var" / "warehouse.duckdb")
    # Two uploads queued by another server process, killed before they ended (a real one: it has exited since).
    queued = (
        "import datetime, sys\n"
        "from dash_app.webstate import UploadLedger, UploadRecord, WebState\n"
        "ledger = UploadLedger(WebState(sys.argv[1]))\n"
        "at = datetime.datetime(2026, 12, 6, 1, 30, tzinfo=datetime.UTC)\n"
        "for name in ('loaded', 'lost'):\n"
        "    ledger.open(UploadRecord(name, 'guangdong', 'census', name + '.xlsx', name * 8, at, '10.0.0.7'))\n"
    )
    subprocess.run([sys.executable, "-c", queued, str(settings.var_dir)], check=True, timeout=120)
    # And one this process queued, still running: not another server's to end.
    here = UploadRecord("here", "guangdong", "census", "here.xlsx", "0" * 64, datetime.now(UTC))
    UploadLedger(WebState(settings.var_dir)).open(here)
    events: list[AuditEvent] = []
    in_warehouse = {"loaded" * 8: {"submission_id": "S20261206-1", "status": "rejected"}}
    jobs = UploadJobs(settings, events.append, lambda record: in_warehouse.get(record.file_sha256))
    try:
        lost, loaded = jobs.get("lost", GUANGDONG), jobs.get("loaded", GUANGDONG)
        assert lost is not None and lost.status == "recovered" and lost.result is None
        assert (
            lost.error == INTERRUPTED_TEXT and jobs.get("lost", GUANGXI) is None and jobs.get("here", GUANGDONG) is None
        )
        said = text_of(describe_job(lost))
        assert said == f"无法处理「lost.xlsx」（2026年12月6日 09:30 上传）：{INTERRUPTED_TEXT}"
        # The other was loaded before the server died: it says so, and where its report is now.
        assert loaded is not None and loaded.result == {"status": "rejected", "submission_id": "S20261206-1"}
        said = text_of(describe_job(loaded))
        assert said.startswith("「loaded.xlsx」（2026年12月6日 09:30 上传）未通过校验，整份退回。服务器此后重新启动过")
        assert "错误报告、校验结果和审核进度见提交记录（提交编号 S20261206-1）" in said
        # Only the one not loaded is logged, once, as from where it was uploaded.
        [event] = events
        assert (event.action, event.actor, event.target) == (INTERRUPTED, "guangdong", "lost.xlsx")
        assert (event.via, event.address) == ("web", "10.0.0.7")
        assert event.reason == f"2026年12月6日 09:30（北京时间）上传；{INTERRUPTED_TEXT}"
    finally:
        jobs.close()
    UploadJobs(settings, events.append).close()
    assert len(events) == 1
    # A second server starting at the same moment finds it ended already: only the first ends and logs it.
    assert not UploadLedger(WebState(settings.var_dir)).end("lost", FAILED, error=INTERRUPTED_TEXT)


def test_a_workbook_that_crashes_the_reader_fails_its_job_only(site):
    app, settings, folder = site
    client = client_of(app, "guangdong")
    for make, expected in ((hostile.far_cell, "异常终止"), (hostile.huge_extent, "XFD1048576")):
        path = make(folder / f"{make.__name__}.xlsx")
        response = upload(client, path)
        assert response.status_code == 302
        status = wait_for_job(app, client, response.headers["Location"].split("=", 1)[1])
        assert expected in status and "无法处理" in status
    good = province_workbook(folder / "good.xlsx", CENSUS_FORM, "440000", 2)
    response = upload(client, good)
    status = wait_for_job(app, client, response.headers["Location"].split("=", 1)[1])
    assert "已接收" in status
    assert list((settings.var_dir / "uploads").iterdir()) == []


def test_uploads_left_by_a_stopped_server_are_removed_at_start_up(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    old, new = folder / "old.xlsx", folder / "new.xlsx"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (1, 1))
    remove_stale_uploads(folder)
    assert not old.exists() and new.exists()


def test_a_province_is_told_what_an_upload_would_replace_and_what_it_replaced(site, tmp_path):
    # Replacing a return is a destructive change: the page names the current returns before an upload, and the
    # outcome names the one replaced (its figures no longer count, its review is void).
    app, _, _ = site
    client = client_of(app, "guangxi")
    notice = [(ids.UPLOAD_CURRENT_RETURNS, "children")]
    inputs, state = [(ids.URL, "pathname", "/upload"), (ids.UPLOAD_STATUS, "children", [])], [(ids.URL, "search", "")]

    def current_returns() -> str:
        response = post_callback(app, client, notice, inputs, state)
        return json.dumps(returned(response, *notice[0]), ensure_ascii=False)

    assert "本省尚无现行有效的报表" in str(describe_current_returns([])[0].children)
    job_ids = []
    for name, count in (("first", 3), ("second", 4)):
        response = upload(client, province_workbook(tmp_path / f"{name}.xlsx", CENSUS_FORM, "450000", count))
        job_ids.append(response.headers["Location"].split("=", 1)[1])
        status = wait_for_job(app, client, job_ids[-1])
        assert "已接收" in status, status
        said = current_returns()
        assert f"「{name}.xlsx」" in said and f"{count} 行" in said and "审核进度：待国家局审核" in said, said
        assert "将替换下列相应的现行报表" in said and "其审核结论随之作废" in said
    replaced = job_status(app, client, job_ids[1])[0]
    assert "已替换广西壮族自治区（省级）现行有效的报表（文件「first.xlsx」，guangxi " in replaced, replaced
    assert "原报表的数据不再计入；原报表的审核进度（待国家局审核）随之作废，新报表须重新审核" in replaced
    assert "「first.xlsx」" not in current_returns()
    # Sent back, the return on the uploader's page says why (it said 审核进度：已退回 alone).
    from tests.dash_app.test_scopes_web import review

    with WarehouseStore(site[1].db_path).reader() as con:
        second = next(s["submission_id"] for s in list_submissions(con) if s["file_name"] == "second.xlsx")
    review(app, "planner", second, "return", "第3行馆藏数量请核实")
    said = current_returns()
    assert "审核进度：已退回（退回原因：第3行馆藏数量请核实；planner " in said and "退回）——请修改后重新上传" in said
    # Only an uploader has returns to be told of (the bureau those of the central channels, none of a province's); a
    # forged request of another role is refused.
    assert "「second.xlsx」" not in json.dumps(
        returned(post_callback(app, client_of(app, "planner"), notice, inputs, state), *notice[0]), ensure_ascii=False
    )
    assert post_callback(app, client_of(app, "evaluator"), notice, inputs, state).status_code == 403


def restored_after(tmp_path, capsys, *after: str) -> tuple[Settings, Callable[[str, int], None], list[str]]:
    """A web warehouse with Guangdong's return 「before.xlsx」, backed up, then the returns `after` sent (4, 5, …
    holders), then restored from the backup; its settings, a way to send another, and the numbers of `after`."""
    settings = web_settings(tmp_path / "var" / "warehouse.duckdb")
    add_users(WarehouseStore(settings.db_path))
    db = ["--db", str(settings.db_path)]

    def send(name: str, count: int) -> None:
        workbook = province_workbook(tmp_path / name, CENSUS_FORM, "440000", count)
        assert main(["ingest", "census", str(workbook), "--province", "440000", "--by", "guangdong", *db]) == 0

    send("before.xlsx", 3)
    assert main(["backup", "--out", str(tmp_path / "backup"), *db]) == 0
    for count, name in enumerate(after, start=4):
        send(name, count)
    with WarehouseStore(settings.db_path).reader() as con:
        sent = con.execute(
            "SELECT submission_id FROM submissions WHERE list_contains(?, file_name) ORDER BY submitted_at",
            [list(after)],
        ).fetchall()
    assert main(["restore", str(tmp_path / "backup"), "--confirm", *db]) == 0
    capsys.readouterr()
    return settings, send, [row[0] for row in sent]


def test_a_return_a_restore_removed_is_announced_to_its_office_until_it_is_sent_again(tmp_path, capsys):
    # The restore named it to the operator only: the office that sent it still believed it accepted.
    settings, send, (lost,) = restored_after(tmp_path, capsys, "after.xlsx")
    app = create_app(settings)
    notice = [(ids.UPLOAD_CURRENT_RETURNS, "children")]
    inputs, state = [(ids.URL, "pathname", "/upload"), (ids.UPLOAD_STATUS, "children", [])], [(ids.URL, "search", "")]
    note = [(ids.SUBMISSIONS_FAILURES_NOTE, "children")]

    def upload_page(user: str) -> str:
        answer = post_callback(app, client_of(app, user), notice, inputs, state)
        return json.dumps(returned(answer, *notice[0]), ensure_ascii=False)

    def looked_up(user: str) -> str:
        answer = post_callback(app, client_of(app, user), note, [(ids.SUBMISSIONS_REVIEW_ID, "value", lost)])
        return returned(answer, *note[0])

    def overview(user: str, search: str = "") -> str:
        shown = [(ids.OVERVIEW_REMINDERS, "children")]
        inputs = [(ids.OVERVIEW_METRIC, "value", "coverage_pct"), (ids.URL, "search", search)]
        answer = post_callback(app, client_of(app, user), shown, inputs)
        return json.dumps(returned(answer, *shown[0]), ensure_ascii=False)

    try:
        said = upload_page("guangdong")
        assert "须重新上传的报表" in said and "「after.xlsx」，guangdong " in said and f"（提交编号 {lost}）" in said
        assert "数据仓库恢复到 " in said and "的备份时删除" in said and "「before.xlsx」" in said  # the current one
        # Another province's office is told nothing of it; the bureau uploads central channels' returns only.
        assert "须重新上传" not in upload_page("guangxi") and "须重新上传" not in upload_page("planner")
        # A link to it kept from before (an upload page's) says why it is gone, to those who may see it.
        assert looked_up("guangdong").startswith(f"提交编号「{lost}」的报送（普查表·广东省，「after.xlsx」，guangdong ")
        assert "恢复到 " in looked_up("planner") and looked_up("guangxi").startswith("找不到提交编号为")
        page = render_page(app, client_of(app, "guangdong"), "/submissions", f"?submission={lost}").text
        assert f"提交编号「{lost}」的报送（" in page and "的备份时删除" in page
        assert (
            "的备份时删除"
            not in render_page(app, client_of(app, "guangxi"), "/submissions", f"?submission={lost}").text
        )
        # Those who read the figures are told too (the coverage fell without a word of why): the bureau, the province
        # and a planner's view of that province; not another province, nor a planner's view of another province.
        for user, search in (("planner", ""), ("guangdong", ""), ("planner", "?province=440000")):
            said = overview(user, search)
            assert "恢复备份后须重新上传的报表" in said and "下列 1 份报表" in said, (user, search)
            assert "普查表·广东省：「after.xlsx」，guangdong " in said and f"（提交编号 {lost}）" in said
        assert "须重新上传" not in overview("guangxi") and "须重新上传" not in overview("planner", "?province=450000")
        # Sent again, the notice goes.
        send("again.xlsx", 4)
        assert "须重新上传" not in upload_page("guangdong") and "「again.xlsx」" in upload_page("guangdong")
        assert "须重新上传" not in overview("planner") and "须重新上传" not in overview("guangdong")
    finally:
        close_app(app)


def test_only_the_return_current_when_a_restore_removed_it_is_to_be_sent_again(tmp_path, capsys):
    # A probe's /upload listed four returns of one scope after a restore: three a later upload had already replaced.
    settings, _, (early, _fix) = restored_after(tmp_path, capsys, "early.xlsx", "fix.xlsx")
    app = create_app(settings)
    notice = [(ids.UPLOAD_CURRENT_RETURNS, "children")]
    inputs, state = [(ids.URL, "pathname", "/upload"), (ids.UPLOAD_STATUS, "children", [])], [(ids.URL, "search", "")]
    shown = [(ids.OVERVIEW_REMINDERS, "children")]
    note = [(ids.SUBMISSIONS_FAILURES_NOTE, "children")]
    try:
        said = json.dumps(
            returned(post_callback(app, client_of(app, "guangdong"), notice, inputs, state), *notice[0]),
            ensure_ascii=False,
        )
        assert "须重新上传的报表" in said and "「fix.xlsx」" in said and "「early.xlsx」" not in said, said
        metric = [(ids.OVERVIEW_METRIC, "value", "coverage_pct"), (ids.URL, "search", "")]
        said = json.dumps(
            returned(post_callback(app, client_of(app, "planner"), shown, metric), *shown[0]), ensure_ascii=False
        )
        assert "下列 1 份报表" in said and "「fix.xlsx」" in said and "「early.xlsx」" not in said, said
        # Its number, kept from before, still says where it went, and that nothing is to be done.
        answer = post_callback(app, client_of(app, "guangdong"), note, [(ids.SUBMISSIONS_REVIEW_ID, "value", early)])
        said = returned(answer, *note[0])
        assert said.startswith(f"提交编号「{early}」的报送（普查表·广东省，「early.xlsx」，guangdong "), said
        assert said.endswith("不计入任何数字，它在恢复前已被同一范围之后的报送替换，无须重新上传。"), said
    finally:
        close_app(app)


def test_a_submission_without_a_kept_report_is_told_where_its_failures_are():
    # An accepted return loaded before its warnings were marked: sending the same file again would be a duplicate.
    submission = {"submission_id": "S1", "file_name": "a.xlsx", "status": "accepted", "warning_count": 3}
    said = _no_report(submission)
    assert "的核对报告没有保存下来" in said and "所填提交的错误和警告" in said and "重新上传" not in said
    assert "没有需要标注的单元格" in _no_report({**submission, "warning_count": 0})
    assert "请重新上传原文件" in _no_report({**submission, "status": "rejected"})


def test_a_file_received_before_says_its_failures_are_its_first_reception_s():
    # Its 将替换… warning read as if the file replaced something again.
    assert status_text({"status": "duplicate", "failures": [{"severity": "warning"}]}).endswith(
        "（以下是该文件首次接收时的校验结果）"
    )
    assert status_text({"status": "duplicate", "failures": []}) == "与已接收的文件相同，未作改动"
