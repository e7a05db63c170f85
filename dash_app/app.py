"""The shell: Flask server, sign-in, navigation, and one module per page (pages register their own callbacks)."""

from __future__ import annotations

import dataclasses
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
import flask
import werkzeug
from dash import Dash, Input, Output, dcc, html
from flask_compress import Compress
from flask_login import current_user
from markupsafe import escape
from werkzeug.utils import redirect as werkzeug_redirect

from census_schema.layout import PLATFORM_NAME, page_title
from census_schema.scopes import account_scope
from census_schema.settings import Settings
from dash_app import ids
from dash_app.access import refused_on_page
from dash_app.auth import install_auth
from dash_app.context import CONTEXT_EXTENSION, AppContext
from dash_app.data_docs import install_data_docs_routes
from dash_app.downloads import install_download_routes
from dash_app.pages import PAGES, Page
from dash_app.reports import data_as_of_text, data_stamp, install_report_routes
from dash_app.security import home_of, https_only, install_security, trusted_origins
from dash_app.uploads import install_upload_routes
from warehouse.backends import open_warehouse

ASSETS = Path(__file__).parent / "assets"
MAX_UPLOAD_BYTES_OVERHEAD = 1024 * 1024
# Where the Flask server keeps the app's context (Flask's place for what an extension holds per app).
# What the app serves as text: pages, scripts, styles, callback JSON and the map geometry.
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "image/svg+xml",
]
# The outcome lines of the pages' actions that change the data.
DATA_CHANGING_RESULTS = (
    ids.SUBMISSIONS_REVIEW_RESULT,
    ids.UPLOAD_STATUS,
    ids.INSPECTIONS_RESULT,
    ids.EVALUATION_RESULT,
    ids.EVALUATION_ISSUE_RESULT,
)


def _navigation() -> html.Nav:
    if not current_user.is_authenticated:
        return html.Nav()
    links = [
        dcc.Link(page.NAME, href=page.PATH, className="nav-link", id=ids.nav_link(page.NAME))
        for page in PAGES
        if current_user.role in page.ROLES
    ]
    scope = account_scope(current_user.role, current_user.province_code, current_user.scope_code)
    # The person first where the account has their name (张三（guangdong，省级档案部门·广东省）).
    account = f"{current_user.id}，" if current_user.full_name else ""
    who = f"{current_user.full_name or current_user.id}（{account}{current_user.role.label}{f'·{scope.name}' if scope else ''}）"
    return html.Nav(
        [
            html.Span(PLATFORM_NAME, className="brand"),
            *links,
            html.Span(who, className="nav-user", id=ids.NAV_USER),
            # A Flask page, not one of Dash's: a plain link (the whole page loads).
            html.A("修改密码", href="/password", className="nav-link", id=ids.NAV_PASSWORD),
            # A form: signing out changes state, so it is a POST (cross-origin checked), never a GET link.
            html.Form(
                html.Button("退出", type="submit", className="nav-link", id=ids.NAV_LOGOUT),
                method="POST",
                action="/logout",
                className="nav-logout",
            ),
        ],
        className="navbar",
    )


def _layout_for_roles(page: Page) -> Callable[..., Any]:
    """The page's layout for its roles; others get a refusal instead of a page whose callbacks all fail with 403."""

    def layout(**query: str) -> Any:
        if current_user.is_authenticated and current_user.role not in page.ROLES:
            # Where this role may go instead (e.g. an evaluator signing in lands on the overview).
            allowed = [dcc.Link(p.NAME, href=p.PATH) for p in PAGES if current_user.role in p.ROLES]
            refused_on_page(f"{current_user.role.label}无权查看「{page.NAME}」页面。")  # kept in the audit log
            return html.Div(
                [
                    html.H1(page.NAME),
                    html.P(f"{current_user.role.label}无权查看此页面。", id=ids.PAGE_REFUSED),
                    # Whom to ask instead, where the page says (its REFUSAL_NOTE).
                    html.P(note, className="hint") if (note := getattr(page, "REFUSAL_NOTE", "")) else None,
                    html.P(["可以前往：", *allowed], className="toolbar") if allowed else None,
                ]
            )
        return page.layout(**query)

    return layout


def not_found(**_query: str) -> html.Div:
    """The page for an address that is not one of the app's pages, leading to the page the user starts on (a
    central channel's office was sent back to 总览, a page it may not open)."""
    home = home_of(current_user.role) if current_user.is_authenticated else None
    first = next((p for p in PAGES if p.PATH == home), None)
    return html.Div(
        [
            html.H1("页面不存在"),
            html.P("您访问的地址不存在，或页面已经移动。", id=ids.PAGE_NOT_FOUND),
            dcc.Link(f"返回{first.NAME}", href=first.PATH) if first else None,
        ]
    )


def _answer_unknown_addresses_with_404(server: flask.Flask, catch_all: str) -> None:
    """Dash serves its single page at every address and draws 页面不存在 for one that is no page; the HTTP status
    says so too (404), for link checkers, crawlers and the access log (it was 200). The one such address browsers ask
    for by themselves, /favicon.ico, gets the icon."""
    page_paths = {page.PATH.strip("/") for page in PAGES}
    icon = pkgutil.get_data("dash", "favicon.ico") or b""

    # Browsers ask for /favicon.ico by themselves (the sign-in page names no icon): it was the single page, now
    # Dash's icon, as /_favicon.ico serves it (not a 404 in every browser's console).
    @server.route("/favicon.ico")
    def favicon() -> flask.Response:
        return flask.Response(icon, mimetype="image/x-icon")

    @server.after_request
    def not_found_status(response: flask.Response) -> flask.Response:
        request = flask.request
        if request.endpoint == catch_all and response.status_code == 200 and request.path.strip("/") not in page_paths:
            response.status_code = 404
        return response


