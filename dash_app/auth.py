"""Sign-in: flask-login on the Flask server, KDF password hashes, server-side sessions (ended after 30 idle minutes),
throttling, passwords replaced when an administrator set them or they grew old, a guard on every request, a fixed
secret key, and sign-in events and refused requests for the audit log.

A session cookie only names a session kept on the server (`dash_app.webstate.SessionStore`) and carries a
fingerprint of the user's password hash and role: signing out ends the session, so a copy of the cookie taken before
is refused after; changing a user's password or role (`archive-census users add`) makes every earlier cookie of
theirs fail the fingerprint (so does a user's own change at /password, which keeps only the browser it was made
in). Sign-in attempts are throttled (`dash_app.throttle`) before the password is checked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import html
import logging
import math
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlparse

import duckdb
import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from census_schema.audit import AuditKind
from census_schema.clock import format_beijing
from census_schema.errors import CensusError, UsageError
from census_schema.fields import show_unseen
from census_schema.layout import PLATFORM_NAME, page_title
from census_schema.roles import Role
from census_schema.settings import Settings
from dash_app import ids
from dash_app.data_docs import TOKEN_PATH
from dash_app.reader import SnapshotReader
from dash_app.security import CALLBACK_PATH, describe_callback, home_of, https_only, refusal, viewer_home
from dash_app.throttle import KDF_WAIT_S, LOGIN_THROTTLE, LoginThrottle
from dash_app.webstate import AuditOutbox, SessionStore, SharedFailures, session_end_causes
from warehouse.audit import AuditSource, enter_audit_source, leave_audit_source, new_event
from warehouse.backends import Warehouse
from warehouse.transactions import utc_now
from warehouse.users import UserRecord, change_own_password, get_user, is_disabled_account

LOGGER = logging.getLogger(__name__)
# Open without signing in: these addresses exactly, and the static files under these folders.
PUBLIC_PATHS = frozenset({"/login", "/logout", "/health", "/_favicon.ico", "/favicon.ico"})
# Where assets/session.js says the user is typing or clicking on a page that sends the server nothing meanwhile (a
# long remark, a findings text): a request, so the session is not idle. Signed in only, like every other address.
KEEPALIVE_PATH = "/session/keepalive"
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
MAX_NAME_CHARS = 64
# The longest password taken: hashing costs time with its length (a 50 MB one held the one hashing slot ~1 s), and a
# longer one than any set can match none, so a sign-in hashes at most one character more than this.
MAX_PASSWORD_CHARS = 256
# The same answer whether the name exists or not (no account can be found out this way); what to do if it persists.
SIGN_IN_REFUSED = "用户名或密码不正确。如确认无误仍无法登录，账号可能已被停用，请联系系统管理员。"
# A refused request (HTTP 403) is kept for the audit log once per person, address and request in this long, and at
# most REFUSALS_PER_SOURCE of one person's from one address in that time: a page retried or a script probing adds a
# few lines, not thousands. At most REFUSALS_REMEMBERED requests are remembered (per server process).
REFUSAL_AUDIT_EVERY_S = 600
REFUSALS_PER_SOURCE = 20
REFUSALS_REMEMBERED = 10_000
DEVICE_COOKIE = "archive_census_device"
DEVICE_MAX_AGE_S = 180 * 24 * 3600


class WebUser(UserMixin):
    """The signed-in user held by flask-login; `change_password_because`: why their password must be replaced before
    anything else (an administrator set it, or it is too old), None when it need not."""

    def __init__(
        self,
        user_name: str,
        role: Role,
        province_code: str | None,
        change_password_because: str | None = None,
        password_days_left: int | None = None,
        scope_code: str | None = None,
        full_name: str | None = None,
    ) -> None:
        self.id = user_name
        self.role = role
        self.province_code = province_code
        self.scope_code = scope_code
        self.full_name = full_name
        self.change_password_because = change_password_because
        # Days before the password grows too old, when that is near (the navigation says so); None otherwise.
        self.password_days_left = password_days_left

    @property
    def must_change_password(self) -> bool:
        """Every page, callback and download waits until the password is replaced."""
        return self.change_password_because is not None

    @classmethod
    def of(cls, record: UserRecord, max_age: timedelta | None) -> WebUser:
        """The signed-in user a stored one is, its password judged against `max_age` (None: passwords never age)."""
        why = why_change_password(record, max_age)
        left = None if why or max_age is None else password_days_left(record, max_age)
        return cls(record.user_name, record.role, record.province_code, why, left, record.scope_code, record.full_name)


# How long before a password grows too old the navigation starts to say so.
PASSWORD_WARNING = timedelta(days=14)


def password_days_left(record: UserRecord, max_age: timedelta) -> int | None:
    """Whole days (at least 1) before the password must be replaced, when that is within PASSWORD_WARNING."""
    if record.password_set_at is None:
        return None
    left = max_age - (utc_now() - record.password_set_at)
    return max(1, math.ceil(left / timedelta(days=1))) if left <= PASSWORD_WARNING else None


def password_max_age(settings: Settings) -> timedelta | None:
    """How old a password may grow before it is replaced (None: never; `password_max_age_days` 0)."""
    return timedelta(days=settings.password_max_age_days) if settings.password_max_age_days else None


def password_too_old(set_at: datetime | None, max_age: timedelta | None) -> bool:
    """Whether a password set at `set_at` (UTC) is `max_age` old or more (never when either is unknown)."""
    return max_age is not None and set_at is not None and utc_now() - set_at >= max_age


def why_change_password(record: UserRecord, max_age: timedelta | None) -> str | None:
    """Why the user must replace their password before anything else (None when they need not): an administrator
    set it, or it was set `max_age` ago or more (the periodic change 等级保护 asks for)."""
    if record.must_change_password:
        return MUST_CHANGE_TEXT
    if max_age is None or record.password_set_at is None or not password_too_old(record.password_set_at, max_age):
        return None
    return (
        f"您的密码设置于{format_beijing(record.password_set_at)}，已超过 {max_age.days} 天，"
        "须先在修改密码页改为新密码，才能继续使用平台。"
    )


def hash_password(password: str, user_name: str) -> str:
    """A salted scrypt hash (werkzeug's default KDF) of a password strong enough for this user."""
    weakness = password_weakness(password, user_name)
    if weakness is not None:
        raise UsageError(weakness, hint=STRENGTH_RULE)
    return generate_password_hash(password)


PASSWORD_KINDS = (
    ("大写字母", str.isupper),
    ("小写字母", str.islower),
    ("数字", str.isdigit),
    ("其他符号", lambda c: not (c.isupper() or c.islower() or c.isdigit())),
)
KINDS_RULE = f"须含{'、'.join(label for label, _ in PASSWORD_KINDS)}四类中的至少三类"
PASSWORD_RULE_TEXT = f"至少 8 个字符，{KINDS_RULE}（汉字算作其他符号），且不含用户名"
STRENGTH_RULE = f"请另设一个密码：{PASSWORD_RULE_TEXT}。"
# Passwords of three kinds that guessing lists try first (compared without letter case).
WELL_KNOWN_PASSWORDS = frozenset(
    {"admin@123", "admin@1234", "admin#123", "admin123!", "p@ssw0rd", "p@ssw0rd1", "passw0rd!", "password1!",
     "password@123", "abc@1234", "abc@123456", "aa123456!", "qwer@1234", "qwe@1234", "qwer1234!", "1qaz@wsx",
     "1qaz!qaz", "1qaz2wsx!", "zaq1@wsx", "root@123", "test@123", "welcome@123", "changeme1!"}
)  # fmt: skip


def password_weakness(password: str, user_name: str) -> str | None:
    """Why this password is too easy to guess for this user (the rule usual under 等级保护), or None."""
    if not password.strip():
        return "密码不能全是空格。"
    # A byte-order mark or zero-width space from a file or a web page: counted as a kind, and never typed again.
    unseen = sorted({show_unseen(c) for c in password if show_unseen(c) != c})
    if unseen:
        return f"密码含有看不见的字符（{'、'.join(unseen)}），多半是从文件或网页复制时带进来的，登录时无法输入。"
    if len(password) < 8:
        return f"密码至少 8 个字符，这个只有 {len(password)} 个。"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"密码最多 {MAX_PASSWORD_CHARS} 个字符，这个有 {len(password):,} 个。"
    kinds = [label for label, is_kind in PASSWORD_KINDS if any(is_kind(c) for c in password)]
    if len(kinds) < 3:
        return f"密码只含{'、'.join(kinds)}，{KINDS_RULE}。"
    name = user_name.strip().casefold()
    # Names of two characters too (u1's u1u1U1u1! passed while the rule said 不含用户名); one is not a name.
    if len(name) >= 2 and name in password.casefold():
        return "密码不能包含用户名。"
    if password.casefold() in WELL_KNOWN_PASSWORDS or _common_word(password) in WELL_KNOWN_WORDS:
        return "这是一个常见的弱密码，猜密码的程序最先试它。"
    return None


# The words guessing lists dress up with a capital, digits and a symbol (Password1, Qwerty123, P@ssw0rd!).
WELL_KNOWN_WORDS = frozenset(
    {"password", "passwd", "qwerty", "qwertyuiop", "admin", "administrator", "welcome", "letmein", "iloveyou",
     "changeme", "abc", "abcd", "abcde", "abcdef", "test", "root", "user", "guest", "login", "hello", "master",
     "dragon", "monkey", "sunshine", "princess", "football", "baseball", "shadow", "superman", "asdf", "asdfgh",
     "zxcv", "zxcvbn", "qazwsx", "qwer", "woaini", "china", "beijing", "aaaa", "qqqq"}
)  # fmt: skip
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})


