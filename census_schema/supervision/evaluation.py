"""The business-construction evaluation of the 47 comprehensive archives: the versioned standard and its arithmetic.

Scores are Decimals with one decimal place. An item's expert score is the mean of its experts' scores, rounded half
up to one place, unless a reconciled value (合议分) is given; when the experts' scores differ by more than 20 % of the
item's maximum (highest minus lowest) a reconciled value is required, and scoring refuses to go on without it
(`EvaluationInvalid`, whose problems the validation helpers also report up front). A reconciled value always needs a
note, and may also be given when the experts agree. The grade and the rank use the
final score = item total + capped bonus; any failed veto item makes the grade 不合格 whatever the score. Archives with
the same final score share a rank (standard competition ranking, "1224").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from census_schema.errors import AccessDenied, UsageError
from census_schema.fields import Rule, Severity
from census_schema.supervision.codes import EvaluationStatus, Grade

STANDARD_VERSION = "PJ-2024.1"
ONE_PLACE = Decimal("0.1")
# Experts' spread and self-vs-expert gap above this share of the item maximum need attention.
TOLERANCE_SHARE = Decimal("0.2")
SELF_SOURCE = "自评"
# An archive's expert score needs at least this many experts' complete, submitted sheets ("usually 3–5").
MIN_EXPERTS = 3


@dataclass(frozen=True)
class ScoringItem:
    """The smallest scored unit of the standard."""

    code: str
    text: str
    max_points: Decimal
    rule: str
    evidence: str
    is_veto: bool = False


@dataclass(frozen=True)
class Indicator:
    """A second-level indicator and its scoring items."""

    code: str
    name: str
    items: tuple[ScoringItem, ...]

    @property
    def max_points(self) -> Decimal:
        """The sum of its items' maxima."""
        return sum((i.max_points for i in self.items), Decimal(0))


@dataclass(frozen=True)
class EvaluationArea:
    """A first-level area with its declared points and its indicators."""

    code: str
    name: str
    points: Decimal
    indicators: tuple[Indicator, ...]

    @property
    def items(self) -> tuple[ScoringItem, ...]:
        """All scoring items of the area in order."""
        return tuple(item for ind in self.indicators for item in ind.items)

    @property
    def max_points(self) -> Decimal:
        """The sum of its items' maxima (must equal `points`)."""
        return sum((i.max_points for i in self.items), Decimal(0))


@dataclass(frozen=True)
class BonusItem:
    """An item that adds points on top of the standard, within the bonus cap."""

    code: str
    text: str
    max_points: Decimal
    rule: str


@dataclass(frozen=True)
class EvaluationStandard:
    """A versioned evaluation standard: areas → indicators → items, bonus items, bonus cap and grade bands."""

    version: str
    title: str
    areas: tuple[EvaluationArea, ...]
    bonus_items: tuple[BonusItem, ...]
    bonus_cap: Decimal
    grade_bands: tuple[tuple[Decimal, Grade], ...]

    @property
    def items(self) -> tuple[ScoringItem, ...]:
        """All scoring items in order."""
        return tuple(item for area in self.areas for item in area.items)

    @property
    def items_by_code(self) -> dict[str, ScoringItem]:
        """Scoring items keyed by code."""
        return {item.code: item for item in self.items}

    @property
    def bonus_by_code(self) -> dict[str, BonusItem]:
        """Bonus items keyed by code."""
        return {b.code: b for b in self.bonus_items}

    @property
    def veto_items(self) -> tuple[ScoringItem, ...]:
        """The veto items in order."""
        return tuple(item for item in self.items if item.is_veto)

    @property
    def max_points(self) -> Decimal:
        """The total of all item maxima, without bonus."""
        return sum((a.max_points for a in self.areas), Decimal(0))

    def area_of(self, item_code: str) -> EvaluationArea:
        """The area a scoring item belongs to."""
        for area in self.areas:
            if any(item.code == item_code for item in area.items):
                return area
        raise UsageError(f"评价标准 {self.version} 中没有评分项「{item_code}」。")


