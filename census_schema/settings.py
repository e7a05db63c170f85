"""One settings object, read from the environment when asked for, never at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DEFAULT_DB = Path("var") / "warehouse.duckdb"


@dataclass(frozen=True)
class Settings:
    """Where the warehouse lives and the limits uploads are held to."""

    db_path: Path
    max_upload_bytes: int = 100 * 1024 * 1024
    max_uncompressed_bytes: int = 1536 * 1024 * 1024
    max_compression_ratio: int = 200
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
        orchestrator=env.get("ARCHIVE_CENSUS_ORCHESTRATOR", "auto"),
        # ARCHIVE_CENSUS_DATA_DOCS: "deferred" (default, also "1"), "inline" (built during validation), "0" or "off".
        save_data_docs=env.get("ARCHIVE_CENSUS_DATA_DOCS", "deferred") == "inline",
        keep_validation_results=env.get("ARCHIVE_CENSUS_DATA_DOCS", "deferred") not in ("0", "off"),
        as_of=date.fromisoformat(env["ARCHIVE_CENSUS_AS_OF"]) if env.get("ARCHIVE_CENSUS_AS_OF") else None,
    )
