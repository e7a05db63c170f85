"""Web security without a browser (issue 10: findings 3, 4, 5 and the web parts of 8), over a copy of the supervision
demo with census returns of 440000 and 450000, the real app and Flask's test client (whose pages are at
http://localhost): cross-origin refusal of every state change, security headers, server-side sessions, sign-in
throttling, downloads no fuller than the pages, 4xx (never 500) for unknown or forged input, other provinces' holder
names kept out of the duplicates grid, and sign-ins in the audit log.
"""

# ruff: noqa: F811  (the fixtures `site`, `app` and `assigned` are imported from test_supervision_access)
from __future__ import annotations

import base64
import io
import itertools
import json
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

import duckdb
import openpyxl
import pytest
from werkzeug.security import check_password_hash

from census_schema.census_form import CENSUS_FORM
from census_schema.divisions import load_divisions
from census_schema.supervision.codes import FindingStatus
from census_schema.supervision.evaluation import SELF_SOURCE, get_standard
from cli.warehouse_cmd import format_table
from dash_app import auth as accounts_auth
from dash_app import ids
from dash_app.auth import KEEPALIVE_PATH, MAX_PASSWORD_CHARS, password_weakness, strong_password
from dash_app.downloads import OWN_SHEET_COLUMNS, archive_label
from dash_app.grid import EXPORT_HEADER_ROW
from dash_app.pages import PAGES, accounts, audit
from dash_app.reader import SnapshotReader
from dash_app.security import PROXY_HOPS_ENV, TRUSTED_ORIGINS_ENV
from dash_app.throttle import ACCOUNT_POLICY, ADDRESS_POLICY, LOGIN_THROTTLE
from dash_app.webstate import AuditOutbox, WebState
from flows.ingest import IngestRequest, ingest_workbook
from tests.checks.builders import make_uscc
from tests.dash_app.conftest import PROVINCE_HOLDERS, USERS, password_of, province_rows, province_workbook
from tests.dash_app.test_access import (
    OVERVIEW,
    callback_key,
    client_of,
    export_grid,
    grid_inputs,
    grid_rows,
    load_grid,
    post_callback,
    render_page,
    returned,
    upload,
    wait_for_job,
)
from tests.dash_app.test_supervision_access import (  # noqa: F401 (site, app and assigned are fixtures)
    EVIDENCE_UPLOAD,
    act,
    app,
    assigned,
    findings_of,
    message_of,
    post,
    read,
    save,
    site,
    state_of,
    transitions,
)
from tests.warehouse.factories import load
from warehouse.audit import NamesInTime, query_audit_log
from warehouse.evaluation import query_item_results, query_scores
from warehouse.queries import list_submissions
from warehouse.transactions import utc_now
from warehouse.users import add_user, get_user, set_user_active

SELF = "http://localhost"
EVIL = "http://evil.example"
OTHER_PORT = "http://localhost:9999"
# What browsers send with a request from another site, or from another port of this host (same site, other origin).
CROSS_ORIGIN = {
    "evil-origin": {"Origin": EVIL},
    "other-port": {"Origin": OTHER_PORT},
    "opaque-origin": {"Origin": "null"},
    "cross-site": {"Sec-Fetch-Site": "cross-site", "Origin": EVIL},
    "same-site-other-port": {"Sec-Fetch-Site": "same-site", "Origin": OTHER_PORT},
    "fetch-metadata-only": {"Sec-Fetch-Site": "cross-site"},
}
SAME_ORIGIN = {"Origin": SELF, "Sec-Fetch-Site": "same-origin"}
REFUSED = "拒绝来自其他网站"


def with_headers(client, headers: dict[str, str]):
    """The client sends these headers with every request from now on."""
    for name, value in headers.items():
        client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    return client


def new_user(site, role: str = "province", province: str | None = "440000") -> str:
    """A user of its own (throttling and sessions of one test do not touch another's); its password is
    password_of(name)."""
    from dash_app.auth import hash_password

    name = f"u{secrets.token_hex(4)}"
    with site.store.writer() as con:
        add_user(
            con,
            name,
            hash_password(password_of(name), name),
            role,
            province if role == "province" else None,
            by="管理员",
        )
    return name


def stop_throttle_clock(app, monkeypatch) -> None:
    """The app's sign-in throttle sees no time pass, so a wait of ADDRESS_POLICY's first second cannot run out
    between a test's failures and its next attempt on a slow machine."""
    throttle = app.server.extensions[LOGIN_THROTTLE]
    monkeypatch.setattr(throttle, "clock", lambda now=throttle.clock(): now)


def sign_in(client, name: str, password: str | None = None):
    return client.post("/login", data={"username": name, "password": password or password_of(name)})


def census_submissions(site, province: str) -> list[dict[str, Any]]:
    with site.store.reader() as con:
        return [s for s in list_submissions(con, province) if s["kind"] == "census"]


def flush_sign_ins(site) -> None:
    """Move the sign-in events the app has kept into the warehouse's audit log now (the app does it a few seconds
    later by itself)."""
    AuditOutbox(WebState(site.settings.var_dir), site.store).flush()


def audit_events(site, **filters: Any) -> list[dict[str, Any]]:
    with site.store.reader() as con:
        return query_audit_log(con, **filters)


# --- finding 3: cross-origin requests cannot change anything -------------------------------------------------------


@pytest.mark.parametrize("headers", CROSS_ORIGIN.values(), ids=CROSS_ORIGIN)
def test_a_cross_origin_upload_is_refused_and_nothing_is_kept(app, site, tmp_path, headers):
    client = with_headers(client_of(app, "guangdong"), headers)
    before = census_submissions(site, "440000")
    uploads = site.settings.var_dir / "uploads"
    kept = set(uploads.iterdir()) if uploads.exists() else set()
    response = upload(client, province_workbook(tmp_path / "c.xlsx", CENSUS_FORM, "440000", 2))
    assert response.status_code == 403 and REFUSED in response.text
    assert census_submissions(site, "440000") == before
    assert (set(uploads.iterdir()) if uploads.exists() else set()) == kept


def test_a_same_origin_upload_is_accepted(app, site, tmp_path):
    client = with_headers(client_of(app, "guangdong"), SAME_ORIGIN)
    before = len(census_submissions(site, "440000"))
    # The same three holders as Guangdong's current return (fewer would wait for a confirmed shrink), one edited.
    edited = {0: {"remarks": "同源上传"}}
    response = upload(client, province_workbook(tmp_path / "c.xlsx", CENSUS_FORM, "440000", 3, edited))
    assert response.status_code == 302, response.text
    status = wait_for_job(app, client, response.headers["Location"].split("=", 1)[1])
    assert "已接收：3 行" in status, status
    assert len(census_submissions(site, "440000")) == before + 1


def review(app, client, submission_id: str):
    return post_callback(
        app,
        client,
        [(ids.SUBMISSIONS_REVIEW_RESULT, "children")],
        [
            (ids.SUBMISSIONS_ACCEPT, "n_clicks", 1),
            (ids.SUBMISSIONS_RETURN, "n_clicks", None),
            (ids.SUBMISSIONS_WITHDRAW, "n_clicks", None),
        ],
        [(ids.SUBMISSIONS_REVIEW_ID, "value", submission_id), (ids.SUBMISSIONS_REVIEW_REASON, "value", None)],
    )


@pytest.mark.parametrize("headers", CROSS_ORIGIN.values(), ids=CROSS_ORIGIN)
def test_a_cross_origin_callback_cannot_review_a_submission(app, site, headers):
    target = next(s for s in census_submissions(site, "450000") if s["is_current"])
    response = review(app, with_headers(client_of(app, "planner"), headers), target["submission_id"])
    assert response.status_code == 403 and REFUSED in response.text
    after = next(s for s in census_submissions(site, "450000") if s["submission_id"] == target["submission_id"])
    assert after["review_state"] == target["review_state"]


def test_a_cross_origin_finding_transition_and_score_are_refused(app, site, assigned):
    finding = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[0]["finding_id"]
    before = transitions(site)
    province = with_headers(client_of(app, "guangdong"), {"Origin": OTHER_PORT})
    assert act(app, province, finding, "提交整改报告", evidence=EVIDENCE_UPLOAD).status_code == 403
    assert transitions(site) == before
    expert = with_headers(client_of(app, "evaluator"), {"Origin": EVIL})
    scores_before = read(site, query_scores, assigned[1], "evaluator")
    with pytest.raises(AssertionError):  # the helper asserts HTTP 200: it gets 403
        save(app, expert, assigned[1], {"A1.1.1": 5.0}, {})
    assert read(site, query_scores, assigned[1], "evaluator") == scores_before


def test_signing_in_from_another_origin_is_refused(app, site):
    name = new_user(site)
    client = with_headers(client_of(app, address="10.3.0.1"), {"Origin": EVIL})
    response = sign_in(client, name)
    assert response.status_code == 403 and client.get("/").status_code == 302


def test_same_origin_requests_and_trusted_origins_work(app, site, monkeypatch):
    name = new_user(site)
    client = with_headers(client_of(app, address="10.3.0.2"), SAME_ORIGIN)
    assert sign_in(client, name).status_code == 302 and client.get("/").status_code == 200
    # Behind a reverse proxy the public origin is declared; it is then accepted as the app's own.
    monkeypatch.setenv(TRUSTED_ORIGINS_ENV, "https://census.example.gov.cn")
    proxied = with_headers(client_of(app, address="10.3.0.3"), {"Origin": "https://census.example.gov.cn"})
    assert sign_in(proxied, name).status_code == 302


def test_signing_out_is_a_post(app, site):
    client = client_of(app, new_user(site), address="10.3.0.4")
    page = client.get("/logout")  # an old link asks to confirm: it does not sign out by itself
    assert page.status_code == 200 and 'method="post" action="/logout"' in page.text
    assert client.get("/").status_code == 200
    assert with_headers(client, {"Origin": EVIL}).post("/logout").status_code == 403
    assert client.get("/").status_code == 200
    assert with_headers(client, {"Origin": SELF}).post("/logout").status_code == 302
    assert client.get("/").status_code == 302


# --- finding 8: headers on every response ----------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(app):
    client = client_of(app, "planner")
    responses = {
        "login page": client_of(app).get("/login"),
        "page": client.get("/"),
        "callback": load_grid(app, client, ids.QUALITY_GRID, "/quality"),
        "download": client.get("/download/template/census?province=440000"),
        "refusal": client.get("/download/indicators-report", headers={"Origin": EVIL}),
        "health": client.get("/health"),
        "asset": client.get("/assets/app.css"),
    }
    for what, response in responses.items():
        headers = response.headers
        csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert csp["frame-ancestors"] == "'none'", what
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"], what
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'", what
        assert headers["X-Frame-Options"] == "DENY", what
        assert headers["X-Content-Type-Options"] == "nosniff", what
        assert headers["Referrer-Policy"] == "same-origin", what
        if what != "asset":
            assert headers["Cache-Control"] == "no-store", what
    # Dash's inline scripts are allowed by their hashes, and only they.
    page = responses["page"]
    script_src = page.headers["Content-Security-Policy"].split("script-src ", 1)[1].split(";", 1)[0]
    assert script_src.count("'sha256-") >= 1


