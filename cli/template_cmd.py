"""`archive-census template`: write the Excel template of a form for a province."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from census_schema.divisions import require_census_province
from census_schema.errors import UsageError
from census_schema.forms import CURRENT_FORMS, KIND_LABELS
from census_schema.template import write_form_workbook
from cli.main import emit_json


def run_template(args: argparse.Namespace) -> int:
    """Write the template of `args.kind` for `args.province` to `args.out`; print where it went."""
    # Only kinds whose forms are declared in census_schema have a template.
    if args.kind not in CURRENT_FORMS:
        raise UsageError(
            f"「{args.kind}」类表格的模板暂未提供。",
            hint=f"目前可生成模板的类型：{'、'.join(CURRENT_FORMS)}。",
        )
    if not args.province:
        raise UsageError(
            "生成普查表或名录模板须指定省份。", hint="请加上 --province 和6位省级代码，如 --province 110000。"
        )
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件「{out.name}」的扩展名应为 .xlsx。", hint="例如 --out 普查表-110000.xlsx。")
    form = CURRENT_FORMS[args.kind]
    province_name = require_census_province(args.province).name
    out.parent.mkdir(parents=True, exist_ok=True)
    write_form_workbook(out, form, args.province, province_name=province_name)
    if args.json:
        emit_json({"template": str(out), "kind": form.kind, "province": args.province, "form_version": form.version})
    else:
        label = KIND_LABELS.get(form.kind, form.kind)
        sys.stdout.write(f"已生成{label}模板：{out}（{province_name} {args.province}，表式版本 {form.version}）\n")
    return 0
