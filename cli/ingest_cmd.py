"""`archive-census ingest` and `demo`: run the ingestion flows from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from xml.etree import ElementTree

from census_schema import layout
from census_schema.divisions import require_census_province
from census_schema.errors import CensusError, UsageError
from census_schema.failures import describe_rows
from census_schema.forms import CURRENT_WORKBOOKS, KIND_LABELS
from census_schema.roles import Role
from census_schema.scopes import ScopeKind, account_scope, choose_scope
from census_schema.settings import Settings, load_settings
from cli.main import INTERRUPTED, acting_user, emit_json, is_interruption, saying_if_created, stop_on_sigterm
from dash_app.formatting import format_date
from flows.ingest import (
    DUPLICATE_FAILURES_NOTE,
    REFUSED_STATUSES,
    STAGE_LABELS,
    IngestRequest,
    describe_kept_review,
    describe_rejudged,
    describe_replaced,
    describe_replaced_values,
    describe_row_count,
    prefetch_validation,
    report_kind,
    run_directly,
)
from flows.package import read_sheets
from flows.run import choose_orchestrator, quiet_prefect, run_ingestion
from flows.scopes import REJECTED_SHRINK_NOTE, drop_phrase, empty_return_note
from flows.worker import ReaderWorker

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

T = TypeVar("T")
SHOWN_FAILURES = 20
SHOWN_HOLDERS = 20


def progress_runner(show: bool) -> Callable[..., Any]:
    """A step runner that names each stage on the terminal."""

    def run(step: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        if show:
            sys.stderr.write(f"… {STAGE_LABELS.get(step.__name__, step.__name__)}\n")
            sys.stderr.flush()
        return run_directly(step, *args, **kwargs)

    return run


FailureKey = tuple[str, str, str | None, str]


def failure_groups(failures: list[dict[str, Any]]) -> list[tuple[FailureKey, list[int]]]:
    """Failures saying the same thing of the same column, one line each with their rows, errors first (a probe's
    re-sent inspections workbook listed 316 lines of one message before the one that mattered)."""
    groups: dict[FailureKey, list[int]] = {}
    for f in failures:
        rows = groups.setdefault((f["severity"], f["sheet"], f["label"], f["message"]), [])
        if f["row"]:
            rows.append(int(f["row"]))
    return sorted(groups.items(), key=lambda group: group[0][0] != "error")


def describe_outcome(result: dict[str, Any]) -> str:
    """A short human account of an ingest outcome."""
    status = result["status"]
    heads = {
        "accepted": "已接收",
        "rejected": "未通过校验，整份退回（未装载任何数据）",
        "duplicate": "与已接收的文件完全相同，未作改动",
        "needs_confirmation": "未装载：减少的普查对象超过允许比例，须确认",
    }
    if result.get("dry_run"):  # nothing was received or returned: what a real upload would get
        heads |= {
            "accepted": "试校验通过（未装载）",
            "rejected": "试校验未通过（未装载）",
            "needs_confirmation": "试校验通过，但减少的普查对象超过允许比例：正式上传时须确认（未装载）",
        }
    head = heads[status]
    scope = result.get("scope")
    where = (
        (scope["name"] if scope["kind"] == "central" else f"{scope['name']}（{scope['code']}）")
        if scope
        else ("省份 " + result["province"] if result["province"] else "全国")
    )
    lines = [
        f"{head}：{where}，{describe_row_count(result)}，错误 {result['errors']:,} 个，警告 {result['warnings']:,} 个。"
    ]
    if result.get("submission_id"):
        lines.append(f"提交编号：{result['submission_id']}")
    if result.get("returns_rejudged"):
        lines.append(f"{describe_rejudged(result['returns_rejudged'])}。")
    if result.get("replaced"):
        lines.append(f"{describe_replaced(result['replaced'], result.get('review_kept'))}。")
    if result.get("review_kept"):
        lines.append(f"{describe_kept_review(result['review_kept'])}。")
    if result.get("replaced_values"):
        lines.append(f"{describe_replaced_values(result['replaced_values'])}。")
    if result.get("returned_note"):
        lines.append(f"{result['returned_note']}。")
    if result.get("register_note"):
        lines.append(f"{result['register_note']}。")
    lines += _describe_conflicts(result.get("conflicts") or [])
    lines += _describe_shrink(result.get("shrink"), status)
    if result.get("shrink") and result["rows"] == 0:
        lines.append(f"{empty_return_note(status)}。")
    groups = failure_groups(result["failures"])
    if status == "duplicate" and groups:
        # What the file was told when it was received (its 将替换… warning read as if it replaced something again).
        lines.append(f"{DUPLICATE_FAILURES_NOTE}：")
    for (severity, sheet, label, message), rows in groups[:SHOWN_FAILURES]:
        named = f"「{label}」" if label else ""
        where = f"「{sheet}」第 {describe_rows(rows)} 行{named}" if rows else f"「{sheet}」{named}"
        lines.append(f"  [{'错误' if severity == 'error' else '警告'}] {where}：{message}")
    kind = report_kind(result["errors"] > 0)
    if len(groups) > SHOWN_FAILURES:
        # A return with failures has its report (错误报告 or 核对报告); else the full list is the --json output's.
        where = f"完整清单见{kind}" if result.get("report") else "完整清单请用 --json 查看"
        lines.append(f"  ……共 {len(result['failures'])} 条（{len(groups)} 类），{where}。")
    if result.get("report"):
        lines.append(f"{kind}（原工作簿，已标注）：{result['report']}")
    if result.get("data_docs") and result.get("submission_id"):
        lines.append(f"校验详情（Data Docs）：archive-census data-docs {result['submission_id']}")
    return "\n".join(lines)


def _describe_conflicts(conflicts: list[dict[str, Any]]) -> list[str]:
    """Which current returns of other scopes already hold uploaded holders (they would be counted twice)."""
    lines = []
    for held in conflicts:
        holders = held["holders"]
        listed = "、".join(
            f"第 {h['row']} 行 {h['uscc']} {h['unit_name'] or ''}".rstrip() for h in holders[:SHOWN_HOLDERS]
        )
        more = f" 等 {len(holders):,} 个" if len(holders) > SHOWN_HOLDERS else f" 共 {len(holders)} 个"
        # The return as every message names it (its file, sender and number only where the uploader may read them;
        # a central channel by its name, not its key: 中央企业（enterprises） was read).
        lines.append(f"重复计数：以下普查对象已列入{held['said']}：{listed}{more}。")
    return lines


def baseline_name(shrink: dict[str, Any]) -> str:
    """What the shrink is measured against: the scope's current return, or the one its sender took back (no longer
    in force, only its holders' place: 现行报表 read as counting)."""
    return "已撤回的报表" if (shrink.get("current") or {}).get("is_withdrawn") else "现行报表"


