"""The arithmetic of the business-construction evaluation: validating, reconciling, scoring, grading and ranking.

Scores are Decimals with one decimal place. An item's expert score is the mean of its experts' scores, rounded half
up to one place, unless a reconciled value (合议分) is given; when the experts' scores differ by more than 20 % of the
item's maximum (highest minus lowest) a reconciled value is required, and scoring refuses to go on without it
(`EvaluationInvalid`, whose problems the validation helpers also report up front). A reconciled value always needs a
note; one given where the experts agree is not applied (the mean counts) and only the experts' rows may give one.
The grade and the rank use the
final score = item total + capped bonus; any failed veto item makes the grade 不合格 whatever the score. The rank
orders by grade, then final score; archives of the same grade and score share a rank (standard competition
ranking, "1224").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from census_schema.archives import archive_label
from census_schema.clock import format_beijing
from census_schema.errors import AccessDenied, UsageError
from census_schema.supervision.codes import EvaluationStatus, FindingSeverity, Grade, veto_verdict_text
from census_schema.supervision.evaluation import EVALUATION_RULES_BY_ID, SELF_SOURCE, EvaluationStandard
from supervision.rows import is_bonus_code

ONE_PLACE = Decimal("0.1")
# Experts' spread and self-vs-expert gap above this share of the item maximum need attention.
TOLERANCE_SHARE = Decimal("0.2")
# An archive's expert score needs at least this many experts' complete, submitted sheets ("usually 3–5").
MIN_EXPERTS = 3


@dataclass(frozen=True)
class ScoreProblem:
    """A problem with evaluation input, located by item and by whose score it is."""

    rule_id: str
    item_code: str
    source: str
    message: str


class EvaluationInvalid(UsageError):
    """Scoring cannot go on: the input has problems; `problems` lists every one."""

    def __init__(self, problems: Sequence[ScoreProblem]) -> None:
        self.problems = tuple(problems)
        shown = "；".join(f"{p.source} {p.item_code}：{p.message}" for p in self.problems[:5])
        more = f"（另有 {len(self.problems) - 5} 处）" if len(self.problems) > 5 else ""
        super().__init__(f"评分数据有 {len(self.problems)} 处问题：{shown}{more}", hint="请更正后重新提交。")


@dataclass(frozen=True)
class Reconciliation:
    """A reconciled item score (合议分) agreed by the expert panel, with the reason."""

    value: Decimal
    note: str


@dataclass(frozen=True)
class ItemResult:
    """An item's expert scores and the expert score that counts."""

    expert_scores: tuple[Decimal, ...]
    mean: Decimal
    spread: Decimal
    needs_reconciliation: bool
    score: Decimal
    is_reconciled: bool
    note: str | None


@dataclass(frozen=True)
class Deviation:
    """A self score that differs from the expert score by more than the tolerance."""

    item_code: str
    self_score: Decimal
    expert_score: Decimal
    difference: Decimal
    tolerance: Decimal


@dataclass(frozen=True)
class ArchiveResult:
    """One archive's evaluation: item results, area subtotals, totals, grade and deviations."""

    items: Mapping[str, ItemResult]
    area_subtotals: Mapping[str, Decimal]
    total: Decimal
    bonus_claimed: Decimal
    bonus_capped: Decimal
    final_score: Decimal
    grade: Grade
    deviations: tuple[Deviation, ...]
    veto_failures: tuple[str, ...]
    # The bonus items any counted expert awarded, each as a scoring item's result (what the bonus is made of).
    bonus_items: Mapping[str, ItemResult] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RankedArchive:
    """An archive's place among those evaluated."""

    rank: int
    archive_code: str
    final_score: Decimal
    grade: Grade


def _problem(rule_id: str, item_code: str, source: str, detail: str = "") -> ScoreProblem:
    message = EVALUATION_RULES_BY_ID[rule_id].message
    return ScoreProblem(rule_id, item_code, source, f"{message}{detail}")


