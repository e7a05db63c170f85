"""`reminders` and `prefect deploy`: the scheduled reminders and the Prefect deployments of a cluster."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from census_schema.clock import format_beijing
from census_schema.errors import UsageError
from census_schema.scopes import format_day
from census_schema.settings import load_settings
from cli.main import emit_json, parse_day
from flows.reminders import write_daily_reminders
from flows.run import quiet_prefect, require_prefect_answers
from warehouse.backends import open_warehouse
from warehouse.reminders import query_reminders, reminders_generated_at

# The checkout the command runs from: workers load the flows from the same path.
CODE_ROOT = Path(__file__).resolve().parents[1]


def run_reminders(args: argparse.Namespace) -> int:
    """Compute and store the day's reminders (what the daily flow does), or show the latest stored ones."""
    settings = load_settings(args.db, args.warehouse)
    store = open_warehouse(settings)
    if args.show and args.as_of:
        raise UsageError(
            "--show 列出最近一次生成的提醒，不能与 --as-of 同用。",
            hint="要生成某天的提醒，去掉 --show；要查看最近一次的提醒，去掉 --as-of。",
        )
    if not args.show:
        today = settings.today()
        day = parse_day(args.as_of, "--as-of") or today
        if day > today:
            # The latest day's reminders are the ones shown: a future day's would hide every later real one.
            raise UsageError(
                f"--as-of {args.as_of} 晚于今天（{format_day(today)}）：提醒不能按未来的日期生成。本次未做任何处理。",
                hint="请检查年份是否写错；省略 --as-of 即按今天生成。",
            )
        summary = write_daily_reminders(store, day)
        if not args.json:
            by_kind = "，".join(f"{kind} {count} 条" for kind, count in summary["by_kind"].items()) or "无"
            print(f"{format_day(day)}的提醒已写入：共 {summary['total']} 条（{by_kind}）。")
            return 0
    with store.reader() as con:
        reminders = query_reminders(con)
        made = reminders_generated_at(con)
    if args.json:
        emit_json({"reminders": reminders})
    elif not reminders:
        print("没有已生成的提醒。")
    else:
        # Which day's, and when they were written (the list said neither: the counts in it are that moment's).
        made_at = f"，{format_beijing(made)}生成" if made else ""
        print(f"{format_day(reminders[0]['generated_on'])}的提醒{made_at}：")
        for r in reminders:
            print(f"[{r['kind']}] {r['scope_name']}：{r['message']}")
    return 0


def run_prefect(args: argparse.Namespace) -> int:
    """`prefect deploy`: the work pool, its limits and a deployment of every flow on the configured server."""
    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError(
            "未设置 PREFECT_API_URL，不知道向哪个 Prefect 服务器注册部署。",
            hint="例如：export PREFECT_API_URL=http://127.0.0.1:4200/api（见 README「Scaling out: several machines」）。",
        )
    quiet_prefect()
    from flows.deployments import WORK_POOL, DeploymentPlan, deploy_all

    require_prefect_answers()
    settings = load_settings(args.db, args.warehouse)
    write_limit = args.write_limit or (4 if settings.is_ducklake else 1)
    plan = DeploymentPlan(
        source=Path(args.source) if args.source else CODE_ROOT,
        work_pool=args.pool or WORK_POOL,
        pool_limit=args.pool_limit,
        write_limit=write_limit,
    )
    names = deploy_all(plan)
    if args.json:
        emit_json({"work_pool": plan.work_pool, "write_limit": write_limit, "deployments": names})
    else:
        print(f"工作池 {plan.work_pool}（并发 {plan.pool_limit}，装载并发 {write_limit}）已注册部署：")
        for name in names:
            print(f"  {name}")
    return 0
