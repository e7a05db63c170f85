"""`/accounts` (administrators only): every account of the platform, its role, province and state, when it last
signed in and how many archives it has been assigned; accounts are changed on the command line (`users ...`)."""

from __future__ import annotations

from typing import Any

from dash import Dash, html

from census_schema.roles import Role
from dash_app import ids
from dash_app.access import Viewer, refuse, require_role
from dash_app.components import dropdown, labelled
from dash_app.context import AppContext
from dash_app.formatting import NEVER_SIGNED_IN, account_state, division_name, format_datetime
from dash_app.grid import Column, GridSpec, grid_block, register_grid
from warehouse.users import query_accounts

PATH = "/accounts"
NAME = "账号"
ROLES = (Role.ADMIN,)
# The state filter's values: whether the account is active.
STATES = {"active": True, "disabled": False}
MUST_CHANGE = "管理员所设，待本人修改"
COLUMNS = [
    Column("user_name", "用户名"),
    Column("role", "角色"),
    Column("province", "范围"),
    Column("state", "状态", classes=(("warn", account_state(False)),)),
    Column("created_at", "创建时间（北京时间）"),
    Column("last_sign_in", "最近登录（北京时间）", classes=(("warn", NEVER_SIGNED_IN),)),
    Column("password_set_at", "密码设置时间（北京时间）", classes=(("warn", MUST_CHANGE),)),
    Column("assigned_archives", "分派评价的档案馆", "int", "个"),
]


def _scope(role: str, province_code: str | None) -> str:
    """What an account sees: its province, 全国 (national users), or 分派的档案馆 (evaluators)."""
    if province_code:
        return division_name(province_code)
    return "分派的档案馆" if role == Role.EVALUATOR else "全国"


def load_accounts(context: AppContext, viewer: Viewer, role: Any, state: Any) -> list[dict[str, Any]]:
    """The accounts an administrator asked for (all, or of one role or state), as people read them."""
    require_role(viewer, Role.ADMIN)
    if role not in (None, *Role) or state not in (None, *STATES):
        refuse(400, "账号列表的查询条件格式不正确。")
    with context.reader.cursor() as con:
        rows = query_accounts(con, context.outbox.pending())
    return [
        _shown(row)
        for row in rows
        if role in (None, row["role"]) and (state is None or STATES[state] == row["is_active"])
    ]


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """An account as the grid shows it."""
    return {
        "user_name": row["user_name"],
        "role": Role(row["role"]).label,
        "province": _scope(row["role"], row["province_code"]),
        "state": account_state(row["is_active"]),
        "created_at": format_datetime(row["created_at"]),
        "last_sign_in": format_datetime(row["last_sign_in"]) if row["last_sign_in"] else NEVER_SIGNED_IN,
        "password_set_at": MUST_CHANGE if row["must_change_password"] else format_datetime(row["password_set_at"]),
        # Only an evaluator scores: another role's count would read as a task it has.
        "assigned_archives": row["assigned_archives"] if row["role"] == Role.EVALUATOR else None,
    }


def layout(**_query: str) -> html.Div:
    """What the page is for and how accounts are changed, the filters, the accounts."""
    return html.Div(
        [
            html.H1("账号"),
            html.P(
                "平台的全部账号（不显示密码）。新建账号、重设密码或角色、停用与启用，请在服务器上用命令行 "
                "archive-census users add、users disable、users enable：每次变更记入审计日志，停用的账号立即不能登录，"
                "已登录的会话随即失效；管理员新建或重设的密码，本人下次登录时须先改掉。长期未登录的账号宜停用。",
                className="hint",
            ),
            html.Div(
                [
                    labelled(
                        "角色",
                        dropdown(
                            ids.ACCOUNTS_ROLE,
                            [{"label": r.label, "value": r.value} for r in Role],
                            placeholder="全部角色",
                            style={"width": "220px"},
                        ),
                    ),
                    labelled(
                        "状态",
                        dropdown(
                            ids.ACCOUNTS_STATE,
                            [{"label": account_state(active), "value": value} for value, active in STATES.items()],
                            placeholder="全部状态",
                            style={"width": "160px"},
                        ),
                    ),
                ],
                className="toolbar",
            ),
            grid_block(ids.ACCOUNTS_GRID, COLUMNS, row_id="user_name", empty="没有符合条件的账号。"),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """The grid follows the filters; its export re-reads the same accounts."""
    register_grid(
        app,
        GridSpec(
            ids.ACCOUNTS_GRID,
            COLUMNS,
            ("user_name",),
            lambda viewer, role, state: load_accounts(context, viewer, role, state),
            [(ids.ACCOUNTS_ROLE, "value"), (ids.ACCOUNTS_STATE, "value")],
            "账号",
        ),
    )
