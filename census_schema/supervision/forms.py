"""The supervision workbooks, declared field by field: inspections (records, findings, rectification updates), the
evaluation score sheet, and the plan indicators (values, and the provinces' own baselines and targets).

One workbook kind per upload (`archive-census ingest inspections|evaluation|indicators FILE`), one Form per data
sheet. The inspections workbook has three sheets because an inspection team reports its record, the problems it
found and, later, the progress of their rectification; a later upload may carry only updates, so each of its sheets
may be empty as long as one has rows. All three are national workbooks: filled by the national bureau (or a
provincial bureau for its own inspections) for units anywhere, so they carry no province of their own.

Rules are declared once: each field's own rules come from `build_field_rules`; the lifecycle and evaluation rules
are the domain's own (`LIFECYCLE_RULES`, `EVALUATION_RULES`), executed by the domain functions that enforce them;
the rest are declared here and executed by `checks` (row rules over one sheet, workbook rules across sheets and
against what the warehouse already holds).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from census_schema.archives import archive_names, list_comprehensive_archives, require_archive
from census_schema.census_form import declare_form, evolve_form
from census_schema.codes import YES_NO, CodeList
from census_schema.divisions import load_divisions
from census_schema.errors import UsageError
from census_schema.fields import (
    MAX_CHECKLIST_ITEMS,
    MAX_INDICATOR_VALUE,
    Field,
    FieldType,
    Form,
    ReferenceTable,
    Rule,
    Severity,
    WorkbookForm,
    frozen_params,
)
from census_schema.supervision.checklist import CHECKLIST_PROVISIONAL, CHECKLISTS
from census_schema.supervision.codes import (
    FINDING_ACTION,
    FINDING_ROLE,
    FINDING_SEVERITY,
    IMMEDIATE,
    INSPECTED_UNIT_CLASS,
    INSPECTION_TYPE,
    SPECIAL,
    SPECIAL_RESULT,
    VETO_VERDICT,
    FindingRole,
    FindingSeverity,
)
from census_schema.supervision.evaluation import (
    BONUS_AREA,
    EVALUATION_RULES,
    MAX_REMARK,
    REMARK_RULE,
    SELF_SOURCE,
    STANDARD_PROVISIONAL,
    STANDARD_VERSION,
    get_standard,
)
from census_schema.supervision.indicators import (
    COUNTED_INDICATORS,
    CUMULATIVE_INDICATORS,
    NATIONAL_ONLY_INDICATORS,
    PERCENT_INDICATORS,
    PLAN_BASE_YEAR,
    PLAN_INDICATORS,
    PLAN_TARGET_YEAR,
    PROVINCIAL_TARGET_INDICATORS,
    PlanIndicator,
)
from census_schema.supervision.rectification import LIFECYCLE_RULES, MEASURES_ACTION_NAMES, RECTIFICATION_WORKING_DAYS
from census_schema.uscc import USCC_PATTERN

# JDJC-2025.1: the first inspections workbook; JDJC-2025.2 adds a special inspection's result (专项检查结论) to its
# 检查记录; JDJC-2025.3 adds the rectifier's measures (整改措施) to its 整改进展. A sheet a version leaves unchanged
# keeps its form's version (检查记录 is at JDJC-2025.2, 发现问题 at JDJC-2025.1, 整改进展 at JDJC-2025.3).
FIRST_INSPECTIONS_VERSION = "JDJC-2025.1"
SPECIAL_RESULT_VERSION = "JDJC-2025.2"
INSPECTIONS_VERSION = "JDJC-2025.3"
# PJDF-2025.1: the first evaluation workbook; PJDF-2025.2 adds the experts' 扣分说明 (what they found wrong) to its
# 评分表, as the web form has had it.
FIRST_EVALUATION_VERSION = "PJDF-2025.1"
EVALUATION_VERSION = "PJDF-2025.2"
# GHZB-2025.1: the indicators workbook of 指标数值 only; GHZB-2025.2 adds the provinces' own baselines and targets
# (分省目标). 指标数值 is unchanged and keeps its form's version (GHZB-2025.1).
FIRST_INDICATORS_VERSION = "GHZB-2025.1"
INDICATORS_VERSION = "GHZB-2025.2"
# The round a workbook belongs to: the year of inspections, the evaluation round, the plan period.
INSPECTIONS_ROUND = "2025"
EVALUATION_ROUND = "2025"
INDICATORS_ROUND = "2021-2025"
MAX_SUPERVISION_ROWS = 100_000
# Separators between the names of an inspection team's members.
NAME_SEPARATORS = "、，,;；/ "
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
ID_HINT = "1～40位字母、数字、短横线或下划线，如 JC2023-001"

E, W = Severity.ERROR, Severity.WARNING
T, INT, D, CODE, DATE = FieldType.TEXT, FieldType.INTEGER, FieldType.DECIMAL, FieldType.CODE, FieldType.DATE
P = frozen_params

# Code lists built from data declared elsewhere, never typed again.
CHECKLIST_VERSIONS = CodeList("checklist_version", "检查清单版本", tuple(CHECKLISTS))
COMPREHENSIVE_ARCHIVES = CodeList(
    "comprehensive_archive",
    "综合档案馆代码",
    tuple(a.archive_code for a in list_comprehensive_archives()),
    names=tuple(a.name for a in list_comprehensive_archives()),
    names_label="档案馆名称",
)


def _indicator_codes(name: str, label: str, indicators: tuple[PlanIndicator, ...]) -> CodeList:
    """The codes of some plan indicators, each named with its unit on the 代码表."""
    names = tuple(f"{i.name}（{i.unit}，{i.source_label}）" for i in indicators)
    return CodeList(name, label, tuple(i.code for i in indicators), names=names, names_label="指标名称（单位，来源）")


PLAN_INDICATOR_CODES = _indicator_codes("plan_indicator", "规划指标编号", PLAN_INDICATORS)
PROVINCIAL_TARGET_CODES = _indicator_codes(
    "provincial_target_indicator", "分省目标指标编号", PROVINCIAL_TARGET_INDICATORS
)
CENSUS_PROVINCES = CodeList(
    "census_province",
    "省份代码",
    tuple(p.code for p in load_divisions().census_provinces()),
    names=tuple(p.name for p in load_divisions().census_provinces()),
    names_label="省份名称",
)
DEFAULT_WORKING_DAYS = RECTIFICATION_WORKING_DAYS[FindingSeverity.MINOR]
REPORTED_INDICATORS = tuple(i.code for i in PLAN_INDICATORS if not i.is_computed)
COMPUTED_INDICATORS = tuple(i.code for i in PLAN_INDICATORS if i.is_computed)


def _id(name: str, label: str, description: str) -> Field:
    return Field(name, label, T, description, max_length=40, pattern=ID_PATTERN, pattern_hint=ID_HINT, width=16)


def _date(name: str, label: str, description: str, required: bool = True, *, in_past: bool = False) -> Field:
    return Field(name, label, DATE, description, required=required, width=13, in_past=in_past)


def _text(name: str, label: str, description: str, max_length: int, width: int, required: bool = True) -> Field:
    return Field(name, label, T, description, required=required, max_length=max_length, width=width)


def _count(name: str, label: str, description: str) -> Field:
    return Field(name, label, INT, description, unit="项", min_value=0, max_value=MAX_CHECKLIST_ITEMS, width=10)


def _form(
    kind: str,
    version: str,
    round_id: str,
    title: str,
    sheet: str,
    fields: tuple[Field, ...],
    extra: tuple[Rule, ...],
) -> Form:
    return declare_form(
        kind,
        version,
        title,
        round_id,
        date(2025, 1, 1),
        sheet,
        fields,
        extra,
        max_rows=MAX_SUPERVISION_ROWS,
        national=True,
    )


# ------------------------------------------------------------------------------------------------ inspections

INSPECTION_FIELDS: tuple[Field, ...] = (
    _id("inspection_id", "检查编号", "本次检查的编号，全国唯一（如 JC2023-001）。"),
    Field("year", "检查年度", INT, "开展检查的年度。", unit="年", min_value=2015, max_value=2035, width=9),
    Field(
        "inspection_type",
        "检查类型",
        CODE,
        "综合检查按检查清单评分定等。" + CHECKLIST_PROVISIONAL,
        code_list=INSPECTION_TYPE,
        width=11,
    ),
    _text("organiser", "组织单位", "组织检查的档案主管部门，如 国家档案局、广东省档案局。", 50, 16),
    Field(
        "unit_uscc",
        "被检查单位统一社会信用代码",
        FieldType.USCC,
        "被检查单位的18位统一社会信用代码。",
        max_length=18,
        pattern=USCC_PATTERN,
        pattern_hint="18位，由数字和大写字母组成，不含 I、O、Z、S、V",
        width=22,
    ),
    _text("unit_name", "被检查单位名称", "被检查单位的规范全称。", 100, 28),
    Field("unit_class", "被检查单位类别", CODE, "被检查单位的类别。", code_list=INSPECTED_UNIT_CLASS, width=14),
    Field(
        "division_code",
        "所在地行政区划代码",
        FieldType.DIVISION,
        "被检查单位所在地的6位行政区划代码；中央和国家机关、中央企业填 110000。",
        pattern=r"^\d{6}$",
        pattern_hint="6位数字",
        width=12,
    ),
    _date("notice_date", "检查通知日期", "印发检查通知的日期。", in_past=True),
    _date("onsite_start", "现场检查开始日期", "现场检查的第一天。", in_past=True),
    _date("onsite_end", "现场检查结束日期", "现场检查的最后一天。", in_past=True),
    _text("inspectors", "检查组成员", "检查组成员姓名，用顿号分隔，至少2人。", 200, 24),
    Field(
        "checklist_version",
        "检查清单版本",
        CODE,
        "检查所用的检查清单版本。",
        code_list=CHECKLIST_VERSIONS,
        width=12,
    ),
    _count("items_applicable", "适用检查项目数", "检查清单中适用于被检查单位的项目数。"),
    _count("items_compliant", "合规项目数", "适用项目中检查合规的项目数。"),
    _count("failed_veto_items", "未通过否决项数", "未通过的否决项数（否决项未通过即为不合规项目）。"),
    Field(
        "has_security_incident",
        "检查期内是否发生档案安全事故",
        CODE,
        "发生档案安全事故的，综合检查评定为不合格。",
        code_list=YES_NO,
        width=12,
    ),
    _date("feedback_date", "反馈日期", "向被检查单位反馈检查意见的日期，整改期限由此起算。", in_past=True),
    _text("feedback_doc_no", "反馈文书编号", "检查意见反馈文书的文号。", 50, 18),
    _text("remarks", "备注", "需要说明的其他情况，可留空。", 500, 20, required=False),
)

# Said once per sheet, on its first row that repeats what an earlier upload loaded (the rows follow the message).
REPEATED_MESSAGE = "与已装载的内容完全相同（此前已报送），本次不重复装载"

INSPECTION_RULES: tuple[Rule, ...] = (
    Rule("inspection_id_unique", "unique", E, "inspection_id", "同一检查编号在本表中出现多次：每次检查只填一行。"),
    Rule(
        "inspection_id_new",
        "new_record",
        E,
        "inspection_id",
        "该检查编号已装载，本行内容却不同；已装载的检查记录不能通过再次报送修改，请改回或删去本行（与已装载的完全相同的行"
        "不会重复装载）。",
        P(known="records"),
    ),
    Rule("inspection_repeated", "repeated_row", W, "inspection_id", REPEATED_MESSAGE, P(known="records")),
    Rule(
        "inspectors_at_least_two",
        "min_names",
        E,
        "inspectors",
        "检查组至少2人，请填写全部成员姓名，用顿号分隔。",
        P(min=2, separators=NAME_SEPARATORS),
    ),
    Rule(
        "onsite_start_after_notice",
        "not_before",
        E,
        "onsite_start",
        "「现场检查开始日期」不能早于「检查通知日期」。",
        P(other="notice_date"),
    ),
    Rule(
        "year_of_onsite_start",
        "year_of",
        W,
        "year",
        "「检查年度」与「现场检查开始日期」所在的年份不同：检查年度应为现场检查开展的年度，请核对两者是否有误填。",
        P(other="onsite_start"),
    ),
    Rule(
        "onsite_end_after_start",
        "not_before",
        E,
        "onsite_end",
        "「现场检查结束日期」不能早于「现场检查开始日期」。",
        P(other="onsite_start"),
    ),
    Rule(
        "feedback_after_onsite",
        "not_before",
        E,
        "feedback_date",
        "「反馈日期」不能早于「现场检查结束日期」。",
        P(other="onsite_end"),
    ),
    Rule(
        "items_within_checklist",
        "checklist_size",
        E,
        "items_applicable",
        "「适用检查项目数」不能超过所用检查清单的项目总数。",
    ),
    Rule(
        "inspection_counts",
        "inspection_grading",
        E,
        "items_compliant",
        "合规项目数须在 0～适用项目数之间，未通过否决项数不能超过不合规项目数；综合检查的适用项目数须大于 0。",
    ),
)

FINDING_FIELDS: tuple[Field, ...] = (
    _id("finding_id", "问题编号", "问题的编号，全国唯一（如 JC2023-001-01）。"),
    _id("inspection_id", "检查编号", "发现该问题的检查的编号：本工作簿「检查记录」中的，或已装载的。"),
    Field(
        "item_code",
        "检查项目编号",
        T,
        "问题对应的检查清单项目编号（如 A03-04），见所用检查清单。",
        max_length=10,
        pattern=r"^A\d{2}-\d{2}$",
        pattern_hint="A+两位区域号-两位项目号，如 A03-04",
        width=12,
    ),
    _text("description", "问题描述", "发现的问题，写明事实和依据。", 500, 36),
    Field("severity", "严重程度", CODE, "问题的严重程度。", code_list=FINDING_SEVERITY, width=12),
    Field(
        "is_immediate",
        "是否立行立改",
        CODE,
        f"须当场整改的问题填“是”，其整改期限为反馈当日（{IMMEDIATE}）。",
        code_list=YES_NO,
        width=10,
    ),
    _text("requirement", "整改要求", "对整改的具体要求。", 500, 30),
    _date(
        "deadline",
        "整改期限",
        f"留空按默认：反馈日期后 {DEFAULT_WORKING_DAYS} 个工作日；立行立改的为反馈当日。",
        required=False,
    ),
    _text("responsible_unit", "整改责任单位", "负责整改的单位或部门。", 100, 20),
    _text("responsible_person", "整改责任人", "负责整改的人员姓名。", 50, 10),
    _text("remarks", "备注", "需要说明的其他情况，可留空。", 500, 20, required=False),
)

# What a loaded finding says that the national bureau may correct (archive-census finding correct): its words and who
# answers for it, not what its deadline, area or state follow from (those move through the lifecycle: 延期).
CORRECTABLE_FINDING_FIELDS = ("description", "requirement", "responsible_unit", "responsible_person", "remarks")

FINDING_RULES: tuple[Rule, ...] = (
    Rule("finding_id_unique", "unique", E, "finding_id", "同一问题编号在本表中出现多次：每个问题只填一行。"),
    Rule(
        "finding_id_new",
        "new_record",
        E,
        "finding_id",
        "该问题编号已装载，本行内容却不同；已装载的问题不能通过再次报送修改，请改回或删去本行（与已装载的完全相同的行"
        "不会重复装载）；问题描述等确有错误的，由国家档案局在检查整改页面更正。",
        P(known="finding_rows"),
    ),
    Rule("finding_repeated", "repeated_row", W, "finding_id", REPEATED_MESSAGE, P(known="finding_rows")),
    Rule(
        "finding_inspection_known",
        "finding_inspection",
        E,
        "inspection_id",
        "检查编号不存在：须为本工作簿「检查记录」中或已装载的检查编号。",
    ),
    Rule(
        "finding_item_known",
        "checklist_item",
        E,
        "item_code",
        "检查项目编号不在该检查所用的检查清单中，请按检查清单填写。",
    ),
    Rule(
        "finding_deadline_after_feedback",
        "deadline_after_feedback",
        E,
        "deadline",
        "整改期限不能早于检查的反馈日期；立行立改的问题整改期限须为反馈当日。",
    ),
    Rule(
        "finding_veto_counted",
        "veto_finding_counted",
        W,
        "item_code",
        "该问题所在检查项目是否决项，但「检查记录」中该检查的「未通过否决项数」少于有问题的否决项数："
        "如该否决项未通过，请改正未通过否决项数（否决项未通过的，等次不能评为优秀）。",
    ),
)

UPDATE_FIELDS: tuple[Field, ...] = (
    _id("finding_id", "问题编号", "问题的编号：本工作簿「发现问题」中的，或已装载的。"),
    _date("action_on", "操作日期", "整改操作的日期；同一问题的多次操作按日期先后逐行填写。", in_past=True),
    Field("action", "整改操作", CODE, "本次整改操作。", code_list=FINDING_ACTION, width=14),
    _text("actor", "操作人", "执行本次操作的人员姓名。", 50, 10),
    Field("role", "操作角色", CODE, "操作人的角色。", code_list=FINDING_ROLE, width=12),
    _text("note", "说明", "退回意见、延期理由、阶段进展等；退回、延期等操作必填。", 500, 30, required=False),
    _text("evidence", "佐证材料", "整改报告、复核记录等材料的名称或文号；提交、销号必填。", 200, 24, required=False),
    _date("new_deadline", "新整改期限", "延期、转为阶段性整改时的新整改期限；其他操作留空。", required=False),
)

UPDATE_RULES: tuple[Rule, ...] = (
    *LIFECYCLE_RULES,
    Rule(
        "update_changed",
        "new_record",
        E,
        "finding_id",
        "本行是已装载的整改操作（同一问题、日期、操作、操作人和角色），内容却不同；已装载的操作不能通过再次报送修改，"
        "请改回或删去本行（同一天又一次同类操作请在检查整改页面办理）。",
        P(known="updates"),
    ),
    Rule("update_repeated", "repeated_row", W, "finding_id", REPEATED_MESSAGE, P(known="updates")),
)
# JDJC-2025.1's 整改进展 has no 整改措施 column: there a rule of the measures is marked on the action.
_UPDATE_RULES_WITHOUT_MEASURES = tuple(replace(r, field="action") if r.field == "measures" else r for r in UPDATE_RULES)
MEASURES_FIELD = _text(
    "measures",
    "整改措施",
    f"{FindingRole.RECTIFIER.label}在{MEASURES_ACTION_NAMES}时填写已采取或将采取的整改措施，可不填；"
    f"{FindingRole.REVIEWER.label}的操作不填（审核意见写在「说明」中）。",
    500,
    30,
    required=False,
)

INSPECTION_RECORDS_FORM_2025 = _form(
    "inspection_records",
    FIRST_INSPECTIONS_VERSION,
    INSPECTIONS_ROUND,
    "档案工作监督检查记录",
    "检查记录",
    INSPECTION_FIELDS,
    INSPECTION_RULES,
)
SPECIAL_RESULT_FIELD = Field(
    "special_result",
    SPECIAL_RESULT.label,
    CODE,
    f"专项检查的结论（检查组判定）：{'或'.join(SPECIAL_RESULT.values)}；其他类型的检查不填。",
    code_list=SPECIAL_RESULT,
    required=False,
    width=12,
)
INSPECTION_RECORDS_FORM = evolve_form(
    INSPECTION_RECORDS_FORM_2025,
    SPECIAL_RESULT_VERSION,
    insert_after={"has_security_incident": (SPECIAL_RESULT_FIELD,)},
    rules=(
        *INSPECTION_RULES,
        Rule(
            "special_result_for_special",
            "filled_when",
            E,
            "special_result",
            f"{SPECIAL}须填写「{SPECIAL_RESULT.label}」（{'或'.join(SPECIAL_RESULT.values)}），其他类型的检查不填。",
            P(when_field="inspection_type", when_values=(SPECIAL,)),
        ),
    ),
)
FINDINGS_FORM = _form(
    "findings",
    FIRST_INSPECTIONS_VERSION,
    INSPECTIONS_ROUND,
    "检查发现问题清单",
    "发现问题",
    FINDING_FIELDS,
    FINDING_RULES,
)
RECTIFICATION_FORM_2025 = _form(
    "rectification_updates",
    FIRST_INSPECTIONS_VERSION,
    INSPECTIONS_ROUND,
    "问题整改进展",
    "整改进展",
    UPDATE_FIELDS,
    _UPDATE_RULES_WITHOUT_MEASURES,
)
RECTIFICATION_FORM = evolve_form(
    RECTIFICATION_FORM_2025,
    INSPECTIONS_VERSION,
    insert_after={"note": (MEASURES_FIELD,)},
    rules=UPDATE_RULES,
)

_COMMON_NOTES = (
    "日期按“年-月-日”填写（如 2024-03-05）；有下拉列表的列请从列表中选择；不要合并单元格，不要修改工作表名称和表头。",
    "上传后系统自动校验。有「错误」的工作簿整体退回、不入库；退回的工作簿中出错的单元格标红并附批注，另附「错误清单」。",
    "本模板表式版本 {version}，请勿使用旧版本模板。",
)

_INSPECTIONS_NOTES = (
    "在各工作表第 {first} 行起逐行填写，第 {header} 行为表头；三张表可以只填其中一部分，但至少填一张。",
    "「检查记录」每次检查一行；「发现问题」每个问题一行；「整改进展」每次整改操作一行，同一问题按日期先后排列。",
    "检查编号、问题编号全国唯一。可以在同一工作簿中续填后再次报送：与已装载的完全相同的行不会重复装载，只装载新增的行；"
    "已装载的检查和问题不能通过再次报送修改。",
    f"整改期限留空的，按反馈日期后{DEFAULT_WORKING_DAYS}个工作日计算（按国务院办公厅公布的节假日安排，法定假日不计、"
    "调休上班日计入）；立行立改的问题整改期限为反馈当日。",
    "销号须由未参与整改的审核人操作并附佐证材料；逾期由系统按整改期限自动判断，不需填报。",
)


def _numbered(*notes: str) -> tuple[str, ...]:
    return tuple(f"{i}. {note}" for i, note in enumerate(notes, 1))


INSPECTIONS_WORKBOOK_2025 = WorkbookForm(
    "inspections",
    FIRST_INSPECTIONS_VERSION,
    "档案工作监督检查与问题整改",
    (INSPECTION_RECORDS_FORM_2025, FINDINGS_FORM, RECTIFICATION_FORM_2025),
    "监督检查与问题整改",
    "supervision-inspections",
    needs_province=False,
    supersedes=False,
    reviewed=False,
    sheets_optional=True,
    notes=_numbered(*_INSPECTIONS_NOTES, *_COMMON_NOTES),
)
INSPECTIONS_WORKBOOK_2025_2 = replace(
    INSPECTIONS_WORKBOOK_2025,
    version=SPECIAL_RESULT_VERSION,
    sheets=(INSPECTION_RECORDS_FORM, FINDINGS_FORM, RECTIFICATION_FORM_2025),
)
INSPECTIONS_WORKBOOK = replace(
    INSPECTIONS_WORKBOOK_2025_2,
    version=INSPECTIONS_VERSION,
    sheets=(INSPECTION_RECORDS_FORM, FINDINGS_FORM, RECTIFICATION_FORM),
    notes=_numbered(
        *_INSPECTIONS_NOTES,
        f"「{RECTIFICATION_FORM.sheet_name}」的「{MEASURES_FIELD.label}」：{MEASURES_FIELD.description}",
        *_COMMON_NOTES,
    ),
)

# ------------------------------------------------------------------------------------------------- evaluation

_STANDARD = get_standard(STANDARD_VERSION)
_ITEM_CODE_PATTERN = r"^(A\d+\.\d+\.\d+|B\d+)$"

SCORE_FIELDS: tuple[Field, ...] = (
    Field(
        "archive_code",
        "档案馆代码",
        CODE,
        "被评价综合档案馆的代码（即所在行政区划代码），见代码表。",
        code_list=COMPREHENSIVE_ARCHIVES,
        width=11,
    ),
    _text("archive_name", "档案馆名称", "被评价档案馆的名称，仅供阅读，可留空。", 50, 22, required=False),
    _text(
        "scorer",
        "评分人",
        f"自评填“{SELF_SOURCE}”；专家评分填专家在平台上的用户名。",
        50,
        12,
    ),
    Field(
        "item_code",
        "评分项编号",
        T,
        f"评价标准（{STANDARD_VERSION}）中的评分项编号（如 A1.1.1），加分项为 B1～B{len(_STANDARD.bonus_items)}。"
        + STANDARD_PROVISIONAL,
        max_length=10,
        pattern=_ITEM_CODE_PATTERN,
        pattern_hint="如 A1.1.1 或 B1",
        width=11,
    ),
    Field(
        "score",
        "得分",
        D,
        "该评分项的得分，在 0 至该项满分之间，最多一位小数。",
        unit="分",
        min_value=0,
        decimals=1,
        width=9,
    ),
    Field(
        "veto_verdict",
        "否决项结论",
        CODE,
        "否决项必须填写“通过”或“不通过”；其他评分项留空。",
        code_list=VETO_VERDICT,
        required=False,
        width=10,
    ),
    _text("evidence", "佐证材料", f"评分依据的佐证材料名称；{SELF_SOURCE}的每个评分项必填。", 500, 24, required=False),
    Field(
        "reconciled",
        "合议分",
        D,
        "专家评分相差超过该项满分20%时，专家组合议确定的得分；其他情况可留空。",
        unit="分",
        required=False,
        min_value=0,
        decimals=1,
        width=9,
    ),
    _text("note", "合议说明", "给出合议分的理由；填写合议分时必填。", 500, 24, required=False),
)

SCORE_RULES: tuple[Rule, ...] = (
    *EVALUATION_RULES,
    Rule(
        "score_row_unique",
        "unique_together",
        E,
        "item_code",
        "同一档案馆、同一评分人的同一评分项在本表中出现多次：每项只填一行。",
        P(fields=("archive_code", "scorer", "item_code")),
    ),
    Rule(
        "archive_name_matches_code",
        "matches_name_of_code",
        W,
        "archive_name",
        "档案馆名称与档案馆代码对应的档案馆不一致：评分计入代码所指的档案馆，请核对档案馆代码是否填错（名称可留空）。",
        P(key="archive_code", names={a.archive_code: a.name for a in list_comprehensive_archives()}),
    ),
    Rule(
        "reconciliation_consistent",
        "reconciliation_consistent",
        E,
        "reconciled",
        "同一档案馆同一评分项的合议分在各行中须一致。",
    ),
    Rule(
        "evaluation_round_open",
        "evaluation_access",
        E,
        None,
        "本轮评价须处于开放状态才能报送评分（由国家档案局开启和结束）。",
    ),
    Rule(
        "scorer_assigned",
        "evaluation_access",
        E,
        "scorer",
        "评价专家只能为分配给本人的档案馆评分。",
    ),
    Rule(
        "scorer_own_sheet",
        "evaluation_access",
        E,
        "scorer",
        "评价专家本人在平台上填写的评分表只能由本人修改，上传的评分表不能替换。",
    ),
    Rule(
        "scorer_is_platform_expert",
        "evaluation_access",
        W,
        "scorer",
        "评分人是平台上的评价专家账号：其评分应由本人在平台上填写和提交。上传代为装载的，请确认评分表出自本人；"
        "本人此后在平台上保存的评分表将替换本表。",
    ),
    Rule(
        "scorer_sheet_replaced",
        "evaluation_access",
        W,
        "scorer",
        "本表将替换此前装载的同一档案馆、同一评分人的评分表（自评表同样）：装载后以本表为准。",
    ),
)

EVALUATION_SCORES_FORM_2025 = _form(
    "evaluation_scores",
    FIRST_EVALUATION_VERSION,
    EVALUATION_ROUND,
    "综合档案馆业务建设评价评分表",
    "评分表",
    SCORE_FIELDS,
    SCORE_RULES,
)
REMARK_FIELD = _text(
    "remark",
    "扣分说明",
    "专家对扣分的评分项写明发现的问题（扣分理由），写入反馈报告，评价结束后随问题整改下发；得满分的项不填；"
    f"「{SELF_SOURCE}」行不填（自评的依据写在「佐证材料」中）。",
    MAX_REMARK,
    24,
    required=False,
)
EVALUATION_SCORES_FORM = evolve_form(
    EVALUATION_SCORES_FORM_2025,
    EVALUATION_VERSION,
    insert_after={"veto_verdict": (REMARK_FIELD,)},
    rules=(*SCORE_RULES, REMARK_RULE),
)
_EVALUATION_NOTES = (
    "在「评分表」第 {first} 行起逐行填写，每个档案馆、每位评分人、每个评分项一行；第 {header} 行为表头。",
    f"档案馆自评的「评分人」填“{SELF_SOURCE}”；专家填本人在平台上的用户名，只能为分配给本人的档案馆评分。",
    f"每位评分人须对全部评分项评分；否决项须填写“通过”或“不通过”；加分项只在有加分时填写；{SELF_SOURCE}须逐项填写佐证材料。",
    "专家评分相差超过该项满分20%的，须在该项的专家行填写「合议分」和「合议说明」；未超过的得分取专家平均分，不采用合议分。",
    "同一档案馆、同一评分人再次报送的，以最后一次接收的评分为准；评价结束后不再接收评分。",
)
EVALUATION_WORKBOOK_2025 = WorkbookForm(
    "evaluation",
    FIRST_EVALUATION_VERSION,
    "综合档案馆业务建设评价评分",
    (EVALUATION_SCORES_FORM_2025,),
    "业务建设评价评分",
    "supervision-evaluation",
    needs_province=False,
    supersedes=False,
    reviewed=False,
    notes=_numbered(*_EVALUATION_NOTES, *_COMMON_NOTES),
)


def _standard_items() -> ReferenceTable:
    """The standard's items as the 填表说明 lists them: what each 评分项编号 is, its maximum and how it is scored."""
    rows: list[tuple[object, ...]] = [
        (item.code, area.name, indicator.name, item.max_points, "是" if item.is_veto else "否", item.text, item.rule)
        for area in _STANDARD.areas
        for indicator in area.indicators
        for item in indicator.items
    ]
    rows += [(b.code, BONUS_AREA, "—", b.max_points, "否", b.text, b.rule) for b in _STANDARD.bonus_items]
    return ReferenceTable(
        f"评分项一览（评价标准 {_STANDARD.version}，共 {len(_STANDARD.items)} 项，另有加分项 {len(_STANDARD.bonus_items)} 项）",
        ("评分项编号", "一级指标", "二级指标", "满分（分）", "否决项", "评分内容", "评分方法"),
        tuple(rows),
    )


