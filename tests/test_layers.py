"""Imports follow the layers of the house style: nothing imports upward."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "census_schema": set(),
    "checks": {"census_schema"},
    "warehouse": {"census_schema"},
    "flows": {"census_schema", "checks", "warehouse"},
    "dash_app": {"census_schema", "warehouse", "flows"},
    "cli": {"census_schema", "checks", "warehouse", "flows", "dash_app"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package):
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        extra = imported_packages(path) - ALLOWED[package] - {package}
        if extra:
            offenders[str(path.relative_to(ROOT))] = sorted(extra)
    assert offenders == {}


def test_layer_check_detects_an_upward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from dash_app import app\nimport warehouse.queries\n")
    assert imported_packages(module) == {"dash_app", "warehouse"}
