"""`/upload`: a provincial office uploads its workbook (the national bureau's planners the national workbooks) and sees
it accepted or the failures with the marked workbook."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from census_schema.census_form import ROUND_ID
from census_schema.divisions import load_divisions
from census_schema.forms import KIND_LABELS
from census_schema.roles import Role
from census_schema.scopes import (
    CENTRAL_CHANNELS,
    RETURNED,
    Scope,
    ScopeKind,
    ScopeReturn,
    describe_division,
    return_reason_clause,
    return_verb,
    shown_progress,
)
from dash_app import ids
from dash_app.access import (
    Viewer,
    current_viewer,
    require_role,
    sees_submission,
    visible_submissions,
    where_warnings_are,
)
from dash_app.components import dropdown, labelled, query_value
from dash_app.context import AppContext, current_context
from dash_app.data_docs import data_docs_url
from dash_app.failures import FAILURE_COLUMNS, failure_rows
from dash_app.formatting import division_name, format_count, format_datetime, kind_label, removed_return_line
from dash_app.grid import GridSpec, grid_block, register_grid
from dash_app.reminders import load_own_reminders, reminders_section
from dash_app.security import LANDING_PAGES
from dash_app.uploads import RUNNING, SCOPED_KINDS, TOO_LARGE_ADVICE, UPLOAD_ROLES, UploadJob, upload_kinds
from flows.ingest import (
    DUPLICATE_FAILURES_NOTE,
    describe_kept_review,
    describe_rejudged,
    describe_replaced,
    describe_replaced_values,
    describe_row_count,
    report_kind,
)
from flows.scopes import REJECTED_SHRINK_NOTE, drop_phrase, empty_return_note
from warehouse.queries import list_submissions, query_removed_returns
from warehouse.scopes import fetch_returns_holding_scope

PATH = "/upload"
NAME = "上传报表"
ROLES = UPLOAD_ROLES
# What the national bureau's upload page says of its workbooks, and of the central units' returns it uploads.
NATIONAL_HINT = "全国通用的工作簿由国家档案局报送：通过校验即生效，不经审核；未通过的整份退回，不装载任何数据。"
CENTRAL_HINT = (
    "中央单位（中央和国家机关、中央企业、中央级档案馆）的渠道没有平台账号的，其普查表和登记表由国家档案局在此代为上传："
    "先选填报渠道，再下载该渠道的模板；通过校验即装载，由国家档案局审核（上传者本人可以退回，不能审核通过）。"
    "各省及其地级、县级的报表由该省档案部门上传。"
)
FIRST_CHANNEL = next(iter(CENTRAL_CHANNELS))


def kind_option_label(kind: str, national: bool) -> str:
    """A kind's name in the upload form; the bureau's census return and register are the central units'."""
    return f"{KIND_LABELS[kind]}（中央单位）" if national and kind in SCOPED_KINDS else KIND_LABELS[kind]


def upload_form_html(kinds: tuple[str, ...], limit_bytes: int, national: bool = False) -> str:
    """The upload form for these kinds, parsed as JSX by dcc.Markdown (void elements self-closed, React attribute
    names: className, encType); assets/upload_size.js refuses a file over `limit_bytes` before it is sent."""
    return (
        '<form action="/api/upload" method="POST" encType="multipart/form-data" className="toolbar" '
        f'id="{ids.UPLOAD_FORM}"><label htmlFor="{ids.UPLOAD_KIND}">报表类别</label>'
        f'<select name="kind" id="{ids.UPLOAD_KIND}">'
        + "".join(f'<option value="{k}">{escape(kind_option_label(k, national))}</option>' for k in kinds)
        + "</select>"
        f'<label htmlFor="{ids.UPLOAD_FILE}">工作簿（.xlsx）</label>'
        f'<input type="file" name="file" id="{ids.UPLOAD_FILE}" accept=".xlsx" required '
        f'data-max-bytes="{limit_bytes}" data-limit-text="{limit_bytes // (1024 * 1024)} MB" '
        f'data-advice="{escape(TOO_LARGE_ADVICE)}" />'
        f'<button type="submit" id="{ids.UPLOAD_SUBMIT}">上传并校验</button>'
        f'<span id="{ids.UPLOAD_FILE_NOTE}" className="error" role="alert"></span></form>'
    )


