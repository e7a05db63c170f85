"""The check context: the province and its reference data, plus what other returns say."""

from __future__ import annotations

import pytest

from checks.context import CheckContext, build_check_context


def test_context_carries_current_divisions_and_their_levels():
    context = build_check_context("440000")
    assert {"440000", "440100", "440106", "660000", "659001"} <= context.valid_division_codes
    # No invented codes: the Corps' divisions are its 师市合一 cities under their GB/T 2260 codes.
    assert "660100" not in context.valid_division_codes
    assert context.division_levels["440000"] == "province"
    assert context.division_levels["440100"] == "prefecture"
    assert context.division_levels["440106"] == "county"
    assert context.division_provinces["659001"] == "660000" and context.division_provinces["650102"] == "650000"
    assert (context.register_usccs, context.other_province_usccs) == (None, None)


def test_cross_return_inputs_are_frozen_copies():
    register = ["91440300708461136T"]
    elsewhere = {"91440300708461136T": "110000"}
    context = build_check_context("440000", register_usccs=register, other_province_usccs=elsewhere)
    elsewhere["91440300708461136T"] = "120000"
    assert context.register_usccs == frozenset(register)
    assert context.other_province_usccs == {"91440300708461136T": "110000"}
    with pytest.raises(TypeError):
        context.other_province_usccs["x"] = "1"  # type: ignore[index]


@pytest.mark.parametrize("code", ["440100", "449999", "44", "abcdef"])
def test_only_a_province_makes_a_context(code):
    with pytest.raises(ValueError):
        build_check_context(code)


def test_a_context_can_be_built_by_hand():
    context = CheckContext("110000", frozenset({"110101"}), {"110101": "county"})
    assert context.province_code == "110000"
