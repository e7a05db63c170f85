"""What a check needs besides the return itself: the province, reference data and other returns, passed in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from census_schema.divisions import PROVINCE, UnknownDivision, load_divisions

_PROVINCE_CODE = re.compile(r"^\d{2}0000$")


@dataclass(frozen=True)
class CheckContext:
    """The uploading province, the current divisions and, when the flow has them, the cross-return inputs.

    A cross-return input left as None means "not available": the rules that need it are skipped.
    """

    province_code: str
    valid_division_codes: frozenset[str]
    # division code -> 'province' | 'prefecture' | 'county'
    division_levels: Mapping[str, str]
    # USCCs of the province's register of expected holders.
    register_usccs: frozenset[str] | None = None
    # USCC -> code of the province whose return of this round was accepted with it.
    other_province_usccs: Mapping[str, str] | None = None
    # USCC -> vol_total + item_total accepted for the holder in the previous round.
    previous_holdings: Mapping[str, int] | None = None

    def __post_init__(self) -> None:
        if not _PROVINCE_CODE.match(self.province_code):
            raise ValueError(f"province_code must be a 6-digit province code like 440000, got {self.province_code!r}")


def build_check_context(
    province_code: str,
    *,
    register_usccs: Iterable[str] | None = None,
    other_province_usccs: Mapping[str, str] | None = None,
    previous_holdings: Mapping[str, int] | None = None,
) -> CheckContext:
    """A check context for a province, with the current GB/T 2260 divisions and the cross-return inputs given."""
    divisions = load_divisions()
    try:
        province = divisions.get(province_code)
    except UnknownDivision:
        raise ValueError(f"{province_code!r} is not a current province code") from None
    if province.level != PROVINCE:
        raise ValueError(f"{province_code!r} is a {province.level}, not a province")
    return CheckContext(
        province_code=province_code,
        valid_division_codes=frozenset(divisions.by_code),
        division_levels=MappingProxyType({code: d.level for code, d in divisions.by_code.items()}),
        register_usccs=frozenset(register_usccs) if register_usccs is not None else None,
        other_province_usccs=MappingProxyType(dict(other_province_usccs)) if other_province_usccs is not None else None,
        previous_holdings=MappingProxyType(dict(previous_holdings)) if previous_holdings is not None else None,
    )
