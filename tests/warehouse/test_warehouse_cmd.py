"""`summary`, `submissions` and `review` through the real command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from census_schema.clock import to_beijing
from census_schema.roles import Role
from cli.main import main
from tests.cli.test_light_commands import empty_warehouse
from tests.warehouse.factories import load, make_uscc
from warehouse.backends import EmbeddedWarehouse
from warehouse.users import add_user

A, B = make_uscc(1), make_uscc(2)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def loaded_db(db_path):
    """A warehouse with Guangdong's register (A, B) and a return of A, a planner and a Guangdong user; returns
    (path, census submission id)."""
    with EmbeddedWarehouse(db_path).writer() as con:
        load(con, "register", "440000", [{"uscc": A}, {"uscc": B}])
        submission_id = load(con, "census", "440000", [{"uscc": A, "vol_total": 12, "item_total": 3}])
        add_user(con, "planner", "hash", Role.PLANNER, None, by="管理员", full_name="王敏")
        add_user(con, "guangdong", "hash", Role.PROVINCE, "440000", by="管理员")
    return db_path, submission_id


def test_summary_json_on_an_empty_warehouse(capsys, db_path):
    code, out, err = run(capsys, "summary", "--db", empty_warehouse(db_path), "--json")
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert out.count("\n") == 1
    assert summary["round"] == "2024"
    assert len(summary["provinces"]) == 32
    assert summary["national"]["units_expected"] == 0


def test_summary_json_for_one_province(capsys, loaded_db):
    db_path, _ = loaded_db
    code, out, _ = run(capsys, "summary", "--db", str(db_path), "--json", "--province", "440000")
    summary = json.loads(out)
    assert code == 0
    (gd,) = summary["provinces"]
    assert (gd["province_code"], gd["province_name"]) == ("440000", "广东省")
    assert (gd["units_expected"], gd["units_reported"], gd["coverage_pct"], gd["vol_total"]) == (2, 1, 50.0, 12)
    assert summary["national"]["item_total"] == 3


def test_summary_table(capsys, loaded_db):
    db_path, _ = loaded_db
    code, out, _ = run(capsys, "summary", "--db", str(db_path))
    assert code == 0
    assert "全国" in out and "广东省" in out and "50.00%" in out
    # Figures grouped by thousands and flush right; a province with no register has no coverage (not 0 %).
    beijing = next(line for line in out.splitlines() if "北京市" in line)
    assert beijing.split()[2:6] == ["0", "0", "0", "—"]
    assert "中央企业" in out and "审核进度（全国，含中央渠道）：现行普查表 1 份" in out
    assert not {"organs", "enterprises", "archives"} & set(out.split())  # a channel's key is no code people read
    # round line, header and rule, national, provinces, central and its three channels, review progress
    assert len(out.splitlines()) == 1 + 2 + 1 + 32 + 4 + 1
    # A province asked for gets its own progress, named (it printed the nation's, unsaid).
    code, out, _ = run(capsys, "summary", "--province", "110000", "--db", str(db_path))
    assert code == 0 and "审核进度（北京市）：现行普查表 0 份" in out
    assert out.rstrip().endswith("（已审核 —）")  # nothing sent: no share (it read 0.00%)
    # That province alone, as its help says (只看该省): it listed the nation and the central channels too.
    rows = out.splitlines()[3:-1]
    assert len(rows) == 1 and rows[0].split()[:2] == ["110000", "北京市"], rows


@pytest.mark.parametrize("code", ["44", "4400000", "710000", "440100", "广东"])
def test_a_bad_province_is_a_usage_error(capsys, db_path, code):
    exit_code, out, err = run(capsys, "summary", "--db", str(db_path), "--province", code, "--json")
    assert exit_code == 2
    # --json: one JSON object on stdout on failure too, the same paragraph on stderr.
    error = json.loads(out)["error"]
    assert error["exit_code"] == 2 and "省级" in error["message"] and error["text"] == err.strip()
    assert "省级" in err and "Traceback" not in err


def test_an_internal_error_with_json_prints_a_json_object_and_exits_3(capsys, db_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr("cli.warehouse_cmd.query_summary", broken)
    exit_code, out, err = run(capsys, "summary", "--db", empty_warehouse(db_path), "--json")
    assert exit_code == 3
    assert json.loads(out) == {
        "status": "error",
        "error": {"exit_code": 3, "kind": "internal", "message": "RuntimeError: unexpected"},
    }
    assert "内部错误" in err


def test_an_interrupted_command_says_what_became_of_its_work(capsys, db_path, monkeypatch):
    # It said 已中断。 alone: a probe could not tell whether its interrupted upload had loaded.
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("cli.warehouse_cmd.query_summary", interrupted)
    exit_code, _, err = run(capsys, "summary", "--db", empty_warehouse(db_path))
    assert exit_code == 130 and "尚未提交的数据库写入不会生效，已提交的不受影响；可以重新运行本命令" in err


@pytest.mark.parametrize("raised", [RuntimeError("Query interrupted"), duckdb.InterruptException()])
def test_a_query_duckdb_stopped_for_a_ctrl_c_is_an_interruption_not_an_internal_error(
    capsys, db_path, monkeypatch, raised
):
    # A probe's Ctrl+C during a load read 内部错误（RuntimeError: Query interrupted）。请……报告此问题, exit 3.
    def interrupted(*_args, **_kwargs):
        raise raised

    monkeypatch.setattr("cli.warehouse_cmd.query_summary", interrupted)
    exit_code, _, err = run(capsys, "summary", "--db", empty_warehouse(db_path))
    assert exit_code == 130 and "已中断" in err and "内部错误" not in err


def test_submissions_json_and_table(capsys, loaded_db):
    db_path, submission_id = loaded_db
    code, out, _ = run(capsys, "submissions", "--db", str(db_path), "--json", "--province", "440000")
    listed = json.loads(out)["submissions"]
    assert code == 0
    assert [s["kind"] for s in listed] == ["census", "register"]
    assert listed[0]["submission_id"] == submission_id
    assert (listed[0]["review_state"], listed[0]["review_progress"]) == ("待审核", "待国家局审核")
    assert (listed[0]["scope_kind"], listed[0]["scope_code"], listed[0]["scope_name"]) == (
        "province",
        "440000",
        "广东省",
    )
    assert listed[0]["return_reason"] is None
    code, out, _ = run(capsys, "submissions", "--db", str(db_path))
    assert code == 0 and submission_id in out and "普查表" in out and "待国家局审核" in out
    # The time as people in China read it, as on the web pages (it was UTC).
    submitted = datetime.fromisoformat(listed[0]["submitted_at"])
    # --json says its zone: Beijing time with its offset (it printed the warehouse's UTC bare, read as 8 hours off).
    assert listed[0]["submitted_at"].endswith("+08:00") and submitted.utcoffset() == timedelta(hours=8)
    assert abs(datetime.now(UTC) - submitted) < timedelta(minutes=10)
    assert (
        "报送时间（北京时间）" in out
        and f"{(t := to_beijing(submitted)).year}年{t.month}月{t.day}日 {t:%H:%M:%S}" in out
    )
    code, out, _ = run(capsys, "submissions", "--db", str(db_path), "--province", "450000")
    assert "尚无报送记录" in out


def test_review_accept_and_return(capsys, loaded_db):
    db_path, submission_id = loaded_db
    code, out, err = run(
        capsys, "review", "return", submission_id, "--by", "planner", "--reason", "第3行请核实", "--db", str(db_path)
    )
    assert (code, err) == (0, "")
    assert "待国家局审核 → 已退回" in out and "第3行请核实" in out
    assert "（审核人 王敏（planner），原因：第3行请核实）。" in out  # the person beside the account (it said planner)
    # What follows is said, as /submissions says it (a probe's withdrawal took a province out of the figures unsaid).
    assert out.startswith(
        f"已退回广东省（省级）的普查表（{submission_id}）：待国家局审核 → 已退回，报送单位在其上传页面"
    ), out
    code, out, _ = run(capsys, "submissions", "--db", str(db_path), "--json")
    returned = next(s for s in json.loads(out)["submissions"] if s["submission_id"] == submission_id)
    assert (returned["review_progress"], returned["return_reason"], returned["returned_by"]) == (
        "已退回",
        "第3行请核实",
        "planner",
    )
    code, out, _ = run(capsys, "review", "accept", submission_id, "--by", "planner", "--db", str(db_path), "--json")
    result = json.loads(out)
    assert code == 0
    assert (result["from_state"], result["to_state"], result["changed_by"]) == ("已退回", "已审核", "planner")


def test_review_respects_levels_on_the_command_line(capsys, loaded_db):
    db_path, submission_id = loaded_db
    code, out, err = run(capsys, "review", "accept", submission_id, "--by", "guangdong", "--db", str(db_path))
    assert (code, out) == (2, "") and "国家档案局" in err
    code, _, err = run(capsys, "review", "accept", submission_id, "--by", "nobody", "--db", str(db_path))
    assert code == 2 and "找不到审核人「nobody」" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["review", "return", "{id}", "--by", "planner"], "原因"),
        (["review", "accept", "S-unknown", "--by", "planner"], "找不到"),
    ],
    ids=["return-without-reason", "unknown-id"],
)
def test_review_misuse_exits_2_with_a_message(capsys, loaded_db, argv, message):
    db_path, submission_id = loaded_db
    code, out, err = run(capsys, *[a.format(id=submission_id) for a in argv], "--db", str(db_path))
    assert code == 2
    assert out == ""
    assert message in err


def test_an_illegal_review_exits_2(capsys, loaded_db):
    db_path, submission_id = loaded_db
    assert run(capsys, "review", "accept", submission_id, "--by", "planner", "--db", str(db_path))[0] == 0
    code, _, err = run(capsys, "review", "accept", submission_id, "--by", "planner", "--db", str(db_path))
    assert code == 2 and "已审核" in err


def test_the_database_path_comes_from_the_environment(capsys, monkeypatch, tmp_path):
    path = tmp_path / "env" / "w.duckdb"
    monkeypatch.setenv("ARCHIVE_CENSUS_DB", str(path))
    code, _, err = run(capsys, "summary", "--json")
    assert code == 2 and f"数据仓库文件 {path} 不存在" in err and not path.exists()
    # The hint names every place the path may have come from, and every command that starts a warehouse.
    assert "ARCHIVE_CENSUS_WAREHOUSE、ARCHIVE_CENSUS_DB" in err and "restore" in err
    empty_warehouse(path)
    code, out, _ = run(capsys, "summary", "--json")
    assert code == 0 and json.loads(out)["round"] == "2024"


def test_the_default_path_is_var_under_the_working_directory(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("ARCHIVE_CENSUS_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "submissions", "--json")
    assert code == 2 and f"数据仓库文件 {tmp_path / 'var' / 'warehouse.duckdb'} 不存在" in err
    empty_warehouse(tmp_path / "var" / "warehouse.duckdb")
    assert run(capsys, "submissions", "--json")[0] == 0


def test_a_review_is_published_to_readers(capsys, loaded_db):
    db_path, submission_id = loaded_db
    run(capsys, "review", "accept", submission_id, "--by", "planner", "--db", str(db_path))
    with EmbeddedWarehouse(db_path).reader() as con:
        row = con.execute("SELECT review_state FROM submissions WHERE submission_id = ?", [submission_id]).fetchone()
    assert row == ("已审核",)


def test_summary_reads_while_a_load_holds_the_warehouse(capsys, loaded_db):
    db_path, _ = loaded_db
    with EmbeddedWarehouse(db_path).writer():
        code, out, _ = run(capsys, "summary", "--db", str(db_path), "--json", "--province", "440000")
    assert code == 0 and json.loads(out)["provinces"][0]["units_expected"] == 2
