"""GB 32100-2015 check characters, on codes published by registries and companies."""

import pytest

from census_schema.uscc import compute_uscc_check_char, has_uscc_shape, is_valid_uscc

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
