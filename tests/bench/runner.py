"""The federal-scale benchmark: what the whole pipeline costs, next to the floor bare DuckDB sets.

`python -m tests.bench [--scale federal|tiny] [--years 25] [--seed 1] [--output BENCHMARKS.md] [--skip-service]`

1. writes the synthetic workload (tests/bench/workload.py) into a temporary landing zone;
2. runs each scenario in its own process, with IMON_WAREHOUSE / IMON_LANDING_DIR / PREFECT_HOME in
   the temporary directory, and samples that process tree's RSS every 50 ms (psutil):
   - `prefect start-up`: an empty Prefect flow, the fixed cost of Prefect's temporary server;
   - `full`: `run_pipeline(warehouse=…, pull=False)` (= `imon run --no-pull`) on a fresh warehouse (parse, validate, load, build,
     audit, publish);
   - `no-change re-run`: the same again with nothing changed;
   - `floor`: the same work as bare DuckDB (tests/bench/floor.py), on the same landing zone;
   - `incremental`: one more year of one table written into its landing file, then the same;
3. loads the query service (tests/bench/service_load.py) on the published snapshot;
4. prints a table and writes BENCHMARKS.md (machine, workload, numbers, targets, where the time goes).

Every pipeline scenario times its phases from inside (the flow's own functions wrapped with a
clock: parse, stage, expectations, load, build, audit, publish, and Prefect's own share), so every run
says where its time goes; with `--profile always` (or `auto`: when a target is missed) the full
scenario is run once more under pyinstrument and its top functions are listed.

The benchmark is not a test: CI runs only `--scale tiny --skip-service` (tests/test_bench.py).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from tests.bench.reports import TARGET_REPORTS_S

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GB = 1024 ** 3
MB = 1024 ** 2

# the targets, on a 2-core machine
TARGET_FLOOR_RATIO = 2.0
TARGET_RERUN_S = 2.0  # issue #14: a no-change re-run within 2 s
TARGET_INCREMENTAL_SHARE = 0.10
TARGET_PEAK_RSS = 1.5 * GB  # issue #14: the run's process tree at 25 years (was 2 GB, issue #7)
TARGET_PROFILE_P95_MS = 50.0
TARGET_MAP_P95_MS = 200.0  # issue #21: the map page answers in < 200 ms from a warm snapshot

DEFAULT_INCREMENTAL_TABLE = "employees_at_workplace_by_nationality"
SAMPLE_INTERVAL_S = 0.05


# --- measuring a process -----------------------------------------------------------------------------------


@dataclass
class Measured:
    """One scenario process: wall time as a user sees it, peak RSS of its process tree, what it reported."""

    name: str
    wall_s: float
    peak_rss: int  # bytes, the process and its children (Prefect's server), sampled every 50 ms
    returncode: int
    result: dict[str, Any] = field(default_factory=dict)
    log: Path | None = None

    @property
    def self_peak_rss(self) -> int | None:
        """The scenario process's own peak RSS (getrusage), reported back by the child."""
        value = self.result.get("ru_maxrss_kb")
        return value * 1024 if value else None

    @property
    def peak(self) -> int:
        return max(self.peak_rss, self.self_peak_rss or 0)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "wall_s": round(self.wall_s, 3), "peak_rss": self.peak, "tree_peak_rss": self.peak_rss,
                "self_peak_rss": self.self_peak_rss, "returncode": self.returncode, "result": self.result,
                "log": str(self.log) if self.log else None}


def tree_rss(process) -> int:
    """RSS of a process and all its descendants (bytes); processes that ended meanwhile count 0."""
    import psutil

    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(name: str, command: list[str], *, env: dict[str, str], log: Path, result_path: Path | None = None,
            timeout_s: float = 3600) -> Measured:
    """Run `command`, sampling its process tree's RSS every 50 ms; its JSON result is read from `result_path`."""
    import psutil

    if result_path:
        result_path.unlink(missing_ok=True)
    started = time.perf_counter()
    with open(log, "w") as output:
        process = psutil.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process))
            if time.perf_counter() - started > timeout_s:
                for child in process.children(recursive=True):
                    child.kill()
                process.kill()
                break
            time.sleep(SAMPLE_INTERVAL_S)
        returncode = process.wait()
    wall = time.perf_counter() - started
    result = {}
    if result_path and result_path.exists():
        result = json.loads(result_path.read_text(encoding="utf-8"))
    return Measured(name=name, wall_s=wall, peak_rss=peak, returncode=returncode, result=result, log=log)


# --- inside a scenario process: a clock around the flow's own functions ----------------------------------------


class PhaseClock:
    """Exclusive time per `stage / leaf`: a wrapped function's time minus that of wrapped functions it calls."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[list] = []  # [key, stage, resumed_at]
        self.marks: dict[str, float] = {}

    def wrap(self, function: Callable, leaf: str, stage: str | None = None, mark: str | None = None) -> Callable:
        clock = self

        @functools.wraps(function)
        def timed(*args, **kwargs):
            now = time.perf_counter()
            if mark:  # the latest call: `run_pipeline` reads the settings once before the flow starts
                clock.marks[mark] = now
            outer = clock.stack[-1] if clock.stack else None
            current_stage = outer[1] if outer else (stage or "flow")
            key = f"{current_stage} / {leaf}"
            if outer:
                clock.seconds[outer[0]] += now - outer[2]
            entry = [key, current_stage, now]
            clock.stack.append(entry)
            clock.calls[key] += 1
            try:
                return function(*args, **kwargs)
            finally:
                end = time.perf_counter()
                clock.seconds[key] += end - entry[2]
                clock.stack.pop()
                if clock.stack:
                    clock.stack[-1][2] = end
                clock.marks["last_exit"] = end

        return timed

    def patch(self, owner: Any, attribute: str, leaf: str, stage: str | None = None, mark: str | None = None) -> None:
        original = getattr(owner, attribute, None)
        if original is None:
            return
        try:
            setattr(owner, attribute, self.wrap(original, leaf, stage, mark))
        except (AttributeError, TypeError):
            pass  # some classes refuse new attributes: that phase is then counted in its caller

    def install(self) -> None:
        """Wrap the functions of flows/pipeline.py and what they call, by phase."""
        import flows.pipeline as flow
        from warehouse import loading, models, quality

        self.patch(flow, "load_settings", "settings", stage="flow setup", mark="body_start")
        self.patch(flow, "load_table_specs", "table specs", stage="flow setup")
        self.patch(quality.QualityGate, "__init__", "GX context", stage="flow setup")
        self.patch(flow._AlreadyLanded, "result", "read landing zone", stage="land")
        self.patch(flow, "connect", "open DuckDB")
        for task_name, stage in (("ingest_table", "ingest"), ("build_warehouse", "build"),
                                 ("audit_indicators", "audit"), ("publish_snapshot", "publish")):
            task = getattr(flow, task_name)
            try:
                task.fn = self.wrap(task.fn, "own code", stage)
            except (AttributeError, TypeError):
                pass
            setattr(flow, task_name, self.wrap(task, "prefect task engine", stage))
        self.patch(flow, "_parse_files", "parse (Python)")
        self.patch(flow, "stage_ffcsv", "parse (DuckDB)")
        self.patch(flow, "_read_register", "region keys")
        self.patch(quality, "annotate_region_keys", "region keys")
        self.patch(quality, "stage_frame", "stage into DuckDB")
        self.patch(quality.QualityGate, "validate", "validate (python)")
        self.patch(quality.QualityGate, "_run_derived", "derived checks (SQL)")
        self.patch(quality.QualityGate, "_run", "expectations (SQL)")
        self.patch(quality.QualityGate, "_store", "GX results")
        # Data Docs are built once per run (QualityGate.build_docs); GX itself is imported only when a
        # table or indicator is validated, so a run with nothing to do never pays its import
        self.patch(quality.QualityGate, "build_docs", "GX Data Docs")
        self.patch(loading, "load_table", "load into DuckDB")
        for name in ("record_validation", "record_table_load", "loaded_fingerprint", "previous_row_count", "start_run",
                     "finish_run"):
            self.patch(loading, name, "bookkeeping")
        self.patch(loading, "record_quarantine", "quarantine rows")
        self.patch(models, "build_models", "SQL models")
        self.patch(models, "fingerprint", "fingerprint")
        self.patch(quality, "audit_indicator", "indicator checks")
        self.patch(models, "withhold_indicators", "withhold")
        self.patch(flow, "publish", "copy snapshot")
        self.patch(flow, "loading_has_models", "summary", stage="summary")
        self.patch(flow, "_indicator_coverage", "summary", stage="summary", mark="coverage")


def _maxrss_kb() -> int:
    """This process's peak RSS in kB (VmHWM), or its children's if higher.

    Not RUSAGE_SELF: Linux keeps a process's RSS high-water mark across exec, and a child forked from
    the benchmark starts with the benchmark's RSS (3.3 GB after writing the 25-year workload, 2026-12-07), so
    every scenario reported at least that. VmHWM belongs to the address space, which exec replaces.
    A grandchild's ru_maxrss has the same quirk, but is bounded by this process's own peak.
    """
    import resource

    with open("/proc/self/status", encoding="ascii") as status:
        own = next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def child_pipeline(warehouse: str, result_path: Path, profile_path: Path | None) -> int:
    """One pipeline scenario as `imon run --no-pull` runs it: the no-change check first (flows/unchanged.py, no
    Prefect), then, when anything changed, the flow (`flows.pipeline.pipeline`), timed by phase; the numbers go to
    `result_path`."""
    began = time.perf_counter()
    import flows.unchanged as unchanged

    imported = time.perf_counter()
    clock = PhaseClock()
    lines: list[tuple[float, str]] = []

    class Capture(logging.Handler):
        def emit(self, record):  # each progress line with the process's peak RSS so far: which table raised it
            lines.append((time.perf_counter(), record.getMessage(), _maxrss_kb()))

    progress = logging.getLogger("imon.progress")
    progress.addHandler(Capture())
    progress.addHandler(logging.StreamHandler(sys.stderr))
    progress.setLevel(logging.INFO)
    progress.propagate = False

    profiler = None
    if profile_path:  # sampled wall-clock time, waits included (Prefect's server, locks, child processes)
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    from flows.settings import load_settings
    from warehouse.models import fingerprint

    settings = load_settings(warehouse=warehouse)
    sql_fingerprint = fingerprint(settings.sql_dir, settings.model_variables())
    called = time.perf_counter()
    summary = unchanged.unchanged_run(warehouse, None, True)
    checked = flow_called = time.perf_counter()
    if summary is not None:  # the whole run: recorded without the flow
        clock.seconds["flow setup / no-change check"] += checked - called
    else:  # something changed: as by the CLI, Prefect's temporary server starts, then Prefect, pandas and GX are imported
        from flows import prefect_server
        from flows.cli import load_pipeline

        pipeline = load_pipeline()
        clock.install()
        flow_called = time.perf_counter()
        imported += flow_called - checked
        with prefect_server.api():  # the rest of the server's start-up counts as Prefect's
            summary = pipeline(warehouse=warehouse, pull=False)
    returned = time.perf_counter()
    if profiler:
        session = profiler.stop()
        session.save(str(profile_path))
        profile_path.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
    body_start = clock.marks.get("body_start", called)
    body_end = clock.marks.get("last_exit", returned)
    phases = {key: round(value, 4) for key, value in sorted(clock.seconds.items(), key=lambda kv: -kv[1])}
    result = {
        "import_s": imported - began,
        "flow_call_s": returned - called - (flow_called - checked),
        "prefect_start_up_s": max(0.0, body_start - flow_called),
        "body_s": body_end - body_start,
        "prefect_teardown_s": returned - body_end,
        "phases": phases,
        "phase_calls": dict(clock.calls),
        "untracked_body_s": (body_end - body_start) - sum(clock.seconds.values()),
        "sql_fingerprint": sql_fingerprint,
        "outcome": summary.outcome,
        "models_built": summary.models_built,
        "published": str(summary.published) if summary.published else None,
        "withheld": summary.withheld,
        "tables": [{"name": o.name, "status": o.status, "rows": o.rows, "message": (o.message or "")[:500],
                    "warnings": len(o.warnings)} for o in summary.tables],
        "indicator_rows": _indicator_rows(summary.warehouse_path),
        "progress": [(round(t - called, 3), message, rss) for t, message, rss in lines],
    }
    result["ru_maxrss_kb"] = _maxrss_kb()
    result_path.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return 0


def _indicator_rows(warehouse_path: Path) -> dict[str, int] | None:
    import duckdb

    try:
        connection = duckdb.connect(str(warehouse_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows, values = connection.execute("SELECT count(*), count(value) FROM marts.indicator_value").fetchone()
        return {"rows": rows, "values": values}
    except duckdb.Error:
        return None
    finally:
        connection.close()


def child_noop(result_path: Path) -> int:
    """An empty Prefect flow: what Prefect's temporary server (started as `imon run` starts it) and one flow run cost."""
    began = time.perf_counter()
    from flows import prefect_server  # also the project's quiet Prefect settings

    prefect_server.start()
    from prefect import flow

    imported = time.perf_counter()

    @flow(name="imon-bench-noop")
    def noop() -> int:
        return 1

    called = time.perf_counter()
    with prefect_server.api():
        noop()
    returned = time.perf_counter()
    result_path.write_text(json.dumps({"import_s": imported - began, "flow_call_s": returned - called,
                                       "ru_maxrss_kb": _maxrss_kb()}), encoding="utf-8")
    return 0