def _describe_shrink(shrink: dict[str, Any] | None, status: str) -> list[str]:
    """How many holders of the scope's current return the upload leaves out, and which, when over the limit."""
    if not shrink:
        return []
    current = shrink["current"]
    which = baseline_name(shrink)
    line = (
        f"与本范围{which}（文件「{current['file_name']}」，编号 {current['submission_id']}，{shrink['current_holders']:,} 个"
        f"普查对象）相比，" + drop_phrase(shrink["dropped"], shrink["dropped_pct"], shrink["limit_pct"])
    )
    if status == "rejected":
        line += REJECTED_SHRINK_NOTE
    if not shrink["exceeds_limit"]:
        return [line + "。"]
    if status == "rejected":
        lines = [line + "。将减少的普查对象："]
    elif shrink["confirmed"]:
        return [line + "，已确认减少。"]
    else:
        lines = [line + "：须确认后才能装载。将减少的普查对象："]
    for holder in shrink["holders"][:SHOWN_HOLDERS]:
        lines.append(f"  {holder['uscc']} {holder['unit_name']}（{holder['division_code']}，{holder['holder_type']}）")
    if len(shrink["holders"]) > SHOWN_HOLDERS:
        lines.append(f"  ……共 {len(shrink['holders'])} 个，完整清单见报告的「减少的普查对象」工作表。")
    if status == "needs_confirmation":
        lines.append("确属减少的，请加 --confirm-shrink 重新装载；否则请补全后重新上传。")
    return lines


