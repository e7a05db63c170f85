"""`backup` and `restore`: a round trip gives back every figure and every table's rows; a damaged backup is refused;
a backup taken while a load runs waits for it and holds all of it or none."""

from __future__ import annotations

import contextlib
import getpass
import io
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from census_schema.audit import AuditKind, describe_removed_return
from census_schema.roles import Role
from cli.main import main
from dash_app.audit_rows import state_parts
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook
from warehouse.audit import record_event
from warehouse.backup import _lost_returns, _write_manifest, count_table_rows
from warehouse.queries import query_removed_returns
from warehouse.store import WarehouseStore
from warehouse.users import add_user


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def figures(capsys, db) -> dict:
    """Every figure the command line reports."""
    return {
        "summary": run_json(capsys, "summary", "--db", str(db))[1],
        "province": run_json(capsys, "summary", "--province", PROVINCE, "--db", str(db))[1],
        "submissions": run_json(capsys, "submissions", "--db", str(db))[1],
        "supervision": run_json(capsys, "supervision", "summary", "--as-of", "2025-06-30", "--db", str(db))[1],
    }


@pytest.fixture(scope="module")
def loaded_template(tmp_path_factory) -> Path:
    """A warehouse with a register, an accepted census return, a planner and a finding's evidence (built once)."""
    folder = tmp_path_factory.mktemp("loaded")
    db = folder / "var" / "w.duckdb"
    assert main(["ingest", "register", str(register_workbook(folder / "r.xlsx", 4)), "--db", str(db)]) == 0
    census = census_workbook(folder / "c.xlsx", 3)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["ingest", "census", str(census), "--province", PROVINCE, "--db", str(db), "--json"])
    assert code == 0
    with WarehouseStore(db).writer() as con:
        add_user(con, "审核员", "hash", Role.PLANNER, None, by="管理员")
    submission_id = json.loads(printed.getvalue())["submission_id"]
    assert main(["review", "accept", submission_id, "--by", "审核员", "--db", str(db)]) == 0
    evidence = db.parent / "evidence" / "F-1"
    evidence.mkdir(parents=True)
    (evidence / "abc-整改报告.pdf").write_bytes(b"%PDF-1.4 evidence")
    return db.parent


@pytest.fixture
def loaded(loaded_template, tmp_path) -> Path:
    """A private copy of the loaded warehouse's var folder (its file, snapshots and evidence); the warehouse file."""
    return shutil.copytree(loaded_template, tmp_path / "var") / "w.duckdb"


def snapshot_counts(db) -> dict[str, int]:
    return count_table_rows(WarehouseStore(db).current_snapshot())


