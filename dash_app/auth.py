"""Sign-in: flask-login on the Flask server, KDF password hashes, a guard on every request, a fixed secret key."""

from __future__ import annotations

import html
import os
import secrets
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlparse

import duckdb
import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from census_schema.errors import CensusError, UsageError
from census_schema.roles import Role
from census_schema.settings import Settings
from dash_app.reader import SnapshotReader
from warehouse.users import get_user

PUBLIC_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/health", "/_favicon.ico", "/favicon.ico")
MAX_FAILED_LOGINS = 5
# Where a role starts when it signs in without a page to return to (evaluators have no overview).
LANDING_PAGES = {Role.EVALUATOR: "/evaluation"}
LOCKOUT_SECONDS = 300


class WebUser(UserMixin):
    """The signed-in user held by flask-login."""

    def __init__(self, user_name: str, role: Role, province_code: str | None) -> None:
        self.id = user_name
        self.role = role
        self.province_code = province_code


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's default KDF)."""
    if len(password) < 8:
        raise UsageError("密码至少 8 个字符。")
    return generate_password_hash(password)


def load_secret_key(settings: Settings) -> str:
    """`ARCHIVE_CENSUS_SECRET_KEY`, else a key generated once into a file only its owner can read."""
    from_env = os.environ.get("ARCHIVE_CENSUS_SECRET_KEY")
    if from_env:
        return from_env
    path = settings.var_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    Path(path).chmod(0o600)
    return path.read_text().strip()


LOGIN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 国有档案资源普查平台</title>
<link rel="stylesheet" href="/assets/app.css"></head><body class="login-body">
<form method="post" action="/login" class="login-card" id="login-form">
<h1>国有档案资源普查与监督平台</h1>{message}
<label>用户名<input name="username" id="login-username" autocomplete="username" required></label>
<label>密码<input name="password" id="login-password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{next}">
<button type="submit" id="login-submit">登录</button></form></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after sign-in (no open redirect)."""
    if not target:
        return "/"
    parsed = urlparse(target)
    return target if not parsed.scheme and not parsed.netloc and target.startswith("/") else "/"


def install_auth(server: flask.Flask, reader: SnapshotReader, settings: Settings) -> None:
    """Sign-in routes, the user loader and the guard that refuses unauthenticated requests."""
    server.config.update(
        SECRET_KEY=load_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("ARCHIVE_CENSUS_HTTPS") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    manager = LoginManager()
    manager.init_app(server)
    failures: dict[str, list[float]] = defaultdict(list)
    # Checked when the user does not exist, so an unknown name costs the same KDF time as a wrong password
    # (otherwise 3 ms against 130 ms tells which user names exist).
    decoy_hash = generate_password_hash(secrets.token_hex(16))

    @manager.user_loader
    def load_user(user_name: str) -> WebUser | None:
        with reader.cursor() as cursor:
            record = get_user(cursor, user_name)
        return WebUser(record.user_name, record.role, record.province_code) if record else None

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Response | str:
        request = flask.request
        next_page = _safe_next(request.values.get("next"))
        message = ""
        if request.method == "POST":
            name = request.form.get("username", "").strip()
            recent = [t for t in failures[name] if time.monotonic() - t < LOCKOUT_SECONDS]
            failures[name] = recent
            with reader.cursor() as cursor:
                record = get_user(cursor, name)
            stored_hash = record.password_hash if record else decoy_hash
            if len(recent) >= MAX_FAILED_LOGINS:
                message = '<p class="error">登录失败次数过多，请 5 分钟后再试。</p>'
            elif check_password_hash(stored_hash, request.form.get("password", "")) and record:
                failures.pop(name, None)
                login_user(WebUser(record.user_name, record.role, record.province_code))
                return flask.redirect(LANDING_PAGES.get(record.role, "/") if next_page == "/" else next_page)
            else:
                failures[name].append(time.monotonic())
                message = '<p class="error">用户名或密码不正确。</p>'
        return LOGIN_PAGE.format(message=message, next=html.escape(next_page, quote=True))

    @server.route("/logout")
    def logout() -> Response:
        logout_user()
        return flask.redirect("/login")

    @server.route("/health")
    def health() -> tuple[dict[str, str], int]:
        # Healthy only if a sign-in could read its user: the published snapshot opens and answers.
        try:
            with reader.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM users").fetchone()
        except CensusError as error:
            return {"status": "error", "message": error.describe()}, 503
        except duckdb.Error as error:
            return {"status": "error", "message": f"读取快照失败：{error}"}, 503
        return {"status": "ok"}, 200

    @server.before_request
    def guard() -> Response | None:
        path = flask.request.path
        if current_user.is_authenticated or path.startswith(PUBLIC_PREFIXES):
            return None
        if flask.request.method == "GET" and not path.startswith(("/_dash", "/download", "/api")):
            return flask.redirect("/login?next=" + quote(flask.request.full_path.rstrip("?"), safe="/"))
        flask.abort(401)
        return None
