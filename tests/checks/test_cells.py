"""Cell values in failures read as the uploader typed them."""

from __future__ import annotations

import pytest

from checks.cells import display_value


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, None),
        (1000, "1000"),
        (33.0, "33"),
        (120.5, "120.5"),
        (0.00001, "0.00001"),
        (1e20, "100000000000000000000"),
        (-1.0, "-1"),
        ("12345", "12345"),
        ("长" * 300, "长" * 200 + "…（共 300 字）"),
    ],
)
def test_display_value(value, shown):
    assert display_value(value) == shown
