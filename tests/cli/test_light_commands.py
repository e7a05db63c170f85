"""Commands load only what they need: reading figures or writing a template never imports Great Expectations or
Prefect; a submission's Data Docs are built when asked for with `data-docs`."""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from census_schema.audit import AuditKind
from census_schema.errors import UsageError
from census_schema.settings import env_day, env_number, load_settings
from cli.main import build_parser, display_width, main
from cli.warehouse_cmd import summary_cells
from dash_app.formatting import format_pct
from tests.flows.workbooks import PROVINCE, census_workbook
from warehouse.backends import EmbeddedWarehouse
from warehouse.users import add_user

HEAVY = ("great_expectations", "prefect", "dash")


def empty_warehouse(path) -> str:
    """A new, migrated and empty embedded warehouse at `path` (commands that only read refuse a missing one)."""
    EmbeddedWarehouse(path).current_version()
    return str(path)


def imported_by(*argv: str) -> set[str]:
    """The heavy packages a fresh process imported while running the command."""
    code = (
        "import sys; from cli.main import main; code = main(sys.argv[1:]); "
        f"print([name for name in {HEAVY!r} if name in sys.modules]); raise SystemExit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"')))


@pytest.mark.parametrize(
    "argv",
    [
        ("summary", "--json"),
        ("submissions", "--json"),
        ("template", "census", "--province", PROVINCE, "--out", "{tmp}/t.xlsx"),
        ("template", "inspections", "--out", "{tmp}/i.xlsx"),
    ],
)
def test_light_commands_do_not_import_great_expectations_or_prefect(tmp_path, argv):
    args = [a.format(tmp=tmp_path) for a in argv]
    if args[0] != "template":
        args += ["--db", empty_warehouse(tmp_path / "w.duckdb")]
    assert imported_by(*args) == set()


def test_data_docs_of_a_submission_are_built_on_request(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_DOCS", "deferred")
    db = str(tmp_path / "var" / "w.duckdb")
    path = census_workbook(tmp_path / "c.xlsx", 2, {0: {"vol_total": 1}})
    assert main(["ingest", "census", str(path), "--province", PROVINCE, "--db", db, "--json"]) == 1
    ingested = json.loads(capsys.readouterr().out)
    assert not (tmp_path / ingested["data_docs"]).exists()
    assert main(["data-docs", ingested["submission_id"], "--db", db, "--json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["data_docs"] == ingested["data_docs"]
    assert (tmp_path / built["data_docs"]).is_file()
    assert main(["data-docs", "S-none", "--db", db]) == 2
    capsys.readouterr()
    # A number typed in another case is the same number.
    assert main(["data-docs", ingested["submission_id"].lower(), "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == built
    # A warehouse copied without its data_docs folder: said so, with where to put the folder (not "run a dry run").
    shutil.rmtree(tmp_path / "var" / "data_docs")
    capsys.readouterr()
    assert main(["data-docs", ingested["submission_id"], "--db", db]) == 2
    said = capsys.readouterr().err
    assert "数据仓库是从别处复制来的" in said and f"data_docs 文件夹复制到 {(tmp_path / 'var').resolve()}" in said
    assert "--dry-run" not in said


@pytest.mark.parametrize("place", ["/proc/no-such-folder", "{tmp}/a-file"])
def test_a_var_folder_that_cannot_be_one_is_refused_naming_the_variable(tmp_path, capsys, monkeypatch, place):
    # ARCHIVE_CENSUS_VAR_DIR=/proc/nope made even a dry run an internal error (exit 3, FileNotFoundError in English).
    (tmp_path / "a-file").write_text("x")
    monkeypatch.setenv("ARCHIVE_CENSUS_VAR_DIR", place.format(tmp=tmp_path))
    path = census_workbook(tmp_path / "c.xlsx", 2, {})
    db = empty_warehouse(tmp_path / "w.duckdb")
    assert main(["ingest", "census", str(path), "--province", PROVINCE, "--db", db, "--dry-run", "--json"]) == 2
    refused = json.loads(capsys.readouterr().out)["error"]
    assert refused["kind"] == "UsageError" and "环境变量 ARCHIVE_CENSUS_VAR_DIR" in refused["message"]


def test_validating_and_building_data_docs_leave_what_gx_imports_for_other_suites_unloaded(tmp_path):
    # checks.deferred_imports: altair and scipy.stats (~77 MiB) stay stand-ins through an ingestion that builds its Data
    # Docs (inline: rendered during the validation).
    path = census_workbook(tmp_path / "c.xlsx", 2, {0: {"vol_total": 1}})
    db = str(tmp_path / "var" / "w.duckdb")
    code = (
        "import json, sys; from cli.main import main; "
        f"assert main(['ingest', 'census', {str(path)!r}, '--province', {PROVINCE!r}, '--db', {db!r}]) == 1; "
        "import great_expectations; "
        "print(json.dumps({n: type(sys.modules[n]).__name__ for n in ('altair', 'scipy.stats')}))"
    )
    env = {**os.environ, "ARCHIVE_CENSUS_DATA_DOCS": "inline"}
    # 14 s alone, 55 s in the busy suite, past 120 s once with two suites on the machine: the limit only catches a hang.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "altair": "DeferredModule",
        "scipy.stats": "DeferredModule",
    }
    assert list((tmp_path / "var").rglob("*.html")), "the inline Data Docs were not built"


def test_the_command_line_sets_polars_allocator_before_polars_loads():
    # polars reads the variable once, when it loads, and puts its own defaults first: ours must come last.
    code = "import os, cli.main, polars; print(os.environ['_RJEM_MALLOC_CONF'])"
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("dirty_decay_ms:0,muzzy_decay_ms:0")


def test_the_program_skips_its_final_collection_but_a_caller_passing_argv_keeps_it(tmp_path, monkeypatch, capsys):
    db = empty_warehouse(tmp_path / "w.duckdb")
    assert gc.get_freeze_count() == 0
    try:
        assert main(["summary", "--json", "--db", db]) == 0
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr(sys, "argv", ["archive-census", "summary", "--json", "--db", db])
        assert main() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_report_path_that_names_no_workbook_is_refused_before_anything_runs(tmp_path, capsys):
    path = census_workbook(tmp_path / "c.xlsx", 2, {0: {"vol_total": 1}})
    db = str(tmp_path / "var" / "w.duckdb")
    for report in (tmp_path, tmp_path / "r.csv"):
        capsys.readouterr()
        assert main(["ingest", "census", str(path), "--province", PROVINCE, "--db", db, "--report", str(report)]) == 2
        assert f"--report {report} 不是 .xlsx 文件名" in capsys.readouterr().err
    assert not (tmp_path / "var").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["c.xlsx"]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["ingest"], "archive-census ingest：缺少必填参数：表格类型、工作簿。"),
        (["finding"], "archive-census finding：缺少必填参数：子命令。"),
        (
            ["summary", "--bogus"],
            "archive-census summary：无法识别的参数：--bogus。 处理办法：运行 archive-census summary --help",
        ),
        (["users", "list", "--zz"], "archive-census users list：无法识别的参数：--zz。"),
        (["demo", "--units", "abc"], "参数 --units 的取值 'abc' 无效（应为正整数）。"),
        (["demo", "--units", "-5"], "参数 --units 的取值 '-5' 无效（应为正整数）。"),
        (
            ["finding", "transition", "X", "--to", "整改中", "--by", "a", "--role", "审核人"],
            "参数 --role 的取值 '审核人' 无效",
        ),
    ],
)
def test_a_misused_command_is_refused_in_chinese_with_its_usage(argv, said, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert said in captured.err and "用法：archive-census" in captured.err and "--help 查看用法" in captured.err
    assert captured.out == ""
    # With --json the refusal is also the one JSON object on stdout, as every other refusal is.
    assert main([*argv, "--json"]) == 2
    refused = json.loads(capsys.readouterr().out)["error"]
    assert refused["exit_code"] == 2 and refused["kind"] == "UsageError" and said in refused["text"]


@pytest.mark.parametrize("option", ["--db", "--db=var/w.duckdb", "--warehouse", "--debug"])
def test_an_option_written_before_the_command_s_name_is_said_to_belong_after_it(option, capsys):
    # `archive-census --db var/w.duckdb summary` read the file's path as the command's name (参数 命令 的取值 … 无效).
    argv = [option, *(["var/w.duckdb"] if option in ("--db", "--warehouse") else []), "summary"]
    assert main(argv) == 2
    name = option.split("=")[0]
    assert f"选项 {name} 须写在命令名之后。 处理办法：例如：archive-census summary {name}" in capsys.readouterr().err


def test_a_folder_or_a_device_given_as_the_workbook_is_named_for_what_it_is(tmp_path, capsys):
    db = str(tmp_path / "var" / "w.duckdb")
    for given, said in ((tmp_path, "这是一个文件夹，不是工作簿文件"), ("/dev/null", "这不是普通文件")):
        capsys.readouterr()
        assert main(["ingest", "census", str(given), "--province", PROVINCE, "--db", db]) == 2
        assert said in capsys.readouterr().err


def test_output_read_by_a_program_that_quits_early_stops_with_sigpipe_s_status(tmp_path):
    # `archive-census summary | head -0`: no "internal error" (exit 3, "worth retrying"), but 141 as a shell reports it.
    command = [sys.executable, "-m", "cli.main", "summary", "--json", "--db", empty_warehouse(tmp_path / "w.duckdb")]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # before the child has written anything: it starts Python first
    assert child.wait(timeout=120) == 141
    said = child.stderr.read()
    assert "输出中断" in said and "内部错误" not in said and "Traceback" not in said


def test_output_and_messages_read_by_one_program_that_quits_early_stop_with_sigpipe_s_status(tmp_path):
    # `archive-census summary 2>&1 | head -0`: the message about the closed output met the closed pipe too, and the
    # command exited 1 ("rejected by validation") with a traceback nobody could read.
    command = [sys.executable, "-m", "cli.main", "summary", "--json", "--db", empty_warehouse(tmp_path / "w.duckdb")]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert child.stdout is not None
    child.stdout.close()
    assert child.wait(timeout=120) == 141


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_reader_that_quits_in_the_middle_of_a_large_output_is_not_taken_for_success(tmp_path, unbuffered):
    # `users list --json | head -c 100`: ~400 KB in one write. Unbuffered (PYTHONUNBUFFERED=1, as containers often set it), a
    # write the pipe takes only part of lost the rest silently and the command exited 0.
    db = empty_warehouse(tmp_path / "w.duckdb")
    EmbeddedWarehouse(Path(db)).write(
        lambda con: add_user(con, f"user-00000-{'x' * 24}", "-", "planner", None, by="管理员")
    )
    # 3,999 copies of that user in one statement (4,000 add_user calls, a transaction each, took ~30 s).
    copies = "users.* REPLACE (format('user-{:05d}-{}', i, repeat('x', 24)) AS user_name)"
    EmbeddedWarehouse(Path(db)).write(
        lambda con: con.execute(f"INSERT INTO users SELECT {copies} FROM users, range(1, 4000) t(i)")
    )
    command = [sys.executable, "-m", "cli.main", "users", "list", "--json", "--db", db]
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.read(100).startswith(b'{"users": [{"user_name": "user-00000')
    child.stdout.close()
    assert child.wait(timeout=120) == 141
    assert "输出中断" in child.stderr.read().decode()


# Latin words a help text may keep besides the parser's own names: products, formats, the pieces of example values
# and the codes an option takes that are no argparse choices (the audit log's kinds).
HELP_LITERALS = {
    "JSON", "Excel", "Prefect", "Great", "Expectations", "Data", "Docs", "DuckLake", "PostgreSQL", "ducklake",
    "postgres", "dbname", "host", "xlsx", "var", "duckdb", "demo", "YYYY",
    *(word for kind in AuditKind for word in kind.value.split("_")),
}  # fmt: skip


def every_parser(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and, depth first, the parser of every command and sub-command under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from every_parser(sub)


def own_words(parser: argparse.ArgumentParser) -> set[str]:
    """The Latin words a parser's help shows of its own: command names, option names, metavars and choices."""
    names = [parser.prog]
    for action in parser._actions:
        names += action.option_strings
        names.append(action.dest.upper() if action.option_strings else action.dest)
        if isinstance(action.metavar, str):
            names.append(action.metavar)
        if action.choices is not None:
            names += [str(choice) for choice in action.choices]
    return {word for name in names for word in re.findall(r"[A-Za-z]+", name)}


def test_every_command_s_help_reads_in_chinese(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    parsers = list(every_parser(build_parser()))
    assert len(parsers) > 20 and {p.prog.split()[-1] for p in parsers} >= {"ingest", "deploy", "add", "transition"}
    allowed = HELP_LITERALS.union(*(own_words(p) for p in parsers))
    for parser in parsers:
        # Every argument, and every command in a list of commands, says in Chinese what it is.
        commands = [sub for action in parser._actions for sub in getattr(action, "_choices_actions", [])]
        for action in parser._actions + commands:
            assert action.help and re.search(r"[\u4e00-\u9fff]", action.help), (parser.prog, action.dest, action.help)
        text = parser.format_help()
        assert text.startswith(f"用法：{parser.prog} [-h]") and "\n选项：\n" in text, text
        # Chinese text is wrapped by the columns it takes on the terminal, not by its count of characters.
        assert all(display_width(line) <= 80 for line in text.splitlines() if display_width(line) > len(line)), text
        words = re.sub(r"\$?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", "", text)  # environment variables and metavars
        stray = [word for word in re.findall(r"[A-Za-z]{3,}", words) if word not in allowed]
        assert not stray, f"{parser.prog} --help is not all Chinese: {stray}\n{text}"


def test_values_are_named_in_chinese_and_lined_up_by_their_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    parsers = {p.prog: p for p in every_parser(build_parser())}
    text = parsers["archive-census finding transition"].format_help()
    assert "[--to 状态]" in text and "[--deadline 日期]" in text and text.split("\n\n")[0].endswith("问题编号")
    assert "[--role {rectifier,reviewer}]" in text  # an option with choices shows them
    # The help of every option starts in one column, whatever the width of the value's name before it.
    options = parsers["archive-census template"].format_help().split("选项：\n")[1].splitlines()
    starts = {display_width(line[: line.index(help)]) for line, help in zip(options, ("显示", "6位", "模板"))}
    assert starts == {24}


@pytest.mark.parametrize(
    "argv",
    [
        ("summary",),
        ("submissions", "--json"),
        ("finding", "list"),
        ("evaluation", "results"),
        ("users", "list"),
        ("audit",),
        ("backup", "--out", "{tmp}/backup"),
        ("supervision", "summary", "--json"),
    ],
)
def test_a_command_naming_a_warehouse_that_is_not_there_is_refused_and_creates_none(tmp_path, capsys, argv):
    typo = tmp_path / "var" / "warehuose.duckdb"
    assert main([*(a.format(tmp=tmp_path) for a in argv), "--db", str(typo)]) == 2
    assert f"数据仓库文件 {typo} 不存在" in capsys.readouterr().err
    assert not typo.exists() and not (tmp_path / "backup").exists()


def test_an_ingestion_that_starts_a_new_warehouse_says_so_and_one_into_an_existing_warehouse_does_not(tmp_path, capsys):
    path = census_workbook(tmp_path / "c.xlsx", 2, {})
    db = tmp_path / "new.duckdb"
    ingest = ["ingest", "census", str(path), "--province", PROVINCE, "--db", str(db)]
    # A dry run writes nothing: a warehouse that is not there (a mistyped --db) is refused, not started.
    assert main([*ingest, "--dry-run"]) == 2
    assert f"数据仓库文件 {db.absolute()} 不存在" in capsys.readouterr().err and not db.exists()
    assert main(ingest) == 0
    assert f"{db} 处原先没有数据仓库，已新建" in capsys.readouterr().err
    assert main([*ingest, "--dry-run"]) == 0
    assert "原先没有数据仓库" not in capsys.readouterr().err
    # Refused after the warehouse was started (an empty template): still said.
    other = tmp_path / "other.duckdb"
    empty = census_workbook(tmp_path / "empty.xlsx", 0, {})
    assert main(["ingest", "census", str(empty), "--province", PROVINCE, "--db", str(other)]) == 2
    err = capsys.readouterr().err
    assert "没有数据行" in err and (not other.exists() or f"{other} 处原先没有数据仓库，已新建" in err)


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("ARCHIVE_CENSUS_AS_OF", "2025/06/30", "不是日期"),
        ("ARCHIVE_CENSUS_AS_OF", "2025-13-01", "不是日期"),
        ("ARCHIVE_CENSUS_MAX_UPLOAD_MB", "100MB", "不是正整数"),
        ("ARCHIVE_CENSUS_MAX_EVIDENCE_MB", "0", "不是正整数"),
        ("ARCHIVE_CENSUS_READER_MEMORY_MB", "4.5", "不是正整数"),
        # Too little for the reader itself: every read failed as "the reader did not start, try again later".
        ("ARCHIVE_CENSUS_READER_MEMORY_MB", "1", "小于允许的最小值 1536"),
        ("ARCHIVE_CENSUS_READER_TIMEOUT_S", "-5", "不是正数"),
        ("ARCHIVE_CENSUS_SHRINK_LIMIT_PCT", "nan", "不是非负数"),
        ("ARCHIVE_CENSUS_DATA_DOCS", "inlne", "无效"),  # a misspelt mode was silently the default
        ("ARCHIVE_CENSUS_ORCHESTRATOR", "prefekt", "无效"),  # was refused without naming the variable
        # Was taken for a server that does not answer (exit 3, "retry"), in httpx's English.
        ("PREFECT_API_URL", "not-a-url", "不是 http:// 或 https:// 开头的网址"),
    ],
)
def test_a_setting_that_is_not_what_its_variable_takes_is_refused_naming_the_variable(
    tmp_path, capsys, monkeypatch, variable, value, said
):
    db = empty_warehouse(tmp_path / "w.duckdb")
    monkeypatch.setenv(variable, value)
    assert main(["finding", "list", "--json", "--db", db]) == 2
    captured = capsys.readouterr()
    assert f"环境变量 {variable} 的值「{value}」{said}" in captured.err and "内部错误" not in captured.err
    assert json.loads(captured.out)["error"]["kind"] == "UsageError"


def test_settings_take_the_numbers_and_days_their_variables_allow():
    env = {
        "ARCHIVE_CENSUS_SHRINK_LIMIT_PCT": "0",
        "ARCHIVE_CENSUS_READER_TIMEOUT_S": " 2.5 ",
        "ARCHIVE_CENSUS_MAX_UPLOAD_MB": "20",
        "ARCHIVE_CENSUS_AS_OF": "2025-06-30",
        "ARCHIVE_CENSUS_PROXY_HOPS": "",
    }
    assert env_number(env, "ARCHIVE_CENSUS_SHRINK_LIMIT_PCT", 10.0, whole=False, zero=True) == 0
    assert env_number(env, "ARCHIVE_CENSUS_READER_TIMEOUT_S", 300, whole=False) == 2.5
    assert env_number(env, "ARCHIVE_CENSUS_MAX_UPLOAD_MB", 100) == 20
    assert env_number(env, "ARCHIVE_CENSUS_PROXY_HOPS", 0, zero=True) == 0
    assert env_day(env, "ARCHIVE_CENSUS_AS_OF") == date(2025, 6, 30)
    assert env_day(env, "ARCHIVE_CENSUS_UNSET") is None


def test_an_explicit_db_comes_before_the_warehouse_variable(tmp_path, capsys, monkeypatch):
    # The variable names a shared DuckLake (here one that no server answers) or another file: `--db` names the
    # warehouse the command uses all the same, and without `--db` the variable still counts.
    db = empty_warehouse(tmp_path / "mine.duckdb")
    monkeypatch.setenv("ARCHIVE_CENSUS_WAREHOUSE", "ducklake:postgres:dbname=shared host=127.0.0.1 port=9")
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_PATH", str(tmp_path / "lake"))
    assert main(["summary", "--json", "--db", db]) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["national"]["units_reported"] == 0
    assert not load_settings(db).is_ducklake and load_settings().is_ducklake
    assert load_settings(warehouse=db).db_path == Path(db)  # `--warehouse` comes before the variable too
    monkeypatch.setenv("ARCHIVE_CENSUS_WAREHOUSE", str(tmp_path / "other.duckdb"))
    assert load_settings(db).db_path == Path(db) and load_settings().db_path == tmp_path / "other.duckdb"
    with pytest.raises(UsageError, match="不同的数据仓库文件"):
        load_settings(db, str(tmp_path / "other.duckdb"))  # two flags that disagree are still refused


def test_a_prefect_server_that_does_not_answer_is_named_with_what_to_do_not_an_internal_error(tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 2, {})
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # the discard port: nothing listens
    command = [sys.executable, "-m", "cli.main", "ingest", "census", str(path), "--province", PROVINCE, "--json"]
    done = subprocess.run(
        [*command, "--db", str(tmp_path / "w.duckdb")], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 3
    assert "无法连接 Prefect 服务器 http://127.0.0.1:9/api" in done.stderr and "内部错误" not in done.stderr
    # In words (it read ConnectError：[Errno 111] Connection refused).
    assert "（连接不上：该地址上没有服务在运行，或网络不通）" in done.stderr and "Error" not in done.stderr
    assert json.loads(done.stdout)["error"]["kind"] == "ServiceUnavailable"
    # A dry run handed nothing over: it is not told it may have loaded something.
    dry = subprocess.run(
        [*command, "--dry-run", "--db", str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert dry.returncode == 3 and "无法连接 Prefect 服务器" in dry.stderr and "可能已经装载" not in dry.stderr


def test_a_prefect_server_that_takes_connections_but_never_answers_is_given_up_on(tmp_path, capsys, monkeypatch):
    # It held `ingest` (and `prefect deploy`) for minutes, silently: Prefect's client waits 60 s a request and retries.
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/api"
    monkeypatch.setenv("PREFECT_API_URL", url)
    monkeypatch.setattr("flows.run.PREFECT_CONTACT_TIMEOUT_S", 0.5)
    path = census_workbook(tmp_path / "c.xlsx", 2, {})
    try:
        code = main(["ingest", "census", str(path), "--province", PROVINCE, "--db", str(tmp_path / "w.duckdb")])
    finally:
        listener.close()
    assert code == 3 and accepted
    said = capsys.readouterr().err
    assert f"无法连接 Prefect 服务器 {url}（在 0.5 秒内没有应答）" in said and "archive-census submissions" in said


def test_deploying_to_a_prefect_server_that_does_not_answer_says_nothing_of_returns(capsys, monkeypatch):
    # `prefect deploy` was told a return it never sent might have been loaded.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # the discard port: nothing listens
    assert main(["prefect", "deploy"]) == 3
    said = capsys.readouterr().err
    assert "无法连接 Prefect 服务器 http://127.0.0.1:9/api" in said and "报送" not in said


def test_a_prefect_address_without_its_api_path_is_said_so(tmp_path, capsys, monkeypatch):
    # http://host:4200 for http://host:4200/api: the server's 404 was an internal error asking for a bug report.
    server = make_server("127.0.0.1", 0, Response("Not Found", status=404))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("PREFECT_API_URL", url)
    path = census_workbook(tmp_path / "c.xlsx", 2, {})
    try:
        code = main(["ingest", "census", str(path), "--province", PROVINCE, "--db", str(tmp_path / "w.duckdb")])
    finally:
        server.shutdown()
    said = capsys.readouterr().err
    assert code == 2 and f"PREFECT_API_URL「{url}」不是 Prefect 服务器的 API 地址" in said and "以 /api 结尾" in said
    assert "内部错误" not in said


def test_the_summary_table_shows_coverage_to_the_hundredth_as_the_dashboard_does():
    figures = {"units_expected": 12072, "units_reported": 11635, "units_unregistered": 45, "coverage_pct": 96.38}
    figures |= {"vol_total": 705549965, "item_total": 540486820, "e_items": 383919086, "e_gb": 2035655.3}
    assert summary_cells(figures) == [
        "12,072",
        "11,635",
        "45",
        format_pct(96.38),
        "705,549,965",
        "540,486,820",
        "383,919,086",
        "2,035,655.30",
    ]
    assert format_pct(96.38) == "96.38%"
    assert summary_cells(figures | {"units_expected": 0, "coverage_pct": None})[3] == "—"


def test_the_demo_s_help_gives_the_default_it_builds():
    # The help said only 全国普查对象个数 (the README: 12,000); written out, it must follow the constant.
    from flows.demo import DEFAULT_DEMO_UNITS

    demo = next(p for p in every_parser(build_parser()) if p.prog.endswith(" demo"))
    units = next(a for a in demo._actions if a.dest == "units")
    assert f"（默认：{DEFAULT_DEMO_UNITS:,}）" in units.help
