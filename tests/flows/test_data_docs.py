"""Data Docs of a submission: kept as GX results by the ingestion, built as a site when first asked for."""

from __future__ import annotations

import re

import pytest

from census_schema.settings import load_settings
from flows.data_docs import ensure_data_docs, has_data_docs, submission_data_docs_dir
from flows.ingest import IngestRequest, ingest_workbook
from tests.flows.workbooks import PROVINCE, census_workbook
from warehouse.backends import EmbeddedWarehouse
from warehouse.queries import list_submissions


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.delenv("ARCHIVE_CENSUS_DATA_DOCS", raising=False)
    return load_settings(tmp_path / "var" / "w.duckdb")


def test_by_default_the_answer_does_not_wait_for_data_docs_but_they_can_be_built(settings, tmp_path):
    store = EmbeddedWarehouse(settings.db_path)
    bad = census_workbook(tmp_path / "bad.xlsx", 2, {1: {"vol_total": 1001}})
    outcome = ingest_workbook(store, IngestRequest(bad, "census", PROVINCE, "张三"), settings)
    assert outcome.status == "rejected"
    assert outcome.data_docs is not None and not (outcome.data_docs / "index.html").exists()
    assert has_data_docs(outcome.data_docs)
    with store.reader() as con:
        (submission,) = list_submissions(con, PROVINCE)
    folder = submission_data_docs_dir(settings, submission)
    assert folder == outcome.data_docs
    index = ensure_data_docs(folder)
    assert index is not None and index.is_file() and outcome.to_json()["data_docs"] == str(index)
    assert "vol_total_sum" in "".join(p.read_text(encoding="utf-8") for p in (folder / "validations").rglob("*.html"))
    assert ensure_data_docs(folder) == index  # built once


def test_each_submission_of_the_same_file_keeps_its_own_validation(settings, tmp_path):
    # Every upload of one file shared a folder, cleared at each validation: an older submission opened the last run.
    store = EmbeddedWarehouse(settings.db_path)
    bad = census_workbook(tmp_path / "bad.xlsx", 2, {1: {"vol_total": 1001}})
    first, second = (ingest_workbook(store, IngestRequest(bad, "census", PROVINCE, "张三"), settings) for _ in "12")
    assert (first.status, second.status) == ("rejected", "rejected") and first.submission_id != second.submission_id
    with store.reader() as con:
        recorded = {s["submission_id"]: s for s in list_submissions(con, PROVINCE)}
    folders = [submission_data_docs_dir(settings, recorded[o.submission_id]) for o in (first, second)]
    assert folders == [first.data_docs, second.data_docs] and folders[0] != folders[1]
    assert all(has_data_docs(folder) for folder in folders)
    stamp = first.submission_id.split("-", 2)[-1].replace("-", "_")
    assert folders[0].name.endswith(f"_{stamp}")


def test_switched_off_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_DOCS", "0")
    settings = load_settings(tmp_path / "var" / "w.duckdb")
    store = EmbeddedWarehouse(settings.db_path)
    outcome = ingest_workbook(
        store, IngestRequest(census_workbook(tmp_path / "c.xlsx", 2), "census", PROVINCE, "张三"), settings
    )
    assert outcome.data_docs is None and outcome.to_json()["data_docs"] is None


