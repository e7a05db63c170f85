"""On-demand benchmarks (never part of the test suite): `./dev bench [ingest|pages|checks]`; results in RESULTS.md."""
