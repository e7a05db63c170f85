"""Entry points of the Prefect deployments (flows.deployments): `ingest_<kind>` and `daily_reminders`.

Prefect loads an entry point file as a script and puts its folder first on sys.path; this file lives apart from the
packages so that no module beside it (flows/supervision.py beside flows/prefect_flows.py) hides a package.
"""

from __future__ import annotations

from typing import Any

from flows.prefect_flows import daily_reminders

__all__ = ["daily_reminders"]


def __getattr__(name: str) -> Any:
    """`ingest_census`, `ingest_register`, …: the flow of each registered workbook kind."""
    import flows.prefect_flows

    return getattr(flows.prefect_flows, name)