def test_a_backup_restores_every_figure_and_every_table(loaded, tmp_path, capsys):
    db = loaded
    before, rows_before = figures(capsys, db), snapshot_counts(db)
    code, manifest = run_json(capsys, "backup", "--out", str(tmp_path / "backup"), "--db", str(db))
    assert code == 0
    assert manifest["tables"] == rows_before and rows_before["raw_census_rows"] == 3
    # Things change after the backup: a new return supersedes the old one, a user is added, evidence is removed.
    newer = census_workbook(tmp_path / "c2.xlsx", 4)
    assert main(["ingest", "census", str(newer), "--province", PROVINCE, "--db", str(db)]) == 0
    # A rejected upload loaded nothing: no one is asked to send it again (a probe's list named rejected ones).
    bad = census_workbook(tmp_path / "bad.xlsx", 4, edits={0: {"staff_fulltime": -5}})
    assert main(["ingest", "census", str(bad), "--province", PROVINCE, "--db", str(db)]) == 1
    with WarehouseStore(db).writer() as con:
        add_user(con, "later", "hash", "planner", None, by="管理员")
    (db.parent / "evidence" / "F-1" / "abc-整改报告.pdf").unlink()
    changed = figures(capsys, db)
    assert changed != before
    rows_changed = snapshot_counts(db)
    # What the backup lacks is said first, and nothing is restored until it is confirmed.
    capsys.readouterr()
    assert main(["restore", str(tmp_path / "backup"), "--db", str(db)]) == 2
    said = capsys.readouterr().err
    assert "备份之后记录的以下内容将被删除：报送 2 条、用户与角色 1 条（共 3 条审计日志事件）" in said
    # The return received since is named, with whom to ask to send it again (it was 报送 1 条 alone).
    with WarehouseStore(db).reader() as con:
        (newest,) = con.execute(
            "SELECT submission_id FROM submissions WHERE status = 'accepted' ORDER BY submitted_at DESC LIMIT 1"
        ).fetchone()
    lost = f"{newest}（广东省，「c2.xlsx」，{getpass.getuser()} 报送）"
    assert f"其中备份之后收到的报送：{lost}，须由报送方重新上传。" in said
    assert "平台账号将随之改变：删除 later（国家档案局规划人员，启用）。" in said
    assert "--confirm" in said
    assert "（北京时间）的备份" in said and snapshot_counts(db) == rows_changed
    code, restored = run_json(capsys, "restore", str(tmp_path / "backup"), "--db", str(db), "--confirm")
    assert code == 0 and restored["sha256"] == manifest["sha256"]
    assert restored["removed_events"] == {"报送": 2, "用户与角色": 1}
    (removed,) = restored["removed_returns"]
    with WarehouseStore(db).reader() as con:  # the restored warehouse: the return is gone
        assert con.execute("SELECT count(*) FROM submissions WHERE submission_id = ?", [newest]).fetchone() == (0,)
    assert removed["submitted_at"].endswith("+08:00")  # Beijing time, said so (the bare UTC read 8 hours off)
    assert describe_removed_return(removed) == lost and (removed["kind"], removed["province_code"]) == (
        "census",
        "440000",
    )
    # Kept in the restore's record: the sender's pages say it must be sent again, until it is back or sent again.
    with WarehouseStore(db).reader() as con:
        assert [r["submission_id"] for r in query_removed_returns(con)] == [newest]
    assert restored["accounts_changed"] == ["删除 later（国家档案局规划人员，启用）"]
    assert figures(capsys, db) == before
    # Every table as backed up, and the audit log two events more: the backup's own record (written after the copy,
    # carried over) and the restore itself.
    assert snapshot_counts(db) == {**rows_before, "audit_log": rows_before["audit_log"] + 2}
    assert (db.parent / "evidence" / "F-1" / "abc-整改报告.pdf").read_bytes() == b"%PDF-1.4 evidence"
    assert main(["audit", "--kind", "warehouse", "--db", str(db)]) == 0
    logged = capsys.readouterr().out
    assert "数据仓库维护" in logged and "从备份恢复" in logged
    # Its details as /audit lists them (the table's line is clipped at 100 columns: --json holds them whole).
    assert main(["audit", "--kind", "warehouse", "--json", "--db", str(db)]) == 0
    (restore,) = [e for e in json.loads(capsys.readouterr().out)["events"] if e["action_label"] == "从备份恢复"]
    said = "；".join(
        state_parts(json.dumps(restore["before"], ensure_ascii=False))
        + state_parts(json.dumps(restore["after"], ensure_ascii=False))
    )
    assert re.search(r"备份时间：\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d；", said), said
    assert "删除的备份后审计事件：报送 2，用户与角色 1" in said and "恢复前的数据仓库另存于：" in said
    assert f"删除的备份后报送：{lost}" in said
    # The replaced warehouse was kept first, as a backup that restores it; restoring it back removes nothing (the
    # first restore's record is carried over, not lost) but brings an account back, which is confirmed first; the
    # log keeps both restores.
    assert restored["kept"].startswith(str(db.parent / "before-restore"))
    assert main(["restore", restored["kept"], "--db", str(db)]) == 2
    said = capsys.readouterr().err
    assert "平台账号将随之改变：新增 later（国家档案局规划人员，启用）。" in said and "将被删除" not in said
    code, back = run_json(capsys, "restore", restored["kept"], "--db", str(db), "--confirm")
    assert code == 0 and figures(capsys, db) == changed and back["removed_events"] == {}
    with WarehouseStore(db).reader() as con:
        assert query_removed_returns(con) == []  # back again
    assert snapshot_counts(db) == {**rows_changed, "audit_log": rows_changed["audit_log"] + 2}
    assert main(["audit", "--kind", "warehouse", "--json", "--db", str(db)]) == 0
    events = [(e["action"], e["target"]) for e in json.loads(capsys.readouterr().out)["events"]]
    backup_folder = str((tmp_path / "backup").resolve())
    assert events == [
        ("restore", str(Path(restored["kept"]).resolve())),
        ("restore", backup_folder),
        ("backup", backup_folder),
    ]
    # The backup holds every account's password hash: its folder is its owner's alone, as is the replaced warehouse's.
    assert (tmp_path / "backup").stat().st_mode & 0o777 == 0o700
    assert Path(restored["kept"]).stat().st_mode & 0o777 == 0o700


