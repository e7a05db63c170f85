"""What every page carries and what a page links to outside Dash: the data stamp, the Chinese 404 page, a province's
one-page bulletin (printable HTML) and the evidence files of rectification findings. Every route checks the
signed-in user's scope before reading anything."""

from __future__ import annotations

import io
import mimetypes
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import flask
from dash import html

from census_schema.census_form import CENSUS_FORM, ROUND_ID
from census_schema.clock import BEIJING
from census_schema.divisions import load_divisions
from census_schema.errors import CensusError
from census_schema.layout import PLATFORM_NAME
from census_schema.scopes import shown_progress
from census_schema.supervision.codes import CENTRAL_UNIT_CLASSES, FindingSeverity
from census_schema.supervision.indicators import PLAN_INDICATORS
from dash_app import ids
from dash_app.access import Viewer, current_viewer, scope_division
from dash_app.context import AppContext
from dash_app.formatting import (
    NO_MAGNITUDE_UNITS,
    division_name,
    format_count,
    format_date,
    format_datetime,
    format_magnitude,
    format_number,
    format_pct,
    format_value,
)
from dash_app.pages import inspections
from dash_app.security import ERROR_PAGES, error_page
from flows.supervision import content_matches_name, stored_evidence_path
from flows.supervision_reports import yearly_status
from warehouse.indicators import computed_indicator_values, query_provincial_progress
from warehouse.inspections import query_finding_history, query_findings
from warehouse.queries import (
    list_submissions,
    query_coverage_children,
    query_coverage_total,
    query_data_as_of,
    query_quality_by_province,
)

# Evidence shown in the browser; anything else (an HTML file, a script) only as a download.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain"}
OVERDUE_LISTED = 10
# The bulletin's styles: linked from the page the app serves, written into the page saved to disk.
BULLETIN_CSS = Path(__file__).parent / "assets" / "bulletin.css"


def census_round_label() -> str:
    """The census round as people name it: 2024 年度普查（统计截止 2024年12月31日）."""
    return f"{ROUND_ID} 年度{CENSUS_FORM.title}（统计截止 {format_date(CENSUS_FORM.reference_date)}）"


def data_as_of_text(context: AppContext) -> str:
    """数据截至 2025年6月30日 14:05（北京时间）: when the data was last changed."""
    as_of = context.reader.cached(query_data_as_of)
    return f"数据截至 {format_datetime(as_of) if as_of else '尚无数据'}（北京时间）"


def data_stamp(context: AppContext) -> list[Any]:
    """The line under the menu on every page: when the data was last changed and which census round it is."""
    return [
        html.Span(PLATFORM_NAME, className="print-only"),
        html.Span(data_as_of_text(context), id=ids.DATA_AS_OF),
        html.Span(census_round_label(), id=ids.CENSUS_ROUND),
    ]


