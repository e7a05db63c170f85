"""The census template as a person sees it: rendered by headless LibreOffice, read back with poppler.

Run as a module to refresh the pictures in docs/:
    python -m tests.census_schema.test_template_render
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from census_schema.census_form import CENSUS_FORM
from census_schema.layout import INSTRUCTIONS_SHEET
from census_schema.template import data_sheet_title, write_template

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PROVINCE_CODE, PROVINCE_NAME = "110000", "北京市"
TOOLS = ("soffice", "pdftotext", "pdftoppm")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_tools() -> None:
    """Skip locally without LibreOffice and poppler; in CI (which installs them) their absence is a failure."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"missing {', '.join(missing)} (apt-get install libreoffice-calc-nogui poppler-utils)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


def libreoffice_convert(workbook: Path, outdir: Path, to: str) -> Path:
    """Open a workbook in headless LibreOffice and save it as `to` (pdf, or xlsx as Calc saves it) in outdir, using a
    throw-away user profile."""
    profile = outdir / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    converted = outdir / f"{workbook.stem}.{to.split(':')[0]}"
    assert converted.exists(), f"LibreOffice wrote no {converted.name}"
    return converted


def render_pdf(workbook: Path, outdir: Path) -> Path:
    """Convert a workbook to PDF with headless LibreOffice."""
    return libreoffice_convert(workbook, outdir, "pdf")


def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with form feeds)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def compact(text: str) -> str:
    """Text without whitespace, so labels wrapped over lines in a cell still match."""
    return "".join(text.split())


def first_page_of(pages: list[str], marker: str) -> int:
    """The 1-based number of the first page whose text contains marker."""
    return next(number for number, text in enumerate(pages, 1) if compact(marker) in compact(text))


def render_png(pdf: Path, page: int, target: Path) -> Path:
    """One page of a PDF as a PNG at 80 dpi."""
    prefix = target.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return target


def render_census_template(workdir: Path) -> tuple[Path, list[str]]:
    """Write the census template for Beijing and render it; returns the PDF and its pages' text."""
    workbook = workdir / "census-template.xlsx"
    write_template(workbook, "census", PROVINCE_CODE)
    pdf = render_pdf(workbook, workdir)
    return pdf, page_texts(pdf)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    require_tools()
    return render_census_template(tmp_path_factory.mktemp("render"))


def test_every_label_appears_in_the_rendered_template(rendered):
    _, pages = rendered
    text = compact("\n".join(pages))
    missing = [f.label for f in CENSUS_FORM.fields if compact(f.label) not in text]
    assert missing == []
    for needle in (f"{CENSUS_FORM.title}填表说明", CENSUS_FORM.version, PROVINCE_NAME, "错误清单"):
        assert compact(needle) in text


def test_instructions_come_first_and_the_data_sheet_has_its_own_pages(rendered):
    _, pages = rendered
    assert compact(f"{CENSUS_FORM.title} {INSTRUCTIONS_SHEET}") in compact(pages[0])
    data_page = first_page_of(pages, data_sheet_title(CENSUS_FORM, PROVINCE_NAME, CENSUS_FORM.version))
    assert data_page > 1
    # The header row is on the data sheet's first page, not only in the instructions.
    assert compact("统一社会信用代码") in compact(pages[data_page - 1])
    assert compact("单位名称") in compact(pages[data_page - 1])


def test_every_printed_page_of_a_data_sheet_is_headed_by_its_title_and_whole_statutory_marks(rendered):
    _, pages = rendered
    title = compact(data_sheet_title(CENSUS_FORM, PROVINCE_NAME, CENSUS_FORM.version))
    marks = compact("表号：GYDA-1表")
    sheet_pages = [compact(text) for text in pages if marks in compact(text)]
    assert len(sheet_pages) > 1  # the sheet is wider than a page
    # Each page once, in the page's header: the title row, its marks overflowing to the right, was cut on the first
    # page (printed twice there, once cut) and the later pages had no title.
    assert all(text.count(marks) == 1 and title in text for text in sheet_pages)
    assert all("有效期至：待批准（备案）后填写" in text for text in sheet_pages)


def test_first_pages_render_to_png(rendered, tmp_path):
    pdf, pages = rendered
    data_page = first_page_of(pages, data_sheet_title(CENSUS_FORM, PROVINCE_NAME, CENSUS_FORM.version))
    for page in (1, data_page):
        png = render_png(pdf, page, tmp_path / f"page-{page}.png")
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        # A4 landscape at 80 dpi.
        assert abs(width - 935) <= 5 and abs(height - 661) <= 5, (width, height)


@pytest.mark.parametrize(
    ("ci", "outcome"), [("1", pytest.fail.Exception), ("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_missing_tools_fail_in_ci_and_skip_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome):
        require_tools()


def refresh_docs_pictures() -> list[Path]:
    """Render page 1 of the data sheet and of the instructions of the census template into docs/."""
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        pdf, pages = render_census_template(Path(workdir))
        data_page = first_page_of(pages, data_sheet_title(CENSUS_FORM, PROVINCE_NAME, CENSUS_FORM.version))
        return [
            render_png(pdf, data_page, DOCS / "template-census-page1.png"),
            render_png(pdf, 1, DOCS / "template-census-instructions-page1.png"),
        ]


if __name__ == "__main__":
    for picture in refresh_docs_pictures():
        sys.stdout.write(f"{picture}\n")
