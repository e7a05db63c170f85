"""`archive-census serve` and `users`: the dashboard server and its accounts."""

from __future__ import annotations

import argparse
import errno
import getpass
import socket
import sys
from typing import Any

from census_schema.clock import format_beijing
from census_schema.errors import UsageError
from census_schema.settings import load_settings
from cli.main import emit_json, saying_if_created, stop_on_sigterm
from cli.warehouse_cmd import format_table
from dash_app.auth import hash_password, password_max_age
from dash_app.formatting import NEVER_SIGNED_IN, account_state, describe_rename, role_text
from dash_app.pages.accounts import password_state
from dash_app.webstate import end_sessions_of, pending_events
from warehouse.backends import open_warehouse
from warehouse.reviews import Reviewer, describe_left_waiting
from warehouse.users import (
    add_user,
    choose_user_scope,
    clean_full_name,
    parse_role,
    query_accounts,
    set_full_name,
    set_user_active,
    stored_scope_codes,
)


def run_serve(args: argparse.Namespace, banner: str = "") -> int:
    """Serve the dashboard (threaded werkzeug server on loopback by default); `banner` is printed last."""
    from dash_app.app import create_app

    settings = load_settings(args.db, args.warehouse)
    with saying_if_created(settings):
        open_warehouse(settings).current_version()  # creates and migrates the warehouse when needed
    app = create_app(settings)
    # Bound before the address is announced: a port in use is said, not announced and then left to werkzeug's
    # English. werkzeug's server directly, not app.run: Flask's banner would print after ours.
    server = bind_server(args.host, args.port, app.server)
    stop_on_sigterm()  # a service manager's stop: as Ctrl-C, not as a crash (uploads drained, files removed)
    try:
        # Inside: a stop that comes while the address is announced is a stop too (CI's SIGTERM came during the flush).
        sys.stderr.write(f"\n仪表盘：http://{args.host}:{args.port}/  （Ctrl+C 停止）\n{banner}\n")
        sys.stderr.flush()
        server.serve_forever()  # werkzeug's returns at Ctrl-C (and SIGTERM, above): it swallows KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    # The exit handlers follow: the upload being loaded finishes first (CLOSE_WAIT_S), the queued ones are dropped.
    sys.stderr.write("已停止接受请求；正在装载的上传完成后退出。\n")
    return 0


def bind_server(host: str, port: int, wsgi_app: Any) -> Any:
    """A threaded werkzeug server listening on host:port; UsageError saying why when it cannot listen there.

    The socket is bound here and handed over: werkzeug, binding itself, prints the system's English words and
    exits the process when the port is taken."""
    from werkzeug.serving import get_sockaddr, make_server, select_address_family

    try:
        family = select_address_family(host, port)
        with socket.socket(family, socket.SOCK_STREAM) as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's own socket
            listener.bind(get_sockaddr(host, port, family))
            listener.listen(128)
            return make_server(host, port, wsgi_app, threaded=True, fd=listener.fileno())  # keeps a duplicate
    except OSError as error:
        message, hint = _why_not_listening(host, port, error)
        raise UsageError(message, hint=hint) from error


def require_free_port(host: str, port: int) -> None:
    """UsageError now, not after minutes of work, when the dashboard could not listen on host:port."""
    bind_server(host, port, lambda _environ, _start: []).server_close()


def _why_not_listening(host: str, port: int, error: OSError) -> tuple[str, str]:
    """What to tell a person whose server could not listen (the system's words are English; kept for --debug)."""
    if isinstance(error, socket.gaierror):
        return f"无法识别监听地址「{host}」。", "请用本机的 IP 地址，如 --host 127.0.0.1（仅本机访问）。"
    if error.errno == errno.EADDRINUSE:
        return (
            f"端口 {port} 已被其他程序占用，仪表盘无法在 {host}:{port} 上启动。",
            f"请关闭占用该端口的程序（可能是已在运行的仪表盘），或换一个端口，如 --port {port + 1 if port < 65535 else 8050}。",
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} 不是本机的网络地址，仪表盘无法在其上监听。",
            "仅本机访问用 --host 127.0.0.1；让其他计算机访问请用本机的局域网地址（请先确认防火墙和账号安全）。",
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return (
            f"没有权限在端口 {port} 上监听（1024 以下的端口需要管理员权限）。",
            "请改用 1024 以上的端口，如 --port 8050。",
        )
    return f"仪表盘无法在 {host}:{port} 上监听。", "请检查 --host 和 --port；加 --debug 可看到系统给出的原因。"


FIRST_SIGN_IN = "其本人下次登录时须先把这个密码改为只有自己知道的密码。"