EVALUATION_WORKBOOK = replace(
    EVALUATION_WORKBOOK_2025,
    version=EVALUATION_VERSION,
    sheets=(EVALUATION_SCORES_FORM,),
    notes=_numbered(
        *_EVALUATION_NOTES,
        f"「{REMARK_FIELD.label}」：{REMARK_FIELD.description}",
        *_COMMON_NOTES,
    ),
    reference=_standard_items(),
)


def prefilled_score_rows(archive_code: str, scorer: str) -> dict[str, list[tuple[object, ...]]]:
    """The rows of an evaluation template made for one archive and one scorer: a row per scoring item of the standard
    (each must be scored), the archive, its name, the scorer and the item filled, the scores left to fill. A bonus
    item claimed gets a row of its own (a blank one would be refused as an unscored row)."""
    names = archive_names()
    require_archive(archive_code)
    scorer, longest = scorer.strip(), EVALUATION_SCORES_FORM.field("scorer").max_length
    if not scorer or (longest is not None and len(scorer) > longest):
        raise UsageError(
            f"评分人须为 1 至 {longest} 个字。", hint=f"自评填“{SELF_SOURCE}”；专家评分填专家在平台上的用户名。"
        )
    codes = [i.code for i in _STANDARD.items]
    fields = [f.name for f in EVALUATION_SCORES_FORM.fields]
    given = {"archive_code": archive_code, "archive_name": names[archive_code], "scorer": scorer}
    return {
        EVALUATION_SCORES_FORM.sheet_name: [
            tuple({**given, "item_code": code}.get(name) for name in fields) for code in codes
        ]
    }


