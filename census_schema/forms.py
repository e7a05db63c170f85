"""The registry of forms (one per data sheet) and of workbook kinds (what is uploaded), keyed by kind and version."""

from __future__ import annotations

from census_schema.census_form import CENSUS_FORM, REGISTER_FORM
from census_schema.fields import Form, WorkbookForm, single_sheet_workbook
from census_schema.supervision.forms import SUPERVISION_SHEET_FORMS, SUPERVISION_WORKBOOKS

_ALL_FORMS = (CENSUS_FORM, REGISTER_FORM, *SUPERVISION_SHEET_FORMS)
FORMS: dict[tuple[str, str], Form] = {(f.kind, f.version): f for f in _ALL_FORMS}
CURRENT_FORMS: dict[str, Form] = {f.kind: f for f in _ALL_FORMS}
_ALL_WORKBOOKS = (single_sheet_workbook(CENSUS_FORM), single_sheet_workbook(REGISTER_FORM), *SUPERVISION_WORKBOOKS)
WORKBOOKS: dict[tuple[str, str], WorkbookForm] = {(w.kind, w.version): w for w in _ALL_WORKBOOKS}
# The kinds of workbook that are uploaded and have a template, current version of each.
CURRENT_WORKBOOKS: dict[str, WorkbookForm] = {w.kind: w for w in _ALL_WORKBOOKS}
KIND_LABELS = {
    "census": "普查表",
    "register": "普查对象名录",
    "inspections": "监督检查与问题整改",
    "evaluation": "业务建设评价评分",
    "indicators": "规划指标填报",
    **{f.kind: f.title for f in SUPERVISION_SHEET_FORMS},
}


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


def get_workbook_form(kind: str, version: str | None = None) -> WorkbookForm:
    """The workbook kind uploaded as `kind`, at a version (default: the current one)."""
    if version is None:
        if kind not in CURRENT_WORKBOOKS:
            raise UnknownForm(f"unknown workbook kind {kind!r}; known: {', '.join(CURRENT_WORKBOOKS)}")
        return CURRENT_WORKBOOKS[kind]
    try:
        return WORKBOOKS[(kind, version)]
    except KeyError:
        raise UnknownForm(f"unknown workbook {kind!r} version {version!r}") from None
