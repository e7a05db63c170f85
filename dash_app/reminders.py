"""The reminders panel (overview, inspections, and the upload page of the offices that have no overview): the latest
daily reminders within the viewer's scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from dash import html

from census_schema.clock import to_beijing
from census_schema.roles import Role
from dash_app.access import Viewer, scope_province, visible_submissions
from dash_app.context import AppContext
from dash_app.formatting import format_date, format_datetime
from warehouse.queries import query_data_as_of
from warehouse.reminders import (
    KIND_ORDER,
    NOT_REPORTED,
    RETURNED,
    latest_reminder_day,
    query_reminders,
    reminders_generated_at,
)

# Each kind's reminders shown before the rest are folded.
SHOWN = 5
# What to do about reminders not made for days.
ASK_ADMIN = "提醒应在每天早上（北京时间 6:30）自动生成，多日未更新请联系系统管理员。"


def load_reminders(
    context: AppContext, viewer: Viewer, kinds: tuple[str, ...], province: str | None = None
) -> list[dict[str, Any]]:
    """The latest day's reminders of some kinds: only the viewer's province for a provincial user; for a national user
    those of `province` when one is chosen, else all."""
    with context.reader.cursor() as con:
        return query_reminders(con, province_code=scope_province(viewer) or province, kinds=kinds)


def load_own_reminders(context: AppContext, viewer: Viewer) -> list[dict[str, Any]]:
    """The latest day's reminders of an office whose scope is below a province or a central channel (it has no
    overview): the returns sent back that it may see (its own, and a prefecture's its counties'), and a central
    channel's workbooks it has not reported."""
    scope = viewer.scope
    channel = scope.name if viewer.role is Role.CENTRAL and scope is not None else None
    with context.reader.cursor() as con:
        visible = {s["submission_id"] for s in visible_submissions(con, viewer)}
        reminders = query_reminders(con, kinds=(NOT_REPORTED, RETURNED))
    return [
        r
        for r in reminders
        if r["submission_id"] in visible
        or (r["kind"] == NOT_REPORTED and r["province_code"] is None and r["scope_name"] == channel)
    ]


def reminders_section(
    context: AppContext, reminders: list[dict[str, Any]], title: str, current: Sequence[dict[str, Any]] = ()
) -> html.Div:
    """`reminders_panel` on the platform's day, with when the reminders were made and the data last changed."""
    with context.reader.cursor() as con:
        made, changed, latest = reminders_generated_at(con), query_data_as_of(con), latest_reminder_day(con)
    return reminders_panel(reminders, title, context.settings.today(), made, changed, current, latest)


def reminders_panel(
    reminders: list[dict[str, Any]],
    title: str,
    today: date,
    made: datetime | None = None,
    changed: datetime | None = None,
    current: Sequence[dict[str, Any]] = (),
    latest: date | None = None,
) -> html.Div:
    """A short list of the latest day's reminders (written at `made`), each kind's first few (the rest folded under a
    line saying how many: overdue provinces hid every finding soon due), after those counted `current`ly (said so);
    or a line saying there are none. The latest reminders made before today say that they are old (the daily
    reminders did not run since); data `changed` after they were made says so too (their counts read against the
    page's live ones). `latest` is the day of the latest reminders of any kind or scope: when it is before today,
    an empty panel says they are old too (it said 今日无提醒 after months without reminders)."""
    if not reminders and not current:
        if latest is not None and latest < today:
            stale = f"{format_date(latest)}生成的提醒中没有本栏的提醒，{_not_since(today)}。{ASK_ADMIN}"
            return html.Div([html.H2(title), html.P(stale, className="error")], className="reminders")
        return html.Div([html.H2(title), html.P("今日无提醒。", className="hint")], className="reminders")
    day = reminders[0]["generated_on"] if reminders else today
    # Counted on the page's day, said beside reminders generated on another (截至目前 read as running to today, where
    # the demo's day is fixed); the heading says the day when there are none.
    counted = f"（截至{format_date(today)}）" if reminders else ""
    now = [{**r, "message": f"{r['message'].rstrip('。')}{counted}。"} for r in current]
    sections: list[Any] = []
    for kind in dict.fromkeys(r["kind"] for r in [*now, *reminders]):
        items = [
            html.Li(f"【{kind}】{r['scope_name']}：{r['message']}") for r in [*now, *reminders] if r["kind"] == kind
        ]
        sections.append(html.Ul(items[:SHOWN]))
        if len(items) > SHOWN:
            # The rest within reach (it said 仅列出前 8 条 with no way to the ninth).
            sections.append(
                html.Details(
                    [html.Summary(f"{kind}共 {len(items)} 条，其余 {len(items) - SHOWN} 条"), html.Ul(items[SHOWN:])]
                )
            )
    notes = []
    if reminders and day < today:
        notes.append(
            html.P(
                f"这是{format_date(day)}生成的提醒，{_not_since(today)}：其中的期限和天数以生成那天为准，"
                f"现状以本页的数字为准。{ASK_ADMIN}",
                className="error",
            )
        )
    elif reminders and made is not None and changed is not None and changed > made:
        notes.append(
            html.P(
                f"提醒生成（{format_datetime(made)}）之后数据又有变化（最近一次在 {format_datetime(changed)}）："
                "提醒中的个数和天数以生成时为准，现状以本页的数字为准。",
                className="hint",
            )
        )
    same_day = made is not None and to_beijing(made).date() == day
    # Counted now only (a prefecture's own overdue findings): the day they are counted on, as generated ones say theirs.
    heading = f"{title}（{format_datetime(made) if same_day else format_date(day)}生成）" if reminders else None
    heading = heading or f"{title}（截至{format_date(today)}）"
    return html.Div([html.H2(heading), *notes, *sections], className="reminders")


REPORTING_KINDS = KIND_ORDER[:2]
FINDING_KINDS = KIND_ORDER[2:]


def _not_since(today: date) -> str:
    """That no reminders were made since the day of those shown."""
    return f"此后（至今日{format_date(today)}）没有生成新的提醒"
