"""Running at a state office: a real Prefect server, `imon deploy`, a real worker, the deployed flows.

One server and one worker per database for the whole module: every test runs with the server on SQLite and
again on PostgreSQL (127.0.0.1:5432, a database of its own; without the server these fail, never skip). The
runs read a small catalogue (the register, the curated regions and two GENESIS tables of the offline sample)
so that each flow run costs seconds, not minutes. Every wait polls with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
import yaml

from tests import postgres_support

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POOL = "imon"  # the pool prefect.yaml names, so `prefect deploy --all` gives the same deployments
SMALL_CATALOGUE = ("municipality_register", "territorial_changes", "special_regions", "population_by_sex",
                   "employees_at_workplace_by_nationality")
RUN_DEADLINE = 900  # seconds; the machine this runs on may be shared and slow
POSTGRES = f"postgresql+asyncpg://{postgres_support.USER}@{postgres_support.HOST}:{postgres_support.PORT}/{{}}"

# end to end with real processes; a slow shared machine needs more than the suite's 600 s per test.
# The server's database holds the deployments, states, concurrency slots, events, blocks and automations: the
# issue asks for the same tests on both databases, so every test runs on SQLite and on PostgreSQL.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800),
              pytest.mark.parametrize("office", ["sqlite", "postgresql"], indirect=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(what: str, check, deadline: float, interval: float = 0.5):
    """Poll `check` until it returns something truthy; fail naming `what` after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(interval)