def test_the_session_cookie_is_strict_and_http_only(app, site):
    response = sign_in(client_of(app, address="10.3.0.5"), new_user(site))
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Strict" in session


# --- finding 8: a copied cookie stops working at sign-out; password and role changes end sessions -----------------


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A new client (another machine) presenting a copied session cookie."""
    thief = client_of(app, address="10.66.0.1")
    thief.set_cookie("session", cookie)
    return thief


def test_a_session_cookie_copied_before_sign_out_does_not_work_after_it(app, site):
    name = new_user(site)
    client = client_of(app, name, address="10.3.1.1")
    copied = session_cookie(client)
    assert replay(app, copied).get("/").status_code == 200  # the copy works while the session lives
    assert client.post("/logout").status_code == 302
    thief = replay(app, copied)
    assert thief.get("/").status_code == 302
    assert load_grid(app, thief, ids.QUALITY_GRID, "/quality").status_code == 401


def age_sessions(site, name: str, minutes: float) -> None:
    """Make the user's sessions look as if their browsers had last asked the server `minutes` ago."""
    seen = (utc_now() - timedelta(minutes=minutes)).isoformat()
    with WebState(site.settings.var_dir).connect() as con:
        con.execute("UPDATE web_sessions SET last_seen_at = ? WHERE user_name = ?", [seen, name])


def sessions_of(site, name: str) -> list[tuple[str | None, str | None]]:
    with WebState(site.settings.var_dir).connect() as con:
        return con.execute("SELECT last_seen_at, ended_reason FROM web_sessions WHERE user_name = ?", [name]).fetchall()


def test_a_session_left_idle_ends_and_typing_on_a_page_keeps_it(app, site):
    name = new_user(site)
    client = client_of(app, name, address="10.3.1.2")
    # 29 minutes without a request: still signed in, and the request counts as one.
    age_sessions(site, name, 29)
    assert client.get("/").status_code == 200
    ((seen, ended),) = sessions_of(site, name)
    assert ended is None and utc_now() - datetime.fromisoformat(seen) < timedelta(minutes=1)
    # Typing on a page that sends nothing: the page says so (assets/session.js), and that counts too.
    age_sessions(site, name, 29)
    assert client.post(KEEPALIVE_PATH).status_code == 204
    assert utc_now() - datetime.fromisoformat(sessions_of(site, name)[0][0]) < timedelta(minutes=1)
    # 30 minutes without either: the session has ended, for the record too, and a keepalive does not revive it.
    age_sessions(site, name, 30)
    assert load_grid(app, client, ids.QUALITY_GRID, "/quality").status_code == 401
    assert sessions_of(site, name)[0][1] == "idle"
    assert client.post(KEEPALIVE_PATH).status_code == 401
    assert client.get("/").status_code == 302
    expired = client_of(app).get("/login?expired=1")
    assert "30 分钟未操作" in expired.text and "登录超过 12 小时" in expired.text
    # Nobody signed in, or a page of another site: refused like any other request.
    assert client_of(app).post(KEEPALIVE_PATH).status_code == 401
    other = client_of(app, new_user(site), address="10.3.1.3")
    assert other.post(KEEPALIVE_PATH, headers={"Origin": EVIL}).status_code == 403


def change_password(client, current: str, new: str, repeat: str | None = None):
    return client.post("/password", data={"current": current, "new": new, "repeat": new if repeat is None else repeat})


def test_a_user_changes_their_own_password_and_their_other_browsers_sign_in_again(app, site):
    name = new_user(site)
    assert client_of(app).get("/password").status_code == 302  # signed out: to the sign-in page
    assert client_of(app).post("/password", data={}).status_code == 401
    elsewhere = client_of(app, name, address="10.3.2.1")
    here = client_of(app, name, address="10.3.2.2")
    form = here.get("/password")
    assert form.status_code == 200 and "须含大写字母、小写字母、数字、其他符号四类中的至少三类" in form.text
    new = "Neu-Kennwort-7"
    refusals = [
        (change_password(here, password_of(name), new, "Neu-Kennwort-8"), "两次输入的新密码不一致。"),
        (change_password(here, password_of(name), "12345678"), "密码只含数字"),
        (change_password(here, password_of(name), f"X-{name}-1"), "密码不能包含用户名。"),
        (change_password(here, password_of(name), password_of(name)), "新密码不能与原密码相同。"),
        (change_password(here, "Not-the-password-1", new), "原密码不正确。"),
        (change_password(here, password_of(name), "\u200bpassword2025"), "密码含有看不见的字符（[U+200B]）"),
        (here.post("/password", data={"current": password_of(name)}), "请填写新密码。"),
    ]
    for response, said in refusals:
        assert response.status_code == 200 and said in response.text
    with site.store.reader() as con:
        assert check_password_hash(get_user(con, name).password_hash, password_of(name))  # nothing changed
    # A page of another site cannot change it (the Origin check every state change gets).
    forged = here.post("/password", data={"current": password_of(name), "new": new, "repeat": new},
                       headers={"Origin": "https://evil.example"})  # fmt: skip
    assert forged.status_code == 403
    done = change_password(here, password_of(name), new)
    assert done.status_code == 302 and done.headers["Location"] == "/password?changed=1"
    assert "密码已修改" in here.get("/password?changed=1").text and here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302  # the other browser signs in again, with the new password
    assert sign_in(client_of(app, address="10.3.2.3"), name, new).status_code == 302
    assert sign_in(client_of(app, address="10.3.2.4"), name).status_code == 200  # the old one no longer works
    flush_sign_ins(site)
    changes = audit_events(site, kind="user", actor=name)
    assert [(e["action"], e["target"], e["via"]) for e in changes] == [("change_password", name, "web")]
    assert "scrypt" not in json.dumps(changes, default=str)
    checks = [e for e in audit_events(site, kind="login", actor=name) if e["action"] == "password_check_failed"]
    assert len(checks) == 1 and checks[0]["source_address"] == "10.3.2.2"


def test_a_password_soon_too_old_is_announced_under_the_menu(app, site):
    name = new_user(site)
    client = client_of(app, name, address="10.3.4.7")
    stamp = (ids.STAMP, "children")

    def under_the_menu() -> str:
        answer = post_callback(app, client, [(ids.NAV, "children"), stamp], [(ids.URL, "pathname", "/")])
        return json.dumps(returned(answer, *stamp), ensure_ascii=False)

    assert "天后到期" not in under_the_menu()  # a fresh password
    days = site.settings.password_max_age_days
    set_at = utc_now() - timedelta(days=days - 3, hours=1)
    with site.store.writer() as con:
        con.execute("UPDATE users SET password_set_at = ? WHERE user_name = ?", [set_at, name])
    assert "您的密码 3 天后到期，请及时修改" in under_the_menu()
    assert client.get("/coverage").status_code == 200  # not yet in the way


def test_a_password_older_than_its_maximum_age_is_changed_before_anything_else(app, site):
    name = new_user(site)
    client = client_of(app, name, address="10.3.4.5")  # signed in with a fresh password
    assert client.get("/coverage").status_code == 200
    old = utc_now() - timedelta(days=site.settings.password_max_age_days, minutes=1)
    with site.store.writer() as con:
        con.execute("UPDATE users SET password_set_at = ? WHERE user_name = ?", [old, name])
    # The next request of the same browser, and a new sign-in, go to the form first, saying why.
    assert client.get("/coverage").headers["Location"] == "/password?next=/coverage"
    said = client.get("/password").text
    assert f"已超过 {site.settings.password_max_age_days} 天" in said and "须先改为新密码" in said
    again = client_of(app, address="10.3.4.6")
    assert sign_in(again, name).headers["Location"] == "/password"
    nothing = [None] * len(grid_inputs(app, ids.SUBMISSIONS_GRID))
    refused = load_grid(app, again, ids.SUBMISSIONS_GRID, *nothing)
    assert refused.status_code == 403 and refused.headers["X-Change-Password"] == "/password"
    # The administrator sees it on /accounts; once changed, the user goes on.
    rows = {r["user_name"]: r for r in grid_rows(app, client_of(app, "admin"), ids.ACCOUNTS_GRID, None, None, None)}
    assert rows[name]["password_set_at"].endswith(f"（已超过 {site.settings.password_max_age_days} 天，登录时须修改）")
    changed = change_password(again, password_of(name), "Neues-Kennwort-9")
    assert changed.status_code == 302 and again.get("/coverage").status_code == 200


def test_a_password_an_administrator_set_is_changed_before_anything_else(app, site):
    from dash_app.auth import hash_password

    name = new_user(site)
    with site.store.writer() as con:  # as `users add --replace` resets it
        add_user(
            con,
            name,
            hash_password(password_of(name), name),
            "province",
            "440000",
            must_change_password=True,
            by="管理员",
        )
    client = client_of(app, address="10.3.4.1")
    signed_in = sign_in(client, name)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/password"
    form = client.get("/password").text
    assert "须先改为只有您知道的密码" in form and "返回平台" not in form  # it led back to this form; said on it
    assert "原密码（管理员告知您的初始密码）" in form  # which password is the old one
    # A refusal of what was typed keeps the reason beside it (a mismatch replaced it).
    mismatch = client.post("/password", data={"current": "x", "new": "Abcdef-12345", "repeat": "Abcdef-12346"}).text
    assert "两次输入的新密码不一致。" in mismatch and "须先改为只有您知道的密码" in mismatch
    # Whose account it is, and a way out (a probe's user, on someone else's account, had none).
    assert f"当前账号：{name}。" in form and '<a href="/logout">退出登录</a>' in form
    assert "确认退出" in client.get("/logout").text
    # Every page and download leads to the form; a callback (of a tab opened before) is refused on the server, saying
    # why, with the header assets/session.js follows to the form (the generic 403 said the account had no right).
    for path in ("/coverage", "/download/template/census", "/download/indicators-report"):
        assert client.get(path).headers["Location"] == f"/password?next={path}"  # and back to it after
    nothing = [None] * len(grid_inputs(app, ids.SUBMISSIONS_GRID))
    refused = load_grid(app, client, ids.SUBMISSIONS_GRID, *nothing)
    assert refused.status_code == 403 and refused.headers["X-Change-Password"] == "/password"
    assert "须先在修改密码页改为只有您知道的密码" in refused.text and "无权" not in refused.text
    # The page the user was going to is kept through the change (an upload's page was lost: a probe's user, signed
    # out mid-upload by a reset, came back to the form and then only to 返回平台).
    upload = "/upload?job=abc123"
    form = client.get(f"/password?next={quote(upload, safe='/')}").text
    assert '<input type="hidden" name="next" value="/upload?job=abc123">' in form
    data = {"current": password_of(name), "new": "Eigenes-Kennwort-3", "repeat": "Eigenes-Kennwort-3", "next": upload}
    done = client.post("/password", data=data)
    assert done.status_code == 302 and done.headers["Location"] == f"/password?changed=1&next={quote(upload, safe='/')}"
    changed = client.get(done.headers["Location"]).text
    assert '<a href="/upload?job=abc123">回到刚才的页面</a>' in changed and "密码已修改" in changed
    assert 'name="current"' not in changed  # the form shown again read as if it had to be filled in again
    assert '<a href="/">返回平台</a>' in client.get("/password?changed=1").text
    # Never elsewhere than this platform.
    assert "evil.example" not in client.get("/password?changed=1&next=//evil.example/x").text
    assert client.get("/coverage").status_code == 200
    assert load_grid(app, client, ids.SUBMISSIONS_GRID, *nothing).status_code == 200
    with site.store.reader() as con:
        assert get_user(con, name).must_change_password is False


