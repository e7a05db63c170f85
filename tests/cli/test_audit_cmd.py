"""`archive-census audit`: the audit log on the command line, as JSON with UTC and Beijing times, filtered by day,
kind and user; commands record their OS user and host; sign-ins still in the web server's outbox are listed too."""

from __future__ import annotations

import getpass
import json
import re
import socket
from datetime import datetime

import duckdb

from census_schema.audit import SYSTEM_ACTOR, AuditKind
from census_schema.roles import Role
from cli.main import display_width, main
from dash_app.audit_rows import shown_row, state_parts
from dash_app.formatting import division_name
from dash_app.pages import audit as audit_page
from dash_app.webstate import AuditOutbox, WebState
from tests.cli.test_light_commands import empty_warehouse
from tests.warehouse.test_schema_evolution import legacy_copy
from warehouse import users
from warehouse.audit import AuditSource, NamesInTime, new_event, record_event
from warehouse.backends import EmbeddedWarehouse


def run(capsys, *argv):
    code = main([*argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add_user(capsys, monkeypatch, db, *argv):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("A-password-1\n"))
    return run(capsys, "users", "add", *argv, "--password-stdin", "--db", str(db))


def test_changes_made_on_the_command_line_are_listed_as_json(tmp_path, capsys, monkeypatch):
    db = tmp_path / "var" / "w.duckdb"
    code, _, err = add_user(capsys, monkeypatch, db, "alice", "--role", "planner")
    assert code == 0 and f"注意：{db} 处原先没有数据仓库，已新建。" in err
    code, _, err = add_user(capsys, monkeypatch, db, "alice", "--role", "province", "--province", "440000", "--replace")
    assert code == 0 and "已新建" not in err
    assert run(capsys, "evaluation", "open", "--by", "规划处", "--db", str(db))[0] == 0
    code, out, err = run(capsys, "audit", "--json", "--db", str(db))
    assert (code, err) == (0, "")
    payload = json.loads(out)
    assert payload["count"] == 3
    opened, changed, created = payload["events"]
    assert (opened["kind"], opened["action"], opened["actor"], opened["target"]) == (
        "evaluation_round",
        "open",
        "规划处",
        "2025",
    )
    assert (changed["kind_label"], changed["action_label"]) == ("用户与角色", "修改")
    assert changed["before"]["role"] == "planner" and changed["after"]["role"] == "province"
    assert changed["actor"] == getpass.getuser() and created["action"] == "create"
    assert all(
        e["via"] == "command" and e["source_address"] == f"{getpass.getuser()}@{socket.gethostname()}"
        for e in payload["events"]
    )
    utc = datetime.fromisoformat(opened["occurred_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(opened["occurred_at_beijing"]) == utc and opened["occurred_at_beijing"].endswith(
        "+08:00"
    )

    code, out, _ = run(capsys, "audit", "--json", "--kind", "user", "--by", getpass.getuser(), "--db", str(db))
    assert [e["action"] for e in json.loads(out)["events"]] == ["change", "create"]
    # A new password for the same role and scope is a reset, named so (a probe filtered 修改 for it).
    code, _, _ = add_user(capsys, monkeypatch, db, "alice", "--role", "province", "--province", "440000", "--replace")
    code, out, _ = run(capsys, "audit", "--json", "--kind", "user", "--db", str(db))
    reset = json.loads(out)["events"][0]
    assert (code, reset["action"], reset["action_label"], reset["after"]["password_changed"]) == (
        0, "reset_password", "重设密码", True
    )  # fmt: skip
    code, out, _ = run(capsys, "audit", "--json", "--since", "2000-01-01", "--until", "2000-01-31", "--db", str(db))
    assert json.loads(out) == {"count": 0, "events": []}
    # A --by that is no one's in the log says so and names those containing it (it said 共 0 条。 and nothing more).
    code, out, _ = run(capsys, "audit", "--by", "规划", "--db", str(db))
    assert (code, out) == (
        0,
        "审计日志中没有操作人为「规划」的记录（操作人须与用户名或姓名完全一致）；相近的操作人：「规划处」。\n",
    )
    code, out, _ = run(capsys, "audit", "--db", str(db))
    assert code == 0 and "评价轮次" in out and "共 4 条。" in out
    # The columns named as /audit names them (来源 and 原因 were shorter words for 来源地址 and 原因或说明).
    assert out.splitlines()[0].split() == [column.header for column in audit_page.COLUMNS]
    # As the web reads it: the user by name, what changed item by item (the text had neither 变更前 nor 变更后).
    assert re.search(
        r"修改\s+「alice」\s+启用：是；省份：无；角色：国家档案局规划人员\s+启用：是；\S*省份：广东省；角色：省级档案部门",
        out,
    )


def test_sign_ins_waiting_in_the_web_server_s_outbox_are_listed(tmp_path, capsys):
    db = tmp_path / "var" / "w.duckdb"
    store = EmbeddedWarehouse(db)
    store.current_version()
    outbox = AuditOutbox(WebState(db.parent), store)
    outbox.add(new_event(AuditKind.LOGIN, "login_failed", actor="mallory", source=AuditSource("web", "10.9.8.7")))
    outbox.close()
    code, out, _ = run(capsys, "audit", "--json", "--kind", "login", "--db", str(db))
    [event] = json.loads(out)["events"]
    assert (event["actor"], event["source_address"], event["action_label"]) == ("mallory", "10.9.8.7", "登录失败")
    assert outbox.flush() == 1 and outbox.pending() == []
    assert json.loads(run(capsys, "audit", "--json", "--db", str(db))[1])["count"] == 1  # moved, listed once


def test_bad_filters_exit_2_with_a_message(tmp_path, capsys):
    db = empty_warehouse(tmp_path / "var" / "w.duckdb")
    code, out, err = run(capsys, "audit", "--kind", "nonsense", "--db", db)
    assert (code, out) == (2, "") and "未知的审计事件类别" in err and "login（登录）" in err
    code, _, err = run(capsys, "audit", "--since", "2025-02-30", "--db", db)
    # A day the calendar lacks is told why (it was given the usual form of a day, as if the form were wrong).
    assert code == 2 and "「2025-02-30」不是日期：2025年2月只有 28 天" in err and "请核对月份和日" in err
    code, _, err = run(capsys, "audit", "--since", "30.2.2025", "--db", db)
    assert code == 2 and "「30.2.2025」不是日期。" in err and "2025年6月30日" in err
    # A day is read as the platform writes and workbooks take it (2025年3月1日 was refused, 20250301 taken).
    assert run(capsys, "audit", "--since", "2025年3月1日", "--until", "2025/3/2", "--db", db)[0] == 0
    code, _, err = run(capsys, "audit", "--since", "2025-03-02", "--until", "2025-03-01", "--db", db)
    assert code == 2 and "截止日期早于起始日期" in err


def test_a_limit_out_of_range_is_refused_in_chinese(tmp_path, capsys):
    db = empty_warehouse(tmp_path / "w.duckdb")
    for limit in ("0", "99999999999999999999999"):  # the latter was an internal error (DuckDB's INT64 conversion)
        assert main(["audit", "--limit", limit, "--db", db]) == 2
        err = capsys.readouterr().err
        assert (
            "--limit 须为 1 到 1,000,000 之间的整数" in err and "处理办法：要看全部，请去掉 --limit" in err
        )  # how to fix


def test_an_upgrade_s_own_changes_are_listed_as_the_system_s(tmp_path, capsys):
    # Migration 067 recounted a finding's deadline of the 011 warehouse: nobody did it, the platform did.
    path = legacy_copy(tmp_path)
    code, out, _ = run(capsys, "audit", "--kind", "finding", "--db", str(path))
    (line,) = [line for line in out.splitlines() if "JC2023-001-01" in line]
    assert code == 0 and SYSTEM_ACTOR in line
    # Its recorded state by Chinese names and dates (original_deadline：2023-05-04 before).
    assert "原定整改期限：2023年5月4日" in line and "original_deadline" not in line


def test_an_upgrade_says_which_figures_of_the_summary_it_changed(tmp_path, capsys, caplog):
    # The 011 release computed 以卷为保管单位档案 by another rule (here: one more in each unit's row): the upgrade's
    # models compute it anew, and the audit log says so, unit by unit, instead of a figure changing without a word.
    path = legacy_copy(tmp_path)
    old = duckdb.connect(str(path))
    old.execute("ALTER VIEW mart_province_figures RENAME TO figures_of_011")
    old.execute(
        "CREATE VIEW mart_province_figures AS SELECT * REPLACE (vol_total + 1 AS vol_total) FROM figures_of_011"
    )
    units = old.execute("SELECT province_code, vol_total FROM mart_province_figures ORDER BY 1").fetchall()
    old.close()
    assert units

    code, out, _ = run(capsys, "audit", "--kind", "warehouse", "--json", "--db", str(path))
    (event,) = json.loads(out)["events"]
    assert code == 0 and (event["action"], event["actor"]) == ("upgrade", None)
    state = event["after"]
    assert (event["before"], state["changed_figures"]) == ({"migration": 11}, len(units))
    assert [(c["unit"], c["figure"], c["before"], c["after"]) for c in state["summary_changes"]] == [
        (code, "vol_total", total, total - 1) for code, total in units
    ]
    code, out, _ = run(capsys, "audit", "--kind", "warehouse", "--db", str(path))
    (line,) = [line for line in out.splitlines() if "升级数据仓库" in line]
    province, total = units[0]
    expected = f"{division_name(province)} 以卷为保管单位档案：{total:,} → {total - 1:,}（卷）"
    assert code == 0 and SYSTEM_ACTOR in line and "迁移版本：11" in line
    assert "新版本的统计规则或参考数据（如行政区划）使部分汇总数字有变化" in line
    # The figures in words as /audit lists them (the table's line is clipped: --json holds them whole).
    assert "变化的汇总数字（升级前 → 升级后）：" in line and "…" in line
    assert any(expected in item for item in state_parts(json.dumps(state, ensure_ascii=False)))
    # Where the upgrade ran, its operator is told too.
    assert any(
        "汇总中有" in r.getMessage() and "archive-census audit --kind warehouse" in r.getMessage()
        for r in caplog.records
    )


def test_an_event_names_the_person_who_held_the_account_then_and_is_found_by_that_name(tmp_path, capsys):
    # An account passed to a successor (修改姓名) credited every earlier event to the successor: a search for the
    # predecessor's name found nothing, and the successor's name listed the predecessor's uploads and reviews.
    db = empty_warehouse(tmp_path / "var" / "w.duckdb")
    with EmbeddedWarehouse(db).writer() as con:
        users.add_user(con, "guangdong", "-", Role.PROVINCE, "440000", by="管理员", full_name="李华")
        record_event(con, AuditKind.REVIEW, "accept", actor="guangdong", target="S-earlier")
        users.set_full_name(con, "guangdong", "张伟", by="管理员")
        record_event(con, AuditKind.REVIEW, "accept", actor="guangdong", target="S-later")

    def targets(person: str) -> list[str]:
        code, out, _ = run(capsys, "audit", "--json", "--kind", "review", "--by", person, "--db", db)
        assert code == 0
        return [event["target"] for event in json.loads(out)["events"]]

    assert (targets("李华"), targets("张伟"), targets("guangdong")) == (
        ["S-earlier"],
        ["S-later"],
        ["S-later", "S-earlier"],
    )
    code, out, _ = run(capsys, "audit", "--kind", "review", "--db", db)
    assert code == 0
    later, earlier = (line for line in out.splitlines() if "S-" in line)
    assert "张伟（guangdong）" in later and "李华（guangdong）" in earlier, out


def test_long_values_are_clipped_in_the_table_and_whole_in_json(tmp_path, capsys):
    # A probe: a 200-character reason made every line of the table ~3,300 columns wide (padded to the widest value).
    db = empty_warehouse(tmp_path / "var" / "w.duckdb")
    comment = "第5行数据有误，" * 25
    with EmbeddedWarehouse(db).writer() as con:
        record_event(con, AuditKind.REVIEW, "return", actor="审核员甲", target="S-long", reason=comment)
        record_event(con, AuditKind.REVIEW, "accept", actor="审核员甲", target="S-short", reason="无误")
    code, out, _ = run(capsys, "audit", "--db", db)
    lines = out.splitlines()
    assert code == 0 and max(display_width(line) for line in lines) < 400, max(map(display_width, lines))
    (line,) = [line for line in lines if "S-long" in line]
    assert line.endswith("…") and comment[:30] in line and comment not in line
    assert lines[-1] == "共 2 条。过长的内容已截断，以 … 标出；完整内容请用 --json 查看，或在网页的审计日志中点击该行。"
    code, out, _ = run(capsys, "audit", "--json", "--db", db)
    assert code == 0 and json.loads(out)["events"][1]["reason"] == comment


def test_a_state_s_items_are_joined_without_doubled_punctuation():
    # A probe read 拒绝理由：…的模板。；同一请求此后…: a sentence's full stop before the items' ；.
    state = json.dumps({"refusal": "广东省的账号只能下载本账号范围（广东省）的模板。", "repeats_within": "10 分钟"})
    row = {"event_id": "e", "occurred_at": datetime(2025, 6, 30), "actor": None, "via": "web", "kind": "access"}
    row |= {"source_address": None, "action": "access_refused", "target": "GET /download", "reason": None}
    shown = shown_row({**row, "before_state": None, "after_state": state}, NamesInTime({}, {}))
    assert shown["after_state"] == (
        "拒绝理由：广东省的账号只能下载本账号范围（广东省）的模板；同一请求此后不再重复记录的时长：10 分钟"
    )