STATUS_TEXT = {
    "accepted": "已接收",
    "rejected": "未通过校验，整份退回",
    "duplicate": "与已接收的文件相同，未作改动",
}  # needs_confirmation: status_text says what it waits for
SHOWN_DROPPED = 50
# Not loaded is not a success: a refusal reads red, one waiting on the uploader's confirmation amber.
OUTCOME_CLASS = {"rejected": "error", "needs_confirmation": "warn"}


def status_text(result: Mapping[str, Any]) -> str:
    """The outcome's words; for one waiting on the uploader, what it waits for (dropped holders, another's return,
    one a reviewer has passed)."""
    if result["status"] == "duplicate" and result.get("failures"):
        return f"{STATUS_TEXT['duplicate']}（{DUPLICATE_FAILURES_NOTE}）"
    if result["status"] != "needs_confirmation":
        return STATUS_TEXT[result["status"]]
    shrink = result.get("shrink") or {}
    other = result.get("replaces_other")
    which = "将替换已经审核的现行报表" if result.get("replaces_reviewed") else "将替换他人报送的现行报表"
    reasons = [which] if other else []
    if shrink.get("exceeds_limit") and not shrink.get("confirmed"):
        reasons.append("比本范围现行报表减少的普查对象超过允许比例")
    return f"未装载：{'，且'.join(reasons)}，须确认"


def describe_replacing_reviewed(other: Mapping[str, Any]) -> str:
    """What confirming an upload over a return a reviewer has passed (the office's own, or one loaded for its scope)
    does, said before it is done."""
    return (
        f"本表将替换{other['said']}，该表的审核进度为「{other['review']}」：确认后本表替换该表，该表的数据不再计入，"
        "已作出的审核结论作废，本表须从头重新逐级审核（与该表逐行逐项相同的除外，沿用其审核进度）。"
        "如只是误传或无需修改，请不必确认。"
    )


def describe_replacing_other(other: Mapping[str, Any]) -> str:
    """What confirming an upload over another's current return does, said before it is done."""
    # Who sent it: an account, with its office (the county's own, or a province sending for it), or the command line's
    # name; and whom to ask before confirming.
    scope = other["scope"]["name"]
    who, ask, told = "其他用户", scope, f"{scope}的报送单位"
    if other["submitted_by"] and other.get("sender_office"):
        who = f"{other['sender_office']}的账号 {other['submitter']} "
        # The uploader may be of that very office (a second account of it): the person to ask is the account's user,
        # named where the account has a name (张三（gd2）).
        named = other["submitter"] != other["submitted_by"]
        ask = other["submitter"] if named else f"账号 {other['submitted_by']} 的使用人"
        told = "该账号"
    elif other["submitted_by"]:
        who = f"命令行以「{other['submitted_by']}」的名义"
        ask = f"{scope}的报送单位"
    # A returned (or withdrawn) return counts nowhere and has no conclusion to void: said as describe_replaced says it.
    voids = "" if other.get("is_returned") else "该表的数据不再计入，其审核结论作废，"
    return (
        f"本表将替换{other['said']}。该表由{who}报送：确认后本表替换该表，{voids}"
        f"本表须重新审核；{told}在其上传页面可看到该表已被本表替换。如不应替换，请先与{ask}核实，不必确认。"
    )


def job_from_search(search: str | None) -> str | None:
    """The `job` query parameter."""
    return query_value(search, "job")


def describe_lost_job() -> html.P:
    """For an upload this server holds no record of (it restarted meanwhile, or the address is another's): where to
    find whether the file was taken. A probe's page said 选择工作簿后点击“上传并校验”, the file loaded or not."""
    return html.P(
        [
            "找不到这次上传的处理记录：服务器可能在处理期间重启过（或此链接不是您的上传）。"
            "文件是否已接收、是否通过校验，请在",
            dcc.Link("提交记录", href="/submissions"),
            "中核对；那里没有列出的，请重新上传。",
        ],
        className="warn",
        id=ids.UPLOAD_OUTCOME,
    )


