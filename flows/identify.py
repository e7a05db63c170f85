"""Identify an uploaded file before parsing it: content hash, container checks, bomb limits, embedded form identity."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from census_schema import layout
from census_schema.divisions import load_divisions
from census_schema.errors import WorkbookUnusable
from census_schema.fields import shown_file_name
from census_schema.forms import KIND_LABELS, WORKBOOKS, get_workbook_form
from census_schema.scopes import CENTRAL_CHANNELS, Scope, ScopeKind, parse_stored_scope
from census_schema.settings import Settings
from flows.measure import NO_FORMULAS, SAVE_AS_HINT, TEMPLATE_HINT, FormulaCounts, WorkbookMeasure, measure_workbook
from flows.reader import ReadAhead, read_identity_and_sheets, read_metadata_of
from flows.worker import ReaderWorker

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# An OpenDocument file's first member, stored uncompressed near its start, names its kind.
ODS_MIMETYPE = b"application/vnd.oasis.opendocument"
ENCRYPTION_MARKER = "EncryptionInfo".encode("utf-16-le")


@dataclass(frozen=True)
class WorkbookIdentity:
    """What a file is: its hash and size, and the workbook kind, version and province (if any) embedded in it."""

    path: Path
    file_name: str
    sha256: str
    size_bytes: int
    form_kind: str
    form_version: str
    province_code: str | None
    round_id: str
    # The reporting scope the template was made for (None for national workbooks).
    scope: Scope | None = None
    # The data sheets, read with the identity by a reader worker (flows.parse takes them instead of reading again).
    read_ahead: ReadAhead | None = field(default=None, repr=False, compare=False)
    # Formula cells a reader gives as empty (failed: #DIV/0!...; with no saved result), counted by the measurement:
    # flows.parse then asks where.
    formulas: FormulaCounts = NO_FORMULAS
    # Merged cell ranges by sheet tab name, found by the measurement: flows.parse refuses those over data rows.
    merged: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    # Hidden rows by sheet tab name, found by the measurement: flows.parse warns of those holding data.
    hidden_rows: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)


def compute_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _unusable(file_name: str, message: str, hint: str = TEMPLATE_HINT) -> WorkbookUnusable:
    return WorkbookUnusable(message, file=file_name, hint=hint)


# Names whose extension makes the reader (calamine) take a workbook for another format (.xls, .xlsb, .ods) and fail
# on an .xlsx so named; other names (none, .zip, .xlsm, the web's saved uploads) are read by their content.
READER_FORMAT_SUFFIXES = frozenset({".xls", ".xla", ".xlsb", ".ods"})


def check_container(path: Path, file_name: str, settings: Settings) -> None:
    """Refuse what is not a .xlsx by its size and magic bytes (text, CSV, legacy or encrypted .xls); trust neither
    its name nor its declared sizes. `flows.measure` then inflates and counts every member."""
    size = path.stat().st_size
    if size == 0:
        raise _unusable(file_name, "文件是空的（0 字节）。")
    if size > settings.max_upload_bytes:
        limit = settings.max_upload_bytes // (1024 * 1024)
        raise _unusable(
            file_name,
            f"文件大小 {size / 1048576:.1f} MB，超过上限 {limit} MB。",
            "请确认没有嵌入图片或多余工作表；如数据确实很多，请联系国家档案局分批报送。",
        )
    with path.open("rb") as handle:
        head = handle.read(65536)
    if Path(file_name).name.startswith("~$") and not head.startswith(ZIP_MAGIC):
        raise _unusable(
            file_name,
            "这是 Excel 或 WPS 打开工作簿时生成的临时文件（文件名以 ~$ 开头，只记录谁在编辑），不是工作簿本身。",
            "请关闭 Excel 或 WPS，选择同一文件夹中不带 ~$ 的原工作簿后重新上传。",
        )
    suffix = Path(file_name).suffix.lower() or "（无扩展名）"
    if head.startswith(ZIP_MAGIC) and ODS_MIMETYPE in head[:256]:
        raise _unusable(
            file_name,
            "这是 OpenDocument 表格（.ods，LibreOffice 等软件的格式），不是 Excel 工作簿（.xlsx）。",
            SAVE_AS_HINT,
        )
    if head.startswith(ZIP_MAGIC) and path.suffix.lower() in READER_FORMAT_SUFFIXES:
        raise _unusable(
            file_name,
            f"文件内容是 Excel 工作簿（.xlsx），但文件名的扩展名是 {path.suffix}，平台按扩展名读取，无法读取它。",
            f"请把文件名改为 {path.stem}.xlsx 后重新装载。",
        )
    if head.startswith(OLE_MAGIC):
        if ENCRYPTION_MARKER in head:
            raise _unusable(
                file_name,
                "工作簿设置了打开密码（加密），平台无法读取。",
                "请在 Excel 中打开，选择“文件 → 信息 → 保护工作簿 → 用密码进行加密”，清空密码并保存为 .xlsx 后重新上传。",
            )
        raise _unusable(file_name, "这是旧版 Excel 97-2003（.xls）文件，平台只接收 .xlsx 工作簿。", SAVE_AS_HINT)
    if not head.startswith(ZIP_MAGIC):
        found = content_kind(head)
        kind = "网页（HTML）文件" if looks_like_html(head) else "文本或 CSV 文件" if found == "文本" else found
        named = "只是扩展名为 .xlsx）" if suffix == ".xlsx" else f"扩展名为 {suffix}）：平台只接收 .xlsx 工作簿"
        # Text and web pages open in Excel or WPS, to be saved as a workbook; a PDF, an image or an unknown file is
        # best filled anew (a PDF was told to be opened in Excel and saved again).
        hint = SAVE_AS_HINT if kind in ("网页（HTML）文件", "文本或 CSV 文件") else TEMPLATE_HINT
        spaced = " " if kind[0].isascii() else ""  # 而是 PDF 文件, as Latin words are spaced throughout
        raise _unusable(file_name, f"这不是 Excel 工作簿，而是{spaced}{kind}（{named}。", hint)


# What a file of each kind starts with (a PDF may have up to 1 KiB before its %PDF- header), by the extensions that
# claim the kind: an evidence file's name must not claim a kind its content is not (it is served by its extension),
# and a census return that is none of them is named for what it is (a PDF renamed .xlsx was 未知格式的文件).
FILE_KINDS: tuple[tuple[str, tuple[str, ...], tuple[bytes, ...]], ...] = (
    ("PDF 文件", (".pdf",), (b"%PDF-",)),
    ("PNG 图片", (".png",), (b"\x89PNG\r\n\x1a\n",)),
    ("JPEG 图片", (".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    ("GIF 图片", (".gif",), (b"GIF87a", b"GIF89a")),
    ("TIFF 图片", (".tif", ".tiff"), (b"II*\x00", b"MM\x00*")),
    ("Office 或 OFD 文档（zip 格式）", (".docx", ".xlsx", ".pptx", ".ofd", ".zip", ".wps", ".et"), (ZIP_MAGIC,)),
    ("旧版 Office 或 WPS 文档", (".doc", ".xls", ".ppt", ".wps", ".et"), (OLE_MAGIC,)),
)


def is_kind(head: bytes, magics: tuple[bytes, ...]) -> bool:
    """Whether a file's first bytes begin with one of the magics (a PDF's anywhere in its first KiB)."""
    return any(head.startswith(m) or (m == b"%PDF-" and m in head[:1024]) for m in magics)


def content_kind(head: bytes) -> str:
    """What the first bytes of a file say it is: 'PDF 文件', 'PNG 图片', …, '文本' or '未知格式的文件'."""
    found = next((kind for kind, _, magics in FILE_KINDS if is_kind(head, magics)), None)
    if found:
        return found
    return "文本" if looks_like_text(head) else "未知格式的文件"


def looks_like_html(head: bytes) -> bool:
    """True when the file starts (after a BOM and blanks) like an HTML page: a web page saved with an .xlsx name, or
    a system's "export to Excel" that writes an HTML table."""
    start = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body", b"<meta"))