def child_floor(landing: Path, database: Path, result_path: Path) -> int:
    began = time.perf_counter()
    from tests.bench.floor import run_floor

    imported = time.perf_counter()
    result = run_floor(landing, database, progress=lambda line: print(line, file=sys.stderr, flush=True))
    result["import_s"] = imported - began
    result["ru_maxrss_kb"] = _maxrss_kb()
    result_path.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return 0


# --- the workload ------------------------------------------------------------------------------------------------


def find_landing(directory: Path, specs) -> Path:
    """The landing zone the workload wrote: `directory` itself or its `landing/` folder."""
    for candidate in (directory, directory / "landing"):
        if any((candidate / spec.source / spec.table).is_dir() for spec in specs):
            return candidate
    raise SystemExit(f"the workload wrote no landing zone (<source>/<table>/ folders) into {directory}")


def landing_stats(landing: Path, specs) -> dict[str, Any]:
    """Tables, files and bytes in the landing zone (sidecars not counted)."""
    tables, files, size = {}, 0, 0
    for spec in specs:
        directory = landing / spec.source / spec.table
        paths = [p for p in directory.glob("*") if p.is_file() and not p.name.endswith(".json") and not p.name.startswith(".")]
        if paths:
            tables[spec.name] = {"files": len(paths), "bytes": sum(p.stat().st_size for p in paths), "layout": spec.layout,
                                 "zipped": any(p.suffix == ".zip" for p in paths), "file_layout": _file_layout(spec, paths[0])}
            files += len(paths)
            size += tables[spec.name]["bytes"]
    return {"tables": len(tables), "files": files, "bytes": size, "per_table": tables}


def _file_layout(spec, path: Path) -> str:
    """The layout of a landed file as read (a zipped GENESIS file is looked at inside)."""
    import zipfile

    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as inner:
                start = inner.read(64)
        else:
            with open(path, "rb") as handle:
                start = handle.read(64)
    except (OSError, zipfile.BadZipFile, IndexError):
        return spec.layout
    return "ffcsv" if start.removeprefix(b"\xef\xbb\xbf").startswith(b"statistics_code;") else spec.layout


def add_one_year(landing: Path, scratch: Path, *, table: str, seed: int, years: int, scale: str, specs) -> dict[str, Any]:
    """Replace one table's landing files with the workload writer's files for `years + 1` years."""
    spec = next((s for s in specs if s.name == table), None)
    if spec is None:
        raise SystemExit(f"--incremental-table {table}: not a configured table")
    started = time.perf_counter()
    from tests.bench import workload

    workload.write_workload(scratch, seed=seed, years=years + 1, scale=scale, tables=[table],
                            last_year=workload.LAST_YEAR + 1)
    source_dir = find_landing(scratch, specs) / spec.source / spec.table
    target_dir = landing / spec.source / spec.table
    if not source_dir.is_dir():
        raise SystemExit(f"the workload writer wrote nothing for {table} into {scratch}")
    for path in target_dir.glob("*"):
        path.unlink()
    for path in source_dir.glob("*"):
        shutil.copy2(path, target_dir / path.name)
    shutil.rmtree(scratch, ignore_errors=True)
    return {"table": table, "seconds": round(time.perf_counter() - started, 2)}


# --- the machine ----------------------------------------------------------------------------------------------------


def machine_facts() -> dict[str, Any]:
    import duckdb
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(package: str) -> str:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed

        try:
            return installed(package)
        except PackageNotFoundError:
            return "not installed"

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    return {
        "cpu": cpu, "logical_cores": os.cpu_count(), "physical_cores": psutil.cpu_count(logical=False),
        "ram_bytes": psutil.virtual_memory().total, "os": platform.platform(), "python": platform.python_version(),
        "duckdb": duckdb.__version__, "prefect": version("prefect"), "great_expectations": version("great-expectations"),
        "pandas": version("pandas"), "fastapi": version("fastapi"), "uvicorn": version("uvicorn"),
        "commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain")),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# --- the benchmark ----------------------------------------------------------------------------------------------------


@dataclass
class Options:
    scale: str = "federal"
    years: int = 25
    seed: int = 1
    output: Path | None = PROJECT_ROOT / "BENCHMARKS.md"
    skip_service: bool = False
    skip_lake: bool = False
    workdir: Path | None = None
    keep: bool = False
    profile: str = "never"  # always, auto (when a target is missed), never
    incremental_table: str = DEFAULT_INCREMENTAL_TABLE
    clients: int = 20
    requests_per_client: int = 50
    max_seconds: float = 60.0
    quiet: bool = False
    notes: list[str] = field(default_factory=list)


