"""One module per page; the shell registers them in this order."""

from dash_app.pages import coverage, overview, quality, submissions, upload

PAGES = (overview, coverage, quality, submissions, upload)
