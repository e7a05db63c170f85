"""Evaluation scoring: item reconciliation, archive scoring, grading, validation and ranking."""

from decimal import Decimal as D

import pytest

from census_schema.archives import list_comprehensive_archives
from census_schema.errors import AccessDenied
from census_schema.supervision.codes import Grade
from census_schema.supervision.evaluation import (
    CURRENT_STANDARD,
    SELF_SOURCE,
    BonusItem,
    EvaluationArea,
    EvaluationStandard,
    Indicator,
    ScoringItem,
)
from supervision.scoring import (
    ArchiveResult,
    EvaluationInvalid,
    Reconciliation,
    ScoreSheet,
    check_scoring_allowed,
    check_sheet_values,
    evaluate_archive,
    failed_veto_items,
    flag_deviation,
    grade_evaluation,
    rank_archives,
    reconcile_item,
    score_archive,
    validate_evaluation,
)


@pytest.mark.parametrize(
    ("final", "veto", "grade"),
    [
        ("1030.0", False, Grade.EXCELLENT),
        ("900.0", False, Grade.EXCELLENT),
        ("899.9", False, Grade.GOOD),
        ("800.0", False, Grade.GOOD),
        ("799.9", False, Grade.PASSED),
        ("700.0", False, Grade.PASSED),
        ("699.9", False, Grade.FAIL),
        ("1000.0", True, Grade.FAIL),
    ],
)
def test_grade_evaluation(final, veto, grade):
    assert grade_evaluation(CURRENT_STANDARD, D(final), veto) is grade


# expert scores, max, reconciled, note → (score, mean, spread, needs reconciliation, reconciled)
RECONCILE = [
    (["8", "9", "9"], "10", None, None, ("8.7", "8.7", "1", False, False)),
    (["8.0", "8.1"], "10", None, None, ("8.1", "8.1", "0.1", False, False)),  # 8.05 rounds half up
    (["8", "10"], "10", None, None, ("9.0", "9.0", "2", False, False)),  # a spread of exactly 20 % is fine
    (["12", "18", "15"], "20", "16", "现场合议", ("16", "15.0", "6", True, True)),
    # Experts within 20 %: the mean counts, a reconciled value is not applied (supervision.md §2).
    (["8", "9"], "10", "9", "合议一致", ("8.5", "8.5", "1", False, False)),
    (["7"], "10", None, None, ("7.0", "7.0", "0", False, False)),
]


@pytest.mark.parametrize(("scores", "max_points", "reconciled", "note", "expected"), RECONCILE)
def test_reconcile_item(scores, max_points, reconciled, note, expected):
    result = reconcile_item([D(s) for s in scores], D(max_points), reconciled and D(reconciled), note)
    score, mean, spread, needs, is_reconciled = expected
    assert (result.score, result.mean, result.spread) == (D(score), D(mean), D(spread))
    assert str(result.mean) == mean
    assert (result.needs_reconciliation, result.is_reconciled) == (needs, is_reconciled)
    assert result.note == (note if is_reconciled else None)


@pytest.mark.parametrize(
    ("scores", "max_points", "reconciled", "note", "rule_id"),
    [
        (["12", "18", "15"], "20", None, None, "reconciliation_required"),
        (["6", "10"], "10", None, None, "reconciliation_required"),
        (["12", "18", "15"], "20", "16", None, "reconciliation_note"),
        (["12", "18", "15"], "20", "16", "  ", "reconciliation_note"),
        (["12", "18", "15"], "20", "21", "合议", "score_in_range"),
        ([], "10", None, None, "score_complete"),
        (["11"], "10", None, None, "score_in_range"),
        (["-1"], "10", None, None, "score_in_range"),
        (["8.25"], "10", None, None, "score_one_decimal"),
    ],
)
def test_reconcile_item_refuses(scores, max_points, reconciled, note, rule_id):
    with pytest.raises(EvaluationInvalid) as raised:
        reconcile_item([D(s) for s in scores], D(max_points), reconciled and D(reconciled), note, "A1.1.1")
    assert [(p.rule_id, p.item_code) for p in raised.value.problems] == [(rule_id, "A1.1.1")]


@pytest.mark.parametrize(
    ("self_score", "expert", "max_points", "flagged"),
    [("7.9", "10", "10", True), ("8", "10", "10", False), ("12", "10", "10", False), ("12.1", "10", "10", True)],
)
def test_flag_deviation(self_score, expert, max_points, flagged):
    assert flag_deviation(D(self_score), D(expert), D(max_points)) is flagged


