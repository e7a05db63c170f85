"""The scope policy of an upload: which holders other scopes already hold, and whether it would shrink its scope.

A holder is counted in at most one current accepted return (checks refuse a row held by another scope's return:
`uscc_in_other_return`). A new return replaces only its own scope's current return; if it leaves out more than
`Settings.shrink_limit_pct` percent of that return's holders, it is loaded only when the uploader confirms it
(`--confirm-shrink`, or the web page's confirmation step), so a two-row file can no longer silently replace a
919-row return. Facts are read from a snapshot for the checks and again under the writer lock before loading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import polars as pl

from census_schema.census_form import AnnualStatistics
from census_schema.errors import CensusError
from census_schema.fields import WorkbookForm
from census_schema.scopes import Scope, ScopeReturn
from warehouse.reviews import progress_given
from warehouse.scopes import (
    fetch_holders_elsewhere,
    fetch_scope_annual_stats,
    fetch_scope_register_usccs,
    fetch_scope_return,
)
from warehouse.store import WarehouseStore
from warehouse.users import account_named


class ScopeChanged(CensusError):
    """Between validation and loading, another upload changed what the return's scope rules depend on."""

    exit_code = 1


@dataclass(frozen=True)
class ScopeFacts:
    """What the warehouse holds for an upload's scope: its current return and holders, the uploaded holders that
    other scopes' current returns hold, and (central channels) the registers to check against and the annual
    statistics they give."""

    current: ScopeReturn | None
    current_holders: tuple[Mapping[str, Any], ...]
    held_elsewhere: Mapping[str, ScopeReturn]
    register_usccs: frozenset[str] | None = None
    annual_stats: Mapping[str, AnnualStatistics] | None = None


def holder_codes(book: WorkbookForm, sheets: Mapping[str, pl.DataFrame]) -> frozenset[str]:
    """The usccs of the holders an upload lists (its first sheet)."""
    rows = sheets.get(book.sheets[0].sheet_name)
    if rows is None or "uscc" not in rows.columns:
        return frozenset()
    return frozenset(code for code in rows.get_column("uscc").to_list() if code)


def fetch_scope_facts(
    con: duckdb.DuckDBPyConnection, book: WorkbookForm, scope: Scope, usccs: Iterable[str]
) -> ScopeFacts:
    """The scope facts of an upload, read through an open connection."""
    current, holders = fetch_scope_return(con, book.kind, scope, book.round_id)
    elsewhere = fetch_holders_elsewhere(con, book.kind, scope, book.round_id, usccs)
    registers = fetch_scope_register_usccs(con, scope, book.round_id) if scope.is_central else None
    annual = fetch_scope_annual_stats(con, scope, book.round_id) if scope.is_central else None
    return ScopeFacts(current, tuple(holders), elsewhere, registers or None, annual)


def read_scope_facts(store: WarehouseStore, book: WorkbookForm, scope: Scope, usccs: frozenset[str]) -> ScopeFacts:
    """The scope facts of an upload, from the latest published snapshot (never blocks a writer)."""
    with store.reader() as con:
        return fetch_scope_facts(con, book, scope, usccs)


# Said of a rejected return's shrinkage (nothing was loaded, nothing is to confirm; a holder whose code has an error
# in the new return does not match its old code, so counts as left out until it is corrected).
REJECTED_SHRINK_NOTE = (
    "（本表未通过校验，未装载，无需确认；统一社会信用代码填错的单位也按减少计，改正后重新上传时再核对）"
)


# Said when the return giving up a scope's holders is empty (the blank template sent by mistake looks the same).
EMPTY_RETURN_NOTE = (
    "本表是空表，没有任何普查对象：装载后，该范围原有的普查对象全部不再计入。只有该范围确已没有普查对象"
    "（如已全部改由其他范围报送）时才应确认；误传了空模板的，请勿确认，上传填好的工作簿即可"
)
# Said once an empty return was loaded, confirmed (the advice before the confirmation no longer applies).
EMPTY_RETURN_LOADED_NOTE = (
    "本表是空表，已装载：该范围原有的普查对象全部不再计入。如系误传了空模板，请上传填好的工作簿替换本表"
)