def _item(text: str, points: int, rule: str, evidence: str, is_veto: bool = False) -> tuple[str, int, str, str, bool]:
    return (text, points, rule, evidence, is_veto)


def _indicator(
    name: str, *items: tuple[str, int, str, str, bool]
) -> tuple[str, tuple[tuple[str, int, str, str, bool], ...]]:
    return (name, items)


def _area(
    number: int, name: str, points: int, *indicators: tuple[str, tuple[tuple[str, int, str, str, bool], ...]]
) -> EvaluationArea:
    built = []
    for i, (ind_name, items) in enumerate(indicators, 1):
        code = f"A{number}.{i}"
        scored = tuple(
            ScoringItem(f"{code}.{j}", text, Decimal(pts), rule, evidence, veto)
            for j, (text, pts, rule, evidence, veto) in enumerate(items, 1)
        )
        built.append(Indicator(code, ind_name, scored))
    return EvaluationArea(f"A{number}", name, Decimal(points), tuple(built))


_FULL_OR_DEDUCT = "符合要求得满分；每发现一处不符合扣{d}分，扣完为止。"
_VETO_RULE = "否决项：须给出「通过/不通过」结论；不通过的，评价等次为不合格。"

PJ_2024 = EvaluationStandard(
    STANDARD_VERSION,
    "副省级以上综合档案馆业务建设评价标准（2024年版）",
    (
        _area(
            1,
            "基础条件与人员",
            150,
            _indicator(
                "机构与职责",
                _item(
                    "机构设置、职能配置符合规定并有效履行", 10, _FULL_OR_DEDUCT.format(d=2), "三定方案、年度工作总结"
                ),
                _item("档案事业纳入本地区国民经济和社会发展规划", 10, "纳入得满分；未纳入不得分。", "发展规划文本"),
                _item(
                    "年度工作计划和总结完整，重点任务有部署有落实", 10, _FULL_OR_DEDUCT.format(d=2), "年度计划、总结"
                ),
            ),
            _indicator(
                "人员队伍",
                _item(
                    "专业技术人员占在编人员比例不低于60%",
                    15,
                    "达到60%得满分；每低5个百分点扣3分。",
                    "人员花名册、职称证书",
                ),
                _item("人员年度培训覆盖率达到100%", 15, "覆盖率每低10个百分点扣3分。", "培训计划、签到表、证书"),
                _item(
                    "档案专家和领军人才培养",
                    10,
                    "有省级以上档案专家或领军人才得满分；有培养计划得5分。",
                    "入选文件、培养计划",
                ),
            ),
            _indicator(
                "馆舍建设",
                _item(
                    "馆舍建筑面积达到《档案馆建设标准》要求", 20, "达标得满分；每低10%扣4分。", "产权证明、面积测绘报告"
                ),
                _item(
                    "库房、业务技术用房、对外服务用房功能分区合理", 15, _FULL_OR_DEDUCT.format(d=3), "平面图、现场查看"
                ),
                _item(
                    "有馆舍改扩建或新馆建设规划并推进实施",
                    15,
                    "已立项或在建得满分；有规划未立项得8分。",
                    "立项批复、规划文本",
                ),
            ),
            _indicator(
                "经费保障",
                _item(
                    "档案工作经费纳入同级财政预算并逐年保障", 15, "纳入并足额保障得满分；未纳入不得分。", "财政预算批复"
                ),
                _item("数字化、抢救保护等专项经费落实", 15, "每个专项落实得5分，最高15分。", "专项经费批复文件"),
            ),
        ),
        _area(
            2,
            "安全体系建设",
            150,
            _indicator(
                "安全管理制度",
                _item("档案安全责任制落实到岗到人", 15, _FULL_OR_DEDUCT.format(d=3), "责任书、岗位职责"),
                _item(
                    "制定档案安全应急预案并每年至少演练一次", 15, "有预案得8分；每年演练得7分。", "应急预案、演练记录"
                ),
                _item(
                    "定期开展安全检查和隐患排查，问题整改到位", 10, _FULL_OR_DEDUCT.format(d=2), "检查记录、整改台账"
                ),
            ),
            _indicator(
                "库房管理",
                _item("库房温湿度符合标准并有连续记录", 15, _FULL_OR_DEDUCT.format(d=3), "温湿度记录、现场查看"),
                _item("消防设施配备齐全、运行有效", 15, _FULL_OR_DEDUCT.format(d=3), "消防验收、维保记录"),
                _item("防光、防尘、防虫、防霉措施落实", 10, _FULL_OR_DEDUCT.format(d=2), "现场查看、消杀记录"),
                _item("库房出入登记和钥匙管理规范", 10, _FULL_OR_DEDUCT.format(d=2), "出入登记簿"),
            ),
            _indicator(
                "档案实体保护",
                _item("破损档案修复计划完成率达到90%", 15, "每低10个百分点扣3分。", "修复计划、修复登记"),
                _item("重要档案实行异地异质备份", 15, "已备份得满分；部分备份按比例得分。", "备份清单、交接记录"),
            ),
            _indicator(
                "安全保障",
                _item("每年开展档案安全风险评估", 10, "开展并形成报告得满分。", "风险评估报告"),
                _item("评价期内未发生档案安全责任事故", 20, _VETO_RULE, "事故报告、情况说明", True),
            ),
        ),
        _area(
            3,
            "资源体系建设",
            250,
            _indicator(
                "档案接收",
                _item("按期接收立档单位档案进馆", 25, "按期接收率每低10个百分点扣5分。", "接收进馆计划、交接文据"),
                _item("重大活动、重点工程档案接收进馆", 20, "每缺一项扣4分。", "接收清单"),
                _item("电子档案接收进馆", 15, "已开展得满分；开展试点得8分。", "接收记录、系统查看"),
                _item("进馆档案质量符合要求", 10, "抽查不合格率每1%扣1分。", "抽查记录"),
            ),
            _indicator(
                "档案征集",
                _item("建立档案征集工作机制和征集范围", 10, _FULL_OR_DEDUCT.format(d=2), "征集办法、征集范围"),
                _item("征集重大活动、知名人物档案资料", 15, "每征集一批（宗）得3分，最高15分。", "征集登记、捐赠证书"),
                _item("开展口述历史采集", 15, "每完成一个专题得5分，最高15分。", "口述史料成果"),
            ),
            _indicator(
                "馆藏结构",
                _item("馆藏档案总量持续增长", 20, "较上一评价期增长得满分；持平得10分。", "统计年报"),
                _item(
                    "馆藏门类齐全，载体多样",
                    15,
                    "文书、科技、专门、照片、音像、电子、实物档案每缺一类扣3分。",
                    "统计年报",
                ),
                _item("建设地方特色档案资源", 15, "有特色档案资源体系得满分；有规划得8分。", "资源建设规划、专题目录"),
            ),
            _indicator(
                "整理与编目",
                _item("档案整理规范，符合国家标准", 20, "抽查不合格率每1%扣2分。", "抽查记录"),
                _item("档案目录数据库完整，著录质量合格", 20, "目录数据覆盖率每低10个百分点扣4分。", "目录数据库"),
                _item("全宗卷建立齐全", 10, "每缺一个全宗卷扣1分。", "全宗卷"),
            ),
            _indicator(
                "鉴定与处置",
                _item("定期开展馆藏档案价值鉴定", 20, "按计划开展得满分；未开展不得分。", "鉴定报告"),
                _item("无擅自销毁、违规处置馆藏档案行为", 20, _VETO_RULE, "销毁清册、审批文件", True),
            ),
        ),
        _area(
            4,
            "利用体系建设",
            200,
            _indicator(
                "开放审核",
                _item("到期档案开放审核完成率达到100%", 25, "每低10个百分点扣5分。", "开放审核记录"),
                _item("开放档案目录及时向社会公布", 15, "已公布得满分；部分公布按比例得分。", "公布目录、网站截图"),
                _item("建立开放审核工作制度", 10, "有制度并执行得满分。", "开放审核办法"),
            ),
            _indicator(
                "利用服务",
                _item("查阅利用服务规范便捷", 20, _FULL_OR_DEDUCT.format(d=4), "利用登记、服务指南"),
                _item("开展跨馆出具档案证明和异地查档服务", 20, "已开展得满分；接入平台未开展得10分。", "平台记录"),
                _item("利用效果登记和统计分析", 10, _FULL_OR_DEDUCT.format(d=2), "利用效果登记"),
                _item("便民服务措施落实", 10, _FULL_OR_DEDUCT.format(d=2), "服务指南、现场查看"),
            ),
            _indicator(
                "编研开发",
                _item("档案编研成果数量和质量", 20, "每出版一种编研成果得4分，最高20分。", "编研成果"),
                _item("档案史料公布和出版", 15, "每公布或出版一批得5分，最高15分。", "出版物"),
                _item("档案文化创意产品开发", 15, "每开发一类产品得5分，最高15分。", "产品实物、清单"),
            ),
            _indicator(
                "宣传教育",
                _item("举办档案展览", 15, "每举办一个展览得5分，最高15分。", "展览方案、照片"),
                _item("爱国主义教育基地建设和运行", 10, "已命名并正常开放得满分。", "命名文件、接待记录"),
                _item("组织“国际档案日”等宣传活动", 15, "每开展一项活动得5分，最高15分。", "活动方案、报道"),
            ),
        ),
        _area(
            5,
            "信息化建设",
            150,
            _indicator(
                "基础设施",
                _item("数字档案馆系统建成并通过测评", 20, "通过国家级测评得满分；通过省级测评得15分。", "测评证书"),
                _item("网络、存储和灾备设施满足需要", 20, _FULL_OR_DEDUCT.format(d=4), "设备清单、现场查看"),
            ),
            _indicator(
                "数字资源",
                _item(
                    "馆藏档案数字化率达到规划目标", 25, "达到目标得满分；每低5个百分点扣5分。", "数字化台账、统计年报"
                ),
                _item("电子档案长期保存措施落实", 15, _FULL_OR_DEDUCT.format(d=3), "长期保存策略、检测记录"),
                _item("档案数据库数据质量合格", 10, "抽查差错率每1‰扣1分。", "抽查记录"),
            ),
            _indicator(
                "信息安全",
                _item("档案信息系统通过网络安全等级保护测评", 10, "通过测评得满分。", "等级保护测评报告"),
                _item("评价期内未发生档案数据泄露、失泄密事件", 20, _VETO_RULE, "保密检查记录、情况说明", True),
            ),
            _indicator(
                "共享服务",
                _item("接入全国档案查询利用服务平台", 15, "已接入并正常服务得满分。", "平台记录"),
                _item("开展在线查档和数字档案资源共享", 15, _FULL_OR_DEDUCT.format(d=3), "网站、服务记录"),
            ),
        ),
        _area(
            6,
            "重点工作落实",
            100,
            _indicator(
                "重大任务",
                _item(
                    "“十四五”档案事业发展规划任务落实", 20, "年度任务完成率每低10个百分点扣4分。", "规划中期评估报告"
                ),
                _item("国家重点档案保护与开发项目实施", 20, "每完成一个项目得5分，最高20分。", "项目验收材料"),
            ),
            _indicator(
                "专项工作",
                _item("全国档案资源普查工作按期完成", 20, "按期完成并通过审核得满分。", "普查数据、审核意见"),
                _item("重大活动、突发事件档案工作", 20, _FULL_OR_DEDUCT.format(d=4), "工作方案、接收清单"),
            ),
            _indicator(
                "监督指导",
                _item("对下级档案馆开展业务指导", 10, "每年开展得满分。", "指导记录"),
                _item("档案执法检查和问题整改落实", 10, "整改完成率每低10个百分点扣2分。", "检查报告、整改台账"),
            ),
        ),
    ),
    (
        BonusItem("B1", "获得国家级档案工作表彰奖励", Decimal(10), "每项得5分，最高10分。"),
        BonusItem("B2", "创新工作经验被国家档案局推广", Decimal(10), "每项得5分，最高10分。"),
        BonusItem("B3", "承担国家重点档案保护与开发重大项目", Decimal(10), "每项得5分，最高10分。"),
        BonusItem("B4", "档案科研成果获省部级以上奖励", Decimal(10), "每项得5分，最高10分。"),
        BonusItem("B5", "承办全国性档案工作会议或重大活动", Decimal(5), "每项得5分。"),
    ),
    Decimal(30),
    ((Decimal(900), Grade.EXCELLENT), (Decimal(800), Grade.GOOD), (Decimal(700), Grade.PASSED)),
)

