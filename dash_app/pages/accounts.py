"""`/accounts` (administrators only): every account of the platform, its role, province and state, when it last
signed in and how many archives it has been assigned; an administrator creates an account, resets its password,
disables or enables it here (a role or scope is changed on the command line, `users add --replace`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from census_schema.divisions import PREFECTURE, load_divisions
from census_schema.errors import CensusError, UsageError
from census_schema.roles import Role
from census_schema.scopes import CENTRAL_CHANNELS, account_scope
from dash_app import ids
from dash_app.access import Viewer, current_viewer, refuse, require_role, require_text, said_on_page
from dash_app.auth import hash_password, password_max_age, password_too_old, strong_password
from dash_app.components import dropdown, labelled, page_url, query_string
from dash_app.context import AppContext
from dash_app.formatting import NEVER_SIGNED_IN, account_state, describe_rename, format_datetime, role_text
from dash_app.grid import WIDEST_SHOWN, Column, GridSpec, fill_from_clicked_row, grid_block, register_grid
from warehouse.reviews import Reviewer, describe_left_waiting
from warehouse.users import (
    MAX_FULL_NAME_CHARS,
    add_user,
    check_new_user_name,
    clean_full_name,
    find_look_alike,
    query_accounts,
    set_full_name,
    set_user_active,
)

Change = Literal["create", "reset", "disable", "enable", "rename"]
OWN_ACCOUNT = "修改自己的密码请用右上角的“修改密码”；自己的账号不能在这里重设或停用（您会随即退出，看不到新密码），须由另一位管理员操作。"

PATH = "/accounts"
NAME = "账号"
ROLES = (Role.ADMIN,)
# The roles as the filter and the new account's role offer them.
ROLE_OPTIONS = [{"label": r.label, "value": r.value} for r in Role]
# The state filter's values: whether the account is active.
STATES = {"active": True, "disabled": False}
MUST_CHANGE = "管理员所设，待本人修改"
# Sized to what they can hold (fit_width): the last column was cut at 1,400 px and read only by scrolling.
_MOMENT = WIDEST_SHOWN["datetime"]  # the times are formatted here, as text
COLUMNS = [
    Column("user_name", "用户名", wrap=True, wrap_width=120),
    Column("full_name", "姓名", wrap=True, wrap_width=90),
    Column("role", "角色", fits=tuple(r.label for r in Role)),
    Column("province", "范围", wrap=True, wrap_width=150),
    Column(
        "state", "状态", fits=(account_state(True), account_state(False)), classes=(("warn", account_state(False)),)
    ),
    Column("created_at", "创建时间（北京时间）", fits=(_MOMENT,)),
    Column(
        "last_sign_in", "最近登录（北京时间）", fits=(_MOMENT, NEVER_SIGNED_IN), classes=(("warn", NEVER_SIGNED_IN),)
    ),
    Column("password_set_at", "密码设置时间（北京时间）", wrap=True, wrap_width=170, classes=(("warn", MUST_CHANGE),)),
    Column("assigned_archives", "分派评价的档案馆", "int", "个", fits=("99",)),
]


def _scope(role: str, province_code: str | None, scope_code: str | None) -> str:
    """What an account sees: its scope (a province, prefecture, county or central channel), 全国 (national users), or
    分派的档案馆 (evaluators)."""
    scope = account_scope(Role(role), province_code, scope_code)
    if scope is not None:
        return scope.name
    return "分派的档案馆" if role == Role.EVALUATOR else "全国"


def new_scope_options(role: Any, province: Any) -> list[dict[str, str]]:
    """What a new account of a prefecture's or county's office may be for (the divisions of that level in the
    province chosen), or a central channel's (the three channels); none for the other roles."""
    if role == Role.CENTRAL:
        return [{"label": name, "value": key} for key, name in CENTRAL_CHANNELS.items()]
    if role not in (Role.PREFECTURE, Role.COUNTY) or not isinstance(province, str) or not province:
        return []
    divisions = load_divisions()
    if province not in divisions.by_code:
        return []
    prefectures = divisions.children(province)
    if role == Role.PREFECTURE:
        return [{"label": f"{p.name}（{p.code}）", "value": p.code} for p in prefectures if p.level == PREFECTURE]
    return [
        {"label": f"{p.name} · {c.name}（{c.code}）" if c is not p else f"{c.name}（{c.code}）", "value": c.code}
        for p in prefectures
        for c in ([p] if p.level != PREFECTURE else divisions.children(p.code))
        if c.level != PREFECTURE
    ]


