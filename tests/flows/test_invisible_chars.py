"""Characters no one sees in a text cell (controls, zero-width, text-direction overrides) are a located error in
every form, as are line breaks inside a short field; a long free text may hold line breaks."""

from __future__ import annotations

import pytest

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM, SIGN_OFF_FORM
from census_schema.fields import Severity
from flows.ingest import IngestRequest, ingest_workbook
from flows.parse import parse_form_sheet
from synthetic.holders import SIGN_OFF_BASE
from tests.flows.supervision_workbooks import (
    SELF,
    evaluation_workbook,
    indicators_workbook,
    inspection,
    inspections_workbook,
    score_sheet,
)
from tests.flows.workbooks import PROVINCE, census_workbook, holder_rows, register_workbook, write_rows

FORM = CENSUS_FORM
# openpyxl refuses control characters; Excel's escape _xHHHH_ is what a file holds, and the reader decodes it.
BELL, ESC = "_x0007_", "_x001B_"


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("unit_name", f"广州市档案馆{BELL}"),
        ("unit_name", f"广州市{ESC}[31m档案馆"),
        ("unit_name", "广州市\u202e馆案档"),
        ("unit_name", "广州市\u2066档案馆\u2069"),
        ("unit_name", "广州市\ufeff档案馆"),
        ("unit_name", "广州市\u200d档案馆"),
        ("unit_name", "广州市\n档案馆"),
        ("contact_name", "张\u200c三"),
        # Drawn as nothing too (a probe's review reason carried them): a soft hyphen, the Hangul filler, tag letters.
        ("unit_name", "广州市\u00ad档案馆"),
        ("unit_name", "广州市\u3164档案馆"),
        ("remarks", "说明\U000e0041\U000e0042"),
        ("remarks", f"说明{BELL}"),
        ("uscc", None),  # a zero-width space inside the holder's own code
    ],
)
def test_an_invisible_character_in_a_census_text_cell_is_one_located_error(tmp_path, field, typed):
    rows = holder_rows(FORM, 2)
    if typed is None:
        typed = rows[1]["uscc"][:9] + "\u200b" + rows[1]["uscc"][9:]
    rows[1][field] = typed
    parsed = parse_form_sheet(write_rows(tmp_path / "c.xlsx", FORM, rows), FORM)
    found = [(f.row, f.field, f.rule) for f in parsed.failures]
    assert found == [(4, field, "cell_invisible_chars")]
    failure = parsed.failures[0]
    assert "不可见字符" in failure.message and "重新输入" in failure.message
    assert failure.value is not None and "[U+" in failure.value


def test_line_breaks_inside_a_long_free_text_are_kept(tmp_path):
    path = census_workbook(tmp_path / "c.xlsx", 1, {0: {"remarks": "第一行\n第二行\t说明", "unit_name": " 档案馆\n"}})
    parsed = parse_form_sheet(path, FORM)
    assert parsed.failures == []
    assert parsed.rows["remarks"].to_list() == ["第一行\n第二行\t说明"]


@pytest.fixture
def store(settings, tmp_path):
    from warehouse.backends import EmbeddedWarehouse

    return EmbeddedWarehouse(settings.db_path)


def rejected_at(store, settings, path, kind, province=None):
    outcome = ingest_workbook(store, IngestRequest(path, kind, province, "国家档案局"), settings)
    assert outcome.status == "rejected"
    return {(f.field, f.rule) for f in outcome.failures if f.rule == "cell_invisible_chars"}


def test_every_form_refuses_invisible_characters(store, settings, tmp_path):
    register = write_rows(
        tmp_path / "r.xlsx", REGISTER_FORM, [{**holder_rows(REGISTER_FORM, 1)[0], "unit_name": "档案\u200b馆"}]
    )
    assert rejected_at(store, settings, register, "register", PROVINCE) == {("unit_name", "cell_invisible_chars")}
    census = census_workbook(tmp_path / "c.xlsx", 1, {0: {"unit_name": "档案\u202e馆"}})
    assert register_workbook(tmp_path / "r2.xlsx", 1)
    assert rejected_at(store, settings, census, "census", PROVINCE) == {("unit_name", "cell_invisible_chars")}
    records = inspections_workbook(tmp_path / "i.xlsx", [inspection(organiser=f"国家{BELL}档案局")], [], [])
    assert rejected_at(store, settings, records, "inspections") == {("organiser", "cell_invisible_chars")}
    scores = evaluation_workbook(tmp_path / "e.xlsx", score_sheet(SELF, A1_1_1={"evidence": "材料\u2067一"}))
    assert rejected_at(store, settings, scores, "evaluation") == {("evidence", "cell_invisible_chars")}
    values = [{"indicator_code": "ZB01", "year": 2021, "province_code": None, "value": 30, "note": "来源\ufeff"}]
    indicators = indicators_workbook(tmp_path / "n.xlsx", values)
    assert rejected_at(store, settings, indicators, "indicators") == {("note", "cell_invisible_chars")}


