"""Every command that writes a file or folder refuses a place it cannot write before any work, naming the option,
in one Chinese paragraph and with exit 2 (it was an internal error, exit 3, halfway through)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cli.main import main
from tests.cli.test_ingest_refusals import listing
from warehouse.backends import EmbeddedWarehouse

# (command line with {target} where the refused place goes, {db} an existing warehouse, {new} a new one; its option)
COMMANDS = [
    (["template", "census", "--province", "440000", "--out", "{target}"], "--out"),
    (["template", "inspections", "--out", "{target}"], "--out"),
    (["indicators", "report", "--out", "{target}", "--db", "{db}"], "--out"),
    (["evaluation", "report", "110000", "--out", "{target}", "--db", "{db}"], "--out"),
    (["backup", "--out", "{target}", "--db", "{db}"], "--out"),
    (["demo", "--workdir", "{target}", "--db", "{new}"], "--workdir"),
    (["users", "add", "someone", "--role", "planner", "--password-stdin", "--db", "{target}"], "--db"),
    (["restore", "{db}", "--db", "{target}"], "--db"),
]


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    db = tmp_path / "w.duckdb"
    EmbeddedWarehouse(db).current_version()
    blocker = tmp_path / "notes.txt"
    blocker.write_text("an ordinary file", encoding="utf-8")
    return {"db": db, "new": tmp_path / "new" / "w.duckdb", "blocker": blocker}


@pytest.mark.parametrize("where", ["under an ordinary file", "in a folder nobody may write"])
@pytest.mark.parametrize(("argv", "option"), COMMANDS, ids=[" ".join(a[:2]) for a, _ in COMMANDS])
def test_a_place_a_command_cannot_write_is_refused_before_any_work(
    places, tmp_path, capsys, monkeypatch, argv, option, where
):
    target = places["blocker"] / "sub" / "x.xlsx" if where == "under an ordinary file" else Path("/proc/x.xlsx")
    names = {"target": str(target), "db": str(places["db"]), "new": str(places["new"])}
    monkeypatch.setattr("sys.stdin", io.StringIO("A-long-enough-password-1\n"))
    monkeypatch.chdir(tmp_path)
    before = listing(tmp_path)
    assert main([part.format(**names) for part in argv]) == 2
    err = capsys.readouterr().err
    assert f"{option} {target}" in err and "内部错误" not in err and "Error" not in err
    assert err.count("\n") == 1
    assert ("是一个文件，不是文件夹" if where == "under an ordinary file" else "中不能建立文件") in err
    assert listing(tmp_path) == before  # nothing written: no file, no folder, no warehouse


def test_a_backup_into_an_ordinary_file_and_a_restore_from_one_are_refused(places, capsys):
    assert main(["backup", "--out", str(places["blocker"]), "--db", str(places["db"])]) == 2
    assert f"备份目录 {places['blocker']} 是一个文件，不是目录" in capsys.readouterr().err
    assert main(["restore", str(places["blocker"]), "--db", str(places["new"])]) == 2
    err = capsys.readouterr().err
    assert f"{places['blocker']} 是一个文件，不是备份目录" in err and "内部错误" not in err
    assert not places["new"].exists()


@pytest.mark.parametrize(
    ("argv", "example"),
    [
        (["indicators", "report"], "--out 规划指标中期评估.xlsx"),
        (["evaluation", "report", "440000"], "--out 评价反馈报告-440000.xlsx"),
    ],
)
def test_a_report_not_named_xlsx_is_refused_with_an_example_of_its_own_kind(places, capsys, argv, example):
    assert main([*argv, "--out", str(places["db"].parent / "report.csv"), "--db", str(places["db"])]) == 2
    err = capsys.readouterr().err
    assert "扩展名应为 .xlsx" in err and example in err


@pytest.mark.parametrize(("argv", "option"), COMMANDS[:3], ids=[" ".join(a[:2]) for a, _ in COMMANDS[:3]])
def test_an_existing_output_file_is_replaced_only_when_asked(places, tmp_path, capsys, argv, option):
    # A clerk's filled return named as the output of a template or a report: it was silently replaced.
    target = tmp_path / "广东省-已填报.xlsx"
    target.write_bytes(b"PK filled by a clerk")
    command = [part.format(target=target, db=places["db"], new=places["new"]) for part in argv]
    before = listing(tmp_path)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert f"--out {target} 已存在" in err and "--replace" in err
    assert target.read_bytes() == b"PK filled by a clerk" and listing(tmp_path) == before
    assert main([*command, "--replace"]) == 0
    assert target.read_bytes().startswith(b"PK\x03\x04")  # the workbook asked for


def test_a_report_into_a_folder_not_there_makes_it_and_says_so(places, tmp_path, capsys):
    # A probe's mistyped --out made folders under / unsaid (the template said it; the reports did not).
    target = tmp_path / "新建" / "下级" / "report.xlsx"

    def report(argv: list[str]) -> int:
        return main([part.format(target=target, db=places["db"], new=places["new"]) for part in argv])

    assert report(COMMANDS[3][0]) == 2 and not target.parent.parent.exists()  # no round to report on: nothing made
    capsys.readouterr()
    assert report(COMMANDS[2][0]) == 0 and target.is_file()
    assert f"注意：文件夹 {target.parent} 原先不存在，已新建。" in capsys.readouterr().err
