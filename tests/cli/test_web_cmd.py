"""`archive-census serve` (and `demo --serve`) say in Chinese, with exit 2, why the dashboard cannot listen where it
is asked to, before announcing an address or loading anything (werkzeug printed English and exited 1; a port above
65535 served on a random port while the banner named the one asked for); `users add` refuses a name holding
characters nobody sees and a password easy to guess (spaces, under 8 characters, under three kinds of characters,
the user's name, a well-known one), saying the rule."""

from __future__ import annotations

import io
import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from werkzeug.security import check_password_hash

from cli.main import main
from dash_app.security import https_only, trusted_origins
from tests.flows.workbooks import PROVINCE, census_workbook
from warehouse.backends import EmbeddedWarehouse
from warehouse.users import change_own_password, get_user


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def test_a_port_in_use_is_refused_before_the_address_is_announced(tmp_path, capsys, taken_port):
    assert main(["serve", "--port", str(taken_port), "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert f"端口 {taken_port} 已被其他程序占用" in err and f"--port {taken_port + 1}" in err
    assert "仪表盘：http" not in err and "Address already in use" not in err


def test_the_demo_refuses_a_port_in_use_before_it_loads_anything(tmp_path, capsys, taken_port):
    db = tmp_path / "demo" / "w.duckdb"
    assert main(["demo", "--serve", "--port", str(taken_port), "--db", str(db), "--orchestrator", "direct"]) == 2
    assert f"端口 {taken_port} 已被其他程序占用" in capsys.readouterr().err
    assert not db.parent.exists()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--host", "192.0.2.1"], "192.0.2.1 不是本机的网络地址"),  # TEST-NET-1: never a local address
        (["--host", "no-such-host.invalid"], "无法识别监听地址「no-such-host.invalid」"),
        (["--port", "99999"], "参数 --port 的取值 '99999' 无效（应为1～65535 的端口号）"),
        (["--port", "0"], "参数 --port 的取值 '0' 无效（应为1～65535 的端口号）"),
    ],
)
def test_an_address_the_dashboard_cannot_listen_on_is_said_in_chinese(tmp_path, capsys, argv, said):
    assert main(["serve", *argv, "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert said in err and "仪表盘：http" not in err


@pytest.mark.parametrize(
    ("name", "password", "said"),
    [
        ("guangdong\u202e", "A-long-enough-password", "用户名「guangdong[U+202E]」含有看不见的字符"),
        ("zhang\u200bsan", "A-long-enough-password", "用户名「zhang[U+200B]san」含有看不见的字符"),
        ("a\tb", "A-long-enough-password", "用户名「a[U+0009]b」含有看不见的字符"),
        ("planner2", " " * 12, "密码不能全是空格"),
        ("planner2", "Ab1-xyz", "密码至少 8 个字符，这个只有 7 个"),
        ("planner2", "12345678", "密码只含数字，须含大写字母、小写字母、数字、其他符号四类中的至少三类"),
        ("planner2", "档案馆档案馆2024", "密码只含数字、其他符号，须含"),
        ("planner2", "xx-PLANNER2-xx", "密码不能包含用户名"),
        ("planner2", "Admin@123", "这是一个常见的弱密码"),
        # A common word dressed up with a capital, digits or look-alike symbols (they passed), a two-letter name.
        ("planner2", "Password1", "这是一个常见的弱密码"),
        ("planner2", "Qwerty123", "这是一个常见的弱密码"),
        ("planner2", "P@ssw0rd!23", "这是一个常见的弱密码"),
        ("u1", "u1u1U1u1!", "密码不能包含用户名"),
        # A byte-order mark from a file counted as the third kind, and the password could never be typed to sign in.
        ("planner2", "\ufeffwelcome2025", "密码含有看不见的字符（[U+FEFF]）"),
    ],
)
def test_a_user_name_with_unseen_characters_or_a_weak_password_is_refused(
    tmp_path, capsys, monkeypatch, name, password, said
):
    db = tmp_path / "w.duckdb"
    EmbeddedWarehouse(db).current_version()
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert main(["users", "add", name, "--role", "planner", "--password-stdin", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert said in err and (
        "密码" not in said or "（汉字算作其他符号），且不含用户名" in err
    )  # the rule is told with the refusal
    assert main(["users", "list", "--json", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["users"] == []


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--role", "province"], "省级用户必须指定 --province。 处理办法：请加上该用户所属省份的六位区划代码"),
        (
            ["--role", "planner", "--province", "440000"],
            "只有省级档案部门、地级档案部门、县级档案部门、中央单位报送渠道的账号才指定报送范围（--province、--division、"
            "--central）。 处理办法：请去掉 --province、--division 或 --central",
        ),
        # The roles of every reporting level: a scope of the wrong level, of another province, or doubly named.
        (
            ["--role", "county", "--division", "440100"],
            "广东省广州市（440100）是地级区划，不能作为县级档案部门的账号范围。 处理办法：地级档案部门用地级代码",
        ),
        (
            ["--role", "prefecture", "--province", "450000", "--division", "440100"],
            "不在所指定的广西壮族自治区（450000）境内。 处理办法：请核对 --division 的代码",
        ),
        (
            ["--role", "central", "--central", "organs", "--division", "440100"],
            "须且只须指定报送渠道（--central）。 处理办法：请去掉 --province 和 --division；可用的渠道：",
        ),
    ],
)
def test_a_user_s_role_and_province_that_do_not_go_together_are_refused_with_what_to_do(
    tmp_path, capsys, monkeypatch, argv, said
):
    db = tmp_path / "w.duckdb"
    EmbeddedWarehouse(db).current_version()
    monkeypatch.setattr("sys.stdin", io.StringIO("Pw-long-enough-2024\n"))
    assert main(["users", "add", "someone", *argv, "--password-stdin", "--db", str(db)]) == 2
    assert said in capsys.readouterr().err


def test_adding_a_user_that_exists_says_what_it_replaced_and_a_case_twin_is_refused(tmp_path, capsys, monkeypatch):
    db = tmp_path / "w.duckdb"

    def add(name: str, *role: str, password: str = "A-long-enough-password\n") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(password))
        return main(["users", "add", name, "--role", *role, "--password-stdin", "--db", str(db)])

    assert add("guangdong", "province", "--province", "440000") == 0
    assert "已创建用户 guangdong：省级档案部门（广东省）。" in capsys.readouterr().out
    # A name typed again is refused, saying whose account it is and what would change: a typo reset someone's.
    assert add("guangdong", "evaluator") == 2
    assert (
        "已有用户 guangdong（省级档案部门（广东省））：重设会把它改为评价专家，并重设密码，其已登录的会话随即失效。"
        "本次未做任何处理。" in capsys.readouterr().err
    )
    assert add("guangdong", "evaluator", "--replace") == 0  # it said 已创建用户 and nothing of the user it replaced
    assert (
        capsys.readouterr().out.strip()
        == "已重设已有用户 guangdong：原为省级档案部门（广东省），现为评价专家；密码已重设，已登录的会话已失效。"
        "其本人下次登录时须先把这个密码改为只有自己知道的密码。"
    )
    # A name that reads as the account's: another letter case, full-width letters, a Cyrillic а or о, a 0 for an o.
    for look_alike in ("Guangdong", "ｇｕａｎｇｄｏｎｇ", "guаngdоng", "guangd0ng"):
        assert add(look_alike, "planner") == 2
        said = capsys.readouterr().err
        assert f"已有用户「guangdong」，与「{look_alike}」看起来相同（只差字母大小写、全角半角" in said
    assert main(["users", "list", "--json", "--db", str(db)]) == 0
    assert [(u["user_name"], u["role"]) for u in json.loads(capsys.readouterr().out)["users"]] == [
        ("guangdong", "evaluator")
    ]
    # The list says, as /accounts does, that the password is an administrator's its owner has yet to change.
    assert main(["users", "list", "--db", str(db)]) == 0
    listed = capsys.readouterr().out
    assert listed.splitlines()[0].split()[-1] == "密码" and "管理员所设，待本人修改" in listed
    # Once its owner has set it, the time it was set is in Beijing time, as 创建时间 and 最近登录 say (it alone did not).
    with EmbeddedWarehouse(db).writer() as con:
        assert change_own_password(con, "guangdong", "its-own-hash")
    assert main(["users", "list", "--db", str(db)]) == 0
    (row,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("guangdong")]
    assert (
        row.rstrip().endswith("（北京时间）") and row.count("（北京时间）") == 2
    )  # 创建时间 and 密码 (never signed in)
    # A password piped from a Windows file ends in CRLF: the \r is not part of it.
    assert add("guangdong", "evaluator", "--replace", password="A-long-enough-password\r\n") == 0
    with EmbeddedWarehouse(db).reader() as con:
        stored = get_user(con, "guangdong")
    assert stored is not None and check_password_hash(stored.password_hash, "A-long-enough-password")
    # Replacing a disabled account enables it again: said before and after (it was done silently).
    capsys.readouterr()
    assert main(["users", "disable", "guangdong", "--db", str(db)]) == 0
    assert add("guangdong", "evaluator") == 2
    assert "（评价专家，已停用）：重设会把它改为评价专家，并重设密码，重新启用该账号。" in capsys.readouterr().err
    assert add("guangdong", "evaluator", "--replace") == 0
    assert "仍为评价专家；密码已重设；该账号已重新启用（可以登录）。" in capsys.readouterr().out


def test_an_account_is_disabled_and_enabled_again_and_the_last_administrator_stays(tmp_path, capsys, monkeypatch):
    db = tmp_path / "w.duckdb"

    def add(name: str, role: str, *more: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
        return main(["users", "add", name, "--role", role, "--password-stdin", *more, "--db", str(db)])

    assert add("root-admin", "admin") == 0 and add("planner", "planner") == 0
    capsys.readouterr()
    # The only administrator can be neither disabled nor made something else: the platform would have none.
    assert main(["users", "disable", "root-admin", "--db", str(db)]) == 2
    assert "是平台唯一启用的系统管理员账号" in capsys.readouterr().err
    assert add("root-admin", "planner", "--replace") == 2
    assert "是平台唯一启用的系统管理员账号" in capsys.readouterr().err
    # A province-wide return waits for the bureau: disabling its only planner says so, as /accounts does before 停用.
    census = census_workbook(tmp_path / "c.xlsx", 2)
    assert main(["ingest", "census", str(census), "--province", PROVINCE, "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["users", "disable", "planner", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == (
        "用户 planner 已停用。已登录的会话已失效，历史记录保留。现有 1 份报表轮到该账号（国家档案局）审核，"
        "停用后没有同级启用的账号能审核它们，请先另设账号。"
    )
    with EmbeddedWarehouse(db).reader() as con:
        assert get_user(con, "planner") is None  # cannot sign in
    assert main(["users", "list", "--db", str(db)]) == 0
    listed = capsys.readouterr().out
    assert re.search(r"planner\s+—\s+国家档案局规划人员\s+已停用\s+\d{4}年\d{1,2}月\d{1,2}日.*从未登录", listed)
    assert re.search(r"root-admin\s+—\s+系统管理员\s+启用", listed)
    assert main(["users", "enable", "planner", "--db", str(db)]) == 0
    assert main(["users", "disable", "nobody", "--db", str(db)]) == 2
    assert "没有用户「nobody」" in capsys.readouterr().err
    assert main(["audit", "--kind", "user", "--json", "--db", str(db)]) == 0
    actions = [e["action_label"] for e in json.loads(capsys.readouterr().out)["events"]]
    assert actions[:2] == ["启用", "停用"]


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("ARCHIVE_CENSUS_HTTPS", "true", "环境变量 ARCHIVE_CENSUS_HTTPS 的值「true」无效"),
        ("ARCHIVE_CENSUS_TRUSTED_ORIGINS", "notaurl", "ARCHIVE_CENSUS_TRUSTED_ORIGINS 中的「notaurl」不是网站来源"),
        ("ARCHIVE_CENSUS_TRUSTED_ORIGINS", "https://a.example/census", "「https://a.example/census」不是网站来源"),
    ],
)
def test_a_web_variable_the_dashboard_cannot_use_is_refused_naming_it(
    tmp_path, capsys, monkeypatch, variable, value, said
):
    # ARCHIVE_CENSUS_HTTPS=true served without Secure cookies; a mistyped origin was never trusted, silently.
    monkeypatch.setenv(variable, value)
    assert main(["serve", "--port", "1", "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert said in err and "仪表盘：http" not in err


def test_the_web_variables_take_what_they_document(monkeypatch):
    monkeypatch.setenv("ARCHIVE_CENSUS_HTTPS", "1")
    monkeypatch.setenv("ARCHIVE_CENSUS_TRUSTED_ORIGINS", "https://census.example.gov.cn/, http://127.0.0.1:8050")
    assert https_only() is True
    assert trusted_origins() == {"https://census.example.gov.cn", "http://127.0.0.1:8050"}
    monkeypatch.setenv("ARCHIVE_CENSUS_HTTPS", "0")
    monkeypatch.delenv("ARCHIVE_CENSUS_TRUSTED_ORIGINS")
    assert https_only() is False and trusted_origins() == frozenset()


def test_an_evaluator_with_assigned_archives_is_not_made_another_role_until_they_are_withdrawn(
    tmp_path, capsys, monkeypatch
):
    # The assignments stayed, counted among the experts who had not submitted, for an account that could not score.
    db = tmp_path / "w.duckdb"
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    assert main(["users", "add", "zhang", "--role", "evaluator", "--password-stdin", "--db", str(db)]) == 0
    assert main(["evaluation", "open", "--by", "规划处", "--db", str(db)]) == 0
    assert main(["evaluation", "assign", "440000", "--evaluator", "zhang", "--by", "规划处", "--db", str(db)]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    argv = ["users", "add", "zhang", "--role", "planner", "--password-stdin", "--replace", "--db", str(db)]
    assert main(argv) == 2
    assert "「zhang」是评价专家，分派有 1 个档案馆（广东省档案馆）" in capsys.readouterr().err
    # Its assignment withdrawn (it had saved no sheet), the role can change.
    assert main(["evaluation", "unassign", "440000", "--evaluator", "zhang", "--by", "规划处", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == "已撤销分派：评价专家 zhang 不再评价广东省档案馆（440000）。"
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    assert main(argv) == 0


def test_a_user_name_typed_with_spaces_is_told_as_it_is_stored(tmp_path, capsys, monkeypatch):
    db = tmp_path / "w.duckdb"
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    assert main(["users", "add", "  spaced  ", "--role", "planner", "--password-stdin", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("已创建用户 spaced：国家档案局规划人员。")
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    argv = ["users", "add", " spaced", "--role", "planner", "--password-stdin", "--replace", "--json", "--db", str(db)]
    assert main(argv) == 0 and json.loads(capsys.readouterr().out)["user_name"] == "spaced"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("yue xiu", "含有空格"),
        ("<script>alert(1)</script>", "含有「<」、「>」、「(」、「)」、「/」"),
        ("a&b", "含有「&」"),
    ],
)
def test_a_new_user_name_holds_only_letters_digits_and_a_few_marks(tmp_path, capsys, monkeypatch, name, said):
    # Shown in the audit log, histories, exports and terminals, and typed at the sign-in (where two spaces read as one).
    db = tmp_path / "w.duckdb"
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    assert main(["users", "add", name, "--role", "evaluator", "--password-stdin", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert said in err and "用户名只能由汉字、字母、数字和 . _ - @ 组成" in err
    assert main(["users", "list", "--json", "--db", str(db)]) == 0
    assert name not in capsys.readouterr().out
    assert main(["users", "list", "--db", str(db)]) == 0  # none at all: said, not an empty table
    assert capsys.readouterr().out.startswith("尚无平台账号")
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    assert (
        main(["users", "add", "越秀区档案局.yue_xiu-1@gz", "--role", "evaluator", "--password-stdin", "--db", str(db)])
        == 0
    )


def test_an_account_names_the_person_it_belongs_to_and_keeps_that_name_when_reset(tmp_path, capsys, monkeypatch):
    # Exports, bulletins and reports named only logins (导出人：planner): an account may carry its owner's name.
    db = tmp_path / "w.duckdb"
    add = ["users", "add", "wangmin", "--role", "planner", "--password-stdin", "--db", str(db)]
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    assert main([*add, "--full-name", " 王敏 "]) == 0
    assert capsys.readouterr().out.startswith("已创建用户 wangmin（王敏）：国家档案局规划人员。")
    monkeypatch.setattr("sys.stdin", io.StringIO("Another-long-password\n"))
    assert main([*add, "--replace"]) == 0  # a reset without a name keeps the one it has
    # The role it keeps is not said as a change (原为国家档案局规划人员，现为国家档案局规划人员).
    assert capsys.readouterr().out.startswith("已重设已有用户 wangmin：仍为国家档案局规划人员；密码已重设")
    assert main(["users", "list", "--db", str(db)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split()[:2] == ["用户名", "姓名"] and listed[2].split()[:2] == ["wangmin", "王敏"]
    with EmbeddedWarehouse(db).reader() as con:
        assert get_user(con, "wangmin").full_name == "王敏"
    # A name too long, or holding what is not seen, is refused before anything is written.
    for bad in ("王" * 33, "王\u200b敏"):
        monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
        assert (
            main(["users", "add", "li", "--role", "planner", "--password-stdin", "--full-name", bad, "--db", str(db)])
            == 2
        )
        assert "姓名" in capsys.readouterr().err
    with EmbeddedWarehouse(db).reader() as con:
        assert get_user(con, "li") is None


def test_an_account_s_name_is_changed_or_cleared_alone_on_the_command_line(tmp_path, capsys, monkeypatch):
    # Only the web's 修改姓名 could: `users add --replace` without a name keeps the one it has and resets the password.
    db = tmp_path / "w.duckdb"
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    add = ["users", "add", "wangmin", "--role", "planner", "--password-stdin", "--full-name", "王敏", "--db", str(db)]
    assert main(add) == 0
    with EmbeddedWarehouse(db).reader() as con:
        password = con.execute("SELECT password_hash FROM users WHERE user_name = 'wangmin'").fetchone()
    capsys.readouterr()
    rename = ["users", "rename", " wangmin ", "--db", str(db)]
    assert main([*rename, "--full-name", " 王晓敏 "]) == 0
    said = "已将账号「wangmin」的姓名由「王敏」改为「王晓敏」；密码和已登录的会话不变。\n"  # as /accounts says it
    assert capsys.readouterr().out == said
    assert main([*rename, "--full-name", "王晓敏"]) == 0
    assert capsys.readouterr().out == "账号「wangmin」的姓名本来就是「王晓敏」，未做任何改动。\n"
    assert main([*rename, "--clear", "--json"]) == 0
    cleared = {"user_name": "wangmin", "full_name": None, "before": "王晓敏", "changed": True}
    assert json.loads(capsys.readouterr().out) == cleared
    with EmbeddedWarehouse(db).reader() as con:
        user = get_user(con, "wangmin")
        assert user.full_name is None and user.role == "planner"
        assert con.execute("SELECT password_hash FROM users WHERE user_name = 'wangmin'").fetchone() == password
        renames = con.execute("SELECT before_state, after_state FROM audit_log WHERE action = 'rename'").fetchall()
    assert [(json.loads(b)["full_name"], json.loads(a)["full_name"]) for b, a in renames] == [
        ("王敏", "王晓敏"),
        ("王晓敏", None),
    ]
    # A blank name, an unknown account, or both options: refused, nothing written.
    assert main([*rename, "--full-name", "  "]) == 2
    assert "请改用 --clear" in capsys.readouterr().err
    assert main(["users", "rename", "nobody", "--clear", "--db", str(db)]) == 2
    assert "没有用户「nobody」" in capsys.readouterr().err
    assert main([*rename, "--clear", "--full-name", "王敏"]) == 2
    assert "不能与 --clear 同时使用" in capsys.readouterr().err
    with EmbeddedWarehouse(db).reader() as con:
        assert get_user(con, "wangmin").full_name is None


def test_a_user_name_too_long_is_told_so_with_its_length_not_as_empty(tmp_path, capsys, monkeypatch):
    # A probe's 200-character name was told 用户名不能为空，且不超过 64 个字符, with nothing to do.
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password\n"))
    argv = ["users", "add", "a" * 200, "--role", "evaluator", "--password-stdin", "--db", str(tmp_path / "w.duckdb")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "用户名有 200 个字符，超过 64 个。" in err and "不能为空" not in err and "处理办法" in err


def test_sigterm_stops_the_server_as_ctrl_c_does(tmp_path):
    # systemd, Docker and kill send SIGTERM: the server died at once (exit -15), its queued uploaders told it had
    # crashed and their files left behind, where Ctrl-C lets the upload being loaded finish first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "var" / "w.duckdb"
    EmbeddedWarehouse(db).current_version()
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--db", str(db)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    try:
        while "仪表盘：" not in (line := child.stderr.readline()):
            assert line, "the server stopped before announcing its address"
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=120) == 0
    finally:
        child.kill()
    said = child.stderr.read()
    assert "已停止接受请求" in said and "Traceback" not in said