def looks_like_text(head: bytes) -> bool:
    """True when the bytes read as UTF-8 or GB 18030 text."""
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _stored_scope(meta: dict[str, str], province: str | None) -> Scope | None:
    """The scope recorded in `_meta`, if it is a scope at all (a template before scopes: the whole province)."""
    try:
        scope = parse_stored_scope(meta.get(layout.META_SCOPE_KIND), meta.get(layout.META_SCOPE_CODE), province)
    except ValueError:
        return None
    if scope is None:
        return None
    if scope.is_central:
        return scope if scope.code in CENTRAL_CHANNELS and not province else None
    division = load_divisions().by_code.get(scope.code)
    if division is None or scope.province_code != province:
        return None
    level_matches = {
        ScopeKind.PROVINCE: "province",
        ScopeKind.PREFECTURE: "prefecture",
        ScopeKind.COUNTY: "county",
    }[scope.kind] == division.level
    return scope if level_matches else None


def _scope_mismatch(
    name: str, scope: Scope, expected: Scope | None, expected_province: str | None, central_only: bool, on_web: bool
) -> None:
    """Refuse a workbook made for another scope than the one the upload is for (a web uploader is not told about the
    command line's options)."""
    if central_only and not scope.is_central:
        raise _unusable(
            name,
            f"这是为{scope.label}生成的模板：各省及其地级、县级的报表由该省档案部门在平台上报送，逐级审核；"
            "国家档案局在此只上传中央单位（中央和国家机关、中央企业、中央级档案馆）的报表。",
            "中央单位的报表请先选填报渠道，再下载该渠道的模板填报；省里的报表请由该省档案部门上传"
            "（确需代为装载的，用命令行 archive-census ingest --by 报送人）。",
        )
    if expected is not None and scope != expected:
        raise _unusable(
            name,
            f"这是为{scope.label}生成的模板，但这次上传的填报范围须为{expected.label}"
            + ("（您账号的填报范围）。" if on_web else "（命令行所指定的）。"),
            f"请下载{expected.label}的模板填报后上传"
            + ("。" if on_web else "；或核对命令行的 --province、--division、--central。"),
        )
    if not expected_province or scope.province_code == expected_province:
        return
    divisions = load_divisions().by_code
    ours = divisions[expected_province].name if expected_province in divisions else expected_province
    if scope.is_central:
        raise _unusable(
            name,
            f"这是{scope.name}渠道的模板（中央单位直接报国家档案局），不属于{ours}（{expected_province}）。",
            "中央渠道的报表由该渠道或国家档案局报送；请使用本单位报送范围的模板。",
        )
    province = scope.province_code or ""
    theirs = divisions[province].name if province in divisions else province
    where = "" if scope.kind is ScopeKind.PROVINCE else f"的{scope.name}"
    if on_web:  # the account's province: not a choice the uploader made
        raise _unusable(
            name,
            f"这是为{theirs}（{province}）{where}生成的模板，而您的账号只能报送{ours}（{expected_province}）的报表。",
            f"请下载{ours}的模板填报后上传；{theirs}的报表由{theirs}档案部门报送。",
        )
    raise _unusable(
        name,
        f"这是为{theirs}（{province}）{where}生成的模板，但上传的省份是{ours}（{expected_province}）。",
        "请使用本省模板，或核对命令行的 --province。",
    )


