"""Argument parsing and dispatch for `archive-census`; handlers live in sibling modules, imported on use."""

from __future__ import annotations

import argparse
import contextlib
import gc
import getpass
import importlib
import io
import itertools
import json
import logging
import os
import re
import signal
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from census_schema.audit import AuditKind
from census_schema.clock import MissingDay, is_day_only, read_typed_day, to_beijing
from census_schema.errors import CensusError, ServiceUnavailable, UsageError, storage_error_from
from census_schema.forms import CURRENT_WORKBOOKS
from census_schema.layout import PLATFORM_NAME
from census_schema.roles import Role
from census_schema.scopes import CENTRAL_CHANNELS
from census_schema.settings import ORCHESTRATORS, Settings
from census_schema.supervision.codes import EVALUATION_SEVERITIES, FindingRole, FindingStatus
from census_schema.supervision.evaluation import SELF_SOURCE
from supervision.lifecycle import DEADLINE_ACTIONS, EVIDENCE_ACTIONS, NOTE_ACTIONS, OPTIONAL_DEADLINE_ACTIONS

Handler = Callable[[argparse.Namespace], int]
# The exit status of a command whose output's reader closed early (128 + SIGPIPE, as a shell reports such a tool).
BROKEN_PIPE_EXIT = 141
INTERRUPTED = "已中断：尚未提交的数据库写入不会生效，已提交的不受影响；可以重新运行本命令。\n"


def is_interruption(error: Exception) -> bool:
    """A query DuckDB stopped for a Ctrl+C (its InterruptException, or a RuntimeError saying so)."""
    return type(error).__name__ == "InterruptException" or str(error) == "Query interrupted"


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

_TYPE_NAMES = {"int": "整数", "float": "数字", "positive_int": "正整数", "port_number": "1～65535 的端口号"}


def positive_int(text: str) -> int:
    """An argument that must be a whole number above zero (argparse's type)."""
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def port_number(text: str) -> int:
    """An argument that must be a TCP port a server can be asked to listen on (argparse's type)."""
    value = int(text)
    if not 1 <= value <= 65535:
        raise ValueError(text)
    return value


def parser_message(message: str) -> str:
    """An argparse error message in Chinese (argparse's own words when it is not one of the usual ones)."""
    for pattern, chinese in _PARSER_MESSAGES:
        found = pattern.match(message)
        if found:
            return chinese.format(*(_TYPE_NAMES.get(group, group).replace(", ", "、") for group in found.groups()))
    return f"参数有误：{message}"


def display_width(text: str) -> int:
    """The columns a text takes on a terminal: Chinese (wide) characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap_pieces(text: str) -> list[str]:
    """A space, a run of narrow characters (a word, an option, a file name, a code) or a single wide character."""
    pieces: list[str] = []
    for kind, run in itertools.groupby(text, lambda ch: " " if ch.isspace() else display_width(ch)):
        chars = "".join(run)
        pieces += [" "] if kind == " " else list(chars) if kind == 2 else [chars]
    return pieces


# Punctuation that must not begin a line, and brackets and quotes that must not end one.
_NO_LINE_START = frozenset("，。、；：？！）」』”》")
_NO_LINE_END = frozenset("（「『“《")


def wrap_display(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns, broken at spaces or between Chinese characters (textwrap counts characters,
    so Chinese text wrapped by it runs twice as wide as the terminal)."""
    lines: list[str] = []
    line: list[str] = []
    for piece in _wrap_pieces(" ".join(text.split())):
        if piece == " ":
            if line:
                line.append(piece)
            continue
        if line and display_width("".join(line) + piece) > width:
            cut = len(line)
            if piece in _NO_LINE_START:  # it goes on with the character or word before it (and its punctuation)
                while cut > 0 and line[cut - 1] in _NO_LINE_START:
                    cut -= 1
                cut -= 1
            while cut > 0 and line[cut - 1] in _NO_LINE_END:
                cut -= 1
            if cut > 0:
                lines.append("".join(line[:cut]).rstrip())
                line = line[cut:] if line[cut:] != [" "] else []
        line.append(piece)
    if line:
        lines.append("".join(line).strip())
    return lines


USAGE_PREFIX = "用法："
# argparse lines up a wrapped usage under the program's name by len(prefix), and "用法：" is 3 characters but 6 columns
# wide: a stand-in as long as the prefix is wide is formatted, then replaced by it.
_USAGE_STAND_IN = "\0" * display_width(USAGE_PREFIX)
POSITIONALS_TITLE, OPTIONALS_TITLE = "位置参数", "选项"


# argparse pads and wraps by counting characters: a Chinese value name (two columns a character) is formatted as a
# stand-in as long as the name is wide, then replaced by it. Each name has its own stand-in.
_STAND_INS: dict[str, str] = {}


def _stand_in(name: str) -> str:
    """The stand-in of a value name that has wide characters (others are formatted as they are)."""
    width = display_width(name)
    if width == len(name):
        return name
    if name not in _STAND_INS:
        _STAND_INS[name] = ("\x01" + chr(0xE000 + len(_STAND_INS))).ljust(width, "\x01")
    return _STAND_INS[name]


