"""The flows a state office deploys on a Prefect server: `imon/monthly`, `imon/updates` and `imon/backfill`.

Each holds the warehouse slot (flows/limits.py) while it writes, records what it did as a Markdown
artifact, fails when a table failed (the alert automation reports it) and says when it recovered.
Deployed by `imon deploy` (flows/deploy.py) or `prefect deploy --all` from prefect.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE as NO_CACHE
from pydantic import Field

from flows.limits import source_slot, warehouse_slot
from flows.pipeline import RunSummary, _source_files, pipeline
from flows.settings import GENESIS_INSTANCES, Settings, load_settings
from sources.catalog import load_table_specs
from sources.errors import SourceError
from sources.landing import landed_files

CREDENTIALS_BLOCK = "imon-credentials"  # a Prefect Secret block: {"IMON_REGIO_USERNAME": "…", …}
RECOVERED_EVENT = "imon.run.recovered"
RUN_ARTIFACT = "imon-run"  # one key: the UI shows every run's summary as the versions of one artifact
UPDATES_ARTIFACT = "imon-source-updates"
GENESIS_TIME_ZONE = ZoneInfo("Europe/Berlin")  # metadata/table gives `Updated` as German local time
FIRST_YEAR, LAST_YEAR = 1950, 2100  # the reference years a backfill may ask for
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


class RunFailed(RuntimeError):
    """A deployed run that loaded, built or published less than it should; the message names what and why."""


@flow(name="imon", log_prints=False)
def monthly(warehouse: str | None = None, pull: bool = True) -> dict:
    """Full refresh: pull every configured table, validate, load, build and publish."""
    _credentials_from_block()
    _collapse_missed_runs()
    with warehouse_slot():
        summary = pipeline(warehouse=warehouse, pull=pull)
    return _finish(summary, "monthly")


@flow(name="imon", log_prints=False)
def updates(warehouse: str | None = None) -> dict:
    """Ask each source when its tables were last updated; pull and build only those changed since the landed copy."""
    _credentials_from_block()
    _collapse_missed_runs()
    settings = load_settings(warehouse=warehouse)
    checks = [check_source.submit(spec_name, settings) for spec_name in table_names(settings)]
    results = [check.result() for check in checks]
    changed = [r.table for r in results if r.changed]
    create_markdown_artifact(key=UPDATES_ARTIFACT, markdown=_updates_markdown(results),
                             description="When each source last updated its tables, against the landed copy")
    if not changed:
        get_run_logger().info("no source changed since the landed copies: nothing pulled, nothing built")
        return {"changed": [], "outcome": "unchanged"}
    with warehouse_slot():
        summary = pipeline(warehouse=warehouse, tables=changed)
    return {"changed": changed, **_finish(summary, "updates")}


@flow(name="imon", log_prints=False)
def backfill(first_year: Year, last_year: Year, tables: list[str] | None = None,
             warehouse: str | None = None) -> dict:
    """Pull the service tables again for each reference year from first_year to last_year (one run per year), then build."""
    settings = load_settings(warehouse=warehouse)
    years = check_backfill(first_year, last_year, tables, table_names(settings))
    _credentials_from_block()
    outcomes = {}
    with warehouse_slot():
        for year in years:
            summary = pipeline.with_options(flow_run_name=f"backfill-{year}")(
                warehouse=warehouse, tables=tables, reference_year=year)
            outcomes[year] = _finish(summary, f"backfill {year}", raise_on_failure=False)
    failed = {year: o for year, o in outcomes.items() if o["outcome"] != "success"}
    if failed:
        raise RunFailed("; ".join(f"{year}: {o['message']}" for year, o in failed.items()))
    _say_if_recovered()
    return {"years": years, "outcomes": outcomes}


def check_backfill(first_year: int, last_year: int, tables: list[str] | None, known: list[str]) -> list[int]:
    """The reference years of a backfill, first to last; ValueError naming what is wrong (nothing may run then)."""
    for year in (first_year, last_year):
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"backfill: year {year} is outside {FIRST_YEAR}-{LAST_YEAR}; nothing was run")
    if first_year > last_year:
        raise ValueError(f"backfill: first year {first_year} is after last year {last_year}; nothing was run")
    unknown = sorted(set(tables or []) - set(known))
    if unknown:
        raise ValueError(f"backfill: unknown table(s) {', '.join(unknown)}; see sources/tables.yaml; nothing was run")
    return list(range(first_year, last_year + 1))


# --- the source-update check ---------------------------------------------------------------------

@dataclass
class SourceCheck:
    """One table: when its source last changed, when the landed copy was fetched, and whether to pull it."""

    table: str
    source: str
    source_updated: datetime | None
    landed: datetime | None
    changed: bool
    note: str = ""


def table_names(settings: Settings) -> list[str]:
    """The names of the configured tables (sources/tables.yaml or IMON_TABLES_FILE)."""
    return [spec.name for spec in load_table_specs(settings.tables_file)]


@task(name="check source", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10)
def check_source(table: str, settings: Settings) -> SourceCheck:
    """Has the table changed at its source since the landed copy? Unknown dates pull nothing (the monthly run does)."""
    spec = next(s for s in load_table_specs(settings.tables_file) if s.name == table)
    files = landed_files(settings.landing_dir, source=spec.source, table=spec.table)
    landed = max((f.fetched_at for f in files), default=None)
    if spec.is_file_source:
        try:
            paths = _source_files(spec, settings)
        except SourceError as error:
            return SourceCheck(table, spec.source, None, landed, False, f"not checked: {error}")
        at_source = {(p.name, datetime.fromtimestamp(p.stat().st_mtime, timezone.utc)) for p in paths}
        in_landing = {(f.parameters.get("file"), f.fetched_at) for f in files}
        changed = not at_source <= in_landing
        return SourceCheck(table, spec.source, max(t for _, t in at_source), landed, changed,
                           "file changed" if changed else "")
    if spec.source not in GENESIS_INSTANCES:
        return SourceCheck(table, spec.source, None, landed, False, "no update date at this source")
    from offline.replay import client_for
    from sources.genesis import GenesisStatusError

    try:
        with source_slot(spec.source, settings):
            metadata = client_for(spec.source, settings.environ).metadata_table(spec.table)
    except GenesisStatusError as error:
        return SourceCheck(table, spec.source, None, landed, False, f"no metadata: {error}")
    updated = parse_genesis_time(metadata.get("Updated"))
    if updated is None:
        return SourceCheck(table, spec.source, None, landed, False, f"no update date ({metadata.get('Updated')!r})")
    if landed is None:
        return SourceCheck(table, spec.source, updated, None, True, "never landed")
    return SourceCheck(table, spec.source, updated, landed, updated > landed)


def parse_genesis_time(text: str | None) -> datetime | None:
    """`20.08.2024 10:27:35h` (German local time) as an aware datetime; None for anything else."""
    try:
        return datetime.strptime((text or "").strip(), "%d.%m.%Y %H:%M:%Sh").replace(tzinfo=GENESIS_TIME_ZONE)
    except ValueError:
        return None


def _updates_markdown(results: list[SourceCheck]) -> str:
    changed = [r.table for r in results if r.changed]
    lines = [f"# Source updates: {len(changed)} of {len(results)} tables changed",
             "", "| table | source | updated at source | landed copy | pull | note |", "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.table} | {r.source} | {_when(r.source_updated)} | {_when(r.landed)} | "
                     f"{'yes' if r.changed else 'no'} | {r.note.replace('|', '/')} |")
    return "\n".join(lines)


# --- end of a run: artifact, failure, recovery ------------------------------------------------------

def _finish(summary: RunSummary, kind: str, *, raise_on_failure: bool = True) -> dict:
    """Record the run as an artifact; fail the Prefect run when a table or the build failed, else say if it recovered."""
    failed = [t for t in summary.tables if t.status in ("rejected", "failed")]
    messages = [f"failed table {t.name}: {t.message}" for t in failed]
    if summary.build_error:
        messages.append(f"model build failed: {summary.build_error}")
    messages += [f"indicator withheld: {name}" for name in summary.withheld]
    create_markdown_artifact(key=RUN_ARTIFACT, markdown=_run_markdown(summary, kind),
                             description=f"imon {kind} run {summary.run_id}: {summary.outcome}")
    result = {"run_id": summary.run_id, "outcome": summary.outcome, "message": "; ".join(messages),
              "published": summary.published.name if summary.published else None,
              "tables": {t.name: t.status for t in summary.tables}}
    if summary.outcome != "success" and raise_on_failure:
        raise RunFailed(f"imon {kind} run {summary.run_id}: " + "; ".join(messages))
    if raise_on_failure:
        _say_if_recovered()
    return result


def _run_markdown(summary: RunSummary, kind: str) -> str:
    published = summary.published.name if summary.published else "nothing new (readers keep the current snapshot)"
    lines = [f"# imon {kind} run {summary.run_id}: {summary.outcome}", "",
             f"- published snapshot: {published}",
             f"- models: {summary.models_built if summary.models_built is not None else 'up to date, not rebuilt'}",
             f"- warehouse: {summary.warehouse_path}", "",
             "| table | source | status | rows | message |", "|---|---|---|---|---|"]
    for t in summary.tables:
        message = (t.message or "; ".join(t.warnings) or "").replace("|", "/").replace("\n", " ")
        lines.append(f"| {t.name} | {t.label} | {t.status} | {t.rows if t.rows is not None else ''} | {message[:300]} |")
    if summary.build_error:
        lines += ["", f"Model build failed, previous build kept: {summary.build_error}"]
    if summary.withheld:
        lines += ["", f"Withheld from publication: {', '.join(summary.withheld)}"]
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _say_if_recovered() -> None:
    """After a failed or crashed imon deployment run, the next successful one emits `imon.run.recovered`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterDeploymentId,
                                                FlowRunFilterId, FlowRunFilterState, FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.events import emit_event
    from prefect.runtime import flow_run

    if not flow_run.id or not _deployment_id():
        return
    with get_client(sync_client=True) as client:
        previous = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["imon"])),
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(not_any_=[UUID(flow_run.id)]),
                deployment_id=FlowRunFilterDeploymentId(is_null_=False),
                state=FlowRunFilterState(type=FlowRunFilterStateType(
                    any_=[StateType.COMPLETED, StateType.FAILED, StateType.CRASHED]))),
            sort=FlowRunSort.END_TIME_DESC, limit=1)
    if not previous or previous[0].state_type not in (StateType.FAILED, StateType.CRASHED):
        return
    before = previous[0]
    message = (f"imon run {flow_run.name} completed after run {before.name} ended "
               f"{before.state_name}: the warehouse is up to date again")
    emit_event(event=RECOVERED_EVENT,
               resource={"prefect.resource.id": f"prefect.flow-run.{flow_run.id}",
                         "prefect.resource.name": flow_run.name},
               related=[{"prefect.resource.id": f"prefect.flow-run.{before.id}",
                         "prefect.resource.role": "previous-run", "prefect.resource.name": before.name}],
               payload={"message": message, "failed_run": before.name})
    get_run_logger().info(message)