@pytest.mark.parametrize("change", ["password", "role"])
def test_a_password_or_role_change_ends_earlier_sessions(app, site, change):
    from dash_app.auth import hash_password

    name = new_user(site)
    client = client_of(app, name, address="10.3.1.2")
    assert client.get("/").status_code == 200
    with site.store.writer() as con:
        if change == "password":
            add_user(con, name, hash_password("A-new-password", name), "province", "440000", by="管理员")
        else:
            add_user(con, name, hash_password(password_of(name), name), "province", "450000", by="管理员")
    ended = client.get("/coverage")
    # Told why at the sign-in form, as a page's callback is (a reload showed a bare form).
    assert ended.status_code == 302 and ended.headers["Location"] == "/login?expired=1&next=/coverage"
    assert "登录已失效" in client.get(ended.headers["Location"]).text
    assert client_of(app).get("/coverage").headers["Location"] == "/login?next=/coverage"  # never signed in: no
    fresh = client_of(app, address="10.3.1.3")
    password = "A-new-password" if change == "password" else None
    assert sign_in(fresh, name, password).status_code == 302 and fresh.get("/").status_code == 200


# --- finding 5: throttling slows strangers, not the real user; refusals cost no password check --------------------


def test_a_stranger_s_wrong_passwords_do_not_lock_the_real_user_out(app, site):
    name = new_user(site)
    real = client_of(app, name, address="10.4.0.1")  # has signed in from this browser before
    real.post("/logout")
    stranger = client_of(app, address="10.4.0.2")
    for _ in range(ACCOUNT_POLICY.free_failures + 3):
        sign_in(stranger, name, "not-the-password")
    refused = sign_in(stranger, name)  # even the right password waits, from a browser never used for the account
    assert refused.status_code == 429 and "登录尝试过于频繁" in refused.text and int(refused.headers["Retry-After"]) > 0
    # The real user, on their own browser, signs in at once.
    assert sign_in(real, name).status_code == 302 and real.get("/").status_code == 200


def test_a_throttled_attempt_is_refused_before_the_password_is_checked(app, site, monkeypatch):
    checked = []

    def counting(stored_hash: str, password: str) -> bool:
        checked.append(password)
        return check_password_hash(stored_hash, password)

    monkeypatch.setattr("dash_app.auth.check_password_hash", counting)
    name = new_user(site)
    client = client_of(app, address="10.4.1.1")
    for _ in range(ACCOUNT_POLICY.free_failures):
        assert sign_in(client, name, "not-the-password").status_code == 200
    assert len(checked) == ACCOUNT_POLICY.free_failures
    for _ in range(20):
        assert sign_in(client, name, "still-not-it").status_code == 429
    assert len(checked) == ACCOUNT_POLICY.free_failures


def test_failures_from_one_address_slow_that_address_for_every_account(app, site, monkeypatch):
    stop_throttle_clock(app, monkeypatch)
    client = client_of(app, address="10.4.2.1")
    for i in range(ADDRESS_POLICY.free_failures):
        sign_in(client, f"nobody-{i}", "not-the-password")  # one failure per name: no account is held back
    victim = new_user(site)
    assert sign_in(client, victim).status_code == 429
    assert sign_in(client_of(app, address="10.4.2.2"), victim).status_code == 302


def test_sign_ins_at_a_busy_moment_wait_for_the_password_check_rather_than_being_refused(app, site, monkeypatch):
    # Three of six users signing in at once while an upload was read were refused (503 服务器繁忙): a sign-in waited
    # at most 3 s for the one password check at a time, which the upload slowed to ~0.5–1 s each.
    throttle = app.server.extensions[LOGIN_THROTTLE]
    names = [new_user(site) for _ in range(3)]
    assert throttle.kdf_slots.acquire(timeout=30)  # the slot held 4 s, as by checks slowed under load
    threading.Timer(4.0, throttle.kdf_slots.release).start()
    with ThreadPoolExecutor(len(names)) as pool:
        clients = [client_of(app, address=f"10.4.3.{i}") for i in range(len(names))]
        answers = list(pool.map(lambda pair: sign_in(*pair).status_code, zip(clients, names, strict=True)))
    assert answers == [302] * len(names)
    # Held past the wait, a sign-in is still refused, saying why and when to try again.
    monkeypatch.setattr("dash_app.auth.KDF_WAIT_S", 0.2)
    assert throttle.kdf_slots.acquire(timeout=30)
    try:
        busy = sign_in(client_of(app, address="10.4.3.9"), new_user(site))
    finally:
        throttle.kdf_slots.release()
    assert (
        busy.status_code == 503 and busy.headers["Retry-After"] == "5" and "服务器繁忙" in busy.get_data(as_text=True)
    )


# --- finding 4: an evaluator's download holds only what the page shows them -------------------------------------


def test_an_evaluator_s_download_holds_only_their_own_sheet(app, site, assigned):
    archive = assigned[0]
    others = {r["scorer"] for r in read(site, query_scores, archive)} - {"evaluator", SELF_SOURCE}
    assert others  # other experts have scored it: the feedback report holds their individual scores
    assert any(len(i["expert_scores"]) > 1 for i in read(site, query_item_results, archive))
    # The individual experts' scores as the feedback report writes them (its 专家评分 column): national users get them.
    planner = openpyxl.load_workbook(io.BytesIO(client_of(app, "planner").get(f"/download/evaluation/{archive}").data))
    items = list(planner["分项得分"].values)
    column = items[0].index("专家评分")
    expert_scores = {str(row[column]) for row in items[1:] if row[column] is not None}
    assert expert_scores

    client = client_of(app, "evaluator")
    save(app, client, archive, {"A1.1.1": 7.5}, {})  # a draft of their own
    response = client.get(f"/download/evaluation/{archive}")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    rows = list(workbook.active.values)[EXPORT_HEADER_ROW - 1 :]
    cells = {str(c) for row in rows for c in row if c is not None}
    assert not cells & expert_scores and not cells & others  # nothing of the other experts
    assert len(workbook.sheetnames) == 1 and "本人评分表" in unquote(response.headers["Content-Disposition"])
    assert rows[0] == tuple(column.title for column in OWN_SHEET_COLUMNS)
    saved = rows[1][[column.field for column in OWN_SHEET_COLUMNS].index("saved_at")]
    when = workbook.active.cell(EXPORT_HEADER_ROW + 1, len(OWN_SHEET_COLUMNS))
    # Beijing time under a heading that says so (it said UTC), in the grid's 年月日 format.
    assert (
        rows[0][-1] == "保存时间（北京时间）" and when.number_format == 'yyyy"年"m"月"d"日" hh:mm' and saved is not None
    )
    assert workbook.active["A1"].value == f"本人评分表（{archive_label(archive)}）"
    fields = [column.field for column in OWN_SHEET_COLUMNS]
    mine = {row[0]: row[fields.index("score")] for row in rows[1:]}
    assert mine["A1.1.1"] == 7.5 and [v for code, v in mine.items() if code != "A1.1.1" and v is not None] == []
    # The archive's self-evaluation beside each item, as the form shows it: its score, verdict and evidence.
    reported = {r["item_code"]: r for r in read(site, query_scores, archive, SELF_SOURCE)}
    assert reported and {
        row[0]: tuple(row[fields.index(f)] for f in ("self_score", "self_veto", "self_evidence")) for row in rows[1:]
    } == {
        code: (
            float(r["score"]),
            None if r["veto_passed"] is None else "通过" if r["veto_passed"] else "不通过",
            r["evidence"],
        )
        if (r := reported.get(code))
        else (None, None, None)
        for code in mine
    }
    assert not {"专家评分", "专家均分", "最终得分", "评价等次", "排名"} & cells
    # Its sums and marks, as the form gives them (the download had neither): above the table, and 自评偏差 per item.
    standard = get_standard()
    items = len(standard.items)
    assert workbook.active.cell(EXPORT_HEADER_ROW - 1, 1).value == (
        f"本人评分：基本分 7.5 分（已评 1/{items} 项）＋ 加分 0.0 分；没有结论为不通过的否决项。"
        "自评偏差：该馆自评与本人评分相差超过该项满分的 20%。"
    )
    own = reported.get("A1.1.1", {}).get("score")
    far = own is not None and abs(float(own) - 7.5) > 0.2 * float(standard.items_by_code["A1.1.1"].max_points)
    marks = {row[0]: row[fields.index("deviates")] for row in rows[1:]}
    assert marks == {code: ("是" if code == "A1.1.1" and far else None) for code in marks}


def test_an_evaluator_gets_no_report_of_an_unknown_or_unassigned_archive(app, assigned):
    client = client_of(app, "evaluator")
    unknown = client.get("/download/evaluation/999999")
    assert unknown.status_code == 404 and "不是参加评价" in unknown.text
    unassigned = next(code for code in ("110000", "120000", "130000", "310000") if code not in assigned)
    refused = client.get(f"/download/evaluation/{unassigned}")
    assert refused.status_code == 403 and unassigned in refused.text
    assert client_of(app, "guangdong").get(f"/download/evaluation/{assigned[0]}").status_code == 403


# --- finding 8: unknown divisions, metrics and malformed input get 4xx in Chinese, never 500 ---------------------


@pytest.mark.parametrize("grid_id", [ids.COVERAGE_GRID, ids.COVERAGE_MISSING_GRID, ids.COVERAGE_UNREGISTERED_GRID])
@pytest.mark.parametrize("user", ["planner", "guangdong"])
def test_an_unknown_division_is_not_found(app, grid_id, user):
    response = load_grid(app, client_of(app, user), grid_id, "?division=999999")
    assert response.status_code == 404 and "不是现行的行政区划代码" in response.text


