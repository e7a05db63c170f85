"""The vectorised USCC check character of the row rules agrees with the schema's own validator."""

from __future__ import annotations

import random

import polars as pl

from census_schema.uscc import USCC_CHARSET, compute_uscc_check_char
from checks.row_rules import uscc_check_char


def test_the_polars_check_character_is_the_schemas_on_random_codes():
    rng = random.Random(11)
    first17 = ["".join(rng.choice(USCC_CHARSET) for _ in range(17)) for _ in range(3000)]
    got = pl.select(uscc_check_char(pl.Series(first17).str.pad_end(18, "0").implode().explode())).to_series()
    assert got.to_list() == [compute_uscc_check_char(code) for code in first17]


def test_codes_outside_the_charset_or_empty_have_no_check_character():
    codes = pl.Series(["91440300708461136I", "914403007084611I6T", None, "9144"])
    assert pl.select(uscc_check_char(codes.implode().explode())).to_series().to_list()[:3] == [
        compute_uscc_check_char("91440300708461136"),
        None,
        None,
    ]
