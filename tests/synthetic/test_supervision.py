"""The demo's evaluation remarks read as an expert would write them."""

from __future__ import annotations

from decimal import Decimal

from census_schema.supervision.evaluation import CURRENT_STANDARD
from synthetic.supervision import _remark


def test_an_expert_s_remark_on_a_veto_item_passed_does_not_say_the_event_happened():
    # A passed 评价期内未发生档案数据泄露… item that lost 2 points read 现场核查未完全达到“评价期内未发生…”的要求: as if a
    # leak had happened, in a feedback report.
    veto = CURRENT_STANDARD.veto_items[0]
    passed = _remark(veto.code, veto.max_points - 2, True)
    assert passed == f"“{veto.text}”的佐证材料（制度、台账、检查记录）不够完整。"
    assert _remark(veto.code, Decimal(0), False) == f"现场核查未达到“{veto.text}”的要求（否决项不通过）。"
    ordinary = next(item for item in CURRENT_STANDARD.items if not item.is_veto)
    assert _remark(ordinary.code, ordinary.max_points - 1, None) == f"现场核查未完全达到“{ordinary.text}”的要求。"
    assert _remark(ordinary.code, ordinary.max_points, None) is None
