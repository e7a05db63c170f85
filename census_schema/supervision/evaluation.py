"""The business-construction evaluation of the 47 comprehensive archives as declared: the versioned standard
(areas → indicators → items with their points, veto items, bonus items and cap, grade bands) and the rules its
input is held to. The arithmetic that scores, grades and ranks by it is `supervision.scoring`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from census_schema.errors import UsageError
from census_schema.fields import Rule, Severity
from census_schema.supervision.codes import Grade

STANDARD_VERSION = "PJ-2024.1"
# The standard's text and its grade thresholds are the platform's proposal until the bureau issues its own.
STANDARD_PROVISIONAL = (
    f"评价标准（{STANDARD_VERSION}）的评分项、分值和评价等次的分数线为暂定稿，以国家档案局正式发布的为准。"
)
# The scorer of a self-evaluation sheet (expert sheets carry the expert's name).
SELF_SOURCE = "自评"
# What bonus items are listed under beside the standard's areas (the template's item list, an archive's items).
BONUS_AREA = "加分项"
# An expert's 扣分说明 (what was found wrong with an item) at most this long: a sentence or two, as in a finding.
MAX_REMARK = 200


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

    def name_items(self, codes: Iterable[str] | None) -> str | None:
        """Scoring items by code and text (`A2.4.2 评价期内未发生档案安全责任事故；…`), as people read them; None for
        none."""
        items = self.items_by_code
        return "；".join(f"{code} {items[code].text}" if code in items else code for code in codes or ()) or None

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

# An archive's result in three figures, named alike wherever they are shown (/evaluation's results, `evaluation
# results`, the feedback report), by their columns: the scoring items' points, the bonus counted (capped), their sum.
RESULT_LABELS = {"total": "基本分", "bonus": "加分", "final_score": "总分"}

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
# The rules evaluation inputs are held to; problems refer to them by id. All are executed by the check functions
# of `supervision.scoring` (kind "evaluation"); the fields are the columns of the uploaded score sheet (加分项 rows
# use the same 评分项编号 and 得分 columns as scoring items).
EVALUATION_RULES: tuple[Rule, ...] = (
    Rule("score_known_item", "evaluation", E, "item_code", "评分项编号须为评价标准中的编号。"),
    Rule("score_in_range", "evaluation", E, "score", "得分须在 0 至该评分项满分之间。"),
    Rule("score_one_decimal", "evaluation", E, "score", "得分最多保留一位小数。"),
    Rule("score_complete", "evaluation", E, "score", "每个适用评分项都须评分，不能遗漏。"),
    Rule("veto_verdict_required", "evaluation", E, "veto_verdict", "否决项须给出「通过/不通过」结论后才能提交。"),
    Rule("veto_verdict_only_veto", "evaluation", E, "veto_verdict", "只有否决项可以给出「通过/不通过」结论。"),
    Rule(
        "veto_failed_full_marks",
        "evaluation",
        Severity.WARNING,
        "veto_verdict",
        "否决项结论为「不通过」而该项得分为满分，两者矛盾：请核对结论或得分（否决项不通过，评价等次即为不合格，与总分无关）。",
    ),
    Rule(
        "reconciliation_required",
        "evaluation",
        E,
        "reconciled",
        "专家评分相差超过该项满分的20%，须给出合议分并说明理由。",
    ),
    Rule("reconciliation_note", "evaluation", E, "note", "合议分须附说明。"),
    Rule(
        "self_evidence_required",
        "evaluation",
        E,
        "evidence",
        f"「{SELF_SOURCE}」须为每个评分项（及申报的加分项）填写佐证材料：评分依据的材料名称或文号。",
    ),
    Rule(
        "reconciliation_by_experts",
        "evaluation",
        E,
        "reconciled",
        f"合议分由专家组在专家评分行填写，「{SELF_SOURCE}」行不能填写合议分；请删去本行的合议分和合议说明。",
    ),
    Rule(
        "reconciliation_unneeded",
        "evaluation",
        Severity.WARNING,
        "reconciled",
        "该项各专家评分（本表的和已提交的）相差未超过满分的20%，得分取专家平均分，合议分不采用；如确需合议，请核对各专家评分。",
    ),
    Rule(
        "reconciliation_pending",
        "evaluation",
        Severity.WARNING,
        "score",
        "本表的评分与该馆已提交的其他专家评分相差超过该项满分的20%（未填的加分项按未加分计）：该馆将待合议，"
        "须由专家组在专家评分行给出合议分并说明理由，才有得分和排名。",
    ),
    Rule("bonus_known_item", "evaluation", E, "item_code", "加分项编号须为评价标准中的编号。"),
    Rule("bonus_in_range", "evaluation", E, "score", "加分须在 0 至该加分项上限之间。"),
)
# PJDF-2025.2's 扣分说明 column is the experts' (the first workbook has none, so not its rule).
REMARK_RULE = Rule(
    "remark_by_experts",
    "evaluation",
    E,
    "remark",
    f"扣分说明由评价专家填写，「{SELF_SOURCE}」行不能填写；请删去本行的扣分说明，自评的依据写在「佐证材料」中。",
)
EVALUATION_RULES_BY_ID = {r.rule_id: r for r in (*EVALUATION_RULES, REMARK_RULE)}
