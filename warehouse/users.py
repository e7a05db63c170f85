"""Users of the web app: stored with a password hash, a role and (for provincial offices) a province."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from census_schema.audit import AuditKind
from census_schema.divisions import require_census_province
from census_schema.errors import UsageError
from census_schema.roles import Role
from warehouse.audit import record_event
from warehouse.transactions import transaction, utc_now

ROLES = tuple(Role)


@dataclass(frozen=True)
class UserRecord:
    """A stored user (the hash never leaves the server)."""

    user_name: str
    password_hash: str
    role: str
    province_code: str | None
    is_active: bool


def add_user(
    con: duckdb.DuckDBPyConnection,
    user_name: str,
    password_hash: str,
    role: str,
    province_code: str | None,
    *,
    by: str | None = None,
) -> None:
    """Create or replace a user; a province user needs a census province, other roles none. `by`: who did it."""
    name = user_name.strip()
    if not name or len(name) > 64:
        raise UsageError("用户名不能为空，且不超过 64 个字符。")
    if role not in ROLES:
        raise UsageError(
            f"未知角色 {role!r}。", hint="可用角色：" + "；".join(f"{r.value}（{r.label}）" for r in Role) + "。"
        )
    if role == Role.PROVINCE:
        if not province_code:
            raise UsageError("省级用户必须指定 --province。")
        require_census_province(province_code)
    elif province_code:
        raise UsageError("只有省级用户（province）才指定省份。")
    with transaction(con):
        previous = con.execute(
            "SELECT password_hash, role, province_code, is_active FROM users WHERE user_name = ?", [name]
        ).fetchone()
        con.execute("DELETE FROM users WHERE user_name = ?", [name])
        con.execute(
            "INSERT INTO users (user_name, password_hash, role, province_code, created_at) VALUES (?, ?, ?, ?, ?)",
            [name, password_hash, role, province_code if role == Role.PROVINCE else None, utc_now()],
        )
        after = {"role": role, "province_code": province_code if role == Role.PROVINCE else None, "is_active": True}
        before = None
        if previous is not None:
            before = {"role": previous[1], "province_code": previous[2], "is_active": previous[3]}
            after["password_changed"] = previous[0] != password_hash
        record_event(
            con, AuditKind.USER, "change" if previous else "create", actor=by, target=name, before=before, after=after
        )


def get_user(con: duckdb.DuckDBPyConnection, user_name: str) -> UserRecord | None:
    """The active user with this name, if any."""
    row = con.execute(
        "SELECT user_name, password_hash, role, province_code, is_active FROM users WHERE user_name = ? AND is_active",
        [user_name],
    ).fetchone()
    return UserRecord(*row) if row else None


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Every user without password hashes, by name."""
    rows = con.execute(
        "SELECT user_name, role, province_code, is_active, created_at FROM users ORDER BY user_name"
    ).fetchall()
    return [dict(zip(("user_name", "role", "province_code", "is_active", "created_at"), r, strict=True)) for r in rows]
