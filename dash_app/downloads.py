"""Report downloads of the supervision side; each route checks the signed-in user's role before reading anything, and
gives each role no more than its pages show it."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import flask

from census_schema.archives import archive_names
from census_schema.clock import BEIJING
from census_schema.errors import AccessDenied, CensusError, NotFound
from census_schema.roles import NATIONAL_ROLES, Role
from census_schema.settings import Settings
from census_schema.supervision.codes import veto_verdict_text
from census_schema.supervision.evaluation import SELF_SOURCE, BonusItem, ScoringItem, get_standard
from dash_app.access import current_viewer, require_role
from dash_app.formatting import format_date, format_datetime
from dash_app.grid import Column, ExportHeading, build_export_workbook
from dash_app.reader import SnapshotReader
from dash_app.security import error_page
from flows.supervision_reports import write_evaluation_report, write_indicators_report
from supervision.scoring import TOLERANCE_SHARE, failed_veto_items, flag_deviation, sum_sheet
from warehouse.evaluation import (
    DEFAULT_ROUND,
    archive_label,
    check_may_see_own_sheet,
    check_province_archive,
    query_scores,
    require_archive,
    results_published,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An evaluator's own sheet for an archive: what the scoring form on /evaluation shows them, no more.
OWN_SHEET_COLUMNS = [
    Column("item_code", "评分项"),
    Column("item_text", "评分内容"),
    Column("max_points", "满分", "decimal", decimals=1),
    Column("self_score", "该馆自评", "decimal", decimals=1),
    Column("self_veto", "该馆自评否决项结论"),
    Column("self_evidence", "该馆所附佐证材料"),
    Column("score", "本人评分", "decimal", decimals=1),
    # As the sheet marks it in red: the self-score too far from this expert's (the results flag it).
    Column("deviates", "自评偏差"),
    Column("veto", "否决项结论"),
    Column("remark", "扣分说明"),
    Column("evidence", "佐证说明"),
    Column("state", "状态"),
    # Written in Beijing time, as every export's times (it said UTC over Beijing times).
    Column("saved_at", "保存时间（北京时间）", "datetime"),
]


def _send(path: Path, name: str) -> flask.Response:
    return flask.send_file(io.BytesIO(path.read_bytes()), as_attachment=True, download_name=name, mimetype=XLSX)


def _points(score: Decimal | None) -> float | None:
    return None if score is None else float(score)


def own_sheet_rows(scores: Sequence[Mapping[str, Any]], reported: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every item of the standard with the archive's self-evaluation (`reported`: its score, verdict and evidence) and
    the evaluator's own score, verdict, remark and evidence (from `query_scores` of that evaluator alone): the scoring
    form as a table."""
    standard = get_standard()
    mine = {row["item_code"]: row for row in scores}
    theirs = {row["item_code"]: row for row in reported}
    rows = []
    items: list[ScoringItem | BonusItem] = [*standard.items, *standard.bonus_items]
    for item in items:
        saved, own = mine.get(item.code, {}), theirs.get(item.code, {})
        rows.append(
            {
                "item_code": item.code,
                "item_text": item.text,
                "max_points": float(item.max_points),
                "self_score": _points(own.get("score")),
                "self_veto": veto_verdict_text(own.get("veto_passed")),
                "self_evidence": own.get("evidence"),
                "score": _points(saved.get("score")),
                "deviates": "是" if _deviates(own.get("score"), saved.get("score"), item) else None,
                "veto": veto_verdict_text(saved.get("veto_passed")),
                "remark": saved.get("remark"),
                "evidence": saved.get("evidence"),
                "state": None if not saved else ("已提交" if saved.get("is_submitted") else "草稿"),
                "saved_at": saved.get("saved_at"),
            }
        )
    return rows


def _deviates(reported: Decimal | None, scored: Decimal | None, item: ScoringItem | BonusItem) -> bool:
    """Whether a scoring item's self-score differs from the expert's by more than the tolerance (a bonus: never)."""
    if reported is None or scored is None or not isinstance(item, ScoringItem):
        return False
    return flag_deviation(reported, scored, item.max_points)


