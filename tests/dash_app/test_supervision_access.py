"""The supervision pages without a browser: /evaluation, /inspections and /indicators over a copy of the supervision
demo (plus accepted census returns of 440000 and 450000), with the real app and Flask's test client.

Callbacks are posted as the Dash renderer posts them (see test_access.py), wildcard states as the lists the renderer
sends for `ALL`, an upload as dcc.Upload's base64 data URL: what the browser's developer tools could send. What the
app says is checked against the warehouse's own query functions, and every change (or refusal) against the
warehouse state afterwards. Deadlines are judged on the demo's day (ARCHIVE_CENSUS_AS_OF = DEMO_TODAY).
"""

from __future__ import annotations

import base64
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest

from census_schema.archives import list_comprehensive_archives
from census_schema.audit import AUDIT_STATE_LABELS
from census_schema.census_form import CENSUS_FORM, REGISTER_FORM, ROUND_ID
from census_schema.clock import to_beijing
from census_schema.errors import IllegalTransition
from census_schema.roles import Role
from census_schema.settings import Settings
from census_schema.supervision.checklist import CHECKLIST_PROVISIONAL
from census_schema.supervision.codes import (
    CENTRAL_UNIT_CLASSES,
    NATIONAL_BUREAU,
    FindingRole,
    FindingSeverity,
    FindingStatus,
)
from census_schema.supervision.evaluation import MAX_REMARK, SELF_SOURCE, STANDARD_PROVISIONAL, get_standard
from census_schema.supervision.indicators import PLAN_INDICATORS
from dash_app import audit_rows, ids
from dash_app.access import Viewer, for_web
from dash_app.app import close_app, create_app
from dash_app.context import CONTEXT_EXTENSION
from dash_app.formatting import format_date, format_value
from dash_app.grid import EXPORT_HEADER_ROW, NO_ROWS_EXPORTED, link_parts
from dash_app.pages import evaluation, indicators, inspections
from dash_app.pages.inspections import evidence_link, lifecycle_roles
from dash_app.reports import OVERDUE_LISTED
from dash_app.security import describe_callback
from dash_app.webstate import AuditOutbox, WebState
from flows.ingest import IngestRequest, ingest_workbook
from flows.supervision import change_finding
from flows.supervision_reports import yearly_status
from supervision.lifecycle import apply_transition
from synthetic.supervision import DEMO_TODAY
from tests.dash_app.conftest import PROVINCE_HOLDERS, USERS, private_demo_warehouse, province_workbook
from tests.dash_app.test_access import (
    callback_key,
    client_of,
    export_grid,
    exported_workbook,
    grid_rows,
    load_grid,
    post_callback,
    render_page,
    returned,
)
from warehouse.audit import query_audit_log
from warehouse.backends import EmbeddedWarehouse
from warehouse.evaluation import (
    DEFAULT_ROUND,
    archive_label,
    awaiting_reconciliation,
    describe_result_state,
    fetch_round,
    query_assignments,
    query_deviations,
    query_evaluation_results,
    query_pending_reconciliations,
    query_scores,
    sheet_version,
)
from warehouse.indicators import (
    computed_indicator_values,
    query_indicator_progress,
    query_provincial_progress,
    query_reported_values,
)
from warehouse.inspections import (
    fetch_finding_states,
    query_finding_history,
    query_findings,
    summarize_inspections,
    transition_finding,
)
from warehouse.users import set_full_name

STANDARD = get_standard()
EVIDENCE_BYTES = "%PDF-1.4\n%整改报告：已按要求完成整改。\n%%EOF\n".encode()
# dcc.Upload's `contents`: a data URL with the file base64-encoded.
EVIDENCE_UPLOAD = "data:application/pdf;base64," + base64.b64encode(EVIDENCE_BYTES).decode()
# Beijing's office: central organs and central enterprises lie in Beijing but answer to the national bureau.
BEIJING = ("beijing", Role.PROVINCE, "110000")
# A prefecture's and a county's office in Guangdong: the province's supervision data is not theirs.
LOCAL_OFFICES = (("guangzhou", Role.PREFECTURE, "440100"), ("tianhe", Role.COUNTY, "440106"))
# A central channel's office: a role that may open neither the evaluation page nor the others of NOT_LOCAL_PAGES.
CENTRAL_OFFICE = ("yangqi", Role.CENTRAL, "enterprises")


@dataclass(frozen=True)
class Site:
    """The app and the warehouse it serves."""

    app: Any
    store: EmbeddedWarehouse
    settings: Settings


@pytest.fixture(scope="module")
def site(supervision_demo_db, tmp_path_factory) -> Iterator[Site]:
    """A private copy of the supervision demo, census returns of two provinces, the users, and the app."""
    folder = tmp_path_factory.mktemp("supervision-access")
    settings = private_demo_warehouse(supervision_demo_db, folder, [*USERS, BEIJING, *LOCAL_OFFICES, CENTRAL_OFFICE])
    store = EmbeddedWarehouse(settings.db_path)
    # Census returns give the computed plan indicators provincial values (the heatmap) for both test provinces.
    for province in PROVINCE_HOLDERS:
        for form in (REGISTER_FORM, CENSUS_FORM):
            path = province_workbook(folder / f"{form.kind}-{province}.xlsx", form, province, 3)
            outcome = ingest_workbook(store, IngestRequest(path, form.kind, province, "测试"), settings)
            assert outcome.status == "accepted", outcome.failures
    app = create_app(settings)
    yield Site(app, store, settings)
    close_app(app)


@pytest.fixture
def app(site):
    return site.app


def read(site: Site, query: Any, *args: Any, **kwargs: Any) -> Any:
    """A query on the warehouse's current state."""
    with site.store.reader() as connection:
        return query(connection, *args, **kwargs)


def _entry(item: Any) -> Any:
    if isinstance(item, list):  # a wildcard (ALL) dependency: one entry per matching component
        return [_entry(i) for i in item]
    component, prop, value = item
    return {"id": component, "property": prop, "value": value}


def registered_key(app, outputs: Sequence[tuple[str, str]]) -> str:
    """The name Dash registered a callback under: `callback_key`, where an output that may be set by several
    callbacks (allow_duplicate) carries a suffix `@<hash>`."""
    wanted = callback_key(outputs)
    found = [key for key in app.callback_map if re.sub(r"@[0-9a-f]+", "", key) == wanted]
    # A typo would get HTTP 400 ("回调不存在"), which a test of refusals must not mistake for one.
    assert len(found) == 1, (wanted, found)
    return found[0]


def post(
    app, client, outputs: Sequence[tuple[str, str]], inputs: Sequence[Any], state: Sequence[Any] = (), changed=None
):
    """POST a callback as the renderer does; `changed` names the input that fired (default: the first)."""
    key = registered_key(app, outputs)
    names = [key] if not key.startswith("..") else key[2:-2].split("...")
    targets = [{"id": name.rsplit(".", 1)[0], "property": name.rsplit(".", 1)[1]} for name in names]
    fired = changed or f"{inputs[0][0]}.{inputs[0][1]}"
    body = {
        "output": key,
        "outputs": targets[0] if len(targets) == 1 else targets,
        "inputs": [_entry(i) for i in inputs],
        "state": [_entry(s) for s in state],
        "changedPropIds": [fired],
    }
    return client.post("/_dash-update-component", json=body)


def components(tree: Any, kind: str, key: str = "item") -> dict[str, dict[str, Any]]:
    """Props of the components in a serialised tree whose id is {"type": kind, key: code}, by code."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(tree, list):
        for value in tree:
            found |= components(value, kind, key)
    elif isinstance(tree, dict):
        props = tree.get("props", {})
        if isinstance(props.get("id"), dict) and props["id"].get("type") == kind:
            found[props["id"][key]] = props
        for value in props.values():
            found |= components(value, kind, key)
    return found


# --- /evaluation: the evaluator's form ------------------------------------------------------------------------------

SCORE_CODES = [item.code for item in STANDARD.items] + [bonus.code for bonus in STANDARD.bonus_items]
VETO_CODES = [item.code for item in STANDARD.veto_items]
ITEM_CODES = [item.code for item in STANDARD.items]  # each with its 扣分说明 (bonus items have none)


def props_of(tree: Any, component_id: str) -> dict[str, Any] | None:
    """Props of the component whose id is `component_id` in a serialised tree, or None."""
    if isinstance(tree, list):
        return next((found for value in tree if (found := props_of(value, component_id)) is not None), None)
    if isinstance(tree, dict):
        props = tree.get("props", {})
        return props if props.get("id") == component_id else props_of(list(props.values()), component_id)
    return None


def stores(tree: Any, store_id: str) -> list[Any]:
    """The data of the dcc.Store components whose pattern id has this type in a serialised tree."""
    if isinstance(tree, list):
        return [d for t in tree for d in stores(t, store_id)]
    if isinstance(tree, dict):
        props = tree.get("props", {})
        found = [props.get("data")] if isinstance(props.get("id"), dict) and props["id"].get("type") == store_id else []
        return found + [d for value in props.values() for d in stores(value, store_id)]
    return []


def score_id(code: str) -> dict[str, str]:
    return {"type": ids.EVALUATION_SCORE, "item": code}


def remark_id(code: str) -> dict[str, str]:
    return {"type": ids.EVALUATION_REMARK, "item": code}


def verdict_id(code: str) -> dict[str, str]:
    return {"type": ids.EVALUATION_VERDICT, "item": code}


def show_form(app, client, archive: str | None):
    return post(
        app,
        client,
        [(ids.EVALUATION_FORM, "children"), (ids.EVALUATION_SAVE, "disabled"), (ids.EVALUATION_SUBMIT, "disabled")],
        [(ids.EVALUATION_ARCHIVE, "value", archive)],
    )


def error_id(code: str) -> dict[str, str]:
    return {"type": ids.EVALUATION_SCORE_ERROR, "item": code}


def text_of(tree: Any) -> str:
    """The text a serialised component tree shows."""
    if isinstance(tree, list):
        return "".join(text_of(t) for t in tree)
    if isinstance(tree, dict):
        return text_of(tree.get("props", {}).get("children"))
    return "" if tree is None else str(tree)


def wildcard(kind: str, key: str = "item") -> str:
    """How Dash names a pattern-matching dependency {"type": kind, key: ALL} in a callback's key."""
    return json.dumps({key: ["ALL"], "type": kind}, sort_keys=True, separators=(",", ":"))


# The save's outputs: the message, each field's problem slot, the sheet's version the form goes on from.
SAVE_OUTPUTS = [
    (ids.EVALUATION_RESULT, "children"),
    (wildcard(ids.EVALUATION_SCORE_ERROR), "children"),
    (wildcard(ids.EVALUATION_SHEET_VERSION, "archive"), "data"),
]


def version_id(archive: str) -> dict[str, str]:
    return {"type": ids.EVALUATION_SHEET_VERSION, "archive": archive}


