"""Libraries Great Expectations imports for expectations this project never runs, loaded on first use instead.

GX's module of the KL-divergence expectation imports altair and scipy.stats at its top, and two distribution metrics
import scipy.stats; `import great_expectations` imports those modules, so every process that validates held ~77 MiB
and spent ~1 s for them (issue 11). A stand-in takes each one's place in `sys.modules` before GX is imported; the
first attribute read on it imports the real module and answers from it, so code that uses them still works, later.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any, Final

# Imported by GX at its import, used only by expectations and metrics this project's suites never contain.
UNUSED_BY_OUR_SUITES: Final = ("altair", "scipy.stats")

_loading = threading.RLock()


class DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is read, then imports it and answers from it."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.loaded(), attribute)

    def loaded(self) -> types.ModuleType:
        """The real module, imported on the first call."""
        with _loading:
            real = self.__dict__.get("_real_module")
            if real is None:
                if sys.modules.get(self.__name__) is self:
                    del sys.modules[self.__name__]
                try:
                    real = importlib.import_module(self.__name__)
                except BaseException:
                    sys.modules.setdefault(self.__name__, self)
                    raise
                self.__dict__["_real_module"] = real
            return real


def defer_unused_imports(names: tuple[str, ...] = UNUSED_BY_OUR_SUITES) -> None:
    """Put a stand-in in `sys.modules` for each named module not imported yet (and installed)."""
    with _loading:
        for name in names:
            if name in sys.modules:
                continue
            spec = importlib.util.find_spec(name)
            if spec is None:
                continue
            stand_in = DeferredModule(name)
            stand_in.__spec__ = spec
            sys.modules[name] = stand_in