def say(options: Options, text: str) -> None:
    if not options.quiet:
        print(text, file=sys.stderr, flush=True)


def scenario_env(work: Path, warehouse: Path, landing: Path) -> dict[str, str]:
    """The environment of a scenario process: everything of imon and Prefect inside the work directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMON_", "PREFECT_"))}
    env.update({
        "IMON_WAREHOUSE": str(warehouse), "IMON_LANDING_DIR": str(landing),
        "PREFECT_HOME": str(work / "prefect"),
        # on a busy shared machine the temporary server can take longer than Prefect's 20 s default to answer
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    })
    return env


def run_benchmark(options: Options) -> dict[str, Any]:
    """Every scenario, measured; returns the results (and writes the report when `options.output` is set)."""
    from sources.catalog import load_table_specs
    from flows.settings import load_settings

    started_at = datetime.now(timezone.utc)
    work = Path(options.workdir or tempfile.mkdtemp(prefix="imon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    specs = load_table_specs(load_settings({}).tables_file)
    results: dict[str, Any] = {"options": {k: str(v) for k, v in vars(options).items()}, "notes": list(options.notes),
                               "started_at": started_at.isoformat(),
                               "machine": machine_facts(), "workdir": str(work), "scenarios": {}}
    python = sys.executable
    try:
        say(options, f"bench: writing the {options.scale} workload ({options.years} years, seed {options.seed}) into {work}")
        began = time.perf_counter()
        from tests.bench import workload

        written = workload.write_workload(work / "workload", seed=options.seed, years=options.years, scale=options.scale)
        landing = find_landing(work / "workload", specs)
        results["workload"] = {"written_s": round(time.perf_counter() - began, 2), "writer": _jsonable(written),
                               **landing_stats(landing, specs)}
        say(options, f"bench: {results['workload']['files']} files, {results['workload']['bytes'] / MB:,.0f} MB "
                     f"in {results['workload']['written_s']} s")

        warehouse = work / "pipeline" / "imon.duckdb"
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        env = scenario_env(work, warehouse, landing)
        runner = [python, "-m", "tests.bench.runner"]

        def scenario(name: str, command: list[str], result_name: str) -> Measured:
            say(options, f"bench: {name} …")
            measured = measure(name, command, env=env, log=logs / f"{result_name}.log", result_path=work / f"{result_name}.json")
            results["scenarios"][name] = measured.as_dict()
            say(options, f"bench: {name}: {measured.wall_s:.1f} s, peak RSS {measured.peak / MB:,.0f} MB"
                         + (f" (exit {measured.returncode}, see {measured.log})" if measured.returncode else ""))
            if measured.returncode or not measured.result:
                raise ScenarioFailed(name, measured)
            return measured

        # Prefect's first use of a fresh PREFECT_HOME creates its database: done once here, not counted
        scenario("prefect first use", [*runner, "--child", "noop", "--result", str(work / "noop0.json")], "noop0")
        scenario("prefect start-up", [*runner, "--child", "noop", "--result", str(work / "noop.json")], "noop")
        pipeline_command = [*runner, "--child", "pipeline", "--warehouse", str(warehouse)]
        scenario("full", [*pipeline_command, "--result", str(work / "full.json")], "full")
        scenario("no-change re-run", [*pipeline_command, "--result", str(work / "rerun.json")], "rerun")
        floor_db = work / "floor" / "floor.duckdb"  # on the same landing zone as the full run
        scenario("floor", [*runner, "--child", "floor", "--landing", str(landing), "--database", str(floor_db),
                           "--result", str(work / "floor.json")], "floor")
        shutil.rmtree(floor_db.parent, ignore_errors=True)
        say(options, f"bench: writing one more year of {options.incremental_table}")
        results["incremental_change"] = add_one_year(landing, work / "workload-plus-one", table=options.incremental_table,
                                                     seed=options.seed, years=options.years, scale=options.scale, specs=specs)
        scenario("incremental", [*pipeline_command, "--result", str(work / "incremental.json")], "incremental")
        # every Kreis report as PDF from the snapshot just published (tests/bench/reports.py, issue #17)
        scenario("reports", [python, "-m", "tests.bench.reports", "--warehouse", str(warehouse), "--out", str(work / "reports"),
                             "--result", str(work / "reports.json"),
                             *(["--land", "10"] if options.scale == "tiny" else [])], "reports")  # tiny: Saarland only

        if options.skip_service:
            results["service"] = {"available": False, "reason": "skipped (--skip-service)"}
        else:
            from tests.bench.service_load import measure_service

            say(options, f"bench: query service, {options.clients} clients × {options.requests_per_client} requests …")
            results["service"] = measure_service({k: v for k, v in env.items() if k.startswith("IMON_")}, logs / "serve.log",
                                                 clients=options.clients, requests_per_client=options.requests_per_client,
                                                 max_seconds=options.max_seconds, seed=options.seed)
            say(options, f"bench: service: {results['service'].get('reason') or 'done'}")

        if options.skip_lake:
            results["lake"] = {"available": False, "reason": "skipped (--skip-lake)"}
        else:
            say(options, "bench: lake (DuckLake on the machine's PostgreSQL) …")
            results["lake"] = measure_lake(options, env, warehouse, work, logs)
            say(options, f"bench: lake: {results['lake'].get('reason') or 'done'}")

        results["targets"] = evaluate(results)
        missed = [t for t in results["targets"] if t["met"] is False]
        if options.profile == "always" or (options.profile == "auto" and missed):
            say(options, "bench: profiling the full scenario once more under pyinstrument …")
            profiled = work / "profiled" / "imon.duckdb"
            profiled.parent.mkdir(parents=True, exist_ok=True)
            profile_env = scenario_env(work, profiled, landing)
            session = work / "full.pyisession"  # and full.html beside it (--keep keeps both)
            measured = measure("full (pyinstrument)", [*runner, "--child", "pipeline", "--warehouse", str(profiled),
                                                       "--result", str(work / "profiled.json"), "--profile-path", str(session)],
                               env=profile_env, log=logs / "profiled.log", result_path=work / "profiled.json")
            if measured.returncode == 0 and session.exists():
                results["profile"] = {"wall_s": round(measured.wall_s, 2), "top": top_functions(session)}
    except ScenarioFailed as failure:
        results["failed"] = {"scenario": failure.name, "log_tail": _tail(failure.measured.log)}
        results["targets"] = evaluate(results)
    finally:
        results["finished_at"] = datetime.now(timezone.utc).isoformat()
        results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        if not options.keep and not results.get("failed"):
            shutil.rmtree(work, ignore_errors=True)
            results["workdir_removed"] = True
    if options.output:
        Path(options.output).write_text(markdown(results), encoding="utf-8")
    return results


def measure_lake(options: Options, env: dict[str, str], warehouse: Path, work: Path, logs: Path) -> dict[str, Any]:
    """Publish the incremental run's warehouse into a fresh DuckLake (catalog: a new PostgreSQL database), and load
    the query service reading that lake, as the service scenario loads the local snapshot."""
    from tests import postgres_support

    unreachable = postgres_support.reachable()
    if unreachable:
        return {"available": False, "reason": unreachable}
    from warehouse import lake

    with postgres_support.database("imon_bench_lake") as name:
        target = lake.Lake(f"postgres:dbname={name} host={postgres_support.HOST} port={postgres_support.PORT} "
                           f"user={postgres_support.USER}", str(work / "lake-data"))
        began = time.perf_counter()
        snapshot = lake.publish(warehouse, target, run_id="bench-lake")
        published_s = time.perf_counter() - began
        data_bytes = sum(f.stat().st_size for f in (work / "lake-data").rglob("*") if f.is_file())
        result: dict[str, Any] = {"available": True, "publish_s": round(published_s, 2), "snapshot_id": snapshot.snapshot_id,
                                  "data_bytes": data_bytes, "warehouse_bytes": warehouse.stat().st_size}
        if not options.skip_service:
            from tests.bench.service_load import measure_service

            lake_env = {k: v for k, v in env.items() if k.startswith("IMON_")}
            lake_env.update({"IMON_LAKE": target.catalog, "IMON_LAKE_DATA_PATH": target.data_path,
                             "IMON_SERVICE_DIR": str(work / "lake-service")})
            result["service"] = measure_service(lake_env, logs / "serve-lake.log", clients=options.clients,
                                                requests_per_client=options.requests_per_client,
                                                max_seconds=options.max_seconds, seed=options.seed)
        return result


class ScenarioFailed(RuntimeError):
    def __init__(self, name: str, measured: Measured):
        super().__init__(f"{name} failed (exit {measured.returncode}); log: {measured.log}")
        self.name, self.measured = name, measured


def _tail(path: Path | None, lines: int = 40) -> str:
    if not path or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# --- targets, profile, report -------------------------------------------------------------------------------------


def _scenario(results: dict[str, Any], name: str) -> dict[str, Any] | None:
    return results.get("scenarios", {}).get(name)


def _reports_seconds(reports: dict[str, Any]) -> float:
    """The reports scenario's wall time for every Kreis: when it wrote only a part (one Land), that time
    projected onto all of them (tests/bench/reports.py `projection`, at the rate of the part)."""
    result = reports.get("result") or {}
    regions, total = result.get("regions"), result.get("total_regions")
    if regions and total and regions < total:
        return reports["wall_s"] * total / regions
    return reports["wall_s"]


def _reports_measured(reports: dict[str, Any]) -> str:
    result = reports.get("result") or {}
    regions, total = result.get("regions"), result.get("total_regions")
    measured = f"{reports['wall_s']:.0f} s for {regions} Kreise"
    if regions and total and regions < total:
        measured += (f", projected {_reports_seconds(reports):.0f} s for {total} "
                     f"(judged by the projection; {result.get('cpu_seconds_per_region', '?')} CPU s per report)")
    return measured


def growth(results: dict[str, Any]) -> dict[str, Any]:
    """The numbers of one run that show how cost grows with data (for the report of another run: `--beside`)."""
    full, floor = _scenario(results, "full"), _scenario(results, "floor")
    incremental, rerun = _scenario(results, "incremental"), _scenario(results, "no-change re-run")
    profile = ((results.get("service") or {}).get("kinds") or {}).get("profile")
    tables = ((full or {}).get("result") or {}).get("tables") or []
    return {
        "years": (results.get("options") or {}).get("years"), "commit": (results.get("machine") or {}).get("commit"),
        "started_at": results.get("started_at"),
        "raw_rows": sum(t.get("rows") or 0 for t in tables) if tables else None,
        "landed_bytes": (results.get("workload") or {}).get("bytes"),
        "full_s": full["wall_s"] if full else None, "floor_s": floor["wall_s"] if floor else None,
        "peak_rss": max((s["peak_rss"] for s in (full, incremental, rerun) if s), default=None),
        "incremental_s": incremental["wall_s"] if incremental else None,
        "rerun_s": rerun["wall_s"] if rerun else None,
        "profile_p95_ms": profile["p95_ms"] if profile else None,
    }


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets against what was measured; `met` is None when it could not be measured."""
    numbers = growth(results)
    full_s, floor_s, incremental_s = numbers["full_s"], numbers["floor_s"], numbers["incremental_s"]
    rerun_s, peak = numbers["rerun_s"], numbers["peak_rss"]
    targets = []

    def target(name: str, goal: str, measured: str | None, met: bool | None, key: str) -> None:
        targets.append({"key": key, "target": name, "goal": goal, "measured": measured or "not measured", "met": met})

    if full_s and floor_s:
        ratio = full_s / floor_s
        target("full pipeline / floor (wall time)", f"≤ {TARGET_FLOOR_RATIO:g}×", f"{ratio:.1f}×", ratio <= TARGET_FLOOR_RATIO,
               "floor_ratio")
    else:
        target("full pipeline / floor (wall time)", f"≤ {TARGET_FLOOR_RATIO:g}×", None, None, "floor_ratio")
    target("no-change re-run", f"< {TARGET_RERUN_S:g} s", f"{rerun_s:.1f} s" if rerun_s is not None else None,
           rerun_s < TARGET_RERUN_S if rerun_s is not None else None, "rerun")
    if full_s and incremental_s:
        share = incremental_s / full_s
        target("incremental / full (wall time)", f"< {TARGET_INCREMENTAL_SHARE:.0%}", f"{share:.0%}",
               share < TARGET_INCREMENTAL_SHARE, "incremental")
    else:
        target("incremental / full (wall time)", f"< {TARGET_INCREMENTAL_SHARE:.0%}", None, None, "incremental")
    if peak is not None:
        target("peak RSS of a pipeline run (process tree)", f"< {TARGET_PEAK_RSS / GB:g} GB", f"{peak / GB:.2f} GB",
               peak < TARGET_PEAK_RSS, "rss")
    else:
        target("peak RSS of a pipeline run (process tree)", f"< {TARGET_PEAK_RSS / GB:g} GB", None, None, "rss")
    reports = _scenario(results, "reports")
    target("every Kreis report as PDF", f"< {TARGET_REPORTS_S:g} s", _reports_measured(reports) if reports else None,
           _reports_seconds(reports) < TARGET_REPORTS_S if reports else None, "reports")
    service = results.get("service") or {}
    profile = (service.get("kinds") or {}).get("profile")
    if service.get("available") and profile:
        target(f"region profile p95 at {service['clients']} concurrent clients", f"< {TARGET_PROFILE_P95_MS:g} ms",
               f"{profile['p95_ms']:.0f} ms", profile["p95_ms"] < TARGET_PROFILE_P95_MS, "service")
    else:
        target("region profile p95 at 20 concurrent clients", f"< {TARGET_PROFILE_P95_MS:g} ms",
               f"not measured: {service.get('reason', 'service not run')}", None, "service")
    served_map = (service.get("server_side") or {}).get("map")  # issue #21: the map page's data, warm snapshot
    target("map data p95 inside the service (400 Kreise, warm snapshot)", f"< {TARGET_MAP_P95_MS:g} ms",
           f"{served_map['p95_ms']:.0f} ms" if served_map else None,
           served_map["p95_ms"] < TARGET_MAP_P95_MS if served_map else None, "map")
    return targets


