"""Backup and restore of the warehouse: a consistent copy taken under the writer lock, verified both ways.

A backup folder holds `warehouse.duckdb` (the main file, closed and checkpointed), `manifest.json` (its SHA-256,
size, the row count of every table, the migration version and the SHA-256 of every file of the copied folders) and a
copy of the folders the warehouse refers to (`evidence/`, the rectification evidence files). The copy is taken while
holding the writer lock, so no load can be half in it, and readers (the dashboard) go on reading their snapshot
meanwhile. A restore checks the backup against its manifest first (every file), then replaces the folders and the
main file under the lock and publishes it as the new snapshot.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from census_schema.audit import AuditKind, describe_removed_return
from census_schema.clock import BEIJING, format_beijing, to_beijing
from census_schema.divisions import load_divisions
from census_schema.errors import CensusError, StorageError, UsageError
from census_schema.roles import Role, person_label
from census_schema.scopes import CENTRAL_CHANNELS, RETURNED, describe_division
from warehouse.audit import COLUMNS, AuditEvent, append_events, new_event, record_event
from warehouse.connection import connect_warehouse, open_duckdb, refuse_other_files
from warehouse.queries import fetch_named, stored_scope_name
from warehouse.store import WarehouseStore
from warehouse.transactions import quote_catalog_name, transaction

BACKUP_FILE = "warehouse.duckdb"
MANIFEST = "manifest.json"
# Folders beside the warehouse that its rows refer to (by relative path).
REFERENCED_FOLDERS = ("evidence",)
FORMAT = 1


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_table_rows(path: Path) -> dict[str, int]:
    """The row count of every table of a warehouse file (opened read-only)."""
    con = open_duckdb(path, read_only=True)
    try:
        names = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary ORDER BY table_name"
            ).fetchall()
        ]
        # Names come from the file's own catalog, quoted as identifiers; no user input reaches this statement.
        return {
            name: int(con.execute(f"SELECT count(*) FROM {quote_catalog_name(name)}").fetchone()[0])  # type: ignore[index]  # noqa: S608
            for name in names
        }
    finally:
        con.close()


def _migration_version(path: Path) -> int | None:
    con = open_duckdb(path, read_only=True)
    try:
        row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return int(row[0]) if row and row[0] is not None else None


def _copy_synced(source: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        shutil.copyfile(source, temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def backup_warehouse(store: WarehouseStore, out: Path, var_dir: Path, *, by: str) -> dict[str, Any]:
    """Write a consistent backup of the warehouse (and of the folders it refers to, in `var_dir`) into the empty or
    new folder `out`, readable by its owner only (it holds every account's password hash); its manifest. The audit
    log records who took it, and where."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"备份目录 {out} 是一个文件，不是目录。", hint="请指定一个新的或空的目录，避免覆盖已有文件。")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"备份目录 {out} 不是空目录。", hint="请指定一个新的或空的目录，避免覆盖已有备份。")
    made = not out.exists()
    try:
        with store.storage(out):
            with store.locked_for_backup():
                taken = datetime.now(UTC)  # no write commits while the lock is held: the copy is the state of now
                _copy_warehouse(store.db_path, var_dir, out)  # once the warehouse is known to be there
            out.chmod(0o700)
            manifest = _write_manifest(store.db_path, out, taken)
    except BaseException:
        # No half-written backup is left (a full disk left an empty folder, open to every user, named as a backup).
        if made:
            shutil.rmtree(out, ignore_errors=True)
        elif out.is_dir():
            for leftover in out.iterdir():
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)
        raise
    with store.writer() as con:  # after the copy: a restore of this backup carries the record over
        record_event(
            con, AuditKind.WAREHOUSE, "backup", actor=by, target=str(out.resolve()),
            after={"backup_taken_at": manifest["created_at"]},
        )  # fmt: skip
    return manifest


