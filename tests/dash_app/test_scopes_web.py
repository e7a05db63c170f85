"""Scopes in the web app, without a browser (the real app, Flask's client, a real warehouse): the upload page's
shrink confirmation, reviews at the province and national levels enforced on the server with the reason shown to
the uploader, the central channels beside the provinces on /coverage, review progress on the map and /submissions."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from urllib.parse import quote

import openpyxl
import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM, ROUND_ID
from census_schema.clock import beijing_today
from census_schema.layout import ERRORS_SHEET, HEADER_ROW
from census_schema.roles import Role
from census_schema.rule_titles import rule_title
from census_schema.scopes import WITHHELD_NOTE, ScopeReturn, central_scope, division_scope, province_scope
from dash_app import ids
from dash_app.access import Viewer
from dash_app.app import close_app, create_app
from dash_app.formatting import format_datetime
from dash_app.grid import EXPORT_HEADER_ROW
from dash_app.pages import lineage as lineage_page
from dash_app.pages import quality as quality_page
from dash_app.pages import submissions as submissions_page
from dash_app.pages.overview import load_overview
from dash_app.pages.upload import describe_scope_checks, template_scope_options
from flows.ingest import IngestRequest, ingest_workbook
from tests.dash_app.conftest import USERS, add_users, province_rows, read_meta, web_settings
from tests.dash_app.test_access import (
    COVERAGE_GRIDS,
    breakdown_figure,
    client_of,
    coverage_total,
    export_grid,
    exported_workbook,
    grid_rows,
    load_grid,
    overview,
    post_callback,
    render_page,
    returned,
    upload,
    wait_for_job,
)
from tests.flows.test_annual_stats import central_organs
from tests.flows.workbooks import write_rows
from warehouse.backends import EmbeddedWarehouse
from warehouse.queries import list_submissions, query_data_as_of, query_summary
from warehouse.reminders import refresh_reminders

GUANGZHOU = division_scope("440000", "440100")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The module's site (its tests go on from each other's reviews and uploads)."""
    app, store, folder = build_site(tmp_path_factory.mktemp("scopes-web"), create_app)
    yield app, store, folder
    close_app(app)