# The first cell of a table's total row, printed bold.
TOTAL_LABEL = "合计"


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        ('<tr class="total">' if r and r[0] == TOTAL_LABEL else "<tr>")
        + "".join(f'<td class="{"num" if i in numeric else ""}">{escape(c)}</td>' for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bulletin_html(context: AppContext, viewer: Viewer, province: str, *, standalone: bool = False) -> str:
    """A province's one-page bulletin: coverage by prefecture, data quality, review state of its returns, overdue
    rectifications, the plan indicators computed from its census figures and its progress against its own targets;
    `standalone`: its styles inside it, for the file saved to disk."""
    name = division_name(province)
    today = context.settings.today()
    with context.reader.cursor() as con:
        total = query_coverage_total(con, province)
        children = query_coverage_children(con, province)
        quality = next((r for r in query_quality_by_province(con) if r["province_code"] == province), None)
        submissions = [s for s in list_submissions(con, province) if s["is_current"]]
        # The gravest first, then the longest overdue: the bulletin lists only the first OVERDUE_LISTED (a 重大安全隐患
        # 15 days overdue was among those left out, behind 一般 ones overdue longer).
        overdue = sorted(
            (
                f
                for f in query_findings(con, today, province_code=province, overdue_only=True)
                if f["unit_class"] not in CENTRAL_UNIT_CLASSES
            ),
            key=lambda f: (-FindingSeverity(f["severity"]).rank, -f["overdue_days"], f["finding_id"]),
        )
        as_of = query_data_as_of(con)
    indicators = {i.code: i for i in PLAN_INDICATORS}
    computed = [r for r in context.reader.cached(computed_indicator_values) if r["province_code"] == province]
    # Once per snapshot, as the indicators page reads it (the progress computes every indicator from the census).
    today = context.settings.today()
    progress = [
        {**r, "status": yearly_status(r, today)}
        for r in context.reader.cached(query_provincial_progress, None, province, ROUND_ID, today)
    ]
    coverage_rows = [
        [
            f"{name}本级" if r["is_own_level"] else r["name"],
            format_count(r["units_expected"]),
            format_count(r["units_reported"]),
            format_count(r["units_missing"]),
            format_count(r["units_unregistered"]),
            format_pct(r["coverage_pct"]),
        ]
        for r in children
    ]
    coverage_rows.append(
        [
            TOTAL_LABEL,
            format_count(total["units_expected"]),
            format_count(total["units_reported"]),
            format_count(total["units_missing"]),
            format_count(total["units_unregistered"]),
            format_pct(total["coverage_pct"]),
        ]
    )
    quality_line = (
        f"质量分 {format_number(quality['quality_score'])} 分；提交 {format_count(quality['submissions'])} 次，"
        f"其中未通过校验 {format_count(quality['rejected'])} 次；现行普查表 {format_count(quality['current_rows'] or 0)} 行，"
        f"待说明警告 {format_count(quality['current_warnings'] or 0)} 个。"
        if quality
        else "尚无普查表提交。"
    )
    review_rows = [
        # One its sender took back reads 已撤回, as on /submissions (it read 已退回, as if a reviewer had sent it back).
        [
            s["scope_name"] or name,
            s["file_name"],
            format_datetime(s["submitted_at"]),
            shown_progress(s["review_progress"], s["return_reason"]) or "—",
        ]
        for s in submissions
    ]
    overdue_rows = [
        # Its state too: one whose report awaits the reviewer's verdict read as one not rectified at all.
        [f["finding_id"], f["unit_name"], f["severity"], f["status"], format_date(f["deadline"])]
        + [format_count(f["overdue_days"])]
        for f in overdue[:OVERDUE_LISTED]
    ]
    more = (
        f"<p>另有 {format_count(len(overdue) - OVERDUE_LISTED)} 个逾期问题未列出。</p>"
        if len(overdue) > OVERDUE_LISTED
        else ""
    )
    indicator_rows = [
        [indicators[r["indicator_code"]].name, _with_magnitude(r["value"], unit), unit]
        for r in computed
        if r["value"] is not None
        for unit in [indicators[r["indicator_code"]].unit]
    ]
    progress_rows = [
        [
            r["indicator_name"],
            str(r["year"]),
            format_value(r["value"]),
            format_value(r["target"]),
            format_value(r["expected"]),
            r["status"] or "—",
            r["unit"],
        ]
        for r in progress
    ]
    generated = datetime.now(BEIJING)
    # A space only where Latin letters meet Chinese (planner 于 …), none after Chinese or a full-width bracket
    # (王敏（planner）于 …), as flows.identify spaces 而是 PDF 文件.
    signer = viewer.signed_name + (" " if viewer.signed_name[-1:].isascii() else "")
    # Each paragraph on one line: a line break inside Chinese text is drawn as a space (已报 810 个， 覆盖率).
    meta = (
        f"{census_round_label()}；数据截至 {format_datetime(as_of) if as_of else '尚无数据'}；"
        f"整改逾期按 {format_date(today)} 计；{signer}于 {format_datetime(generated)} 生成。"
    )
    coverage_line = (
        f"应报 {format_count(total['units_expected'])} 个，已报 {format_count(total['units_reported'])} 个，"
        f"覆盖率 {format_pct(total['coverage_pct'])}；未报 {format_count(total['units_missing'])} 个；"
        f"名录外报送 {format_count(total['units_unregistered'])} 个。"
    )
    styles = (
        f"<style>\n{BULLETIN_CSS.read_text(encoding='utf-8')}</style>"
        if standalone
        else f'<link rel="stylesheet" href="/assets/{BULLETIN_CSS.name}">'
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(name)}国有档案资源普查简报</title>
{styles}</head>
<body class="bulletin">
<h1>{escape(name)}国有档案资源普查简报</h1>
<p class="meta">{escape(meta)}</p>
<h2>一、普查覆盖</h2>
<p>{escape(coverage_line)}</p>
{_table(["区划", "应报（个）", "已报（个）", "未报（个）", "名录外（个）", "覆盖率"], coverage_rows, {1, 2, 3, 4, 5})}
<h2>二、数据质量</h2><p>{escape(quality_line)}</p>
<h2>三、审核状态（现行报表）</h2>
{_table(["填报范围", "文件", "提交时间", "审核状态"], review_rows) if review_rows else "<p>暂无现行报表。</p>"}
<h2>四、逾期未销号的整改问题（{format_count(len(overdue))} 个）</h2>
{
        _table(["问题编号", "被检查单位", "严重程度", "状态", "整改期限", "逾期（天）"], overdue_rows, {5})
        if overdue_rows
        else "<p>无逾期问题。</p>"
    }{more}
<h2>五、规划指标（按普查数据计算）</h2>
{_table(["指标", "数值", "单位"], indicator_rows, {1}) if indicator_rows else "<p>暂无可计算的指标。</p>"}
<h2>六、规划指标对照本省目标</h2>
{
        _table(["指标", "评估年份", "实际值", "目标值", "应达进度", "状态", "单位"], progress_rows, {2, 3, 4})
        if progress_rows
        else "<p>尚未上传本省的规划目标。</p>"
    }
</body></html>"""


def _with_magnitude(value: Any, unit: str) -> str:
    """A value, and beside a large one how it is said in 万 or 亿 (1,350,000,000（约 13.5 亿）), as the cards say it."""
    said = None if unit in NO_MAGNITUDE_UNITS else format_magnitude(value)  # its unit is in the next column
    return format_value(value) + (f"（{said}）" if said else "")


def bulletin_file_name(province: str, today: Any) -> str:
    """普查简报-广东省-2025年6月30日.html."""
    return f"普查简报-{division_name(province)}-{format_date(today)}.html"


def install_report_routes(server: flask.Flask, context: AppContext) -> None:
    """/bulletin/<province> (national users, or the province's own office) and /evidence/<finding>/<seq> (whoever
    may see the finding)."""

    @server.route("/bulletin/<province>")
    def bulletin(province: str) -> flask.Response:
        viewer = current_viewer()
        if not load_divisions().is_census_province(province):
            flask.abort(404)
        scope_division(viewer, province)  # 403 for another province's office and for evaluators
        download = flask.request.args.get("download") == "1"
        page = bulletin_html(context, viewer, province, standalone=download).encode()
        if download:
            name = bulletin_file_name(province, context.settings.today())
            return flask.send_file(io.BytesIO(page), as_attachment=True, download_name=name, mimetype="text/html")
        return flask.Response(page, mimetype="text/html")

    @server.route("/evidence/<finding_id>/<int:seq>")
    def evidence(finding_id: str, seq: int) -> flask.Response:
        viewer = current_viewer()
        if viewer.role not in inspections.ROLES:
            # Not "another province's data": an evaluator or a central channel's office is told who handles findings.
            text = f"{viewer.role.label}不查看检查整改记录及其佐证材料。{inspections.REFUSAL_NOTE}"
            return error_page(403, ERROR_PAGES[403][0], text)
        with context.reader.cursor() as con:
            try:
                history = query_finding_history(con, finding_id)
            except CensusError:
                flask.abort(404)
        if not inspections.sees_finding(viewer, history):
            flask.abort(403)
        reference = next((t["evidence"] for t in history["transitions"] if t["seq"] == seq), None)
        # Only a file the platform stored for this finding: a reference typed in a workbook is text, whatever it names.
        path = stored_evidence_path(context.settings.var_dir, history["finding_id"], reference)
        if path is None:
            flask.abort(404)
        with path.open("rb") as handle:
            # A file kept before its content was checked is served as what it is named only if it is that.
            named_truly = content_matches_name(handle.read(4096), path.name)
        mimetype = (mimetypes.guess_type(path.name)[0] if named_truly else None) or "application/octet-stream"
        inline = mimetype in INLINE_TYPES
        response = flask.send_file(
            path, mimetype=mimetype, as_attachment=not inline, download_name=Path(path).name.split("-", 1)[-1]
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