def own_sheet_totals(scores: Sequence[Mapping[str, Any]]) -> str:
    """The sheet's sums as the form's footer gives them, for the download's heading: base points and items scored,
    the bonus counted against its cap, and the veto items the expert failed (the download had none of them)."""
    standard = get_standard()
    sums = sum_sheet(standard, {row["item_code"]: row.get("score") for row in scores})
    over = (
        f"（填报 {sums.claimed:.1f} 分，超过上限 {standard.bonus_cap} 分的部分不计）"
        if sums.claimed > sums.counted
        else ""
    )
    verdicts = {row["item_code"]: row["veto_passed"] for row in scores if row.get("veto_passed") is not None}
    failed = failed_veto_items(verdicts)
    veto = f"否决项结论为不通过的：{'、'.join(failed)}" if failed else "没有结论为不通过的否决项"
    return (
        f"本人评分：基本分 {sums.base:.1f} 分（已评 {sums.scored}/{len(standard.items)} 项）＋ "
        f"加分 {sums.counted:.1f} 分{over}；{veto}。自评偏差：该馆自评与本人评分相差超过该项满分的 {TOLERANCE_SHARE:.0%}。"
    )


BACK_TO_EVALUATION = ("/evaluation", "返回业务建设评价")


def install_download_routes(server: flask.Flask, reader: SnapshotReader, settings: Settings) -> None:
    """/download/evaluation/<archive> (national users: the feedback report; an evaluator: their own sheet of an
    archive assigned to them) and /download/indicators-report (national users)."""

    @server.route("/download/evaluation/<archive_code>")
    def evaluation_report(archive_code: str) -> flask.Response:
        viewer = current_viewer()
        require_role(viewer, *NATIONAL_ROLES, Role.EVALUATOR, Role.PROVINCE)
        with reader.cursor() as con:
            try:
                require_archive(archive_code)
                if viewer.role is Role.PROVINCE:
                    # Its own province's archives' reports, once the round is over (as the page shows their results).
                    check_province_archive(viewer.province_code, archive_code)
                    if not results_published(con):
                        raise AccessDenied("本轮评价结束后才能下载反馈报告：评价进行中，得分、等次和排名尚未公布。")
                if viewer.role is Role.EVALUATOR:
                    # The page shows an evaluator their own sheet only, never other experts' scores nor the results
                    # computed from them (which the feedback report holds): the download holds the same.
                    check_may_see_own_sheet(con, viewer.user_name, archive_code)
                    own = query_scores(con, archive_code, viewer.user_name)
                    rows = own_sheet_rows(own, query_scores(con, archive_code, SELF_SOURCE))
                    now = format_datetime(datetime.now(BEIJING))
                    heading = ExportHeading(
                        "本人评分表", archive_label(archive_code), now, viewer.signed_name, now, own_sheet_totals(own)
                    )
                    content = build_export_workbook(OWN_SHEET_COLUMNS, rows, heading)
                    return flask.send_file(
                        io.BytesIO(content),
                        as_attachment=True,
                        download_name=f"本人评分表-{archive_names().get(archive_code, archive_code)}.xlsx",
                        mimetype=XLSX,
                    )
            except CensusError as error:
                status = 404 if isinstance(error, NotFound) else 403
                return error_page(status, "无法下载", error.describe(), back=BACK_TO_EVALUATION)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "report.xlsx"
                try:
                    # A province's copy carries no single expert's score, as its page shows none.
                    write_evaluation_report(
                        con,
                        archive_code,
                        path,
                        expert_scores=viewer.role is not Role.PROVINCE,
                        generated_by=viewer.signed_name,
                    )
                    final = results_published(con)
                except CensusError as error:
                    # Not complete yet (待合议 items named), or no round: said on a page with a way back, not as a bare 404.
                    return error_page(409, "反馈报告尚不能生成", error.describe(), back=BACK_TO_EVALUATION)
                # Named for the archive, as its title is (广东省档案馆), not by its code, with its round and, while
                # that is open, 暂定 (a provisional copy and the final one had the same name).
                name = archive_names().get(archive_code, archive_code)
                return _send(path, f"业务建设评价反馈-{name}-{DEFAULT_ROUND}{'' if final else '（暂定）'}.xlsx")

    @server.route("/download/indicators-report")
    def indicators_report() -> flask.Response:
        viewer = current_viewer()
        require_role(viewer, *NATIONAL_ROLES)
        with reader.cursor() as con, tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.xlsx"
            write_indicators_report(con, path, settings.today(), generated_by=viewer.signed_name)
            # Whose and as of which day, as the grids' exports are named (it had neither).
            return _send(path, f"十四五规划指标中期评估-全国-{format_date(settings.today())}.xlsx")
