"""Seeded synthetic registers and census returns for every census province: demos, tests and benchmarks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from census_schema.archives import SUB_PROVINCIAL_CITIES
from census_schema.breakdowns import (
    BASES,
    CARRIERS,
    GROUP_BREAKDOWNS,
    PART_BREAKDOWNS,
    RED_CONDITIONS,
    GroupBreakdown,
    percent,
)
from census_schema.census_form import (
    ANNUAL_STATS_LAST_YEAR,
    CENSUS_FORM,
    CENSUS_VERSION,
    CENSUS_WORKBOOK,
    ITEM_PARTS_2025,
    RED_ARCHIVES_FORM,
    REGISTER_FORM,
    ROUND_ID,
    SIGN_OFF_FORM,
    SUMMARY_SUM_FIELDS,
    SUMMARY_UNIT_FIGURES,
    VOL_PARTS_2025,
)
from census_schema.codes import (
    ARCHIVE_ROOM_KINDS,
    ARCHIVES_KINDS,
    HOLDER_TYPE,
    LEVEL_TIERS,
    PREFECTURAL,
    PROVINCIAL,
    SUB_PROVINCIAL,
    TOWNSHIP,
    USCC_PREFIX_NATURE,
    YES_NO,
)
from census_schema.divisions import (
    COUNTY,
    PREFECTURE,
    PROVINCE,
    XPCC_CODE,
    Division,
    allowed_admin_levels,
    load_divisions,
)
from census_schema.fields import FieldType
from census_schema.layout import FIRST_DATA_ROW
from census_schema.scopes import Scope
from census_schema.template import write_form_workbook, write_workbook
from census_schema.uscc import USCC_CHARSET, compute_uscc_check_char

FULL_SCALE_UNITS = 1_000_000
# Published figures (国家档案局, 2022年度全国档案主管部门和档案馆基本情况摘要): 3,301 国家综合档案馆 (one per division,
# plus development-zone archives), 261 国家专门档案馆, 106 部门档案馆, 135 企业档案馆 and 351 省、部属事业单位档案馆 (the
# census's 企事业单位档案馆). Comprehensive archives hold 10.47亿卷（件）, about 63 % at county level, about 22 % opened,
# with 36,582 full-time staff (353 of them at the central archives, which report nationally, not through a province).
COMPREHENSIVE_AT_FULL_SCALE = 3_301
ARCHIVES_AT_FULL_SCALE: dict[str, int] = {
    "综合档案馆": COMPREHENSIVE_AT_FULL_SCALE,
    "专门档案馆": 261,
    "部门档案馆": 106,
    "企事业单位档案馆": 135 + 351,
}
TOTAL_ARCHIVES = sum(ARCHIVES_AT_FULL_SCALE.values())
# A sample smaller than the country keeps every archive while archives make at most this share of its holders, so
# the default demo (12,000 holders) has the nation's archives and their published magnitudes, plus archive rooms.
MAX_ARCHIVE_SHARE = 0.5

_LEVELS = (PROVINCE, PREFECTURE, COUNTY)
_L_PROVINCE, _L_PREFECTURE, _L_COUNTY = range(3)
_MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
_LOCAL_STYLE_PROVINCES = _MUNICIPALITIES | {XPCC_CODE}
# USCC organisation-code bodies: each province owns a block, so codes never repeat across the country.
_BODY_BLOCK = 3_000_000
_SUPERVISOR_BODY_BASE = 98_000_000
_BODY_MODULUS = 100_000_000
# An affine bijection of 0..10^8-1 (48271 is coprime to 10^8): sequential indices give scattered, unique bodies.
_BODY_MULTIPLIER, _BODY_OFFSET = 48_271, 31_415_926
_ORG_CODE_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])

# Resident population in millions (2020 census); Xinjiang without the Corps.
_POPULATION_M: dict[str, float] = {
    "110000": 21.9, "120000": 13.9, "130000": 74.6, "140000": 34.9, "150000": 24.0, "210000": 42.6,
    "220000": 24.1, "230000": 31.9, "310000": 24.9, "320000": 84.7, "330000": 64.6, "340000": 61.0,
    "350000": 41.5, "360000": 45.2, "370000": 101.5, "410000": 99.4, "420000": 57.8, "430000": 66.4,
    "440000": 126.0, "450000": 50.1, "460000": 10.1, "500000": 32.1, "510000": 83.7, "520000": 38.6,
    "530000": 47.2, "540000": 3.6, "610000": 39.5, "620000": 25.0, "630000": 5.9, "640000": 7.2,
    "650000": 22.6, "660000": 3.3,
}  # fmt: skip
# Holders follow population mostly, and the number of divisions (each with its own organs) partly.
_POPULATION_WEIGHT = 0.75
# Area code of the provincial capital, for landline numbers.
_AREA_CODES: dict[str, str] = {
    "110000": "010", "120000": "022", "130000": "0311", "140000": "0351", "150000": "0471", "210000": "024",
    "220000": "0431", "230000": "0451", "310000": "021", "320000": "025", "330000": "0571", "340000": "0551",
    "350000": "0591", "360000": "0791", "370000": "0531", "410000": "0371", "420000": "027", "430000": "0731",
    "440000": "020", "450000": "0771", "460000": "0898", "500000": "023", "510000": "028", "520000": "0851",
    "530000": "0871", "540000": "0891", "610000": "029", "620000": "0931", "630000": "0971", "640000": "0951",
    "650000": "0991", "660000": "0993",
}  # fmt: skip


@dataclass(frozen=True)
class HolderProfile:
    """How one kind of holder is distributed and what it keeps (means are at full scale)."""

    share: float
    level_shares: tuple[float, float, float]
    natures: Mapping[str, float]
    mean_holdings: tuple[float, float, float]
    sigma: float
    vol_share: tuple[float, float]
    opened_share: tuple[float, float]
    digitized_prob: float
    digitized_share: tuple[float, float]
    e_prob: float
    pre1949_prob: float
    pre1949_share: tuple[float, float]
    categories: tuple[float, float, float, float, float, float]
    climate_prob: float
    fire_prob: float
    holdings_per_staff: float


# Keyed by holder type, in the code list's order. Archives are placed at their published national counts (scaled
# down only in small samples), comprehensive archives one per division; archive rooms take the holders left, 机关档案室
# their `share` of them. Means are per holder at (province, prefecture, county) level: comprehensive archives so that
# their holdings total about 10.3亿 outside the central archives (≈ 63 % at county level) with about 36,000 full-time
# staff; archive rooms of realistic size (a county organ's room some thousands of files, a court's tens of
# thousands: see _SIZE_FACTORS).
HOLDER_PROFILES: dict[str, HolderProfile] = {
    "综合档案馆": HolderProfile(
        share=0.0, level_shares=(1, 0, 0), natures={"12": 1.0}, mean_holdings=(3_060_000, 753_000, 237_000),
        sigma=0.5, vol_share=(0.45, 0.7), opened_share=(0.15, 0.29), digitized_prob=1.0, digitized_share=(0.45, 0.9),
        e_prob=0.97, pre1949_prob=0.9, pre1949_share=(0.02, 0.14), categories=(0.55, 0.08, 0.05, 0.03, 0.22, 0.07),
        climate_prob=0.95, fire_prob=0.98, holdings_per_staff=27_800,
    ),
    "专门档案馆": HolderProfile(
        share=0.0, level_shares=(0.1, 0.5, 0.4), natures={"12": 1.0}, mean_holdings=(400_000, 150_000, 60_000),
        sigma=0.8, vol_share=(0.5, 0.85), opened_share=(0.05, 0.25), digitized_prob=0.9, digitized_share=(0.3, 0.8),
        e_prob=0.9, pre1949_prob=0.15, pre1949_share=(0.0, 0.02), categories=(0.1, 0.55, 0.02, 0.01, 0.3, 0.02),
        climate_prob=0.85, fire_prob=0.95, holdings_per_staff=10_000,
    ),
    "部门档案馆": HolderProfile(
        share=0.0, level_shares=(0.2, 0.5, 0.3), natures={"11": 0.6, "12": 0.4},
        mean_holdings=(300_000, 120_000, 50_000),
        sigma=0.8, vol_share=(0.4, 0.8), opened_share=(0.05, 0.2), digitized_prob=0.9, digitized_share=(0.3, 0.8),
        e_prob=0.9, pre1949_prob=0.2, pre1949_share=(0.0, 0.02), categories=(0.45, 0.1, 0.08, 0.07, 0.27, 0.03),
        climate_prob=0.85, fire_prob=0.95, holdings_per_staff=9_000,
    ),
    "企事业单位档案馆": HolderProfile(
        share=0.0, level_shares=(0.3, 0.4, 0.3), natures={"91": 0.3, "12": 0.7},
        mean_holdings=(250_000, 100_000, 40_000),
        sigma=0.8, vol_share=(0.35, 0.75), opened_share=(0.0, 0.15), digitized_prob=0.85, digitized_share=(0.2, 0.7),
        e_prob=0.95, pre1949_prob=0.1, pre1949_share=(0.0, 0.01), categories=(0.35, 0.35, 0.15, 0.08, 0.05, 0.02),
        climate_prob=0.85, fire_prob=0.95, holdings_per_staff=10_000,
    ),
    "机关档案室": HolderProfile(
        share=0.55, level_shares=(0.04, 0.2, 0.76), natures={"11": 0.92, "13": 0.08},
        mean_holdings=(60_000, 20_000, 6_000),
        sigma=0.9, vol_share=(0.2, 0.6), opened_share=(0.0, 0.0), digitized_prob=0.6, digitized_share=(0.1, 0.6),
        e_prob=0.7, pre1949_prob=0.01, pre1949_share=(0.0, 0.01), categories=(0.7, 0.05, 0.12, 0.06, 0.05, 0.02),
        climate_prob=0.45, fire_prob=0.7, holdings_per_staff=20_000,
    ),
    "企事业单位档案室": HolderProfile(
        share=0.45, level_shares=(0.05, 0.27, 0.68), natures={"91": 0.55, "12": 0.45},
        mean_holdings=(50_000, 15_000, 5_000),
        sigma=0.9, vol_share=(0.25, 0.65), opened_share=(0.0, 0.0), digitized_prob=0.5, digitized_share=(0.05, 0.5),
        e_prob=0.6, pre1949_prob=0.005, pre1949_share=(0.0, 0.01), categories=(0.4, 0.2, 0.25, 0.08, 0.05, 0.02),
        climate_prob=0.4, fire_prob=0.65, holdings_per_staff=20_000,
    ),
}  # fmt: skip
# Archive rooms that keep large case or record series, by a word of their name: courts' and procuratorates' case
# files, police records, land and housing registers, hospitals' medical records, schools' student files.
_SIZE_FACTORS: tuple[tuple[str, float], ...] = (
    ("法院|检察院", 6.0),
    ("公安|派出所|交通警察", 4.0),
    ("医院|卫生院|妇幼保健", 4.0),
    ("不动产|自然资源|住房和城乡建设|人力资源和社会保障|公积金", 2.5),
    ("中学|小学|学校|学院|幼儿园", 1.5),
)
# Comprehensive archives of the 15 sub-provincial cities hold more than a prefecture's; development-zone archives
# hold little (about 60,000 卷件).
_SUB_PROVINCIAL_FACTOR, _ZONE_HOLDINGS = 2.7, 60_000
_TYPES = HOLDER_TYPE.values
_COMPREHENSIVE = _TYPES.index("综合档案馆")
_ROOM_TYPE_IDS = np.array([_TYPES.index(t) for t in ARCHIVE_ROOM_KINDS])
# Share of county-level organ archive rooms that are township governments (乡级), and of province-level
# enterprises that are provincial branches of central enterprises (reported by the province, at 省级: only their
# headquarters are 中央 units, which report nationally).
_TOWNSHIP_SHARE, _CENTRAL_SHARE = 0.4, 0.15
# Township governments keep less than the county organs.
_TOWNSHIP_HOLDINGS = 0.3
_MIN_HOLDINGS = 60
# Non-reporting registered holders per province, and holders reporting without being registered.
_MISSING_SHARE, _UNREGISTERED_SHARE = (0.02, 0.05), (0.002, 0.006)
# Registers give the previous year's annual statistics for most holders: holdings then were 82-100 % of the census's;
# a few holders' statistics are far off (30-60 %: the census reports 1.7-3.3 times as much), which the year-on-year
# check warns of.
_ANNUAL_STATS_SHARE, _ANNUAL_STATS_GROWTH, _ANNUAL_STATS_OFF = 0.6, (0.82, 1.0), (0.02, (0.3, 0.6))
# Provinces with at least this many archive holders besides comprehensive archives have an unregistered one.
_MIN_OTHERS_FOR_UNREGISTERED = 20

# --------------------------------------------------------------------------------------------------------- names
_TOWN_FIRST = "东西南北新安长永和平太金石龙凤青白黄大小高上下中双三马柳桃杨兴福德仁义宝云"
_TOWN_SECOND = "山河水林桥岭坪湖溪沟庄集店铺寨营口头塘湾坝关城阳峰港泉田园村堡台洲川源冈屯岗坡"
_TOWNS = tuple(a + b for a in _TOWN_FIRST for b in _TOWN_SECOND)
# Coprime to len(_TOWNS), so consecutive overflow ranks within a division visit distinct towns.
_TOWN_STEP = 7
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN_NAME_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红志文玲德海波宁燕丹萍鹏辉斌宇浩凯健俊帆琳雪婷晶"
)
_REMARKS_SHARE = 0.03
_REMARKS = (
    "含代管撤销单位档案",
    "部分档案寄存于同级综合档案馆",
    "库房改造中，部分档案临时存放",
    "数据截至2024年12月31日",
    "电子档案含数字化副本",
)
_CENTRAL_ENTERPRISES = (
    "中国邮政集团有限公司",
    "中国电信股份有限公司",
    "中国移动通信集团有限公司",
    "中国联合网络通信有限公司",
    "中国石油天然气股份有限公司",
    "中国石油化工股份有限公司",
    "中国工商银行股份有限公司",
    "中国农业银行股份有限公司",
    "中国银行股份有限公司",
    "中国建设银行股份有限公司",
    "中国人民财产保险股份有限公司",
    "中国人寿保险股份有限公司",
)
_INDUSTRIES = (
    "城市建设投资", "交通投资", "水务", "燃气", "公共交通", "国有资本运营", "文化旅游发展", "农业发展",
    "粮食储备", "建筑工程", "港务", "能源", "水利水电", "产业投资", "医药", "供销", "地铁", "铁路投资",
    "土地开发", "物流", "林业发展", "矿业", "盐业", "城市更新", "数字科技", "环保", "资产经营", "保安服务",
)  # fmt: skip
_COMPANY_FORMS = ("集团有限公司", "有限公司", "有限责任公司")
_SPECIAL_ARCHIVES = (
    "城市建设档案馆", "不动产登记档案馆", "婚姻登记档案馆", "人才交流中心人事档案馆", "地质资料档案馆",
    "水文档案馆", "气象档案馆", "土地档案馆", "房产档案馆", "公证档案馆",
)  # fmt: skip
_DEPARTMENTS_PROVINCE = (
    "公安厅", "自然资源厅", "住房和城乡建设厅", "高级人民法院", "人民检察院", "交通运输厅", "水利厅", "民政厅",
    "退役军人事务厅", "司法厅", "教育厅", "卫生健康委员会",
)  # fmt: skip
_DEPARTMENTS_LOCAL = (
    "公安局", "自然资源和规划局", "住房和城乡建设局", "人民法院", "人民检察院", "交通运输局", "水利局", "民政局",
    "退役军人事务局", "司法局", "教育局", "卫生健康局",
)  # fmt: skip
_ORGANS_PROVINCE = (
    "人民政府办公厅", "发展和改革委员会", "教育厅", "科学技术厅", "工业和信息化厅", "公安厅", "民政厅", "司法厅",
    "财政厅", "人力资源和社会保障厅", "自然资源厅", "生态环境厅", "住房和城乡建设厅", "交通运输厅", "水利厅",
    "农业农村厅", "商务厅", "文化和旅游厅", "卫生健康委员会", "退役军人事务厅", "应急管理厅", "审计厅",
    "市场监督管理局", "统计局", "医疗保障局", "林业局", "人民代表大会常务委员会办公厅", "政协委员会办公厅",
    "高级人民法院", "人民检察院", "档案局", "机关事务管理局", "信访局", "地方金融管理局", "粮食和物资储备局",
    "人民政府国有资产监督管理委员会", "乡村振兴局", "体育局", "民族宗教事务委员会", "人民防空办公室",
)  # fmt: skip
_ORGANS_LOCAL = (
    "人民政府办公室", "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局",
    "财政局", "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局",
    "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康局", "退役军人事务局", "应急管理局", "审计局",
    "市场监督管理局", "统计局", "医疗保障局", "林业局", "人民代表大会常务委员会办公室", "政协委员会办公室",
    "人民法院", "人民检察院", "档案局", "机关事务服务中心", "信访局", "城市管理局", "行政审批局", "税务局",
    "人民政府国有资产监督管理委员会", "乡村振兴局", "体育局", "民族宗教事务局", "人民防空办公室", "数据局",
    "消防救援大队", "气象局", "烟草专卖局", "交通警察大队",
)  # fmt: skip
_PARTY_ORGANS = (
    "委员会办公室", "委员会组织部", "委员会宣传部", "委员会统一战线工作部", "委员会政法委员会", "纪律检查委员会",
    "委员会党校",
)  # fmt: skip
_MASS_ORGANISATIONS = (
    "总工会", "妇女联合会", "科学技术协会", "文学艺术界联合会", "残疾人联合会", "红十字会", "工商业联合会",
    "归国华侨联合会", "社会科学界联合会", "共青团委员会",
)  # fmt: skip
_INSTITUTIONS = (
    "人民医院", "中医医院", "妇幼保健院", "疾病预防控制中心", "第一中学", "第二中学", "第三中学", "实验中学",
    "第一小学", "第二小学", "实验小学", "职业技术学校", "图书馆", "文化馆", "博物馆", "融媒体中心",
    "农业技术推广中心", "公共资源交易中心", "政务服务中心", "住房公积金管理中心", "不动产登记中心",
    "社会福利院", "特殊教育学校", "第一幼儿园", "第二幼儿园", "体育运动学校", "卫生学校", "第二人民医院",
    "精神卫生中心", "急救中心", "广播电视台", "水文水资源勘测中心", "林业工作站", "动物疫病预防控制中心",
)  # fmt: skip
_ENTERPRISE_ARCHIVES_12 = (
    "人民医院档案馆", "中医医院档案馆", "职业技术学院档案馆", "广播电视台档案馆", "疾病预防控制中心档案馆",
    "农业科学院档案馆", "社会科学院档案馆", "第一人民医院档案馆", "师范学院档案馆",
)  # fmt: skip
_DEVELOPMENT_ZONES = ("高新技术产业开发区", "经济技术开发区", "临空经济区", "综合保税区", "新区")


@dataclass(frozen=True)
class _NameFamily:
    """Names of one family: `a + place + b` for the first ranks of a division, then `place + mid + town + end`."""

    fixed: tuple[tuple[str, str], ...]
    overflow: tuple[tuple[str, str], ...]


def _suffixes(names: Iterable[str], tail: str = "") -> tuple[tuple[str, str], ...]:
    return tuple(("", name + tail) for name in names)


_COMPANY_NAMES = tuple(i + f for f in _COMPANY_FORMS for i in _INDUSTRIES)
_NAME_FAMILIES: dict[str, _NameFamily] = {
    "special": _NameFamily(_suffixes(_SPECIAL_ARCHIVES), (("", "城市建设档案馆"),)),
    "department_province": _NameFamily(_suffixes(_DEPARTMENTS_PROVINCE, "档案馆"), (("公安厅", "公安局档案馆"),)),
    "department_local": _NameFamily(_suffixes(_DEPARTMENTS_LOCAL, "档案馆"), (("公安局", "分局档案馆"),)),
    "enterprise_archives": _NameFamily(_suffixes(_COMPANY_NAMES, "档案馆"), (("", "投资集团有限公司档案馆"),)),
    "institution_archives": _NameFamily(_suffixes(_ENTERPRISE_ARCHIVES_12), (("", "中心卫生院档案馆"),)),
    "central_archives": _NameFamily(tuple((c, "分公司档案馆") for c in _CENTRAL_ENTERPRISES), (("", "分公司档案馆"),)),
    "organ_province": _NameFamily(
        _suffixes(_ORGANS_PROVINCE) + tuple(("中共", p) for p in _PARTY_ORGANS), (("公安厅", "公安局"),)
    ),
    "organ_local": _NameFamily(
        _suffixes(_ORGANS_LOCAL) + tuple(("中共", p) for p in _PARTY_ORGANS),
        (
            ("公安局", "派出所"),
            ("司法局", "司法所"),
            ("财政局", "财政所"),
            ("自然资源和规划局", "自然资源所"),
            ("市场监督管理局", "市场监督管理所"),
            ("税务局", "税务分局"),
        ),
    ),  # fmt: skip
    "township": _NameFamily((), (("", "镇人民政府"), ("", "乡人民政府"), ("", "镇人民政府"), ("", "街道办事处"))),
    "mass_organisation": _NameFamily(_suffixes(_MASS_ORGANISATIONS), (("", "镇总工会"), ("", "镇妇女联合会"))),
    "enterprise": _NameFamily(
        _suffixes(_COMPANY_NAMES),
        (
            ("", "农业发展有限公司"),
            ("", "建筑工程有限公司"),
            ("", "水务有限公司"),
            ("", "资产经营有限公司"),
            ("", "旅游开发有限公司"),
        ),
    ),  # fmt: skip
    "central": _NameFamily(tuple((c, "分公司") for c in _CENTRAL_ENTERPRISES), (("", "营业部"),)),
    "institution": _NameFamily(
        _suffixes(_INSTITUTIONS),
        (
            ("", "中心小学"),
            ("", "初级中学"),
            ("", "卫生院"),
            ("", "中心幼儿园"),
            ("", "农业综合服务中心"),
            ("", "文化站"),
        ),
    ),  # fmt: skip
}


_FAMILY_IDS = {name: i for i, name in enumerate(_NAME_FAMILIES)}


@dataclass(frozen=True)
class _NameTable:
    """All name templates in one table; per family, where its fixed and overflow templates start and how many."""

    fixed_offset: np.ndarray
    fixed_count: np.ndarray
    overflow_offset: np.ndarray
    overflow_count: np.ndarray
    before: pl.Series
    after: pl.Series


@cache
def _name_table() -> _NameTable:
    before: list[str] = []
    after: list[str] = []
    columns: list[list[int]] = [[], [], [], []]
    for family in _NAME_FAMILIES.values():
        for templates, column in ((family.fixed, 0), (family.overflow, 2)):
            columns[column].append(len(before))
            columns[column + 1].append(len(templates))
            before.extend(t[0] for t in templates)
            after.extend(t[1] for t in templates)
    fixed_offset, fixed_count, overflow_offset, overflow_count = (np.array(c, dtype=np.int64) for c in columns)
    return _NameTable(
        fixed_offset,
        fixed_count,
        overflow_offset,
        overflow_count,
        pl.Series(before, dtype=pl.Utf8),
        pl.Series(after, dtype=pl.Utf8),
    )


# ---------------------------------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class ProvinceDataset:
    """One province's register of expected holders and its clean census return (main sheet, red-archive inventory,
    foot), in the forms' field names."""

    province_code: str
    province_name: str
    register: pl.DataFrame
    census: pl.DataFrame
    red_archives: pl.DataFrame
    sign_off: pl.DataFrame

    def census_sheets(
        self, census_rows: Iterable[Sequence[object]] | None = None, holders: pl.DataFrame | None = None
    ) -> dict[str, Iterable[Sequence[object]]]:
        """The rows of each sheet of the census workbook: the main sheet's given, or `holders` (a scope's part of the
        clean return, whose red-archive rows only are written), or the clean ones."""
        red = self.red_archives
        main = self.census if holders is None else holders
        if holders is not None:
            red = red.filter(pl.col("uscc").is_in(holders.get_column("uscc").implode()))
        return {
            CENSUS_FORM.sheet_name: main.select(CENSUS_FORM.field_names).iter_rows()
            if census_rows is None
            else census_rows,
            RED_ARCHIVES_FORM.sheet_name: red.iter_rows(),
            SIGN_OFF_FORM.sheet_name: self.sign_off.iter_rows(),
        }


