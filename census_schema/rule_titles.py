"""Short Chinese titles of the declared rules, by their kind (a rule's message explains; its title names it in a
list): 合计不符, 校验位错误, ... People see these, never a rule id."""

from __future__ import annotations

from functools import lru_cache

RULE_KIND_TITLES: dict[str, str] = {
    "required": "必填项为空",
    "pattern": "格式不符",
    "uscc_check_digit": "校验位错误",
    "uscc_structure": "代码结构错误",
    "max_length": "超过长度",
    "in_list": "不在可选值中",
    "division_current": "不是现行区划代码",  # never issued, or retired: neither is current
    "division_in_province": "区划不属本省",
    "division_in_scope": "区划不在填报范围内",
    "admin_level_in_scope": "行政层级与填报范围不符",
    "holder_type_in_channel": "类型不属本渠道",
    "held_by_other_return": "已在另一份表中",
    "integer": "须为整数",
    "range": "超出取值范围",
    "decimal": "须为数值",
    "unique": "重复",
    "unique_together": "重复",
    "matches_division_level": "行政级别与区划不符",
    "matches_uscc_nature": "单位性质与代码不符",
    "not_equal": "不得与本单位相同",
    "matches_name_of_code": "名称与代码不符",
    "staff_with_holdings": "有馆藏而无人员",
    "at_least_when": "数量不足",
    "at_most_when": "超过上限",
    "empty_when": "应当留空",
    "fraction_when": "疑似填成小数",
    "whole_when": "须为整数",
    "sum_equals": "合计与分项不符",
    "share_at_most": "占比过高",
    "ratio_between": "比例异常",
    "filled_when": "按条件填写或留空",
    "zero_together": "须同时为零或同时大于零",
    "at_most": "超过上限",
    "positive_when_any": "须大于零",
    "zero_when": "应为零",
    "duplicate_across_provinces": "跨省重复报送",
    "not_in_register": "不在名录中",
    "differs_from_annual_stats": "与统计年报相差较大",
    "filled_together": "须同时填写或同时留空",
    "cell_too_long": "单元格内容过长",
    "cell_formula_error": "公式计算出错",
    "cell_formula_uncomputed": "公式未保存结果",
    "cell_invisible_chars": "含不可见字符",
    "column_not_in_form": "列名不在模板中",
    "header_row_repeated": "表头行重复",
    "row_nearly_empty": "几乎为空的行",
    "cell_merged": "合并单元格",
    "row_hidden": "数据行被隐藏",
    "sheet_absent": "工作表缺失",
    "date": "日期无效",
    "not_after_today": "日期晚于上传当日",
    "new_record": "与已装载的不同",
    "repeated_row": "与已装载的相同",
    "min_names": "人数不足",
    "not_before": "日期先后不符",
    "later_than": "先后顺序不符",
    "year_of": "年度与日期不符",
    "checklist_size": "检查项数不符",
    "inspection_grading": "评定结果不符",
    "finding_inspection": "检查记录不存在",
    "checklist_item": "检查项不存在",
    "veto_finding_counted": "否决项未计入",
    "deadline_after_feedback": "整改期限早于反馈",
    "lifecycle": "整改流转不允许",
    "evaluation": "评分不符合要求",
    "reconciliation_consistent": "合议结果不一致",
    "evaluation_access": "无权评分",
    "indicator_source": "指标来源不符",
    "cumulative_not_lower": "累计数小于上一年",
    "far_above_target": "远超规划目标",
    "key_in_sheet": "两表不对应",  # either way: a red-archive row not in 普查表, or a 普查表 row missing its red row
    "compare_in_sheet": "与普查表数值不符",
    "row_count": "行数不符",
    "date_on_or_after": "日期早于普查标准时点",
}
UNKNOWN_RULE_TITLE = "其他问题"
# Rules whose kind's title would misname them: warnings among refusals (a replaced sheet read 无权评分).
RULE_TITLES: dict[str, str] = {
    "scorer_sheet_replaced": "替换此前装载的评分",
    "reconciliation_unneeded": "合议分不采用",
    "reconciliation_pending": "待合议",
    "scorer_is_platform_expert": "代专家装载评分",
}


@lru_cache(maxsize=1)
def _kinds_by_rule() -> dict[str, str]:
    from census_schema.forms import FORMS

    return {rule.rule_id: rule.kind for form in FORMS.values() for rule in form.rules}


def rule_title(rule_id: str | None) -> str:
    """The title of a declared rule (its own, else its kind's), for lists and grids."""
    if rule_id in RULE_TITLES:
        return RULE_TITLES[rule_id]
    kind = _kinds_by_rule().get(rule_id or "")
    return RULE_KIND_TITLES.get(kind or "", UNKNOWN_RULE_TITLE)
