"""The spreadsheet reader runs in a separate, bounded process: a reader failure costs one refusal, never the server.

calamine is native code: on a hostile workbook it can abort the whole process (a Rust allocation failure is not a
Python exception) or run for minutes. So every read of an uploaded workbook is sent to a child process whose
address space (RLIMIT_AS) and run time are limited. If the child dies, runs out of memory or time, the caller gets a
`WorkbookUnusable` with a clear message and the next call starts a fresh child. The child is a fresh interpreter
(`python -m flows.worker`, not a fork: nothing of the caller's threads, locks or main module comes along) that loads
the reader once and is reused for every call; calls and results travel pickled over two pipes, except polars
frames, which the child writes as Arrow IPC files to a private folder and the caller reads back (a quarter of the
cost of pickling them). The caller may work while the child reads (`call(..., while_waiting=...)`).
The cost is one process start per worker and handing the parsed text back (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import functools
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from census_schema.errors import CensusError, WorkbookUnusable
from census_schema.settings import Settings

T = TypeVar("T")
LOGGER = logging.getLogger(__name__)
# Imported by the child before its first call, so a call pays only for reading.
PRELOAD = "flows.reader"
# How long a fresh child may take to start and import the reader (not counted in a call's time limit).
STARTUP_TIMEOUT_S = 180.0
PIPE_BYTES = 1 << 20
READER_HINT = "请在 Excel 中打开，删除数据区以外多余的行列和格式，另存为新的 .xlsx 后重新上传；最好直接使用平台模板。"


@dataclass(frozen=True)
class _Spooled:
    """A polars frame the child wrote to an Arrow IPC file in the spool folder: handing over 100 MB of text this way
    costs ~0.1 s, as pickles through the pipe ~0.45 s (benchmarks/RESULTS.md). Only the file's name travels: the
    caller reads (and deletes) nothing outside its own folder, whatever a misbehaving child sends."""

    name: str


def _mapped(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """`value` with `leaf` applied to everything in it that is not a dict, list or tuple (named tuples kept)."""
    if isinstance(value, dict):
        return {key: _mapped(item, leaf) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = [_mapped(item, leaf) for item in value]
        if isinstance(value, list):
            return items
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return leaf(value)


def _spool(value: Any, folder: Path) -> Any:
    """The value with every polars frame in it written to `folder` as a file."""

    def spooled(item: Any) -> Any:
        if not isinstance(item, pl.DataFrame):
            return item
        target = folder / f"{uuid.uuid4().hex}.arrow"
        try:
            item.write_ipc(target, compression="uncompressed")
        except OSError:
            target.unlink(missing_ok=True)
            return item  # no room for the file: the frame goes through the pipe
        return _Spooled(target.name)

    return _mapped(value, spooled)


def _unspool(value: Any, folder: Path) -> Any:
    """The child's answer with each frame spooled in `folder` read back, its file deleted."""

    def read(item: Any) -> Any:
        if not isinstance(item, _Spooled):
            return item
        path = folder / Path(item.name).name
        try:
            return pl.read_ipc(path)
        finally:
            path.unlink(missing_ok=True)

    return _mapped(value, read)