@dataclass(frozen=True)
class NationalDataset:
    """Every census province's register and return, generated from one seed."""

    units: int
    seed: int
    provinces: dict[str, ProvinceDataset]


@dataclass(frozen=True)
class InjectedError:
    """A row of a written return that fails a named rule (`field`: the rule's field) because one cell was changed:
    `mutated_field` on this row, or None on the untouched first row of a duplicated code."""

    province: str
    file: str
    sheet: str
    row: int
    field: str
    rule: str
    mutated_field: str | None
    value: str | None


@dataclass(frozen=True)
class ProvinceExpectation:
    """A province's written files and the figures a warehouse shows after loading them (and after a correction)."""

    province_code: str
    province_name: str
    register_file: str
    census_file: str
    register_rows: int
    census_rows: int
    status: str
    figures: dict[str, Any]
    figures_if_corrected: dict[str, Any]


@dataclass(frozen=True)
class Manifest:
    """The written files, the errors injected into them and the figures expected after loading them."""

    round_id: str
    form_version: str
    seed: int
    units: int
    national: dict[str, Any]
    national_if_corrected: dict[str, Any]
    provinces: tuple[ProvinceExpectation, ...]
    injected_errors: tuple[InjectedError, ...]
    # The national breakdowns (by_holder_type …) and red-archive inventory of `summary --json`, as written and once
    # the rejected returns are corrected.
    breakdowns: dict[str, Any]
    breakdowns_if_corrected: dict[str, Any]
    red_archive_resources: dict[str, Any]
    red_archive_resources_if_corrected: dict[str, Any]
    # The reporting scopes (synthetic.scopes): the central channels' expected figures, the returns of every scope
    # with the reviews the demo makes, and the review progress expected at the end.
    central: dict[str, Any] = field(default_factory=dict)
    central_files: tuple[Any, ...] = ()
    returns: tuple[Any, ...] = ()
    review: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to `manifest.json`."""
        return asdict(self) | {
            "provinces": [asdict(p) for p in self.provinces],
            "injected_errors": [asdict(e) for e in self.injected_errors],
            "central_files": [asdict(e) for e in self.central_files],
            "returns": [asdict(r) for r in self.returns],
        }


# ------------------------------------------------------------------------------------------------------ planning


@dataclass(frozen=True)
class _ProvinceFrame:
    """A province's divisions by level (province, prefecture, county), with the place names and admin levels."""

    code: str
    name: str
    ordinal: int
    codes: tuple[np.ndarray, np.ndarray, np.ndarray]
    places: tuple[np.ndarray, np.ndarray, np.ndarray]
    admin_levels: tuple[np.ndarray, np.ndarray, np.ndarray]

    def size(self, level: int) -> int:
        """Number of divisions at a level."""
        return len(self.codes[level])


