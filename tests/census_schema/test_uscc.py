"""GB 32100-2015 check characters and structure, on codes published by registries and companies, and against
python-stdnum's validator."""

import random

import pytest
from stdnum.cn import uscc as stdnum_uscc

from census_schema.divisions import load_divisions
from census_schema.uscc import (
    USCC_AUTHORITIES,
    USCC_CHARSET,
    USCC_PREFIXES,
    compute_uscc_check_char,
    has_uscc_shape,
    has_uscc_structure,
    is_valid_uscc,
)

# Published codes (company registries, credit-information sites; collected in python-stdnum's test data and a
# regexp-example issue), covering registration authorities 1 (机构编制) and 9 (市场监管), kinds 1 and 2.
PUBLISHED = [
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
    "91440300708461136T",
    "91110108551385082Q",
    "91110000600037341L",
    "91110000710926094P",  # 中国石油化工股份有限公司
    "91310000631696382C",  # 宝山钢铁股份有限公司
    "121200004013590816",  # a public institution (事业单位)
    "91620105L015101280",
    "91340600MA2PBP2120",
    "92141127MA0KD1Y64A",  # an individual business (个体工商户), checked on cods.org.cn
    "91350100M000100Y43",
]
WRONG = [
    "91110000600037341N",  # check character altered
    "9144030071526726XH",
    "91350211M00013FA1N",  # an early pilot code that does not satisfy the standard
    "9111000060003IOZSV",  # I, O, Z, S, V are not in the charset
    "12345",
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", WRONG)
def test_wrong_codes_are_refused(code):
    assert not is_valid_uscc(code)


@pytest.mark.parametrize("authority", ["N", "Y", "A", "5", "1", "9"])
def test_every_registration_authority_is_accepted(authority):
    # python-stdnum rejects N- (农业农村), Y- (其他) and A- prefixed codes; the standard allows any charset symbol.
    # No published N/Y/A code was at hand, so these are built with the check character of the standard.
    first17 = f"{authority}2350128MA4071287"
    code = first17 + compute_uscc_check_char(first17)
    assert is_valid_uscc(code)
    assert not is_valid_uscc(first17 + ("0" if code[-1] != "0" else "1"))


def test_shape_is_checked_before_the_check_character():
    assert has_uscc_shape("91440300708461136T")
    assert not has_uscc_shape("91440300708461136t")
    assert not has_uscc_shape("9144030070846113")


# ------------------------------------------------------------------------------------------------------ structure

# Realistic prefixes: registration authorities written as digits with the organisation types GB 32100 gives them.
REALISTIC_PREFIXES = sorted(p for p in USCC_PREFIXES if p[0].isdigit())


def _random_codes(count: int, seed: int) -> list[str]:
    """Codes as they are met: a realistic prefix, a division code, an organisation code; most with the right check
    character, some altered, some with letters where the division code stands (structurally impossible)."""
    rng = random.Random(seed)
    divisions = sorted(load_divisions().by_code)
    codes = []
    for _ in range(count):
        division = rng.choice(divisions)
        if rng.random() < 0.1:
            at = rng.randrange(6)
            division = division[:at] + rng.choice("ABCDEFGHJKLMNPQRTUWXY") + division[at + 1 :]
        first17 = rng.choice(REALISTIC_PREFIXES) + division + "".join(rng.choice(USCC_CHARSET) for _ in range(9))
        check = compute_uscc_check_char(first17)
        if rng.random() < 0.2:
            check = rng.choice([c for c in USCC_CHARSET if c != check])
        codes.append(first17 + check)
    return codes


def ours(code: str) -> bool:
    return has_uscc_structure(code) and is_valid_uscc(code)


def test_structure_and_check_agree_with_python_stdnum_on_100000_realistic_codes():
    codes = _random_codes(100_000, seed=32100)
    disagreements = [code for code in codes if ours(code) != stdnum_uscc.is_valid(code)]
    assert disagreements == []
    # The sample has all three cases: valid, a wrong check character, letters in the division code.
    assert {ours(c) for c in codes} == {True, False}
    assert any(is_valid_uscc(c) and not has_uscc_structure(c) for c in codes)


@pytest.mark.parametrize(
    ("first17", "ours_valid", "stdnum_valid"),
    [
        ("9144A300708461136", False, False),  # a letter where the division code stands: both refuse it now
        ("94440300708461136", False, True),  # 工商 has no organisation type 4: only GB 32100's table knows
        ("N2440300708461136", True, False),  # 农业, 村级集体经济组织: GB 32100 allows letters at position 1
        ("Y1440300708461136", True, False),  # 其他
        ("A9440300708461136", True, False),  # 中央军委改革和编制办公室, 其他
        ("A2440300708461136", False, False),  # no type 2 under authority A
    ],
)
def test_where_the_standard_tables_differ_from_python_stdnum(first17, ours_valid, stdnum_valid):
    code = first17 + compute_uscc_check_char(first17)
    assert (ours(code), stdnum_uscc.is_valid(code)) == (ours_valid, stdnum_valid)


def test_every_authority_and_type_of_the_tables():
    assert len(USCC_AUTHORITIES) == 12 and USCC_AUTHORITIES["9"][1] == {
        "1": "企业",
        "2": "个体工商户",
        "3": "农民专业合作社",
    }
    assert {"11", "12", "13", "19", "51", "52", "53", "91", "92", "93", "N1", "Y1", "A1"} <= USCC_PREFIXES
    assert not {"14", "94", "Y2", "A2", "B1", "01"} & USCC_PREFIXES
    assert all(has_uscc_structure(code) for code in PUBLISHED)