def save_body(
    app,
    archive: str,
    scores: Mapping[str, Any],
    verdicts: Mapping[str, str],
    *,
    submit: bool = False,
    remarks: Mapping[str, Any] | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """The request of a click on 保存草稿 (or 提交评分) with the form holding these values (every other input empty, as
    in the browser). With `version`, the form's store holds that version of the sheet (see sheet_version_after);
    without, the form has none (none checked)."""
    remarks = remarks or {}
    trigger = ids.EVALUATION_SUBMIT if submit else ids.EVALUATION_SAVE
    stores = [version_id(archive)] if version is not None else []
    return {
        "output": registered_key(app, SAVE_OUTPUTS),
        "outputs": [
            {"id": ids.EVALUATION_RESULT, "property": "children"},
            [{"id": error_id(c), "property": "children"} for c in SCORE_CODES],
            [{"id": store, "property": "data"} for store in stores],
        ],
        "inputs": [
            {"id": ids.EVALUATION_SAVE, "property": "n_clicks", "value": None if submit else 1},
            {"id": ids.EVALUATION_SUBMIT, "property": "n_clicks", "value": 1 if submit else None},
        ],
        "state": [
            {"id": ids.EVALUATION_ARCHIVE, "property": "value", "value": archive},
            [{"id": score_id(c), "property": "value", "value": scores.get(c)} for c in SCORE_CODES],
            [{"id": score_id(c), "property": "id", "value": score_id(c)} for c in SCORE_CODES],
            [{"id": verdict_id(c), "property": "value", "value": verdicts.get(c)} for c in VETO_CODES],
            [{"id": verdict_id(c), "property": "id", "value": verdict_id(c)} for c in VETO_CODES],
            [{"id": error_id(c), "property": "id", "value": error_id(c)} for c in SCORE_CODES],
            [{"id": remark_id(c), "property": "value", "value": remarks.get(c)} for c in ITEM_CODES],
            [{"id": remark_id(c), "property": "id", "value": remark_id(c)} for c in ITEM_CODES],
            [{"id": store, "property": "data", "value": version} for store in stores],
        ],
        "changedPropIds": [f"{trigger}.n_clicks"],
    }


def save_outcome(
    app, client, archive: str, scores: Mapping[str, Any], verdicts: Mapping[str, str], **options: Any
) -> tuple[str, dict[str, str]]:
    """Click 保存草稿 (or 提交评分) with the form holding these values (`save_body`, with its `options`): the message
    beside the buttons and the problem shown beside each field (by item)."""
    body = save_body(app, archive, scores, verdicts, **options)
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.status_code
    answer = response.json["response"]
    slots = {c: answer[json.dumps(error_id(c), sort_keys=True, separators=(",", ":"))]["children"] for c in SCORE_CODES}
    return text_of(answer[ids.EVALUATION_RESULT]["children"]), {c: text for c, text in slots.items() if text}


def test_a_save_whose_sheet_versions_do_not_match_the_stores_it_updates_is_refused_as_forged(app, assigned):
    # A probe's save with its version list emptied (the store still among the outputs) got HTTP 500.
    client = client_of(app, "evaluator")
    archive = assigned[0]
    body = {
        "output": registered_key(app, SAVE_OUTPUTS),
        "outputs": [
            {"id": ids.EVALUATION_RESULT, "property": "children"},
            [],
            [{"id": version_id(archive), "property": "data"}],
        ],
        "inputs": [
            {"id": ids.EVALUATION_SAVE, "property": "n_clicks", "value": 1},
            {"id": ids.EVALUATION_SUBMIT, "property": "n_clicks", "value": None},
        ],
        "state": [
            {"id": ids.EVALUATION_ARCHIVE, "property": "value", "value": archive},
            [],
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        ],
        "changedPropIds": [f"{ids.EVALUATION_SAVE}.n_clicks"],
    }
    assert client.post("/_dash-update-component", json=body).status_code == 400


def reconcile_post(app, user: str, archive: str, typed: Mapping[str, tuple[Any, Any]]):
    """Click 保存合议分 with these items' 合议分 and 合议说明 typed (code -> (value, note))."""

    def field(kind: str, code: str) -> dict[str, str]:
        return {"type": kind, "item": code}

    values, notes = ids.EVALUATION_RECONCILED, ids.EVALUATION_RECONCILED_NOTE
    return post(
        app,
        client_of(app, user),
        [(ids.EVALUATION_RECONCILE_RESULT, "children"), (ids.EVALUATION_RESULT, "children")],
        [(ids.EVALUATION_RECONCILE, "n_clicks", 1)],
        [
            (ids.EVALUATION_ARCHIVE, "value", archive),
            [(field(values, c), "value", v) for c, (v, _) in typed.items()],
            [(field(values, c), "id", field(values, c)) for c in typed],
            [(field(notes, c), "value", n) for c, (_, n) in typed.items()],
            [(field(notes, c), "id", field(notes, c)) for c in typed],
        ],
    )


def test_only_the_bureau_s_planner_enters_the_panel_s_reconciled_values(app, site):
    # The page said to upload a workbook, which refuses the rows of experts who scored on the web: no way to settle.
    archive = read(site, query_evaluation_results)[0]["archive_code"]
    pending = read(site, query_pending_reconciliations, archive)
    agreed = next(i.code for i in STANDARD.items if i.code not in {p["item_code"] for p in pending})
    for user in ("evaluator", "guangdong", "admin"):
        assert reconcile_post(app, user, archive, {agreed: ("8", "合议")}).status_code == 403, user
    # The planner's value for an item the archive does not wait on is refused in words; nothing is written.
    before = read(site, awaiting_reconciliation, DEFAULT_ROUND)
    answer = json.dumps(reconcile_post(app, "planner", archive, {agreed: ("8", "合议")}).json, ensure_ascii=False)
    assert f"得分取专家平均分，合议分不会采用：{agreed}" in answer
    assert read(site, awaiting_reconciliation, DEFAULT_ROUND) == before
    # What the audit page says of an entry: the fields by their Chinese names (it read reconciled：A1.1.1 7.5).
    assert audit_rows.state_parts('{"round_id": "2025", "reconciled": {"A1.1.1": "7.5"}}')[1].startswith("合议分：")
    # Its fields are the planner's only, while the round is open.
    item = STANDARD.items[0]
    waiting = [{"item_code": item.code, "item_text": item.text, "max_points": item.max_points,
                "expert_scores": [("专家甲", Decimal(2)), ("专家乙", Decimal(9))], "spread": Decimal(7),
                "allowed": Decimal(2)}]  # fmt: skip

    def fields(block) -> list[Any]:
        return [c for c in block._traverse() if getattr(c, "id", None) == reconciled]

    reconciled = {"type": ids.EVALUATION_RECONCILED, "item": item.code}
    assert fields(evaluation.pending_block(waiting, editable=True)) and not fields(evaluation.pending_block(waiting))


def test_a_refused_callback_is_audited_by_its_page_and_what_it_tried_in_words(app, site, assigned):
    # A probe read 页面回调（更新的内容）：..evaluation-result.children...{"item":["ALL"],…}.children..: component ids.
    client = client_of(app, "guangdong", address="10.6.0.31")
    archive = assigned[0]
    forged = client.post("/_dash-update-component", json=save_body(app, archive, {}, {}))
    assert forged.status_code == 403
    AuditOutbox(WebState(site.settings.var_dir), site.store).flush()
    events = read(site, query_audit_log, kind="access", actor="guangdong")
    logged = [json.loads(e["after_state"]) for e in events if e["source_address"] == "10.6.0.31"]
    named = next(a.name for a in list_comprehensive_archives() if a.archive_code == archive)
    assert [e["callback"] for e in logged] == [f"「业务建设评价」页面：评分表的保存或提交（档案馆：{named}）"]
    # A callback the allow-list does not name: the page's, in words; an archive code it does not know: not repeated.
    body = {"output": registered_key(app, SAVE_OUTPUTS)}
    assert describe_callback({"output": "x-unknown.children"}, "总览") == "页面「总览」的一项操作"
    unknown = [{"id": ids.EVALUATION_ARCHIVE, "property": "value", "value": "<forged>"}]
    assert describe_callback({**body, "state": unknown}, "业务建设评价") == "「业务建设评价」页面：评分表的保存或提交"


def dom_id(component: dict[str, str]) -> str:
    """How Dash writes a pattern id in a request or response: JSON with sorted keys."""
    return json.dumps(component, sort_keys=True, separators=(",", ":"))


def leave_field(app, client, code: str, typed: Any, shown: Any = None):
    """The evaluator leaves a score field holding `typed` (its slot showing `shown`): the response of the callback
    that judges that one field (MATCH ids, posted as the renderer posts them)."""
    key = registered_key(app, [(dom_id({"item": ["MATCH"], "type": ids.EVALUATION_SCORE_ERROR}), "children")])
    body = {
        "output": key,
        "outputs": {"id": error_id(code), "property": "children"},
        "inputs": [
            {"id": score_id(code), "property": "n_blur", "value": 1},
            {"id": score_id(code), "property": "n_submit", "value": 0},
        ],
        "state": [
            {"id": score_id(code), "property": "value", "value": typed},
            {"id": score_id(code), "property": "id", "value": score_id(code)},
            {"id": error_id(code), "property": "children", "value": shown},
        ],
        "changedPropIds": [f"{dom_id(score_id(code))}.n_blur"],
    }
    return client.post("/_dash-update-component", json=body)


def left_slot(app, client, code: str, typed: Any, shown: Any = None) -> str:
    """What the slot beside the field says once the evaluator leaves it (see leave_field)."""
    response = leave_field(app, client, code, typed, shown)
    assert response.status_code == 200, response.status_code
    return response.json["response"][dom_id(error_id(code))]["children"]


def save(app, client, archive: str, scores: Mapping[str, Any], verdicts: Mapping[str, str], *, submit: bool = False,
         remarks: Mapping[str, Any] | None = None):  # fmt: skip
    """The message beside the buttons after a save (see save_outcome)."""
    return save_outcome(app, client, archive, scores, verdicts, submit=submit, remarks=remarks)[0]


def full_sheet() -> tuple[dict[str, float], dict[str, str]]:
    """Valid scores for every item of the standard (90 % of its maximum, one decimal), a bonus, every veto passed."""
    scores = {item.code: float((item.max_points * Decimal("0.9")).quantize(Decimal("0.1"))) for item in STANDARD.items}
    scores[STANDARD.bonus_items[0].code] = 2.0
    return scores, dict.fromkeys(VETO_CODES, "pass")


@pytest.fixture(scope="module")
def assigned(site) -> list[str]:
    """The demo evaluator's archives (3, none scored yet)."""
    rows = read(site, query_assignments, evaluator="evaluator")
    assert len(rows) == 3 and {r["sheet_state"] for r in rows} == {"未填写"}
    return [r["archive_code"] for r in rows]


@pytest.fixture(scope="module")
def unassigned(assigned) -> str:
    """An archive the demo evaluator is not assigned to."""
    return next(a.archive_code for a in list_comprehensive_archives() if a.archive_code not in assigned)


ARCHIVE_CHOICE = [(ids.EVALUATION_ARCHIVE, "options"), (ids.EVALUATION_ARCHIVE, "value")]


def archive_choice(app, client, search: str = "", chosen: str | None = None) -> tuple[list[str], str | None]:
    """The archives the dropdown offers (sorted) and the one it shows, on /evaluation<search>."""
    response = post(
        app, client, ARCHIVE_CHOICE, [(ids.URL, "search", search)], [(ids.EVALUATION_ARCHIVE, "value", chosen)],
    )  # fmt: skip
    options = returned(response, ids.EVALUATION_ARCHIVE, "options")
    # An unchanged value is not sent again (no_update): the drop-down keeps what it shows.
    value = response.json["response"][ids.EVALUATION_ARCHIVE].get("value", chosen)
    return sorted(o["value"] for o in options), value


def requested(app, client, search: str) -> Any:
    """What the page says about the archive named in its URL."""
    response = post(app, client, [(ids.EVALUATION_REQUESTED, "children")], [(ids.URL, "search", search)])
    return returned(response, ids.EVALUATION_REQUESTED, "children")


def test_an_evaluator_may_choose_exactly_the_assigned_archives(app, assigned):
    client = client_of(app, "evaluator")
    assert archive_choice(app, client) == (assigned, None)
    # /evaluation?archive=CODE opens an assigned archive; the dropdown keeps what the user chose since.
    assert archive_choice(app, client, f"?archive={assigned[1]}") == (assigned, assigned[1])
    assert archive_choice(app, client, f"?archive={assigned[1]}", assigned[2]) == (assigned, assigned[2])
    assert requested(app, client, f"?archive={assigned[1]}") is None
    planner = client_of(app, "planner")
    assert archive_choice(app, planner, "?archive=110000") == (
        sorted(a.archive_code for a in list_comprehensive_archives()),
        "110000",
    )
    assert requested(app, planner, "?archive=110000") is None
    assert "不是参加评价的副省级以上综合档案馆代码" in requested(app, planner, "?archive=999999")["props"]["children"]


def test_an_evaluator_s_archive_list_is_in_the_order_of_their_task_grid(app, assigned):
    # The drop-down listed 甘肃, 青岛, 成都 (the 47's order: provinces, then cities) beside a grid of 青岛, 成都, 甘肃.
    client = client_of(app, "evaluator")
    response = post(app, client, ARCHIVE_CHOICE, [(ids.URL, "search", "")], [(ids.EVALUATION_ARCHIVE, "value", None)])
    listed = [o["value"] for o in returned(response, ids.EVALUATION_ARCHIVE, "options")]
    grid = [r["archive_code"] for r in grid_rows(app, client, ids.EVALUATION_ASSIGNMENTS_GRID, None)]
    assert listed == grid == sorted(assigned), (listed, grid)


def test_the_scoring_form_renders_for_an_assigned_archive(app, assigned):
    shown = show_form(app, client_of(app, "evaluator"), assigned[0])
    assert (
        returned(shown, ids.EVALUATION_SAVE, "disabled") is returned(shown, ids.EVALUATION_SUBMIT, "disabled") is False
    )
    form = returned(shown, ids.EVALUATION_FORM, "children")
    assert sorted(components(form, ids.EVALUATION_SCORE)) == sorted(SCORE_CODES)
    assert sorted(components(form, ids.EVALUATION_VERDICT)) == sorted(VETO_CODES)
    maxima = {item.code: float(item.max_points) for item in STANDARD.items}
    store = next(iter(stores(form, ids.EVALUATION_MAXIMA)))
    assert {c: m for c, (_area, m) in store["items"].items() if c in maxima} == maxima
    assert all(p["placeholder"] == f"0–{item.max_points}" for item in STANDARD.items
               for c, p in components(form, ids.EVALUATION_SCORE).items() if c == item.code)  # fmt: skip
    # Each item says how it is scored and what evidence it asks for, as the standard does.
    shown = text_of(form)
    assert all(
        f"{item.text}评分规则：{item.rule.rstrip('。')}；佐证材料：{item.evidence}。" in shown
        for item in STANDARD.items
    )
    assert all(f"加分：{bonus.text}评分规则：{bonus.rule}" in shown for bonus in STANDARD.bonus_items)


def points_text(score: Decimal) -> str:
    """A score as the sheet writes it: no trailing zeros (8.5, 10), thousands grouped."""
    return f"{score.quantize(Decimal('0.01')):,}".rstrip("0").rstrip(".")


def test_the_scoring_form_shows_the_archive_s_self_evaluation_and_no_other_expert_s_scores(app, site, assigned):
    # The expert checks the archive's own scores and evidence on site: the sheet showed the standard's text alone.
    archive = assigned[0]
    reported = {r["item_code"]: r for r in read(site, query_scores, archive, SELF_SOURCE)}
    assert {item.code for item in STANDARD.items} <= set(reported)  # the demo archive self-evaluated every item
    others = {r["scorer"] for r in read(site, query_scores, archive)} - {SELF_SOURCE, "evaluator"}
    assert others
    form = returned(show_form(app, client_of(app, "evaluator"), archive), ids.EVALUATION_FORM, "children")
    cells = {code: text_of(props["children"]) for code, props in components(form, ids.EVALUATION_SELF_SCORE).items()}
    verdicts = {True: "通过", False: "不通过", None: ""}
    assert cells == {
        **{code: "未申报" for code in (b.code for b in STANDARD.bonus_items) if code not in reported},
        **{
            code: points_text(row["score"]) + (verdicts[row["veto_passed"]] if code in VETO_CODES else "")
            for code, row in reported.items()
        },
    }
    shown = text_of(form)
    assert all(f"该馆所附佐证材料：{row['evidence']}" in shown for row in reported.values())
    total = sum(reported[item.code]["score"] for item in STANDARD.items)
    note = text_of((props_of(form, ids.EVALUATION_SELF_NOTE) or {}).get("children"))
    assert note.startswith(f"该馆自评：{len(STANDARD.items)} 个评分项均已自评，合计 {points_text(total)} 分"), note
    assert not any(name in shown for name in others)  # still nothing of the other experts


def test_an_archive_that_sent_no_self_evaluation_is_said_so_above_the_sheet():
    assert evaluation.self_evaluation_note({}).startswith("该馆尚未报送自评表")
    sent = datetime(2025, 3, 1, 2, 30)  # UTC: 10:30 in Beijing
    one = {"A1.1.1": {"score": Decimal("8.5"), "veto_passed": None, "evidence": "x", "saved_at": sent}}
    assert evaluation.self_evaluation_note(one).startswith(
        f"该馆自评：{len(STANDARD.items)} 个评分项中自评了 1 项，合计 8.5 分（2025年3月1日 10:30 报送）"
    )
    assert evaluation.reported_cell(None, is_veto=True) == "未自评"
    assert evaluation.reported_cell(None, is_veto=False, is_bonus=True) == "未申报"


def test_an_unassigned_archive_is_refused_and_nothing_of_it_is_sent(app, site, unassigned):
    client = client_of(app, "evaluator")
    experts = {r["scorer"] for r in read(site, query_scores, unassigned)}
    assert experts  # the archive has been scored by others: their names must not reach this evaluator

    # The page opened as /evaluation?archive=CODE: the dropdown does not take the code, the page says why.
    page = render_page(app, client, evaluation.PATH, f"?archive={unassigned}")
    assert page.status_code == 200 and ids.PAGE_REFUSED not in page.text
    assert archive_choice(app, client, f"?archive={unassigned}")[1] is None
    said = requested(app, client, f"?archive={unassigned}")
    assert said["props"]["id"] == ids.EVALUATION_REFUSED
    named = next(a.name for a in list_comprehensive_archives() if a.archive_code == unassigned)
    assert said["props"]["children"].startswith(f"评价专家「evaluator」未被分配评价{named}（{unassigned}），不能查看")
    assert said["props"]["children"].endswith("处理办法：如该档案馆应由您评价，请联系国家档案局规划人员分派。")

    # A forged callback with the code in the dropdown is refused by the form, and by everything else on the page.
    form = show_form(app, client, unassigned)
    refusal = returned(form, ids.EVALUATION_FORM, "children")
    assert refusal["props"]["id"] == ids.EVALUATION_REFUSED
    assert "未被分配" in refusal["props"]["children"] and unassigned in refusal["props"]["children"]
    assert components(refusal, ids.EVALUATION_SCORE) == {}
    assert returned(form, ids.EVALUATION_SAVE, "disabled") is returned(form, ids.EVALUATION_SUBMIT, "disabled") is True

    # Nor does anything else on the page show the archive's scores.
    radar = post(
        app, client,
        [(ids.EVALUATION_RADAR, "figure"), (ids.EVALUATION_RADAR_TABLE, "children"), (ids.EVALUATION_REPORT_LINK, "children")],
        [(ids.EVALUATION_ARCHIVE, "value", unassigned), (ids.EVALUATION_RESULT, "children", None)],
    )  # fmt: skip
    figure = returned(radar, ids.EVALUATION_RADAR, "figure")
    assert figure["data"] == [] and returned(radar, ids.EVALUATION_REPORT_LINK, "children") == ""  # a message, no data
    assert returned(radar, ids.EVALUATION_RADAR_TABLE, "children") is None
    items = load_grid(app, client, ids.EVALUATION_ITEMS_GRID, unassigned, None)
    assert returned(items, ids.EVALUATION_ITEMS_GRID, "rowData") == []
    for response in (form, radar, items):
        assert not any(expert in response.text for expert in experts)

    # A forged save is refused by the warehouse's own rule, and nothing is written; said on the page, the refusal is
    # kept in the audit log as a 403 is (a probe found the download's 403 logged, the save's refusal not).
    scores, verdicts = full_sheet()
    message = save(app, client, unassigned, scores, verdicts, submit=True)
    assert "未被分配" in message
    assert read(site, query_scores, unassigned, "evaluator") == []
    AuditOutbox(WebState(site.settings.var_dir), site.store).flush()
    refused = read(site, query_audit_log, kind="access", actor="evaluator")
    said = f"「业务建设评价」页面：评分表的保存或提交（档案馆：{named}）"  # in words, not the callback's ids
    assert any(json.loads(e["after_state"]).get("callback") == said for e in refused), refused


def test_a_draft_is_saved_and_the_form_is_prefilled_after_reload(app, site, assigned):
    archive = assigned[0]
    client = client_of(app, "evaluator")
    veto = VETO_CODES[0]
    draft = {"A1.1.1": 8.5, veto: 4.0, STANDARD.bonus_items[0].code: 1.5}
    message = save(app, client, archive, draft, {veto: "fail"})
    assert message.startswith(
        f"草稿已保存（未提交，不计入结果）：{archive_label(archive)} 已评 2 项，尚有 {len(STANDARD.items) - 2} 项未评"
    )

    saved = {r["item_code"]: r for r in read(site, query_scores, archive, "evaluator")}
    assert {code: float(r["score"]) for code, r in saved.items()} == draft
    assert saved[veto]["veto_passed"] is False
    assert not any(r["is_submitted"] for r in saved.values())
    state = {r["archive_code"]: r["sheet_state"] for r in read(site, query_assignments, evaluator="evaluator")}
    assert state[archive] == "草稿"

    # Reloading the page (a new client, the same user) shows the draft in the form.
    form = returned(show_form(app, client_of(app, "evaluator"), archive), ids.EVALUATION_FORM, "children")
    shown = {code: props.get("value") for code, props in components(form, ids.EVALUATION_SCORE).items()}
    assert {code: float(value) for code, value in shown.items() if value is not None} == draft
    assert components(form, ids.EVALUATION_VERDICT)[veto]["value"] == "fail"
    rows = grid_rows(app, client, ids.EVALUATION_ASSIGNMENTS_GRID, None)
    # 已评 counts the standard's items scored, as the form does (the bonus claim and a verdict are not items).
    assert {r["archive_code"]: (r["sheet_state"], r["items_scored"]) for r in rows}[archive] == ("草稿", 2)
    # 该馆自评: the archive's own scores, counted from its rows as the sheet's summary counts them.
    own = [r for r in read(site, query_scores, archive, SELF_SOURCE) if r["item_code"] in STANDARD.items_by_code]
    scored = sum(r["score"] is not None for r in own)
    assert {r["archive_code"]: r["self_state"] for r in rows}[archive] == f"已报送（{scored}/{len(STANDARD.items)} 项）"
    # Exported, the list is the expert's own, not the country's (a probe's read 评价任务（全国）).
    response = export_grid(app, client, ids.EVALUATION_ASSIGNMENTS_GRID, None, None)
    name = returned(response, ids.export_download(ids.EVALUATION_ASSIGNMENTS_GRID), "data")["filename"]
    assert name.startswith("评价任务-") and "evaluator" in name and "全国" not in name, name


def test_a_failed_veto_item_given_full_marks_is_saved_and_pointed_out(app, site, assigned):
    archive, veto = assigned[0], VETO_CODES[0]
    client = client_of(app, "evaluator")
    full = float(STANDARD.items_by_code[veto].max_points)
    message = save(app, client, archive, {veto: full}, {veto: "fail"})
    assert message.startswith("草稿已保存")
    assert f"{veto}：否决项结论为「不通过」而该项得分为满分" in message
    assert "两者矛盾" not in save(app, client, archive, {veto: full - 5}, {veto: "fail"})  # points off: consistent


def test_a_veto_verdict_the_form_cannot_send_is_refused_beside_its_item_and_nothing_is_saved(app, site, assigned):
    # A probe replayed the save with a veto item's verdict "maybe": saved, read as 不通过, the archive 不合格.
    archive, veto = assigned[1], VETO_CODES[0]
    client = client_of(app, "evaluator")
    before = read(site, query_scores, archive, "evaluator")
    for forged in ("maybe", "", "通过", "PASS"):
        message, slots = save_outcome(app, client, archive, {veto: 4.0}, {veto: forged})
        assert slots == {veto: f"否决项结论只能是「通过」或「不通过」（收到「{forged}」）。"}, slots
        assert message.startswith("未保存：1 项需要更正") and "本次未做任何处理" in message
        assert read(site, query_scores, archive, "evaluator") == before
    # Said with the item's score's own problem, and the other fields' problems in the same pass.
    top = STANDARD.items_by_code[veto].max_points
    _, slots = save_outcome(app, client, archive, {veto: "99", "A1.1.2": "12"}, {veto: "maybe"})
    assert slots == {
        "A1.1.2": "得分须在 0 至该评分项满分之间。（填写 12，满分 10）",
        veto: f"得分须在 0 至该评分项满分之间。（填写 99，满分 {top}） 否决项结论只能是「通过」或「不通过」（收到「maybe」）。",
    }
    assert read(site, query_scores, archive, "evaluator") == before


def test_an_expert_s_remark_on_an_item_is_saved_trimmed_shown_again_and_cleared_when_emptied(app, site, assigned):
    archive, client = assigned[0], client_of(app, "evaluator")
    said = "  年度总结缺少重点任务落实情况。 "
    assert save(app, client, archive, {"A1.1.1": 8.5}, {}, remarks={"A1.1.1": said}).startswith("草稿已保存")
    saved = {r["item_code"]: r for r in read(site, query_scores, archive, "evaluator")}
    assert saved["A1.1.1"]["remark"] == said.strip()
    form = returned(show_form(app, client_of(app, "evaluator"), archive), ids.EVALUATION_FORM, "children")
    remarks = components(form, ids.EVALUATION_REMARK)
    assert sorted(remarks) == sorted(ITEM_CODES) and remarks["A1.1.1"]["value"] == said.strip()
    assert all(r["maxLength"] == MAX_REMARK for r in remarks.values())
    # Longer than the field allows (a forged request): refused whole, nothing saved.
    refused = save(app, client, archive, {"A1.1.1": 7}, {}, remarks={"A1.1.1": "问" * (MAX_REMARK + 1)})
    assert refused == f"扣分说明超过 {MAX_REMARK} 个字：A1.1.1。 处理办法：请写明主要问题，控制在 {MAX_REMARK} 字以内。"
    unseen = {"A1.1.1": "档案\u202e不全", "A1.1.2": "目录\u200b缺失"}
    refused = save(app, client, archive, {"A1.1.1": 7}, {}, remarks=unseen)
    assert refused.startswith("扣分说明含有看不见的字符：A1.1.1「档案[U+202E]不全」；A1.1.2「目录[U+200B]缺失」。")
    assert read(site, query_scores, archive, "evaluator")[0]["score"] == Decimal("8.5")
    # Emptied, it is gone.
    assert save(app, client, archive, {"A1.1.1": 8.5}, {}, remarks={"A1.1.1": "  "}).startswith("草稿已保存")
    assert {r["item_code"]: r["remark"] for r in read(site, query_scores, archive, "evaluator")}["A1.1.1"] is None


def test_a_form_left_open_in_another_tab_cannot_save_over_a_newer_sheet(app, site, assigned):
    # Tab A opened the sheet; tab B submitted it whole; a score typed in tab A and saved turned the submitted sheet
    # into a one-item draft (its blank fields clear items), told only "已撤回此前的提交".
    archive, client = assigned[2], client_of(app, "evaluator")
    assert save(app, client, archive, {"A1.1.1": 9.0}, {}).startswith("草稿已保存")
    form = returned(show_form(app, client, archive), ids.EVALUATION_FORM, "children")
    opened = components(form, ids.EVALUATION_SHEET_VERSION, key="archive")[archive]["data"]
    assert opened == sheet_version(read(site, query_scores, archive, "evaluator"))
    scores, verdicts = full_sheet()
    said = save_outcome(app, client, archive, scores, verdicts, submit=True, version=opened)[0]
    assert said.startswith("已提交")
    submitted = read(site, query_scores, archive, "evaluator")
    stale = save_outcome(app, client, archive, {"A1.1.2": 8.0}, {}, version=opened)[0]
    assert "已于" in stale and "另行保存（在另一个窗口或标签页）" in stale and "本次未做任何处理" in stale, stale
    assert "请刷新页面" in stale
    assert read(site, query_scores, archive, "evaluator") == submitted
    # Submitted again as it is: nothing written (its save time stays) and said so (it said 已提交 again).
    again = save_outcome(app, client, archive, scores, verdicts, submit=True, version=sheet_version(submitted))[0]
    assert again.startswith(f"未作改动：{archive_label(archive)}的评分与") and "提交的评分表相同" in again, again
    assert read(site, query_scores, archive, "evaluator") == submitted
    # Reloaded, the tab shows the submitted sheet and saves over it as the evaluator chooses (here a draft again,
    # which the next test submits).
    fresh = sheet_version(submitted)
    assert save_outcome(app, client, archive, scores, verdicts, version=fresh)[0].startswith("已撤回此前的提交")


def test_an_incomplete_sheet_cannot_be_submitted_and_the_missing_items_are_named(app, site, assigned):
    archive = assigned[1]
    client = client_of(app, "evaluator")
    scores, verdicts = full_sheet()
    left_out = [STANDARD.items[3].code, STANDARD.items[40].code]
    for code in left_out:
        scores.pop(code)
    assert save(app, client, archive, {"A1.1.1": 9.0}, {}).startswith("草稿已保存")
    before = read(site, query_scores, archive, "evaluator")

    message, slots = save_outcome(app, client, archive, scores, verdicts, submit=True)
    assert message.startswith("未提交：2 项需要更正")
    assert all(code in message for code in left_out)
    assert set(slots) == set(left_out) and all("每个适用评分项都须评分" in text for text in slots.values())
    assert read(site, query_scores, archive, "evaluator") == before  # the draft stays as it was, not submitted

    # The form as reloaded (the draft's one score prefilled): each missing item beside its field, the first ten in
    # the list beside the buttons and how many more there are.
    message, slots = save_outcome(app, client, archive, {"A1.1.1": 9.0}, {}, submit=True)
    missing = [item.code for item in STANDARD.items if item.code != "A1.1.1"]
    assert message.startswith(f"未提交：{len(missing)} 项需要更正")
    shown = missing[: evaluation.MAX_LISTED_PROBLEMS]
    assert all(f"{code}：" in message for code in shown) and f"另有 {len(missing) - len(shown)} 项" in message
    assert set(slots) == set(missing)
    assert read(site, query_scores, archive, "evaluator") == before


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("999", "得分须在 0 至该评分项满分之间。（填写 999，满分 10）"),
        ("-3", "得分须在 0 至该评分项满分之间。（填写 -3，满分 10）"),
        ("9.75", "得分最多保留一位小数。（填写 9.75）"),
        ("九", "「九」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。"),
        # A comma was read as a decimal point: 1,000 saved as 1.0 without a word, 7,5 as 7.5.
        ("1,000", "「1,000」含逗号：得分请用小数点「.」表示小数，不要用逗号。"),
        ("7,5", "「7,5」含逗号：得分请用小数点「.」表示小数，不要用逗号。"),
    ],
)
def test_an_invalid_score_is_shown_beside_its_field_and_nothing_is_saved(app, site, assigned, typed, reason):
    archive = assigned[1]
    client = client_of(app, "evaluator")
    before = read(site, query_scores, archive, "evaluator")
    assert STANDARD.items_by_code["A1.1.2"].max_points == 10
    message, slots = save_outcome(app, client, archive, {"A1.1.1": "8", "A1.1.2": typed}, {})
    assert slots == {"A1.1.2": reason}
    assert message.startswith("未保存：1 项需要更正") and "本次未做任何处理" in message
    assert read(site, query_scores, archive, "evaluator") == before
    # Leaving the field said the same before any save, and says nothing once it is corrected.
    assert left_slot(app, client, "A1.1.2", typed) == reason
    assert left_slot(app, client, "A1.1.2", "9.5", reason) == ""


