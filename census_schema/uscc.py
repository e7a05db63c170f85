"""GB 32100-2015 unified social credit codes (统一社会信用代码)."""

from __future__ import annotations

import re

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = f"^[{USCC_CHARSET}]{{18}}$"
_USCC_RE = re.compile(USCC_PATTERN)
_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}


def compute_uscc_check_char(first17: str) -> str:
    """The check character for the first 17 symbols of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def has_uscc_shape(code: str) -> bool:
    """True when the code is 18 symbols of the GB 32100 charset."""
    return bool(_USCC_RE.match(code))


def is_valid_uscc(code: str) -> bool:
    """True when the code has the right shape and check character."""
    return has_uscc_shape(code) and compute_uscc_check_char(code[:17]) == code[17]