def _common_word(password: str) -> str:
    """A password without the digits and symbols around it and with its look-alike characters read as letters:
    P@ssw0rd!23 → password."""
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", password.casefold())
    return core.translate(_LEET) if core else password.casefold().translate(_LEET)


def _bounded(password: str) -> str:
    """A password typed at sign-in, cut one character past the longest any account has (it still matches none)."""
    return password[: MAX_PASSWORD_CHARS + 1]


# What a generated password is drawn from: letters and digits that cannot be taken for one another when read off a
# screen or paper and typed (no 0/O/o, 1/l/I, nor - and _ side by side).
UNMISTAKABLE_CHARS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def strong_password(user_name: str) -> str:
    """A random 12-character password that keeps the rule (the demo's users get one each)."""
    while True:
        password = "".join(secrets.choice(UNMISTAKABLE_CHARS) for _ in range(12))
        if password_weakness(password, user_name) is None:
            return password


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


LOGIN_PAGE = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{page_title("登录")}</title>
<link rel="stylesheet" href="/assets/app.css"></head><body class="login-body">
<form method="post" action="/login" class="login-card" id="{ids.LOGIN_FORM}">
<h1>{PLATFORM_NAME}</h1>{{message}}
<label>用户名<input name="username" id="{ids.LOGIN_USERNAME}" autocomplete="username" value="{{username}}" required{{focus_name}}></label>
<label>密码<input name="password" id="{ids.LOGIN_PASSWORD}" type="password" autocomplete="current-password" required{{focus_password}}></label>
<input type="hidden" name="next" value="{{next}}">
<button type="submit" id="{ids.LOGIN_SUBMIT}">登录</button></form></body></html>"""
LOGOUT_PAGE = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{page_title("退出登录")}</title>
<link rel="stylesheet" href="/assets/app.css"></head><body class="login-body">
<form method="post" action="/logout" class="login-card" id="{ids.LOGOUT_FORM}"><h1>退出登录</h1>
<button type="submit" id="{ids.LOGOUT_SUBMIT}">确认退出</button></form></body></html>"""