def _account(context: AppContext, name: str) -> dict[str, Any] | None:
    with context.reader.cursor() as con:
        return next(iter(query_accounts(con, user_name=name)), None)


def _typed_name(name: Any) -> str:
    return name.strip() if isinstance(name, str) else ""


def preview_change(
    context: AppContext,
    viewer: Viewer,
    name: Any,
    role: Any = None,
    province: Any = None,
    scope: Any = None,
    full_name: Any = None,
) -> str | None:
    """What each button would do to the account typed, with the role, scope and name chosen, said before it is
    pressed (None for no name)."""
    require_role(viewer, Role.ADMIN)
    require_text(name, role, province, scope, full_name)
    if role not in (None, "", *Role):
        refuse(400, "未知的角色。")
    typed = _typed_name(name)
    if not typed:
        return None
    account = _account(context, typed)
    if account is None:
        with context.reader.cursor() as con:
            twin = find_look_alike(con, typed)
        if twin is not None:
            return f"没有账号「{typed}」，但它与已有账号「{twin}」看起来相同，不能新建；要变更那个账号请用原名。"
        try:
            check_new_user_name(typed)
        except UsageError as refused:  # said before 新建账号 is pressed (a probe was told to go on, then refused)
            return f"没有账号「{typed}」，也不能以此名新建：{refused.describe()}"
        return describe_new_account(typed, role, province, scope, full_name)
    if typed == viewer.user_name:
        return f"「{typed}」是您自己的账号：{OWN_ACCOUNT}"
    person = f"，姓名「{account['full_name']}」" if account["full_name"] else "，未填姓名"
    said = f"账号「{typed}」：{_role_text(account)}{person}，{account_state(account['is_active'])}。"
    said += "修改姓名只改姓名（留空则清除），密码和会话不变；"
    said += "重设密码会生成新的初始密码，其已登录的会话立即失效，本人须用新密码登录并改掉"
    if not account["is_active"]:
        return said + "，该账号随之重新启用；点“启用”则沿用原密码。"
    kept = "历史记录和评价分配" if account["role"] == Role.EVALUATOR else "历史记录"
    said += f"；停用后不能登录，已登录的会话立即失效，{kept}保留，可随时启用"
    with context.reader.cursor() as con:
        left = describe_left_waiting(con, Reviewer.of_account(account))
    said += f"。{left}。" if left else "。"
    if role and role != account["role"]:  # the role chosen is a new account's: said, lest it be read as a change
        said += f"所选角色（{Role(role).label}）只用于新建账号，不改变这个账号的角色。"
    return said


def describe_new_account(typed: str, role: Any, province: Any, scope: Any, full_name: Any) -> str:
    """What 新建账号 would create for a name no account has: the role and scope chosen, or what is still to choose."""
    missing = missing_for_new_account(role, province, scope)
    if missing is not None:
        return (
            f"没有账号「{typed}」，可以新建：{missing.rstrip('。')}（省级、地级、县级档案部门选省份，"
            "地级、县级和中央渠道再选所属范围），再点“新建账号”。"
        )
    province, scope = new_account_scope(role, province, scope)
    try:
        person = clean_full_name(full_name)
        shown = role_text(str(role), province, scope)
    except CensusError as error:
        return f"没有账号「{typed}」，按所填内容不能新建：{said_on_page(error)}"
    named = f"，姓名「{person}」" if person else "，未填姓名"
    return (
        f"没有账号「{typed}」：点“新建账号”将新建{shown}的账号{named}，"
        "并生成初始密码（只显示一次；本人首次登录须先改掉）。"
    )


def missing_for_new_account(role: Any, province: Any, scope: Any = None) -> str | None:
    """What a new account still lacks of the role and scope chosen (那一项请选择), None when they are complete."""
    if not role:
        return "请选择新账号的角色。"
    if role in (Role.PROVINCE, Role.PREFECTURE, Role.COUNTY) and not province:
        return f"请选择{Role(role).label}账号所属的省份。"
    if role in (Role.PREFECTURE, Role.COUNTY, Role.CENTRAL) and not scope:
        what = "报送渠道" if role == Role.CENTRAL else f"{Role(role).label[:2]}区划"
        return f"请选择{Role(role).label}账号所属的{what}（“所属范围”）。"
    return None


def new_account_scope(role: Any, province: Any, scope: Any) -> tuple[Any, Any]:
    """The province and scope a new account of this role keeps (a choice left in a field its role lacks is dropped)."""
    return (
        province if role in (Role.PROVINCE, Role.PREFECTURE, Role.COUNTY) else None,
        scope if role in (Role.PREFECTURE, Role.COUNTY, Role.CENTRAL) else None,
    )