def describe_recovered_job(job: UploadJob) -> html.P:
    """A job that ended in a server since restarted, as the web state kept it: its outcome and where its details are
    now (a killed server's job was found at the next start: loaded if the warehouse has its submission, else not)."""
    uploaded = f"「{job.file_name}」（{format_datetime(job.created_at)} 上传）"
    if job.result is None:
        return html.P(f"无法处理{uploaded}：{job.error}", className="error", id=ids.UPLOAD_OUTCOME)
    status, submission_id = job.result["status"], job.result.get("submission_id")
    if status not in STATUS_TEXT:  # waiting for a confirmation the restart dropped
        said: list[Any] = [
            f"{uploaded}未装载：须确认。服务器此后重新启动过，确认已失效；如仍要装载，请重新上传后再确认。"
        ]
    else:
        said = [f"{uploaded}{STATUS_TEXT[status]}。服务器此后重新启动过，本页不再显示处理详情"]
        if submission_id:
            # A rejected return's report, or an accepted one's with its warnings marked.
            report = {"rejected": "错误报告、", "accepted": "核对报告（如有警告）、"}.get(status, "")
            link = dcc.Link("提交记录", href=f"/submissions?submission={submission_id}")
            said += [f"；{report}校验结果和审核进度见", link, f"（提交编号 {submission_id}）。"]
        else:
            said.append("。")
    return html.P(said, className=OUTCOME_CLASS.get(status, "ok"), id=ids.UPLOAD_OUTCOME)


def describe_job(job: UploadJob | None, role: Role | None = Role.PROVINCE, ahead: int | None = None) -> list[Any]:
    """What the uploader sees about their job (a queued one: how many files go before it)."""
    if job is None:
        return [html.P("选择工作簿后点击“上传并校验”。")]
    if job.status in RUNNING and not job.stages:
        # It said 正在处理「…」：排队中 while other offices' files were read, without saying why it waited.
        before = f"前面还有 {format_count(ahead)} 个文件（各省的上传轮流处理）" if ahead else "即将开始"
        return [html.P(f"已收到「{job.file_name}」，排队等候处理：{before} …", id=ids.UPLOAD_PROGRESS)]
    if job.status in RUNNING:
        return [html.P(f"正在处理「{job.file_name}」：{'、'.join(job.stages)} …", id=ids.UPLOAD_PROGRESS)]
    if job.status == "recovered":
        return [describe_recovered_job(job)]
    if job.status == "failed":
        return [html.P(f"无法处理「{job.file_name}」：{job.error}", className="error", id=ids.UPLOAD_OUTCOME)]
    result = job.result or {}
    parts: list[Any] = [
        html.P(
            f"「{job.file_name}」{status_text(result)}：{describe_row_count(result)}，"
            f"错误 {format_count(result['errors'])} 个，警告 {format_count(result['warnings'])} 个。",
            className=OUTCOME_CLASS.get(result["status"], "ok"),
            id=ids.UPLOAD_OUTCOME,
        )
    ]
    if result["status"] == "accepted" and result.get("submission_id") and not result.get("dry_run"):
        # Its number, to quote when asking about it (a walk found only the replaced return's number on the page).
        submission_id = result["submission_id"]
        parts.append(
            html.P(
                ["提交编号：", dcc.Link(submission_id, href=f"/submissions?submission={submission_id}")],
                className="hint",
                id=ids.UPLOAD_SUBMISSION_ID,
            )
        )
    if result.get("returns_rejudged"):
        # A register: the returns compared with it were judged again (their warnings on /quality changed).
        parts.append(html.P(f"{describe_rejudged(result['returns_rejudged'])}{where_warnings_are(role)}。"))
    if result.get("replaced"):
        parts.append(
            html.P(f"{describe_replaced(result['replaced'], result.get('review_kept'))}。", id=ids.UPLOAD_REPLACED)
        )
    if result.get("review_kept"):
        parts.append(html.P(f"{describe_kept_review(result['review_kept'])}。"))
    if result.get("replaced_values"):
        parts.append(html.P(f"{describe_replaced_values(result['replaced_values'])}。", className="warn"))
    if result.get("returned_note"):
        parts.append(html.P(f"{result['returned_note']}。", className="warn", id=ids.UPLOAD_RETURNED_NOTE))
    if result.get("register_note"):
        parts.append(html.P(f"{result['register_note']}。", className="hint"))
    parts += describe_scope_checks(job, result)
    links: list[Any] = []
    if result.get("report"):
        links.append(html.A(report_label(result), href=f"/download/report/{job.job_id}", id=ids.UPLOAD_REPORT_LINK))
        if result["status"] in ("rejected", "accepted") and result.get("submission_id"):
            submission_id = result["submission_id"]
            parts.append(
                html.P(
                    [
                        f"{report_kind(bool(result['errors']))}也保存在",
                        dcc.Link("提交记录", href=f"/submissions?submission={submission_id}"),
                        f"中（提交编号 {submission_id}），以后可以在那里再次下载。",
                    ],
                    className="hint",
                )
            )
    if result.get("data_docs") and result.get("submission_id"):
        links.append(
            html.A(
                "查看校验详情（Great Expectations Data Docs，英文页面）",
                href=data_docs_url(result["submission_id"]),
                target="_blank",
                id=ids.UPLOAD_DATA_DOCS_LINK,
            )
        )
    # One row, spaced: side by side without a gap the two links read as one.
    return [*parts, html.Div(links, className="toolbar")] if links else parts


