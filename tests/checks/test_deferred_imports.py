"""A module Great Expectations imports but our suites never use is loaded when first used, not before."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from checks.deferred_imports import DeferredModule, defer_unused_imports


@pytest.fixture
def probe_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module that counts its imports in a list kept on `sys` (it must survive the module being imported again)."""
    name = "deferred_probe_module"
    (tmp_path / f"{name}.py").write_text(
        "import sys\nsys.deferred_probe_imports.append(1)\nANSWER = 42\ndef double(value):\n    return 2 * value\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "deferred_probe_imports", [], raising=False)
    yield name
    sys.modules.pop(name, None)


def test_a_deferred_module_is_imported_on_first_use_only(probe_module):
    defer_unused_imports((probe_module,))
    stand_in = sys.modules[probe_module]
    assert isinstance(stand_in, DeferredModule)
    import deferred_probe_module as alias

    assert alias is stand_in
    assert sys.deferred_probe_imports == []  # type: ignore[attr-defined]
    assert alias.double(alias.ANSWER) == 84
    assert sys.deferred_probe_imports == [1]  # type: ignore[attr-defined]
    real = sys.modules[probe_module]
    assert not isinstance(real, DeferredModule) and real.ANSWER == 42
    from deferred_probe_module import double

    assert double(3) == 6 and sys.deferred_probe_imports == [1]  # type: ignore[attr-defined]


def test_a_module_already_imported_or_not_installed_is_left_alone(probe_module):
    import deferred_probe_module

    defer_unused_imports((probe_module, "no_such_module_here"))
    assert sys.modules[probe_module] is deferred_probe_module
    assert "no_such_module_here" not in sys.modules


def test_a_failing_import_raises_where_the_module_is_used_and_keeps_the_stand_in(probe_module, tmp_path):
    defer_unused_imports((probe_module,))
    (tmp_path / f"{probe_module}.py").write_text("raise ImportError('broken on purpose')\n", encoding="utf-8")
    stand_in = sys.modules[probe_module]
    with pytest.raises(ImportError, match="broken on purpose"):
        _ = stand_in.ANSWER
    assert sys.modules[probe_module] is stand_in
