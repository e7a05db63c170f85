"""What a check needs besides the return itself: the province, reference data and other returns, passed in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

from census_schema.census_form import AnnualStatistics
from census_schema.divisions import PROVINCE, UnknownDivision, allowed_admin_levels, load_divisions
from census_schema.scopes import Scope, ScopeKind, ScopeReturn
from supervision.lifecycle import FindingState
from supervision.resend import UpdateIdentity
from supervision.rows import Row
from supervision.scoring import LoadedSheet

_PROVINCE_CODE = re.compile(r"^\d{2}0000$")


@dataclass(frozen=True)
class InspectionFacts:
    """What the warehouse already holds of inspections and findings, for checking an inspections workbook."""

    # inspection id -> the loaded record, as its sheet's fields.
    records: Mapping[str, Row] = field(default_factory=lambda: MappingProxyType({}))
    # finding id -> its current state (with deadline, responsible person, rectifiers and last change).
    findings: Mapping[str, FindingState] = field(default_factory=lambda: MappingProxyType({}))
    # finding id -> the loaded finding, as its sheet's fields (its deadline the one it was issued with).
    finding_rows: Mapping[str, Row] = field(default_factory=lambda: MappingProxyType({}))
    # finding id -> field -> who corrected that field of the loaded finding last, and when (naive UTC): a re-sent row
    # still reading as before is told so.
    corrections: Mapping[str, Mapping[str, tuple[str, datetime]]] = field(default_factory=lambda: MappingProxyType({}))
    # The updates uploaded before, as their 整改进展 rows, by identity (supervision.resend.update_identity): such a
    # row sent again is not applied again.
    updates: Mapping[UpdateIdentity, Row] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def inspections(self) -> dict[str, tuple[date, str]]:
        """inspection id -> (feedback date, checklist version) of every loaded inspection."""
        return {key: (r["feedback_date"], r["checklist_version"]) for key, r in self.records.items()}


@dataclass(frozen=True)
class EvaluationFacts:
    """The evaluation round a score sheet belongs to: whether it is open and who may score which archive."""

    round_id: str
    is_open: bool
    # evaluator -> codes of the archives assigned to them in this round.
    assignments: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    # (archive, expert) -> when the expert last saved that sheet themselves (on the platform): an upload may not
    # replace it.
    own_sheets: Mapping[tuple[str, str], datetime] = field(default_factory=lambda: MappingProxyType({}))
    # (archive, scorer) -> the sheet an earlier upload loaded (self-evaluations too): an upload replaces it, said.
    loaded_sheets: Mapping[tuple[str, str], LoadedSheet] = field(default_factory=lambda: MappingProxyType({}))
    # archive -> expert -> item -> score: the experts' sheets already submitted, which a panel's reconciled value in
    # an upload is judged against with the workbook's own.
    submitted_experts: Mapping[str, Mapping[str, Mapping[str, Decimal]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # The user names of the platform's expert accounts: their sheets are theirs to fill in on the platform.
    expert_accounts: frozenset[str] = frozenset()
    # archive -> the items the panel has already given a reconciled value (合议分).
    reconciled_items: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    # How a round that is not open stands, as people read it (已于 2025年6月30日 结束); None: it was never opened.
    closed: str | None = None


@dataclass(frozen=True)
class CheckContext:
    """The uploading province and scope, the current divisions and, when the flow has them, the cross-return inputs.

    A cross-return input left as None means "not available": the rules that need it are skipped. A national
    workbook (supervision) has no province, nor has a central channel's return (its scope says which channel).
    """

    province_code: str | None
    valid_division_codes: frozenset[str]
    # division code -> 'province' | 'prefecture' | 'county'
    division_levels: Mapping[str, str]
    # division code -> the census province that reports for it (the Corps for its cities).
    division_provinces: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # division code -> the administrative levels a holder there may have (in this kind of return).
    division_admin_levels: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # USCCs of the province's register of expected holders.
    register_usccs: frozenset[str] | None = None
    # USCC -> the annual statistics its register row gives (only holders whose row gives them).
    annual_stats: Mapping[str, AnnualStatistics] | None = None
    # What is already loaded, for the workbook rules of an inspections or evaluation workbook.
    inspections: InspectionFacts | None = None
    evaluation: EvaluationFacts | None = None
    # The reporting scope of a census return or register (the whole province when only a province is given).
    scope: Scope | None = None
    # USCC -> the current accepted return of another scope that already holds the holder.
    held_elsewhere: Mapping[str, ScopeReturn] | None = None
    # The day of upload: dates of what has happened must not be later (None: not checked).
    today: date | None = None

    def __post_init__(self) -> None:
        if self.province_code is not None and not _PROVINCE_CODE.match(self.province_code):
            raise ValueError(f"province_code must be a 6-digit province code like 440000, got {self.province_code!r}")
        if self.scope is not None and self.scope.province_code != self.province_code:
            raise ValueError(f"scope {self.scope} does not lie in province {self.province_code!r}")


def build_check_context(
    province_code: str | None,
    *,
    register_usccs: Iterable[str] | None = None,
    annual_stats: Mapping[str, AnnualStatistics] | None = None,
    inspections: InspectionFacts | None = None,
    evaluation: EvaluationFacts | None = None,
    scope: Scope | None = None,
    held_elsewhere: Mapping[str, ScopeReturn] | None = None,
    today: date | None = None,
) -> CheckContext:
    """A check context for a province (or None: national or central), with the current divisions and the inputs
    given; the scope defaults to the whole province."""
    divisions = load_divisions()
    if province_code is not None:
        try:
            province = divisions.get(province_code)
        except UnknownDivision:
            raise ValueError(f"{province_code!r} is not a current province code") from None
        if province.level != PROVINCE:
            raise ValueError(f"{province_code!r} is a {province.level}, not a province")
    central = province_code is None
    return CheckContext(
        province_code=province_code,
        valid_division_codes=frozenset(divisions.by_code),
        division_levels=MappingProxyType({code: d.level for code, d in divisions.by_code.items()}),
        division_provinces=MappingProxyType({code: d.province_code for code, d in divisions.by_code.items()}),
        division_admin_levels=MappingProxyType(
            {code: allowed_admin_levels(d, central_return=central) for code, d in divisions.by_code.items()}
        ),
        register_usccs=frozenset(register_usccs) if register_usccs is not None else None,
        annual_stats=MappingProxyType(dict(annual_stats)) if annual_stats is not None else None,
        inspections=inspections,
        evaluation=evaluation,
        scope=scope or (Scope(ScopeKind.PROVINCE, province_code) if province_code is not None else None),
        held_elsewhere=MappingProxyType(dict(held_elsewhere)) if held_elsewhere is not None else None,
        today=today,
    )