def test_a_restore_asks_again_only_for_the_returns_that_counted_when_it_removed_them(loaded, tmp_path, capsys):
    # A probe's /upload listed four returns of one scope to send again: three a later one had already replaced.
    db = loaded
    assert main(["backup", "--out", str(tmp_path / "backup"), "--db", str(db)]) == 0
    sent = {}

    def send(kind: str, name: str, count: int, *argv: str) -> None:
        workbook = (census_workbook if kind == "census" else register_workbook)(tmp_path / name, count)
        code, said = run_json(capsys, "ingest", kind, str(workbook), *argv, "--db", str(db))
        assert code == 0 and said["status"] == "accepted", said
        sent[name] = said["submission_id"]

    for name, count in (("c2.xlsx", 4), ("c3.xlsx", 5), ("c4.xlsx", 6)):
        send("census", name, count, "--province", PROVINCE)
    # A chain ending in a return its sender withdrew counted nowhere at the restore: none of it is asked for again.
    send("register", "r2.xlsx", 5, "--by", "审核员")
    send("register", "r3.xlsx", 6, "--by", "审核员")
    assert main(["review", "withdraw", sent["r3.xlsx"], "--by", "审核员", "--reason", "填错了", "--db", str(db)]) == 0
    with WarehouseStore(db).reader() as con:
        named = {r["file_name"]: describe_removed_return(r) for r in _lost_returns(con, datetime.min)}
    capsys.readouterr()
    assert main(["restore", str(tmp_path / "backup"), "--db", str(db)]) == 2
    said = capsys.readouterr().err
    assert (
        f"其中备份之后收到的报送：{named['c4.xlsx']}，须由报送方重新上传。"
        f"另有 {named['c2.xlsx']}；{named['c3.xlsx']}；{named['r2.xlsx']}，恢复前已被同一范围之后的报送替换，无须重新上传。"
    ) in said, said
    # The restore's own list names every return it removed (the withdrawn one counted nowhere: not even that).
    code, restored = run_json(capsys, "restore", str(tmp_path / "backup"), "--db", str(db), "--confirm")
    assert code == 0
    assert [(r["file_name"], r["is_current"]) for r in restored["removed_returns"]] == [
        ("c2.xlsx", False),
        ("c3.xlsx", False),
        ("c4.xlsx", True),
        ("r2.xlsx", False),
    ]
    with WarehouseStore(db).reader() as con:
        assert [r["submission_id"] for r in query_removed_returns(con)] == [sent["c4.xlsx"]]
        replaced = query_removed_returns(con, include_replaced=True)
        assert sorted(r["file_name"] for r in replaced) == ["c2.xlsx", "c3.xlsx", "c4.xlsx", "r2.xlsx"]


