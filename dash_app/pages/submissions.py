"""`/submissions`: every submission with status, who, when and counts; reviews; lineage of a holder's figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from census_schema.census_form import SUMMARY_SUM_FIELDS
from census_schema.errors import CensusError
from census_schema.failures import in_workbook_order
from census_schema.forms import CURRENT_WORKBOOKS, KIND_LABELS, SUBMISSION_STATUS_LABELS, get_workbook_form
from census_schema.roles import Role
from census_schema.scopes import (
    AWAITING_PREFECTURE,
    AWAITING_PROVINCE,
    WITHDRAWN,
    counted_state,
    shown_progress,
    summarize_review,
)
from dash_app import ids
from dash_app.access import (
    SUBMISSION_ROLES,
    Viewer,
    can_review,
    current_viewer,
    find_visible_submission,
    refused_on_page,
    require_role,
    reviewer_of,
    said_on_page,
    scope_province,
    sees_submission,
    visible_submissions,
    where_warnings_are,
)
from dash_app.components import labelled, page_url, query_string, query_value
from dash_app.context import AppContext, current_context
from dash_app.data_docs import data_docs_url
from dash_app.failures import FAILURE_COLUMNS, failure_rows
from dash_app.formatting import (
    format_count,
    format_datetime,
    format_number,
    kind_label,
    removed_by_restore,
    shown_review_note,
    shown_review_progress,
    with_names,
)
from dash_app.grid import Column, GridSpec, fill_from_clicked_row, grid_block, register_grid
from dash_app.uploads import UPLOAD_ROLES, submission_report_kind, submission_report_url
from flows.ingest import describe_rejudged, submission_report_path
from flows.review import review_and_rejudge
from warehouse.loads import fetch_failures
from warehouse.queries import (
    canonical_submission_id,
    query_holder_lineage,
    query_removed_returns,
    query_review_progress,
)
from warehouse.reviews import (
    MAX_REVIEW_REASON,
    REASON_LABELS,
    Action,
    Reviewer,
    awaits,
    describe_return,
    describe_review_change,
    describe_withdrawal,
    under_review,
)
from warehouse.scopes import ReplacementChanges, fetch_replacement_changes

PATH = "/submissions"
NAME = "提交记录"
ROLES = SUBMISSION_ROLES
# The most errors and warnings of one submission its grid lists (a rejected return may have one in every cell).
SHOWN_FAILURES = 5000
# What a reviewer decides on comes first (whose return, what, when, its review and what its review history says: why
# it was sent back, or that it kept the review of the return it replaced; then its check with its errors and
# warnings); the identifiers last, reached by scrolling sideways (14 columns do not fit 1,400 pixels: after the check,
# 审核状态 and 审核说明 were out of view). The note wraps: as one line it was cut, and out of view.
SUBMISSION_COLUMNS = [
    Column("scope_name", "填报范围", tooltip="scope_code"),
    Column("kind_label", "类别"),
    # Which file, and when: how a sender tells its own uploads apart (at 1,366 px 文件 was out of view, last). A long
    # name wraps: at its full width it pushed 审核说明 out of view.
    Column("file_name", "文件", wrap=True, wrap_width=200),
    Column("submitted_at", "提交时间", "datetime"),
    Column("review_progress", "审核状态"),
    Column("review_note", "审核说明", wrap=True, wrap_width=180),
    Column("status_label", "校验结果"),
    Column("error_count", "错误", "int", "个"),
    Column("warning_count", "警告", "int", "个"),
    Column("is_current", "现行", "bool"),
    Column("row_count", "行数", "int", "行"),
    Column("submitter", "提交人"),
    Column("submission_id", "提交编号", "code"),
    Column("file_sha256", "文件指纹（SHA-256）", "code", clip=True),
]
LINEAGE_COLUMNS = [
    Column("submission_id", "提交编号", "code"),
    # A central channel's rows name the channel (中央企业) where a province's name its province.
    Column("province_name", "省份或中央渠道", tooltip="province_code"),
    Column("file_name", "文件"),
    Column("sheet_name", "工作表"),
    Column("excel_row", "行号", "row"),
    Column("unit_name", "单位名称"),
    Column("vol_total", "以卷为单位", "int", "卷"),
    Column("item_total", "以件为单位", "int", "件"),
    # Counted: the current return, not sent back (a row of a return sent back is current, and counts nowhere).
    Column("counted", "计入统计", "bool"),
    Column("review_progress", "审核状态"),
    Column("submitted_at", "提交时间", "datetime"),
]


def describe_submissions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Submissions with their kind, result and province named in Chinese."""
    return with_names(
        [
            {
                **row,
                "kind_label": kind_label(row["kind"]),
                "status_label": SUBMISSION_STATUS_LABELS.get(row["status"], row["status"]),
                "review_state": row.get("review_state") or "—",
                "review_progress": shown_review_progress(row),
                "review_note": shown_review_note(row),
                "scope_name": row.get("scope_name") or "全国",
            }
            for row in rows
        ]
    )


