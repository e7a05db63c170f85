"""Field, rule and form declarations: the vocabulary every form of the platform is written in."""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from enum import StrEnum
from pathlib import PurePath
from types import MappingProxyType
from typing import Any

import polars as pl

from census_schema.codes import CodeList


class FieldType(StrEnum):
    """How a cell is read and stored."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CODE = "code"
    USCC = "uscc"
    DIVISION = "division"
    PHONE = "phone"
    DATE = "date"


class Severity(StrEnum):
    """Errors block a return; warnings are recorded with it."""

    ERROR = "error"
    WARNING = "warning"

    @property
    def label(self) -> str:
        """The Chinese word used in reports."""
        return "错误" if self is Severity.ERROR else "警告"


# Upper bounds of the quantities a form asks for, one per kind of quantity, far above any real figure yet far below
# what storage and sums can hold: a cell above its bound is a slip (a code, a phone number or a 1e308 pasted into a
# count), reported as out of range. The bounds also keep every sum exact: 200,000 rows (a return's limit) of
# 10^10 sum to 2 x 10^15, below both 2^53 (exact in Float64) and 10^16 (the warehouse's DECIMAL(18, 2)).
# Archives counted in 卷, 件, 张, 盘 or 个 by one holder: the country's state archives together hold about 10^9.
MAX_ARCHIVE_COUNT = 10**10
# A length in metres of shelving (10,000 km) or an area in square metres (10 km²) of one holder's buildings.
MAX_LENGTH_M = 10**7
MAX_AREA_M2 = 10**7
# A storage capacity in GB of one holder: 10^9 GB is an exabyte.
MAX_CAPACITY_GB = 10**9
# Items of an inspection checklist (项): checklists have tens to a few hundred items.
MAX_CHECKLIST_ITEMS = 10_000
# A plan indicator's value (a percentage, a count, a capacity): sums over provinces and years stay far below the
# warehouse's DECIMAL(18, 2) (10^16).
MAX_INDICATOR_VALUE = 10**12


# Characters no one sees in a cell, as a regular expression class: C0 controls but tab and line breaks, DEL, C1
# controls, zero-width characters (U+200B-U+200D, the word joiner U+2060-U+2064, the BOM U+FEFF), bidirectional
# marks and overrides (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069). None belongs in any text of a form.
INVISIBLE_CHARS = (
    r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F"
    r"\u202A-\u202E\u2060-\u2064\u2066-\u2069\u2800\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\U000E0000-\U000E007F]"
)
# (Beside the controls, zero-width and direction marks: the soft hyphen, fillers drawn as nothing (Hangul, Braille,
# Mongolian, Khmer), interlinear annotation marks and the tag characters, which can carry hidden text.)
# Tab and line breaks (Alt+Enter in Excel) are text in a paragraph: a text field that long (备注, 佐证材料, 说明)
# may hold them inside; in a name, a code or any shorter field they are not typed on purpose.
LINE_BREAK_CHARS = r"[\t\r\n\u2028\u2029]"
MULTILINE_MIN_LENGTH = 200
_UNSEEN = re.compile(f"{INVISIBLE_CHARS}|{LINE_BREAK_CHARS}")


_INVISIBLE = re.compile(INVISIBLE_CHARS)
_LINE_BREAK = re.compile(LINE_BREAK_CHARS)


def holds_unseen(text: str, multiline: bool) -> bool:
    """Whether typed text holds a character nobody sees, as a cell of a form is judged (rule cell_invisible_chars):
    a line break or tab is text inside a paragraph (`multiline`), not inside a name or a code; at either end it is
    trimmed like a space."""
    inner = text.strip()
    return bool(_INVISIBLE.search(inner) or (not multiline and _LINE_BREAK.search(inner)))


def show_unseen(text: str) -> str:
    """The text with each invisible character or line break shown as its code ([U+200B]), so a person sees where."""
    return _UNSEEN.sub(lambda found: f"[U+{ord(found.group()):04X}]", text)


# The longest file name the platform keeps of an upload (most file systems' limit): a longer one is cut in its stem.
MAX_FILE_NAME_CHARS = 255


def shown_file_name(name: str) -> str:
    """An uploaded file's name as the platform keeps and shows it: invisible characters as their codes (a control
    character broke every export listing it), at most MAX_FILE_NAME_CHARS characters, its suffix kept."""
    name = show_unseen(name)
    if len(name) <= MAX_FILE_NAME_CHARS:
        return name
    suffix = PurePath(name).suffix[:16]
    return name[: MAX_FILE_NAME_CHARS - 1 - len(suffix)] + "…" + suffix


def bound_text(value: float) -> str:
    """A bound as a rule's message shows it: 2035, 0.5, 10,000,000,000 (thousands grouped, never 1e+10)."""
    if float(value).is_integer() and abs(value) >= 100_000:
        return f"{int(value):,}"
    return f"{value:g}"


_POLARS_TYPES: dict[FieldType, builtins.type[pl.DataType]] = {
    FieldType.INTEGER: pl.Int64,
    FieldType.DECIMAL: pl.Float64,
    FieldType.DATE: pl.Date,
}


@dataclass(frozen=True)
class Field:
    """One column of a form."""

    name: str
    label: str
    type: FieldType
    description: str
    unit: str | None = None
    code_list: CodeList | None = None
    required: bool = True
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    decimals: int = 0
    width: int = 12
    # A date of something that has happened (a report sent, an inspection made): not later than the day of upload.
    in_past: bool = False

    @property
    def is_multiline(self) -> bool:
        """A free text long enough to be a paragraph: it may hold line breaks and tabs."""
        return self.type is FieldType.TEXT and (self.max_length or 0) >= MULTILINE_MIN_LENGTH

    @property
    def is_numeric(self) -> bool:
        """True for integer and decimal fields."""
        return self.type in (FieldType.INTEGER, FieldType.DECIMAL)

    @property
    def polars_dtype(self) -> builtins.type[pl.DataType]:
        """The polars type the field's values are held in: Int64, Float64, Date or String."""
        return _POLARS_TYPES.get(self.type, pl.Utf8)


