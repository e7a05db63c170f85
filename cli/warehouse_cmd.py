"""`summary`, `submissions` and `review`: the warehouse's commands."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

import duckdb

from census_schema.divisions import require_census_province
from census_schema.errors import AccessDenied, NotFound, UsageError
from census_schema.fields import show_unseen
from census_schema.forms import KIND_LABELS
from census_schema.scopes import counted_state
from census_schema.settings import load_settings
from cli.main import display_width, emit_json
from dash_app.formatting import (
    format_count,
    format_datetime,
    format_number,
    format_pct,
    shown_review_note,
    shown_review_progress,
)
from warehouse.backends import EmbeddedWarehouse, Warehouse, open_warehouse
from warehouse.queries import canonical_submission_id, list_submissions, query_summary
from warehouse.reviews import Reviewer, check_review_request, describe_review_change
from warehouse.store import WarehouseStore
from warehouse.users import find_acting_account, get_user

STATUS_LABELS = {"accepted": "已接收", "rejected": "未通过"}
SUMMARY_COLUMNS = (
    ("units_expected", "应报单位"),
    ("units_reported", "已报单位"),
    ("units_unregistered", "名录外"),
    ("coverage_pct", "覆盖率"),
    ("vol_total", "卷"),
    ("item_total", "件"),
    ("e_items", "电子档案（件）"),
    ("e_gb", "电子容量（GB）"),
)


def summary_cells(figures: dict[str, Any]) -> list[str]:
    """One scope's figures as people read them and as the dashboard shows them: 67,939,956; 96.38%; coverage —
    where no holder is expected (no register yet: 0 % would say nobody reported)."""
    cells = []
    for key, _ in SUMMARY_COLUMNS:
        value = figures[key]
        if key == "coverage_pct":
            cells.append(format_pct(value))
        elif key == "e_gb":
            cells.append(format_number(value, 2))
        else:
            cells.append(format_count(value))
    return cells


def _store(args: argparse.Namespace) -> Warehouse:
    # Reads see the latest committed state (never blocked by a running load); writes are one transaction each.
    return open_warehouse(load_settings(args.db, args.warehouse))


def _embedded_store(args: argparse.Namespace) -> WarehouseStore:
    """The embedded file's store, for the commands that copy it (a DuckLake is backed up with its catalog)."""
    store = _store(args)
    if not isinstance(store, EmbeddedWarehouse):
        raise UsageError(
            "backup 和 restore 只适用于内置数据仓库文件。",
            hint="DuckLake 数据仓库请按 README「Backup and restore of a DuckLake」：暂停工作池，备份 PostgreSQL 目录库"
            "（pg_dump），再复制 ARCHIVE_CENSUS_DATA_PATH 与 ARCHIVE_CENSUS_VAR_DIR 两个目录（后者存有上传的工作簿、"
            "错误报告和佐证材料）。",
        )
    return store.store


def province_arg(args: argparse.Namespace) -> str | None:
    """The census province --province names (UsageError for a code that is none), or None."""
    return None if args.province is None else require_census_province(args.province.strip()).code