PASSWORD_PAGE = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{page_title("修改密码")}</title>
<link rel="stylesheet" href="/assets/app.css"></head><body class="login-body">
<form method="post" action="/password" class="login-card" id="{ids.PASSWORD_FORM}">
<h1>修改密码</h1><p class="hint">{{account}}新密码{PASSWORD_RULE_TEXT}。修改后，您在其他浏览器上的登录随即失效。</p>{{message}}
<label>{{current_label}}<input name="current" id="{ids.PASSWORD_CURRENT}" type="password" autocomplete="current-password" required></label>
<label>新密码<input name="new" id="{ids.PASSWORD_NEW}" type="password" autocomplete="new-password" required></label>
<label>再次输入新密码<input name="repeat" id="{ids.PASSWORD_REPEAT}" type="password" autocomplete="new-password" required></label>
{{next_field}}<button type="submit" id="{ids.PASSWORD_SUBMIT}">修改密码</button>{{back}}</form></body></html>"""
PASSWORD_DONE_PAGE = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{page_title("修改密码")}</title>
<link rel="stylesheet" href="/assets/app.css"></head><body class="login-body"><div class="login-card">
<h1>修改密码</h1>{{message}}<p>{{back}}</p></div></body></html>"""
PASSWORD_PATH = "/password"  # noqa: S105 - an address
MUST_CHANGE_TEXT = "您的密码由管理员设置（新账号或重设的密码），须先在修改密码页改为只有您知道的密码，才能使用平台。"
CHANGE_PASSWORD_HEADER = "X-Change-Password"  # read by assets/session.js  # noqa: S105 - a header's name
PASSWORD_CHANGED = (
    f'<p class="ok" id="{ids.PASSWORD_CHANGED}" role="status">密码已修改，您在其他浏览器上的登录已失效。</p>'
)


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after sign-in (no open redirect). Browsers read a backslash as a slash and drop
    tabs and line breaks (`/\\host` is `//host`): such targets are refused here, not left to how the redirect is
    encoded."""
    if not target or not target.startswith("/") or any(c == "\\" or c <= " " or c == "\x7f" for c in target):
        return "/"
    parsed = urlparse(target)
    # Browsers read any number of leading slashes as `//host` (`///host/x` parses here with an empty host).
    return target if not parsed.scheme and not parsed.netloc and not target.startswith("//") else "/"


def password_path_then(next_page: str | None, *, changed: bool = False) -> str:
    """The password form's address (`changed`: the page saying it was changed), keeping the page the user was going
    to (none for the home page or the form itself)."""
    then = _safe_next(next_page)
    query = [
        *(["changed=1"] if changed else []),
        *([f"next={quote(then, safe='/')}"] if then not in ("/", PASSWORD_PATH) else []),
    ]
    return f"{PASSWORD_PATH}?{'&'.join(query)}" if query else PASSWORD_PATH


def _kept_next() -> str:
    """The page the password form was asked to lead back to (`next`, a local path), or "/"."""
    return _safe_next(flask.request.values.get("next"))


def _way_on(then: str) -> str:
    """The password pages' link onward: back to the page the user was going to, or to the platform."""
    if then != "/":
        return f'<a href="{html.escape(then, quote=True)}">回到刚才的页面</a>'
    return f'<a href="{viewer_home()}">返回平台</a>'