def _role_text(account: dict[str, Any]) -> str:
    return role_text(account["role"], account["province_code"], account["scope_code"])


def change_account(
    context: AppContext,
    viewer: Viewer,
    change: Change,
    name: Any,
    role: Any,
    province: Any,
    scope: Any = None,
    full_name: Any = None,
) -> str:
    """Create an account, reset its password, disable or enable it, or change its person's name, as the administrator
    asked; what happened. The name typed is a new account's, or (修改姓名) the account's new name; a reset keeps the
    name the account has."""
    require_role(viewer, Role.ADMIN)
    require_text(name, role, province, scope, full_name)
    typed = _typed_name(name)
    if not typed:
        return "请先填写用户名（点击上表一行可填入）。"
    account = _account(context, typed)
    if typed == viewer.user_name and change in ("reset", "disable"):
        # Reset or disabled here, the administrator's own session would end before the page showed the new password.
        return f"「{typed}」是您自己的账号，未做任何处理：{OWN_ACCOUNT}"
    try:
        if change == "rename":
            if account is None:
                return f"没有账号「{typed}」。"
            person = clean_full_name(full_name)
            was = context.store.write(lambda con: set_full_name(con, typed, person, by=viewer.user_name))
            return describe_rename(typed, was, person)
        if change in ("disable", "enable"):
            if account is None:
                return f"没有账号「{typed}」。"
            active = change == "enable"
            changed = context.store.write(lambda con: set_user_active(con, typed, active, by=viewer.user_name))
            if not active:
                context.sessions.end_all(typed, "disabled")
            if not changed:
                return f"账号「{typed}」本来就{'是启用的' if active else '已停用'}。"
            return f"已{'启用' if active else '停用'}账号「{typed}」。" + (
                "" if active else "其已登录的会话已失效，历史记录保留。"
            )
        if change == "create":
            if account is not None:
                return (
                    f"已有账号「{typed}」：{_role_text(account)}。本次未做任何处理，"
                    "要为它生成新密码请点“重设密码”；改角色或报送范围请在服务器上用 archive-census users add --replace。"
                )
            missing = missing_for_new_account(role, province, scope)
            if missing is not None:
                return missing
            province, scope = new_account_scope(role, province, scope)
            person = clean_full_name(full_name)
        elif account is None:
            return f"没有账号「{typed}」，无法重设密码；要新建请点“新建账号”。"
        else:
            role, province, scope = account["role"], account["province_code"], account["scope_code"]
            person = None  # a reset keeps the account's name (the field may still hold another account's)
        password = strong_password(typed)
        password_hash = hash_password(password, typed)
        before = context.store.write(
            lambda con: add_user(
                con,
                typed,
                password_hash,
                role,
                province,
                by=viewer.user_name,
                must_change_password=True,
                division_code=None if role == Role.CENTRAL else scope,
                central=scope if role == Role.CENTRAL else None,
                full_name=person,
            )
        )
    except CensusError as error:
        return said_on_page(error)
    context.sessions.end_all(typed, "credentials_changed")
    done = "已创建账号" if before is None else "已重设账号"
    enabled = "" if before is None or before["is_active"] else "，该账号已重新启用"
    return (
        f"{done}「{typed}」{f'（{person}）' if person else ''}："
        f"{role_text(str(role), province, scope)}{enabled}。"
        f"初始密码：{password}"
        "（只显示这一次，请以安全的方式交给本人；本人首次登录须先改为只有自己知道的密码）。"
    )


def load_accounts(context: AppContext, viewer: Viewer, role: Any, state: Any) -> list[dict[str, Any]]:
    """The accounts an administrator asked for (all, or of one role or state), as people read them."""
    require_role(viewer, Role.ADMIN)
    if role not in (None, *Role) or state not in (None, *STATES):
        refuse(400, "账号列表的查询条件格式不正确。")
    with context.reader.cursor() as con:
        rows = query_accounts(con, context.outbox.pending())
    max_age = password_max_age(context.settings)
    return [
        _shown(row, max_age)
        for row in rows
        if role in (None, row["role"]) and (state is None or STATES[state] == row["is_active"])
    ]


