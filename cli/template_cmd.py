"""`archive-census template`: write the Excel template of a workbook kind (for a province, when the kind needs one)."""

from __future__ import annotations

import argparse
import sys

from census_schema.errors import UsageError
from census_schema.forms import CURRENT_WORKBOOKS, KIND_LABELS
from census_schema.scopes import choose_scope
from census_schema.settings import load_settings
from census_schema.supervision.evaluation import SELF_SOURCE
from census_schema.supervision.forms import EVALUATION_WORKBOOK, prefilled_score_rows
from census_schema.template import write_workbook
from cli.main import emit_json, into_folder, xlsx_out
from supervision.scoring import check_scoring_allowed
from warehouse.backends import open_warehouse
from warehouse.evaluation import DEFAULT_ROUND, fetch_assignments
from warehouse.users import account_names


def run_template(args: argparse.Namespace) -> int:
    """Write the template of `args.kind` (for `args.province` when needed) to `args.out`; print where it went."""
    # Only kinds whose workbooks are declared in census_schema have a template.
    if args.kind not in CURRENT_WORKBOOKS:
        raise UsageError(
            f"「{args.kind}」类表格的模板暂未提供。",
            hint=f"目前可生成模板的类型：{'、'.join(CURRENT_WORKBOOKS)}。",
        )
    book = CURRENT_WORKBOOKS[args.kind]
    label = KIND_LABELS.get(book.kind, book.kind)
    if book.needs_province and not (args.province or args.central):
        raise UsageError(
            "生成普查表或名录模板须指定填报范围。",
            hint="请加上 --province 和6位省级代码（如 --province 110000，地级、县级再加 --division），"
            "或 --central organs|enterprises|archives。",
        )
    if not book.needs_province and (args.province or args.division or args.central):
        raise UsageError(
            f"{label}模板全国通用、不分省份，不能指定 --province、--division 或 --central。",
            hint="请去掉这些选项后重试。",
        )
    if args.archive is None and args.scorer != SELF_SOURCE:  # it would be ignored, the template left blank
        raise UsageError(
            "--scorer 须与 --archive 同用（为某一档案馆预填评分人）。", hint="请加上 --archive 和档案馆代码。"
        )
    if args.archive is not None and book.kind != EVALUATION_WORKBOOK.kind:
        raise UsageError(
            f"--archive 只用于业务建设评价评分模板，{label}模板不能指定。", hint="请去掉 --archive 后重试。"
        )
    rows = prefilled_score_rows(args.archive, args.scorer) if args.archive is not None else None
    unchecked = _refuse_unassigned_scorer(args) if rows is not None else ""
    scope = choose_scope(args.province, args.division, args.central) if book.needs_province else None
    out = xlsx_out(args.out, "普查表-110000.xlsx")
    with into_folder(out):
        write_workbook(out, book, None, rows, scope=scope)
    if args.json:
        emit_json(
            {
                "template": str(out),
                "kind": book.kind,
                "province": None if scope is None else scope.province_code,
                "scope": None if scope is None else scope.to_json(),
                "form_version": book.version,
            }
        )
    elif scope is not None:
        # A central channel by its name alone: its key (organs) is the command line's word, not the reader's.
        code = "" if scope.is_central else f" {scope.code}"
        sys.stdout.write(f"已生成{label}模板：{out}（{scope.label}{code}，表式版本 {book.version}）\n")
    elif rows is not None:
        (items,) = rows.values()
        filled = f"已为{items[0][1]}（{args.archive}）预填评分人“{args.scorer.strip()}”的全部 {len(items)} 个评分项{unchecked}；申报加分项的请另加行"
        sys.stdout.write(f"已生成{label}模板：{out}（{filled}，表式版本 {book.version}）\n")
    else:
        sys.stdout.write(f"已生成{label}模板：{out}（全国通用，表式版本 {book.version}）\n")
    return 0


def _refuse_unassigned_scorer(args: argparse.Namespace) -> str:
    """Refuse an expert the current round does not assign to the archive (the upload would refuse every row of the
    template); a note when there is no warehouse to ask, else nothing."""
    scorer = args.scorer.strip()
    if scorer == SELF_SOURCE:
        return ""
    settings = load_settings(args.db, args.warehouse)
    if settings.warehouse_url is None and not settings.db_path.exists():
        return f"（{settings.db_path} 处没有数据仓库，未核对该专家是否分派评价此馆）"
    with open_warehouse(settings).reader() as con:
        assignments = fetch_assignments(con, DEFAULT_ROUND)
        accounts = [user for user, name in account_names(con).items() if name == scorer and user in assignments]
    if accounts:  # the expert's own name, where the sheet and the upload know the account's
        raise UsageError(
            f"「{scorer}」是评价专家账号 {'、'.join(accounts)} 的姓名：评分人须填用户名。",
            hint=f"请改为 --scorer {accounts[0]}。",
        )
    check_scoring_allowed(scorer, args.archive, assignments, True)
    return ""