def _value_problems(value: Decimal, max_points: Decimal, code: str, source: str, range_rule: str) -> list[ScoreProblem]:
    if not value.is_finite() or not Decimal(0) <= value <= max_points:
        # A bonus item has a limit (上限), a scoring item its full marks (满分).
        bound = "上限" if range_rule == "bonus_in_range" else "满分"
        return [_problem(range_rule, code, source, f"（填写 {value}，{bound} {max_points}）")]
    if value != value.quantize(ONE_PLACE):
        return [_problem("score_one_decimal", code, source, f"（填写 {value}）")]
    return []


def tolerance(max_points: Decimal) -> Decimal:
    """The allowed gap between scores of one item: 20 % of its maximum."""
    return max_points * TOLERANCE_SHARE


def differ_too_much(scores: Sequence[Decimal], max_points: Decimal) -> bool:
    """Experts' scores of one item further apart than 20 % of its maximum: the item needs a reconciled value."""
    return bool(scores) and max(scores) - min(scores) > tolerance(max_points)


def round_score(value: Decimal) -> Decimal:
    """A score rounded half up to one decimal place."""
    return value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def reconcile_item(
    expert_scores: Sequence[Decimal],
    max_points: Decimal,
    reconciled: Decimal | None,
    note: str | None,
    item_code: str = "",
) -> ItemResult:
    """An item's expert score: the experts' mean, or the reconciled value, which is required when they differ too much
    and is not applied when they do not (supervision.md §2: a reconciled value when experts differ by more than 20 %)."""
    if not expert_scores:
        raise EvaluationInvalid([_problem("score_complete", item_code, "专家", "（该项没有专家评分）")])
    problems = [p for s in expert_scores for p in _value_problems(s, max_points, item_code, "专家", "score_in_range")]
    if reconciled is not None:
        problems += _value_problems(reconciled, max_points, item_code, "合议分", "score_in_range")
        if note is None or not note.strip():
            problems.append(_problem("reconciliation_note", item_code, "合议分"))
    if problems:
        raise EvaluationInvalid(problems)
    scores = tuple(expert_scores)
    mean = round_score(sum(scores, Decimal(0)) / len(scores))
    spread = max(scores) - min(scores)
    needs = differ_too_much(scores, max_points)
    if not needs:
        return ItemResult(scores, mean, spread, needs, mean, False, None)
    if reconciled is None:
        detail = f"（最高 {max(scores)}、最低 {min(scores)}，相差 {spread}，超过 {tolerance(max_points)}）"
        raise EvaluationInvalid([_problem("reconciliation_required", item_code, "专家", detail)])
    return ItemResult(scores, mean, spread, needs, reconciled, True, note)


def flag_deviation(self_score: Decimal, expert_score: Decimal, max_points: Decimal) -> bool:
    """True when the self score differs from the expert score by more than 20 % of the item maximum."""
    return abs(self_score - expert_score) > tolerance(max_points)


def check_score_values(standard: EvaluationStandard, scores: Mapping[str, Decimal], source: str) -> list[ScoreProblem]:
    """Scores for known items only, each within 0..max with at most one decimal place."""
    items = standard.items_by_code
    problems = []
    for code, value in scores.items():
        if code not in items:
            problems.append(_problem("score_known_item", code, source))
        else:
            problems += _value_problems(value, items[code].max_points, code, source, "score_in_range")
    return problems


def check_expert_values(
    standard: EvaluationStandard, expert_scores_by_item: Mapping[str, Sequence[Decimal]]
) -> list[ScoreProblem]:
    """Experts' scores, given per item without expert names, for known items within 0..max, one decimal place."""
    items = standard.items_by_code
    problems = []
    for code, scores in expert_scores_by_item.items():
        if code not in items:
            problems.append(_problem("score_known_item", code, "专家"))
            continue
        problems += [
            p for v in scores for p in _value_problems(v, items[code].max_points, code, "专家", "score_in_range")
        ]
    return problems


def check_all_scored(standard: EvaluationStandard, scored: Collection[str], source: str) -> list[ScoreProblem]:
    """Every item of the standard has a score (all items apply to every comprehensive archive)."""
    return [_problem("score_complete", i.code, source) for i in standard.items if i.code not in scored]