def test_a_save_refused_for_a_field_that_is_not_a_number_says_every_other_field_s_problem_too(app, site, assigned):
    # It said the unreadable field alone (and cleared the others' marks); the next save said the rest.
    archive = assigned[1]
    before = read(site, query_scores, archive, "evaluator")
    typed = {"A1.1.1": "11", "A1.1.2": "-1", "A1.1.3": "abc", "A1.2.1": "9.75", "A1.2.2": "8"}
    message, slots = save_outcome(app, client_of(app, "evaluator"), archive, typed, {})
    assert message.startswith("未保存：4 项需要更正") and list(slots) == ["A1.1.1", "A1.1.2", "A1.1.3", "A1.2.1"]
    assert (
        slots["A1.1.3"] == "「abc」不是数字：请填写 0 至 10 之间的数，最多保留一位小数。"
        and slots["A1.2.1"] == "得分最多保留一位小数。（填写 9.75）"
    )
    assert read(site, query_scores, archive, "evaluator") == before


def test_a_field_is_judged_when_left_by_an_evaluator_only_and_from_the_page_s_own_values(app):
    assert left_slot(app, client_of(app, "evaluator"), "B5", "6") == "加分须在 0 至该加分项上限之间。（填写 6，上限 5）"
    assert leave_field(app, client_of(app, "planner"), "A1.1.2", "12").status_code == 403
    assert leave_field(app, client_of(app, "guangdong"), "A1.1.2", "12").status_code == 403
    client = client_of(app, "evaluator")
    for typed, shown in ((12, None), ("12", {"props": {}}), (["12"], None)):
        assert leave_field(app, client, "A1.1.2", typed, shown).status_code == 400


def test_full_width_digits_are_read_as_scores(app, site, assigned):
    archive = assigned[1]
    message, slots = save_outcome(app, client_of(app, "evaluator"), archive, {"A1.1.1": "９．５"}, {})
    assert slots == {} and message.startswith(f"草稿已保存（未提交，不计入结果）：{archive_label(archive)} 已评 1 项")
    assert {r["item_code"]: float(r["score"]) for r in read(site, query_scores, archive, "evaluator")} == {
        "A1.1.1": 9.5
    }


def test_a_complete_sheet_is_submitted(app, site, assigned):
    archive = assigned[2]
    experts = next(r["experts"] for r in read(site, query_evaluation_results) if r["archive_code"] == archive)
    scores, verdicts = full_sheet()
    message = save(app, client_of(app, "evaluator"), archive, scores, verdicts, submit=True)
    assert message.startswith(f"已提交：{archive_label(archive)} 已评 {len(STANDARD.items)} 项（")
    # Every item at 90 %, none explained: submitted, and told what the findings' 专家意见 would lack.
    first = "、".join(item.code for item in STANDARD.items[:10])
    assert f"{len(STANDARD.items)} 项得分低于满分而未写扣分说明（{first}等）" in message
    saved = {r["item_code"]: r for r in read(site, query_scores, archive, "evaluator")}
    assert {code: float(r["score"]) for code, r in saved.items()} == scores
    assert all(r["is_submitted"] for r in saved.values())
    assert {code for code, r in saved.items() if r["veto_passed"]} == set(VETO_CODES)
    state = {r["archive_code"]: r["sheet_state"] for r in read(site, query_assignments, evaluator="evaluator")}
    assert state[archive] == "已提交"
    result = next(r for r in read(site, query_evaluation_results) if r["archive_code"] == archive)
    assert result["experts"] == experts + 1  # the results now count this evaluator's sheet
    # The draft button says, before a click, that on this sheet it withdraws the submission; not on a draft's.
    client = client_of(app, "evaluator")
    assert save_button(app, client, archive) == "撤回提交，存为草稿"
    assert save_button(app, client, assigned[1]) == save_button(app, client, None) == "保存草稿"


def save_button(app, client, archive: str | None) -> str:
    """The label of the draft button with the archive chosen (as after a save, whose result re-labels it)."""
    inputs = [(ids.EVALUATION_ARCHIVE, "value", archive), (ids.EVALUATION_RESULT, "children", None)]
    return returned(
        post_callback(app, client, [(ids.EVALUATION_SAVE, "children")], inputs), ids.EVALUATION_SAVE, "children"
    )


def test_an_evaluator_cannot_read_the_results_nor_another_archive_s_report(app, assigned, unassigned):
    client = client_of(app, "evaluator")
    assert load_grid(app, client, ids.EVALUATION_RESULTS_GRID, None).status_code == 403
    assert export_grid(app, client, ids.EVALUATION_RESULTS_GRID, None, None).status_code == 403
    assert client.get(f"/download/evaluation/{unassigned}").status_code == 403
    assert client.get(f"/download/evaluation/{assigned[0]}").status_code == 200
    assert client_of(app, "guangdong").get(f"/download/evaluation/{unassigned}").status_code == 403


def test_a_planner_downloads_an_archive_s_feedback_report(app, site, unassigned):
    name = next(a.name for a in list_comprehensive_archives() if a.archive_code == unassigned)
    response = client_of(app, "planner").get(f"/download/evaluation/{unassigned}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # Named, not coded, with its round and, the round open, 暂定 (the final copy had the same name).
    assert quote(f"业务建设评价反馈-{name}-2025（暂定）.xlsx") in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    # Whose, from what data and when it was made, under the result.
    made = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]}
    assert "planner" in made["生成人"] and made["生成时间"].endswith("（北京时间）")
    assert made["数据截至"].endswith("（北京时间）")
    # The round is open: the report says its result is provisional, and why.
    assert sheet["A1"].value == f"{name}业务建设评价反馈报告（暂定）"
    assert sheet["B3"].value == f"{name}（{unassigned}）"
    assert (sheet["A5"].value, sheet["B5"].value) == ("结果状态", read(site, describe_result_state, "2025", unassigned))
    assert sheet["B5"].value.startswith("评价轮次 2025 正在进行，得分、等次和排名均为暂定")


# --- /evaluation: the planner's results ----------------------------------------------------------------------------


