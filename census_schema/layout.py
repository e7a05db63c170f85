"""Where things are in a platform workbook: sheet names, rows and the embedded identity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from census_schema.failures import Failure
from census_schema.rule_titles import rule_title
from census_schema.xlsx import Column

# The platform's one name: its pages' titles and header, its workbooks' author, its command line.
PLATFORM_NAME = "国有档案资源普查与监督平台"


def page_title(name: str) -> str:
    """A browser tab's title: the page's name, then the platform's (修改密码 · 国有档案资源普查与监督平台)."""
    return f"{name} · {PLATFORM_NAME}"


INSTRUCTIONS_SHEET = "填表说明"
CODES_SHEET = "代码表"
# A very hidden sheet of key/value rows (column A key, column B value): it survives Excel, WPS and LibreOffice.
META_SHEET = "_meta"
ERRORS_SHEET = "错误清单"

TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
# Rows prepared with drop-downs and validation in an empty template.
TEMPLATE_PREPARED_ROWS = 2000

META_FORM_KIND = "form_kind"
META_FORM_VERSION = "form_version"
META_PROVINCE = "province_code"
META_ROUND = "round_id"
# The reporting scope (census_schema.scopes): its kind and code. Templates made before scopes have neither and are
# for their whole province.
META_SCOPE_KIND = "scope_kind"
META_SCOPE_CODE = "scope_code"

# The 错误清单 sheet of an annotated report: one row per failure, its header exactly as the census form's spec gives
# it (字段: the field's name, as the template's 填表说明 lists it beside its label; empty for a whole row or workbook),
# the rule by its Chinese title, sized to print one landscape A4 page wide with 说明 wrapped.
ERRORS_COLUMNS: tuple[Column[Failure], ...] = (
    Column("工作表", lambda f: f.sheet, 10),
    Column("行号", lambda f: f.row, 7),
    Column("字段", lambda f: f.field, 14),
    Column("列名", lambda f: f.label, 18),
    Column("填报值", lambda f: f.value, 20),  # an 18-character credit code on one line (at 18 it broke over two)
    Column("规则", lambda f: rule_cell(f.rule), 16),
    Column("严重程度", lambda f: f.severity.label, 9),
    Column("说明", lambda f: f.message, 56),
)
ERRORS_HEADER = tuple(column.header for column in ERRORS_COLUMNS)


def rule_cell(rule_id: str) -> str:
    """The 规则 of a failure in 错误清单: its Chinese title (合计与分项不符)."""
    return rule_title(rule_id)


TOTAL_ROW_MARKERS = ("合计", "总计")
# The report sheet listing the holders a return would drop from its scope (the shrink guard): one row per holder of
# the scope's current return that the new return leaves out.
DROPPED_SHEET = "减少的普查对象"
DROPPED_COLUMNS: tuple[Column[Mapping[str, Any]], ...] = (
    Column("统一社会信用代码", lambda h: h["uscc"], 22),
    Column("单位名称", lambda h: h["unit_name"], 36),
    Column("行政区划代码", lambda h: h["division_code"], 14),
    Column("普查对象类型", lambda h: h["holder_type"], 18),
)