def _specs(context: AppContext) -> list[GridSpec]:
    def submissions(viewer: Viewer, _path: Any, _result: Any, search: Any) -> list[dict[str, Any]]:
        # Opened from a figure's lineage (?submission=…): that submission alone, chosen here rather than by a grid
        # filter (the grid's filter could be applied before or after its rows arrived, and the count then lagged).
        only = typed_id(query_value(search, "submission"))
        require_role(viewer, *SUBMISSION_ROLES)
        with context.reader.cursor() as con:
            rows = describe_submissions(visible_submissions(con, viewer))
        return [row for row in rows if row["submission_id"] == only] if only else rows

    def lineage(viewer: Viewer, uscc: str | None) -> list[dict[str, Any]]:
        code = (uscc if isinstance(uscc, str) else "").strip().upper()
        require_role(viewer, *SUBMISSION_ROLES)
        if not code:
            return []
        with context.reader.cursor() as con:
            if viewer.is_national or viewer.role is Role.PROVINCE:
                rows = query_holder_lineage(con, code, scope_province(viewer))
            else:
                # Below a province or in a central channel: only the rows its own submissions brought.
                own = {s["submission_id"] for s in visible_submissions(con, viewer)}
                rows = [r for r in query_holder_lineage(con, code, viewer.province_code) if r["submission_id"] in own]
        return with_names([{**row, "review_progress": shown_review_progress(row)} for row in rows])

    def failures(viewer: Viewer, submission_id: str | None) -> list[dict[str, Any]]:
        # The submission typed, when the viewer may see it: a reviewer reads the warnings of the return under review.
        code = typed_id(submission_id)
        require_role(viewer, *SUBMISSION_ROLES)
        if not code:
            return []
        with context.reader.cursor() as con:
            submission = find_visible_submission(con, viewer, code)
            if submission is None:
                return []
            found = fetch_failures(con, code, SHOWN_FAILURES)
        book = CURRENT_WORKBOOKS.get(submission["kind"])
        return failure_rows([f.to_json() for f in in_workbook_order(found, book.sheets if book else ())])

    return [
        GridSpec(
            ids.SUBMISSIONS_FAILURES_GRID,
            FAILURE_COLUMNS,
            ("key",),
            failures,
            [(ids.SUBMISSIONS_REVIEW_ID, "value")],
            "校验结果",
            # 校验结果-S2024-440000-…-2026年12月7日.xlsx (it read 校验结果-提交S2024-…, and 校验结果-提交 for none).
            scope=lambda _viewer, submission_id: typed_id(submission_id) or "未选择提交",
            # Which file, its result and counts, and whether the export holds them all (it said only the number).
            note=lambda viewer, submission_id: describe_failures(context, viewer, submission_id),
        ),
        GridSpec(
            ids.SUBMISSIONS_GRID,
            SUBMISSION_COLUMNS,
            ("submission_id",),
            submissions,
            [(ids.URL, "pathname"), (ids.SUBMISSIONS_REVIEW_RESULT, "children"), (ids.PAGE_URL, "search")],
            "提交记录",
        ),
        GridSpec(
            ids.LINEAGE_GRID,
            LINEAGE_COLUMNS,
            ("submission_id", "excel_row"),
            lineage,
            [(ids.LINEAGE_USCC, "value")],
            "数据来源",
        ),
    ]


