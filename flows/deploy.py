"""`imon deploy`: register the deployments of prefect.yaml on the Prefect server at PREFECT_API_URL.

Besides the deployments (the same ones `prefect deploy --all` makes from prefect.yaml), it creates
what a state office needs around them: the process work pool, the global concurrency limits
(flows/limits.py) and, given a webhook, the alert automations.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import yaml

from flows.settings import PROJECT_ROOT, Settings

PREFECT_FILE = PROJECT_ROOT / "prefect.yaml"
ALERT_BLOCK = "imon-alerts"
FAILED_AUTOMATION = "imon: run failed"
RECOVERED_AUTOMATION = "imon: run recovered"
FAILED_SUBJECT = "imon: run {{ flow_run.name }} ({{ deployment.name }}) {{ flow_run.state.name }}"
FAILED_BODY = ("imon run {{ flow_run.name }} of deployment imon/{{ deployment.name }} ended "
               "{{ flow_run.state.name }}.\n{{ flow_run.state.message }}")
RECOVERED_SUBJECT = "imon: recovered"
RECOVERED_BODY = "{{ event.payload.message }}"


@dataclass
class Deployed:
    """What `imon deploy` registered."""

    deployments: dict[str, UUID]  # "imon/monthly" → id
    pool: str
    pool_created: bool
    limits_created: list[str]
    alerts: bool


def deployment_definitions(prefect_file: Path = PREFECT_FILE) -> list[dict]:
    """The deployments section of prefect.yaml."""
    return yaml.safe_load(prefect_file.read_text(encoding="utf-8"))["deployments"]


def check_cron(cron: str | None, option: str = "--cron") -> None:
    """ValueError naming the option when `cron` is given and is not a cron expression Prefect schedules."""
    from prefect.schedules import Cron

    if cron is None:
        return
    try:
        Cron(cron, timezone="Europe/Berlin")
    except ValueError:
        raise ValueError(f"{option} {cron!r} is not a cron expression: five fields, minute hour day-of-month month "
                         "day-of-week, e.g. '0 5 2 * *' (05:00 on the 2nd of every month); nothing was deployed") from None


def deploy(pool: str, *, settings: Settings, cron: str | None = None, updates_cron: str | None = None,
           webhook_url: str | None = None, prefect_file: Path = PREFECT_FILE) -> Deployed:
    """Create the work pool if missing, the limits, the deployments of prefect.yaml on `pool`, and the alerts."""
    check_cron(cron, "--cron")
    check_cron(updates_cron, "--updates-cron")
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.deployments.runner import RunnerDeployment
    from prefect.runner.storage import LocalStorage
    from prefect.schedules import Cron

    from flows.limits import GENESIS_PARALLEL_REQUESTS, WAREHOUSE_LIMIT, ensure_limit, genesis_limits

    pool_created = _ensure_process_pool(pool)
    limits_created = [name for name, limit in [(WAREHOUSE_LIMIT, 1)] + [(n, GENESIS_PARALLEL_REQUESTS)
                                                                           for n in genesis_limits(settings)]
                      if ensure_limit(name, limit)]
    cron_of = {"monthly": cron, "updates": updates_cron}
    ids: dict[str, UUID] = {}
    with contextlib.chdir(prefect_file.parent):  # entrypoints are relative to the project, as for `prefect deploy`
        for definition in deployment_definitions(prefect_file):
            schedules = [Cron(cron_of.get(definition["name"]) or s["cron"], timezone=s.get("timezone"))
                         for s in definition.get("schedules") or []]
            limit = definition.get("concurrency_limit") or {}
            deployment = RunnerDeployment.from_entrypoint(
                definition["entrypoint"], name=definition["name"], schedules=schedules,
                concurrency_limit=ConcurrencyLimitConfig(limit=limit["limit"],
                                                         collision_strategy=limit["collision_strategy"]) if limit else None,
                parameters=definition.get("parameters") or {}, description=definition.get("description"),
                tags=definition.get("tags"), work_pool_name=pool,
            )
            deployment.storage = LocalStorage(path=str(prefect_file.parent.resolve()))
            ids[f"{deployment.flow_name}/{deployment.name}"] = deployment.apply()
    alerts = webhook_url is not None or _block_exists(ALERT_BLOCK)
    if alerts:
        create_alerts(list(ids.values()), webhook_url)
    return Deployed(ids, pool, pool_created, limits_created, alerts)


def _ensure_process_pool(pool: str) -> bool:
    """Create a process work pool named `pool` unless one exists; True if created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
            return False
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(
                name=pool, type=ProcessWorker.type,
                base_job_template=ProcessWorker.get_default_base_job_template(),
                description="imon: runs the imon deployments as local processes (prefect worker start --pool)"))
            return True


def _block_exists(name: str) -> bool:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    try:
        CustomWebhookNotificationBlock.load(name)
        return True
    except ValueError:
        return False


def create_alerts(deployment_ids: list[UUID], webhook_url: str | None) -> None:
    """The webhook block (saved when a URL is given) and two automations: a run failed or crashed; a run recovered."""
    from prefect.automations import Automation
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    if webhook_url is not None:
        CustomWebhookNotificationBlock(
            name=ALERT_BLOCK, url=webhook_url, method="POST",
            json_data={"subject": "{{subject}}", "body": "{{body}}", "text": "{{subject}}\n{{body}}"},
        ).save(ALERT_BLOCK, overwrite=True)
    block_id = CustomWebhookNotificationBlock.load(ALERT_BLOCK)._block_document_id
    with get_client(sync_client=True) as client:
        for name in (FAILED_AUTOMATION, RECOVERED_AUTOMATION):
            for existing in client.read_automations_by_name(name):
                client.delete_automation(existing.id)
    Automation(
        name=FAILED_AUTOMATION,
        description="A run of an imon deployment failed or crashed: tell the office (webhook block imon-alerts).",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "deployment",
                           "prefect.resource.id": [f"prefect.deployment.{i}" for i in deployment_ids]},
            posture=Posture.Reactive, threshold=1),
        actions=[SendNotification(block_document_id=block_id, subject=FAILED_SUBJECT, body=FAILED_BODY)],
    ).create()
    Automation(
        name=RECOVERED_AUTOMATION,
        description="An imon run completed after a failed or crashed one (event imon.run.recovered).",
        trigger=EventTrigger(expect={"imon.run.recovered"}, match={"prefect.resource.id": "prefect.flow-run.*"},
                             posture=Posture.Reactive, threshold=1),
        actions=[SendNotification(block_document_id=block_id, subject=RECOVERED_SUBJECT, body=RECOVERED_BODY)],
    ).create()
