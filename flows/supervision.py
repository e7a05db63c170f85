"""Supervision actions for any front end (command line or web): each takes the writer lock and one transaction.

The web app calls these with the signed-in user's name; access rules live where the data is written
(`warehouse.evaluation.check_may_score`, the lifecycle's role and reviewer rules), not here.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from census_schema.errors import CensusError, UsageError
from census_schema.settings import Settings
from census_schema.supervision.codes import FindingSeverity
from flows.identify import FILE_KINDS, compute_sha256, content_kind, is_kind
from supervision.scoring import Reconciliation
from warehouse.backends import open_warehouse
from warehouse.evaluation import DEFAULT_ROUND, save_evaluator_scores
from warehouse.evaluation import record_reconciliations as record_panel_values
from warehouse.evaluation_findings import issue_evaluation_findings, withdraw_evaluation_findings
from warehouse.inspections import correct_finding, resolve_finding_id, transition_finding

EVIDENCE_DIR = "evidence"
_UNSAFE = re.compile(r"[^\w.\-（）()]+")

# What a finding's evidence may be: the kinds its content is checked against, and plain text (an executable,
# a script or an unknown format became official evidence reviewers would open).
# Recordings are kept too, their content unchecked (served as downloads, as every evidence file is).
EVIDENCE_SUFFIXES = frozenset(
    {suffix for _, suffixes, _ in FILE_KINDS for suffix in suffixes}
    | {".txt", ".mp3", ".wav", ".m4a", ".mp4", ".mov", ".avi"}
)
EVIDENCE_TYPES_TEXT = "PDF、图片（PNG、JPEG、GIF、TIFF）、Office 或 WPS 文档、OFD、ZIP 压缩包、纯文本（.txt）或音视频（MP3、WAV、M4A、MP4、MOV、AVI）"


def content_matches_name(head: bytes, name: str) -> bool:
    """False when the name's extension claims a kind (PDF, an image, an Office document) the content is not."""
    suffix = Path(name).suffix.lower()
    claims = [magics for _, suffixes, magics in FILE_KINDS if suffix in suffixes]
    if suffix == ".txt":
        return content_kind(head) == "文本"
    return not claims or any(is_kind(head, magics) for magics in claims)


def _evidence_folder(finding_id: str) -> str:
    return f"{EVIDENCE_DIR}/{_UNSAFE.sub('_', finding_id)}"


def stored_evidence_path(var_dir: Path, finding_id: str, reference: str | None) -> Path | None:
    """The file this platform stored as this finding's evidence (`evidence/<finding>/<hash>-<name>` under `var_dir`),
    or None for anything else a transition may carry: a title or document number typed in a workbook, a path to any
    other file (never served), a file no longer kept."""
    folder, _, name = (reference or "").rpartition("/")
    if folder != _evidence_folder(finding_id) or not re.fullmatch(r"[0-9a-f]{12}-.+", name) or _UNSAFE.search(name):
        return None
    path = var_dir / folder / name
    return path if path.is_file() and not path.is_symlink() else None


def store_evidence(settings: Settings, finding_id: str, source: Path, file_name: str | None = None) -> str:
    """Copy an evidence file beside the warehouse (by content hash) and return the reference recorded with a change."""
    if not source.is_file():
        what = "是一个文件夹，不是文件" if source.is_dir() else "不是普通文件" if source.exists() else "不存在"
        raise UsageError(
            f"佐证材料文件「{source}」{what}。", hint="请检查 --evidence 的路径，指向整改报告或佐证文件本身。"
        )
    shown = file_name or source.name
    size = source.stat().st_size
    if size == 0:
        raise UsageError(f"佐证材料「{shown}」是空文件（0 字节）。", hint="请选择实际的整改报告或佐证文件后重试。")
    if size > settings.max_evidence_bytes:
        raise UsageError(
            f"佐证材料「{shown}」大小 {size / 1048576:.1f} MB，超过上限 {settings.max_evidence_bytes / 1048576:.0f} MB。",
            hint="请压缩或拆分材料（例如只附整改报告正文和关键照片）后重试。",
        )
    suffix = Path(shown).suffix.lower()
    if suffix not in EVIDENCE_SUFFIXES:
        raise UsageError(
            f"佐证材料「{shown}」是{f' {suffix} ' if suffix else '没有扩展名的'}文件，不能作为佐证材料。",
            hint=f"佐证材料只接收{EVIDENCE_TYPES_TEXT}；其他材料请转为 PDF 后提交。",
        )
    with source.open("rb") as handle:
        head = handle.read(4096)
    if not content_matches_name(head, shown):
        raise UsageError(
            f"佐证材料「{shown}」的内容是{content_kind(head)}，与扩展名 {Path(shown).suffix} 不符。",
            hint="请上传原始文件（如整改报告的 PDF、照片的 JPG），不要只改文件的扩展名；其他格式请按实际类型命名。",
        )
    name = _UNSAFE.sub("_", file_name or source.name).strip("._") or "evidence"
    digest = compute_sha256(source)[:12]
    folder = settings.var_dir / _evidence_folder(finding_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}-{name}"
    if not target.exists():
        shutil.copyfile(source, target)
    return str(target.relative_to(settings.var_dir))


