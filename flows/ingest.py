"""The ingestion pipeline, written once as plain steps; Prefect flows run the same steps as tasks."""

from __future__ import annotations

import importlib
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import duckdb
import polars as pl

from census_schema.census_form import CENSUS_FORM, CROSS_RETURN_RULES, REGISTER_FORM
from census_schema.failures import Failure, in_workbook_order
from census_schema.fields import Form, Severity, WorkbookForm
from census_schema.forms import get_workbook_form
from census_schema.scopes import (
    Scope,
    ScopeReturn,
    describe_division,
    province_scope,
    return_reason_clause,
    return_verb,
)
from census_schema.settings import Settings
from census_schema.supervision.forms import INDICATORS_WORKBOOK
from checks.context import CheckContext, EvaluationFacts, InspectionFacts, build_check_context
from checks.kinds import compared_fields
from checks.workbook_rules import count_repeated_rows
from flows.data_docs import keep_submission_data_docs, validation_data_docs_dir
from flows.identify import WorkbookIdentity, identify_workbook
from flows.parse import ParsedWorkbook, parse_workbook, require_holders
from flows.report import write_annotated_report
from flows.scopes import (
    ScopeFacts,
    Shrinkage,
    another_s_return,
    confirmed_against,
    group_conflicts,
    holder_codes,
    measure_shrinkage,
    read_scope_facts,
    recheck_before_load,
    reviewed_return,
)
from flows.worker import ReaderWorker, shared_reader
from warehouse.backends import Warehouse
from warehouse.evaluation import (
    closed_phrase,
    fetch_assignments,
    fetch_expert_accounts,
    fetch_loaded_sheets,
    fetch_own_sheets,
    fetch_round,
    fetch_score_sheets,
)
from warehouse.indicators import query_replaced_by
from warehouse.inspections import (
    fetch_corrections,
    fetch_finding_states,
    fetch_loaded_finding_rows,
    fetch_loaded_records,
    fetch_uploaded_updates,
)
from warehouse.loads import (
    NewSubmission,
    fetch_load_review,
    fetch_loaded_rows,
    fetch_recorded_outcome,
    fetch_register_usccs,
    fetch_request_id,
    fetch_return_reason,
    fetch_rule_failures,
    find_current_by_sha256,
    list_current_returns,
    record_upload_once,
    replace_rule_failures,
)
from warehouse.scopes import (
    fetch_register_basis,
    fetch_replaced_return,
    fetch_return_holders,
    fetch_scope_annual_stats,
    fetch_scope_register_usccs,
)
from warehouse.users import check_account_may_submit

T = TypeVar("T")
LOGGER = logging.getLogger(__name__)
# The checks bring in Great Expectations (3-5 s to import): imported on first validation, or ahead of it in the
# background by `prefetch_validation` while the workbook is identified and parsed.
_VALIDATION_MODULE = "checks.validate"
# The Chinese name of each step, for progress shown on a terminal or in the browser.
STAGE_LABELS = {
    "identify_workbook": "识别文件",
    "check_submitter": "核对报送人",
    "find_duplicate": "查重",
    "parse_workbook": "读取数据",
    "read_check_context": "读取核对依据",
    "read_scope_facts": "核对填报范围",
    "validate_workbook": "校验",
    "write_annotated_report": "生成错误报告",
    "load_submission": "装载入库",
}