# ------------------------------------------------------------------------------------------------- indicators

INDICATOR_FIELDS: tuple[Field, ...] = (
    Field("indicator_code", "指标编号", CODE, "规划指标编号，见代码表。", code_list=PLAN_INDICATOR_CODES, width=10),
    Field(
        "year",
        "年度",
        INT,
        "数值所属的年度（年末数）。",
        unit="年",
        min_value=PLAN_BASE_YEAR,
        max_value=PLAN_TARGET_YEAR,
        width=8,
    ),
    Field(
        "province_code",
        "省份代码",
        CODE,
        "分省数值填6位省级代码；全国数值留空。",
        code_list=CENSUS_PROVINCES,
        required=False,
        width=10,
    ),
    Field(
        "value",
        "数值",
        D,
        "指标的数值，单位见指标说明。",
        min_value=0,
        max_value=MAX_INDICATOR_VALUE,
        decimals=2,
        width=14,
    ),
    _text("note", "说明", "数据来源或需要说明的情况，可留空。", 500, 30, required=False),
)


def _whole_rule(field: Field, codes: tuple[str, ...]) -> Rule:
    """A counted indicator's figure (个, 家) is a whole number (a probe's 2.5 laboratories were taken)."""
    return Rule(
        f"{field.name}_whole_count",
        "whole_when",
        E,
        field.name,
        f"该指标以个数计（{'、'.join(codes)}），「{field.label}」须为整数，请核实后重填。",
        P(when_field="indicator_code", when_values=codes),
    )


