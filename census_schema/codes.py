"""Code lists of the census forms, declared once and used by templates, checks, the warehouse and the UI."""

from __future__ import annotations

from dataclasses import dataclass

# Why a list is marked provisional: the census scheme (普查方案) that would fix it has not been published.
PROVISIONAL_NOTE = "本平台暂定，国家档案局发布普查方案后以其为准"


@dataclass(frozen=True)
class CodeList:
    """A named list of the values a coded field accepts.

    `provisional`: the list is this platform's proposal, not a published standard or scheme; the template's 代码表 and
    the warehouse's reference data say so. `source`: where the values come from. `names`: what each value (a code)
    stands for, in the values' order, shown beside them on the 代码表 under `names_label`; empty when the values are
    words.
    """

    name: str
    label: str
    values: tuple[str, ...]
    provisional: bool = False
    source: str = ""
    names: tuple[str, ...] = ()
    names_label: str = ""


UNIT_NATURE = CodeList(
    "unit_nature",
    "单位性质",
    ("机关", "事业单位", "国有企业", "人民团体", "其他"),
    provisional=True,
    source=PROVISIONAL_NOTE,
)
HOLDER_TYPE = CodeList(
    "holder_type",
    "普查对象类型",
    ("综合档案馆", "专门档案馆", "部门档案馆", "企事业单位档案馆", "机关档案室", "企事业单位档案室"),
    provisional=True,
    source=PROVISIONAL_NOTE + "（依据全国档案事业统计年报的档案馆、档案室分类）",
)
ADMIN_LEVEL = CodeList(
    "admin_level",
    "行政层级",
    ("中央", "省级", "副省级", "地级", "县级", "乡级"),
    provisional=True,
    source=PROVISIONAL_NOTE,
)
YES_NO = CodeList("yes_no", "是否", ("是", "否"))

ARCHIVES_KINDS = ("综合档案馆", "专门档案馆", "部门档案馆", "企事业单位档案馆")
ARCHIVE_ROOM_KINDS = ("机关档案室", "企事业单位档案室")
COMPREHENSIVE = "综合档案馆"

# Unit nature implied by the registration-authority and kind characters (1-2) of a USCC.
USCC_PREFIX_NATURE = {"11": "机关", "12": "事业单位", "91": "国有企业", "13": "人民团体"}

CENTRAL, PROVINCIAL, SUB_PROVINCIAL, PREFECTURAL, COUNTY_LEVEL, TOWNSHIP = ADMIN_LEVEL.values
# Administrative levels compatible with each GB/T 2260 division level, in a provincial return. 中央 holders (central
# organs, central enterprises' headquarters, central archives) are not reported by a province: a provincial branch
# of a central enterprise is 省级 (or the level it sits at); 副省级 fits only the 15 sub-provincial cities themselves
# (their development zones and districts are not 副省级).
DIVISION_LEVEL_ADMIN_LEVELS = {
    "province": (PROVINCIAL,),
    "prefecture": (SUB_PROVINCIAL, PREFECTURAL),
    "county": (COUNTY_LEVEL, TOWNSHIP),
}
# The XPCC's 师市合一 cities carry county-level GB/T 2260 codes but are divisions (师) of prefecture rank; their
# towns and 团场 are 乡级.
XPCC_CITY_ADMIN_LEVELS = (PREFECTURAL, COUNTY_LEVEL, TOWNSHIP)

# The tiers (层级) figures are broken down by: each administrative level belongs to one tier.
LEVEL_TIERS: dict[str, str] = {
    CENTRAL: "中央",
    PROVINCIAL: "省级",
    SUB_PROVINCIAL: "地级",
    PREFECTURAL: "地级",
    COUNTY_LEVEL: "县级",
    TOWNSHIP: "县级",
}
TIER_ORDER = ("中央", "省级", "地级", "县级")

# Retention classes (保管期限): 永久 / 定期30年 / 定期10年 since the bureau's Order No. 8 (2006-12-18); records
# appraised before it keep the 1987 classes 长期 and 短期 until they are appraised again.
RETENTION_CLASSES = ("永久", "定期30年", "定期10年", "长期", "短期", "未划定期限")
