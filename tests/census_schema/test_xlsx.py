"""The one helper every workbook writer sets text through: formula-like text stays text."""

import openpyxl
import pytest

from census_schema.fields import MAX_FILE_NAME_CHARS, shown_file_name
from census_schema.xlsx import looks_like_formula, set_cell_value
from tests.formula_text import INJECTION, assert_kept_as_text


@pytest.mark.parametrize(
    ("value", "formula_like"),
    [
        (INJECTION, True),
        ("=1+1", True),
        ("+1", True),
        ("-1+2", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("广州某国有企业", False),
        ("a=b", False),
        ("", False),
        (-1, False),
        (None, False),
    ],
)
def test_looks_like_formula(value, formula_like):
    assert looks_like_formula(value) is formula_like


# (A carriage return does not survive XML's line-end normalisation, so "\r=1" is only classified above.)
@pytest.mark.parametrize("value", [INJECTION, "+1", "-1", "@A1", "\t=1"])
def test_formula_like_text_is_written_as_text(tmp_path, value):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    set_cell_value(sheet["A1"], value)
    set_cell_value(sheet["A2"], "普通文字")
    set_cell_value(sheet["A3"], -3)
    workbook.save(tmp_path / "t.xlsx")

    read = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert_kept_as_text(read["A1"], value)
    assert (read["A2"].value, read["A2"].data_type, read["A2"].quotePrefix) == ("普通文字", "s", False)
    assert (read["A3"].value, read["A3"].data_type, read["A3"].quotePrefix) == (-3, "n", False)


def test_a_control_character_is_written_as_its_code(tmp_path):
    # openpyxl refuses such characters: one value in an export made the whole export fail.
    workbook = openpyxl.Workbook()
    set_cell_value(workbook.active["A1"], "广东\x01省\x1f")
    set_cell_value(workbook.active["A2"], "第一行\n第二行\t")
    workbook.save(tmp_path / "t.xlsx")
    read = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert (read["A1"].value, read["A2"].value) == ("广东[U+0001]省[U+001F]", "第一行\n第二行\t")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("广东省普查表.xlsx", "广东省普查表.xlsx"),
        ("a\x01b\u202e.xlsx", "a[U+0001]b[U+202E].xlsx"),
        ("长" * 300 + ".xlsx", "长" * (MAX_FILE_NAME_CHARS - 6) + "….xlsx"),
    ],
)
def test_an_uploaded_file_s_name_is_kept_visible_and_bounded(name, shown):
    assert shown_file_name(name) == shown
    assert len(shown_file_name(name)) <= MAX_FILE_NAME_CHARS
