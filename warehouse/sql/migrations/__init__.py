"""Numbered migrations `NNN_name.sql`, applied in order by `warehouse.migrations`."""