def _items(*specs):
    return tuple(ScoringItem(code, code, D(m), "规则", "材料", veto) for code, m, veto in specs)


# A small standard so that the example below can be checked by hand.
SMALL = EvaluationStandard(
    "T-1",
    "测试标准",
    (
        EvaluationArea(
            "X1", "甲", D(30), (Indicator("X1.1", "甲一", _items(("X1.1.1", 10, False), ("X1.1.2", 20, False))),)
        ),
        EvaluationArea(
            "X2", "乙", D(20), (Indicator("X2.1", "乙一", _items(("X2.1.1", 10, False), ("X2.1.2", 10, True))),)
        ),
    ),
    (BonusItem("B1", "加一", D(3), "规则"), BonusItem("B2", "加二", D(3), "规则")),
    D(5),
    ((D(45), Grade.EXCELLENT), (D(40), Grade.GOOD), (D(35), Grade.PASSED)),
)
SELF = {"X1.1.1": D("5"), "X1.1.2": D("20"), "X2.1.1": D("10"), "X2.1.2": D("10")}
EXPERTS = {
    "专家甲": {"X1.1.1": D("8"), "X1.1.2": D("12"), "X2.1.1": D("7.5"), "X2.1.2": D("10")},
    "专家乙": {"X1.1.1": D("9"), "X1.1.2": D("18"), "X2.1.1": D("8"), "X2.1.2": D("10")},
    "专家丙": {"X1.1.1": D("9"), "X1.1.2": D("15"), "X2.1.1": D("8.5"), "X2.1.2": D("9.5")},
}
BY_ITEM = {
    "X1.1.1": (D("8"), D("9"), D("9")),  # mean 8.666… → 8.7
    "X1.1.2": (D("12"), D("18"), D("15")),  # spread 6 > 4: reconciled to 16.0
    "X2.1.1": (D("7.5"), D("8"), D("8.5")),  # mean 8.0
    "X2.1.2": (D("10"), D("10"), D("9.5")),  # mean 9.833… → 9.8
}
RECONCILED = {"X1.1.2": Reconciliation(D("16.0"), "专家组合议：库房分区部分达标")}
BONUS = {"B1": D("3"), "B2": D("2.5")}  # 5.5 claimed, capped at 5


def test_score_archive_against_a_hand_computed_example():
    result = score_archive(SMALL, SELF, BY_ITEM, RECONCILED, BONUS, veto_failures=())
    assert {c: r.score for c, r in result.items.items()} == {
        "X1.1.1": D("8.7"),
        "X1.1.2": D("16.0"),
        "X2.1.1": D("8.0"),
        "X2.1.2": D("9.8"),
    }
    assert result.items["X1.1.2"].is_reconciled and result.items["X1.1.2"].mean == D("15.0")
    assert dict(result.area_subtotals) == {"X1": D("24.7"), "X2": D("17.8")}
    assert (result.total, result.bonus_claimed, result.bonus_capped, result.final_score) == (
        D("42.5"),
        D("5.5"),
        D("5.0"),
        D("47.5"),
    )
    # 42.5 alone would be 良好; the grade is taken on total + capped bonus.
    assert result.grade is Grade.EXCELLENT
    # X1.1.1: |5 − 8.7| = 3.7 > 2 flagged; X1.1.2 |20 − 16| = 4 and X2.1.1 |10 − 8| = 2 sit exactly on the bound.
    assert [(d.item_code, d.self_score, d.expert_score, d.difference, d.tolerance) for d in result.deviations] == [
        ("X1.1.1", D("5"), D("8.7"), D("3.7"), D("2.0"))
    ]
    assert result.veto_failures == ()


def test_a_failed_veto_item_makes_the_grade_fail():
    result = score_archive(SMALL, SELF, BY_ITEM, RECONCILED, BONUS, veto_failures={"X2.1.2"})
    assert result.final_score == D("47.5")
    assert result.grade is Grade.FAIL
    assert result.veto_failures == ("X2.1.2",)


def test_score_archive_refuses_incomplete_or_inconsistent_input():
    by_item = {**BY_ITEM, "X2.1.1": ()}
    with pytest.raises(EvaluationInvalid) as raised:
        score_archive(SMALL, {**SELF, "X1.1.1": D("10.5")}, by_item, {}, {"B3": D(1)}, {"X1.1.1"})
    assert sorted((p.rule_id, p.item_code) for p in raised.value.problems) == [
        ("bonus_known_item", "B3"),
        ("reconciliation_required", "X1.1.2"),
        ("score_complete", "X2.1.1"),
        ("score_in_range", "X1.1.1"),
        ("veto_verdict_only_veto", "X1.1.1"),
    ]
    assert "评分数据有 5 处问题" in raised.value.message