def test_the_results_grid_lists_the_47_archives_as_the_warehouse_ranks_them(app, site):
    rows = grid_rows(app, client_of(app, "planner"), ids.EVALUATION_RESULTS_GRID, None)
    rows_by_code = {r["archive_code"]: r for r in rows}
    is_open = bool(read(site, fetch_round, DEFAULT_ROUND)["is_open"])
    expected = [{**r, "status": evaluation.shown_status(r, is_open)} for r in read(site, query_evaluation_results)]
    assert len(rows) == 47 == len(expected)
    assert {r["archive_code"] for r in rows} == {a.archive_code for a in list_comprehensive_archives()}

    def shown(row: Mapping[str, Any]) -> tuple[Any, ...]:
        score = row["final_score"]
        return (row["archive_code"], row["rank"], row["grade"], row["status"], None if score is None else float(score))

    assert [shown(r) for r in rows] == [shown(r) for r in expected]
    # Whether each archive has sent its self-evaluation, counted from its own rows.
    for code, row in rows_by_code.items():
        own = [r for r in read(site, query_scores, code, SELF_SOURCE) if r["item_code"] in STANDARD.items_by_code]
        scored = sum(r["score"] is not None for r in own)
        assert row["self_state"] == (f"已报送（{scored}/{len(STANDARD.items)} 项）" if own else "未报送"), code
    assert any(r["grade"] for r in rows) and [r["rank"] for r in rows if r["rank"]] == sorted(
        r["rank"] for r in rows if r["rank"]
    )
    # An archive failed on a veto item says which, by code and text; no other row names one.
    vetoed = {r["archive_code"]: r["veto_failures"] for r in expected if r["veto_failures"]}
    assert vetoed and all(rows_by_code[code]["grade"] == "不合格" for code in vetoed)
    items = get_standard().items_by_code
    assert {r["archive_code"]: r["veto_note"] for r in rows if r["veto_note"]} == {
        code: "；".join(f"{c} {items[c].text}" for c in failed) for code, failed in vetoed.items()
    }
    # The round is open: above the grid, every result is provisional, and the experts yet to submit are counted.
    pending = [r["assigned"] - r["experts"] for r in expected if r["assigned"] > r["experts"]]
    assert pending  # the demo assigns more experts than have submitted to some archives
    said = post(app, client_of(app, "planner"), [(ids.EVALUATION_ROUND_STATE, "children")],
                [(ids.EVALUATION_RESULT, "children", None)])  # fmt: skip
    assert returned(said, ids.EVALUATION_ROUND_STATE, "children") == (
        "评价轮次 2025 正在进行，得分、等次和排名均为暂定：专家仍可提交、撤回或修改评分"
        f"（{len(pending)} 家档案馆尚有共 {sum(pending)} 位分派的专家未提交评分）；本轮评价结束后才是最终结果。"
    )


def test_an_archive_s_items_flag_the_deviations_the_warehouse_finds(app, site, assigned):
    deviations = [d for d in read(site, query_deviations) if d["archive_code"] not in assigned]
    archive = min(
        {d["archive_code"] for d in deviations}, key=lambda a: (-sum(d["archive_code"] == a for d in deviations), a)
    )
    rows = grid_rows(app, client_of(app, "planner"), ids.EVALUATION_ITEMS_GRID, archive, None)
    # The standard's items, then the bonus items its experts awarded, each with its score (the bonus had no parts).
    awarded = [r for r in rows if r["area_name"] == "加分项"]
    assert [r["item_code"] for r in rows] == [item.code for item in STANDARD.items] + [r["item_code"] for r in awarded]
    result = next(r for r in read(site, query_evaluation_results) if r["archive_code"] == archive)
    assert sum((Decimal(str(r["score"])) for r in awarded), Decimal(0)) == result["bonus_claimed"]
    # Yes or no reach the grid as the words it shows (a boolean would be drawn as a greyed checkbox).
    assert {r["is_deviation"] for r in rows} == {"是", "否"}
    flagged = {r["item_code"] for r in rows if r["is_deviation"] == "是"}
    assert flagged == {d["item_code"] for d in deviations if d["archive_code"] == archive} and len(flagged) >= 2


def reconciled_items(con: Any) -> list[tuple[str, str, str]]:
    """The items the panel reconciled, with their notes: (archive, item, note)."""
    return con.execute(
        "SELECT archive_code, item_code, reconciliation_note FROM mart_evaluation_item_results "
        "WHERE is_reconciled ORDER BY archive_code, item_code"
    ).fetchall()


def test_an_archive_s_items_show_the_panel_s_notes_and_its_veto_verdicts(app, site):
    reconciled = read(site, reconciled_items)
    vetoed = {r["archive_code"]: r["veto_failures"] for r in read(site, query_evaluation_results) if r["veto_failures"]}
    assert reconciled and vetoed  # the demo reconciles items and fails a veto item
    archive = reconciled[0][0]
    rows = {
        r["item_code"]: r for r in grid_rows(app, client_of(app, "planner"), ids.EVALUATION_ITEMS_GRID, archive, None)
    }
    # Every column the grid declares is in its rows (合议说明 was always empty: the page asked for another name).
    assert all(c.field in row for c in evaluation.ITEM_COLUMNS for row in rows.values())
    assert {
        (archive, code, rows[code]["reconciliation_note"]) for code in rows if rows[code]["reconciliation_note"]
    } == {r for r in reconciled if r[0] == archive}
    archive, failed = next(iter(vetoed.items()))
    rows = {
        r["item_code"]: r for r in grid_rows(app, client_of(app, "planner"), ids.EVALUATION_ITEMS_GRID, archive, None)
    }
    verdicts = {code: row["veto_verdict"] for code, row in rows.items() if row["veto_verdict"]}
    assert verdicts == {item.code: "不通过" if item.code in failed else "通过" for item in STANDARD.veto_items}


@pytest.mark.parametrize(
    ("grid_id", "values", "mark"),
    [
        (ids.EVALUATION_RESULTS_GRID, (None,), STANDARD_PROVISIONAL),
        (ids.EVALUATION_ITEMS_GRID, ("440000", None), STANDARD_PROVISIONAL),
        (ids.INSPECTIONS_RECORDS_GRID, (None,), CHECKLIST_PROVISIONAL),
        # Findings: no grade, no score; the day their overdue days are counted to (a printed export lost it).
        (
            ids.INSPECTIONS_GRID,
            (None, None, None),
            f"逾期判断日 {DEMO_TODAY.year}年{DEMO_TODAY.month}月{DEMO_TODAY.day}日：逾期（天）为该日已过整改期限、未销号的天数。",
        ),
        # Filtered to 整改中 and overdue: a file of them was read as every unresolved finding in the country.
        (
            ids.INSPECTIONS_GRID,
            ("整改中", ["overdue"], None),
            f"筛选条件：状态为「整改中」，只含逾期问题。逾期判断日 {DEMO_TODAY.year}年{DEMO_TODAY.month}月{DEMO_TODAY.day}日：逾期（天）为该日已过整改期限、未销号的天数。",
        ),
    ],
    ids=["results", "items", "records", "findings", "filtered-findings"],
)
def test_an_export_of_grades_or_scores_says_their_standard_is_a_proposal(app, site, grid_id, values, mark):
    sheet = exported_workbook(export_grid(app, client_of(app, "planner"), grid_id, None, *values), grid_id).active
    if grid_id in (ids.EVALUATION_RESULTS_GRID, ids.EVALUATION_ITEMS_GRID):
        # The results and an archive's items also say, as the page does, whether they are final (here, the round
        # open: 暂定; the items' export said only that the standard was a proposal).
        state = read(site, describe_result_state)
        assert "暂定" in state
        mark = f"{state}{mark}"
    assert sheet.cell(EXPORT_HEADER_ROW - 1, 1).value == mark
    assert sheet.cell(EXPORT_HEADER_ROW, 1).value and sheet.cell(EXPORT_HEADER_ROW + 1, 1).value not in (
        None,
        NO_ROWS_EXPORTED,
    )


@pytest.mark.parametrize(
    ("user", "grid_id"), [("planner", ids.EVALUATION_RESULTS_GRID), ("evaluator", ids.EVALUATION_ASSIGNMENTS_GRID)]
)
def test_the_evaluation_page_renders_for_its_roles(app, user, grid_id):
    response = render_page(app, client_of(app, user), evaluation.PATH)
    assert response.status_code == 200 and ids.PAGE_REFUSED not in response.text
    assert grid_id in response.text
    assert (ids.EVALUATION_FORM in response.text) == (user == "evaluator")


# --- /inspections ---------------------------------------------------------------------------------------------------

FINDINGS_OUTPUTS = [(ids.INSPECTIONS_DETAIL, "children"), (ids.INSPECTIONS_ACTION, "options")]


def findings_of(
    site: Site, province: str, status: FindingStatus | None = None, *, central: bool = False
) -> list[dict[str, Any]]:
    """The findings of units in `province`: the province's own, or (central) the central units located there, which
    the province's filter of query_findings leaves out."""
    rows = read(site, query_findings, DEMO_TODAY, status=status and status.value)
    return [r for r in rows if r["province_code"] == province and (r["unit_class"] in CENTRAL_UNIT_CLASSES) == central]


def detail(app, client, finding_id: str | None) -> tuple[Any, list[dict[str, str]]]:
    response = post(
        app,
        client,
        FINDINGS_OUTPUTS,
        [(ids.INSPECTIONS_FINDING, "value", finding_id), (ids.INSPECTIONS_RESULT, "children", None)],
    )
    return returned(response, ids.INSPECTIONS_DETAIL, "children"), returned(response, ids.INSPECTIONS_ACTION, "options")


def act(
    app,
    client,
    finding_id: str,
    action: str,
    note: str | None = None,
    evidence: str | None = None,
    deadline: str | None = None,
    measures: str | None = None,
):
    """Click 提交 on the lifecycle form; the response."""
    state = [
        (ids.INSPECTIONS_FINDING, "value", finding_id),
        (ids.INSPECTIONS_ACTION, "value", action),
        (ids.INSPECTIONS_NOTE, "value", note),
        (ids.INSPECTIONS_EVIDENCE, "filename", "整改报告.pdf" if evidence else None),
        (ids.INSPECTIONS_EVIDENCE, "contents", evidence),
        (ids.INSPECTIONS_DEADLINE, "value", deadline),
        (ids.INSPECTIONS_MEASURES, "value", measures),
    ]
    outputs = [
        (ids.INSPECTIONS_RESULT, "children"),
        (ids.INSPECTIONS_EVIDENCE, "contents"),
        (ids.INSPECTIONS_EVIDENCE, "filename"),
        (ids.INSPECTIONS_NOTE, "value"),
        (ids.INSPECTIONS_DEADLINE, "value"),
        (ids.INSPECTIONS_MEASURES, "value"),
    ]
    return post(app, client, outputs, [(ids.INSPECTIONS_APPLY, "n_clicks", 1)], state)


def message_of(response) -> str:
    return returned(response, ids.INSPECTIONS_RESULT, "children")


def transitions(site: Site, finding_id: str | None = None) -> int:
    """Rows in the transition log (of one finding, or all)."""
    with site.store.reader() as connection:
        sql = "SELECT count(*) FROM finding_transitions WHERE ? IS NULL OR finding_id = ?"
        return connection.execute(sql, [finding_id, finding_id]).fetchone()[0]


def state_of(site: Site, finding_id: str) -> tuple[str, date]:
    found = read(site, fetch_finding_states, [finding_id])[finding_id]
    return found.status.value, found.deadline


def evidence_files(site: Site) -> set[Path]:
    folder = site.settings.var_dir / "evidence"
    return {path for path in folder.rglob("*") if path.is_file()} if folder.exists() else set()


def test_a_province_user_sees_only_its_province_s_findings(app, site):
    client = client_of(app, "guangdong")
    rows = grid_rows(app, client, ids.INSPECTIONS_GRID, None, [], None)
    assert rows and {r["finding_id"] for r in rows} == {r["finding_id"] for r in findings_of(site, "440000")}
    overdue = grid_rows(app, client, ids.INSPECTIONS_GRID, None, ["overdue"], None)
    assert overdue and {r["finding_id"] for r in overdue} == {
        r["finding_id"] for r in findings_of(site, "440000") if r["is_overdue"]
    }
    everyone = grid_rows(app, client_of(app, "planner"), ids.INSPECTIONS_GRID, None, [], None)
    assert len(everyone) == len(read(site, query_findings, DEMO_TODAY)) > len(rows)
    # 逾期 (days) is given only where a finding is overdue: blank, not 0, for the rest (closed ones included).
    assert {r["overdue_days"] is None for r in rows} == {True, False}
    assert all((r["overdue_days"] or 0) > 0 for r in overdue)
    assert all(r["overdue_days"] is None for r in rows if r["status"] == "已销号")


def test_an_archives_items_are_offered_for_export_once_an_archive_is_chosen(app, site):
    # A probe exported 评分明细 with no archive chosen: a file of headers named 未选择档案馆.
    client = client_of(app, "planner")
    outputs = [
        (ids.export_button(ids.EVALUATION_ITEMS_GRID), "disabled"),
        (ids.export_button(ids.EVALUATION_ITEMS_GRID), "title"),
    ]
    offered = [
        post(app, client, outputs, [(ids.EVALUATION_ARCHIVE, "value", code)]).json["response"][
            ids.export_button(ids.EVALUATION_ITEMS_GRID)
        ]
        for code in (None, "440000")
    ]
    assert offered == [{"disabled": True, "title": "请先选择档案馆"}, {"disabled": False, "title": ""}]


def test_the_national_bureau_corrects_a_findings_words_on_the_page_said_first_and_no_one_else(app, site):
    """A loaded finding is never changed by its workbook sent again; the planner corrects it on /inspections (the
    change said before 更正, audited); a province's forged request is refused and changes nothing."""
    finding_id = findings_of(site, "440000")[0]["finding_id"]
    before = read(site, query_finding_history, finding_id)["description"]
    planner, guangdong = client_of(app, "planner"), client_of(app, "guangdong")
    fields = [(ids.INSPECTIONS_CORRECT_FIELD, "value", "description")]
    shown = post(app, planner, [(ids.INSPECTIONS_CORRECT_VALUE, "value")],
                 [*fields, (ids.INSPECTIONS_FINDING, "value", finding_id)])  # fmt: skip
    assert returned(shown, ids.INSPECTIONS_CORRECT_VALUE, "value") == before
    # What 更正 answers never puts the stored text back over the correction typed (a refusal for want of a reason
    # did, and the 更正 after it found nothing to correct).
    filled_by = [
        i["id"]
        for filled, c in app.callback_map.items()
        if f"{ids.INSPECTIONS_CORRECT_VALUE}.value" in filled
        for i in c["inputs"]
    ]
    assert filled_by == [ids.INSPECTIONS_CORRECT_FIELD, ids.INSPECTIONS_FINDING], filled_by
    preview_inputs = [
        *fields,
        (ids.INSPECTIONS_CORRECT_VALUE, "value", "库房温湿度记录不全"),
        (ids.INSPECTIONS_FINDING, "value", finding_id),
        (ids.INSPECTIONS_RESULT, "children", None),
    ]
    preview = post(app, planner, [(ids.INSPECTIONS_CORRECT_PREVIEW, "children")], preview_inputs)
    assert returned(preview, ids.INSPECTIONS_CORRECT_PREVIEW, "children") == (
        f"将把问题 {finding_id} 的「问题描述」由「{before}」改为「库房温湿度记录不全」；点「更正」后生效，并记入审计日志。"
    )
    assert post(app, guangdong, [(ids.INSPECTIONS_CORRECT_PREVIEW, "children")], preview_inputs).status_code == 403

    def correct(client, reason):
        state = [
            (ids.INSPECTIONS_FINDING, "value", finding_id),
            (ids.INSPECTIONS_CORRECT_FIELD, "value", "description"),
            (ids.INSPECTIONS_CORRECT_VALUE, "value", "库房温湿度记录不全"),
            (ids.INSPECTIONS_CORRECT_REASON, "value", reason),
        ]
        outputs = [(ids.INSPECTIONS_RESULT, "children"), (ids.INSPECTIONS_CORRECT_REASON, "value")]
        return returned(
            post(app, client, outputs, [(ids.INSPECTIONS_CORRECT, "n_clicks", 1)], state),
            ids.INSPECTIONS_RESULT,
            "children",
        )

    forged = correct(guangdong, "伪造的请求")
    assert "不能更正已装载的问题" in forged and "--by" not in forged  # a web user has no --by to check
    assert read(site, query_finding_history, finding_id)["description"] == before
    assert correct(planner, "").startswith("未填写更正原因")
    assert (
        correct(planner, "录入错误")
        == f"已更正：问题 {finding_id} 的「问题描述」由「{before}」改为「库房温湿度记录不全」。"
    )
    assert read(site, query_finding_history, finding_id)["description"] == "库房温湿度记录不全"
    (event,) = [e for e in read(site, query_audit_log) if e["action"] == "correct"]
    assert (event["actor"], event["target"], event["reason"]) == ("planner", finding_id, "录入错误")
    # The province reading the finding sees it was corrected, by whom and why (it was in the audit log only).
    shown = text_of(detail(app, guangdong, finding_id)[0])
    assert f"将「问题描述」由「{before}」改为「库房温湿度记录不全」（原因：录入错误）" in shown, shown
    assert "更正：" in shown and "planner" in shown


