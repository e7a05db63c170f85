"""The registry of forms, keyed by kind and version."""

from __future__ import annotations

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.fields import Form

FORMS: dict[tuple[str, str], Form] = {(f.kind, f.version): f for f in (CENSUS_FORM, REGISTER_FORM)}
CURRENT_FORMS: dict[str, Form] = {"census": CENSUS_FORM, "register": REGISTER_FORM}
KIND_LABELS = {"census": "普查表", "register": "普查对象名录"}


class UnknownForm(LookupError):
    """Raised for a kind or version the platform does not know."""


def get_form(kind: str, version: str | None = None) -> Form:
    """The form of a kind, at a version (default: the current one)."""
    if version is None:
        if kind not in CURRENT_FORMS:
            raise UnknownForm(f"unknown form kind {kind!r}; known: {', '.join(CURRENT_FORMS)}")
        return CURRENT_FORMS[kind]
    try:
        return FORMS[(kind, version)]
    except KeyError:
        raise UnknownForm(f"unknown form {kind!r} version {version!r}") from None
