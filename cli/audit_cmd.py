"""`audit`: the audit log of state changes and sign-ins, newest first, times in Beijing time."""

from __future__ import annotations

import argparse
import json
from typing import Any

from census_schema.audit import AuditKind, action_label
from census_schema.clock import to_beijing
from census_schema.errors import UsageError
from census_schema.fields import show_unseen
from census_schema.settings import load_settings
from cli.main import display_width, emit_json, parse_day
from cli.warehouse_cmd import format_table
from dash_app.audit_rows import AUDIT_HEADERS, shown_row
from dash_app.webstate import pending_events
from warehouse.audit import COLUMNS as AUDIT_COLUMNS
from warehouse.audit import describe_unknown_actor, names_in_time, require_kind, search_audit_log
from warehouse.backends import open_warehouse


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """An event for `--json`: UTC and Beijing times, states as JSON objects, Chinese names beside the codes."""
    return {
        "event_id": row["event_id"],
        "occurred_at": row["occurred_at"].isoformat(timespec="seconds") + "Z",
        "occurred_at_beijing": to_beijing(row["occurred_at"]).isoformat(timespec="seconds"),
        "actor": row["actor"],
        "via": row["via"],
        "source_address": row["source_address"],
        "kind": row["kind"],
        "kind_label": AuditKind(row["kind"]).label,
        "action": row["action"],
        "action_label": action_label(row["action"], row["kind"]),
        "target": row["target"],
        "before": None if row["before_state"] is None else json.loads(row["before_state"]),
        "after": None if row["after_state"] is None else json.loads(row["after_state"]),
        "reason": row["reason"],
    }


# The widest a cell of the text table is (a 200-character comment made every line ~3,300 columns wide); --json keeps
# every value whole.
MAX_CELL_WIDTH = 100
CLIPPED_NOTE = "过长的内容已截断，以 … 标出；完整内容请用 --json 查看，或在网页的审计日志中点击该行。"


def clip_cell(text: str, width: int = MAX_CELL_WIDTH) -> str:
    """A cell of the text table (its invisible characters already shown as codes) at most `width` terminal columns
    wide, cut with …."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += display_width(char)
        if used > width - 1:  # room for the …
            break
        kept.append(char)
    return "".join(kept) + "…"


# The most events one listing prints (the log's whole history is far fewer; a bigger number was an internal error).
MAX_LIMIT = 1_000_000


def run_audit(args: argparse.Namespace) -> int:
    """Print the events that match (`--since`, `--until` in Beijing days, `--kind`, `--by`)."""
    settings = load_settings(args.db, args.warehouse)
    kind = None if args.kind is None else require_kind(args.kind.strip()).value
    since, until = parse_day(args.since, "--since"), parse_day(args.until, "--until")
    if not 1 <= args.limit <= MAX_LIMIT:
        raise UsageError(
            f"--limit 须为 1 到 {MAX_LIMIT:,} 之间的整数（给的是 {args.limit:,}）。",
            hint="要看全部，请去掉 --limit 并用 --since、--until、--kind 等条件缩小范围。",
        )
    with open_warehouse(settings).reader() as con:
        unknown = describe_unknown_actor(con, args.by)
        rows = search_audit_log(
            con,
            pending_events(settings.var_dir),
            actor=args.by,
            kind=kind,
            since=since,
            until=until,
            limit=args.limit,
        )
        names = names_in_time(con)
    if args.json:
        emit_json({"count": len(rows), "events": [as_json(row) for row in rows]})
        return 0
    if not rows and unknown:
        print(unknown)
        return 0
    # As the web's /audit reads them: archives and users by name, what changed item by item.
    shown = [shown_row(r, names) for r in rows]
    keys = AUDIT_COLUMNS[1:]  # all but the event's id
    whole = [tuple(show_unseen(str(row[key] or "")) for key in keys) for row in shown]
    table = [tuple(clip_cell(cell) for cell in row) for row in whole]
    print(format_table(tuple(AUDIT_HEADERS[key] for key in keys), table))
    print(f"共 {len(rows)} 条。" + (CLIPPED_NOTE if table != whole else ""))
    return 0