def report_label(result: dict[str, Any]) -> str:
    """What the returned workbook holds: the errors marked, else the warnings, else the holders it would drop."""
    if result["errors"]:
        return "下载标注了错误的工作簿"
    if result["warnings"]:
        return "下载标注了警告的工作簿"
    return "下载报告（含减少的普查对象清单）"


def describe_shrink(shrink: dict[str, Any], status: str) -> str:
    """How many holders of the scope's current return (named as every message names it) the upload leaves out, and
    what became of them or would on confirmation."""
    said = f"{shrink['current']['said']}有 {format_count(shrink['current_holders'])} 个普查对象，本表" + drop_phrase(
        shrink["dropped"], shrink["dropped_pct"], shrink["limit_pct"]
    )
    if status == "accepted":
        # Its list is folded (the return is loaded: nothing waits on it), so the line says where the names are. A
        # return sent back or taken back counted nowhere: its holders left out stop nothing (they read 不再计入).
        if shrink["current"].get("is_returned"):
            return f"{said}，已装载：以下普查对象未列入本表（原表已退回或撤回，本不计入统计；点击展开名单）"
        return f"{said}，已装载：以下普查对象不再计入本范围的普查数据（点击展开名单）"
    if status == "rejected":
        return f"{said}{REJECTED_SHRINK_NOTE}。减少的普查对象："
    # One sent back or taken back counts nowhere and has no conclusion: nothing of it to stop or void.
    voids = "" if shrink["current"].get("is_returned") else "该表的数据不再计入，其审核结论作废，"
    return f"{said}。确认装载后，本表替换该表：{voids}本表须重新审核。减少的普查对象："


def describe_scope_checks(job: UploadJob, result: dict[str, Any]) -> list[Any]:
    """Returns of other scopes that hold uploaded holders; holders the upload would drop, and the confirmation."""
    parts: list[Any] = [
        html.P(
            f"{format_count(len(held['holders']))} 个普查对象已列入{held['said']}，同一普查对象只能计入一份表。",
            className="error",
        )
        for held in result.get("conflicts") or []
    ]
    if result["status"] == "needs_confirmation" and job.confirm_shrink:
        # A confirmation's own run, asked again: what was confirmed is no longer what is current.
        seen = f"（编号 {job.confirmed_current}）" if job.confirmed_current else ""
        parts.append(
            html.P(
                f"您确认时所见的本范围现行报表{seen}已被另一份报表替换，本表未装载：请核对下面列出的报表和普查对象后再确认。",
                className="error",
                id=ids.UPLOAD_CHANGED_SINCE,
            )
        )
    shrink = result.get("shrink")
    if shrink:
        parts += _shrink_parts(shrink, result)
    other = result.get("replaces_other")
    if other and result["status"] == "needs_confirmation":
        said = (
            describe_replacing_reviewed(other) if result.get("replaces_reviewed") else describe_replacing_other(other)
        )
        parts.append(html.P(said, className="warn", id=ids.UPLOAD_REPLACES_OTHER))
    if result["status"] == "needs_confirmation":
        # What the button confirms: replacing another's return, dropping holders, or both.
        blocks = bool(shrink and shrink["exceeds_limit"] and not shrink["confirmed"])
        label = "确认" + "、".join([*(["替换"] if other else []), *(["减少"] if blocks else [])]) + "并装载"
        # A plain POST, like the upload form: the server loads the kept file again, confirmed.
        parts.append(
            dcc.Markdown(
                '<form action="/api/upload/confirm" method="POST" className="toolbar">'
                f'<input type="hidden" name="job" value="{escape(job.job_id)}" />'
                f'<button type="submit" id="{ids.UPLOAD_CONFIRM_SHRINK}" className="button-danger">{label}</button>'
                "</form>",
                dangerously_allow_html=True,
            )
        )
    return parts