# Invisible characters in a number or date cell: the invisible-character error (the cell's value with its marks), in
# place of the type's error, whether or not the cell would read without them: the marks show both the hidden
# characters and the rest of what was typed, and one rule holds for every cell.
@pytest.mark.parametrize(
    ("field", "typed", "shown"),
    [
        ("vol_total", "1234\u200b", "1234[U+200B]"),
        ("staff_fulltime", "\ufeff3", "[U+FEFF]3"),
        ("item_total", "1,234\u2060", "1,234[U+2060]"),
        ("fonds_count", f"1{BELL}", "1[U+0007]"),
        ("shelf_m", "12.5\u200e", "12.5[U+200E]"),
        ("e_gb", "０.５\u202c", "０.５[U+202C]"),
        ("photos", "\u200b", "[U+200B]"),  # looks empty
        ("av_reels", "12\n", "12"),  # a line break at the end is trimmed like a space: read as 12
        ("av_reels", "1\n2", "1[U+000A]2"),
        ("physical_items", "12件\u200b", "12件[U+200B]"),  # not a number even without it: still this error
    ],
)
def test_an_invisible_character_in_a_number_cell_is_that_error_not_the_type_error(tmp_path, field, typed, shown):
    rows = holder_rows(FORM, 2)
    rows[1][field] = typed
    parsed = parse_form_sheet(write_rows(tmp_path / "c.xlsx", FORM, rows), FORM)
    found = [(f.row, f.field, f.value, f.rule) for f in parsed.failures]
    if typed.strip() == "12":
        assert found == [] and parsed.rows[field].to_list()[1] == 12
    else:
        assert found == [(4, field, shown, "cell_invisible_chars")]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("2025-03-01\u200b", "2025-03-01[U+200B]"), ("\ufeff2025年3月1日", "[U+FEFF]2025年3月1日")],
)
def test_an_invisible_character_in_a_date_cell_is_that_error_not_the_type_error(tmp_path, typed, shown):
    path = write_rows(
        tmp_path / "c.xlsx", FORM, holder_rows(FORM, 1), sign_off=[{**SIGN_OFF_BASE, "reported_on": typed}]
    )
    parsed = parse_form_sheet(path, SIGN_OFF_FORM)
    row = parsed.header_row + 1
    assert [(f.row, f.field, f.value, f.rule) for f in parsed.failures] == [
        (row, "reported_on", shown, "cell_invisible_chars")
    ]


def test_invisible_characters_in_number_and_date_cells_reject_the_return_with_that_error_only(
    store, settings, tmp_path
):
    assert rejected_errors(store, settings, census_workbook(tmp_path / "c.xlsx", 2, {1: {"vol_total": "5\u200b"}})) == [
        (FORM.sheet_name, 4, "vol_total", "cell_invisible_chars")
    ]
    records = inspections_workbook(tmp_path / "i.xlsx", [inspection(notice_date="2023-03-01\ufeff", year="2023\u200b")])
    assert rejected_errors(store, settings, records, "inspections") == [
        ("检查记录", 3, "year", "cell_invisible_chars"),  # in the sheet's column order
        ("检查记录", 3, "notice_date", "cell_invisible_chars"),
    ]


def rejected_errors(store, settings, path, kind="census", province=PROVINCE):
    outcome = ingest_workbook(
        store, IngestRequest(path, kind, province if kind == "census" else None, "国家档案局"), settings
    )
    assert outcome.status == "rejected"
    return [(f.sheet, f.row, f.field, f.rule) for f in outcome.failures if f.severity is Severity.ERROR]