def test_inline_data_docs_are_built_with_the_validation(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_CENSUS_DATA_DOCS", "inline")
    settings = load_settings(tmp_path / "var" / "w.duckdb")
    outcome = ingest_workbook(
        EmbeddedWarehouse(settings.db_path),
        IngestRequest(census_workbook(tmp_path / "c.xlsx", 2), "census", PROVINCE, "张三"),
        settings,
    )
    assert outcome.data_docs is not None and (outcome.data_docs / "index.html").is_file()


def test_a_workbook_of_several_sheets_keeps_each_sheets_results_in_one_site(settings, tmp_path):
    from tests.flows.supervision_workbooks import CLOSE_WALK, finding, inspection, inspections_workbook

    path = inspections_workbook(tmp_path / "i.xlsx", [inspection(1)], [finding(1)], CLOSE_WALK)
    outcome = ingest_workbook(
        EmbeddedWarehouse(settings.db_path), IngestRequest(path, "inspections", None, "国家局"), settings
    )
    assert outcome.status == "accepted", outcome.failures
    assert outcome.data_docs is not None and len(list((outcome.data_docs / "results").glob("*.json"))) >= 2
    index = ensure_data_docs(outcome.data_docs)
    assert index is not None and index.is_file()


def loaded_addresses(html: str) -> list[str]:
    """What a page makes the browser load: scripts, stylesheets, icons, images, and CSS url()s."""
    tags = re.findall(r"<(?:script|img)\b[^>]*\bsrc=[\"']([^\"']+)", html)
    links = re.findall(r"<link\b[^>]*\bhref=[\"']([^\"']+)", html)
    return tags + links + re.findall(r"url\([\"']?([^\"')]+)", html)


def test_every_page_loads_only_files_of_its_own_site_and_a_site_built_before_is_mended(settings, tmp_path, monkeypatch):
    store = EmbeddedWarehouse(settings.db_path)
    bad = census_workbook(tmp_path / "bad.xlsx", 2, {1: {"vol_total": 1001}})
    outcome = ingest_workbook(store, IngestRequest(bad, "census", PROVINCE, "张三"), settings)
    folder = outcome.data_docs
    # Built as the previous version built it: loading jQuery, Bootstrap and bootstrap-table from public CDNs.
    monkeypatch.setattr("checks.suite.make_offline", lambda _site: None)
    ensure_data_docs(folder)
    before = {p: loaded_addresses(p.read_text(encoding="utf-8")) for p in folder.rglob("*.html")}
    assert any(address.startswith("https://") for addresses in before.values() for address in addresses)
    monkeypatch.undo()

    ensure_data_docs(folder)  # as the next request to the site does
    pages = [p for p in folder.rglob("*.html") if "static" not in p.relative_to(folder).parts]
    assert len(pages) >= 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for address in loaded_addresses(html):
            assert not re.match(r"^(https?:)?//", address), (page, address)
            assert (page.parent / address.split("?")[0]).resolve().is_file(), (page, address)
        assert "vegaEmbed(" not in html and "bootstrap-dark" not in html
        assert "newsletter" not in html  # GX's footer asked to subscribe to it, a link out of the network
    assert "vol_total_sum" in "".join(p.read_text(encoding="utf-8") for p in pages)


def test_a_cell_s_markup_is_shown_as_text_in_the_data_docs_and_a_site_built_before_is_built_again(
    settings, tmp_path, monkeypatch
):
    # A probe's unit name <img src=x onerror=...> ran in the reviewer's Data Docs page (GX renders observed values as
    # HTML): it could rewrite the page to say the rejected return had passed.
    markup = '<img src=x onerror="document.body.innerHTML=1">'
    bad = census_workbook(tmp_path / "bad.xlsx", 2, {1: {"unit_name": markup + "超" * 100}})
    outcome = ingest_workbook(
        EmbeddedWarehouse(settings.db_path), IngestRequest(bad, "census", PROVINCE, "张三"), settings
    )
    assert outcome.status == "rejected"
    folder = outcome.data_docs

    def pages() -> str:
        return "".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.html") if "static" not in p.parts)

    # Built as the previous version built it: the values as they were.
    monkeypatch.setattr("checks.suite.escaped_observations", lambda result: result)
    ensure_data_docs(folder)
    (folder / ".escaped").unlink()
    assert markup in pages()
    monkeypatch.undo()

    ensure_data_docs(folder)  # as the next request to the site does
    text = pages()
    assert "<img src=x" not in text and "&lt;img src=x onerror=&quot;document.body.innerHTML=1&quot;&gt;" in text
    assert "&amp;lt;" not in text  # escaped once, shown as typed
    for page in folder.rglob("*.html"):  # built again, and made offline again
        assert not any(re.match(r"^(https?:)?//", a) for a in loaded_addresses(page.read_text(encoding="utf-8")))
