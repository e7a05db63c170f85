"""The forms as data: fields, code lists, rules, reference data and templates; the single source of truth."""
