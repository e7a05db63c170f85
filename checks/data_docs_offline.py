"""GX Data Docs that work without the internet: each page's CDN scripts, styles and logo loaded from local copies.

GX 1.x's pages load jQuery, Bootstrap, bootstrap-table and Font Awesome from public CDNs and draw their tables with
them: where the CDNs cannot be reached (the bureau's network), every page is blank. The copies live in
`checks/data_docs_assets/` (what each is and its licence: its README); they are copied into the sites' shared static
folder and every page is rewritten to load them by relative path, so a site needs nothing but its own server.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from functools import cache
from pathlib import Path

ASSETS = Path(__file__).with_name("data_docs_assets")
# The folder of the copies inside a site's `static/` (one shared folder for every site: `share_static_assets`).
VENDOR = "vendor"
# Each CDN address GX 1.x's templates load, and the copy it becomes; None: a stylesheet left out (a dark theme).
CDN_COPIES: dict[str, str | None] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table/bootstrap-table-filter-control.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": None,
}
# Vega draws the charts of expectations this project's suites do not use: its tags go unless a page draws one.
VEGA = (
    "https://cdn.jsdelivr.net/npm/vega@5",
    "https://cdn.jsdelivr.net/npm/vega-lite@5",
    "https://cdn.jsdelivr.net/npm/vega-embed@6",
)
# GX's logo (light and dark), shown from the copy every site's static/images holds.
_LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/(?:full_logo_dark|logo-long)\.png"
    r"(?:\?[^\"'\s)]*)?"
)
# GX's footer asking the reader to subscribe to its newsletter, a link out of the bureau's network: left out.
_NEWSLETTER = re.compile(
    r"[ \t]*<footer>\s*<p>Stay current on everything GX with our newsletter.*?</footer>\n?", re.DOTALL
)
# Raised when `rewrite_page` changes what it does, so sites rewritten before are rewritten again.
REWRITE_VERSION = b"2: newsletter footer left out"
# GX's link to its icon, one folder short on validation pages (a request outside the site, refused).
_FAVICON = re.compile(r'href="(?:\./|(?:\.\./)*)static/images/favicon\.ico"')


def make_offline(site: Path) -> None:
    """Copy the assets into the site's static folder (once) and point each of its pages at them; idempotent, and
    cheap once done (a site rewritten with these assets says so in its `.offline` file)."""
    mark = site / ".offline"
    if mark.is_file() and mark.read_text(encoding="utf-8") == _assets_digest():
        return
    _install_assets(site / "static" / VENDOR)
    for page in sorted(site.rglob("*.html")):
        relative = page.relative_to(site)
        if relative.parts[0] == "static":
            continue
        text = page.read_text(encoding="utf-8")
        rewritten = rewrite_page(text, "../" * (len(relative.parts) - 1))
        if rewritten != text:
            partial = page.with_name(f".{page.name}.partial")
            partial.write_text(rewritten, encoding="utf-8")
            partial.replace(page)
    mark.write_text(_assets_digest(), encoding="utf-8")


@cache
def _assets_digest() -> str:
    """What identifies this code's copies and rewriting: each file's name and content, and REWRITE_VERSION."""
    digest = hashlib.sha256(REWRITE_VERSION)
    for path in sorted(ASSETS.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(ASSETS).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def rewrite_page(html: str, to_site: str) -> str:
    """A page's HTML loading the local copies; `to_site` is the relative path from the page to the site's root."""
    for address, copy in CDN_COPIES.items():
        html = _drop_tags(html, address) if copy is None else html.replace(address, f"{to_site}static/{VENDOR}/{copy}")
    if "vegaEmbed(" not in html:
        for address in VEGA:
            html = _drop_tags(html, address)
    html = _NEWSLETTER.sub("", html)
    html = _FAVICON.sub(f'href="{to_site}static/images/favicon.ico"', html)
    return _LOGO.sub(f"{to_site}static/images/logo-long.png", html)


def _drop_tags(html: str, address: str) -> str:
    quoted = re.escape(address)
    html = re.sub(rf'[ \t]*<script\b[^>]*\bsrc="{quoted}"[^>]*>\s*</script>[ \t]*\n?', "", html)
    return re.sub(rf'[ \t]*<link\b[^>]*\bhref="{quoted}"[^>]*>[ \t]*\n?', "", html)


def _install_assets(target: Path) -> None:
    """The copies in the shared static folder, replaced whole when they differ from this code's (a new version)."""
    mark = target / ".digest"
    if mark.is_file() and mark.read_text(encoding="utf-8") == _assets_digest():
        return
    partial = target.with_name(f".{VENDOR}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(ASSETS, partial)
    (partial / ".digest").write_text(_assets_digest(), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another process installed them meanwhile
