"""Settings as messages show them: a DuckLake's catalog keywords never with its password."""

from __future__ import annotations

import pytest

from census_schema.settings import without_password


@pytest.mark.parametrize(
    ("keywords", "shown"),
    [
        ("dbname=census host=h password=secret user=u", "dbname=census host=h user=u"),
        # Quoted, with a space: its tail ("pw'") was shown when the keywords were split at spaces.
        ("dbname=census password='right pw' user=u", "dbname=census user=u"),
        ("dbname=census password = 'it\\'s mine' port=5432", "dbname=census port=5432"),
        ("dbname=census user=password_keeper", "dbname=census user=password_keeper"),
    ],
)
def test_a_catalog_s_keywords_are_shown_without_the_password(keywords, shown):
    assert without_password(keywords) == shown