def test_another_warehouse_s_backup_says_all_it_replaces_and_every_account_it_changes(loaded, tmp_path, capsys):
    # A probe restored a backup of another warehouse, taken later, with no --confirm: nothing was "since the backup",
    # so every return, finding and score went unsaid; an account's move to another city and every password went too.
    other = tmp_path / "other" / "w.duckdb"
    with WarehouseStore(other).writer() as con:  # the same names, another city, other passwords
        add_user(con, "审核员", "another-hash", Role.PLANNER, None, by="管理员")
        add_user(con, "gz", "hash", Role.PREFECTURE, None, by="管理员", division_code="440300")
    with WarehouseStore(loaded).writer() as con:
        add_user(con, "gz", "hash", Role.PREFECTURE, None, by="管理员", division_code="440100")
    assert main(["backup", "--out", str(tmp_path / "other-backup"), "--db", str(other)]) == 0
    capsys.readouterr()
    assert main(["restore", str(tmp_path / "other-backup"), "--db", str(loaded)]) == 2
    said = capsys.readouterr().err
    assert (
        f"该备份取自另一个数据仓库文件（{other.resolve()}），恢复会以其全部内容替换当前数据仓库现有的报送 2 份" in said
    )
    assert "gz：地级档案部门，广东省广州市，启用 → 地级档案部门，广东省深圳市，启用" in said
    assert "审核员：密码恢复为备份时的密码（现用的密码不能再登录）" in said and "本次未做任何恢复" in said
    code, restored = run_json(capsys, "restore", str(tmp_path / "other-backup"), "--db", str(loaded), "--confirm")
    # Done, the record says what it replaced as the preview did (it listed no account change, no removal: nothing).
    replaced = restored["other_warehouse_replaced"]
    assert (
        code == 0
        and replaced.startswith(f"该备份取自另一个数据仓库文件（{other.resolve()}）")
        and "报送 2 份" in replaced
    )
    code, logged = run_json(capsys, "audit", "--kind", "warehouse", "--db", str(loaded))
    (record,) = [e for e in logged["events"] if e["action"] == "restore"]
    assert record["after"]["other_warehouse_replaced"] == replaced


def test_a_restore_where_no_warehouse_is_makes_nothing_until_confirmed(loaded, tmp_path, capsys):
    """A probe's unconfirmed restore into a mistyped path left an empty warehouse there (and listed every account as
    新增, as if replacing one)."""
    assert run_json(capsys, "backup", "--out", str(tmp_path / "backup"), "--db", str(loaded))[0] == 0
    elsewhere = tmp_path / "elsewhere" / "warehouse.duckdb"
    capsys.readouterr()
    assert main(["restore", str(tmp_path / "backup"), "--db", str(elsewhere)]) == 2
    said = capsys.readouterr().err
    assert f"{elsewhere} 处没有数据仓库：恢复会在此新建一个" in said and "--confirm" in said and "新增" not in said
    assert not elsewhere.parent.exists() or not any(elsewhere.parent.iterdir())
    code, restored = run_json(capsys, "restore", str(tmp_path / "backup"), "--db", str(elsewhere), "--confirm")
    assert code == 0 and figures(capsys, elsewhere) == figures(capsys, loaded)


def test_a_restore_does_not_count_an_upgrade_s_own_events_among_what_it_would_remove(loaded, tmp_path, capsys):
    # An upgrade after the backup recounted a finding's deadline (migration 067: an event without an actor); restoring
    # the older backup upgrades it again, which records it again: only what people did is lost, and said so.
    db = loaded
    assert main(["backup", "--out", str(tmp_path / "backup"), "--db", str(db)]) == 0
    with WarehouseStore(db).writer() as con:
        record_event(con, AuditKind.FINDING, "recount_deadline", actor=None, target="F-1", after={"deadline": "x"})
        add_user(con, "later", "hash", "planner", None, by="管理员")
    capsys.readouterr()
    assert main(["restore", str(tmp_path / "backup"), "--db", str(db)]) == 2
    said = capsys.readouterr().err
    assert "备份之后记录的以下内容将被删除：用户与角色 1 条（共 1 条审计日志事件）" in said, said


def test_a_backup_edited_to_hold_another_account_says_so_before_it_is_restored(loaded, tmp_path, capsys):
    # An administrator's account added to a backup's file by hand (its manifest written again to match) was restored
    # without a word: nothing was lost since the backup, so nothing asked for a confirmation.
    db, backup = loaded, tmp_path / "backup"
    assert main(["backup", "--out", str(backup), "--db", str(db)]) == 0
    written = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))["created_at"]
    assert written.endswith("+08:00"), written  # Beijing time, as every --json time (it was UTC's +00:00)
    taken = datetime.fromisoformat(written)
    with duckdb.connect(str(backup / "warehouse.duckdb")) as con:
        add_user(con, "mallory", "hash", Role.ADMIN, None, by="管理员")
        con.execute("UPDATE users SET role = 'admin', full_name = '王敏' WHERE user_name = '审核员'")
    _write_manifest(db, backup, taken)
    capsys.readouterr()
    assert main(["restore", str(backup), "--db", str(db)]) == 2
    said = capsys.readouterr().err
    # The person's name too (a probe's name, cleared after the backup, came back unsaid).
    assert (
        "平台账号将随之改变：新增 mallory（系统管理员，启用）；审核员：国家档案局规划人员，启用 → 系统管理员，启用；"
        "审核员：姓名 （无） → 王敏。" in said
    ), said
    assert "本次未做任何恢复" in said
    with WarehouseStore(db).reader() as con:
        assert con.execute("SELECT count(*) FROM users WHERE user_name = 'mallory'").fetchone() == (0,)


