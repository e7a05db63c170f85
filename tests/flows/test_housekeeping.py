"""Data Docs are pruned: the newest sites of each kind and province and those of current submissions stay."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from census_schema.settings import load_settings
from flows.data_docs import no_data_docs
from flows.housekeeping import prune_data_docs
from flows.ingest import IngestRequest
from flows.run import run_ingestion
from tests.flows.workbooks import PROVINCE, census_workbook


def test_data_docs_keep_the_newest_per_kind_and_province_and_every_current_one(tmp_path):
    settings = load_settings(tmp_path / "var" / "w.duckdb")
    root = settings.var_dir / "data_docs"
    (root / "_static").mkdir(parents=True)

    def name(scope: str, number: int) -> str:
        # A submission's own folder: its file's sha256[:12], then its id's stamp (flows.data_docs).
        return f"{scope}-{number:012x}_20261207T0640{number % 60:02d}Z_abc{number:03d}"

    for index in range(6):
        for offset, scope in ((0, "census-440000"), (100, "census-450000")):
            site = root / name(scope, index + offset)
            (site / "validations").mkdir(parents=True)
            os.utime(site, (1_000_000 + index, 1_000_000 + index))
    current = [f"{0:012x}" + "f" * 52]  # the oldest Guangdong return is still the current one
    removed = prune_data_docs(settings, current)
    kept = {p.name for p in root.iterdir()}
    assert "_static" in kept
    for offset, scope in ((0, "census-440000"), (100, "census-450000")):
        assert {name(scope, i + offset) for i in (3, 4, 5)} <= kept
        assert name(scope, 1 + offset) not in kept
    assert name("census-440000", 0) in kept and name("census-450000", 100) not in kept
    assert len(removed) == 2 * 3 - 1


def test_data_docs_validated_in_the_last_days_stay_whatever_their_number(tmp_path):
    # Three per kind and province were all a province, its prefectures and counties shared: in the reporting rush a
    # prefecture's link to its rejection's Data Docs died within minutes, saying Data Docs had been turned off.
    settings = load_settings(tmp_path / "var" / "w.duckdb")
    root = settings.var_dir / "data_docs"
    recent = [root / f"census-440000-{index:012x}" for index in range(settings.data_docs_keep + 3)]
    old = root / f"census-440000-{99:012x}"
    for site in (*recent, old):
        (site / "results").mkdir(parents=True)
    month_ago = time.time() - (settings.data_docs_keep_days + 1) * 86_400
    os.utime(old, (month_ago, month_ago))
    assert prune_data_docs(settings, []) == [old]
    assert sorted(root.iterdir()) == sorted(recent)
    assert f"保留 {settings.data_docs_keep_days} 天" in no_data_docs(settings)


def test_each_ingestion_prunes_the_data_docs_it_no_longer_needs(tmp_path):
    settings = dataclasses.replace(
        load_settings(tmp_path / "var" / "w.duckdb"), save_data_docs=True, data_docs_keep=1, data_docs_keep_days=0
    )
    sites = []
    for count in (2, 3):
        request = IngestRequest(census_workbook(tmp_path / f"c{count}.xlsx", count), "census", PROVINCE, "测试")
        outcome = run_ingestion(request, settings, "direct")
        assert outcome["status"] == "accepted"
        sites.append(Path(outcome["data_docs"]).parent)
    # The first return is superseded and older than the newest one kept: its site is gone, the current one stays.
    assert not sites[0].exists() and sites[1].is_dir()
