"""The suite does not fill the disk: a passed test's temporary folder is removed when it ends, a failed one's kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TESTS = """
def test_passes(tmp_path):
    (tmp_path / "warehouse.duckdb").write_bytes(b"x" * 1_000_000)

def test_fails(tmp_path):
    (tmp_path / "warehouse.duckdb").write_bytes(b"x")
    assert False
"""


def test_a_passed_test_s_folder_is_removed_and_a_failed_one_s_kept(tmp_path: Path):
    (tmp_path / "test_sample.py").write_text(TESTS, encoding="utf-8")
    basetemp = tmp_path / "basetemp"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:xdist",
            f"--basetemp={basetemp}",
            str(tmp_path / "test_sample.py"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    left = sorted(p.name for p in basetemp.iterdir() if not p.is_symlink())
    assert left == ["test_fails0"], left