def _place_of(division: Division, registry: Mapping[str, Division]) -> str:
    """The place name a unit's name starts with: districts carry their city, Corps divisions the Corps."""
    if division.province_code == XPCC_CODE and division.level != PROVINCE:
        return "新疆生产建设兵团" + division.name
    parent = registry.get(division.parent_code or "")
    if division.level == COUNTY and parent is not None:
        if division.province_code in _MUNICIPALITIES or (parent.level == PREFECTURE and division.name.endswith("区")):
            return load_divisions().place_name(parent.code) + division.name
    return load_divisions().place_name(division.code)


def _default_admin_level(division: Division) -> str:
    """省级, 副省级 for the 15 sub-provincial cities else 地级, 县级 (地级 for the Corps' cities, which are its 师):
    the first level the division allows in a provincial return."""
    return allowed_admin_levels(division)[0]


@cache
def _province_frame(province_code: str) -> _ProvinceFrame:
    registry = load_divisions()
    provinces = [p.code for p in registry.census_provinces()]
    if province_code not in provinces:
        raise ValueError(f"{province_code!r} is not the code of a census province")
    by_level: dict[str, list[Division]] = {level: [] for level in _LEVELS}
    for division in registry.in_province(province_code):
        # A municipality's prefecture-level codes (市辖区, 县) repeat the province: its districts are its counties.
        if not (division.level == PREFECTURE and province_code in _MUNICIPALITIES):
            by_level[division.level].append(division)
    lists = [by_level[level] for level in _LEVELS]
    return _ProvinceFrame(
        province_code,
        registry.name(province_code),
        provinces.index(province_code),
        (*(np.array([d.code for d in ds], dtype="<U6") for ds in lists),),  # type: ignore[arg-type]
        (*(np.array([_place_of(d, registry.by_code) for d in ds]) for ds in lists),),  # type: ignore[arg-type]
        (*(np.array([_default_admin_level(d) for d in ds]) for ds in lists),),  # type: ignore[arg-type]
    )


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split a total into integers proportional to weights (largest remainders)."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return [int(c) for c in counts]


@cache
def _full_scale_comprehensive() -> dict[str, int]:
    """Comprehensive archives per province at full scale: one per division, the rest in development zones."""
    codes = [p.code for p in load_divisions().census_provinces()]
    divisions = {c: sum(_province_frame(c).size(level) for level in range(3)) for c in codes}
    zones = _apportion(
        COMPREHENSIVE_AT_FULL_SCALE - sum(divisions.values()),
        [max(_province_frame(c).size(_L_PREFECTURE), 1) for c in codes],
    )
    return {c: divisions[c] + z for c, z in zip(codes, zones, strict=True)}


@cache
def _province_weights() -> dict[str, float]:
    full = _full_scale_comprehensive()
    population, divisions = sum(_POPULATION_M.values()), sum(full.values())
    return {
        c: _POPULATION_WEIGHT * _POPULATION_M[c] / population + (1 - _POPULATION_WEIGHT) * full[c] / divisions
        for c in full
    }


def comprehensive_count(province_code: str, scale: float) -> int:
    """Comprehensive archives of a province at a scale (1.0 = full): at least the provincial archives."""
    return max(1, round(min(scale, 1.0) * _full_scale_comprehensive()[province_code]))


def archive_scale(units: int) -> float:
    """The share of the nation's archives a sample of `units` holders keeps (1.0 from about 8,300 holders up)."""
    return min(1.0, units * MAX_ARCHIVE_SHARE / TOTAL_ARCHIVES)


_OTHER_ARCHIVES = tuple(t for t in ARCHIVES_AT_FULL_SCALE if t != "综合档案馆")