def summary_cards(app, client) -> list[str]:
    """The cards above /inspections' findings, as the viewer reads them (spaces taken out)."""
    answer = post(
        app,
        client,
        [(ids.INSPECTIONS_CARDS, "children"), (ids.INSPECTIONS_CHART, "figure")],
        [(ids.INSPECTIONS_RESULT, "children", None)],
    )
    return [text_of(card).replace(" ", "") for card in returned(answer, ids.INSPECTIONS_CARDS, "children")]


def test_central_units_findings_are_not_beijing_s(app, site):
    """Central organs and enterprises lie in Beijing but are counted apart, and their rectification is not Beijing's."""
    client = client_of(app, "beijing")
    rows = grid_rows(app, client, ids.INSPECTIONS_GRID, None, [], None)
    assert {r["finding_id"] for r in rows} == {r["finding_id"] for r in findings_of(site, "110000")}
    assert summary_cards(app, client)[0] == f"问题总数{len(rows):,}个"
    central = findings_of(site, "110000", FindingStatus.SUBMITTED, central=True)[0]["finding_id"]
    assert detail(app, client, central) == ("找不到该问题，或无权查看。", [])
    assert grid_rows(app, client, ids.INSPECTIONS_HISTORY_GRID, central, None) == []
    before = transitions(site)
    assert message_of(act(app, client, central, "开始整改")) == "无权操作该问题。"
    assert transitions(site) == before
    # The form sent with no finding chosen says so (it said 无权操作该问题, as if refused).
    for nothing in ("", "  "):
        assert message_of(act(app, client, nothing, "开始整改")) == "请先在上表中点选问题，或填写问题编号。"


def in_local_area(finding: Mapping[str, Any], area: str) -> bool:
    """The findings a prefecture's or county's office reads, by the codes alone: a city's or county's unit, or a
    sub-provincial city's archive, lying in the county, or in the prefecture (its code or one of its districts')."""
    code = finding["division_code"]
    return finding["unit_class"] in ("市县", "副省级") and (
        code == area or (area.endswith("00") and code[:4] == area[:4])
    )


@pytest.fixture(scope="module")
def local_site(supervision_demo_db, tmp_path_factory) -> Iterator[Site]:
    """A copy of the supervision demo of its own, its findings as the demo left them (the module's site has them
    moved by every test)."""
    folder = tmp_path_factory.mktemp("supervision-local")
    settings = private_demo_warehouse(supervision_demo_db, folder, [*USERS, *LOCAL_OFFICES])
    app = create_app(settings)
    yield Site(app, EmbeddedWarehouse(settings.db_path), settings)
    close_app(app)


@pytest.mark.parametrize(("user", "area"), [(name, code) for name, _, code in LOCAL_OFFICES])
def test_a_local_office_reads_its_own_area_s_findings_and_acts_on_none(local_site, user, area):
    # They had no /inspections at all: a prefecture's office could not see the findings its province's bureau
    # raised on its own archives bureau, nor their deadlines.
    site, app = local_site, local_site.app
    client = client_of(app, user)
    own = {r["finding_id"] for r in read(site, query_findings, DEMO_TODAY) if in_local_area(r, area)}
    assert bool(own) == (user == "guangzhou")  # the demo inspected Guangzhou's bureau, no unit of Tianhe
    rows = grid_rows(app, client, ids.INSPECTIONS_GRID, None, [], None)
    assert {r["finding_id"] for r in rows} == own
    assert summary_cards(app, client)[0] == f"问题总数{len(own):,}个"
    reminders = post(
        app, client, [(ids.INSPECTIONS_REMINDERS, "children")], [(ids.INSPECTIONS_RESULT, "children", None)]
    )
    assert reminders.status_code == 200
    # Its own overdue findings, counted now (the panel said 今日无提醒 beside a card of 4 overdue).
    said = json.dumps(reminders.json, ensure_ascii=False)
    overdue = [r for r in rows if r["overdue_days"]]
    assert ("个问题逾期未销号" in said) == bool(overdue), said
    assert not overdue or (f"{len(overdue):,} 个问题逾期未销号" in said and "（截至" in said and "截至目前" not in said)
    # Read only: told so where the form would be, the province's records not listed.
    page = render_page(app, client, inspections.PATH)
    assert inspections.LOCAL_READ_ONLY_NOTE in page.text and ids.INSPECTIONS_RECORDS_GRID not in page.text
    # The province's other findings are not its to read, nor their evidence.
    other = next(r["finding_id"] for r in findings_of(site, "440000") if r["finding_id"] not in own)
    assert detail(app, client, other) == ("找不到该问题，或无权查看。", [])
    assert grid_rows(app, client, ids.INSPECTIONS_HISTORY_GRID, other, None) == []
    if not own:
        return
    mine = min(r["finding_id"] for r in rows if r["status"] == FindingStatus.IN_PROGRESS)
    shown, options = detail(app, client, mine)
    assert options == [] and mine in text_of(shown)
    history = read(site, query_finding_history, mine)
    assert len(grid_rows(app, client, ids.INSPECTIONS_HISTORY_GRID, mine, None)) == len(history["transitions"])
    before = transitions(site)
    assert message_of(act(app, client, mine, "开始整改")) == "无权操作该问题。"
    assert transitions(site) == before
    # The evidence its province recorded on its own finding opens for it; not for a county's office elsewhere.
    submitted = act(
        app,
        client_of(app, "guangdong"),
        mine,
        "提交整改报告",
        evidence=EVIDENCE_UPLOAD,
        measures="已补齐库房温湿度记录",
    )
    assert message_of(submitted) == f"{mine}：整改中 → 已提交整改报告（提交整改报告）"
    last = read(site, query_finding_history, mine)["transitions"][-1]
    link = f"/evidence/{mine}/{last['seq']}"
    assert client.get(link).data == EVIDENCE_BYTES
    assert client_of(app, "tianhe").get(link).status_code == 403


def preview(
    app,
    client,
    finding_id: str,
    action: str | None,
    deadline: str | None = None,
    measures: str | None = None,
    note: str | None = None,
) -> str:
    """What /inspections says under the form once a finding and an action are chosen."""
    inputs = [(ids.INSPECTIONS_ACTION, "value", action), (ids.INSPECTIONS_DEADLINE, "value", deadline)]
    inputs += [(ids.INSPECTIONS_RESULT, "children", None), (ids.INSPECTIONS_FINDING, "value", finding_id)]
    inputs += [(ids.INSPECTIONS_MEASURES, "n_blur", 1 if measures else None)]
    inputs += [(ids.INSPECTIONS_NOTE, "n_blur", 1 if note else None)]
    state = [(ids.INSPECTIONS_MEASURES, "value", measures), (ids.INSPECTIONS_NOTE, "value", note)]
    response = post(app, client, [(ids.INSPECTIONS_ACTION_PREVIEW, "children")], inputs, state)
    return returned(response, ids.INSPECTIONS_ACTION_PREVIEW, "children")


def test_an_action_says_what_it_will_change_before_it_is_submitted(app, site):
    # 退回, 销号 and 复查未通过 took effect at the click with nothing said first; a reopening kept the old deadline, so
    # the finding was at once 182 days overdue, which nobody was told.
    planner = client_of(app, "planner")
    closed = findings_of(site, "440000", FindingStatus.CLOSED)[0]
    _, deadline = state_of(site, closed["finding_id"])
    late = (DEMO_TODAY - deadline).days
    before = transitions(site)
    # The detail says it too, a line each (it was one line joined with ｜, without the date issued, the original
    # deadline or who answers for it).
    shown, _ = detail(app, planner, closed["finding_id"])
    lines = [line["props"]["children"] for line in shown["props"]["children"]]
    assert lines[0].endswith("｜当前状态：已销号") and lines[2].startswith("问题描述：")
    assert f"｜整改期限：{deadline.year}年{deadline.month}月{deadline.day}日" in lines[1] and "已逾期" not in lines[1]
    assert lines[1].startswith("下发日期：") and "整改责任单位：" in lines[1]
    said = preview(app, planner, closed["finding_id"], "复查未通过")
    assert said.startswith(f"提交后，{closed['finding_id']} 将由「已销号」变为「整改中」（复查未通过，审核人操作）")
    assert f"整改期限仍为{deadline.year}年{deadline.month}月{deadline.day}日，按今日已逾期 {late} 天" in said
    assert said.endswith("（可另定新整改期限）。须提供：说明。") and late > 0
    # Measures typed for a reviewer's action are said to be refused before 提交 (only its refusal said so).
    measured = preview(app, planner, closed["finding_id"], "复查未通过", measures="已补齐")
    assert measured.startswith("「复查未通过」是审核人的操作，不填整改措施（整改措施由整改责任人在开始整改、")
    moved = preview(app, planner, closed["finding_id"], "复查未通过", "2026-03-31")
    assert f"整改期限由{deadline.year}年{deadline.month}月{deadline.day}日改为2026年3月31日。" in moved
    # A day the lifecycle refuses is said to be refused before 提交 (a probe's past day was refused only after it).
    past = preview(app, planner, closed["finding_id"], "复查未通过", DEMO_TODAY.isoformat())
    # With what is still to give after it (the preview named the date, not the missing 说明 the refusal then did).
    assert past.endswith("这个日期提交时会被拒绝：请改为今后的日期。须提供：说明。"), past
    far = preview(app, planner, closed["finding_id"], "复查未通过", "2031-01-01")  # 5.5 years after the demo's day
    assert far.endswith(
        "但新整改期限不能晚于2030年6月30日（5 年以内），这个日期提交时会被拒绝：请检查年份。须提供：说明。"
    )
    submitted = findings_of(site, "440000", FindingStatus.SUBMITTED)[0]["finding_id"]
    assert "只能以“复查未通过”重新打开" in preview(app, planner, submitted, "销号")
    # A report awaiting review says when it was sent, against the deadline (overdue by the review's delay, or not).
    history = read(site, query_finding_history, submitted)
    sent = to_beijing([t for t in history["transitions"] if t["action"] == "提交整改报告"][-1]["changed_at"]).date()
    in_time = "按期" if sent <= history["deadline"] else "逾期后"
    said = text_of(detail(app, planner, submitted)[0])
    assert f"整改报告已于{sent.year}年{sent.month}月{sent.day}日{in_time}提交，待审核" in said, said
    assert preview(app, planner, submitted, "退回").endswith("须提供：说明。")
    # What is given is not asked for again (a note typed and left, a new deadline chosen).
    noted = preview(app, planner, submitted, "退回", note="报告缺佐证")
    assert noted.startswith(f"提交后，{submitted} 将由") and "须提供" not in noted, noted
    # An extension keeps the state, and says so (it said 将由「整改中」变为「整改中」).
    running = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[0]["finding_id"]
    extended = preview(app, planner, running, "延期")
    assert extended.startswith(f"提交后，{running} 仍为「整改中」（延期，") and extended.endswith(
        "须提供：说明、新整改期限。"
    )
    extended = preview(app, planner, running, "延期", "2026-03-31", note="经费未到位")
    assert "改为2026年3月31日。" in extended and "须提供" not in extended, extended
    # A deadline on a public holiday is taken, and said (a probe's 2025-10-01 passed without a word).
    holiday = preview(app, planner, running, "延期", "2025-10-01", note="经费未到位")
    assert "改为2025年10月1日（该日为周末或法定节假日，不是工作日）" in holiday, holiday
    assert transitions(site) == before  # said, not done
    # Nothing for an action the finding does not allow, nor on another province's finding.
    assert preview(app, planner, submitted, "开始整改") == ""
    guangxi = findings_of(site, "450000", FindingStatus.SUBMITTED)[0]["finding_id"]
    assert preview(app, client_of(app, "guangdong"), guangxi, "销号") == ""


def test_another_province_s_finding_is_not_shown_to_a_forged_request(app, site):
    guangxi = findings_of(site, "450000", FindingStatus.IN_PROGRESS)[0]
    client = client_of(app, "guangdong")
    assert grid_rows(app, client, ids.INSPECTIONS_HISTORY_GRID, guangxi["finding_id"], None) == []
    exported = export_grid(app, client, ids.INSPECTIONS_HISTORY_GRID, None, guangxi["finding_id"], None)
    data = returned(exported, ids.export_download(ids.INSPECTIONS_HISTORY_GRID), "data")
    nothing = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"]))).active
    assert nothing.max_row == EXPORT_HEADER_ROW + 1 and nothing.cell(nothing.max_row, 1).value == NO_ROWS_EXPORTED
    # ...named for the province, not for a finding it may not see; its own finding's history is named for the finding
    # (several exported histories could not be told apart: 整改记录-广东省-….xlsx each).
    assert data["filename"].startswith("整改记录-广东省-") and guangxi["finding_id"] not in data["filename"]
    own = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[0]["finding_id"]
    mine = exported_workbook(
        export_grid(app, client, ids.INSPECTIONS_HISTORY_GRID, None, own, None), ids.INSPECTIONS_HISTORY_GRID
    )
    assert f"问题{own}" in str(mine.active["A1"].value)
    name = returned(
        export_grid(app, client, ids.INSPECTIONS_HISTORY_GRID, None, own, None),
        ids.export_download(ids.INSPECTIONS_HISTORY_GRID),
        "data",
    )["filename"]
    assert name.startswith(f"整改记录-问题{own}-")
    # A step read from a workbook is dated by its day (its 日期 has no time; it read 08:00), one made here to the minute.
    steps = grid_rows(app, client, ids.INSPECTIONS_HISTORY_GRID, own, None)
    assert {len(step["changed_at"]) for step in steps if step["recorded_via"] == "upload"} == {len("2025-01-01")}
    text, options = detail(app, client, guangxi["finding_id"])
    assert (text, options) == ("找不到该问题，或无权查看。", [])
    before = transitions(site)
    response = act(app, client, guangxi["finding_id"], "提交整改报告", evidence=EVIDENCE_UPLOAD)
    assert message_of(response) == "无权操作该问题。"
    assert guangxi["description"] not in response.text and guangxi["unit_name"] not in response.text
    assert transitions(site) == before and state_of(site, guangxi["finding_id"])[0] == FindingStatus.IN_PROGRESS
    # The planner sees it.
    assert len(
        grid_rows(app, client_of(app, "planner"), ids.INSPECTIONS_HISTORY_GRID, guangxi["finding_id"], None)
    ) == transitions(site, guangxi["finding_id"])


def test_a_rectifier_submits_a_report_with_evidence_and_a_reviewer_closes_it(app, site):
    # Not one of Guangzhou's units (whose office reads its evidence: test_a_local_office_reads_its_own_area_s_...).
    in_progress = findings_of(site, "440000", FindingStatus.IN_PROGRESS)
    finding = next(r["finding_id"] for r in in_progress if not in_local_area(r, "440100"))
    province, planner = client_of(app, "guangdong"), client_of(app, "planner")
    start, total = transitions(site, finding), transitions(site)
    assert detail(app, province, finding)[1] == [{"label": "提交整改报告 → 已提交整改报告", "value": "提交整改报告"}]

    # Without the report's evidence the rectifier is refused with the lifecycle's message.
    refused = act(app, province, finding, "提交整改报告")
    assert "须附佐证材料" in message_of(refused) and ids.INSPECTIONS_EVIDENCE not in refused.json["response"]
    assert (transitions(site), state_of(site, finding)[0]) == (total, "整改中")

    submitted = act(app, province, finding, "提交整改报告", evidence=EVIDENCE_UPLOAD)
    assert message_of(submitted) == f"{finding}：整改中 → 已提交整改报告（提交整改报告）"
    # The upload, note and measures are emptied once used: none can go out again with the next change.
    assert submitted.json["response"][ids.INSPECTIONS_EVIDENCE] == {"contents": None, "filename": None}
    for cleared in (ids.INSPECTIONS_NOTE, ids.INSPECTIONS_DEADLINE):
        assert submitted.json["response"][cleared] == {"value": None}
    assert submitted.json["response"][ids.INSPECTIONS_MEASURES] == {"value": ""}  # a textarea given None kept its text
    assert (transitions(site), transitions(site, finding)) == (total + 1, start + 1)
    last = read(site, query_finding_history, finding)["transitions"][-1]
    assert (last["changed_by"], last["role"], last["action"], last["recorded_via"]) == (
        "guangdong",
        "rectifier",
        "提交整改报告",
        "web",
    )
    assert last["evidence"].endswith("整改报告.pdf")
    assert (site.settings.var_dir / last["evidence"]).read_bytes() == EVIDENCE_BYTES
    # Whoever may see the finding opens the file from its history; nobody else.
    history = grid_rows(app, planner, ids.INSPECTIONS_HISTORY_GRID, finding, None)
    link = f"/evidence/{finding}/{last['seq']}"
    assert any(link in (row["evidence_link"] or "") for row in history)
    for client, status in (
        (province, 200),
        (planner, 200),
        (client_of(app, "guangxi"), 403),
        (client_of(app, "evaluator"), 403),
        # Another unit's evidence is not a prefecture's or county's office's to read (its own area's is).
        (client_of(app, "guangzhou"), 403),
        (client_of(app, "tianhe"), 403),
    ):
        response = client.get(link)
        assert response.status_code == status
        if status == 200:
            assert response.data == EVIDENCE_BYTES and response.mimetype == "application/pdf"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert planner.get(f"/evidence/{finding}/999").status_code == 404
    # An evaluator is told who handles findings, not that it asked for another province's data.
    refused = client_of(app, "evaluator").get(link).text
    assert (
        "评价专家不查看检查整改记录及其佐证材料。" in refused
        and "中央单位如需了解本单位的问题及其整改情况，请向国家档案局咨询" in refused
    )
    assert "其他省份的数据" not in refused

    # The reviewer may close it only with evidence of their own review.
    assert [o["value"] for o in detail(app, planner, finding)[1]] == ["退回", "销号"]
    files = evidence_files(site)
    refused = act(app, planner, finding, "销号")
    assert "须附佐证材料" in message_of(refused)
    assert (transitions(site), state_of(site, finding)[0]) == (total + 1, "已提交整改报告")
    closed = act(app, planner, finding, "销号", evidence=EVIDENCE_UPLOAD)
    assert message_of(closed) == f"{finding}：已提交整改报告 → 已销号（销号）"
    assert (transitions(site), state_of(site, finding)[0]) == (total + 2, "已销号")
    assert evidence_files(site) == files  # the same file, kept once by its content hash

    # The province user sees the whole history, one row per change.
    history = grid_rows(app, province, ids.INSPECTIONS_HISTORY_GRID, finding, None)
    assert [r["seq"] for r in history] == list(range(1, start + 3))
    assert [(r["changed_by"], r["action"]) for r in history[-2:]] == [
        ("guangdong", "提交整改报告"),
        ("planner", "销号"),
    ]


