"""After `archive-census demo`, `summary --json` equals the generator's manifest, province by province."""

from __future__ import annotations

import json

import pytest

from cli.main import main

pytestmark = pytest.mark.slow


def test_demo_loads_what_the_manifest_expects(tmp_path, capsys):
    db, workdir = tmp_path / "var" / "w.duckdb", tmp_path / "demo"
    code = main(
        [
            "demo",
            "--units",
            "600",
            "--seed",
            "11",
            "--orchestrator",
            "direct",
            "--db",
            str(db),
            "--workdir",
            str(workdir),
            "--json",
        ]
    )
    demo = json.loads(capsys.readouterr().out)
    assert code == 0 and demo["matches_manifest"] is True
    assert {u["role"] for u in demo["users"]} == {"planner", "province", "evaluator", "admin"}

    assert main(["summary", "--json", "--db", str(db)]) == 0
    summary = json.loads(capsys.readouterr().out)
    manifest = json.loads((workdir / "manifest.json").read_text(encoding="utf-8"))
    assert summary["national"] == manifest["national_if_corrected"]
    expected = {p["province_code"]: p["figures_if_corrected"] for p in manifest["provinces"]}
    assert {
        p["province_code"]: {k: v for k, v in p.items() if k != "province_name" and k != "province_code"}
        for p in summary["provinces"]
    } == expected
    assert len(manifest["injected_errors"]) > 0

    assert main(["submissions", "--json", "--db", str(db)]) == 0
    submissions = json.loads(capsys.readouterr().out)["submissions"]
    statuses = {s["status"] for s in submissions}
    assert statuses == {"accepted", "rejected"}
    assert any(not s["is_current"] and s["status"] == "accepted" for s in submissions), "a superseded return is kept"


def test_demo_refuses_to_overwrite_an_existing_warehouse(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"")
    assert main(["demo", "--db", str(db), "--units", "100", "--orchestrator", "direct"]) == 2
    assert "--replace" in capsys.readouterr().err