def plan_province_archives(scale: float) -> dict[str, dict[str, int]]:
    """Archives of each kind per census province at a scale: comprehensive ones by division, the others apportioned
    by the provinces' weights so that the national counts are the published ones (times the scale)."""
    codes, weights = list(_province_weights()), list(_province_weights().values())
    plan = {c: {"综合档案馆": comprehensive_count(c, scale)} for c in codes}
    for kind in _OTHER_ARCHIVES:
        for c, n in zip(codes, _apportion(round(ARCHIVES_AT_FULL_SCALE[kind] * min(scale, 1.0)), weights), strict=True):
            plan[c][kind] = n
    return plan


def plan_province_holders(units: int) -> dict[str, int]:
    """Registered holders per census province for a national total (never fewer than one per province): the
    archives of `plan_province_archives`, then archive rooms."""
    archives = plan_province_archives(archive_scale(units))
    count = sum(sum(kinds.values()) for kinds in archives.values())
    rooms = _apportion(max(0, units - count), list(_province_weights().values()))
    return {c: sum(archives[c].values()) + r for c, r in zip(archives, rooms, strict=True)}


def _default_archives(province_code: str, holders: int, scale: float | None) -> dict[str, int]:
    """A province's archives by kind when it is generated on its own: its national share at a scale (default: as
    many as half its holders allow), never more than its holders, the provincial archives first."""
    weight = _province_weights()[province_code]
    full: dict[str, float] = {"综合档案馆": _full_scale_comprehensive()[province_code]}
    full |= {kind: ARCHIVES_AT_FULL_SCALE[kind] * weight for kind in _OTHER_ARCHIVES}
    if scale is None:
        scale = min(1.0, holders * MAX_ARCHIVE_SHARE / sum(full.values()))
    archives = {"综合档案馆": min(holders, comprehensive_count(province_code, scale))}
    room = holders - archives["综合档案馆"]
    for kind in _OTHER_ARCHIVES:
        archives[kind] = min(room, round(full[kind] * min(scale, 1.0)))
        room -= archives[kind]
    return archives


# ------------------------------------------------------------------------------------------------------- holders


@dataclass(frozen=True)
class _Holders:
    """Who the holders are, one array entry per holder: kind, level, division and naming."""

    type_id: np.ndarray
    level: np.ndarray
    division: np.ndarray
    prefix: np.ndarray
    family: np.ndarray
    zone: np.ndarray
    township: np.ndarray
    central: np.ndarray

    def __len__(self) -> int:
        return len(self.type_id)

    @staticmethod
    def concat(parts: Sequence[_Holders]) -> _Holders:
        """The holders of several parts, in order."""
        return _Holders(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(_Holders)))