def test_an_unknown_map_metric_is_a_bad_request(app):
    response = post(
        app,
        client_of(app, "planner"),
        OVERVIEW,
        [(ids.OVERVIEW_METRIC, "value", "no-such-metric"), (ids.URL, "search", "")],
    )
    assert response.status_code == 400 and "未知的地图指标" in response.text


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ("data:application/pdf;base64,!!!not base64!!!", "格式有误"),
        ("just some text", "格式有误"),
        ("data:application/pdf;base64,cGxhaW4", "格式有误"),
    ],
)
def test_malformed_evidence_gets_a_message_and_changes_nothing(app, site, contents, message):
    finding = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[-1]["finding_id"]
    before, state = transitions(site), state_of(site, finding)
    response = act(app, client_of(app, "guangdong"), finding, "提交整改报告", evidence=contents)
    assert response.status_code == 200 and message in message_of(response) and "佐证材料" in message_of(response)
    assert (transitions(site), state_of(site, finding)) == (before, state)


FORGED = [
    (
        "a grid click that is not an object",
        [(ids.SUBMISSIONS_REVIEW_ID, "value")],
        ids.SUBMISSIONS_GRID,
        "cellClicked",
        "x",
    ),
    (
        "a page address that is not a path",
        [("_pages_content", "children"), ("_pages_store", "data")],
        "_pages_location",
        "pathname",
        "999999",
    ),
    (
        "a query string that is a number",
        [(ids.UPLOAD_FAILURES_GRID, "rowData"), (ids.grid_count(ids.UPLOAD_FAILURES_GRID), "children")],
        ids.URL,
        "search",
        12345,
    ),
]


@pytest.mark.parametrize(("what", "outputs", "component", "prop", "value"), FORGED, ids=[f[0] for f in FORGED])
def test_a_malformed_callback_request_is_a_bad_request(app, what, outputs, component, prop, value):
    key = callback_key(outputs)
    assert key in app.callback_map
    targets = [{"id": c, "property": p} for c, p in outputs]
    body = {
        "output": key,
        "outputs": targets[0] if len(targets) == 1 else targets,
        "inputs": [{"id": component, "property": prop, "value": value}],
        "state": [],
        "changedPropIds": [f"{component}.{prop}"],
    }
    response = client_of(app, "planner").post("/_dash-update-component", json=body)
    assert response.status_code == 400 and "取值类型不正确" in response.text
    assert client_of(app, "planner").post("/_dash-update-component", data="{not json").status_code == 400
    unknown = {**body, "output": "no-such-component.children"}
    assert client_of(app, "planner").post("/_dash-update-component", json=unknown).status_code == 400


# Values a forged request may put anywhere the page would put a text, a number, an object or a list.
GARBAGE = ["999999", "?division=999999&archive=999999&job=x", 12345, {"a": 1}, [1, 2]]


def _dependency(entry: dict[str, Any], value: Any) -> Any:
    if entry["id"].startswith("{"):  # a wildcard: one matching component (MATCH), or a list of one (ALL)
        pattern = json.loads(entry["id"])
        component = {**pattern, "item": "A1.1.1"}
        component = {k: ("A1.1.1" if isinstance(v, list) else v) for k, v in component.items()}
        dependency = {"id": component, "property": entry["property"], "value": value}
        return dependency if ["MATCH"] in pattern.values() else [dependency]
    return {"id": entry["id"], "property": entry["property"], "value": value}


def _output(name: str) -> Any:
    """An output as the renderer names it: a wildcard's by the matching component's own id (a list for ALL, the one
    component for MATCH); Dash answers an output that does not match the callback with a server error."""
    component, prop = name.rsplit(".", 1)
    target = {"id": component, "property": prop.split("@")[0]}
    if not component.startswith("{"):
        return target
    pattern = json.loads(component)
    target["id"] = {k: ("A1.1.1" if isinstance(v, list) else v) for k, v in pattern.items()}
    return [target] if ["ALL"] in pattern.values() else target


def callback_body(key: str, entry: dict[str, Any], inputs: list[Any], state: list[Any]) -> dict[str, Any]:
    """What the renderer POSTs for the callback registered under `key` (`entry`, its first input fired)."""
    names = [key] if not key.startswith("..") else key[2:-2].split("...")
    outputs = [_output(n) for n in names]
    return {
        "output": key,
        "outputs": outputs[0] if len(outputs) == 1 else outputs,
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{entry['inputs'][0]['id']}.{entry['inputs'][0]['property']}"],
    }


@pytest.mark.parametrize("user", ["planner", "guangdong", "evaluator", "admin"])
def test_no_callback_answers_forged_values_with_a_server_error(app, user):
    """Every callback of the app, each of its inputs and states in turn given each garbage value: a 4xx or a result,
    never HTTP 500."""
    client = client_of(app, user)
    failures = []
    for key, entry in app.callback_map.items():
        dependencies = entry["inputs"] + entry.get("state", [])
        for position, value in itertools.product(range(len(dependencies)), GARBAGE):
            values = [1 if i == 0 and position != 0 else None for i in range(len(dependencies))]
            values[position] = value
            deps = [_dependency(d, v) for d, v in zip(dependencies, values, strict=True)]
            body = callback_body(key, entry, deps[: len(entry["inputs"])], deps[len(entry["inputs"]) :])
            status = client.post("/_dash-update-component", json=body).status_code
            if status >= 500:
                failures.append((key, dependencies[position]["id"], dependencies[position]["property"], value))
    assert failures == []


def test_a_callback_request_naming_its_outputs_otherwise_than_the_renderer_is_a_bad_request(app):
    """Every server-side callback, its outputs posted as something else than the renderer sends (missing, a wildcard
    output by its pattern string, one output too few): 400 (Dash itself answered some with a server error)."""
    client = client_of(app, "planner")
    answers = {}
    for key, entry in app.callback_map.items():
        if "callback" not in entry:
            continue
        inputs = [_dependency(d, None) for d in entry["inputs"]]
        state = [_dependency(d, None) for d in entry.get("state", [])]
        body = callback_body(key, entry, inputs, state)
        names = [key] if not key.startswith("..") else key[2:-2].split("...")
        as_patterns = [{"id": n.rsplit(".", 1)[0], "property": n.rsplit(".", 1)[1].split("@")[0]} for n in names]
        forged = [None, as_patterns[0] if len(names) == 1 else as_patterns]
        if len(names) > 1:
            forged.append(body["outputs"][:-1])
        for outputs in forged:
            if outputs == body["outputs"]:  # no wildcard: the pattern string is the renderer's own id
                continue
            response = client.post("/_dash-update-component", json={**body, "outputs": outputs})
            answers[(key, json.dumps(outputs)[:60])] = (response.status_code, "输出与回调不符" in response.text)
    assert answers and {k: v for k, v in answers.items() if v != (400, True)} == {}
    assert any("MATCH" in k[1] or "ALL" in k[1] for k in answers)


def test_a_callback_request_missing_or_adding_a_value_is_a_bad_request_for_every_callback(app):
    """Every server-side callback, posted with one input or state too few or too many: 400 naming the count (it
    reached the callback as a missing or extra argument: a server error)."""
    client = client_of(app, "planner")
    answers, counted = {}, 0
    for key, entry in app.callback_map.items():
        if "callback" not in entry:  # clientside: never posted
            continue
        inputs = [_dependency(d, None) for d in entry["inputs"]]
        state = [_dependency(d, None) for d in entry.get("state", [])]
        extra = {"id": "x", "property": "value", "value": None}
        forged_state = [(inputs, state[:-1]), (inputs, [*state, extra])] if state else []
        for sent_inputs, sent_state in [(inputs[:-1], state), ([*inputs, extra], state), *forged_state]:
            response = client.post("/_dash-update-component", json=callback_body(key, entry, sent_inputs, sent_state))
            answers[(key, len(sent_inputs), len(sent_state))] = response.status_code
            counted += "值个数与回调不符" in response.text
    # A few are refused sooner, for a value of the wrong type (None where the page always sends a number).
    assert answers and {k: v for k, v in answers.items() if v != 400} == {} and counted > len(answers) * 0.9


# --- finding 8: a return holding another province's USCC does not show that province's holder name -------------


def test_the_duplicates_grid_does_not_name_another_province_s_holder(app, site, tmp_path):
    guangdong_holder = make_uscc(30_001, PROVINCE_HOLDERS["440000"][1])
    path = province_workbook(tmp_path / "gx.xlsx", CENSUS_FORM, "450000", 3, {0: {"uscc": guangdong_holder}})
    # An upload holding another scope's holder is refused now (scopes); such duplicates remain only in returns loaded
    # before scopes existed, recorded here as they were then: straight into the warehouse.
    outcome = ingest_workbook(site.store, IngestRequest(path, "census", "450000", "guangxi"), site.settings)
    assert outcome.status == "rejected" and {f.rule for f in outcome.failures} >= {"uscc_in_other_return"}
    rows = province_rows(CENSUS_FORM, "450000", 3, {0: {"uscc": guangdong_holder}})
    site.store.write(lambda con: load(con, "census", "450000", rows, content="gx-before-scopes"))
    response = load_grid(app, client_of(app, "guangxi"), ids.QUALITY_DUPLICATES_GRID, "/quality")
    rows = returned(response, ids.QUALITY_DUPLICATES_GRID, "rowData")
    mine = [r for r in rows if r["uscc"] == guangdong_holder]
    assert {r["province_code"] for r in mine} == {"440000", "450000"}
    theirs = next(r for r in mine if r["province_code"] == "440000")
    assert (theirs["unit_name"], theirs["division_code"], theirs["submission_id"], theirs["excel_row"]) == (
        None,
        None,
        None,
        None,
    )
    assert "440000单位1" not in response.text and PROVINCE_HOLDERS["440000"][0] not in response.text
    # The national view names both; Guangdong's own view names its own holder.
    national = grid_rows(app, client_of(app, "planner"), ids.QUALITY_DUPLICATES_GRID, "/quality")
    assert {r["unit_name"] for r in national if r["uscc"] == guangdong_holder} == {"440000单位1", "450000单位0"}
    guangdong = grid_rows(app, client_of(app, "guangdong"), ids.QUALITY_DUPLICATES_GRID, "/quality")
    assert {r["unit_name"] for r in guangdong if r["uscc"] == guangdong_holder} == {"440000单位1", None}
    exported = export_grid(app, client_of(app, "guangxi"), ids.QUALITY_DUPLICATES_GRID, None, "/quality")
    assert "440000单位1" not in json.dumps(returned(exported, ids.export_download(ids.QUALITY_DUPLICATES_GRID), "data"))
    # Guangxi corrects its return: Guangdong's holder is its own again (later tests upload Guangdong's holders).
    clean = province_rows(CENSUS_FORM, "450000", 3)
    site.store.write(lambda con: load(con, "census", "450000", clean, content="gx-corrected"))