def top_functions(profile_path: Path, count: int = 15) -> dict[str, list[dict[str, Any]]]:
    """The functions that cost most in a pyinstrument session: by cumulative time (project code) and by own time (all).

    A function's cumulative time counts each sample once, however often the function is on its stack.
    """
    from pyinstrument.session import Session

    own: dict[tuple[str, int | None, str], float] = {}
    cumulative: dict[tuple[str, int | None, str], float] = {}

    def walk(frame, on_stack: frozenset) -> None:
        key = (frame.file_path or "", frame.line_no, frame.function)
        own[key] = own.get(key, 0.0) + frame.total_self_time
        if key not in on_stack:
            cumulative[key] = cumulative.get(key, 0.0) + frame.time
        for child in frame.children:
            walk(child, on_stack | {key})

    root = Session.load(str(profile_path)).root_frame()
    if root is not None:
        walk(root, frozenset())
    rows = []
    for (filename, line, function), total in cumulative.items():
        if not filename or filename.startswith("<"):
            continue  # pyinstrument's own grouping frames ([self], [await])
        where = filename
        for marker in ("/site-packages/", str(PROJECT_ROOT) + "/"):
            if marker in filename:
                where = filename.split(marker, 1)[1]
        rows.append({"function": f"{where}:{line}({function})", "own_s": round(own.get((filename, line, function), 0.0), 3),
                     "cumulative_s": round(total, 3),
                     "project": filename.startswith(str(PROJECT_ROOT)) and "/.venv/" not in filename})
    project = sorted((r for r in rows if r["project"]), key=lambda r: -r["cumulative_s"])[:count]
    by_own = sorted(rows, key=lambda r: -r["own_s"])[:count]
    return {"project_by_cumulative": project, "all_by_own_time": by_own}


# Where a phase's time would go away; the report names these for the phases behind a missed target.
REMEDIES = {
    "prefect start-up": "Without PREFECT_API_URL a run needs a temporary Prefect API server (a uvicorn subprocess "
                        "with its SQLite database): `imon run` starts it first (flows/prefect_server.py), so it comes "
                        "up while Prefect, pandas and GX are imported; what is left here is the rest of its start-up "
                        "and the flow run's creation. A state office running a Prefect server (`imon deploy`) does "
                        "not pay it. `imon run --no-pull` with nothing changed already skips the flow; a run that "
                        "pulls still starts it, because the pulls are its tasks.",
    "prefect teardown": "Prefect flushes its events after the flow and the temporary server stops: same remedy as start-up.",
    "imports": "Importing Prefect, pandas, Great Expectations and pyarrow is seconds of a run, spent while the "
               "temporary Prefect server starts in its own process.",
    "parse (DuckDB)": "A plain GENESIS flat file is read by DuckDB's read_csv into a table of its lines (unzipped "
                      "to a temporary file first, checked for quotes and blank lines in Python), checked "
                      "(statistic, signs, region slot, labels: one scan) and turned into the long format in file "
                      "order by one CREATE TABLE AS (sources/ffcsv_sql.py): the floor's reading, plus the lines "
                      "table written and read again within the memory limit (it spills to disk) and the sort by "
                      "line.",
    "parse (Python)": "Files that are not plain GENESIS flat files (the register, the classic download, BA exports, "
                      "declared county files, several files for one table) are parsed in Python and copied into "
                      "DuckDB; reading those layouts with read_csv too (as tests/bench/floor.py does) would leave "
                      "no frame.",
    "expectations (SQL)": "The counts of a suite's row-wise expectations are one aggregate query over the staged table "
                          "(warehouse/checks.py), one scan; each uniqueness expectation one GROUP BY; examples are read "
                          "only for an expectation that fails.",
    "GX results": "The SQL results are handed to GX as its result objects (suite check, results store) for the Data "
                  "Docs; a fixed cost per table and indicator.",
    "stage into DuckDB": "The parsed pandas frame (object columns) is copied into a temporary DuckDB table, which the "
                         "checks and the load read; with parsing in DuckDB there is no frame to copy.",
    "GX Data Docs": "The Data Docs site is built once at the end of the run (QualityGate.build_docs) and renders every "
                    "validation of the run: one page per table and indicator. Rendering only the pages of this run's "
                    "validations into the existing site would cut it further.",
    "derived checks (SQL)": "The parts-sum-to-total and year-over-year comparisons are one DuckDB query each over "
                            "the staged table (warehouse/quality.py), written to a temporary table that the "
                            "expectations then check (the year-over-year one a window over the table: one sort by region, "
                            "category and period).",
    "region keys": "annotate_region_keys classifies every row's key with pandas string operations and checks the "
                   "keys' validity on each row's date in DuckDB; per distinct (key, date) instead of per row would be "
                   "enough.",
    "load into DuckDB": "raw.<table> is created from the validated staging table (CREATE TABLE AS, inside DuckDB) "
                        "with its lineage rows, in one transaction.",
    "SQL models": "A run rebuilds the models downstream of the tables it loaded (one transaction); the marts of "
                  "stacked values replace the rows of the rebuilt indicators only, and meta.raw_period (the years "
                  "of each raw table, for the synthetic mark) is read again for the changed raw tables only.",
    "copy snapshot": "Publishing copies the working file byte for byte and fsyncs the copy; its cost grows with the "
                     "warehouse, not with the change. A copy-on-write file copy (reflink) where the file system has it "
                     "would make it constant.",
    "indicator checks": "Each built indicator is staged with its per-period region counts (one query) and its "
                        "expectations run as SQL; a fixed cost of a few queries per indicator.",
    "open DuckDB": "A table whose files changed gets its own ingest task, which opens the warehouse file and closes "
                   "it (a checkpoint when it wrote); the unchanged ones are checked on one connection held by the "
                   "flow. Loading the changed tables on that connection too would leave one open per run.",
    "bookkeeping": "meta.* inserts (validation results, table loads) and fingerprints, one DuckDB statement each.",
    "quarantine rows": "A rejected table's rows go into meta.quarantine in one insert from a frame (each row "
                       "serialised to JSON in Python). A table rejected in one run is validated (and quarantined) "
                       "again on every later run, because it has no loaded fingerprint.",
}


