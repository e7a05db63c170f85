"""The warehouse behind one interface: the embedded DuckDB file, or a DuckLake with its catalog in PostgreSQL.

Every command, flow and the web app open the warehouse the settings name (`open_warehouse`) and use the same
contract:

- `writer()`: a connection for writing, migrated; the caller's work runs in its own transaction(s);
- `write(work)`: `work(connection)` in a writer, re-run when a concurrent writer made it conflict (DuckLake);
- `reader()`: a read-only connection on one consistent, committed state (never half a load);
- `current_version()` / `open_snapshot(version)`: what the dashboard pins its reads to, one version at a time.

The embedded backend is `warehouse.store.WarehouseStore` (one writer at a time under a file lock, readers on
published copies). The DuckLake backend lets writers in several processes and machines commit at once; DuckLake
commits optimistically, and every writing transaction claims the write guard (`warehouse.dialect`), so of two
concurrent writers one commits and the other is re-run here against the new state, a bounded number of times.
"""

from __future__ import annotations

import fcntl
import importlib.util
import random
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import duckdb

from census_schema.errors import CensusError, UsageError
from census_schema.settings import DUCKLAKE_POSTGRES_PREFIX, Settings
from warehouse.connection import open_duckdb
from warehouse.migrations import apply_migrations
from warehouse.store import DEFAULT_LOCK_TIMEOUT_S, WarehouseStore, must_exist
from warehouse.transactions import quote_catalog_name

T = TypeVar("T")
# A write that keeps losing to other writers gives up after this many attempts (about a minute in all).
MAX_WRITE_ATTEMPTS = 40
FIRST_RETRY_WAIT_S = 0.05
MAX_RETRY_WAIT_S = 2.0
# The offline extension packages (duckdb-extension-*) and the DuckDB extension each one carries.
EXTENSION_PACKAGES = (("duckdb_extension_postgres", "postgres_scanner"), ("duckdb_extension_ducklake", "ducklake"))


class WarehouseUnavailable(CensusError):
    """The warehouse could not be reached, or a write kept conflicting with others: transient, worth retrying."""

    exit_code = 3


class WarehouseMisconfigured(CensusError):
    """The warehouse's settings name what cannot work (a wrong password, a database or data folder that is not
    there): retrying the same command cannot help; the settings must be changed."""

    exit_code = 2


