"""Cells merged over data rows are an error at the merge's top-left cell, marked in the report like any other, since
only that cell holds the merge's value; merges in the title, the header or columns the form does not read pass."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from census_schema.census_form import CENSUS_FORM
from census_schema.layout import FIRST_DATA_ROW
from census_schema.rule_titles import rule_title
from cli.main import main
from flows.measure import _Counter
from tests.cli.test_light_commands import empty_warehouse
from tests.flows.hostile import DATA_SHEET, rewrite
from tests.flows.workbooks import PROVINCE, census_workbook

HEADER_ROW = FIRST_DATA_ROW - 1


def merged(ref: str):
    def edit(xml: bytes) -> bytes:
        return xml.replace(
            b"</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}" /></mergeCells>'.encode(), 1
        )

    return edit


def dry_run(tmp_path: Path, ref: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    """`ingest census --json --dry-run` of a three-holder return with `ref` merged (the covered cells keep their
    values): its exit code and its JSON."""
    path = rewrite(census_workbook(tmp_path / "c.xlsx", 3), tmp_path / "m.xlsx", {DATA_SHEET: merged(ref)})
    return ingest(tmp_path, path, capsys, *extra)


def ingest(tmp_path: Path, path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    argv = ["ingest", "census", str(path), "--province", PROVINCE, "--db", empty_warehouse(tmp_path / "w.duckdb")]
    argv.append("--json")
    code = main([*argv, "--dry-run", "--orchestrator", "direct", *extra])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("ref", "row", "field"),
    [
        (f"B{FIRST_DATA_ROW}:B{FIRST_DATA_ROW + 1}", FIRST_DATA_ROW, "unit_name"),  # down a column
        (f"A{FIRST_DATA_ROW}:C{FIRST_DATA_ROW}", FIRST_DATA_ROW, "uscc"),  # across a row
        (f"B{HEADER_ROW}:B{FIRST_DATA_ROW + 1}", HEADER_ROW, "unit_name"),  # from the header down into the data
    ],
)
def test_cells_merged_over_data_rows_are_an_error_marked_at_the_merge(tmp_path, capsys, ref, row, field):
    report = tmp_path / "report.xlsx"
    code, answer = dry_run(tmp_path, ref, capsys, "--report", str(report))
    assert code == 1 and "error" not in answer
    [failure] = [f for f in answer["failures"] if f["rule"] == "cell_merged"]
    assert (failure["sheet"], failure["row"], failure["field"]) == (CENSUS_FORM.sheet_name, row, field)
    assert failure["message"].startswith(f"{ref}（第 {row}") and "取消合并" in failure["message"]
    top_left = openpyxl.load_workbook(report)[CENSUS_FORM.sheet_name][ref.split(":")[0]]
    assert top_left.comment is not None and f"合并单元格：{ref}（" in top_left.comment.text
    assert rule_title("cell_merged") == "合并单元格"


def test_a_cell_a_merge_hides_is_listed_not_marked(tmp_path, capsys):
    # Merged as Excel merges: the lower cell emptied, so it fails as unfilled; the report marks only what is seen.
    path = census_workbook(tmp_path / "c.xlsx", 3)
    workbook = openpyxl.load_workbook(path)
    workbook[CENSUS_FORM.sheet_name].merge_cells(f"B{FIRST_DATA_ROW}:B{FIRST_DATA_ROW + 1}")
    workbook.save(path)
    report = tmp_path / "report.xlsx"
    code, answer = ingest(tmp_path, path, capsys, "--report", str(report))
    assert code == 1
    assert (FIRST_DATA_ROW + 1, "unit_name") in {(f["row"], f["field"]) for f in answer["failures"]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # openpyxl warns of a comment on a cell a merge hides
        sheet = openpyxl.load_workbook(report)[CENSUS_FORM.sheet_name]
    assert sheet[f"B{FIRST_DATA_ROW}"].comment is not None


def test_merged_header_cells_are_fine(tmp_path, capsys):
    code, answer = dry_run(tmp_path, "A1:C1", capsys)
    assert code == 0 and not answer["failures"], answer


def test_cells_merged_beside_the_table_are_fine(tmp_path, capsys):
    beyond = get_column_letter(len(CENSUS_FORM.fields) + 2)
    code, answer = dry_run(tmp_path, f"{beyond}{FIRST_DATA_ROW}:{beyond}{FIRST_DATA_ROW + 2}", capsys)
    assert code == 0 and not answer["failures"], answer


def test_merged_ranges_are_found_once_wherever_the_chunks_split_them():
    xml = (
        b'<row r="9"/></sheetData><mergeCells count="2"><mergeCell ref="B4:B6"/><mergeCell ref="A10:C10"/></mergeCells>'
    )
    for cut in range(1, len(xml)):
        counter = _Counter("")
        counter.feed(xml[:cut])
        counter.feed(xml[cut:])
        assert counter.merged == ["B4:B6", "A10:C10"], cut
