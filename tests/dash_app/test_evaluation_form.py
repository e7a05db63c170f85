"""The scoring form's judgement of one field, without a server or a browser: what the slot beside a field says once
the evaluator leaves it (dash_app.pages.evaluation.judge_score_text and field_slot), in the save's own words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from census_schema.supervision.evaluation import EVALUATION_RULES_BY_ID, get_standard
from dash_app.pages.evaluation import field_slot, judge_score_text, pending_block, shown_status

STANDARD = get_standard()
MISSING = EVALUATION_RULES_BY_ID["score_complete"].message
NO_VERDICT = EVALUATION_RULES_BY_ID["veto_verdict_required"].message
VETO = STANDARD.veto_items[0].code

# (item, typed, what the slot says): A1.1.2 is worth 10, B5 (a bonus item) 5.
JUDGED = [
    ("A1.1.2", None, ""),
    ("A1.1.2", "", ""),
    ("A1.1.2", "  ", ""),
    ("A1.1.2", "0", ""),
    ("A1.1.2", "10", ""),
    ("A1.1.2", "9.5", ""),
    ("A1.1.2", "９．５", ""),  # full-width, as typed with a Chinese input method
    # A comma is no decimal point: 1,000 (thousands, in Chinese usage) was read as 1.0, 7,5 as 7.5.
    ("A1.1.2", "9，5", "「9，5」含逗号：得分请用小数点「.」表示小数，不要用逗号。"),
    ("A1.1.2", "7,5", "「7,5」含逗号：得分请用小数点「.」表示小数，不要用逗号。"),
    ("A1.1.2", "1,000", "「1,000」含逗号：得分请用小数点「.」表示小数，不要用逗号。"),
    ("A1.1.2", "12", "得分须在 0 至该评分项满分之间。（填写 12，满分 10）"),
    ("A1.1.2", "10.1", "得分须在 0 至该评分项满分之间。（填写 10.1，满分 10）"),
    ("A1.1.2", "-3", "得分须在 0 至该评分项满分之间。（填写 -3，满分 10）"),
    ("A1.1.2", "9.75", "得分最多保留一位小数。（填写 9.75）"),
    ("A1.1.2", "九", "「九」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。"),
    ("A1.1.2", "nan", "「nan」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。"),
    ("A1.1.2", "９．５０", ""),  # a full-width point and a trailing zero
    ("A1.1.2", "９，５０", "「９，５０」含逗号：得分请用小数点「.」表示小数，不要用逗号。"),
    ("A1.1.2", ".5", ""),
    # Only digits with at most one decimal point, as the browser's running subtotals read them too.
    ("A1.1.2", "1e9999", "「1e9999」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。"),
    ("A1.1.2", "5e-1", "「5e-1」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。"),
    ("A1.1.2", "1_0", "「1_0」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。"),
    (
        "A1.1.2",
        "٣",
        "「٣」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。",
    ),  # an Arabic-Indic digit: Python's Decimal reads it, the browser does not
    ("A1.1.2", "9.5.", "「9.5.」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。"),
    ("A1.1.2", "99999999999999999999", "得分须在 0 至该评分项满分之间。（填写 99999999999999999999，满分 10）"),
    ("B5", "5", ""),
    ("B5", "6", "加分须在 0 至该加分项上限之间。（填写 6，上限 5）"),
    ("B5", "0.25", "得分最多保留一位小数。（填写 0.25）"),
    ("B5", "五", "「五」不是数字：请填写 0 至 5 之间的数，最多保留一位小数。"),
]


@pytest.mark.parametrize(("code", "typed", "said"), JUDGED)
def test_a_field_is_judged_by_itself_in_the_save_s_words(code, typed, said):
    assert STANDARD.items_by_code["A1.1.2"].max_points == 10 and STANDARD.bonus_by_code["B5"].max_points == 5
    assert judge_score_text(code, typed, "evaluator") == said


# (item, typed, what the slot showed before it was left, what it shows after).
LEFT = [
    # A problem of the value shows at once and goes once corrected (or emptied: a draft may leave an item).
    ("A1.1.2", "12", None, "得分须在 0 至该评分项满分之间。（填写 12，满分 10）"),
    ("A1.1.2", "8", "得分须在 0 至该评分项满分之间。（填写 12，满分 10）", ""),
    ("A1.1.2", "", "「九」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。", ""),
    # A refused submit's 须评分 stays while the field stays empty (tabbing through the form) and goes once scored.
    ("A1.1.2", "", MISSING, MISSING),
    ("A1.1.2", "8", MISSING, ""),
    ("A1.1.2", "12", MISSING, "得分须在 0 至该评分项满分之间。（填写 12，满分 10）"),
    # A veto item's missing verdict is the verdict's, not its score's: it stays while the item is scored.
    (VETO, "1", NO_VERDICT, NO_VERDICT),
    (VETO, "99", NO_VERDICT, f"得分须在 0 至该评分项满分之间。（填写 99，满分 {STANDARD.items_by_code[VETO].max_points}） {NO_VERDICT}"),
    (VETO, "", NO_VERDICT, ""),
]  # fmt: skip


@pytest.mark.parametrize(("code", "typed", "shown", "after"), LEFT)
def test_leaving_a_field_keeps_what_its_text_does_not_settle(code, typed, shown, after):
    assert field_slot(code, typed, shown, "evaluator") == after


def test_the_reconciliation_list_gives_every_expert_s_score_to_one_decimal():
    # A probe read 刘洋（evaluator） 10.0；朱帆芳 0；梁涛华 0 for a bonus item two experts left blank.
    from decimal import Decimal

    from dash_app.pages.evaluation import pending_block

    item = {
        "item_code": "B1",
        "item_text": "加分项",
        "max_points": Decimal(10),
        "expert_scores": [("刘洋（evaluator）", Decimal("10.0")), ("朱帆芳", Decimal(0)), ("梁涛华", Decimal("0"))],
        "spread": Decimal("10.0"),
        "allowed": Decimal(2),
    }
    assert "刘洋（evaluator） 10.0；朱帆芳 0.0；梁涛华 0.0" in str(pending_block([item]))


def test_complete_with_an_expert_still_to_submit_says_so_while_the_round_is_open():
    # 成都市档案馆 read 已完成 with 5 of its 6 experts in: its result changes when the sixth submits.
    row = {"status": "已完成", "experts": 5, "assigned": 6}
    assert shown_status(row, is_open=True) == "已完成（1 位专家未提交）"
    assert shown_status(row, is_open=False) == "已完成"  # the round is over: the result is final
    assert shown_status({**row, "experts": 6}, is_open=True) == "已完成"
    assert shown_status({**row, "status": "待合议"}, is_open=True) == "待合议"


def test_a_reconciled_value_agreed_before_an_expert_submitted_again_is_pointed_out():
    # The panel's value stayed in force, and nothing said an expert had submitted the item's score again since.
    item = STANDARD.items[0]
    settled = {"item_code": item.code, "item_text": item.text, "max_points": item.max_points, "spread": Decimal(7),
               "expert_scores": [("专家甲", Decimal(2)), ("王敏（evaluator）", Decimal(9))], "allowed": Decimal(2),
               "reconciled": Decimal(6), "reconciled_note": "合议", "rescored_after": []}  # fmt: skip
    assert "重新提交" not in str(pending_block([settled]))
    shown = str(pending_block([{**settled, "rescored_after": ["王敏（evaluator）"]}], editable=True))
    assert (
        f"以下 1 项录入合议分后，有专家重新提交了评分，得分仍取已录入的合议分：{item.code}（王敏（evaluator））。"
        in shown
    )


def test_the_items_said_to_hold_an_archive_at_pending_are_the_items_listed():
    # It said 以下 7 项的专家评分相差超过… above eight rows, the eighth already given its 合议分.
    def pending(item, reconciled):
        return {"item_code": item.code, "item_text": item.text, "max_points": item.max_points, "spread": Decimal(7),
                "expert_scores": [("专家甲", Decimal(2)), ("专家乙", Decimal(9))], "allowed": Decimal(2),
                "reconciled": reconciled, "reconciled_note": reconciled and "合议", "rescored_after": []}  # fmt: skip

    first, second, third = STANDARD.items[:3]
    shown = str(pending_block([pending(first, None), pending(second, Decimal(6)), pending(third, None)]))
    assert shown.count(f"'{first.code}'") == shown.count(f"'{third.code}'") == 1  # one row each
    assert (
        "该馆的评价待合议：以下 3 项的专家评分相差超过该项满分（加分项为上限）的 20%，其中 2 项尚未录入合议分，"
        f"须由专家组合议给出合议分，才能计算得分、等次和排名；其余 1 项（{second.code}）已录入合议分。"
    ) in shown
    waiting = str(pending_block([pending(first, None)]))
    assert "以下 1 项的专家评分相差超过该项满分（加分项为上限）的 20%，须由专家组合议给出合议分" in waiting
    assert "其中" not in waiting and "其余" not in waiting
    settled = str(pending_block([pending(first, Decimal(6))]))
    assert "以下 1 项的专家评分相差超过该项满分（加分项为上限）的 20%，得分取已录入的合议分。" in settled