def change_finding(
    settings: Settings,
    finding_id: str,
    *,
    by: str,
    to_status: str | None = None,
    action: str | None = None,
    role: str | None = None,
    note: str | None = None,
    evidence_file: Path | None = None,
    evidence_name: str | None = None,
    new_deadline: date | None = None,
    via: str = "web",
    measures: str | None = None,
) -> dict[str, Any]:
    """Change one finding's state in one write (see `warehouse.inspections.transition_finding`).

    An evidence file is kept beside the warehouse and referenced by the logged transition. Raises
    IllegalTransition (with the lifecycle's Chinese message), NotFound or UsageError; nothing changes then.
    """
    store = open_warehouse(settings)
    with store.reader() as con:  # the evidence is kept under the number as loaded, not as typed
        finding_id = resolve_finding_id(con, finding_id)
    kept = settings.var_dir / EVIDENCE_DIR
    before = set(kept.rglob("*")) if kept.exists() else set()
    evidence = store_evidence(settings, finding_id, evidence_file, evidence_name) if evidence_file else None
    try:
        return store.write(
            lambda con: transition_finding(
                con,
                finding_id,
                by=by,
                to_status=to_status,
                action=action,
                role=role,
                note=note,
                evidence=evidence,
                new_deadline=new_deadline,
                via=via,
                measures=measures,
                today=settings.today(),
            )
        )
    except CensusError:
        # A refused change keeps no evidence it brought (a file kept for an earlier change stays).
        if evidence is not None and (settings.var_dir / evidence) not in before:
            (settings.var_dir / evidence).unlink(missing_ok=True)
        raise


def save_scores(
    settings: Settings,
    evaluator: str,
    archive_code: str,
    scores: Mapping[str, Decimal | None],
    submit: bool,
    *,
    veto_verdicts: Mapping[str, bool] | None = None,
    evidence: Mapping[str, str] | None = None,
    remarks: Mapping[str, str | None] | None = None,
    round_id: str = DEFAULT_ROUND,
    seen_version: str | None = None,
) -> dict[str, Any]:
    """Save an evaluator's draft or submit their scores in one write (see `save_evaluator_scores`)."""
    return open_warehouse(settings).write(
        lambda con: save_evaluator_scores(
            con,
            evaluator,
            archive_code,
            scores,
            submit,
            veto_verdicts=veto_verdicts,
            evidence=evidence,
            remarks=remarks,
            round_id=round_id,
            seen_version=seen_version,
        )
    )


def record_reconciliations(
    settings: Settings, by: str, archive_code: str, values: Mapping[str, Reconciliation]
) -> dict[str, Any]:
    """Record the panel's reconciled values of an archive's items at 待合议 in one write (see the warehouse's)."""
    return open_warehouse(settings).write(lambda con: record_panel_values(con, by, archive_code, values))


def issue_findings(
    settings: Settings,
    archive_code: str,
    *,
    feedback_date: date,
    feedback_doc_no: str,
    responsible_person: str,
    by: str,
    round_id: str = DEFAULT_ROUND,
    min_severity: FindingSeverity = FindingSeverity.MINOR,
    overdue_confirmed: bool = False,
) -> dict[str, Any]:
    """Issue an archive's evaluation problems as findings in one write (see `issue_evaluation_findings`)."""
    return open_warehouse(settings).write(
        lambda con: issue_evaluation_findings(
            con,
            archive_code,
            feedback_date=feedback_date,
            feedback_doc_no=feedback_doc_no,
            responsible_person=responsible_person,
            by=by,
            today=settings.today(),
            round_id=round_id,
            min_severity=min_severity,
            overdue_confirmed=overdue_confirmed,
        )
    )


def correct_loaded_finding(
    settings: Settings, finding_id: str, field: str, value: str, *, by: str, reason: str, confirmed: bool
) -> dict[str, Any]:
    """Correct what a loaded finding says in one write (see `warehouse.inspections.correct_finding`)."""
    return open_warehouse(settings).write(
        lambda con: correct_finding(con, finding_id, field, value, by=by, reason=reason, confirmed=confirmed)
    )


def withdraw_findings(
    settings: Settings, archive_code: str, *, by: str, reason: str, confirmed: bool, round_id: str = DEFAULT_ROUND
) -> dict[str, Any]:
    """Withdraw an archive's issued evaluation findings in one write (see `withdraw_evaluation_findings`)."""
    return open_warehouse(settings).write(
        lambda con: withdraw_evaluation_findings(
            con, archive_code, by=by, reason=reason, confirmed=confirmed, round_id=round_id
        )
    )