class StepRunner(Protocol):
    """Runs one named step of the pipeline: directly, or as a Prefect task."""

    def __call__(self, step: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...


def run_directly(step: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call the step in-line."""
    return step(*args, **kwargs)


@dataclass(frozen=True)
class IngestRequest:
    """One uploaded workbook and what to do with it."""

    path: Path
    kind: str
    province_code: str | None
    submitted_by: str
    file_name: str | None = None
    report_path: Path | None = None
    dry_run: bool = False
    data_docs_dir: Path | None = None
    # The scope the upload must be for (None: whatever scope of `province_code` the workbook says).
    scope: Scope | None = None
    # Load even when the return drops more of its scope's current holders than the limit allows.
    confirm_shrink: bool = False
    # Replacing a current return another person sent, or one a reviewer has moved on, needs the uploader's
    # confirmation (the web's offices: a prefecture's upload replaced its county's own reviewed return unasked, and
    # its own return over the bureau's 已审核).
    protect_others: bool = False
    # The scope's current return a confirmation was given against (the web's): it holds for that return only, the
    # dropped holders' as the replacement's (another return current by then is asked about again).
    confirmed_current: str | None = None
    # Only a central channel's return (the national bureau's web upload for the central units, which have no
    # accounts; a province's returns are its office's to send).
    central_only: bool = False
    # Names the request across its attempts (a flow run scheduled again after its worker died carries it): a file
    # an earlier attempt of the same request landed is this request's load, not a duplicate of another upload.
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def on_web(self) -> bool:
        """Sent from the web page (only the web's uploads protect other people's returns)."""
        return self.protect_others


# needs_confirmation: valid, but it would drop more of its scope's holders than allowed, or replace another person's
# current return (a web upload), and was not confirmed.
REFUSED_STATUSES = frozenset({"rejected", "needs_confirmation"})


@dataclass
class IngestOutcome:
    """What happened to a workbook: the `ingest --json` contract."""

    status: str
    submission_id: str | None
    province: str | None
    rows: int
    failures: list[Failure]
    report: Path | None = None
    dry_run: bool = False
    file_sha256: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # The Data Docs folder: its index.html exists once built (at once when inline, else on first request).
    data_docs: Path | None = None
    scope: Scope | None = None
    shrink: Shrinkage | None = None
    # The current returns of other scopes that already hold uploaded holders, each with those holders.
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    # A register's load: the current census returns compared with it whose warnings against it changed.
    returns_rejudged: int = 0
    # The review progress kept from the return this one superseded, its rows being the same (已审核, 待国家局审核).
    review_kept: str | None = None
    # The scope's current return this accepted one replaced (its figures no longer count).
    replaced: ScopeReturn | None = None
    # What the uploader is told of a return that was sent back: this one its unchanged copy, or an identical file
    # of one still returned.
    returned_note: str | None = None
    # A census return accepted with no register to compare its holders with (none sent, or sent back): said.
    register_note: str | None = None
    # Another person's current return this one would replace, or one a reviewer moved on, not loaded until the
    # uploader confirms it.
    replaces_other: ScopeReturn | None = None
    # Rows of `rows` an earlier upload loaded (an inspections workbook sent again as it grows): not loaded again.
    repeated_rows: int = 0
    # An indicators upload's values and targets that replaced current ones, as people read them (old → new).
    replaced_values: list[str] = field(default_factory=list)
    # `replaces_other` is asked about because a reviewer has moved it on, not because it is another's.
    replaces_reviewed: bool = False

    @property
    def errors(self) -> int:
        """Number of blocking failures."""
        return sum(f.severity is Severity.ERROR for f in self.failures)

    @property
    def warnings(self) -> int:
        """Number of recorded warnings."""
        return sum(f.severity is Severity.WARNING for f in self.failures)

    @property
    def exit_code(self) -> int:
        """0 accepted or duplicate, 1 rejected by validation or not loaded for want of a shrink confirmation."""
        return 1 if self.status in REFUSED_STATUSES else 0

    def data_docs_index(self) -> str | None:
        """Where the Data Docs site's index.html is, or will be once opened (`data-docs ID` builds it from the kept
        results); None when there is none to open: nothing kept, or a dry run's (no submission to open it by)."""
        if self.data_docs is None:
            return None
        index = self.data_docs / "index.html"
        return str(index) if self.submission_id or index.is_file() else None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the interfaces spec."""
        return {
            "status": self.status,
            "submission_id": self.submission_id,
            "province": self.province,
            "rows": self.rows,
            "errors": self.errors,
            "warnings": self.warnings,
            "report": str(self.report) if self.report else None,
            "dry_run": self.dry_run,
            "data_docs": self.data_docs_index(),
            "scope": self.scope.to_json() if self.scope else None,
            "shrink": self.shrink.to_json() if self.shrink else None,
            "conflicts": self.conflicts,
            "returns_rejudged": self.returns_rejudged,
            "review_kept": self.review_kept,
            "replaced": _replaced_json(self.replaced),
            "replaces_other": _replaced_json(self.replaces_other),
            "replaces_reviewed": self.replaces_reviewed,
            "returned_note": self.returned_note,
            "register_note": self.register_note,
            "repeated_rows": self.repeated_rows,
            "replaced_values": self.replaced_values,
            "failures": [f.to_json() for f in self.failures],  # in the workbook's order (in_workbook_order)
        }


def describe_row_count(result: Mapping[str, Any]) -> str:
    """The rows of an outcome (its JSON) as told to the uploader: 711 行（其中 707 行此前已装载，不重复装载）."""
    rows, repeated = result["rows"], result.get("repeated_rows", 0)
    said = f"{rows:,} 行"
    return f"{said}（其中 {repeated:,} 行此前已装载，不重复装载）" if repeated else said


def _census_context(con: duckdb.DuckDBPyConnection, round_id: str, province_code: str | None) -> CheckContext:
    if province_code is None:
        return build_check_context(None)
    register = fetch_register_usccs(con, province_code, round_id)
    return build_check_context(
        province_code,
        # Without a register there is nothing to compare with: no "not on the register" warning on every row.
        register_usccs=register or None,
        annual_stats=fetch_scope_annual_stats(con, province_scope(province_code), round_id),
    )


def _inspections_context(con: duckdb.DuckDBPyConnection, round_id: str, province_code: str | None) -> CheckContext:
    facts = InspectionFacts(
        records=fetch_loaded_records(con),
        findings=fetch_finding_states(con),
        finding_rows=fetch_loaded_finding_rows(con),
        corrections=fetch_corrections(con),
        updates=fetch_uploaded_updates(con),
    )
    return build_check_context(None, inspections=facts)


def _evaluation_context(con: duckdb.DuckDBPyConnection, round_id: str, province_code: str | None) -> CheckContext:
    found = fetch_round(con, round_id)
    _, expert_sheets, reconciliations = fetch_score_sheets(con, round_id)
    facts = EvaluationFacts(
        round_id,
        bool(found and found["is_open"]),
        fetch_assignments(con, round_id),
        fetch_own_sheets(con, round_id),
        fetch_loaded_sheets(con, round_id),
        {archive: {s.scorer: s.scores for s in sheets} for archive, sheets in expert_sheets.items()},
        fetch_expert_accounts(con),
        {archive: frozenset(items) for archive, items in reconciliations.items()},
        closed_phrase(found["closed_at"]) if found else None,
    )
    return build_check_context(None, evaluation=facts)


ContextFetcher = Callable[[duckdb.DuckDBPyConnection, str, str | None], CheckContext]
# What the checks of a workbook kind need from the warehouse (round, province given); other kinds need only the
# province: a census return the register and other provinces' codes; an inspections or evaluation workbook what is
# already loaded or decided.
CONTEXT_FETCHERS: dict[str, ContextFetcher] = {
    "census": _census_context,
    "inspections": _inspections_context,
    "evaluation": _evaluation_context,
}


def fetch_check_context(
    con: duckdb.DuckDBPyConnection, form: Form | WorkbookForm, province_code: str | None
) -> CheckContext:
    """What the checks of a workbook need from the warehouse, fetched by the fetcher registered for its kind."""
    fetcher = CONTEXT_FETCHERS.get(form.kind)
    if fetcher is None:
        return build_check_context(province_code)
    return fetcher(con, form.round_id, province_code)


_PREFETCHES: list[threading.Thread] = []


def prefetch_validation() -> threading.Thread:
    """Start importing the checks (and Great Expectations) in a background thread; the first validation waits for
    it (`_validation_module`) if it has not finished."""
    thread = threading.Thread(target=importlib.import_module, args=(_VALIDATION_MODULE,), daemon=True)
    thread.start()
    _PREFETCHES.append(thread)
    return thread


def _validation_module() -> Any:
    """The checks module, once a prefetch under way has imported it. Waited for in short joins, not on the import
    lock: a Ctrl+C taken inside importlib's lock callback left the lock held and the command hung for good."""
    for thread in _PREFETCHES:
        while thread.is_alive():
            thread.join(0.1)
    return importlib.import_module(_VALIDATION_MODULE)


def validate_workbook(
    book: WorkbookForm, sheets: dict[str, pl.DataFrame], context: CheckContext, **options: Any
) -> list[Failure]:
    """Every failure of a parsed workbook (checks.validate.validate_workbook, imported on first use)."""
    validate = _validation_module().validate_workbook
    failures: list[Failure] = validate(book, sheets, context, **options)
    return failures


def read_check_context(store: Warehouse, form: Form | WorkbookForm, province_code: str | None) -> CheckContext:
    """The check context, read from the latest committed state (never blocks a writer)."""
    with store.reader() as con:
        return fetch_check_context(con, form, province_code)


def find_duplicate(
    store: Warehouse, form: Form | WorkbookForm, identity: WorkbookIdentity
) -> tuple[str, int, list[Failure], str | None] | None:
    """The current accepted submission of the same scope with the same content, if any: its id, rows, failures
    (the file is not read again; its outcome is the one recorded) and, when it was returned, why."""
    with store.reader() as con:
        found = find_current_by_sha256(
            con, form.kind, identity.province_code, form.round_id, identity.sha256, identity.scope
        )
        if found is None:
            return None
        return (found, *fetch_recorded_outcome(con, found), fetch_return_reason(con, found))


def recall_own_load(
    store: Warehouse,
    book: WorkbookForm,
    identity: WorkbookIdentity,
    request: IngestRequest,
    settings: Settings,
    submission_id: str | None,
) -> IngestOutcome | None:
    """The outcome of the load an earlier attempt of this very request made of the file (its worker died after the
    commit, before telling it), read back from the warehouse: what it replaced, its shrink, its warnings as recorded;
    None when the submission is another request's (the file sent again: a duplicate)."""
    if submission_id is None:
        return None
    province, scope = identity.province_code, identity.scope
    with store.reader() as con:
        if fetch_request_id(con, submission_id) != request.request_id:
            return None
        rows, recorded = fetch_recorded_outcome(con, submission_id)
        replaced = shrink = None
        if scope is not None:
            found = fetch_replaced_return(con, submission_id)
            replaced = None if found is None else found[0]
            held = fetch_return_holders(con, book.kind, replaced.submission_id) if replaced is not None else []
            usccs = frozenset(h["uscc"] for h in fetch_return_holders(con, book.kind, submission_id) if h["uscc"])
            confirmed = confirmed_against(replaced, request.confirm_shrink, request.confirmed_current)
            shrink = measure_shrinkage(
                ScopeFacts(replaced, tuple(held), {}), usccs, settings.shrink_limit_pct, confirmed
            )
        kept, resent = fetch_load_review(con, submission_id) if book.reviewed and book.supersedes else (None, None)
        replaced_values = query_replaced_by(con, submission_id) if book.kind == INDICATORS_WORKBOOK.kind else []
        channel = scope.central_channel if scope is not None else None
        # No register now: none was compared (one loaded since would have had the return judged again).
        unchecked = book.kind == CENSUS_FORM.kind and fetch_register_basis(con, book.round_id, province, channel) == ()
    kept_report = submission_report_path(settings, submission_id)
    report = next((p for p in (request.report_path, kept_report) if p is not None and p.is_file()), None)
    return IngestOutcome(
        "accepted",
        submission_id,
        province,
        rows,
        in_workbook_order(recorded, book.sheets),
        report if recorded else None,
        file_sha256=identity.sha256,
        scope=scope,
        shrink=shrink,
        review_kept=kept,
        replaced=replaced,
        returned_note=resent_unchanged_note(resent) if resent is not None else None,
        register_note=unchecked_register_note(scope, province) if unchecked else None,
        replaced_values=replaced_values,
    )


def check_submitter(store: Warehouse, submitted_by: str, book: WorkbookForm, identity: WorkbookIdentity) -> None:
    """Refuse a workbook sent under a platform account that may not send it (the web's own rule, on every channel:
    a province's account for a central channel's return was recorded as its sender)."""
    scope = identity.scope if book.needs_province else None
    with store.reader() as con:
        check_account_may_submit(con, submitted_by, scope, scope.name if scope is not None else book.label)


def still_returned_note(reason: str) -> str:
    """What an uploader is told who sends again the very file that was returned."""
    verb = return_verb(reason)
    return f"该表已被{verb}（{return_reason_clause(reason)}），仍不计入统计数据：请按{verb}原因修改后重新上传"


def resent_unchanged_note(review_note: str) -> str:
    """What an uploader is told who sends again, unchanged, the data of a returned return."""
    return f"注意：本表{review_note}。已装载，审核人会在审核说明中看到此情况"


@dataclass(frozen=True)
class ScopeGuard:
    """What to check again under the writer lock before an accepted scoped return is loaded."""

    book: WorkbookForm
    scope: Scope
    usccs: frozenset[str]
    limit_pct: float
    confirmed: bool
    # Whose upload it is, when another person's current return may be replaced only as confirmed (protect_others).
    uploader: str | None = None
    confirmed_current: str | None = None
    # The scope's current return as the check under the lock found it, with the holders the upload drops from it (the
    # last run's, if the backend re-ran it).
    found: list[tuple[ScopeReturn | None, Shrinkage | None]] = field(default_factory=list)


def load_submission(
    store: Warehouse,
    submission: NewSubmission,
    sheets: dict[str, pl.DataFrame] | None,
    failures: list[Failure],
    guard: ScopeGuard | None = None,
    after: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> tuple[str, bool]:
    """Record the submission in one transaction; (id, True) if an identical one won the race (the check is made
    inside the transaction, which the backend re-runs if a concurrent writer made it conflict).

    An accepted scoped return is checked again inside that transaction first (ScopeChanged if another upload
    changed its scope's facts since validation); `after` runs in it once the submission is loaded."""
    check: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    if guard is not None:
        scope_guard = guard

        def check(con: duckdb.DuckDBPyConnection) -> None:
            found = recheck_before_load(
                con,
                scope_guard.book,
                scope_guard.scope,
                scope_guard.usccs,
                scope_guard.limit_pct,
                scope_guard.confirmed,
                scope_guard.uploader,
                scope_guard.confirmed_current,
            )
            scope_guard.found.append(found)

    return store.write(lambda con: record_upload_once(con, submission, sheets, failures, check=check, after=after))


# What loading an upload of a kind judges again: the current uploads of another kind that were checked against it,
# for the rules that compare them with it (a register's: the census returns' "not on the register" and annual
# statistics warnings, which were judged against the register of the day they were validated).
REJUDGED_AFTER: dict[str, tuple[str, frozenset[str]]] = {
    REGISTER_FORM.kind: (CENSUS_FORM.kind, frozenset(rule.rule_id for rule in CROSS_RETURN_RULES)),
}


def unchecked_register_note(scope: Scope | None, province: str | None) -> str:
    """What an accepted census return is told when no register was there to compare its holders with: a central
    channel's, or its province's."""
    where = scope.name if scope is not None and scope.is_central else describe_division(province or "")
    return (
        f"本表未与普查对象名录核对（各单位是否在名录内）：{where}尚无现行有效的普查对象名录（尚未报送，或已被退回）；"
        "名录装载后将自动重新核对"
    )


def read_register_basis(
    store: Warehouse, book: WorkbookForm, province_code: str | None, central_channel: str | None
) -> tuple[str, ...] | None:
    """The registers a census return is judged against as it is validated (`fetch_register_basis`); None for other
    kinds."""
    if book.kind != REJUDGED_AFTER[REGISTER_FORM.kind][0]:
        return None
    with store.reader() as con:
        return fetch_register_basis(con, book.round_id, province_code, central_channel)


def describe_rejudged(count: int, *, by_review: bool = False) -> str:
    """The sentence telling an uploader (or a reviewer of a register) how many current returns' warnings changed."""
    basis = "审核后的名录" if by_review else "本名录"
    return f"已按{basis}重新核对现行普查表：{count:,} 份报表的名录相关警告有变化"


def _replaced_json(replaced: ScopeReturn | None) -> dict[str, Any] | None:
    return None if replaced is None else replaced.to_json()


# What a file received before is told with its failures: they are its first reception's (a stale 将替换… warning).
DUPLICATE_FAILURES_NOTE = "以下是该文件首次接收时的校验结果"


def describe_replaced(replaced: dict[str, Any], review_kept: str | None) -> str:
    """The sentence telling an uploader which return their accepted one replaced, and what became of its review (a
    returned one counted nowhere already: its figures do not stop counting; another's review progress is void)."""
    then = "" if review_kept else "；新报表须重新审核"
    if not review_kept and replaced.get("review") and not replaced.get("is_returned"):
        then = f"；原报表的审核进度（{replaced['review']}）随之作废，新报表须重新审核"
    if replaced.get("is_returned"):
        return f"已替换{replaced['said']}：新报表的数据计入统计{then}"
    return f"已替换{replaced['said']}：原报表的数据不再计入{then}"


# At most this many replaced values are listed in an answer (the rest counted).
SHOWN_REPLACED_VALUES = 10


def describe_replaced_values(replaced: list[str]) -> str:
    """What an indicators upload replaced of the current values and targets (替换了 2 项现行数据：…), for the
    command line and the web page alike."""
    shown = "；".join(replaced[:SHOWN_REPLACED_VALUES])
    more = f"……等（共 {len(replaced)} 项）" if len(replaced) > SHOWN_REPLACED_VALUES else ""
    return f"替换了 {len(replaced)} 项现行数据（原值 → 新值）：{shown}{more}；原值保留在历史中"


def describe_kept_review(progress: str) -> str:
    """The sentence telling an uploader that the return kept the review of the one it replaced."""
    return f"与所替换的报表逐行逐项相同（同一份数据另存），沿用其审核进度：{progress}"


def rejudge_current_returns(
    con: duckdb.DuckDBPyConnection, loaded_kind: str, round_id: str, province_code: str | None, scope: Scope | None
) -> int:
    """Judge the rules REJUDGED_AFTER names again on the current returns a just-loaded upload is compared with (its
    province's local returns, or its central channel's), recording what changed; how many returns changed."""
    kind, rule_ids = REJUDGED_AFTER[loaded_kind]
    validate_rules = _validation_module().validate_rules
    channel = scope.central_channel if scope is not None else None
    if scope is not None and channel is not None:
        context = build_check_context(
            None,
            scope=scope,
            register_usccs=fetch_scope_register_usccs(con, scope, round_id) or None,  # none counts: no comparison
            annual_stats=fetch_scope_annual_stats(con, scope, round_id),
        )
    else:
        context = _census_context(con, round_id, province_code)
    changed = 0
    for submission_id, version in list_current_returns(con, kind, round_id, province_code, channel):
        form = get_workbook_form(kind, version).sheets[0]
        judged = [rule.rule_id for rule in form.rules if rule.rule_id in rule_ids]
        now = validate_rules(form, fetch_loaded_rows(con, form.kind, submission_id), context, judged)
        if set(now) != set(fetch_rule_failures(con, submission_id, judged)):
            replace_rule_failures(con, submission_id, judged, now)
            changed += 1
    return changed


def default_report_path(settings: Settings, identity: WorkbookIdentity, *, has_errors: bool = True) -> Path:
    """Where a return's report goes when the caller did not say: 错误报告 for a rejected one, 核对报告 for one with
    warnings or waiting for its uploader to confirm the holders it drops."""
    stem = Path(identity.file_name).stem
    return settings.var_dir / "reports" / f"{stem}-{identity.sha256[:8]}-{report_kind(has_errors)}.xlsx"


def report_kind(has_errors: bool) -> str:
    """What a return's report is called: 错误报告 when it marks errors, else 核对报告 (warnings, dropped holders)."""
    return "错误报告" if has_errors else "核对报告"


def submission_report_path(settings: Settings, submission_id: str) -> Path:
    """Where the report of a recorded submission (rejected, or accepted with warnings) is kept, for its uploader and
    reviewers to download again later."""
    return settings.var_dir / "reports" / "submissions" / f"{submission_id}.xlsx"


def keep_submission_report(settings: Settings, submission_id: str, report: Path) -> None:
    """Keep a copy of a submission's report under its id (the caller's copy may be a temporary one); a
    failure to keep it is logged, not raised: the submission is recorded and the caller's copy is still there."""
    kept = submission_report_path(settings, submission_id)
    partial = kept.with_name(f".{kept.name}.partial")
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report, partial)
        partial.replace(kept)
    except OSError:
        LOGGER.warning("the report of %s could not be kept at %s", submission_id, kept, exc_info=True)
        partial.unlink(missing_ok=True)


def default_data_docs_dir(settings: Settings, form: Form | WorkbookForm, identity: WorkbookIdentity) -> Path | None:
    """Where the GX Data Docs of a validation go (a folder of its own, named for its submission once recorded),
    unless switched off in the settings."""
    if not (settings.save_data_docs or settings.keep_validation_results):
        return None
    return validation_data_docs_dir(settings, form.kind, identity.province_code, identity.sha256)


def ingest_workbook(
    store: Warehouse,
    request: IngestRequest,
    settings: Settings,
    run_step: StepRunner = run_directly,
    worker: ReaderWorker | None = None,
) -> IngestOutcome:
    """Identify, parse, validate, decide, report and load one workbook (of any kind); all or nothing.

    The spreadsheet reader runs in `worker` (a bounded process reused across calls), or in this process's shared
    one (`shared_reader`).
    """
    if worker is None:
        worker = shared_reader(settings)
        worker.warm_up()
    timings: dict[str, float] = {}

    def timed(name: str, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        started = time.perf_counter()
        try:
            return run_step(step, *args, **kwargs)
        finally:
            timings[name] = round(time.perf_counter() - started, 3)

    identity = timed(
        "identify",
        identify_workbook,
        request.path,
        expected_kind=request.kind,
        expected_province=request.province_code,
        settings=settings,
        file_name=request.file_name,
        worker=worker,
        expected_scope=request.scope,
        central_only=request.central_only,
        on_web=request.on_web,
    )
    book = get_workbook_form(identity.form_kind, identity.form_version)
    province, scope = identity.province_code, identity.scope
    timed("submitter", check_submitter, store, request.submitted_by, book, identity)
    existing = timed("duplicate", find_duplicate, store, book, identity)
    if existing is not None:
        existing_id, existing_rows, existing_failures, return_reason = existing
        own = recall_own_load(store, book, identity, request, settings, existing_id)
        if own is not None:
            return replace(own, stage_seconds=timings)
        return IngestOutcome(
            "duplicate",
            existing_id,
            province,
            existing_rows,
            in_workbook_order(existing_failures, book.sheets),
            dry_run=request.dry_run,
            file_sha256=identity.sha256,
            stage_seconds=timings,
            scope=scope,
            returned_note=still_returned_note(return_reason) if return_reason is not None else None,
        )
    parsed: ParsedWorkbook = timed(
        "parse",
        parse_workbook,
        identity.path,
        book,
        file_name=identity.file_name,
        worker=worker,
        read_ahead=identity.read_ahead,
        formulas=identity.formulas,
        merged=identity.merged,
        hidden_rows=identity.hidden_rows,
        # A scope's return may list no holders when it replaces a current one (giving all its holders up); that is
        # known once the scope's facts are read, below.
        holders_may_be_empty=scope is not None,
    )
    identity = replace(identity, read_ahead=None)  # the sheets' text is not needed once typed: free it
    # Read before the context: a register loaded or reviewed after this has the return judged again as it loads.
    channel = scope.central_channel if scope is not None else None
    basis = read_register_basis(store, book, province, channel)
    context = replace(timed("context", read_check_context, store, book, province), today=settings.today())
    usccs = holder_codes(book, parsed.rows)
    facts: ScopeFacts | None = None
    if scope is not None:
        facts = timed("scope", read_scope_facts, store, book, scope, usccs)
        if facts.current is None:
            require_holders(parsed, book, identity.file_name)
        context = replace(
            context,
            scope=scope,
            held_elsewhere={code: held.seen_from(scope) for code, held in facts.held_elsewhere.items()},
            register_usccs=facts.register_usccs if scope.is_central else context.register_usccs,
            annual_stats=facts.annual_stats if scope.is_central else context.annual_stats,
        )
    # A dry run keeps nothing (its results would pile up under var/data_docs with no submission to open them).
    docs = request.data_docs_dir or (None if request.dry_run else default_data_docs_dir(settings, book, identity))
    # Data Docs are built during the validation only when asked for; otherwise GX's results are kept for them.
    inline = request.data_docs_dir is not None or settings.save_data_docs
    failures: list[Failure] = timed(
        "validate",
        validate_workbook,
        book,
        parsed.rows,
        context,
        parse_failures=parsed.failures,
        data_docs_dir=docs if inline else None,
        results_dir=None if inline else docs,
    )
    failures = parsed.shown_as_typed(failures)
    errors = [f for f in failures if f.severity is Severity.ERROR]
    status: Literal["accepted", "rejected"] = "rejected" if errors else "accepted"
    shrink = None
    if facts is not None:
        confirmed = confirmed_against(facts.current, request.confirm_shrink, request.confirmed_current)
        shrink = measure_shrinkage(facts, usccs, settings.shrink_limit_pct, confirmed)
    shrink_blocks = status == "accepted" and shrink is not None and shrink.blocks
    other = None
    reviewed_only = False  # the return to confirm is none of another's, but a reviewer has moved it on
    if status == "accepted" and facts is not None and request.protect_others:
        with store.reader() as con:
            other = another_s_return(con, facts.current, request.submitted_by, request.confirmed_current)
            if other is None:
                other = reviewed_return(con, facts.current, request.confirmed_current)
                reviewed_only = other is not None
    unconfirmed = shrink_blocks or other is not None
    conflicts = group_conflicts(context.held_elsewhere or {}, parsed.rows.get(book.sheets[0].sheet_name))
    report = None
    # Warnings are marked in the uploader's workbook as errors are (a 核对报告): 5,000 of them listed on a page are
    # no way to find each cell.
    if errors or shrink_blocks or len(failures) > len(errors):
        out = request.report_path or default_report_path(settings, identity, has_errors=bool(errors))
        dropped = shrink.dropped if shrink is not None and shrink.exceeds_limit else None
        report = timed(
            "report",
            write_annotated_report,
            identity.path,
            out,
            parsed.columns,
            failures,
            dropped,
            unread=parsed.unread,
            merged=identity.merged,
            compared=compared_fields(book.sheets),
        )
    submission_id = None
    guard: ScopeGuard | None = None
    kept: str | None = None  # the review progress an accepted return kept (load_submission: the same rows)
    resent: str | None = None  # or its review history's note that it is a returned return sent again unchanged
    rejudged: list[int] = []  # set by the load of an upload REJUDGED_AFTER names
    judged_again: list[bool] = []  # set by the load of a census return whose registers changed since validation
    if not request.dry_run and not unconfirmed:
        submission = NewSubmission(
            kind=book.kind,
            province_code=province,
            round_id=book.round_id,
            form_version=book.version,
            file_name=identity.file_name,
            file_sha256=identity.sha256,
            file_bytes=identity.size_bytes,
            submitted_by=request.submitted_by,
            status=status,
            scope=scope,
            row_count=parsed.main_row_count(book),
            error_count=len(errors),
            warning_count=len(failures) - len(errors),
            request_id=request.request_id,
            shrink_confirmed=status == "accepted" and shrink is not None and shrink.exceeds_limit and shrink.confirmed,
        )
        rows = parsed.rows if status == "accepted" else None
        if status == "accepted" and scope is not None:
            guard = ScopeGuard(
                book,
                scope,
                usccs,
                settings.shrink_limit_pct,
                request.confirm_shrink,
                request.submitted_by if request.protect_others else None,
                request.confirmed_current,
            )
        after = None
        if status == "accepted" and book.kind in REJUDGED_AFTER:

            def after(con: duckdb.DuckDBPyConnection) -> None:
                rejudged[:] = [rejudge_current_returns(con, book.kind, book.round_id, province, scope)]

        elif status == "accepted" and basis is not None:
            # A register loaded, returned or accepted again while this return was validated: judge it (and the
            # scope's other current returns, already judged against that register) again against the registers now.
            def after(con: duckdb.DuckDBPyConnection) -> None:
                changed = fetch_register_basis(con, book.round_id, province, channel) != basis
                if changed:
                    rejudge_current_returns(con, REGISTER_FORM.kind, book.round_id, province, scope)
                judged_again[:] = [changed]

        submission_id, raced = timed("load", load_submission, store, submission, rows, failures, guard, after)
        if submission_id is not None and not raced and any(judged_again):
            with store.reader() as con:  # the warnings as recorded now, not as validated
                _, recorded = fetch_recorded_outcome(con, submission_id)
            failures = in_workbook_order(recorded, book.sheets)
        if submission_id is not None and not raced and status == "accepted" and book.reviewed and book.supersedes:
            with store.reader() as con:
                kept, resent = fetch_load_review(con, submission_id)
        own = recall_own_load(store, book, identity, request, settings, submission_id) if raced else None
        if own is not None:
            return replace(own, stage_seconds=timings)
        if raced:
            return IngestOutcome(
                "duplicate",
                submission_id,
                province,
                parsed.main_row_count(book),
                failures,
                file_sha256=identity.sha256,
                stage_seconds=timings,
                scope=scope,
            )
    if submission_id is not None and report is not None:
        keep_submission_report(settings, submission_id, report)
    replaced_values: list[str] = []
    if submission_id is not None and status == "accepted" and book.kind == INDICATORS_WORKBOOK.kind:
        with store.reader() as con:
            replaced_values = query_replaced_by(con, submission_id)
    if submission_id is not None and docs is not None and request.data_docs_dir is None:
        named = {"kind": book.kind, "province_code": province, "file_sha256": identity.sha256}
        docs = keep_submission_data_docs(settings, docs, {**named, "submission_id": submission_id})
    unchecked = None
    if submission_id is not None and status == "accepted" and not unconfirmed and basis == () and not any(judged_again):
        unchecked = unchecked_register_note(scope, province)
    replaced = None
    if submission_id is not None and status == "accepted" and not unconfirmed and facts is not None:
        # The return replaced is the one current at the load (another upload may have replaced the one validated),
        # and the holders dropped are those of that one.
        current, shrink = guard.found[-1] if guard is not None and guard.found else (facts.current, shrink)
        if current is not None and current.submission_id != submission_id:
            replaced = current
    return IngestOutcome(
        "needs_confirmation" if unconfirmed else status,
        submission_id,
        province,
        parsed.main_row_count(book),
        failures,
        report,
        request.dry_run,
        identity.sha256,
        timings,
        docs,
        scope,
        shrink,
        conflicts,
        rejudged[0] if rejudged else 0,
        kept,
        replaced,
        resent_unchanged_note(resent) if resent is not None else None,
        unchecked,
        other,
        count_repeated_rows(book, parsed.rows, context) if context.inspections is not None else 0,
        replaced_values,
        replaces_reviewed=reviewed_only,
    )