def check_veto_verdicts(
    standard: EvaluationStandard, scored: Collection[str], veto_verdicts: Mapping[str, bool]
) -> list[ScoreProblem]:
    """A scored veto item has a verdict (True = 通过); only veto items have verdicts."""
    veto_codes = {i.code for i in standard.veto_items}
    problems = [
        _problem("veto_verdict_required", code, "否决项结论")
        for code in sorted(veto_codes & set(scored))
        if code not in veto_verdicts
    ]
    problems += [
        _problem("veto_verdict_only_veto", code, "否决项结论") for code in veto_verdicts if code not in veto_codes
    ]
    return problems


def check_veto_scores(
    standard: EvaluationStandard, scores: Mapping[str, Decimal], veto_verdicts: Mapping[str, bool]
) -> list[ScoreProblem]:
    """A veto item judged 不通过 yet given full marks: one of the two is likely a slip (a warning; the verdict rules
    the grade)."""
    items = standard.items_by_code
    return [
        _problem("veto_failed_full_marks", code, "否决项结论")
        for code, passed in sorted(veto_verdicts.items())
        if not passed and code in items and scores.get(code) == items[code].max_points
    ]


def max_points_of(standard: EvaluationStandard, code: str) -> Decimal | None:
    """A scoring item's full marks or a bonus item's limit; None for a code the standard does not have."""
    found = standard.items_by_code.get(code) or standard.bonus_by_code.get(code)
    return found.max_points if found else None


def check_reconciliations(
    standard: EvaluationStandard,
    expert_scores_by_item: Mapping[str, Sequence[Decimal]],
    reconciliations: Mapping[str, Reconciliation],
) -> list[ScoreProblem]:
    """Items (scoring or bonus) whose experts differ by more than 20 % of the maximum have a reconciled value with a
    note."""
    problems = []
    for code, scores in expert_scores_by_item.items():
        top = max_points_of(standard, code)
        if top is not None and differ_too_much(scores, top) and code not in reconciliations:
            problems.append(_problem("reconciliation_required", code, "专家", f"（相差 {max(scores) - min(scores)}）"))
    for code, rec in reconciliations.items():
        top = max_points_of(standard, code)
        if top is None:
            problems.append(_problem("score_known_item", code, "合议分"))
            continue
        problems += _value_problems(rec.value, top, code, "合议分", "score_in_range")
        if not rec.note.strip():
            problems.append(_problem("reconciliation_note", code, "合议分"))
    return problems


def pending_reconciliations(
    standard: EvaluationStandard,
    expert_scores_by_item: Mapping[str, Sequence[Decimal]],
    settled: Iterable[str],
) -> list[ScoreProblem]:
    """Items (scoring or bonus) whose experts, those already submitted with the workbook's, differ by more than 20 %
    of the maximum with no reconciled value given or stored (`settled`): the archive waits for the panel's (待合议)."""
    done = set(settled)
    return [
        _problem("reconciliation_pending", code, "专家", f"（相差 {max(scores) - min(scores)}）")
        for code, scores in expert_scores_by_item.items()
        if code not in done and (top := max_points_of(standard, code)) is not None and differ_too_much(scores, top)
    ]


def check_reconciliation_source(scorer: str, reconciled_items: Iterable[str]) -> list[ScoreProblem]:
    """A self-evaluation gives no reconciled value: only the expert panel does, on its experts' rows."""
    if scorer != SELF_SOURCE:
        return []
    return [_problem("reconciliation_by_experts", code, "合议分") for code in reconciled_items]


def check_remark_source(scorer: str, remarked_items: Iterable[str]) -> list[ScoreProblem]:
    """A remark (扣分说明: what was found wrong) is an expert's; a self-evaluation's grounds are its evidence."""
    if scorer != SELF_SOURCE:
        return []
    return [_problem("remark_by_experts", code, scorer) for code in remarked_items]


def check_self_evidence(scorer: str, items_without_evidence: Iterable[str]) -> list[ScoreProblem]:
    """A self-evaluation gives a score and evidence per item (supervision.md §2); experts' evidence is optional."""
    if scorer != SELF_SOURCE:
        return []
    return [_problem("self_evidence_required", code, scorer) for code in items_without_evidence]