class ReadSnapshot(Protocol):
    """One committed state of the warehouse, open for reading; a cursor per request."""

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on this state."""
        ...

    def close(self) -> None:
        """Release the state."""
        ...


class Warehouse(Protocol):
    """What every command, flow and web process uses, whichever backend holds the data."""

    def writer(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A migrated connection for writing."""
        ...

    def reader(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A read-only connection on the latest committed state, consistent for the whole block."""
        ...

    def write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `work` in a writer; re-run it when it lost a race with another writer."""
        ...

    def current_version(self) -> Hashable:
        """An identifier of the latest committed state; it changes with every write."""
        ...

    def open_snapshot(self, version: Hashable) -> ReadSnapshot:
        """The state `current_version()` named, for reading until closed."""
        ...

    def describe(self) -> str:
        """Where the warehouse is, for messages."""
        ...

    def check_storage(self) -> None:
        """Raise WarehouseMisconfigured when what holds the data is not where the warehouse records it."""
        ...


def is_conflict(error: BaseException) -> bool:
    """True for a DuckLake commit that lost to a concurrent transaction."""
    return isinstance(error, duckdb.TransactionException) and "conflict" in str(error).lower()


def is_concurrent_creation(error: BaseException) -> bool:
    """True for a migration that lost to another process migrating the same new lake: what it creates was created
    by the other since it read the lake's version ("Table with name … already exists")."""
    return isinstance(error, duckdb.CatalogException) and "already exists" in str(error)


def retry_conflicts(
    work: Callable[[], T],
    *,
    attempts: int = MAX_WRITE_ATTEMPTS,
    retryable: Callable[[BaseException], bool] = is_conflict,
) -> T:
    """`work()`, re-run with a growing, jittered wait while it fails with a commit conflict (or `retryable`)."""
    wait = FIRST_RETRY_WAIT_S
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except (duckdb.TransactionException, duckdb.CatalogException) as error:
            if not retryable(error):
                raise
            if attempt == attempts:
                raise WarehouseUnavailable(
                    f"数据仓库写入与其他任务冲突，重试 {attempts} 次仍未成功。",
                    hint="这是并发写入过多造成的暂时现象，请稍后重试。",
                ) from error
        time.sleep(wait * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not secrecy
        wait = min(MAX_RETRY_WAIT_S, wait * 1.5)
    raise AssertionError("unreachable")


# ------------------------------------------------------------------------------------------------- embedded


@dataclass
class _FileSnapshot:
    connection: duckdb.DuckDBPyConnection

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.connection.cursor()

    def close(self) -> None:
        self.connection.close()


class EmbeddedWarehouse:
    """The DuckDB file under `var/` (or `--db`): `WarehouseStore`'s writer lock and published read snapshots."""

    def __init__(self, db_path: Path, *, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.store = WarehouseStore(db_path, lock_timeout_s=lock_timeout_s)
        self.db_path = self.store.db_path

    def writer(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The only read-write connection; the new state is published for readers when the block ends."""
        return self.store.writer()

    def reader(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A read-only connection to the latest published snapshot."""
        return self.store.reader()

    def write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`work` under the writer lock (writers queue, so nothing conflicts)."""
        with self.store.writer() as con:
            return work(con)

    def current_version(self) -> Hashable:
        """The path of the latest published snapshot."""
        return self.store.current_snapshot()

    def open_snapshot(self, version: Hashable) -> ReadSnapshot:
        """A read-only connection to the current published snapshot (the store republishes a damaged one first);
        the next request moves on if a newer one was published since `version` was read."""
        assert isinstance(version, Path)
        return _FileSnapshot(self.store.open_snapshot()[1])

    def describe(self) -> str:
        """The file's path."""
        return str(self.db_path)

    def check_storage(self) -> None:
        """Nothing to look at: every read opens the published snapshot file itself."""

    def exists(self) -> bool:
        """True when the warehouse file exists, or read snapshots of one (its file moved away) do."""
        return self.db_path.exists() or self.store.has_snapshots()

    def destroy(self) -> None:
        """Delete the file, its lock and its snapshots (the demo's --replace)."""
        self.store.close()
        self.db_path.unlink(missing_ok=True)
        self.db_path.with_suffix(".lock").unlink(missing_ok=True)
        shutil.rmtree(self.store.snapshot_dir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------- DuckLake


# ATTACH, INSTALL, LOAD, USE, DETACH and DROP take no bound parameters: values are quoted by _sql_string, names read
# from the catalog by quote_catalog_name, and the lake's aliases are built here from a counter and a clock.
def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _extension_file(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(
            f"缺少 DuckDB 扩展包 {package.replace('_', '-')}。",
            hint="请按 requirements.lock 安装依赖（pip install -c requirements.lock -e .），扩展随包离线安装。",
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    return next(folder.rglob("*.duckdb_extension"))


def load_lake_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Install the postgres and ducklake extensions from their pinned packages (never downloaded) and load them."""
    installed = dict(
        con.execute(
            "SELECT extension_name, installed FROM duckdb_extensions() WHERE extension_name IN (?, ?)",
            [name for _, name in EXTENSION_PACKAGES],
        ).fetchall()
    )
    missing = [(package, name) for package, name in EXTENSION_PACKAGES if not installed.get(name)]
    if missing:
        # Several processes starting at once would copy the same files into DuckDB's extension folder.
        lock_path = Path(tempfile.gettempdir()) / "archive-census-duckdb-extensions.lock"
        with open(lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for package, _ in missing:
                con.execute(f"INSTALL {_sql_string(str(_extension_file(package)))}")
    for _, name in EXTENSION_PACKAGES:
        con.execute(f"LOAD {name}")


# What PostgreSQL's client library (libpq) says when a connection fails, in Chinese, by the pattern of its English
# (its wording has been stable for years); anything else is quoted as it came, marked as the original words. The
# failures marked True are met by the same settings every time (exit 2: change them), unlike a server down (exit 3:
# retry).
_CATALOG_REASONS: tuple[tuple[re.Pattern[str], str, bool], ...] = tuple(
    (re.compile(pattern), said, misconfigured)
    for pattern, said, misconfigured in (
        (r'server at "(?P<host>[^"]*)", port (?P<port>\d+) failed: Connection refused',
         "连接被拒绝：{host} 的 {port} 端口上没有 PostgreSQL 在监听（未启动，或主机、端口写错）", False),
        (r'server on socket "(?P<socket>[^"]*)" failed: No such file or directory',
         "本机没有 PostgreSQL 在运行（找不到套接字 {socket}；如服务器在别的机器上，请写明 host）", False),
        (r'could not translate host name "(?P<host>[^"]*)"', "主机名「{host}」无法解析（写错，或网络不通）", False),
        (r'password authentication failed for user "(?P<user>[^"]*)"', "用户「{user}」不存在或密码不对（PostgreSQL 不说是哪一个）", True),
        (r"permission denied for (?P<what>schema|database|table|relation|sequence) (?P<name>\S+)",
         "用户没有在目录数据库中建表或读写的权限（{what} {name}）：请让该用户拥有这个数据库（如 CREATE DATABASE census "
         "OWNER census），或授予它相应权限", True),
        (r"no password supplied", "服务器要求密码，但没有提供（请写在 PGPASSWORD 或 ~/.pgpass 中，不写在地址里）", True),
        (r'database "(?P<database>[^"]*)" does not exist', "PostgreSQL 中没有名为「{database}」的数据库（请先建立，或改正 dbname）", True),
        (r'role "(?P<user>[^"]*)" does not exist', "PostgreSQL 中没有名为「{user}」的用户（请改正 user）", True),
        (r'no pg_hba\.conf entry for host "(?P<host>[^"]*)"', "服务器不允许从 {host} 连接（其 pg_hba.conf 中没有相应条目）", True),
        (r'invalid connection option "(?P<option>[^"]*)"', "连接参数「{option}」不是 PostgreSQL 的参数（写错了，如 hst 应为 host）", True),
        (r'DATA_PATH parameter "(?P<given>[^"]*)" does not match existing data path in the catalog "(?P<stored>[^"]*)"',
         "ARCHIVE_CENSUS_DATA_PATH 是 {given}，而这个数据仓库的数据目录是 {stored}（每台机器都须用同一个绝对路径）", True),
        (r"timeout expired|Connection timed out", "连接超时（主机不可达，或被防火墙拦截）", False),
        (r'Cannot open file "(?P<file>[^"]*)": Read-only file system', "数据目录是只读的，写不进 {file}", True),
        (r"No space left on device", "数据目录所在的磁盘已满", True),
    )
)  # fmt: skip


def describe_catalog_failure(error_text: str) -> str:
    """Why the catalog could not be reached, in Chinese (the original words quoted when not recognised)."""
    return _catalog_failure(error_text)[0]


def _catalog_failure(error_text: str) -> tuple[str, bool]:
    """Why the catalog could not be reached, in Chinese, and whether the same settings will always fail so."""
    for pattern, said, misconfigured in _CATALOG_REASONS:
        found = pattern.search(error_text)
        if found:
            return said.format(**found.groupdict()), misconfigured
    if not error_text.strip():
        return "未说明原因", False
    # DuckDB's prefix repeats the connection string the message already names: what follows it is PostgreSQL's.
    reason = re.sub(r'^.*Unable to connect to Postgres at "[^"]*": ', "", error_text.strip().splitlines()[0])
    return f"原始信息（英文）：{reason}", False


# The catalog's connection lost in the middle of a command (PostgreSQL stopped or restarted): worth retrying.
_CONNECTION_LOST = re.compile(
    r"Failed to execute query|server closed the connection|terminating connection|connection to server"
    r"|Unable to connect to Postgres|could not receive data from server|SSL SYSCALL error"
)


def _unavailable(settings_text: str, error: BaseException) -> WarehouseUnavailable | WarehouseMisconfigured:
    reason, misconfigured = _catalog_failure(str(error))
    if misconfigured:
        return WarehouseMisconfigured(
            f"数据仓库 {settings_text}无法使用：{reason}。",
            hint="请改正 ARCHIVE_CENSUS_WAREHOUSE 中的连接参数或 ARCHIVE_CENSUS_DATA_PATH 目录（须可写、有空间）后重试。",
        )
    return WarehouseUnavailable(
        f"无法连接数据仓库 {settings_text}：{reason}。",
        hint="请检查 PostgreSQL 是否在运行、ARCHIVE_CENSUS_WAREHOUSE 中的连接参数和 ARCHIVE_CENSUS_DATA_PATH 目录。",
    )


@dataclass
class _LakeEngine:
    """A lake attached to the process's DuckDB instance: read-write as `alias`, read-only as `alias_ro`, and pinned
    read snapshots as `alias_v<id>` (counted). A cursor of the instance per writer or reader."""

    connection: duckdb.DuckDBPyConnection
    alias: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    migrated: bool = False
    pinned: dict[str, int] = field(default_factory=dict)

    @property
    def read_only(self) -> str:
        """The read-only attachment's name."""
        return f"{self.alias}_ro"

    def detach(self) -> None:
        """Detach the lake's every attachment from the process's instance."""
        with self.lock:
            for alias in [*self.pinned, self.read_only, self.alias]:
                self.connection.execute(f"DETACH DATABASE IF EXISTS {alias}")


# One in-memory DuckDB instance per process with the extensions loaded (~0.4 s once); lakes attach to it.
_INSTANCE: list[duckdb.DuckDBPyConnection] = []
_ENGINES: dict[tuple[str, str], _LakeEngine] = {}
_ENGINES_LOCK = threading.Lock()


def _instance() -> duckdb.DuckDBPyConnection:
    if not _INSTANCE:
        con = open_duckdb(config={"autoinstall_known_extensions": False})
        load_lake_extensions(con)
        _INSTANCE.append(con)
    return _INSTANCE[0]


@dataclass
class _LakeSnapshot:
    engine: _LakeEngine
    alias: str

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = self.engine.connection.cursor()
        cursor.execute(f"USE {self.alias}")
        return cursor

    def close(self) -> None:
        with self.engine.lock:
            left = self.engine.pinned.get(self.alias, 1) - 1
            if left > 0:
                self.engine.pinned[self.alias] = left
                return
            self.engine.pinned.pop(self.alias, None)
            self.engine.connection.execute(f"DETACH DATABASE IF EXISTS {self.alias}")


class DuckLakeWarehouse:
    """A DuckLake: tables as Parquet files under `data_path`, the catalog in PostgreSQL; many writers at once."""

    def __init__(self, url: str, data_path: Path, *, description: str | None = None) -> None:
        if not url.startswith(DUCKLAKE_POSTGRES_PREFIX):
            raise UsageError(f"不支持的 DuckLake 地址「{url}」。")
        self.url = url
        self.data_path = Path(data_path)
        self._description = description or url

    def describe(self) -> str:
        """The catalog and the data folder."""
        return self._description

    def _attach(self, con: duckdb.DuckDBPyConnection, alias: str, *options: str) -> None:
        listed = ", ".join([f"DATA_PATH {_sql_string(str(self.data_path) + '/')}", *options])
        con.execute(f"ATTACH {_sql_string(self.url)} AS {alias} ({listed})")

    def _engine(self) -> _LakeEngine:
        key = (self.url, str(self.data_path))
        with _ENGINES_LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                engine = _ENGINES[key] = self._open_engine(f"lake{len(_ENGINES)}_{time.monotonic_ns()}")
            return engine

    def _open_engine(self, alias: str) -> _LakeEngine:
        # The data folder is made for a new lake only: a lake whose shared folder is missing (not mounted) is refused,
        # never given a new, empty folder on the local disk.
        try:
            con = _instance()
            # The first attach of an empty catalog creates DuckLake's tables; processes starting together race.
            for attempt in range(5):
                try:
                    self._attach(con, alias)
                    break
                except duckdb.Error as error:
                    if attempt == 4 or "connect" in str(error).lower():
                        raise
                    time.sleep(0.2 * (attempt + 1))
            self._attach(con, f"{alias}_ro", "READ_ONLY")
        except duckdb.Error as error:
            raise _unavailable(self.describe(), error) from error
        engine = _LakeEngine(con, alias)
        try:
            self._check_data_folder(engine)
        except WarehouseMisconfigured:
            engine.detach()
            raise
        if not self.data_path.is_dir() and not must_exist():  # a new lake (`migrate` refuses one to others)
            self.data_path.mkdir(parents=True, exist_ok=True)
        return engine

    def check_storage(self) -> None:
        """Raise WarehouseMisconfigured when the data folder is gone, or empty while the catalog records data files:
        the catalog alone still answers for the small tables inlined in it (the users), not for the census data."""
        self._check_data_folder(self._engine())

    def _check_data_folder(self, engine: _LakeEngine) -> None:
        # Looked at after the attach, the catalog before the folder and the folder again after it: a process creating
        # the same new lake at this moment makes the folder before any table and writes a data file before the catalog
        # records it (the folder looked at only before the catalog was found missing or empty by a process that lost
        # that race, and refused a lake being made; CI, 2026-12-06).
        empty = self.data_path.is_dir() and not any(self.data_path.iterdir())
        if empty and self._holds_data_files(engine) and not any(self.data_path.iterdir()):
            # A share not mounted often leaves its mount point behind, an empty folder: the files are elsewhere.
            raise WarehouseMisconfigured(
                f"数据仓库 {self.describe()}的数据目录 {self.data_path} 是空的，而目录数据库记有数据文件。",
                hint="共享目录可能没有挂载（挂载点还在）：请挂载后重试；ARCHIVE_CENSUS_DATA_PATH 须是每台机器上都相同的绝对路径。",
            )
        if not self.data_path.is_dir() and self._holds_tables(engine) and not self.data_path.is_dir():
            raise WarehouseMisconfigured(
                f"数据仓库 {self.describe()}的数据目录 {self.data_path} 不存在：数据文件都在这个目录里。",
                hint="请确认共享目录已挂载、ARCHIVE_CENSUS_DATA_PATH 写对了（每台机器都须用同一个绝对路径）后重试。",
            )

    @staticmethod
    def _holds_data_files(engine: _LakeEngine) -> bool:
        """Whether the catalog records data files (DuckLake's metadata catalog is attached as
        `__ducklake_metadata_<alias>`)."""
        cursor = engine.connection.cursor()
        try:
            row = cursor.execute(
                # The alias is built here from a counter and a clock (see _sql_string's note).
                f'SELECT count(*) FROM "__ducklake_metadata_{engine.alias}".ducklake_data_file'  # noqa: S608
            ).fetchone()
        finally:
            cursor.close()
        return row is not None and row[0] > 0

    @staticmethod
    def _holds_tables(engine: _LakeEngine) -> bool:
        cursor = engine.connection.cursor()
        try:
            row = cursor.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = ?", [engine.alias]
            ).fetchone()
        finally:
            cursor.close()
        return row is not None and row[0] > 0

    def _cursor(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        engine = self._engine()
        cursor = engine.connection.cursor()
        cursor.execute(f"USE {engine.read_only if read_only else engine.alias}")
        return cursor

    def migrate(self) -> None:
        """Create and migrate the lake once per process (concurrent processes: the losers re-run theirs)."""
        engine = self._engine()
        if engine.migrated:
            return
        with engine.lock:
            if engine.migrated:
                return
            if must_exist() and not self._holds_tables(engine):  # a mistyped dbname is not answered from a new lake
                raise UsageError(
                    f"数据仓库 {self.describe()}还没有建立：它的目录数据库是空的。",
                    hint="请检查 ARCHIVE_CENSUS_WAREHOUSE 或 --warehouse 中的 dbname 是否写错；新的数据仓库在首次运行 "
                    "serve、users add、ingest（试校验 --dry-run 除外）或 demo 时建立（restore 只适用于内置数据仓库文件）。",
                )
            cursor = self._cursor()
            try:
                # Re-run, a loser reads the version the winner committed and goes on from there.
                retry_conflicts(
                    lambda: apply_migrations(cursor),
                    retryable=lambda error: is_conflict(error) or is_concurrent_creation(error),
                )
            finally:
                cursor.close()
            engine.migrated = True

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A migrated cursor on the lake; each transaction the caller runs commits on its own."""
        self.migrate()
        cursor = self._cursor()
        try:
            yield cursor
        except duckdb.IOException as error:
            raise _unavailable(self.describe(), error) from error
        except duckdb.Error as error:
            if not _CONNECTION_LOST.search(str(error)):
                raise
            raise _unavailable(self.describe(), error) from error
        finally:
            cursor.close()

    def write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`work` in a writer, re-run while its commit conflicts with a concurrent writer's."""

        def attempt() -> T:
            with self.writer() as con:
                return work(con)

        return retry_conflicts(attempt)

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only cursor in one transaction: every query of the block sees the same committed snapshot."""
        self.migrate()
        cursor = self._cursor(read_only=True)
        try:
            cursor.begin()
            yield cursor
        finally:
            cursor.close()

    def current_version(self) -> Hashable:
        """The id of the lake's latest snapshot."""
        self.migrate()
        engine = self._engine()
        cursor = engine.connection.cursor()
        try:
            row = cursor.execute(f"SELECT id FROM {engine.read_only}.current_snapshot()").fetchone()  # noqa: S608
        except duckdb.IOException as error:
            raise _unavailable(self.describe(), error) from error
        finally:
            cursor.close()
        assert row is not None
        return int(row[0])

    def open_snapshot(self, version: Hashable) -> ReadSnapshot:
        """The lake as of one snapshot, attached read-only under its own name until closed."""
        assert isinstance(version, int)
        engine = self._engine()
        alias = f"{engine.alias}_v{version}"
        with engine.lock:
            if alias not in engine.pinned:
                self._attach(engine.connection, alias, "READ_ONLY", f"SNAPSHOT_VERSION {version}")
            engine.pinned[alias] = engine.pinned.get(alias, 0) + 1
        return _LakeSnapshot(engine, alias)

    def exists(self) -> bool:
        """True when the lake holds the warehouse's tables."""
        cursor = self._cursor()
        try:
            row = cursor.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                "AND table_name = 'schema_migrations'"
            ).fetchone()
        finally:
            cursor.close()
        return row is not None and row[0] > 0

    def destroy(self) -> None:
        """Drop every view, macro and table of the lake in one transaction (the demo's --replace)."""
        cursor = self._cursor()
        try:
            cursor.begin()
            for kind, listing in (
                ("VIEW", "SELECT view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal"),
                (
                    "MACRO",
                    "SELECT DISTINCT function_name FROM duckdb_functions() WHERE database_name = ? "
                    "AND function_type = 'macro' AND NOT internal",
                ),
                ("TABLE", "SELECT table_name FROM duckdb_tables() WHERE database_name = ?"),
            ):
                for (name,) in cursor.execute(listing.replace("?", "current_database()")).fetchall():
                    cursor.execute(f"DROP {kind} {quote_catalog_name(name)}")
            cursor.commit()
        finally:
            cursor.close()
        self._engine().migrated = False

    def close(self) -> None:
        """Close this process's connection to the lake (tests open many lakes)."""
        with _ENGINES_LOCK:
            engine = _ENGINES.pop((self.url, str(self.data_path)), None)
        if engine is not None:
            engine.detach()


def open_warehouse(settings: Settings) -> EmbeddedWarehouse | DuckLakeWarehouse:
    """The warehouse the settings name: a DuckLake when a `ducklake:postgres:` URL is set, else the embedded file."""
    if settings.warehouse_url is not None:
        assert settings.data_path is not None
        return DuckLakeWarehouse(settings.warehouse_url, settings.data_path, description=settings.describe_warehouse())
    return EmbeddedWarehouse(settings.db_path)
