from census_schema.forms import FORMS
from census_schema.rule_titles import RULE_KIND_TITLES, RULE_TITLES, UNKNOWN_RULE_TITLE, rule_title


def test_every_declared_rule_kind_has_a_chinese_title():
    kinds = {rule.kind for form in FORMS.values() for rule in form.rules}
    assert kinds - set(RULE_KIND_TITLES) == set()


def test_a_rule_is_titled_by_its_kind_and_an_unknown_one_says_so():
    assert rule_title("vol_total_sum") == "合计与分项不符"
    assert rule_title("uscc_not_in_register") == "不在名录中"
    assert rule_title("holdings_vs_annual_stats") == "与统计年报相差较大"
    assert rule_title("annual_stats_year_together") == "须同时填写或同时留空"
    assert rule_title("no_such_rule") == UNKNOWN_RULE_TITLE


def test_a_title_never_names_the_sheet_its_cell_is_on_as_the_other_one():
    # 普查表's rule pointing to 红色档案资源摸底 was titled 与普查表不对应 on a cell of 普查表.
    for form in FORMS.values():
        for rule in form.rules:
            assert form.sheet_name not in rule_title(rule.rule_id), (form.sheet_name, rule.rule_id)


def test_a_warning_among_refusals_of_its_kind_has_a_title_of_its_own():
    # A replaced self-evaluation sheet, a warning, was listed as 无权评分.
    assert rule_title("scorer_sheet_replaced") == "替换此前装载的评分" and rule_title("scorer_assigned") == "无权评分"
    assert rule_title("reconciliation_pending") == "待合议"
    declared = {rule.rule_id for form in FORMS.values() for rule in form.rules}
    assert set(RULE_TITLES) <= declared
