"""The supervision summary: findings, inspections, the evaluation round and plan indicators in one object."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from census_schema.census_form import ROUND_ID
from warehouse.evaluation import DEFAULT_ROUND, summarize_evaluation
from warehouse.indicators import summarize_indicators
from warehouse.inspections import summarize_findings, summarize_inspections


def query_supervision_summary(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    evaluation_round: str = DEFAULT_ROUND,
    census_round: str = ROUND_ID,
) -> dict[str, Any]:
    """What `archive-census supervision summary --json` prints (docs/interfaces-supplement.md); overdue as of a day."""
    return {
        "as_of": as_of.isoformat(),
        "inspections": summarize_inspections(con),
        "findings": summarize_findings(con, as_of),
        "evaluation": summarize_evaluation(con, evaluation_round),
        "indicators": summarize_indicators(con, as_of, census_round),
    }
