"""Reviewing a return, with what its review changes elsewhere: a register returned or accepted again changes the
register the current census returns are compared with, so they are judged again in the review's transaction."""

from __future__ import annotations

from typing import Any

import duckdb

from flows.ingest import REJUDGED_AFTER, rejudge_current_returns
from warehouse.reviews import Action, RecountedSubmission, Reviewer, review_submission


def review_and_rejudge(
    con: duckdb.DuckDBPyConnection, submission_id: str, action: Action, reviewer: Reviewer, reason: str | None
) -> dict[str, Any]:
    """Review a submission (`review_submission`); the change, with `returns_rejudged`: how many current returns'
    warnings changed when the review took a register out of the figures or put it back (None otherwise)."""
    rejudged: list[int] = []

    def rejudge(con: duckdb.DuckDBPyConnection, recounted: RecountedSubmission) -> None:
        if recounted.kind in REJUDGED_AFTER:
            rejudged[:] = [
                rejudge_current_returns(
                    con, recounted.kind, recounted.round_id, recounted.province_code, recounted.scope
                )
            ]

    change = review_submission(con, submission_id, action, reviewer, reason, on_recount=rejudge)
    return {**change, "returns_rejudged": rejudged[0] if rejudged else None}
