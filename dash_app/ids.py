"""Component ids, one place for all pages (callbacks and browser tests refer to these)."""

URL = "url"
NAV = "nav"

OVERVIEW_METRIC = "overview-metric"
OVERVIEW_MAP = "overview-map"
OVERVIEW_CARDS = "overview-cards"
OVERVIEW_RED = "overview-red"

COVERAGE_CRUMBS = "coverage-crumbs"
COVERAGE_GRID = "coverage-grid"
COVERAGE_MISSING_GRID = "coverage-missing-grid"
COVERAGE_UNREGISTERED_GRID = "coverage-unregistered-grid"

QUALITY_GRID = "quality-grid"
QUALITY_TREND = "quality-trend"
QUALITY_ERRORS_GRID = "quality-errors-grid"
QUALITY_WARNINGS_GRID = "quality-warnings-grid"
QUALITY_DUPLICATES_GRID = "quality-duplicates-grid"
QUALITY_OUTLIERS_GRID = "quality-outliers-grid"

SUBMISSIONS_GRID = "submissions-grid"
SUBMISSIONS_REVIEW_ID = "submissions-review-id"
SUBMISSIONS_REVIEW_REASON = "submissions-review-reason"
SUBMISSIONS_ACCEPT = "submissions-accept"
SUBMISSIONS_RETURN = "submissions-return"
SUBMISSIONS_REVIEW_RESULT = "submissions-review-result"
SUBMISSIONS_DATA_DOCS_LINK = "submissions-data-docs-link"
LINEAGE_USCC = "lineage-uscc"
LINEAGE_GRID = "lineage-grid"

UPLOAD_POLL = "upload-poll"
UPLOAD_STATUS = "upload-status"
UPLOAD_FAILURES_GRID = "upload-failures-grid"


def export_button(grid_id: str) -> str:
    """The id of a grid's export-to-Excel button."""
    return f"{grid_id}-export"


def export_download(grid_id: str) -> str:
    """The id of a grid's download target."""
    return f"{grid_id}-download"


def breakdown_choice(page: str) -> str:
    """The id of a page's breakdown selector."""
    return f"{page}-breakdown-choice"


def breakdown_graph(page: str) -> str:
    """The id of a page's breakdown chart."""
    return f"{page}-breakdown-graph"