def _percent_rules(field: Field, codes: tuple[str, ...]) -> tuple[Rule, ...]:
    """A per-cent indicator's figure: at most 100 (an error), and a warning below 1 (a share typed as a fraction)."""
    q, when = f"「{field.label}」", {"when_field": "indicator_code", "when_values": codes}
    return (
        Rule(
            f"{field.name}_percent_at_most_100",
            "at_most_when",
            E,
            field.name,
            f"该指标以 % 计（{'、'.join(codes)}），{q}不能超过 100，请核实后重填。",
            P(max=100, **when),
        ),
        Rule(
            f"{field.name}_percent_fraction",
            "fraction_when",
            W,
            field.name,
            f"该指标以 % 计，{q}小于 1：如填的是小数（0.88 表示 88%），请改填 88；确实不足 1% 的可不理会。",
            P(**when),
        ),
    )


# A reported value over this many times its indicator's national target is most likely mistyped.
FAR_ABOVE_TARGET = 2

INDICATOR_RULES: tuple[Rule, ...] = (
    Rule(
        "indicator_value_unique",
        "unique_together",
        E,
        "indicator_code",
        "同一指标、年度、省份在本表中出现多次：每项只填一行。",
        P(fields=("indicator_code", "year", "province_code")),
    ),
    Rule(
        "indicator_reported",
        "indicator_source",
        E,
        "indicator_code",
        f"该指标由平台按普查数据计算（{'、'.join(COMPUTED_INDICATORS)}），不需填报。",
    ),
    Rule(
        "indicator_national_only",
        "empty_when",
        E,
        "province_code",
        f"该指标（{'、'.join(NATIONAL_ONLY_INDICATORS)}）只有全国数值，不分省份：「省份代码」请留空。",
        P(when_field="indicator_code", when_values=NATIONAL_ONLY_INDICATORS),
    ),
    *_percent_rules(INDICATOR_FIELDS[3], tuple(c for c in PERCENT_INDICATORS if c in REPORTED_INDICATORS)),
    _whole_rule(INDICATOR_FIELDS[3], tuple(c for c in COUNTED_INDICATORS if c in REPORTED_INDICATORS)),
    # Values that are possible but most likely slips (a probe's 1180 for 118 turned 滞后 into 达标 unsaid).
    Rule(
        "indicator_cumulative_not_lower",
        "cumulative_not_lower",
        W,
        "value",
        "该指标是“十四五”期间的累计数（建设工程为累计进度），不应小于上一年度的数值，请核实。",
        P(codes=tuple(c for c in CUMULATIVE_INDICATORS if c in REPORTED_INDICATORS)),
    ),
    Rule(
        "indicator_far_above_target",
        "far_above_target",
        W,
        "value",
        f"数值超过该指标全国“十四五”目标值的 {FAR_ABOVE_TARGET} 倍，请核实是否多填了位数。",
        P(
            factor=FAR_ABOVE_TARGET,
            targets={i.code: float(i.target) for i in PLAN_INDICATORS if i.target and i.code in REPORTED_INDICATORS},
        ),
    ),
)

