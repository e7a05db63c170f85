"""Property: identify → parse → validate on a mutated workbook gives a result or a located refusal, never an
exception, within time and memory bounds.

Mutations start from a real template workbook: bytes flipped anywhere in the zip, bytes inserted into or cut from
the data sheet's XML, any declared extent, a cell at any reference, any text in any cell. The default run is short
(`FUZZ_EXAMPLES`, 24 examples); set HYPOTHESIS_PROFILE=long for 500.
"""

from __future__ import annotations

import resource
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from census_schema.errors import CensusError
from census_schema.failures import Failure
from census_schema.forms import get_workbook_form
from census_schema.settings import load_settings
from checks.context import build_check_context
from checks.validate import validate_workbook
from flows.identify import identify_workbook
from flows.parse import parse_workbook
from flows.worker import ReaderWorker
from tests.flows import hostile
from tests.flows.workbooks import PROVINCE, census_workbook

FUZZ_EXAMPLES = 24
SECONDS_PER_EXAMPLE = 60
READER_MEMORY_BYTES = 1 << 30
settings.register_profile(
    "fuzz", max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=False, print_blob=True
)
settings.register_profile("long", max_examples=500, deadline=None, database=None, print_blob=True)
PROFILE = "long" if __import__("os").environ.get("HYPOTHESIS_PROFILE") == "long" else "fuzz"


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    path = census_workbook(folder / "seed.xlsx", 4)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read(hostile.DATA_SHEET)
    return folder, path, sheet


@pytest.fixture(scope="module")
def worker():
    with ReaderWorker(READER_MEMORY_BYTES, timeout_s=SECONDS_PER_EXAMPLE) as worker:
        yield worker


REF = st.from_regex(r"[A-Z]{1,3}[1-9][0-9]{0,6}", fullmatch=True)


@st.composite
def sheet_mutation(draw, sheet: bytes) -> bytes:
    """The data sheet's XML changed in one way."""
    kind = draw(st.sampled_from(["insert", "cut", "dimension", "far cell", "cell text"]))
    if kind == "insert":
        at = draw(st.integers(0, len(sheet)))
        return sheet[:at] + draw(st.binary(min_size=1, max_size=40)) + sheet[at:]
    if kind == "cut":
        at = draw(st.integers(0, len(sheet) - 1))
        return sheet[:at] + sheet[at + draw(st.integers(1, 200)) :]
    if kind == "dimension":
        ref = draw(REF) + draw(st.sampled_from(["", ":"]))
        ref = ref + draw(REF) if ref.endswith(":") else ref
        return hostile.with_dimension(ref)(sheet)
    if kind == "far cell":
        cell = f'<c r="{draw(REF)}" t="inlineStr"><is><t>x</t></is></c>'.encode()
        return sheet.replace(b"</row></sheetData>", cell + b"</row></sheetData>", 1)
    texts = draw(st.lists(st.text(max_size=60), min_size=1, max_size=6))
    parts = sheet.split(b"<t>")
    for index, text in enumerate(texts):
        position = 1 + (draw(st.integers(0, 10_000)) % max(len(parts) - 1, 1))
        if position < len(parts) and index < len(parts):
            rest = parts[position].split(b"</t>", 1)
            if len(rest) == 2:
                safe = escape("".join(ch for ch in text if ch.isprintable()))
                parts[position] = safe.encode() + b"</t>" + rest[1]
    return b"<t>".join(parts)


@st.composite
def mutated_workbook(draw, seed_bytes: bytes, sheet: bytes, folder: Path) -> Path:
    path = folder / "mutated.xlsx"
    if draw(st.booleans()):
        hostile.rewrite(folder / "seed.xlsx", path, {hostile.DATA_SHEET: draw(sheet_mutation(sheet))})
        data = bytearray(path.read_bytes())
    else:
        data = bytearray(seed_bytes)
    for position, value in draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), max_size=6)):
        data[position % len(data)] ^= value
    path.write_bytes(bytes(data))
    return path


def run_pipeline(path: Path, worker: ReaderWorker, db: Path) -> list[Failure]:
    """identify → parse → validate, the reader in the bounded worker, as an upload runs them."""
    config = load_settings(db)
    identity = identify_workbook(
        path, expected_kind="census", expected_province=PROVINCE, settings=config, worker=worker
    )
    book = get_workbook_form(identity.form_kind, identity.form_version)
    parsed = parse_workbook(path, book, file_name=identity.file_name, worker=worker)
    return validate_workbook(book, parsed.rows, build_check_context(PROVINCE), parse_failures=parsed.failures)


def test_mutated_workbooks_give_a_result_or_a_located_refusal(seed, worker):
    folder, seed_path, sheet = seed
    seed_bytes = seed_path.read_bytes()
    outcomes: list[str] = []

    @settings(settings.get_profile(PROFILE), suppress_health_check=list(HealthCheck))
    @given(mutated_workbook(seed_bytes, sheet, folder))
    def check(path: Path) -> None:
        started = time.monotonic()
        try:
            failures = run_pipeline(path, worker, folder / "w.duckdb")
        except CensusError as error:
            assert error.message and error.file == path.name, error
            outcomes.append("refused")
        else:
            assert all(f.sheet and f.rule and f.message for f in failures)
            outcomes.append("result")
        assert time.monotonic() - started < SECONDS_PER_EXAMPLE

    check()
    assert len(outcomes) >= min(FUZZ_EXAMPLES, 10)
    # This process never read a workbook itself: its peak stays far below what a hostile one could take.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 3 * 1024 * 1024  # KiB