# A cell of a column of figures, as the platform writes them: 1,234 / 96.38% / 0.5 / — / empty. A run of digits
# with no thousands separator (440000) is a code, read from the left (archive codes were aligned as figures).
_FIGURE = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?%?|—|")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table whose columns line up with Chinese text (wide characters count double); a column of
    figures only is aligned right, as figures are read."""
    # A cell's line breaks and invisible characters are shown as codes ([U+000A]): a value someone typed (a name
    # tried at sign-in, a reason) may not break the table into lines of its own making.
    cells = [[str(h) for h in headers]] + [["" if v is None else show_unseen(str(v)) for v in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    body = cells[1:]
    flush_right = [
        any(row[i] for row in body) and all(_FIGURE.fullmatch(row[i]) for row in body) for i in range(len(headers))
    ]

    def padded(cell: str, width: int, to_right: bool) -> str:
        space = " " * (width - display_width(cell))
        return space + cell if to_right else cell + space

    lines = [
        "  ".join(padded(c, w, r) for c, w, r in zip(row, widths, flush_right, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_summary(args: argparse.Namespace) -> int:
    """Print national and provincial figures of the current round."""
    province = province_arg(args)
    with _store(args).reader() as con:
        summary = query_summary(con, province_code=province)
    if args.json:
        emit_json(summary)
        return 0
    headers = ["代码", "省份", *(label for _, label in SUMMARY_COLUMNS)]
    rows = [[p["province_code"], p["province_name"], *summary_cells(p)] for p in summary["provinces"]]
    if province is None:  # the nation and its central channels; --province asks for that province alone
        rows.insert(0, ["", "全国", *summary_cells(summary["national"])])
        central = summary["central"]
        rows.append(["", central["name"], *summary_cells(central)])
        # A channel by its name alone: its key (organs, enterprises) is not a code anyone reads.
        rows += [["", f"  {c['channel_name']}", *summary_cells(c)] for c in central["channels"]]
    review, where = summary["review"], "全国，含中央渠道"
    if province is not None:  # the province asked for: its own progress, not the nation's
        review, where = review["provinces"][0], summary["provinces"][0]["province_name"]
    progress = "，".join(f"{counted_state(state)} {count}" for state, count in review["by_state"].items())
    # Nothing sent, nothing to have reviewed: no share (it read 0.00%, as if every return waited).
    shown_pct = f"{review['reviewed_pct']:.2f}%" if review["returns"] else "—"
    sys.stdout.write(
        f"普查轮次 {summary['round']}\n{format_table(headers, rows)}\n"
        f"审核进度（{where}）：现行普查表 {review['returns']} 份，{progress}（已审核 {shown_pct}）\n"
    )
    return 0


def run_submissions(args: argparse.Namespace) -> int:
    """List recorded submissions, newest first."""
    province = province_arg(args)
    with _store(args).reader() as con:
        submissions = list_submissions(con, province)
    if args.json:
        emit_json({"submissions": submissions})
        return 0
    if not submissions:
        sys.stdout.write("尚无报送记录。\n")
        return 0
    headers = [
        "提交编号",
        "类型",
        "填报范围",
        "轮次",
        "结果",
        "当前有效",
        "审核状态",
        "行数",
        "错误",
        "警告",
        "报送时间（北京时间）",
        "报送人",
        "审核说明",
    ]
    rows = [
        [
            s["submission_id"],
            KIND_LABELS.get(s["kind"], s["kind"]),
            s["scope_name"] or "全国",
            s["round_id"],
            STATUS_LABELS.get(s["status"], s["status"]),
            "是" if s["is_current"] else "否",
            shown_review_progress(s),
            format_count(s["row_count"]),
            format_count(s["error_count"]),
            format_count(s["warning_count"]),
            format_datetime(s["submitted_at"], seconds=True),
            s["submitter"],
            shown_review_note(s),
        ]
        for s in submissions
    ]
    sys.stdout.write(format_table(headers, rows) + "\n")
    return 0


def find_reviewer(con: duckdb.DuckDBPyConnection, name: str) -> Reviewer:
    """The platform user named by --by, as a reviewer with their role and province (the level they review at)."""
    account = find_acting_account(con, name.strip())  # a look-alike of an account's name is refused there
    if account is not None and not account.is_active:
        raise AccessDenied(
            f"{account.described}不能审核。本次未做任何处理。",
            hint="请以启用的账号审核，或由管理员用 archive-census users enable 重新启用该账号。",
        )
    user = get_user(con, name.strip())
    if user is None:
        raise NotFound(
            f"找不到审核人「{name}」：审核人须是平台的有效用户。",
            hint="地级用户审核所辖县级的报表，省级用户审核本省地级、县级的报表，国家档案局规划人员审核全省的报表和中央渠道的报表；"
            "用户用 archive-census users add 创建。",
        )
    return Reviewer(user.user_name, user.role, user.province_code, user.scope_code)


def run_review(args: argparse.Namespace) -> int:
    """Accept or return a submission, at the level of the user named by --by, or withdraw one they sent."""
    # Imported here: judging census returns again (a register's review) loads the flows; the other commands must not.
    from flows.ingest import describe_rejudged
    from flows.review import review_and_rejudge

    check_review_request(args.action, args.by, args.reason)

    def review(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        submission_id = canonical_submission_id(args.submission_id)
        return review_and_rejudge(con, submission_id, args.action, find_reviewer(con, args.by), args.reason)

    result = _store(args).write(review)
    if args.json:
        emit_json(result)
        return 0
    # As /submissions says it (what follows: whose turn, or that it no longer counts), then who and why.
    reason = f"，原因：{result['reason']}" if result["reason"] else ""
    who = "撤回人" if result["action"] == "withdraw" else "审核人"
    sys.stdout.write(f"{describe_review_change(result)}（{who} {result['changer']}{reason}）。\n")
    if result["returns_rejudged"]:
        sys.stdout.write(f"{describe_rejudged(result['returns_rejudged'], by_review=True)}。\n")
    return 0


def run_data_docs(args: argparse.Namespace) -> int:
    """Build (if not yet built) the GX Data Docs of a submission and print where they are."""
    # Imported here: building a site loads Great Expectations; the other warehouse commands must not.
    from flows.data_docs import ensure_data_docs, no_data_docs, submission_data_docs_dir

    settings = load_settings(args.db, args.warehouse)
    submission_id = canonical_submission_id(args.submission_id)
    with open_warehouse(settings).reader() as con:
        found = [s for s in list_submissions(con) if s["submission_id"] == submission_id]
    if not found:
        raise UsageError(
            f"没有提交编号为 {submission_id} 的报送。", hint="可用 archive-census submissions 查看提交编号。"
        )
    folder = submission_data_docs_dir(settings, found[0])
    index = ensure_data_docs(folder)
    if index is None:
        raise UsageError(
            f"报送 {submission_id} {no_data_docs(settings)}",
            hint=f"数据仓库如是复制来的，请把原处的 data_docs 文件夹复制到 {folder.parent.parent} 后重试；"
            "此后装载的报表都会保留校验详情（请勿设置 ARCHIVE_CENSUS_DATA_DOCS=0）。",
        )
    if args.json:
        emit_json({"submission_id": submission_id, "data_docs": str(index)})
    else:
        sys.stdout.write(f"校验详情（Great Expectations Data Docs）：{index}\n")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    """`archive-census backup --out DIR`: copy the warehouse under the writer lock and write its manifest."""
    import getpass
    from pathlib import Path

    from warehouse.backup import backup_warehouse

    settings = load_settings(args.db, args.warehouse)
    manifest = backup_warehouse(_embedded_store(args), Path(args.out), settings.var_dir, by=getpass.getuser())
    if args.json:
        emit_json({"backup": str(Path(args.out)), **manifest})
        return 0
    rows = sum(manifest["tables"].values())
    sys.stdout.write(
        f"备份完成：{args.out}（{manifest['size_bytes'] / 1048576:.1f} MB，{len(manifest['tables'])} 张表共 {rows:,} 行，"
        f"SHA-256 {manifest['sha256'][:12]}…）\n"
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """`archive-census restore DIR`: verify the backup, replace the warehouse with it and publish it."""
    import getpass
    from pathlib import Path

    from census_schema.clock import format_beijing
    from warehouse.backup import describe_events, describe_lost_returns, restore_warehouse

    settings = load_settings(args.db, args.warehouse)
    manifest = restore_warehouse(
        _embedded_store(args), Path(args.folder), settings.var_dir, by=getpass.getuser(), confirmed=args.confirm
    )
    if args.json:
        emit_json({"restored_from": str(Path(args.folder)), **manifest})
        return 0
    said = f"已从 {args.folder} 恢复（备份时间 {format_beijing(manifest['created_at'])}），读取快照已更新。"
    if manifest["removed_events"]:
        said += f"备份之后记录的内容已删除：{describe_events(manifest['removed_events'])}。"
        said += describe_lost_returns(manifest["removed_returns"])
    if manifest["other_warehouse_replaced"]:
        said += f"{manifest['other_warehouse_replaced']}：已替换。"
    if manifest["accounts_changed"]:
        said += f"平台账号已随之改变：{'；'.join(manifest['accounts_changed'])}。"
    if manifest["kept"]:
        said += f"恢复前的数据仓库已另存于 {manifest['kept']}"
        restorable = (Path(manifest["kept"]) / "manifest.json").is_file()  # a damaged one is kept as it was
        said += "（可用 archive-census restore 恢复回来）。" if restorable else "（原样保存，它已无法读取）。"
    sys.stdout.write(said + "\n")
    return 0
