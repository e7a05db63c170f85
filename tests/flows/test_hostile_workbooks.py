"""Hostile workbooks are measured and refused (a read started alongside in the bounded worker is dropped), and a
reader failure costs one refusal.

The cases that aborted the whole process before (Rust OOM on a huge extent) run the real command line in a
subprocess, so that a regression shows as exit 134 here instead of killing the test run.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from census_schema.census_form import CENSUS_FORM
from census_schema.errors import WorkbookUnusable
from census_schema.forms import CURRENT_WORKBOOKS
from census_schema.settings import load_settings
from cli.main import main
from flows.measure import measure_workbook, parse_dimension
from flows.parse import parse_workbook
from flows.worker import ReaderWorker
from tests.flows import hostile
from tests.flows.test_bad_input import warehouse_state
from tests.flows.workbooks import PROVINCE, census_workbook, register_workbook


@pytest.fixture
def db(tmp_path):
    db = tmp_path / "var" / "w.duckdb"
    assert main(["ingest", "register", str(register_workbook(tmp_path / "reg.xlsx")), "--db", str(db), "--json"]) == 0
    return db


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command line in its own process (a native abort there cannot take pytest with it)."""
    env = {**os.environ, "ARCHIVE_CENSUS_DATA_DOCS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (hostile.huge_extent, "A1:XFD1048576"),
        (hostile.far_cell, "读取程序异常终止"),
    ],
    ids=["declared extent XFD1048576", "cell at XFD1048576 in a low row"],
)
def test_a_sheet_of_huge_extent_is_one_refusal_not_a_crash(make, expected, db, tmp_path):
    path = make(tmp_path / "upload.xlsx")
    assert path.stat().st_size < 60_000
    before = warehouse_state(db)
    result = run_cli("ingest", "census", str(path), "--province", PROVINCE, "--db", str(db), "--json")
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert "memory allocation" not in result.stderr
    assert warehouse_state(db) == before


CASES = {
    "external entity (XXE)": (hostile.xxe, "DOCTYPE"),
    "billion laughs": (hostile.billion_laughs, "DOCTYPE"),
    "macros (.xlsm)": (hostile.with_macros, "宏"),
    "external links": (hostile.with_external_link, "外部链接"),
    "sizes in the zip that lie": (hostile.lying_sizes, "压缩比异常"),
}


@pytest.mark.parametrize("case", CASES)
def test_hostile_workbooks_are_refused_with_a_located_message(case, db, tmp_path, capsys):
    make, expected = CASES[case]
    path = make(tmp_path / "upload.xlsx")
    before = warehouse_state(db)
    capsys.readouterr()
    code = main(["ingest", "census", str(path), "--province", PROVINCE, "--db", str(db), "--orchestrator", "direct"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err and "upload.xlsx" in err and "内部错误" not in err
    assert warehouse_state(db) == before


def test_sizes_written_in_the_zip_are_never_trusted(tmp_path):
    """The sheet claims 400 KB and holds 64 MB: counting stops at the limit, whatever the zip says."""
    path = hostile.lying_sizes(tmp_path / "liar.xlsx")
    settings = dataclasses.replace(load_settings(tmp_path / "w.duckdb"), max_compression_ratio=10**9)
    with pytest.raises(WorkbookUnusable, match="声明的大小") as refused:
        measure_workbook(path, "liar.xlsx", settings)
    # Said of the sheet by its tab's name, sizes grouped by thousands (it read 部件 xl/worksheets/sheet2.xml and
    # （4294967280 字节）).
    assert refused.value.sheet == "普查表" and "xl/worksheets" not in refused.value.message
    assert "声明的大小（409,600 字节）与实际解压大小（" in refused.value.message
    with pytest.raises(WorkbookUnusable, match="该工作表的压缩比异常") as refused:
        measure_workbook(path, "liar.xlsx", dataclasses.replace(settings, max_compression_ratio=200))
    assert refused.value.sheet == "普查表"
    small = dataclasses.replace(settings, max_uncompressed_bytes=16 << 20)
    with pytest.raises(WorkbookUnusable, match="停止计数"):
        measure_workbook(path, "liar.xlsx", small)


@pytest.mark.parametrize("make", [hostile.xxe, hostile.billion_laughs], ids=["XXE", "billion laughs"])
def test_a_sheet_with_a_doctype_is_named_by_its_tab(make, tmp_path):
    """It was named by its zip part (工作簿内部部件 xl/worksheets/sheet2.xml), which no user knows as 普查表."""
    path = make(tmp_path / "x.xlsx")
    with pytest.raises(WorkbookUnusable, match="该工作表含有文档类型声明") as refused:
        measure_workbook(path, "x.xlsx", load_settings(tmp_path / "w.duckdb"))
    assert refused.value.sheet == "普查表" and "xl/worksheets" not in refused.value.message


def test_cells_and_rows_are_counted_from_the_sheet_xml(tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 30)
    settings = load_settings(tmp_path / "w.duckdb")
    sheets = {s.part: s for s in measure_workbook(path, "c.xlsx", settings).sheets}
    data = sheets[hostile.DATA_SHEET]
    # Title row, header row, 30 holders.
    assert data.last_row == 32 and data.rows == 32
    assert data.cells >= 30 * len(CENSUS_FORM.fields)
    tight = dataclasses.replace(settings, max_sheet_rows=20)
    with pytest.raises(WorkbookUnusable, match="行"):
        measure_workbook(path, "c.xlsx", tight)
    few_cells = dataclasses.replace(settings, max_sheet_cells=500)
    with pytest.raises(WorkbookUnusable, match="单元格超过 500"):
        measure_workbook(path, "c.xlsx", few_cells)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("A1:AS100002", (100002, 45)), ("B3", (3, 2)), ("A1:XFD1048576", (1048576, 16384)), ("$A$1:$C$9", (9, 3))],
)
def test_dimension_refs(ref, expected):
    assert parse_dimension(ref) == expected


