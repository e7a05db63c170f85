"""GB 32100-2015 unified social credit codes (统一社会信用代码): shape, structure and check character."""

from __future__ import annotations

import re

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = f"^[{USCC_CHARSET}]{{18}}$"
_USCC_RE = re.compile(USCC_PATTERN)
_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}

# GB 32100-2015: position 1, the registration authority (登记管理部门代码), and for each the organisation types
# (机构类别代码, position 2) it registers.
USCC_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常住新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}
# The valid pairs of positions 1-2.
USCC_PREFIXES = frozenset(a + t for a, (_, types) in USCC_AUTHORITIES.items() for t in types)
_DIVISION_DIGITS = re.compile(r"^\d{6}$")


def compute_uscc_check_char(first17: str) -> str:
    """The check character for the first 17 symbols of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def has_uscc_shape(code: str) -> bool:
    """True when the code is 18 symbols of the GB 32100 charset."""
    return bool(_USCC_RE.match(code))


def has_uscc_structure(code: str) -> bool:
    """True when a code of the right shape has a registration authority and an organisation type of GB 32100's
    tables at positions 1-2 and a division code (six digits) at positions 3-8."""
    return has_uscc_shape(code) and code[:2] in USCC_PREFIXES and bool(_DIVISION_DIGITS.match(code[2:8]))


def is_valid_uscc(code: str) -> bool:
    """True when the code has the right shape and check character (its structure is `has_uscc_structure`'s)."""
    return has_uscc_shape(code) and compute_uscc_check_char(code[:17]) == code[17]