def _copy_warehouse(db_path: Path, var_dir: Path, out: Path) -> None:
    """Under the writer lock: the main file and the folders its rows refer to, into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    _copy_synced(db_path, out / BACKUP_FILE)
    for folder in REFERENCED_FOLDERS:
        if (var_dir / folder).is_dir():
            shutil.copytree(var_dir / folder, out / folder, symlinks=False)


def _write_manifest(db_path: Path, out: Path, taken: datetime | None = None) -> dict[str, Any]:
    """The manifest of a copied warehouse (its hash, size, version and every table's row count), written beside it;
    `taken`: when the copy was made (UTC), if not now."""
    target = out / BACKUP_FILE
    manifest = {
        "format": FORMAT,
        # To the microsecond: the audit log's events after it are what a restore removes (a time cut to the second
        # counted events of that second before the copy as lost).
        # In Beijing time with its offset, as every --json time is (it was UTC's +00:00).
        "created_at": (taken or datetime.now(UTC)).astimezone(BEIJING).isoformat(timespec="microseconds"),
        "source": str(db_path.resolve()),
        "file": BACKUP_FILE,
        "sha256": _sha256(target),
        "size_bytes": target.stat().st_size,
        "migration_version": _migration_version(target),
        "tables": count_table_rows(target),
        "folders": [f for f in REFERENCED_FOLDERS if (out / f).is_dir()],
        "folder_files": _folder_files(out),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def _folder_files(out: Path) -> dict[str, str]:
    """The SHA-256 of every file of the copied folders, by its path relative to the backup folder."""
    return {
        path.relative_to(out).as_posix(): _sha256(path)
        for name in REFERENCED_FOLDERS
        for path in sorted((out / name).rglob("*"))
        if path.is_file()
    }


def _check_folders(folder: Path, manifest: dict[str, Any]) -> None:
    """A StorageError unless every folder the manifest lists is there and (for a backup that lists its files: all
    but the first releases') holds exactly the files listed, each as it was: a restore copies them in as they are."""
    for name in manifest.get("folders", []):
        if not (folder / name).is_dir():
            raise StorageError(
                f"备份缺少文件夹 {folder / name}（备份清单列有它），备份不完整，未做任何恢复。",
                hint="请换用另一份备份。",
            )
    listed = manifest.get("folder_files")
    if listed is None:
        return
    found = _folder_files(folder)
    missing = sorted(listed.keys() - found.keys())
    added = sorted(found.keys() - listed.keys())
    changed = sorted(name for name in listed.keys() & found.keys() if listed[name] != found[name])
    problems = [
        (missing, "缺失"),
        (changed, "内容与备份清单不符（在备份后被改动或已损坏）"),
        (added, "不在备份清单中（在备份后放入）"),
    ]
    for names, what in problems:
        if names:
            shown = "、".join(names[:5]) + ("等" if len(names) > 5 else "")
            raise StorageError(
                f"备份中的 {len(names):,} 个文件{what}：{shown}，未做任何恢复。", hint="请换用另一份备份。"
            )


def verify_backup(folder: Path) -> dict[str, Any]:
    """The backup's manifest once its file matches it (hash and every table's row count); else a StorageError."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        if not folder.exists():
            missing = "不存在"
        elif folder.is_file():
            missing = (
                "是一个文件，不是备份目录（请指定它所在的目录）"
                if folder.name == MANIFEST
                else "是一个文件，不是备份目录"
            )
        else:
            missing = f"不是备份目录（缺少 {MANIFEST}）"
        raise UsageError(f"{folder} {missing}。", hint="请指定 archive-census backup --out 生成的目录。") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        manifest = None
    folders = manifest.get("folders", []) if isinstance(manifest, dict) else None
    files = manifest.get("folder_files", {}) if isinstance(manifest, dict) else None
    if (
        not isinstance(manifest, dict)
        # Another tool's manifest.json (the demo's workbooks have one) is no backup's: said so, not "file missing".
        or not isinstance(manifest.get("sha256"), str)
        or not isinstance(manifest.get("file", BACKUP_FILE), str)
        or not (isinstance(folders, list) and all(isinstance(name, str) for name in folders))
        or not (isinstance(files, dict) and all(isinstance(v, str) for v in files.values()))
    ):
        raise StorageError(
            f"备份清单 {folder / MANIFEST} 已损坏（不是 archive-census backup 写出的清单），未做任何恢复。",
            hint="请换用另一份备份。",
        )
    path = folder / manifest.get("file", BACKUP_FILE)
    if not path.is_file():
        raise StorageError(f"备份文件 {path} 缺失，备份不完整，未做任何恢复。", hint="请换用另一份备份。")
    if _sha256(path) != manifest.get("sha256"):
        raise StorageError(
            f"备份文件 {path} 与备份清单不符（内容校验值不同：文件在备份后被改动或已损坏），未做任何恢复。",
            hint="请换用另一份备份。",
        )
    counted, listed = count_table_rows(path), manifest.get("tables")
    if counted != listed:
        listed = listed if isinstance(listed, dict) else {}
        differing = sorted(t for t in counted.keys() | listed.keys() if counted.get(t) != listed.get(t))
        named = "、".join(f"{t}（清单 {listed.get(t, '无')}，文件 {counted.get(t, '无')}）" for t in differing[:5])
        raise StorageError(
            f"备份文件 {path} 的表行数与备份清单不符：{named}{'等' if len(differing) > 5 else ''}，未做任何恢复。",
            hint="请换用另一份备份。",
        )
    _check_folders(folder, manifest)
    backup_time(manifest, folder)
    return dict(manifest)


def backup_time(manifest: dict[str, Any], folder: Path) -> datetime:
    """When the backup was taken (naive UTC, as the audit log keeps times); a StorageError for a manifest whose time
    is missing or not a time (what the restore would remove is counted from it)."""
    taken = manifest.get("created_at")
    try:
        moment = datetime.fromisoformat(str(taken))
    except ValueError:
        raise StorageError(
            f"备份清单 {Path(folder) / MANIFEST} 中的备份时间「{str(taken)[:40]}」不是有效时间（清单已被改动或损坏），"
            "未做任何恢复。",
            hint="请换用另一份备份。",
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)


def events_since(store: WarehouseStore, taken: datetime) -> tuple[dict[str, int], list[dict[str, Any]]] | None:
    """The audit log's events recorded after `taken` (a backup's time), counted by kind's Chinese name, and the
    returns received since, each named (`_lost_returns`): what a restore of that backup removes (earlier restores'
    records are carried over, not removed; an upgrade's own events, which have no actor, are written again when the
    restored warehouse is upgraded). None when the current warehouse cannot be read (a restore is its repair)."""
    if not (store.db_path.exists() or store.has_snapshots()):
        return {}, []
    try:
        with store.reader() as con:
            return _count_lost(con, taken), _lost_returns(con, taken)
    except (CensusError, duckdb.Error):
        return None


def _lost_returns(con: duckdb.DuckDBPyConnection, taken: datetime) -> list[dict[str, Any]]:
    """The returns received after `taken` that counted (accepted, not sent back nor withdrawn), oldest first, each
    with its number, kind, scope, file, sender and time, and whether it was still current (`is_current`: one a later
    return of its scope replaced had stopped counting): whom to ask to send again (a probe's restore said 报送 1 条
    of a return its office still believed accepted), and, kept in the restore's record, what the sender's own pages
    announce (`query_removed_returns`)."""
    rows = fetch_named(
        con,
        "SELECT s.submission_id, s.kind, s.scope_kind, s.scope_code, s.province_code, s.file_name, s.submitted_by, "
        "s.submitted_at, s.is_current, u.full_name "
        "FROM submissions AS s LEFT JOIN users AS u ON u.user_name = s.submitted_by "
        # Only what counted: a rejected upload loaded nothing, and a return sent back or withdrawn counted nowhere
        # (a probe's list asked senders to upload those again, one file twice).
        "WHERE s.submitted_at > ? AND s.status = 'accepted' AND s.review_state IS DISTINCT FROM ? "
        "ORDER BY s.submitted_at, s.submission_id",
        [taken, RETURNED],
    )
    return [
        {
            **{key: r[key] for key in ("submission_id", "kind", "scope_kind", "scope_code", "province_code")},
            "scope_name": stored_scope_name(r) or "全国",
            "file_name": r["file_name"],
            "submitted_by": r["submitted_by"],
            "submitter": person_label(r["submitted_by"], r["full_name"]),
            # Beijing time with its offset, as every time `--json` prints (bare, the naive UTC read 8 hours off).
            "submitted_at": to_beijing(r["submitted_at"]).isoformat(),
            # Only the last of a scope's chain needs sending again (a probe's list named three replaced before it).
            "is_current": bool(r["is_current"]),
        }
        for r in rows
    ]


# How many of the returns a restore removes it names.
SHOWN_LOST_RETURNS = 10


def describe_lost_returns(returns: list[dict[str, Any]]) -> str:
    """The returns a restore removes, the first ten of each group named: those current, which their senders must send
    again, then those a later return of their scope had already replaced, which they need not; "" for none."""
    groups = (
        ([r for r in returns if r["is_current"]], "须由报送方重新上传"),
        ([r for r in returns if not r["is_current"]], "恢复前已被同一范围之后的报送替换，无须重新上传"),
    )
    said = [f"{_name_returns(group)}，{what}。" for group, what in groups if group]
    return "其中备份之后收到的报送：" + "另有 ".join(said) if said else ""


def _name_returns(returns: list[dict[str, Any]]) -> str:
    more = f"等 {len(returns):,} 份" if len(returns) > SHOWN_LOST_RETURNS else ""
    return "；".join(describe_removed_return(r) for r in returns[:SHOWN_LOST_RETURNS]) + more


def _count_lost(con: duckdb.DuckDBPyConnection, taken: datetime) -> dict[str, int]:
    rows = con.execute(
        "SELECT kind, count(*) FROM audit_log WHERE occurred_at > ? AND kind <> ? AND actor IS NOT NULL "
        "GROUP BY kind ORDER BY 2 DESC, 1",
        [taken, AuditKind.WAREHOUSE],
    ).fetchall()
    return {AuditKind(kind).label: int(count) for kind, count in rows}


def _log_of_main_file(
    db_path: Path, taken: datetime
) -> tuple[dict[str, int] | None, list[dict[str, Any]], list[AuditEvent]]:
    """Under the writer lock, from the main file about to be replaced: what the restore removes (events counted,
    None when it cannot be read; returns named) and the records of earlier restores since `taken`, which the
    restored log carries over."""
    if not db_path.is_file():
        return {}, [], []
    try:
        con = open_duckdb(db_path, read_only=True)
    except duckdb.Error:
        return None, [], []
    try:
        rows = con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE occurred_at > ? AND kind = ? ORDER BY occurred_at",  # noqa: S608
            [taken, AuditKind.WAREHOUSE],
        ).fetchall()
        carried = [
            AuditEvent(kind=r["kind"], action=r["action"], actor=r["actor"], target=r["target"],
                       before=r["before_state"], after=r["after_state"], reason=r["reason"],
                       occurred_at=r["occurred_at"], via=r["via"], address=r["source_address"], event_id=r["event_id"])
            for r in (dict(zip(COLUMNS, row, strict=True)) for row in rows)
        ]  # fmt: skip
        return _count_lost(con, taken), _lost_returns(con, taken), carried
    except duckdb.Error:
        return None, [], []
    finally:
        con.close()


# An account as a restore compares it: role, province, scope (a division or a central channel), active; and its
# password's hash apart (said as a password put back, never shown).
_Account = tuple[str, str | None, str | None, bool]


def _accounts_in(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[_Account, str, str | None]]:
    """Every account by name: as compared, its password's hash, its person's name (an older backup has none)."""
    cursor = con.execute("SELECT * FROM users ORDER BY user_name")  # a backup of an older version has no scope_code
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {
        r["user_name"]: (
            (str(r["role"]), r["province_code"], r.get("scope_code"), bool(r["is_active"])),
            r["password_hash"],
            r.get("full_name"),
        )
        for r in rows
    }


def _describe_account(account: _Account) -> str:
    role, province, scope, active = account
    place = scope or province or ""
    division = load_divisions().by_code.get(place)
    named = CENTRAL_CHANNELS.get(place) or (describe_division(place) if division else place)
    where = f"，{named}" if place else ""  # a hand-edited backup's code as it is
    label = Role(role).label if role in set(Role) else role
    return f"{label}{where}，{'启用' if active else '已停用'}"


def account_changes(store: WarehouseStore, backup_file: Path) -> list[str]:
    """How the platform's accounts would differ once the backup is restored, as people read it (新增 mallory（系统管理员，
    启用）; tester1：已停用 → 启用; 删除 …): a backup's accounts come back with it (one disabled since is active again, one
    added to the file by hand signs in), so a restore says so first. Empty when the current warehouse cannot be read."""
    try:
        with store.reader() as con:
            current = _accounts_in(con)
    except (CensusError, duckdb.Error):
        return []
    backup = open_duckdb(backup_file, read_only=True)
    try:
        restored = _accounts_in(backup)
    finally:
        backup.close()
    changes = [
        f"新增 {name}（{_describe_account(restored[name][0])}）" for name in sorted(restored.keys() - current.keys())
    ]
    for name in sorted(current.keys() & restored.keys()):
        (now, now_hash, now_person), (then, then_hash, then_person) = current[name], restored[name]
        if now != then:
            changes.append(f"{name}：{_describe_account(now)} → {_describe_account(then)}")
        if now_person != then_person:  # a probe's cleared name came back unsaid
            changes.append(f"{name}：姓名 {now_person or '（无）'} → {then_person or '（无）'}")
        if now_hash != then_hash:
            changes.append(f"{name}：密码恢复为备份时的密码（现用的密码不能再登录）")
    changes += [
        f"删除 {name}（{_describe_account(current[name][0])}）" for name in sorted(current.keys() - restored.keys())
    ]
    return changes


# What a restore of another warehouse's backup replaces, counted by table and said in words.
HELD_TABLES = (("submissions", "报送", "份"), ("findings", "整改问题", "个"), ("evaluation_scores", "评分", "条"),
               ("users", "账号", "个"))  # fmt: skip


def held_by_other(store: WarehouseStore, manifest: dict[str, Any]) -> str | None:
    """When the backup was taken of another warehouse file than this one and this one holds data: what it holds
    (报送 18 份、整改问题 1,034 个…), all of which the restore replaces; else None. (The events since the backup,
    which a restore of this warehouse's own backup lists, say nothing of another warehouse's.)"""
    source = manifest.get("source")
    if not source or Path(source) == store.db_path.resolve() or not store.db_path.is_file():
        return None
    try:
        with store.reader() as con:
            counts = [
                (label, unit, con.execute(f"SELECT count(*) FROM {table}").fetchone())  # noqa: S608 (HELD_TABLES)
                for table, label, unit in HELD_TABLES
            ]
    except (CensusError, duckdb.Error):
        return None  # cannot be read: refused as such
    held = [f"{label} {row[0]:,} {unit}" for label, unit, row in counts if row and row[0]]
    return (
        f"该备份取自另一个数据仓库文件（{source}），恢复会以其全部内容替换当前数据仓库现有的{'、'.join(held)}"
        if held
        else None
    )


def describe_events(events: dict[str, int]) -> str:
    """报送 3 条、登录 5 条（共 8 条审计日志事件）."""
    listed = "、".join(f"{label} {count:,} 条" for label, count in events.items())
    return f"{listed}（共 {sum(events.values()):,} 条审计日志事件）"


def restore_warehouse(
    store: WarehouseStore, folder: Path, var_dir: Path, *, by: str, confirmed: bool = False
) -> dict[str, Any]:
    """Replace the warehouse (and the folders it refers to, in `var_dir`) by a verified backup under the writer lock
    and publish it; the backup's manifest, with `kept`: where the replaced warehouse was copied first.

    What the backup lacks (the audit log's events since it was taken) is said first: without `confirmed` the
    restore is refused with that list (a UsageError) and nothing changes. Under the lock, the restored log records the
    restore itself (by whom, from which backup, what it removed, where the replaced warehouse was kept) after the
    records of earlier restores it carries over; two restores at once each keep their own copy."""
    folder = Path(folder)
    manifest = verify_backup(folder)
    taken = backup_time(manifest, folder)
    source = folder / manifest.get("file", BACKUP_FILE)
    refuse_other_files(store.db_path)
    if not store.db_path.is_file() and not confirmed:
        # Nothing is replaced, and nothing is made here before it is confirmed (a probe's unconfirmed restore into a
        # mistyped path left an empty warehouse there, which the next command then read as if it were the data).
        raise UsageError(
            f"{store.db_path} 处没有数据仓库：恢复会在此新建一个，内容为 {format_beijing(manifest['created_at'])}的备份。"
            "本次未做任何恢复。",
            hint="请核对 --db 所指的位置；确要恢复到此处的，请加 --confirm 重新运行。",
        )
    since = events_since(store, taken)
    lost, lost_returns = since if since is not None else (None, [])
    if lost is None and store.db_path.is_file() and not confirmed:
        raise UsageError(
            "当前数据仓库读不出来，无法列出恢复会删除哪些内容。本次未做任何恢复。",
            hint="确要恢复的，请加 --confirm 重新运行（恢复前的数据仓库会先原样另存一份）。",
        )
    accounts = account_changes(store, source)
    other = held_by_other(store, manifest)
    if (lost or accounts or other) and not confirmed:
        other_said = f"{other}。" if other else ""
        removed_said = (
            f"备份之后记录的以下内容将被删除：{describe_events(lost)}。{describe_lost_returns(lost_returns)}"
            if lost
            else ""
        )
        accounts_said = f"平台账号将随之改变：{'；'.join(accounts)}。" if accounts else ""
        raise UsageError(
            f"恢复会用 {format_beijing(manifest['created_at'])}的备份替换当前数据仓库，"
            f"{other_said}{removed_said}{accounts_said}本次未做任何恢复。",
            hint="确要恢复的，请加 --confirm 重新运行（恢复前的数据仓库会先另存一份，可再恢复回来）。",
        )
    kept: list[Path] = []
    copied_at: list[datetime] = []

    def keep() -> None:
        """Under the lock: the replaced warehouse as a backup folder of its own (a damaged file as it is)."""
        copied_at.append(datetime.now(UTC))
        kept.append(_new_folder(var_dir / "before-restore"))
        kept[0].chmod(0o700)  # as a backup's: it holds every account's password hash
        _copy_warehouse(store.db_path, var_dir, kept[0])

    with store.storage(store.db_path), store.locked_for_restore(keep):
        removed, removed_returns, carried = _log_of_main_file(store.db_path, taken)
        if removed and removed != lost and not confirmed:  # written since it was listed, and not confirmed
            for folder_kept in kept:
                shutil.rmtree(folder_kept, ignore_errors=True)
            raise UsageError(
                f"列出之后又有内容写入：恢复会删除 {describe_events(removed)}。本次未做任何恢复。",
                hint="确要恢复的，请加 --confirm 重新运行。",
            )
        # The folders are copied in beside their places first: a copy that fails leaves the warehouse as it was.
        staged = []
        for name in manifest.get("folders", []):
            if name not in REFERENCED_FOLDERS:
                continue
            target = var_dir / name
            staging = target.with_name(f".{name}.restoring")
            shutil.rmtree(staging, ignore_errors=True)
            staged.append((staging, target))
            shutil.copytree(folder / name, staging)
        store.db_path.parent.mkdir(parents=True, exist_ok=True)
        _copy_synced(source, store.db_path)
        store.db_path.with_name(store.db_path.name + ".wal").unlink(missing_ok=True)
        for staging, target in staged:
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
        record = new_event(
            AuditKind.WAREHOUSE, "restore", actor=by, target=str(folder.resolve()),
            after={"backup_taken_at": manifest["created_at"],
                   "kept": str(kept[0].resolve()) if kept else None,  # the log outlives the folder the command ran in
                   "events_removed": "当前数据仓库读不出来，未能列出" if removed is None else removed,
                   "returns_removed": removed_returns,
                   "accounts_changed": accounts,
                   # Another warehouse's backup replaced all this one held: said here as the preview said it.
                   "other_warehouse_replaced": other},
        )  # fmt: skip
        con = connect_warehouse(store.db_path)  # an older backup is migrated as any write would
        try:
            with transaction(con):
                append_events(con, [*carried, record])
            con.execute("CHECKPOINT")
        finally:
            con.close()
    if kept:
        with contextlib.suppress(duckdb.Error):  # a damaged warehouse is kept without a manifest
            _write_manifest(store.db_path, kept[0], copied_at[0])
    return {
        **manifest,
        "kept": str(kept[0]) if kept else None,
        "removed_events": removed,
        "removed_returns": removed_returns,
        "accounts_changed": accounts,
        "other_warehouse_replaced": other,
    }


def _new_folder(parent: Path) -> Path:
    """A folder of `parent` named for this second (…-2, …-3 when that name is taken), created."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", *(f"-{n}" for n in range(2, 1000))):
        try:
            (parent / f"{stamp}{suffix}").mkdir()
        except FileExistsError:
            continue
        return parent / f"{stamp}{suffix}"
    raise StorageError(f"{parent} 中同一秒的文件夹过多。", hint="请稍后重试。")