def test_a_backup_holds_the_evidence_where_the_var_folder_setting_puts_it(loaded, tmp_path, capsys, monkeypatch):
    # With ARCHIVE_CENSUS_VAR_DIR the evidence lives there: the backup looked beside the warehouse file and left it out.
    var = tmp_path / "elsewhere"
    var.mkdir()
    (loaded.parent / "evidence").rename(var / "evidence")
    monkeypatch.setenv("ARCHIVE_CENSUS_VAR_DIR", str(var))
    code, manifest = run_json(capsys, "backup", "--out", str(tmp_path / "backup"), "--db", str(loaded))
    assert code == 0 and manifest["folders"] == ["evidence"]
    assert (tmp_path / "backup" / "evidence" / "F-1" / "abc-整改报告.pdf").is_file()


def test_a_damaged_backup_is_refused_and_changes_nothing(loaded, tmp_path, capsys):
    db = loaded
    backup = tmp_path / "backup"
    assert main(["backup", "--out", str(backup), "--db", str(db)]) == 0
    with WarehouseStore(db).writer() as con:
        add_user(con, "later", "hash", "planner", None, by="管理员")
    rows = snapshot_counts(db)
    data = bytearray((backup / "warehouse.duckdb").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (backup / "warehouse.duckdb").write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["restore", str(backup), "--db", str(db)]) == 2
    assert "与备份清单不符（内容校验值不同：文件在备份后被改动或已损坏）" in capsys.readouterr().err
    assert snapshot_counts(db) == rows
    # The manifest named instead of its folder, and a file gone, are each said as what they are.
    assert main(["restore", str(backup / "manifest.json"), "--db", str(db)]) == 2
    assert "是一个文件，不是备份目录（请指定它所在的目录）" in capsys.readouterr().err
    (backup / "warehouse.duckdb").unlink()
    assert main(["restore", str(backup), "--db", str(db)]) == 2
    assert "warehouse.duckdb 缺失，备份不完整" in capsys.readouterr().err
    assert main(["restore", str(tmp_path), "--db", str(db)]) == 2
    assert main(["backup", "--out", str(backup), "--db", str(db)]) == 2  # never over an existing backup


def test_a_backup_onto_a_full_disk_names_the_backup_and_leaves_no_folder(loaded, tmp_path, capsys, monkeypatch):
    # A probe's backup onto a full disk was told 磁盘空间不足，无法写入 <the warehouse>, and left an empty folder open
    # to every user. The copy fails as shutil.copyfile does on a full disk: naming its source and its target.
    def full_disk(source, target):
        Path(target).write_bytes(b"part of the copy")
        raise OSError(28, "No space left on device", str(source), None, str(target))

    monkeypatch.setattr("warehouse.backup.shutil.copyfile", full_disk)
    for backup in (tmp_path / "new", tmp_path / "empty"):
        if backup.name == "empty":
            backup.mkdir()
        capsys.readouterr()
        assert main(["backup", "--out", str(backup), "--db", str(loaded)]) == 2
        said = capsys.readouterr().err
        assert f"磁盘空间不足，无法写入 {backup}" in said and str(loaded) not in said, said
        assert not backup.exists() if backup.name == "new" else not any(backup.iterdir())