def refuse_overwriting(report: Path, source: Path) -> None:
    """UsageError when --report names the workbook being loaded, or an existing file that is not an earlier error
    report (a filled return, a clerk's own workbook): the report would replace it."""
    if not report.is_file():
        return
    if source.is_file() and report.samefile(source):
        raise UsageError(
            f"--report {report} 就是要装载的工作簿本身：写入错误报告会覆盖原件。",
            hint="请为错误报告另取一个文件名，例如 --report 广东省-错误报告.xlsx。",
        )
    try:
        with zipfile.ZipFile(report) as archive:
            earlier_report = bool({layout.ERRORS_SHEET, layout.DROPPED_SHEET} & set(read_sheets(archive)))
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError):
        earlier_report = False
    if not earlier_report:
        raise UsageError(
            f"--report {report} 已存在，且不是平台以前生成的错误报告（没有「{layout.ERRORS_SHEET}」工作表）：写入会覆盖它。",
            hint="请另取一个文件名；如确要替换它，请先删除或移走该文件。",
        )


def run_ingest(args: argparse.Namespace) -> int:
    """`archive-census ingest KIND FILE ...`."""
    book = CURRENT_WORKBOOKS.get(args.kind)
    if book is None:
        raise UsageError(f"「{args.kind}」的装载尚未实现。", hint=f"可装载的类型：{'、'.join(CURRENT_WORKBOOKS)}。")
    if (args.province or args.division or args.central) and not book.needs_province:
        label = KIND_LABELS.get(book.kind, book.kind)
        raise UsageError(
            f"{label}工作簿全国通用、不分省份，不能指定 --province、--division 或 --central。",
            hint="请去掉这些选项后重试。",
        )
    if args.division and not args.province:
        raise UsageError("--division 须与 --province 一起使用。", hint="例如 --province 440000 --division 440100。")
    if args.province:
        require_census_province(args.province)
    # Without --division or --central the workbook's own scope is used (any scope inside --province, if given).
    scope = choose_scope(args.province, args.division, args.central) if (args.division or args.central) else None
    report = Path(args.report) if args.report else None
    if report is not None and (report.is_dir() or report.suffix.lower() != ".xlsx"):
        raise UsageError(
            f"--report {report} 不是 .xlsx 文件名{'（这是一个文件夹）' if report.is_dir() else ''}。",
            hint="错误报告是一个 Excel 工作簿，例如 --report 报告/广东省-错误报告.xlsx。",
        )
    if report is not None:
        refuse_overwriting(report, Path(args.file))
    settings = load_settings(args.db, args.warehouse)
    orchestrator = choose_orchestrator(args.orchestrator, settings)
    if orchestrator == "direct":
        # Great Expectations loads while the workbook is identified and parsed (two cores, two jobs).
        prefetch_validation()
    request = IngestRequest(
        Path(args.file),
        args.kind,
        args.province,
        acting_user(args),
        report_path=report,
        dry_run=args.dry_run,
        scope=scope,
        confirm_shrink=args.confirm_shrink,
    )
    started = datetime.now(UTC).replace(tzinfo=None)  # the warehouse keeps naive UTC
    # SIGTERM (timeout's, systemd's, kill's) as Ctrl-C: a run waiting on the pool is cancelled, not left queued to
    # load later over a newer return.
    stop_on_sigterm()
    try:
        with saying_if_created(settings):
            result = run_ingestion(
                request, settings, orchestrator, progress_runner(not args.json and sys.stderr.isatty())
            )
    except (KeyboardInterrupt, Exception) as error:
        if not isinstance(error, KeyboardInterrupt) and not is_interruption(error):
            raise
        # Which of the two it was: an interrupt just after the commit read 已中断 of a file that had been loaded.
        sys.stderr.write(describe_interrupted_ingest(settings, request, started) + "\n")
        return 130
    if args.json:
        emit_json(result)
    else:
        print(describe_outcome(result))
    if result["status"] in REFUSED_STATUSES:
        # Every failure says itself on stderr in one paragraph (the full account stays on stdout, or in the JSON).
        sys.stderr.write(describe_refusal(result) + "\n")
        return 1
    return 0


