"""Shared by the web app's tests: one user of each role (two provinces), their passwords, settings for a tmp warehouse,
the supervision part of the demo, loaded once per session, and the session's headless Chromium."""

from __future__ import annotations

import dataclasses
import io
import shutil
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from census_schema.fields import Form
from census_schema.roles import Role
from census_schema.settings import Settings, load_settings
from dash_app.auth import hash_password
from synthetic.holders import make_uscc
from synthetic.supervision import DEMO_TODAY
from tests.flows.workbooks import holder_rows, write_rows
from warehouse.backends import EmbeddedWarehouse
from warehouse.users import add_user

# (user name, role, province): two provincial offices so that one can try to read the other.
USERS = (
    ("planner", Role.PLANNER, None),
    ("guangdong", Role.PROVINCE, "440000"),
    ("guangxi", Role.PROVINCE, "450000"),
    ("evaluator", Role.EVALUATOR, None),
    ("admin", Role.ADMIN, None),
)
# A prefecture's office and a central channel's, with their scope (a division code, a channel key): the browser site
# adds them beside USERS, so that every page is walked as them too.
REPORTING_OFFICES = (("guangzhou", Role.PREFECTURE, "440100"), ("yangqi", Role.CENTRAL, "enterprises"))


def password_of(user_name: str) -> str:
    """Every test user's password (one that keeps the password rule: three kinds of characters, not the name)."""
    return f"Pw-{zlib.crc32(user_name.encode()):08x}"


def web_settings(db_path: Path) -> Settings:
    """Settings for a test warehouse: absolute path, uploads run in-process without Prefect, no Data Docs."""
    settings = load_settings(db_path.absolute())
    return dataclasses.replace(settings, orchestrator="direct", save_data_docs=False)


def add_users(store: EmbeddedWarehouse, users: Iterable[tuple[str, Role, str | None]] = USERS) -> None:
    """Create the users with their test passwords; the third value is a reporting account's scope (a province's
    code, a prefecture's or county's division code, a central channel's key)."""
    with store.writer() as con:
        for name, role, scope in users:
            add_user(
                con,
                name,
                hash_password(password_of(name), name),
                role,
                scope if role is Role.PROVINCE else None,
                by="管理员",
                division_code=scope if role in (Role.PREFECTURE, Role.COUNTY) else None,
                central=scope if role is Role.CENTRAL else None,
            )


def read_sheet(content: bytes, sheet: str | None = None) -> list[tuple[object, ...]]:
    """The rows of a sheet (the active one by default) of an .xlsx given as bytes."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [tuple(row) for row in (workbook[sheet] if sheet else workbook.active).iter_rows(values_only=True)]


def read_meta(content: bytes) -> dict[object, object]:
    """A platform workbook's `_meta` key/value rows."""
    return {row[0]: row[1] for row in read_sheet(content, "_meta") if row and row[0] is not None}


# Each test province: a county of its own and the USCC prefix of its holders.
PROVINCE_HOLDERS = {"440000": ("440106", "91440300"), "450000": ("450102", "91450100")}


def province_rows(
    form: Form, province: str, count: int, edits: Mapping[int, Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """`count` valid holders of a test province (named `<province>单位<i>`), with per-index edits."""
    county, prefix = PROVINCE_HOLDERS[province]
    edits = edits or {}
    return [
        {**row, "uscc": make_uscc(30_000 + i, prefix), "division_code": county, "unit_name": f"{province}单位{i}"}
        | dict(edits.get(i, {}))
        for i, row in enumerate(holder_rows(form, count))
    ]


# A census return with two failures: a volume total that does not add up (row 4) and a malformed phone (row 5).
BAD_EDITS = {1: {"vol_total": 1001}, 2: {"contact_phone": "12345"}}


def province_workbook(
    path: Path, form: Form, province: str, count: int, edits: Mapping[int, Mapping[str, Any]] | None = None
) -> Path:
    """A real workbook of the form for a test province."""
    return write_rows(path, form, province_rows(form, province, count, edits), province)


SUPERVISION_DEMO_SEED = 2024


@pytest.fixture(scope="session")
def supervision_demo_db(tmp_path_factory) -> Path:
    """The supervision part of the demo (inspections with every lifecycle state, the open evaluation round with the
    demo's `evaluator` assigned to 3 archives, plan indicator values), loaded once through the real flows (~15 s).

    Tests do not write to it: `private_demo_warehouse` gives each module its own copy.
    """
    from flows.demo import build_supervision_demo  # the ingestion stack loads only when a test needs the demo
    from flows.run import run_ingestion

    folder = tmp_path_factory.mktemp("supervision-demo")
    settings = web_settings(folder / "var" / "warehouse.duckdb")
    result = build_supervision_demo(
        settings, SUPERVISION_DEMO_SEED, folder / "work", lambda request: run_ingestion(request, settings, "direct")
    )
    assert result.matches, "the supervision demo did not load as generated"
    return settings.db_path


def private_demo_warehouse(
    source: Path, folder: Path, users: Iterable[tuple[str, Role, str | None]] = USERS
) -> Settings:
    """A private copy of a demo's warehouse (the supervision demo's or the session's whole demo) with the users;
    deadlines are judged on the demo's day (ARCHIVE_CENSUS_AS_OF, as the demo's manifest is for DEMO_TODAY)."""
    target = folder / "var" / "warehouse.duckdb"
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHIVE_CENSUS_AS_OF", DEMO_TODAY.isoformat())
        settings = web_settings(target)
    assert settings.today() == DEMO_TODAY
    add_users(EmbeddedWarehouse(target), users)  # publishes the copy's first snapshot
    return settings


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session, shared by every browser test module: Playwright's sync API runs
    one instance per thread, so a second module starting its own would fail. Launched as test_browser.py says."""
    from tests.dash_app.browser import CHROMIUM, LAUNCH_ARGS, LAUNCH_ENV, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, env=LAUNCH_ENV)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site(demo_run, tmp_path_factory):
    """One served app for every browser test of the session: a copy of the session's demo (`demo_run`: the command
    line, its generator, workbooks and flows; census for a few provinces and the whole supervision part), the test
    users, and the app on a free port of 127.0.0.1.

    As under `./dev demo`, the warehouse path is relative (`var/warehouse.duckdb` from the site's folder as working
    directory): Flask resolves relative file paths against the package, not the working directory.
    """
    import threading

    from werkzeug.serving import make_server

    from dash_app.app import close_app, create_app
    from tests.conftest import copy_warehouse
    from tests.dash_app.browser import QuietRequestHandler, Site, require_browser

    require_browser()
    assert demo_run.output["matches_manifest"] and demo_run.output["supervision_matches_manifest"]
    folder = tmp_path_factory.mktemp("browser")
    relative = Path("var") / "warehouse.duckdb"
    copy_warehouse(demo_run.db_path, folder / relative)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        settings = dataclasses.replace(load_settings(relative), orchestrator="direct", save_data_docs=False)
        add_users(EmbeddedWarehouse(settings.db_path), [*USERS, *REPORTING_OFFICES])
        # The demo's findings are dated around its own day: judge overdue on it, as the served demo does.
        settings = dataclasses.replace(settings, as_of=DEMO_TODAY)
        app = create_app(settings)
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="dash-test-server", daemon=True)
    thread.start()
    try:
        yield Site(
            f"http://127.0.0.1:{server.server_port}", dataclasses.replace(settings, db_path=folder / relative), folder
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        close_app(app)


@pytest.fixture
def browsing(chromium, site):
    """A new browser context per test on the session's site (see browser.browse)."""
    from tests.dash_app.browser import browse

    yield from browse(chromium, site.url)