REVIEW_HINT = (
    "地级档案部门审核所辖县级单位的报表（开通账号后报送的），省级档案部门审核本省地级、县级单位的报表（可代地级审核）；"
    "国家档案局审核全省的报表、中央渠道的报表和省里已审核通过的报表。"
    "退回须写明原因，被退回的报表不计入统计数字。审核通过须由提交人以外的人员进行。"
    "本人提交、尚在审核中的报表，可写明理由后点“撤回本人提交的报表”撤回。"
)
# Said to an office that sends but does not review (a county's, a central channel's), after REPORTER_HINT.
SENDER_HINT = (
    "传错的报表尚在审核中的，可点击上表该行（或填入提交编号）、写明撤回理由，点“撤回本人提交的报表”撤回："
    "撤回后不计入统计数字，修改后重新上传即可。"
)
# What a page without the review buttons says instead (a prefecture's, county's or central channel's account, or an
# administrator, who reads).
REPORTER_HINT = (
    "各报表的进度见上表“审核状态”一列；被退回的，原因见“审核说明”，请按原因修改后重新上传。"
    "点击上表一行，可查看该次提交的校验详情，或下载其错误报告。"
)
# Who reviews the returns the viewer sees, before REPORTER_HINT: a county's office and a central channel's are told
# their own chain only (a central channel's read of counties and prefectures it has nothing to do with).
REVIEW_CHAINS = {
    Role.COUNTY: "本县的报表先由所在地级档案部门审核（其开通账号的），再由省级档案部门、国家档案局审核。",
    Role.CENTRAL: "本渠道的报表由国家档案局审核。",
}
ALL_CHAINS = (
    "报表由上级逐级审核：县级的报表先由所在地级档案部门审核（其开通账号的），地级、县级的报表再由省级档案部门、"
    "国家档案局审核；中央渠道的报表由国家档案局审核。"
)


def layout(uscc: str | None = None, submission: str | None = None, **_query: str) -> html.Div:
    """Submission history, the review form (reviewers: the buttons only for them), and lineage by holder."""
    viewer = current_viewer()
    submission = typed_id(submission) or None  # a link's number as typed or pasted (s2024-…) is the number
    reviewer = can_review(viewer)
    hidden = None if reviewer else {"display": "none"}
    # Whoever uploads may take back a return of their own still under review (a county's office had no way to).
    sender = viewer.role in UPLOAD_ROLES
    reason_shown = None if reviewer or sender else {"display": "none"}
    return html.Div(
        [
            page_url(),
            html.H1("提交记录"),
            html.P([f"只显示提交 {submission}。", dcc.Link("显示全部", href="/submissions")], className="hint")
            if submission
            else None,
            # A link kept from before a restore (an upload page's, an e-mail's) led to an empty grid: why it is gone.
            html.P(note, className="warn")
            if submission and (note := removed_return_note(viewer, submission))
            else None,
            grid_block(ids.SUBMISSIONS_GRID, SUBMISSION_COLUMNS, row_id="submission_id"),
            html.Div(id=ids.SUBMISSIONS_REVIEW_PROGRESS, className="hint"),
            html.H2("审核" if reviewer else "审核进度与校验详情"),
            html.P(
                REVIEW_HINT
                if reviewer
                else REVIEW_CHAINS.get(viewer.role, ALL_CHAINS) + REPORTER_HINT + (SENDER_HINT if sender else ""),
                className="hint",
            ),
            html.Div(
                [
                    labelled(
                        "提交编号",
                        dcc.Input(
                            id=ids.SUBMISSIONS_REVIEW_ID,
                            value=submission or "",
                            placeholder="点击上表一行可填入",
                            style={"width": "340px"},
                        ),
                        for_id=ids.SUBMISSIONS_REVIEW_ID,
                    ),
                    html.Div(
                        labelled(
                            reason_label(reviewer),
                            dcc.Input(
                                id=ids.SUBMISSIONS_REVIEW_REASON,
                                placeholder=("退回、撤回时必填" if sender else "退回时必填")
                                if reviewer
                                else "撤回时必填",
                                maxLength=MAX_REVIEW_REASON,
                                style={"width": "340px"},
                            ),
                            for_id=ids.SUBMISSIONS_REVIEW_REASON,
                        ),
                        style=reason_shown,
                    ),
                    html.Button("审核通过", id=ids.SUBMISSIONS_ACCEPT, style=hidden),
                    html.Button("退回", id=ids.SUBMISSIONS_RETURN, className="button-danger", style=hidden),
                    html.Button(
                        "撤回本人提交的报表",
                        id=ids.SUBMISSIONS_WITHDRAW,
                        className="button-danger",
                        style=None if sender else {"display": "none"},
                    ),
                ],
                className="toolbar",
            ),
            html.P(id=ids.SUBMISSIONS_CHANGES, className="hint"),
            html.P(id=ids.SUBMISSIONS_RETURN_PREVIEW, className="hint"),
            html.Div(id=ids.SUBMISSIONS_REVIEW_RESULT, className="result", role="status"),
            html.Div(
                [
                    html.A(
                        "查看所填提交的校验详情（Great Expectations Data Docs，英文页面）",
                        id=ids.SUBMISSIONS_DATA_DOCS_LINK,
                        target="_blank",
                        style={"display": "none"},
                    ),
                    html.A(
                        "下载所填提交的错误报告（原工作簿，出错的单元格已标注）",
                        id=ids.SUBMISSIONS_REPORT_LINK,
                        style={"display": "none"},
                    ),
                ],
                className="toolbar",
            ),
            html.H3("所填提交的错误和警告"),
            html.P(id=ids.SUBMISSIONS_FAILURES_NOTE, role="status"),
            html.P("错误在前；行号是所报工作簿中的行。警告不影响接收，请逐条核实。", className="hint"),
            grid_block(
                ids.SUBMISSIONS_FAILURES_GRID, FAILURE_COLUMNS, fit_width=True, empty="没有可列出的错误和警告。"
            ),
            html.H2("数据来源追溯"),
            html.P(
                "输入统一社会信用代码，查看该单位数字来自哪次提交、哪个文件、哪一行（含已被替代的历史提交）。",
                className="hint",
            ),
            labelled(
                "统一社会信用代码",
                dcc.Input(
                    id=ids.LINEAGE_USCC,
                    value=uscc or "",
                    placeholder="18 位代码",
                    debounce=True,
                    style={"width": "260px"},
                ),
                for_id=ids.LINEAGE_USCC,
            ),
            grid_block(
                ids.LINEAGE_GRID,
                LINEAGE_COLUMNS,
                # Said before any code is typed too, and alike for a mistyped code and one outside the viewer's area.
                empty="输入统一社会信用代码后，在此列出其报送记录；没有列出的，请核对代码（18 位）。"
                "只列出您可以查看的报表中的记录。",
            ),
        ]
    )