STANDARDS: dict[str, EvaluationStandard] = {s.version: s for s in (PJ_2024,)}
CURRENT_STANDARD = PJ_2024


def get_standard(version: str | None = None) -> EvaluationStandard:
    """The evaluation standard of a version (default: the current one)."""
    if version is None:
        return CURRENT_STANDARD
    try:
        return STANDARDS[version]
    except KeyError:
        raise UsageError(f"未知的评价标准版本「{version}」。", hint=f"现有版本：{'、'.join(STANDARDS)}。") from None


E = Severity.ERROR
# The rules evaluation inputs are held to; problems refer to them by id. All are executed here, by the check
# functions below (kind "evaluation"); the fields are the columns of the uploaded score sheet (加分项 rows use the
# same 评分项编号 and 得分 columns as scoring items).
EVALUATION_RULES: tuple[Rule, ...] = (
    Rule("score_known_item", "evaluation", E, "item_code", "评分项编号须为评价标准中的编号。"),
    Rule("score_in_range", "evaluation", E, "score", "得分须在 0 至该评分项满分之间。"),
    Rule("score_one_decimal", "evaluation", E, "score", "得分最多保留一位小数。"),
    Rule("score_complete", "evaluation", E, "score", "每个适用评分项都须评分，不能遗漏。"),
    Rule("veto_verdict_required", "evaluation", E, "veto_verdict", "否决项须给出「通过/不通过」结论后才能评分。"),
    Rule("veto_verdict_only_veto", "evaluation", E, "veto_verdict", "只有否决项可以给出「通过/不通过」结论。"),
    Rule(
        "reconciliation_required",
        "evaluation",
        E,
        "reconciled",
        "专家评分相差超过该项满分的20%，须给出合议分并说明理由。",
    ),
    Rule("reconciliation_note", "evaluation", E, "note", "合议分须附说明。"),
    Rule("bonus_known_item", "evaluation", E, "item_code", "加分项编号须为评价标准中的编号。"),
    Rule("bonus_in_range", "evaluation", E, "score", "加分须在 0 至该加分项上限之间。"),
)
EVALUATION_RULES_BY_ID = {r.rule_id: r for r in EVALUATION_RULES}


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
        return [_problem(range_rule, code, source, f"（填写 {value}，满分 {max_points}）")]
    if value != value.quantize(ONE_PLACE):
        return [_problem("score_one_decimal", code, source, f"（填写 {value}）")]
    return []