@pytest.mark.parametrize("ref", ["", "A1:B2:C3", "1A", "ZZZZ1"])
def test_unreadable_dimension_refs(ref):
    assert parse_dimension(ref) is None


def test_the_worker_is_reused_and_replaced_after_a_crash(tmp_path):
    good = census_workbook(tmp_path / "good.xlsx", 3)
    bad = hostile.far_cell(tmp_path / "far.xlsx")
    book = CURRENT_WORKBOOKS["census"]
    with ReaderWorker.from_settings(load_settings(tmp_path / "w.duckdb")) as worker:
        assert parse_workbook(good, book, worker=worker).main_row_count(book) == 3
        first = worker.pid
        assert parse_workbook(good, book, worker=worker).main_row_count(book) == 3
        assert worker.pid == first
        with pytest.raises(WorkbookUnusable, match="异常终止"):
            parse_workbook(bad, book, worker=worker)
        assert parse_workbook(good, book, worker=worker).main_row_count(book) == 3
        assert worker.pid != first


def test_the_worker_is_stopped_at_its_time_limit(tmp_path):
    with ReaderWorker(1 << 30, timeout_s=1.0) as worker:
        started = time.monotonic()
        with pytest.raises(WorkbookUnusable, match="超过 1 秒"):
            worker.call(time.sleep, 30, file_name="slow.xlsx")
        assert time.monotonic() - started < 10
        assert worker.call(sum, [1, 2], file_name="x.xlsx") == 3


def test_the_worker_refuses_what_passes_its_memory_limit(tmp_path):
    with ReaderWorker(1536 << 20, timeout_s=60) as worker, pytest.raises(WorkbookUnusable, match="内存"):
        worker.call(bytearray, 2 << 30, file_name="big.xlsx")


def test_a_reader_error_in_the_worker_is_a_refusal_with_its_location(tmp_path):
    missing = Path(tmp_path / "nowhere.xlsx")
    with ReaderWorker(1 << 30, timeout_s=60) as worker, pytest.raises(WorkbookUnusable) as raised:
        parse_workbook(missing, CURRENT_WORKBOOKS["census"], worker=worker)
    assert raised.value.file == "nowhere.xlsx"


def count_call(log: Path) -> int:
    """Append one line to `log` and say how many it has (run in a reader worker: every call leaves a trace)."""
    with log.open("a") as handle:
        handle.write("called\n")
    return len(log.read_text().splitlines())


def test_the_caller_works_while_the_worker_runs_the_call_once(tmp_path):
    mine = tmp_path / "mine.log"

    def wait_for_the_child() -> None:  # returns only once the child has run the call: the two overlap
        deadline = time.monotonic() + 30
        while not mine.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert mine.exists()

    with ReaderWorker(1 << 30, timeout_s=60) as worker:
        assert worker.call(count_call, mine, file_name="a.xlsx", while_waiting=wait_for_the_child) == 1
        assert worker.call(count_call, mine, file_name="a.xlsx") == 2
        assert len(mine.read_text().splitlines()) == 2


def test_a_refusal_while_waiting_stops_a_read_still_running(tmp_path):
    def refuse() -> None:
        raise WorkbookUnusable("压缩比异常", file="slow.xlsx")

    with ReaderWorker(1 << 30, timeout_s=60) as worker:
        worker.warm_up()
        first = worker.pid
        started = time.monotonic()
        with pytest.raises(WorkbookUnusable, match="压缩比异常"):
            worker.call(time.sleep, 30, file_name="slow.xlsx", while_waiting=refuse)
        assert time.monotonic() - started < 10
        assert worker.call(sum, [1, 2], file_name="x.xlsx") == 3
        assert worker.pid != first


def test_frames_come_back_through_files_that_do_not_outlive_the_worker(tmp_path):
    good = census_workbook(tmp_path / "good.xlsx", 3)
    book = CURRENT_WORKBOOKS["census"]
    with ReaderWorker.from_settings(load_settings(tmp_path / "w.duckdb")) as worker:
        assert parse_workbook(good, book, worker=worker).main_row_count(book) == 3
        spool = worker.spool
        assert spool is not None and spool.is_dir() and not any(spool.iterdir())
    assert not spool.exists()
    # A caller that dies without stopping its worker: the worker removes the folder when it sees the caller gone.
    code = (
        "import os; from flows.worker import ReaderWorker; w = ReaderWorker(1 << 30, 60); "
        "w.call(sum, [1], file_name='x'); print(w.spool, flush=True); os._exit(0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    orphan = Path(done.stdout.strip())
    deadline = time.monotonic() + 30
    while orphan.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not orphan.exists()


def answer_with_a_file_elsewhere(victim: Path) -> object:
    """What a misbehaving reader could send back: a frame "spooled" at a path outside the worker's folder."""
    from flows.worker import _Spooled

    return {"普查表": _Spooled(str(victim))}


def test_a_reader_answer_naming_a_file_elsewhere_neither_reads_nor_deletes_it(tmp_path):
    victim = tmp_path / "warehouse.duckdb"
    victim.write_bytes(b"not to be touched")
    with ReaderWorker(1 << 30, timeout_s=60) as worker:
        with pytest.raises(WorkbookUnusable, match="无法读取"):
            worker.call(answer_with_a_file_elsewhere, victim, file_name="x.xlsx")
        assert worker.call(sum, [1, 2], file_name="x.xlsx") == 3
    assert victim.read_bytes() == b"not to be touched"
