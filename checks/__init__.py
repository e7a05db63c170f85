"""Validation of returns: suites built from census_schema rules, and the rules GX cannot express."""
