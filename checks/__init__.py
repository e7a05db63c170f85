"""Validation of returns: suites built from census_schema rules, and the rules GX cannot express."""

from checks.deferred_imports import defer_unused_imports

# Before any module of this package imports Great Expectations (checks.deferred_imports says why).
defer_unused_imports()