class Receiver:
    """A local HTTP endpoint that records the JSON bodies POSTed to it (the office's chat or mail gateway)."""

    def __init__(self):
        self.messages: list[dict] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(json.loads(body or b"{}"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, *parts: str, deadline: float = 180) -> dict:
        """The first message whose subject and body contain every one of `parts`."""
        def find():
            return next((m for m in list(self.messages)
                         if all(p in f"{m.get('subject')}\n{m.get('body')}" for p in parts)), None)
        return _wait_for(f"a notification containing {parts!r} (received: {self.messages!r})", find, deadline)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Office:
    """The Prefect server, the worker and what the tests need to talk to them."""

    api_url: str
    env: dict[str, str]
    receiver: Receiver
    directory: Path
    deploy_output: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def settings(self):
        from prefect.settings import PREFECT_API_URL, temporary_settings

        return temporary_settings(updates={PREFECT_API_URL: self.api_url})

    def client(self):
        from prefect.client.orchestration import get_client

        return get_client(sync_client=True)

    def trigger(self, name: str, **options):
        """Create a run of deployment `name` (imon/…) and return it at once."""
        from prefect.deployments import run_deployment

        with self.settings():
            return run_deployment(name, timeout=0, **options)

    def wait(self, run_id, deadline: float = RUN_DEADLINE):
        """The flow run once it reached a final state."""
        with self.settings(), self.client() as client:
            def final():
                run = client.read_flow_run(run_id)
                return run if run.state and run.state.is_final() else None
            return _wait_for(f"flow run {run_id} to finish", final, deadline, interval=1)

    def states(self, run_id) -> list[str]:
        with self.settings(), self.client() as client:
            return [state.name for state in client.read_flow_run_states(run_id)]


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _small_catalogue(directory: Path) -> Path:
    """sources/tables.yaml reduced to the SMALL_CATALOGUE tables, with the curated files' paths made absolute."""
    data = yaml.safe_load((ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8"))
    data["tables"] = [t for t in data["tables"] if t["name"] in SMALL_CATALOGUE]
    for table in data["tables"]:
        if str(table.get("path", "")).startswith("../"):
            table["path"] = str((ROOT / "offline" / "sample" / table["path"]).resolve())
    path = directory / "tables.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def office(request, tmp_path_factory):
    """A Prefect server (own PREFECT_HOME, free port; its database on SQLite or PostgreSQL), `imon deploy`, a worker."""
    directory = tmp_path_factory.mktemp(f"office-{request.param}")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("IMON_", "PREFECT_"))}
    env.update({
        "PREFECT_HOME": str(directory / "prefect-home"), "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_UI_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
        "IMON_TABLES_FILE": str(_small_catalogue(directory)),
        "IMON_WAREHOUSE": str(directory / "default" / "imon.duckdb"),
    })
    database = None
    if request.param == "postgresql":
        postgres_support.require()  # fails, naming host, port, user and error, when the server does not answer
        database = f"imon_prefect_{uuid.uuid4().hex[:12]}"
        postgres_support.execute(f"CREATE DATABASE {database}")
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = POSTGRES.format(database)
    receiver = Receiver()
    office = Office(api_url, env, receiver, directory, deploy_output="")
    try:
        server = _start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                        env, directory / "server.log")
        office.processes.append(server)

        def healthy():
            assert server.poll() is None, (directory / "server.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
            except OSError:
                return False
            import httpx
            try:
                return httpx.get(f"{api_url}/health", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False
        _wait_for("the Prefect server to answer", healthy, 300)
        deployed = subprocess.run([str(BIN / "imon"), "deploy", "--pool", POOL, "--webhook-url", receiver.url],
                                  env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        office.deploy_output = deployed.stdout
        office.processes.append(_start([str(BIN / "prefect"), "worker", "start", "--pool", POOL],
                                       env, directory / "worker.log"))
        yield office
    finally:
        for process in reversed(office.processes):
            _stop(process)
        receiver.stop()
        if database:
            postgres_support.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@dataclass
class MonthlyPair:
    runs: list  # the two flow runs, in the order they were triggered
    warehouse: Path


@pytest.fixture(scope="module")
def monthly_pair(office):
    """imon/monthly triggered twice back to back against the offline sample, both waited for."""
    warehouse = office.directory / "monthly" / "imon.duckdb"
    first = office.trigger("imon/monthly", parameters={"warehouse": str(warehouse)})
    second = office.trigger("imon/monthly", parameters={"warehouse": str(warehouse)})
    return MonthlyPair([office.wait(first.id), office.wait(second.id)], warehouse)


def _copy_warehouse(pair: MonthlyPair, target: Path) -> Path:
    """The monthly runs' warehouse with its landing zone and snapshots, to change in one test."""
    shutil.copytree(pair.warehouse.parent, target)
    return target / pair.warehouse.name


def _query(path: Path, sql: str, parameters=()):
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute(sql, list(parameters)).fetchall()
    finally:
        connection.close()


def _deployments(office) -> dict[str, dict]:
    """The imon deployments as the server holds them, without what differs between two registrations by nature."""
    with office.settings(), office.client() as client:
        deployments = client.read_deployments()
    result = {}
    for d in deployments:
        result[d.name] = {
            "entrypoint": d.entrypoint, "pull_steps": d.pull_steps, "path": d.path, "parameters": d.parameters,
            "parameter_schema": d.parameter_openapi_schema, "enforce_parameter_schema": d.enforce_parameter_schema,
            "schedules": [(s.schedule.cron, s.schedule.timezone, s.active) for s in d.schedules],
            "concurrency_limit": d.global_concurrency_limit.limit if d.global_concurrency_limit else None,
            "collision_strategy": d.concurrency_options.collision_strategy if d.concurrency_options else None,
            "tags": sorted(d.tags), "description": d.description, "work_pool": d.work_pool_name,
            "work_queue": d.work_queue_name, "job_variables": d.job_variables,
        }
    return result


def test_imon_deploy_registers_the_deployments_prefect_yaml_gives(office):
    by_imon = _deployments(office)
    assert set(by_imon) == {"monthly", "updates", "backfill"}
    assert by_imon["monthly"]["schedules"] == [("0 5 2 * *", "Europe/Berlin", True)]
    assert by_imon["updates"]["schedules"] == [("0 6 * * *", "Europe/Berlin", True)]
    assert by_imon["backfill"]["schedules"] == []
    for deployment in by_imon.values():
        assert (deployment["concurrency_limit"], deployment["collision_strategy"].value) == (1, "ENQUEUE")
        assert deployment["work_pool"] == POOL
    assert by_imon["backfill"]["parameter_schema"]["required"] == ["first_year", "last_year"]
    with office.settings(), office.client() as client:
        limit = client.read_global_concurrency_limit_by_name("imon-warehouse")
        pool = client.read_work_pool(POOL)
    assert (limit.limit, pool.type) == (1, "process")

    # the same file through Prefect's own command gives the same deployments
    deployed = subprocess.run([str(BIN / "prefect"), "--no-prompt", "deploy", "--all"], env=office.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert _deployments(office) == by_imon


def test_imon_deploy_cron_options_become_the_schedules_and_a_plain_deploy_restores_prefect_yaml(office):
    def deploy(*options):
        done = subprocess.run([str(BIN / "imon"), "deploy", "--pool", POOL, *options], env=office.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        with office.settings(), office.client() as client:
            return {d.name: (d.id, [(s.schedule.cron, s.schedule.timezone, s.active) for s in d.schedules])
                    for d in client.read_deployments()}

    before = deploy()
    try:
        changed = deploy("--cron", "15 3 1 1 *", "--updates-cron", "30 7 * * 1-5")
        assert changed == {"monthly": (before["monthly"][0], [("15 3 1 1 *", "Europe/Berlin", True)]),
                           "updates": (before["updates"][0], [("30 7 * * 1-5", "Europe/Berlin", True)]),
                           "backfill": (before["backfill"][0], [])}
    finally:
        # the schedules are prefect.yaml's again unless --cron and --updates-cron are given again (README: upgrade)
        assert deploy() == before
    assert before["monthly"][1] == [("0 5 2 * *", "Europe/Berlin", True)]


def test_two_monthly_runs_back_to_back_both_complete_one_after_the_other(office, monthly_pair):
    first, second = monthly_pair.runs
    assert [first.state.type.value, second.state.type.value] == ["COMPLETED", "COMPLETED"]
    # one waited for the other: their running times do not overlap, and one was held back by the limit
    earlier, later = sorted(monthly_pair.runs, key=lambda run: run.start_time)
    assert earlier.end_time <= later.start_time
    assert "AwaitingConcurrencySlot" in office.states(later.id) + office.states(earlier.id)
    # the warehouse recorded two successful runs and readers see one consistent snapshot
    runs = _query(monthly_pair.warehouse, "SELECT run_id, outcome FROM meta.run ORDER BY started_at")
    assert [outcome for _, outcome in runs] == ["success", "success"]
    published = monthly_pair.warehouse.parent / "published"
    current = published / (published / "CURRENT").read_text().strip()
    snapshot_run = _query(current, "SELECT run_id FROM meta.publication")
    assert snapshot_run and snapshot_run[0][0] in {run_id for run_id, _ in runs}
    assert _query(current, "SELECT count(*) FROM marts.indicator_value")[0][0] > 0
    # each run left its summary (per-table outcomes, the snapshot) as a Markdown artifact
    with office.settings(), office.client() as client:
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["imon-run"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[first.id, second.id])))
    assert len(artifacts) == 2
    assert any(current.name in artifact.data for artifact in artifacts)
    assert all("| population_by_sex |" in artifact.data for artifact in artifacts)


def test_a_failed_run_is_reported_and_the_next_success_says_recovered(office, monthly_pair, tmp_path):
    from sources.genesis import Download
    from sources.landing import land, landed_files

    warehouse = _copy_warehouse(monthly_pair, tmp_path / "office")
    landing = warehouse.parent / "landing"
    (good,) = landed_files(landing, source="regio", table="12411-01-01-4")
    original = good.path.read_bytes()

    def put(body: bytes):
        land(Download(body=body, content_type="application/zip", filename=good.path.name,
                      parameters=good.parameters, http_status=200, headers={}, fetched_at=datetime.now(timezone.utc)),
             landing_dir=landing, source="regio", table="12411-01-01-4")

    put(b"PK\x03\x04 this is not a zip file any more")  # a corrupted landing file
    failed = office.wait(office.trigger("imon/monthly", parameters={"warehouse": str(warehouse), "pull": False}).id)
    assert failed.state.type.value == "FAILED"
    rejected = _query(warehouse, "SELECT message FROM meta.table_load WHERE table_name = 'population_by_sex' "
                                 "AND status = 'rejected'")
    assert len(rejected) == 1 and rejected[0][0], "the run recorded why population_by_sex was rejected"
    why = rejected[0][0]
    alert = office.receiver.wait_for(failed.name, "Failed", "population_by_sex", why[:60])
    assert "imon/monthly" in alert["body"]

    put(original)  # the file as the source delivered it
    recovered = office.wait(office.trigger("imon/monthly", parameters={"warehouse": str(warehouse), "pull": False}).id)
    assert recovered.state.type.value == "COMPLETED"
    office.receiver.wait_for("recovered", recovered.name, failed.name)


def test_backfill_over_two_years_runs_exactly_those_years(office, monthly_pair, tmp_path):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    warehouse = _copy_warehouse(monthly_pair, tmp_path / "office")
    started = subprocess.run([str(BIN / "imon"), "backfill", "2022", "2023", "--table", "population_by_sex",
                              "--warehouse", str(warehouse)], env={**office.env, "COLUMNS": "300"}, cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stdout + started.stderr
    found = re.fullmatch(r"flow run (\S+) \(([0-9a-f-]{36})\) of imon/backfill: years 2022-2023 \(2 runs\), "
                         r"tables: population_by_sex", started.stdout.strip())
    assert found, started.stdout
    run = office.wait(uuid.UUID(found.group(2)))
    assert (run.name, run.parameters) == (found.group(1), {"first_year": 2022, "last_year": 2023,
                                                           "tables": ["population_by_sex"], "warehouse": str(warehouse)})
    assert run.state.type.value == "COMPLETED", run.state.message
    with office.settings(), office.client() as client:
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])))
    assert sorted((child.name, child.parameters.get("reference_year")) for child in children) == [
        ("backfill-2022", 2022), ("backfill-2023", 2023)]
    assert all(child.state.type.value == "COMPLETED" for child in children)
    # the landing zone holds the table asked for each year; the other tables were not asked again
    sidecars = [json.loads(p.read_text()) for p in (warehouse.parent / "landing").rglob("*.json")]
    years = sorted((s["table"], s["parameters"].get("startyear"), s["parameters"].get("endyear"))
                   for s in sidecars if "startyear" in s["parameters"])
    assert years == [("12411-01-01-4", "2022", "2022"), ("12411-01-01-4", "2023", "2023")]
    # the year files overlap the regular one: each reference time is loaded once
    duplicates = _query(warehouse, "SELECT count(*) FROM (SELECT reference_time, region_key, value_variable, "
                                   "ges FROM raw.population_by_sex GROUP BY ALL HAVING count(*) > 1)")
    assert duplicates == [(0,)]