# --- item 5: sign-ins, failures and throttling in the audit log; the administrators' page --------------------------


def test_sign_ins_failures_and_throttling_reach_the_audit_log_with_the_address(app, site):
    name = new_user(site)
    real = client_of(app, name, address="10.5.0.3")
    real.post("/logout")
    stranger = client_of(app, address="10.5.0.1")
    for _ in range(ACCOUNT_POLICY.free_failures + 2):  # the last two are refused unchecked: not logged one by one
        sign_in(stranger, name, "not-the-password")
    flush_sign_ins(site)
    logged = audit_events(site, kind="login", actor=name)
    actions = [(e["action"], e["source_address"]) for e in reversed(logged)]
    failures = [("login_failed", "10.5.0.1")] * ACCOUNT_POLICY.free_failures
    assert actions == [
        ("login_succeeded", "10.5.0.3"),
        ("logout", "10.5.0.3"),
        *failures,
        ("login_throttled", "10.5.0.1"),
    ]
    assert all(e["via"] == "web" and e["target"] == name for e in logged)
    assert json.loads(logged[0]["after_state"]) == {"counters": ["account"]}


def test_a_disabled_accounts_failed_sign_in_is_logged_as_that_account_not_as_an_unknown_name(app, site):
    """A probe's administrator read 用户名存在：否 for an office whose account was disabled: a lock-out looked like a
    typo or a guess. The page answers it as any refused sign-in; the log says what it was."""
    name, nobody = new_user(site), f"x{secrets.token_hex(4)}"
    with site.store.writer() as con:
        set_user_active(con, name, False, by="管理员")
    for who in (name, nobody):
        assert sign_in(client_of(app, address="10.5.0.41"), who, password_of(name)).status_code == 200
    flush_sign_ins(site)
    (disabled,) = audit_events(site, kind="login", actor=name)
    (unknown,) = audit_events(site, kind="login", actor=nobody)
    assert json.loads(disabled["after_state"]) == {
        "known_user": True,
        "account_disabled": True,
        "trusted_device": False,
    }
    assert json.loads(unknown["after_state"]) == {"known_user": False, "trusted_device": False}


def test_refused_requests_reach_the_audit_log_once_per_user_address_and_request(app, site):
    name = new_user(site)  # a provincial office of 440000
    client = client_of(app, name, address="10.5.0.21")
    client.environ_base["HTTP_REFERER"] = f"{SELF}/audit"  # the page the browser says it was on
    for _ in range(3):  # an administrator's grid, three times in a row: one line
        assert load_grid(app, client, ids.AUDIT_GRID, None, None, None, None).status_code == 403
    forged = client.post("/api/upload", headers={"Origin": EVIL}, data={"kind": "census"})
    assert forged.status_code == 403
    # Allowed requests and a password an administrator set (not a refusal of rights) add nothing.
    assert load_grid(app, client, ids.QUALITY_GRID, "/quality").status_code == 200
    flush_sign_ins(site)
    logged = sorted(audit_events(site, kind="access", actor=name), key=lambda e: e["target"])
    assert all(e["via"] == "web" and e["source_address"] == "10.5.0.21" for e in logged)
    grid = next(e for e in logged if e["target"] == "POST /_dash-update-component")
    assert grid["action"] == "access_refused"
    # What it tried, in words (it read ..audit-grid.rowData...audit-grid-count.children..).
    assert json.loads(grid["after_state"])["callback"] == "「审计日志」页面：读取表格数据"
    assert json.loads(grid["after_state"])["page"] == "审计日志"
    # Why, in words: the record named only the callback's component ids.
    assert json.loads(grid["after_state"])["refusal"] == "省级档案部门无权进行此操作（仅限系统管理员）。"
    upload_refused = next(e for e in logged if e["target"] == "POST /api/upload")
    assert upload_refused["action"] == "cross_origin_refused"
    assert json.loads(upload_refused["after_state"])["origin"] == EVIL
    assert [e["target"] for e in logged].count("POST /_dash-update-component") == 1
    # Another address of the same user is another line; the audit page names kind and action in Chinese.
    assert (
        load_grid(app, client_of(app, name, address="10.5.0.22"), ids.AUDIT_GRID, None, None, None, None).status_code
        == 403
    )
    flush_sign_ins(site)
    assert len(audit_events(site, kind="access", actor=name)) == len(logged) + 1
    rows = grid_rows(app, client_of(app, "admin"), ids.AUDIT_GRID, name, "access", None, None)
    assert {(r["kind"], r["action"]) for r in rows} >= {
        ("拒绝的访问", "无权访问被拒绝"),
        ("拒绝的访问", "跨站修改请求被拒绝"),
    }


def test_data_files_that_cannot_be_read_are_a_503_in_chinese_not_a_server_error(app, monkeypatch):
    # A lake's shared data folder unmounted under the running server: DuckDB's IOException (Cannot open file
    # "…/ducklake-….parquet") failed every figure with 500 and the overview drew empty axes, saying nothing.
    client = client_of(app, "planner")

    def unreadable(*_args, **_kwargs):
        raise duckdb.IOException('IO Error: Cannot open file "/lake/main/x/ducklake-1.parquet": No such file')

    monkeypatch.setattr(SnapshotReader, "cursor", unreadable)
    response = load_grid(app, client, ids.QUALITY_GRID, "/quality")
    assert response.status_code == 503 and "数据仓库暂时无法访问" in response.text
    # An upload posted meanwhile is told its workbook was not received, and led back to its page (刷新页面 alone
    # posted it again).
    posted = client.post("/api/upload", data={"kind": "census"}, headers={"Referer": "http://localhost/upload"})
    assert posted.status_code == 503 and "上传的工作簿）没有收到，数据没有改动。请稍后回到原页面重新提交" in posted.text
    assert '<a href="/upload">返回原页面</a>' in posted.text


def test_a_refused_request_of_someone_not_signed_in_is_logged_as_theirs_not_the_platform_s(app, site):
    forged = client_of(app, address="10.5.0.61").post("/logout", headers={"Origin": EVIL})
    assert forged.status_code == 403
    flush_sign_ins(site)
    rows = grid_rows(app, client_of(app, "admin"), ids.AUDIT_GRID, None, "access", None, None)
    (refused,) = [r for r in rows if r["target"] == "POST /logout" and r["source_address"] == "10.5.0.61"]
    assert (refused["actor"], refused["action"]) == ("未登录的访问者", "跨站修改请求被拒绝")


def test_a_refusal_a_page_says_is_kept_in_the_audit_log_in_its_words(app, site):
    # A probe's administrator forged a review and a finding's change: refused on the page (HTTP 200), unrecorded.
    name = new_user(site, role="admin", province=None)
    target = next(s for s in census_submissions(site, "450000") if s["is_current"])
    said = review(app, client_of(app, name, address="10.5.0.51"), target["submission_id"])
    assert said.status_code == 200 and "只有地级、省级档案部门和国家档案局的审核人员可以审核" in said.text
    flush_sign_ins(site)
    (logged,) = audit_events(site, kind="access", actor=name)
    assert json.loads(logged["after_state"])["refusal"] == "只有地级、省级档案部门和国家档案局的审核人员可以审核。"
    # Another role's page too (the accounts page opened by a provincial office left no record).
    office = new_user(site)
    assert "无权查看此页面" in render_page(app, client_of(app, office, address="10.5.0.52"), "/accounts").text
    flush_sign_ins(site)
    (page,) = audit_events(site, kind="access", actor=office)
    assert json.loads(page["after_state"])["refusal"] == "省级档案部门无权查看「账号」页面。"


def test_a_refusal_says_why_and_another_target_of_the_same_address_is_its_own_line(app, site):
    # A probe's second forged request on another target left no line for ten minutes, and the 403 page and the log
    # said nothing of why.
    name = new_user(site)  # Guangdong's office
    client = client_of(app, name, address="10.5.0.71")
    why = "广东省的账号只能查看本省的数据，无权查看江苏省的数据。"
    for query in ("", "?download=1", "?download=1"):
        page = client.get(f"/bulletin/320000{query}")
        assert page.status_code == 403 and why in page.text
    for who in ("planner", "admin"):  # another grid's inputs: another line each
        assert load_grid(app, client, ids.AUDIT_GRID, who, None, None, None).status_code == 403
    flush_sign_ins(site)
    logged = [json.loads(e["after_state"]) for e in audit_events(site, kind="access", actor=name)]
    assert sorted(e["request"] for e in logged if "callback" not in e) == [
        "GET /bulletin/320000",
        "GET /bulletin/320000?download=1",
    ]
    assert [e["refusal"] for e in logged].count(why) == 2
    assert [e["refusal"] for e in logged if "callback" in e] == ["省级档案部门无权进行此操作（仅限系统管理员）。"] * 2
    # An evaluator, who reads no province's figures, is told so in words too.
    expert = client_of(app, new_user(site, role="evaluator", province=None), address="10.5.0.72")
    assert "评价专家无权查看广东省的数据。" in expert.get("/bulletin/440000").text


def test_a_user_cannot_flood_the_audit_log_with_refusals_nor_write_into_it(app, site):
    name = new_user(site)  # Guangdong's office: another province's bulletin is refused it (403)
    others = [p.code for p in load_divisions().census_provinces() if p.code != "440000"]
    client = client_of(app, name, address="10.5.0.31")
    # Text the request brings is not taken for the app's: an unchecked (cross-origin) callback's output, a page
    # that is none of the app's.
    client.environ_base["HTTP_REFERER"] = f"{SELF}/accounts/approved_by_admin"
    forged = {"output": "管理员 admin 已批准此操作", "outputs": {}, "inputs": [], "changedPropIds": []}
    assert client.post("/_dash-update-component", json=forged, headers={"Origin": EVIL}).status_code == 403
    # Twenty-five different refused addresses from one user and address: twenty lines, the last saying so.
    for i in range(25):
        assert client.get(f"/bulletin/{others[i]}?x={i}").status_code == 403
    flush_sign_ins(site)
    logged = list(reversed(audit_events(site, kind="access", actor=name)))
    assert len(logged) == accounts_auth.REFUSALS_PER_SOURCE
    first = json.loads(logged[0]["after_state"])
    assert logged[0]["action"] == "cross_origin_refused" and "callback" not in first and "page" not in first
    assert json.loads(logged[1]["after_state"])["request"] == f"GET /bulletin/{others[0]}?x=0"
    assert "不再逐条记录" in json.loads(logged[-1]["after_state"])["suppressed"]
    assert all("suppressed" not in json.loads(e["after_state"]) for e in logged[:-1])
    # Another address of the same user is counted apart.
    other = client_of(app, name, address="10.5.0.32")
    assert other.get(f"/bulletin/{others[0]}").status_code == 403
    flush_sign_ins(site)
    assert len(audit_events(site, kind="access", actor=name)) == accounts_auth.REFUSALS_PER_SOURCE + 1


