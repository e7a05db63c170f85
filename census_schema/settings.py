"""One settings object, read from the environment when asked for, never at import time."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from census_schema.clock import beijing_today
from census_schema.errors import UsageError

DEFAULT_DB = Path("var") / "warehouse.duckdb"
# A warehouse URL naming a DuckLake whose catalog is a PostgreSQL database (libpq keywords after the prefix).
DUCKLAKE_POSTGRES_PREFIX = "ducklake:postgres:"
# Where reports, web state, uploads and Data Docs go when not beside the warehouse file.
VAR_DIR_ENV = "ARCHIVE_CENSUS_VAR_DIR"
READER_MEMORY_MIN_MB = 1536


@dataclass(frozen=True)
class Settings:
    """Where the warehouse lives and the limits uploads are held to.

    Workbook limits (checked by `flows.measure` before any reader runs, from the real inflated bytes and the sheet
    XML, never from sizes the file declares): `max_upload_bytes` on disk (`ARCHIVE_CENSUS_MAX_UPLOAD_MB`);
    `max_uncompressed_bytes` over all members once inflated; `max_compression_ratio` of any member above 8 MB;
    per worksheet `max_sheet_rows`, `max_sheet_columns` and `max_sheet_cells`, each applied to the declared extent
    (`<dimension ref>`, which calamine allocates up front) and to the rows and cells counted in the XML. A census
    return of 200,000 rows × 45 columns is 9 M cells and ~400 MB inflated.

    The reader (calamine) then runs in a separate process limited to `reader_memory_mb` of address space
    (`ARCHIVE_CENSUS_READER_MEMORY_MB`) and `reader_timeout_s` seconds (`ARCHIVE_CENSUS_READER_TIMEOUT_S`).
    The web app queues uploads fairly across provinces and holds each user to `max_uploads_per_user` files
    queued or running. Evidence files must hold 1 byte to `max_evidence_bytes` (`ARCHIVE_CENSUS_MAX_EVIDENCE_MB`).
    Data Docs of the validations of the last `data_docs_keep_days` and of the `data_docs_keep` newest per form kind
    and province are kept (others are pruned after each validation), and those of current submissions always.

    `warehouse_url` is None for the embedded warehouse (one DuckDB file at `db_path`, snapshots beside it), or a
    `ducklake:postgres:…` URL whose tables' Parquet files live under `data_path`. Files that are not tables
    (reports, uploads, evidence, Data Docs) go to `var_dir`, which every web process and worker must share.
    """

    db_path: Path
    max_upload_bytes: int = 100 * 1024 * 1024
    max_uncompressed_bytes: int = 1536 * 1024 * 1024
    max_compression_ratio: int = 200
    max_sheet_rows: int = 250_000
    max_sheet_columns: int = 512
    max_sheet_cells: int = 12_000_000
    reader_memory_mb: int = 4096
    reader_timeout_s: float = 300.0
    max_uploads_per_user: int = 2
    max_evidence_bytes: int = 50 * 1024 * 1024
    data_docs_keep: int = 3
    data_docs_keep_days: int = 30
    orchestrator: str = "auto"
    # GX Data Docs. By default a validation keeps GX's results (a few KB) and the site is built when someone opens
    # it (or by the web app after answering an upload). save_data_docs builds it during the validation itself
    # (about a second more per validation); keep_validation_results False keeps nothing, so no Data Docs.
    save_data_docs: bool = False
    keep_validation_results: bool = True
    as_of: date | None = None
    warehouse_url: str | None = None
    data_path: Path | None = None
    var_override: Path | None = None
    # A return that would drop more than this share of the holders its scope currently reports is loaded only when
    # the uploader confirms it (`--confirm-shrink`, or the web page's confirmation step).
    shrink_limit_pct: float = 10.0
    # A password older than this many days is replaced at the next sign-in before anything else (0: never);
    # `ARCHIVE_CENSUS_PASSWORD_MAX_AGE_DAYS`.
    password_max_age_days: int = 90
    # A signed-in session with no request from its browser this long ends (`ARCHIVE_CENSUS_SESSION_IDLE_MINUTES`).
    session_idle_minutes: int = 30

    def today(self) -> date:
        """The day deadlines are judged on: `ARCHIVE_CENSUS_AS_OF` (the demo sets its own day), else today in Beijing."""
        return self.as_of or beijing_today()

    @property
    def var_dir(self) -> Path:
        """The folder for reports, snapshots, uploads and secrets: `ARCHIVE_CENSUS_VAR_DIR`, else beside the file."""
        return self.var_override or self.db_path.parent

    @property
    def is_ducklake(self) -> bool:
        """True when the warehouse is a DuckLake (catalog in PostgreSQL) rather than the embedded file."""
        return self.warehouse_url is not None

    def describe_warehouse(self) -> str:
        """Where the warehouse is, for messages (the catalog's connection keywords, never a password)."""
        if self.warehouse_url is None:
            return str(self.db_path)
        keywords = without_password(self.warehouse_url[len(DUCKLAKE_POSTGRES_PREFIX) :])
        return f"DuckLake（PostgreSQL 目录 {keywords}，数据目录 {self.data_path}）"


# libpq's password keyword with its value: a word, or quoted (spaces and \' inside) as libpq allows.
_PASSWORD_KEYWORD = re.compile(r"\s*\bpassword\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S*)")


def without_password(keywords: str) -> str:
    """libpq connection keywords without the password (`password='a b'` whole, not cut at its space)."""
    return _PASSWORD_KEYWORD.sub("", keywords).strip()


def parse_warehouse(value: str | None, db_path: str | Path | None, env: dict[str, str]) -> tuple[Path, str | None]:
    """The embedded file and the DuckLake URL (or None) a `--warehouse` / `--db` pair or the environment names.

    What the command line says comes before the environment: `--warehouse`, else `--db` (the embedded file it names,
    even where `ARCHIVE_CENSUS_WAREHOUSE` names a DuckLake: a run aimed at a file of one's own never writes to the
    shared warehouse), else `ARCHIVE_CENSUS_WAREHOUSE`, else `ARCHIVE_CENSUS_DB`.
    """
    for option, given in (("--db", db_path), ("--warehouse", value)):
        if given is not None and not str(given).strip():
            # An unset shell variable (--db "$WAREHOUSE") would otherwise fall back to the default warehouse.
            raise UsageError(f"{option} 不能为空。", hint=f"请给出数据仓库的位置，或去掉 {option}（使用默认位置）。")
    if db_path and not value:
        return Path(db_path), None
    value = value or env.get("ARCHIVE_CENSUS_WAREHOUSE") or None
    if value and value.startswith("ducklake:"):
        if not value.startswith(DUCKLAKE_POSTGRES_PREFIX) or not value[len(DUCKLAKE_POSTGRES_PREFIX) :].strip():
            raise UsageError(
                f"不支持的数据仓库地址「{value}」。",
                hint="DuckLake 的目录须在 PostgreSQL 中，例如 "
                "ducklake:postgres:dbname=census host=127.0.0.1 port=5432 user=census。",
            )
        return Path(db_path or env.get("ARCHIVE_CENSUS_DB") or DEFAULT_DB), value
    if value and db_path and Path(value.removeprefix("duckdb:")) != Path(db_path):
        raise UsageError("--warehouse 与 --db 指向了不同的数据仓库文件。", hint="只需给出其中一个。")
    embedded = value.removeprefix("duckdb:") if value else None
    return Path(db_path or embedded or env.get("ARCHIVE_CENSUS_DB") or DEFAULT_DB), None


def env_number(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    whole: bool = True,
    zero: bool = False,
    minimum: float = 0,
    maximum: float = math.inf,
    default_note: str | None = None,
) -> float:
    """A positive number (whole unless `whole` is False; 0 too when `zero`; from `minimum` to `maximum`) from the
    environment variable `name`, or `default` when it is unset or empty; a UsageError naming the variable when it is
    anything else (its hint gives `default_note`, else the default)."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text) if text.isascii() and (text.isdigit() or not whole) else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        kind = ("非负" if zero else "正") + ("整数" if whole else "数")
        raise UsageError(
            f"环境变量 {name} 的值「{text}」不是{kind}。",
            hint=f"请改为{kind}，或不设置此变量（{default_note or f'默认 {default:g}'}）。",
        )
    if not minimum <= value <= maximum:
        said, wanted = (
            (f"小于允许的最小值 {minimum:g}", f"不小于 {minimum:g}")
            if value < minimum
            else (f"超过允许的最大值 {maximum:g}", f"不超过 {maximum:g}")
        )
        raise UsageError(
            f"环境变量 {name} 的值「{text}」{said}。",
            hint=f"请改为{wanted}的数，或不设置此变量（{default_note or f'默认 {default:g}'}）。",
        )
    return int(value) if whole else value


def env_day(env: Mapping[str, str], name: str) -> date | None:
    """A YYYY-MM-DD day from the environment variable `name` (None when unset or empty); a UsageError otherwise."""
    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"环境变量 {name} 的值「{text}」不是日期。", hint="请按“年-月-日”填写，如 2025-06-30，或不设置此变量。"
        ) from None


# ARCHIVE_CENSUS_DATA_DOCS: "deferred" (default, also "1": built on first request), "inline" (built during
# validation), "0" or "off" (no validation results kept, no Data Docs).
DATA_DOCS_MODES = ("deferred", "1", "inline", "0", "off")
# How an ingestion runs: "auto" (as a Prefect flow when PREFECT_API_URL names a server, else directly), or either.
ORCHESTRATORS = ("auto", "prefect", "direct")


def env_choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    """One of `choices` from the environment variable `name` (`default` when unset or empty); a UsageError naming
    the variable otherwise (a misspelt mode would silently be the default)."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if text not in choices:
        raise UsageError(
            f"环境变量 {name} 的值「{text}」无效。",
            hint=f"可选：{'、'.join(choices)}；或不设置此变量（默认 {default}）。",
        )
    return text


def require_prefect_api_url(env: Mapping[str, str]) -> None:
    """A UsageError when PREFECT_API_URL is set to something that is not an http(s) address (it was taken for a
    server that does not answer: exit 3, "retry")."""
    url = (env.get("PREFECT_API_URL") or "").strip()
    if url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url, flags=re.IGNORECASE):
        raise UsageError(
            f"环境变量 PREFECT_API_URL 的值「{url[:80]}」不是 http:// 或 https:// 开头的网址。",
            hint="请改为 Prefect 服务器的 API 地址（如 http://127.0.0.1:4200/api），或不设置此变量（在本机直接装载）。",
        )