def describe_review_progress(viewer: Viewer, progress: dict[str, Any], visible: list[dict[str, Any]]) -> str:
    """One line of review progress over the current census returns the viewer may see (`visible`: the submissions
    of a viewer below a province or in a central channel, counted here)."""
    own = viewer.scope
    if own is not None and viewer.role is not Role.PROVINCE:
        counted = [
            s["review_progress"]
            for s in visible
            if s["kind"] == "census" and s["is_current"] and s["status"] == "accepted" and s["review_progress"]
        ]
        # A central channel's returns go to the national bureau alone: no 待地级审核 or 待省级审核 to count.
        skipped = (AWAITING_PREFECTURE, AWAITING_PROVINCE) if own.is_central else ()
        return _progress_line(own.name, summarize_review(counted), skipped)
    province = scope_province(viewer)
    if province is not None:
        progress = next(p for p in progress["provinces"] if p["province_code"] == province)
    return _progress_line("全国（含中央渠道）" if province is None else progress["province_name"], progress)


def own_waiting_elsewhere(viewer: Viewer, reviewer: Reviewer, visible: list[dict[str, Any]]) -> str:
    """The viewer's own current returns under review at another level than theirs, by progress (您本人提交的 1 份
    待国家局审核): the line counted them among everyone's and never said they were the viewer's."""
    waiting = Counter(
        s["review_progress"]
        for s in visible
        if s["submitted_by"] == viewer.user_name and under_review(s) and not awaits(reviewer, s)
    )
    if not waiting:
        return ""
    parts = "、".join(f"{count:,} 份{progress}" for progress, count in waiting.items())
    return f"您本人提交的报表中，{parts}（审核通过前您可以撤回）。"


