"""Code lists of the census forms, declared once and used by templates, checks and the UI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeList:
    """A named list of the values a coded field accepts."""

    name: str
    label: str
    values: tuple[str, ...]


UNIT_NATURE = CodeList("unit_nature", "单位性质", ("机关", "事业单位", "国有企业", "人民团体", "其他"))
HOLDER_TYPE = CodeList(
    "holder_type",
    "普查对象类型",
    ("综合档案馆", "专门档案馆", "部门档案馆", "企事业单位档案馆", "机关档案室", "企事业单位档案室"),
)
ADMIN_LEVEL = CodeList("admin_level", "行政层级", ("中央", "省级", "副省级", "地级", "县级", "乡级"))
YES_NO = CodeList("yes_no", "是否", ("是", "否"))

ARCHIVES_KINDS = ("综合档案馆", "专门档案馆", "部门档案馆", "企事业单位档案馆")
ARCHIVE_ROOM_KINDS = ("机关档案室", "企事业单位档案室")

# Unit nature implied by the registration-authority and kind characters (1-2) of a USCC.
USCC_PREFIX_NATURE = {"11": "机关", "12": "事业单位", "91": "国有企业", "13": "人民团体"}

# Administrative levels compatible with each GB/T 2260 division level.
DIVISION_LEVEL_ADMIN_LEVELS = {
    "province": ("中央", "省级"),
    "prefecture": ("副省级", "地级"),
    "county": ("县级", "乡级"),
}
