"""A stray entry in the data (a number typed below the table, a note) is one row-level error naming its cells, not an
error for each empty required cell of the row, and the row is not read."""

from __future__ import annotations

import openpyxl
from openpyxl.utils import get_column_letter

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.fields import Severity
from census_schema.layout import FIRST_DATA_ROW
from census_schema.rule_titles import rule_title
from flows.parse import parse_form_sheet
from tests.flows.workbooks import holder_rows, write_rows

RULE = "row_nearly_empty"


def with_cells(path, sheet: str, cells: dict[tuple[int, int], object]):
    workbook = openpyxl.load_workbook(path)
    for (row, column), value in cells.items():
        workbook[sheet].cell(row, column).value = value
    workbook.save(path)
    return path


def test_a_stray_number_below_the_table_is_one_row_error_and_is_not_read(tmp_path):
    path = write_rows(tmp_path / "c.xlsx", CENSUS_FORM, holder_rows(CENSUS_FORM, 2))
    column, stray = CENSUS_FORM.field_names.index("vol_total") + 1, FIRST_DATA_ROW + 4  # two blank rows above it
    parsed = parse_form_sheet(with_cells(path, CENSUS_FORM.sheet_name, {(stray, column): 5}), CENSUS_FORM)
    # It was a holder missing 40-odd required cells: 47 errors for one digit.
    assert [(f.row, f.field, f.rule, f.severity) for f in parsed.failures] == [(stray, None, RULE, Severity.ERROR)]
    assert parsed.failures[0].message.startswith(
        f"此行只填了 1 个单元格（{get_column_letter(column)}{stray}：5），其余为空"
    )
    assert parsed.rows.height == 2 and rule_title(RULE) == "几乎为空的行"


def test_a_row_of_three_cells_is_a_row_judged_cell_by_cell(tmp_path):
    row = {name: holder_rows(CENSUS_FORM, 1)[0][name] for name in ("uscc", "unit_name", "holder_type")}
    parsed = parse_form_sheet(
        write_rows(tmp_path / "c.xlsx", CENSUS_FORM, [*holder_rows(CENSUS_FORM, 1), row]), CENSUS_FORM
    )
    assert RULE not in {f.rule for f in parsed.failures} and parsed.rows.height == 2


def test_a_form_of_few_required_columns_reads_a_short_row_as_a_row(tmp_path):
    short = {"uscc": holder_rows(REGISTER_FORM, 1)[0]["uscc"]}
    parsed = parse_form_sheet(write_rows(tmp_path / "r.xlsx", REGISTER_FORM, [short]), REGISTER_FORM)
    assert sum(f.required for f in REGISTER_FORM.fields) < 10 and RULE not in {f.rule for f in parsed.failures}
    assert parsed.rows.height == 1