def _progress_line(where: str, progress: dict[str, Any], skipped: Sequence[str] = ()) -> str:
    states = "，".join(
        f"{counted_state(state)} {count} 份" for state, count in progress["by_state"].items() if state not in skipped
    )
    return f"审核进度（{where}现行普查表 {progress['returns']} 份）：{states}；已审核 {progress['reviewed_pct']:.2f}%。"


def reason_label(reviewer: bool) -> str:
    """The reason field's name on the form: a reviewer's serves a return and a withdrawal of their own return alike
    (it read 退回理由 when a probe's office was told to give why it withdrew there), a sender's is its 撤回理由."""
    return "退回或撤回理由" if reviewer else REASON_LABELS["withdraw"]


def review(context: AppContext, viewer: Viewer, submission_id: str | None, action: Action, reason: str | None) -> str:
    """Accept or return a submission at the viewer's level (the province for its prefectures' and counties' returns,
    the national bureau for the rest), or withdraw one's own; a sentence saying what happened."""
    if action == "withdraw":
        if viewer.role not in UPLOAD_ROLES:
            return refused_on_page("只有报送报表的用户可以撤回本人提交的报表。")
    elif not can_review(viewer):
        return refused_on_page("只有地级、省级档案部门和国家档案局的审核人员可以审核。")
    if not submission_id or not isinstance(submission_id, str) or not isinstance(reason, str | None):
        return "请先填写提交编号。"
    field = reason_label(can_review(viewer))
    if action == "return" and not (reason or "").strip():
        return f"退回报送必须说明原因：请在“{field}”中写明需要报送单位修改的内容，再点“退回”。"
    if action == "withdraw" and not (reason or "").strip():
        return f"撤回报送必须说明原因：请在“{field}”中写明为什么撤回，再点“撤回本人提交的报表”。"
    reviewer = reviewer_of(viewer)
    try:
        change = context.store.write(
            lambda con: review_and_rejudge(con, typed_id(submission_id), action, reviewer, reason)
        )
    except CensusError as error:
        return said_on_page(error)
    said = describe_review_change(change)
    if change["returns_rejudged"]:
        said += f"；{describe_rejudged(change['returns_rejudged'], by_review=True)}{where_warnings_are(viewer.role)}"
    return said + "。"


def describe_changes(changes: ReplacementChanges) -> str:
    """What a return changed against the one it replaced, as its reviewer reads it before deciding."""
    old = changes.replaced
    # A return sent back counted in no figure: its totals beside the new ones are not what the figures were.
    said = (
        f"与其替换的报表（{old.returned_mark}「{old.file_name}」，{old.submitter} {format_datetime(old.submitted_at)} 报送，"
        f"编号 {old.submission_id}）相比：新增 {changes.added:,} 个普查对象{_named(changes.added_names, changes.added)}，"
        f"减少 {changes.dropped:,} 个{_named(changes.dropped_names, changes.dropped)}，"
        f"内容有变化的 {changes.changed:,} 个{_changed_fields(changes)}"
    )
    sheets = "，".join(
        f"「{title}」{'有改动' if differs else '不变'}" for title, differs in changes.other_sheets.items()
    )
    tail = f"；{sheets}。" if sheets else "。"
    # The totals are the holders' sheet's (a register has none): named, beside the other sheets' changes.
    holders_sheet = get_workbook_form(changes.kind).sheets[0]
    if not any(name in SUMMARY_SUM_FIELDS for name in holders_sheet.field_names):
        return said + tail
    if not changes.totals:
        return said + f"；「{holders_sheet.title}」各项合计不变" + tail
    moved = []
    for name, (before, after) in changes.totals.items():
        field = holders_sheet.field(name)
        delta = after - before
        moved.append(
            f"「{field.label}」{format_number(before, field.decimals)} → {format_number(after, field.decimals)}"
            f"（{'+' if delta > 0 else '−'}{format_number(abs(delta), field.decimals)}）"
        )
    more = len(moved) - CHANGED_FIELDS_NAMED
    named = "，".join(moved[:CHANGED_FIELDS_NAMED]) + (f"，另有 {more} 栏" if more > 0 else "")
    return said + f"；「{holders_sheet.title}」合计有变化的：" + named + tail


# How many changed columns a comparison names before it says how many more there are.
CHANGED_FIELDS_NAMED = 8