def test_validate_evaluation_locates_every_problem():
    experts = {
        "专家甲": {**EXPERTS["专家甲"], "X2.1.1": D("8.25"), "X9.9.9": D(1)},
        "专家乙": {k: v for k, v in EXPERTS["专家乙"].items() if k != "X2.1.1"},
        "专家丙": EXPERTS["专家丙"],
    }
    problems = validate_evaluation(
        SMALL,
        {**SELF, "X1.1.2": D("20.5")},
        experts,
        veto_verdicts={"X1.1.1": True},
        reconciliations={"X1.1.1": Reconciliation(D("8.5"), "")},
        bonus={"B1": D(4)},
    )
    assert sorted((p.rule_id, p.item_code, p.source) for p in problems) == [
        ("bonus_in_range", "B1", "加分"),
        ("reconciliation_note", "X1.1.1", "合议分"),
        ("reconciliation_required", "X1.1.2", "专家"),
        ("score_complete", "X2.1.1", "专家乙"),
        ("score_in_range", "X1.1.2", "自评"),
        ("score_known_item", "X9.9.9", "专家甲"),
        ("score_one_decimal", "X2.1.1", "专家甲"),
        ("veto_verdict_only_veto", "X1.1.1", "否决项结论"),
        ("veto_verdict_required", "X2.1.2", "否决项结论"),
    ]
    assert all(p.message for p in problems)


SHEET_VALUES = [
    ({"X1.1.1": D("10"), "X1.1.2": D("0"), "B1": D("3"), "B2": D("0.5")}, []),
    ({"X1.1.1": D("10.5")}, [("score_in_range", "X1.1.1", "得分须在 0 至该评分项满分之间。（填写 10.5，满分 10）")]),
    ({"X1.1.1": D("-1")}, [("score_in_range", "X1.1.1", "得分须在 0 至该评分项满分之间。（填写 -1，满分 10）")]),
    ({"X1.1.1": D("9.75")}, [("score_one_decimal", "X1.1.1", "得分最多保留一位小数。（填写 9.75）")]),
    ({"B1": D("4")}, [("bonus_in_range", "B1", "加分须在 0 至该加分项上限之间。（填写 4，上限 3）")]),
    ({"B1": D("2.25")}, [("score_one_decimal", "B1", "得分最多保留一位小数。（填写 2.25）")]),
    ({"B9": D("1")}, [("bonus_known_item", "B9", "加分项编号须为评价标准中的编号。")]),
    ({"X9.9.9": D("1")}, [("score_known_item", "X9.9.9", "评分项编号须为评价标准中的编号。")]),
    # Scoring items first, then bonus claims, whatever the sheet's order (the save lists its problems so).
    ({"B1": D("4"), "X1.1.2": D("21")}, [("score_in_range", "X1.1.2", "得分须在 0 至该评分项满分之间。（填写 21，满分 20）"),
                                         ("bonus_in_range", "B1", "加分须在 0 至该加分项上限之间。（填写 4，上限 3）")]),
]  # fmt: skip


@pytest.mark.parametrize(("scores", "expected"), SHEET_VALUES)
def test_check_sheet_values(scores, expected):
    problems = check_sheet_values(SMALL, scores, "专家甲")
    assert [(p.rule_id, p.item_code, p.message) for p in problems] == expected


def test_validate_evaluation_accepts_clean_input():
    assert validate_evaluation(SMALL, SELF, EXPERTS, {"X2.1.2": True}, RECONCILED, BONUS) == []


def test_a_full_mark_archive_on_the_default_standard():
    full = {i.code: i.max_points for i in CURRENT_STANDARD.items}
    by_item = {code: (value, value, value) for code, value in full.items()}
    bonus = {b.code: b.max_points for b in CURRENT_STANDARD.bonus_items}
    result = score_archive(CURRENT_STANDARD, full, by_item, {}, bonus, ())
    assert result.total == D(1000) and result.bonus_capped == D(30) and result.final_score == D(1030)
    assert result.area_subtotals == {a.code: a.points for a in CURRENT_STANDARD.areas}
    assert result.grade is Grade.EXCELLENT and result.deviations == ()


def _result(final: str) -> ArchiveResult:
    score = D(final)
    return ArchiveResult({}, {}, score, D(0), D(0), score, grade_evaluation(CURRENT_STANDARD, score, False), (), ())