def test_a_name_typed_at_sign_in_cannot_forge_a_line_of_the_audit_log(app, site):
    # The name typed was logged as typed: a line break wrote a whole forged line (admin signed in) into `audit`'s
    # table, a right-to-left mark read a name reversed.
    forged = "evil\n2026年12月5日 07:40:00  admin  网页  127.0.0.1  登录  登录成功"
    stranger = client_of(app, address="10.5.0.9")
    for name in (forged, "ad\u202emin"):
        sign_in(stranger, name, "whatever")
    flush_sign_ins(site)
    logged = [e for e in audit_events(site, kind="login") if e["source_address"] == "10.5.0.9"]
    assert sorted(e["actor"] for e in logged) == [
        "ad[U+202E]min",
        "evil[U+000A]2026年12月5日 07:40:00  admin  网页  127.0.0.1  登录  登录成功"[:64],
    ]
    assert all("\n" not in e["target"] and "\u202e" not in e["target"] for e in logged)
    table = format_table(["操作人"], [["evil\n伪造的一行"], ["ad\u202emin"]])
    assert table.splitlines()[2:] == ["evil[U+000A]伪造的一行", "ad[U+202E]min"]


def test_a_web_review_and_upload_are_logged_with_the_remote_address(app, site, tmp_path):
    target = next(s for s in census_submissions(site, "450000") if s["is_current"] and s["review_state"] == "待审核")
    planner = client_of(app, "planner", address="10.5.1.1")
    message = returned(review(app, planner, target["submission_id"]), ids.SUBMISSIONS_REVIEW_RESULT, "children")
    assert (
        message
        == f"已通过广西壮族自治区（省级）的普查表（{target['submission_id']}）：待国家局审核 → 已审核，审核完成。"
    )
    [event] = audit_events(site, kind="review", actor="planner")[:1]
    assert (event["target"], event["via"], event["source_address"]) == (target["submission_id"], "web", "10.5.1.1")
    province = client_of(app, "guangdong", address="10.5.1.2")
    edited = {1: {"remarks": "审计上传"}}  # Guangdong's three holders again: no shrink to confirm
    response = upload(province, province_workbook(tmp_path / "c.xlsx", CENSUS_FORM, "440000", 3, edited))
    wait_for_job(app, province, response.headers["Location"].split("=", 1)[1])
    submitted = audit_events(site, kind="submission", actor="guangdong")[0]
    assert (submitted["via"], submitted["source_address"], submitted["action"]) == ("web", "10.5.1.2", "accepted")


def test_the_audit_page_is_for_administrators_and_exports_what_it_shows(app, site):
    assert load_grid(app, client_of(app, "planner"), ids.AUDIT_GRID, None, None, None, None).status_code == 403
    admin = client_of(app, "admin", address="10.5.2.1")
    rows = grid_rows(app, admin, ids.AUDIT_GRID, None, "login", None, None)
    mine = [r for r in rows if r["actor"] == "admin" and r["action"] == "登录成功"]
    assert mine and mine[0]["source_address"] == "10.5.2.1" and mine[0]["kind"] == "登录" and mine[0]["via"] == "网页"
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}:\d{2}", mine[0]["occurred_at"])  # Beijing time
    by_planner = grid_rows(app, admin, ids.AUDIT_GRID, "planner", None, None, None)
    assert by_planner and {r["actor"] for r in by_planner} == {"planner"}
    assert grid_rows(app, admin, ids.AUDIT_GRID, None, None, "2000-01-01", "2000-01-02") == []
    # Dates picked the wrong way round list nothing, and the page says why under its filters (not an HTTP 400 the
    # page never shows, with the last rows left on screen).
    assert grid_rows(app, admin, ids.AUDIT_GRID, None, None, "2026-12-03", "2026-12-02") == []

    def range_note(client, since, until, actor=None):
        inputs = [
            (ids.AUDIT_SINCE, "value", since),
            (ids.AUDIT_UNTIL, "value", until),
            (ids.AUDIT_ACTOR, "value", actor),
        ]
        return post_callback(app, client, [(ids.AUDIT_RANGE_NOTE, "children")], inputs)

    said = returned(range_note(admin, "2026-12-03", "2026-12-02"), ids.AUDIT_RANGE_NOTE, "children")
    assert said == "截止日期（2026年12月2日）早于起始日期（2026年12月3日），没有符合的事件：请检查日期范围。"
    assert returned(range_note(admin, "2026-12-02", "2026-12-02"), ids.AUDIT_RANGE_NOTE, "children") == ""
    # A name searched that is no one's in the log says so, and names those that contain it (a probe searched Admin:
    # 没有数据, nothing more).
    said = returned(range_note(admin, None, None, "Admin"), ids.AUDIT_RANGE_NOTE, "children")
    assert said.startswith("审计日志中没有操作人为「Admin」的记录（操作人须与用户名或姓名完全一致）；相近的操作人：")
    assert "「admin」" in said
    assert returned(range_note(admin, None, None, "admin"), ids.AUDIT_RANGE_NOTE, "children") == ""
    assert range_note(client_of(app, "planner"), "2026-12-03", "2026-12-02").status_code == 403
    bad = load_grid(app, admin, ids.AUDIT_GRID, None, "nonsense", None, None)
    assert bad.status_code == 400 and "未知的审计事件类别" in bad.text
    exported = export_grid(app, admin, ids.AUDIT_GRID, rows[:3], None, "login", None, None)
    data = returned(exported, ids.export_download(ids.AUDIT_GRID), "data")
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"]))).active
    # The three rows the grid held (fewer when fewer sign-ins are logged yet, as when this test runs alone).
    assert (
        sheet.max_row == EXPORT_HEADER_ROW + len(rows[:3])
        and sheet.cell(EXPORT_HEADER_ROW, 1).value == "时间（北京时间）"
    )
    # A filtered export says it is a partial extract, and with which filters (it read 审计日志（全国）).
    assert sheet.cell(1, 1).value == "审计日志（筛选结果）"
    # Fewer rows than the grid loaded (its column filters) say so first (the log grows with each sign-in meanwhile).
    partial = r"按表格的列筛选导出：共 [\d,]+ 条中的 3 条。" if len(rows) > 3 else ""
    noted = sheet.cell(EXPORT_HEADER_ROW - 1, 1).value
    assert re.fullmatch(f"{partial}筛选条件：类别 登录（只含符合条件的事件）", noted), noted
    filtered = export_grid(app, admin, ids.AUDIT_GRID, None, "admin", "login", "2026-12-02", None)
    content = returned(filtered, ids.export_download(ids.AUDIT_GRID), "data")["content"]
    note = openpyxl.load_workbook(io.BytesIO(base64.b64decode(content))).active.cell(EXPORT_HEADER_ROW - 1, 1).value
    assert note == "筛选条件：操作人「admin」；类别 登录；自 2026年12月2日（只含符合条件的事件）"
    assert export_grid(app, client_of(app, "planner"), ids.AUDIT_GRID, None, None, None, None, None).status_code == 403


def open_event(app, client, event_id: Any):
    """The audit page's callback for a clicked row (AG Grid's cellClicked carries the row's id)."""
    cell = {"rowId": event_id, "colId": "action", "rowIndex": 0, "value": "x"}
    return post_callback(app, client, [(ids.AUDIT_DETAIL, "children")], [(ids.AUDIT_GRID, "cellClicked", cell)])


def test_a_clicked_audit_event_shows_its_states_item_by_item_to_administrators_only(app, site):
    admin = client_of(app, "admin")
    rows = grid_rows(app, admin, ids.AUDIT_GRID, None, "user", None, None)
    created = next(r for r in rows if r["action"] == "新建" and r["after_state"])
    detail = returned(open_event(app, admin, created["event_id"]), ids.AUDIT_DETAIL, "children")
    shown = json.dumps(detail, ensure_ascii=False)
    # Each item of the state on a line of its own, as the grid's one line joins them; the event's facts beside.
    items = created["after_state"].split("；")
    assert len(items) > 1 and all(f'"{item}"' in shown for item in items)
    assert created["target"] in shown and "变更前" in shown and "变更后" in shown
    gone = returned(open_event(app, admin, "0" * 32), ids.AUDIT_DETAIL, "children")
    assert "已不在日志中" in json.dumps(gone, ensure_ascii=False)
    assert open_event(app, admin, {"$ne": ""}).status_code == 400
    assert open_event(app, admin, "x" * 65).status_code == 400
    for user in ("planner", "guangdong", "evaluator"):
        assert open_event(app, client_of(app, user), created["event_id"]).status_code == 403


def test_the_audit_page_renders_for_administrators_only(app):
    assert audit in PAGES
    assert ids.AUDIT_GRID in render_page(app, client_of(app, "admin"), audit.PATH).text
    refused = render_page(app, client_of(app, "planner"), audit.PATH)
    assert ids.PAGE_REFUSED in refused.text and ids.AUDIT_GRID not in refused.text


def test_the_audit_page_keeps_its_filters_in_the_address(app):
    # Its filters were lost on every reload and could not be sent as a link (the README says a link reproduces a view).
    admin = client_of(app, "admin")
    filters = (ids.AUDIT_ACTOR, ids.AUDIT_KIND, ids.AUDIT_SINCE, ids.AUDIT_UNTIL)
    opened = opened_filters(app, admin, audit.PATH, "?by=李华&kind=review&since=2025-01-01&until=30.2.2025", filters)
    assert opened == {
        ids.AUDIT_ACTOR: "李华",
        ids.AUDIT_KIND: "review",
        ids.AUDIT_SINCE: "2025-01-01",
        ids.AUDIT_UNTIL: None,
    }
    chosen = dict(zip(filters, (" 李华 ", "review", "2025-01-01", None), strict=True))
    written = post_filters(app, admin, chosen)
    assert returned(written, ids.PAGE_URL, "search") == "?by=%E6%9D%8E%E5%8D%8E&kind=review&since=2025-01-01"
    assert post_filters(app, client_of(app, "planner"), chosen).status_code == 403


def test_the_accounts_page_keeps_its_filters_in_the_address(app):
    admin = client_of(app, "admin")
    filters = (ids.ACCOUNTS_ROLE, ids.ACCOUNTS_STATE)
    opened = opened_filters(app, admin, accounts.PATH, "?role=planner&state=nonsense", filters)
    assert opened == {ids.ACCOUNTS_ROLE: "planner", ids.ACCOUNTS_STATE: None}  # an unknown state is no filter
    written = post_filters(app, admin, {ids.ACCOUNTS_ROLE: "province", ids.ACCOUNTS_STATE: "disabled"})
    assert returned(written, ids.PAGE_URL, "search") == "?role=province&state=disabled"