def password_state(
    row: dict[str, Any], max_age: timedelta | None, moment: Callable[[Any], str] = format_datetime
) -> str:
    """When the password was set (written by `moment`), or that its owner must change it first (an administrator's,
    or too old)."""
    if row["must_change_password"]:
        return MUST_CHANGE
    set_at = row["password_set_at"]
    if max_age is None or not password_too_old(set_at, max_age):
        return moment(set_at)
    return moment(set_at) + f"（已超过 {max_age.days} 天，登录时须修改）"


def _shown(row: dict[str, Any], max_age: timedelta | None) -> dict[str, Any]:
    """An account as the grid shows it."""
    return {
        "user_name": row["user_name"],
        "full_name": row["full_name"] or "",
        "role": Role(row["role"]).label,
        "province": _scope(row["role"], row["province_code"], row["scope_code"]),
        "state": account_state(row["is_active"]),
        "created_at": format_datetime(row["created_at"]),
        "last_sign_in": format_datetime(row["last_sign_in"]) if row["last_sign_in"] else NEVER_SIGNED_IN,
        "password_set_at": password_state(row, max_age),
        # Only an evaluator scores: another role's count would read as a task it has.
        "assigned_archives": row["assigned_archives"] if row["role"] == Role.EVALUATOR else None,
    }


def layout(role: str | None = None, state: str | None = None, **_query: str) -> html.Div:
    """What the page is for and how accounts are changed, the filters (from the address, ?role=…&state=…, and
    written back to it), the accounts."""
    return html.Div(
        [
            page_url(),
            html.H1("账号"),
            html.P(
                "平台的全部账号（不显示密码）。每次变更记入审计日志；停用的账号立即不能登录，已登录的会话随即失效；"
                "管理员新建或重设的密码，本人下次登录时须先改掉。长期未登录的账号宜停用。改变已有账号的角色或报送范围，"
                "请在服务器上用命令行 archive-census users add --replace。",
                className="hint",
            ),
            html.Div(
                [
                    labelled(
                        "角色",
                        dropdown(
                            ids.ACCOUNTS_ROLE,
                            ROLE_OPTIONS,
                            value=role if role in {o["value"] for o in ROLE_OPTIONS} else None,
                            placeholder="全部角色",
                            style={"width": "220px"},
                        ),
                    ),
                    labelled(
                        "状态",
                        dropdown(
                            ids.ACCOUNTS_STATE,
                            [{"label": account_state(active), "value": value} for value, active in STATES.items()],
                            value=state if state in STATES else None,
                            placeholder="全部状态",
                            style={"width": "160px"},
                        ),
                    ),
                ],
                className="toolbar",
            ),
            grid_block(ids.ACCOUNTS_GRID, COLUMNS, row_id="user_name", empty="没有符合条件的账号。", fit_width=True),
            html.H2("新建与变更账号"),
            html.Div(
                [
                    labelled(
                        "用户名",
                        dcc.Input(
                            id=ids.ACCOUNTS_NAME,
                            placeholder="点击上表一行可填入",
                            maxLength=64,
                            style={"width": "220px"},
                        ),
                        for_id=ids.ACCOUNTS_NAME,
                    ),
                    labelled(
                        "姓名",
                        dcc.Input(
                            id=ids.ACCOUNTS_FULL_NAME,
                            placeholder="如 张三（可不填）",
                            maxLength=MAX_FULL_NAME_CHARS,
                            style={"width": "200px"},
                        ),
                        for_id=ids.ACCOUNTS_FULL_NAME,
                    ),
                    labelled(
                        "新账号的角色",
                        dropdown(
                            ids.ACCOUNTS_NEW_ROLE,
                            ROLE_OPTIONS,
                            placeholder="选择角色",
                            style={"width": "220px"},
                        ),
                    ),
                    labelled(
                        "省份（省级、地级、县级档案部门）",
                        dropdown(
                            ids.ACCOUNTS_NEW_PROVINCE,
                            [{"label": d.name, "value": d.code} for d in load_divisions().census_provinces()],
                            placeholder="选择省份",
                            style={"width": "200px"},
                        ),
                    ),
                    labelled(
                        "所属范围（地级、县级、中央渠道）",
                        dropdown(ids.ACCOUNTS_NEW_SCOPE, [], placeholder="先选角色和省份", style={"width": "260px"}),
                    ),
                    html.Button("新建账号", id=ids.ACCOUNTS_CREATE),
                    html.Button("重设密码", id=ids.ACCOUNTS_RESET),
                    html.Button("停用", id=ids.ACCOUNTS_DISABLE, className="button-danger"),
                    html.Button("启用", id=ids.ACCOUNTS_ENABLE),
                    html.Button("修改姓名", id=ids.ACCOUNTS_RENAME),
                ],
                className="toolbar",
            ),
            html.P(id=ids.ACCOUNTS_PREVIEW, className="hint"),
            html.Div(id=ids.ACCOUNTS_RESULT, className="result", role="status"),
        ]
    )