def _named(names: Sequence[str], count: int) -> str:
    """The first holders added or dropped, by name: （甲、乙等）; "" for none."""
    return f"（{'、'.join(names)}{'等' if count > len(names) else ''}）" if names else ""


def _changed_fields(changes: ReplacementChanges) -> str:
    """The columns that changed, by their headers in the workbook, each with how many holders it changed for."""
    if not changes.fields:
        return ""
    sheet = get_workbook_form(changes.kind).sheets[0]
    named = [f"「{sheet.field(name).label}」{count:,} 个" for name, count in changes.fields.items()]
    more = len(named) - CHANGED_FIELDS_NAMED
    return "（" + "，".join(named[:CHANGED_FIELDS_NAMED]) + (f"，另有 {more} 栏" if more > 0 else "") + "）"


def typed_id(submission_id: Any) -> str:
    """The submission number typed into the form, trimmed and in the case it is stored in ("" for none, or for a value
    that is not text)."""
    return canonical_submission_id(submission_id if isinstance(submission_id, str) else "")


def removed_return_note(viewer: Viewer, code: str) -> str | None:
    """Why a submission a restore of the warehouse removed is gone, and what to do (nothing, for one a later return of
    its scope had replaced before), for a viewer who may see it (None for any other number)."""
    with current_context().reader.cursor() as con:
        removed = next(
            (r for r in query_removed_returns(con, include_replaced=True) if r["submission_id"] == code), None
        )
    if removed is None or not sees_submission(viewer, removed):
        return None
    todo = (
        "须由报送方重新上传"
        if removed.get("is_current", True)
        else "它在恢复前已被同一范围之后的报送替换，无须重新上传"
    )
    return (
        f"提交编号「{code}」的报送（{kind_label(removed['kind'])}·{removed['scope_name']}，「{removed['file_name']}」，"
        f"{removed['submitter']} {format_datetime(removed['submitted_at'])} 报送）已在 {removed_by_restore(removed)}，"
        f"不计入任何数字，{todo}。"
    )


def report_link_text(submission: Mapping[str, Any]) -> str:
    """What the link to a submission's kept report says it holds: the errors marked, or (accepted) the warnings."""
    marked = "出错" if submission["status"] == "rejected" else "有警告"
    return f"下载所填提交的{submission_report_kind(submission)}（原工作簿，{marked}的单元格已标注）"


def describe_failures(context: AppContext, viewer: Viewer, submission_id: str | None) -> str:
    """What the grid of the submission typed lists: its file, result and counts, and whether the grid holds them all;
    or that no submission the viewer may see has that number."""
    code = typed_id(submission_id)
    if not code:
        return "填入提交编号后，在此列出该提交校验发现的错误和警告。"
    with context.reader.cursor() as con:
        submission = find_visible_submission(con, viewer, code)
    if submission is None:
        removed = removed_return_note(viewer, code)
        return removed or f"找不到提交编号为「{code[:60]}」的提交，或无权查看：请核对编号（点击上表一行可填入）。"
    errors, warnings = submission["error_count"], submission["warning_count"]
    said = (
        f"「{submission['file_name']}」{SUBMISSION_STATUS_LABELS.get(submission['status'], submission['status'])}："
        f"错误 {format_count(errors)} 个，警告 {format_count(warnings)} 个"
    )
    if errors + warnings > SHOWN_FAILURES:
        kept = submission_report_path(context.settings, code).is_file()
        kind = submission_report_kind(submission)
        where = f"全部见其{kind}（原工作簿，逐格标注）" if kept else "全部见上传时的校验结果"
        return f"{said}；以下只列出前 {format_count(SHOWN_FAILURES)} 条（错误在前），{where}。"
    return f"{said}。"


def changes_of(context: AppContext, viewer: Viewer, submission_id: str | None) -> str | None:
    """What the submission typed changed against the return it replaced, for a viewer who may see it (else None)."""
    code = typed_id(submission_id)
    if not code:
        return None
    with context.reader.cursor() as con:
        if find_visible_submission(con, viewer, code) is None:
            return None
        changes = fetch_replacement_changes(con, code)
    return None if changes is None else describe_changes(changes)