def serve(requests: Connection, replies: Connection, memory_bytes: int, spool: Path) -> None:
    """The child's loop: limits first, then run each call and send back ("ok", value) or a failure; polars frames
    in a value travel as files in `spool`."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    __import__(PRELOAD)
    replies.send(("ready", None))
    try:
        _serve_calls(requests, replies, spool)
    finally:
        # The caller removes the folder when it stops this process; when the caller itself died, this does.
        shutil.rmtree(spool, ignore_errors=True)


def _serve_calls(requests: Connection, replies: Connection, spool: Path) -> None:
    while True:
        try:
            function, args, kwargs = requests.recv()
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("ok", _spool(function(*args, **kwargs), spool))
        except CensusError as error:
            reply = ("error", error)
        except MemoryError:
            reply = ("memory", None)
        except Exception as error:  # noqa: BLE001 - any reader failure becomes one refusal, not a crash
            reply = ("failed", f"{type(error).__name__}: {error}"[:300])
        try:
            replies.send(reply)
        except MemoryError:
            replies.send(("memory", None))
        del reply
        release_free_memory()


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim; nothing elsewhere).

    After a read the idle child kept them: 142 MiB after a 100,000-row sheet, 81 MiB once trimmed, against 68 MiB
    before the read (benchmarks/RESULTS.md). The caller is not kept waiting: the reply is sent first.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    except (OSError, AttributeError):
        return None


class ReaderWorker:
    """One bounded child process that runs reader functions; thread-safe (calls are served one at a time)."""

    def __init__(self, memory_bytes: int, timeout_s: float) -> None:
        self.memory_bytes = memory_bytes
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None
        self._ready = False
        # Where the child leaves the frames it answers with (created with the child, removed with it).
        self._spool: Path | None = None

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
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    @property
    def spool(self) -> Path | None:
        """The folder the child answers frames through, while it runs (tests use it)."""
        return self._spool if self.pid is not None else None

    def _start(self) -> tuple[Connection, Connection]:
        if self._process is not None and self._process.poll() is None and self._requests and self._replies:
            return self._requests, self._replies
        self._stop()
        self._spool = Path(tempfile.mkdtemp(prefix="archive-census-reader-"))
        reply_read, reply_write = os.pipe()
        # A 1 MiB pipe (Linux's default limit) instead of 64 KiB: parsed sheets cross it in far fewer hand-overs.
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(reply_write, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        request_read, request_write = os.pipe()
        try:
            command = [
                sys.executable,
                "-m",
                "flows.worker",
                str(request_read),
                str(reply_write),
                str(self.memory_bytes),
                str(self._spool),
            ]
            # stderr is dropped: a native abort prints "memory allocation of ... failed"; the parent says it better.
            self._process = subprocess.Popen(
                command,
                pass_fds=(request_read, reply_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            os.close(request_read)
            os.close(reply_write)
        self._requests = Connection(request_write, readable=False)
        self._replies = Connection(reply_read, writable=False)
        self._ready = False
        return self._requests, self._replies

    def _wait_ready(self, replies: Connection, file_name: str) -> None:
        """Wait for a new child to say it has loaded the reader (its start-up is not the workbook's time)."""
        if self._ready:
            return
        try:
            started = replies.poll(STARTUP_TIMEOUT_S) and replies.recv() == ("ready", None)
        except (EOFError, OSError):
            started = False
        if not started:
            self._stop()
            raise WorkbookUnusable(
                "服务器上的工作簿读取程序未能启动，本文件未处理。",
                file=file_name,
                hint="请稍后重试；如反复出现，请联系系统管理员。",
            )
        self._ready = True

    def _stop(self) -> None:
        for connection in (self._requests, self._replies):
            if connection is not None:
                connection.close()
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(10)
        self._process, self._requests, self._replies, self._ready = None, None, None, False
        if self._spool is not None:
            shutil.rmtree(self._spool, ignore_errors=True)
            self._spool = None

    def warm_up(self) -> None:
        """Start the child now, so that it loads the reader while the caller measures the file."""
        with self._lock:
            self._start()

    def close(self) -> None:
        """Stop the child (a later call starts a new one)."""
        with self._lock:
            self._stop()

    def call(
        self,
        function: Callable[..., T],
        /,
        *args: Any,
        file_name: str,
        while_waiting: Callable[[], object] | None = None,
        **kwargs: Any,
    ) -> T:
        """`function(*args, **kwargs)` in the child; a crash, memory or time overrun is a WorkbookUnusable.

        `while_waiting` runs here while the child works (e.g. measuring the file it reads); if it raises, the child
        is stopped at once and that error is raised instead of waiting for the answer."""
        with self._lock:
            requests, replies = self._start()
            self._wait_ready(replies, file_name)
            sent = time.monotonic()
            try:
                requests.send((function, args, kwargs))
            except (BrokenPipeError, EOFError, OSError):
                pass  # the child is gone: the answer says so
            if while_waiting is not None:
                try:
                    while_waiting()
                except BaseException:
                    self._stop()
                    raise
            return self._answer(self.timeout_s - (time.monotonic() - sent), file_name)

    def _answer(self, timeout_s: float, file_name: str) -> Any:
        """The child's answer to the call sent last, or the refusal that says why there is none."""
        replies = self._replies
        try:
            answered = replies is None or replies.poll(max(timeout_s, 0.0))
        except (EOFError, OSError):
            answered = True  # the child is gone: recv below says so
        if not answered:
            self._stop()
            raise WorkbookUnusable(
                f"读取工作簿超过 {self.timeout_s:.0f} 秒仍未完成，平台已停止读取。",
                file=file_name,
                hint=READER_HINT,
            )
        try:
            if replies is None:
                raise EOFError
            status, value = replies.recv()
        except (EOFError, OSError):
            process = self._process
            code = process.wait(10) if process is not None else None
            self._stop()
            LOGGER.warning("reader worker ended with exit code %s on %s", code, file_name)
            raise WorkbookUnusable(
                "读取工作簿时读取程序异常终止（通常是工作表声明或占用的范围过大，超出了内存上限），平台拒绝处理该文件。",
                file=file_name,
                hint=READER_HINT,
            ) from None
        if status == "ok" and self._spool is not None:  # the folder lives as long as the child that answered
            try:
                return _unspool(value, self._spool)
            except (OSError, pl.exceptions.PolarsError) as error:  # a missing or broken answer file
                self._stop()
                raise WorkbookUnusable(
                    f"工作簿无法读取（{type(error).__name__}）：文件可能已损坏。", file=file_name, hint=READER_HINT
                ) from None
        if status == "error":
            raise value
        if status == "memory":
            raise WorkbookUnusable(
                f"读取工作簿所需内存超过上限（{self.memory_bytes // 1048576} MB），平台拒绝处理该文件。",
                file=file_name,
                hint=READER_HINT,
            )
        raise WorkbookUnusable(f"工作簿无法读取（{value}）：文件可能已损坏。", file=file_name, hint=READER_HINT)


if __name__ == "__main__":
    # Run the module's own copy, not __main__'s: what the child pickles must name `flows.worker` classes.
    from flows.worker import serve as serve_child

    serve_child(
        Connection(int(sys.argv[1]), writable=False),
        Connection(int(sys.argv[2]), readable=False),
        int(sys.argv[3]),
        Path(sys.argv[4]),
    )


_SHARED: dict[tuple[int, int, float], ReaderWorker] = {}
_SHARED_LOCK = threading.Lock()


def shared_reader(settings: Settings) -> ReaderWorker:
    """This process's reader for the settings' limits, for callers that bring none: started on first use, reused
    (each call starting a child of its own cost ~0.3 s of CPU), stopped when the process exits."""
    key = (os.getpid(), settings.reader_memory_mb, settings.reader_timeout_s)
    with _SHARED_LOCK:
        worker = _SHARED.get(key)
        if worker is None:
            if not _SHARED:
                atexit.register(_close_shared)
            worker = _SHARED[key] = ReaderWorker.from_settings(settings)
        return worker


def _close_shared() -> None:
    with _SHARED_LOCK:
        for (pid, *_), worker in _SHARED.items():
            if pid == os.getpid():  # a forked copy of this process does not stop its parent's child
                worker.close()


# The reader a flow run in the caller's process uses (flows.run sets it; a worker's run starts its own).
CURRENT_READER: ContextVar[ReaderWorker | None] = ContextVar("current_reader", default=None)
