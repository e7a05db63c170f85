"""Seeded synthetic data for demos, tests and benchmarks: census registers and returns, supervision workbooks, a
valid holder. Generated from the forms in `census_schema` by the rules in `supervision`."""
