"""One settings object, read from the environment when asked for, never at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DEFAULT_DB = Path("var") / "warehouse.duckdb"


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
    Data Docs of the `data_docs_keep` newest validations per form kind and province are kept (older ones are
    pruned after each validation), and those of current submissions always.
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
    orchestrator: str = "auto"
    # GX Data Docs. By default a validation keeps GX's results (a few KB) and the site is built when someone opens
    # it (or by the web app after answering an upload). save_data_docs builds it during the validation itself
    # (about a second more per validation); keep_validation_results False keeps nothing, so no Data Docs.
    save_data_docs: bool = False
    keep_validation_results: bool = True
    as_of: date | None = None

    def today(self) -> date:
        """The day deadlines are judged on: `ARCHIVE_CENSUS_AS_OF` (the demo sets its own day), else today."""
        return self.as_of or date.today()

    @property
    def var_dir(self) -> Path:
        """The folder beside the warehouse for reports, snapshots and secrets."""
        return self.db_path.parent


def load_settings(db_path: str | Path | None = None) -> Settings:
    """Settings from arguments, then `ARCHIVE_CENSUS_*` environment variables, then defaults."""
    env = os.environ
    path = Path(db_path) if db_path else Path(env.get("ARCHIVE_CENSUS_DB") or DEFAULT_DB)
    return Settings(
        db_path=path,
        max_upload_bytes=int(env.get("ARCHIVE_CENSUS_MAX_UPLOAD_MB", "100")) * 1024 * 1024,
        reader_memory_mb=int(env.get("ARCHIVE_CENSUS_READER_MEMORY_MB", "4096")),
        reader_timeout_s=float(env.get("ARCHIVE_CENSUS_READER_TIMEOUT_S", "300")),
        max_evidence_bytes=int(env.get("ARCHIVE_CENSUS_MAX_EVIDENCE_MB", "50")) * 1024 * 1024,
        orchestrator=env.get("ARCHIVE_CENSUS_ORCHESTRATOR", "auto"),
        # ARCHIVE_CENSUS_DATA_DOCS: "deferred" (default, also "1"), "inline" (built during validation), "0" or "off".
        save_data_docs=env.get("ARCHIVE_CENSUS_DATA_DOCS", "deferred") == "inline",
        keep_validation_results=env.get("ARCHIVE_CENSUS_DATA_DOCS", "deferred") not in ("0", "off"),
        as_of=date.fromisoformat(env["ARCHIVE_CENSUS_AS_OF"]) if env.get("ARCHIVE_CENSUS_AS_OF") else None,
    )