def describe_interrupted_ingest(settings: Settings, request: IngestRequest, started: datetime) -> str:
    """What an ingest stopped by Ctrl+C got to: the submission it recorded (loaded, or judged and refused), or none."""
    import duckdb

    from flows.identify import compute_sha256
    from warehouse.backends import open_warehouse
    from warehouse.queries import find_upload_outcome

    try:
        # An embedded warehouse not made yet holds nothing (opening it would make it).
        found = None
        if settings.is_ducklake or settings.db_path.exists():
            sha = compute_sha256(request.path)
            with open_warehouse(settings).reader() as con:
                found = find_upload_outcome(con, sha, request.submitted_by, started)
    except (OSError, CensusError, duckdb.Error):
        return INTERRUPTED.strip()
    if found is None:
        return f"已中断：{request.path.name} 未装载，数据仓库没有改动；可以重新运行本命令。"
    done = "已装载" if found["status"] == "accepted" else "已校验未通过（未装载）"
    return (
        f"已中断：但 {request.path.name} 在中断前已处理完毕，{done}，提交编号 {found['submission_id']}；"
        "可用 archive-census submissions 查看，无须重新运行。"
    )


def describe_refusal(result: dict[str, Any]) -> str:
    """One paragraph for stderr: why an ingest was not loaded, where the details are, and what to do."""
    # A dry run received nothing, so it returned nothing either: it says what a real upload would get.
    trial = "试校验" if result.get("dry_run") else ""
    if result["status"] == "needs_confirmation":
        shrink = result.get("shrink") or {}
        return (
            f"{trial}未装载：与{baseline_name(shrink)}相比减少 {shrink.get('dropped', 0):,} 个普查对象，超过允许的比例。"
            " 处理办法：确属减少的，请加 --confirm-shrink 重新装载；否则请补全后重新上传。"
        )
    report = result.get("report")
    where = f"逐格标注的错误报告：{report}" if report else "错误清单见标准输出"
    more = "" if report else "（加 --report 报告.xlsx 可得到逐格标注的错误报告）"
    head = "试校验未通过（未装载）" if trial else "未通过校验，整份退回，未装载任何数据"
    return (
        f"{head}：错误 {result['errors']:,} 个、警告 {result['warnings']:,} 个；{where}。"
        f" 处理办法：请按错误清单逐项改正{more}，然后重新上传。"
    )


# The demo's accounts: name, role and the scope a reporting account reports for (a province's code, a prefecture's
# division code: the demo's own prefecture return of Guangdong when it has one, else this; a central channel's key).
DEMO_USERS = (
    ("planner", Role.PLANNER, None),
    ("guangdong", Role.PROVINCE, "440000"),
    ("prefecture", Role.PREFECTURE, "440100"),
    ("yangqi", Role.CENTRAL, "enterprises"),
    ("evaluator", Role.EVALUATOR, None),
    ("admin", Role.ADMIN, None),
)
# The people the demo's accounts belong to (fictional), named on what the demo's users export and generate.
DEMO_PEOPLE = {
    Role.PLANNER: "王敏",
    Role.PROVINCE: "李华",
    Role.PREFECTURE: "陈静",
    Role.CENTRAL: "赵磊",
    Role.EVALUATOR: "刘洋",
    Role.ADMIN: "孙丽",
}