def identify_workbook(
    path: Path,
    *,
    expected_kind: str,
    expected_province: str | None,
    settings: Settings,
    file_name: str | None = None,
    worker: ReaderWorker | None = None,
    expected_scope: Scope | None = None,
    central_only: bool = False,
    on_web: bool = False,
) -> WorkbookIdentity:
    """Check a file and say which form, version, province and scope it is; raise WorkbookUnusable when it is the
    wrong one (another kind, an old version, another province, another scope than `expected_scope`, a scope not a
    central channel's when `central_only`).

    A national workbook (no province of its own) ignores `expected_province` and `expected_scope`. Without a worker
    the file is measured, then read here; with one, it is read there while it is measured, data sheets included.
    """
    name = shown_file_name(file_name or path.name)
    if path.is_dir():
        raise WorkbookUnusable("这是一个文件夹，不是工作簿文件。", file=name, hint="请指定要装载的 .xlsx 文件。")
    if path.exists() and not path.is_file():
        raise WorkbookUnusable("这不是普通文件（可能是设备或管道）。", file=name, hint="请指定要装载的 .xlsx 文件。")
    if not path.is_file():
        raise WorkbookUnusable("文件不存在。", file=name, hint="请检查路径。")
    check_container(path, name, settings)
    expected = (expected_kind, expected_province, expected_scope, central_only, on_web)
    if worker is None:
        measured = measure_workbook(path, name, settings)
        identity = _identity(path, name, read_metadata_of(path, name), *expected)
        return replace(identity, formulas=measured.formulas, merged=measured.merged, hidden_rows=measured.hidden_rows)
    ahead, measured = _measure_while_reading(path, name, settings, worker, expected_kind)
    identity = _identity(path, name, ahead.meta, *expected)
    return replace(
        identity,
        read_ahead=ahead,
        formulas=measured.formulas,
        merged=measured.merged,
        hidden_rows=measured.hidden_rows,
    )