def _shrink_parts(shrink: dict[str, Any], result: Mapping[str, Any]) -> list[Any]:
    """The holders an upload drops (folded unless the uploader decides on them), and an empty return's note."""
    parts: list[Any] = []
    holders = shrink["holders"]
    listed = [html.Li(f"{h['uscc']} {h['unit_name']}（{h['holder_type']}）") for h in holders[:SHOWN_DROPPED]]
    if len(holders) > SHOWN_DROPPED:
        listed.append(html.Li(f"……共 {len(holders)} 个，见报告「减少的普查对象」工作表"))
    # Said whenever holders drop out, within the limit too (a load that drops them is no silent one). Open when the
    # uploader must decide on it or has just confirmed it; otherwise folded to its one line (a rejected return's
    # errors below in view).
    parts.append(
        html.Details(
            [
                html.Summary(describe_shrink(shrink, result["status"]), id=ids.UPLOAD_SHRINK),
                html.Ul(listed, id=ids.UPLOAD_DROPPED),
            ],
            open=result["status"] == "needs_confirmation"
            or bool(result["status"] == "accepted" and shrink["confirmed"]),
            className="warn" if result["status"] == "accepted" else None,
        )
    )
    if result["rows"] == 0:
        accepted = result["status"] == "accepted"
        parts.append(html.P(f"{empty_return_note(result['status'])}。", className="warn" if accepted else "error"))
    return parts


# Said before a province uploads: a new return of a scope replaces that scope's current one (a destructive change).
REPLACING_NOTE = (
    "上传同一类、同一填报范围的新报表，将替换下列相应的现行报表：原报表的数据不再计入，其审核结论随之作废，"
    "新报表须重新审核（与原报表逐行逐项相同的另存文件沿用原审核进度）；减少的普查对象超过允许比例时，须先确认才装载。"
)


def returned_clause(submission: Mapping[str, Any], viewer_name: str | None) -> str:
    """For a return sent back, why and by whom, and (to its sender) what to do: a probe found 审核进度：已退回 alone on
    the page the uploader is sent to read the reason on; else ""."""
    if submission.get("review_progress") != RETURNED or not submission.get("return_reason"):
        return ""
    todo = "——请修改后重新上传" if submission["submitted_by"] == viewer_name else ""
    reason = submission["return_reason"]
    return (
        f"（{return_reason_clause(reason)}；{submission['returner']} "
        f"{format_datetime(submission['returned_at'])} {return_verb(reason)}）{todo}"
    )


def replaced_own_clause(submission: Mapping[str, Any], own: Mapping[str, Any] | None) -> str:
    """For a current return someone else sent that replaced the viewer's own, which of theirs it replaced; else ""."""
    if own is None or own["submitted_by"] == submission["submitted_by"]:
        return ""
    return f"（替换了您 {format_datetime(own['submitted_at'])} 报送的「{own['file_name']}」）"


def describe_removed_returns(removed: list[dict[str, Any]]) -> list[Any]:
    """The returns a restore of the warehouse from a backup removed (received after the backup) and not sent again
    since, each named with when it was sent and removed: its sender must upload it again (nothing else told them)."""
    if not removed:
        return []
    listed = [html.Li(removed_return_line(r)) for r in removed]
    return [
        html.H2("须重新上传的报表"),
        html.P(
            "数据仓库从备份恢复后，备份之后收到的下列报表已不在平台上，不计入任何数字：请重新上传"
            "（同一类别、同一填报范围的报表装载后，本提示随之消失）。",
            className="warn",
            id=ids.UPLOAD_REMOVED_RETURNS,
        ),
        html.Ul(listed),
    ]