class ChineseHelpFormatter(argparse.HelpFormatter):
    """argparse's help in Chinese: "用法：" for "usage: ", "：" after section titles, lines wrapped by display width,
    Chinese value names lined up by the columns they take."""

    def _metavar_formatter(self, action: argparse.Action, default_metavar: str) -> Callable[[int], tuple[str, ...]]:
        names = super()._metavar_formatter(action, default_metavar)
        return lambda size: tuple(_stand_in(name) if isinstance(name, str) else name for name in names(size))

    def add_usage(
        self, usage: str | None, actions: Iterable[argparse.Action], groups: Iterable[Any], prefix: str | None = None
    ) -> None:
        super().add_usage(usage, actions, groups, _USAGE_STAND_IN if prefix is None else prefix)

    def format_help(self) -> str:
        text = super().format_help().replace(_USAGE_STAND_IN, USAGE_PREFIX, 1)
        for name, stand_in in _STAND_INS.items():
            text = text.replace(stand_in, name)
        for title in (POSITIONALS_TITLE, OPTIONALS_TITLE):
            text = text.replace(f"\n{title}:\n", f"\n{title}：\n")
        return text

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_display(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_display(text, width - len(indent)))


class CommandParser(argparse.ArgumentParser):
    """argparse in Chinese: help and usage (ChineseHelpFormatter, Chinese section titles and -h text), and refusals of
    a misused command with the command's usage and `--help` to learn more."""

    def __init__(
        self,
        *,
        add_help: bool = True,
        formatter_class: type[argparse.HelpFormatter] = ChineseHelpFormatter,
        **kwargs: Any,
    ) -> None:
        super().__init__(add_help=False, formatter_class=formatter_class, **kwargs)
        self._positionals.title = POSITIONALS_TITLE
        self._optionals.title = OPTIONALS_TITLE
        if add_help:
            self.add_argument("-h", "--help", action="help", help="显示本帮助信息并退出")

    def error(self, message: str) -> NoReturn:
        """Print the usage, then refuse (a UsageError: `run_command` says it, as JSON too with --json; exit 2)."""
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}：{parser_message(message)}", hint=f"运行 {self.prog} --help 查看用法。")


# What a value is called in usage lines and refusals, where argparse would show the argument's English name: by
# the name of a positional argument, and of an option's value (an option with choices shows its choices instead).
_POSITIONAL_NAMES = {
    "command": "命令",
    "kind": "表格类型",
    "file": "工作簿",
    "submission_id": "提交编号",
    "action": "审核操作",
    "folder": "备份目录",
    "finding_id": "问题编号",
    "archive_code": "档案馆代码",
    "name": "用户名",
}
_OPTION_VALUE_NAMES = {
    "province": "省级代码",
    "division": "区划代码",
    "out": "输出文件",
    "db": "数据仓库文件",
    "warehouse": "数据仓库地址",
    "report": "报告文件",
    "by": "用户名",
    "reason": "原因",
    "units": "个数",
    "seed": "种子",
    "provinces": "省级代码列表",
    "workdir": "目录",
    "host": "地址",
    "port": "端口",
    "to": "状态",
    "action": "操作",
    "note": "说明",
    "measures": "整改措施",
    "evidence": "文件",
    "deadline": "日期",
    "as_of": "日期",
    "status": "状态",
    "round": "轮次",
    "evaluator": "用户名",
    "feedback_date": "日期",
    "doc_no": "文号",
    "person": "姓名",
    "pool": "工作池",
    "pool_limit": "个数",
    "write_limit": "个数",
    "source": "目录",
    "since": "日期",
    "until": "日期",
    "kind": "类别",
    "limit": "条数",
}


def name_values(parser: argparse.ArgumentParser) -> None:
    """Give every argument of the tree a Chinese name for its value (argparse's metavar) where it has none: a
    sub-command list is 命令 or 子命令, a positional argument and an option's value are named by the tables above."""
    for action in parser._actions:
        if action.metavar is not None or (action.option_strings and (action.nargs == 0 or action.choices)):
            continue
        if isinstance(action, argparse._SubParsersAction):
            action.metavar = _POSITIONAL_NAMES["command"] if parser.prog == "archive-census" else "子命令"
            for sub in action.choices.values():
                name_values(sub)
        elif action.option_strings:
            action.metavar = _OPTION_VALUE_NAMES.get(action.dest, "值")
        else:
            action.metavar = _POSITIONAL_NAMES.get(action.dest)


