"""Every list of workbook kinds is derived from the one registry in census_schema.forms, or agrees with it."""

from __future__ import annotations

from census_schema.forms import CURRENT_FORMS, CURRENT_WORKBOOKS, KIND_LABELS
from census_schema.roles import Role
from cli.main import build_parser
from dash_app.uploads import UPLOAD_KINDS
from flows.ingest import CONTEXT_FETCHERS
from warehouse.loads import DOMAIN_LOADERS
from warehouse.migrations import FORM_MIGRATIONS


def choices(command: str) -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._subparsers._group_actions if a.dest == "command")
    kind = next(a for a in sub.choices[command]._actions if a.dest == "kind")
    return list(kind.choices)


def test_the_command_line_offers_exactly_the_registered_kinds():
    assert choices("template") == choices("ingest") == list(CURRENT_WORKBOOKS)


def test_kind_specific_steps_exist_only_for_registered_kinds():
    assert set(CONTEXT_FETCHERS) <= set(CURRENT_WORKBOOKS)
    assert set(DOMAIN_LOADERS) <= set(CURRENT_WORKBOOKS)
    # Every kind is uploaded from the web: a province's by its office (and a central channel's by the bureau, the
    # central units having no accounts), a national one by the bureau.
    assert sorted(UPLOAD_KINDS[Role.PLANNER]) == sorted(CURRENT_WORKBOOKS)
    assert set(UPLOAD_KINDS[Role.PROVINCE]) == {k for k, book in CURRENT_WORKBOOKS.items() if book.needs_province}


def test_every_kind_and_sheet_has_a_label_a_flow_name_and_a_raw_table_migration():
    built = {m.builds[0] for m in FORM_MIGRATIONS if m.builds}
    assert set(CURRENT_FORMS) <= built
    for kind, book in CURRENT_WORKBOOKS.items():
        assert KIND_LABELS[kind] == book.label and book.flow_name
        assert all(KIND_LABELS[form.kind] for form in book.sheets)
    assert len({book.flow_name for book in CURRENT_WORKBOOKS.values()}) == len(CURRENT_WORKBOOKS)