def load_settings(db_path: str | Path | None = None, warehouse: str | None = None) -> Settings:
    """Settings from arguments, then `ARCHIVE_CENSUS_*` environment variables, then defaults."""
    env = dict(os.environ)
    path, url = parse_warehouse(warehouse, db_path, env)
    data_path = env.get("ARCHIVE_CENSUS_DATA_PATH")
    if url is not None and not data_path:
        raise UsageError(
            "使用 DuckLake 数据仓库时必须指定数据文件目录。",
            hint="请设置环境变量 ARCHIVE_CENSUS_DATA_PATH（所有写入进程共享的目录，例如 /srv/census/lake）。",
        )
    if url is not None and data_path and not Path(data_path).is_absolute():
        # The lake records its folder: a relative one would name another folder from every other working directory.
        raise UsageError(
            f"ARCHIVE_CENSUS_DATA_PATH 是相对路径「{data_path}」：数据仓库记下的数据目录须是绝对路径。",
            hint="请写成每台机器上都相同的绝对路径，例如 /srv/census/lake。",
        )
    data_docs = env_choice(env, "ARCHIVE_CENSUS_DATA_DOCS", DATA_DOCS_MODES, "deferred")
    require_prefect_api_url(env)
    return Settings(
        db_path=path,
        max_upload_bytes=int(env_number(env, "ARCHIVE_CENSUS_MAX_UPLOAD_MB", 100)) * 1024 * 1024,
        # The reader child's address space: Python, polars and calamine alone take about 1.2 GB of it (1,024 MB:
        # every read aborted, even of a small workbook; 2026-12-04).
        reader_memory_mb=int(env_number(env, "ARCHIVE_CENSUS_READER_MEMORY_MB", 4096, minimum=READER_MEMORY_MIN_MB)),
        reader_timeout_s=env_number(env, "ARCHIVE_CENSUS_READER_TIMEOUT_S", 300, whole=False),
        max_evidence_bytes=int(env_number(env, "ARCHIVE_CENSUS_MAX_EVIDENCE_MB", 50)) * 1024 * 1024,
        orchestrator=env_choice(env, "ARCHIVE_CENSUS_ORCHESTRATOR", ORCHESTRATORS, "auto"),
        save_data_docs=data_docs == "inline",
        keep_validation_results=data_docs not in ("0", "off"),
        as_of=env_day(env, "ARCHIVE_CENSUS_AS_OF"),
        warehouse_url=url,
        data_path=Path(data_path).absolute() if url is not None and data_path else None,
        var_override=Path(env[VAR_DIR_ENV]) if env.get(VAR_DIR_ENV) else None,
        shrink_limit_pct=env_number(env, "ARCHIVE_CENSUS_SHRINK_LIMIT_PCT", 10.0, whole=False, zero=True),
        password_max_age_days=int(env_number(env, "ARCHIVE_CENSUS_PASSWORD_MAX_AGE_DAYS", 90, zero=True)),
        session_idle_minutes=int(env_number(env, "ARCHIVE_CENSUS_SESSION_IDLE_MINUTES", 30, maximum=720)),
    )