def test_a_backup_s_evidence_missing_changed_or_added_is_refused_and_changes_nothing(loaded, tmp_path, capsys):
    # A probe: a backup without its evidence folder crashed the confirmed restore half way (the warehouse replaced,
    # no audit record, the kept copy without a manifest); an evidence file changed after the backup was restored.
    backup = tmp_path / "backup"
    assert main(["backup", "--out", str(backup), "--db", str(loaded)]) == 0
    listed = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))["folder_files"]
    assert list(listed) == ["evidence/F-1/abc-整改报告.pdf"]
    evidence = loaded.parent / "evidence" / "F-1" / "abc-整改报告.pdf"
    before = (snapshot_counts(loaded), evidence.read_bytes(), loaded.read_bytes())
    kept = loaded.parent / "before-restore"
    copied = backup / "evidence" / "F-1" / "abc-整改报告.pdf"
    copied.write_bytes(b"FAKE")
    (backup / "evidence" / "F-1" / "later.pdf").write_bytes(b"%PDF later")
    said = []
    for step in ("changed", "added", "missing folder"):
        assert main(["restore", str(backup), "--db", str(loaded), "--confirm"]) == 2
        said.append(capsys.readouterr().err)
        if step == "changed":
            copied.write_bytes(b"%PDF-1.4 evidence")
        elif step == "added":
            shutil.rmtree(backup / "evidence")
    assert "备份中的 1 个文件内容与备份清单不符（在备份后被改动或已损坏）：evidence/F-1/abc-整改报告.pdf" in said[0]
    assert "备份中的 1 个文件不在备份清单中（在备份后放入）：evidence/F-1/later.pdf" in said[1]
    assert f"备份缺少文件夹 {backup / 'evidence'}（备份清单列有它），备份不完整，未做任何恢复。" in said[2]
    assert (snapshot_counts(loaded), evidence.read_bytes(), loaded.read_bytes()) == before and not kept.exists()


@pytest.mark.parametrize(
    "manifest",
    ["[1, 2]", "{bad json", '{"folders": 3}', '{"file": ["x"]}', '{"as_of": "2025-06-30", "returns": []}'],
    ids=["list", "json", "folders", "file", "another tool's"],  # the last: the demo's own manifest.json
)
def test_a_manifest_that_is_not_one_is_refused_in_chinese(loaded, tmp_path, capsys, manifest):
    backup = tmp_path / "backup"
    assert main(["backup", "--out", str(backup), "--db", str(loaded)]) == 0
    (backup / "manifest.json").write_text(manifest, encoding="utf-8")
    rows = snapshot_counts(loaded)
    capsys.readouterr()
    assert main(["restore", str(backup), "--db", str(loaded)]) == 2  # an internal error (exit 3) for all but JSON's
    err = capsys.readouterr().err
    assert "已损坏（不是 archive-census backup 写出的清单）" in err and "Expecting" not in err
    assert snapshot_counts(loaded) == rows