def _comprehensive_holders(frame: _ProvinceFrame, count: int, rng: np.random.Generator) -> _Holders:
    """The provincial archives first, then sub-provincial cities, then other divisions, then development zones."""
    cities = [(_L_PREFECTURE, i) for i, c in enumerate(frame.codes[_L_PREFECTURE]) if c in SUB_PROVINCIAL_CITIES]
    others = [(lv, i) for lv in (_L_PREFECTURE, _L_COUNTY) for i in range(frame.size(lv)) if (lv, i) not in cities]
    slots = [(_L_PROVINCE, 0), *cities, *(others[i] for i in rng.permutation(len(others)))]
    zones = [0] * len(slots)
    # Development zones lie in a prefecture, or in a district where there is no prefecture level.
    zone_level = next((lv for lv in (_L_PREFECTURE, _L_COUNTY) if frame.size(lv)), _L_PROVINCE)
    hosts = frame.size(zone_level)
    for k in range(max(0, count - len(slots))):
        slots.append((zone_level, k % hosts))
        zones.append(1 + (k // hosts) % len(_DEVELOPMENT_ZONES))
    slots, zones = slots[:count], zones[:count]
    n = len(slots)
    return _Holders(
        type_id=np.full(n, _COMPREHENSIVE, dtype=np.int64),
        level=np.array([s[0] for s in slots], dtype=np.int64),
        division=np.array([s[1] for s in slots], dtype=np.int64),
        prefix=np.full(n, "12", dtype="<U2"),
        family=np.full(n, -1, dtype=np.int64),
        zone=np.array(zones, dtype=np.int64),
        township=np.zeros(n, dtype=bool),
        central=np.zeros(n, dtype=bool),
    )


def _choose(rng: np.random.Generator, keys: Sequence[Any], weights: Sequence[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return np.asarray(keys)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _other_holders(
    frame: _ProvinceFrame, archives: Mapping[str, int], rooms: int, rng: np.random.Generator
) -> _Holders:
    """Archives other than comprehensive ones (as many of each kind as given), then archive rooms, placed by level."""
    room_ids = [int(i) for i in _ROOM_TYPE_IDS]
    shares = [HOLDER_PROFILES[_TYPES[i]].share for i in room_ids]
    type_id = np.concatenate(
        [
            np.repeat([_TYPES.index(kind) for kind in archives], list(archives.values())).astype(np.int64),
            _choose(rng, room_ids, shares, rooms).astype(np.int64),
        ]
    )
    count = len(type_id)
    type_ids = [i for i in range(len(_TYPES)) if i != _COMPREHENSIVE]
    level = np.zeros(count, dtype=np.int64)
    prefix = np.empty(count, dtype="<U2")
    for t in type_ids:
        mask = type_id == t
        profile = HOLDER_PROFILES[_TYPES[t]]
        weights = list(profile.level_shares)
        # Municipalities have no prefecture level of their own, the Corps no county level.
        if not frame.size(_L_PREFECTURE):
            weights = [weights[0], 0.0, weights[1] + weights[2]]
        if not frame.size(_L_COUNTY):
            weights = [weights[0], weights[1] + weights[2], 0.0]
        level[mask] = _choose(rng, range(3), weights, int(mask.sum()))
        prefix[mask] = _choose(rng, list(profile.natures), list(profile.natures.values()), int(mask.sum()))
    sizes = np.array([max(frame.size(lv), 1) for lv in range(3)])
    division = np.floor(rng.random(count) * sizes[level]).astype(np.int64)
    draw = rng.random(count)
    kind = {name: type_id == _TYPES.index(name) for name in _TYPES}
    province_level = level == _L_PROVINCE
    # Provinces have 厅 at their own level; municipalities and the Corps have 局 and 委 like cities.
    province_style = province_level & (frame.code not in _LOCAL_STYLE_PROVINCES)
    township = kind["机关档案室"] & (prefix == "11") & (level == _L_COUNTY) & (draw < _TOWNSHIP_SHARE)
    central = (prefix == "91") & province_level & (draw < _CENTRAL_SHARE)
    families = (
        (kind["专门档案馆"], "special"),
        (kind["部门档案馆"] & province_style, "department_province"),
        (kind["部门档案馆"], "department_local"),
        (kind["企事业单位档案馆"] & central, "central_archives"),
        (kind["企事业单位档案馆"] & (prefix == "91"), "enterprise_archives"),
        (kind["企事业单位档案馆"], "institution_archives"),
        (township, "township"),
        (kind["机关档案室"] & (prefix == "13"), "mass_organisation"),
        (kind["机关档案室"] & province_style, "organ_province"),
        (kind["机关档案室"], "organ_local"),
        (central, "central"),
        (prefix == "91", "enterprise"),
    )
    family = np.select(
        [mask for mask, _ in families], [_FAMILY_IDS[name] for _, name in families], _FAMILY_IDS["institution"]
    )
    zero = np.zeros(count, dtype=np.int64)
    return _Holders(type_id.astype(np.int64), level, division, prefix, family, zero, township, central)


def _organisation_check_chars(bodies: np.ndarray) -> np.ndarray:
    """GB 11714 check characters of 8-digit organisation-code bodies (the 9th character of the code)."""
    digits = (bodies[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    value = 11 - (digits @ _ORG_CODE_WEIGHTS) % 11
    return np.where(value == 10, "X", np.where(value == 11, "0", value.astype(str)))


def generate_uscc(prefixes: np.ndarray, division_codes: np.ndarray, body_indices: np.ndarray) -> pl.Series:
    """Valid USCCs: 2-char prefix, division code, organisation code (scattered from unique indices), check char."""
    bodies = (body_indices.astype(np.int64) * _BODY_MULTIPLIER + _BODY_OFFSET) % _BODY_MODULUS
    parts = pl.DataFrame(
        {"p": prefixes, "d": division_codes, "b": bodies, "c": _organisation_check_chars(bodies)},
        schema={"p": pl.Utf8, "d": pl.Utf8, "b": pl.Int64, "c": pl.Utf8},
    )
    first17 = parts.select(pl.concat_str("p", "d", pl.col("b").cast(pl.Utf8).str.zfill(8), "c")).to_series()
    return pl.Series("uscc", [code + compute_uscc_check_char(code) for code in first17], dtype=pl.Utf8)


def _unit_names(holders: _Holders, places: np.ndarray, division_codes: np.ndarray) -> pl.Series:
    """Realistic unit names, distinct within a division and family as far as the templates and towns go."""
    table = _name_table()
    rank = (
        pl.DataFrame({"d": division_codes, "f": holders.family})
        .select(pl.int_range(pl.len()).over("d", "f"))
        .to_series()
        .to_numpy()
        .astype(np.int64)
    )
    family = np.maximum(holders.family, 0)
    # A division-dependent start, so small divisions do not all list the same first organs.
    salt = division_codes.astype(np.int64) % 9973
    fixed_count = table.fixed_count[family]
    is_fixed = rank < fixed_count
    fixed = table.fixed_offset[family] + (rank + salt) % np.maximum(fixed_count, 1)
    overflow_rank = np.maximum(rank - fixed_count, 0)
    overflow = table.overflow_offset[family] + overflow_rank % table.overflow_count[family]
    town = (overflow_rank * _TOWN_STEP + salt) % len(_TOWNS)
    parts = pl.DataFrame(
        {
            "place": places,
            "zone": pl.Series(["", *_DEVELOPMENT_ZONES]).gather(holders.zone),
            "fixed_before": table.before.gather(fixed),
            "fixed_after": table.after.gather(fixed),
            "mid": table.before.gather(overflow),
            "town": pl.Series(_TOWNS).gather(town),
            "end": table.after.gather(overflow),
            "comprehensive": holders.family < 0,
            "fixed": is_fixed,
        }
    )
    return parts.select(
        pl.when("comprehensive")
        .then(pl.concat_str("place", "zone", pl.lit("档案馆")))
        .when("fixed")
        .then(pl.concat_str("fixed_before", "place", "fixed_after"))
        .otherwise(pl.concat_str("place", "mid", "town", "end"))
        .alias("unit_name")
    ).to_series()


# ------------------------------------------------------------------------------------------------------- figures


def _profile_array(attribute: str) -> np.ndarray:
    """One profile attribute for every holder type, indexable by type id."""
    return np.array([getattr(HOLDER_PROFILES[t], attribute) for t in _TYPES], dtype=float)


def _uniform(rng: np.random.Generator, bounds: np.ndarray) -> np.ndarray:
    """One draw per row between the row's (low, high) bounds."""
    return bounds[:, 0] + (bounds[:, 1] - bounds[:, 0]) * rng.random(len(bounds))


def _floor_share(total: np.ndarray, share: np.ndarray | float) -> np.ndarray:
    return np.floor(total * share).astype(np.int64)


def _rule_param(rule_id: str, name: str) -> Any:
    return CENSUS_FORM.rules_by_id[rule_id].param(name)


def _retention_split(total: np.ndarray, rng: np.random.Generator, unassigned_rule: str) -> list[np.ndarray]:
    """Parts in the order of the form (永久, 定期30年, 定期10年, 长期, 短期, 未划定期限) summing exactly to the total:
    records appraised before 2006 (5-30 %) are 长期 or 短期; unassigned under its limit."""
    n = len(total)
    # Stay below the warning share with a margin: the share is compared as a fraction of the total.
    unassigned = _floor_share(total, rng.random(n) * _rule_param(unassigned_rule, "share") * 0.8)
    rest = total - unassigned
    before_2006 = _floor_share(rest, rng.uniform(0.05, 0.3, n))
    long = _floor_share(before_2006, rng.uniform(0.5, 0.8, n))
    rest -= before_2006
    permanent = _floor_share(rest, rng.uniform(0.35, 0.7, n))
    thirty = _floor_share(rest - permanent, rng.uniform(0.4, 0.8, n))
    return [permanent, thirty, rest - permanent - thirty, long, before_2006 - long, unassigned]


def _inside_band(expected: np.ndarray, factor: np.ndarray, low: float, high: float, decimals: int) -> np.ndarray:
    """expected × factor in units of the last decimal, kept strictly inside [low × expected, high × expected]."""
    scale = 10**decimals
    lowest = np.ceil(expected * low * scale + 1e-6)
    highest = np.floor(expected * high * scale - 1e-6)
    if np.any(lowest > highest):
        raise ValueError("a holding too small for a value inside the plausibility band")
    return np.clip(np.rint(expected * factor * scale), lowest, highest).astype(np.int64)


def _holding_figures(holders: _Holders, rng: np.random.Generator, size: np.ndarray) -> dict[str, np.ndarray]:
    """Every numeric field of the census form (decimals as integers of their last digit), with no error or warning;
    `size` multiplies each holder's mean holdings."""
    n, t = len(holders), holders.type_id
    is_archives = ~np.isin(t, _ROOM_TYPE_IDS)
    mean = _profile_array("mean_holdings")[t, holders.level] * size
    sigma = _profile_array("sigma")[t]
    total = np.maximum(np.rint(np.exp(rng.normal(np.log(mean) - sigma**2 / 2, sigma))), _MIN_HOLDINGS).astype(np.int64)

    def per_row(attribute: str) -> np.ndarray:
        return _profile_array(attribute)[t]

    def chance(attribute: str) -> np.ndarray:
        return rng.random(n) < per_row(attribute)

    vol = _floor_share(total, _uniform(rng, per_row("vol_share")))
    item = total - vol
    figures: dict[str, np.ndarray] = {"vol_total": vol, "item_total": item}
    for name, part in zip(VOL_PARTS_2025, _retention_split(vol, rng, "vol_unassigned_share"), strict=True):
        figures[name] = part
    for name, part in zip(ITEM_PARTS_2025, _retention_split(item, rng, "item_unassigned_share"), strict=True):
        figures[name] = part

    # Dirichlet draws around the kind's category mix (concentration 30: rows vary, kinds stay recognisable).
    category_weights = rng.gamma(30 * per_row("categories"))
    category_weights /= category_weights.sum(axis=1, keepdims=True)
    categories = np.floor(total[:, None] * category_weights[:, 1:]).astype(np.int64)
    figures["cat_ws"] = total - categories.sum(axis=1)
    for index, name in enumerate(("cat_kj", "cat_ku", "cat_rs", "cat_zy", "cat_other")):
        figures[name] = categories[:, index]

    shelf_weights = _rule_param("shelf_plausible", "weights")
    expected_shelf = shelf_weights["vol_total"] * vol + shelf_weights["item_total"] * item
    shelf = _inside_band(
        expected_shelf,
        rng.uniform(0.75, 1.4, n),
        _rule_param("shelf_plausible", "low"),
        _rule_param("shelf_plausible", "high"),
        CENSUS_FORM.field("shelf_m").decimals,
    )
    figures["shelf_m"] = shelf
    figures["unsorted_shelf_m"] = np.where(rng.random(n) < 0.4, _floor_share(shelf, rng.uniform(0, 0.05, n)), 0)

    room_has = rng.random((3, n)) < np.array([[0.5], [0.2], [0.3]])
    figures["photos"] = np.where(
        is_archives, np.rint(total * rng.uniform(0.01, 0.15, n)), room_has[0] * np.rint(total * rng.uniform(0, 0.1, n))
    ).astype(np.int64)
    figures["av_reels"] = np.where(
        is_archives, np.rint(total * rng.uniform(0, 0.003, n)), room_has[1] * rng.integers(0, 21, n)
    ).astype(np.int64)
    figures["physical_items"] = np.where(
        is_archives, np.rint(total * rng.uniform(0, 0.01, n)), room_has[2] * rng.integers(0, 51, n)
    ).astype(np.int64)

    has_electronic = chance("e_prob")
    e_items = np.where(has_electronic, np.maximum(1, np.rint(total * np.exp(rng.uniform(-3, 0, n)))), 0)
    gb_per_item = np.exp(rng.uniform(np.log(0.0005), np.log(0.02), n))
    low, high = _rule_param("e_gb_per_item", "low"), _rule_param("e_gb_per_item", "high")
    # In hundredths of a GB: at least 0.01 and inside the per-item band, so e_gb > 0 exactly when e_items > 0.
    e_cents = np.clip(
        np.rint(e_items * gb_per_item * 100), np.ceil(e_items * low * 100), np.floor(e_items * high * 100)
    )
    figures["e_items"] = e_items.astype(np.int64)
    figures["e_gb"] = np.where(has_electronic, np.maximum(e_cents, 1), 0).astype(np.int64)

    digitized_share = np.where(chance("digitized_prob"), _uniform(rng, per_row("digitized_share")), 0.0)
    digitized_vol = _floor_share(vol, digitized_share * rng.uniform(0.85, 1.0, n))
    digitized_item = _floor_share(item, digitized_share * rng.uniform(0.85, 1.0, n))
    digitized_cents = np.rint(
        (digitized_vol * rng.uniform(0.02, 0.12, n) + digitized_item * rng.uniform(0.002, 0.015, n)) * 100
    )
    figures["digitized_vol"], figures["digitized_item"] = digitized_vol, digitized_item
    figures["digitized_gb"] = np.where(digitized_vol + digitized_item > 0, np.maximum(digitized_cents, 1), 0).astype(
        np.int64
    )

    pre1949 = np.where(chance("pre1949_prob"), _floor_share(total, _uniform(rng, per_row("pre1949_share"))), 0)
    figures["pre1949"] = pre1949
    figures["red_archives"] = _floor_share(pre1949, rng.uniform(0, 0.4, n))
    # Archive rooms have (0, 0) bounds: they never open records.
    figures["opened"] = _floor_share(total, _uniform(rng, per_row("opened_share")))

    storage = np.maximum(50, np.rint(shelf / rng.uniform(2.5, 5.0, n))).astype(np.int64)
    figures["storage_m2"] = storage
    figures["building_m2"] = storage + np.rint(storage * rng.uniform(0.2, 1.2, n)).astype(np.int64)

    per_staff = _profile_array("holdings_per_staff")[t] * rng.uniform(0.6, 1.5, n)
    fulltime = np.minimum(np.floor(total / per_staff), 5000).astype(np.int64)
    fulltime = np.where(is_archives, np.maximum(fulltime, 1), fulltime)
    figures["staff_fulltime"] = fulltime
    figures["staff_parttime"] = np.where(fulltime == 0, rng.integers(1, 4, n), rng.integers(0, 4, n))
    comprehensive = t == _COMPREHENSIVE
    fonds = np.where(
        comprehensive,
        np.rint(total / rng.uniform(600, 2500, n)),
        np.where(is_archives, np.rint(total / rng.uniform(3000, 20000, n)), 1 + (rng.random(n) < 0.1)),
    )
    figures["fonds_count"] = np.maximum(fonds, 1).astype(np.int64)
    return figures


# Shares of red archives in each condition class besides 完好 (轻度, 中度, 严重, 特残破损), on average.
_RED_DAMAGE = (0.12, 0.06, 0.03, 0.01)
# Uses of red archives per holder and year, on average, by (comprehensive archives at province, prefecture, county
# level), other archives, archive rooms: exhibitions, publications, research results.
_RED_USES = {
    "red_exhibitions": ((6.0, 3.0, 1.2), 0.3, 0.05),
    "red_publications": ((3.0, 1.2, 0.4), 0.2, 0.02),
    "red_research": ((8.0, 3.0, 1.0), 0.5, 0.05),
}


def _red_archive_rows(census: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The red-archive inventory of a clean return: every comprehensive archives (nearly) and every holder with
    revolutionary history archives has a row; its red archives include those, plus red archives formed after 1949,
    within its volumes and items; condition classes, digitised share and uses vary by kind and level."""
    n = census.height
    t = census.get_column("_type").to_numpy()
    level = census.get_column("_level").to_numpy()
    revolutionary = census.get_column("red_archives").to_numpy()
    vol, item = census.get_column("vol_total").to_numpy(), census.get_column("item_total").to_numpy()
    holdings = vol + item
    comprehensive = t == _COMPREHENSIVE
    rooms = np.isin(t, _ROOM_TYPE_IDS)
    has_row = (revolutionary > 0) | (comprehensive & (rng.random(n) < 0.95))
    later = _floor_share(holdings, np.where(comprehensive, rng.uniform(0.001, 0.01, n), rng.uniform(0, 0.002, n)))
    total = np.minimum(holdings, revolutionary + later)
    red_vol = np.where(holdings > 0, (total * vol) // np.maximum(holdings, 1), 0)
    red_item = np.minimum(item, total - red_vol)
    total = red_vol + red_item
    weights = rng.gamma(40 * np.array([1 - sum(_RED_DAMAGE), *_RED_DAMAGE]), size=(n, 5))
    weights /= weights.sum(axis=1, keepdims=True)
    damaged = np.floor(total[:, None] * weights[:, 1:]).astype(np.int64)
    columns: dict[str, Any] = {
        "uscc": census.get_column("uscc"),
        "unit_name": census.get_column("unit_name"),
        "red_vol": red_vol,
        "red_item": red_item,
        "red_intact": total - damaged.sum(axis=1),
        **{name: damaged[:, i] for i, name in enumerate(("red_light", "red_moderate", "red_severe", "red_extreme"))},
        "red_digitized": _floor_share(total, rng.uniform(0.3, 0.95, n)),
    }
    for name, (by_level, other_archives, room) in _RED_USES.items():
        mean = np.where(comprehensive, np.asarray(by_level)[level], np.where(rooms, room, other_archives))
        columns[name] = rng.poisson(mean)
    columns["remarks"] = [None] * n
    frame = pl.DataFrame(
        {f.name: pl.Series(f.name, columns[f.name], dtype=f.polars_dtype) for f in RED_ARCHIVES_FORM.fields}
    )
    return frame.filter(pl.Series(has_row & (total > 0)))


def _sign_off(frame: _ProvinceFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The foot of a province's return: its heads, who filled it in, a telephone number and the day it was sent."""
    people = _contacts(frame, 3, rng)
    names = people["contact_name"].to_list()
    reported_on = date(2025, 1, 10) + timedelta(days=int(rng.integers(0, 80)))
    row = {
        "unit_head": names[0],
        "statistics_head": names[1],
        "preparer": names[2],
        "preparer_phone": people["contact_phone"][2],
        "reported_on": reported_on,
    }
    return pl.DataFrame([row], schema={f.name: f.polars_dtype for f in SIGN_OFF_FORM.fields})


def _pick(rng: np.random.Generator, choices: Sequence[str], n: int) -> pl.Series:
    return pl.Series(list(choices), dtype=pl.Utf8).gather(rng.integers(0, len(choices), n))


def _contacts(frame: _ProvinceFrame, n: int, rng: np.random.Generator) -> dict[str, pl.Series]:
    """Contact names (surname and one or two given characters) and phone numbers, mobile or landline."""
    second = pl.Series(np.where(rng.random(n) < 0.7, _pick(rng, GIVEN_NAME_CHARS, n).to_numpy(), ""))
    names = pl.DataFrame({"s": _pick(rng, SURNAMES, n), "g": _pick(rng, GIVEN_NAME_CHARS, n), "h": second})
    phones = pl.DataFrame(
        {
            "mobile": rng.integers(13_000_000_000, 20_000_000_000, n),
            "line": rng.integers(20_000_000, 90_000_000, n),
            "is_mobile": rng.random(n) < 0.7,
        }
    )
    landline = pl.concat_str(pl.lit(_AREA_CODES[frame.code] + "-"), pl.col("line").cast(pl.Utf8))
    return {
        "contact_name": names.select(pl.concat_str("s", "g", "h")).to_series(),
        "contact_phone": phones.select(
            pl.when("is_mobile").then(pl.col("mobile").cast(pl.Utf8)).otherwise(landline)
        ).to_series(),
    }


def _supervisor_uscc(
    frame: _ProvinceFrame, holders: _Holders, division_codes: np.ndarray, rng: np.random.Generator
) -> pl.Series:
    """Parent USCCs for about half the holders: the local government, state-assets commission or Party office."""
    n = len(holders)
    comprehensive = holders.type_id == _COMPREHENSIVE
    kind = np.select(
        [
            comprehensive,
            (holders.prefix == "91") & ~holders.central,
            (holders.prefix == "11") & ~holders.township & (holders.level != _L_PROVINCE),
            (holders.prefix == "12") & ~comprehensive,
        ],
        [2, 1, 0, 0],
        -1,
    )
    has_parent = (kind >= 0) & (rng.random(n) < 0.5)
    level_start = np.cumsum([0, frame.size(0), frame.size(1)])
    # Supervisor bodies live above every holder block, one per division and kind: never a holder's own code.
    supervisor = _SUPERVISOR_BODY_BASE + frame.ordinal * 10_000 + (level_start[holders.level] + holders.division) * 3
    rows = np.flatnonzero(has_parent)
    # A few hundred supervisors serve all rows: compute each code once.
    bodies, first, inverse = np.unique(supervisor[rows] + kind[rows], return_index=True, return_inverse=True)
    codes = generate_uscc(np.full(len(bodies), "11"), division_codes[rows][first], bodies)
    return pl.Series("parent_uscc", [None] * n, dtype=pl.Utf8).scatter(rows, codes.gather(inverse))


def _size_factors(names: pl.Series, holders: _Holders, division_codes: np.ndarray) -> np.ndarray:
    """How much more (or less) a holder keeps than the mean of its kind and level: rooms with large case or record
    series by their names, townships less, sub-provincial city archives more, development-zone archives little."""
    factor = np.ones(len(holders))
    rooms = np.isin(holders.type_id, _ROOM_TYPE_IDS)
    for pattern, times in _SIZE_FACTORS:
        factor = np.where(rooms & names.str.contains(pattern).to_numpy(), times, factor)
    factor = np.where(holders.township, _TOWNSHIP_HOLDINGS, factor)
    comprehensive = holders.type_id == _COMPREHENSIVE
    mean = _profile_array("mean_holdings")[holders.type_id, holders.level]
    city = comprehensive & (holders.zone == 0) & np.isin(division_codes, SUB_PROVINCIAL_CITIES)
    factor = np.where(city, _SUB_PROVINCIAL_FACTOR, factor)
    return np.where(comprehensive & (holders.zone > 0), _ZONE_HOLDINGS / mean, factor)


def generate_province_rows(
    province_code: str,
    holders: int,
    *,
    seed: int = 2024,
    scale: float | None = None,
    archives: Mapping[str, int] | None = None,
) -> ProvinceDataset:
    """A province's register of `holders` expected holders, its clean census return, red-archive inventory and foot.

    `archives`: how many archives of each kind (default: the province's share of the nation's at `scale`, 1.0 =
    all, by default as many as half its holders allow); the other holders are archive rooms.
    """
    if holders < 1:
        raise ValueError("a province needs at least one holder")
    frame = _province_frame(province_code)
    rng = np.random.default_rng([seed, int(province_code)])
    archives = dict(archives) if archives is not None else _default_archives(province_code, holders, scale)
    comprehensive = archives.pop("综合档案馆")
    if comprehensive < 1 or comprehensive + sum(archives.values()) > holders:
        raise ValueError(f"{holders} holders cannot hold {comprehensive} comprehensive and {archives} other archives")
    others = holders - comprehensive
    rooms = others - sum(archives.values())
    unregistered = max(int(others >= _MIN_OTHERS_FOR_UNREGISTERED), round(others * rng.uniform(*_UNREGISTERED_SHARE)))
    missing = min(others, round(holders * rng.uniform(*_MISSING_SHARE)))
    people = _Holders.concat(
        [_comprehensive_holders(frame, comprehensive, rng), _other_holders(frame, archives, rooms + unregistered, rng)]
    )
    n = len(people)
    if n > _BODY_BLOCK:
        raise ValueError(f"at most {_BODY_BLOCK} holders per province")
    reports = np.ones(n, dtype=bool)
    reports[comprehensive + rng.choice(others, size=missing, replace=False)] = False

    division_codes = np.empty(n, dtype="<U6")
    places = np.empty(n, dtype=object)
    admin_levels = np.empty(n, dtype=object)
    for level in range(3):
        at = people.level == level
        division_codes[at] = frame.codes[level][people.division[at]]
        places[at] = frame.places[level][people.division[at]]
        admin_levels[at] = frame.admin_levels[level][people.division[at]]
    # A central enterprise's provincial branch is a local unit of its province at 省级 (the 中央 level is for the
    # central channels' own units); township governments are 乡级; development-zone archives are not 副省级 even in
    # a sub-provincial city.
    admin_levels[people.central] = PROVINCIAL
    admin_levels[people.township] = TOWNSHIP
    admin_levels[(people.zone > 0) & (admin_levels == SUB_PROVINCIAL)] = PREFECTURAL

    names = _unit_names(people, places.astype(str), division_codes)
    figures = _holding_figures(people, rng, _size_factors(names, people, division_codes))
    columns: dict[str, Any] = {
        "uscc": generate_uscc(people.prefix, division_codes, frame.ordinal * _BODY_BLOCK + np.arange(n)),
        "unit_name": names,
        "unit_nature": pl.Series(people.prefix).replace_strict(USCC_PREFIX_NATURE, return_dtype=pl.Utf8),
        "holder_type": pl.Series(list(_TYPES)).gather(people.type_id),
        "division_code": division_codes,
        "admin_level": admin_levels.astype(str),
        "parent_uscc": _supervisor_uscc(frame, people, division_codes, rng),
        "has_climate_control": np.where(rng.random(n) < _profile_array("climate_prob")[people.type_id], *YES_NO.values),
        "has_fire_alarm": np.where(rng.random(n) < _profile_array("fire_prob")[people.type_id], *YES_NO.values),
        **_contacts(frame, n, rng),
        "remarks": _pick(rng, _REMARKS, n).scatter(np.flatnonzero(rng.random(n) >= _REMARKS_SHARE), None),
    }
    for name, values in figures.items():
        decimals = CENSUS_FORM.field(name).decimals
        columns[name] = values / 10**decimals if decimals else values
    table = pl.DataFrame(
        {
            name: pl.Series(name, columns[name], dtype=CENSUS_FORM.field(name).polars_dtype)
            for name in CENSUS_FORM.field_names
        }
    ).with_columns(
        _type=pl.Series(people.type_id),
        _level=pl.Series(people.level),
        _registered=pl.Series(np.arange(n) < holders),
        _reports=pl.Series(reports),
    )
    table = table.sort("division_code", "_type", "uscc")
    reported = table.filter("_reports")
    # Their own generator: the census figures above stay those of the seed.
    annual_rng = np.random.default_rng([seed, int(province_code), ANNUAL_STATS_LAST_YEAR])
    return ProvinceDataset(
        province_code,
        frame.name,
        register=register_rows(_with_annual_statistics(table.filter("_registered"), annual_rng)),
        census=reported.select(CENSUS_FORM.field_names),
        red_archives=_red_archive_rows(reported, rng),
        sign_off=_sign_off(frame, rng),
    )


def generate_national_dataset(units: int, seed: int = 2024) -> NationalDataset:
    """Registers and clean census returns for every census province, about `units` registered holders in all: the
    nation's archives at their published counts (scaled down only when `units` is small), then archive rooms."""
    archives = plan_province_archives(archive_scale(units))
    provinces = {
        code: generate_province_rows(code, holders, seed=seed, archives=archives[code])
        for code, holders in plan_province_holders(units).items()
    }
    return NationalDataset(units, seed, provinces)


# -------------------------------------------------------------------------------------------------- expectations


def coverage_pct(reported: int, expected: int) -> float | None:
    """Reported holders as a percentage of expected ones, rounded half up to 2 decimals (None with none expected)."""
    share = percent(reported, expected)
    return None if share is None else min(share, 100.0)


def _sum(frame: pl.DataFrame, name: str) -> Any:
    """A column's sum as `summary --json` prints it: decimals summed exactly in units of their last digit."""
    decimals = CENSUS_FORM.field(name).decimals
    if not frame.height:
        return 0.0 if decimals else 0
    if decimals:
        scaled = frame.select((pl.col(name) * 10**decimals).round().cast(pl.Int64).sum()).item()
        return round(scaled / 10**decimals, decimals)
    return int(frame.get_column(name).sum())


def _empty_census() -> pl.DataFrame:
    return pl.DataFrame(schema={f.name: f.polars_dtype for f in CENSUS_FORM.fields})


def _units(register: pl.DataFrame, census: pl.DataFrame) -> tuple[int, int, int]:
    on_register = census.get_column("uscc").is_in(register.get_column("uscc").implode())
    reported = register.get_column("uscc").is_in(census.get_column("uscc").implode())
    return register.height, int(reported.sum()), census.height - int(on_register.sum())


def _group_figures(register: pl.DataFrame, census: pl.DataFrame, *, with_expected: bool = True) -> dict[str, Any]:
    """Units and sums of holders already filtered to one group (expected ones by the register's attribute, the
    others by the return's), as the warehouse computes them."""
    expected, reported, unregistered = _units(register, census)
    figures: dict[str, Any] = {
        "units_expected": expected if with_expected else None,
        "units_reported": reported,
        "units_unregistered": unregistered,
        "coverage_pct": coverage_pct(reported, expected) if with_expected else None,
    }
    return figures | {name: _sum(census, name) for name in SUMMARY_SUM_FIELDS}


def _bases(register: pl.DataFrame, census: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {
        basis: _group_figures(
            register.filter(pl.col("holder_type").is_in(list(types))),
            census.filter(pl.col("holder_type").is_in(list(types))),
        )
        for basis, types in BASES.items()
    }


def _with_annual_statistics(holders: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The holders with the previous year's annual statistics (卷, 件) for a share of them, the rest without."""
    n = holders.height
    given = rng.random(n) < _ANNUAL_STATS_SHARE
    share, (low, high) = _ANNUAL_STATS_OFF
    factor = np.where(rng.random(n) < share, rng.uniform(low, high, n), rng.uniform(*_ANNUAL_STATS_GROWTH, n))
    vol = np.floor(holders["vol_total"].to_numpy() * factor).astype(np.int64)
    item = np.floor(holders["item_total"].to_numpy() * factor).astype(np.int64)
    mask = pl.Series(given)
    return holders.with_columns(
        annual_stats_year=pl.when(mask).then(pl.lit(ANNUAL_STATS_LAST_YEAR - 1, dtype=pl.Int64)),
        annual_stats_vol=pl.when(mask).then(pl.Series(vol)),
        annual_stats_item=pl.when(mask).then(pl.Series(item)),
    )


def register_rows(holders: pl.DataFrame) -> pl.DataFrame:
    """The register rows of these holders: the register's fields they carry, the others (the annual statistics of
    holders without them) empty."""
    return holders.select(
        pl.col(f.name) if f.name in holders.columns else pl.lit(None, dtype=f.polars_dtype).alias(f.name)
        for f in REGISTER_FORM.fields
    )


def summarize_province(register: pl.DataFrame, census: pl.DataFrame | None) -> dict[str, Any]:
    """The `summary --json` figures of a province with this register and this accepted return (None: rejected)."""
    census = census if census is not None else _empty_census()
    figures = _group_figures(register, census)
    # Units on the register count among the reported only when they are on the same return (no register: none).
    return figures | {"bases": _bases(register, census)}


def combine_figures(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """National figures from provincial ones: sums, with coverage recomputed from the unit counts (bases too)."""
    parts = list(parts)
    figures: dict[str, Any] = {name: sum(p[name] for p in parts) for name in SUMMARY_UNIT_FIGURES}
    figures["coverage_pct"] = coverage_pct(figures["units_reported"], figures["units_expected"])
    for name in SUMMARY_SUM_FIELDS:
        decimals = CENSUS_FORM.field(name).decimals
        total = sum(p[name] for p in parts)
        figures[name] = round(total, decimals) if decimals else int(total)
    if all("bases" in p for p in parts):
        figures["bases"] = {basis: combine_figures(p["bases"][basis] for p in parts) for basis in BASES}
    return figures


def _with_province(frames: Iterable[tuple[str, pl.DataFrame]]) -> pl.DataFrame:
    parts = [frame.with_columns(_province=pl.lit(code)) for code, frame in frames]
    return pl.concat(parts, how="vertical_relaxed") if parts else _empty_census().with_columns(_province=pl.lit(""))


def summarize_breakdowns(returns: Mapping[str, tuple[pl.DataFrame, pl.DataFrame | None]]) -> dict[str, Any]:
    """The national breakdowns of `summary --json` for these provinces' (register, accepted return or None).

    Holders are counted per province, as the national figures count them: expected and reported holders by the
    register's attribute (reported: on the province's return, whatever it says), holders outside the register and
    the sums by the return's.
    """
    registers = _with_province((code, register) for code, (register, _) in returns.items())
    censuses = _with_province((code, census) for code, (_, census) in returns.items() if census is not None)
    keys = ["_province", "uscc"]
    returned = censuses.select(keys).unique().with_columns(_on_return=pl.lit(True))
    registered = registers.select(keys).unique().with_columns(_on_register=pl.lit(True))
    registers = registers.join(returned, on=keys, how="left").with_columns(pl.col("_on_return").fill_null(False))
    censuses = censuses.join(registered, on=keys, how="left").with_columns(pl.col("_on_register").fill_null(False))
    registers = registers.with_columns(level_tier=pl.col("admin_level").replace_strict(LEVEL_TIERS, default=None))
    censuses = censuses.with_columns(level_tier=pl.col("admin_level").replace_strict(LEVEL_TIERS, default=None))
    result: dict[str, Any] = {}
    for group in GROUP_BREAKDOWNS:
        result[group.key] = [
            {group.member_key: member, **_member_figures(group, member, registers, censuses)}
            for member in group.members
        ]
    for part in PART_BREAKDOWNS:
        rows = []
        for name, fields_ in part.members:
            values = {column: _sum(censuses, f) for column, f in zip(part.columns, fields_, strict=True)}
            rows.append({part.member_key: name, **values, "holdings": sum(values.values())})
        result[part.key] = rows
    result["by_carrier"] = [
        {"carrier": label, "field": f, "unit": unit, "value": _sum(censuses, f)} for label, f, unit in CARRIERS
    ]
    return result


def _member_figures(
    group: GroupBreakdown, member: str, registers: pl.DataFrame, censuses: pl.DataFrame
) -> dict[str, Any]:
    """One member's figures, from registers marked `_on_return` and returns marked `_on_register`."""
    mine = censuses.filter(pl.col(group.column) == member)
    unregistered = int((~mine.get_column("_on_register")).sum())
    if group.register_column is None:
        figures: dict[str, Any] = {
            "units_expected": None,
            "units_reported": int(mine.get_column("_on_register").sum()),
            "units_unregistered": unregistered,
            "coverage_pct": None,
        }
    else:
        expected = registers.filter(pl.col(group.register_column) == member)
        reported = int(expected.get_column("_on_return").sum())
        figures = {
            "units_expected": expected.height,
            "units_reported": reported,
            "units_unregistered": unregistered,
            "coverage_pct": coverage_pct(reported, expected.height),
        }
    return figures | {name: _sum(mine, name) for name in SUMMARY_SUM_FIELDS}


def summarize_red_archives(frames: Iterable[pl.DataFrame]) -> dict[str, Any]:
    """The `red_archive_resources` object of `summary --json` for these accepted red-archive sheets."""
    parts = [f for f in frames if f.height]
    red = pl.concat(parts) if parts else pl.DataFrame(schema={f.name: f.polars_dtype for f in RED_ARCHIVES_FORM.fields})
    integer = [f.name for f in RED_ARCHIVES_FORM.fields if f.type is FieldType.INTEGER]
    sums = {name: int(red.get_column(name).sum()) for name in integer}
    total = sums["red_vol"] + sums["red_item"]
    return {
        "holders": red.height,
        "red_vol": sums["red_vol"],
        "red_item": sums["red_item"],
        "red_total": total,
        "by_condition": [{"condition": label, "value": sums[f]} for label, f in RED_CONDITIONS],
        "red_digitized": sums["red_digitized"],
        "digitized_pct": percent(sums["red_digitized"], total),
        "red_exhibitions": sums["red_exhibitions"],
        "red_publications": sums["red_publications"],
        "red_research": sums["red_research"],
    }


# ------------------------------------------------------------------------------------------------ error injection


def _always(row: Mapping[str, Any]) -> bool:
    return True


def _holdings(row: Mapping[str, Any]) -> int:
    return int(row["vol_total"]) + int(row["item_total"])


def _is_archives(row: Mapping[str, Any]) -> bool:
    return row["holder_type"] in ARCHIVES_KINDS


def _wrong_check_char(row: Mapping[str, Any]) -> str:
    code = str(row["uscc"])
    return code[:17] + USCC_CHARSET[(USCC_CHARSET.index(code[17]) + 1) % len(USCC_CHARSET)]


@dataclass(frozen=True)
class _Mutation:
    """Change one cell of a suitable row so that exactly one named error rule fails."""

    rule: str
    mutated_field: str
    applies: Callable[[Mapping[str, Any]], bool]
    value: Callable[[Mapping[str, Any]], object]


_MUTATIONS: tuple[_Mutation, ...] = (
    _Mutation("vol_total_sum", "vol_permanent", _always, lambda r: r["vol_permanent"] + 1),
    _Mutation("item_total_sum", "item_10y", _always, lambda r: r["item_10y"] + 7),
    _Mutation("categories_sum", "cat_kj", _always, lambda r: r["cat_kj"] + 3),
    _Mutation("uscc_check_digit", "uscc", _always, _wrong_check_char),
    _Mutation("holder_type_in_list", "holder_type", _always, lambda r: "档案馆"),
    _Mutation(
        "digitized_vol_le_total", "digitized_vol", lambda r: r["digitized_gb"] > 0, lambda r: r["vol_total"] + 10
    ),
    _Mutation(
        "digitized_item_le_total", "digitized_item", lambda r: r["digitized_gb"] > 0, lambda r: r["item_total"] + 10
    ),
    _Mutation(
        "opened_zero_for_rooms",
        "opened",
        lambda r: r["holder_type"] in ARCHIVE_ROOM_KINDS and _holdings(r) >= 10,
        lambda r: _holdings(r) // 10,
    ),
    _Mutation("opened_le_holdings", "opened", _is_archives, lambda r: _holdings(r) + 100),
    # A mobile number with two digits missing.
    _Mutation("contact_phone_format", "contact_phone", _always, lambda r: "138001380"),
    # A count typed with its unit.
    _Mutation("photos_integer", "photos", _always, lambda r: f"{r['photos']}张"),
    _Mutation("storage_le_building", "storage_m2", _always, lambda r: round(r["building_m2"] + 12.5, 1)),
    _Mutation("red_archives_le_pre1949", "red_archives", _always, lambda r: r["pre1949"] + 5),
    # Records counted as none while their capacity stays (zeroing e_gb instead would also break the ratio warning).
    _Mutation("e_items_zero_together", "e_items", lambda r: r["e_gb"] > 0, lambda r: 0),
    _Mutation("fonds_count_archives", "fonds_count", _is_archives, lambda r: 0),
    _Mutation("digitized_gb_positive", "digitized_gb", lambda r: r["digitized_gb"] > 0, lambda r: 0.0),
    _Mutation("unit_name_required", "unit_name", _always, lambda r: None),
)
# The duplicate-code error copies one row's code into a later row: both rows are then involved.
DUPLICATE_RULE = "uscc_unique"
INJECTABLE_RULES = (*(m.rule for m in _MUTATIONS), DUPLICATE_RULE)
_ERRORS_PER_RETURN = (3, 6)


def _break_rule(
    rows: list[list[object]], rule: str, rng: np.random.Generator, used: set[int], keep_usccs: frozenset[str]
) -> list[tuple[int, str | None]]:
    """Change one cell of an unused, suitable row so that the rule fails: the failing rows, with the field changed.
    A row whose code is in `keep_usccs` (it has a row in another sheet) keeps its code."""
    names = CENSUS_FORM.field_names
    position = {name: i for i, name in enumerate(names)}
    free = [int(i) for i in rng.permutation(len(rows)) if int(i) not in used]
    if rule == DUPLICATE_RULE:
        # The second row loses its own code: it must be one no other sheet refers to.
        replaceable = [i for i in free if rows[i][position["uscc"]] not in keep_usccs]
        if len(free) < 2 or not replaceable:
            return []
        second = max(replaceable)
        earlier = [i for i in free if i < second]
        if not earlier:
            return []
        first = earlier[0]
        rows[second][position["uscc"]] = rows[first][position["uscc"]]
        used.update((first, second))
        # Both rows with the code fail, the first one untouched.
        return [(first, None), (second, "uscc")]
    mutation = next(m for m in _MUTATIONS if m.rule == rule)
    for index in free:
        row = dict(zip(names, rows[index], strict=True))
        if mutation.mutated_field == "uscc" and row["uscc"] in keep_usccs:
            continue
        if mutation.applies(row):
            rows[index][position[mutation.mutated_field]] = mutation.value(row)
            used.add(index)
            return [(index, mutation.mutated_field)]
    return []


def inject_census_errors(
    rows: list[list[object]],
    province_code: str,
    file_name: str,
    rng: np.random.Generator,
    *,
    rules: Sequence[str] | None = None,
    keep_usccs: frozenset[str] = frozenset(),
) -> list[InjectedError]:
    """Break named rules (default: 3-6 at random) in a return's rows, in form order, changed in place: one cell of
    one row per rule; a duplicated code lists both its rows."""
    if rules is None:
        count = int(rng.integers(_ERRORS_PER_RETURN[0], _ERRORS_PER_RETURN[1] + 1))
        rules = [INJECTABLE_RULES[int(i)] for i in rng.permutation(len(INJECTABLE_RULES))]
    else:
        count = len(rules)
    used: set[int] = set()
    injected: list[InjectedError] = []
    broken = 0
    for rule in rules:
        if broken == count:
            break
        failing = _break_rule(rows, rule, rng, used, keep_usccs)
        broken += bool(failing)
        # Every injectable rule is a cell rule: it names its field.
        field = str(CENSUS_FORM.rules_by_id[rule].field)
        for index, mutated_field in failing:
            value = rows[index][CENSUS_FORM.field_names.index(mutated_field or field)]
            injected.append(
                InjectedError(
                    province_code,
                    file_name,
                    CENSUS_FORM.sheet_name,
                    FIRST_DATA_ROW + index,
                    field,
                    rule,
                    mutated_field,
                    None if value is None else str(value),
                )
            )
    injected.sort(key=lambda e: e.row)
    return injected


# -------------------------------------------------------------------------------------------------------- writing


def _error_provinces(codes: Sequence[str], count: int, seed: int) -> set[str]:
    """Which provinces' returns get errors: a seeded choice among provinces with at least two census rows."""
    order = np.random.default_rng([seed, 404]).permutation(len(codes))
    return {codes[i] for i in order[: max(0, count)]}


def write_census_return(
    path: Path,
    province: ProvinceDataset,
    census_rows: Iterable[Sequence[object]] | None = None,
    *,
    scope: Scope | None = None,
    holders: pl.DataFrame | None = None,
) -> None:
    """Write a province's census return (or that of a scope inside it): its main sheet (the clean rows, those given,
    or the scope's `holders`), red-archive inventory (of the holders written) and foot, in the current census
    workbook."""
    write_workbook(
        path,
        CENSUS_WORKBOOK,
        province.province_code,
        province.census_sheets(census_rows, holders),
        province_name=province.province_name,
        scope=scope,
    )


def write_dataset(
    dataset: NationalDataset,
    out_dir: Path,
    *,
    inject_errors: int = 0,
    provinces: Sequence[str] | None = None,
    province_scope_rows: Mapping[str, pl.DataFrame] | None = None,
    central: Mapping[str, tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]] | None = None,
) -> Manifest:
    """Write each province's register and census workbooks and `manifest.json`; errors go into some returns.

    `province_scope_rows`: for provinces whose return is split into scopes (synthetic.scopes), the rows of the
    province-wide return, written as its census file (its prefectures' and counties' returns are written apart);
    those provinces get no injected errors. `central`: the central channels' (register, return, red-archive rows) by
    channel, counted in the national breakdowns and red-archive inventory as the national figures count them (their
    files and figures are written by synthetic.scopes).
    """
    split = province_scope_rows or {}
    codes = list(dataset.provinces) if provinces is None else list(provinces)
    unknown = [c for c in codes if c not in dataset.provinces]
    if unknown:
        raise ValueError(f"not in the dataset: {', '.join(unknown)}")
    eligible = [c for c in codes if dataset.provinces[c].census.height >= 2 and c not in split]
    broken = _error_provinces(eligible, inject_errors, dataset.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    expectations: list[ProvinceExpectation] = []
    injected: list[InjectedError] = []
    for code in codes:
        province = dataset.provinces[code]
        register_file, census_file = f"register-{code}.xlsx", f"census-{code}.xlsx"
        write_form_workbook(
            out_dir / register_file,
            REGISTER_FORM,
            code,
            province.register.iter_rows(),
            province_name=province.province_name,
        )
        written = split.get(code, province.census)
        rows: Iterable[Sequence[object]] | None = None
        if code in broken:
            mutable = [list(row) for row in province.census.iter_rows()]
            rng = np.random.default_rng([dataset.seed, int(code), 404])
            keep = frozenset(province.red_archives.get_column("uscc").to_list())
            injected += inject_census_errors(mutable, code, census_file, rng, keep_usccs=keep)
            rows = mutable
        write_census_return(out_dir / census_file, province, rows, holders=written if code in split else None)
        corrected = summarize_province(province.register, province.census)
        expectations.append(
            ProvinceExpectation(
                code,
                province.province_name,
                register_file,
                census_file,
                province.register.height,
                written.height,
                "rejected" if code in broken else "accepted",
                summarize_province(province.register, None) if code in broken else corrected,
                corrected,
            )
        )
    chosen = {code: dataset.provinces[code] for code in codes}
    # Central channels are reporting units of their own (keys unlike any province code).
    channels: dict[str, tuple[pl.DataFrame, pl.DataFrame | None]] = {
        f"central:{key}": (register, census) for key, (register, census, _) in (central or {}).items()
    }
    central_red = [red for _, _, red in (central or {}).values()]
    manifest = Manifest(
        ROUND_ID,
        CENSUS_VERSION,
        dataset.seed,
        dataset.units,
        combine_figures(e.figures for e in expectations),
        combine_figures(e.figures_if_corrected for e in expectations),
        tuple(expectations),
        tuple(injected),
        summarize_breakdowns(
            {c: (p.register, None if c in broken else p.census) for c, p in chosen.items()} | channels
        ),
        summarize_breakdowns({c: (p.register, p.census) for c, p in chosen.items()} | channels),
        summarize_red_archives([*(p.red_archives for c, p in chosen.items() if c not in broken), *central_red]),
        summarize_red_archives([*(p.red_archives for p in chosen.values()), *central_red]),
    )
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest
