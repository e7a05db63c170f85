"""Who is asking, and what they may see: enforced where data is read, never by hiding controls."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, NoReturn

import duckdb
import flask
from flask_login import current_user

from census_schema.divisions import census_province_of, load_divisions
from census_schema.errors import AccessDenied, CensusError
from census_schema.roles import LOCAL_ROLES, Role, person_label
from census_schema.scopes import Scope, account_scope, central_area_code, parse_central_area, parse_stored_scope
from dash_app.formatting import area_name
from dash_app.security import NOT_A_CALLBACK, REFRESH_HINT, Refused
from warehouse.queries import list_submissions
from warehouse.reviews import Reviewer

# Who sees submissions (the /submissions page, a submission's Data Docs and error report); a reporting account sees
# only those of its own scope (a province's office its province's, a prefecture's its own and its counties').
SUBMISSION_ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE, Role.PREFECTURE, Role.COUNTY, Role.CENTRAL)
# The roles that open 数据质量 (/quality): the nation's and the provinces' figures.
QUALITY_ROLES = (Role.PLANNER, Role.ADMIN, Role.PROVINCE)


def where_warnings_are(role: Role | None) -> str:
    """Where a sentence about changed warnings sends the viewer: 数据质量 for its roles, else 提交记录 (a prefecture's
    or county's office was sent to a page it may not open)."""
    return "（见“数据质量”）" if role in QUALITY_ROLES else "（见“提交记录”中各报表的警告数）"


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the data layer sees them."""

    user_name: str
    role: Role
    province_code: str | None
    # A prefecture's or county's division, a central channel's key (see census_schema.scopes.account_scope).
    scope_code: str | None = None
    # The person the account belongs to, when an administrator gave it.
    full_name: str | None = None

    @property
    def is_national(self) -> bool:
        """Planners and administrators see every province."""
        return Role(self.role).is_national

    @property
    def scope(self) -> Scope | None:
        """The scope the viewer reports for (None for national users and evaluators)."""
        return account_scope(Role(self.role), self.province_code, self.scope_code)

    @property
    def signed_name(self) -> str:
        """Who the viewer is on what leaves the platform (an export's 导出人, a report's 生成人): 张三（planner), or the
        account's name alone when it has no person's name."""
        return person_label(self.user_name, self.full_name)

    @property
    def area_name(self) -> str:
        """Whose rows the viewer sees, as an export's title names them: 广东省, 广东省广州市, 中央企业, or 全国."""
        scope = self.scope
        return "全国" if scope is None else scope.name


def current_viewer() -> Viewer:
    """The signed-in user; HTTP 401 when nobody is signed in."""
    if not current_user.is_authenticated:
        flask.abort(401)
    return Viewer(
        current_user.id, current_user.role, current_user.province_code, current_user.scope_code, current_user.full_name
    )


# What a callback answers a request that the page could not have sent.
FORGED_REQUEST = f"{NOT_A_CALLBACK}。{REFRESH_HINT}"


def said_on_page(error: CensusError) -> str:
    """A refused or failed action as its page says it (HTTP 200), without the hint's clauses that point to the command
    line's options (a web user has none to check: 或核对 --by); a refusal (AccessDenied: another archive's sheet,
    another area's return) is also kept in the audit log, as a 403 is (`dash_app.auth`, after the request)."""
    said = for_web(error).describe()
    return refused_on_page(said) if isinstance(error, AccessDenied) else said


def refused_on_page(said: str) -> str:
    """A refusal a page says (HTTP 200), kept in the audit log in its own words as a 403 is (an administrator's forged
    review or finding change, another role's page, left no record)."""
    flask.g.refused_on_page = said
    return said


def for_web(error: CensusError) -> CensusError:
    """The error as a web page says it: its hint without the clauses that name the command line's options."""
    if not error.hint or not COMMAND_LINE_OPTION.search(error.hint):
        return error
    # A fragment naming an option goes first (（页面上的说明框、整改进展表的说明列，命令行用 --note）keeps its first
    # two); then any clause still naming one.
    hint = OPTION_FRAGMENT.sub("", error.hint)
    clauses = [part for part in re.split(r"(?<=[；。])", hint) if part.strip()]
    shown = copy.copy(error)
    shown.hint = "".join(part for part in clauses if not COMMAND_LINE_OPTION.search(part)).rstrip("；") or None
    return shown


# A command-line option named in a message (--by, --confirm) or a command (archive-census users add).
COMMAND_LINE_OPTION = re.compile(r"(?<![\w-])--[a-z]|archive-census ")
# A part of a list inside a sentence (after ，or 、) that names an option: 「，命令行用 --note」.
OPTION_FRAGMENT = re.compile(r"[，、][^，、；。（）]*(?<![\w-])--[a-z][^，、；。（）]*")


def refuse(status: int, message: str) -> NoReturn:
    """Stop the request with a short Chinese message as plain text (a 4xx, never a traceback)."""
    flask.abort(flask.Response(message, status=status, mimetype="text/plain"))


def require_text(*values: Any) -> None:
    """HTTP 400 unless every value is text or empty, as the page's own inputs send it (anything else was forged)."""
    if any(value is not None and not isinstance(value, str) for value in values):
        refuse(400, FORGED_REQUEST)