def _phase_rows(result: dict[str, Any], wall_s: float) -> list[tuple[str, float]]:
    """(phase, seconds) of one pipeline scenario, whole process: imports, Prefect, each stage / leaf, exit."""
    rows = [("interpreter start, imports", result.get("import_s", 0.0)),
            ("prefect start-up (temporary server, flow run)", result.get("prefect_start_up_s", 0.0))]
    rows += [(key, seconds) for key, seconds in (result.get("phases") or {}).items()]
    rows.append(("flow body, untracked", max(0.0, result.get("untracked_body_s", 0.0))))
    rows.append(("prefect teardown (flow run end)", result.get("prefect_teardown_s", 0.0)))
    accounted = result.get("import_s", 0.0) + result.get("flow_call_s", 0.0)
    rows.append(("process start and exit (server shutdown)", max(0.0, wall_s - accounted)))
    return sorted(rows, key=lambda r: -r[1])


def _remedy_for(phase: str) -> str | None:
    key = phase.split(" / ")[-1]
    if phase.startswith("prefect start-up"):
        return REMEDIES["prefect start-up"]
    if phase.startswith("prefect teardown") or phase.startswith("process start and exit"):
        return REMEDIES["prefect teardown"]
    if phase.startswith("interpreter start"):
        return REMEDIES["imports"]
    if key == "prefect task engine":
        return "Prefect's per-task bookkeeping (task run records via its API): small per table."
    return REMEDIES.get(key)


def _fmt_bytes(value: int | None) -> str:
    if not value:
        return "–"
    if value < MB:
        return f"{value / 1024:,.0f} kB"
    return f"{value / GB:.2f} GB" if value >= GB else f"{value / MB:,.0f} MB"


