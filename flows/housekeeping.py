"""Housekeeping of files the pipeline leaves beside the warehouse: Data Docs sites are pruned.

Policy: a Data Docs site (one folder per submission, `<kind>-<province or national>-<sha256[:12]>_<its stamp>`, or
per file content for a submission of an earlier version) is kept while its file is a current submission, for
`data_docs_keep_days` after its validation, and the `data_docs_keep` newest sites of each form kind and province are
kept whatever their age and outcome (a rejected return's docs are what its sender is looking at, and a province's
prefectures and counties validate in the same group); every other site is removed after each validation. The shared
`_static` folder stays.
"""

from __future__ import annotations

import shutil
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from census_schema.settings import Settings

DATA_DOCS_DIR = "data_docs"


def prune_data_docs(settings: Settings, current_sha256: Iterable[str]) -> list[Path]:
    """Remove the Data Docs sites the policy does not keep; the removed folders."""
    root = settings.var_dir / DATA_DOCS_DIR
    if not root.is_dir():
        return []
    current = {sha[:12] for sha in current_sha256}
    groups: dict[str, list[Path]] = defaultdict(list)
    for site in root.iterdir():
        if site.is_dir() and not site.is_symlink() and not site.name.startswith(("_", ".")) and "-" in site.name:
            groups[site.name.rsplit("-", 1)[0]].append(site)
    removed = []
    recent = time.time() - settings.data_docs_keep_days * 86_400
    for sites in groups.values():
        sites.sort(key=lambda s: s.stat().st_mtime_ns, reverse=True)
        for site in sites[settings.data_docs_keep :]:
            # <sha256[:12]>, then the submission's stamp (or, while it is validated, a token): flows.data_docs.
            if site.name.rsplit("-", 1)[1].split("_")[0] not in current and site.stat().st_mtime < recent:
                shutil.rmtree(site, ignore_errors=True)
                removed.append(site)
    return removed