def _command(commands: Any, name: str, text: str) -> argparse.ArgumentParser:
    """A sub-command: `text` is its line in the list of commands and the description atop its own help."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=text, description=text)
    return parser


def _common(parser: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    parser.add_argument(
        "--db",
        help="数据仓库文件（优先于 $ARCHIVE_CENSUS_WAREHOUSE；默认：$ARCHIVE_CENSUS_DB，未设置时为 var/warehouse.duckdb）",
    )
    parser.add_argument(
        "--warehouse",
        help="数据仓库地址：文件路径，或 ducklake:postgres:dbname=… host=…（默认：给出 --db 时用 --db，否则 $ARCHIVE_CENSUS_WAREHOUSE，都未设置时同 --db 的默认）",
    )
    parser.add_argument("--debug", action="store_true", help="出错时显示程序调用栈（排查问题用）")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果（标准输出）")


# The words shared by several commands' help.
KIND_HELP = "表格类型：" + "，".join(f"{kind}（{book.label}）" for kind, book in CURRENT_WORKBOOKS.items())
PROVINCE_HELP = "6位省级代码"
BY_DEFAULT = "（默认：当前操作系统用户）"
# How a day option may be written (cli.main.parse_day reads each).
DAY_FORMAT = "年-月-日，如 2025-06-30、2025/6/30 或 2025年6月30日"
AS_OF_HELP = f"判断是否逾期所依据的日期，{DAY_FORMAT}（默认：$ARCHIVE_CENSUS_AS_OF，未设置时为今天）"
OUT_HELP = "输出的 .xlsx 文件"


def _out(command: argparse.ArgumentParser) -> None:
    """--out FILE.xlsx, and --replace to write over a file already there."""
    command.add_argument("--out", required=True, help=OUT_HELP + "（已有同名文件时不会覆盖，除非加 --replace）")
    command.add_argument("--replace", action="store_true", help="--out 的文件已存在时，替换它")


def build_parser() -> argparse.ArgumentParser:
    """The full command tree."""
    parser = CommandParser(prog="archive-census", description=PLATFORM_NAME)
    commands = parser.add_subparsers(dest="command", required=True, help="要执行的命令")

    template = _command(commands, "template", "生成 Excel 模板")
    template.add_argument("kind", choices=list(CURRENT_WORKBOOKS), help=KIND_HELP)
    template.add_argument("--province", help=f"{PROVINCE_HELP}（仅普查表和普查对象名录需要）")
    _scope_arguments(template)
    template.add_argument("--archive", help="评价评分模板：为该档案馆（代码）预填全部评分项的行")
    template.add_argument(
        "--scorer", default=SELF_SOURCE, help="与 --archive 同用：预填的评分人（默认“自评”，专家填用户名）"
    )
    _out(template)
    _common(template)
    template.set_defaults(handler=_handler("template_cmd", "run_template"))

    ingest = _command(commands, "ingest", "校验并装载工作簿")
    ingest.add_argument("kind", choices=list(CURRENT_WORKBOOKS), help=KIND_HELP)
    ingest.add_argument("file", help="要校验和装载的工作簿文件（.xlsx）")
    ingest.add_argument("--province", help=f"{PROVINCE_HELP}（普查表和普查对象名录）")
    _scope_arguments(ingest, checked=True)
    ingest.add_argument(
        "--confirm-shrink",
        action="store_true",
        help="确认减少：本报表比本填报范围现行有效的报表减少的普查对象超过允许比例时，仍然装载",
    )
    ingest.add_argument(
        "--report",
        help="未通过校验时，错误报告（原工作簿，已标注）的保存位置（.xlsx）；不会覆盖要装载的工作簿或其他已有文件（以前的错误报告除外）",
    )
    ingest.add_argument("--dry-run", action="store_true", help="试校验：只校验并报告结果，不装载")
    ingest.add_argument("--by", default=None, help=f"报送人{BY_DEFAULT}")
    ingest.add_argument(
        "--orchestrator",
        choices=list(ORCHESTRATORS),
        default=None,
        help="编排方式：prefect 作为 Prefect 流程运行，direct 在本进程内直接运行，auto 在设置了 PREFECT_API_URL 时用 "
        "prefect、否则用 direct（默认：$ARCHIVE_CENSUS_ORCHESTRATOR，未设置时为 auto）",
    )
    _common(ingest)
    ingest.set_defaults(handler=_handler("ingest_cmd", "run_ingest"), may_create_warehouse=True)

    summary = _command(commands, "summary", "全国及各省普查汇总数字")
    summary.add_argument("--province", help=f"只看该省（{PROVINCE_HELP}）")
    _common(summary)
    summary.set_defaults(handler=_handler("warehouse_cmd", "run_summary"))

    submissions = _command(commands, "submissions", "列出报送记录")
    submissions.add_argument("--province", help=f"只列该省的报送（{PROVINCE_HELP}）")
    _common(submissions)
    submissions.set_defaults(handler=_handler("warehouse_cmd", "run_submissions"))

    data_docs = _command(commands, "data-docs", "生成一次报送的校验详情（Great Expectations Data Docs）并给出其位置")
    data_docs.add_argument("submission_id", help="提交编号（可用 submissions 查看）")
    _common(data_docs)
    data_docs.set_defaults(handler=_handler("warehouse_cmd", "run_data_docs"))

    review = _command(commands, "review", "审核报送：审核通过或退回；或撤回本人提交、尚在审核中的报送")
    review.add_argument(
        "action",
        choices=["accept", "return", "withdraw"],
        help="accept 审核通过，return 退回，withdraw 撤回本人提交的报送",
    )
    review.add_argument("submission_id", help="提交编号（可用 submissions 查看）")
    review.add_argument("--by", required=True, help="审核人的平台用户名（按其角色和省份确定审核层级）")
    review.add_argument("--reason", help="退回或撤回的原因（退回、撤回时必填）")
    _common(review)
    review.set_defaults(handler=_handler("warehouse_cmd", "run_review"))

    backup = _command(commands, "backup", "备份数据仓库（备份内容前后一致，平台运行时也可备份）")
    backup.add_argument("--out", required=True, metavar="备份目录", help="存放备份的目录（新建或空目录）")
    _common(backup)
    backup.set_defaults(handler=_handler("warehouse_cmd", "run_backup"))

    restore = _command(commands, "restore", "先核验备份，再用它替换数据仓库")
    restore.add_argument("folder", help="由 backup --out 生成的备份目录")
    restore.add_argument(
        "--confirm",
        action="store_true",
        help="确认删除备份之后记录的内容（不加时，有这样的内容就先列出它们、不做恢复）",
    )
    _common(restore)
    restore.set_defaults(handler=_handler("warehouse_cmd", "run_restore"), may_create_warehouse=True)

    demo = _command(commands, "demo", "生成全国演示数据，并通过正式的装载流程装载")
    # The default is flows.demo.DEFAULT_DEMO_UNITS (not imported here: every command builds this parser).
    demo.add_argument("--units", type=positive_int, default=None, help="全国普查对象个数（默认：12,000）")
    demo.add_argument("--seed", type=int, default=2024, help="随机数种子（默认：%(default)s）")
    demo.add_argument("--provinces", help="只装载这些普查省份，如 110000,440000（默认：全部）")
    demo.add_argument("--workdir", help="生成的工作簿存放目录（默认：var/demo）")
    demo.add_argument("--serve", action="store_true", help="装载完成后启动仪表盘")
    demo.add_argument("--replace", action="store_true", help="替换 --db 处已有的数据仓库")
    demo.add_argument("--orchestrator", choices=["prefect", "direct"], default=None, help="编排方式（默认：prefect）")
    demo.add_argument("--host", default="127.0.0.1", help="仪表盘的监听地址（默认：%(default)s）")
    demo.add_argument("--port", type=port_number, default=8050, help="仪表盘的端口（默认：%(default)s）")
    demo.add_argument("--verbose", action="store_true", help="显示 Prefect、Great Expectations 和网页请求的日志")
    _common(demo)
    demo.set_defaults(handler=_handler("ingest_cmd", "run_demo"), may_create_warehouse=True)

    _supervision_commands(commands)

    reminders = _command(commands, "reminders", "生成（或查看）当天的提醒")
    reminders.add_argument("--as-of", help=f"哪一天的提醒，{DAY_FORMAT}（默认：今天，或 $ARCHIVE_CENSUS_AS_OF）")
    reminders.add_argument("--show", action="store_true", help="只查看最近一次生成的提醒")
    _common(reminders)
    reminders.set_defaults(handler=_handler("cluster_cmd", "run_reminders"))

    orchestration = _command(commands, "prefect", "Prefect 部署与工作池")
    orchestration_commands = orchestration.add_subparsers(dest="prefect_command", required=True, help="子命令")
    deploy = _command(orchestration_commands, "deploy", "注册工作池和每个流程的部署")
    deploy.add_argument("--pool", default=None, help="工作池名称（默认：archive-census）")
    deploy.add_argument("--pool-limit", type=int, default=4, help="工作池上同时运行的流程数（默认：%(default)s）")
    deploy.add_argument(
        "--write-limit", type=int, default=None, help="同时进行的装载数（默认：内置数据仓库 1，DuckLake 4）"
    )
    deploy.add_argument("--source", default=None, help="各工作节点运行的代码目录（默认：本命令所在的代码目录）")
    _common(deploy)
    orchestration.set_defaults(handler=_handler("cluster_cmd", "run_prefect"))

    serve = _command(commands, "serve", "启动仪表盘")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认：%(default)s）")
    serve.add_argument("--port", type=port_number, default=8050, help="端口（默认：%(default)s）")
    _common(serve, json_flag=False)
    serve.set_defaults(handler=_handler("web_cmd", "run_serve"), may_create_warehouse=True)

    users = _command(commands, "users", "管理平台用户")
    users_commands = users.add_subparsers(dest="users_command", required=True, help="子命令")
    add = _command(users_commands, "add", "新建用户，或重设已有用户的密码、角色和报送范围（密码从标准输入读取）")
    add.add_argument("name", help="用户名")
    add.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role],
        help="角色：" + "，".join(f"{role.value}（{role.label}）" for role in Role),
    )
    add.add_argument("--province", help=f"省级用户所属省份的{PROVINCE_HELP}（仅 province 角色需要）")
    add.add_argument(
        "--division", help="地级、县级档案部门的行政区划代码（prefecture 用地级代码如 440100，county 用县级代码）"
    )
    named = "，".join(f"{key}（{name}）" for key, name in CENTRAL_CHANNELS.items())
    add.add_argument("--central", metavar="|".join(CENTRAL_CHANNELS), help=f"中央单位报送渠道的账号所报的渠道：{named}")
    add.add_argument(
        "--full-name", metavar="姓名", help="账号使用人的姓名：导出的表格、生成的简报和报告上与用户名一同署名（可不填）"
    )
    add.add_argument("--password-stdin", action="store_true", required=True, help="从标准输入读取密码（必填）")
    add.add_argument(
        "--replace", action="store_true", help="用户已存在时重设其密码、角色和报送范围（不加则拒绝，以免误改他人账号）"
    )
    _common(add)
    add.set_defaults(may_create_warehouse=True)
    listing = _command(users_commands, "list", "列出用户")
    _common(listing)
    rename = _command(users_commands, "rename", "修改或清除账号使用人的姓名（密码、角色和已登录的会话不变）")
    rename.add_argument("name", help="用户名")
    person = rename.add_mutually_exclusive_group(required=True)
    person.add_argument("--full-name", metavar="姓名", help="账号使用人的新姓名")
    person.add_argument("--clear", action="store_true", help="清除姓名（此后只以用户名署名）")
    _common(rename)
    for action, text in (
        ("disable", "停用用户：不能再登录，已登录的会话随即失效，历史记录保留"),
        ("enable", "重新启用已停用的用户"),
    ):
        switch = _command(users_commands, action, text)
        switch.add_argument("name", help="用户名")
        _common(switch)
    users.set_defaults(handler=_handler("web_cmd", "run_users"))

    audit = _command(commands, "audit", "审计日志：各项状态变更和登录记录")
    audit.add_argument("--since", help=f"起始日期（北京时间），{DAY_FORMAT}")
    audit.add_argument("--until", help=f"截止日期（北京时间），{DAY_FORMAT}")
    audit.add_argument(
        "--kind", help="只看该类别的事件：" + "，".join(f"{kind.value}（{kind.label}）" for kind in AuditKind)
    )
    audit.add_argument("--by", help="只看该操作人的操作（用户名或姓名）")
    audit.add_argument("--limit", type=int, default=10_000, help="最多显示的条数（默认：%(default)s）")
    _common(audit)
    audit.set_defaults(handler=_handler("audit_cmd", "run_audit"))
    name_values(parser)
    return parser


def _supervision_commands(commands: Any) -> None:
    """`finding`, `evaluation`, `indicators` and `supervision`: inspections, evaluation and plan indicators."""
    finding = _command(commands, "finding", "问题整改：推进流转、更正、查看、列出")
    finding_commands = finding.add_subparsers(dest="finding_command", required=True, help="子命令")
    transition = _command(finding_commands, "transition", "推进一个问题的整改流转")
    transition.add_argument("finding_id", help="问题编号")
    transition.add_argument("--to", help="目标状态，如 整改中、已提交整改报告、已销号")
    transition.add_argument("--action", help="有几种操作都能到达目标状态时，指明是哪一种，如 延期、报告阶段进展")
    transition.add_argument("--by", help=f"操作人{BY_DEFAULT}")
    transition.add_argument(
        "--role",
        choices=[role.value for role in FindingRole],
        help="操作人的角色："
        + "、".join(f"{role.value}（{role.label}）" for role in FindingRole)
        + "；默认按该操作所需的角色",
    )
    transition.add_argument("--note", help=f"原因、意见或进展说明（{NOTE_ACTIONS}时必填）")
    transition.add_argument(
        "--measures",
        help="整改措施：本单位为整改问题采取或已采取的措施（整改责任人开始整改、提交整改报告、报告阶段进展时填写）",
    )
    transition.add_argument("--evidence", help=f"整改报告或佐证材料文件（{EVIDENCE_ACTIONS}时必填）")
    transition.add_argument(
        "--deadline",
        help=f"新的整改期限，{DAY_FORMAT}（{DEADLINE_ACTIONS}时必填，{OPTIONAL_DEADLINE_ACTIONS}时可填）",
    )
    _common(transition)
    correct = _command(
        finding_commands,
        "correct",
        "更正一个已装载问题的内容（问题描述、整改要求、整改责任单位、整改责任人或备注；国家档案局操作）",
    )
    correct.add_argument("finding_id", help="问题编号")
    correct.add_argument("--field", required=True, help="要更正的一项，如 问题描述")
    correct.add_argument("--value", required=True, help="更正后的内容（备注可为空）")
    correct.add_argument("--reason", required=True, help="更正原因")
    correct.add_argument("--confirm", action="store_true", help="确认更正（不加时只说明将改成什么）")
    correct.add_argument("--by", help=f"操作人{BY_DEFAULT}")
    _common(correct)
    show = _command(finding_commands, "show", "查看一个问题及其整改流转记录")
    show.add_argument("finding_id", help="问题编号")
    show.add_argument("--as-of", help=AS_OF_HELP)
    _common(show)
    listing = _command(finding_commands, "list", "列出问题（可只列逾期的）")
    listing.add_argument("--province", help=f"只列该省的问题（{PROVINCE_HELP}）")
    listing.add_argument("--status", help="只列该整改状态的问题：" + "、".join(FindingStatus))
    listing.add_argument("--overdue", action="store_true", help="只列已逾期的问题")
    listing.add_argument("--as-of", help=AS_OF_HELP)
    _common(listing)
    finding.set_defaults(handler=_handler("supervision_cmd", "run_finding"))

    evaluation = _command(commands, "evaluation", "47 家综合档案馆业务建设评价")
    evaluation_commands = evaluation.add_subparsers(dest="evaluation_command", required=True, help="子命令")
    for name, text in (("open", "开启评价轮次，开始评分"), ("close", "结束评价轮次")):
        command = _command(evaluation_commands, name, text)
        command.add_argument("--by", help=f"操作人{BY_DEFAULT}")
        if name == "close":
            command.add_argument(
                "--confirm", action="store_true", help="分派的评分表有未提交的，确认就此结束（不加时只列出它们）"
            )
        _evaluation_round(command)
    assign = _command(evaluation_commands, "assign", "分配评价专家为一个档案馆评分")
    assign.add_argument("archive_code", help="档案馆代码")
    assign.add_argument("--evaluator", required=True, help="评价专家的用户名")
    assign.add_argument("--by", help=f"分配人{BY_DEFAULT}")
    _evaluation_round(assign)
    unassign = _command(evaluation_commands, "unassign", "撤销一位评价专家对一个档案馆的分派（连同其评分表）")
    unassign.add_argument("archive_code", help="档案馆代码")
    unassign.add_argument("--evaluator", required=True, help="评价专家的用户名")
    unassign.add_argument("--by", help=f"操作人{BY_DEFAULT}")
    unassign.add_argument("--confirm", action="store_true", help="确认删除该专家已存的评分表（不加时只说明将删除什么）")
    _evaluation_round(unassign)
    assignments = _command(evaluation_commands, "assignments", "列出评价专家分配情况")
    assignments.add_argument("--evaluator", help="只列该评价专家（用户名）的分配")
    _evaluation_round(assignments)
    results = _command(evaluation_commands, "results", "列出评价结果和排名")
    _evaluation_round(results)
    report = _command(evaluation_commands, "report", "生成一个档案馆的评价反馈报告")
    report.add_argument("archive_code", help="档案馆代码")
    _out(report)
    report.add_argument("--by", default=None, help=f"报告上写的生成人{BY_DEFAULT}")
    _evaluation_round(report)
    issue = _command(evaluation_commands, "issue-findings", "本轮结束后，把一个档案馆评价发现的问题下发为整改问题")
    issue.add_argument("archive_code", help="档案馆代码")
    issue.add_argument(
        "--feedback-date", required=True, help=f"向档案馆反馈评价结果的日期，{DAY_FORMAT}，整改期限由此起算"
    )
    issue.add_argument("--doc-no", required=True, help="反馈文书编号")
    issue.add_argument("--person", required=True, help="档案馆的整改责任人")
    issue.add_argument(
        "--confirm-overdue",
        action="store_true",
        help="确认按此反馈日期下发，即使整改期限已过（问题下发即为逾期；不加时只说明，不下发）",
    )
    issue.add_argument(
        "--min-severity",
        choices=[s.value for s in EVALUATION_SEVERITIES],
        default=EVALUATION_SEVERITIES[0].value,
        help="只下发该严重程度及以上的问题（默认：一般，即全部扣分项；严重：否决项未通过的）",
    )
    issue.add_argument("--by", help=f"下发人{BY_DEFAULT}")
    _evaluation_round(issue)
    withdraw = _command(
        evaluation_commands,
        "withdraw-findings",
        "撤回一个档案馆已下发但尚未开始整改的评价问题（如反馈日期填错），以便重新下发",
    )
    withdraw.add_argument("archive_code", help="档案馆代码")
    withdraw.add_argument("--reason", required=True, help="撤回原因")
    withdraw.add_argument("--confirm", action="store_true", help="确认撤回（不加时只说明将撤回什么）")
    withdraw.add_argument("--by", help=f"撤回人{BY_DEFAULT}")
    _evaluation_round(withdraw)
    evaluation.set_defaults(handler=_handler("supervision_cmd", "run_evaluation"))

    indicators = _command(commands, "indicators", "“十四五”规划指标")
    indicators_commands = indicators.add_subparsers(dest="indicators_command", required=True, help="子命令")
    indicators_report = _command(indicators_commands, "report", "生成规划指标中期评估工作簿")
    _out(indicators_report)
    indicators_report.add_argument(
        "--as-of",
        help=f"以该日为评估日（不晚于今天）：不计入其所在年份之后的数据，一年自其 12 月 31 日起才评判，{DAY_FORMAT}（默认：今天，或 $ARCHIVE_CENSUS_AS_OF）",
    )
    indicators_report.add_argument("--by", default=None, help=f"报告上写的生成人{BY_DEFAULT}")
    _common(indicators_report)
    indicators.set_defaults(handler=_handler("supervision_cmd", "run_indicators"))

    supervision = _command(commands, "supervision", "监督检查、问题整改与评价的汇总")
    supervision_commands = supervision.add_subparsers(dest="supervision_command", required=True, help="子命令")
    summary = _command(supervision_commands, "summary", "问题、逾期、评价等次和规划指标汇总")
    summary.add_argument("--as-of", help=AS_OF_HELP)
    _evaluation_round(summary)
    supervision.set_defaults(handler=_handler("supervision_cmd", "run_supervision_summary"))


def _scope_arguments(parser: argparse.ArgumentParser, *, checked: bool = False) -> None:
    """--division and --central: a return's reporting scope below or beside the provinces."""
    what = "工作簿的填报范围须为" if checked else "模板的填报范围为"
    parser.add_argument("--division", help=f"{what} --province 下的这个地级或县级区划（如 440100）")
    channels = "|".join(CENTRAL_CHANNELS)
    named = "，".join(f"{key}（{name}）" for key, name in CENTRAL_CHANNELS.items())
    parser.add_argument("--central", metavar=channels, help=f"{what}这个中央渠道：{named}")


