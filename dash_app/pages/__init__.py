"""One module per page; the shell registers them in this order."""

from dash_app.pages import (
    audit,
    coverage,
    evaluation,
    indicators,
    inspections,
    overview,
    quality,
    submissions,
    upload,
)

PAGES = (overview, coverage, quality, inspections, evaluation, indicators, submissions, upload, audit)