def build_site(folder, open_app):
    """Guangdong's register of 6 holders: 3 in a province-wide return, 3 in 广州市's; a central channel's register
    and return; one user per role."""
    settings = web_settings(folder / "var" / "warehouse.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    holders = province_rows(REGISTER_FORM, "440000", 6)
    returns = province_rows(CENSUS_FORM, "440000", 6)
    enterprises = central_scope("enterprises")
    central = [
        {**row, "division_code": "110000", "admin_level": "中央"} for row in province_rows(CENSUS_FORM, "450000", 2)
    ]
    loads = [
        ("register", write_rows(folder / "reg.xlsx", REGISTER_FORM, holders), None),
        ("census", write_rows(folder / "gd.xlsx", CENSUS_FORM, returns[:3]), None),
        ("census", write_rows(folder / "gz.xlsx", CENSUS_FORM, returns[3:], scope=GUANGZHOU), None),
        ("register", write_rows(folder / "c-reg.xlsx", REGISTER_FORM, central, scope=enterprises), enterprises),
        ("census", write_rows(folder / "c.xlsx", CENSUS_FORM, central[:1], scope=enterprises), enterprises),
    ]
    for kind, path, scope in loads:
        province = None if scope is not None else "440000"
        outcome = ingest_workbook(store, IngestRequest(path, kind, province, "填报员", scope=scope), settings)
        assert outcome.status == "accepted", outcome.failures
    add_users(store, USERS)
    return open_app(settings), store, folder


def submission_of(store, scope_code: str) -> str:
    with store.reader() as con:
        return next(
            s["submission_id"]
            for s in list_submissions(con)
            if s["kind"] == "census" and s["is_current"] and s["scope_code"] == scope_code
        )


def review(app, user: str, submission_id: str, action: str, reason: str | None = None) -> str:
    """Click 审核通过, 退回 or 撤回本人提交的报表 on /submissions as the user (the clicked button is the triggering
    input)."""
    buttons = {"accept": ids.SUBMISSIONS_ACCEPT, "return": ids.SUBMISSIONS_RETURN, "withdraw": ids.SUBMISSIONS_WITHDRAW}
    button = buttons[action]
    body = {
        "output": f"{ids.SUBMISSIONS_REVIEW_RESULT}.children",
        "outputs": {"id": ids.SUBMISSIONS_REVIEW_RESULT, "property": "children"},
        "inputs": [
            {"id": ids.SUBMISSIONS_ACCEPT, "property": "n_clicks", "value": 1 if action == "accept" else None},
            {"id": ids.SUBMISSIONS_RETURN, "property": "n_clicks", "value": 1 if action == "return" else None},
            {"id": ids.SUBMISSIONS_WITHDRAW, "property": "n_clicks", "value": 1 if action == "withdraw" else None},
        ],
        "state": [
            {"id": ids.SUBMISSIONS_REVIEW_ID, "property": "value", "value": submission_id},
            {"id": ids.SUBMISSIONS_REVIEW_REASON, "property": "value", "value": reason},
        ],
        "changedPropIds": [f"{button}.n_clicks"],
    }
    response = client_of(app, user).post("/_dash-update-component", json=body)
    return returned(response, ids.SUBMISSIONS_REVIEW_RESULT, "children")


def stamp_after(app, user: str, result: str) -> str:
    """The 数据截至 under the menu once a page's action has written its outcome line (the callback that follows it)."""
    key = next(
        key
        for key, entry in app.callback_map.items()
        if key.startswith(f"{ids.DATA_AS_OF}.children@") and entry["inputs"] == [{"id": result, "property": "children"}]
    )
    body = {
        "output": key,
        "outputs": {"id": ids.DATA_AS_OF, "property": "children"},
        "inputs": [{"id": result, "property": "children", "value": "done"}],
        "state": [],
        "changedPropIds": [f"{result}.children"],
    }
    return returned(client_of(app, user).post("/_dash-update-component", json=body), ids.DATA_AS_OF, "children")


def progress_line(app, user: str) -> str:
    response = post_callback(
        app,
        client_of(app, user),
        [(ids.SUBMISSIONS_REVIEW_PROGRESS, "children")],
        [(ids.URL, "pathname", "/submissions"), (ids.SUBMISSIONS_REVIEW_RESULT, "children", None)],
    )
    return returned(response, ids.SUBMISSIONS_REVIEW_PROGRESS, "children")


REVIEW_BUTTONS = (ids.SUBMISSIONS_ACCEPT, ids.SUBMISSIONS_RETURN, ids.SUBMISSIONS_WITHDRAW)


def review_form(app, user: str, submission_id: str) -> tuple[str | None, list[bool]]:
    """What /submissions says a return would take out, once the id is filled in, and which of 审核通过, 退回 and 撤回
    it shuts."""
    response = post_callback(
        app,
        client_of(app, user),
        [(ids.SUBMISSIONS_RETURN_PREVIEW, "children"), *((button, "disabled") for button in REVIEW_BUTTONS)],
        [(ids.SUBMISSIONS_REVIEW_ID, "value", submission_id), (ids.SUBMISSIONS_REVIEW_RESULT, "children", None)],
    )
    shut = [returned(response, button, "disabled") for button in REVIEW_BUTTONS]
    return returned(response, ids.SUBMISSIONS_RETURN_PREVIEW, "children"), shut


def return_preview(app, user: str, submission_id: str) -> str | None:
    """What /submissions says a return would take out, once the id is filled in."""
    return review_form(app, user, submission_id)[0]


def test_the_province_reviews_its_prefecture_then_the_nation_and_a_return_tells_the_uploader_why(site):
    app, store, _ = site
    prefecture = submission_of(store, "440100")
    # Before 退回 is pressed, the page says what it takes out (and says nothing of another province's return).
    said = return_preview(app, "guangdong", prefecture)
    assert said is not None and "广东省广州市（地级）的这份普查表（3 个单位）不再计入统计数字" in said
    assert return_preview(app, "evaluator", prefecture) is None
    assert return_preview(app, "guangxi", prefecture).startswith("找不到这个提交编号")  # not its to learn of
    assert return_preview(app, "planner", prefecture) is None  # the province's turn first: not the nation's to return
    assert "须先由省级档案部门审核" in review(app, "planner", prefecture, "accept")
    assert "找不到报送记录" in review(app, "guangxi", prefecture, "accept")
    # The page names its own field, not the command line's option (a reason of spaces is none).
    for reason in (None, "  "):
        said = review(app, "guangdong", prefecture, "return", reason)
        assert "必须说明原因：请在“退回或撤回理由”中写明" in said and "--reason" not in said
    assert f"（{prefecture}）：待省级审核 → 已退回" in review(app, "guangdong", prefecture, "return", "第4行请核实")
    assert return_preview(app, "guangdong", prefecture) is None  # returned: nothing more to take out
    # The stamp under the menu, drawn when the page opened, follows the review just made.
    with store.reader() as con:
        changed = query_data_as_of(con)
        reviewed = con.execute("SELECT max(occurred_at) FROM audit_log WHERE kind = 'review'").fetchone()[0]
    assert changed == reviewed
    assert (
        stamp_after(app, "guangdong", ids.SUBMISSIONS_REVIEW_RESULT)
        == f"数据截至 {format_datetime(changed)}（北京时间）"
    )
    rows = grid_rows(app, client_of(app, "guangdong"), ids.SUBMISSIONS_GRID, "/submissions", None, "")
    shown = next(row for row in rows if row["submission_id"] == prefecture)
    assert (shown["scope_name"], shown["review_progress"], shown["review_note"]) == (
        "广东省广州市",
        "已退回",
        "guangdong退回：第4行请核实",  # by whom, too (the upload page named them, this column did not)
    )
    with store.reader() as con:
        assert query_summary(con, province_code="440000")["provinces"][0]["units_reported"] == 3
    assert "已退回或撤回 1 份" in progress_line(app, "guangdong")
    # /coverage lists the returned return's holders among those not counted, saying they did report and why they
    # do not count (they read as plain 未报: units a planner would chase though they had reported).
    missing = grid_rows(app, client_of(app, "planner"), ids.COVERAGE_MISSING_GRID, "?division=440100")
    assert len(missing) == 3 and {row["returned_note"] for row in missing} == {
        "已在「gz.xlsx」中报送，该表已被退回，不计入（退回原因：第4行请核实）"
    }
    # A holder's trace says its row counts nowhere, and why (it said 现行 是, read as counted).
    traced = grid_rows(app, client_of(app, "planner"), ids.LINEAGE_GRID, missing[0]["uscc"])
    assert [(r["counted"], r["review_progress"]) for r in traced if r["submission_id"] == prefecture] == [
        ("否", "已退回")
    ]

    assert f"（{prefecture}）：已退回 → 待国家局审核" in review(app, "guangdong", prefecture, "accept")
    rows = grid_rows(app, client_of(app, "guangdong"), ids.SUBMISSIONS_GRID, "/submissions", None, "")
    shown = next(row for row in rows if row["submission_id"] == prefecture)
    assert (shown["review_progress"], shown["review_note"]) == ("待国家局审核", "曾由guangdong退回：第4行请核实")
    assert "不再计入统计数字" in (return_preview(app, "planner", prefecture) or "")  # now the nation's turn
    assert return_preview(app, "guangdong", prefecture) is None
    assert "省级档案部门不能审核通过" in review(app, "guangdong", prefecture, "accept")
    assert f"（{prefecture}）：待国家局审核 → 已审核" in review(app, "planner", prefecture, "accept")
    province_wide = submission_of(store, "440000")
    assert "国家档案局" in review(app, "guangdong", province_wide, "accept")
    assert review(app, "planner", province_wide, "accept").endswith("待国家局审核 → 已审核，审核完成。")
    assert "已审核 100.00%" in progress_line(app, "guangdong")
    assert "全国（含中央渠道）现行普查表 3 份" in progress_line(app, "planner")


def test_a_shrinking_upload_waits_for_the_uploader_s_confirmation(site):
    app, store, folder = site
    client = client_of(app, "guangdong")
    # Two of the province-wide return's three holders: one drops out (33 %, over the 10 % limit).
    smaller = write_rows(folder / "smaller.xlsx", CENSUS_FORM, province_rows(CENSUS_FORM, "440000", 2))
    job_id = upload(client, smaller).headers["Location"].split("=", 1)[1]
    status = wait_for_job(app, client, job_id)
    assert "须确认" in status and ids.UPLOAD_CONFIRM_SHRINK in status and "440000单位2" in status
    before = submission_of(store, "440000")
    assert client_of(app, "guangxi").post("/api/upload/confirm", data={"job": job_id}).status_code == 404
    response = client.post("/api/upload/confirm", data={"job": job_id})
    assert response.status_code == 302
    confirmed = response.headers["Location"].split("=", 1)[1]
    assert "已接收" in wait_for_job(app, client, confirmed)
    assert submission_of(store, "440000") != before
    again = client.post("/api/upload/confirm", data={"job": job_id})
    assert again.status_code == 404, "confirmed once only"
    # Said as such (it read 找不到页面或文件), as after a restart, which keeps no job waiting.
    assert (
        "找不到等待您确认的这次上传" in again.text
        and "请重新上传该文件" in again.text
        and 'href="/upload"' in again.text
    )


def test_the_central_channels_sit_beside_the_provinces_on_coverage(site):
    app, _, _ = site
    planner = client_of(app, "planner")
    rows = grid_rows(app, planner, ids.COVERAGE_GRID, "")
    central = rows[-1]
    assert central["shown_code"] == ""  # `central` keys the row; it is not a division code
    assert (central["division_code"], central["name"], central["units_expected"], central["units_reported"]) == (
        "central",
        "中央",
        2,
        1,
    )
    channels = grid_rows(app, planner, ids.COVERAGE_GRID, "?division=central")
    assert [row["name"] for row in channels] == ["中央和国家机关", "中央企业", "中央级档案馆"]
    missing = grid_rows(app, planner, ids.COVERAGE_MISSING_GRID, "?division=central:enterprises")
    assert [row["unit_name"] for row in missing] == ["450000单位1"]
    for search in ("?division=central", "?division=central:organs"):
        assert load_grid(app, client_of(app, "guangdong"), ids.COVERAGE_GRID, search).status_code == 403


def test_review_progress_is_a_map_metric(tmp_path, open_app):
    app, store, _ = build_site(tmp_path, open_app)
    prefecture = submission_of(store, "440100")
    review(app, "guangdong", prefecture, "accept")
    review(app, "planner", prefecture, "accept")  # 1 of Guangdong's 2 current returns reviewed
    with store.reader() as con:
        summary = query_summary(con)
    _, rows = load_overview(Viewer("planner", Role.PLANNER, None), summary)
    by_code = {row["province_code"]: row for row in rows}
    progress = {p["province_code"]: p for p in summary["review"]["provinces"]}
    assert by_code["440000"]["review_pct"] == progress["440000"]["reviewed_pct"] == 50.0
    assert by_code["450000"]["review_pct"] is None, "no current returns: no figure (grey on the map)"
    # On Guangdong's own map 广州市 reads the progress of the return it sent (every prefecture read 无数据); the
    # others, whose holders the province's own return covers, say so.
    figure = returned(overview(app, "guangdong", "", "review_pct"), ids.OVERVIEW_MAP, "figure")
    coloured = next(t for t in figure["data"] if t["type"] == "choropleth" and t.get("name") != "无数据")
    assert (coloured["locations"], coloured["z"]) == (["440100"], [100.0])
    grey = next(t for t in figure["data"] if t.get("name") == "无数据")
    assert "韶关市：本地未单独报送普查表（省级报送的计入全省审核进度）" in grey["text"]


def test_templates_for_a_prefecture_or_a_central_channel(site):
    app, _, _ = site
    guangdong, planner = client_of(app, "guangdong"), client_of(app, "planner")
    served = guangdong.get("/download/template/census?division=440100")
    assert quote("普查表模板-广东省广州市.xlsx") in served.headers["Content-Disposition"]  # named, not 440100
    meta = read_meta(served.data)
    assert (meta["province_code"], meta["scope_kind"], meta["scope_code"]) == ("440000", "prefecture", "440100")
    # A division the page never offers (a typed URL) is refused in the page's words, not the command line's.
    for division, status, said in (
        ("450102", 403, "广西壮族自治区南宁市兴宁区（450102）不在广东省范围内"),
        ("440000", 400, "广东省（440000）是省级代码"),
    ):
        refused = guangdong.get(f"/download/template/census?division={division}")
        assert refused.status_code == status and said in refused.text and "--" not in refused.text, refused.text
    assert guangdong.get("/download/template/census?central=organs").status_code == 403
    meta = read_meta(planner.get("/download/template/register?central=organs").data)
    assert (meta.get("province_code"), meta["scope_kind"], meta["scope_code"]) == (None, "central", "organs")


def test_the_upload_page_offers_the_template_of_a_prefecture_or_county_of_its_province(site):
    # The page linked the whole province's template only: a prefecture's data filled into it replaced the
    # province's own return (the shrink guard alone stood between them).
    app, _, _ = site
    guangdong = client_of(app, "guangdong")
    page = render_page(app, guangdong, "/upload")
    assert ids.UPLOAD_TEMPLATE_SCOPE in page.text and "模板的填报范围" in page.text
    options = {o["value"]: o["label"] for o in template_scope_options("440000")}
    assert options["440000"] == "全省（广东省）" and options["440100"] == "广州市（440100）"
    assert options["440106"] == "广州市 · 天河区（440106）" and not any(c.startswith("45") for c in options)
    kinds = ("census", "register")
    links = [(ids.template_link(kind), "href") for kind in kinds] + [(ids.template_link(k), "children") for k in kinds]
    hrefs = {}
    for chosen, query, named in (
        ("440000", "", ""),
        (None, "", ""),
        ("440106", "?division=440106", "（广东省广州市天河区）"),
    ):
        response = post_callback(app, guangdong, links, [(ids.UPLOAD_TEMPLATE_SCOPE, "value", chosen)])
        hrefs[chosen] = [returned(response, link, "href") for link, prop in links if prop == "href"]
        assert hrefs[chosen] == [f"/download/template/census{query}", f"/download/template/register{query}"]
        # The links say which division's template they give.
        words = [returned(response, link, "children") for link, prop in links if prop == "children"]
        assert words == [f"下载普查表模板{named}", f"下载普查对象名录模板{named}"]
    meta = read_meta(guangdong.get(hrefs["440106"][0]).data)
    assert (meta["scope_kind"], meta["scope_code"]) == ("county", "440106")
    # A division is a province's choice: the bureau's links are of a central channel, a county's code read as none;
    # a role that uploads nothing is refused them.
    planner = post_callback(app, client_of(app, "planner"), links, [(ids.UPLOAD_TEMPLATE_SCOPE, "value", "440106")])
    assert returned(planner, links[0][0], "href") == "/download/template/census?central=organs"
    refused = post_callback(app, client_of(app, "evaluator"), links, [(ids.UPLOAD_TEMPLATE_SCOPE, "value", "440106")])
    assert refused.status_code == 403


def test_the_upload_page_names_a_holding_return_as_the_command_line_does():
    # The page built its own sentence from the JSON (a twin of ScopeReturn.describe); now it shows the command's.
    ours = ScopeReturn("S2024-440100-1", GUANGZHOU, "gz.xlsx", "张三", datetime(2026, 12, 1, 2, 29))
    for held in (ours, ours.seen_from(province_scope("450000"))):
        result = {"status": "rejected", "conflicts": [{**held.to_json(), "holders": [{"uscc": "x", "row": 3}]}]}
        [paragraph] = describe_scope_checks(None, result)  # type: ignore[arg-type]  # no job: nothing to confirm
        assert paragraph.children == f"1 个普查对象已列入{held.describe()}，同一普查对象只能计入一份表。"
    assert "gz.xlsx" in ours.describe() and "gz.xlsx" not in held.describe() and WITHHELD_NOTE in held.describe()
    # Its day is Beijing's (the warehouse keeps UTC: 17:34 on 4 December is 01:34 on the 5th), as every page says it.
    late = ScopeReturn("S2024-440100-2", GUANGZHOU, "gz.xlsx", "张三", datetime(2026, 12, 4, 17, 34))
    assert "张三 2026年12月5日报送" in late.describe()


def test_a_central_unit_s_rows_name_its_channel_not_the_nation(site):
    # A central return has no province: its errors and its rows' lineage read 全国 in the 省份 column (as if they
    # were the nation's) where /coverage says 中央企业.
    app, store, folder = site
    central = central_scope("enterprises")
    reported, missing = province_rows(CENSUS_FORM, "450000", 2)
    broken = {**missing, "division_code": "110000", "admin_level": "中央", "uscc": "123"}
    path = write_rows(folder / "c-bad.xlsx", CENSUS_FORM, [broken], scope=central)
    request = IngestRequest(path, "census", None, "填报员", scope=central)
    assert ingest_workbook(store, request, web_settings(store.db_path)).status == "rejected"
    planner = client_of(app, "planner")
    errors = [r for r in grid_rows(app, planner, ids.QUALITY_ERRORS_GRID, "/quality") if r["file_name"] == "c-bad.xlsx"]
    assert errors and {r["province_name"] for r in errors} == {"中央企业"}
    # So does its row of the quality table, beside them (the three channels were one row, 中央).
    quality = grid_rows(app, planner, ids.QUALITY_GRID, None)
    assert "中央企业" in {r["province_name"] for r in quality} and "中央" not in {r["province_name"] for r in quality}
    assert [r["province_name"] for r in grid_rows(app, planner, ids.LINEAGE_GRID, reported["uscc"])] == ["中央企业"]
    # Under a header that says a channel may stand there (it read 省份).
    assert lineage_page.RETURN_COLUMNS[0].header == quality_page.QUALITY_COLUMNS[0].header == "省份或中央渠道"
    rows = grid_rows(app, planner, ids.LINEAGE_ROWS_GRID, "?figure=holdings")
    assert {r["province_name"] for r in rows if r["uscc"] == reported["uscc"]} == {"中央企业"}
    assert {r["province_name"] for r in rows if r["uscc"] != reported["uscc"]} == {"广东省"}
    gone = grid_rows(app, planner, ids.COVERAGE_MISSING_GRID, "?division=central:enterprises")
    assert [(r["unit_name"], r["province_name"]) for r in gone] == [("450000单位1", "中央企业")]


def test_a_register_s_return_tells_the_reviewer_the_returns_it_judged_again(site):
    # Last in the module: it adds a channel's return and register, which the coverage figures above do not expect.
    app, store, folder = site
    organs = central_scope("organs")
    units = central_organs(2)
    loads = [
        ("census", write_rows(folder / "o.xlsx", CENSUS_FORM, units, scope=organs)),
        ("register", write_rows(folder / "o-reg.xlsx", REGISTER_FORM, units[:1], scope=organs)),
    ]
    for kind, path in loads:
        settings = web_settings(folder / "var" / "warehouse.duckdb")
        outcome = ingest_workbook(store, IngestRequest(path, kind, None, "填报员", scope=organs), settings)
        assert outcome.status == "accepted", outcome.failures
    register_id = outcome.submission_id
    # The line before counts census returns only: the register waiting beside them is named (a probe read 9 of them
    # as 普查表 after 现行普查表 … 待国家局审核 4 份).
    assert re.search(r"现在轮到您审核的 \d+ 份（普查表 \d+ 份、普查对象名录 \d+ 份）：", progress_line(app, "planner"))
    assert "与其核对的现行普查表将重新核对名录相关警告" in (return_preview(app, "planner", register_id) or "")
    assert review(app, "planner", register_id, "return", "名录漏报单位").endswith(
        f"（{register_id}）：待国家局审核 → 已退回，报送单位在其上传页面和提交记录中可看到退回原因，修改后重新上传；"
        "已按审核后的名录重新核对现行普查表：1 份报表的名录相关警告有变化（见“数据质量”）。"
    )
    with store.reader() as con:  # no register left to compare the channel's return with: no warning
        (warnings,) = con.execute(
            "SELECT warning_count FROM submissions WHERE kind = 'census' AND scope_code = ? AND is_current",
            [organs.code],
        ).fetchone()
    assert warnings == 0


def test_the_bureau_uploads_a_central_unit_s_return_on_the_web_but_not_a_province_s(site):
    # Last in the module: its central return would join the figures the tests before it count.
    # The central units have no accounts, and the bureau's planners could upload only the national workbooks on the
    # web: a central channel's census return or register came in on the command line alone.
    app, store, folder = site
    planner = client_of(app, "planner")
    page = render_page(app, planner, "/upload").text
    assert "中央单位的填报渠道" in page and "普查表（中央单位）" in page and "由国家档案局在此代为上传" in page
    kinds = ("census", "register")
    links = [(ids.template_link(kind), "href") for kind in kinds] + [(ids.template_link(k), "children") for k in kinds]
    response = post_callback(app, planner, links, [(ids.UPLOAD_TEMPLATE_SCOPE, "value", "archives")])
    hrefs = [returned(response, link, "href") for link, prop in links if prop == "href"]
    assert hrefs == ["/download/template/census?central=archives", "/download/template/register?central=archives"]
    assert returned(response, links[2][0], "children") == "下载普查表模板（中央级档案馆）"
    served = planner.get(hrefs[0])
    meta = read_meta(served.data)
    assert (meta["scope_kind"], meta["scope_code"]) == ("central", "archives")
    assert quote("普查表模板-中央级档案馆.xlsx") in served.headers["Content-Disposition"]  # not "-archives"
    # Before an upload it is told which central returns a new one would replace (none of a province's).
    notice = [(ids.UPLOAD_CURRENT_RETURNS, "children")]
    inputs = [(ids.URL, "pathname", "/upload"), (ids.UPLOAD_STATUS, "children", [])]
    said = json.dumps(
        returned(post_callback(app, planner, notice, inputs, [(ids.URL, "search", "")]), *notice[0]), ensure_ascii=False
    )
    assert "普查表·中央企业：「c.xlsx」" in said and "gd.xlsx" not in said and "将替换下列相应的现行报表" in said
    organs = central_scope("organs")
    with store.reader() as con:
        before = len(list_submissions(con))
    # A province's return sent by the bureau is refused before anything is recorded, saying whose it is to send.
    refused = upload(
        planner,
        write_rows(folder / "gx-by-bureau.xlsx", CENSUS_FORM, province_rows(CENSUS_FORM, "450000", 2), "450000"),
    )
    status = wait_for_job(app, planner, refused.headers["Location"].split("=", 1)[1])
    assert "无法处理「gx-by-bureau.xlsx」" in status and "国家档案局在此只上传中央单位" in status, status
    with store.reader() as con:
        assert len(list_submissions(con)) == before
    sent = upload(planner, write_rows(folder / "organs.xlsx", CENSUS_FORM, central_organs(2), scope=organs))
    status = wait_for_job(app, planner, sent.headers["Location"].split("=", 1)[1])
    assert "「organs.xlsx」已接收" in status, status
    with store.reader() as con:
        loaded = next(s for s in list_submissions(con) if s["file_name"] == "organs.xlsx")
    assert (loaded["scope_kind"], loaded["scope_code"], loaded["submitted_by"]) == ("central", "organs", "planner")
    assert loaded["review_progress"] == "待国家局审核"
    # The uploader may not pass its own upload; another planner's review would.
    assert "不能" in review(app, "planner", loaded["submission_id"], "accept")


# A prefecture's, a county's and a central channel's own accounts, beside the module's users (another prefecture's
# office too, which must see nothing of 广州市's).
REPORTERS = (
    ("guangzhou", Role.PREFECTURE, "440100"),
    ("shenzhen", Role.PREFECTURE, "440300"),
    ("tianhe", Role.COUNTY, "440106"),
    ("yangqi", Role.CENTRAL, "enterprises"),
)


@pytest.fixture(scope="module")
def reporters(site):
    add_users(site[1], REPORTERS)
    return site


def test_a_prefecture_s_county_s_and_central_channel_s_accounts_see_only_their_own_scope(reporters):
    # Before accounts of every level, a prefecture's or central unit's return could only be sent for it (by its
    # province's office, or by the bureau): these accounts see what is theirs, and nothing of the rest.
    app, store, _ = reporters
    with store.reader() as con:
        submissions = list_submissions(con)
    seen = {
        user: {
            (s["scope_kind"], s["scope_code"])
            for s in grid_rows(app, client_of(app, user), ids.SUBMISSIONS_GRID, "/submissions", None, "")
        }
        for user, _, _ in REPORTERS
    }
    assert seen["guangzhou"] == {("prefecture", "440100")}
    assert seen["shenzhen"] == seen["tianhe"] == set()
    assert seen["yangqi"] == {("central", "enterprises")}
    # Another scope's submission is not found by address either: its Data Docs, its error report.
    province_wide = next(s for s in submissions if s["scope_kind"] == "province" and s["kind"] == "census")
    guangzhou = client_of(app, "guangzhou")
    for path in (
        f"/data-docs/{province_wide['submission_id']}/",
        f"/download/submission-report/{province_wide['submission_id']}",
    ):
        assert guangzhou.get(path).status_code in (403, 404), path
    # A holder's lineage shows only the rows its own returns brought.
    gz_holder = province_rows(CENSUS_FORM, "440000", 6)[4]["uscc"]
    gd_holder = province_rows(CENSUS_FORM, "440000", 6)[0]["uscc"]
    assert grid_rows(app, guangzhou, ids.LINEAGE_GRID, gz_holder) and not grid_rows(
        app, guangzhou, ids.LINEAGE_GRID, gd_holder
    )
    assert not grid_rows(app, client_of(app, "yangqi"), ids.LINEAGE_GRID, gz_holder)
    # Their review progress is their own scope's. A county's or central channel's office has no review buttons (a
    # forged click is refused); a prefecture's has (it reviews its counties'), and the province's return is not found.
    assert progress_line(app, "guangzhou").startswith("审核进度（广东省广州市现行普查表 1 份）")
    for user in ("tianhe", "yangqi"):
        said = review(app, user, province_wide["submission_id"], "accept")
        assert "只有地级、省级档案部门和国家档案局的审核人员可以审核" in said, said
        page = render_page(app, client_of(app, user), "/submissions").text
        assert "审核本省地级" not in page and "各报表的进度见上表" in page
        # Its own chain of review only (a central channel's office read of counties and prefectures).
        own = {"tianhe": "本县的报表先由所在地级档案部门审核", "yangqi": "本渠道的报表由国家档案局审核。"}[user]
        assert own in page and ("地级档案部门" in page) == (user == "tianhe")
    assert "找不到报送记录" in review(app, "guangzhou", province_wide["submission_id"], "accept")
    # Its own return, passed by the levels above, is final, and it is told so (not that the return does not exist).
    said = review(app, "guangzhou", submission_of(store, "440100"), "return", "自查有误")
    assert "当前为「已审核」" in said and "审核结论不能撤销" in said, said
    assert "地级档案部门审核所辖县级单位的报表" in render_page(app, guangzhou, "/submissions").text
    # The pages of the whole province or nation are not theirs: refused on the server (/inspections shows its area's).
    for path in ("/quality", "/", "/indicators"):
        assert "地级档案部门无权查看此页面" in render_page(app, guangzhou, path).text, path


def test_an_office_without_a_return_is_told_which_returns_above_it_hold_its_holders(reporters):
    # A probe's county read 尚无现行有效的报表：上传的报表通过校验即装载, uploaded, and only then learnt (refused whole)
    # that its prefecture's return held its holders. Before any upload of its own (the tests below upload 天河区's).
    app, store, _ = reporters
    notice = [(ids.UPLOAD_CURRENT_RETURNS, "children")]
    inputs = [(ids.URL, "pathname", "/upload"), (ids.UPLOAD_STATUS, "children", [])]

    def told(user: str) -> str:
        response = post_callback(app, client_of(app, user), notice, inputs, [(ids.URL, "search", "")])
        return json.dumps(returned(response, *notice[0]), ensure_ascii=False)

    with store.reader() as con:
        held = dict(
            con.execute(
                "SELECT s.file_name, count(*) FROM raw_census_rows AS r JOIN submissions AS s USING (submission_id) "
                "WHERE s.is_current AND s.status = 'accepted' AND r.division_code = '440106' GROUP BY ALL"
            ).fetchall()
        )
    assert held["gz.xlsx"] == 3 and len(held) == 2  # the prefecture's return and the province's
    said = told("tianhe")
    assert ids.UPLOAD_HELD_ABOVE in said and "广东省广州市天河区的普查对象现由上级的报表报送：" in said, said
    for file_name, count in held.items():
        assert f"{count:,} 个列入" in said and f"文件「{file_name}」" in said
    assert "否则本表会因重复而整份退回" in said
    assert ids.UPLOAD_HELD_ABOVE not in told("shenzhen")  # none of its holders is anywhere
    # 广州市's own counties' holders in its own return are its own: not "above" it.
    assert ids.UPLOAD_HELD_ABOVE not in told("guangzhou")


def test_a_reporting_account_gets_templates_of_its_own_scope_only(reporters):
    app, _, _ = reporters
    guangzhou, tianhe, yangqi = (client_of(app, user) for user in ("guangzhou", "tianhe", "yangqi"))

    def scope_of(client, query=""):
        response = client.get(f"/download/template/census{query}")
        if response.status_code != 200:
            return response.status_code
        meta = read_meta(response.data)
        return meta["scope_kind"], meta["scope_code"]

    assert scope_of(guangzhou) == ("prefecture", "440100")
    assert scope_of(guangzhou, "?division=440106") == ("county", "440106")  # one of its counties
    assert scope_of(guangzhou, "?division=440300") == 403  # another prefecture
    assert scope_of(guangzhou, "?division=450102") == 403  # another province's county (it answered 400)
    assert scope_of(guangzhou, "?province=450000") == ("prefecture", "440100")  # its own province, whatever is asked
    assert scope_of(guangzhou, "?central=organs") == 403
    assert scope_of(tianhe) == ("county", "440106")
    # Its way back from a refusal, and from the password form, is its own first page (/ refused it: no overview).
    for query in ("?division=440100", "?central=organs"):
        refused = tianhe.get(f"/download/template/census{query}")
        assert refused.status_code == 403 and '<a href="/upload">返回首页</a>' in refused.text, refused.text
    assert '<a href="/upload">返回平台</a>' in tianhe.get("/password").text
    assert '<a href="/">返回平台</a>' in client_of(app, "planner").get("/password").text
    assert scope_of(tianhe, "?division=440100") == 403
    assert scope_of(yangqi) == ("central", "enterprises")
    assert scope_of(yangqi, "?central=organs") == 403
    refused = yangqi.get("/download/template/census?division=450102")  # it answered 400 with the command line's flags
    assert (
        refused.status_code == 403 and "只能下载本渠道（中央企业）的模板" in refused.text and "--" not in refused.text
    )
    assert scope_of(yangqi, "?province=440000") == ("central", "enterprises")
    # The upload page offers a prefecture its own scope and its counties', and names it.
    page = render_page(app, guangzhou, "/upload").text
    assert "上传报表（广东省广州市）" in page and "天河区（440106）" in page and "中央单位的填报渠道" not in page


def test_a_reporting_account_uploads_its_own_scope_s_returns_and_no_other(reporters):
    app, store, folder = reporters
    with store.reader() as con:
        before = len(list_submissions(con))
    gz_rows = province_rows(CENSUS_FORM, "440000", 6)[3:]

    def send(user, name, rows, **where):
        client = client_of(app, user)
        sent = upload(client, write_rows(folder / name, CENSUS_FORM, rows, **where))
        return wait_for_job(app, client, sent.headers["Location"].split("=", 1)[1])

    # Another prefecture's office, 广州市's return: refused before anything is recorded, saying whose it is.
    said = send("shenzhen", "gz-by-sz.xlsx", gz_rows, scope=GUANGZHOU)
    assert "只能报送本地区及所辖县级（广东省深圳市）的表，不能报送广东省广州市的表" in said, said
    # A county's office, its prefecture's return; a central channel's office, a province's: refused as well.
    said = send("tianhe", "gz-by-th.xlsx", gz_rows, scope=GUANGZHOU)
    assert (
        "这是为广东省广州市（地级）生成的模板" in said and "广东省广州市天河区（县级）（您账号的填报范围）" in said
    ), said
    assert "--" not in said and "命令行" not in said, said  # a web uploader is not sent to the command line
    said = send("yangqi", "gd-by-yq.xlsx", gz_rows)
    assert "无法处理「gd-by-yq.xlsx」" in said and "中央企业" in said, said
    with store.reader() as con:
        assert len(list_submissions(con)) == before
    # Its own scope's return is loaded under its name and awaits its province's review: once confirmed, as the return
    # it replaces (loaded for it) has been passed by a reviewer, whose conclusion it voids.
    client = client_of(app, "guangzhou")
    job_id = (
        upload(client, write_rows(folder / "gz-again.xlsx", CENSUS_FORM, gz_rows, scope=GUANGZHOU))
        .headers["Location"]
        .split("=", 1)[1]
    )
    said = wait_for_job(app, client, job_id)
    assert "「gz-again.xlsx」未装载：将替换已经审核的现行报表，须确认" in said and "已作出的审核结论作废" in said, said
    confirmed = client.post("/api/upload/confirm", data={"job": job_id}).headers["Location"].split("=", 1)[1]
    said = wait_for_job(app, client, confirmed)
    assert "「gz-again.xlsx」已接收" in said, said
    with store.reader() as con:
        loaded = next(s for s in list_submissions(con) if s["file_name"] == "gz-again.xlsx")
    assert (loaded["scope_code"], loaded["submitted_by"], loaded["is_current"]) == ("440100", "guangzhou", True)


def test_a_county_s_return_is_reviewed_by_its_prefecture_then_its_province_then_the_nation(reporters):
    # "Each level reviews the level below": a county's return went to its province first even when its prefecture's
    # office had an account of its own.
    app, store, folder = reporters
    county = division_scope("440000", "440106")
    new_holders = province_rows(CENSUS_FORM, "440000", 9)[6:8]

    def send(name, rows):
        client = client_of(app, "tianhe")
        sent = upload(client, write_rows(folder / name, CENSUS_FORM, rows, scope=county))
        job_id = sent.headers["Location"].split("=", 1)[1]
        said = wait_for_job(app, client, job_id)
        if "将替换已经审核的现行报表" in said:  # over its own return a reviewer has passed: asked first
            confirmed = client.post("/api/upload/confirm", data={"job": job_id}).headers["Location"].split("=", 1)[1]
            said = wait_for_job(app, client, confirmed)
        assert f"「{name}」已接收" in said, said
        return submission_of(store, "440106")

    first = send("tianhe.xlsx", new_holders)
    with store.reader() as con:
        loaded = next(s for s in list_submissions(con) if s["submission_id"] == first)
    assert loaded["review_progress"] == "待地级审核"
    # Each reviewer is told what waits for it now (the grid's rows of that progress), a county's office nothing.
    assert progress_line(app, "guangzhou").endswith("现在轮到您审核的 1 份：上表审核状态为“待地级审核”的报表。")
    assert "轮到您" not in progress_line(app, "tianhe") and "轮到您审核的" in progress_line(app, "guangdong")
    # Disabling the prefecture's only account says first what it leaves waiting, and who reviews it then.
    from tests.dash_app.test_web_security import account_preview

    def preview(name: str) -> str:
        return returned(account_preview(app, client_of(app, "admin"), name), ids.ACCOUNTS_PREVIEW, "children")

    assert preview("guangzhou").endswith(
        "现有 1 份报表轮到该账号（地级档案部门）审核，停用后本地区没有启用的地级账号，这些报表须由省级档案部门代为审核。"
    )
    assert "轮到该账号" not in preview("tianhe") and "轮到该账号" not in preview("shenzhen")
    # The province may stand in for the prefecture, yet the return waits for the prefecture, not for the province.
    assert "轮到该账号" not in preview("guangdong")
    # Neither the nation nor another prefecture acts before it; the county's own office does not review.
    assert "须先由地级档案部门（或省级档案部门）审核" in review(app, "planner", first, "accept")
    assert "找不到报送记录" in review(app, "shenzhen", first, "accept")
    assert "只有地级、省级档案部门和国家档案局的审核人员可以审核" in review(app, "tianhe", first, "accept")
    # Whose return it was, the move, and whose turn it is now.
    assert review(app, "guangzhou", first, "accept") == (
        f"已通过广东省广州市天河区（县级）的普查表（{first}）：待地级审核 → 待省级审核，现由省级档案部门审核。"
    )
    assert progress_line(app, "guangzhou").endswith("现在没有轮到您审核的报表。")
    said = review(app, "guangzhou", first, "accept")
    assert "现由省级档案部门审核，地级档案部门不能审核通过" in said, said
    # The hint covers a return the prefecture sent itself too (it described only the step just refused).
    assert "地级档案部门自己报送的报表，由省级档案部门、再由国家档案局审核" in said, said
    assert f"（{first}）：待省级审核 → 待国家局审核" in review(app, "guangdong", first, "accept")
    assert f"（{first}）：待国家局审核 → 已审核" in review(app, "planner", first, "accept")
    with store.reader() as con:
        levels = con.execute(
            "SELECT review_level, changed_by FROM submission_reviews WHERE submission_id = ? ORDER BY changed_at",
            [first],
        ).fetchall()
    assert levels == [("prefecture", "guangzhou"), ("province", "guangdong"), ("national", "planner")]
    # The province may stand in for its prefecture (an office without its account at hand): its acceptance counts
    # for both levels. A prefecture returns with a reason, as every level does.
    second = send("tianhe-2.xlsx", [{**new_holders[0], "unit_name": "天河区某单位（更名）"}, new_holders[1]])
    assert f"（{second}）：待地级审核 → 待国家局审核" in review(app, "guangdong", second, "accept")
    third = send("tianhe-3.xlsx", [{**new_holders[0], "unit_name": "天河区某单位（再更名）"}, new_holders[1]])
    assert f"（{third}）：待地级审核 → 已退回" in review(app, "guangzhou", third, "return", "第3行请核实")
    assert progress_line(app, "tianhe").startswith("审核进度（广东省广州市天河区现行普查表 1 份）：待地级审核 0 份")
    assert "已退回或撤回 1 份" in progress_line(app, "tianhe")
    # A central channel's counts only the states its returns pass through (they go to the national bureau alone).
    central = progress_line(app, "yangqi")
    assert central.startswith("审核进度（中央企业现行普查表") and "待国家局审核" in central
    assert "待地级审核" not in central and "待省级审核" not in central


def upload_reminders(app, user: str) -> str:
    """The text of the reminders panel on /upload as the user sees it ('' when the page shows none)."""
    response = post_callback(
        app, client_of(app, user), [(ids.UPLOAD_REMINDERS, "children")], [(ids.URL, "pathname", "/upload")]
    )
    return json.dumps(returned(response, ids.UPLOAD_REMINDERS, "children") or "", ensure_ascii=False)


def test_an_office_without_an_overview_is_reminded_of_its_returns_sent_back_on_its_upload_page(reporters):
    # The daily reminders (a return sent back, with the reviewer's reason) were shown on the overview only, which a
    # prefecture's, county's or central channel's office cannot open: their landing page, /upload, shows theirs.
    app, store, _ = reporters
    central = submission_of(store, "enterprises")
    assert "→ 已退回，报送单位在其上传页面和提交记录中可看到退回原因" in review(
        app, "planner", central, "return", "请补报全部中央企业"
    )
    store.write(lambda con: refresh_reminders(con, beijing_today()))
    county, channel = upload_reminders(app, "tianhe"), upload_reminders(app, "yangqi")
    assert "报送提醒" in county and "【已退回】广东省广州市天河区：普查表已被退回" in county and "第3行请核实" in county
    assert "中央企业" in channel and "请补报全部中央企业" in channel and "天河区" not in channel
    # A channel is reminded of the workbooks it has not reported (it has no overview); of another channel's, never.
    add_users(store, [("danganguan", Role.CENTRAL, "archives")])  # a channel that has sent nothing
    archives = upload_reminders(app, "danganguan")
    said = [f"【未报送】中央级档案馆：尚未报送{ROUND_ID}年度{book}。" for book in ("普查表", "普查对象名录")]
    assert all(line in archives for line in said), archives
    assert "中央企业" not in archives and "中央和国家机关" not in archives
    assert "未报送" not in channel and "未报送" not in county
    assert "请补报" not in county
    # A prefecture is reminded of its counties' returns too; another prefecture of none of them.
    assert "第3行请核实" in upload_reminders(app, "guangzhou")
    other = upload_reminders(app, "shenzhen")
    assert "今日无提醒" in other and "天河区" not in other
    # A province's office and the bureau have the overview for theirs.
    assert upload_reminders(app, "guangdong") == upload_reminders(app, "planner") == '""'


def overview_reminders(app, user: str, search: str = "") -> str:
    inputs = [(ids.OVERVIEW_METRIC, "value", "holdings"), (ids.URL, "search", search)]
    response = post_callback(app, client_of(app, user), [(ids.OVERVIEW_REMINDERS, "children")], inputs)
    return json.dumps(returned(response, ids.OVERVIEW_REMINDERS, "children"), ensure_ascii=False)


def test_a_planner_s_view_of_one_province_lists_that_province_s_reminders(reporters):
    # /?province=440000 is 广东省普查总览, yet its 报送提醒 listed every province's (天津市, 河北省, …).
    app = reporters[0]
    everything, one = overview_reminders(app, "planner"), overview_reminders(app, "planner", "?province=440000")
    assert "天津市" in everything and "天津市" not in one and "天河区" in one
    assert one == overview_reminders(app, "guangdong")  # what the province's own office is shown


def shown_crumbs(app, client) -> str:
    """The breadcrumbs /coverage shows the client on its own first page, as JSON text."""
    response = post_callback(app, client, [(ids.COVERAGE_CRUMBS, "children")], [(ids.URL, "search", "")])
    return json.dumps(returned(response, ids.COVERAGE_CRUMBS, "children"), ensure_ascii=False)


def test_a_prefecture_s_and_a_county_s_office_see_the_coverage_of_their_own_area_only(reporters):
    # /coverage was the national bureau's and the provinces': a prefecture's office could not see who in its area had
    # not reported. It now sees its own division and those inside it, from its own division down, and nothing else.
    app, _, _ = reporters
    guangzhou, tianhe = client_of(app, "guangzhou"), client_of(app, "tianhe")
    rows = grid_rows(app, guangzhou, ids.COVERAGE_GRID, "")
    assert rows and all(row["division_code"].startswith("4401") for row in rows)
    total = coverage_total(app, guangzhou, "")
    assert total["units_expected"] == sum(row["units_expected"] for row in rows) > 0
    assert (
        coverage_total(app, tianhe, "")["units_expected"]
        == coverage_total(app, guangzhou, "?division=440106")["units_expected"]
    )
    crumbs = shown_crumbs(app, guangzhou)
    assert "广州市" in crumbs and "广东省" not in crumbs and "全国" not in crumbs
    # A county's office opening /coverage from the menu gets its county's page: its own figures and the link to who
    # reported, no grid of a level below (it got the grid, empty, under a hint naming a link it did not show).
    page = render_page(app, tianhe, "/coverage").text
    assert ids.COVERAGE_COUNTY_FIGURES in page and "区县是最低一级" in page
    said = returned(
        post_callback(app, tianhe, [(ids.COVERAGE_COUNTY_FIGURES, "children")], [(ids.URL, "search", "")]),
        ids.COVERAGE_COUNTY_FIGURES,
        "children",
    )
    assert said[0].startswith("本区县：应报") and said[2]["props"]["href"] == (
        "/lineage?figure=units_reported&division=440106"
    )
    # Another prefecture, the province, a county of another prefecture, the central channels: refused on the server.
    for client, search in (
        (guangzhou, "?division=440300"),
        (guangzhou, "?division=440000"),
        (guangzhou, "?division=440304"),
        (guangzhou, "?division=central"),
        (tianhe, "?division=440100"),
    ):
        for grid_id in COVERAGE_GRIDS:
            assert load_grid(app, client, grid_id, search).status_code == 403, (grid_id, search)
    page = render_page(app, guangzhou, "/coverage", "?division=440300").text
    assert "无权查看广东省深圳市的数据：只能查看本地区" in page and "返回本地区" in page
    # Where a figure comes from: its own area's rows; a return it may not open (its prefecture's, for a county) shows
    # its holders' rows but neither its file, sender nor id (as /submissions does not list it).
    search = "?figure=units_reported&division=440106"
    withheld = "的现行报表（文件、报送人和编号不公开）"
    mine = {r["file_name"]: r["submission_id"] for r in grid_rows(app, guangzhou, ids.LINEAGE_RETURNS_GRID, search)}
    own = [name for name in mine if name.startswith("gz")]  # 广州市's current return (sent again by a test above)
    assert len(mine) == 2 and f"广东省{withheld}" in mine and len(own) == 1 and mine[own[0]].startswith("S")
    theirs = grid_rows(app, tianhe, ids.LINEAGE_RETURNS_GRID, search)
    assert sorted((r["file_name"], r["submission_id"], r["submitted_by"], r["open"]) for r in theirs) == [
        (f"广东省广州市{withheld}", "", "", ""),
        (f"广东省{withheld}", "", "", ""),
    ]
    rows = grid_rows(app, tianhe, ids.LINEAGE_ROWS_GRID, search)
    assert rows and all(r["submission_id"] == "" and "S2024" not in r["row_key"] for r in rows)
    # The province's figure is refused in words.
    lineage = render_page(app, guangzhou, "/lineage", "?figure=units_reported&division=440100").text
    assert "数据来源：广东省广州市" in lineage
    refused = render_page(app, guangzhou, "/lineage", "?figure=units_reported&division=440000").text
    assert "无权查看该范围的数据：只能查看本地区" in refused and "返回覆盖情况" in refused


def test_a_central_channel_s_office_sees_the_coverage_of_its_own_channel_only(reporters):
    # /coverage was refused to a central channel's office: it gathers its units' returns, yet could not see which of
    # its registered units had not reported. It now sees its own channel as the bureau does, and nothing else.
    app, _, _ = reporters
    yangqi, planner = client_of(app, "yangqi"), client_of(app, "planner")
    own = "?division=central:enterprises"
    assert [r["division_code"] for r in grid_rows(app, yangqi, ids.COVERAGE_GRID, "")] == ["central:enterprises"]
    for grid_id in COVERAGE_GRIDS:
        assert grid_rows(app, yangqi, grid_id, "") == grid_rows(app, planner, grid_id, own), grid_id
    total = coverage_total(app, yangqi, "")
    assert total == coverage_total(app, planner, own) and total["units_expected"] > 0
    crumbs = shown_crumbs(app, yangqi)
    assert "中央企业" in crumbs and "全国" not in crumbs and "中央渠道" not in crumbs
    assert "中央企业直接报国家档案局：下方列出其未报送和名录外报送的单位" in render_page(app, yangqi, "/coverage").text
    # Its charts by 普查对象类型 and by 层级 list what a central enterprise can be (they listed all six types and four
    # levels, the others "—"); its registered holders are all there.
    for key, members in (("by_holder_type", {"企事业单位档案馆", "企事业单位档案室"}), ("by_level", {"中央"})):
        bars = breakdown_figure(app, "yangqi", "coverage", key)["data"][0]
        assert set(bars["y"]) == members, key
        assert sum(int(counts[0].replace(",", "")) for counts in bars["customdata"]) == total["units_expected"], key
    # The other channels, all three together, a province or a county: refused on the server, and said on the page.
    for search in ("?division=central", "?division=central:organs", "?division=440000", "?division=440106"):
        for grid_id in COVERAGE_GRIDS:
            assert load_grid(app, yangqi, grid_id, search).status_code == 403, (grid_id, search)
    page = render_page(app, yangqi, "/coverage", "?division=central:organs").text
    assert "无权查看中央和国家机关的数据：只能查看本渠道" in page and "返回本渠道" in page
    # Where its figures come from (its 应报: the register in force): its own channel's, as the bureau traces them.
    mine = grid_rows(app, yangqi, ids.LINEAGE_RETURNS_GRID, "?figure=units_expected")
    assert mine and mine == grid_rows(app, planner, ids.LINEAGE_RETURNS_GRID, f"?figure=units_expected&{own[1:]}")
    refused = render_page(app, yangqi, "/lineage", "?figure=units_reported&division=central").text
    assert "无权查看该范围的数据：只能查看本渠道" in refused and "返回覆盖情况" in refused


def test_a_prefecture_replaces_its_county_s_own_return_only_when_confirmed_and_the_county_is_told(reporters):
    # Last in the module (it replaces 天河区's return). A probe's prefecture replaced its county's own reviewed return
    # unasked, and the county was told nothing; its own upload was then said to be its turn to review, and refused
    # when it passed it (本人提交，不能由本人审核通过).
    app, store, folder = reporters
    county_return = submission_of(store, "440106")
    rows = province_rows(CENSUS_FORM, "440000", 9)[6:8]  # the county's own holders: nothing dropped
    path = write_rows(folder / "th-by-gz.xlsx", CENSUS_FORM, rows, scope=division_scope("440000", "440106"))
    client = client_of(app, "guangzhou")
    job_id = upload(client, path).headers["Location"].split("=", 1)[1]
    said = wait_for_job(app, client, job_id)
    assert "未装载：将替换他人报送的现行报表，须确认" in said, said
    assert (
        f"编号 {county_return}" in said
        and "该表由广东省广州市天河区的账号 tianhe 报送" in said
        and "如不应替换，请先与账号 tianhe 的使用人核实，不必确认。" in said
        and "确认替换并装载" in said
    ), said
    assert submission_of(store, "440106") == county_return  # nothing replaced yet
    confirmed = client.post("/api/upload/confirm", data={"job": job_id}).headers["Location"].split("=", 1)[1]
    assert "已接收" in wait_for_job(app, client, confirmed)
    assert submission_of(store, "440106") != county_return

    # Its reviewer is told what it changed against the return it replaced; another area's office nothing.
    def changes(user: str) -> str | None:
        inputs = [(ids.SUBMISSIONS_REVIEW_ID, "value", submission_of(store, "440106"))]
        response = post_callback(app, client_of(app, user), [(ids.SUBMISSIONS_CHANGES, "children")], inputs)
        return returned(response, ids.SUBMISSIONS_CHANGES, "children")

    said = changes("guangdong")
    # tianhe-3 had been sent back: its figures beside the new ones were counted nowhere, and it says so.
    assert said is not None and said.startswith("与其替换的报表（已退回，不计入统计；「tianhe-3.xlsx」，tianhe "), said
    # tianhe-3 had renamed a holder (天河区某单位（再更名）); th-by-gz carries the name of the rows as generated.
    assert (
        "新增 0 个普查对象，减少 0 个，内容有变化的 1 个（「单位名称」1 个）；「国有档案资源普查表」各项合计不变；"
        in said
    ), said
    assert said.endswith("「红色档案资源摸底表」有改动，「普查表表尾」不变。"), said
    assert changes("shenzhen") is None
    # In the history the replaced return no longer reads as waiting where its review stood.
    rows = grid_rows(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, "")
    replaced = next(row for row in rows if row["submission_id"] == county_return)
    assert replaced["review_progress"].startswith("已被替换（原为"), replaced["review_progress"]
    # The county's upload page names the return that replaced its own, and by whom.
    notice = [(ids.UPLOAD_CURRENT_RETURNS, "children")]
    inputs = [(ids.URL, "pathname", "/upload"), (ids.UPLOAD_STATUS, "children", [])]
    response = post_callback(app, client_of(app, "tianhe"), notice, inputs, [(ids.URL, "search", "")])
    listed = json.dumps(returned(response, *notice[0]), ensure_ascii=False)
    assert (
        "「th-by-gz.xlsx」，guangzhou " in listed and "（替换了您 " in listed and "报送的「tianhe-3.xlsx」）" in listed
    )
    # Its own upload for its county is its level's word: the province reviews it (it waited at its own level, where
    # nobody else may pass it, and a one-account office for ever).
    sent = submission_of(store, "440106")
    listed = grid_rows(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, "")
    assert next(s["review_progress"] for s in listed if s["submission_id"] == sent) == "待省级审核"
    line = progress_line(app, "guangzhou")
    # Said to be its own, waiting at the province's (it was counted among everyone's and never said to be its own).
    assert "须由其他审核人" not in line and line.endswith(
        "您本人提交的报表中，1 份待省级审核（审核通过前您可以撤回）。现在没有轮到您审核的报表。"
    ), line


def test_a_county_s_office_withdraws_its_own_return_under_review_after_being_told_what_it_takes_out(reporters):
    # After the test above (天河区's current return is 广州市's). A county's office had no way to take back a wrong
    # upload: it could only replace it, or ask its prefecture to send it back.
    app, store, folder = reporters
    rows = province_rows(CENSUS_FORM, "440000", 9)[6:8]
    client = client_of(app, "tianhe")
    sent = upload(
        client, write_rows(folder / "th-wrong.xlsx", CENSUS_FORM, rows, scope=division_scope("440000", "440106"))
    )
    # Replacing the return its prefecture sent for it is asked first, as the prefecture was (a probe's county
    # replaced its province's correction unasked, and the correction's review with it).
    job_id = sent.headers["Location"].split("=", 1)[1]
    said = wait_for_job(app, client, job_id)
    assert "未装载：将替换他人报送的现行报表，须确认" in said and "「th-by-gz.xlsx」，guangzhou " in said, said
    confirmed = client.post("/api/upload/confirm", data={"job": job_id}).headers["Location"].split("=", 1)[1]
    assert "已接收" in wait_for_job(app, client, confirmed)
    own = submission_of(store, "440106")
    page = render_page(app, client, "/submissions").text
    assert ids.SUBMISSIONS_WITHDRAW in page and "点“撤回本人提交的报表”撤回" in page
    said = return_preview(app, "tianhe", own)
    assert said is not None and said.startswith(
        "撤回将使广东省广州市天河区（县级）的这份普查表（2 个单位）不再计入统计数字"
    )
    # Not its own, nor in its sight: nothing of it said (its buttons shut).
    assert return_preview(app, "tianhe", submission_of(store, "440100")).startswith("找不到这个提交编号")
    assert "撤回报送必须说明原因" in review(app, "tianhe", own, "withdraw", "  ")
    # Only its sender takes it back; a role that sends nothing cannot.
    assert "由 tianhe 提交，只有提交人本人可以撤回" in review(app, "guangzhou", own, "withdraw", "误传")
    assert review(app, "admin", own, "withdraw", "误传") == "只有报送报表的用户可以撤回本人提交的报表。"
    assert review(app, "tianhe", own, "withdraw", "误传了上月的表") == (
        f"已撤回广东省广州市天河区（县级）的普查表（{own}）：待地级审核 → 已撤回，不再计入统计数字；"
        "审核人在提交记录中可看到撤回原因；修改后重新上传即可。"
    )
    rows = grid_rows(app, client, ids.SUBMISSIONS_GRID, "/submissions", None, "")
    withdrawn = next(row for row in rows if row["submission_id"] == own)
    # Read 已撤回 in the history, not 已退回 (a probe could not tell a withdrawal from a reviewer's return).
    assert (withdrawn["review_progress"], withdrawn["review_note"]) == ("已撤回", "报送人撤回：误传了上月的表")
    # So does the lineage of its holders' figures (it said 已退回 there).
    with store.reader() as con:
        (holder,) = con.execute("SELECT any_value(uscc) FROM raw_census_rows WHERE submission_id = ?", [own]).fetchone()
    traced = grid_rows(app, client, ids.LINEAGE_GRID, holder)
    assert {r["review_progress"] for r in traced if r["submission_id"] == own} == {"已撤回"}, traced
    # And the province's printed bulletin (it read 已退回, as if its prefecture had sent it back).
    bulletin = client_of(app, "planner").get("/bulletin/440000").get_data(as_text=True)
    row = bulletin.split("th-wrong.xlsx", 1)[1].split("</tr>", 1)[0]
    assert "已撤回" in row and "已退回" not in row, row
    assert "当前为「已退回」，不能撤回" in review(app, "tianhe", own, "withdraw", "再撤一次")
    # Its reviewers' buttons are shut, and say why (a probe pressed 审核通过 on a withdrawn return, to be refused).
    for user in ("guangzhou", "tianhe"):
        assert review_form(app, user, own) == ("该报表已由报送人撤回，不能再审核或撤回。", [True, True, True])
    # One still under review keeps them open; its sender's 撤回 only for its own.
    assert review_form(app, "guangdong", submission_of(store, "440100"))[1] == [False, False, True]


def test_the_reviewer_of_a_county_s_return_reads_its_warnings_on_the_submissions_page(reporters, monkeypatch):
    # A prefecture's office reviews its counties' returns yet cannot open 数据质量: /submissions gave it only a count
    # of warnings (警告 1 个), not which cell of which row they were about.
    app, store, folder = reporters
    rows = province_rows(CENSUS_FORM, "440000", 9)[6:8]
    rows[1] = {**rows[1], "staff_fulltime": 0, "staff_parttime": 0}  # holdings kept by no one: a warning
    client = client_of(app, "tianhe")
    sent = upload(
        client, write_rows(folder / "th-warn.xlsx", CENSUS_FORM, rows, scope=division_scope("440000", "440106"))
    )
    said = wait_for_job(app, client, sent.headers["Location"].split("=", 1)[1])
    warned = int(re.search(r"错误 0 个，警告 (\d+) 个", said)[1])
    own = submission_of(store, "440106")
    users = ("guangzhou", "guangdong", "planner", "tianhe", "shenzhen", "yangqi")
    listed = {user: grid_rows(app, client_of(app, user), ids.SUBMISSIONS_FAILURES_GRID, own) for user in users}
    staff = (CENSUS_FORM.sheet_name, HEADER_ROW + 2, "警告", rule_title("staff_with_holdings"), "兼职档案人员（人）")
    for user in ("guangzhou", "guangdong", "planner", "tianhe"):
        shown = [(r["sheet"], r["row"], r["severity"], r["rule_title"], r["label"]) for r in listed[user]]
        assert len(shown) == warned and staff in shown and {r[2] for r in shown} == {"警告"}, (user, shown)
    # Said above the grid: which file, its result and counts.
    assert failures_note(app, "guangzhou", own) == f"「th-warn.xlsx」已接收：错误 0 个，警告 {warned} 个。"
    # Another prefecture's office, and a central channel's, learn nothing of it, and are told the number is not one
    # they may see (the empty grid read as a submission without errors, and the Data Docs link led to a 404).
    assert listed["shenzhen"] == [] and listed["yangqi"] == []
    for user in ("shenzhen", "yangqi"):
        assert failures_note(app, user, own).startswith(f"找不到提交编号为「{own}」的提交，或无权查看"), user
        assert data_docs_href(app, user, own) is None, user
    assert data_docs_href(app, "guangzhou", own) == f"/data-docs/{own}/"
    assert grid_rows(app, client_of(app, "guangzhou"), ids.SUBMISSIONS_FAILURES_GRID, " ") == []
    # Typed in another case, or pasted with spaces around it: the same submission (it was not found).
    typed = f" {own.lower()} "
    assert typed.strip() != own and failures_note(app, "guangzhou", typed) == failures_note(app, "guangzhou", own)
    assert data_docs_href(app, "guangzhou", typed) == f"/data-docs/{own}/"
    assert len(grid_rows(app, client_of(app, "guangzhou"), ids.SUBMISSIONS_FAILURES_GRID, typed)) == warned
    # Exported under the submission's number, its heading saying what the page says.
    response = export_grid(app, client_of(app, "guangzhou"), ids.SUBMISSIONS_FAILURES_GRID, None, own)
    exported = returned(response, ids.export_download(ids.SUBMISSIONS_FAILURES_GRID), "data")
    assert exported["filename"].startswith(f"校验结果-{own}-2")
    heading = exported_workbook(response, ids.SUBMISSIONS_FAILURES_GRID).active
    assert heading["A1"].value == f"校验结果（{own}）"
    assert heading["A3"].value == failures_note(app, "guangzhou", own)
    assert load_grid(app, client_of(app, "evaluator"), ids.SUBMISSIONS_FAILURES_GRID, own).status_code == 403
    # A prefecture's exports are named for the prefecture, not for its province (a probe's read 提交记录-广东省).
    response = export_grid(app, client_of(app, "guangzhou"), ids.SUBMISSIONS_GRID, None, "/submissions", None, "")
    exported = returned(response, ids.export_download(ids.SUBMISSIONS_GRID), "data")
    assert exported["filename"].startswith("提交记录-广东省广州市-")
    # More than the grid lists: said, and the grid and its export hold the first ones, errors first.
    monkeypatch.setattr(submissions_page, "SHOWN_FAILURES", warned - 1)
    assert failures_note(app, "guangzhou", own) == (
        f"「th-warn.xlsx」已接收：错误 0 个，警告 {warned} 个；以下只列出前 {warned - 1} 条（错误在前），"
        "全部见其核对报告（原工作簿，逐格标注）。"
    )
    assert len(grid_rows(app, client_of(app, "guangzhou"), ids.SUBMISSIONS_FAILURES_GRID, own)) == warned - 1
    # That report, its warnings marked in the county's own workbook, opens for its reviewers, not for another's.
    report = client_of(app, "guangzhou").get(f"/download/submission-report/{own}")
    assert report.status_code == 200 and quote("th-warn-核对报告.xlsx") in report.headers["Content-Disposition"]
    marked = list(openpyxl.load_workbook(io.BytesIO(report.data))[ERRORS_SHEET].iter_rows(values_only=True))[1:]
    assert len(marked) == warned and {row[6] for row in marked} == {"警告"}
    assert client_of(app, "shenzhen").get(f"/download/submission-report/{own}").status_code == 404


def failures_note(app, user: str, submission_id: str) -> str:
    """What /submissions says above the chosen submission's errors and warnings."""
    response = post_callback(
        app,
        client_of(app, user),
        [(ids.SUBMISSIONS_FAILURES_NOTE, "children")],
        [(ids.SUBMISSIONS_REVIEW_ID, "value", submission_id)],
    )
    return returned(response, ids.SUBMISSIONS_FAILURES_NOTE, "children")


def data_docs_href(app, user: str, submission_id: str) -> str | None:
    """Where /submissions' Data Docs link leads once the number is filled in (None: the link is not shown)."""
    outputs = [(ids.SUBMISSIONS_DATA_DOCS_LINK, "href"), (ids.SUBMISSIONS_DATA_DOCS_LINK, "style")]
    response = post_callback(app, client_of(app, user), outputs, [(ids.SUBMISSIONS_REVIEW_ID, "value", submission_id)])
    return returned(response, ids.SUBMISSIONS_DATA_DOCS_LINK, "href")


def test_coverage_says_which_areas_report_without_a_register_in_force(reporters):
    # A probe: with 中央企业's register sent back, /coverage read 应报 0, 覆盖率 —, 名录外 17 and 没有未报送的名录内单位,
    # as if no central enterprise were missing; only the channel's own upload page said the register was returned.
    app, store, folder = reporters
    # 中央企业's office sends a return of two holders its register lists.
    rows = [
        {**row, "division_code": "110000", "admin_level": "中央"} for row in province_rows(CENSUS_FORM, "450000", 2)
    ]
    client = client_of(app, "yangqi")
    sent = upload(client, write_rows(folder / "yq-late.xlsx", CENSUS_FORM, rows, scope=central_scope("enterprises")))
    assert "已接收" in wait_for_job(app, client, sent.headers["Location"].split("=", 1)[1])

    def note(user: str, search: str) -> str:
        outputs = [(ids.COVERAGE_REGISTER_NOTE, "children")]
        response = post_callback(app, client_of(app, user), outputs, [(ids.URL, "search", search)])
        return returned(response, ids.COVERAGE_REGISTER_NOTE, "children")

    # The bureau uploaded 中央和国家机关's return above without a register of that channel: named already.
    assert note("planner", "").startswith("中央和国家机关没有现行有效的普查对象名录") and "中央企业" not in note(
        "planner", ""
    )
    assert note("planner", "?division=central:enterprises") == ""
    with store.reader() as con:
        (register,) = [
            s["submission_id"]
            for s in list_submissions(con)
            if s["kind"] == "register" and s["is_current"] and s["scope_code"] == "enterprises"
        ]
    assert "已退回" in review(app, "planner", register, "return", "名录漏报两家")
    said = "没有现行有效的普查对象名录（尚未报送，或已被退回）：应报数为 0、覆盖率无从计算，已报送的单位都计为名录外"
    for search in ("", "?division=central"):
        assert note("planner", search).startswith(f"中央和国家机关、中央企业{said}"), search
    assert note("planner", "?division=central:enterprises").startswith(f"中央企业{said}")
    # Said in the exports' headings too (the export's 应报 0 went unexplained).
    for grid in (ids.COVERAGE_GRID, ids.COVERAGE_MISSING_GRID):
        response = export_grid(app, client_of(app, "planner"), grid, None, "?division=central")
        assert exported_workbook(response, grid).active["A3"].value == note("planner", "?division=central"), grid
    assert note("guangdong", "") == "" and note("planner", "?division=440000") == ""
    # Each unit reported outside the register is located by its return, sheet and row (the sheet was not said).
    outside = grid_rows(app, client_of(app, "planner"), ids.COVERAGE_UNREGISTERED_GRID, "?division=central")
    assert outside and {type(r["excel_row"]) for r in outside} == {int}
    exported = exported_workbook(
        export_grid(app, client_of(app, "planner"), ids.COVERAGE_UNREGISTERED_GRID, None, "?division=central"),
        ids.COVERAGE_UNREGISTERED_GRID,
    ).active
    header = [cell.value for cell in exported[EXPORT_HEADER_ROW]]
    assert header[-2:] == ["提交编号", f"{CENSUS_FORM.sheet_name}行号"], header
    assert (
        quality_page.row_place({"file_name": "census-440200.xlsx", "excel_row": 19})
        == "census-440200.xlsx 普查表第19行"
    )
