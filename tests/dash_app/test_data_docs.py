"""A submission's Data Docs from the web app: built on first request, served to the roles that see the submission."""

from __future__ import annotations

import dataclasses
import re

import pytest

from census_schema.census_form import CENSUS_FORM
from dash_app import ids
from dash_app.app import close_app, create_app
from flows.ingest import IngestRequest, ingest_workbook
from tests.dash_app.conftest import USERS, add_users, province_workbook, web_settings
from tests.dash_app.test_access import client_of, post_callback, returned
from warehouse.backends import EmbeddedWarehouse


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One rejected census return of 440000 and one accepted of 450000 (their Data Docs not yet built)."""
    folder = tmp_path_factory.mktemp("docs")
    # The test session switches Data Docs off (tests/conftest.py): keep GX's results here, as by default.
    settings = dataclasses.replace(web_settings(folder / "var" / "warehouse.duckdb"), keep_validation_results=True)
    store = EmbeddedWarehouse(settings.db_path)
    ids_by_province = {}
    for province, edits in (("440000", {1: {"vol_total": 1}}), ("450000", None)):
        path = province_workbook(folder / f"c-{province}.xlsx", CENSUS_FORM, province, 2, edits)
        outcome = ingest_workbook(store, IngestRequest(path, "census", province, "测试"), settings)
        assert outcome.data_docs is not None and not (outcome.data_docs / "index.html").exists()
        ids_by_province[province] = outcome.submission_id
    add_users(store, USERS)
    app = create_app(settings)
    yield app, ids_by_province
    close_app(app)


def test_a_planner_opens_any_submissions_data_docs_built_on_first_request(site):
    app, submissions = site
    client = client_of(app, "planner")
    assert client.get(f"/data-docs/{submissions['440000']}").status_code == 302
    index = client.get(f"/data-docs/{submissions['440000']}/", follow_redirects=True)
    assert index.status_code == 200 and "Data Docs" in index.text
    # One validation per sheet of the workbook (普查表, its supplementary sheets): the main sheet's names the rule.
    pages = sorted(set(re.findall(r"(validations/[^'\"]+\.html)", index.text)))
    assert pages
    validations = [client.get(f"/data-docs/{submissions['440000']}/{page}", follow_redirects=True) for page in pages]
    assert all(v.status_code == 200 for v in validations)
    assert any("vol_total_sum" in v.text for v in validations)
    # Each page says whose validation it is and that the platform's error list is the one to go by.
    for page in (index, *validations):
        said = page.text.split('role="note"', 1)[1].split("</div>", 1)[0]
        assert f"提交 {submissions['440000']}（广东省普查表，文件「c-440000.xlsx」" in said
        assert "未通过校验）的 Great Expectations 校验详情" in said and "以平台的错误清单" in said
    suite = re.search(r'href="(expectations/[^"]+\.html)"', index.text)
    suite_page = client.get(f"/data-docs/{submissions['440000']}/{suite.group(1)}", follow_redirects=True)
    assert suite is not None and suite_page.status_code == 200
    icon = client.get(f"/data-docs/{submissions['440000']}/static/images/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200
    assert client.get(f"/data-docs/{submissions['440000']}/../../secret_key", follow_redirects=True).status_code == 404


def test_a_province_opens_its_own_data_docs_only(site):
    app, submissions = site
    guangdong = client_of(app, "guangdong")
    assert guangdong.get(f"/data-docs/{submissions['440000']}/", follow_redirects=True).status_code == 200
    # Another province's submission is as unknown as one that does not exist.
    assert guangdong.get(f"/data-docs/{submissions['450000']}/").status_code == 404
    assert client_of(app, "evaluator").get(f"/data-docs/{submissions['440000']}/").status_code == 403
    anonymous = client_of(app).get(f"/data-docs/{submissions['440000']}/")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert client_of(app, "planner").get("/data-docs/S-none/").status_code == 404


def test_the_submissions_page_links_the_chosen_submission_to_its_data_docs(site):
    app, submissions = site
    client = client_of(app, "guangdong")
    outputs = [(ids.SUBMISSIONS_DATA_DOCS_LINK, "href"), (ids.SUBMISSIONS_DATA_DOCS_LINK, "style")]
    response = post_callback(app, client, outputs, [(ids.SUBMISSIONS_REVIEW_ID, "value", submissions["440000"])])
    assert returned(response, ids.SUBMISSIONS_DATA_DOCS_LINK, "href") == f"/data-docs/{submissions['440000']}/"


def sandboxed_link(client, submission_id: str) -> str:
    """Where the signed-in route sends a user: the sandboxed site under a signed token."""
    response = client.get(f"/data-docs/{submission_id}/")
    assert response.status_code == 302 and response.location.startswith(f"/data-docs/{submission_id}/~")
    return response.location


def test_data_docs_run_sandboxed_under_a_token_not_the_session(site):
    """GX's pages (inline scripts, CDN scripts, values from the workbook) get an opaque origin: no session, no
    same-origin access to the app; a signed token of the user and the submission opens them instead."""
    app, submissions = site
    link = sandboxed_link(client_of(app, "guangdong"), submissions["440000"])
    page = client_of(app).get(link)  # no session cookie at all, as in the sandbox
    assert page.status_code == 200 and "Data Docs" in page.text
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts") and "allow-same-origin" not in policy
    assert "connect-src 'none'" in policy and "frame-ancestors 'none'" in policy and "form-action 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    # A token opens its own submission only, and not once tampered with.
    token = link.split("/~", 1)[1].split("/", 1)[0]
    assert client_of(app).get(f"/data-docs/{submissions['450000']}/~{token}/").status_code in (403, 404)
    forged = client_of(app).get(link.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB")))
    assert forged.status_code == 403 and "链接已失效" in forged.text
    assert client_of(app).get(f"/data-docs/{submissions['440000']}/~nonsense/").status_code == 403


def test_a_data_docs_token_expires_after_an_hour(site, monkeypatch):
    app, submissions = site
    link = sandboxed_link(client_of(app, "guangdong"), submissions["440000"])
    import itsdangerous.timed

    later = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later(self) + 3601)
    assert client_of(app).get(link).status_code == 403


def test_a_data_docs_link_dies_with_the_session_that_made_it(site):
    app, submissions = site
    client = client_of(app, "guangdong")
    link = sandboxed_link(client, submissions["440000"])
    assert client_of(app).get(link).status_code == 200
    assert client.post("/logout", headers={"Origin": "http://localhost"}).status_code == 302
    page = client_of(app).get(link)
    assert page.status_code == 403 and "已退出登录" in page.text
    # A link made in another live session of the same user still opens.
    assert client_of(app).get(sandboxed_link(client_of(app, "guangdong"), submissions["440000"])).status_code == 200


def test_the_banner_escapes_what_the_uploader_named():
    from dash_app.data_docs import with_banner

    submission = {"submission_id": "S1", "status": "accepted", "scope_name": "广东省", "kind": "census"}
    submission |= {"file_name": "<script>x</script>.xlsx", "submitted_at": "2026-12-07T06:40:14"}
    page = with_banner('<html><body class="x"><p>GX</p></body></html>', submission)
    assert page.startswith('<html><body class="x"><div role="note"') and "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;.xlsx" in page and "2026年12月7日 14:40（北京时间），已接收" in page