def test_evidence_that_is_not_what_its_name_says_is_refused_and_never_served_as_that(app, site, tmp_path):
    finding = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[-1]["finding_id"]
    total, files = transitions(site), evidence_files(site)
    text = "data:application/pdf;base64," + base64.b64encode("整改报告：已按要求完成整改。".encode()).decode()
    response = act(app, client_of(app, "guangdong"), finding, "提交整改报告", evidence=text)
    assert "佐证材料「整改报告.pdf」的内容是文本，与扩展名 .pdf 不符" in message_of(response)
    assert (transitions(site), evidence_files(site)) == (total, files)
    # A file kept before contents were checked (here: replaced on disk) is served as a download of unknown type.
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(EVIDENCE_BYTES)
    change_finding(
        site.settings, finding, by="guangdong", action="提交整改报告", role="rectifier", evidence_file=report
    )
    last = read(site, query_finding_history, finding)["transitions"][-1]
    (site.settings.var_dir / last["evidence"]).write_text("<script>alert(1)</script>", encoding="utf-8")
    served = client_of(app, "planner").get(f"/evidence/{finding}/{last['seq']}")
    assert served.status_code == 200 and served.mimetype == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith("attachment")


def test_evidence_typed_in_a_workbook_never_serves_a_file_whatever_it_names(app, site, tmp_path):
    # A 整改进展 row's 佐证材料 is free text: naming the warehouse, the secret key or another finding's stored file
    # must not turn the evidence route into a download of it (it served any file under var/).
    own, other = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[2:4]
    for finding in (own, other):
        change_finding(
            site.settings,
            finding["finding_id"],
            by="planner",
            action="转为阶段性整改",
            note="分阶段",
            new_deadline=date(2026, 12, 31),
        )
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(EVIDENCE_BYTES)
    change_finding(
        site.settings, other["finding_id"], by="guangdong", action="报告阶段进展", note="进展", evidence_file=report
    )
    others_file = read(site, query_finding_history, other["finding_id"])["transitions"][-1]["evidence"]
    (site.settings.var_dir / "secret.txt").write_text("secret", encoding="utf-8")
    typed = [
        "secret.txt",
        others_file,
        others_file.replace(other["finding_id"], own["finding_id"]),  # a stored name, not this finding's file
        f"evidence/{own['finding_id']}/../../secret.txt",
        f"evidence/{own['finding_id']}/0123456789ab-../../../secret.txt",
        str(site.settings.var_dir / "secret.txt"),
    ]
    for reference in typed:
        site.store.write(
            lambda con, reference=reference: transition_finding(
                con,
                own["finding_id"],
                by="inspector",
                action="报告阶段进展",
                note="进展",
                evidence=reference,
                via="command",
            )
        )
        seq = read(site, query_finding_history, own["finding_id"])["transitions"][-1]["seq"]
        for user in ("planner", "guangdong"):
            assert client_of(app, user).get(f"/evidence/{own['finding_id']}/{seq}").status_code == 404, reference
        row = grid_rows(app, client_of(app, "planner"), ids.INSPECTIONS_HISTORY_GRID, own["finding_id"], None)[-1]
        assert "/evidence/" not in row["evidence_link"], reference
    # The other finding's own file is still served from its own history.
    seq = read(site, query_finding_history, other["finding_id"])["transitions"][-1]["seq"]
    assert client_of(app, "planner").get(f"/evidence/{other['finding_id']}/{seq}").data == EVIDENCE_BYTES


def test_a_note_or_measures_longer_than_the_sheet_allows_is_refused_on_the_server(app, site):
    # The page's fields stop at 500 characters; a request that bypasses them is held to the same limit.
    finding = findings_of(site, "440000", FindingStatus.ISSUED)[-1]["finding_id"]
    total, state = transitions(site), state_of(site, finding)
    client = client_of(app, "guangdong")
    response = act(app, client, finding, "开始整改", measures="措" * 501)
    assert "「整改措施」不超过 500 字，现为 501 字" in message_of(response)
    response = act(app, client, finding, "开始整改", note="说" * 501)
    assert "「说明」不超过 500 字，现为 501 字" in message_of(response)
    assert (transitions(site), state_of(site, finding)) == (total, state)


def test_a_reviewer_cannot_close_a_finding_they_rectified(app, site):
    # Guangdong's own bureau inspected this unit: its office records the rectification and reviews it, but the one
    # who recorded the report may not close it.
    finding = next(
        f["finding_id"]
        for f in findings_of(site, "440000", FindingStatus.IN_PROGRESS)
        if f["organiser"] != NATIONAL_BUREAU
    )
    province = client_of(app, "guangdong")
    submitted = act(app, province, finding, "提交整改报告", evidence=EVIDENCE_UPLOAD)
    assert message_of(submitted) == f"{finding}：整改中 → 已提交整改报告（提交整改报告）"
    total, files = transitions(site), evidence_files(site)
    response = act(app, province, finding, "销号", evidence=EVIDENCE_UPLOAD)
    assert "曾记录本问题的整改，不能为本问题销号" in message_of(response)
    assert (transitions(site), state_of(site, finding)[0]) == (total, "已提交整改报告")
    assert evidence_files(site) == files  # a refused change keeps no file
    # Nor is the close offered to it (it was, and was always refused); 退回 stays, and another reviewer may close.
    offered = [option["value"] for option in detail(app, province, finding)[1]]
    assert "销号" not in offered and "退回" in offered
    assert "销号" in [option["value"] for option in detail(app, client_of(app, "planner"), finding)[1]]


def test_the_warehouse_refuses_an_account_acting_outside_its_roles_whatever_the_channel(site, tmp_path):
    # The web offers each account only its roles; the warehouse holds every channel to the same (here a command).
    finding = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[0]["finding_id"]
    report = tmp_path / "report.pdf"
    report.write_bytes(EVIDENCE_BYTES)
    total = transitions(site)
    with pytest.raises(IllegalTransition, match="平台用户 planner（国家档案局规划人员）不能以整改责任人身份操作问题"):
        change_finding(site.settings, finding, by="planner", action="提交整改报告", role="rectifier",
                       evidence_file=report, via="command")  # fmt: skip
    assert transitions(site) == total


def test_an_administrator_reads_findings_but_acts_on_none(app, site):
    # README: acting on findings is not the administrator's; it closed a finding (销号) as the bureau's reviewer.
    finding = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[0]
    assert lifecycle_roles(Viewer("admin", Role.ADMIN, None), finding) == ()
    total = transitions(site)
    response = act(app, client_of(app, "admin"), finding["finding_id"], "延期", note="经费未到位")
    assert message_of(response) == "无权操作该问题。"
    assert transitions(site) == total


ILLEGAL = [
    # (user, the finding's state, action, note, evidence, new deadline)
    ("guangdong", FindingStatus.CLOSED, "开始整改", None, None, None),
    ("guangdong", FindingStatus.SUBMITTED, "销号", None, EVIDENCE_UPLOAD, None),
    ("planner", FindingStatus.IN_PROGRESS, "退回", "退回意见", None, None),
    ("planner", FindingStatus.IN_PROGRESS, "延期", None, None, "2025-12-31"),
    ("planner", FindingStatus.ISSUED, "延期", "申请延期", None, "2020-01-01"),
    ("guangdong", FindingStatus.ISSUED, "不存在的操作", None, None, None),
]


@pytest.mark.parametrize(("user", "status", "action", "note", "evidence", "deadline"), ILLEGAL)
def test_an_illegal_change_gets_the_lifecycle_s_message_and_changes_nothing(
    app, site, user, status, action, note, evidence, deadline
):
    # The national bureau's inspections: the province rectifies them, the planner reviews them.
    finding = [f for f in findings_of(site, "440000", status) if f["organiser"] == NATIONAL_BUREAU][-1]["finding_id"]
    state = read(site, fetch_finding_states, [finding])[finding]
    role = FindingRole.RECTIFIER if user == "guangdong" else FindingRole.REVIEWER
    new_deadline = date.fromisoformat(deadline) if deadline else None
    with pytest.raises(IllegalTransition) as expected:
        apply_transition(
            state, action, user, role, datetime.now(), note, "evidence" if evidence else None, new_deadline
        )
    total, files = transitions(site), evidence_files(site)
    response = act(app, client_of(app, user), finding, action, note, evidence, deadline)
    assert message_of(response) == for_web(expected.value).describe()  # without the command line's options
    assert ids.INSPECTIONS_EVIDENCE not in response.json["response"]  # the chosen file stays for another try
    assert read(site, fetch_finding_states, [finding])[finding] == state
    assert (transitions(site), evidence_files(site)) == (total, files)


def test_a_finding_number_pasted_with_spaces_or_in_lower_case_is_found(app, site):
    finding = findings_of(site, "440000", FindingStatus.ISSUED)[0]["finding_id"]
    province = client_of(app, "guangdong")
    shown, options = detail(app, province, f" {finding.lower()} ")
    assert options and finding in str(shown), shown  # it said 找不到该问题
    # As a Chinese input method types it: full-width, with full-width dashes and spaces inside.
    typed = unicodedata.normalize("NFKC", finding).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789SJ"})
    shown, options = detail(app, province, typed.replace("-", " － "))
    assert options and finding in str(shown), (typed, shown)
    assert detail(app, province, f"{finding}X")[0] == "找不到该问题，或无权查看。"


def test_a_province_reviews_its_own_bureau_s_inspections_but_never_closes_what_it_recorded(app, site):
    submitted = findings_of(site, "440000", FindingStatus.SUBMITTED)
    national = next(f["finding_id"] for f in submitted if f["organiser"] == NATIONAL_BUREAU)
    own, *_ = (f["finding_id"] for f in submitted if f["organiser"] != NATIONAL_BUREAU)
    province = client_of(app, "guangdong")
    # A national inspection's report waits for the national bureau; the province's own bureau's for the province.
    assert detail(app, province, national)[1] == []
    assert [o["value"] for o in detail(app, province, own)[1]] == ["退回", "销号"]
    total = transitions(site)
    refused = act(app, province, national, "销号", evidence=EVIDENCE_UPLOAD)
    assert "审核人" in message_of(refused) and transitions(site) == total
    closed = act(app, province, own, "销号", evidence=EVIDENCE_UPLOAD)
    assert message_of(closed) == f"{own}：已提交整改报告 → 已销号（销号）"
    assert read(site, query_finding_history, own)["transitions"][-1]["role"] == FindingRole.REVIEWER
    # On its own bureau's finding it also records the inspected unit's rectification, and then may not close it.
    started = next(
        f["finding_id"]
        for f in findings_of(site, "440000", FindingStatus.IN_PROGRESS)
        if f["organiser"] != NATIONAL_BUREAU
    )
    submitted_now = act(app, province, started, "提交整改报告", evidence=EVIDENCE_UPLOAD, measures="已补齐归档")
    assert message_of(submitted_now) == f"{started}：整改中 → 已提交整改报告（提交整改报告）"
    assert read(site, query_finding_history, started)["transitions"][-1]["role"] == FindingRole.RECTIFIER
    refused = act(app, province, started, "销号", evidence=EVIDENCE_UPLOAD)
    assert "「guangdong」曾记录本问题的整改，不能为本问题销号" in message_of(refused)
    # An account with its holder's name is named as people read it (it said 「guangdong」 beside 李华（guangdong）).
    site.store.write(lambda con: set_full_name(con, "guangdong", "李华", by="管理员"))
    try:
        refused = act(app, province, started, "销号", evidence=EVIDENCE_UPLOAD)
        assert "「李华（guangdong）」曾记录本问题的整改，不能为本问题销号" in message_of(refused)
    finally:
        site.store.write(lambda con: set_full_name(con, "guangdong", None, by="管理员"))
    assert state_of(site, started)[0] == "已提交整改报告"
    assert [o["value"] for o in detail(app, province, started)[1]] == ["退回"]  # the close it may not take: not offered
    # Nor does it give itself more time on a finding whose rectification it recorded (a probe's province did).
    returned_once = act(app, client_of(app, "planner"), started, "退回", note="佐证材料不全")
    assert message_of(returned_once) == f"{started}：已提交整改报告 → 整改中（退回）"
    assert [o["value"] for o in detail(app, province, started)[1]] == ["提交整改报告"]
    total, deadline = transitions(site), state_of(site, started)[1]
    refused = act(app, province, started, "延期", note="自己延期", deadline="2025-12-31")
    assert "曾记录本问题的整改，不能为本问题延期" in message_of(refused)
    assert (transitions(site), state_of(site, started)) == (total, ("整改中", deadline))


def test_a_reviewer_extends_a_deadline_from_the_form(app, site):
    overdue = [r for r in findings_of(site, "440000", FindingStatus.IN_PROGRESS) if r["is_overdue"]]
    finding = overdue[-1]["finding_id"]
    client = client_of(app, "planner")
    total = transitions(site)
    # Offered as keeping the state (延期 → 整改中 read as a change from 整改中).
    assert {"label": "延期（仍为整改中）", "value": "延期"} in detail(app, client, finding)[1]
    # Not to the day overdue is judged on (the demo's, not the clock's): the finding would stay overdue.
    refused = act(app, client, finding, "延期", note="涉及基建，申请延期", deadline=DEMO_TODAY.isoformat())
    assert "不晚于操作当日（2025年6月30日）" in message_of(refused) and transitions(site) == total
    response = act(app, client, finding, "延期", note="涉及基建，申请延期", deadline="2025-12-31")
    assert message_of(response) == f"{finding}：仍为整改中（延期）"  # it said 整改中 → 整改中
    assert state_of(site, finding) == ("整改中", date(2025, 12, 31)) and transitions(site) == total + 1
    assert read(site, query_finding_history, finding)["transitions"][-1]["new_deadline"] == date(2025, 12, 31)
    still_overdue = grid_rows(app, client, ids.INSPECTIONS_GRID, None, ["overdue"], None)
    assert finding not in {r["finding_id"] for r in still_overdue}


