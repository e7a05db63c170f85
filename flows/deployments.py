"""Where and when the flows run: the process work pool, a deployment per flow, the daily schedule, the limits.

Configuration only: the flows themselves are `flows.prefect_flows`. `archive-census prefect deploy` calls
`deploy_all` against the server named by PREFECT_API_URL; workers then run `prefect worker start --pool
archive-census` on each machine that has the code at the same path and the warehouse settings in its environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from census_schema.forms import CURRENT_WORKBOOKS
from flows.prefect_flows import FLOW_ATTRIBUTE_PREFIX, WRITE_TAG
from flows.run import DEPLOYMENT_NAME

WORK_POOL = "archive-census"
# Prefect loads an entry point file as a script, its folder first on sys.path: flows/prefect_flows.py would let
# flows/supervision.py hide the `supervision` package, so the entry points live in a file of their own.
ENTRYPOINTS_FILE = "scripts/flow_entrypoints.py"
# Reminders are written every morning, before offices open (China Standard Time).
REMINDERS_CRON = "30 6 * * *"
REMINDERS_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class DeploymentPlan:
    """What `deploy_all` registers."""

    source: Path
    work_pool: str = WORK_POOL
    # Concurrent flow runs on the pool (the workers' slots together).
    pool_limit: int = 4
    # Concurrent load steps: 1 for the embedded warehouse (one file, one writer), more on a DuckLake, where
    # writers commit at once and the losers of a conflict are re-run.
    write_limit: int = 4


def entrypoints() -> dict[str, str]:
    """Entry point of every flow, by flow attribute: one ingest flow per registered kind, and the reminders."""
    names = [f"{FLOW_ATTRIBUTE_PREFIX}{kind}" for kind in CURRENT_WORKBOOKS] + ["daily_reminders"]
    return {name: f"{ENTRYPOINTS_FILE}:{name}" for name in names}


def deploy_all(plan: DeploymentPlan) -> list[str]:
    """Create (or update) the process work pool, the write limit and a deployment of every flow; their names."""
    from prefect import Flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.deployments.runner import RunnerDeployment
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.schedules import Cron

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(plan.work_pool)
            client.update_work_pool(plan.work_pool, WorkPoolUpdate(concurrency_limit=plan.pool_limit))
        except ObjectNotFound:
            try:
                client.create_work_pool(
                    WorkPoolCreate(name=plan.work_pool, type="process", concurrency_limit=plan.pool_limit)
                )
            except ObjectAlreadyExists:
                pass
        client.create_concurrency_limit(tag=WRITE_TAG, concurrency_limit=plan.write_limit)
    names = []
    for attribute, entrypoint in entrypoints().items():
        flow = Flow.from_source(source=str(plan.source.absolute()), entrypoint=entrypoint)
        assert isinstance(flow, Flow)  # called synchronously, from_source returns the flow itself
        schedule = [Cron(REMINDERS_CRON, timezone=REMINDERS_TIMEZONE)] if attribute == "daily_reminders" else None
        deployment = flow.to_deployment(name=DEPLOYMENT_NAME, work_pool_name=plan.work_pool, schedules=schedule)
        assert isinstance(deployment, RunnerDeployment)
        deployment.apply()
        names.append(f"{flow.name}/{DEPLOYMENT_NAME}")
    return names