def opened_filters(app, client, path: str, search: str, filters: tuple[str, ...]) -> dict[str, Any]:
    """The values a page opened at an address gives its filter fields."""
    page = render_page(app, client, path, search).json
    return {c["props"]["id"]: c["props"].get("value") for c in components_in(page) if c["props"].get("id") in filters}


def post_filters(app, client, values: dict[str, Any]):
    """POST the callback that writes a page's filters (`values`, by field, in the callback's order) to the address.
    Several pages write the address (allow_duplicate): this page's is the one its first filter fires."""
    first = next(iter(values))
    key = next(
        k for k, entry in app.callback_map.items()
        if k.startswith(f"{ids.PAGE_URL}.search") and entry["inputs"][0]["id"] == first
    )  # fmt: skip
    body = {
        "output": key,
        "outputs": {"id": ids.PAGE_URL, "property": "search"},
        "inputs": [{"id": field, "property": "value", "value": value} for field, value in values.items()],
        "changedPropIds": [f"{first}.value"],
    }
    return client.post("/_dash-update-component", json=body)


def components_in(tree: Any) -> list[dict[str, Any]]:
    """Every component of a rendered layout (as JSON), depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        if "props" in tree:
            found.append(tree)
        for value in (tree.get("props") or tree).values():
            found += components_in(value)
    elif isinstance(tree, list):
        for child in tree:
            found += components_in(child)
    return found


def test_the_accounts_page_lists_every_account_with_its_last_sign_in_to_administrators_only(app, site):
    name = new_user(site)
    client_of(app, name, address="10.5.3.1")  # signed in: its sign-in may still be on its way to the log
    for user in ("planner", "guangdong", "evaluator"):
        assert load_grid(app, client_of(app, user), ids.ACCOUNTS_GRID, None, None, None).status_code == 403
        refused = render_page(app, client_of(app, user), accounts.PATH)
        assert ids.PAGE_REFUSED in refused.text and ids.ACCOUNTS_GRID not in refused.text
    admin = client_of(app, "admin")
    rows = {r["user_name"]: r for r in grid_rows(app, admin, ids.ACCOUNTS_GRID, None, None, None)}
    assert {n for n, _, _ in USERS} | {name} <= set(rows)
    assert (rows[name]["role"], rows[name]["province"], rows[name]["state"]) == ("省级档案部门", "广东省", "启用")
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", rows[name]["last_sign_in"])
    assert rows["evaluator"]["province"] == "分派的档案馆" and rows["planner"]["province"] == "全国"
    assert rows["evaluator"]["assigned_archives"] >= 1 and rows["planner"]["assigned_archives"] is None
    assert "password_hash" not in json.dumps(rows) and "scrypt" not in json.dumps(rows)
    evaluators = grid_rows(app, admin, ids.ACCOUNTS_GRID, "evaluator", None, None)
    assert evaluators and {r["role"] for r in evaluators} == {"评价专家"}
    with site.store.writer() as con:
        set_user_active(con, name, False, by="管理员")
    disabled = grid_rows(app, admin, ids.ACCOUNTS_GRID, None, "disabled", None)
    assert name in {r["user_name"] for r in disabled} and {r["state"] for r in disabled} == {"已停用"}
    assert load_grid(app, admin, ids.ACCOUNTS_GRID, "root", None, None).status_code == 400


def change_account(
    app,
    client,
    button: str,
    name: str | None,
    role: str | None = None,
    province: str | None = None,
    scope: str | None = None,
    full_name: str | None = None,
):
    """Press one of the accounts form's buttons with these values, as the page does."""
    body = {
        "output": callback_key([(ids.ACCOUNTS_RESULT, "children")]),
        "outputs": {"id": ids.ACCOUNTS_RESULT, "property": "children"},
        "inputs": [{"id": b, "property": "n_clicks", "value": 1 if b == button else None} for b in accounts.BUTTONS],
        "state": [
            {"id": ids.ACCOUNTS_NAME, "property": "value", "value": name},
            {"id": ids.ACCOUNTS_NEW_ROLE, "property": "value", "value": role},
            {"id": ids.ACCOUNTS_NEW_PROVINCE, "property": "value", "value": province},
            {"id": ids.ACCOUNTS_NEW_SCOPE, "property": "value", "value": scope},
            {"id": ids.ACCOUNTS_FULL_NAME, "property": "value", "value": full_name},
        ],
        "changedPropIds": [f"{button}.n_clicks"],
    }
    return client.post("/_dash-update-component", json=body)


def account_preview(app, client, name: str, role=None, province=None, scope=None, full_name=None):
    return post_callback(
        app,
        client,
        [(ids.ACCOUNTS_PREVIEW, "children")],
        [
            (ids.ACCOUNTS_NAME, "value", name),
            (ids.ACCOUNTS_RESULT, "children", None),
            (ids.ACCOUNTS_NEW_ROLE, "value", role),
            (ids.ACCOUNTS_NEW_PROVINCE, "value", province),
            (ids.ACCOUNTS_NEW_SCOPE, "value", scope),
            (ids.ACCOUNTS_FULL_NAME, "value", full_name),
        ],
    )


def test_an_administrator_creates_resets_disables_and_enables_accounts_on_the_web(app, site):
    name = f"web{secrets.token_hex(3)}"
    for user in ("planner", "guangdong", "evaluator"):  # refused on the server, whatever the page shows
        assert change_account(app, client_of(app, user), ids.ACCOUNTS_CREATE, name, "planner").status_code == 403
        assert account_preview(app, client_of(app, user), name).status_code == 403
    admin = client_of(app, "admin", address="10.5.4.1")
    said = returned(account_preview(app, admin, name), ids.ACCOUNTS_PREVIEW, "children")
    assert said.startswith(f"没有账号「{name}」，可以新建：请选择新账号的角色（")
    # The preview follows the role, scope and name chosen: what 新建账号 would create, or what is still to choose.
    unplaced = returned(account_preview(app, admin, name, "province"), ids.ACCOUNTS_PREVIEW, "children")
    assert unplaced.startswith(f"没有账号「{name}」，可以新建：请选择省级档案部门账号所属的省份（")
    placed = returned(
        account_preview(app, admin, name, "province", "440000", "440100", " 张三 "), ids.ACCOUNTS_PREVIEW, "children"
    )
    assert placed == (
        f"没有账号「{name}」：点“新建账号”将新建省级档案部门（广东省）的账号，姓名「张三」，"
        "并生成初始密码（只显示一次；本人首次登录须先改掉）。"
    )
    existing = returned(account_preview(app, admin, "guangdong", "evaluator"), ids.ACCOUNTS_PREVIEW, "children")
    assert existing.endswith("所选角色（评价专家）只用于新建账号，不改变这个账号的角色。")
    assert account_preview(app, admin, name, "superuser").status_code == 400
    # A name the button would refuse is said to be refused before it is pressed (a probe was told to go on).
    spaced = returned(account_preview(app, admin, "张 三"), ids.ACCOUNTS_PREVIEW, "children")
    assert spaced.startswith("没有账号「张 三」，也不能以此名新建：用户名「张 三」含有空格：")
    look_alike = returned(account_preview(app, admin, "ｐｌａｎｎｅｒ"), ids.ACCOUNTS_PREVIEW, "children")
    assert (
        look_alike
        == "没有账号「ｐｌａｎｎｅｒ」，但它与已有账号「planner」看起来相同，不能新建；要变更那个账号请用原名。"
    )
    # A provincial office needs its province; a role the form does not offer is refused.
    for role, province, refusal in (
        (None, None, "请选择新账号的角色。"),
        ("province", None, "请选择省级档案部门账号所属的省份。"),
        ("root", None, "未知角色"),
        ("province", "999999", "999999"),
    ):
        answer = returned(
            change_account(app, admin, ids.ACCOUNTS_CREATE, name, role, province), ids.ACCOUNTS_RESULT, "children"
        )
        assert refusal in answer
    with site.store.reader() as con:
        assert get_user(con, name) is None
    created = returned(
        change_account(app, admin, ids.ACCOUNTS_CREATE, f" {name} ", "province", "440000", None, " 李华 "),
        ids.ACCOUNTS_RESULT,
        "children",
    )
    assert created.startswith(f"已创建账号「{name}」（李华）：省级档案部门（广东省）。初始密码：")
    listed = grid_rows(app, admin, ids.ACCOUNTS_GRID, None, None, None)
    assert next(r["full_name"] for r in listed if r["user_name"] == name) == "李华"
    # A reset keeps the name whatever the field holds (a probe's field still held the last account's: the reset gave
    # it to the wrong person); 修改姓名 changes the name alone, or clears it, the password and sessions untouched.
    with site.store.reader() as con:
        password_before = get_user(con, name).password_hash
    rename = [(ids.ACCOUNTS_RENAME, " 李 华 "), (ids.ACCOUNTS_RENAME, "李 华"), (ids.ACCOUNTS_RENAME, "")]
    said = [
        returned(change_account(app, admin, button, name, None, None, None, person), ids.ACCOUNTS_RESULT, "children")
        for button, person in rename
    ]
    assert said == [
        f"已将账号「{name}」的姓名由「李华」改为「李 华」；密码和已登录的会话不变。",
        f"账号「{name}」的姓名本来就是「李 华」，未做任何改动。",
        f"已清除账号「{name}」的姓名（原为「李 华」）。",
    ]
    with site.store.reader() as con:
        assert (get_user(con, name).full_name, get_user(con, name).password_hash) == (None, password_before)
    assert "已将账号" in returned(
        change_account(app, admin, ids.ACCOUNTS_RENAME, name, None, None, None, "李华"), ids.ACCOUNTS_RESULT, "children"
    )
    first = re.search(r"初始密码：(\S+?)（", created).group(1)
    with site.store.reader() as con:
        record = get_user(con, name)
    assert (record.role, record.province_code, record.must_change_password) == ("province", "440000", True)
    signed_in = sign_in(client_of(app, address="10.5.4.2"), name, first)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/password"
    # Created again: refused, nothing changed; the preview says what the buttons would do.
    again = returned(change_account(app, admin, ids.ACCOUNTS_CREATE, name, "planner"), ids.ACCOUNTS_RESULT, "children")
    assert again.startswith(f"已有账号「{name}」：省级档案部门（广东省）。本次未做任何处理，")
    said = returned(account_preview(app, admin, name), ids.ACCOUNTS_PREVIEW, "children")
    assert "已登录的会话立即失效" in said and "停用后不能登录" in said
    # A reset: the signed-in browser of the account is signed out, the old password no longer works.
    user = client_of(app, address="10.5.4.3")
    assert sign_in(user, name, first).status_code == 302
    # The name field still holding another account's name changes nothing of this one's.
    reset = change_account(app, admin, ids.ACCOUNTS_RESET, name, None, None, None, "韩梅梅")
    reset = returned(reset, ids.ACCOUNTS_RESULT, "children")
    second = re.search(r"初始密码：(\S+?)（", reset).group(1)
    assert reset.startswith(f"已重设账号「{name}」：省级档案部门（广东省）。") and second != first
    with site.store.reader() as con:
        assert get_user(con, name).full_name == "李华"
    assert user.get("/password").status_code == 302
    assert sign_in(client_of(app, address="10.5.4.4"), name, first).status_code == 200  # the form again
    # Disabled: signed out at once, cannot sign in; enabled again: the password of the reset works.
    user = client_of(app, address="10.5.4.5")
    assert sign_in(user, name, second).status_code == 302
    disabled = returned(change_account(app, admin, ids.ACCOUNTS_DISABLE, name), ids.ACCOUNTS_RESULT, "children")
    assert disabled == f"已停用账号「{name}」。其已登录的会话已失效，历史记录保留。"
    assert user.get("/password").status_code == 302
    assert sign_in(client_of(app, address="10.5.4.6"), name, second).status_code == 200
    assert "重新启用" in returned(account_preview(app, admin, name), ids.ACCOUNTS_PREVIEW, "children")
    enabled = returned(change_account(app, admin, ids.ACCOUNTS_ENABLE, name), ids.ACCOUNTS_RESULT, "children")
    assert enabled == f"已启用账号「{name}」。"
    # The administrator's own account is not reset or disabled here (they would be signed out before seeing it).
    for button in (ids.ACCOUNTS_RESET, ids.ACCOUNTS_DISABLE):
        own = returned(change_account(app, admin, button, "admin"), ids.ACCOUNTS_RESULT, "children")
        assert own.startswith("「admin」是您自己的账号，未做任何处理：修改自己的密码请用右上角的“修改密码”")
    said = returned(account_preview(app, admin, "admin"), ids.ACCOUNTS_PREVIEW, "children")
    assert said.startswith("「admin」是您自己的账号")
    assert load_grid(app, admin, ids.ACCOUNTS_GRID, None, None, None).status_code == 200  # still signed in
    assert sign_in(client_of(app, address="10.5.4.7"), name, second).status_code == 302
    # Each change is in the audit log under the administrator, from the web.
    logged = reversed(audit_events(site, kind="user", actor="admin"))
    changes = [(e["action"], e["actor"], e["via"]) for e in logged if e["target"] == name]
    done = ("create", "rename", "rename", "rename", "reset_password", "disable", "enable")
    assert changes == [(a, "admin", "web") for a in done]


