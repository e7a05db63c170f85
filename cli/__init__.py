"""The `archive-census` command line: the composition root above every other package."""

import os

# polars' allocator (jemalloc) hands freed pages back to the system 0.5-1 s after they are freed (polars sets
# `dirty_decay_ms:500,muzzy_decay_ms:1000` and appends this variable to it); the command line and the web server it
# starts hand them back at once: a 100,000-row ingestion then peaks ~55 MiB lower for ~2 % more time
# (benchmarks/RESULTS.md). Read when polars loads, so set here, before anything imports it; a value already in the
# environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