@dataclass(frozen=True)
class Rule:
    """A declared validation rule: executed by `checks`, explained by templates and the UI."""

    rule_id: str
    kind: str
    severity: Severity
    field: str | None
    message: str
    params: Mapping[str, Any] = dataclass_field(default_factory=lambda: MappingProxyType({}))

    def param(self, name: str) -> Any:
        """One parameter of the rule."""
        return self.params[name]


@dataclass(frozen=True)
class Form:
    """A versioned form: its fields, its rules and where its rows live in a workbook."""

    kind: str
    version: str
    title: str
    round_id: str
    reference_date: date
    sheet_name: str
    fields: tuple[Field, ...]
    rules: tuple[Rule, ...]
    max_rows: int
    # A sheet that may be uploaded without rows (a supplementary sheet); its own rules say what must be there.
    may_be_empty: bool = False

    def field(self, name: str) -> Field:
        """The field with this name."""
        return self.fields_by_name[name]

    @property
    def requires_rows(self) -> bool:
        """A rule asks for at least one row (the foot: exactly one), so the sheet may not be left out of a workbook."""
        return any(r.kind == "row_count" and r.params.get("min", 0) >= 1 for r in self.rules)

    @property
    def fields_by_name(self) -> dict[str, Field]:
        """Fields keyed by name, in form order."""
        return {f.name: f for f in self.fields}

    @property
    def field_names(self) -> tuple[str, ...]:
        """Field names in form order."""
        return tuple(f.name for f in self.fields)

    @property
    def rules_by_id(self) -> dict[str, Rule]:
        """Rules keyed by id."""
        return {r.rule_id: r for r in self.rules}

    def rules_for(self, field_name: str) -> tuple[Rule, ...]:
        """Rules that mark cells of one field."""
        return tuple(r for r in self.rules if r.field == field_name)


@dataclass(frozen=True)
class StatutoryHeader:
    """The statutory marks of a statistical form (统计法实施条例: 表号, 制定机关, 批准（备案）文号, 有效期至),
    printed at the top right of each data sheet. `form_numbers`: (sheet name, 表号) pairs. `provisional`: the marks
    are placeholders until the statistics bureau approves or records the census (the template says so)."""

    form_numbers: tuple[tuple[str, str], ...]
    authority: str
    approval: str
    valid_until: str
    provisional: bool = True

    def marks(self, sheet_name: str) -> tuple[tuple[str, str], ...]:
        """The marks of one data sheet as (label, value) pairs; none for a sheet without a 表号."""
        numbers = dict(self.form_numbers)
        if sheet_name not in numbers:
            return ()
        return (
            ("表号", numbers[sheet_name]),
            ("制定机关", self.authority),
            ("批准（备案）文号", self.approval),
            ("有效期至", self.valid_until),
        )

    def line(self, sheet_name: str) -> str:
        """The marks of one data sheet on one line (empty for a sheet without a 表号)."""
        text = "　".join(f"{label}：{value}" for label, value in self.marks(sheet_name))
        return f"{text}（暂定标识）" if text and self.provisional else text


@dataclass(frozen=True)
class ReferenceTable:
    """A table the template's 填表说明 lists for reading (the evaluation standard's items), not a sheet to fill."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class WorkbookForm:
    """A kind of uploaded workbook: one or several data sheets, each declared by its own Form, handled together.

    A census return is a workbook of one sheet; an inspections workbook has three (records, findings, updates).
    `needs_province`: the template and the upload belong to one province (census, register) or to the whole
    country (supervision workbooks, filled by the national bureau). `supersedes`: an accepted upload replaces the
    current one of its kind, province and round (a corrected return); otherwise uploads add to what is loaded.
    `reviewed`: an accepted upload then waits for the national bureau's review (待审核).
    `notes`: how to fill and submit, for the template (placeholders {first}, {header}, {version}); a sheet may be
    left empty when `sheets_optional`, as long as one sheet has rows (or when its form `may_be_empty`). `label`: the
    short Chinese name in menus and messages; `flow_name`: the name of its Prefect flow. `header`: the statutory
    marks of a statistical form, when the workbook is one. `reference`: a table the 填表说明 lists after the columns.
    """

    kind: str
    version: str
    title: str
    sheets: tuple[Form, ...]
    label: str
    flow_name: str
    needs_province: bool = True
    supersedes: bool = True
    reviewed: bool = True
    sheets_optional: bool = False
    notes: tuple[str, ...] = ()
    header: StatutoryHeader | None = None
    reference: ReferenceTable | None = None

    @property
    def round_id(self) -> str:
        """The round the workbook belongs to (that of its sheets)."""
        return self.sheets[0].round_id

    @property
    def sheet_names(self) -> tuple[str, ...]:
        """The data sheets' names in order."""
        return tuple(form.sheet_name for form in self.sheets)

    def sheet(self, sheet_name: str) -> Form:
        """The form of one data sheet."""
        return next(form for form in self.sheets if form.sheet_name == sheet_name)


def single_sheet_workbook(form: Form, label: str, flow_name: str) -> WorkbookForm:
    """The workbook of a one-sheet provincial form (census return, register): same kind, version and title."""
    return WorkbookForm(form.kind, form.version, form.title, (form,), label, flow_name)


def frozen_params(**params: Any) -> Mapping[str, Any]:
    """An immutable parameter mapping for a rule."""
    return MappingProxyType(dict(params))