def tolerance(max_points: Decimal) -> Decimal:
    """The allowed gap between scores of one item: 20 % of its maximum."""
    return max_points * TOLERANCE_SHARE


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
    """An item's expert score: the experts' mean, or the reconciled value, which is required when they differ too much."""
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
    needs = spread > tolerance(max_points)
    if reconciled is None:
        if needs:
            detail = f"（最高 {max(scores)}、最低 {min(scores)}，相差 {spread}，超过 {tolerance(max_points)}）"
            raise EvaluationInvalid([_problem("reconciliation_required", item_code, "专家", detail)])
        return ItemResult(scores, mean, spread, needs, mean, False, None)
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


def check_reconciliations(
    standard: EvaluationStandard,
    expert_scores_by_item: Mapping[str, Sequence[Decimal]],
    reconciliations: Mapping[str, Reconciliation],
) -> list[ScoreProblem]:
    """Items whose experts differ by more than 20 % of the maximum have a reconciled value with a note."""
    items = standard.items_by_code
    problems = []
    for code, scores in expert_scores_by_item.items():
        if code in items and scores and max(scores) - min(scores) > tolerance(items[code].max_points):
            if code not in reconciliations:
                problems.append(
                    _problem("reconciliation_required", code, "专家", f"（相差 {max(scores) - min(scores)}）")
                )
    for code, rec in reconciliations.items():
        if code not in items:
            problems.append(_problem("score_known_item", code, "合议分"))
            continue
        problems += _value_problems(rec.value, items[code].max_points, code, "合议分", "score_in_range")
        if not rec.note.strip():
            problems.append(_problem("reconciliation_note", code, "合议分"))
    return problems


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


