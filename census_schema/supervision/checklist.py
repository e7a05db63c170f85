"""The inspection checklist as versioned data (areas → items, veto items) and the grade bands of comprehensive
inspections; the grading itself is `supervision.grading`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from census_schema.errors import UsageError
from census_schema.supervision.codes import Grade

CHECKLIST_VERSION = "JC-2023.1"
# The checklist's text and its grading thresholds are the platform's proposal until the bureau issues its own.
CHECKLIST_PROVISIONAL = (
    f"检查清单（{CHECKLIST_VERSION}）的检查项目和综合检查评定等次的比例线为暂定稿，以国家档案局正式发布的为准。"
)

# Lower bounds (inclusive) of the compliance share, best grade first; below the last bound the grade is 不合格.
INSPECTION_GRADE_BANDS: tuple[tuple[Fraction, Grade], ...] = (
    (Fraction(80), Grade.EXCELLENT),
    (Fraction(70), Grade.GOOD),
    (Fraction(60), Grade.PASSED),
)
# A failed veto item rules out 优秀: the grade is capped here.
VETO_GRADE_CAP = Grade.GOOD


@dataclass(frozen=True)
class ChecklistItem:
    """One thing an inspector checks; failing a veto item rules out 优秀."""

    code: str
    text: str
    basis: str = ""
    is_veto: bool = False


@dataclass(frozen=True)
class ChecklistArea:
    """A first-level area of the checklist with its items."""

    code: str
    name: str
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class Checklist:
    """A versioned inspection checklist."""

    version: str
    title: str
    effective_on: date
    areas: tuple[ChecklistArea, ...]

    @property
    def items(self) -> tuple[ChecklistItem, ...]:
        """All items in checklist order."""
        return tuple(item for area in self.areas for item in area.items)

    @property
    def items_by_code(self) -> dict[str, ChecklistItem]:
        """Items keyed by code."""
        return {item.code: item for item in self.items}

    @property
    def veto_items(self) -> tuple[ChecklistItem, ...]:
        """The veto items in checklist order."""
        return tuple(item for item in self.items if item.is_veto)

    def item(self, code: str) -> ChecklistItem:
        """The item with this code; an unknown code is a usage error."""
        try:
            return self.items_by_code[code]
        except KeyError:
            raise UsageError(
                f"检查清单 {self.version} 中没有检查项目「{code}」。",
                hint="请按检查清单填写项目编号（如 A01-01）。",
            ) from None

    def area_of(self, item_code: str) -> ChecklistArea:
        """The area an item belongs to."""
        self.item(item_code)
        return next(area for area in self.areas if any(i.code == item_code for i in area.items))


def _area(number: int, name: str, *items: tuple[str, str] | tuple[str, str, bool]) -> ChecklistArea:
    code = f"A{number:02d}"
    built = tuple(ChecklistItem(f"{code}-{i:02d}", *spec) for i, spec in enumerate(items, 1))
    return ChecklistArea(code, name, built)


_LAW = "《中华人民共和国档案法》"
_ORGAN_RULES = "《机关档案管理规定》"
_VETO = True

CHECKLIST_2023 = Checklist(
    CHECKLIST_VERSION,
    "档案工作监督检查清单（2023年版）",
    date(2023, 1, 1),
    (
        _area(
            1,
            "档案工作责任制",
            ("档案工作纳入本单位（本地区）发展规划和年度工作计划，并列入考核内容", _LAW),
            ("明确分管负责人，设立或明确档案工作机构，配备与工作任务相适应的档案人员", _ORGAN_RULES),
            ("建立档案工作责任制，明确各部门、各岗位的文件材料归档责任", _ORGAN_RULES),
            ("档案工作所需经费列入预算并保障到位", _LAW),
        ),
        _area(
            2,
            "管理制度",
            ("建立档案收集、整理、保管、鉴定、统计、利用等基本制度", _ORGAN_RULES),
            ("制定文件材料归档范围和档案保管期限表，并经同级档案主管部门审查同意", _ORGAN_RULES),
            ("制定档案安全管理制度和突发事件应急预案，并定期演练", _LAW),
            ("制度根据法律法规变化及时修订，执行情况有记录可查", ""),
        ),
        _area(
            3,
            "档案用房与库房",
            ("档案库房、办公用房、阅览用房分开设置", "《档案馆建筑设计规范》（JGJ 25）"),
            ("库房面积满足档案存放需要，楼面承重、防潮防水符合标准", "《档案馆建筑设计规范》（JGJ 25）"),
            ("库房配备温湿度调控设备，温湿度有记录且控制在标准范围内", ""),
            ("库房配备火灾自动报警系统和适宜的灭火设施，且运行有效", "《档案馆建筑设计规范》（JGJ 25）", _VETO),
            ("库房防盗、防光、防尘、防虫、防鼠等措施落实", ""),
        ),
        _area(
            4,
            "收集归档",
            ("按归档范围及时、完整归档，无应归未归、据为己有现象", _LAW),
            ("重大活动、重点建设项目文件材料同步收集、及时归档", ""),
            ("电子文件按规定格式和元数据要求归档", "《电子文件归档与电子档案管理规范》（GB/T 18894）"),
            ("归档交接手续完备，有归档登记和交接记录", _ORGAN_RULES),
        ),
        _area(
            5,
            "整理",
            ("文书档案按归档文件整理规则整理，分类、排列、编号规范", "《归档文件整理规则》（DA/T 22）"),
            ("科技、会计、人事等专门档案按相应标准整理", ""),
            ("编制档案目录和检索工具，目录与实体相符", ""),
            ("零散文件材料及时整理，无积存", ""),
        ),
        _area(
            6,
            "保管保护",
            ("档案装具、卷皮卷盒符合标准，排架有序、标识清楚", ""),
            ("定期检查档案保管状况，对破损、褪变档案及时修复或复制", ""),
            ("重要档案实行异地异质备份", ""),
            ("检查期内未发生档案丢失、损毁、泄密等安全事故", _LAW, _VETO),
        ),
        _area(
            7,
            "鉴定销毁",
            ("成立档案鉴定小组，定期开展到期档案鉴定，鉴定有记录", _ORGAN_RULES),
            ("销毁档案履行审批手续，编制销毁清册，两人以上监销", _ORGAN_RULES),
            ("无擅自销毁、违规处置档案行为", _LAW, _VETO),
        ),
        _area(
            8,
            "统计与移交",
            ("按时报送档案工作基本情况统计年报，数据真实准确", "《档案工作基本情况统计调查制度》"),
            ("建立档案管理登记台账，账物相符", ""),
            ("按期向有关档案馆移交档案，移交手续完备", _LAW),
            ("机构变动时档案处置符合规定，无档案散失", _LAW),
        ),
        _area(
            9,
            "信息化建设与安全",
            ("建成档案信息管理系统，功能满足收集、管理、利用需要", ""),
            ("档案数字化工作符合规范，成果质量经检验合格", "《纸质档案数字化规范》（DA/T 31）"),
            ("电子档案和数字化成果落实长期保存和备份措施", ""),
            ("档案信息系统落实网络安全等级保护要求", ""),
            ("涉密档案信息系统符合保密要求，未发生失泄密事件", "", _VETO),
        ),
        _area(
            10,
            "开放利用",
            ("建立档案利用制度，利用登记和审批手续完备", _ORGAN_RULES),
            ("按规定开展档案开放审核，到期档案及时开放", _LAW),
            ("主动提供利用服务，编研开发利用成果", ""),
            ("涉密和敏感档案利用审批严格，无违规提供利用", _LAW),
        ),
    ),
)

CHECKLISTS: dict[str, Checklist] = {c.version: c for c in (CHECKLIST_2023,)}
CURRENT_CHECKLIST = CHECKLIST_2023


def get_checklist(version: str | None = None) -> Checklist:
    """The checklist of a version (default: the current one)."""
    if version is None:
        return CURRENT_CHECKLIST
    try:
        return CHECKLISTS[version]
    except KeyError:
        raise UsageError(f"未知的检查清单版本「{version}」。", hint=f"现有版本：{'、'.join(CHECKLISTS)}。") from None