def test_rank_archives_shares_ranks_on_ties():
    results = {
        "140000": _result("900.0"),
        "120000": _result("930.5"),
        "150000": _result("930.5"),
        "110000": _result("950.0"),
        "130000": _result("930.5"),
        "210200": _result("880.0"),
        "210100": _result("880.0"),
    }
    assert [(r.rank, r.archive_code) for r in rank_archives(results)] == [
        (1, "110000"),
        (2, "120000"),
        (2, "130000"),
        (2, "150000"),
        (5, "140000"),
        (6, "210100"),
        (6, "210200"),
    ]


def test_a_vetoed_archive_ranks_below_every_archive_of_a_better_grade_whatever_its_score():
    vetoed = ArchiveResult(
        {}, {}, D("950.0"), D(0), D(0), D("950.0"), grade_evaluation(CURRENT_STANDARD, D(950), True), (), ()
    )
    results = {"450000": vetoed, "110000": _result("899.9"), "120000": _result("650.0"), "130000": _result("950.0")}
    assert [(r.rank, r.archive_code, r.grade) for r in rank_archives(results)] == [
        (1, "130000", Grade.EXCELLENT),
        (2, "110000", Grade.GOOD),
        (3, "450000", Grade.FAIL),  # among the 不合格, the score orders
        (4, "120000", Grade.FAIL),
    ]


def test_rank_the_47():
    codes = [a.archive_code for a in list_comprehensive_archives()]
    assert len(codes) == 47
    ranked = rank_archives({code: _result(f"{800 + i // 2}.0") for i, code in enumerate(codes)})
    assert len(ranked) == 47
    assert [r.rank for r in ranked[:4]] == [1, 2, 2, 4]
    assert ranked[0].final_score == D("823.0")


@pytest.mark.parametrize(
    ("evaluator", "archive", "is_open", "message"),
    [
        ("专家甲", "110000", True, None),
        ("专家甲", "120000", True, "未被分配"),
        ("专家丁", "110000", True, "「专家丁」本轮没有分派任何档案馆"),  # no archive at all: said so
        ("专家甲", "110000", False, "已结束"),
    ],
)
def test_check_scoring_allowed(evaluator, archive, is_open, message):
    assignments = {"专家甲": {"110000", "310000"}, "专家乙": {"120000"}}
    if message is None:
        check_scoring_allowed(evaluator, archive, assignments, is_open)
    else:
        with pytest.raises(AccessDenied, match=message):
            check_scoring_allowed(evaluator, archive, assignments, is_open)


def test_failed_veto_items():
    assert failed_veto_items({"A2.4.2": True, "A3.5.2": False, "A5.3.2": False}) == ("A3.5.2", "A5.3.2")


@pytest.mark.parametrize(
    ("awards", "reconciled", "status", "bonus"),
    [
        # Every expert awards B1: the mean counts (2.5, 3, 3 → 2.8); B2 awarded by none adds nothing.
        ({"专家甲": "2.5", "专家乙": "3", "专家丙": "3"}, None, "已完成", "2.8"),
        # One expert's award alone is not the panel's: the others' blanks count as 0, and 3 against 0 differ by
        # more than 20 % of B1's 3 points, so the panel must settle it (it counted 3 in full).
        ({"专家甲": "3"}, None, "待合议", None),
        ({"专家甲": "3"}, "1.5", "已完成", "1.5"),
        # Within 20 % (0.6 of 3): 0.5, 0, 0 → 0.166… → 0.2.
        ({"专家甲": "0.5"}, None, "已完成", "0.2"),
    ],
    ids=["all-award", "one-awards", "one-awards-reconciled", "one-awards-a-little"],
)
def test_a_bonus_item_is_the_mean_of_every_counted_expert_a_blank_counting_as_none(awards, reconciled, status, bonus):
    verdicts = {"X2.1.2": True}
    sheets = [
        ScoreSheet(name, {**scores, **({"B1": D(awards[name])} if name in awards else {})}, verdicts)
        for name, scores in EXPERTS.items()
    ]
    reconciliations = dict(RECONCILED)
    if reconciled:
        reconciliations["B1"] = Reconciliation(D(reconciled), "专家组合议：加分依据只核实了一部分")
    evaluation = evaluate_archive(SMALL, ScoreSheet(SELF_SOURCE, SELF, verdicts), sheets, reconciliations)
    assert evaluation.status.value == status
    if bonus is None:
        assert evaluation.unreconciled == ("B1",) and evaluation.result is None
    else:
        assert evaluation.result.bonus_capped == D(bonus)