def failed_veto_items(veto_verdicts: Mapping[str, bool]) -> tuple[str, ...]:
    """The veto items whose verdict is 不通过 (False)."""
    return tuple(code for code, passed in veto_verdicts.items() if not passed)


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
    """Archives ranked by final score (total + capped bonus); equal scores share a rank ("1224"), listed by code."""
    ordered = sorted(results.items(), key=lambda kv: (-kv[1].final_score, kv[0]))
    ranked: list[RankedArchive] = []
    for position, (code, result) in enumerate(ordered, 1):
        tied = bool(ranked) and ranked[-1].final_score == result.final_score
        rank = ranked[-1].rank if tied else position
        ranked.append(RankedArchive(rank, code, result.final_score, result.grade))
    return ranked


def check_scoring_allowed(
    evaluator: str, archive_code: str, assignments: Mapping[str, Collection[str]], is_open: bool
) -> None:
    """Raise AccessDenied unless the evaluation is open and the evaluator is assigned to the archive."""
    if not is_open:
        raise AccessDenied("本轮评价已结束，不能再提交或修改评分。")
    if archive_code not in assignments.get(evaluator, ()):
        raise AccessDenied(f"评价专家「{evaluator}」未被分配评价档案馆 {archive_code}，不能为其评分。")


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


