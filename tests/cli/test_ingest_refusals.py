"""`archive-census ingest` refuses unusable output paths and --db files before any work, and says every failure,
a validation rejection included, in one paragraph on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from census_schema.census_form import REGISTER_FORM
from cli.main import main
from tests.cli.test_light_commands import empty_warehouse
from tests.flows.workbooks import PROVINCE, census_workbook, holder_rows, write_rows
from warehouse.backends import EmbeddedWarehouse


def listing(folder: Path) -> list[str]:
    """Every path under `folder`, relative, sorted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("option", ["--report", "--db"])
def test_an_output_path_under_an_ordinary_file_is_refused_before_any_work(tmp_path, capsys, option):
    path = census_workbook(tmp_path / "c.xlsx", 2, {0: {"vol_total": 1}})
    blocker = tmp_path / "f.xlsx"
    blocker.write_bytes(b"")
    target = blocker / "sub" / ("out.xlsx" if option == "--report" else "w.duckdb")
    args = {"--report": str(tmp_path / "ok.xlsx"), "--db": str(tmp_path / "var" / "w.duckdb"), option: str(target)}
    before = listing(tmp_path)
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--json"]
    assert main([*argv, "--report", args["--report"], "--db", args["--db"]]) == 2
    captured = capsys.readouterr()
    assert f"{option} {target}" in captured.err and str(blocker) in captured.err and "内部错误" not in captured.err
    assert captured.err.count("\n") == 1
    assert json.loads(captured.out)["error"]["kind"] == "UsageError"
    assert listing(tmp_path) == before  # nothing written: no warehouse, no report, no lock


