"""The spreadsheet reader runs in a separate, bounded process: a reader failure costs one refusal, never the server.

calamine is native code: on a hostile workbook it can abort the whole process (a Rust allocation failure is not a
Python exception) or run for minutes. So every read of an uploaded workbook is sent to a child process whose
address space (RLIMIT_AS) and run time are limited. If the child dies, runs out of memory or time, the caller gets a
`WorkbookUnusable` with a clear message and the next call starts a fresh child. The child is started once from a
forkserver (which has already imported the readers) and reused for every call, so the cost is one process start per
worker plus pickling the parsed rows back (measured in benchmarks/RESULTS.md).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Any, TypeVar

from census_schema.errors import CensusError, WorkbookUnusable
from census_schema.settings import Settings

T = TypeVar("T")
LOGGER = logging.getLogger(__name__)
# Imported once by the forkserver, so each worker starts with the reader already loaded.
PRELOAD = ["flows.parse"]
READER_HINT = "请在 Excel 中打开，删除数据区以外多余的行列和格式，另存为新的 .xlsx 后重新上传；最好直接使用平台模板。"


def _context() -> ForkServerContext:
    # multiprocessing keeps one forkserver per process; the preload list only matters before it first starts.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _serve(connection: Connection, memory_bytes: int) -> None:
    """The child's loop: limits first, then run each call and send back ("ok", value) or ("error", exception)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # A native abort prints to stderr ("memory allocation of ... failed"): the parent says it better.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            function, args, kwargs = connection.recv()
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("ok", function(*args, **kwargs))
        except CensusError as error:
            reply = ("error", error)
        except MemoryError:
            reply = ("memory", None)
        except Exception as error:  # noqa: BLE001 - any reader failure becomes one refusal, not a crash
            reply = ("failed", f"{type(error).__name__}: {error}"[:300])
        try:
            connection.send(reply)
        except MemoryError:
            connection.send(("memory", None))


class ReaderWorker:
    """One bounded child process that runs reader functions; thread-safe (calls are served one at a time)."""

    def __init__(self, memory_bytes: int, timeout_s: float) -> None:
        self.memory_bytes = memory_bytes
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ReaderWorker:
        """A worker with the memory and time limits of the settings."""
        return cls(settings.reader_memory_mb * 1024 * 1024, settings.reader_timeout_s)

    def __enter__(self) -> ReaderWorker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (tests use it)."""
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def _start(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection is not None:
            return self._connection
        self._stop()
        context = _context()
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child, self.memory_bytes), daemon=True, name="reader")
        process.start()
        child.close()
        self._process, self._connection = process, parent
        return parent

    def _stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)
            self._process.close()
        self._process, self._connection = None, None

    def close(self) -> None:
        """Stop the child (a later call starts a new one)."""
        with self._lock:
            self._stop()

    def call(self, function: Callable[..., T], /, *args: Any, file_name: str, **kwargs: Any) -> T:
        """`function(*args, **kwargs)` in the child; a crash, memory or time overrun is a WorkbookUnusable."""
        with self._lock:
            connection = self._start()
            connection.send((function, args, kwargs))
            if not connection.poll(self.timeout_s):
                self._stop()
                raise WorkbookUnusable(
                    f"读取工作簿超过 {self.timeout_s:.0f} 秒仍未完成，平台已停止读取。",
                    file=file_name,
                    hint=READER_HINT,
                )
            try:
                status, value = connection.recv()
            except (EOFError, OSError):
                process, code = self._process, None
                if process is not None:
                    process.join(5)
                    code = process.exitcode
                self._stop()
                LOGGER.warning("reader worker ended with exit code %s on %s", code, file_name)
                raise WorkbookUnusable(
                    "读取工作簿时读取程序异常终止（通常是工作表声明或占用的范围过大，超出了内存上限），平台拒绝处理该文件。",
                    file=file_name,
                    hint=READER_HINT,
                ) from None
        if status == "ok":
            return value
        if status == "error":
            raise value
        if status == "memory":
            raise WorkbookUnusable(
                f"读取工作簿所需内存超过上限（{self.memory_bytes // 1048576} MB），平台拒绝处理该文件。",
                file=file_name,
                hint=READER_HINT,
            )
        raise WorkbookUnusable(f"工作簿无法读取（{value}）：文件可能已损坏。", file=file_name, hint=READER_HINT)