def test_an_administrator_creates_the_accounts_of_a_prefecture_county_and_central_channel_on_the_web(site):
    # The form offered a province alone: a prefecture's, county's or central channel's office had no account.
    app, admin = site.app, client_of(site.app, "admin")

    def options(role, province):
        response = post_callback(
            app,
            admin,
            [(ids.ACCOUNTS_NEW_SCOPE, "options"), (ids.ACCOUNTS_NEW_SCOPE, "value")],
            [(ids.ACCOUNTS_NEW_ROLE, "value", role), (ids.ACCOUNTS_NEW_PROVINCE, "value", province)],
        )
        return [o["value"] for o in returned(response, ids.ACCOUNTS_NEW_SCOPE, "options")]

    assert "440100" in options("prefecture", "440000") and "440106" not in options("prefecture", "440000")
    assert "440106" in options("county", "440000") and "440100" not in options("county", "440000")
    assert options("central", None) == ["organs", "enterprises", "archives"] and options("planner", "440000") == []
    guarded = post_callback(
        app,
        client_of(app, "guangdong"),
        [(ids.ACCOUNTS_NEW_SCOPE, "options"), (ids.ACCOUNTS_NEW_SCOPE, "value")],
        [(ids.ACCOUNTS_NEW_ROLE, "value", "county"), (ids.ACCOUNTS_NEW_PROVINCE, "value", "440000")],
    )
    assert guarded.status_code == 403

    def create(name, role, province, scope):
        answer = change_account(app, admin, ids.ACCOUNTS_CREATE, name, role, province, scope)
        return returned(answer, ids.ACCOUNTS_RESULT, "children")

    county, central = f"th{secrets.token_hex(3)}", f"yq{secrets.token_hex(3)}"
    assert create(county, "county", "440000", None) == "请选择县级档案部门账号所属的县级区划（“所属范围”）。"
    assert "是地级区划，不能作为县级档案部门的账号范围" in create(county, "county", "440000", "440100")
    assert "不在所指定的广西壮族自治区（450000）境内" in create(county, "county", "450000", "440106")
    assert create(county, "county", "440000", "440106").startswith(
        f"已创建账号「{county}」：县级档案部门（广东省广州市天河区）。初始密码："
    )
    assert create(central, "central", None, "enterprises").startswith(
        f"已创建账号「{central}」：中央单位报送渠道（中央企业）。初始密码："
    )
    rows = {row["user_name"]: row for row in grid_rows(app, admin, ids.ACCOUNTS_GRID, None, None, None)}
    assert (rows[county]["province"], rows[central]["province"]) == ("广东省广州市天河区", "中央企业")
    # A reset keeps the account's scope.
    reset = returned(change_account(app, admin, ids.ACCOUNTS_RESET, county), ids.ACCOUNTS_RESULT, "children")
    assert reset.startswith(f"已重设账号「{county}」：县级档案部门（广东省广州市天河区）。")
    with site.store.reader() as con:
        assert get_user(con, county).scope.label == "广东省广州市天河区（县级）"


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(site, monkeypatch, open_app):
    def failures(app, proxy: str, clients: list[str]) -> None:
        for i, client in enumerate(clients):
            sign_in(with_headers(client_of(app, address=proxy), {"X-Forwarded-For": client}), f"nobody-{i}", "wrong")

    victim = new_user(site)
    # Directly reached (the default), the header is anyone's to write: it is ignored, the address is the peer's.
    direct = site.app
    stop_throttle_clock(direct, monkeypatch)
    failures(direct, "10.7.1.1", [f"10.8.0.{i}" for i in range(ADDRESS_POLICY.free_failures)])
    assert (
        sign_in(
            with_headers(client_of(direct, address="10.7.1.1"), {"X-Forwarded-For": "10.8.1.1"}), victim
        ).status_code
        == 429
    )
    # Behind one proxy, each client is counted on its own address.
    monkeypatch.setenv(PROXY_HOPS_ENV, "1")
    proxied = open_app(site.settings)
    stop_throttle_clock(proxied, monkeypatch)
    failures(proxied, "10.7.2.1", ["10.9.0.1"] * ADDRESS_POLICY.free_failures)
    blocked = with_headers(client_of(proxied, address="10.7.2.1"), {"X-Forwarded-For": "10.9.0.1"})
    assert sign_in(blocked, victim).status_code == 429
    other = with_headers(client_of(proxied, address="10.7.2.1"), {"X-Forwarded-For": "10.9.0.2"})
    assert sign_in(other, victim).status_code == 302


NO_NAMES = NamesInTime({}, {})


def test_the_audit_page_shows_recorded_states_with_names_not_codes():
    row = {
        "event_id": "e",
        "occurred_at": datetime(2026, 11, 30, 8, 0, 5),
        "actor": "admin",
        "via": "command",
        "source_address": "root@host",
        "kind": "user",
        "action": "change",
        "target": "planner",
        "reason": None,
        "before_state": json.dumps({"role": "province", "province_code": "440000", "is_active": True}),
        "after_state": json.dumps({"role": "planner", "province_code": None, "password_changed": False}),
    }
    shown = audit.shown_row(row, NO_NAMES)
    assert shown["occurred_at"] == "2026年11月30日 16:00:05" and shown["target"] == "「planner」"
    assert shown["actor"] == "admin"
    # The actor by their person's name where the account has one; a rename's state by 姓名, not full_name.
    renamed = {**row, "action": "rename", "before_state": json.dumps({"full_name": "李华"}), "after_state": None}
    shown_renamed = audit.shown_row(renamed, NamesInTime({"admin": "周平"}, {}))
    assert (shown_renamed["actor"], shown_renamed["before_state"]) == ("周平（admin）", "姓名：李华")
    assert shown["before_state"] == "角色：省级档案部门；省份：广东省；启用：是"
    assert shown["after_state"] == "角色：国家档案局规划人员；省份：无；修改了密码：否"
    assigned = audit.shown_row({**row, "kind": "assignment", "action": "assign", "target": "440000"}, NO_NAMES)
    assert assigned["target"] == "广东省档案馆（440000）" and assigned["action"] == "分配"
    # What dash_app.auth records of a failed and a throttled sign-in.
    failed = audit.shown_row(
        {
            **row,
            "kind": "login",
            "action": "login_failed",
            "before_state": None,
            "after_state": json.dumps({"known_user": True, "trusted_device": False}),
        },
        NO_NAMES,
    )
    assert failed["after_state"] == "用户名存在：是；受信任的设备：否"
    throttled = audit.shown_row(
        {
            **row,
            "kind": "login",
            "action": "login_throttled",
            "before_state": None,
            "after_state": json.dumps({"counters": ["address", "account"]}),
        },
        NO_NAMES,
    )
    assert throttled["after_state"] == "开始限制的计数：来源地址、账号"


def test_a_generated_password_keeps_the_rule_and_has_no_characters_read_as_others():
    # Handed over on paper or read off the screen: 0/O, 1/l/I and -/_ were mistyped (5svAFr95AnDI, yYM12O5W1577).
    passwords = [strong_password("someone") for _ in range(300)]
    assert all(len(p) == 12 and password_weakness(p, "someone") is None for p in passwords)
    assert not set("".join(passwords)) & set("0Oo1lI-_")
    assert len(set(passwords)) == len(passwords)


def test_a_password_longer_than_the_limit_is_refused_and_a_sign_in_hashes_at_most_one_character_more(
    app, site, monkeypatch
):
    # A 50 MB password held the one hashing slot for about a second: hashing costs time with its length.
    assert password_weakness("Aa1!" * (MAX_PASSWORD_CHARS // 4), "someone") is None
    assert password_weakness("Aa1!" * (MAX_PASSWORD_CHARS // 4) + "x", "someone") == (
        f"密码最多 {MAX_PASSWORD_CHARS} 个字符，这个有 {MAX_PASSWORD_CHARS + 1} 个。"
    )
    hashed: list[int] = []

    def measuring(stored_hash: str, password: str) -> bool:
        hashed.append(len(password))
        return check_password_hash(stored_hash, password)

    monkeypatch.setattr("dash_app.auth.check_password_hash", measuring)
    name = new_user(site)
    response = sign_in(client_of(app, address="10.4.1.2"), name, "x" * 400_000)
    assert response.status_code == 200 and hashed == [MAX_PASSWORD_CHARS + 1]