def demo_users(con: DuckDBPyConnection) -> list[tuple[str, Role, str | None]]:
    """The demo's accounts, its prefecture's office the one of the prefecture whose own return the demo loaded."""
    from warehouse.queries import list_submissions

    loaded = [
        s["scope_code"]
        for s in list_submissions(con, "440000")
        if s["scope_kind"] == ScopeKind.PREFECTURE.value and s["is_current"]
    ]
    return [
        (name, role, loaded[0] if role is Role.PREFECTURE and loaded else scope) for name, role, scope in DEMO_USERS
    ]


def users_banner(users: list[dict[str, Any]]) -> str:
    """The demo's accounts, framed so they stand out as the last thing printed."""
    lines = ["", "=" * 64, "演示用户（每次运行重新生成密码）：", ""]
    for user in users:
        scope = account_scope(Role(user["role"]), user["province_code"], user["scope_code"])
        lines.append(
            f"  用户名 {user['user_name']:<10} 密码 {user['password']:<14} {Role(user['role']).label} "
            + (scope.name if scope else "")
        )
    lines += ["=" * 64, ""]
    return "\n".join(lines)


def quiet_logs() -> None:
    """One line per step: Prefect's and Great Expectations' INFO logs (hundreds of lines) and the request log off."""
    import logging

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_ROOT_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    noisy = ("prefect", "great_expectations", "werkzeug", "httpx", "uvicorn")
    for name in [*noisy, *logging.root.manager.loggerDict]:
        if name.split(".")[0] in noisy:
            logging.getLogger(name).setLevel(logging.WARNING)


def stop_prefect_server() -> None:
    """Stop the temporary Prefect API server if this process started one."""
    if "prefect.server.api.server" not in sys.modules:
        return
    from prefect.server.api.server import SubprocessASGIServer

    for server in list(SubprocessASGIServer._instances.values()):
        server.stop()


def _demo_provinces(text: str | None) -> list[str] | None:
    """`--provinces 110000,440000` as census province codes (each checked), or None for all."""
    if text is None:
        return None
    codes = [code.strip() for code in text.replace("，", ",").split(",") if code.strip()]
    if not codes:
        raise UsageError("--provinces 没有列出省份。", hint="例如：--provinces 110000,440000")
    for code in codes:
        require_census_province(code)
    return codes