def _mean(values: Sequence[Decimal]) -> Decimal:
    return round_score(sum(values, Decimal(0)) / len(values))


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
    bonus item is worth its reconciled value, else the mean of the counted experts who awarded it; self-claimed
    bonus points are shown, never counted.
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
    item_reconciliations = {code: rec for code, rec in reconciliations.items() if code in items}
    unreconciled = tuple(
        p.item_code
        for p in check_reconciliations(standard, by_item, item_reconciliations)
        if p.rule_id == "reconciliation_required"
    )
    if unreconciled:
        return ArchiveEvaluation(EvaluationStatus.PENDING_RECONCILIATION, experts, unreconciled, None)
    awarded = pivot_expert_scores(
        {s.scorer: {code: v for code, v in s.scores.items() if code in bonus_items} for s in counted}
    )
    bonus = {
        code: reconciliations[code].value if code in reconciliations else _mean(values)
        for code, values in awarded.items()
    }
    bonus.update({code: rec.value for code, rec in reconciliations.items() if code in bonus_items})
    veto_failures = {code for s in counted for code, passed in s.veto_verdicts.items() if not passed}
    result = score_archive(standard, item_scores(self_sheet), by_item, item_reconciliations, bonus, veto_failures)
    return ArchiveEvaluation(EvaluationStatus.COMPLETE, experts, (), result)
