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
    assert summary["central"] == manifest["central"] and summary["central"]["units_reported"] > 0
    assert summary["review"] == manifest["review"]
    assert len(manifest["injected_errors"]) > 0

    assert main(["submissions", "--json", "--db", str(db)]) == 0
    submissions = json.loads(capsys.readouterr().out)["submissions"]
    statuses = {s["status"] for s in submissions}
    assert statuses == {"accepted", "rejected"}
    assert any(not s["is_current"] and s["status"] == "accepted" for s in submissions), "a superseded return is kept"
    census = [s for s in submissions if s["kind"] == "census"]
    # Scopes: prefectures and counties in several provinces, and the three central channels.
    scoped = {(s["scope_kind"], s["province_code"]) for s in census if s["is_current"]}
    assert len({province for kind, province in scoped if kind == "prefecture"}) >= 3
    assert len({province for kind, province in scoped if kind == "county"}) >= 3
    assert {s["scope_code"] for s in census if s["scope_kind"] == "central"} == {"organs", "enterprises", "archives"}
    # Returns sent back with reasons at both levels, each replaced by a corrected return.
    returned = [s for s in census if s["return_reason"]]
    assert {s["returned_at_level"] for s in returned} == {"province", "national"}
    assert all(not s["is_current"] and s["superseded_by"] for s in returned)
    assert {s["review_progress"] for s in census if s["is_current"]} == {"待省级审核", "待国家局审核", "已审核"}


def test_demo_refuses_to_overwrite_an_existing_warehouse(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"")
    assert main(["demo", "--db", str(db), "--units", "100", "--orchestrator", "direct"]) == 2
    assert "--replace" in capsys.readouterr().err