def test_the_rectifier_states_measures_shown_with_the_finding_and_its_history_a_reviewer_gives_none(app, site):
    finding = findings_of(site, "440000", FindingStatus.ISSUED)[0]["finding_id"]
    province, planner = client_of(app, "guangdong"), client_of(app, "planner")
    total = transitions(site)
    started = act(app, province, finding, "开始整改", measures="制定整改方案，明确责任处室")
    assert message_of(started) == f"{finding}：待整改 → 整改中（开始整改）"
    typed = "<b>已修订归档制度</b>并组织培训"
    submitted = act(app, province, finding, "提交整改报告", evidence=EVIDENCE_UPLOAD, measures=typed)
    assert message_of(submitted) == f"{finding}：整改中 → 已提交整改报告（提交整改报告）"
    assert transitions(site) == total + 2
    # A reviewer's action takes no measures: the lifecycle's refusal, nothing changed.
    refused = act(app, planner, finding, "退回", note="照片不全", measures="督促整改")
    assert "此操作不填写整改措施" in message_of(refused)
    assert (transitions(site), state_of(site, finding)[0]) == (total + 2, "已提交整改报告")
    # The current measures are the latest given, shown as typed (text, not markup) in the detail line.
    shown, _ = detail(app, planner, finding)
    assert [line["props"]["children"] for line in shown["props"]["children"]][-1] == f"整改措施：{typed}"
    history = grid_rows(app, province, ids.INSPECTIONS_HISTORY_GRID, finding, None)
    assert [r["measures"] for r in history[-2:]] == ["制定整改方案，明确责任处室", typed]
    assert next(c.kind for c in inspections.HISTORY_COLUMNS if c.field == "measures") == "text"  # never markdown


def forged_save(
    app,
    client,
    archive: Any,
    scores: list[Any],
    score_ids: list[Any],
    remarks: list[Any] = (),
    remark_ids: list[Any] = (),
):
    """保存草稿 with the score fields' and remarks' values and ids as given (one result slot, no verdicts)."""
    code = SCORE_CODES[0]
    body = {
        "output": registered_key(app, SAVE_OUTPUTS),
        "outputs": [
            {"id": ids.EVALUATION_RESULT, "property": "children"},
            [{"id": error_id(code), "property": "children"}],
            [],
        ],
        "inputs": [
            {"id": ids.EVALUATION_SAVE, "property": "n_clicks", "value": 1},
            {"id": ids.EVALUATION_SUBMIT, "property": "n_clicks", "value": None},
        ],
        "state": [
            {"id": ids.EVALUATION_ARCHIVE, "property": "value", "value": archive},
            [{"id": score_id(code), "property": "value", "value": value} for value in scores],
            [{"id": score_id(code), "property": "id", "value": value} for value in score_ids],
            [],
            [],
            [{"id": error_id(code), "property": "id", "value": error_id(code)}],
            [{"id": remark_id(code), "property": "value", "value": value} for value in remarks],
            [{"id": remark_id(code), "property": "id", "value": value} for value in remark_ids],
            [],
        ],
        "changedPropIds": [f"{ids.EVALUATION_SAVE}.n_clicks"],
    }
    return client.post("/_dash-update-component", json=body)


def test_values_the_page_cannot_send_are_refused_not_a_server_error(app, site, assigned):
    """Well-formed requests with values of the wrong shape for the callback (each found reaching HTTP 500 once)."""
    finding = findings_of(site, "440000", FindingStatus.IN_PROGRESS)[0]["finding_id"]
    guangdong, planner, evaluator = (client_of(app, user) for user in ("guangdong", "planner", "evaluator"))
    total = transitions(site)
    # The lifecycle form: a number as the new deadline; the evidence as several files.
    assert act(app, guangdong, finding, "提交整改报告", deadline=20250101).status_code == 400  # type: ignore[arg-type]
    assert act(app, guangdong, finding, "提交整改报告", evidence=[EVIDENCE_UPLOAD]).status_code == 400  # type: ignore[arg-type]
    assert transitions(site) == total
    # A map click without a region, or with another shape; the metric chosen as a list.
    region = [(ids.OVERVIEW_REGION, "children")]
    metric = (ids.OVERVIEW_METRIC, "value", "coverage_pct")
    for click in ({"points": [{}]}, {"points": ["x"]}, {"points": [{"location": None}]}, {"points": {"a": 1}}):
        for client in (planner, guangdong):
            answer = post(app, client, region, [(ids.OVERVIEW_MAP, "clickData", click)], [metric])
            assert answer.status_code == 200 and "查看下级覆盖情况" not in answer.get_data(as_text=True)
    clicked = [(ids.OVERVIEW_MAP, "clickData", {"points": [{"location": "440000"}]})]
    assert post(app, planner, region, clicked, [(ids.OVERVIEW_METRIC, "value", ["a"])]).status_code == 400
    assert "查看下级覆盖情况" in post(app, planner, region, clicked, [metric]).get_data(as_text=True)
    # The scoring form: more values than fields, ids that are not the page's, the archive as a list.
    archive, code = assigned[0], SCORE_CODES[0]
    assert forged_save(app, evaluator, archive, ["1", "1"], [score_id(code)]).status_code == 400
    assert forged_save(app, evaluator, archive, ["1"], [code]).status_code == 400
    assert (
        forged_save(app, evaluator, archive, ["1"], [{"type": ids.EVALUATION_SCORE, "item": [code]}]).status_code == 400
    )
    assert forged_save(app, evaluator, [archive], ["1"], [score_id(code)]).status_code == 400
    answer = forged_save(app, evaluator, archive, ["一"], [score_id(code)])  # well formed: judged, nothing saved
    assert answer.status_code == 200 and "「一」不是数字" in answer.get_data(as_text=True)
    # A remark as a list, or for an item the standard does not have.
    assert forged_save(app, evaluator, archive, ["1"], [score_id(code)], [["x"]], [remark_id(code)]).status_code == 400
    unknown = forged_save(app, evaluator, archive, ["1"], [score_id(code)], ["x"], [remark_id("Z9.9.9")])
    assert unknown.status_code == 200 and "评价标准中没有评分项：Z9.9.9" in unknown.get_data(as_text=True)


@pytest.mark.parametrize(
    ("user", "refused", "reads_only"),
    [
        ("planner", False, None),
        ("guangdong", False, None),
        ("admin", False, Role.ADMIN),
        ("evaluator", True, None),
        ("guangzhou", False, Role.PREFECTURE),
    ],
)
def test_the_inspections_page_renders_for_its_roles(app, user, refused, reads_only):
    response = render_page(app, client_of(app, user), inspections.PATH)
    assert response.status_code == 200
    assert (ids.PAGE_REFUSED in response.text) == refused and (ids.INSPECTIONS_GRID in response.text) != refused
    # Refused, it says who handles findings and whom to ask.
    assert ("中央单位如需了解本单位的问题及其整改情况，请向国家档案局咨询" in response.text) == refused
    # Who acts on no finding is told so where the lifecycle form would be (an administrator was shown the form with
    # nothing to choose in 操作); who acts reads no such line.
    notes = set(inspections.READ_ONLY_NOTES.values())
    expected = [inspections.READ_ONLY_NOTES[reads_only]] if reads_only else []
    assert [note for note in notes if note in response.text] == expected
    if refused:
        assert load_grid(app, client_of(app, user), ids.INSPECTIONS_GRID, None, [], None).status_code == 403


# --- /indicators ---------------------------------------------------------------------------------------------------


def progress_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["indicator_code"], row["province_code"] or "", row["year"])


def test_a_reported_indicator_value_names_the_upload_sheet_and_row_it_was_read_from(app, site):
    # /indicators said only 填报 or 计算: a value could be traced to its file, sheet and row in the report alone.
    reported = {(r["indicator_code"], r["province_code"], r["year"]): r for r in read(site, query_reported_values)}
    planner = grid_rows(app, client_of(app, "planner"), ids.INDICATORS_GRID, ids.INDICATORS_CHOICE)
    linked = [r for r in planner if (r["indicator_code"], r["province_code"], r["year"]) in reported]
    assert linked
    for row in linked:
        source = reported[(row["indicator_code"], row["province_code"], row["year"])]
        where = f"填报：{source['sheet_name']}第{source['excel_row']}行"
        assert row["source_link"] == f"[{where}](/submissions?submission={source['submission_id']})", row
    assert {r["source_link"] for r in planner if r["source"] == "计算"} == {"计算"}
    # A province's office cannot open the bureau's upload: it reads where the value sits, without a link.
    own = grid_rows(app, client_of(app, "guangdong"), ids.INDICATORS_GRID, ids.INDICATORS_CHOICE)
    assert all(not r["source_link"].startswith("[") for r in own)
    assert any(r["source_link"].startswith("填报：") for r in own)


def test_a_province_user_s_indicator_rows_are_national_and_its_own(app, site):
    client = client_of(app, "guangdong")
    rows = grid_rows(app, client, ids.INDICATORS_GRID, ids.INDICATORS_CHOICE)
    everything = read(site, query_indicator_progress)
    assert sorted(map(progress_key, rows)) == sorted(
        progress_key(r) for r in everything if r["province_code"] in (None, "440000")
    )
    assert {r["province_code"] for r in rows} == {None, "440000"}
    assert "450000" in {r["province_code"] for r in everything}
    # A year without a value says why (as the mid-term report does), not a blank 状态: its year is not over on the
    # demo's day, a computed indicator has no census figures for it, or it was not reported.
    unreported = [r for r in rows if r["value"] is None]
    assert unreported and {r["status"] for r in unreported} == {"年度未结束", "无普查数据", "未填报"}
    assert all(
        r["status"]
        == ("年度未结束" if r["year"] >= DEMO_TODAY.year else "无普查数据" if r["source"] == "计算" else "未填报")
        for r in unreported
    )
    # A value given before its year's end is not judged against the year-end expectation either (all seven national
    # cards read 滞后 on 30 June).
    open_year = [r for r in rows if r["value"] is not None and r["year"] >= DEMO_TODAY.year]
    assert open_year and {r["status"] for r in open_year if r["target"] is not None} == {"年度未结束"}
    # A monitored indicator (no target) is judged in no year: its running year read 年度未结束, the others nothing.
    monitored = [r for r in rows if r["value"] is not None and r["target"] is None]
    assert monitored and {r["status"] for r in monitored} == {""}, {(r["indicator_code"], r["year"]) for r in monitored}

    # The heatmap of indicators computed from the census: Guangdong's row only, with its values.
    (own,) = heatmap_rows(app, client)
    assert own[0] == "广东省" and any(value is not None for value in own[1])
    assert "广西壮族自治区" in {province for province, _ in heatmap_rows(app, client_of(app, "planner"))}
    planner = grid_rows(app, client_of(app, "planner"), ids.INDICATORS_GRID, ids.INDICATORS_CHOICE)
    assert sorted(map(progress_key, planner)) == sorted(map(progress_key, everything))


def test_a_national_card_of_a_year_not_over_gives_the_last_full_year_s_status(app, site):
    # In June every target card read 年度未结束 alone: a year's 严重滞后 was found only in the table below.
    response = post(
        app, client_of(app, "planner"), [(ids.INDICATORS_CARDS, "children"), (ids.INDICATORS_HEATMAP, "figure")],
        [(ids.INDICATORS_CHOICE, "id", ids.INDICATORS_CHOICE)],
    )  # fmt: skip
    cards = [text_of(card) for card in returned(response, ids.INDICATORS_CARDS, "children")]
    progress = read(site, query_indicator_progress)
    judged = {
        r["indicator_code"]: r
        for r in progress
        if r["province_code"] is None and r["value"] is not None and r["year"] < DEMO_TODAY.year and r["target"]
    }
    assert cards and judged and len(cards) == len(judged)
    running = {r["indicator_code"]: r for r in progress if r["province_code"] is None and r["year"] == DEMO_TODAY.year}
    for card, row in zip(cards, sorted(judged.values(), key=lambda r: r["indicator_code"]), strict=True):
        # Each line names its year and figures: the running year's value sat over the last year's 滞后 unnamed.
        now = running[row["indicator_code"]]
        assert (
            f"{now['year']}年：实际 {format_value(now['value'])}，应达 {format_value(now['expected'])}，年度未结束"
            in card
        )
        assert f"{row['year']}年：实际 {format_value(row['value'])}，应达 {format_value(row['expected'])}，" in card
        assert card.endswith(row["status"]), card


def heatmap_rows(app, client) -> list[tuple[str, list[Any]]]:
    """The province × indicator heatmap's rows: (province, cell values)."""
    response = post(
        app, client, [(ids.INDICATORS_CARDS, "children"), (ids.INDICATORS_HEATMAP, "figure")],
        [(ids.INDICATORS_CHOICE, "id", ids.INDICATORS_CHOICE)],
    )  # fmt: skip
    traces = [t for t in returned(response, ids.INDICATORS_HEATMAP, "figure")["data"] if t["type"] == "heatmap"]
    assert len(traces) == 1
    return list(zip(traces[0]["y"], traces[0]["z"], strict=True))


def target_rows(app, user: str, code: Any) -> list[dict[str, Any]]:
    return grid_rows(app, client_of(app, user), ids.INDICATORS_TARGETS_GRID, code)


def test_a_planner_sees_every_province_s_status_against_its_own_target(app, site):
    rows = target_rows(app, "planner", "ZB04")
    shown = {
        r["province_code"]: (
            r["province_name"],
            r["year"],
            r["value"],
            r["baseline"],
            r["target"],
            r["expected"],
            r["status"],
        )
        for r in rows
    }
    # The supervision demo's targets for ZB04 (70, 60, 75, 80 in 2020 to 100 in 2025), judged on their 2024 values.
    assert shown == {
        "320000": ("江苏省", 2024, 97.0, 80.0, 100.0, 96.0, "达标"),
        "440000": ("广东省", 2024, 95.0, 70.0, 100.0, 94.0, "达标"),
        "450000": ("广西壮族自治区", 2024, 88.0, 60.0, 100.0, 92.0, "滞后"),
        "510000": ("四川省", 2024, 85.0, 75.0, 100.0, 95.0, "严重滞后"),
    }
    assert {r["unit"] for r in rows} == {"%"}
    # The same statuses as the warehouse gives, for every indicator with targets.
    everything = read(site, query_provincial_progress)
    assert {r["status"] for r in everything} >= {"达标", "滞后", "严重滞后"}
    assert {r["province_code"] for r in target_rows(app, "planner", "ZB01")} == {"320000", "330000", "440000"}
    page = render_page(app, client_of(app, "planner"), indicators.PATH).text
    assert ids.INDICATORS_TARGETS_GRID in page and "分省目标进展" in page and "严重滞后" in page


def test_a_province_user_sees_only_its_own_target_and_status(app, site):
    for code in ("ZB04", "ZB01", "JC01"):
        rows = target_rows(app, "guangdong", code)
        assert [r["province_code"] for r in rows] == ["440000"], code
    assert target_rows(app, "guangdong", "ZB04")[0]["status"] == "达标"
    # Indicators without a target for Guangdong show nothing, though other provinces have them.
    assert read(site, query_provincial_progress, "ZB04", "450000") and target_rows(app, "guangdong", "ZB02") == []
    # Without an indicator the warehouse is still asked for Guangdong's rows only.
    assert {r["province_code"] for r in target_rows(app, "guangdong", None)} == {"440000"}
    assert {r["province_code"] for r in target_rows(app, "planner", None)} > {"440000"}
    # The export re-reads the rows for the signed-in user: Guangdong's alone, whatever the browser claims it showed.
    forged = [{"key": "ZB04:450000", "province_code": "450000"}, {"key": "ZB04:440000"}]
    book = exported_workbook(
        export_grid(app, client_of(app, "guangdong"), ids.INDICATORS_TARGETS_GRID, forged, "ZB04"),
        ids.INDICATORS_TARGETS_GRID,
    )
    sheet = book.active
    header = [c.value for c in sheet[EXPORT_HEADER_ROW]]
    listed = [row[header.index("省份")] for row in sheet.iter_rows(min_row=EXPORT_HEADER_ROW + 1, values_only=True)]
    assert listed == ["广东省"]
    # Its title names the indicator (no row does) and whose targets.
    zb04 = next(i.name for i in PLAN_INDICATORS if i.code == "ZB04")
    assert sheet.cell(1, 1).value == f"规划指标分省目标进展（{zb04}（ZB04），广东省）"
    # A value the dropdown cannot send is refused, not a server error; evaluators read nothing.
    assert load_grid(app, client_of(app, "guangdong"), ids.INDICATORS_TARGETS_GRID, ["ZB04"]).status_code == 400
    assert load_grid(app, client_of(app, "evaluator"), ids.INDICATORS_TARGETS_GRID, "ZB04").status_code == 403


@pytest.mark.parametrize(("user", "status"), [("planner", 200), ("admin", 200), ("guangdong", 403), ("evaluator", 403)])
def test_only_national_users_download_the_mid_term_report(app, user, status):
    response = client_of(app, user).get("/download/indicators-report")
    assert response.status_code == status
    if status == 200:
        assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames
        day = format_date(app.server.extensions[CONTEXT_EXTENSION].settings.today())
        assert quote(f"十四五规划指标中期评估-全国-{day}.xlsx") in response.headers["Content-Disposition"]
    page = render_page(app, client_of(app, user), indicators.PATH)
    assert (ids.INDICATORS_REPORT_DOWNLOAD in page.text) == (status == 200)


