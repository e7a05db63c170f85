"""Users of the web app: stored with a password hash, a role and (for the reporting roles) the scope they report for."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from census_schema.archives import list_comprehensive_archives
from census_schema.audit import AuditKind
from census_schema.errors import AccessDenied, UsageError
from census_schema.fields import show_unseen
from census_schema.roles import REPORTING_ROLES, Role, person_label
from census_schema.scopes import Scope, account_scope, choose_account_scope
from warehouse.audit import AuditEvent, record_event
from warehouse.queries import fetch_named
from warehouse.transactions import transaction, utc_now


@dataclass(frozen=True)
class UserRecord:
    """A stored user (the hash never leaves the server)."""

    user_name: str
    password_hash: str
    role: Role
    province_code: str | None
    is_active: bool
    # Set by an administrator (a new account's, or a reset one): its owner replaces it before anything else.
    must_change_password: bool = False
    # When the password was set (UTC; None if never recorded): an old one is replaced first too (dash_app.auth).
    password_set_at: datetime | None = None
    # A prefecture's or county's division, a central channel's key (a province's office: None, its province above).
    scope_code: str | None = None
    # The person the account belongs to (张三), when an administrator gave it.
    full_name: str | None = None

    @property
    def scope(self) -> Scope | None:
        """The scope the account reports for (None for planners, evaluators and administrators)."""
        return account_scope(self.role, self.province_code, self.scope_code)


# Letters of other scripts drawn like Latin ones (Cyrillic, Greek), and the digits 0 and 1, by the Latin letter they
# pass for: a name written with them reads as another account's (Cyrillic а in "аdmin", 1 in "p1anner").
_LOOK_ALIKES = str.maketrans(
    "аеорсухіјѕԁɡһӏԛԝвмнкαβεικνορτυχ01",
    "aeopcyxijsdghlqwbmhkabeikvoptuxol",
)
# What the refusals say makes two names look the same.
LOOK_ALIKE_KINDS = "全角半角、数字 0 和 1 与字母 o 和 l，或用了形似拉丁字母的西里尔、希腊字母"


def name_skeleton(name: str) -> str:
    """What a user name looks like, for telling two names apart: full-width forms folded (NFKC), letter case
    ignored, letters of other scripts drawn like Latin ones read as those."""
    return unicodedata.normalize("NFKC", name).casefold().translate(_LOOK_ALIKES)


def find_look_alike(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """Another account whose name reads as this one (`name_skeleton`), the first by name; None when there is none."""
    skeleton = name_skeleton(name)
    others = con.execute("SELECT user_name FROM users WHERE user_name <> ? ORDER BY user_name", [name]).fetchall()
    return next((row[0] for row in others if name_skeleton(row[0]) == skeleton), None)


def refuse_look_alike(con: duckdb.DuckDBPyConnection, name: str, who: str, hint: str) -> None:
    """A UsageError when `name`, no account's, reads as an account's (`find_look_alike`): it would act or be recorded
    unchecked while reading as that account. `who` says what the name is (操作人); `hint` may name the {twin}."""
    twin = find_look_alike(con, name)
    if twin is not None:
        kind = "只差字母大小写" if twin.lower() == name.lower() else f"看起来相同（{LOOK_ALIKE_KINDS}）"
        raise UsageError(
            f"{who}「{name}」与平台用户「{twin}」{kind}，无法确定是否为该用户。本次未做任何处理。",
            hint=hint.format(twin=twin),
        )


def parse_role(role: Role | str) -> Role:
    """The role named by its value (planner, province, evaluator, admin); a clear refusal for anything else."""
    try:
        return Role(role)
    except ValueError:
        known = "；".join(f"{r.value}（{r.label}）" for r in Role)
        raise UsageError(f"未知角色 {role!r}。", hint=f"可用角色：{known}。") from None


def choose_user_scope(
    role: Role, province_code: str | None, division_code: str | None, central: str | None
) -> Scope | None:
    """The scope an account of `role` is to report for (None for the roles that report nothing); a UsageError when
    the scope named does not fit the role."""
    if role in REPORTING_ROLES:
        return choose_account_scope(role, province_code, division_code, central)
    if province_code or division_code or central:
        reporting = "、".join(r.label for r in Role if r in REPORTING_ROLES)
        raise UsageError(
            f"只有{reporting}的账号才指定报送范围（--province、--division、--central）。",
            hint="请去掉 --province、--division 或 --central，或改用报送单位的角色（--role）。",
        )
    return None


def stored_scope_codes(role: Role, scope: Scope | None) -> tuple[str | None, str | None]:
    """What `users` stores of an account's scope: its province (none for a central channel) and, below or beside the
    provinces, its division or channel (`scope_code`)."""
    if scope is None:
        return None, None
    return scope.province_code, None if role is Role.PROVINCE else scope.code


# What a new user name is made of: letters (汉字 included), digits, and . _ - @. A name is shown in the audit log,
# every history, exports and terminals, and typed at the sign-in: no spaces (two spaces read as one), no markup.
USER_NAME = re.compile(r"[\w.@-]+")


def check_new_user_name(name: str) -> None:
    """UsageError naming the characters a new user name may not hold (spaces, punctuation, markup)."""
    if USER_NAME.fullmatch(name):
        return
    odd = dict.fromkeys(c for c in name if not USER_NAME.fullmatch(c))
    named = "、".join("空格" if c == " " else f"「{c}」" for c in odd)
    raise UsageError(
        f"用户名「{name}」含有{named}：用户名只能由汉字、字母、数字和 . _ - @ 组成。",
        hint="请换一个用户名，例如 yuexiu-office 或 越秀区档案局。",
    )


MAX_FULL_NAME_CHARS = 32


def clean_full_name(text: str | None) -> str | None:
    """A person's name as given for an account, trimmed (None when blank); UsageError for one too long or holding
    characters that are not seen."""
    name = (text or "").strip()
    if not name:
        return None
    hint = "请填写账号使用人的姓名，例如 张三 或 阿依古丽·买买提。"
    if show_unseen(name) != name:
        raise UsageError(
            f"姓名「{show_unseen(name)[:40]}」含有看不见的字符（控制字符、零宽字符、换行或制表符）。本次未做任何处理。",
            hint=hint,
        )
    if len(name) > MAX_FULL_NAME_CHARS:
        raise UsageError(
            f"姓名「{name[:12]}…」有 {len(name)} 个字符，不能超过 {MAX_FULL_NAME_CHARS} 个。本次未做任何处理。",
            hint=hint,
        )
    return name


def set_full_name(con: duckdb.DuckDBPyConnection, user_name: str, full_name: str | None, *, by: str) -> str | None:
    """Give an account its person's name, change it or (blank) clear it, its password and sessions untouched; the
    name it had (None: none). UsageError for no such account."""
    person = clean_full_name(full_name)
    with transaction(con):
        row = con.execute("SELECT full_name FROM users WHERE user_name = ?", [user_name]).fetchone()
        if row is None:
            raise UsageError(f"没有用户「{user_name}」。", hint="可用 archive-census users list 查看用户名。")
        if row[0] != person:
            con.execute("UPDATE users SET full_name = ? WHERE user_name = ?", [person, user_name])
            record_event(
                con,
                AuditKind.USER,
                "rename",
                actor=by,
                target=user_name,
                before={"full_name": row[0]},
                after={"full_name": person},
            )
    return row[0]


def add_user(
    con: duckdb.DuckDBPyConnection,
    user_name: str,
    password_hash: str,
    role: Role | str,
    province_code: str | None,
    *,
    by: str,
    must_change_password: bool = False,
    division_code: str | None = None,
    central: str | None = None,
    full_name: str | None = None,
) -> dict[str, Any] | None:
    """Create or replace a user; a reporting role needs its scope (a province's office its census province, a
    prefecture's or county's office its division, a central channel's its channel key), other roles none. `by`: who
    did it; `must_change_password`: the password is an administrator's, for its owner to replace at the next sign-in;
    `full_name`: the person's name (a replaced account keeps its own when none is given).
    Returns the replaced user's role, province, scope and state (None for a new user)."""
    person = clean_full_name(full_name)
    name = user_name.strip()
    if not name:
        raise UsageError("用户名不能为空。", hint="请给出用户名，例如 guangdong。")
    if len(name) > 64:
        raise UsageError(f"用户名有 {len(name):,} 个字符，超过 64 个。", hint="请改用 64 个字符以内的用户名。")
    if show_unseen(name) != name:
        # A name is shown in the audit log, the history of every finding and on terminals: what it holds is seen.
        raise UsageError(
            f"用户名「{show_unseen(name)}」含有看不见的字符（控制字符、零宽字符、方向控制符、换行或制表符）。",
            hint="请只用看得见的字符（汉字、字母、数字、.、_、- 等）重新输入用户名。",
        )
    role = parse_role(role)
    scope = choose_user_scope(role, province_code, division_code, central)
    stored_province, stored_scope = stored_scope_codes(role, scope)
    with transaction(con):
        previous = con.execute(
            "SELECT password_hash, role, province_code, is_active, scope_code, full_name FROM users WHERE user_name = ?",
            [name],
        ).fetchone()
        if previous is None:
            check_new_user_name(name)
        twin = find_look_alike(con, name) if previous is None else None
        if twin is not None:
            raise UsageError(
                f"已有用户「{twin}」，与「{name}」看起来相同（只差字母大小写、{LOOK_ALIKE_KINDS}）："
                "两个账号容易混淆。本次未做任何处理。",
                hint=f"如要重设该用户，请用原名「{twin}」；如确是另一个人，请另取一个用户名。",
            )
        if previous is None:
            now = utc_now()
            con.execute(
                "INSERT INTO users (user_name, password_hash, role, province_code, scope_code, created_at, "
                "password_set_at, must_change_password, full_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, password_hash, role, stored_province, stored_scope, now, now, must_change_password, person],
            )
        else:  # the account keeps its creation time; it is active again
            if previous[1] == Role.ADMIN and previous[3] and role is not Role.ADMIN:
                require_another_admin(con, name)
            if previous[1] == Role.EVALUATOR and role is not Role.EVALUATOR:
                refuse_assigned_evaluator(con, name)
            changed = previous[0] != password_hash
            con.execute(
                "UPDATE users SET password_hash = ?, role = ?, province_code = ?, scope_code = ?, is_active = TRUE, "
                "password_set_at = CASE WHEN ? THEN ? ELSE password_set_at END, "
                "must_change_password = CASE WHEN ? THEN ? ELSE must_change_password END, "
                "full_name = coalesce(?, full_name) WHERE user_name = ?",
                [
                    password_hash,
                    role,
                    stored_province,
                    stored_scope,
                    changed,
                    utc_now(),
                    changed,
                    must_change_password,
                    person,
                    name,
                ],
            )
        # A division's or channel's code is recorded only for the accounts that have one.
        after = {"role": str(role), "province_code": stored_province, "is_active": True}
        after |= {"scope_code": stored_scope} if stored_scope else {}
        before = None
        if previous is not None:
            before = {"role": previous[1], "province_code": previous[2], "is_active": previous[3]}
            before |= {"scope_code": previous[4]} if previous[4] else {}
            before |= {"full_name": previous[5]} if previous[5] and person not in (None, previous[5]) else {}
            after["password_changed"] = changed
        if person is not None and (previous is None or person != previous[5]):
            after["full_name"] = person
        if must_change_password and (previous is None or changed):
            after["must_change_password"] = True
        # A new password alone for the same role and scope is a reset, named so (a probe filtered 修改 for it).
        scope_keys = ("role", "province_code", "scope_code")
        same = before is not None and all(before.get(k) == after.get(k) for k in scope_keys)
        action = "create" if previous is None else "reset_password" if same and changed else "change"
        record_event(con, AuditKind.USER, action, actor=by, target=name, before=before, after=after)
    return before


def require_another_admin(con: duckdb.DuckDBPyConnection, user_name: str) -> None:
    """UsageError when `user_name` is the platform's last active administrator (changing it would leave none)."""
    row = con.execute(
        "SELECT count(*) FROM users WHERE role = ? AND is_active AND user_name <> ?", [Role.ADMIN, user_name]
    ).fetchone()
    if not row or not row[0]:
        raise UsageError(
            f"「{user_name}」是平台唯一启用的系统管理员账号：改为其他角色或停用后，平台就没有系统管理员了。本次未做任何处理。",
            hint="请先新建（或启用）另一个系统管理员账号，再改这个账号。",
        )


def refuse_assigned_evaluator(con: duckdb.DuckDBPyConnection, user_name: str) -> None:
    """UsageError when an evaluator account has archives assigned: as another role it could not score them, and
    they would wait for it among the experts who have not submitted."""
    assigned = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT archive_code FROM evaluation_assignments WHERE evaluator = ? ORDER BY 1", [user_name]
        ).fetchall()
    ]
    if assigned:
        names = {archive.archive_code: archive.name for archive in list_comprehensive_archives()}
        listed = "、".join(names.get(code, code) for code in assigned[:5]) + (" 等" if len(assigned) > 5 else "")
        raise UsageError(
            f"「{user_name}」是评价专家，分派有 {len(assigned)} 个档案馆（{listed}）：改为其他角色后，这些分派无人评分，"
            "仍会算作未提交。本次未做任何处理。",
            hint="请先用 archive-census evaluation unassign 撤销这些分派；或为此人的新工作另建一个账号（另取用户名）。",
        )


