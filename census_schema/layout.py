"""Where things are in a platform workbook: sheet names, rows and the embedded identity."""

from __future__ import annotations

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

ERRORS_HEADER = ("工作表", "行号", "字段", "列名", "填报值", "规则", "严重程度", "说明")
TOTAL_ROW_MARKERS = ("合计", "总计")