def unneeded_reconciliations(
    standard: EvaluationStandard,
    expert_scores_by_item: Mapping[str, Sequence[Decimal]],
    reconciliations: Mapping[str, Reconciliation],
) -> list[ScoreProblem]:
    """Reconciled values for items (scoring or bonus) whose experts (those given) differ by no more than 20 %: they
    will not count."""
    return [
        _problem("reconciliation_unneeded", code, "合议分", f"（相差 {max(scores) - min(scores)}）")
        for code, scores in expert_scores_by_item.items()
        if code in reconciliations
        and scores
        and (top := max_points_of(standard, code)) is not None
        and not differ_too_much(scores, top)
    ]


def check_bonus(standard: EvaluationStandard, bonus: Mapping[str, Decimal]) -> list[ScoreProblem]:
    """Bonus points for known bonus items only, each within 0..its maximum, one decimal place."""
    items = standard.bonus_by_code
    problems = []
    for code, value in bonus.items():
        if code not in items:
            problems.append(_problem("bonus_known_item", code, "加分"))
        else:
            problems += _value_problems(value, items[code].max_points, code, "加分", "bonus_in_range")
    return problems


def check_sheet_values(standard: EvaluationStandard, scores: Mapping[str, Decimal], source: str) -> list[ScoreProblem]:
    """A score sheet's values, scoring items and bonus claims together (told apart by code): each for a known item,
    within 0..its maximum, at most one decimal place. The evaluator's save judges a sheet with it, and the scoring
    form one field as it is typed, so both say the same words."""
    items = {code: value for code, value in scores.items() if not is_bonus_code(code)}
    bonus = {code: value for code, value in scores.items() if is_bonus_code(code)}
    return check_score_values(standard, items, source) + check_bonus(standard, bonus)


def pivot_expert_scores(scores_by_expert: Mapping[str, Mapping[str, Decimal]]) -> dict[str, tuple[Decimal, ...]]:
    """Expert score sheets turned into each item's scores, experts in the given order."""
    by_item: dict[str, list[Decimal]] = {}
    for sheet in scores_by_expert.values():
        for code, value in sheet.items():
            by_item.setdefault(code, []).append(value)
    return {code: tuple(values) for code, values in by_item.items()}


def validate_evaluation(
    standard: EvaluationStandard,
    self_scores: Mapping[str, Decimal],
    scores_by_expert: Mapping[str, Mapping[str, Decimal]],
    veto_verdicts: Mapping[str, bool],
    reconciliations: Mapping[str, Reconciliation],
    bonus: Mapping[str, Decimal],
) -> list[ScoreProblem]:
    """Every problem of one archive's evaluation input, located by item and source (自评, expert name, ...)."""
    problems = check_score_values(standard, self_scores, SELF_SOURCE) + check_all_scored(
        standard, self_scores, SELF_SOURCE
    )
    for expert, sheet in scores_by_expert.items():
        problems += check_score_values(standard, sheet, expert) + check_all_scored(standard, sheet, expert)
    scored = set(self_scores).union(*(set(sheet) for sheet in scores_by_expert.values()))
    problems += check_veto_verdicts(standard, scored, veto_verdicts)
    problems += check_reconciliations(standard, pivot_expert_scores(scores_by_expert), reconciliations)
    return problems + check_bonus(standard, bonus)


@dataclass(frozen=True)
class SheetSums:
    """One scorer's sheet summed as its form's footer sums it: the standard's items scored and their points, the bonus
    claimed and the part of it its cap counts."""

    scored: int
    base: Decimal
    claimed: Decimal
    counted: Decimal


def sum_sheet(standard: EvaluationStandard, scores: Mapping[str, Decimal | None]) -> SheetSums:
    """A sheet's scores (by item code; None for an item left blank) summed."""
    given = {code: value for code, value in scores.items() if value is not None}
    items = [given[item.code] for item in standard.items if item.code in given]
    claimed = sum((given[b.code] for b in standard.bonus_items if b.code in given), Decimal(0))
    return SheetSums(len(items), sum(items, Decimal(0)), claimed, min(claimed, standard.bonus_cap))


def failed_veto_items(veto_verdicts: Mapping[str, bool]) -> tuple[str, ...]:
    """The veto items whose verdict is 不通过 (False)."""
    return tuple(code for code, passed in veto_verdicts.items() if not passed)


