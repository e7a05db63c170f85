"""Guards around every request: cross-origin refusal (CSRF), security headers, well-formed callback requests.

Cross-origin refusal follows the algorithm of Go's `net/http.CrossOriginProtection` (Go 1.25): a state-changing
request (any method but GET, HEAD, OPTIONS) is refused with HTTP 403 when the browser says it comes from another
origin. Browsers say so in `Sec-Fetch-Site` (sent by every current browser to https and to localhost) and in
`Origin` (sent on every cross-origin request and every same-origin POST). A request carrying neither did not come
from a browser page, so it cannot carry a victim's cookie on an attacker's behalf. Another port of the same host is
another origin (`Sec-Fetch-Site: same-site`, or an `Origin` that differs by port): refused too. With the session
cookie `SameSite=Strict` on top, a cross-site page cannot even send it. No GET route changes state (sign-out is a
POST), so a token is not needed for Dash's fetch calls or the plain forms.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import quote, urlparse

import duckdb
import flask
from dash.exceptions import DependencyException
from flask_login import current_user
from werkzeug.exceptions import Forbidden
from werkzeug.middleware.proxy_fix import ProxyFix

from census_schema.archives import archive_names
from census_schema.errors import StorageError, UsageError
from census_schema.layout import page_title
from census_schema.roles import Role
from census_schema.settings import env_choice, env_number
from dash_app import ids
from dash_app.webstate import session_end_causes
from warehouse.backends import WarehouseMisconfigured, WarehouseUnavailable
from warehouse.migrations import WarehouseNewerThanCode

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests made by this site's own pages, or by the user (address bar, bookmark).
SAME_ORIGIN_FETCH_SITES = frozenset({"same-origin", "none"})
TRUSTED_ORIGINS_ENV = "ARCHIVE_CENSUS_TRUSTED_ORIGINS"
# An origin as a browser sends it: scheme, host and port, nothing after.
ORIGIN = re.compile(r"https?://[^/\s?#@]+")
HTTPS_ENV = "ARCHIVE_CENSUS_HTTPS"
# Behind N reverse proxies, the client's address, scheme and host come from their X-Forwarded-* headers (sign-in
# throttling counts per client address; without this every client would share the proxy's). Never set it when the
# app is reached directly: anyone could then claim any address.
PROXY_HOPS_ENV = "ARCHIVE_CENSUS_PROXY_HOPS"
# Paths whose responses may be cached: versioned static files. Everything else is per user and never stored.
CACHEABLE_PREFIXES = ("/assets/", "/_dash-component-suites/")
CALLBACK_PATH = "/_dash-update-component"
# What a request the app's pages could not have sent is told.
NOT_A_CALLBACK = "请求不是有效的回调请求"
OUTPUTS_MISMATCH = "请求的输出与回调不符"
REFRESH_HINT = "请刷新页面后重试。"


def trusted_origins() -> frozenset[str]:
    """Origins allowed besides the request's own (a reverse proxy's public https origin): `ARCHIVE_CENSUS_TRUSTED_ORIGINS`,
    comma-separated, e.g. `https://census.example.gov.cn`; a UsageError naming the variable for what is no origin."""
    raw = os.environ.get(TRUSTED_ORIGINS_ENV, "")
    origins = frozenset(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in sorted(origins):
        if not ORIGIN.fullmatch(origin):
            raise UsageError(
                f"环境变量 {TRUSTED_ORIGINS_ENV} 中的「{origin}」不是网站来源（协议://主机[:端口]）。",
                hint="例如 https://census.example.gov.cn，多个以英文逗号分隔；不要带路径。",
            )
    return origins


def https_only() -> bool:
    """`ARCHIVE_CENSUS_HTTPS=1`: the app is reached over https only, so its cookies are marked Secure."""
    return env_choice(os.environ, HTTPS_ENV, ("0", "1"), "0") == "1"


def is_cross_origin(request: flask.Request, trusted: frozenset[str]) -> bool:
    """True when a state-changing request comes from a page of another origin (see the module's docstring)."""
    if request.method in SAFE_METHODS:
        return False
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") in trusted:
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in SAME_ORIGIN_FETCH_SITES
    if origin is None:
        return False
    # "null" (sandboxed frames, data: pages) never equals an http origin, so it is refused here.
    return origin.rstrip("/") != f"{request.scheme}://{request.host}"


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """The CSP the app satisfies: its own scripts plus Dash's inline ones by hash; no eval; no framing.

    `style-src 'unsafe-inline'`: plotly.js and AG Grid insert <style> elements and style attributes at run time,
    and Dash renders `style=` props as attributes; styles cannot run code. `img-src data: blob:`: plotly's modebar and
    its "download plot" image (drawn from a blob: URL the page made). Nothing else is allowed beyond the app's own
    origin (checked in Chromium: the browser tests fail on any CSP violation on the console).
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(csp: str, *, https: bool) -> dict[str, str]:
    """Headers every response carries."""
    headers = {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


# --- the shape of a callback request --------------------------------------------------------------------------------

# What the Dash renderer sends for these properties; anything else is a forged request (HTTP 400), not a reason for a
# callback to fail with a traceback. Properties not listed may hold any JSON value.
_SCALAR = (str, int, float, bool, type(None))


def _is_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_count(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _is_object(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _is_rows(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(row, dict) for row in value))


def _is_value(value: Any) -> bool:
    return isinstance(value, _SCALAR) or (isinstance(value, list) and all(isinstance(v, _SCALAR) for v in value))


def _is_path(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.startswith("/"))


def _is_files(value: Any) -> bool:
    return _is_text(value) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


PROPERTY_CHECKS = {
    "pathname": _is_path,
    "search": _is_text,
    "hash": _is_text,
    "href": _is_text,
    "n_clicks": _is_count,
    "n_intervals": _is_count,
    "cellClicked": _is_object,
    "clickData": _is_object,
    "virtualRowData": _is_rows,
    "rowData": _is_rows,
    "selectedRows": _is_rows,
    "value": _is_value,
    "contents": _is_files,
    "filename": _is_files,
    "start_date": _is_text,
    "end_date": _is_text,
    "date": _is_text,
    "disabled": lambda v: v is None or isinstance(v, bool),
    "id": lambda v: isinstance(v, str | dict),
}


def _dependency_problem(entry: Any) -> str | None:
    if isinstance(entry, list):  # a wildcard dependency: one entry per matching component
        for item in entry:
            problem = _dependency_problem(item)
            if problem:
                return problem
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("property"), str):
        return "依赖项格式不正确"
    if not isinstance(entry.get("id"), str | dict):
        return "组件标识格式不正确"
    check = PROPERTY_CHECKS.get(entry["property"])
    if check is not None and "value" in entry and not check(entry["value"]):
        return f"属性「{entry['property']}」的取值类型不正确"
    return None


def output_names(key: str) -> list[str]:
    """The outputs (component.property) a callback's key names: `..a.children...b.data..` for several."""
    return key[2:-2].split("...") if key.startswith("..") else [key]


def _outputs_problem(key: str, outputs: Any) -> str | None:
    """Why a request's `outputs` are not the renderer's for the callback registered under `key`: one entry per output
    (a list of them for several), a wildcard's named by its components' own ids (a list for ALL), others by their id.
    Dash answers outputs of another shape with a server error."""
    names = output_names(key)
    given = outputs if len(names) > 1 else [outputs]
    if not isinstance(given, list) or len(given) != len(names):
        return OUTPUTS_MISMATCH
    for name, output in zip(names, given, strict=True):
        component = name.rsplit(".", 1)[0]
        wildcard = json.loads(component) if component.startswith("{") else None
        many = wildcard is not None and any(v in (["ALL"], ["ALLSMALLER"]) for v in wildcard.values())
        entries = output if many and isinstance(output, list) else None if many else [output]
        if entries is None or not all(
            isinstance(e, dict)
            and isinstance(e.get("property"), str)
            and isinstance(e.get("id"), dict if wildcard is not None else str)
            for e in entries
        ):
            return OUTPUTS_MISMATCH
    return None


# What a page's callback does, as people read it, by the component its first output updates (the allow-list: a
# callback not named here is 页面「…」的一项操作; the record never shows component ids).
CALLBACK_ACTIONS = {
    ids.EVALUATION_RESULT: "评分表的保存或提交",
    ids.EVALUATION_FORM: "打开评分表",
    ids.EVALUATION_RECONCILE_RESULT: "录入合议分",
    ids.EVALUATION_ISSUE_RESULT: "下发或撤回整改问题",
    ids.SUBMISSIONS_REVIEW_RESULT: "审核或撤回报表",
    ids.INSPECTIONS_RESULT: "变更整改问题",
    ids.ACCOUNTS_RESULT: "新建或修改账号",
    ids.AUDIT_DETAIL: "查看审计事件详情",
}
# By the property a callback's first output updates, where its component is none of the above (every grid's).
CALLBACK_PROPERTY_ACTIONS = {"rowData": "读取表格数据", "data": "导出或下载数据"}


def _first_output(key: str) -> tuple[str, str]:
    """The component id (a wildcard's type) and property of the first output a callback's key names."""
    component, _, prop = output_names(key)[0].partition("@")[0].rpartition(".")
    if component.startswith("{"):
        try:
            wildcard = json.loads(component)
        except ValueError:
            return "", prop
        return (str(wildcard.get("type", "")) if isinstance(wildcard, dict) else ""), prop
    return component, prop


def describe_callback(body: Mapping[str, Any], page: str | None) -> str:
    """What a callback request tried to do, as people read it: 「业务建设评价」页面：评分表的保存或提交（档案馆：…）; the
    archive only when the request names a known one; 页面「…」的一项操作 for a callback the allow-list does not name."""
    component, prop = _first_output(str(body.get("output", "")))
    where = f"「{page}」页面" if page else "平台页面"
    action = CALLBACK_ACTIONS.get(component) or CALLBACK_PROPERTY_ACTIONS.get(prop)
    if action is None:
        return f"页面「{page}」的一项操作" if page else "平台页面的一项操作"
    entries = [e for part in ("inputs", "state") for e in body.get(part) or [] if isinstance(e, dict)]
    archives = [
        e.get("value") for e in entries if e.get("id") == ids.EVALUATION_ARCHIVE and e.get("property") == "value"
    ]
    names = archive_names()
    archive = next((code for code in archives if isinstance(code, str) and code in names), None)
    return f"{where}：{action}" + (f"（档案馆：{names[archive]}）" if archive else "")


def callback_request_problem(body: Any, callbacks: Mapping[str, Any]) -> str | None:
    """Why a POST to /_dash-update-component is not what the Dash renderer sends (for one of the app's server-side
    `callbacks`, by output), or None when it is well formed."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return NOT_A_CALLBACK
    if "callback" not in callbacks.get(body["output"], {}):  # unknown, or run in the browser (clientside)
        return "请求的回调不存在"
    problem = _outputs_problem(body["output"], body.get("outputs"))
    if problem:
        return problem
    for part in ("inputs", "state"):
        entries = body.get(part, [])
        if not isinstance(entries, list):
            return NOT_A_CALLBACK
        for entry in entries:
            problem = _dependency_problem(entry)
            if problem:
                return problem
        # Missing or extra values would reach the callback as missing or extra arguments (a server error).
        if len(entries) != len(callbacks[body["output"]].get(part, [])):
            return f"请求所带的{'输入' if part == 'inputs' else '状态'}值个数与回调不符"
    return None


def refusal(status: int, message: str) -> flask.Response:
    """A short Chinese refusal as plain text (also what a forged callback request receives)."""
    return flask.Response(message, status=status, mimetype="text/plain")


# What a refused or missing page or download says, in place of the web server's English pages (a refusal with a
# message of its own, `refusal`, keeps it).
LOGGER = logging.getLogger(__name__)
# Why a request has no session (the 401 page's first words, for a page asked for or a form posted).
SIGNED_OUT = f"尚未登录，或登录已失效（{session_end_causes()}）"
ERROR_PAGES = {
    400: ("请求有误", "地址或表单缺少所需的内容，或其中的值无效。请从平台页面上的链接或按钮进入。"),
    401: ("需要登录", f"{SIGNED_OUT}。请登录后再打开。"),
    403: (
        "无权访问",
        "您的账号无权查看或下载此内容：本账号范围以外（其他省份、其他地区或渠道）的数据、分配给其他专家的档案馆，或其他角色的功能。",
    ),
    404: ("找不到页面或文件", "链接可能已失效，或所指的报送、文件不存在。请从平台页面上的链接进入。"),
    405: ("不支持的请求方式", "请从平台页面上操作，不要直接提交此地址。"),
    500: ("服务器内部错误", "本次请求未能完成，数据没有改动。请稍后重试；如反复出现，请联系系统管理员。"),
    503: (
        "数据仓库暂时无法访问",
        "数据库服务未启动、正在恢复备份或正在维护。请稍后刷新页面；如持续出现，请联系系统管理员。",
    ),
}
# Said while this server runs a version older than the one that upgraded its warehouse (a newer command ran beside it).
SERVER_OLDER_THAN_WAREHOUSE = (
    "平台需要重新启动",
    "数据仓库已由较新版本的平台升级，本服务仍在运行旧版本，不能再读写它（数据没有改动）。"
    "请系统管理员用新版本重新启动服务；重启后刷新页面即可。",
)


# Where a role starts when it signs in without a page to return to, and where 返回首页 and 返回平台 lead: the
# offices below the provinces and the evaluators have no overview (it led them to a refusal).
LANDING_PAGES = {
    Role.EVALUATOR: "/evaluation",
    **dict.fromkeys((Role.PREFECTURE, Role.COUNTY, Role.CENTRAL), "/upload"),
}


def home_of(role: Role | str | None) -> str:
    """The page a role starts on."""
    return LANDING_PAGES.get(Role(role), "/") if role in set(Role) else "/"


def viewer_home() -> str:
    """The page the signed-in user starts on ("/" for nobody signed in)."""
    return home_of(getattr(current_user, "role", None)) if current_user.is_authenticated else "/"


def error_page(status: int, title: str, text: str, back: tuple[str, str] | None = None) -> flask.Response:
    """A short Chinese page for an HTTP error, with a way back (plain text for the app's own requests); by default
    back to the viewer's own first page."""
    if flask.request.path.startswith("/_dash-"):
        return refusal(status, f"{title}：{text}")
    back = back or (viewer_home(), "返回首页")
    # The platform's look and name, as its own 页面不存在 has (this one was a bare page titled 找不到页面或文件（404）).
    body = (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(page_title(title))}</title>'
        '<link rel="stylesheet" href="/assets/app.css"></head><body class="login-body"><div class="login-card">'
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>"
        f'<p><a href="{escape(back[0])}">{escape(back[1])}</a></p><p class="hint">错误代码 {status}</p></div></body></html>'
    )
    return flask.Response(body, status=status, mimetype="text/html")


# Said after a 401 to a form's post (an upload, a confirmation): a probe's upload after signing out elsewhere was
# told only to sign in, not that its workbook had not been received.
NOT_RECEIVED_WHAT = "本次提交的内容（如上传的工作簿）没有收到，数据没有改动。"
NOT_RECEIVED = f"{NOT_RECEIVED_WHAT}请登录后回到原页面重新提交。"


def sign_in_again() -> flask.Response:
    """The 401 page: sign in and come back to the page asked for, or to the page a form was posted from."""
    title, text = ERROR_PAGES[401]
    request = flask.request
    target = request.full_path.rstrip("?")
    if request.method != "GET":
        text = f"{SIGNED_OUT}：{NOT_RECEIVED}"
        target = _posted_from(request)
    return error_page(401, title, text, (f"/login?next={quote(target, safe='/')}", "登录"))


class Refused(Forbidden):
    """HTTP 403 with its reason in words (`dash_app.access.deny`), said on the refusal page and kept in the audit log
    once it is the request's answer (a check asked without refusing, such as a link shown or not, leaves no record)."""


def _forbidden(error: Forbidden) -> flask.Response:
    """The 403 page: the refusal's own reason if it has one (kept for the audit log), else the general text."""
    title, text = ERROR_PAGES[403]
    if isinstance(error, Refused) and error.description:
        flask.g.refused_on_page = error.description
        text = error.description
    return error_page(403, title, text)


def _posted_from(request: flask.Request) -> str:
    """The page of this site a form was posted from (path and query), by the request's Referer; "/" otherwise."""
    came_from = urlparse(request.referrer or "")
    target = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return target if came_from.netloc == request.host and target.startswith("/") else "/"


# Where the warehouse's error pages lead back: not the viewer's own first page, since knowing a signed-in viewer's
# role reads the warehouse again (it failed inside the handler, giving the generic 500 page).
HOME_LINK = ("/", "返回首页")


def _warehouse_out_of_reach(error: Exception) -> flask.Response:
    request = flask.request
    LOGGER.warning("warehouse out of reach for %s: %s", request.path, error)
    if request.method != "GET" and request.path != CALLBACK_PATH:
        # A form's post (an upload): told it was not received, and led back to its page, not to 刷新页面 (which
        # posts it again) alone.
        text = f"数据仓库暂时无法访问（数据库服务未启动、正在恢复备份或正在维护）：{NOT_RECEIVED_WHAT}请稍后回到原页面重新提交。"
        return error_page(503, ERROR_PAGES[503][0], text, back=(_posted_from(request), "返回原页面"))
    return error_page(503, *ERROR_PAGES[503], back=HOME_LINK)


def _server_older_than_warehouse(error: Exception) -> flask.Response:
    LOGGER.error("this server's version is older than its warehouse's, restart it with the newer one: %s", error)
    return error_page(503, *SERVER_OLDER_THAN_WAREHOUSE, back=HOME_LINK)


# Werkzeug names a Chinese file's download for old clients by its ASCII letters alone (普查表模板-中央企业.xlsx gave
# filename=-.xlsx, which curl -J and some gateways save as such; 反馈-2025.xlsx --2025.xlsx): those get the address's words instead.
_FALLBACK_NAME = re.compile(
    r"^(?P<kind>[\w-]+); filename=(?P<name>[^;]*?)(?P<suffix>\.\w+)?; (?P<encoded>filename\*=.+)$"
)


def with_ascii_fallback(disposition: str, path: str) -> str:
    """A Content-Disposition whose plain filename (the one clients without RFC 5987 use) has no Latin letter (-.xlsx,
    --2025.xlsx) made from the address instead: download-template-census.xlsx (its UTF-8 name is kept as it is)."""
    found = _FALLBACK_NAME.match(disposition)
    if found is None or re.search(r"[A-Za-z]", found["name"]):
        return disposition
    words = "-".join(part for part in re.split(r"[^A-Za-z0-9_.-]+", path) if part.strip(".-")) or "download"
    return f"{found['kind']}; filename={words}{found['suffix'] or ''}; {found['encoded']}"


def install_security(
    server: flask.Flask, script_hashes: Callable[[], Iterable[str]], callbacks: Mapping[str, Any]
) -> None:
    """Refuse cross-origin state changes and malformed callbacks before any route runs; add the headers after.

    `script_hashes` gives the hashes of Dash's inline scripts; it is asked again for each page, because Dash adds
    the pages' title script only when it sets itself up on the first request. `callbacks` is the app's callback map.
    """
    https = https_only()
    hops = int(env_number(os.environ, PROXY_HOPS_ENV, 0, zero=True))
    if hops > 0:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @server.before_request
    def refuse_cross_origin() -> flask.Response | None:
        request = flask.request
        if is_cross_origin(request, trusted_origins()):
            flask.g.cross_origin_refused = True  # for the audit log (dash_app.auth)
            return refusal(403, "拒绝来自其他网站（或同一主机其他端口）的修改请求。请直接在本平台页面上操作。")
        if request.method == "POST" and request.path == CALLBACK_PATH:
            try:
                body = json.loads(request.get_data(cache=True) or b"null")
            except ValueError:
                return refusal(400, f"{NOT_A_CALLBACK}（JSON 格式错误）。")
            problem = callback_request_problem(body, callbacks)
            if problem:
                return refusal(400, f"{problem}。{REFRESH_HINT}")
        return None

    for status, (title, text) in ERROR_PAGES.items():
        if status not in (401, 403):
            server.register_error_handler(status, lambda _e, s=status, t=title, x=text: error_page(s, t, x))
    # A refusal that says why (dash_app.access.deny) says it in place of the general text.
    server.register_error_handler(403, _forbidden)
    server.register_error_handler(401, lambda _e: sign_in_again())
    # Dash raises this for a file of its component suites that it does not serve (a mistyped or probing address):
    # a missing file, not a server error with a traceback in the log.
    server.register_error_handler(DependencyException, lambda _error: error_page(404, *ERROR_PAGES[404]))
    # The warehouse out of reach (a DuckLake catalog down, a damaged or replaced file): 503 in Chinese, not Flask's
    # English 500 page; the cause goes to the log for the administrator.
    server.register_error_handler(WarehouseUnavailable, _warehouse_out_of_reach)
    server.register_error_handler(WarehouseMisconfigured, _warehouse_out_of_reach)
    server.register_error_handler(StorageError, _warehouse_out_of_reach)
    # A lake's data file that cannot be read (its shared folder unmounted under the running server): every page's
    # figures failed with 500 and the overview drew empty axes, saying nothing.
    server.register_error_handler(duckdb.IOException, _warehouse_out_of_reach)
    # A newer version's command upgraded the warehouse under this server: say so, not the 500 page.
    server.register_error_handler(WarehouseNewerThanCode, _server_older_than_warehouse)

    @server.after_request
    def add_headers(response: flask.Response) -> flask.Response:
        headers = security_headers(content_security_policy(script_hashes()), https=https)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        disposition = response.headers.get("Content-Disposition")
        if disposition:
            response.headers["Content-Disposition"] = with_ascii_fallback(disposition, flask.request.path)
        if not flask.request.path.startswith(CACHEABLE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
