"""Prefect flows and the plain functions they sequence: identify, parse, report, ingest."""
