"""`/data-docs/<submission_id>/`: a submission's GX Data Docs, for the roles that see it on /submissions.

The site is built from the GX results the validation kept the first time someone opens it (about a second), or
just after a web upload's answer by the upload worker; later requests serve the files as they are.
"""

from __future__ import annotations

from typing import Any

import flask
from werkzeug.wrappers import Response

from census_schema.settings import Settings
from dash_app.access import Viewer, current_viewer, require_role
from dash_app.reader import SnapshotReader
from flows.data_docs import INDEX, ensure_data_docs, submission_data_docs_dir
from warehouse.queries import list_submissions

# The roles of the /submissions page; a province user sees only its own province's submissions.
DATA_DOCS_ROLES = ("planner", "admin", "province")


def data_docs_url(submission_id: str) -> str:
    """Where a submission's Data Docs are served."""
    return f"/data-docs/{submission_id}/"


def _submission(reader: SnapshotReader, viewer: Viewer, submission_id: str) -> dict[str, Any]:
    require_role(viewer, *DATA_DOCS_ROLES)
    with reader.cursor() as con:
        found = [s for s in list_submissions(con) if s["submission_id"] == submission_id]
    if not found:
        flask.abort(404)
    if not viewer.is_national and found[0]["province_code"] != viewer.province_code:
        flask.abort(403)
    return found[0]


def install_data_docs_routes(server: flask.Flask, reader: SnapshotReader, settings: Settings) -> None:
    """GET /data-docs/<submission_id>/ and the site's pages and static files under it."""

    @server.route("/data-docs/<submission_id>")
    def data_docs_root(submission_id: str) -> Response:
        return flask.redirect(data_docs_url(submission_id))

    @server.route("/data-docs/<submission_id>/", defaults={"page": INDEX})
    @server.route("/data-docs/<submission_id>/<path:page>")
    def data_docs(submission_id: str, page: str) -> Response:
        submission = _submission(reader, current_viewer(), submission_id)
        folder = submission_data_docs_dir(settings, submission)
        if ensure_data_docs(folder) is None:
            return flask.Response(
                "该提交没有保留校验详情（Data Docs）：可能是在关闭 Data Docs 时校验的。",
                status=404,
                mimetype="text/plain",
            )
        # send_from_directory refuses paths that leave the folder; static/ links to one shared copy beside it.
        return flask.send_from_directory(folder, page)
