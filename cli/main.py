"""Argument parsing and dispatch for `archive-census`; handlers live in sibling modules, imported on use."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from census_schema.errors import CensusError, storage_error_from
from census_schema.forms import CURRENT_WORKBOOKS
from census_schema.roles import Role
from census_schema.scopes import CENTRAL_CHANNELS
from census_schema.supervision.codes import FindingRole

Handler = Callable[[argparse.Namespace], int]
# The exit status of a command whose output's reader closed early (128 + SIGPIPE, as a shell reports such a tool).
BROKEN_PIPE_EXIT = 141


def _handler(module: str, function: str) -> Handler:
    """A handler imported only when its command runs, so `--help` and light commands start fast."""

    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module(f"cli.{module}"), function)(args))

    return run


# argparse's refusals (Python 3.11 wording) as a person reads them here; anything else keeps argparse's words.
_PARSER_MESSAGES = (
    (re.compile(r"^the following arguments are required: (.+)$"), "缺少必填参数：{0}。"),
    (
        re.compile(r"^argument (.+?): invalid choice: (.+?) \(choose from (.+)\)$"),
        "参数 {0} 的取值 {1} 无效，可选：{2}。",
    ),
    (re.compile(r"^argument (.+?): expected one argument$"), "参数 {0} 后须跟一个取值。"),
    (re.compile(r"^argument (.+?): invalid (\w+) value: (.+)$"), "参数 {0} 的取值 {2} 无效（应为{1}）。"),
    (re.compile(r"^argument (.+?): not allowed with argument (.+)$"), "参数 {0} 不能与 {1} 同时使用。"),
    (re.compile(r"^one of the arguments (.+) is required$"), "须提供以下参数之一：{0}。"),
    (re.compile(r"^unrecognized arguments: (.+)$"), "无法识别的参数：{0}。"),
)

_TYPE_NAMES = {"int": "整数", "float": "数字", "positive_int": "正整数"}


def positive_int(text: str) -> int:
    """An argument that must be a whole number above zero (argparse's type)."""
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def parser_message(message: str) -> str:
    """An argparse error message in Chinese (argparse's own words when it is not one of the usual ones)."""
    for pattern, chinese in _PARSER_MESSAGES:
        found = pattern.match(message)
        if found:
            return chinese.format(*(_TYPE_NAMES.get(group, group) for group in found.groups()))
    return f"参数有误：{message}"


class CommandParser(argparse.ArgumentParser):
    """argparse, refusing a misused command in Chinese with the command's usage and `--help` to learn more."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and the refusal; exit 2 (a misused command)."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：{parser_message(message)} 处理办法：运行 {self.prog} --help 查看用法。\n")


def _common(parser: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    parser.add_argument("--db", help="warehouse file (default: $ARCHIVE_CENSUS_DB or var/warehouse.duckdb)")
    parser.add_argument(
        "--warehouse",
        help="warehouse URL: a file, or ducklake:postgres:dbname=… host=… (default: $ARCHIVE_CENSUS_WAREHOUSE, else --db)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def build_parser() -> argparse.ArgumentParser:
    """The full command tree."""
    parser = CommandParser(prog="archive-census", description="国有档案资源普查与监督平台")
    commands = parser.add_subparsers(dest="command", required=True)

    template = commands.add_parser("template", help="write an Excel template")
    template.add_argument("kind", choices=list(CURRENT_WORKBOOKS))
    template.add_argument("--province", help="6-digit province code (census and register only)")
    _scope_arguments(template)
    template.add_argument("--out", required=True, help="output .xlsx file")
    _common(template)
    template.set_defaults(handler=_handler("template_cmd", "run_template"))

    ingest = commands.add_parser("ingest", help="validate and load a workbook")
    ingest.add_argument("kind", choices=list(CURRENT_WORKBOOKS))
    ingest.add_argument("file")
    ingest.add_argument("--province", help="6-digit province code (census and register)")
    _scope_arguments(ingest, checked=True)
    ingest.add_argument(
        "--confirm-shrink",
        action="store_true",
        help="load even if the return drops more of its scope's current holders than the limit allows",
    )
    ingest.add_argument("--report", help="where to write the annotated workbook of a rejected return")
    ingest.add_argument("--dry-run", action="store_true", help="validate and report without loading")
    ingest.add_argument("--by", default=None, help="who submits (default: the OS user)")
    ingest.add_argument("--orchestrator", choices=["auto", "prefect", "direct"], default=None)
    _common(ingest)
    ingest.set_defaults(handler=_handler("ingest_cmd", "run_ingest"))

    summary = commands.add_parser("summary", help="national and provincial figures")
    summary.add_argument("--province")
    _common(summary)
    summary.set_defaults(handler=_handler("warehouse_cmd", "run_summary"))

    submissions = commands.add_parser("submissions", help="list submissions")
    submissions.add_argument("--province")
    _common(submissions)
    submissions.set_defaults(handler=_handler("warehouse_cmd", "run_submissions"))

    data_docs = commands.add_parser("data-docs", help="build and locate a submission's GX Data Docs")
    data_docs.add_argument("submission_id")
    _common(data_docs)
    data_docs.set_defaults(handler=_handler("warehouse_cmd", "run_data_docs"))

    review = commands.add_parser("review", help="accept or return a submission")
    review.add_argument("action", choices=["accept", "return"])
    review.add_argument("submission_id")
    review.add_argument("--by", required=True)
    review.add_argument("--reason")
    _common(review)
    review.set_defaults(handler=_handler("warehouse_cmd", "run_review"))

    backup = commands.add_parser("backup", help="a consistent backup of the warehouse (safe while the app runs)")
    backup.add_argument("--out", required=True, help="new or empty folder for the backup")
    _common(backup)
    backup.set_defaults(handler=_handler("warehouse_cmd", "run_backup"))

    restore = commands.add_parser("restore", help="replace the warehouse by a verified backup")
    restore.add_argument("folder", help="a folder written by `backup --out`")
    _common(restore)
    restore.set_defaults(handler=_handler("warehouse_cmd", "run_restore"))

    demo = commands.add_parser("demo", help="synthesise a national dataset and load it through the real flows")
    demo.add_argument("--units", type=positive_int, default=None, help="number of holders nationally")
    demo.add_argument("--seed", type=int, default=2024)
    demo.add_argument("--provinces", help="load only these census provinces, e.g. 110000,440000 (default: all)")
    demo.add_argument("--workdir", help="where the generated workbooks go (default: var/demo)")
    demo.add_argument("--serve", action="store_true", help="start the dashboard afterwards")
    demo.add_argument("--replace", action="store_true", help="replace an existing warehouse at --db")
    demo.add_argument("--orchestrator", choices=["prefect", "direct"], default=None, help="default: prefect")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8050)
    demo.add_argument("--verbose", action="store_true", help="show Prefect, Great Expectations and request logs")
    _common(demo)
    demo.set_defaults(handler=_handler("ingest_cmd", "run_demo"))

    _supervision_commands(commands)

    reminders = commands.add_parser("reminders", help="write (or show) the day's reminders")
    reminders.add_argument("--as-of", help="the day, YYYY-MM-DD (default: today or $ARCHIVE_CENSUS_AS_OF)")
    reminders.add_argument("--show", action="store_true", help="only show the latest stored reminders")
    _common(reminders)
    reminders.set_defaults(handler=_handler("cluster_cmd", "run_reminders"))

    orchestration = commands.add_parser("prefect", help="Prefect deployments and the work pool")
    orchestration_commands = orchestration.add_subparsers(dest="prefect_command", required=True)
    deploy = orchestration_commands.add_parser("deploy", help="register the work pool and every flow's deployment")
    deploy.add_argument("--pool", default=None, help="work pool name (default: archive-census)")
    deploy.add_argument("--pool-limit", type=int, default=4, help="concurrent flow runs on the pool")
    deploy.add_argument(
        "--write-limit", type=int, default=None, help="concurrent loads (default: 1 embedded, 4 DuckLake)"
    )
    deploy.add_argument("--source", default=None, help="the code folder workers run from (default: this checkout)")
    _common(deploy)
    orchestration.set_defaults(handler=_handler("cluster_cmd", "run_prefect"))

    serve = commands.add_parser("serve", help="serve the dashboard")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8050)
    _common(serve, json_flag=False)
    serve.set_defaults(handler=_handler("web_cmd", "run_serve"))

    users = commands.add_parser("users", help="manage users")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    add = users_commands.add_parser("add")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--province")
    add.add_argument("--password-stdin", action="store_true", required=True)
    _common(add)
    listing = users_commands.add_parser("list")
    _common(listing)
    users.set_defaults(handler=_handler("web_cmd", "run_users"))

    audit = commands.add_parser("audit", help="the audit log of state changes and sign-ins")
    audit.add_argument("--since", help="first day, YYYY-MM-DD in Beijing time")
    audit.add_argument("--until", help="last day, YYYY-MM-DD in Beijing time")
    audit.add_argument(
        "--kind", help="submission, review, finding, evaluation_score, evaluation_round, assignment, user, login"
    )
    audit.add_argument("--by", help="only this user's events")
    audit.add_argument("--limit", type=int, default=10_000)
    _common(audit)
    audit.set_defaults(handler=_handler("audit_cmd", "run_audit"))
    return parser


def _supervision_commands(commands: Any) -> None:
    """`finding`, `evaluation`, `indicators` and `supervision`: inspections, evaluation and plan indicators."""
    finding = commands.add_parser("finding", help="rectification of findings: change, show, list")
    finding_commands = finding.add_subparsers(dest="finding_command", required=True)
    transition = finding_commands.add_parser("transition", help="move a finding through its lifecycle")
    transition.add_argument("finding_id")
    transition.add_argument("--to", help="target state, e.g. 整改中, 已提交整改报告, 已销号")
    transition.add_argument("--action", help="the action when several lead to the state, e.g. 延期, 报告阶段进展")
    transition.add_argument("--by", help="who acts (default: the OS user)")
    transition.add_argument(
        "--role", choices=[role.value for role in FindingRole], help="default: the role the action needs"
    )
    transition.add_argument("--note", help="reason, opinion or progress (required for 退回, 延期, ...)")
    transition.add_argument("--evidence", help="evidence file (required to submit or close)")
    transition.add_argument("--deadline", help="new deadline YYYY-MM-DD (延期, 阶段性整改, 复查未通过)")
    _common(transition)
    show = finding_commands.add_parser("show", help="a finding and its transition log")
    show.add_argument("finding_id")
    show.add_argument("--as-of", help="the day overdue is judged on (default: today)")
    _common(show)
    listing = finding_commands.add_parser("list", help="findings, optionally only overdue ones")
    listing.add_argument("--province")
    listing.add_argument("--status")
    listing.add_argument("--overdue", action="store_true")
    listing.add_argument("--as-of", help="the day overdue is judged on (default: today)")
    _common(listing)
    finding.set_defaults(handler=_handler("supervision_cmd", "run_finding"))

    evaluation = commands.add_parser("evaluation", help="the evaluation of the 47 comprehensive archives")
    evaluation_commands = evaluation.add_subparsers(dest="evaluation_command", required=True)
    for name, text in (("open", "open the round for scoring"), ("close", "close the round")):
        command = evaluation_commands.add_parser(name, help=text)
        command.add_argument("--by", help="who (default: the OS user)")
        _evaluation_round(command)
    assign = evaluation_commands.add_parser("assign", help="let an evaluator score an archive")
    assign.add_argument("archive_code")
    assign.add_argument("--evaluator", required=True)
    assign.add_argument("--by", help="who assigns (default: the OS user)")
    _evaluation_round(assign)
    assignments = evaluation_commands.add_parser("assignments", help="list assignments")
    assignments.add_argument("--evaluator")
    _evaluation_round(assignments)
    results = evaluation_commands.add_parser("results", help="list results and ranks")
    _evaluation_round(results)
    report = evaluation_commands.add_parser("report", help="write an archive's feedback report")
    report.add_argument("archive_code")
    report.add_argument("--out", required=True, help="output .xlsx file")
    _evaluation_round(report)
    evaluation.set_defaults(handler=_handler("supervision_cmd", "run_evaluation"))

    indicators = commands.add_parser("indicators", help="the five-year plan's indicators")
    indicators_commands = indicators.add_subparsers(dest="indicators_command", required=True)
    indicators_report = indicators_commands.add_parser("report", help="write the mid-term evaluation workbook")
    indicators_report.add_argument("--out", required=True, help="output .xlsx file")
    indicators_report.add_argument("--as-of", help="leave out years after this day's year")
    _common(indicators_report)
    indicators.set_defaults(handler=_handler("supervision_cmd", "run_indicators"))

    supervision = commands.add_parser("supervision", help="supervision figures")
    supervision_commands = supervision.add_subparsers(dest="supervision_command", required=True)
    summary = supervision_commands.add_parser("summary", help="findings, overdue, evaluation grades, indicators")
    summary.add_argument("--as-of", help="the day overdue is judged on, YYYY-MM-DD (default: today)")
    _evaluation_round(summary)
    supervision.set_defaults(handler=_handler("supervision_cmd", "run_supervision_summary"))


def _scope_arguments(parser: argparse.ArgumentParser, *, checked: bool = False) -> None:
    """--division and --central: a return's reporting scope below or beside the provinces."""
    what = "the workbook's scope must be" if checked else "a return for"
    parser.add_argument("--division", help=f"{what} this prefecture or county of --province (e.g. 440100)")
    channels = "|".join(CENTRAL_CHANNELS)
    parser.add_argument("--central", metavar=channels, help=f"{what} this central channel ({channels})")


def _evaluation_round(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--round", help="evaluation round (default: the current one)")
    _common(parser)


def emit_json(payload: dict[str, Any]) -> None:
    """Print one JSON object on stdout."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


def error_json(error: BaseException, exit_code: int) -> dict[str, Any]:
    """The JSON object `--json` prints on stdout when a command fails (exit 2 or 3)."""
    if isinstance(error, CensusError):
        detail: dict[str, Any] = {
            "exit_code": exit_code,
            "kind": type(error).__name__,
            "message": error.message,
            "file": error.file,
            "sheet": error.sheet,
            "row": error.row,
            "column": error.column,
            "hint": error.hint,
            "text": error.describe(),
        }
    else:
        detail = {"exit_code": exit_code, "kind": "internal", "message": f"{type(error).__name__}: {error}"}
    return {"status": "error", "error": detail}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors become one paragraph on stderr and an exit code (and JSON with --json)."""
    code = run_command(argv)
    if argv is None:
        # The program ends next. Its last garbage collection would walk every object Great Expectations and pandas
        # created (~0.6 s after an ingestion); frozen, they are skipped. Callers passing argv (tests) go on.
        gc.freeze()
    return code


def run_command(argv: Sequence[str] | None) -> int:
    """Parse argv (sys.argv when None) and run its command's handler."""
    args = build_parser().parse_args(argv)
    # GX logs a line per validation about its temporary docs folder; only its warnings matter on a terminal.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    wants_json = bool(getattr(args, "json", False))
    try:
        # Every change this command records in the audit log comes from the command line of this OS user and host.
        from warehouse.audit import command_line_source

        with command_line_source():
            return args.handler(args)
    except CensusError as error:
        if args.debug:
            raise
        sys.stderr.write(error.describe() + "\n")
        if wants_json:
            emit_json(error_json(error, error.exit_code))
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        return 130
    except BrokenPipeError:
        # What reads the output went away (`| head`): the command stops where it wrote, as Unix tools do on SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the interpreter's last flush goes nowhere
        sys.stderr.write("输出中断：接收输出的程序已提前退出（如 | head），命令在输出处停止；已提交的数据不受影响。\n")
        return BROKEN_PIPE_EXIT
    except Exception as error:  # the last line of defence: no traceback without --debug
        if args.debug:
            raise
        storage = storage_error_from(error, getattr(args, "db", None) or "数据目录")
        if storage is not None:
            # A full disk or read-only folder met outside the warehouse (reports, Data Docs): still exit 2.
            sys.stderr.write(storage.describe() + "\n")
            if wants_json:
                emit_json(error_json(storage, storage.exit_code))
            return storage.exit_code
        sys.stderr.write(f"内部错误（{type(error).__name__}: {error}）。请加 --debug 重新运行并报告此问题。\n")
        if wants_json:
            emit_json(error_json(error, 3))
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