def describe_current_returns(
    submissions: list[dict[str, Any]],
    whose: str = "本省",
    viewer_name: str | None = None,
    held_above: Callable[[], Sequence[tuple[ScopeReturn, int]]] = tuple,
) -> list[Any]:
    """The current accepted returns (the province's, or the central channels'), which a new upload of the same kind
    and scope replaces; one that replaced the viewer's own return, sent by someone else, says so. An office with none
    is told which returns above it hold its holders (`held_above`, asked only then): its own would be refused for
    them."""
    current = [s for s in submissions if s["is_current"] and s["status"] == "accepted"]
    own_replaced = {
        s["superseded_by"]: s for s in submissions if s["submitted_by"] == viewer_name and s.get("superseded_by")
    }
    if not current:
        said = [html.P(f"{whose}尚无现行有效的报表：上传的报表通过校验即装载。", className="hint")]
        if held := held_above():
            # A probe's county read this, uploaded, and only then learnt its holders were in its prefecture's return.
            holding = "；".join(f"{count:,} 个列入{above.describe()}" for above, count in held)
            said.append(
                html.P(
                    f"{whose}的普查对象现由上级的报表报送：{holding}。同一普查对象只能计入一份表：本级报送这些单位前，"
                    "须先由上级报送单位从其报表中去掉它们（重新上传该表），否则本表会因重复而整份退回。",
                    className="warn",
                    id=ids.UPLOAD_HELD_ABOVE,
                )
            )
        return said
    listed = [
        html.Li(
            f"{kind_label(s['kind'])}·{s['scope_name'] or division_name(s['province_code'])}："
            f"「{s['file_name']}」，{s['submitter']} {format_datetime(s['submitted_at'])} 报送"
            + replaced_own_clause(s, own_replaced.get(s["submission_id"]))
            + f"，{format_count(s['row_count'])} 行，审核进度：{shown_progress(s['review_progress'], s['return_reason']) or '—'}"
            + returned_clause(s, viewer_name)
        )
        for s in current
    ]
    return [html.H2("现行有效的报表"), html.P(REPLACING_NOTE, className="hint"), html.Ul(listed)]


CENTRAL_CHANNEL_OPTIONS = [{"label": name, "value": key} for key, name in CENTRAL_CHANNELS.items()]
COUNTIES_HINT = "所辖县级单位单独报送的，请选它的范围下载模板：上传后只替换该范围原有的表。"
TEMPLATE_SCOPE_HINT = (
    "一个地级或县级单位单独报送的，请选它的范围下载模板：上传后只替换该范围原有的表；"
    "用全省的模板填报一个地市的数据，会替换全省的表。"
)


def template_scope_options(province_code: str) -> list[dict[str, str]]:
    """The scopes a province's templates are made for: the whole province, then each prefecture followed by its
    counties (a county by its prefecture's name too, so that either finds it)."""
    divisions = load_divisions()
    options = [{"label": f"全省（{divisions.name(province_code)}）", "value": province_code}]
    for prefecture in divisions.children(province_code):
        options.append({"label": f"{prefecture.name}（{prefecture.code}）", "value": prefecture.code})
        options += [
            {"label": f"{prefecture.name} · {county.name}（{county.code}）", "value": county.code}
            for county in divisions.children(prefecture.code)
        ]
    return options


def own_scope_options(own: Scope) -> list[dict[str, str]]:
    """The scopes a reporting account's templates are made for: a province's every division (as above), a
    prefecture's itself and its counties, a county's or central channel's only its own."""
    if own.kind is ScopeKind.PROVINCE:
        return template_scope_options(own.code)
    options = [{"label": f"{own.name}（{own.code if not own.is_central else '中央'}）", "value": own.code}]
    if own.kind is ScopeKind.PREFECTURE:
        options += [
            {"label": f"{county.name}（{county.code}）", "value": county.code}
            for county in load_divisions().children(own.code)
        ]
    return options


def chosen_division(province_code: str, scope_code: Any) -> str | None:
    """The prefecture or county a province chose its templates for; None for the whole province (or nothing chosen)."""
    return scope_code if isinstance(scope_code, str) and scope_code and scope_code != province_code else None


def template_label(kind: str, scope_name: str | None) -> str:
    """A template link's words, naming the division or channel chosen (the province's own needs no name: the page
    says it)."""
    return f"下载{KIND_LABELS[kind]}模板" + (f"（{scope_name}）" if scope_name else "")


