"""Imports follow the layers of the house style: nothing imports upward, and nothing imports the tests."""

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package and the packages it may import. `supervision` is the domain logic over the declarations of
# `census_schema`; `synthetic` generates demo and test data and is never imported by what runs in production
# (checks, warehouse, dash_app).
ALLOWED = {
    "census_schema": set(),
    "supervision": {"census_schema"},
    "synthetic": {"census_schema", "supervision"},
    "checks": {"census_schema", "supervision"},
    "warehouse": {"census_schema", "supervision"},
    "flows": {"census_schema", "supervision", "synthetic", "checks", "warehouse"},
    "dash_app": {"census_schema", "supervision", "warehouse", "flows"},
    "cli": {"census_schema", "supervision", "synthetic", "checks", "warehouse", "flows", "dash_app"},
    "benchmarks": {"census_schema", "supervision", "synthetic", "checks", "warehouse", "flows", "dash_app"},
}
# Imported by no package: test helpers that a package needs belong in `synthetic`.
KNOWN = set(ALLOWED) | {"tests"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & KNOWN


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package):
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        extra = imported_packages(path) - ALLOWED[package] - {package}
        if extra:
            offenders[str(path.relative_to(ROOT))] = sorted(extra)
    assert offenders == {}


def test_every_package_has_a_layer_is_installed_and_type_checked():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(ALLOWED)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(config["tool"]["mypy"]["packages"]) == set(ALLOWED)
    installed = {name.rstrip("*") for name in config["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert installed == set(ALLOWED) - {"benchmarks"}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from dash_app import app\nimport warehouse.queries\n", {"dash_app", "warehouse"}),
        ("from supervision.lifecycle import apply_transition\n", {"supervision"}),
        ("import synthetic.census as census\n", {"synthetic"}),
        ("from tests.checks.builders import CENSUS_BASE\n", {"tests"}),
        ("from census_schema.supervision import codes\nimport polars\n", {"census_schema"}),
    ],
)
def test_layer_check_detects_an_import(tmp_path, source, found):
    module = tmp_path / "bad.py"
    module.write_text(source)
    assert imported_packages(module) == found


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("census_schema", "from supervision.scoring import score_archive\n"),
        ("supervision", "from synthetic.census import generate_province_rows\n"),
        ("supervision", "from warehouse.backends import EmbeddedWarehouse\n"),
        ("checks", "from synthetic.supervision import DEMO_TODAY\n"),
        ("warehouse", "import synthetic\n"),
        ("dash_app", "from synthetic.census import write_dataset\n"),
        ("benchmarks", "from tests.checks.builders import CENSUS_BASE\n"),
    ],
)
def test_an_import_against_the_layers_is_refused(tmp_path, package, source):
    module = tmp_path / "bad.py"
    module.write_text(source)
    assert imported_packages(module) - ALLOWED[package] - {package}