def run_users(args: argparse.Namespace) -> int:
    """`users add NAME --role ROLE [--province CODE | --division CODE | --central CHANNEL] --password-stdin`,
    `users list`, `users rename NAME --full-name 姓名|--clear`, `users disable|enable NAME`."""
    settings = load_settings(args.db, args.warehouse)
    store = open_warehouse(settings)
    if args.users_command == "list":
        with store.reader() as con:
            users = query_accounts(con, pending_events(settings.var_dir))
        max_age = password_max_age(settings)
        if args.json:
            emit_json({"users": users})
            return 0
        if not users:
            print("尚无平台账号：可用 archive-census users add 用户名 --role 角色 --password-stdin 创建。")
            return 0
        rows = [
            (
                str(user["user_name"]),
                user["full_name"] or "—",
                role_text(str(user["role"]), user["province_code"], user["scope_code"]),
                account_state(user["is_active"]),
                format_beijing(user["created_at"]),
                format_beijing(user["last_sign_in"]) if user["last_sign_in"] else NEVER_SIGNED_IN,
                # As /accounts shows it: an administrator's password its owner has yet to change, or one too old; its
                # time in Beijing time, as the two columns before it say.
                password_state(user, max_age, format_beijing),
            )
            for user in users
        ]
        print(format_table(("用户名", "姓名", "角色", "状态", "创建时间", "最近登录", "密码"), rows))
        return 0
    if args.users_command == "rename":
        name = args.name.strip()
        person = None if args.clear else clean_full_name(args.full_name)
        if not args.clear and person is None:
            raise UsageError("姓名不能为空白。本次未做任何处理。", hint="要清除姓名的，请改用 --clear。")
        had = store.write(lambda con: set_full_name(con, name, person, by=getpass.getuser()))
        if args.json:
            emit_json({"user_name": name, "full_name": person, "before": had, "changed": had != person})
        else:
            print(describe_rename(name, had, person))
        return 0
    if args.users_command in ("disable", "enable"):
        active = args.users_command == "enable"
        name = args.name.strip()
        left = None
        if not active:  # as /accounts says before 停用: the returns left waiting for its review, and who can act
            with store.reader() as con:
                found = next(iter(query_accounts(con, user_name=name)), None)
                if found is not None and found["is_active"]:
                    left = describe_left_waiting(con, Reviewer.of_account(found))
        changed = store.write(lambda con: set_user_active(con, name, active, by=getpass.getuser()))
        if not active:
            end_sessions_of(settings.var_dir, name, "disabled")
        said = ("已启用" if active else "已停用") if changed else ("本来就是启用的" if active else "本来就已停用")
        if args.json:
            emit_json({"user_name": name, "is_active": active, "changed": changed, "left_waiting": left})
        else:
            ended = "" if active or not changed else "已登录的会话已失效，历史记录保留。"
            print(f"用户 {name} {said}。{ended}" + (f"{left}。" if left else ""))
        return 0
    name = args.name.strip()  # as the account is stored (add_user trims it)
    person = clean_full_name(args.full_name)  # refused before the password is read
    # A password piped from a Windows file ends in CRLF: the \r is not part of what the user types.
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UsageError(
            "没有从标准输入读到密码。",
            hint="例如：echo '密码' | archive-census users add 名称 --role planner --password-stdin",
        )
    password_hash = hash_password(password, name)
    role = parse_role(args.role)
    scope = choose_user_scope(role, args.province, args.division, args.central)
    stored = stored_scope_codes(role, scope)
    wanted = role_text(role, *stored)
    with saying_if_created(settings):
        with store.reader() as con:
            existing = next(iter(query_accounts(con, user_name=name)), None)
            left = None
            if existing is not None:
                left = describe_left_waiting(con, Reviewer.of_account(existing))
        if existing is not None and not args.replace:
            was = role_text(str(existing["role"]), existing["province_code"], existing["scope_code"])
            # As /accounts says it before a reset: the sessions it ends and, where the role or scope changes, the
            # returns left waiting for the account's review (a probe's CLI turned a province's office into an
            # evaluator saying neither).
            waiting = f"{left}。" if left and wanted != was else ""
            raise UsageError(
                f"已有用户 {name}（{was}{'' if existing['is_active'] else '，已停用'}）：重设会把它改为"
                f"{wanted}，并重设密码{'，其已登录的会话随即失效' if existing['is_active'] else '，重新启用该账号'}。"
                f"{waiting}本次未做任何处理。",
                hint="确要重设该用户的，请加 --replace；新用户请另取一个用户名。",
            )
        before = store.write(
            lambda con: add_user(
                con,
                name,
                password_hash,
                args.role,
                args.province,
                by=getpass.getuser(),
                must_change_password=True,
                division_code=args.division,
                central=args.central,
                full_name=person,
            )
        )
    # Signed-in browsers of this user must sign in again with the new password or role (their cookies would also
    # fail the credentials fingerprint; this ends the sessions on the server as well).
    end_sessions_of(settings.var_dir, name, "credentials_changed")
    if args.json:
        province_code, scope_code = stored
        emit_json(
            {
                "user_name": name,
                "role": args.role,
                "province_code": province_code,
                "scope_code": scope_code,
                "full_name": person,
                "replaced": before,
            }
        )
    elif before is None:
        print(f"已创建用户 {name}{f'（{person}）' if person else ''}：{wanted}。{FIRST_SIGN_IN}")
    else:
        was = role_text(before["role"], before["province_code"], before.get("scope_code"))
        stopped = "" if before["is_active"] else "，已停用"  # and enabled again, said below
        said = f"原为{was}{stopped}，现为{wanted}" if was != wanted else f"仍为{wanted}"
        enabled = "，已登录的会话已失效" if before["is_active"] else "；该账号已重新启用（可以登录）"
        print(f"已重设已有用户 {name}：{said}；密码已重设{enabled}。{FIRST_SIGN_IN}")
    return 0