def select_problems(
    items: Iterable[Mapping[str, Any]], vetoes: Collection[str]
) -> list[tuple[Mapping[str, Any], bool]]:
    """The problems an evaluation found among an archive's item results (rows with item_code, score, max_points):
    the items that lost points or whose veto verdict is 不通过, each with whether its veto failed; failed vetoes
    first, then by points lost, then by item."""
    problems = [
        (item, item["item_code"] in vetoes)
        for item in items
        # A bonus item short of its maximum lost nothing: it adds what it was awarded.
        if item["item_code"] in vetoes or (item["score"] < item["max_points"] and not is_bonus_code(item["item_code"]))
    ]
    return sorted(problems, key=lambda p: (not p[1], -(p[0]["max_points"] - p[0]["score"]), p[0]["item_code"]))


def problem_severity(score: Decimal, max_points: Decimal, veto_failed: bool) -> FindingSeverity:
    """The severity an evaluation problem is issued with (a proposal, like the standard): a failed veto item is
    严重, an item that lost more than half its points 较重, any other lost points 一般."""
    if veto_failed:
        return FindingSeverity.GRAVE
    return FindingSeverity.SERIOUS if score * 2 < max_points else FindingSeverity.MINOR


def grade_evaluation(standard: EvaluationStandard, final_score: Decimal, has_veto_failure: bool) -> Grade:
    """The grade band of a final score; any failed veto item makes it 不合格."""
    if has_veto_failure:
        return Grade.FAIL
    return next((grade for bound, grade in standard.grade_bands if final_score >= bound), Grade.FAIL)


def score_archive(
    standard: EvaluationStandard,
    self_scores: Mapping[str, Decimal],
    expert_scores_by_item: Mapping[str, Sequence[Decimal]],
    reconciliations: Mapping[str, Reconciliation],
    bonus: Mapping[str, Decimal],
    veto_failures: Collection[str],
) -> ArchiveResult:
    """One archive's result from its self scores, its experts' scores per item, reconciliations, bonus and vetoes."""
    problems = check_score_values(standard, self_scores, SELF_SOURCE)
    problems += check_all_scored(standard, self_scores, SELF_SOURCE)
    problems += check_expert_values(standard, expert_scores_by_item)
    problems += check_all_scored(standard, [c for c, s in expert_scores_by_item.items() if s], "专家")
    problems += check_reconciliations(standard, expert_scores_by_item, reconciliations)
    problems += check_bonus(standard, bonus)
    veto_codes = {i.code for i in standard.veto_items}
    problems += [_problem("veto_verdict_only_veto", c, "否决项结论") for c in veto_failures if c not in veto_codes]
    if problems:
        raise EvaluationInvalid(problems)

    results: dict[str, ItemResult] = {}
    deviations = []
    for item in standard.items:
        rec = reconciliations.get(item.code)
        result = reconcile_item(
            expert_scores_by_item[item.code],
            item.max_points,
            rec.value if rec else None,
            rec.note if rec else None,
            item.code,
        )
        results[item.code] = result
        own = self_scores[item.code]
        if flag_deviation(own, result.score, item.max_points):
            gap = abs(own - result.score)
            deviations.append(Deviation(item.code, own, result.score, gap, tolerance(item.max_points)))
    subtotals = {
        area.code: sum((results[i.code].score for i in area.items), Decimal(0)).quantize(ONE_PLACE)
        for area in standard.areas
    }
    total = sum(subtotals.values(), Decimal(0)).quantize(ONE_PLACE)
    claimed = sum(bonus.values(), Decimal(0)).quantize(ONE_PLACE)
    capped = min(claimed, standard.bonus_cap).quantize(ONE_PLACE)
    final = total + capped
    failed = tuple(i.code for i in standard.veto_items if i.code in veto_failures)
    return ArchiveResult(
        MappingProxyType(results),
        MappingProxyType(subtotals),
        total,
        claimed,
        capped,
        final,
        grade_evaluation(standard, final, bool(failed)),
        tuple(deviations),
        failed,
    )