def empty_return_note(status: str) -> str:
    """What an empty return that gives up its scope's holders is told: before the confirmation, or once loaded."""
    return EMPTY_RETURN_LOADED_NOTE if status == "accepted" else EMPTY_RETURN_NOTE


def drop_phrase(dropped: int, dropped_pct: float, limit_pct: float) -> str:
    """减少 N 个（x%，允许 y%）: how many holders a return leaves out, against the limit."""
    return f"减少 {dropped:,} 个（{dropped_pct:.2f}%，允许 {limit_pct:g}%）"


@dataclass(frozen=True)
class Shrinkage:
    """Holders of the scope's current return that a new return leaves out, against the limit."""

    current: ScopeReturn
    current_count: int
    dropped: tuple[Mapping[str, Any], ...]
    limit_pct: float
    confirmed: bool

    @property
    def dropped_pct(self) -> float:
        """Dropped holders as a percentage of the current return's, rounded half up to 2 decimals."""
        share = Decimal(len(self.dropped) * 100) / Decimal(max(self.current_count, 1))
        return float(share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    @property
    def exceeds_limit(self) -> bool:
        """More than the limit would drop out."""
        return len(self.dropped) * 100 > self.limit_pct * self.current_count

    @property
    def blocks(self) -> bool:
        """The return may not be loaded: over the limit and not confirmed."""
        return self.exceeds_limit and not self.confirmed

    def describe(self) -> str:
        """One paragraph for the uploader."""
        return (
            f"与{self.current.describe()}（{self.current_count:,} 个普查对象）相比，本表"
            f"{drop_phrase(len(self.dropped), self.dropped_pct, self.limit_pct)}，超过允许的比例。"
        )

    def to_json(self) -> dict[str, Any]:
        """The `shrink` object of `ingest --json`."""
        return {
            "current": self.current.to_json(),
            "current_holders": self.current_count,
            "dropped": len(self.dropped),
            "dropped_pct": self.dropped_pct,
            "limit_pct": self.limit_pct,
            "exceeds_limit": self.exceeds_limit,
            "confirmed": self.confirmed,
            "holders": [dict(holder) for holder in self.dropped],
        }


def measure_shrinkage(facts: ScopeFacts, usccs: frozenset[str], limit_pct: float, confirmed: bool) -> Shrinkage | None:
    """The holders the upload would drop from its scope's current return (None when it drops none)."""
    if facts.current is None:
        return None
    dropped = tuple(holder for holder in facts.current_holders if holder["uscc"] not in usccs)
    if not dropped:
        return None
    return Shrinkage(facts.current, len(facts.current_holders), dropped, limit_pct, confirmed)


def group_conflicts(held_elsewhere: Mapping[str, ScopeReturn], rows: pl.DataFrame | None) -> list[dict[str, Any]]:
    """The returns that already hold some of the uploaded holders, each with those holders (code, name, and the first
    row naming it: a holder written on many rows is one holder, its repeats the duplicate rule's)."""
    if not held_elsewhere or rows is None:
        return []
    by_return: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for row in rows.select("uscc", "unit_name", "excel_row").iter_rows(named=True):
        held = held_elsewhere.get(row["uscc"]) if row["uscc"] else None
        if held is None or row["uscc"] in seen:
            continue
        seen.add(row["uscc"])
        entry = by_return.setdefault(held.submission_id, {**held.to_json(), "holders": []})
        entry["holders"].append({"uscc": row["uscc"], "unit_name": row["unit_name"], "row": row["excel_row"]})
    return list(by_return.values())


def confirmed_against(current: ScopeReturn | None, confirmed: bool, confirmed_current: str | None) -> bool:
    """Whether a confirmation holds for the scope's current return: given against that very return (`confirmed_current`,
    the web's), or without naming one (the command line's --confirm-shrink)."""
    if not confirmed or confirmed_current is None:
        return confirmed
    return current is not None and current.submission_id == confirmed_current


def another_s_return(
    con: duckdb.DuckDBPyConnection, current: ScopeReturn | None, uploader: str, confirmed: str | None
) -> ScopeReturn | None:
    """The scope's current return when it is another's to the uploader, who has not agreed to replace that very
    return (`confirmed`: its submission id): one another platform account sent (the scope's own office, a colleague,
    a level above sending for the scope: named with its office), or one the command line loaded under a name that is
    no account, to an office not the scope's own (a province replacing its prefecture's return). None when the upload
    may replace it: its own, the one confirmed, one loaded for the uploader's own scope, or the bureau's. Either way
    round: a county replacing the return its province sent for it removes that return's figures and review progress
    as surely as the reverse."""
    if current is None or current.submitted_by == uploader or current.submission_id == confirmed:
        return None
    sender = account_named(con, current.submitted_by)
    if sender is not None:
        return replace(current, sender_office=sender.office)
    # The bureau's own uploads for the channels replace what its command line loaded, as before.
    own = account_named(con, uploader)
    return None if own is None or own.scope is None or own.scope == current.scope else current


def reviewed_return(
    con: duckdb.DuckDBPyConnection, current: ScopeReturn | None, confirmed: str | None
) -> ScopeReturn | None:
    """The scope's current return when a reviewer has moved it on (passed at some level, or 已审核) and the uploader
    has not agreed to replace that very return: replacing it voids the reviewers' conclusions (a prefecture's upload
    over its own return undid the bureau's 已审核 without a question). None for any other."""
    if current is None or current.is_returned or current.submission_id == confirmed:
        return None
    row = con.execute(
        "SELECT review_state, review_stage FROM submissions WHERE submission_id = ?", [current.submission_id]
    ).fetchone()
    if row is None or row[0] is None:
        return None
    given = progress_given(con, current.submission_id, row[0], row[1], current.scope, current.submitted_by)
    return current if given else None


def return_to_confirm(
    con: duckdb.DuckDBPyConnection, current: ScopeReturn | None, uploader: str, confirmed: str | None
) -> ScopeReturn | None:
    """The current return a web upload may replace only once its uploader confirms that very return: another's
    (`another_s_return`), or one a reviewer has moved on (`reviewed_return`)."""
    return another_s_return(con, current, uploader, confirmed) or reviewed_return(con, current, confirmed)


def recheck_before_load(
    con: duckdb.DuckDBPyConnection,
    book: WorkbookForm,
    scope: Scope,
    usccs: frozenset[str],
    limit_pct: float,
    confirmed: bool,
    uploader: str | None = None,
    confirmed_current: str | None = None,
) -> tuple[ScopeReturn | None, Shrinkage | None]:
    """Under the writer lock: refuse (ScopeChanged) when, since validation, another scope's return took some of the
    holders or this scope's current return changed so that the upload would now drop too many unconfirmed; else the
    scope's current return as it is now (the one the upload replaces: another upload may have replaced the one seen
    at validation) and the holders the upload drops from it (what the outcome says: it named the return seen at
    validation beside the one replaced)."""
    facts = fetch_scope_facts(con, book, scope, usccs)
    if facts.held_elsewhere:
        first = next(iter(facts.held_elsewhere.values())).seen_from(scope)
        raise ScopeChanged(
            f"装载前发现本表的 {len(facts.held_elsewhere)} 个普查对象刚刚已列入{first.describe()}等报表，"
            "同一普查对象只能计入一份表，本表未装载。",
            hint="请重新上传本表，查看校验结果中列出的重复单位。",
        )
    confirmed = confirmed_against(facts.current, confirmed, confirmed_current)
    shrinkage = measure_shrinkage(facts, usccs, limit_pct, confirmed)
    if shrinkage is not None and shrinkage.blocks:
        raise ScopeChanged(
            "装载前发现本范围的现行报表刚刚有变化：" + shrinkage.describe() + "本表未装载。",
            hint="请核对后重新上传；确需减少的，请确认后再装载（--confirm-shrink）。",
        )
    other = None if uploader is None else return_to_confirm(con, facts.current, uploader, confirmed_current)
    if other is not None:
        raise ScopeChanged(
            f"装载前发现本范围的现行报表刚刚有变化：{other.describe()}，不是您确认替换的报表。本表未装载。",
            hint="请重新上传本表，核对将被替换的报表后再确认。",
        )
    return facts.current, shrinkage
