"""One module per page; the shell registers them in this order. Each module is a `Page` (checked by mypy below)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from census_schema.roles import Role

if TYPE_CHECKING:
    from dash import Dash

    from dash_app.context import AppContext


class Page(Protocol):
    """What a page module provides: its address, its menu name, the roles that may open it, its layout (built per
    request from the URL's query) and the callbacks it registers on an app."""

    @property
    def __name__(self) -> str: ...

    @property
    def PATH(self) -> str: ...

    @property
    def NAME(self) -> str: ...

    @property
    def ROLES(self) -> tuple[Role, ...]: ...

    def layout(self, **query: str) -> Any: ...

    def register_callbacks(self, app: Dash, context: AppContext) -> None: ...


from dash_app.pages import (  # noqa: E402 - the protocol first: pages never import it, but mypy reads it here
    accounts,
    audit,
    coverage,
    evaluation,
    indicators,
    inspections,
    lineage,
    overview,
    quality,
    submissions,
    upload,
)

PAGES: tuple[Page, ...] = (
    overview,
    coverage,
    quality,
    inspections,
    evaluation,
    indicators,
    submissions,
    lineage,
    upload,
    audit,
    accounts,
)
