"""Report downloads of the supervision side; each route checks the signed-in user's role before reading anything."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import flask

from census_schema.errors import CensusError
from census_schema.roles import NATIONAL_ROLES, Role
from census_schema.settings import Settings
from dash_app.access import current_viewer, require_role
from dash_app.reader import SnapshotReader
from flows.supervision_reports import write_evaluation_report, write_indicators_report
from warehouse.evaluation import query_assignments

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _send(path: Path, name: str) -> flask.Response:
    return flask.send_file(io.BytesIO(path.read_bytes()), as_attachment=True, download_name=name, mimetype=XLSX)


def install_download_routes(server: flask.Flask, reader: SnapshotReader, settings: Settings) -> None:
    """/download/evaluation/<archive> (national users, or an evaluator assigned to it) and /download/indicators-report."""

    @server.route("/download/evaluation/<archive_code>")
    def evaluation_report(archive_code: str) -> flask.Response:
        viewer = current_viewer()
        with reader.cursor() as con:
            if viewer.role is Role.EVALUATOR:
                assigned = {r["archive_code"] for r in query_assignments(con, evaluator=viewer.user_name)}
                if archive_code not in assigned:
                    flask.abort(403)
            else:
                require_role(viewer, *NATIONAL_ROLES)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "report.xlsx"
                try:
                    write_evaluation_report(con, archive_code, path)
                except CensusError as error:
                    return flask.Response(error.describe(), status=404, mimetype="text/plain")
                return _send(path, f"业务建设评价反馈-{archive_code}.xlsx")

    @server.route("/download/indicators-report")
    def indicators_report() -> flask.Response:
        require_role(current_viewer(), *NATIONAL_ROLES)
        with reader.cursor() as con, tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "report.xlsx"
            write_indicators_report(con, path, settings.today())
            return _send(path, "十四五规划指标中期评估.xlsx")