def test_backfill_with_the_first_year_after_the_last_fails_before_anything_runs(office, monthly_pair):
    before = _query(monthly_pair.warehouse, "SELECT count(*) FROM meta.run")
    run = office.wait(office.trigger("imon/backfill", parameters={"first_year": 2024, "last_year": 2022,
                                                                  "warehouse": str(monthly_pair.warehouse)}).id)
    assert run.state.type.value == "FAILED"
    assert "first year 2024 is after last year 2022" in run.state.message
    assert _query(monthly_pair.warehouse, "SELECT count(*) FROM meta.run") == before


def test_daily_update_check_with_unchanged_sources_pulls_and_builds_nothing(office, monthly_pair, fake_genesis, tmp_path):
    warehouse = _copy_warehouse(monthly_pair, tmp_path / "office")
    current = (warehouse.parent / "published" / "CURRENT").read_text()
    counts = "SELECT (SELECT count(*) FROM meta.run), (SELECT count(*) FROM meta.model_build), " \
             "(SELECT count(*) FROM meta.table_load)"
    before = _query(warehouse, counts)
    environment = {**fake_genesis.environ("regio"), **fake_genesis.environ("destatis"), **fake_genesis.environ("zensus")}
    run = office.wait(office.trigger("imon/updates", parameters={"warehouse": str(warehouse)},
                                     job_variables={"env": environment}).id)
    assert run.state.type.value == "COMPLETED", run.state.message
    asked = sorted(request.form["name"] for request in fake_genesis.requests_to("metadata/table"))
    assert asked == ["12411-01-01-4", "13111-01-03-4"]
    assert fake_genesis.requests_to("data/tablefile") == []
    assert _query(warehouse, counts) == before
    assert (warehouse.parent / "published" / "CURRENT").read_text() == current
    # the checks held the GENESIS account's slots: the account's global concurrency limit exists with 3
    from flows.limits import genesis_limit_name
    from sources.genesis import instance_from_env

    with office.settings(), office.client() as client:
        limit = client.read_global_concurrency_limit_by_name(genesis_limit_name(instance_from_env("regio", environment)))
    assert limit.limit == 3