@pytest.mark.parametrize("taken", ["garbage", None], ids=["not a time", "missing"])
def test_a_manifest_whose_backup_time_is_not_a_time_is_refused_before_anything_changes(loaded, tmp_path, capsys, taken):
    # The file's checksum does not cover the manifest: a confirmed restore ran, then failed (exit 3) on the time,
    # and the record it wrote made every text listing of the audit log fail.
    backup = tmp_path / "backup"
    assert main(["backup", "--out", str(backup), "--db", str(loaded)]) == 0
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    if taken is None:
        del manifest["created_at"]
    else:
        manifest["created_at"] = taken
    (backup / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rows = snapshot_counts(loaded)
    capsys.readouterr()
    assert main(["restore", str(backup), "--confirm", "--db", str(loaded)]) == 2
    assert "中的备份时间「" in capsys.readouterr().err and snapshot_counts(loaded) == rows
    assert main(["audit", "--db", str(loaded)]) == 0


def test_two_restores_at_once_each_keep_the_warehouse_they_replaced(loaded, tmp_path):
    # Both took one folder named for the second they started in: the second copy overwrote the first, and the
    # warehouse as it was before both was lost.
    assert main(["backup", "--out", str(tmp_path / "b1"), "--db", str(loaded)]) == 0
    with WarehouseStore(loaded).writer() as con:
        add_user(con, "later", "hash", "planner", None, by="管理员")
    command = [sys.executable, "-m", "cli.main", "restore", str(tmp_path / "b1"), "--confirm", "--json", "--db"]
    runs = [subprocess.Popen([*command, str(loaded)], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    kept = [json.loads(run.communicate(timeout=300)[0])["kept"] for run in runs]
    assert all(run.returncode == 0 for run in runs) and kept[0] != kept[1]
    users = {}
    for folder in kept:
        con = duckdb.connect(str(Path(folder) / "warehouse.duckdb"), read_only=True)
        users[folder] = {row[0] for row in con.execute("SELECT user_name FROM users").fetchall()}
        con.close()
    # One of them holds the warehouse before both (with the user added after the backup), the other the first
    # restore's result (without it).
    assert sorted("later" in names for names in users.values()) == [False, True]


def test_a_folder_for_the_replaced_warehouse_is_never_one_already_there(tmp_path):
    from warehouse.backup import _new_folder

    first, second = _new_folder(tmp_path), _new_folder(tmp_path)
    assert first != second and first.is_dir() and second.is_dir()
    assert second.name == first.name + "-2" or second.name > first.name  # the same second, or the next


def test_a_backup_during_a_load_waits_for_it_and_holds_all_of_it(loaded, tmp_path):
    db = loaded
    store = WarehouseStore(db)
    started = threading.Event()

    def slow_load() -> None:
        with store.writer() as con:
            add_user(con, "during", "hash", "planner", None, by="管理员")
            started.set()
            time.sleep(1.5)
            add_user(con, "during-2", "hash", "planner", None, by="管理员")

    # A dashboard reader holds the current snapshot open all along.
    with store.reader() as reading:
        loader = threading.Thread(target=slow_load)
        loader.start()
        assert started.wait(30)
        assert main(["backup", "--out", str(tmp_path / "backup"), "--db", str(db)]) == 0
        loader.join()
        assert reading.execute("SELECT count(*) FROM users WHERE user_name LIKE 'during%'").fetchone() == (0,)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["users"] == snapshot_counts(db)["users"]
    # All of the warehouse, but for the record of the backup itself, written after the copy.
    assert manifest["tables"] == {**snapshot_counts(db), "audit_log": snapshot_counts(db)["audit_log"] - 1}


def test_a_workbook_or_folder_given_as_the_warehouse_is_neither_opened_nor_overwritten(loaded, tmp_path, capsys):
    # The warehouse path mistyped as a workbook: "corrupt, restore a backup" would have the workbook overwritten.
    backup = tmp_path / "backup"
    assert main(["backup", "--out", str(backup), "--db", str(loaded)]) == 0
    (tmp_path / "returns").mkdir()
    workbook = census_workbook(tmp_path / "returns" / "c.xlsx", 2)
    content = workbook.read_bytes()
    for argv in (["summary"], ["ingest", "census", str(workbook), "--province", PROVINCE], ["restore", str(backup)]):
        capsys.readouterr()
        assert main([*argv, "--db", str(workbook)]) == 2
        said = capsys.readouterr().err
        assert "是 Excel 工作簿" in said and "restore" not in said
    assert workbook.read_bytes() == content and sorted(p.name for p in workbook.parent.iterdir()) == ["c.xlsx"]
    capsys.readouterr()
    assert main(["summary", "--db", str(tmp_path)]) == 2
    assert "是文件夹，不是数据仓库文件" in capsys.readouterr().err


def test_a_warehouse_that_cannot_be_read_is_restored_only_when_confirmed_and_kept_as_it_was(loaded, tmp_path, capsys):
    db = loaded
    before = figures(capsys, db)
    assert main(["backup", "--out", str(tmp_path / "backup"), "--db", str(db)]) == 0
    damaged = db.read_bytes()[:12288]  # its headers, the rest cut off
    db.write_bytes(damaged)
    shutil.rmtree(db.parent / "w.snapshots")  # nothing left to read what the backup lacks from
    capsys.readouterr()
    assert main(["restore", str(tmp_path / "backup"), "--db", str(db)]) == 2
    assert "无法列出恢复会删除哪些内容" in capsys.readouterr().err
    code, restored = run_json(capsys, "restore", str(tmp_path / "backup"), "--db", str(db), "--confirm")
    assert code == 0 and figures(capsys, db) == before
    kept = Path(restored["kept"])
    assert (kept / "warehouse.duckdb").read_bytes() == damaged and not (kept / "manifest.json").exists()