def _deployment_id() -> str | None:
    from prefect.runtime import deployment

    return deployment.id


def _collapse_missed_runs() -> None:
    """After the worker was down, the scheduled runs it missed collapse into this one: the others are cancelled."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterDeploymentId, FlowRunFilterExpectedStartTime,
                                                FlowRunFilterId, FlowRunFilterState, FlowRunFilterStateType,
                                                FlowRunFilterTags)
    from prefect.client.schemas.objects import StateType
    from prefect.runtime import flow_run
    from prefect.states import Cancelled

    deployment_id = _deployment_id()
    if not deployment_id or not flow_run.id:
        return
    with get_client(sync_client=True) as client:
        missed = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(not_any_=[UUID(flow_run.id)]),
            deployment_id=FlowRunFilterDeploymentId(any_=[UUID(deployment_id)]),
            tags=FlowRunFilterTags(all_=["auto-scheduled"]),  # the scheduler's runs, not ones a person started
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING])),
            expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(timezone.utc))))
        for run in missed:
            client.set_flow_run_state(run.id, Cancelled(message=f"missed run, caught up by {flow_run.name}"), force=True)
    if missed:
        get_run_logger().info("caught up %d missed scheduled runs in this one", len(missed))


def _credentials_from_block() -> None:
    """GENESIS credentials kept in the Prefect Secret block imon-credentials, for this run's process only.

    The worker's environment wins over the block; only IMON_<INSTANCE>_USERNAME/_PASSWORD/_TOKEN are taken.
    """
    import os

    from prefect.blocks.system import Secret

    try:
        values = Secret.load(CREDENTIALS_BLOCK).get()
    except ValueError:  # no such block: the credentials come from the environment, or there are none
        return
    allowed = {f"IMON_{name.upper()}_{kind}" for name in GENESIS_INSTANCES for kind in ("USERNAME", "PASSWORD", "TOKEN")}
    for key, value in (values or {}).items():
        if key in allowed and value:
            os.environ.setdefault(key, str(value))


def recent_runs(limit: int = 10) -> list[tuple[str, str, str, str, str, str]]:
    """The latest runs of the imon deployments on the Prefect server: run, deployment, state, started, ended, message."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterTags, FlowRunFilter,
                                                FlowRunFilterExpectedStartTime)
    from prefect.client.schemas.sorting import FlowRunSort

    imon = DeploymentFilter(tags=DeploymentFilterTags(all_=["imon"]))
    with get_client(sync_client=True) as client:
        deployments = {d.id: d.name for d in client.read_deployments(deployment_filter=imon)}
        runs = client.read_flow_runs(  # runs due by now: the history, not the schedule ahead
            deployment_filter=imon, sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=limit,
            flow_run_filter=FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(
                before_=datetime.now(timezone.utc))))
    return [(r.name, f"imon/{deployments.get(r.deployment_id, '?')}", r.state_name or "", _when(r.start_time),
             _when(r.end_time), ((r.state.message if r.state else None) or "")[:80]) for r in runs]
