"""What every page's callbacks need: settings, the warehouse store, the snapshot reader and upload jobs."""

from __future__ import annotations

from dataclasses import dataclass

from census_schema.settings import Settings
from dash_app.reader import SnapshotReader
from dash_app.uploads import UploadJobs
from warehouse.backends import Warehouse


@dataclass(frozen=True)
class AppContext:
    """Shared, per-app objects (no module-level state)."""

    settings: Settings
    store: Warehouse
    reader: SnapshotReader
    jobs: UploadJobs

    @classmethod
    def create(cls, settings: Settings, store: Warehouse) -> AppContext:
        """A context over one warehouse."""
        return cls(settings, store, SnapshotReader(store), UploadJobs(settings))
