"""The check context: the province and its reference data, plus what other returns say."""

from __future__ import annotations

from datetime import datetime

import pytest

from census_schema.scopes import Scope, ScopeKind, ScopeReturn
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
    assert (context.register_usccs, context.held_elsewhere) == (None, None)


def test_cross_return_inputs_are_frozen_copies():
    register = ["91440300708461136T"]
    holder = ScopeReturn("S1", Scope(ScopeKind.PROVINCE, "110000"), "a.xlsx", "x", datetime(2025, 1, 3))
    elsewhere = {"91440300708461136T": holder}
    context = build_check_context("440000", register_usccs=register, held_elsewhere=elsewhere)
    elsewhere.clear()
    assert context.register_usccs == frozenset(register)
    assert context.held_elsewhere == {"91440300708461136T": holder}
    with pytest.raises(TypeError):
        context.held_elsewhere["x"] = holder  # type: ignore[index]


@pytest.mark.parametrize("code", ["440100", "449999", "44", "abcdef"])
def test_only_a_province_makes_a_context(code):
    with pytest.raises(ValueError):
        build_check_context(code)


def test_a_context_can_be_built_by_hand():
    context = CheckContext("110000", frozenset({"110101"}), {"110101": "county"})
    assert context.province_code == "110000"