INDICATOR_VALUES_FORM = _form(
    "indicator_values",
    FIRST_INDICATORS_VERSION,
    INDICATORS_ROUND,
    "“十四五”规划指标数值",
    "指标数值",
    INDICATOR_FIELDS,
    INDICATOR_RULES,
)


def _plan_year(name: str, label: str, description: str) -> Field:
    return Field(
        name, label, INT, description, unit="年", min_value=PLAN_BASE_YEAR, max_value=PLAN_TARGET_YEAR, width=9
    )


def _plan_value(name: str, label: str, description: str) -> Field:
    return Field(name, label, D, description, min_value=0, max_value=MAX_INDICATOR_VALUE, decimals=2, width=14)


TARGET_FIELDS: tuple[Field, ...] = (
    Field(
        "indicator_code",
        "指标编号",
        CODE,
        "可设分省目标的规划指标编号，见代码表。",
        code_list=PROVINCIAL_TARGET_CODES,
        width=10,
    ),
    Field("province_code", "省份代码", CODE, "目标所属省份的6位省级代码。", code_list=CENSUS_PROVINCES, width=10),
    _plan_year("base_year", "基期年份", "本省规划确定的基期年份。"),
    _plan_value("baseline", "基期值", "本省基期年份的指标数值，单位见指标说明。"),
    _plan_year("target_year", "目标年份", "本省规划确定的目标年份，须晚于基期年份。"),
    _plan_value("target", "目标值", "本省目标年份应达到的指标数值，单位见指标说明。"),
    _text("note", "说明", "目标出处（如本省档案事业发展规划）或需要说明的情况，可留空。", 500, 30, required=False),
)

