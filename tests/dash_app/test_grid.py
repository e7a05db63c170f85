"""Column sizing of the grids drawn with fit_width (dash_app.grid): from what a column can hold, not from its rows."""

from __future__ import annotations

import pytest

from census_schema.supervision.codes import FINDING_ACTION, FINDING_STATUS
from dash_app.grid import FITTED_PADDING_PX, Column, grid_block, text_width
from dash_app.pages.inspections import HISTORY_COLUMNS

# The history grid's width in a 1,400-pixel window (the page's margins and the grid's borders taken off).
HISTORY_GRID_PX = 1348


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("", 0),
        ("已提交整改报告", 98),  # one em (14 px) a CJK character
        ("（）", 28),  # full-width punctuation too
        ("guangdong", 82),  # 0.65 em the others
        ("0000年00月00日", 115),
    ],
)
def test_text_width_allows_one_em_a_cjk_character_and_0_65_em_the_others(text, width):
    assert text_width(text) == width


def test_a_fitted_column_holds_the_longest_value_of_its_code_list_and_its_header():
    action = Column("action", "操作", fits=FINDING_ACTION.values)
    longest = max(FINDING_ACTION.values, key=len)
    assert action.definition(fitted=True)["width"] == text_width(longest) + 2 * FITTED_PADDING_PX
    seq = Column("seq", "序号", "int", fits=("999",))
    assert seq.definition(fitted=True)["width"] == seq.header_width() > text_width("999")
    # Outside a fitted grid, columns keep their sizing to content.
    assert "width" not in action.definition()


def test_a_fitted_column_that_neither_wraps_nor_knows_its_widest_value_is_refused():
    with pytest.raises(ValueError, match="unit_name"):
        grid_block("g", [Column("unit_name", "单位")], fit_width=True)


def test_the_history_grid_fits_a_1400_pixel_window_with_every_state_and_action_whole():
    definitions = {c.field: c.definition(fitted=True) for c in HISTORY_COLUMNS}
    for field in ("action", "from_status", "to_status"):
        values = FINDING_ACTION.values if field == "action" else FINDING_STATUS.values
        assert definitions[field]["minWidth"] >= max(map(text_width, values)) + 2 * FITTED_PADDING_PX
    assert sum(d["minWidth"] for d in definitions.values()) <= HISTORY_GRID_PX
    # What is not a closed list wraps, in the width left.
    assert {f for f, d in definitions.items() if d.get("wrapText")} == {
        "changed_by",
        "note",
        "measures",
        "evidence_link",
    }
