"""The one registry of workbook kinds (what is uploaded) and of their forms (one per data sheet), by kind and version.

Every other list of kinds is derived from here: template and ingest choices on the command line, the Chinese
labels, the Prefect flows, the warehouse's raw tables. A kind keeps every version it ever had, oldest first; the
last one is current. Changing a form means declaring a new version here and a migration that upgrades the
warehouse to it (see CONTRIBUTING.md, "Change the form").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from census_schema.census_form import (
    CENSUS_WORKBOOK,
    CENSUS_WORKBOOK_2024,
    REGISTER_WORKBOOK,
    REGISTER_WORKBOOK_2024,
)
from census_schema.fields import Form, WorkbookForm
from census_schema.supervision.forms import SUPERVISION_WORKBOOKS

# Every version of every workbook kind, oldest first within a kind (the order kinds are listed in menus).
WORKBOOK_HISTORY: tuple[WorkbookForm, ...] = (
    CENSUS_WORKBOOK_2024,
    CENSUS_WORKBOOK,
    REGISTER_WORKBOOK_2024,
    REGISTER_WORKBOOK,
    *SUPERVISION_WORKBOOKS,
)

WORKBOOKS: dict[tuple[str, str], WorkbookForm] = {}
# The kinds of workbook that are uploaded and have a template, current version of each.
CURRENT_WORKBOOKS: dict[str, WorkbookForm] = {}
FORMS: dict[tuple[str, str], Form] = {}
CURRENT_FORMS: dict[str, Form] = {}
# The Chinese name of every workbook kind and every sheet's form kind.
# What became of an upload, by its short Chinese name (messages say more, e.g. cli's describe_outcome).
SUBMISSION_STATUS_LABELS = {
    "accepted": "已接收",
    "rejected": "未通过校验",
    "duplicate": "重复文件",
    "needs_confirmation": "待确认",
}
KIND_LABELS: dict[str, str] = {}


class UnknownForm(LookupError):
    """Raised for a kind or version the platform does not know."""


def register_workbook(book: WorkbookForm) -> None:
    """Add a workbook kind, or a new version of one (which becomes current), and its sheets' forms."""
    if (book.kind, book.version) in WORKBOOKS:
        raise ValueError(f"workbook {book.kind!r} version {book.version!r} is already registered")
    WORKBOOKS[(book.kind, book.version)] = book
    CURRENT_WORKBOOKS[book.kind] = book
    KIND_LABELS[book.kind] = book.label
    for form in book.sheets:
        FORMS[(form.kind, form.version)] = form
        CURRENT_FORMS[form.kind] = form
        KIND_LABELS.setdefault(form.kind, form.title)


def _rebuild(books: tuple[WorkbookForm, ...]) -> None:
    for registry in (WORKBOOKS, CURRENT_WORKBOOKS, FORMS, CURRENT_FORMS, KIND_LABELS):
        registry.clear()
    for book in books:
        register_workbook(book)


@contextmanager
def registered(*books: WorkbookForm) -> Iterator[None]:
    """Register workbooks for the duration of a block (tests and tools trying a form change), then forget them."""
    before = tuple(WORKBOOKS.values())
    try:
        for book in books:
            register_workbook(book)
        yield
    finally:
        _rebuild(before)


def workbook_of_sheet(form_kind: str) -> WorkbookForm:
    """The current workbook kind one of whose sheets is of this form kind."""
    for book in CURRENT_WORKBOOKS.values():
        if any(form.kind == form_kind for form in book.sheets):
            return book
    raise UnknownForm(f"no workbook has a sheet of kind {form_kind!r}")


def form_history(kind: str) -> list[Form]:
    """Every version of a sheet's form, oldest first."""
    return [form for (form_kind, _), form in FORMS.items() if form_kind == kind]


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


_rebuild(WORKBOOK_HISTORY)