def _measure_while_reading(
    path: Path, name: str, settings: Settings, worker: ReaderWorker, expected_kind: str
) -> tuple[ReadAhead, WorkbookMeasure]:
    """The identity sheet and the data sheets of the form it names, read by the bounded worker while this process
    measures the file: the two take one file's time on two cores instead of adding up.

    The measurement's refusal always wins: the read of a refused file is given up (its process stopped at once).
    """
    sheets_by_form = {
        (book.kind, book.version): list(book.sheet_names)
        for (kind, _), book in WORKBOOKS.items()
        if kind == expected_kind
    }
    measured: list[WorkbookMeasure] = []  # filled by the measurement, which runs while the worker reads
    ahead = worker.call(
        read_identity_and_sheets,
        path,
        sheets_by_form,
        name,
        file_name=name,
        while_waiting=lambda: measured.append(measure_workbook(path, name, settings)),
    )
    return ahead, measured[0]


def _identity(
    path: Path,
    name: str,
    meta: dict[str, str],
    expected_kind: str,
    expected_province: str | None,
    expected_scope: Scope | None,
    central_only: bool,
    on_web: bool,
) -> WorkbookIdentity:
    """The identity an identity sheet gives, or the refusal of a workbook that is not the one expected."""
    kind, version, province = (
        meta.get(layout.META_FORM_KIND),
        meta.get(layout.META_FORM_VERSION),
        meta.get(layout.META_PROVINCE),
    )
    if not kind or not version:
        raise _unusable(name, "工作簿不是由本平台模板生成的（缺少模板标识），无法确认表式版本和省份。")
    if kind != expected_kind:
        raise _unusable(
            name,
            f"这是「{KIND_LABELS.get(kind, kind)}」，但本次上传的是「{KIND_LABELS.get(expected_kind, expected_kind)}」。",
            f"请把它作为「{KIND_LABELS.get(kind, kind)}」上传（网页上选择该类型；命令行为 archive-census ingest {kind} …），"
            "或换成正确的文件。",
        )
    # Only the current version is accepted: an older one stays declared for the returns loaded with it, but its
    # workbooks lack what the current form asks (GYDA-2024.1 has no 表尾 nor red-archive sheet, so their rules).
    book = get_workbook_form(kind)
    if version != book.version:
        retired = (kind, version) in WORKBOOKS
        raise _unusable(
            name,
            f"模板版本 {version} {'已停用' if retired else '不是本平台发布的版本'}，本轮使用 {book.version}。",
            "请下载最新模板，把数据复制到新模板后重新上传。",
        )
    declared_round = meta.get(layout.META_ROUND)
    if declared_round and declared_round != book.round_id:
        raise _unusable(
            name,
            f"这是普查轮次 {declared_round} 的模板，本轮为 {book.round_id}，数据不能计入本轮。",
            "请下载本轮模板，把数据复制到新模板后重新上传。",
        )
    scope = None
    if not book.needs_province:
        province = None
    else:
        scope = _stored_scope(meta, province or None)
        if scope is None:
            raise _unusable(name, "工作簿不是由本平台模板生成的（缺少或改动了模板标识），无法确认表式版本和填报范围。")
        _scope_mismatch(name, scope, expected_scope, expected_province, central_only, on_web)
        province = scope.province_code
    return WorkbookIdentity(
        path, name, compute_sha256(path), path.stat().st_size, kind, version, province, book.round_id, scope
    )