def rank_archives(results: Mapping[str, ArchiveResult]) -> list[RankedArchive]:
    """Archives ranked by grade, then final score (total + capped bonus): an archive whose failed veto item made it
    不合格 ranks below every 合格 one whatever its score. Equal grade and score share a rank ("1224"), listed by code."""
    grades = list(Grade)
    ordered = sorted(results.items(), key=lambda kv: (grades.index(kv[1].grade), -kv[1].final_score, kv[0]))
    ranked: list[RankedArchive] = []
    for position, (code, result) in enumerate(ordered, 1):
        tied = bool(ranked) and (ranked[-1].grade, ranked[-1].final_score) == (result.grade, result.final_score)
        rank = ranked[-1].rank if tied else position
        ranked.append(RankedArchive(rank, code, result.final_score, result.grade))
    return ranked


def check_scoring_allowed(
    evaluator: str,
    archive_code: str,
    assignments: Mapping[str, Collection[str]],
    is_open: bool,
    shown_as: str | None = None,
) -> None:
    """Raise AccessDenied unless the evaluation is open and the evaluator is assigned to the archive; `shown_as`: the
    evaluator as people read them (刘洋（evaluator）), when not the bare name."""
    who = f"「{evaluator}」" if shown_as in (None, evaluator) else shown_as
    if not is_open:
        raise AccessDenied("本轮评价已结束，不能再提交或修改评分。")
    if evaluator not in assignments:
        # A name no archive is assigned to (a typo in a workbook's 评分人, a person without an account): said so, not
        # that this one archive is not theirs.
        raise AccessDenied(
            f"「{evaluator}」本轮没有分派任何档案馆，不能查看或填写{archive_label(archive_code)}的评分表。",
            hint="工作簿中的评分人请核对姓名：须与平台上评价专家的用户名一致（分派见“业务建设评价”页或 archive-census "
            "evaluation assignments）；如应由您评价，请联系国家档案局规划人员分派。",
        )
    if archive_code not in assignments[evaluator]:
        # Said of scoring and of downloading its sheet alike.
        raise AccessDenied(
            f"评价专家{who}未被分配评价{archive_label(archive_code)}，不能查看或填写其评分表。",
            hint="如该档案馆应由您评价，请联系国家档案局规划人员分派。",
        )


def describe_own_sheet(archive_code: str, expert: str, saved_at: datetime) -> str:
    """Why an upload may not replace a sheet its expert filled in on the platform, and what to do instead."""
    return (
        f"评价专家「{expert}」已于{format_beijing(saved_at)}在平台上自行填写{archive_label(archive_code)}的评分表，"
        "上传的评分表不能替换专家本人的评分：请从本表删去该专家的行；如需更正，请专家本人在平台上修改。"
    )


# An item's entry on a sheet: its score and, for a veto item, whether it passed.
ScoreEntry = tuple[Decimal | None, bool | None]


@dataclass(frozen=True)
class LoadedSheet:
    """A score sheet an earlier upload loaded: when, by whom, and its items' entries by code."""

    saved_at: datetime
    saved_by: str
    items: Mapping[str, ScoreEntry]


# How many changed items a replaced sheet's warning names before it says how many more.
CHANGED_ITEMS_NAMED = 5


def _entry_text(entry: ScoreEntry | None) -> str:
    if entry is None:
        return "无"
    score, passed = entry
    verdict = veto_verdict_text(passed) or ""
    return "、".join(part for part in (str(score) if score is not None else "", verdict) if part) or "空"


def describe_replaced_sheet(archive_code: str, scorer: str, loaded: LoadedSheet, new: Mapping[str, ScoreEntry]) -> str:
    """What loading a sheet over one an earlier upload loaded changes, said before it is loaded (a probe's self-
    evaluation went from 8.5 to 5.0 with nothing said); "" when it changes nothing."""
    changed = [code for code in sorted({*loaded.items, *new}) if loaded.items.get(code) != new.get(code)]
    if not changed:
        return ""
    whose = "自评表" if scorer == SELF_SOURCE else f"评价专家「{scorer}」的评分表"
    named = "，".join(
        f"{code} {_entry_text(loaded.items.get(code))} → {_entry_text(new.get(code))}"
        for code in changed[:CHANGED_ITEMS_NAMED]
    )
    more = f" 等 {len(changed)} 项" if len(changed) > CHANGED_ITEMS_NAMED else ""
    return (
        f"本表将替换此前装载的{archive_label(archive_code)}{whose}（{len(loaded.items)} 项，{loaded.saved_by} "
        f"{format_beijing(loaded.saved_at)}报送），有变化的：{named}{more}；装载后该表以本表为准。"
    )


