"""The reminders panel (overview, inspections, and the upload page of the offices that have no overview): the latest
daily reminders within the viewer's scope."""

from __future__ import annotations

from datetime import date
from typing import Any

from dash import html

from dash_app.access import Viewer, scope_province, visible_submissions
from dash_app.context import AppContext
from dash_app.formatting import format_date
from warehouse.reminders import DUE_SOON, NOT_REPORTED, OVERDUE, RETURNED, query_reminders

SHOWN = 8


def load_reminders(
    context: AppContext, viewer: Viewer, kinds: tuple[str, ...], province: str | None = None
) -> list[dict[str, Any]]:
    """The latest day's reminders of some kinds: only the viewer's province for a provincial user; for a national user
    those of `province` when one is chosen, else all."""
    with context.reader.cursor() as con:
        return query_reminders(con, province_code=scope_province(viewer) or province, kinds=kinds)


def load_own_returned(context: AppContext, viewer: Viewer) -> list[dict[str, Any]]:
    """The latest day's reminders of returns sent back that the viewer may see, for an office whose scope is below a
    province or a central channel (it has no overview): its own returns', and a prefecture's its counties'."""
    with context.reader.cursor() as con:
        visible = {s["submission_id"] for s in visible_submissions(con, viewer)}
        reminders = query_reminders(con, kinds=(RETURNED,))
    return [r for r in reminders if r["submission_id"] in visible]


def reminders_panel(reminders: list[dict[str, Any]], title: str, today: date) -> html.Div:
    """A short list of reminders (the first few; the rest folded under a line saying how many), or a line saying
    there are none; the latest reminders made before `today` say that they are old (the daily reminders did not run
    since)."""
    if not reminders:
        return html.Div([html.H2(title), html.P("今日无提醒。", className="hint")], className="reminders")
    day = reminders[0]["generated_on"]
    items = [html.Li(f"【{r['kind']}】{r['scope_name']}：{r['message']}") for r in reminders]
    # The rest within reach (it said 仅列出前 8 条 with no way to the ninth).
    more = (
        [
            html.Details(
                [html.Summary(f"共 {len(reminders)} 条，其余 {len(reminders) - SHOWN} 条"), html.Ul(items[SHOWN:])]
            )
        ]
        if len(reminders) > SHOWN
        else []
    )
    old = (
        [
            html.P(
                f"这是{format_date(day)}生成的提醒，此后（至今日{format_date(today)}）没有生成新的提醒：其中的期限和"
                "天数以生成那天为准，现状以本页的数字为准；每日提醒由 archive-census reminders 生成。",
                className="error",
            )
        ]
        if day < today
        else []
    )
    heading = f"{title}（{format_date(day)}生成）"
    return html.Div([html.H2(heading), *old, html.Ul(items[:SHOWN]), *more], className="reminders")


REPORTING_KINDS = (NOT_REPORTED, RETURNED)
FINDING_KINDS = (OVERDUE, DUE_SOON)