def scoped_template_link(viewer: Viewer, kind: str, choice: Any) -> tuple[str, str]:
    """The address and words of the template link of a kind filled for a scope: a province's, for the whole province
    or the prefecture or county it chose; the bureau's, for the central channel it chose."""
    own = viewer.scope
    if own is not None and not own.is_central:
        known = {option["value"] for option in own_scope_options(own)}
        choice = choice if isinstance(choice, str) and choice in known else own.code
        division = chosen_division(str(viewer.province_code), choice)
        query = f"?{urlencode({'division': division})}" if division else ""
        return f"/download/template/{kind}{query}", template_label(kind, division and describe_division(division))
    if own is not None:
        choice = own.code
    channel = choice if isinstance(choice, str) and choice in CENTRAL_CHANNELS else FIRST_CHANNEL
    query = f"?{urlencode({'central': channel})}"
    return f"/download/template/{kind}{query}", template_label(kind, CENTRAL_CHANNELS[channel])


def layout(**query: str) -> html.Div:
    """The upload form (a plain multipart POST), template links and the job's outcome."""
    viewer = current_viewer()
    kinds = upload_kinds(viewer)
    if not kinds:
        return html.Div([html.H1("上传报表"), html.P("只有省级档案部门和国家档案局规划人员可以上传报表。")])
    own = viewer.scope
    national = own is None
    # The scope a reporting account's kinds are filled for: one inside its own, or (the bureau) a central channel.
    if own is None:
        scopes, first, scope_label, scope_hint = CENTRAL_CHANNEL_OPTIONS, FIRST_CHANNEL, "中央单位的填报渠道", None
    else:
        scopes, first = own_scope_options(own), own.code
        scope_label = "模板的填报范围"
        scope_hint = (
            TEMPLATE_SCOPE_HINT if own.kind is ScopeKind.PROVINCE else COUNTIES_HINT if len(scopes) > 1 else None
        )
    links = [
        (k, *scoped_template_link(viewer, k, first)) if k in SCOPED_KINDS else (k, f"/download/template/{k}", None)
        for k in kinds
    ]
    return html.Div(
        [
            html.H1(f"上传报表（{'国家档案局' if own is None else own.name}）"),
            html.P(NATIONAL_HINT, className="hint") if national else None,
            html.P(CENTRAL_HINT, className="hint") if national else None,
            # A returned return's reminder, for the offices whose page this is (they have no overview).
            html.Div(id=ids.UPLOAD_REMINDERS),
            labelled(
                scope_label,
                dropdown(
                    ids.UPLOAD_TEMPLATE_SCOPE, scopes, placeholder=scopes[0]["label"], value=first, clearable=False
                ),
                hint=scope_hint,
            ),
            html.Div(
                [
                    html.A(
                        words or template_label(k, None),
                        href=href,
                        className="button-secondary",
                        id=ids.template_link(k),
                    )
                    for k, href, words in links
                ],
                className="toolbar",
            ),
            # Dash has no native file input (dcc.Input has no type="file" and rejects `accept`, which made this
            # page fail with HTTP 500), so the plain multipart form is static HTML rendered by dcc.Markdown.
            # It re-mounts once, when its lazily loaded highlighter arrives (~0.5 s): a file chosen before that
            # is dropped and the required input stops the submit.
            dcc.Markdown(
                upload_form_html(kinds, current_context().settings.max_upload_bytes, national),
                dangerously_allow_html=True,
            ),
            # An uploader is told what a new upload would replace before sending one.
            html.Div(id=ids.UPLOAD_CURRENT_RETURNS),
            dcc.Interval(id=ids.UPLOAD_POLL, interval=700, disabled=False),
            # Announced when it changes (a screen reader hears the outcome the polling brings).
            html.Div(id=ids.UPLOAD_STATUS, className="result", role="status"),
            # The check's findings, once a checked file has some: an empty grid before is only noise, and after a file
            # that could not be read (a zip bomb, a CSV renamed) its 共 0 条 read as "no problems".
            html.Div(
                [html.H2("校验结果"), grid_block(ids.UPLOAD_FAILURES_GRID, FAILURE_COLUMNS, fit_width=True)],
                id=ids.UPLOAD_FAILURES_SECTION,
                hidden=True,
            ),
        ]
    )