def return_preview(
    context: AppContext, viewer: Viewer, submission_id: str | None
) -> tuple[str | None, bool, bool, bool]:
    """What withdrawing the submission typed would take out, for its sender, or returning it, for a reviewer who may
    return it; and whether 审核通过, 退回 and 撤回 are shut: all three for a return no review can move (withdrawn,
    replaced, rejected; the server refuses them anyway, but a probe pressed 审核通过 on a withdrawn return), with
    why; 撤回 for any but the viewer's own return still under review."""
    code = typed_id(submission_id)
    if not code or (viewer.role not in UPLOAD_ROLES and not can_review(viewer)):
        return None, False, False, False  # pressed without a number, a button says to fill it in
    with context.reader.cursor() as con:
        own = describe_withdrawal(con, code, viewer.user_name) if viewer.role in UPLOAD_ROLES else None
        to_return = describe_return(con, code, reviewer_of(viewer)) if can_review(viewer) else None
        submission = find_visible_submission(con, viewer, code)
    if submission is None:
        return "找不到这个提交编号，或它不在您的查看范围内：请核对提交编号（点击上表一行可填入）。", True, True, True
    beyond = _beyond_review(submission)
    if beyond is None:
        return own or to_return, False, False, own is None
    return f"该报表{beyond}，不能再审核或撤回。", True, True, True