TARGET_RULES: tuple[Rule, ...] = (
    Rule(
        "indicator_target_unique",
        "unique_together",
        E,
        "indicator_code",
        "同一指标、省份的分省目标在本表中出现多次：每个指标、省份只填一行。",
        P(fields=("indicator_code", "province_code")),
    ),
    Rule(
        "target_year_after_base_year",
        "later_than",
        E,
        "target_year",
        "「目标年份」须晚于「基期年份」。",
        P(other="base_year"),
    ),
    *(
        rule
        for field in TARGET_FIELDS
        if field.name in ("baseline", "target")
        for rule in _percent_rules(field, tuple(c for c in PERCENT_INDICATORS if c in PROVINCIAL_TARGET_CODES.values))
    ),
    # A counted indicator's baseline and target are whole numbers as its values are (12.5 新馆 was taken).
    *(
        _whole_rule(field, tuple(c for c in COUNTED_INDICATORS if c in PROVINCIAL_TARGET_CODES.values))
        for field in TARGET_FIELDS
        if field.name in ("baseline", "target")
    ),
)

INDICATOR_TARGETS_FORM = _form(
    "indicator_targets",
    INDICATORS_VERSION,
    INDICATORS_ROUND,
    "“十四五”规划指标分省目标",
    "分省目标",
    TARGET_FIELDS,
    TARGET_RULES,
)

