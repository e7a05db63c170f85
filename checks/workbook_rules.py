"""Rules across the sheets of a workbook and against what the warehouse holds: the census return's sheets (its
main sheet, the red-archive inventory and the foot) and the supervision workbooks' rules.

One executor per rule kind, in a registry. An executor gets every rule of its kind that a sheet's form declares,
the parsed sheets of the workbook (by sheet name) and the check context, and returns located failures. The
lifecycle and evaluation kinds run the domain's own functions (`apply_updates`, the evaluation checks), so a rule
is enforced by the same code wherever a change comes from. Rows whose needed cells are empty or unreadable are
skipped: the required and type rules report those.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

import polars as pl

from census_schema.archives import list_comprehensive_archives
from census_schema.census_form import AnnualStatistics
from census_schema.clock import format_beijing
from census_schema.errors import AccessDenied, UsageError
from census_schema.failures import Failure, describe_rows
from census_schema.fields import Form, Rule, WorkbookForm
from census_schema.layout import FIRST_DATA_ROW
from census_schema.scopes import format_day
from census_schema.supervision.checklist import CHECKLISTS
from census_schema.supervision.codes import VETO_PASSED
from census_schema.supervision.evaluation import SELF_SOURCE, EvaluationStandard, get_standard
from census_schema.supervision.forms import COMPUTED_INDICATORS, FINDINGS_FORM, INSPECTION_RECORDS_FORM
from checks.cells import EXCEL_ROW, display_value, failures_at, sum_of_fields
from checks.context import CheckContext
from supervision.grading import grade_record
from supervision.lifecycle import FindingUpdate, apply_updates
from supervision.resend import changed_fields, describe_changes, finding_as_issued, update_identity, update_row
from supervision.rows import Row, as_decimal, is_bonus_code, is_yes, issued_finding_states, read_update
from supervision.scoring import (
    Reconciliation,
    ScoreEntry,
    ScoreProblem,
    awarded_bonus,
    check_all_scored,
    check_bonus,
    check_reconciliation_source,
    check_reconciliations,
    check_remark_source,
    check_score_values,
    check_scoring_allowed,
    check_self_evidence,
    check_veto_scores,
    check_veto_verdicts,
    describe_own_sheet,
    describe_replaced_sheet,
    pending_reconciliations,
    pivot_expert_scores,
    unneeded_reconciliations,
)

Sheets = Mapping[str, pl.DataFrame]
# The unit's name, in every census sheet that has a holder's key: a row's key missing from another sheet is compared
# by it, to say which row of the other sheet it may be.
NAME = "unit_name"
WorkbookRule = Callable[[Sequence[Rule], Form, Sheets, CheckContext], list[Failure]]


def _rows(sheets: Sheets, form: Form) -> pl.DataFrame:
    return sheets[form.sheet_name]


def _positioned(rows: pl.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts, each with its position in the frame under `_at`."""
    return [{**row, "_at": i} for i, row in enumerate(rows.iter_rows(named=True))]


def _fail(form: Form, rows: pl.DataFrame, rule: Rule, hits: Sequence[tuple[int, str | None]]) -> list[Failure]:
    """Failures of a rule at row positions, each with its own message (None: the rule's)."""
    if not hits:
        return []
    positions = [at for at, _ in hits]
    return failures_at(form, rows, rule, positions, [text or rule.message for _, text in hits])


def _unplaced(form: Form, rule: Rule, value: str | None, message: str) -> Failure:
    """A failure about something that has no row of its own (a missing score, a closed round)."""
    label = form.field(rule.field).label if rule.field is not None else None
    return Failure(form.sheet_name, None, rule.field, label, value, rule.rule_id, rule.severity, message)


# ------------------------------------------------------------------------------------------------ census return


def _keyed(sheets: Sheets, sheet: str, key: str) -> pl.DataFrame:
    """The rows of another sheet of the workbook with a key (empty when the sheet is absent)."""
    other = sheets.get(sheet)
    if other is None:
        return pl.DataFrame(schema={key: pl.Utf8})
    return other.filter(pl.col(key).is_not_null())