def test_a_province_reads_the_national_trajectory_as_national_beside_its_own(app, site):
    # A probe's provincial office read the national 58.36 as its own (广东 62.57): nothing said whose it was.
    computed = read(site, computed_indicator_values)
    # A computed indicator the province's census returns give a value for.
    code, value = next(
        (r["indicator_code"], float(r["value"]))
        for r in computed
        if r["province_code"] == "440000" and r["value"] is not None
    )
    year = next(r["year"] for r in computed if r["indicator_code"] == code)
    national = [
        r["year"]
        for r in read(site, query_indicator_progress)
        if (r["indicator_code"], r["province_code"]) == (code, None)
    ]
    assert national

    def series(user: str) -> dict[str, list[Any]]:
        answer = post(
            app,
            client_of(app, user),
            [(ids.INDICATORS_TRAJECTORY, "figure")],
            [(ids.INDICATORS_CHOICE, "value", code)],
        )
        return {
            t["name"]: list(zip(t["x"], t["y"], strict=True))
            for t in returned(answer, ids.INDICATORS_TRAJECTORY, "figure")["data"]
        }

    guangdong = series("guangdong")
    assert guangdong["广东省实际值"] == [(year, value)]
    assert [year for year, _ in guangdong["全国实际值"]] == national
    assert set(series("planner")) <= {"全国实际值", "全国应达进度"}
    # Of an indicator with the province's own target, its own plan's expected progress too (its line alone on the
    # national axis read nothing to a probe).
    planned = [
        r
        for r in read(site, query_indicator_progress)
        if (r["indicator_code"], r["province_code"]) == ("ZB01", "440000")
    ]
    expected = [(r["year"], float(r["expected"])) for r in planned if r["expected"] is not None]
    answer = post(
        app,
        client_of(app, "guangdong"),
        [(ids.INDICATORS_TRAJECTORY, "figure")],
        [(ids.INDICATORS_CHOICE, "value", "ZB01")],
    )
    drawn = {
        t["name"]: list(zip(t["x"], t["y"], strict=True))
        for t in returned(answer, ids.INDICATORS_TRAJECTORY, "figure")["data"]
    }
    assert expected and drawn["广东省应达进度"] == expected
    assert drawn["广东省实际值"] == [(r["year"], float(r["value"])) for r in planned if r["value"] is not None]
    page = render_page(app, client_of(app, "guangdong"), indicators.PATH).text
    assert "全国进展（对照全国规划目标）" in page and "以下卡片为全国数值；广东省的数值见" in page

    # A total computed from a census not yet complete is said to count only what was reported (a probe read JC07
    # beside the plan's 2022 baseline as a 95 % fall).
    def note(user: str) -> Any:
        return post(
            app,
            client_of(app, user),
            [(ids.INDICATORS_COMPUTED_NOTE, "children")],
            [(ids.INDICATORS_CHOICE, "id", "x")],
        )

    completion = next(r["value"] for r in computed if (r["indicator_code"], r["province_code"]) == ("JC04", None))
    assert completion == 100 and returned(note("planner"), ids.INDICATORS_COMPUTED_NOTE, "children") == ""
    assert note("evaluator").status_code == 403
    partial = [{"indicator_code": "JC04", "province_code": None, "value": Decimal("75.00")}]
    said = indicators.describe_partial_census(partial)
    assert "全国的国有档案资源普查完成率目前为 75.00%：总量类指标（电子档案容量、" in said, said
    assert "综合档案馆馆藏档案总量" in said and "不宜与规划的基期值直接比较" in said
    # A province's office is told its own completion first (it read only the nation's, quoted as if its own).
    partial.append({"indicator_code": "JC04", "province_code": "440000", "value": Decimal("97.47")})
    said = indicators.describe_partial_census(partial, "440000")
    assert "广东省的国有档案资源普查完成率目前为 97.47%（全国为 75.00%）：总量类指标" in said, said
    assert indicators.describe_partial_census([*partial[:1], {**partial[1], "value": Decimal(100)}], "440000") == ""


def test_an_evaluator_reads_no_indicators(app):
    client = client_of(app, "evaluator")
    assert load_grid(app, client, ids.INDICATORS_GRID, ids.INDICATORS_CHOICE).status_code == 403
    assert (
        post(
            app, client, [(ids.INDICATORS_TRAJECTORY, "figure")], [(ids.INDICATORS_CHOICE, "value", "ZB01")]
        ).status_code
        == 403
    )


def test_planners_see_inspection_grades_and_special_results_a_province_does_not(app, site):
    expected = read(site, summarize_inspections)
    grades, results = expected["by_grade"], expected["special_results"]
    assert list(grades) == ["优秀", "良好", "合格", "不合格"] and list(results) == ["合格", "不合格"]
    shown = summary_cards(app, client_of(app, "planner"))
    assert shown[2] == f"综合检查等次{sum(grades.values())}次" + "、".join(
        f"{g}{grades[g]}" for g in ("优秀", "良好", "合格", "不合格") if grades[g]
    )
    assert shown[3] == f"专项检查结论{sum(results.values())}次" + "、".join(
        f"{g}{results[g]}" for g in ("合格", "不合格") if results[g]
    )
    assert len(summary_cards(app, client_of(app, "guangdong"))) == 2, "the bureaus' inspections are national figures"


def test_a_central_unit_s_findings_and_inspections_are_not_filed_under_beijing(app, site):
    planner = client_of(app, "planner")
    rows = grid_rows(app, planner, ids.INSPECTIONS_GRID, None, None, None)
    central = [r for r in rows if r["unit_class"] in CENTRAL_UNIT_CLASSES]
    assert central and {r["province_name"] for r in central} == set(CENTRAL_UNIT_CLASSES)
    # 北京市 in the 省份 column is Beijing's own findings: those its office's list holds.
    beijing = {r["finding_id"] for r in rows if r["province_name"] == "北京市"}
    assert beijing == {f["finding_id"] for f in findings_of(site, "110000")} and beijing
    records = grid_rows(app, planner, ids.INSPECTIONS_RECORDS_GRID, None)
    assert {r["province_name"] for r in records if r["unit_class"] in CENTRAL_UNIT_CLASSES} == set(CENTRAL_UNIT_CLASSES)


def test_planners_read_every_inspection_record_with_its_findings_a_province_its_own(app, site):
    rows = grid_rows(app, client_of(app, "planner"), ids.INSPECTIONS_RECORDS_GRID, None)
    assert len(rows) == read(site, summarize_inspections)["total"]
    findings = read(site, query_findings, DEMO_TODAY)
    for row in rows[:20]:
        mine = [f for f in findings if f["inspection_id"] == row["inspection_id"]]
        assert (row["findings"], row["open_findings"], row["overdue"]) == (
            len(mine),
            sum(f["status"] != FindingStatus.CLOSED for f in mine),
            sum(f["is_overdue"] for f in mine),
        )
        assert row["sheet_name"] == "检查记录" and row["excel_row"] >= 3 and row["submission_id"]
    assert [r["feedback_date"] for r in rows] == sorted((r["feedback_date"] for r in rows), reverse=True)
    assert {r["grade"] for r in rows if r["inspection_type"] == "专项检查"} <= {"合格", "不合格"}
    # A provincial office read none, not even the inspections its own bureau organised (SJ44-…).
    guangdong = client_of(app, "guangdong")
    assert ids.INSPECTIONS_RECORDS_GRID in render_page(app, guangdong, inspections.PATH).text
    own = grid_rows(app, guangdong, ids.INSPECTIONS_RECORDS_GRID, None)
    expected = {
        r["inspection_id"]
        for r in rows
        if r["province_code"] == "440000" and r["unit_class"] not in CENTRAL_UNIT_CLASSES
    }
    assert own and {r["inspection_id"] for r in own} == expected
    assert any(r["organiser"] != NATIONAL_BUREAU for r in own)
    # Another province's office reads its own records, none of Guangdong's (nor a central unit's in Beijing).
    beijing = grid_rows(app, client_of(app, "beijing"), ids.INSPECTIONS_RECORDS_GRID, None)
    assert {(r["province_code"], r["unit_class"] in CENTRAL_UNIT_CLASSES) for r in beijing} <= {("110000", False)}


def test_evidence_named_in_a_workbook_is_shown_whole_and_a_stored_file_is_a_link(tmp_path):
    # A workbook's 佐证材料 is a title or document number, not a file: it was a dead link cut at its first dash.
    assert evidence_link(tmp_path, "JC2023-002-06", {"evidence": "JC2023-002-06-整改报告.pdf", "seq": 2}) == (
        "JC2023\\-002\\-06\\-整改报告\\.pdf"
    )
    stored = {"evidence": "evidence/JC2023-002-06/0123456789ab-整改_终稿_(1).pdf", "seq": 3}
    # A stored file's reference whose file is not kept (any more): its text, not a dead link.
    assert "](" not in evidence_link(tmp_path, "JC2023-002-06", stored)
    (tmp_path / "evidence" / "JC2023-002-06").mkdir(parents=True)
    (tmp_path / stored["evidence"]).write_bytes(b"%PDF-1.4")
    assert (
        evidence_link(tmp_path, "JC2023-002-06", stored) == "[整改\\_终稿\\_\\(1\\)\\.pdf](/evidence/JC2023-002-06/3)"
    )
    assert evidence_link(tmp_path, "JC2023-002-06", {"evidence": None, "seq": 1}) == ""
    # An export shows what the grid shows: the names as sent, the stored file opening its page.
    assert link_parts(evidence_link(tmp_path, "JC2023-002-06", stored)) == (
        "整改_终稿_(1).pdf",
        "/evidence/JC2023-002-06/3",
    )
    named = {"evidence": "JC2023-002-06-整改报告.pdf", "seq": 2}
    assert link_parts(evidence_link(tmp_path, "JC2023-002-06", named)) == ("JC2023-002-06-整改报告.pdf", None)


def test_a_province_s_bulletin_shows_its_progress_against_its_own_targets(app, site):
    today = site.settings.today()
    own = read(site, query_provincial_progress, None, "440000", ROUND_ID, today)
    assert own, "the supervision demo uploads Guangdong's targets"
    page = client_of(app, "guangdong").get("/bulletin/440000").get_data(as_text=True)
    section = page.split("六、规划指标对照本省目标", 1)[1]
    for row in own:
        assert f'<td class="">{row["indicator_name"]}</td><td class="">{row["year"]}</td>' in section
        # As the indicators page says it: a year still running 年度未结束, a past one without a value why.
        assert f'<td class="">{yearly_status(row, today) or "—"}</td>' in section
    # Beijing's office has no targets uploaded: the bulletin says so.
    other = client_of(app, "beijing").get("/bulletin/110000").get_data(as_text=True)
    assert not read(site, query_provincial_progress, province_code="110000")
    assert "尚未上传本省的规划目标" in other


def test_a_province_s_bulletin_says_its_large_figures_in_wan_or_yi_as_the_cards_do(app, site):
    from dash_app.reports import _with_magnitude
    from warehouse.indicators import computed_indicator_values

    # It wrote 53,284,750 alone, where the cards say 约 5328.48 万 beside it; not for storage (GB) or a share.
    assert _with_magnitude(Decimal("53284750.00"), "卷件") == "53,284,750（约 5328.48 万）"
    assert _with_magnitude(Decimal("1133924.00"), "GB") == "1,133,924"
    assert _with_magnitude(Decimal("93761.38"), "卷件") == "93,761.38"
    page = client_of(app, "guangdong").get("/bulletin/440000").get_data(as_text=True)
    section = page.split("五、", 1)[1].split("六、", 1)[0]
    own = [r for r in read(site, computed_indicator_values) if r["province_code"] == "440000" and r["value"]]
    assert own and all(f">{format_value(r['value'])}</td>" in section for r in own)


def test_a_province_s_bulletin_lists_its_gravest_and_longest_overdue_findings_first(app, site):
    # It listed the first ten by finding number, so a finding overdue longer than those could be among the unlisted.
    today = site.settings.today()
    overdue = [
        f
        for f in read(site, query_findings, today, province_code="440000", overdue_only=True)
        if f["unit_class"] not in CENTRAL_UNIT_CLASSES
    ]
    # (How many are overdue depends on the module's earlier tests, which close some: the order is checked whatever.)
    assert len({f["overdue_days"] for f in overdue}) > 1, "the demo's findings are overdue by different days"
    page = client_of(app, "guangdong").get("/bulletin/440000").get_data(as_text=True)
    section = page.split("四、逾期未销号的整改问题", 1)[1].split("五、", 1)[0]
    cells = r"<td[^>]*>([^<]*)</td>"
    listed = re.findall(rf"<tr>{cells * 6}</tr>", section)
    # The gravest first, then the longest overdue (a 重大安全隐患 15 days overdue was left out behind 一般 ones); each
    # with its state (one awaiting the reviewer's verdict read as not rectified).
    order = [(FindingSeverity(row[2]).rank, int(row[5].replace(",", ""))) for row in listed]
    assert len(listed) == min(len(overdue), OVERDUE_LISTED) and order == sorted(order, reverse=True), order
    states = {f["finding_id"]: f["status"] for f in overdue}
    assert all(row[3] == states[row[0]] for row in listed)
    unlisted = [
        (FindingSeverity(f["severity"]).rank, f["overdue_days"])
        for f in overdue
        if f["finding_id"] not in {r[0] for r in listed}
    ]
    assert all(order[-1] >= o for o in unlisted)
    assert len({f["severity"] for f in overdue}) > 1, "the demo's overdue findings are of several severities"


def test_every_state_the_audit_log_holds_is_named_in_chinese(app, site):
    # Last in the module, after its saves and uploads: a finding's change showed 变更后 measures：无.
    issued = findings_of(site, "440000", FindingStatus.ISSUED)[0]["finding_id"]
    assert "待整改 → 整改中" in message_of(act(app, client_of(app, "guangdong"), issued, "开始整改"))
    keys = set()
    for event in read(site, query_audit_log):
        for state in (event["before_state"], event["after_state"]):
            keys |= set(json.loads(state) or {}) if state else set()
    assert keys and keys <= set(AUDIT_STATE_LABELS), sorted(keys - set(AUDIT_STATE_LABELS))


# The pages of the province's or nation's figures and supervision, by their components' names.
NOT_LOCAL_PAGES = ("overview-", "quality-", "indicators-", "evaluation-", "audit-", "accounts-")


@pytest.mark.parametrize("user", [name for name, _, _ in LOCAL_OFFICES])
def test_a_local_office_refused_the_evaluation_page_is_told_whom_to_ask(app, user):
    # The refusal said only 无权查看此页面: a prefecture whose own city's archive is evaluated had no next step.
    response = render_page(app, client_of(app, user), evaluation.PATH)
    assert response.status_code == 200 and ids.PAGE_REFUSED in response.text
    assert "请向本省档案局咨询" in response.text and ids.EVALUATION_RESULTS_GRID not in response.text


@pytest.mark.parametrize("user", [name for name, _, _ in LOCAL_OFFICES])
def test_a_prefecture_s_or_county_s_office_gets_no_answer_from_the_pages_that_are_not_its_own(app, user):
    # A probe found them answered: a county's office read the province's quality grids, findings (with names and
    # measures), indicator targets and map through their callbacks, though the pages said 无权查看. Every callback
    # of those pages now answers it exactly as it answers a role that may not open them either (an evaluator; for
    # the evaluation page, which evaluators and provincial offices open, a central channel's office): refused, or
    # nothing.
    from tests.dash_app.test_web_security import _dependency, callback_body

    clients = {name: client_of(app, name) for name in (user, "evaluator", "yangqi")}
    differing, compared = {}, 0
    for key, entry in app.callback_map.items():
        names = [key] if not key.startswith("..") else key[2:-2].split("...")
        if "callback" not in entry or not all(n.startswith(NOT_LOCAL_PAGES) for n in names):
            continue
        dependencies = entry["inputs"] + entry.get("state", [])
        for pathname in (None, "/"):
            values = [pathname if d["property"] == "pathname" else None for d in dependencies]
            deps = [_dependency(d, v) for d, v in zip(dependencies, values, strict=True)]
            body = callback_body(key, entry, deps[: len(entry["inputs"])], deps[len(entry["inputs"]) :])
            reference = "yangqi" if names[0].startswith("evaluation-") else "evaluator"
            answers = [clients[name].post("/_dash-update-component", json=body) for name in (user, reference)]
            compared += 1
            # A refusal names the role it refused (县级档案部门无权…, 评价专家无权…): only its status is compared.
            said = [(a.status_code, b"" if a.status_code == 403 else a.data) for a in answers]
            if said[0] != said[1]:
                differing[(key, pathname)] = (answers[0].status_code, answers[0].data[:120])
    assert compared > 40 and differing == {}