_VALUES_NOTES = (
    f"「{INDICATOR_VALUES_FORM.sheet_name}」每个指标、年度、省份一行；全国数值不填省份代码。"
    f"只填报填报类指标（{'、'.join(REPORTED_INDICATORS)}）；{'、'.join(COMPUTED_INDICATORS)} 由平台按普查数据计算。",
    "同一指标、年度、省份再次报送的，以最后一次接收的数值为准，此前的数值保留在历史中。",
)
INDICATORS_WORKBOOK_2025 = WorkbookForm(
    "indicators",
    FIRST_INDICATORS_VERSION,
    "“十四五”规划指标填报",
    (INDICATOR_VALUES_FORM,),
    "规划指标填报",
    "supervision-indicators",
    needs_province=False,
    supersedes=False,
    reviewed=False,
    notes=(
        "1. 在「指标数值」第 {first} 行起逐行填写，每个指标、年度、省份一行；第 {header} 行为表头；全国数值不填省份代码。",
        f"2. 只填报填报类指标（{'、'.join(REPORTED_INDICATORS)}）；{'、'.join(COMPUTED_INDICATORS)} 由平台按普查数据计算。",
        "3. 同一指标、年度、省份再次报送的，以最后一次接收的数值为准，此前的数值保留在历史中。",
        *(f"{i}. {note}" for i, note in enumerate(_COMMON_NOTES, 4)),
    ),
)
INDICATORS_WORKBOOK = replace(
    INDICATORS_WORKBOOK_2025,
    version=INDICATORS_VERSION,
    title="“十四五”规划指标及分省目标填报",
    sheets=(INDICATOR_VALUES_FORM, INDICATOR_TARGETS_FORM),
    sheets_optional=True,
    notes=_numbered(
        "在各工作表第 {first} 行起逐行填写，第 {header} 行为表头；两张表可以只填其中一张（如只报送分省目标），但至少填一张。",
        *_VALUES_NOTES,
        f"「{INDICATOR_TARGETS_FORM.sheet_name}」每个指标、省份一行，填写该省档案事业发展规划确定的基期年份、基期值、"
        f"目标年份和目标值（年份在 {PLAN_BASE_YEAR}～{PLAN_TARGET_YEAR} 之间，目标年份须晚于基期年份）；"
        f"可设分省目标的指标：{'、'.join(PROVINCIAL_TARGET_CODES.values)}。",
        "平台按分省目标计算各省的应达进度（基期值 +（目标值 − 基期值）×（评估年份 − 基期年份）÷（目标年份 − 基期年份））"
        "和进展状态（达标、滞后、严重滞后），与全国的计算方法相同。",
        "同一指标、省份再次报送分省目标的，以最后一次接收的为准，此前的目标保留在历史中。",
        *_COMMON_NOTES,
    ),
)

SUPERVISION_SHEET_FORMS: tuple[Form, ...] = (
    INSPECTION_RECORDS_FORM,
    FINDINGS_FORM,
    RECTIFICATION_FORM,
    EVALUATION_SCORES_FORM,
    INDICATOR_VALUES_FORM,
    INDICATOR_TARGETS_FORM,
)
# Every version of each supervision workbook, oldest first within a kind (the last is current).
SUPERVISION_WORKBOOKS: tuple[WorkbookForm, ...] = (
    INSPECTIONS_WORKBOOK_2025,
    INSPECTIONS_WORKBOOK_2025_2,
    INSPECTIONS_WORKBOOK,
    EVALUATION_WORKBOOK_2025,
    EVALUATION_WORKBOOK,
    INDICATORS_WORKBOOK_2025,
    INDICATORS_WORKBOOK,
)
