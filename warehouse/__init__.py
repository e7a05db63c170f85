"""The DuckDB warehouse: migrations, loads and queries."""