def _secret_places(office, run_id, warehouse: Path, secrets: list[str]) -> list[str]:
    """Where any of `secrets` shows up: the run's logs on the server, the worker's and server's output, the files
    beside the warehouse, and any value of any table of the warehouse and of the published snapshot."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    found = []
    with office.settings(), office.client() as client:
        logs, offset = [], 0
        while batch := client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=200,
                                        offset=offset):
            logs += [log.message for log in batch]
            offset += len(batch)
    assert len(logs) > 5, logs  # the run's log did reach the server
    texts = {"the run's logs on the server": "\n".join(logs)}
    texts |= {name: (office.directory / name).read_text(errors="replace") for name in ("worker.log", "server.log")}
    texts |= {str(path): path.read_bytes().decode("latin-1") for path in warehouse.parent.rglob("*") if path.is_file()}
    found += [f"{secret} in {place}" for place, text in texts.items() for secret in secrets if secret in text]
    published = warehouse.parent / "published"
    for database in (warehouse, published / (published / "CURRENT").read_text().strip()):
        tables = _query(database, "SELECT schema_name, table_name FROM duckdb_tables()")
        for schema, table in tables:  # every column of every row, as text (the file itself is compressed)
            for secret in secrets:
                if _query(database, f'SELECT count(*) FROM "{schema}"."{table}" t WHERE strpos(t::VARCHAR, ?) > 0',
                          [secret])[0][0]:
                    found.append(f"{secret} in {database.name} {schema}.{table}")
        assert {("meta", "run"), ("meta", "raw_file"), ("raw", "population_by_sex")} <= set(tables), tables
    return found


def test_daily_update_check_pulls_only_the_changed_table_with_the_secret_blocks_credentials_and_never_shows_them(
        office, monthly_pair, fake_genesis, tmp_path):
    from prefect.blocks.system import Secret

    from flows.operations import CREDENTIALS_BLOCK

    warehouse = _copy_warehouse(monthly_pair, tmp_path / "office")
    (sidecar,) = (warehouse.parent / "landing" / "regio" / "12411-01-01-4").glob("*.json")
    landed = json.loads(sidecar.read_text(encoding="utf-8"))
    landed["fetched_at"] = "2020-01-01T00:00:00+00:00"  # before the source's `Updated`: the copy is outdated
    sidecar.write_text(json.dumps(landed), encoding="utf-8")
    runs_before = _query(warehouse, "SELECT count(*) FROM meta.run")[0][0]
    environment = {**fake_genesis.environ("regio"), **fake_genesis.environ("destatis"), **fake_genesis.environ("zensus")}
    # the worker's run gets the service's addresses only; the account is in the Prefect Secret block imon-credentials
    credentials = {key: value for key, value in environment.items() if key.endswith(("_USERNAME", "_PASSWORD"))}
    assert len(credentials) == 6
    with office.settings():
        Secret(value=credentials).save(CREDENTIALS_BLOCK, overwrite=True)
    try:
        run = office.wait(office.trigger("imon/updates", parameters={"warehouse": str(warehouse)}, job_variables={
            "env": {key: value for key, value in environment.items() if key not in credentials}}).id)
    finally:
        with office.settings():
            Secret.delete(CREDENTIALS_BLOCK)  # the other runs of this module run offline
    assert run.state.type.value == "COMPLETED", run.state.message
    downloads = fake_genesis.requests_to("data/tablefile")
    assert [request.form["name"] for request in downloads] == ["12411-01-01-4"]
    assert (downloads[0].headers["username"], downloads[0].headers["password"]) == (
        fake_genesis.username, fake_genesis.password)  # taken from the block
    assert _secret_places(office, run.id, warehouse, [fake_genesis.username, fake_genesis.password]) == []
    (run_id,) = _query(warehouse, "SELECT run_id FROM meta.run ORDER BY started_at DESC LIMIT 1")[0]
    assert _query(warehouse, "SELECT count(*) FROM meta.run")[0][0] == runs_before + 1
    loaded = {name for (name,) in _query(warehouse, "SELECT table_name FROM meta.table_load WHERE run_id = ?", [run_id])}
    assert "population_by_sex" in loaded and "employees_at_workplace_by_nationality" not in loaded


def test_missed_scheduled_runs_collapse_into_one_catch_up_run(office, monthly_pair):
    # runs at past times with the scheduler's tag: what the scheduler leaves behind while no worker runs
    now = datetime.now(timezone.utc)
    missed = [office.trigger("imon/updates", parameters={"warehouse": str(monthly_pair.warehouse)},
                             tags=["auto-scheduled"], scheduled_time=now - timedelta(days=days))
              for days in (3, 2, 1)]
    finished = [office.wait(run.id) for run in missed]
    assert sorted(run.state.type.value for run in finished) == ["CANCELLED", "CANCELLED", "COMPLETED"]
    (catch_up,) = [run for run in finished if run.state.type.value == "COMPLETED"]
    for run in finished:
        if run is not catch_up:
            assert run.state.message == f"missed run, caught up by {catch_up.name}"


def test_imon_status_shows_the_server_runs_the_tables_and_the_published_snapshot(office, monthly_pair):
    shown = subprocess.run([str(BIN / "imon"), "status", "--warehouse", str(monthly_pair.warehouse)],
                           env={**office.env, "COLUMNS": "400"}, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    published = monthly_pair.warehouse.parent / "published"
    assert f"published snapshot: {(published / 'CURRENT').read_text().strip()}" in shown.stdout
    for run in monthly_pair.runs:
        assert run.name in shown.stdout, shown.stdout
    lines = shown.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "Tables in the last run" in line)
    last_run = "\n".join(lines[start:start + 12])
    for table in SMALL_CATALOGUE:
        assert table in last_run
    assert "Runs on the Prefect server" in shown.stdout
