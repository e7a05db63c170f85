"""Process-wide test settings: Prefect stays offline and quiet."""

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Data Docs cost ~0.5 s and ~4 MB per validation; one test switches them back on to check they are written.
os.environ.setdefault("ARCHIVE_CENSUS_DATA_DOCS", "0")