def run_demo(args: argparse.Namespace) -> int:
    """`archive-census demo`: build the demo warehouse through the flows, create one user per role, maybe serve."""
    import duckdb

    from dash_app.auth import hash_password, strong_password
    from flows.demo import DEFAULT_DEMO_UNITS, build_demo, reset_warehouse
    from warehouse.backends import open_warehouse
    from warehouse.queries import query_summary
    from warehouse.users import add_user, query_accounts

    settings = load_settings(args.db, args.warehouse)
    provinces = _demo_provinces(getattr(args, "provinces", None))
    if args.serve:
        from cli.web_cmd import require_free_port

        require_free_port(args.host, args.port)  # before minutes of loading, not after
    reset_warehouse(settings, replace=args.replace)
    orchestrator = args.orchestrator or "prefect"
    if orchestrator == "prefect":
        quiet_prefect()
        # Prefect waits 20 s for its temporary API server to start: on 2 busy cores a first run timed out
        # ("Timed out while attempting to connect to ephemeral Prefect API server") before loading anything.
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    if not getattr(args, "verbose", False):
        quiet_logs()
    stop_on_sigterm()

    # One reader process for every workbook of the demo (each would otherwise start and import its own).
    reader = ReaderWorker.from_settings(settings)

    def ingest(request: IngestRequest) -> dict[str, Any]:
        return run_ingestion(request, settings, orchestrator, worker=reader)

    def say(message: str) -> None:
        if not getattr(args, "verbose", False):
            quiet_logs()  # again at every step: Prefect's logging set-up, on its first flow run, resets levels
        if not args.json:
            sys.stderr.write(message + "\n")

    workdir = Path(args.workdir) if args.workdir else settings.var_dir / "demo"
    evaluator = next(name for name, role, _ in DEMO_USERS if role is Role.EVALUATOR)
    with reader:
        result = build_demo(
            settings,
            args.units or DEFAULT_DEMO_UNITS,
            args.seed,
            workdir,
            ingest,
            say,
            evaluator=evaluator,
            provinces=provinces,
        )
    store = open_warehouse(settings)
    passwords = {name: strong_password(name) for name, _, _ in DEMO_USERS}
    with store.reader() as con:
        accounts = demo_users(con)

    def add_demo_users(con: duckdb.DuckDBPyConnection) -> None:
        for name, role, scope in accounts:
            add_user(
                con,
                name,
                hash_password(passwords[name], name),
                role,
                scope if role is Role.PROVINCE else None,
                by="archive-census demo",
                division_code=scope if role is Role.PREFECTURE else None,
                central=scope if role is Role.CENTRAL else None,
                full_name=DEMO_PEOPLE[role],
            )

    store.write(add_demo_users)
    with store.reader() as con:
        stored = {row["user_name"]: row for row in query_accounts(con)}
    users = [
        {
            "user_name": name,
            "role": role,
            "province_code": stored[name]["province_code"],
            "scope_code": stored[name]["scope_code"],
            "password": passwords[name],
        }
        for name, role, _ in accounts
    ]
    with store.reader() as con:
        summary = query_summary(con)
    national = summary["national"]
    # Figures (provinces and central channels), breakdowns, red archives and review progress as the generator
    # planned them.
    matches = result.matches(summary)
    supervision = result.supervision
    supervision_matches = supervision is None or supervision.matches
    if args.json:
        emit_json(
            {
                "workdir": str(workdir),
                "national": national,
                "expected": result.expected,
                "central": summary["central"],
                "review": {key: summary["review"][key] for key in ("returns", "by_state", "reviewed_pct")},
                "matches_manifest": matches,
                "supervision": supervision.summary if supervision else None,
                "supervision_expected": supervision.expected if supervision else None,
                "supervision_matches_manifest": supervision_matches,
                "users": users,
            }
        )
    else:
        say(
            f"演示数据已装载：{national['units_reported']}/{national['units_expected']} 个普查对象已报送，与生成清单{'一致' if matches else '不一致'}。"
        )
        if supervision is not None:
            findings, evaluation = supervision.summary["findings"], supervision.summary["evaluation"]
            say(
                f"监督数据已装载：问题 {findings['total']} 个（截至 {format_date(supervision.summary['as_of'])} 逾期 "
                f"{findings['overdue']} 个），评价轮次 {evaluation['round']} 开放中，"
                f"与生成清单{'一致' if supervision_matches else '不一致'}。"
            )
        if not args.serve:
            say(users_banner(users))
    stop_prefect_server()  # every load is done: the temporary Prefect API server is not needed any more
    if args.serve:
        from cli.web_cmd import run_serve
        from synthetic.supervision import DEMO_TODAY

        # The demo's findings are dated around its own day; judge deadlines on it, not on the real date.
        os.environ.setdefault("ARCHIVE_CENSUS_AS_OF", DEMO_TODAY.isoformat())
        say(f"整改期限按演示日期 {format_date(os.environ['ARCHIVE_CENSUS_AS_OF'])} 判断是否逾期。")

        return run_serve(args, banner="" if args.json else users_banner(users))
    return 0 if matches and supervision_matches else 1
