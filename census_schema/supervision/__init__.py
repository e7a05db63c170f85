"""Supervision as data and pure functions: inspection checklists and grading, rectification, evaluation, plan indicators."""