def change_own_password(con: duckdb.DuckDBPyConnection, user_name: str, password_hash: str) -> bool:
    """A signed-in user's new password hash (the audit event says the password changed, never the hash); False
    when the account is no longer there or has been disabled meanwhile."""
    with transaction(con):
        if con.execute("SELECT 1 FROM users WHERE user_name = ? AND is_active", [user_name]).fetchone() is None:
            return False
        con.execute(
            "UPDATE users SET password_hash = ?, password_set_at = ?, must_change_password = false WHERE user_name = ?",
            [password_hash, utc_now(), user_name],
        )
        record_event(
            con, AuditKind.USER, "change_password", actor=user_name, target=user_name, after={"password_changed": True}
        )
    return True


def set_user_active(con: duckdb.DuckDBPyConnection, user_name: str, active: bool, *, by: str) -> bool:
    """Disable (or enable again) an account: a disabled one cannot sign in and keeps its history. Returns whether
    it changed (False: it already was so); a UsageError for no such user, or for the last active administrator."""
    with transaction(con):
        row = con.execute("SELECT role, is_active FROM users WHERE user_name = ?", [user_name]).fetchone()
        if row is None:
            raise UsageError(f"没有用户「{user_name}」。", hint="可用 archive-census users list 查看用户名。")
        if bool(row[1]) == active:
            return False
        if not active and row[0] == Role.ADMIN:
            require_another_admin(con, user_name)
        con.execute("UPDATE users SET is_active = ? WHERE user_name = ?", [active, user_name])
        record_event(
            con,
            AuditKind.USER,
            "enable" if active else "disable",
            actor=by,
            target=user_name,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return True


def get_user(con: duckdb.DuckDBPyConnection, user_name: str) -> UserRecord | None:
    """The active user with this name, if any."""
    row = con.execute(
        "SELECT user_name, password_hash, role, province_code, is_active, coalesce(must_change_password, false), "
        "password_set_at, scope_code, full_name FROM users WHERE user_name = ? AND is_active",
        [user_name],
    ).fetchone()
    if row is None:
        return None
    user_name, password_hash, role, province_code, is_active, must_change, password_set_at, scope_code, person = row
    return UserRecord(
        user_name, password_hash, Role(role), province_code, is_active, must_change, password_set_at, scope_code, person
    )


def person_of(con: duckdb.DuckDBPyConnection, user_name: str) -> str:
    """One account as people read it (`person_label`: 张三（guangdong）), disabled or not; a name without an account
    as it is."""
    row = con.execute("SELECT full_name FROM users WHERE user_name = ?", [user_name]).fetchone()
    return person_label(user_name, row[0] if row else None)


def account_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The person's name of every account that has one, by account (disabled ones too: their past acts still name
    them)."""
    return dict(con.execute("SELECT user_name, full_name FROM users WHERE full_name IS NOT NULL").fetchall())


def is_disabled_account(con: duckdb.DuckDBPyConnection, user_name: str) -> bool:
    """Whether this exact name is an account that is disabled (a sign-in with it is refused as any unknown name's)."""
    found = con.execute("SELECT NOT is_active FROM users WHERE user_name = ?", [user_name]).fetchone()
    return bool(found and found[0])


@dataclass(frozen=True)
class ActingAccount:
    """The platform account an actor's name (a command's --by) names."""

    user_name: str
    role: Role
    province_code: str | None
    is_active: bool
    scope_code: str | None = None

    @property
    def scope(self) -> Scope | None:
        """The scope the account reports for (None for planners, evaluators and administrators)."""
        return account_scope(self.role, self.province_code, self.scope_code)

    @property
    def office(self) -> str:
        """Whose account it is: its scope's name (广东省, 中央企业), or its role's for one that reports for none
        (国家档案局规划人员)."""
        scope = self.scope
        return self.role.label if scope is None else scope.name

    @property
    def described(self) -> str:
        """平台用户 name（role, 已停用 when it is)."""
        return f"平台用户 {self.user_name}（{self.role.label}{'' if self.is_active else '，已停用'}）"


def account_named(con: duckdb.DuckDBPyConnection, user_name: str) -> ActingAccount | None:
    """The account of this exact name, enabled or not; None for a name that is no account (the command line may load
    under any, and a return keeps the name it was sent under)."""
    row = con.execute(
        "SELECT user_name, role, province_code, is_active, scope_code FROM users WHERE user_name = ?", [user_name]
    ).fetchone()
    if row is None:
        return None
    name, role, province_code, is_active, scope_code = row
    return ActingAccount(name, Role(role), province_code, bool(is_active), scope_code)


def find_acting_account(con: duckdb.DuckDBPyConnection, by: str, *, from_sheet: bool = False) -> ActingAccount | None:
    """The platform account `by` names; None for a person without one (recorded as given). A name holding unseen
    characters, or reading as an account's without being it (letter case, full-width forms, Cyrillic or Greek
    letters drawn like Latin ones: `name_skeleton`), is refused: it acted unchecked while the audit log read as that
    account's. So is a typed name that is an account holder's own (姓名) unless it comes from a sheet's 操作人 column,
    where people of the inspected units are named and may share a name: `--by 李华` closed a finding the account of 李华
    had rectified."""
    if show_unseen(by) != by:
        raise UsageError(
            f"操作人「{show_unseen(by)}」含有看不见的字符（控制字符、零宽字符、方向控制符、换行或制表符）。本次未做任何处理。",
            hint="请只用看得见的字符重新输入操作人（--by）。",
        )
    exact = account_named(con, by)
    if exact is None:
        refuse_look_alike(con, by, "操作人", "以该用户的名义操作请写「{twin}」；不是该用户的，请写能与之区分的姓名。")
        holders = [] if from_sheet else [row[0] for row in con.execute(HOLDERS_OF_NAME, [by]).fetchall()]
        if holders:
            named = "、".join(f"「{holder}」" for holder in holders)
            raise UsageError(
                f"操作人「{by}」是平台用户{named}的姓名，无法确定是否以该用户的身份操作。本次未做任何处理。",
                hint=f"以该用户的名义操作请写其用户名{named}；不是该用户的，请写能与之区分的姓名（如在姓名后注明单位）。",
            )
        return None
    return exact


# The accounts whose holder has this name (姓名).
HOLDERS_OF_NAME = "SELECT user_name FROM users WHERE full_name = ? ORDER BY user_name"


def check_national_planner(con: duckdb.DuckDBPyConnection, by: str, cannot: str, whose: str) -> None:
    """AccessDenied (「…」不能{cannot}; {whose}) when `by` names a platform account other than an active planner of the
    national bureau. A person without an account is recorded as given (the command line is the operators' tool)."""
    account = find_acting_account(con, by)
    if account is None or (account.is_active and account.role is Role.PLANNER):
        return
    raise AccessDenied(f"{account.described}不能{cannot}。", hint=f"{whose}：请以其启用的账号操作，或核对 --by。")


def check_may_organise_evaluation(con: duckdb.DuckDBPyConnection, by: str) -> None:
    """AccessDenied when `by` names a platform account that may not organise the evaluation (open or close a round,
    assign or withdraw experts, issue or withdraw its findings): any but an active planner of the national bureau."""
    check_national_planner(
        con,
        by,
        "组织业务建设评价（开启或结束评价轮次、分派或撤回评价专家、下发或撤回整改问题）",
        "业务建设评价由国家档案局规划人员组织",
    )


def check_account_may_submit(
    con: duckdb.DuckDBPyConnection, user_name: str, scope: Scope | None, scope_name: str
) -> None:
    """AccessDenied when the name an upload is sent under is a platform account that may not send it: a disabled one,
    an evaluator, or a reporting account's for a scope outside its own (a province's office its province's, a
    prefecture's its own and its counties', a county's or central channel's its own) or a national workbook (`scope`
    None), an administrator (it manages accounts and reads; the web's /upload refuses it too). Other names are people
    without an account, recorded as given (a township's clerk)."""
    account = find_acting_account(con, user_name)
    if account is None:
        return
    role, own, is_active = account.role, account.scope, account.is_active
    who = f"平台用户 {user_name}（{role.label}）"
    if not is_active:
        raise AccessDenied(f"{who}已停用，不能以其名义报送。", hint="请以启用的账号报送，或请管理员重新启用该账号。")
    if role in (Role.EVALUATOR, Role.ADMIN):
        raise AccessDenied(f"{who}不能报送报表。", hint="请以报送单位或国家档案局的账号报送（--by）。")
    if own is not None and (scope is None or not own.covers(scope)):
        within = {Role.PROVINCE: "本省", Role.PREFECTURE: "本地区及所辖县级", Role.CENTRAL: "本渠道"}.get(role, "本县")
        raise AccessDenied(
            f"{who}只能报送{within}（{own.name}）的表，不能报送{scope_name}的表。",
            hint="请用该范围报送单位的账号或国家档案局的账号报送（命令行上请核对 --by）。",
        )


SIGNED_IN = "login_succeeded"


def query_accounts(
    con: duckdb.DuckDBPyConnection, pending: Iterable[AuditEvent] = (), user_name: str | None = None
) -> list[dict[str, Any]]:
    """Every account (or the one named) without its password hash, with its last sign-in (from the audit log and the
    sign-ins still on their way to it) and how many archives it has been assigned to score, by name.

    Grain: one row per account.
    """
    rows = fetch_named(
        con,
        """
        SELECT u.user_name, u.full_name, u.role, u.province_code, u.scope_code, u.is_active, u.created_at,
               u.password_set_at,
               coalesce(u.must_change_password, false) AS must_change_password, l.last_sign_in,
               coalesce(a.archives, 0) AS assigned_archives
        FROM users AS u
        LEFT JOIN (
            SELECT actor, max(occurred_at) AS last_sign_in FROM audit_log
            WHERE kind = ? AND action = ? AND (? IS NULL OR actor = ?) GROUP BY actor
        ) AS l ON l.actor = u.user_name
        LEFT JOIN (
            SELECT evaluator, count(DISTINCT archive_code) AS archives FROM evaluation_assignments GROUP BY evaluator
        ) AS a ON a.evaluator = u.user_name
        WHERE ? IS NULL OR u.user_name = ?
        ORDER BY u.user_name
        """,
        [AuditKind.LOGIN, SIGNED_IN, user_name, user_name, user_name, user_name],
    )
    waiting: dict[str, datetime] = {}
    for event in pending:
        if event.kind == AuditKind.LOGIN and event.action == SIGNED_IN and event.actor:
            waiting[event.actor] = max(event.occurred_at, waiting.get(event.actor, event.occurred_at))
    for row in rows:
        seen = [moment for moment in (row["last_sign_in"], waiting.get(row["user_name"])) if moment is not None]
        row["last_sign_in"] = max(seen, default=None)
    return rows