@pytest.mark.parametrize(("option", "target"), [("--db", "/proc/w.duckdb"), ("--report", "/sys/out.xlsx")])
def test_an_output_path_in_a_folder_that_cannot_be_written_is_refused_naming_its_option(
    tmp_path, capsys, option, target
):
    path = census_workbook(tmp_path / "c.xlsx", 2, {})
    args = {"--report": str(tmp_path / "ok.xlsx"), "--db": str(tmp_path / "var" / "w.duckdb"), option: target}
    assert (
        main(
            ["ingest", "census", str(path), "--province", PROVINCE, "--report", args["--report"], "--db", args["--db"]]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"{option} {target}" in err and "内部错误" not in err
    other = "--db" if option == "--report" else "--report"
    assert other not in err
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("content", [b"province,units\n440000,3\n", b"", b"\x00" * 8192], ids=["csv", "empty", "zeros"])
def test_a_db_file_that_is_not_a_duckdb_database_is_refused_and_left_alone(tmp_path, capsys, content):
    path = census_workbook(tmp_path / "c.xlsx", 2, {})
    db = tmp_path / "notes.csv"
    db.write_bytes(content)
    before = listing(tmp_path)
    assert main(["ingest", "census", str(path), "--province", PROVINCE, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"{db} 不是 DuckDB 数据库文件" in err and "不会打开或覆盖它" in err
    assert "restore" not in err and "已损坏" not in err
    assert listing(tmp_path) == before and db.read_bytes() == content


@pytest.mark.parametrize("target", ["the return itself", "another return"])
def test_a_report_would_not_replace_the_return_or_another_workbook(tmp_path, capsys, target):
    path = census_workbook(tmp_path / "c.xlsx", 2, {0: {"vol_total": 1}})
    report = path if target == "the return itself" else census_workbook(tmp_path / "other.xlsx", 2, {})
    content = report.read_bytes()
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--db", str(tmp_path / "w.duckdb")]
    assert main([*argv, "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert f"--report {report} " in err and ("覆盖原件" if report == path else "不是平台以前生成的错误报告") in err
    assert report.read_bytes() == content and not (tmp_path / "w.duckdb").exists()


def test_an_earlier_report_is_replaced(tmp_path, capsys):
    path = census_workbook(tmp_path / "c.xlsx", 2, {0: {"vol_total": 1}})
    report = tmp_path / "报告.xlsx"
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--db", empty_warehouse(tmp_path / "w.duckdb")]
    argv.append("--dry-run")
    assert main([*argv, "--report", str(report)]) == 1
    first = report.stat().st_mtime_ns
    assert main([*argv, "--report", str(report)]) == 1  # the same mistake, reported again over the first report
    assert report.stat().st_mtime_ns != first


@pytest.mark.parametrize("command", ["ingest", "summary"])
def test_another_program_s_duckdb_database_is_refused_and_left_alone(tmp_path, capsys, command):
    db = tmp_path / "accounts.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE ledger (account INTEGER, amount DECIMAL(12, 2))")
    argv = {
        "ingest": ["ingest", "census", str(census_workbook(tmp_path / "c.xlsx", 2, {})), "--province", PROVINCE],
        "summary": ["summary"],
    }[command]
    before = listing(tmp_path)
    assert main([*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"{db} 是 DuckDB 数据库，但不是本平台的数据仓库：其中有 1 张别的表（ledger）" in err
    assert listing(tmp_path) == before  # no lock file, no snapshots
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (1,)


def test_a_damaged_warehouse_with_snapshots_beside_it_is_still_told_to_restore(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    EmbeddedWarehouse(db).current_version()
    db.write_bytes(b"\x00" * 8192)  # no DuckDB header left, but its snapshots say it was a warehouse
    (tmp_path / "w.snapshots" / "CURRENT").write_bytes(b"garbage")
    assert main(["summary", "--db", str(db)]) == 2
    assert "restore" in capsys.readouterr().err


def test_a_rejected_return_says_so_in_one_paragraph_on_stderr(tmp_path, capfd):
    path = census_workbook(tmp_path / "c.xlsx", 2, {0: {"vol_total": 1}})
    report = tmp_path / "r.xlsx"
    argv = ["ingest", "census", str(path), "--province", PROVINCE]
    argv += ["--db", empty_warehouse(tmp_path / "w.duckdb"), "--report", str(report), "--dry-run"]
    # In a process of its own, all the process writes (the libraries' logs and warnings too); with --json in this
    # one, read at the file descriptors (another process cost 25-40 s of the suite on two busy cores).
    done = subprocess.run([sys.executable, "-m", "cli.main", *argv], capture_output=True, text=True, timeout=300)
    code = main([*argv, "--json"])
    as_json = capfd.readouterr()
    for returned, out, err in [(done.returncode, done.stdout, done.stderr), (code, as_json.out, as_json.err)]:
        assert returned == 1, err
        lines = [line for line in err.splitlines() if not line.startswith("注意：")]
        assert len(lines) == 1, err
        assert str(report) in lines[0] and "重新上传" in lines[0]
        # A trial returned nothing: its stderr said 整份退回，未装载任何数据 as a real upload's would.
        assert lines[0].startswith("试校验未通过（未装载）：") and "整份退回" not in lines[0]
    assert json.loads(as_json.out)["status"] == "rejected"
    # A trial says what a real upload would get, in one bracket (not 整份退回（…）（试校验，未装载）).
    assert done.stdout.startswith("试校验未通过（未装载）：") and "整份退回" not in done.stdout


def test_a_rejected_register_says_so_on_stderr(tmp_path, capsys):
    path = write_rows(tmp_path / "r.xlsx", REGISTER_FORM, holder_rows(REGISTER_FORM, 2, {0: {"uscc": "bad"}}))
    code = main(["ingest", "register", str(path), "--province", PROVINCE, "--db", str(tmp_path / "w.duckdb"), "--json"])
    captured = capsys.readouterr()
    assert code == 1, captured
    assert json.loads(captured.out)["status"] == "rejected"
    assert "未通过校验" in captured.err


def test_a_report_that_cannot_be_written_after_the_checks_names_report_in_its_hint(tmp_path, capsys, monkeypatch):
    import flows.ingest

    report = tmp_path / "reports" / "r.xlsx"

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", str(report))

    monkeypatch.setattr(flows.ingest, "write_annotated_report", refuse)
    path = census_workbook(tmp_path / "c.xlsx", 2, {0: {"vol_total": 1}})
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--db", str(tmp_path / "w.duckdb")]
    assert main([*argv, "--report", str(report), "--orchestrator", "direct"]) == 2
    err = capsys.readouterr().err
    assert "改用 --report 指向可写目录" in err and "--db" not in err


@pytest.mark.parametrize("argv", [["ingest", "census", "{file}", "--province", PROVINCE], ["evaluation", "open"]])
def test_a_blank_by_is_refused_not_taken_as_the_operating_system_user(tmp_path, capsys, argv):
    path = census_workbook(tmp_path / "c.xlsx", 2, {})
    db = tmp_path / "w.duckdb"
    command = [part.format(file=path) for part in argv]
    assert main([*command, "--by", " ", "--db", str(db)]) == 2
    assert "--by 不能为空" in capsys.readouterr().err


@pytest.mark.parametrize("loaded_first", [True, False])
def test_an_interrupted_ingest_says_whether_its_file_was_loaded(tmp_path, capsys, monkeypatch, loaded_first):
    # A probe's Ctrl+C just after the commit read 已中断…已提交的不受影响, exit 130, of a file that had been loaded.
    from cli import ingest_cmd

    path, db = census_workbook(tmp_path / "c.xlsx", 2, {}), tmp_path / "w.duckdb"
    finish = ingest_cmd.run_ingestion

    def interrupted(*args, **kwargs):
        if loaded_first:
            finish(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_cmd, "run_ingestion", interrupted)
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--db", str(db), "--orchestrator", "direct"]
    assert main(argv) == 130
    said = capsys.readouterr().err
    if loaded_first:
        with duckdb.connect(str(db), read_only=True) as con:
            (submission,) = con.execute("SELECT submission_id FROM submissions").fetchone()
        assert f"c.xlsx 在中断前已处理完毕，已装载，提交编号 {submission}" in said and "无须重新运行" in said
    else:
        assert "已中断：c.xlsx 未装载，数据仓库没有改动；可以重新运行本命令。" in said
        assert not db.exists()  # asking made no warehouse


def test_a_shrink_against_a_withdrawn_return_calls_it_withdrawn_not_current():
    # A probe read 与本范围现行报表 … 相比 of a return its sender had taken back.
    from cli.ingest_cmd import _describe_shrink

    current = {"file_name": "gd.xlsx", "submission_id": "S1", "is_withdrawn": True}
    shrink = {"current": current, "current_holders": 737, "dropped": 400, "dropped_pct": 54.27, "limit_pct": 10.0}
    said = _describe_shrink({**shrink, "exceeds_limit": False, "confirmed": False}, "accepted")
    assert said[0].startswith("与本范围已撤回的报表（文件「gd.xlsx」，编号 S1，737 个普查对象）相比，减少 400 个")
    # The one paragraph on stderr says it too (it said 与现行报表相比减少 while stdout said 已撤回的报表).
    from cli.ingest_cmd import describe_refusal

    refused = {"status": "needs_confirmation", "shrink": {**shrink, "exceeds_limit": True, "confirmed": False}}
    assert describe_refusal(refused).startswith("未装载：与已撤回的报表相比减少 400 个普查对象")
    current["is_withdrawn"] = False
    assert describe_refusal(refused).startswith("未装载：与现行报表相比减少 400 个普查对象")