def deny(reason: str) -> NoReturn:
    """HTTP 403, saying why in words on the refusal page and in the audit log (not only which callback it was)."""
    raise Refused(reason)


def require_role(viewer: Viewer, *roles: Role | str) -> None:
    """HTTP 403 unless the viewer has one of the roles (Role members; their values are accepted too)."""
    if viewer.role not in roles:
        allowed = "、".join(dict.fromkeys(Role(role).label for role in roles))
        deny(f"{Role(viewer.role).label}无权进行此操作（仅限{allowed}）。")


def _outside_scope(viewer: Viewer, requested: str | None) -> NoReturn:
    """HTTP 403 for an area outside the viewer's own, named in the refusal."""
    asked = "全国" if requested is None else area_name(requested)
    if viewer.scope is not None:  # an office held to its own area
        deny(f"{viewer.area_name}的账号只能查看{own_area(viewer)}的数据，无权查看{asked}的数据。")
    deny(f"{Role(viewer.role).label}无权查看{asked}的数据。")


def scope_division(viewer: Viewer, requested: str | None, *, local_area: bool = False) -> str | None:
    """The division (a province or one of its divisions) whose census rows a request may read; None is national.

    A provincial user is held to their own province; asking for another province is refused (HTTP 403). A code that
    is not a current division is refused as not found (HTTP 404), whoever asks. The central channels' area
    (`central`, `central:<channel>`) is national users': they report to the national bureau directly. A
    prefecture's or county's office is held to its own division, and a central channel's office to its own channel
    (`central:<channel>`), only where the page serves them (`local_area`: the coverage and lineage pages);
    everywhere else they are refused, as every other role is.
    """
    own_channel = channel_area(viewer) if local_area else None
    if requested is None and own_channel is not None:
        return own_channel
    if parse_central_area(requested)[0]:
        if viewer.is_national or requested == own_channel:
            return requested
        _outside_scope(viewer, requested)
    if requested is not None and requested not in load_divisions().by_code:
        refuse(404, f"「{requested[:20]}」不是现行的行政区划代码。")
    if viewer.is_national:
        return requested
    if viewer.role is Role.PROVINCE and viewer.province_code:
        if requested not in (None, viewer.province_code) and census_province_of(requested) != viewer.province_code:
            _outside_scope(viewer, requested)
        return requested if requested else viewer.province_code
    own = viewer.scope
    if local_area and viewer.role in LOCAL_ROLES and own is not None:
        if requested is not None and not own.contains_division(requested):
            _outside_scope(viewer, requested)
        return requested if requested else own.code
    _outside_scope(viewer, requested)


def channel_area(viewer: Viewer) -> str | None:
    """A central channel's office's own area (`central:<channel>`); None for every other viewer."""
    scope = viewer.scope
    return central_area_code(scope.code) if viewer.role is Role.CENTRAL and scope is not None else None


def own_area(viewer: Viewer) -> str:
    """What a viewer held to part of the country calls it: 本省, 本地区 (a prefecture's or county's office), 本渠道 (a
    central channel's office)."""
    return "本地区" if viewer.role in LOCAL_ROLES else "本渠道" if viewer.role is Role.CENTRAL else "本省"


def scope_province(viewer: Viewer) -> str | None:
    """The province whose rows the viewer may read: None (all provinces) for national users, else their own."""
    scope = scope_division(viewer, None)
    return None if scope is None else census_province_of(scope)


def can_review(viewer: Viewer) -> bool:
    """Reviewers: the bureau's planners (province-wide and central returns, and what the provinces passed on),
    provincial offices (their own prefectures' and counties' returns) and prefectures' offices (their counties'); an
    administrator reads. Which return a reviewer may act on is decided where the review is recorded
    (warehouse.reviews)."""
    return reviewer_of(viewer).level is not None


def reviewer_of(viewer: Viewer) -> Reviewer:
    """The viewer as a reviewer (its level follows from its role and scope)."""
    return Reviewer(viewer.user_name, Role(viewer.role), viewer.province_code, viewer.scope_code)


def sees_submission(viewer: Viewer, submission: dict[str, Any]) -> bool:
    """True when the viewer may see a submission (a row of `list_submissions`): every one for national users, a
    province's office its province's, a prefecture's its own scope's and its counties', a county's or central
    channel's its own scope's."""
    if viewer.role not in SUBMISSION_ROLES:
        return False
    if viewer.is_national:
        return True
    own = viewer.scope
    scope = parse_stored_scope(submission["scope_kind"], submission["scope_code"], submission["province_code"])
    return own is not None and scope is not None and own.covers(scope)


def visible_submissions(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> list[dict[str, Any]]:
    """The submissions the viewer may see (`sees_submission`), newest first."""
    if viewer.role not in SUBMISSION_ROLES:
        return []
    province = None if viewer.is_national else (viewer.scope.province_code if viewer.scope else None)
    return [s for s in list_submissions(con, province) if sees_submission(viewer, s)]


def find_visible_submission(
    con: duckdb.DuckDBPyConnection, viewer: Viewer, submission_id: str
) -> dict[str, Any] | None:
    """The submission, if the viewer may see it; another scope's is not found either (that it exists is not the
    viewer's to learn)."""
    found = [s for s in visible_submissions(con, viewer) if s["submission_id"] == submission_id]
    return found[0] if found else None