def check_key_in_sheet(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """Rows whose key (a holder's USCC) has no row in another sheet; with `when_positive`, only rows where the sum
    of those fields is positive."""
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        key = rule.param("key")
        other = _keyed(sheets, rule.param("sheet"), key)
        known = other.get_column(key).unique()
        missing = pl.col(key).is_not_null() & ~pl.col(key).is_in(known.implode())
        when = rule.params.get("when_positive")
        if when:
            missing = missing & (pl.sum_horizontal([pl.col(f) for f in when]) > 0)
        positions = rows.select(missing.fill_null(False)).to_series().arg_true()
        # The other sheet's names are read once per rule, and only when some row misses its key.
        named = _rows_by_name(other, key) if len(positions) and NAME in rows.columns else {}
        hints = [_same_name_hint(rule, rows.get_column(NAME)[at], named) if named else None for at in positions]
        failures += _fail(form, rows, rule, list(zip(positions, hints, strict=True)))
    return failures


def _rows_by_name(other: pl.DataFrame, key: str) -> dict[str, tuple[int, str]]:
    """The other sheet's first row of each unit name (trimmed): its Excel row and its key; empty without names."""
    if NAME not in other.columns:
        return {}
    first = (
        other.select(pl.col(NAME).str.strip_chars(), EXCEL_ROW, key)
        .filter(pl.col(NAME).is_not_null() & (pl.col(NAME) != ""))
        .unique(subset=NAME, keep="first", maintain_order=True)
    )
    return {name: (row, code) for name, row, code in first.iter_rows()}


def _same_name_hint(rule: Rule, name: object, named: Mapping[str, tuple[int, str]]) -> str | None:
    """The rule's message, told of the other sheet's row of a unit of the same name under another key (one of the two
    keys is mistyped, perhaps the other sheet's); None when there is none."""
    trimmed = name.strip() if isinstance(name, str) else ""
    if trimmed not in named:
        return None
    row, code = named[trimmed]
    return (
        f"{rule.message}「{rule.param('sheet')}」第 {row} 行有同名单位「{trimmed}」，代码为 {code}："
        "请核对两表中哪一个代码填错，改正填错的一项。"
    )


_COMPARISONS = {"le": operator.le, "ge": operator.ge}


def check_compare_in_sheet(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """Rows whose sum of `fields` is not `op` (le: at most, ge: at least) the sum of `other_fields` on the row of
    the same key in another sheet; rows without that row, or with an empty cell on either side, are skipped (the
    key and required rules report those)."""
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        key, fields, others = rule.param("key"), rule.param("fields"), rule.param("other_fields")
        other = _keyed(sheets, rule.param("sheet"), key)
        if not all(name in other.columns for name in others):
            continue
        limits = other.group_by(key).agg(sum_of_fields(others).first().alias("__limit"))
        joined = rows.with_row_index("__at").join(limits, on=key, how="left")
        mine = sum_of_fields(fields)
        broken = _COMPARISONS[rule.param("op")](mine, pl.col("__limit")).not_()
        positions = joined.filter(broken.fill_null(False)).get_column("__at").sort()
        failures += failures_at(form, rows, rule, positions.cast(pl.Int64))
    return failures


def check_row_count(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """Fewer rows than `min` (one failure on the first empty row, where the missing one is to be filled, so that the
    returned workbook marks it) or more than `max` (one on each extra row)."""
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        if rows.height < rule.param("min"):
            empty = int(rows[EXCEL_ROW].max()) + 1 if rows.height else FIRST_DATA_ROW  # type: ignore[arg-type]
            failures.append(replace(_unplaced(form, rule, None, rule.message), row=empty))
        extra = list(range(rule.param("max"), rows.height))
        failures += _fail(form, rows, rule, [(at, None) for at in extra])
    return failures


# ----------------------------------------------------------------------------------------------- inspections


def _uploaded_inspections(sheets: Sheets) -> dict[str, tuple[date, str]]:
    """inspection id -> (feedback date, checklist version) of the records in this workbook that have both."""
    rows = _rows(sheets, INSPECTION_RECORDS_FORM)
    return {
        r["inspection_id"]: (r["feedback_date"], r["checklist_version"])
        for r in rows.iter_rows(named=True)
        if r["inspection_id"] and r["feedback_date"] and r["checklist_version"]
    }


def _known_inspections(sheets: Sheets, context: CheckContext) -> dict[str, tuple[date, str]]:
    loaded = dict(context.inspections.inspections) if context.inspections else {}
    return {**loaded, **_uploaded_inspections(sheets)}


def _sent_again(form: Form, sheets: Sheets, context: CheckContext, known: str) -> list[tuple[int, Row, Row]]:
    """The rows of a sheet an earlier upload loaded (by id, or an update by its identity): position, the row as it
    would be loaded (a finding with the deadline it is issued with, an update as read) and the loaded one."""
    if context.inspections is None:
        return []
    loaded: Mapping[Any, Row] = getattr(context.inspections, known)
    inspections = _known_inspections(sheets, context)
    found = []
    for at, row in enumerate(_rows(sheets, form).iter_rows(named=True)):
        if known == "updates":
            update = read_update(row)
            if update is not None and (before := loaded.get(update_identity(update))) is not None:
                found.append((at, update_row(update), before))
        elif (before := loaded.get(str(row[form.fields[0].name] or ""))) is not None:
            inspection = inspections.get(str(row.get("inspection_id") or ""))
            sent = finding_as_issued(row, inspection[0]) if known == "finding_rows" and inspection else row
            found.append((at, sent, before))
    return found


def check_new_records(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """Rows an earlier upload loaded, sent with other content (a record, finding or update is reported once; sent
    again unchanged, its row is recognised and not loaded twice), naming what differs."""
    rows, failures = _rows(sheets, form), []
    corrections = context.inspections.corrections if context.inspections else {}
    for rule in rules:
        hits = []
        for at, sent, before in _sent_again(form, sheets, context, rule.param("known")):
            corrected = corrections.get(str(sent[form.fields[0].name]), {})
            notes = {
                name: f"{by} 于 {format_beijing(when)}更正，请照此改正本行" for name, (by, when) in corrected.items()
            }
            if changes := describe_changes(form, sent, before, notes):
                hits.append((at, f"{rule.message}不同之处：{changes}。"))
        failures += _fail(form, rows, rule, hits)
    return failures


def _repeated_positions(form: Form, sheets: Sheets, context: CheckContext, rule: Rule) -> list[int]:
    """Positions of the rows of a sheet that repeat, field for field, what an earlier upload loaded."""
    again = _sent_again(form, sheets, context, rule.param("known"))
    return [at for at, sent, before in again if not changed_fields(form, sent, before)]


def count_repeated_rows(book: WorkbookForm, sheets: Sheets, context: CheckContext) -> int:
    """How many rows of a workbook repeat what earlier uploads loaded (recognised, not loaded again)."""
    return sum(
        len(_repeated_positions(form, sheets, context, rule))
        for form in book.sheets
        for rule in form.rules
        if rule.kind == "repeated_row"
    )


def check_repeated_rows(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """Once per sheet, on its first such row: the rows that repeat what an earlier upload loaded, not loaded again."""
    rows, failures = _rows(sheets, form), []
    excel_rows = rows.get_column(EXCEL_ROW).to_list()
    for rule in rules:
        positions = _repeated_positions(form, sheets, context, rule)
        if positions:
            said = describe_rows([excel_rows[at] for at in positions])
            message = f"本表第 {said} 行（共 {len(positions)} 行）{rule.message}。"
            failures += _fail(form, rows, rule, [(positions[0], message)])
    return failures


def check_checklist_size(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """More applicable items than the checklist version has."""
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        hits = []
        for r in _positioned(rows):
            checklist = CHECKLISTS.get(str(r["checklist_version"]))
            if checklist is not None and r["items_applicable"] is not None:
                size = len(checklist.items)
                if r["items_applicable"] > size:
                    hits.append((r["_at"], f"{rule.message}（检查清单 {checklist.version} 共 {size} 项）"))
        failures += _fail(form, rows, rule, hits)
    return failures


_GRADED_COUNTS = ("items_applicable", "items_compliant", "failed_veto_items")


def check_inspection_grading(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """Counts the grading refuses: compliant beyond applicable, more failed vetoes than non-compliant items."""
    rows, failures = _rows(sheets, form), []
    needed = ("inspection_type", "items_applicable", "items_compliant", "failed_veto_items", "has_security_incident")
    for rule in rules:
        hits = []
        for r in _positioned(rows):
            if any(r[name] is None for name in needed):
                continue
            # A negative count is its field's range error (one message per cell): grading it would add a second one
            # ("适用检查项目数为 0" for -3).
            if any(r[name] < 0 for name in _GRADED_COUNTS):
                continue
            try:
                grade_record(r)
            except UsageError as problem:
                hits.append((int(r["_at"]), problem.message))
        failures += _fail(form, rows, rule, hits)
    return failures


def check_finding_inspection(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """A finding of an inspection neither in this workbook nor loaded."""
    known = _known_inspections(sheets, context)
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        hits = [(r["_at"], None) for r in _positioned(rows) if r["inspection_id"] and r["inspection_id"] not in known]
        failures += _fail(form, rows, rule, hits)
    return failures


def check_checklist_item(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """An item code absent from the checklist version its inspection used."""
    known = _known_inspections(sheets, context)
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        hits = []
        for r in _positioned(rows):
            inspection = known.get(str(r["inspection_id"]))
            checklist = CHECKLISTS.get(inspection[1]) if inspection else None
            if checklist is not None and r["item_code"] and r["item_code"] not in checklist.items_by_code:
                hits.append(
                    (r["_at"], f"检查项目编号「{r['item_code']}」不在检查清单 {checklist.version} 中，请按该清单填写。")
                )
        failures += _fail(form, rows, rule, hits)
    return failures


def check_veto_findings_counted(
    rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext
) -> list[Failure]:
    """Findings on veto items of an inspection recorded in this workbook that counts fewer failed veto items (a
    failed veto rules out 优秀: a count of 0 beside a finding on a veto item would grade it 优秀)."""
    records = {
        r["inspection_id"]: (CHECKLISTS.get(str(r["checklist_version"])), r["failed_veto_items"])
        for r in _rows(sheets, INSPECTION_RECORDS_FORM).iter_rows(named=True)
        if r["inspection_id"] and r["failed_veto_items"] is not None
    }
    rows, failures = _rows(sheets, form), []
    on_veto: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in _positioned(rows):
        checklist, _ = records.get(r["inspection_id"], (None, None))
        item = checklist.items_by_code.get(str(r["item_code"])) if checklist is not None else None
        if item is not None and item.is_veto:
            on_veto[str(r["inspection_id"])].append(r)
    for rule in rules:
        hits = []
        for inspection_id, found in on_veto.items():
            counted = records[inspection_id][1]
            items = sorted({str(r["item_code"]) for r in found})
            if len(items) > counted:
                detail = f"（检查 {inspection_id} 填写未通过否决项 {counted} 项，问题涉及否决项 {'、'.join(items)}）"
                hits += [(int(r["_at"]), rule.message + detail) for r in found]
        failures += _fail(form, rows, rule, hits)
    return failures


def check_deadline_after_feedback(
    rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext
) -> list[Failure]:
    """A deadline before the feedback date, or a 立行立改 deadline other than the feedback date."""
    known = _known_inspections(sheets, context)
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        hits = []
        for r in _positioned(rows):
            inspection = known.get(str(r["inspection_id"]))
            deadline = r["deadline"]
            if inspection is None or not isinstance(deadline, date):
                continue
            feedback = inspection[0]
            if is_yes(r["is_immediate"]) and deadline != feedback:
                hits.append(
                    (
                        r["_at"],
                        f"立行立改的问题整改期限须为反馈当日 {format_day(feedback)}，填写的是 {format_day(deadline)}。",
                    )
                )
            elif deadline < feedback:
                hits.append((r["_at"], f"整改期限 {format_day(deadline)} 早于检查的反馈日期 {format_day(feedback)}。"))
        failures += _fail(form, rows, rule, hits)
    return failures


def check_lifecycle(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """Apply the updates in sheet order to the loaded and newly reported findings; locate every refusal."""
    loaded = dict(context.inspections.findings) if context.inspections else {}
    # A loaded finding sent again stands as it is now (sent with other content, its own rule refuses it).
    findings = [r for r in _rows(sheets, FINDINGS_FORM).iter_rows(named=True) if r["finding_id"] not in loaded]
    states = {**issued_finding_states(findings, _known_inspections(sheets, context)), **loaded}
    rows = _rows(sheets, form)
    # Updates an earlier upload applied, sent again (with other content, their own rule refuses them).
    repeated = {at for at, _, _ in _sent_again(form, sheets, context, "updates")}
    read: list[tuple[int, FindingUpdate]] = []
    unread: set[str] = set()  # findings with a step that could not be read (its own cells say why)
    for at, row in enumerate(rows.iter_rows(named=True)):
        if at in repeated:  # applied by the upload that first sent it
            continue
        update = read_update(row)
        if update is None:
            unread.add(str(row["finding_id"] or ""))
        elif update.finding_id not in unread:  # a later step of such a finding cannot be judged without it
            read.append((at, update))
    applied = apply_updates(states, [update for _, update in read])
    by_rule = {rule.rule_id: rule for rule in rules}
    excel_rows = rows.get_column(EXCEL_ROW).to_list()
    first_of: dict[tuple[Any, ...], int] = {}  # each update as its row reads, at its first row in the sheet
    for at, update in read:
        first_of.setdefault(tuple(update_row(update).values()), excel_rows[at])
    hits: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
    for index, refusal in applied.refused:
        rule_id = refusal.rule if refusal.rule in by_rule else "transition_allowed"
        at, update = read[index]
        first = first_of[tuple(update_row(update).values())]
        twin = f"本行与本表第 {first} 行完全相同，多半是重复填写（请删去其中一行）。" if first != excel_rows[at] else ""
        hits[rule_id].append((at, twin + refusal.describe()))
    return [f for rule_id, found in hits.items() for f in _fail(form, rows, by_rule[rule_id], found)]


# ------------------------------------------------------------------------------------------------ evaluation


def check_evaluation(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """The evaluation rules of the domain, per archive and scorer (and per archive over the experts given)."""
    standard = get_standard()
    rows = _rows(sheets, form)
    by_rule = {rule.rule_id: rule for rule in rules}
    positioned = [r for r in _positioned(rows) if r["archive_code"] and r["scorer"] and r["item_code"]]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in positioned:
        groups[(str(r["archive_code"]), str(r["scorer"]))].append(r)
    failures: list[Failure] = []

    def locate(problems: list[ScoreProblem], candidates: list[dict[str, Any]], archive: str, scorer: str) -> None:
        for p in problems:
            rule = by_rule[p.rule_id]
            where = [r for r in candidates if r["item_code"] == p.item_code]
            if rule.rule_id == "reconciliation_note":
                where = [r for r in where if r["reconciled"] is not None and not (r["note"] or "").strip()]
            elif p.source == "合议分":
                where = [r for r in where if r["reconciled"] is not None] or where
            text = f"{p.message}（档案馆 {archive}，{scorer}，评分项 {p.item_code}）"
            if where:
                failures.extend(_fail(form, rows, rule, [(int(r["_at"]), text) for r in where]))
            else:
                failures.append(_unplaced(form, rule, p.item_code, text))

    known_archives = {a.archive_code for a in list_comprehensive_archives()}
    # Rows of an item that name no archive or scorer (merged cells read so) are refused where they are: whose scores
    # they hold is unknown, so no sheet is judged incomplete for want of them (a probe's merge listed each item again).
    keyless = any(r["item_code"] and not (r["archive_code"] and r["scorer"]) for r in _positioned(rows))

    def item_problems(rows: list[dict[str, Any]], scorer: str) -> tuple[list[ScoreProblem], dict[str, Decimal]]:
        """The problems of rows naming each item once, item by item, and their scoring items' scores."""
        scored = [r for r in rows if r["score"] is not None]
        items = {str(r["item_code"]): as_decimal(r["score"]) for r in scored if not is_bonus_code(r["item_code"])}
        bonus = {str(r["item_code"]): as_decimal(r["score"]) for r in scored if is_bonus_code(r["item_code"])}
        verdicts = {str(r["item_code"]): r["veto_verdict"] == VETO_PASSED for r in rows if r["veto_verdict"]}
        problems = check_score_values(standard, items, scorer) + check_bonus(standard, bonus)
        problems += check_veto_verdicts(standard, items, verdicts) + check_veto_scores(standard, items, verdicts)
        problems += check_reconciliation_source(
            scorer, [str(r["item_code"]) for r in rows if r["reconciled"] is not None]
        )
        if "remark_by_experts" in by_rule:  # PJDF-2025.2 on: the first workbook has no 扣分说明
            problems += check_remark_source(scorer, [str(r["item_code"]) for r in rows if r["remark"]])
        unevidenced = [r for r in scored if not str(r["evidence"] or "").strip()]
        problems += check_self_evidence(scorer, [str(r["item_code"]) for r in unevidenced])
        return problems, {**items, **bonus}

    experts_by_archive: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(dict)
    for (archive, scorer), group in groups.items():
        # An item's row repeated (refused by score_row_unique) is judged on its own: the sheet is judged on each item's
        # first row, and a later row's value was taken for the first's (a valid 9 told it was 99 out of range).
        first: dict[str, dict[str, Any]] = {}
        repeats = [r for r in group if first.setdefault(str(r["item_code"]), r) is not r]
        problems, scores = item_problems(list(first.values()), scorer)
        items = {code: value for code, value in scores.items() if not is_bonus_code(code)}
        # An unknown code is its own (located) error: not also every item unscored; nor is an expert's sheet for an
        # archive not assigned to them (refused as such: a probe's list gave it 62 lines of missing items).
        if archive in known_archives and not keyless and _may_score(context, scorer, archive):
            missing = check_all_scored(standard, items, scorer)
            if len(missing) > MISSING_LISTED:
                failures.append(_missing_items(form, by_rule["score_complete"], missing, archive, scorer))
            else:
                problems += missing
        locate(problems, list(first.values()), archive, scorer)
        for row in repeats:
            locate(item_problems([row], scorer)[0], [row], archive, scorer)
        if scorer != SELF_SOURCE:
            experts_by_archive[archive][scorer] = scores
    for archive, experts in experts_by_archive.items():
        expert_rows = [r for (a, s), group in groups.items() if a == archive and s != SELF_SOURCE for r in group]
        reconciliations: dict[str, Reconciliation] = {}
        for r in expert_rows:
            if r["reconciled"] is not None:
                reconciliations.setdefault(
                    str(r["item_code"]), Reconciliation(as_decimal(r["reconciled"]), str(r["note"] or ""))
                )
        # Experts further apart than 20 % in the workbook need the panel's value in it. Whether a value given counts
        # is judged over every expert's sheet, the workbook's and those already submitted (a 合议分 sent with one
        # expert's sheet was said not to count, and then counted).
        facts = context.evaluation
        submitted = facts.submitted_experts.get(archive, {}) if facts else {}
        every = {**{s: v for s, v in submitted.items() if s not in experts}, **experts}
        every_spread = expert_spreads(standard, every)
        problems = check_reconciliations(standard, expert_spreads(standard, experts), reconciliations)
        problems += unneeded_reconciliations(standard, every_spread, reconciliations)
        if facts and len(every) > len(experts):
            # Apart from sheets already submitted: the archive will wait for the panel's value (said, not silent).
            settled = {*reconciliations, *facts.reconciled_items.get(archive, ())}
            settled |= {p.item_code for p in problems if p.rule_id == "reconciliation_required"}
            problems += pending_reconciliations(standard, every_spread, settled)
        locate(problems, expert_rows, archive, "专家组")
    return failures


# More items than this missing from one sheet are said in one line (a probe's 204-line list was 201 of them).
MISSING_LISTED = 3


def _may_score(context: CheckContext, scorer: str, archive: str) -> bool:
    """Whether a sheet's scorer may score the archive, as far as the context knows (an archive's own sheet may)."""
    facts = context.evaluation
    if facts is None or scorer == SELF_SOURCE:
        return True
    try:
        check_scoring_allowed(scorer, archive, facts.assignments, True)
    except AccessDenied:
        return False
    return True


def _missing_items(form: Form, rule: Rule, missing: list[ScoreProblem], archive: str, scorer: str) -> Failure:
    """One failure for the many items a sheet leaves unscored: how many, and which (the first ten)."""
    codes = [p.item_code for p in missing]
    named = "、".join(codes[:10]) + ("等" if len(codes) > 10 else "")
    text = f"{rule.message}该评分表缺 {len(codes)} 项：{named}。（档案馆 {archive}，{scorer}）"
    return _unplaced(form, rule, None, text)


def expert_spreads(
    standard: EvaluationStandard, experts: Mapping[str, Mapping[str, Decimal]]
) -> dict[str, tuple[Decimal, ...]]:
    """Each item's expert scores, scoring and bonus items alike (a bonus item one expert left blank counts as none
    awarded, as scoring counts it)."""
    scoring = {s: {c: v for c, v in scores.items() if c in standard.items_by_code} for s, scores in experts.items()}
    return {**pivot_expert_scores(scoring), **awarded_bonus(standard, experts)}


def check_reconciliation_consistent(
    rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext
) -> list[Failure]:
    """Different reconciled values for the same archive and item on different rows."""
    rows, failures = _rows(sheets, form), []
    values: dict[tuple[object, object], set[object]] = defaultdict(set)
    positioned = _positioned(rows)
    for r in positioned:
        if r["reconciled"] is not None:
            values[(r["archive_code"], r["item_code"])].add(r["reconciled"])
    for rule in rules:
        hits = [
            (int(r["_at"]), None)
            for r in positioned
            if r["reconciled"] is not None and len(values[(r["archive_code"], r["item_code"])]) > 1
        ]
        failures += _fail(form, rows, rule, hits)
    return failures


def _sheet_entries(rows: pl.DataFrame) -> dict[tuple[str, str], dict[str, ScoreEntry]]:
    """Each archive and scorer's items in this workbook, as a loaded sheet holds them (score and veto verdict), read
    in one pass (a whole round's workbook holds some 300 sheets)."""
    sheets: dict[tuple[str, str], dict[str, ScoreEntry]] = defaultdict(dict)
    for r in rows.iter_rows(named=True):
        if r["archive_code"] and r["scorer"] and r["item_code"]:
            sheets[str(r["archive_code"]), str(r["scorer"])][str(r["item_code"])] = (
                None if r["score"] is None else Decimal(str(r["score"])),
                r["veto_verdict"] == VETO_PASSED if r["veto_verdict"] else None,
            )
    return sheets


def check_evaluation_access(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """The round is open; an expert scores only the archives assigned to them (once per archive and expert)."""
    facts = context.evaluation
    if facts is None:
        return []
    rows, failures = _rows(sheets, form), []
    by_rule = {rule.rule_id: rule for rule in rules}
    if not facts.is_open:
        if "evaluation_round_open" in by_rule and rows.height:
            # Which of the two (it said 未开启或已结束), and whom to ask.
            state = facts.closed or "尚未开启"
            message = (
                f"评价轮次 {facts.round_id} {state}，不能报送评分；如须补报，请联系国家档案局规划人员重新开启该轮次。"
            )
            failures.append(_unplaced(form, by_rule["evaluation_round_open"], facts.round_id, message))
        return failures
    seen: set[tuple[object, object]] = set()
    entries = _sheet_entries(rows) if facts.loaded_sheets else {}
    unassigned, own, replaced, on_behalf = [], [], [], []
    for r in _positioned(rows):
        key = (r["archive_code"], r["scorer"])
        if not r["archive_code"] or not r["scorer"] or key in seen:
            continue
        seen.add(key)
        archive, scorer = str(r["archive_code"]), str(r["scorer"])
        if (loaded := facts.loaded_sheets.get((archive, scorer))) is not None and (
            said := describe_replaced_sheet(archive, scorer, loaded, entries.get((archive, scorer), {}))
        ):
            replaced.append((int(r["_at"]), said))
        if scorer == SELF_SOURCE:
            continue
        try:
            check_scoring_allowed(scorer, archive, facts.assignments, facts.is_open)
        except AccessDenied as denied:
            unassigned.append((int(r["_at"]), denied.message))
        if (saved_at := facts.own_sheets.get((archive, scorer))) is not None:
            own.append((int(r["_at"]), describe_own_sheet(archive, scorer, saved_at)))
        elif scorer in facts.expert_accounts:
            # Loaded under an expert's account by whoever uploads (a probe's planner submitted one, unsaid).
            on_behalf.append((int(r["_at"]), None))
    for rule_id, hits in (
        ("scorer_assigned", unassigned),
        ("scorer_own_sheet", own),
        ("scorer_sheet_replaced", replaced),
        ("scorer_is_platform_expert", on_behalf),
    ):
        if rule_id in by_rule:
            failures += _fail(form, rows, by_rule[rule_id], hits)
    return failures


# ------------------------------------------------------------------------------------------------ indicators


def check_indicator_source(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """A computed indicator uploaded as if it were reported."""
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        hits = [(r["_at"], None) for r in _positioned(rows) if r["indicator_code"] in COMPUTED_INDICATORS]
        failures += _fail(form, rows, rule, hits)
    return failures


def check_cumulative_not_lower(
    rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext
) -> list[Failure]:
    """A cumulative indicator's value below the same indicator's and province's value of the year before, in the
    workbook."""
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        codes = set(rule.param("codes"))
        given = [
            r
            for r in _positioned(rows)
            if r["indicator_code"] in codes and r["year"] is not None and r["value"] is not None
        ]
        values = {(r["indicator_code"], r["province_code"], r["year"]): r["value"] for r in given}
        hits = [
            (
                r["_at"],
                f"{rule.message}（{r['year'] - 1}年 {display_value(earlier)}，{r['year']}年 {display_value(r['value'])}）",
            )
            for r in given
            if (earlier := values.get((r["indicator_code"], r["province_code"], r["year"] - 1))) is not None
            and r["value"] < earlier
        ]
        failures += _fail(form, rows, rule, hits)
    return failures


def check_far_above_target(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """A reported value more than `factor` times its indicator's national target."""
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        targets, factor = rule.param("targets"), rule.param("factor")
        hits = [
            (r["_at"], f"{rule.message}（填写 {display_value(r['value'])}，目标 {display_value(target)}）")
            for r in _positioned(rows)
            if r["value"] is not None
            and (target := targets.get(r["indicator_code"])) is not None
            and r["value"] > factor * target
        ]
        failures += _fail(form, rows, rule, hits)
    return failures


# ------------------------------------------------------------------------------------------- annual statistics


def describe_annual_change(rule: Rule, annual: AnnualStatistics, census: int) -> str | None:
    """The message of a holder whose census 卷 + 件 differ from its annual statistics' by more than the rule's
    `max_change_pct` percent of the annual figure, or None: exactly that much passes, and against an annual 0 any
    holdings are too much. Figures are written with thousands separators, the change to one decimal (half up; two,
    rounded up, where one would read as the limit itself)."""
    base, change = annual.holdings, census - annual.holdings
    if abs(change) * 100 <= rule.param("max_change_pct") * base:
        return None
    if base == 0:
        words = rule.param("from_zero")
    else:
        exact = Decimal(abs(change) * 100) / Decimal(base)
        pct = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if pct <= rule.param("max_change_pct"):  # just over the limit: never shown as the limit itself (30.0%)
            pct = exact.quantize(Decimal("0.01"), rounding=ROUND_UP)
        words = rule.param("increase" if change > 0 else "decrease").format(pct=f"{pct:,}")
    detail: str = rule.param("detail")
    return detail.format(year=annual.year, change=words, annual=f"{base:,}", census=f"{census:,}")


def check_differs_from_annual_stats(
    rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext
) -> list[Failure]:
    """Holders whose register row gives annual statistics their 卷 + 件 differ from too much; skipped without the
    register's figures, and on rows with an empty or unreadable count (the required and type rules report those)."""
    if not context.annual_stats:
        return []
    rows, failures = _rows(sheets, form), []
    for rule in rules:
        fields = rule.param("holdings")
        units = [form.field(name).unit or "" for name in fields]
        columns = [rows.get_column(name).to_list() for name in ("uscc", *fields)]
        hits: list[tuple[int, str | None]] = []
        compared: list[str] = []
        for at, (code, *counts) in enumerate(zip(*columns, strict=True)):
            annual = context.annual_stats.get(code) if code is not None else None
            if annual is None or any(count is None for count in counts):
                continue
            message = describe_annual_change(rule, annual, sum(counts))
            if message is not None:
                hits.append((at, message))
                # The value compared, not the located cell's alone (填报值 2204 beside 本表 4,556 read as a mistake).
                parts = " + ".join(f"{count:,} {unit}".strip() for count, unit in zip(counts, units, strict=True))
                compared.append(f"{parts} = {sum(counts):,}")
        failures += [
            replace(failure, value=value)
            for failure, value in zip(_fail(form, rows, rule, hits), compared, strict=True)
        ]
    return failures


# ------------------------------------------------------------------------------------------------------ scopes


def check_held_elsewhere(rules: Sequence[Rule], form: Form, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """Holders already in a current accepted return of another scope: each row names the return that holds it."""
    if context.held_elsewhere is None or not context.held_elsewhere:
        return []
    rows = _rows(sheets, form)
    failures: list[Failure] = []
    for rule in rules:
        assert rule.field is not None
        hits = [
            (at, f"{rule.message}（已列入{held.describe()}）")
            for at, code in enumerate(rows.get_column(rule.field).to_list())
            if code is not None and (held := context.held_elsewhere.get(code)) is not None
        ]
        failures += _fail(form, rows, rule, hits)
    return failures


WORKBOOK_RULES: dict[str, WorkbookRule] = {
    "key_in_sheet": check_key_in_sheet,
    "compare_in_sheet": check_compare_in_sheet,
    "row_count": check_row_count,
    "new_record": check_new_records,
    "repeated_row": check_repeated_rows,
    "checklist_size": check_checklist_size,
    "inspection_grading": check_inspection_grading,
    "finding_inspection": check_finding_inspection,
    "checklist_item": check_checklist_item,
    "veto_finding_counted": check_veto_findings_counted,
    "deadline_after_feedback": check_deadline_after_feedback,
    "lifecycle": check_lifecycle,
    "evaluation": check_evaluation,
    "reconciliation_consistent": check_reconciliation_consistent,
    "evaluation_access": check_evaluation_access,
    "indicator_source": check_indicator_source,
    "cumulative_not_lower": check_cumulative_not_lower,
    "far_above_target": check_far_above_target,
    "held_by_other_return": check_held_elsewhere,
    "differs_from_annual_stats": check_differs_from_annual_stats,
}
WORKBOOK_RULE_KINDS = frozenset(WORKBOOK_RULES)


def run_workbook_rules(book: WorkbookForm, sheets: Sheets, context: CheckContext) -> list[Failure]:
    """The failures of every workbook rule of every sheet of the workbook, kind by kind in declaration order."""
    failures: list[Failure] = []
    for form in book.sheets:
        rules_by_kind: dict[str, list[Rule]] = defaultdict(list)
        for rule in form.rules:
            if rule.kind in WORKBOOK_RULES:
                rules_by_kind[rule.kind].append(rule)
        for kind, rules in rules_by_kind.items():
            failures += WORKBOOK_RULES[kind](rules, form, sheets, context)
    return failures