def _beyond_review(submission: Mapping[str, Any]) -> str | None:
    """Why no review moves the submission any more (withdrawn by its sender, replaced, not loaded); None when one may."""
    if submission["status"] != "accepted":
        return f"{SUBMISSION_STATUS_LABELS.get(submission['status'], submission['status'])}，未装载"
    if not submission["is_current"]:
        return "已被替代"
    if shown_progress(submission["review_state"], submission["return_reason"]) == WITHDRAWN:
        return "已由报送人撤回"
    return None


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Grids, row selection into the review form, and the review buttons."""
    for spec in _specs(context):
        register_grid(app, spec, context)

    @app.callback(
        Output(ids.PAGE_URL, "search", allow_duplicate=True),
        Input(ids.LINEAGE_USCC, "value"),
        prevent_initial_call=True,
    )
    def remember_holder(uscc: object) -> str:
        return query_string(uscc=(uscc if isinstance(uscc, str) else "").strip().upper())

    @app.callback(
        Output(ids.SUBMISSIONS_REVIEW_PROGRESS, "children"),
        Input(ids.URL, "pathname"),
        Input(ids.SUBMISSIONS_REVIEW_RESULT, "children"),
    )
    def show_progress(_path: Any, _result: Any) -> str:
        viewer = current_viewer()
        with context.reader.cursor() as con:
            visible = visible_submissions(con, viewer)
            line = describe_review_progress(viewer, query_review_progress(con), visible)
        reviewer = reviewer_of(viewer)
        line += own_waiting_elsewhere(viewer, reviewer, visible)
        if reviewer.level is None:  # reads, sends or scores: nothing waits for it
            return line
        at_level = [s for s in visible if awaits(reviewer, s)]
        # Its own uploads wait at its level too, but another reviewer passes them (a probe was told its own upload
        # was its turn, then refused: 本人提交，不能由本人审核通过).
        waiting = [s for s in at_level if s["submitted_by"] != viewer.user_name]
        own = len(at_level) - len(waiting)
        if own:
            line += f"您本人提交的 {own:,} 份尚在审核中，须由其他审核人审核通过（您可以撤回）。"
        if not waiting:
            return line + "现在没有轮到您审核的报表。"
        states = "、".join(f"“{label}”" for label in dict.fromkeys(s["review_progress"] for s in waiting))
        # The line before counts census returns only: the waiting ones of other kinds (registers) are named.
        kinds = Counter(s["kind"] for s in waiting)
        parts = [f"{kind_label(kind)} {kinds[kind]:,} 份" for kind in KIND_LABELS if kind in kinds]
        detail = f"（{'、'.join(parts)}）" if len(parts) > 1 else ""
        return line + f"现在轮到您审核的 {len(waiting):,} 份{detail}：上表审核状态为{states}的报表。"

    fill_from_clicked_row(app, ids.SUBMISSIONS_GRID, ids.SUBMISSIONS_REVIEW_ID)

    @app.callback(
        Output(ids.SUBMISSIONS_DATA_DOCS_LINK, "href"),
        Output(ids.SUBMISSIONS_DATA_DOCS_LINK, "style"),
        Input(ids.SUBMISSIONS_REVIEW_ID, "value"),
    )
    def data_docs_link(submission_id: str | None) -> tuple[str | None, dict[str, str]]:
        # Offered for a submission the viewer may see (a mistyped number led to a 404); the route checks again.
        code = typed_id(submission_id)
        if code:
            with context.reader.cursor() as con:
                if find_visible_submission(con, current_viewer(), code) is not None:
                    return data_docs_url(code), {}
        return None, {"display": "none"}

    @app.callback(Output(ids.SUBMISSIONS_FAILURES_NOTE, "children"), Input(ids.SUBMISSIONS_REVIEW_ID, "value"))
    def failures_note(submission_id: str | None) -> str:
        viewer = current_viewer()
        require_role(viewer, *SUBMISSION_ROLES)
        return describe_failures(context, viewer, submission_id)

    @app.callback(
        Output(ids.SUBMISSIONS_REPORT_LINK, "href"),
        Output(ids.SUBMISSIONS_REPORT_LINK, "style"),
        Output(ids.SUBMISSIONS_REPORT_LINK, "children"),
        Input(ids.SUBMISSIONS_REVIEW_ID, "value"),
    )
    def report_link(submission_id: str | None) -> tuple[str | None, dict[str, str], Any]:
        # Shown for a submission the viewer may see whose report was kept (a rejected one's, an accepted one's with
        # warnings); the route checks again. The id typed is looked up before it names a file.
        code = typed_id(submission_id)
        if code:
            with context.reader.cursor() as con:
                submission = find_visible_submission(con, current_viewer(), code)
            if submission is not None and submission_report_path(context.settings, code).is_file():
                return submission_report_url(code), {}, report_link_text(submission)
        return None, {"display": "none"}, no_update

    @app.callback(Output(ids.SUBMISSIONS_CHANGES, "children"), Input(ids.SUBMISSIONS_REVIEW_ID, "value"))
    def show_changes(submission_id: str | None) -> str | None:
        return changes_of(context, current_viewer(), submission_id)

    @app.callback(
        Output(ids.SUBMISSIONS_RETURN_PREVIEW, "children"),
        Output(ids.SUBMISSIONS_ACCEPT, "disabled"),
        Output(ids.SUBMISSIONS_RETURN, "disabled"),
        Output(ids.SUBMISSIONS_WITHDRAW, "disabled"),
        Input(ids.SUBMISSIONS_REVIEW_ID, "value"),
        Input(ids.SUBMISSIONS_REVIEW_RESULT, "children"),
    )
    def preview_return(submission_id: str | None, _result: Any) -> tuple[str | None, bool, bool, bool]:
        return return_preview(context, current_viewer(), submission_id)

    @app.callback(
        Output(ids.SUBMISSIONS_REVIEW_RESULT, "children", allow_duplicate=True),
        Input(ids.SUBMISSIONS_REVIEW_ID, "value"),
        prevent_initial_call=True,
    )
    def forget_result(_submission_id: Any) -> str:
        # Another return chosen: what was said of the last one goes (a probe read a refusal of its own province's
        # return as if it were about the county return it had clicked next).
        return ""

    @app.callback(
        Output(ids.SUBMISSIONS_REVIEW_RESULT, "children"),
        Input(ids.SUBMISSIONS_ACCEPT, "n_clicks"),
        Input(ids.SUBMISSIONS_RETURN, "n_clicks"),
        Input(ids.SUBMISSIONS_WITHDRAW, "n_clicks"),
        State(ids.SUBMISSIONS_REVIEW_ID, "value"),
        State(ids.SUBMISSIONS_REVIEW_REASON, "value"),
        prevent_initial_call=True,
    )
    def act(
        accept: int | None, send_back: int | None, take_back: int | None, submission_id: str | None, reason: str | None
    ) -> str:
        actions: dict[Any, Action] = {ids.SUBMISSIONS_ACCEPT: "accept", ids.SUBMISSIONS_WITHDRAW: "withdraw"}
        action = actions.get(ctx.triggered_id, "return")
        return review(context, current_viewer(), submission_id, action, reason)
