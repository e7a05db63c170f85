"""A submission's GX Data Docs: where they live, and built from the kept validation results when first asked for.

Validation keeps GX's results beside the warehouse, a folder per submission
(`var/data_docs/<kind>-<province>-<sha256[:12]>_<the submission id's stamp>/results`, a few KB); rendering them as a
Data Docs site costs about a second, so it happens when someone opens them (the web app's `/data-docs/<submission>/`
route, `archive-census data-docs`), or in the background after a web upload's answer.
"""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from census_schema.settings import Settings
from checks.cells import EXCEL_ROW
from checks.data_docs_offline import make_offline

INDEX = "index.html"
# The column of a page's unexpected rows that gives their Excel row.
EXCEL_ROW_COLUMN = EXCEL_ROW
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def data_docs_dir(settings: Settings, kind: str, province_code: str | None, file_sha256: str) -> Path:
    """The Data Docs folder of a validated file by its kind, province and content: where a validation's results go
    until its submission is recorded (`validation_data_docs_dir`), and where earlier versions kept every upload of
    the same file (so an older submission opened the last one's run)."""
    # GX needs an absolute folder for a filesystem site.
    return (settings.var_dir / "data_docs" / f"{kind}-{province_code or 'national'}-{file_sha256[:12]}").resolve()


def validation_data_docs_dir(settings: Settings, kind: str, province_code: str | None, file_sha256: str) -> Path:
    """A new folder for one validation's results (named for its file, unique to it: two uploads of the same file are
    validated each into its own); `keep_submission_data_docs` names it for its submission once recorded."""
    folder = data_docs_dir(settings, kind, province_code, file_sha256)
    return folder.with_name(f"{folder.name}_{secrets.token_hex(4)}")


def _submission_folder(settings: Settings, submission: Mapping[str, Any]) -> Path:
    folder = data_docs_dir(settings, submission["kind"], submission["province_code"], submission["file_sha256"])
    # The id's stamp and suffix (S2024-440303-20261207T064014Z-f64720): one folder per submission.
    return folder.with_name(f"{folder.name}_{submission['submission_id'].split('-', 2)[-1].replace('-', '_')}")


def keep_submission_data_docs(settings: Settings, validated: Path, submission: Mapping[str, Any]) -> Path:
    """Name a validation's Data Docs folder for the submission recorded from it; the folder they are in now (the
    validation's own when it cannot be renamed, which the submission then does not find: said as none kept)."""
    kept = _submission_folder(settings, submission)
    with _lock(validated):
        try:
            validated.replace(kept)
        except OSError:
            return validated
    return kept


def no_data_docs(settings: Settings) -> str:
    """Why a submission has no Data Docs to open, the keeping policy (flows.housekeeping) in its own numbers."""
    return (
        f"没有保留校验详情（Data Docs）：已按保存期限清理（现行报表的一直保留，其余保留 {settings.data_docs_keep_days} 天，"
        f"且每类报表每个省份至少保留最近 {settings.data_docs_keep} 次校验的），或校验时关闭了 Data Docs"
        "（ARCHIVE_CENSUS_DATA_DOCS=0），或数据仓库是从别处复制来的、没有带上它旁边的 data_docs 文件夹。"
        "校验详情无法事后补建；退回的报表改正后重新上传，再次校验即有新的校验详情。"
    )


def submission_data_docs_dir(settings: Settings, submission: Mapping[str, Any]) -> Path:
    """The Data Docs folder of a recorded submission (a row of `submissions`): its own, or for one recorded by an
    earlier version, the folder of its file's content."""
    own = _submission_folder(settings, submission)
    if own.is_dir():
        return own
    return data_docs_dir(settings, submission["kind"], submission["province_code"], submission["file_sha256"])


def has_data_docs(folder: Path) -> bool:
    """True when a site was built there, or validation results were kept to build one."""
    return (folder / INDEX).is_file() or _kept_results(folder)


def _kept_results(folder: Path) -> bool:
    """True when validation results were kept in the folder to build a site from."""
    from checks.suite import RESULTS_FOLDER

    return any((folder / RESULTS_FOLDER).glob("*.json"))


def ensure_data_docs(folder: Path) -> Path | None:
    """The index.html of the folder's Data Docs, built now from the kept results if needed; None if none were kept."""
    # Imported here: only the requests that build a site pay for GX's renderers.
    from checks.suite import RESULTS_FOLDER, build_data_docs, built_escaped

    with _lock(folder):
        index = folder / INDEX
        # Every file a site's page loads asks again: a site built escaped is served without listing its results.
        if index.is_file() and (built_escaped(folder) or not _kept_results(folder)):
            make_offline(folder)  # a site built by an earlier version loads its scripts from the internet
            return index
        if not _kept_results(folder):
            return None
        # Never built, or built by an earlier version that put the workbook's values into the pages unescaped: that
        # site goes (its pages and its marks), the kept results stay and are built again.
        for built in folder.iterdir():
            if built.name == RESULTS_FOLDER:
                continue
            if built.is_dir() and not built.is_symlink():
                shutil.rmtree(built)
            else:
                built.unlink()
        return build_data_docs(folder)


def _lock(folder: Path) -> threading.Lock:
    # One build per folder at a time (a background build and a first request may race).
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(folder, threading.Lock())