def _after(wait_s: int) -> str:
    """A throttle's wait as people say it: 30 秒, 15 分钟."""
    return f"{wait_s} 秒" if wait_s < 60 else f"{math.ceil(wait_s / 60)} 分钟"


def _form_page(body: str, status: int, retry_after: int | None) -> Response:
    """A sign-in or password page; a throttled answer says when to try again (Retry-After)."""
    response = Response(body, status=status, mimetype="text/html")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _error(message: str) -> str:
    return f'<p class="error" id="{ids.LOGIN_ERROR}" role="alert">{html.escape(message)}</p>'


class RefusalRecorder:
    """Which refused requests reach the audit log: a request (user, address, what it asked) once in
    REFUSAL_AUDIT_EVERY_S, and of one user's from one address at most REFUSALS_PER_SOURCE in that time, the last of
    which says that the rest are not recorded. Kept in this process's memory, bounded."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._requests: OrderedDict[tuple[str | None, str | None, str], float] = OrderedDict()
        self._sources: OrderedDict[tuple[str | None, str | None], tuple[float, int]] = OrderedDict()

    def verdict(self, actor: str | None, address: str | None, asked: str) -> Literal["record", "last", "skip"]:
        """record: keep it; last: keep it, saying the rest are not kept; skip: do not keep it."""
        now = self.clock()
        with self._lock:
            last = self._requests.get((actor, address, asked))
            if last is not None and now - last < REFUSAL_AUDIT_EVERY_S:
                return "skip"
            started, count = self._sources.get((actor, address), (now, 0))
            if now - started >= REFUSAL_AUDIT_EVERY_S:
                started, count = now, 0
            if count >= REFUSALS_PER_SOURCE:
                return "skip"
            self._sources[(actor, address)] = (started, count + 1)
            self._sources.move_to_end((actor, address))
            self._requests[(actor, address, asked)] = now
            self._requests.move_to_end((actor, address, asked))
            for remembered in (self._requests, self._sources):
                while len(remembered) > REFUSALS_REMEMBERED:
                    remembered.popitem(last=False)
        return "last" if count + 1 == REFUSALS_PER_SOURCE else "record"


def fingerprint(secret_key: str, record: UserRecord) -> str:
    """What a session remembers of the user's credentials: it changes with the password hash, role or scope (an
    account without a division or channel of its own remembers what it did before those existed)."""
    parts = [record.user_name, record.password_hash, record.role, record.province_code or ""]
    material = "\0".join(parts + ([record.scope_code] if record.scope_code else []))
    return hmac.new(secret_key.encode(), material.encode(), hashlib.sha256).hexdigest()


class Authenticator:
    """Sign-in and sign-out of one app: sessions, throttling, device cookies and the audit trail of sign-ins."""

    def __init__(
        self,
        reader: SnapshotReader,
        sessions: SessionStore,
        outbox: AuditOutbox,
        secret_key: str,
        https: bool,
        password_max_age: timedelta | None = None,
        page_names: Mapping[str, str] | None = None,
    ) -> None:
        self.reader = reader
        self.password_max_age = password_max_age
        self.sessions = sessions
        self.outbox = outbox
        self.secret_key = secret_key
        self.https = https
        self.throttle = LoginThrottle(failures=SharedFailures(sessions.state))
        self.devices = URLSafeTimedSerializer(secret_key, salt="archive-census-device")
        # Checked when the user does not exist, so an unknown name costs the same KDF time as a wrong password
        # (otherwise 3 ms against 130 ms tells which user names exist).
        self.decoy_hash = generate_password_hash(secrets.token_hex(16))
        self.refusals = RefusalRecorder()
        # The app's pages by address (a refused request's audit record names the page it came from by them).
        self.page_names = dict(page_names or {})
        # The page that registered each callback, by its key (set once the pages have registered them).
        self.callback_pages: dict[str, str] = {}

    def account_state(self, name: str) -> dict[str, object]:
        """What the log says of a name no enabled account has: whether it is a disabled account's."""
        with self.reader.cursor() as cursor:
            disabled = is_disabled_account(cursor, name)
        return {"known_user": disabled, "account_disabled": True} if disabled else {"known_user": False}

    def audit(self, action: str, actor: str, *, after: dict[str, object] | None = None) -> None:
        """Keep a sign-in event for the audit log, under the name typed with its invisible characters and line
        breaks shown ([U+000A]): typed by anyone, a name may not forge a line of the log nor read reversed (no
        account's name holds one: users add refuses them)."""
        shown = show_unseen(actor)
        self.outbox.add(new_event(AuditKind.LOGIN, action, actor=shown[:MAX_NAME_CHARS], target=shown, after=after))

    def audit_refusal(self, request: flask.Request) -> None:
        """Keep a refused request (HTTP 403: another province's data, another role's data or action, a state change
        from another origin) for the audit log under the signed-in user it came with, as `RefusalRecorder` allows.
        What the request itself names is kept only where the app vouches for it: the page it came from if it is one
        of the app's, the callback if the request passed the callback check (a cross-origin one was not checked)."""
        user = flask.g.get("_login_user")  # loaded by the guard; not loaded here (that would mark the session seen)
        actor = str(user.id) if user is not None and user.is_authenticated else None
        cross_origin = bool(flask.g.get("cross_origin_refused"))
        is_callback = request.path == CALLBACK_PATH
        callback = action = None
        if is_callback and not cross_origin:
            body = request.get_json(silent=True, cache=True)
            output = body.get("output") if isinstance(body, dict) else None
            if isinstance(body, dict) and isinstance(output, str):
                callback = show_unseen(output)[:200]
                # In words: the page that registered it and what it does (the record named component ids).
                action = describe_callback(body, self.callback_pages.get(output))
        asked = f"{request.method} {show_unseen(request.path)[:200]}"
        # A callback's query is Dash's own (a new ?endId= on every request): it names no target, its inputs do.
        query = "" if is_callback else show_unseen(request.query_string.decode("utf-8", "replace"))
        # The same request asked again is one line; another target (its query, a callback's inputs) is another.
        digest = hashlib.sha256(request.get_data(cache=True)).hexdigest() if is_callback else ""
        verdict = self.refusals.verdict(actor, request.remote_addr, f"{asked}?{query} {callback or ''} {digest}")
        if verdict == "skip":
            return
        after: dict[str, object] = {
            "request": asked + (f"?{query[:100]}" if query else ""),
            "repeats_within": f"{REFUSAL_AUDIT_EVERY_S // 60} 分钟",
        }
        # The page it was sent from, by its name, as the browser gives its address (same origin only:
        # Referrer-Policy same-origin).
        referrer = urlparse(request.referrer or "")
        if referrer.netloc == request.host and referrer.path in self.page_names:
            after["page"] = self.page_names[referrer.path]
        if action:
            after["callback"] = action
        if isinstance(said := flask.g.get("refused_on_page"), str):
            after["refusal"] = show_unseen(said)[:300]  # what the page told the user, in its words
        if cross_origin:
            origin = request.headers.get("Origin") or request.headers.get("Sec-Fetch-Site", "")
            after["origin"] = show_unseen(origin)[:200]
        if verdict == "last":
            after["suppressed"] = (
                f"此后 {REFUSAL_AUDIT_EVERY_S // 60} 分钟内，该用户从该地址被拒绝的请求不再逐条记录"
                f"（每 {REFUSAL_AUDIT_EVERY_S // 60} 分钟至多记录 {REFUSALS_PER_SOURCE} 条）"
            )
        action = "cross_origin_refused" if cross_origin else "access_refused"
        self.outbox.add(new_event(AuditKind.ACCESS, action, actor=actor, target=asked, after=after))

    def device_of(self, request: flask.Request, name: str) -> str | None:
        """The device id of a browser that has signed in to this account before (a valid signed cookie)."""
        raw = request.cookies.get(DEVICE_COOKIE)
        if not raw:
            return None
        try:
            device = self.devices.loads(raw, max_age=DEVICE_MAX_AGE_S)
        except BadSignature:
            return None
        if not isinstance(device, dict) or device.get("u") != name.casefold():
            return None
        return str(device.get("n"))

    def load_user(self, user_name: str) -> WebUser | None:
        """The session's user, if the session is live and the credentials have not changed since it started."""
        with self.reader.cursor() as cursor:
            record = get_user(cursor, user_name)
        if record is None:
            return None
        session = flask.session
        if not hmac.compare_digest(str(session.get("auth", "")), fingerprint(self.secret_key, record)):
            return None
        if not self.sessions.is_live(session.get("sid"), user_name, seen=True):
            return None
        return WebUser.of(record, self.password_max_age)

    def sign_in(self, next_page: str) -> Response:
        """POST /login: throttle, check the password, start a session."""
        request = flask.request
        name = request.form.get("username", "").strip()[: MAX_NAME_CHARS * 2]
        address = request.remote_addr
        device = self.device_of(request, name)
        verdict = self.throttle.check(address, name, device)
        if verdict.wait_s > 0:
            wait = math.ceil(verdict.wait_s)
            refused = _error(f"登录尝试过于频繁，请 {_after(wait)}后再试。")
            return self.page(refused, next_page, 429, retry_after=wait, username=name)
        if not self.throttle.kdf_slots.acquire(timeout=KDF_WAIT_S):
            return self.page(_error("登录请求过多，服务器繁忙，请稍后再试。"), next_page, 503, retry_after=5)
        try:
            with self.reader.cursor() as cursor:
                record = get_user(cursor, name)
            matches = check_password_hash(
                record.password_hash if record else self.decoy_hash, _bounded(request.form.get("password", ""))
            )
        finally:
            self.throttle.kdf_slots.release()
        if record is None or not matches:
            throttled = self.throttle.failed(address, name, device)
            # A disabled account's name is known: the log says so (a probe's administrator read 用户名存在：否 for it
            # and could not tell an office locked out from a typo); the page says what it says to anyone.
            known = {"known_user": True} if record is not None else self.account_state(name)
            self.audit("login_failed", name, after={**known, "trusted_device": bool(device)})
            if throttled:
                self.audit("login_throttled", name, after={"counters": list(throttled)})
            return self.page(_error(SIGN_IN_REFUSED), next_page, 200, username=name)
        self.throttle.succeeded(name, device)
        flask.session.clear()  # no session fixation: a new session every sign-in
        login_user(WebUser.of(record, self.password_max_age))
        flask.session["sid"] = self.sessions.start(record.user_name, address)
        flask.session["auth"] = fingerprint(self.secret_key, record)
        self.audit("login_succeeded", record.user_name, after={"role": record.role})
        if why_change_password(record, self.password_max_age):  # an administrator's or an old password: replaced first
            next_page = password_path_then(next_page)
        response = flask.redirect(home_of(record.role) if next_page == "/" else next_page)
        token = self.devices.dumps({"u": record.user_name.casefold(), "n": device or secrets.token_urlsafe(16)})
        response.set_cookie(
            DEVICE_COOKIE, token, max_age=DEVICE_MAX_AGE_S, httponly=True, samesite="Strict", secure=self.https
        )
        return response

    def change_password(self, store: Warehouse) -> Response:
        """POST /password: the signed-in user's own password, the old one checked as a sign-in checks it (and
        throttled alike); then every other session of theirs ends and this browser goes on in a new one."""
        request = flask.request
        name, address = str(current_user.id), request.remote_addr
        device = self.device_of(request, name)
        verdict = self.throttle.check(address, name, device)
        if verdict.wait_s > 0:
            wait = math.ceil(verdict.wait_s)
            return self.password_page(_error(f"尝试过于频繁，请 {_after(wait)}后再试。"), 429, retry_after=wait)
        current, new, repeat = (request.form.get(field, "") for field in ("current", "new", "repeat"))
        if not new:
            return self.password_page(_error("请填写新密码。"), 200)
        if new != repeat:
            return self.password_page(_error("两次输入的新密码不一致。"), 200)
        weakness = password_weakness(new, name)
        if weakness is not None:
            return self.password_page(_error(weakness), 200)
        if new == current:
            return self.password_page(_error("新密码不能与原密码相同。"), 200)
        if not self.throttle.kdf_slots.acquire(timeout=KDF_WAIT_S):
            return self.password_page(_error("请求过多，服务器繁忙，请稍后再试。"), 503, retry_after=5)
        try:
            with self.reader.cursor() as cursor:
                record = get_user(cursor, name)
            matches = record is not None and check_password_hash(record.password_hash, _bounded(current))
            new_hash = generate_password_hash(new) if matches else ""
        finally:
            self.throttle.kdf_slots.release()
        if record is None or not matches:
            throttled = self.throttle.failed(address, name, device)
            self.audit("password_check_failed", name, after={"trusted_device": bool(device)})
            if throttled:
                self.audit("login_throttled", name, after={"counters": list(throttled)})
            return self.password_page(_error("原密码不正确。"), 200)
        if not store.write(lambda con: change_own_password(con, name, new_hash)):
            return self.sign_out()  # disabled meanwhile: this session ends too
        self.throttle.succeeded(name, device)
        self.sessions.end_all(name, "credentials_changed")
        changed = dataclasses.replace(
            record, password_hash=new_hash, must_change_password=False, password_set_at=utc_now()
        )
        flask.session.clear()
        login_user(WebUser.of(changed, self.password_max_age))
        flask.session["sid"] = self.sessions.start(name, address)
        flask.session["auth"] = fingerprint(self.secret_key, changed)
        return flask.redirect(password_path_then(request.form.get("next"), changed=True))

    @staticmethod
    def password_done_page() -> Response:
        """GET /password?changed=1: the password was changed; the message and the way on, not the form again (it read
        as if it had to be filled in again)."""
        return _form_page(PASSWORD_DONE_PAGE.format(message=PASSWORD_CHANGED, back=_way_on(_kept_next())), 200, None)

    @staticmethod
    def password_page(message: str, status: int, retry_after: int | None = None) -> Response:
        """The password change form with a message; the page the user was going to (`next`) is kept through the
        change and offered after it (a user made to change an administrator's password lost the page of an upload)."""
        # No way back while the password must be changed first (the link led back to this form): a way out instead
        # (someone else's account, or not now), and whose account it is.
        must = current_user.is_authenticated and current_user.must_change_password
        then = _kept_next()
        back = '<a href="/logout">退出登录</a>' if must else _way_on(then)
        next_field = f'<input type="hidden" name="next" value="{html.escape(then, quote=True)}">' if then != "/" else ""
        account = f"当前账号：{html.escape(current_user.id)}。" if current_user.is_authenticated else ""
        if must:
            # Why, said on the form itself (not "on the password page"), above any refusal of what was typed: a
            # mismatch used to replace it.
            why = str(current_user.change_password_because).replace("须先在修改密码页", "须先")
            message = f'<p class="warn" role="status">{html.escape(why)}</p>{message}'
        # An administrator's password is the one to give as the old one (原密码 alone left a new user guessing).
        current_label = "原密码（管理员告知您的初始密码）" if must else "原密码"
        page = PASSWORD_PAGE.format(
            message=message, back=back, account=account, next_field=next_field, current_label=current_label
        )
        return _form_page(page, status, retry_after)

    def sign_out(self) -> Response:
        """POST /logout: end the session on the server, then forget it in the browser."""
        if current_user.is_authenticated:
            self.sessions.end(flask.session.get("sid"), "logout")
            self.audit("logout", current_user.id)
        logout_user()
        flask.session.clear()
        return flask.redirect("/login")

    @staticmethod
    def page(message: str, next_page: str, status: int, retry_after: int | None = None, username: str = "") -> Response:
        """The sign-in page with a message; after a refused attempt the name typed stays and the password field
        has the focus (a keyboard user had to find the form and type the name again)."""
        body = LOGIN_PAGE.format(
            message=message,
            next=html.escape(next_page, quote=True),
            username=html.escape(username, quote=True),
            focus_name="" if username else " autofocus",
            focus_password=" autofocus" if username else "",
        )
        return _form_page(body, status, retry_after)


