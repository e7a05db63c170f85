"""`/data-docs/<submission_id>/`: a submission's GX Data Docs, for the roles that see it on /submissions.

The site is built from the GX results the validation kept the first time someone opens it (about a second), or
just after a web upload's answer by the upload worker; later requests serve the files as they are.

GX's pages run inline scripts and jQuery, Bootstrap and bootstrap-table (local copies: `checks.data_docs_offline`),
and show values taken from the uploaded workbook: they must not run with the app's origin and the user's session. So
the signed-in route only checks who may see the submission and redirects into a *sandboxed* copy of the site:
`/data-docs/<id>/~<token>/...`, where a short-lived signed token (user, submission, and the hash of the session that
made it: the link dies with the session) replaces the session cookie, and every response carries
`Content-Security-Policy: sandbox allow-scripts ...`. The browser gives such a page an opaque origin: its scripts
cannot read the app's pages, send the session cookie (SameSite=Strict) or pass the cross-origin check of a state
change (Origin: null); the policy lets it load nothing from any other host.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import flask
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from census_schema.fields import shown_file_name
from census_schema.forms import KIND_LABELS, SUBMISSION_STATUS_LABELS
from census_schema.roles import Role
from census_schema.settings import Settings
from dash_app.access import SUBMISSION_ROLES, Viewer, current_viewer, find_visible_submission, require_role
from dash_app.formatting import format_datetime
from dash_app.reader import SnapshotReader
from dash_app.webstate import SessionStore, session_hash
from flows.data_docs import EXCEL_ROW_COLUMN, INDEX, ensure_data_docs, no_data_docs, submission_data_docs_dir
from warehouse.users import get_user

TOKEN_MAX_AGE_S = 3600
EXPIRED = "链接已失效（已超过一小时，或已退出登录），请从“提交记录”页面重新打开。"
# Paths of the sandboxed site: the guard lets them through without a session, the route checks the token.
TOKEN_PATH = re.compile(r"^/data-docs/[^/]+/~[A-Za-z0-9_.\-]+/")
SANDBOX_POLICY = "; ".join(
    [
        # No allow-same-origin: an opaque origin. No allow-forms, allow-top-navigation or allow-modals.
        "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox",
        "default-src 'none'",
        # The pages load their scripts, styles, fonts and logo from the site's own static folder (checks.
        # data_docs_offline): nothing from elsewhere.
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


BANNER_STYLE = (
    "background:#fff7e6;border-bottom:1px solid #e0b252;padding:8px 16px;font-size:14px;line-height:1.6;"
    "font-family:'WenQuanYi Micro Hei','Microsoft YaHei',sans-serif;color:#3e2c00"
)


def describe_data_docs(submission: Mapping[str, Any]) -> str:
    """Whose validation a Data Docs page shows, and how it differs from the platform's own error list (a probe took
    its English, its UTC times and its nulls for the platform's findings)."""
    status = SUBMISSION_STATUS_LABELS.get(submission["status"], submission["status"])
    scope = submission.get("scope_name") or submission.get("province_code") or "全国"
    return (
        f"提交 {submission['submission_id']}（{scope}{KIND_LABELS.get(submission['kind'], submission['kind'])}，"
        f"文件「{shown_file_name(submission['file_name'])}」，上传于 {format_datetime(submission['submitted_at'])}"
        f"（北京时间），{status}）的 Great Expectations 校验详情。本页由 Great Expectations 生成：英文，时间为 UTC，"
        f"列名为字段名，{EXCEL_ROW_COLUMN} 为 Excel 行号。单元格读不成数值或日期的，本页显示为空值（null）；"
        "部分检查不在本页（如统一社会信用代码的校验位、与名录和其他报表的比对）。错误和警告以平台的错误清单和标注的报表为准。"
    )


def with_banner(page: str, submission: Mapping[str, Any]) -> str:
    """A Data Docs page with `describe_data_docs` above its content (escaped: the file name is the uploader's)."""
    banner = f'<div role="note" lang="zh-CN" style="{BANNER_STYLE}">{html.escape(describe_data_docs(submission))}</div>'
    opened = re.search(r"<body\b[^>]*>", page)
    return page[: opened.end()] + banner + page[opened.end() :] if opened else banner + page


def data_docs_url(submission_id: str) -> str:
    """Where a submission's Data Docs are served."""
    return f"/data-docs/{submission_id}/"


def _submission(reader: SnapshotReader, viewer: Viewer, submission_id: str) -> dict[str, Any]:
    require_role(viewer, *SUBMISSION_ROLES)
    with reader.cursor() as con:
        found = find_visible_submission(con, viewer, submission_id)
    if found is None:
        flask.abort(404)
    return found


def install_data_docs_routes(
    server: flask.Flask, reader: SnapshotReader, settings: Settings, sessions: SessionStore
) -> None:
    """GET /data-docs/<submission_id>/ (signed in) and the sandboxed site's pages and static files."""
    tokens = URLSafeTimedSerializer(server.config["SECRET_KEY"], salt="archive-census-data-docs")

    @server.route("/data-docs/<submission_id>")
    def data_docs_root(submission_id: str) -> Response:
        return flask.redirect(data_docs_url(submission_id))

    @server.route("/data-docs/<submission_id>/", defaults={"page": INDEX})
    @server.route("/data-docs/<submission_id>/<path:page>")
    def data_docs(submission_id: str, page: str) -> Response:
        viewer = current_viewer()
        _submission(reader, viewer, submission_id)
        token = tokens.dumps([submission_id, viewer.user_name, session_hash(str(flask.session.get("sid", "")))])
        return flask.redirect(f"/data-docs/{submission_id}/~{token}/{'' if page == INDEX else page}")

    @server.route("/data-docs/<submission_id>/~<token>/", defaults={"page": INDEX})
    @server.route("/data-docs/<submission_id>/~<token>/<path:page>")
    def sandboxed(submission_id: str, token: str, page: str) -> Response:
        try:
            granted_id, user_name, session = tokens.loads(token, max_age=TOKEN_MAX_AGE_S)
        except (BadSignature, ValueError):
            return flask.Response(EXPIRED, status=403, mimetype="text/plain")
        if granted_id != submission_id:
            flask.abort(403)
        if not sessions.is_live_by_hash(session, user_name):  # signed out (or the session ended) since
            return flask.Response(EXPIRED, status=403, mimetype="text/plain")
        with reader.cursor() as con:
            user = get_user(con, user_name)
        if user is None:
            flask.abort(403)
        # Who may see the submission is checked again: a role or province may have changed since the link was made.
        viewer = Viewer(user.user_name, Role(user.role), user.province_code, user.scope_code)
        submission = _submission(reader, viewer, submission_id)
        folder = submission_data_docs_dir(settings, submission)
        if ensure_data_docs(folder) is None:
            return flask.Response(
                f"该提交{no_data_docs(settings)}",
                status=404,
                mimetype="text/plain",
            )
        # send_from_directory refuses paths that leave the folder; static/ links to one shared copy beside it.
        response = flask.send_from_directory(folder, page)
        if page.endswith(".html") and response.status_code == 200:
            response.direct_passthrough = False
            response.set_data(with_banner(response.get_data(as_text=True), submission))
        response.headers["Content-Security-Policy"] = SANDBOX_POLICY
        if page.startswith("static/"):
            # The sandboxed page's origin is opaque, so its scripts, styles and fonts are fetched cross-origin: they
            # may be (the same third-party files for every site; its pages, which hold the data, stay same-origin).
            response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response
