"""The census return and the register of expected holders, declared field by field, version by version.

GYDA-2024.1 was the first census form; GYDA-2025.1 (current) adds the retention classes 长期 and 短期 of records
appraised before 2006, the supplementary sheet 红色档案资源摸底 (the red-archive inventory), the statutory header of a
statistical form and its foot (表尾: who signs and when the return was sent), and drops the "previous round"
comparison (the census runs once). Year-on-year checks compare with the annual statistics (统计年报) instead: the
register of expected holders, GYDA-2024.1 at first, gains at GYDA-2025.1 (the same revision of the GYDA forms) three
optional columns, the year of a holder's annual statistics and its 卷 and 件 there (all three or none; the year from
ANNUAL_STATS_FIRST_YEAR to the round's year), and the census rule `holdings_vs_annual_stats` warns where a return's
卷 + 件 differ from them by more than ANNUAL_STATS_MAX_CHANGE_PCT percent of the annual figure. Old versions stay
declared: their returns and registers stay in the warehouse and keep counting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from census_schema.codes import (
    ADMIN_LEVEL,
    ARCHIVE_ROOM_KINDS,
    ARCHIVES_KINDS,
    HOLDER_TYPE,
    UNIT_NATURE,
    YES_NO,
)
from census_schema.fields import (
    MAX_ARCHIVE_COUNT,
    MAX_AREA_M2,
    MAX_CAPACITY_GB,
    MAX_LENGTH_M,
    Field,
    FieldType,
    Form,
    Rule,
    Severity,
    StatutoryHeader,
    WorkbookForm,
    bound_text,
    frozen_params,
    single_sheet_workbook,
)
from census_schema.layout import CODES_SHEET
from census_schema.scopes import CENTRAL_CHANNELS, CENTRAL_HOLDER_TYPES
from census_schema.uscc import USCC_PATTERN

# The first version of the census form and of the register; their current versions.
FORM_VERSION = "GYDA-2024.1"
CENSUS_VERSION = "GYDA-2025.1"
# The register joins the census form's revision GYDA-2025.1 (the spec's revisions: year-on-year checks compare with
# the annual statistics) and takes its version; its only change is the annual statistics' columns.
REGISTER_VERSION = "GYDA-2025.1"
ROUND_ID = "2024"
REFERENCE_DATE = date(2024, 12, 31)
# No province has anywhere near this many archive holders; more rows means a wrong or runaway file.
MAX_RETURN_ROWS = 200_000
# A mobile number (with or without +86), or a landline as official documents write it: an area code (in brackets or
# not) then the number, an extension after -, 转 or #: 13800138000, +86 13800138000, 020-83133000, （020）83133000,
# 020-83133000转8001.
PHONE_PATTERN = (
    r"^((\+|00)?86[- ]?)?1[3-9]\d{9}$"
    r"|^(0\d{2,3}|[(（]0\d{2,3}[)）])[- ]?\d{7,8}([-转#]\d{1,6})?$"
)
PHONE_HINT = (
    "11位手机号码（1开头，可加 +86），或区号加号码，如 020-83133000、（020）83133000，分机号用“-”或“转”接在后面"
)

E, W = Severity.ERROR, Severity.WARNING
T, INT, D = FieldType.TEXT, FieldType.INTEGER, FieldType.DECIMAL


def _count(name: str, label: str, description: str, unit: str, width: int = 12) -> Field:
    return Field(name, label, INT, description, unit=unit, min_value=0, max_value=MAX_ARCHIVE_COUNT, width=width)


# The bound of a decimal quantity, by its unit (census_schema.fields).
_DECIMAL_BOUNDS = {"米": MAX_LENGTH_M, "平方米": MAX_AREA_M2, "GB": MAX_CAPACITY_GB}


def _decimal(name: str, label: str, description: str, unit: str, decimals: int = 1) -> Field:
    bound = _DECIMAL_BOUNDS[unit]
    return Field(name, label, D, description, unit=unit, min_value=0, max_value=bound, decimals=decimals, width=12)


USCC = Field(
    "uscc",
    "统一社会信用代码",
    FieldType.USCC,
    "普查对象的18位统一社会信用代码（GB 32100-2015），以证书为准。",
    max_length=18,
    pattern=USCC_PATTERN,
    pattern_hint="18位，由数字和大写字母组成，不含 I、O、Z、S、V",
    width=22,
)
UNIT_NAME = Field(
    "unit_name", "单位名称", T, "普查对象的规范全称，与统一社会信用代码证书一致。", max_length=100, width=30
)
NATURE = Field("unit_nature", "单位性质", FieldType.CODE, "普查对象的单位性质。", code_list=UNIT_NATURE, width=12)
HOLDER = Field("holder_type", "普查对象类型", FieldType.CODE, "档案馆或档案室的类型。", code_list=HOLDER_TYPE, width=18)
DIVISION = Field(
    "division_code",
    "行政区划代码",
    FieldType.DIVISION,
    "普查对象所在地的6位行政区划代码（GB/T 2260，县级、地级或省级）。省、地、县的表只填本地区的单位：前两位为本省代码，"
    "兵团师市合一城市的代码（6590××）由新疆生产建设兵团填报；中央渠道的表填单位所在地的代码。",
    pattern=r"^\d{6}$",
    pattern_hint="6位数字",
    width=12,
)
LEVEL = Field("admin_level", "行政层级", FieldType.CODE, "普查对象所属的行政层级。", code_list=ADMIN_LEVEL, width=10)

CENSUS_FIELDS: tuple[Field, ...] = (
    USCC,
    UNIT_NAME,
    NATURE,
    HOLDER,
    DIVISION,
    LEVEL,
    Field(
        "parent_uscc",
        "上级主管单位统一社会信用代码",
        FieldType.USCC,
        "上级主管单位的统一社会信用代码；没有上级主管单位的留空。",
        required=False,
        max_length=18,
        pattern=USCC_PATTERN,
        pattern_hint="18位，由数字和大写字母组成，不含 I、O、Z、S、V",
        width=22,
    ),
    Field(
        "staff_fulltime",
        "专职档案人员（人）",
        INT,
        "标准时点在岗的专职档案工作人员数。",
        unit="人",
        min_value=0,
        max_value=5000,
        width=14,
    ),
    Field(
        "staff_parttime",
        "兼职档案人员（人）",
        INT,
        "标准时点兼做档案工作的人员数。",
        unit="人",
        min_value=0,
        max_value=5000,
        width=14,
    ),
    _count("fonds_count", "全宗数（个）", "馆（室）藏档案的全宗数。", "个"),
    _count("vol_total", "以卷为保管单位档案（卷）", "以卷为保管单位的档案总数，等于下列四项之和。", "卷", 14),
    _count("vol_permanent", "其中：永久（卷）", "以卷为单位、保管期限为永久的档案。", "卷"),
    _count("vol_30y", "其中：定期30年（卷）", "以卷为单位、保管期限为定期30年的档案。", "卷"),
    _count("vol_10y", "其中：定期10年（卷）", "以卷为单位、保管期限为定期10年的档案。", "卷"),
    _count("vol_unassigned", "其中：未划定期限（卷）", "以卷为单位、尚未划定保管期限的档案。", "卷"),
    _count("item_total", "以件为保管单位档案（件）", "以件为保管单位的档案总数，等于下列四项之和。", "件", 14),
    _count("item_permanent", "其中：永久（件）", "以件为单位、保管期限为永久的档案。", "件"),
    _count("item_30y", "其中：定期30年（件）", "以件为单位、保管期限为定期30年的档案。", "件"),
    _count("item_10y", "其中：定期10年（件）", "以件为单位、保管期限为定期10年的档案。", "件"),
    _count("item_unassigned", "其中：未划定期限（件）", "以件为单位、尚未划定保管期限的档案。", "件"),
    _count("cat_ws", "文书档案（卷件）", "文书档案数量（卷与件合计）。", "卷件"),
    _count("cat_kj", "科技档案（卷件）", "科技档案数量（卷与件合计）。", "卷件"),
    _count("cat_ku", "会计档案（卷件）", "会计档案数量（卷与件合计）。", "卷件"),
    _count("cat_rs", "人事档案（卷件）", "人事档案数量（卷与件合计）。", "卷件"),
    _count("cat_zy", "专业档案（卷件）", "专业档案数量（卷与件合计）。", "卷件"),
    _count("cat_other", "其他门类档案（卷件）", "以上门类之外的档案数量（卷与件合计）。", "卷件"),
    _decimal("shelf_m", "总排架长度（米）", "全部档案的排架长度，精确到0.1米。", "米"),
    _decimal("unsorted_shelf_m", "未整理零散文件排架长度（米）", "尚未整理的零散文件的排架长度。", "米"),
    _count("photos", "照片档案（张）", "照片档案数量。", "张"),
    _count("av_reels", "录音录像影片档案（盘）", "录音、录像、影片档案数量。", "盘"),
    _count("physical_items", "实物档案（件）", "实物档案数量。", "件"),
    _count("e_items", "电子档案（件）", "电子档案数量；没有电子档案的填0，同时容量填0。", "件"),
    _decimal("e_gb", "电子档案容量（GB）", "电子档案的存储容量。", "GB", 2),
    _count("digitized_vol", "已数字化（卷）", "已完成数字化的以卷为单位档案。", "卷"),
    _count("digitized_item", "已数字化（件）", "已完成数字化的以件为单位档案。", "件"),
    _decimal("digitized_gb", "数字化成果容量（GB）", "数字化成果的存储容量。", "GB", 2),
    _count("pre1949", "新中国成立前档案（卷件）", "1949年10月1日以前形成的档案。", "卷件"),
    _count("red_archives", "其中：革命历史档案（卷件）", "新中国成立前档案中的革命历史档案。", "卷件"),
    _count("opened", "已开放档案（卷件）", "已向社会开放的档案；档案室填0。", "卷件"),
    _decimal("building_m2", "档案用房建筑面积（平方米）", "档案用房的建筑面积。", "平方米"),
    _decimal("storage_m2", "其中：库房面积（平方米）", "档案库房的建筑面积，不大于档案用房建筑面积。", "平方米"),
    Field(
        "has_climate_control",
        "是否配备温湿度控制系统",
        FieldType.CODE,
        "库房是否配备温湿度控制系统。",
        code_list=YES_NO,
        width=10,
    ),
    Field(
        "has_fire_alarm",
        "是否配备火灾自动报警系统",
        FieldType.CODE,
        "库房是否配备火灾自动报警系统。",
        code_list=YES_NO,
        width=10,
    ),
    Field("contact_name", "填报人", T, "填写本行数据的人员姓名。", max_length=50, width=10),
    Field(
        "contact_phone",
        "联系电话",
        FieldType.PHONE,
        "填报人的手机号码或固定电话（区号-号码）。",
        max_length=30,
        pattern=PHONE_PATTERN,
        pattern_hint=PHONE_HINT,
        width=16,
    ),
    Field("remarks", "备注", T, "需要说明的其他情况，可留空。", required=False, max_length=500, width=24),
)

REGISTER_FIELDS: tuple[Field, ...] = (USCC, UNIT_NAME, HOLDER, DIVISION, LEVEL)


def _quote(field: Field) -> str:
    return f"「{field.label}」"


# The annual statistics (统计年报: the DA-2 table of archives, the DA-3 table of archive rooms) a register row may give
# for its holder, to compare the holder's census return with. The year is at most the round's: later statistics
# describe a later state than the census's reference date. It is at least 2015, ten years of statistics back from
# the round (2015-2024): holdings grow every year, so against older figures a 30 % tolerance would flag ordinary
# growth rather than a wrong figure, and an earlier year is far more likely a slip (2002 for 2022) than a holder's
# latest statistics.
ANNUAL_STATS_FIRST_YEAR = 2015
ANNUAL_STATS_LAST_YEAR = int(ROUND_ID)
# A census return's 卷 + 件 may differ from the annual statistics' by at most this percentage of the annual figure.
ANNUAL_STATS_MAX_CHANGE_PCT = 30
ANNUAL_STATS_YEAR = Field(
    "annual_stats_year",
    "统计年报年度",
    INT,
    f"本单位最近一次档案统计年报（档案馆 DA-2 表、档案室 DA-3 表）的年度，4位年份（{ANNUAL_STATS_FIRST_YEAR}～"
    f"{ANNUAL_STATS_LAST_YEAR}）。填写后，普查表中本单位卷、件之和与年报数相差超过 {ANNUAL_STATS_MAX_CHANGE_PCT}% "
    "时提示核实；没有统计年报数字的，本列和其后两列都留空。",
    unit="年",
    required=False,
    min_value=ANNUAL_STATS_FIRST_YEAR,
    max_value=ANNUAL_STATS_LAST_YEAR,
    width=10,
)


def _annual_count(name: str, label: str, unit: str, what: str) -> Field:
    description = (
        f"该年度统计年报中本单位{what}的档案数量（年末数），没有的填 0；与{_quote(ANNUAL_STATS_YEAR)}同时填写。"
    )
    return Field(
        name, label, INT, description, unit=unit, required=False, min_value=0, max_value=MAX_ARCHIVE_COUNT, width=14
    )


ANNUAL_STATS_FIELDS: tuple[Field, ...] = (
    ANNUAL_STATS_YEAR,
    _annual_count("annual_stats_vol", "统计年报档案数量（卷）", "卷", "以卷为保管单位"),
    _annual_count("annual_stats_item", "统计年报档案数量（件）", "件", "以件为保管单位"),
)
ANNUAL_STATS_NAMES = tuple(f.name for f in ANNUAL_STATS_FIELDS)
_ANNUAL_STATS_LABELS = "、".join(_quote(f) for f in ANNUAL_STATS_FIELDS)
# Given together or not at all: a year without figures, or figures without their year, cannot be compared.
ANNUAL_STATS_RULES: tuple[Rule, ...] = tuple(
    Rule(
        f"{f.name}_together",
        "filled_together",
        E,
        f.name,
        f"{_quote(f)}为空，但本行已填统计年报的其他列：{_ANNUAL_STATS_LABELS}三列须同时填写或同时留空。"
        f"请补填{_quote(f)}{'' if f is ANNUAL_STATS_YEAR else '（数量为零的填 0）'}，没有统计年报数字的请把三列都清空。",
        frozen_params(fields=ANNUAL_STATS_NAMES),
    )
    for f in ANNUAL_STATS_FIELDS
)


@dataclass(frozen=True)
class AnnualStatistics:
    """A holder's holdings in one year's annual statistics, as its register row gives them."""

    year: int
    vol: int
    item: int

    @property
    def holdings(self) -> int:
        """卷 + 件."""
        return self.vol + self.item


# A coded field's list rule names at most this many codes with their names; a longer list is pointed to on 代码表.
MAX_LISTED_NAMES = 12


def build_field_rules(field: Field, *, national: bool = False) -> tuple[Rule, ...]:
    """The rules a field's own declaration implies (required, type, range, list, length, format).

    A national form (filled by the national bureau for units anywhere) has no "in the uploading province" rule.
    """
    q, rules = _quote(field), []
    if field.required:
        # "Fill 0 for none" only where 0 is a value the field takes (a year's range starts at 2020).
        zero_allowed = field.min_value is None or field.min_value <= 0
        hint = "没有的请填 0" if field.is_numeric and zero_allowed else "请填写"
        rules.append(Rule(f"{field.name}_required", "required", E, field.name, f"{q}为必填项，不能为空；{hint}。"))
    if field.type is FieldType.INTEGER:
        rules.append(
            Rule(f"{field.name}_integer", "integer", E, field.name, f"{q}应为整数（如 1234），不能含小数、文字或单位。")
        )
    if field.type is FieldType.DECIMAL:
        rules.append(
            Rule(f"{field.name}_number", "decimal", E, field.name, f"{q}应为数字（可带小数），不能含文字或单位。")
        )
    if field.type is FieldType.DATE:
        rules.append(
            Rule(
                f"{field.name}_date",
                "date",
                E,
                field.name,
                f"{q}应为日期（如 2024-03-05），请按“年-月-日”填写（年份写全四位）或从日历中选择。",
            )
        )
    if field.type is FieldType.DATE and field.in_past:
        rules.append(
            Rule(
                f"{field.name}_not_future",
                "not_after_today",
                E,
                field.name,
                f"{q}晚于上传当日，不会是已发生的日期；请核对年份和月份后重填。",
            )
        )
    if field.is_numeric and field.min_value is not None:
        bounds = (
            f"应在 {bound_text(field.min_value)}～{bound_text(field.max_value)} 之间"
            if field.max_value is not None
            else "不能为负数"
        )
        params = frozen_params(min=field.min_value, max=field.max_value)
        rules.append(Rule(f"{field.name}_range", "range", E, field.name, f"{q}{bounds}，请核实后重填。", params))
    if field.code_list is not None:
        # Codes with what they stand for (110000 北京市): a list of 32 bare codes read as nothing; a long list is
        # pointed to on the template's 代码表, with an example.
        listed = field.code_list
        named = (
            [f"{code} {name}" for code, name in zip(listed.values, listed.names, strict=True)] if listed.names else []
        )
        if len(named) > MAX_LISTED_NAMES:
            allowed = (
                f"只能填写「{CODES_SHEET}」工作表中「{listed.label}」所列的代码（如 {named[0]}），请从下拉列表中选择。"
            )
        else:
            allowed = f"只能填写：{'、'.join(named or listed.values)}（请从下拉列表中选择）。"
        params = frozen_params(values=field.code_list.values)
        rules.append(
            Rule(
                f"{field.name}_in_list",
                "in_list",
                E,
                field.name,
                f"{q}{allowed}",
                params,
            )
        )
    if field.max_length is not None and field.type in (FieldType.TEXT, FieldType.PHONE):
        params = frozen_params(max=field.max_length)
        rules.append(
            Rule(
                f"{field.name}_length",
                "max_length",
                E,
                field.name,
                f"{q}不能超过 {field.max_length} 个字，请精简。",
                params,
            )
        )
    if field.pattern is not None:
        params = frozen_params(pattern=field.pattern)
        rules.append(
            Rule(f"{field.name}_format", "pattern", E, field.name, f"{q}格式不正确：应为{field.pattern_hint}。", params)
        )
    if field.type is FieldType.USCC:
        rules.append(
            Rule(
                f"{field.name}_structure",
                "uscc_structure",
                E,
                field.name,
                f"{q}结构不正确：第1位应为登记管理部门代码、第2位为机构类别代码（GB 32100 表1、表2，如 11 机关、"
                "12 事业单位、91 企业），第3-8位为登记管理机关行政区划代码（6位数字），请对照证书核对。",
            )
        )
        rules.append(
            Rule(
                f"{field.name}_check_digit",
                "uscc_check_digit",
                E,
                field.name,
                f"{q}校验位不正确，请对照证书逐位核对（常见错误：0 与 D、1 与 L 混淆；末几位变成 0 的，是单元格按数字"
                "保存、被 Excel 截成了 15 位有效数字，请把该列设为文本格式后重新输入完整代码）。",
            )
        )
    if field.type is FieldType.DIVISION:
        rules.append(
            Rule(
                f"{field.name}_current",
                "division_current",
                E,
                field.name,
                f"{q}不是现行有效的县级、地级或省级行政区划代码，请按 GB/T 2260 现行代码填写。",
            )
        )
    if field.type is FieldType.DIVISION and not national:
        rules.append(
            Rule(
                f"{field.name}_in_province",
                "division_in_province",
                E,
                field.name,
                f"{q}不属于本省：前两位应与本省代码一致（新疆生产建设兵团填其师市合一城市的代码 6590××，新疆维吾尔自治区"
                "不填这些代码），外省单位请由其所在省填报。",
            )
        )
    return tuple(rules)


HOLDINGS = ("vol_total", "item_total")
# The figures of `summary --json` (interfaces spec): holder counts, then sums over accepted, current returns.
SUMMARY_UNIT_FIGURES = ("units_expected", "units_reported", "units_unregistered")
SUMMARY_SUM_FIELDS = (
    "vol_total",
    "item_total",
    "digitized_vol",
    "digitized_item",
    "e_items",
    "e_gb",
    "pre1949",
    "red_archives",
    "opened",
    "storage_m2",
    "shelf_m",
    "staff_fulltime",
    # The carriers other than paper, each in its own unit (census_schema.breakdowns.CARRIERS lists them with e_*).
    "photos",
    "av_reels",
    "physical_items",
)
VOL_PARTS = ("vol_permanent", "vol_30y", "vol_10y", "vol_unassigned")
ITEM_PARTS = ("item_permanent", "item_30y", "item_10y", "item_unassigned")
CATEGORY_PARTS = ("cat_ws", "cat_kj", "cat_ku", "cat_rs", "cat_zy", "cat_other")
P = frozen_params

COMMON_ROW_RULES: tuple[Rule, ...] = (
    Rule(
        "uscc_unique",
        "unique",
        E,
        "uscc",
        "同一统一社会信用代码在本表中出现多次：每个普查对象只填一行，请删除或合并重复行。",
    ),
    Rule(
        "admin_level_matches_division",
        "matches_division_level",
        W,
        "admin_level",
        "「行政层级」与行政区划代码不一致：省级代码对应省级，地级代码对应地级（只有15个副省级城市本级填副省级，其开发区、"
        "区县不是副省级），县级代码对应县级或乡级，兵团师市可填地级、县级或乡级；中央单位由国家档案局直接组织普查，"
        "中央企业在省内的分支机构填省级或其所在层级。请核实。",
        P(division_field="division_code"),
    ),
)

# The reporting-scope rules (census_schema.scopes): where a holder of a return may lie, and that each holder is
# counted in one current return only. The last names the return that holds the row in its own message.
SCOPE_RULES: tuple[Rule, ...] = (
    Rule(
        "division_in_scope",
        "division_in_scope",
        E,
        "division_code",
        "「行政区划代码」不在本表的填报范围内：地级的表只填本级及所辖县级的普查对象，县级的表只填本县级的普查对象；"
        "其他地区的单位由其所在地区填报。",
    ),
    Rule(
        "admin_level_in_scope",
        "admin_level_in_scope",
        E,
        "admin_level",
        "「行政层级」与本表的填报范围不符：中央单位（行政层级“中央”）只由中央和国家机关、中央企业、中央级档案馆渠道报送，"
        "中央渠道的表也只填中央单位；中央企业在地方的分支机构由所在地填报，行政层级按所在地填写。",
    ),
    Rule(
        "holder_type_in_channel",
        "holder_type_in_channel",
        E,
        "holder_type",
        "「普查对象类型」不是本渠道报送的类型："
        + "；".join(f"{CENTRAL_CHANNELS[key]}渠道报送{'、'.join(types)}" for key, types in CENTRAL_HOLDER_TYPES.items())
        + "。其他类型的单位请由相应渠道报送，或核实所填类型。",
    ),
    Rule(
        "uscc_in_other_return",
        "held_by_other_return",
        E,
        "uscc",
        "该普查对象已在另一范围现行有效的表中：同一普查对象只能计入一份表。请从本表删去该行，"
        "或由那份表的报送单位先重新报送不含该单位的表。",
    ),
)

CENSUS_ROW_RULES: tuple[Rule, ...] = (
    Rule(
        "unit_nature_matches_uscc",
        "matches_uscc_nature",
        W,
        "unit_nature",
        "「单位性质」与统一社会信用代码第1-2位不一致（11 机关、12 事业单位、13 人民团体、91 企业），请核实。",
        P(uscc_field="uscc"),
    ),
    Rule(
        "parent_uscc_not_self",
        "not_equal",
        E,
        "parent_uscc",
        "「上级主管单位统一社会信用代码」不能与本单位的代码相同；没有上级主管单位的请留空。",
        P(other="uscc"),
    ),
    Rule(
        "staff_with_holdings",
        "staff_with_holdings",
        W,
        "staff_parttime",
        "有馆（室）藏档案但专职、兼职档案人员均为 0，请核实。",
        P(staff=("staff_fulltime", "staff_parttime"), holdings=HOLDINGS),
    ),
    Rule(
        "fonds_count_archives",
        "at_least_when",
        E,
        "fonds_count",
        "档案馆的「全宗数（个）」至少为 1，请填写实际全宗数。",
        P(min=1, when_field="holder_type", when_values=ARCHIVES_KINDS),
    ),
    Rule(
        "vol_total_sum",
        "sum_equals",
        E,
        "vol_total",
        "「以卷为保管单位档案（卷）」应等于永久、定期30年、定期10年、未划定期限四项之和，请核对合计或分项。",
        P(parts=VOL_PARTS),
    ),
    Rule(
        "vol_unassigned_share",
        "share_at_most",
        W,
        "vol_unassigned",
        "未划定期限的档案超过以卷为单位档案的 5%，请核实或尽快划定保管期限。",
        P(total="vol_total", share=0.05),
    ),
    Rule(
        "item_total_sum",
        "sum_equals",
        E,
        "item_total",
        "「以件为保管单位档案（件）」应等于永久、定期30年、定期10年、未划定期限四项之和，请核对合计或分项。",
        P(parts=ITEM_PARTS),
    ),
    Rule(
        "item_unassigned_share",
        "share_at_most",
        W,
        "item_unassigned",
        "未划定期限的档案超过以件为单位档案的 5%，请核实或尽快划定保管期限。",
        P(total="item_total", share=0.05),
    ),
    Rule(
        "categories_sum",
        "sum_equals",
        E,
        "cat_ws",
        "各门类档案（文书、科技、会计、人事、专业、其他）之和应等于以卷和以件为单位档案之和，请核对。",
        P(parts=CATEGORY_PARTS, total_parts=HOLDINGS),
    ),
    Rule(
        "shelf_plausible",
        "ratio_between",
        W,
        "shelf_m",
        "「总排架长度（米）」与档案数量明显不符（参考：每卷约 0.03 米、每件约 0.0015 米），请核实单位是否为米。",
        # No holdings (E = 0): any shelf length is outside [E/3, 3E] (the zero holdings are the doubtful figure as
        # much as the shelf; no other rule compares them).
        P(weights={"vol_total": 0.03, "item_total": 0.0015}, low=1 / 3, high=3.0, zero_base_flags=True),
    ),
    Rule(
        "e_items_zero_together",
        "zero_together",
        E,
        "e_items",
        "「电子档案（件）」与「电子档案容量（GB）」应同时为 0 或同时大于 0，请核对。",
        P(other="e_gb"),
    ),
    Rule(
        "e_gb_per_item",
        "ratio_between",
        W,
        "e_gb",
        "平均每件电子档案容量不在 0.00001～50 GB 之间，请核实容量单位是否为 GB。",
        P(weights={"e_items": 1.0}, low=0.00001, high=50.0),
    ),
    Rule(
        "digitized_vol_le_total",
        "at_most",
        E,
        "digitized_vol",
        "「已数字化（卷）」不能大于以卷为保管单位档案总数，请核对两处数字，改正填错的一项。",
        P(limit=("vol_total",)),
    ),
    Rule(
        "digitized_item_le_total",
        "at_most",
        E,
        "digitized_item",
        "「已数字化（件）」不能大于以件为保管单位档案总数，请核对两处数字，改正填错的一项。",
        P(limit=("item_total",)),
    ),
    Rule(
        "digitized_gb_positive",
        "positive_when_any",
        E,
        "digitized_gb",
        "已有数字化档案时「数字化成果容量（GB）」应大于 0，请填写容量。",
        P(when_fields=("digitized_vol", "digitized_item")),
    ),
    Rule(
        "pre1949_le_holdings",
        "at_most",
        E,
        "pre1949",
        "「新中国成立前档案（卷件）」不能大于以卷和以件为单位档案之和，请核对该数或馆藏总数，改正填错的一项。",
        P(limit=HOLDINGS),
    ),
    Rule(
        "red_archives_le_pre1949",
        "at_most",
        E,
        "red_archives",
        "「革命历史档案（卷件）」是新中国成立前档案的一部分，不能大于「新中国成立前档案（卷件）」，请核对两项，改正填错的一项。",
        P(limit=("pre1949",)),
    ),
    Rule(
        "opened_le_holdings",
        "at_most",
        E,
        "opened",
        "「已开放档案（卷件）」不能大于以卷和以件为单位档案之和，请核对该数或馆藏总数，改正填错的一项。",
        P(limit=HOLDINGS),
    ),
    Rule(
        "opened_zero_for_rooms",
        "zero_when",
        E,
        "opened",
        "档案室不向社会开放档案，「已开放档案（卷件）」应填 0。",
        P(when_field="holder_type", when_values=ARCHIVE_ROOM_KINDS),
    ),
    Rule(
        "storage_le_building",
        "at_most",
        E,
        "storage_m2",
        "「库房面积」是档案用房的一部分，不能大于「档案用房建筑面积」，请核对两项面积（平方米），改正填错的一项。",
        P(limit=("building_m2",)),
    ),
)

# Rules that compare a return with other returns and the register; the flow supplies that context.
# (A holder in another province's or scope's current return is refused by `uscc_in_other_return` above, so that
# figures count each holder once: it replaces the earlier warning `uscc_in_other_province`.)
CROSS_RETURN_RULES: tuple[Rule, ...] = (
    Rule(
        "uscc_not_in_register",
        "not_in_register",
        W,
        "uscc",
        "该单位不在普查对象名录中（省、地、县的表对照本省名录，中央单位的表对照本渠道名录），请核实，或先补充名录。",
    ),
    # Against the annual statistics the holder's current register row gives (none given: not compared). The change
    # is relative to the annual figure; exactly the limit passes; an annual 0 against any holdings warns. Each row's
    # message is `detail` with the year, the change, both figures (thousands separated) and its own `change` words.
    Rule(
        "holdings_vs_annual_stats",
        "differs_from_annual_stats",
        W,
        "vol_total",
        f"档案数量（卷+件）与普查对象名录中本单位的统计年报数相差超过 {ANNUAL_STATS_MAX_CHANGE_PCT}%（以年报数为基数），"
        "请核实；确有接收、移交或销毁的，请在备注中说明。",
        P(
            holdings=HOLDINGS,
            max_change_pct=ANNUAL_STATS_MAX_CHANGE_PCT,
            detail="与 {year} 年统计年报相比，档案数量（卷+件）{change}（年报 {annual}，本表 {census}），请核实；"
            "确有接收、移交或销毁的，请在备注中说明。",
            increase="增加 {pct}%",
            decrease="减少 {pct}%",
            from_zero="增加",
        ),
    ),
)

# The workbook rule every form carries, checked while reading it: a cell pasted full of text.
CELL_TOO_LONG = Rule(
    "cell_too_long",
    "cell_too_long",
    E,
    None,
    "单元格内容超过 Excel 单元格的字符上限（32767 个），多半是误粘贴了大段内容；请删去多余内容后重新上传。",
    P(max_chars=32767),
)

# The other workbook rule every form carries: a cell whose formula failed (Excel shows #DIV/0!, #REF!, ...).
CELL_FORMULA_ERROR = Rule(
    "cell_formula_error",
    "cell_formula_error",
    E,
    None,
    "单元格中的公式计算出错，读不出数值；请改正公式，或把公式换成数值（复制后“选择性粘贴 → 数值”）后重新上传。",
)
# And a warning every form carries: a filled column under a header that is not one of the form's labels (a user's
# own helper column, or a template column renamed by mistake): its cells are not read, so the uploader is told.
COLUMN_NOT_IN_FORM = Rule(
    "column_not_in_form",
    "column_not_in_form",
    W,
    None,
    "列名不是本表模板中的列名，这一列的数据没有读入；如是自己添加的辅助列，可不理会，如应是模板中的某一列，请把列名改回模板中的写法后重新上传。",
)
# And one for a formula whose result the file does not hold (written by a program, never opened and saved in Excel).
CELL_FORMULA_UNCOMPUTED = Rule(
    "cell_formula_uncomputed",
    "cell_formula_uncomputed",
    E,
    None,
    "单元格是公式，但文件中没有保存它的计算结果（多半是由程序生成、未在 Excel 中打开保存过的文件），读不出数值；"
    "请在 Excel 或 WPS 中打开、保存后重新上传，或把公式换成数值。",
)
# And one for a cell holding characters nobody sees (census_schema.fields.INVISIBLE_CHARS): pasted from a web
# page or a chat program, they make a code look right and fail (a zero-width space in an 18-character USCC), a
# number or a date that looks right unreadable (the type's error would not say why), or reach terminals and pages
# raw (control characters, text-direction overrides).
CELL_INVISIBLE_CHARS = Rule(
    "cell_invisible_chars",
    "cell_invisible_chars",
    E,
    None,
    "单元格中含不可见字符（控制字符、零宽字符或文字方向控制符，或本列不应有的换行、制表符），看起来正确却无法核对，"
    "多半是从网页、聊天软件或其他系统复制时带入的；请清空该单元格后重新输入，或用“选择性粘贴 → 文本”（只保留文本）"
    "粘贴后重新上传。",
)
# And one for a data row that repeats the header (two blocks pasted each with its header, or the header sorted into
# the rows): one error for the row, not one for each label in a cell that wants a number or a code; the row is not
# read. Its message names the header's row (`detail`).
HEADER_ROW_REPEATED = Rule(
    "header_row_repeated",
    "header_row_repeated",
    E,
    None,
    "此行重复了表头的列名（多半是粘贴了两段各带表头的数据，或排序时把表头排进了数据），请删除此行后重新上传。",
    P(detail="此行重复了表头（第 {header_row} 行的列名），请删除此行后重新上传。"),
)
# And one for a stray entry: a data row with only a cell or two filled where the form asks for many (a number typed
# below the table, a note): one error for the row, not one for each empty required cell; the row is not read. Its
# message names the cells (`detail`).
ROW_NEARLY_EMPTY = Rule(
    "row_nearly_empty",
    "row_nearly_empty",
    E,
    None,
    "此行只填了个别单元格，其余为空，不像一个完整的普查对象：若是误填（如表格下方随手写的数字、备注），请删除；若是一个单位，"
    "请补全此行后重新上传。",
    P(
        max_cells=2,
        min_required=10,
        detail="此行只填了 {count} 个单元格（{cells}），其余为空：若是误填（如表格下方随手写的数字、备注），请删除；"
        "若是一个单位，请补全此行后重新上传。",
    ),
)
# And one for merged cells over data rows: only a merge's top-left cell holds its value, so the others read as empty
# and fail as if never filled. One error at the merge's top-left cell (the one a reader sees), naming the range.
CELL_MERGED = Rule(
    "cell_merged",
    "cell_merged",
    E,
    None,
    "数据行中有合并单元格：合并后只有左上角的单元格有值，其余被合并的单元格读出来是空的，会被当作漏填；请取消合并"
    "（“开始 → 合并后居中”再点一次），在每一行、每一列都填上各自的值后重新上传。",
    P(
        detail="{range}（{rows}）合并成了一个单元格，只有左上角的单元格有值，其余被合并的单元格读出来是空的，"
        "会被当作漏填；请取消合并（“开始 → 合并后居中”再点一次），在每一行、每一列都填上各自的值后重新上传。"
    ),
)
# And a warning for data rows hidden in the sheet (hidden, filtered out, or folded in a group): nobody reviewing the
# sheet sees them, yet they are read and counted. One warning for each run of such rows, at its first row.
ROW_HIDDEN = Rule(
    "row_hidden",
    "row_hidden",
    W,
    None,
    "此行在工作表中被隐藏（或被筛选、分组折叠），看不见，但仍作为数据读入、计入汇总；如是不要的行，请删除整行"
    "（选中行号 → 右键 → 删除）后重新上传；如要保留，请取消隐藏（或清除筛选、展开分组）核对无误后再上传。",
    P(
        detail="{rows}在工作表中被隐藏（或被筛选、分组折叠），看不见，但仍作为数据读入、计入汇总；如是不要的行，"
        "请删除整行（选中行号 → 右键 → 删除）后重新上传；如要保留，请取消隐藏（或清除筛选、展开分组）核对无误后再上传。"
    ),
)
# And a warning for a sheet a workbook lacks where the form may be empty (the red-archive inventory of a province
# with none, deleted rather than left empty): read as an empty sheet, whose own rules then say what it lacks.
SHEET_ABSENT = Rule(
    "sheet_absent",
    "sheet_absent",
    W,
    None,
    "工作簿中没有这个工作表（多半是被删除了），平台按空表处理。本表确实没有内容可填的，可不理会；有内容要填的，"
    "请从平台下载最新模板，把数据填入该表后重新上传。",
)
CELL_RULES = (
    CELL_TOO_LONG,
    CELL_MERGED,
    CELL_FORMULA_ERROR,
    CELL_FORMULA_UNCOMPUTED,
    COLUMN_NOT_IN_FORM,
    CELL_INVISIBLE_CHARS,
    HEADER_ROW_REPEATED,
    ROW_NEARLY_EMPTY,
    ROW_HIDDEN,
    SHEET_ABSENT,
)


def declare_form(
    kind: str,
    version: str,
    title: str,
    round_id: str,
    reference_date: date,
    sheet_name: str,
    fields: tuple[Field, ...],
    rules: tuple[Rule, ...] = (),
    *,
    max_rows: int,
    national: bool = False,
    may_be_empty: bool = False,
) -> Form:
    """A form: the rules its fields' declarations imply, its own rules across fields, and the workbook rules every
    form carries (a national form, filled by the national bureau, has no "in the uploading province" rule; a form
    that `may_be_empty` is a supplementary sheet a workbook may carry without rows)."""
    field_rules = tuple(r for f in fields for r in build_field_rules(f, national=national))
    # A nearly empty row is judged only where many columns are required (a short row of few columns is a row): a
    # form of few has no such rule, nor says it has (the indicators' instructions spoke of 不完整的普查对象).
    many = sum(f.required for f in fields) >= ROW_NEARLY_EMPTY.param("min_required")
    workbook_rules = tuple(r for r in CELL_RULES if many or r is not ROW_NEARLY_EMPTY)
    return Form(
        kind,
        version,
        title,
        round_id,
        reference_date,
        sheet_name,
        fields,
        field_rules + rules + workbook_rules,
        max_rows,
        may_be_empty,
    )


def evolve_form(
    form: Form,
    version: str,
    *,
    add: tuple[Field, ...] = (),
    remove: tuple[str, ...] = (),
    relabel: dict[str, str] | None = None,
    redescribe: dict[str, str] | None = None,
    insert_after: dict[str, tuple[Field, ...]] | None = None,
    rules: tuple[Rule, ...] | None = None,
) -> Form:
    """The next version of a form: fields added at the end (or `insert_after` a field), removed, relabelled or their
    description (the template's instructions) rewritten, their own rules regenerated.

    Rules across fields (sums, comparisons) are kept as declared unless `rules` replaces them: a change that touches
    them is written by hand.
    """
    relabel, redescribe, insert_after = relabel or {}, redescribe or {}, insert_after or {}
    unknown = sorted((set(remove) | set(relabel) | set(redescribe) | set(insert_after)) - set(form.field_names))
    if unknown:
        raise ValueError(f"{unknown} are not fields of {form.kind} {form.version}")
    kept: list[Field] = []
    for f in form.fields:
        if f.name not in remove:
            kept.append(
                replace(f, label=relabel.get(f.name, f.label), description=redescribe.get(f.name, f.description))
            )
        kept.extend(insert_after.get(f.name, ()))
    national = not any(r.kind == "division_in_province" for r in form.rules)
    implied = {r.rule_id for f in form.fields for r in build_field_rules(f, national=national)} | {
        r.rule_id for r in CELL_RULES
    }
    own_rules = rules if rules is not None else tuple(r for r in form.rules if r.rule_id not in implied)
    own_rules = tuple(r for r in own_rules if r.field not in remove)
    return declare_form(
        form.kind,
        version,
        form.title,
        form.round_id,
        form.reference_date,
        form.sheet_name,
        (*kept, *add),
        own_rules,
        max_rows=form.max_rows,
        national=national,
        may_be_empty=form.may_be_empty,
    )


def _form(kind: str, title: str, sheet: str, fields: tuple[Field, ...], rules: tuple[Rule, ...]) -> Form:
    return declare_form(
        kind, FORM_VERSION, title, ROUND_ID, REFERENCE_DATE, sheet, fields, rules, max_rows=MAX_RETURN_ROWS
    )


CENSUS_FORM_2024 = _form(
    "census",
    "国有档案资源普查表",
    "普查表",
    CENSUS_FIELDS,
    COMMON_ROW_RULES + SCOPE_RULES + CENSUS_ROW_RULES + CROSS_RETURN_RULES,
)
REGISTER_RULES = COMMON_ROW_RULES + SCOPE_RULES
REGISTER_FORM_2024 = _form("register", "普查对象名录", "普查对象名录", REGISTER_FIELDS, REGISTER_RULES)
CENSUS_WORKBOOK_2024 = single_sheet_workbook(CENSUS_FORM_2024, "普查表", "census-return")
REGISTER_WORKBOOK_2024 = single_sheet_workbook(REGISTER_FORM_2024, "普查对象名录", "census-register")
# GYDA-2025.1 of the register: the annual statistics, at the end of the row.
REGISTER_FORM = evolve_form(
    REGISTER_FORM_2024, REGISTER_VERSION, add=ANNUAL_STATS_FIELDS, rules=REGISTER_RULES + ANNUAL_STATS_RULES
)
REGISTER_WORKBOOK = single_sheet_workbook(REGISTER_FORM, "普查对象名录", "census-register")


# ------------------------------------------------------------------------------------------------ GYDA-2025.1

_BEFORE_2006 = "2006年12月18日国家档案局第8号令施行前按原规定鉴定为{0}保管、尚未重新鉴定的档案"
RETENTION_2025_FIELDS = {
    "vol": (
        _count("vol_long", "其中：长期（卷）", "以卷为单位、" + _BEFORE_2006.format("长期"), "卷"),
        _count("vol_short", "其中：短期（卷）", "以卷为单位、" + _BEFORE_2006.format("短期"), "卷"),
    ),
    "item": (
        _count("item_long", "其中：长期（件）", "以件为单位、" + _BEFORE_2006.format("长期"), "件"),
        _count("item_short", "其中：短期（件）", "以件为单位、" + _BEFORE_2006.format("短期"), "件"),
    ),
}
# Retention parts in the order of the retention classes (census_schema.codes.RETENTION_CLASSES).
VOL_PARTS_2025 = ("vol_permanent", "vol_30y", "vol_10y", "vol_long", "vol_short", "vol_unassigned")
ITEM_PARTS_2025 = ("item_permanent", "item_30y", "item_10y", "item_long", "item_short", "item_unassigned")
_SIX_CLASSES = "永久、定期30年、定期10年、长期、短期、未划定期限六项之和"


def _resummed(rule: Rule) -> Rule:
    """A retention-sum rule of 2024 over the six classes of 2025."""
    parts = VOL_PARTS_2025 if rule.rule_id == "vol_total_sum" else ITEM_PARTS_2025
    label = "以卷为保管单位档案（卷）" if rule.rule_id == "vol_total_sum" else "以件为保管单位档案（件）"
    message = f"「{label}」应等于{_SIX_CLASSES}，请核对合计或分项。"
    return replace(rule, message=message, params=P(parts=parts))


RED_SHEET = "红色档案资源摸底"
# The main sheet points to the supplementary one: a holder with revolutionary history archives has red archives.
CENSUS_TO_RED_RULE = Rule(
    "red_sheet_row_for_revolutionary",
    "key_in_sheet",
    W,
    "red_archives",
    "该单位填报了革命历史档案，但「红色档案资源摸底」中没有它的一行，请补填。",
    P(sheet=RED_SHEET, key="uscc", when_positive=("red_archives",)),
)
CENSUS_RULES_2025 = (
    *(
        _resummed(r) if r.rule_id in ("vol_total_sum", "item_total_sum") else r
        for r in COMMON_ROW_RULES + SCOPE_RULES + CENSUS_ROW_RULES + CROSS_RETURN_RULES
    ),
    CENSUS_TO_RED_RULE,
)
CENSUS_FORM = evolve_form(
    CENSUS_FORM_2024,
    CENSUS_VERSION,
    insert_after={"vol_10y": RETENTION_2025_FIELDS["vol"], "item_10y": RETENTION_2025_FIELDS["item"]},
    redescribe={
        "vol_total": f"以卷为保管单位的档案总数，等于下列{_SIX_CLASSES}。",
        "item_total": f"以件为保管单位的档案总数，等于下列{_SIX_CLASSES}。",
    },
    rules=CENSUS_RULES_2025,
)
CENSUS_SHEET = CENSUS_FORM.sheet_name

# The red-archive inventory (红色档案资源摸底): per holder, how much, in what condition, how far digitised and used.
# Condition classes: the four damage grades of GB/T 42468.1-2023 (formerly DA/T 64.1-2017), plus 完好.
RED_CONDITION_PARTS = ("red_intact", "red_light", "red_moderate", "red_severe", "red_extreme")
RED_TOTAL_PARTS = ("red_vol", "red_item")
RED_USE_FIELDS = ("red_exhibitions", "red_publications", "red_research")
RED_ARCHIVES_FIELDS: tuple[Field, ...] = (
    replace(USCC, description="普查对象的18位统一社会信用代码，须与「普查表」中该单位的代码一致。"),
    replace(UNIT_NAME, description="普查对象的规范全称，与「普查表」一致。"),
    _count("red_vol", "红色档案（卷）", "以卷为保管单位的红色档案，含革命历史档案和新中国成立后形成的红色档案。", "卷"),
    _count("red_item", "红色档案（件）", "以件为保管单位的红色档案。", "件"),
    _count("red_intact", "保管状况：完好（卷件）", "未见破损的红色档案（卷与件合计）。", "卷件"),
    _count("red_light", "保管状况：轻度破损（卷件）", "按 GB/T 42468.1-2023 定为轻度破损的红色档案。", "卷件"),
    _count("red_moderate", "保管状况：中度破损（卷件）", "按 GB/T 42468.1-2023 定为中度破损的红色档案。", "卷件"),
    _count("red_severe", "保管状况：严重破损（卷件）", "按 GB/T 42468.1-2023 定为严重破损的红色档案。", "卷件"),
    _count("red_extreme", "保管状况：特残破损（卷件）", "按 GB/T 42468.1-2023 定为特残破损的红色档案。", "卷件"),
    _count("red_digitized", "已数字化（卷件）", "已完成数字化的红色档案（卷与件合计）。", "卷件"),
    _count("red_exhibitions", "开发利用：举办展览（个）", "利用红色档案举办（含参与举办）的展览。", "个"),
    _count("red_publications", "开发利用：编研出版（种）", "利用红色档案公开出版的编研成果。", "种"),
    _count("red_research", "开发利用：研究成果（项）", "利用红色档案形成的研究成果（论文、报告、课题等）。", "项"),
    Field("remarks", "备注", T, "需要说明的其他情况，可留空。", required=False, max_length=500, width=24),
)
RED_ARCHIVES_RULES: tuple[Rule, ...] = (
    Rule(
        "red_uscc_unique",
        "unique",
        E,
        "uscc",
        "同一统一社会信用代码在「红色档案资源摸底」中出现多次：每个普查对象只填一行，请合并重复行。",
    ),
    Rule(
        "red_conditions_sum",
        "sum_equals",
        E,
        "red_intact",
        "各保管状况（完好、轻度破损、中度破损、严重破损、特残破损）之和应等于红色档案卷、件之和，请核对。",
        P(parts=RED_CONDITION_PARTS, total_parts=RED_TOTAL_PARTS),
    ),
    Rule(
        "red_digitized_le_total",
        "at_most",
        E,
        "red_digitized",
        "红色档案「已数字化（卷件）」不能大于红色档案卷、件之和。",
        P(limit=RED_TOTAL_PARTS),
    ),
    Rule(
        "red_holder_in_census",
        "key_in_sheet",
        E,
        "uscc",
        "该统一社会信用代码不在本工作簿的「普查表」中：红色档案资源摸底只填「普查表」中已填报的普查对象。",
        P(sheet=CENSUS_SHEET, key="uscc"),
    ),
    Rule(
        "red_vol_le_holdings",
        "compare_in_sheet",
        E,
        "red_vol",
        "「红色档案（卷）」不能大于该单位在「普查表」中的「以卷为保管单位档案（卷）」，请核对本行或「普查表」中该单位的数字，改正填错的一项。",
        P(sheet=CENSUS_SHEET, key="uscc", fields=("red_vol",), other_fields=("vol_total",), op="le"),
    ),
    Rule(
        "red_item_le_holdings",
        "compare_in_sheet",
        E,
        "red_item",
        "「红色档案（件）」不能大于该单位在「普查表」中的「以件为保管单位档案（件）」，请核对本行或「普查表」中该单位的数字，改正填错的一项。",
        P(sheet=CENSUS_SHEET, key="uscc", fields=("red_item",), other_fields=("item_total",), op="le"),
    ),
    Rule(
        "red_covers_revolutionary",
        "compare_in_sheet",
        W,
        "red_vol",
        "红色档案卷、件之和少于该单位在「普查表」中填报的「革命历史档案（卷件）」：革命历史档案属于红色档案，请核实。",
        P(sheet=CENSUS_SHEET, key="uscc", fields=RED_TOTAL_PARTS, other_fields=("red_archives",), op="ge"),
    ),
)
RED_ARCHIVES_FORM = declare_form(
    "red_archives",
    CENSUS_VERSION,
    "红色档案资源摸底表",
    ROUND_ID,
    REFERENCE_DATE,
    RED_SHEET,
    RED_ARCHIVES_FIELDS,
    RED_ARCHIVES_RULES,
    max_rows=MAX_RETURN_ROWS,
    may_be_empty=True,
)
# The foot of the statistical form (表尾): who answers for the return and when it was sent, one row per workbook.
SIGN_OFF_SHEET = "表尾"
SIGN_OFF_FIELDS: tuple[Field, ...] = (
    Field("unit_head", "单位负责人", T, "报送单位的负责人姓名。", max_length=50, width=14),
    Field("statistics_head", "统计负责人", T, "对本表数据负责审核的统计负责人姓名。", max_length=50, width=14),
    Field("preparer", "填表人", T, "填写本表的人员姓名。", max_length=50, width=14),
    Field(
        "preparer_phone",
        "联系电话",
        FieldType.PHONE,
        "填表人的手机号码或固定电话（区号-号码）。",
        max_length=30,
        pattern=PHONE_PATTERN,
        pattern_hint=PHONE_HINT,
        width=18,
    ),
    Field("reported_on", "报出日期", FieldType.DATE, "本表报出（上报）的日期。", width=14, in_past=True),
)
SIGN_OFF_RULES: tuple[Rule, ...] = (
    Rule(
        "sign_off_one_row",
        "row_count",
        E,
        None,
        "「表尾」须填且只填一行：单位负责人、统计负责人、填表人、联系电话和报出日期。",
        P(min=1, max=1),
    ),
    Rule(
        "reported_on_after_reference_date",
        "date_on_or_after",
        E,
        "reported_on",
        f"「报出日期」不能早于普查标准时点 {REFERENCE_DATE:%Y年%m月%d日}，请填写本表实际报出（签发）的日期。",
        P(date=REFERENCE_DATE.isoformat()),
    ),
)
SIGN_OFF_FORM = declare_form(
    "census_sign_off",
    CENSUS_VERSION,
    "普查表表尾",
    ROUND_ID,
    REFERENCE_DATE,
    SIGN_OFF_SHEET,
    SIGN_OFF_FIELDS,
    SIGN_OFF_RULES,
    max_rows=100,
    may_be_empty=True,
)

# Placeholders until the statistics bureau approves or records the census (the template marks them 暂定).
CENSUS_HEADER = StatutoryHeader(
    form_numbers=((CENSUS_SHEET, "GYDA-1表"), (RED_SHEET, "GYDA-2表")),
    authority="国家档案局",
    approval="待批准（备案）后填写",
    valid_until="待批准（备案）后填写",
    provisional=True,
)
CENSUS_NOTES = (
    "1. 在「普查表」第 {first} 行起逐行填写，每个普查对象填一行；第 {header} 行为表头。",
    "2. 有红色档案的普查对象，另在「红色档案资源摸底」逐个填一行（单位须已在「普查表」中）；没有的可不填该表。",
    "3. 「表尾」填一行：单位负责人、统计负责人、填表人、联系电话、报出日期，必填。",
    "4. 不要修改工作表名称，不要修改、插入、删除或调换表头列；不要合并单元格；多余的空行可以删除。",
    "5. 数值为零的必须填写 0，不能留空；数量只填数字，不要带单位或文字；有下拉列表的列请从列表中选择。",
    "6. 统一社会信用代码、行政区划代码、联系电话按文本填写，保留开头的 0；表末的「合计」行会被忽略。",
    "7. 上传后系统自动校验。有「错误」的表整体退回、不入库，请修改后重新上传整个工作簿。",
    "8. 退回的工作簿中，出错的单元格标红并附批注；另附「错误清单」工作表，逐条列出行号、列名、填报值和说明。",
    "9. 「警告」不影响接收，但请逐条核实；确有特殊情况的请在「备注」列中说明。",
    "10. 本模板仅供 {province} 填报，表式版本 {version}；请勿用于其他地区或渠道，也不要使用旧版本模板。",
    "11. 表下以“注：”等开头、只占一格的说明行不读取、不保存；某个单位要说明的，请写在该行的「备注」列。",
)
CENSUS_WORKBOOK = WorkbookForm(
    "census",
    CENSUS_VERSION,
    "国有档案资源普查表",
    (CENSUS_FORM, RED_ARCHIVES_FORM, SIGN_OFF_FORM),
    "普查表",
    "census-return",
    notes=CENSUS_NOTES,
    header=CENSUS_HEADER,
)