def install_auth(
    server: flask.Flask,
    store: Warehouse,
    reader: SnapshotReader,
    settings: Settings,
    sessions: SessionStore,
    outbox: AuditOutbox,
    page_names: Mapping[str, str] | None = None,
) -> Authenticator:
    """Sign-in routes, the user loader and the guard that refuses unauthenticated requests; `page_names`: the app's
    pages by address (a refused request's record names the page it came from)."""
    https = https_only()
    server.config.update(
        SECRET_KEY=load_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        # Strict: a page of another site cannot send the cookie at all (state changes are also Origin-checked).
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    auth = Authenticator(
        reader, sessions, outbox, server.config["SECRET_KEY"], https, password_max_age(settings), page_names
    )
    server.extensions[LOGIN_THROTTLE] = auth.throttle
    manager = LoginManager()
    manager.init_app(server)
    manager.user_loader(auth.load_user)

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Response | str:
        next_page = _safe_next(flask.request.values.get("next"))
        if flask.request.method == "POST":
            return auth.sign_in(next_page)
        # Sent here by a page whose session the server had ended (assets/session.js): said, not a blank form.
        expired = flask.request.args.get("expired") == "1"
        ended = f"登录已失效（{session_end_causes(sessions.idle)}），请重新登录。"
        return auth.page(_error(ended) if expired else "", next_page, 200)

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> Response | str:
        # Signing out changes state, so only a POST does it; a GET (an old link) asks first.
        return auth.sign_out() if flask.request.method == "POST" else LOGOUT_PAGE

    @server.route(PASSWORD_PATH, methods=["GET", "POST"])
    def password() -> Response:
        # Signed in only (the guard sends others to /login); a POST is Origin-checked like every state change.
        if flask.request.method == "POST":
            return auth.change_password(store)
        if not current_user.must_change_password and flask.request.args.get("changed") == "1":
            return auth.password_done_page()
        return auth.password_page("", 200)

    @server.route(KEEPALIVE_PATH, methods=["POST"])
    def keepalive() -> Response:
        # The guard has loaded the user, which marked the session seen; a POST is Origin-checked like any other.
        return Response(status=204)

    @server.route("/health")
    def health() -> tuple[dict[str, str], int]:
        # Healthy only if a sign-in could read its user (the published snapshot opens and answers) and the census
        # data are where the warehouse records them (a lake's catalog answers for its users, kept in it, while the
        # shared data folder is not mounted and every page and upload fails). Why not is said
        # to the machine itself (a monitor, an operator's curl) and logged; anyone else (it needs no sign-in) is not
        # told the catalog's host, port and user.
        try:
            with reader.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM users").fetchone()
            reader.store.check_storage()
        except (CensusError, duckdb.Error) as error:
            why = error.describe() if isinstance(error, CensusError) else f"读取快照失败：{error}"
            LOGGER.warning("health check failed: %s", why)
            local = flask.request.remote_addr in ("127.0.0.1", "::1")
            return {"status": "error", "message": why if local else "数据仓库暂时无法访问，详情见服务器日志。"}, 503
        return {"status": "ok"}, 200

    @server.before_request
    def mark_audit_source() -> None:
        flask.g.audit_token = enter_audit_source(AuditSource("web", flask.request.remote_addr))

    @server.teardown_request
    def unmark_audit_source(_error: BaseException | None) -> None:
        token = flask.g.pop("audit_token", None)
        if token is not None:
            leave_audit_source(token)

    @server.after_request
    def audit_refusal(response: Response) -> Response:
        # A password an administrator set is not a refusal of the user's rights: it is replaced first.
        refused = response.status_code == 403 and CHANGE_PASSWORD_HEADER not in response.headers
        if refused or flask.g.get("refused_on_page"):  # said on the page: `dash_app.access.refused_on_page`
            auth.audit_refusal(flask.request)
        return response

    @server.before_request
    def guard() -> Response | None:
        path = flask.request.path
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return None
        if current_user.is_authenticated:
            # An administrator's password is replaced first: every page and callback waits for it (on the server).
            if not current_user.must_change_password or path == PASSWORD_PATH:
                return None
            if flask.request.method == "GET" and not path.startswith(("/_dash", "/api")):
                # A page or a download: the form says why, and leads back to it once the password is changed.
                return flask.redirect(password_path_then(flask.request.full_path.rstrip("?")))
            # A callback of a page opened before (another tab): assets/session.js follows the header to the form.
            refused = refusal(403, current_user.change_password_because)
            refused.headers[CHANGE_PASSWORD_HEADER] = PASSWORD_PATH
            return refused
        if TOKEN_PATH.match(path):  # the sandboxed Data Docs: their route checks the signed token instead
            return None
        if flask.request.method == "GET" and not path.startswith(("/_dash", "/download", "/api")):
            # A browser whose session the server ended (a password reset, idle, signed out elsewhere) is told so, as
            # a page's callback is (a reload showed a bare sign-in form); one that never signed in or signed out is not.
            ended = "expired=1&" if flask.session.get("sid") else ""
            return flask.redirect(f"/login?{ended}next=" + quote(flask.request.full_path.rstrip("?"), safe="/"))
        flask.abort(401)
        return None

    return auth