def _fmt_int(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _fmt_s(value: float | None) -> str:
    return "–" if value is None else (f"{value:,.1f} s" if value >= 1 else f"{value * 1000:,.0f} ms")


SCENARIO_NOTES = {
    "prefect start-up": "an empty Prefect flow: the fixed cost of the temporary Prefect server (started as `imon run` starts it) and one flow run",
    "full": "fresh warehouse: parse, validate, load, build, audit, publish",
    "no-change re-run": "same landing files again: every table unchanged, nothing built or published",
    "incremental": "one more year of one table, then a run",
    "floor": "bare DuckDB: read_csv per file, one CREATE TABLE AS per model",
}


def _ordered(scenarios: dict[str, Any]) -> list[tuple[str, Any]]:
    order = ["prefect first use", "prefect start-up", "full", "no-change re-run", "incremental", "floor"]
    return sorted(scenarios.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def terminal_table(results: dict[str, Any]) -> str:
    """The numbers as plain text for the terminal."""
    lines = [f"{'scenario':<20} {'wall':>10} {'in-process':>11} {'peak RSS':>10}  note"]
    for name, scenario in _ordered(results.get("scenarios", {})):
        if name == "prefect first use":
            continue
        result = scenario.get("result") or {}
        inner = result.get("body_s") if "body_s" in result else result.get("total_s", result.get("flow_call_s"))
        lines.append(f"{name:<20} {_fmt_s(scenario['wall_s']):>10} {_fmt_s(inner):>11} {_fmt_bytes(scenario['peak_rss']):>10}  "
                     f"{SCENARIO_NOTES.get(name, '')}")
    service = results.get("service") or {}
    if service.get("available"):
        for kind, numbers in service["kinds"].items():
            lines.append(f"service {kind:<20} p50 {numbers['p50_ms']:.0f} ms, p95 {numbers['p95_ms']:.0f} ms, "
                         f"max {numbers['max_ms']:.0f} ms, {numbers['requests']} requests"
                         + (f", {numbers['throughput_rps']} req/s" if numbers.get("throughput_rps") else ""))
    else:
        lines.append(f"service: not available: {service.get('reason', 'not run')}")
    lines.append("")
    for target in results.get("targets", []):
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        lines.append(f"{target['target']:<48} {target['goal']:>9}  {target['measured']:<12} {verdict}")
    if results.get("failed"):
        lines.append(f"\nscenario {results['failed']['scenario']} FAILED:\n{results['failed']['log_tail']}")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """BENCHMARKS.md: machine, workload, every scenario, ratios, targets, where the time goes."""
    options, machine = results["options"], results["machine"]
    workload = results.get("workload") or {}
    scenarios = results.get("scenarios", {})
    out = ["# Benchmarks", ""]
    arguments = " ".join(part for part in (
        f"--scale {options['scale']}" if options["scale"] != "federal" else "",
        f"--years {options['years']}" if str(options["years"]) != "25" else "",
        f"--seed {options['seed']}" if str(options["seed"]) != "1" else "",
        "--skip-service" if options["skip_service"] == "True" else "") if part)
    make = f'make bench BENCH="{arguments}"' if arguments else "make bench"
    out.append(f"Generated by `python -m tests.bench --scale {options['scale']} --years {options['years']} --seed {options['seed']}"
               f"{' --skip-service' if options['skip_service'] == 'True' else ''}` (`{make}`) on "
               f"{results['started_at'][:16].replace('T', ' ')} UTC, commit `{machine.get('commit')}`"
               f"{' with uncommitted changes' if machine.get('dirty') else ''}. Do not edit by hand: run `make bench`.")
    out.append("")
    load = machine.get("load_average"), machine.get("load_average_end")
    if load[0] and load[0][0] >= 0.5:
        out.append(f"**The machine was shared with other work while this ran** (load average {load[0]} at the start, {load[1]} at "
                   "the end, on 2 cores): wall times are noisy, read them as ±20–30 %, and compare ratios measured in the same run.")
    else:
        out.append(f"Nothing else was running when it started (load average {load[0]}; {load[1]} at the end, after the "
                   "benchmark's own service clients).")
    if results.get("finished_at"):
        took = datetime.fromisoformat(results["finished_at"]) - datetime.fromisoformat(results["started_at"])
        out[-1] += f" The whole benchmark took {took.total_seconds() / 60:.1f} minutes."
    for note in results.get("notes") or []:
        out += ["", note]
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    for label, value in (("CPU", machine.get("cpu")),
                         ("cores", f"{machine.get('logical_cores')} logical ({machine.get('physical_cores')} physical)"),
                         ("RAM", _fmt_bytes(machine.get("ram_bytes"))), ("OS", machine.get("os")),
                         ("Python", machine.get("python")), ("DuckDB", machine.get("duckdb")), ("Prefect", machine.get("prefect")),
                         ("Great Expectations", machine.get("great_expectations")), ("pandas", machine.get("pandas")),
                         ("FastAPI / uvicorn", f"{machine.get('fastapi')} / {machine.get('uvicorn')}")):
        out.append(f"| {label} | {value} |")
    out += ["", "## Workload", ""]
    out.append(f"Synthetic landing zone from `tests/bench/workload.py` (`scale={options['scale']}`, `years={options['years']}`, "
               f"`seed={options['seed']}`), in the real formats of every configured table; written in "
               f"{workload.get('written_s', '–')} s (not part of any scenario).")
    out.append("")
    full_tables = {t["name"]: t for t in ((scenarios.get("full") or {}).get("result") or {}).get("tables", [])}
    floor_tables = (((scenarios.get("floor") or {}).get("result") or {}).get("tables") or {})
    writer = (workload.get("writer") or {}).get("per_table") or {}
    out += ["*file rows*: data lines of the (unzipped) file; *raw rows*: rows of `raw.<table>` after parsing (one per value; "
            "a classic or declared file has several values per line), by the pipeline and by the floor.", "",
            "| table | layout of the file | files | landed | unzipped | file rows | raw rows (pipeline) | raw rows (floor) |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, table in (workload.get("per_table") or {}).items():
        rows = (full_tables.get(name) or {}).get("rows")
        status = (full_tables.get(name) or {}).get("status")
        floor_rows = (floor_tables.get(name) or {}).get("rows")
        written = writer.get(name) or {}
        shown = f"{rows:,}" if rows else (status or "–")
        layout = (table.get("file_layout") or table["layout"]) + (" (zip)" if table["zipped"] else "")
        out.append(f"| {name} | {layout} | {table['files']} | {_fmt_bytes(table['bytes'])} | "
                   f"{_fmt_bytes(written.get('uncompressed_bytes'))} | {_fmt_int(written.get('rows'))} | {shown} | "
                   f"{_fmt_int(floor_rows)} |")
    total_rows = sum(t.get("rows") or 0 for t in full_tables.values())
    out.append(f"| **all** | | {workload.get('files', '–')} | {_fmt_bytes(workload.get('bytes'))} | "
               f"{_fmt_bytes((workload.get('writer') or {}).get('uncompressed_bytes'))} | "
               f"{_fmt_int((workload.get('writer') or {}).get('rows'))} | {total_rows:,} | "
               f"{sum((t.get('rows') or 0) for t in floor_tables.values()):,} |")
    out += ["", "## Scenarios", "",
            "Each scenario is its own process; *wall* is the whole process as a user sees it (interpreter start, imports, "
            "Prefect's temporary server, the run, exit); *in-process* is the pipeline's flow body alone (from its first "
            "line to its summary; the floor: reading and building). Peak RSS is the process tree's (the scenario and "
            "Prefect's server subprocess), sampled every 50 ms, or the process's own getrusage peak if higher.", "",
            "| scenario | wall | in-process | Prefect start-up | peak RSS | outcome | what it does |",
            "|---|---:|---:|---:|---:|---|---|"]
    for name, scenario in _ordered(scenarios):
        if name == "prefect first use":
            continue
        result = scenario.get("result") or {}
        inner = result.get("body_s") if "body_s" in result else result.get("total_s", result.get("flow_call_s"))
        outcome = result.get("outcome") or ("ok" if scenario["returncode"] == 0 else f"exit {scenario['returncode']}")
        if result.get("tables") and isinstance(result["tables"], list):
            statuses = defaultdict(int)
            for table in result["tables"]:
                statuses[table["status"]] += 1
            outcome += " (" + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())) + ")"
        out.append(f"| {name} | {_fmt_s(scenario['wall_s'])} | {_fmt_s(inner)} | {_fmt_s(result.get('prefect_start_up_s'))} | "
                   f"{_fmt_bytes(scenario['peak_rss'])} | {outcome} | {SCENARIO_NOTES.get(name, '')} |")
    first_use = scenarios.get("prefect first use")
    if first_use:
        out.append("")
        out.append(f"Prefect's first use of a fresh `PREFECT_HOME` (creating its database) took {_fmt_s(first_use['wall_s'])}; "
                   "it was done before the scenarios and is in none of them.")
    rerun_result = (scenarios.get("no-change re-run") or {}).get("result") or {}
    full_result = (scenarios.get("full") or {}).get("result") or {}
    if rerun_result.get("models_built") is not None:
        why = ("the SQL under sql/ changed between the full run and the re-run (it was being edited meanwhile)"
               if rerun_result.get("sql_fingerprint") != full_result.get("sql_fingerprint") else
               "a table was loaded again")
        out.append(f"**The no-change re-run rebuilt the models** because {why}: it is not a clean no-change run.")
    rejected = [t["name"] for t in rerun_result.get("tables") or [] if t["status"] in ("rejected", "failed")]
    if rejected:
        out.append(f"**The no-change re-run is not free of work**: {', '.join(rejected)} was rejected by the quality gate in "
                   "the full run, and a rejected table is parsed and validated again on every run (it has no loaded "
                   "fingerprint to compare with).")
    withheld = [message for _, message, *rest in full_result.get("progress") or [] if message.startswith("withheld ")]
    if withheld:
        out.append(f"The full run's outcome is `{full_result.get('outcome')}` because its audit withheld {len(withheld)} "
                   f"indicators from publication (the run still built, audited and published everything else), e.g. "
                   f"“{' '.join(withheld[0].split())[:260]}…”.")
    peak_table = _peak_table(full_result)
    if peak_table:
        out.append(peak_table + ".")
    change = results.get("incremental_change")
    if change:
        out.append(f"The incremental scenario's change: `{change['table']}` rewritten by the workload writer with one more year "
                   f"({change['seconds']} s, not counted).")
    floor = (scenarios.get("floor") or {}).get("result") or {}
    if floor:
        out.append(f"The floor: reading {_fmt_s(floor.get('read_s'))} (of which unzipping {_fmt_s(floor.get('unzip_s'))}: DuckDB "
                   f"cannot read inside a zip, so zipped files are unpacked to a temporary file first, counted in the floor), "
                   f"building {floor.get('models')} models {_fmt_s(floor.get('build_s'))}; it produced "
                   f"{floor.get('indicator_rows', 0):,} indicator rows"
                   + _same_indicators(scenarios) + ".")
    out += ["", "## Targets", "", "| target | goal | measured | |", "|---|---:|---:|---|"]
    for target in results.get("targets", []):
        verdict = {True: "met", False: "**missed**", None: "not measured"}[target["met"]]
        out.append(f"| {target['target']} | {target['goal']} | {target['measured']} | {verdict} |")
    full, floor_s = scenarios.get("full"), scenarios.get("floor")
    if full and floor_s and full.get("result", {}).get("body_s") and floor.get("total_s"):
        out.append("")
        out.append(f"In-process only (flow body against the floor's own reading and building, no interpreter or Prefect "
                   f"start-up on either side): {full['result']['body_s'] / floor['total_s']:.1f}×.")
    out += _growth_section(results)
    out += _where_time_goes(results)
    out += _service_section(results)
    out += _lake_section(results)
    profile = results.get("profile")
    if profile:
        out += ["", "## Profile of the full scenario (pyinstrument)", "",
                f"The full scenario run once more under pyinstrument ({_fmt_s(profile['wall_s'])} with the profiler's "
                "overhead; wall-clock samples every 5 ms, waiting included; `--keep` keeps full.html). "
                "Project functions by cumulative time:", "", "| function | cumulative | own |", "|---|---:|---:|"]
        for row in profile["top"]["project_by_cumulative"]:
            out.append(f"| `{row['function']}` | {_fmt_s(row['cumulative_s'])} | {_fmt_s(row['own_s'])} |")
        out += ["", "All functions by own time:", "", "| function | own | cumulative |", "|---|---:|---:|"]
        for row in profile["top"]["all_by_own_time"]:
            out.append(f"| `{row['function']}` | {_fmt_s(row['own_s'])} | {_fmt_s(row['cumulative_s'])} |")
    if results.get("failed"):
        out += ["", "## Failed", "", f"Scenario `{results['failed']['scenario']}` failed; the end of its log:", "", "```",
                results["failed"]["log_tail"], "```"]
    out += ["", "## How to run", "", "```",
            "make bench                         # federal scale, 25 years (2000–2024): many GB on 2 cores",
            "make bench BENCH=\"--years 3\"      # 3 years (2022–2024)",
            ".venv/bin/python -m tests.bench --scale tiny --skip-service --output /tmp/bench.md  # what CI runs (minutes)",
            ".venv/bin/python -m tests.bench --years 3 --keep --json /tmp/bench.json   # keep logs and databases, all numbers",
            ".venv/bin/python -m tests.bench --from-json /tmp/bench.json   # only write the report again from those numbers",
            "make bench BENCH=\"--years 3 --json /tmp/bench-3.json\" && make bench BENCH=\"--beside /tmp/bench-3.json\""
            "   # 25 years, with 3 beside",
            "```", "",
            "Every pipeline scenario times its phases; `--profile always` (or `auto`: only when a target is missed) also runs "
            "the full scenario once more under pyinstrument and lists its top functions (it costs another full run). "
            "`--incremental-table NAME` chooses the table that gets one more year; `--json FILE` writes every number.", ""]
    return "\n".join(out)


def _peak_table(result: dict[str, Any]) -> str | None:
    """The steps of a pipeline run that raised its peak RSS most (each progress line carries the peak so far)."""
    lines = [line for line in result.get("progress") or [] if len(line) == 3 and line[2]]
    if not lines:
        return None
    steps, previous = [], lines[0][2]
    for _, message, rss in lines[1:]:
        steps.append((rss - previous, " ".join(message.split())[:100]))
        previous = rss
    top = [f"“{message}” (+{_fmt_bytes(grown * 1024)})" for grown, message in sorted(steps, reverse=True)[:3] if grown > 0]
    if not top:
        return None
    return (f"The full run's peak RSS ({_fmt_bytes(lines[-1][2] * 1024)} for the Python process) grew most in the steps "
            f"that ended with {', '.join(top)}")


def _same_indicators(scenarios: dict[str, Any]) -> str:
    floor = ((scenarios.get("floor") or {}).get("result") or {})
    full = ((scenarios.get("full") or {}).get("result") or {}).get("indicator_rows") or {}
    if not full or "indicator_rows" not in floor:
        return ""
    same = full.get("rows") == floor["indicator_rows"] and full.get("values") == floor.get("indicator_values")
    withheld = ((scenarios.get("full") or {}).get("result") or {}).get("withheld") or []
    if same:
        return ", the same number of rows and values as the full pipeline run"
    return (f", the full pipeline run {full.get('rows'):,} (values: floor {floor.get('indicator_values'):,}, pipeline "
            f"{full.get('values'):,})" + (f"; the pipeline's audit withheld {len(withheld)} indicators, which the floor "
                                          "does not audit" if withheld else ""))


def _where_time_goes(results: dict[str, Any]) -> list[str]:
    scenarios = results.get("scenarios", {})
    out = ["", "## Where the time goes", ""]
    out.append("Each pipeline scenario wraps the flow's own functions with a clock (exclusive time: a phase's time "
               "without the phases it calls); *stage / phase* as in flows/pipeline.py.")
    for name in ("full", "no-change re-run", "incremental"):
        scenario = scenarios.get(name)
        if not scenario or not scenario.get("result"):
            continue
        rows = _phase_rows(scenario["result"], scenario["wall_s"])
        out += ["", f"### {name} ({_fmt_s(scenario['wall_s'])})", "", "| phase | time | share |", "|---|---:|---:|"]
        shown = 0.0
        for phase, seconds in rows:
            if seconds < 0.05 * 1 and shown > 0:
                continue
            shown += seconds
            out.append(f"| {phase} | {_fmt_s(seconds)} | {seconds / scenario['wall_s']:.0%} |")
        rest = scenario["wall_s"] - shown
        if rest > 0.05:
            out.append(f"| (phases under 50 ms each) | {_fmt_s(rest)} | {rest / scenario['wall_s']:.0%} |")
    floor = (scenarios.get("floor") or {}).get("result") or {}
    if floor.get("tables"):
        out += ["", f"### floor ({_fmt_s((scenarios.get('floor') or {}).get('wall_s'))})", "",
                f"Reading {_fmt_s(floor.get('read_s'))} (unzipping {_fmt_s(floor.get('unzip_s'))} of it), building "
                f"{_fmt_s(floor.get('build_s'))}. The five largest reads and the slowest models (the same SQL the pipeline "
                "builds, so the pipeline pays the same):", "", "| step | time |", "|---|---:|"]
        for name, table in sorted(floor["tables"].items(), key=lambda kv: -kv[1]["seconds"])[:5]:
            out.append(f"| read {name} ({table['rows']:,} rows) | {_fmt_s(table['seconds'])} |")
        for model, seconds in (floor.get("slowest_models") or [])[:8]:
            out.append(f"| build {model} | {_fmt_s(seconds)} |")
    missed = [t for t in results.get("targets", []) if t["met"] is False]
    if missed:
        out += ["", "### What would close the missed targets", ""]
        for target in missed:
            out.append(f"**{target['target']}** ({target['measured']}, goal {target['goal']}):")
            out.append("")
            scenario_name = {"rerun": "no-change re-run", "incremental": "incremental"}.get(target["key"], "full")
            scenario = scenarios.get(scenario_name)
            if target["key"] == "service":
                out.append("- " + _service_remedy(results))
            elif target["key"] == "map":
                out.append("- A map's data is classified once per indicator, level and period and kept per snapshot "
                           "(service/maps.py); a first ask reads the indicator's rows once. Computing the latest period of "
                           "every indicator in the warm-up thread already happens; the other periods could be warmed too.")
            elif target["key"] == "reports":
                out.append("- " + _reports_remedy(results))
            elif target["key"] == "rss":
                out.append("- A parsed table lives as a pandas frame (equal cells share one string object since the "
                           "Arrow reader, but the decoded text, the Arrow table and the frame coexist while parsing), "
                           "copied again by the region-key annotation, GX and the derived-check frames; the peak is set "
                           "by the largest table (see the peak RSS line under Scenarios), and memory freed after a "
                           "table is not given back, so the peak creeps up table by table. Reading and checking each "
                           "table in DuckDB (as the floor does) would keep the run near the floor's peak.")
            elif scenario and scenario.get("result"):
                for phase, seconds in _phase_rows(scenario["result"], scenario["wall_s"])[:5]:
                    remedy = _remedy_for(phase)
                    out.append(f"- {phase}: {_fmt_s(seconds)} ({seconds / scenario['wall_s']:.0%})"
                               + (f". {remedy}" if remedy else "."))
            out.append("")
    return out


def _reports_remedy(results: dict[str, Any]) -> str:
    """What the reports' time is made of, from the scenario's own numbers (tests/bench/reports.py)."""
    result = (_scenario(results, "reports") or {}).get("result") or {}
    per_report = result.get("cpu_seconds_per_region")
    workers = result.get("workers") or 2
    cores = result.get("cpu_count") or workers
    total = result.get("total_regions") or 400
    target_s = result.get("target_s") or TARGET_REPORTS_S
    budget = cores * target_s / total  # CPU seconds a report may take for the whole level within the target
    return (f"Each report costs {per_report} CPU s of the process tree ({result.get('printer') or 'the browser'} printed "
            f"them): with {workers} workers on {cores} cores, {total} reports in {target_s:g} s leave {budget:.2f} CPU s "
            "a report. Python writes the HTML (about 50 matplotlib charts and the maps of the report's Land), the browser "
            "lays out and prints some 50 pages with about 50 maps. README \"Size and speed\" lists what was measured "
            "and tried; thinner map outlines save time but lose small kreisfreie Städte from the maps.")


def _service_remedy(results: dict[str, Any]) -> str:
    service = results.get("service") or {}
    kinds, baseline = service.get("kinds") or {}, (service.get("baseline") or {}).get("profile")
    served = (service.get("server_side") or {}).get("profile")
    first = kinds.get("profile (first ask)")
    text = ("A profile is assembled in Python from parts read once per snapshot (regions, catalogue, Land and Germany "
            "values, the values of a level, comparisons, peer groups; service/profile.py), encoded as JSON "
            "(orjson) and kept gzip-compressed; the profiles of every Kreis, Land and Germany are computed in a thread "
            "from the service's start (`/health` says when they are done; the load begins then), and a kept answer is "
            "sent from the event loop without a worker thread")
    if baseline:
        text += (f"; alone (one request at a time) it takes {baseline['p50_ms']:.0f} ms (p50, max {baseline['max_ms']:.0f} ms)"
                 + (", already above the target" if baseline["p50_ms"] >= TARGET_PROFILE_P95_MS else ""))
    if served:
        text += (f"; under {service['clients']} clients the service's own time is p50 {served['p50_ms']:.0f} ms: the 2 "
                 "cores (shared with the clients) are saturated and requests queue")
    if first:
        text += f". The first ask of a Kreis: p95 {first['p95_ms']:.0f} ms"
    throughput = service.get("throughput_rps")
    if throughput:
        wait = service["clients"] / throughput * 1000
        needed = service["clients"] / (TARGET_PROFILE_P95_MS / 1000)  # for a mean wait of 50 ms
        text += (f". With {service['clients']} clients that never pause, a request waits on average clients ÷ throughput = "
                 f"{service['clients']} ÷ {throughput:g}/s ≈ {wait:.0f} ms (Little's law): a p95 under "
                 f"{TARGET_PROFILE_P95_MS:g} ms needs roughly {needed:.0f}+ requests/s, i.e. a few milliseconds of the 2 cores "
                 f"per request instead of the ~{2000 / throughput:.0f} ms now (clients included)")
    return (text + ". What is left per request is the web stack (FastAPI, the key check, the request log) and sending "
            "the document, in one Python process, beside the slices and maps not asked before (computed in worker "
            "threads). The clients (http.client, reading the answer as sent) share the 2 cores: serving with one "
            "worker process per core, and measuring with the clients on another machine, would each take a share.")


def _growth_section(results: dict[str, Any]) -> list[str]:
    """This run beside the runs given with `--beside` (other spans of years): how cost grows with data."""
    beside = results.get("beside") or []
    if not beside:
        return []
    runs = sorted([growth(results), *beside], key=lambda run: int(run["years"]))
    out = ["", "## Growth with data", "",
           "This run beside " + ", ".join(f"the {run['years']}-year run of {str(run['started_at'])[:16].replace('T', ' ')} UTC "
                                          f"(commit `{run['commit']}`)" for run in beside)
           + " (`--beside FILE`: that run's `--json`), on the same machine; the targets hold for each span.", "",
           "| | " + " | ".join(f"{run['years']} years" for run in runs) + " |", "|---|" + "---:|" * len(runs)]

    def ratio(run: dict[str, Any], part: str, whole: str, text: str) -> str:
        return text.format(run[part] / run[whole]) if run.get(part) and run.get(whole) else "–"

    rows = [
        ("raw rows (full run)", lambda run: _fmt_int(run["raw_rows"])),
        ("landed files", lambda run: _fmt_bytes(run["landed_bytes"])),
        ("full run (wall)", lambda run: _fmt_s(run["full_s"])),
        ("floor (wall)", lambda run: _fmt_s(run["floor_s"])),
        (f"full / floor (goal ≤ {TARGET_FLOOR_RATIO:g}×)", lambda run: ratio(run, "full_s", "floor_s", "{:.1f}×")),
        (f"peak RSS of a pipeline run (goal < {TARGET_PEAK_RSS / GB:g} GB)", lambda run: _fmt_bytes(run["peak_rss"])),
        ("incremental run (wall)", lambda run: _fmt_s(run["incremental_s"])),
        (f"incremental / full (goal < {TARGET_INCREMENTAL_SHARE:.0%})",
         lambda run: ratio(run, "incremental_s", "full_s", "{:.0%}")),
        (f"no-change re-run (goal < {TARGET_RERUN_S:g} s)", lambda run: _fmt_s(run["rerun_s"])),
        (f"profile p95 at 20 clients (goal < {TARGET_PROFILE_P95_MS:g} ms)",
         lambda run: f"{run['profile_p95_ms']:.0f} ms" if run.get("profile_p95_ms") is not None else "–"),
    ]
    for label, shown in rows:
        out.append(f"| {label} | " + " | ".join(shown(run) for run in runs) + " |")
    return out


def _service_section(results: dict[str, Any]) -> list[str]:
    service = results.get("service") or {}
    out = ["", "## Query service under load", ""]
    if not service.get("available"):
        out.append(f"Service not available: {service.get('reason', 'not run')}. No numbers.")
        return out
    out.append(f"`imon serve` on 127.0.0.1 (started in {_fmt_s(service.get('start_up_s'))}, its warm-up of every Kreis's, "
               f"Land's and Germany's profile and the Kreis maps done {_fmt_s(service.get('warm_up_s'))} later; the load "
               f"begins then) on the snapshot the incremental run published; {service['clients']} client threads with one keep-alive connection each, up to "
               f"{service['requests_per_client']} requests each or {service['max_seconds']:g} s: a random Kreis's profile "
               "an indicator slice (one indicator, every Kreis, one year) and an indicator map's data (`/api/maps/<id>`, "
               "what the map page asks) in turn. The clients run on the same 2 cores "
               f"as the server. {service['requests']} requests in {_fmt_s(service['elapsed_s'])}: "
               f"{service['throughput_rps']} requests/s; server peak RSS {_fmt_bytes(service.get('server_peak_rss'))}.")
    out += ["", "| endpoint | requests | failed | p50 | p95 | max | throughput |", "|---|---:|---:|---:|---:|---:|---:|"]
    for kind, numbers in service["kinds"].items():
        out.append(f"| {kind} | {numbers['requests']} | {numbers['failed']} | {numbers['p50_ms']:.0f} ms | "
                   f"{numbers['p95_ms']:.0f} ms | {numbers['max_ms']:.0f} ms | "
                   f"{str(numbers['throughput_rps']) + ' req/s' if numbers.get('throughput_rps') else '–'} |")
    baseline, served = service.get("baseline") or {}, service.get("server_side") or {}
    if baseline:
        out += ["", "Without concurrency (one client, one request at a time, before the load): "
                + ", ".join(f"{kind} p50 {numbers['p50_ms']:.0f} ms (max {numbers['max_ms']:.0f} ms, {numbers['requests']} "
                            f"requests{', each Kreis asked for the first time' if kind == 'profile' else ''})"
                            for kind, numbers in baseline.items()) + "."]
    if served:
        out += ["", "Inside the service under the load (its requests.log: from the request's arrival to its answer): "
                + ", ".join(f"{kind} p50 {numbers['p50_ms']:.0f} ms, p95 {numbers['p95_ms']:.0f} ms"
                            for kind, numbers in served.items())
                + ". The rest of a client's wait is the connection and the clients' own share of the 2 cores."]
    if service.get("errors"):
        out += ["", "Errors: " + "; ".join(service["errors"][:5])]
    return out


def _lake_section(results: dict[str, Any]) -> list[str]:
    found = results.get("lake") or {}
    out = ["", "## Lake (DuckLake, catalog in PostgreSQL)", ""]
    if not found.get("available"):
        out.append(f"Not measured: {found.get('reason', 'not run')}.")
        return out
    out.append(f"Publishing the incremental run's warehouse ({_fmt_bytes(found['warehouse_bytes'])}) into a new lake on "
               f"127.0.0.1:5432 took {_fmt_s(found['publish_s'])} (one transaction; {_fmt_bytes(found['data_bytes'])} of "
               "Parquet under the data path), against the local publish's byte copy in the runs above.")
    lake_service, local = found.get("service") or {}, results.get("service") or {}
    if lake_service.get("available"):
        rows = ["", "| query service on | profile p50 | profile p95 | slice p95 | throughput |", "|---|---:|---:|---:|---:|"]
        for label, service in (("local snapshot file", local), ("lake snapshot", lake_service)):
            if not service.get("available"):
                continue
            kinds = service["kinds"]
            rows.append(f"| {label} | {kinds['profile']['p50_ms']:.0f} ms | {kinds['profile']['p95_ms']:.0f} ms | "
                        f"{kinds.get('slice', {}).get('p95_ms', float('nan')):.0f} ms | {service['throughput_rps']} req/s |")
        out += rows
    elif lake_service:
        out.append(f"Service on the lake not measured: {lake_service.get('reason')}.")
    return out


# --- command line ------------------------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("federal", "tiny"), default="federal")
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "BENCHMARKS.md", help="the report (BENCHMARKS.md)")
    parser.add_argument("--json", type=Path, help="also write every number as JSON here")
    parser.add_argument("--skip-service", action="store_true", help="do not load the query service")
    parser.add_argument("--skip-lake", action="store_true", help="do not publish into a DuckLake on PostgreSQL")
    parser.add_argument("--workdir", type=Path, help="work directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases, landing zone)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="never",
                        help="run the full scenario once more under pyinstrument (auto: when a target is missed)")
    parser.add_argument("--incremental-table", default=DEFAULT_INCREMENTAL_TABLE)
    parser.add_argument("--note", action="append", default=[], help="a paragraph for the report (repeatable)")
    parser.add_argument("--beside", type=Path, action="append", default=[],
                        help="the --json of a run over other years, shown beside this one (growth with data; repeatable)")
    parser.add_argument("--from-json", type=Path, help="only write the report again from the --json of an earlier run")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests-per-client", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    # a scenario process (internal)
    parser.add_argument("--child", choices=("pipeline", "noop", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--landing", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-output", "--profile-path", dest="profile_path", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.from_json:  # the report again from the numbers of an earlier run (with today's wording and notes)
        results = json.loads(args.from_json.read_text(encoding="utf-8"))
        if args.note:
            results["notes"] = list(args.note)
        if args.beside:
            results["beside"] = [growth(json.loads(path.read_text(encoding="utf-8"))) for path in args.beside]
        results["targets"] = evaluate(results)
        args.output.write_text(markdown(results), encoding="utf-8")
        print(terminal_table(results))
        print(f"\nwritten {args.output}")
        return 0
    if args.child in ("pipeline", "noop"):  # ended as the `imon` console script ends (flows/cli.py)
        from flows.cli import console_script

        if args.child == "pipeline":
            return console_script(lambda: child_pipeline(args.warehouse, args.result, args.profile_path))
        return console_script(lambda: child_noop(args.result))
    if args.child == "floor":
        return child_floor(args.landing, args.database, args.result)
    options = Options(scale=args.scale, years=args.years, seed=args.seed, output=args.output, skip_service=args.skip_service,
                      skip_lake=args.skip_lake,
                      workdir=args.workdir, keep=args.keep, profile=args.profile, incremental_table=args.incremental_table,
                      clients=args.clients, requests_per_client=args.requests_per_client, max_seconds=args.max_seconds,
                      notes=args.note)
    results = run_benchmark(options)
    if args.beside:  # read after the run: the other run may be the one written just before
        results["beside"] = [growth(json.loads(path.read_text(encoding="utf-8"))) for path in args.beside]
        if options.output:
            options.output.write_text(markdown(results), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print(terminal_table(results))
    if options.output:
        print(f"\nwritten {options.output}")
    return 1 if results.get("failed") else 0


if __name__ == "__main__":
    raise SystemExit(main())