@dataclass(frozen=True)
class ScoreSheet:
    """One scorer's submitted sheet for one archive: item and bonus scores by code, veto verdicts (True = 通过)."""

    scorer: str
    scores: Mapping[str, Decimal]
    veto_verdicts: Mapping[str, bool]


@dataclass(frozen=True)
class ArchiveEvaluation:
    """Where an archive's evaluation stands: its status, the experts counted, items awaiting reconciliation, result."""

    status: EvaluationStatus
    experts: tuple[str, ...]
    unreconciled: tuple[str, ...]
    result: ArchiveResult | None


def awarded_bonus(
    standard: EvaluationStandard, scores_by_expert: Mapping[str, Mapping[str, Decimal]]
) -> dict[str, tuple[Decimal, ...]]:
    """Each bonus item any expert awarded, with every expert's award in order (0 where one left it blank: awarded
    none), in the standard's order."""
    return {
        item.code: tuple(scores.get(item.code, Decimal(0)) for scores in scores_by_expert.values())
        for item in standard.bonus_items
        if any(item.code in scores for scores in scores_by_expert.values())
    }


def evaluate_archive(
    standard: EvaluationStandard,
    self_sheet: ScoreSheet | None,
    expert_sheets: Sequence[ScoreSheet],
    reconciliations: Mapping[str, Reconciliation],
    min_experts: int = MIN_EXPERTS,
) -> ArchiveEvaluation:
    """An archive's evaluation from submitted sheets: 未完成, 待合议, or 已完成 with its result.

    未完成 without a complete self-evaluation or fewer than `min_experts` complete expert sheets (incomplete ones
    are not counted); 待合议 while experts differ by more than 20 % of an item's maximum and no reconciled value
    is given. A veto item fails when any counted expert's verdict is 不通过 (the self verdict is only shown). A
    bonus item any counted expert awarded is worth its reconciled value, else the mean of every counted expert's
    award, a blank counting as none (0): one expert's award alone is not the panel's, and experts differing by more
    than 20 % of its maximum hold the archive at 待合议 as a scoring item does. Self-claimed bonus points are shown,
    never counted.
    """
    items = standard.items_by_code
    bonus_items = standard.bonus_by_code

    def item_scores(sheet: ScoreSheet) -> dict[str, Decimal]:
        return {code: value for code, value in sheet.scores.items() if code in items}

    counted = [s for s in expert_sheets if not check_all_scored(standard, item_scores(s), s.scorer)]
    experts = tuple(s.scorer for s in counted)
    if (
        self_sheet is None
        or check_all_scored(standard, item_scores(self_sheet), SELF_SOURCE)
        or len(counted) < min_experts
    ):
        return ArchiveEvaluation(EvaluationStatus.INCOMPLETE, experts, (), None)
    by_item = pivot_expert_scores({s.scorer: item_scores(s) for s in counted})
    awarded = awarded_bonus(standard, {s.scorer: s.scores for s in counted})
    unreconciled = tuple(
        p.item_code
        for p in check_reconciliations(standard, {**by_item, **awarded}, reconciliations)
        if p.rule_id == "reconciliation_required"
    )
    if unreconciled:
        return ArchiveEvaluation(EvaluationStatus.PENDING_RECONCILIATION, experts, unreconciled, None)
    item_reconciliations = {code: rec for code, rec in reconciliations.items() if code in items}
    # A bonus item's reconciled value counts as a scoring item's does: only where its experts differ too much.
    awards: dict[str, ItemResult] = {}
    for code, values in awarded.items():
        rec = reconciliations.get(code)
        value, note = (rec.value, rec.note) if rec else (None, None)
        awards[code] = reconcile_item(values, bonus_items[code].max_points, value, note, code)
    bonus = {code: award.score for code, award in awards.items()}
    veto_failures = {code for s in counted for code, passed in s.veto_verdicts.items() if not passed}
    result = score_archive(standard, item_scores(self_sheet), by_item, item_reconciliations, bonus, veto_failures)
    return ArchiveEvaluation(
        EvaluationStatus.COMPLETE, experts, (), replace(result, bonus_items=MappingProxyType(awards))
    )