def register_callbacks(app: Dash, context: AppContext) -> None:
    """Poll the job until it is done; list its failures."""

    # The template links of a province's kinds follow the scope chosen, and say it (the download checks a division
    # lies in the province, and gives a central channel's template to national users only).
    @app.callback(
        [Output(ids.template_link(kind), "href") for kind in SCOPED_KINDS]
        + [Output(ids.template_link(kind), "children") for kind in SCOPED_KINDS],
        Input(ids.UPLOAD_TEMPLATE_SCOPE, "value"),
    )
    def template_links(choice: Any) -> list[str]:
        viewer = current_viewer()
        require_role(viewer, *UPLOAD_ROLES)
        links = [scoped_template_link(viewer, kind, choice) for kind in SCOPED_KINDS]
        return [href for href, _ in links] + [words for _, words in links]

    def failures(viewer: Any, search: str | None, _ticks: Any) -> list[dict[str, Any]]:
        job = context.jobs.get(job_from_search(search), viewer)
        rows = ((job.result or {}).get("failures") or []) if job else []
        return failure_rows(rows)

    @app.callback(
        Output(ids.UPLOAD_FAILURES_SECTION, "hidden"),
        Input(ids.URL, "search"),
        Input(ids.UPLOAD_STATUS, "children"),
    )
    def hide_empty_failures(search: str | None, _status: Any) -> bool:
        viewer = current_viewer()
        require_role(viewer, *UPLOAD_ROLES)
        job = context.jobs.get(job_from_search(search), viewer)
        return not (job and (job.result or {}).get("failures"))

    register_grid(
        app,
        GridSpec(
            ids.UPLOAD_FAILURES_GRID,
            FAILURE_COLUMNS,
            ("key",),
            failures,
            [(ids.URL, "search"), (ids.UPLOAD_STATUS, "children")],
            "校验结果",
        ),
        context,
    )

    # Read when the page opens and again once its job has finished: an upload that replaced a return shows the new
    # one (the status changes at every poll while the job runs, when there is nothing new to read).
    @app.callback(
        Output(ids.UPLOAD_CURRENT_RETURNS, "children"),
        Input(ids.URL, "pathname"),
        Input(ids.UPLOAD_STATUS, "children"),
        State(ids.URL, "search"),
    )
    def current_returns(_path: str | None, _status: Any, search: str | None) -> Any:
        viewer = current_viewer()
        require_role(viewer, *UPLOAD_ROLES)
        if ctx.triggered_id == ids.UPLOAD_STATUS:
            job = context.jobs.get(job_from_search(search), viewer)
            if job is not None and job.status in RUNNING:
                return no_update
        with context.reader.cursor() as con:
            # National users upload the central channels' returns only: those are the ones they are told of.
            removed = [
                r
                for r in query_removed_returns(con)
                if sees_submission(viewer, r) and (viewer.scope is not None or r["scope_kind"] == ScopeKind.CENTRAL)
            ]
            if viewer.role is Role.PROVINCE:
                current = describe_current_returns(
                    list_submissions(con, viewer.province_code), "本省", viewer.user_name
                )
            elif viewer.scope is not None:
                scope = viewer.scope
                current = describe_current_returns(
                    visible_submissions(con, viewer),
                    scope.name,
                    viewer.user_name,
                    lambda: [
                        (found.seen_from(scope), count)
                        for found, count in fetch_returns_holding_scope(con, scope, ROUND_ID)
                    ],
                )
            else:
                central = [s for s in list_submissions(con, None) if s["scope_kind"] == ScopeKind.CENTRAL.value]
                current = describe_current_returns(central, "中央单位")
        return [*describe_removed_returns(removed), *current]

    @app.callback(Output(ids.UPLOAD_REMINDERS, "children"), Input(ids.URL, "pathname"))
    def show_reminders(_path: str | None) -> Any:
        viewer = current_viewer()
        require_role(viewer, *UPLOAD_ROLES)
        if LANDING_PAGES.get(viewer.role) != PATH:  # the offices that land here have no overview to show them
            return None
        return reminders_section(context, load_own_reminders(context, viewer), "报送提醒")

    @app.callback(
        Output(ids.UPLOAD_STATUS, "children"),
        Output(ids.UPLOAD_POLL, "disabled"),
        Input(ids.UPLOAD_POLL, "n_intervals"),
        Input(ids.URL, "search"),
    )
    def poll(_: int | None, search: str | None) -> tuple[list[Any], bool]:
        asked = job_from_search(search)
        job = context.jobs.get(asked, current_viewer())
        if job is None and asked:
            return [describe_lost_job()], True
        finished = job is None or job.status not in RUNNING
        ahead = context.jobs.ahead_of(job.job_id) if job is not None and not finished else None
        return describe_job(job, current_viewer().role, ahead), finished