def close_app(app: Dash) -> None:
    """Stop an app's background work (its upload jobs, its outbox's flushes) before the process exits: an app made
    for a while (a test's) whose outbox flushed later would write into a warehouse and folder gone meanwhile."""
    app.server.extensions[CONTEXT_EXTENSION].close()


def redirect_in_chinese(location: str, code: int = 302) -> werkzeug.wrappers.Response:
    """A redirect whose page, seen by what does not follow it (curl, a script), is in Chinese (Flask's reads
    Redirecting... You should be redirected automatically)."""
    response = werkzeug_redirect(location, code=code, Response=flask.Response)
    target = escape(location)
    response.set_data(
        f'<!doctype html>\n<html lang="zh-CN"><meta charset="utf-8"><title>正在跳转</title>'
        f'<p>正在跳转到 <a href="{target}">{target}</a>。</p></html>\n'
    )
    return response


def create_app(settings: Settings) -> Dash:
    """A new app over the warehouse the settings name (callbacks are registered on this app only)."""
    # Flask resolves a relative file path against the package folder, not the working directory (a rejected
    # upload's report under the demo's relative var/ was a 500): every path below var/ is made absolute here, once.
    settings = dataclasses.replace(settings, db_path=settings.db_path.absolute())
    # The web's own variables, refused (naming the variable) before anything starts.
    https_only()
    trusted_origins()
    server = flask.Flask(__name__)
    server.redirect = redirect_in_chinese  # type: ignore[method-assign]
    server.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes + MAX_UPLOAD_BYTES_OVERHEAD
    context = AppContext.create(settings, open_warehouse(settings))
    server.extensions[CONTEXT_EXTENSION] = context
    auth = install_auth(
        server,
        context.store,
        context.reader,
        settings,
        context.sessions,
        context.outbox,
        {p.PATH: p.NAME for p in PAGES},
    )
    install_upload_routes(server, context.jobs, context.reader)
    install_download_routes(server, context.reader, settings)
    install_data_docs_routes(server, context.reader, settings, context.sessions)
    install_report_routes(server, context)
    # gzip/brotli for pages, callbacks and assets: the first load is ~7 MB of JavaScript and GeoJSON uncompressed.
    server.config["COMPRESS_MIMETYPES"] = COMPRESSED_TYPES
    # Assets are sent as file streams: compress those too, with what every browser accepts.
    server.config["COMPRESS_ALGORITHM_STREAMING"] = ["br", "gzip"]
    Compress(server)
    app = Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash annotates bool | Callable; its docs take a Flask app
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        title=PLATFORM_NAME,
        update_title="",  # keep the page title while callbacks run
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    # People read Chinese here: browsers, screen readers and the print stylesheet's hyphenation go by <html lang>.
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">', 1)
    for page in PAGES:
        dash.register_page(
            page.__name__, path=page.PATH, name=page.NAME, title=page_title(page.NAME), layout=_layout_for_roles(page)
        )
        registered = set(app.callback_map)
        page.register_callbacks(app, context)
        # A refused callback's audit record names the page it belongs to.
        auth.callback_pages.update(dict.fromkeys(set(app.callback_map) - registered, page.NAME))
    dash.register_page("not_found_404", path="/404", title=page_title("页面不存在"), layout=not_found)
    _answer_unknown_addresses_with_404(server, app.config.routes_pathname_prefix + "<path:path>")
    # After every callback is registered: the CSP allows Dash's inline scripts by their hashes.
    install_security(server, app.csp_hashes, app.callback_map)
    context.outbox.schedule()  # sign-in events a previous run left in the outbox
    app.layout = html.Div(
        [
            dcc.Location(id=ids.URL),
            # The first stop of the Tab key: past the navigation to the page (shown only while it has the focus).
            html.A("跳到正文", href=f"#{ids.MAIN}", className="skip-link"),
            html.Div(id=ids.NAV),
            html.Div(id=ids.STAMP, className="stamp"),
            html.Main(dash.page_container, id=ids.MAIN, className="content", tabIndex="-1"),
        ]
    )

    @app.callback(Output(ids.NAV, "children"), Output(ids.STAMP, "children"), Input(ids.URL, "pathname"))
    def show_navigation(_: str) -> tuple[html.Nav, Any]:
        if not current_user.is_authenticated:
            return _navigation(), None
        days = current_user.password_days_left
        # A password that grows too old soon is said under the menu, on every page, until it is changed.
        soon = (
            []
            if days is None
            else [html.A(f"您的密码 {days} 天后到期，请及时修改", href="/password", className="stamp-warn")]
        )
        return _navigation(), [*data_stamp(context), *soon]

    # A page's own action changes the data (a review, an upload, a finding's step, a score, a round's feedback): the
    # stamp's 数据截至, drawn when the page was opened, follows it.
    for result in DATA_CHANGING_RESULTS:
        app.callback(
            Output(ids.DATA_AS_OF, "children", allow_duplicate=True),
            Input(result, "children"),
            prevent_initial_call=True,
        )(lambda _result: data_as_of_text(context))

    return app
