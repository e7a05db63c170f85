"""`archive-census serve` and `users`: the dashboard server and its accounts."""

from __future__ import annotations

import argparse
import getpass
import sys

from census_schema.errors import UsageError
from census_schema.settings import load_settings
from cli.main import emit_json, saying_if_created
from dash_app.auth import hash_password
from dash_app.webstate import end_sessions_of
from warehouse.backends import open_warehouse
from warehouse.users import add_user, list_users


def run_serve(args: argparse.Namespace, banner: str = "") -> int:
    """Serve the dashboard (threaded werkzeug server on loopback by default); `banner` is printed last."""
    from werkzeug.serving import run_simple

    from dash_app.app import create_app

    settings = load_settings(args.db, args.warehouse)
    with saying_if_created(settings):
        open_warehouse(settings).current_version()  # creates and migrates the warehouse when needed
    app = create_app(settings)
    sys.stderr.write(f"\n仪表盘：http://{args.host}:{args.port}/  （Ctrl+C 停止）\n{banner}\n")
    sys.stderr.flush()
    try:
        # werkzeug directly, not app.run: Flask's banner ("Serving Flask app …") would print after ours.
        run_simple(args.host, args.port, app.server, threaded=True)
    except KeyboardInterrupt:
        sys.stderr.write("已停止。\n")
    return 0


def run_users(args: argparse.Namespace) -> int:
    """`users add NAME --role ROLE [--province CODE] --password-stdin` and `users list`."""
    settings = load_settings(args.db, args.warehouse)
    store = open_warehouse(settings)
    if args.users_command == "list":
        with store.reader() as con:
            users = list_users(con)
        if args.json:
            emit_json({"users": users})
        else:
            for user in users:
                print(f"{user['user_name']}\t{user['role']}\t{user['province_code'] or ''}")
        return 0
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise UsageError(
            "没有从标准输入读到密码。",
            hint="例如：echo '密码' | archive-census users add 名称 --role planner --password-stdin",
        )
    password_hash = hash_password(password)
    with saying_if_created(settings):
        store.write(lambda con: add_user(con, args.name, password_hash, args.role, args.province, by=getpass.getuser()))
    # Signed-in browsers of this user must sign in again with the new password or role (their cookies would also
    # fail the credentials fingerprint; this ends the sessions on the server as well).
    end_sessions_of(settings.var_dir, args.name.strip(), "credentials_changed")
    if args.json:
        emit_json({"user_name": args.name, "role": args.role, "province_code": args.province})
    else:
        print(f"已创建用户 {args.name}（{args.role}）")
    return 0