BUTTONS: dict[str, Change] = {
    ids.ACCOUNTS_CREATE: "create",
    ids.ACCOUNTS_RESET: "reset",
    ids.ACCOUNTS_DISABLE: "disable",
    ids.ACCOUNTS_ENABLE: "enable",
    ids.ACCOUNTS_RENAME: "rename",
}


def register_callbacks(app: Dash, context: AppContext) -> None:
    """The grid follows the filters and each change; its export re-reads the same accounts; a clicked row fills the
    form, which says what each button would do before it is pressed."""
    register_grid(
        app,
        GridSpec(
            ids.ACCOUNTS_GRID,
            COLUMNS,
            ("user_name",),
            lambda viewer, role, state, _result: load_accounts(context, viewer, role, state),
            [(ids.ACCOUNTS_ROLE, "value"), (ids.ACCOUNTS_STATE, "value"), (ids.ACCOUNTS_RESULT, "children")],
            "账号",
        ),
    )

    fill_from_clicked_row(app, ids.ACCOUNTS_GRID, ids.ACCOUNTS_NAME)

    @app.callback(
        Output(ids.PAGE_URL, "search", allow_duplicate=True),
        Input(ids.ACCOUNTS_ROLE, "value"),
        Input(ids.ACCOUNTS_STATE, "value"),
        prevent_initial_call=True,
    )
    def remember_filters(role: Any, state: Any) -> str:
        """The filters in the address: a link reproduces the view."""
        require_role(current_viewer(), Role.ADMIN)
        require_text(role, state)
        return query_string(role=role, state=state)

    @app.callback(
        Output(ids.ACCOUNTS_FULL_NAME, "value"), Input(ids.ACCOUNTS_GRID, "cellClicked"), prevent_initial_call=True
    )
    def pick_full_name(cell: dict[str, Any] | None) -> Any:
        # The clicked account's own name, to be corrected with 修改姓名 (the field kept the last name typed).
        require_role(current_viewer(), Role.ADMIN)
        account = _account(context, _typed_name((cell or {}).get("rowId")))
        return no_update if account is None else account["full_name"] or ""

    @app.callback(
        Output(ids.ACCOUNTS_PREVIEW, "children"),
        Input(ids.ACCOUNTS_NAME, "value"),
        Input(ids.ACCOUNTS_RESULT, "children"),
        Input(ids.ACCOUNTS_NEW_ROLE, "value"),
        Input(ids.ACCOUNTS_NEW_PROVINCE, "value"),
        Input(ids.ACCOUNTS_NEW_SCOPE, "value"),
        Input(ids.ACCOUNTS_FULL_NAME, "value"),
    )
    def preview(name: Any, _result: Any, role: Any, province: Any, scope: Any, full_name: Any) -> str | None:
        return preview_change(context, current_viewer(), name, role, province, scope, full_name)

    @app.callback(
        Output(ids.ACCOUNTS_RESULT, "children"),
        *(Input(button, "n_clicks") for button in BUTTONS),
        State(ids.ACCOUNTS_NAME, "value"),
        State(ids.ACCOUNTS_NEW_ROLE, "value"),
        State(ids.ACCOUNTS_NEW_PROVINCE, "value"),
        State(ids.ACCOUNTS_NEW_SCOPE, "value"),
        State(ids.ACCOUNTS_FULL_NAME, "value"),
        prevent_initial_call=True,
    )
    def act(*values: Any) -> str:
        change = BUTTONS.get(str(ctx.triggered_id))
        if change is None:
            refuse(400, "未知的账号操作。")
        name, role, province, scope, full_name = values[len(BUTTONS) :]
        return change_account(context, current_viewer(), change, name, role, province, scope, full_name)

    @app.callback(
        Output(ids.ACCOUNTS_NEW_SCOPE, "options"),
        Output(ids.ACCOUNTS_NEW_SCOPE, "value"),
        Input(ids.ACCOUNTS_NEW_ROLE, "value"),
        Input(ids.ACCOUNTS_NEW_PROVINCE, "value"),
    )
    def scope_options(role: Any, province: Any) -> tuple[list[dict[str, str]], None]:
        require_role(current_viewer(), Role.ADMIN)
        return new_scope_options(role, province), None