def _evaluation_round(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--round", help="评价轮次（默认：本轮）")
    _common(parser)


@contextlib.contextmanager
def saying_if_created(settings: Settings) -> Iterator[None]:
    """Say on stderr when what runs inside started a new warehouse: a mistyped --db, or a lake's catalog database,
    must not go unnoticed (stderr, so that JSON on stdout stays one object)."""
    new = not _warehouse_exists(settings)
    try:
        yield
    finally:  # a command refused after the warehouse was started says so too
        if new and _warehouse_exists(settings):
            where = (
                f"{settings.db_path.absolute()} 处" if settings.warehouse_url is None else settings.describe_warehouse()
            )
            sys.stderr.write(f"注意：{where}原先没有数据仓库，已新建。\n")


def _warehouse_exists(settings: Settings) -> bool:
    """Whether the embedded file is there, or the lake holds the warehouse's tables."""
    if settings.warehouse_url is None:
        return settings.db_path.exists()
    from warehouse.backends import open_warehouse

    return open_warehouse(settings).exists()


def parse_day(text: str | None, option: str) -> date | None:
    """A day option's value as a person types it (2025-06-30, 2025/6/30, 2025年6月30日…); a UsageError naming the
    option otherwise."""
    if text is None:
        return None
    try:
        return read_typed_day(text)
    except MissingDay as why:
        raise UsageError(f"{option} 的值「{text}」不是日期：{why}。", hint="请核对月份和日。") from None
    except ValueError:
        raise UsageError(f"{option} 的值「{text}」不是日期。", hint=f"请写作{DAY_FORMAT}。") from None


def stop_on_sigterm() -> None:
    """SIGTERM (systemd's, Docker's, kill's) ends the command as Ctrl-C does: exit handlers run. The demo's stop
    Prefect's temporary API server (a uvicorn child process, ~250 MB) instead of leaving it behind; the web server's
    let the upload being loaded finish and tell the queued ones' uploaders 服务正在停止."""

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    # Signals are the main thread's (a command run in another thread keeps the default).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


def acting_user(args: argparse.Namespace) -> str:
    """Who acts: the name --by gives (refused when blank: it was taken as the operating-system user), else the
    operating-system user."""
    if args.by is None:
        return getpass.getuser()
    if not args.by.strip():
        raise UsageError("--by 不能为空。", hint="请写操作人的用户名，或去掉 --by（默认为当前操作系统用户）。")
    return str(args.by.strip())


def xlsx_out(out: str, example: str) -> Path:
    """The .xlsx file a command writes (UsageError for another extension)."""
    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件「{path.name}」的扩展名应为 .xlsx。", hint=f"例如 --out {example}。")
    return path


@contextlib.contextmanager
def into_folder(path: Path) -> Iterator[None]:
    """Around the writing of `path`: the folders it goes into made where there are none and, once it is written,
    said on stderr (a mistyped folder must not go unnoticed; --json stays one object on stdout); taken away again
    when the writing fails (a refused report left an empty folder behind)."""
    made = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in made:  # the deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    if made:
        sys.stderr.write(f"注意：文件夹 {path.parent.absolute()} 原先不存在，已新建。\n")


def emit_json(payload: dict[str, Any]) -> None:
    """Print one JSON object on stdout: strict JSON, never NaN or Infinity (the parser keeps only finite numbers, so
    one here is a bug, raised rather than printed)."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=_json_value, allow_nan=False) + "\n")


def _json_value(value: Any) -> str:
    """A value JSON has no type for: a time in Beijing time with its offset (the warehouse keeps naive UTC, which
    printed bare read as Beijing time 8 hours off), a time standing for a day alone as that day (it read 08:00, a
    time never recorded), anything else as its text."""
    if isinstance(value, datetime):
        return value.date().isoformat() if is_day_only(value) else to_beijing(value).isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


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


def buffer_raw_stdout() -> None:
    """Put a buffer under a raw stdout. Unbuffered (PYTHONUNBUFFERED=1, `python -u`, common in containers), stdout
    writes straight to the file, and a large write that a pipe takes only part of (its reader quit: `| head`) loses
    the rest silently and the command exits 0; a buffered writer finishes the write or raises BrokenPipeError (141).
    Flushed at each line, as unbuffered output appears."""
    if isinstance(getattr(sys.stdout, "buffer", None), io.FileIO):
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(sys.stdout.buffer),
            encoding=sys.stdout.encoding,
            errors=sys.stdout.errors,
            line_buffering=True,
        )


def prefect_unreachable(error: BaseException, submits: bool = True) -> ServiceUnavailable | None:
    """The Prefect server of PREFECT_API_URL not answering, as a paragraph that says what to do (for a command that
    submits runs, `submits`, that one may have been handed over before); None for any other error."""
    httpx = sys.modules.get("httpx")  # loaded by Prefect's client, if it ran at all
    url = os.environ.get("PREFECT_API_URL")
    if httpx is None or not url or not isinstance(error, httpx.TransportError):
        return None
    from flows.run import PREFECT_CONTACT_TIMEOUT_S

    # In words, not httpx's English (ConnectError：[Errno 111] Connection refused).
    if isinstance(error, httpx.TimeoutException):
        why = f"在 {PREFECT_CONTACT_TIMEOUT_S:g} 秒内没有应答"
    elif isinstance(error, httpx.ConnectError):
        why = "连接不上：该地址上没有服务在运行，或网络不通"
    else:
        why = "连接中断"
    return ServiceUnavailable(
        f"无法连接 Prefect 服务器 {url}（{why}）。",
        hint="请确认该服务器已启动、网络可达后重试；不使用 Prefect 服务器时请取消设置环境变量 PREFECT_API_URL。"
        + (
            "如果中断时报送已交给工作节点，它可能已经装载：重新报送前请先用 archive-census submissions 查看。"
            if submits
            else ""
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors become one paragraph on stderr and an exit code (and JSON with --json)."""
    if argv is None:
        buffer_raw_stdout()
    code = run_command(argv)
    if argv is None:
        # The program ends next. Its last garbage collection would walk every object Great Expectations and pandas
        # created (~0.6 s after an ingestion); frozen, they are skipped. Callers passing argv (tests) go on.
        gc.freeze()
    return code


# The options every command takes (_common), which a user may write before the command's name by habit.
COMMAND_OPTIONS = frozenset({"--db", "--warehouse", "--debug", "--json"})
VALUED = frozenset({"--db", "--warehouse"})


def parse_command(argv: Sequence[str] | None) -> argparse.Namespace:
    """argv parsed; an argument no command takes is refused with the usage of the command it was given to (a
    subcommand's own, not the program's)."""
    words = list(sys.argv[1:] if argv is None else argv)
    first = words[0].split("=", 1)[0] if words else ""
    if first in COMMAND_OPTIONS:
        # argparse read the option's value as the command's name (参数 命令 的取值 'var/w.duckdb' 无效).
        raise UsageError(
            f"选项 {first} 须写在命令名之后。",
            hint=f"例如：archive-census summary {first}{' …' if first in VALUED else ''}。",
        )
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        for word in (args.command, getattr(args, f"{args.command}_command", None)):
            if word:
                commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
                parser = commands.choices[word]
        parser.error("unrecognized arguments: " + " ".join(extras))
    return args


def run_command(argv: Sequence[str] | None) -> int:
    """Parse argv (sys.argv when None) and run its command's handler."""
    try:
        args = parse_command(argv)
    except UsageError as refused:  # a misused command (CommandParser.error)
        sys.stderr.write(refused.describe() + "\n")
        if "--json" in (sys.argv[1:] if argv is None else argv):
            emit_json(error_json(refused, refused.exit_code))
        return refused.exit_code
    # GX logs a line per validation about its temporary docs folder; only its warnings matter on a terminal.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    wants_json = bool(getattr(args, "json", False))
    try:
        # Every change this command records in the audit log comes from the command line of this OS user and host.
        from cli.places import may_create_warehouse, require_written_places
        from warehouse.audit import command_line_source
        from warehouse.store import existing_warehouse_only

        # Where the command will write is checked before any work (a report after the checks, a warehouse after
        # the return was read, a template after it was built would otherwise fail halfway, as an internal error).
        require_written_places(args)
        with (
            command_line_source(),
            # Only the commands that may start a warehouse where its file is not there do; every other one that
            # opens it (a dry run too) refuses a mistyped --db.
            contextlib.nullcontext() if may_create_warehouse(args) else existing_warehouse_only(),
        ):
            return args.handler(args)
    except CensusError as error:
        if args.debug:
            raise
        sys.stderr.write(error.describe() + "\n")
        if wants_json:
            emit_json(error_json(error, error.exit_code))
        return error.exit_code
    except KeyboardInterrupt:
        # What became of the work: a probe could not tell whether its interrupted upload had loaded (it had not: a
        # write is one transaction, and a load already under way finishes before the interrupt is taken).
        sys.stderr.write(INTERRUPTED)
        return 130
    except BrokenPipeError:
        # What reads the output went away (`| head`): the command stops where it wrote, as Unix tools do on SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the interpreter's last flush goes nowhere
        try:
            sys.stderr.write(
                "输出中断：接收输出的程序已提前退出（如 | head），命令在输出处停止；已提交的数据不受影响。\n"
            )
            sys.stderr.flush()
        except BrokenPipeError:  # the messages went to the same reader (2>&1 | head): it exited 1 with a traceback
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
        return BROKEN_PIPE_EXIT
    except Exception as error:  # the last line of defence: no traceback without --debug
        if is_interruption(error):  # DuckDB's answer to a Ctrl+C during a query (it said 内部错误, exit 3)
            sys.stderr.write(INTERRUPTED)
            return 130
        if args.debug:
            raise
        # A full disk or read-only folder met outside the warehouse (reports, Data Docs): still exit 2; the Prefect
        # server not answering: 3.
        known = storage_error_from(
            error, getattr(args, "db", None) or "数据目录", getattr(args, "report", None)
        ) or prefect_unreachable(
            # A dry run hands nothing over: it is not told to look for what it may have loaded.
            error,
            submits=getattr(args, "command", None) != "prefect" and not getattr(args, "dry_run", False),
        )
        if known is not None:
            sys.stderr.write(known.describe() + "\n")
            if wants_json:
                emit_json(error_json(known, known.exit_code))
            return known.exit_code
        sys.stderr.write(f"内部错误（{type(error).__name__}: {error}）。请加 --debug 重新运行并报告此问题。\n")
        if wants_json:
            emit_json(error_json(error, 3))
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
