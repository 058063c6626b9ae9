"""The benchmark keeps working: the tiny version end to end, the floor against the parsers, the report.

The federal benchmark is not a test (`make bench`); CI runs only `--scale tiny --skip-service` here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

try:
    from bench import runner
    from bench.floor import run_floor
except ImportError:
    from tests.bench import runner
    from tests.bench.floor import run_floor

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("prefect start-up", "full", "no-change re-run", "incremental", "floor")


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a few minutes on an idle 2-core machine: Prefect's start-up and GX per table, three runs
def test_tiny_benchmark_produces_every_number_and_the_report(tmp_path):
    output, numbers = tmp_path / "BENCHMARKS.md", tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMON_", "PREFECT_"))}
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--scale", "tiny", "--skip-service", "--profile", "never",
         "--output", str(output), "--json", str(numbers), "--workdir", str(tmp_path / "work")],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1700,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(numbers.read_text())

    for name in SCENARIOS:
        scenario = results["scenarios"][name]
        assert scenario["returncode"] == 0, name
        assert scenario["wall_s"] > 0 and scenario["peak_rss"] > 0, name
    full = results["scenarios"]["full"]["result"]
    # every table loads; the audit may withhold Kreis and Land indicators of the tiny workload (one Land only)
    assert [t for t in full["tables"] if t["status"] != "loaded"] == []
    assert full["published"] and full["phases"] and full["prefect_start_up_s"] > 0
    assert {t["status"] for t in results["scenarios"]["no-change re-run"]["result"]["tables"]} == {"unchanged"}
    loaded = [t["name"] for t in results["scenarios"]["incremental"]["result"]["tables"] if t["status"] == "loaded"]
    assert loaded == [runner.DEFAULT_INCREMENTAL_TABLE]
    floor = results["scenarios"]["floor"]["result"]
    pipeline_rows = {t["name"]: t["rows"] for t in full["tables"]}
    assert {name: table["rows"] for name, table in floor["tables"].items()} == pipeline_rows
    assert floor["indicator_rows"] >= full["indicator_rows"]["rows"] and floor["indicator_rows"] > 0

    assert [t["key"] for t in results["targets"]] == ["floor_ratio", "rerun", "incremental", "rss", "reports", "service",
                                                      "map"]
    # each measured target is judged (True or False, not None); the service (and so the map) was skipped
    assert [t["met"] is None for t in results["targets"]] == [False, False, False, False, False, True, True]
    reports = results["scenarios"]["reports"]["result"]
    assert reports["land"] == "10" and reports["regions"] == 6 and reports["files"] == 6 and not reports["failures"]
    assert results["targets"] == runner.evaluate(results)

    lake = results["lake"]  # PostgreSQL runs on every machine of this project (CI too)
    assert lake["available"] is True and lake["publish_s"] > 0 and lake["data_bytes"] > 0, lake
    assert "service" not in lake  # --skip-service skips the service on the lake too

    report = output.read_text()
    assert "## Lake (DuckLake, catalog in PostgreSQL)" in report
    for heading in ("# Benchmarks", "## Machine", "## Workload", "## Scenarios", "## Targets", "## Where the time goes",
                    "## Query service under load"):
        assert heading in report
    for name in SCENARIOS:
        assert f"| {name} |" in report
    assert "Service not available: skipped (--skip-service)" in report
    assert "full pipeline / floor" in done.stdout and "peak RSS" in done.stdout
    assert not (PROJECT_ROOT / "BENCHMARKS.md").exists() or (PROJECT_ROOT / "BENCHMARKS.md").stat().st_mtime < output.stat().st_mtime

    # the report of this run beside another span of years (here: the same numbers, said to be of 25 years)
    longer = json.loads(numbers.read_text())
    longer["options"]["years"] = 25
    (tmp_path / "longer.json").write_text(json.dumps(longer))
    assert runner.main(["--from-json", str(numbers), "--beside", str(tmp_path / "longer.json"),
                        "--output", str(tmp_path / "growth.md")]) == 0
    growth = (tmp_path / "growth.md").read_text().split("## Growth with data", 1)[1].split("\n## ", 1)[0]
    mine = runner.growth(results)
    assert f"| | {results['options']['years']} years | 25 years |" in growth
    assert f"| full run (wall) | {runner._fmt_s(mine['full_s'])} | {runner._fmt_s(mine['full_s'])} |" in growth
    assert f"| raw rows (full run) | {mine['raw_rows']:,} | {mine['raw_rows']:,} |" in growth and mine["raw_rows"] > 0


def test_floor_reads_every_landed_table_as_the_parsers_do(built, tmp_path):
    """Bare DuckDB reads the offline sample's landing zone into the same rows the parsers load, and builds the same indicators."""
    import duckdb

    summary, directory = built
    result = run_floor(directory / "landing", tmp_path / "floor.duckdb")
    warehouse = duckdb.connect(str(summary.warehouse_path), read_only=True)
    try:
        loaded = dict(warehouse.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall())
        expected = {name: warehouse.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0] for name in loaded}
        indicator_rows = warehouse.execute("SELECT count(*), count(value) FROM marts.indicator_value").fetchone()
    finally:
        warehouse.close()
    assert expected, "the offline run loaded nothing"
    # the floor does not read the two classic-layout variants of the real 2015-2020 series yet: it says so
    not_read = {"employees_at_workplace_by_sector", "population_by_sex_age"}
    assert {u.split(":")[0] for u in result["unsupported"]} == not_read, result["unsupported"]
    expected = {name: rows for name, rows in expected.items() if name not in not_read}
    assert {name: result["tables"][name]["rows"] for name in expected} == expected
    # without those tables the floor builds fewer indicator rows (ARB10, the 2015-2020 population), never more
    assert result["indicator_rows"] < indicator_rows[0] and result["indicator_values"] < indicator_rows[1]


def test_the_workload_writes_each_year_with_the_kreise_of_its_day(built):
    """Over 25 years (2000-2024) the Kreis reforms change the keys: every Kreis key the workload writes is one
    the quality gate finds valid on the row's reference day, and the Land totals still match their Kreise."""
    import duckdb

    try:
        from bench.workload import TABLES_FILE, kreis_history, workload_spec
    except ImportError:
        from tests.bench.workload import TABLES_FILE, kreis_history, workload_spec
    from offline.synthetic import generate_table, load_register
    from sources.catalog import load_table_specs
    from sources.parse import parse_table
    from warehouse.register import Register

    summary, _ = built
    specs = load_table_specs(TABLES_FILE)
    spec = workload_spec(next(s for s in specs if s.name == "employees_at_workplace_by_nationality"))
    connection = duckdb.connect(str(summary.warehouse_path), read_only=True)
    register = Register.load(connection, PROJECT_ROOT / "sql")
    connection.close()

    def written(history):
        body = generate_table(spec, load_register(), seed=1, years=[2000, 2010, 2024],
                              specs=[workload_spec(s) for s in specs], kreis_history=history)
        return parse_table(body, source=spec.source, table=spec.table, layout=spec.layout)

    try:
        today = written(None)  # today's Kreise in every year: the gate finds the reformed ones invalid before
        invalid = register.invalid_keys(today[["region_variable", "region_key", "reference_time"]].drop_duplicates())
        assert {"15089", "13073", "03159"} <= set(invalid["region_key"])
        frame = written(kreis_history(specs))
        keys = frame[["region_variable", "region_key", "reference_time"]].drop_duplicates()
        assert register.invalid_keys(keys).empty
    finally:
        register.close()
    kreise = frame[frame["region_variable"] == "KREISE"]
    per_year = kreise.groupby("reference_time")["region_key"].nunique().to_dict()
    assert per_year["2024-06-30"] == 400 and per_year["2000-06-30"] > per_year["2010-06-30"] > 400
    assert {"03201", "03253", "15153"} <= set(kreise[kreise["reference_time"] == "2000-06-30"]["region_key"])
    whole = frame["nat"].isna() & frame["ges"].isna()  # the rows of all nationalities and both sexes
    totals = frame[whole & (frame["region_variable"] == "DLAND")].set_index(["reference_time", "region_key"])["value"]
    parts = (frame[whole & (frame["region_variable"] == "KREISE")].assign(land=lambda f: f["region_key"].str[:2])
             .groupby(["reference_time", "land"])["value"].sum())
    assert len(totals) == 3 * 16 and (parts.reindex(totals.index) == totals).all()  # Land = sum of its Kreise that year


def test_report_says_what_was_not_measured(tmp_path, capsys):
    results = {
        "options": {"scale": "tiny", "years": "25", "seed": "1", "skip_service": "True"},
        "started_at": "2026-11-26T05:00:00+00:00", "machine": {"commit": "abc", "load_average": [1, 1, 1]},
        "workload": {}, "scenarios": {},
        "service": {"available": False, "reason": "service.app cannot be imported: no module"},
    }
    results["targets"] = runner.evaluate(results)
    assert [t["met"] for t in results["targets"]] == [None] * 7
    report = runner.markdown(results)
    assert "Service not available: service.app cannot be imported" in report
    assert "not measured" in report and "**missed**" not in report
    assert "not measured" in runner.terminal_table(results)

    # the report again from saved numbers, with a note
    saved = tmp_path / "bench.json"
    saved.write_text(json.dumps(results))
    assert runner.main(["--from-json", str(saved), "--output", str(tmp_path / "B.md"), "--note", "Three years only."]) == 0
    assert "Three years only." in (tmp_path / "B.md").read_text()
    assert "not measured" in capsys.readouterr().out


def test_phase_clock_counts_each_phase_without_the_phases_it_calls(monkeypatch):
    # a clock the phases advance by hand: exact seconds instead of sleeps and a tolerance
    now = [100.0]
    monkeypatch.setattr(runner.time, "perf_counter", lambda: now[0])

    def spend(seconds):
        now[0] += seconds

    clock = runner.PhaseClock()
    inner = clock.wrap(lambda: spend(0.25), "inner")
    outer = clock.wrap(lambda: (spend(0.5), inner(), spend(0.125)), "outer", stage="stage")
    outer()
    inner()
    assert dict(clock.seconds) == {"stage / outer": 0.625, "flow / inner": 0.25, "stage / inner": 0.25}
    assert dict(clock.calls) == {"stage / outer": 1, "stage / inner": 1, "flow / inner": 1}


def test_targets_are_met_or_missed_against_their_goals():
    results = {"scenarios": {
        "full": {"wall_s": 100.0, "peak_rss": 1 * runner.GB},
        "floor": {"wall_s": 100.0 / runner.TARGET_FLOOR_RATIO},                 # exactly at the goal: met
        "no-change re-run": {"wall_s": runner.TARGET_RERUN_S, "peak_rss": 1},    # not below the goal: missed
        "incremental": {"wall_s": 5.0, "peak_rss": runner.TARGET_PEAK_RSS},      # 5 % of full: met; RSS at the limit: missed
    }}
    assert [(t["key"], t["met"]) for t in runner.evaluate(results)] == [
        ("floor_ratio", True), ("rerun", False), ("incremental", True),
        ("rss", False), ("reports", None), ("service", None), ("map", None)]


def test_the_reports_of_one_land_are_judged_by_their_projection_onto_400():
    try:
        from bench import reports as bench_reports
    except ImportError:
        from tests.bench import reports as bench_reports

    assert bench_reports.projection(17.0, 15, 400) == pytest.approx(453.33, abs=0.01)
    assert bench_reports.projection(250.0, 400, 400) == 250.0
    # 6 Kreise in 4 s: 267 s for 400, met although written in 4 s; 15 in 17 s: 453 s, missed although written in 17 s
    fast = {"scenarios": {"reports": {"wall_s": 4.0, "result": {"regions": 6, "total_regions": 400}}}}
    slow = {"scenarios": {"reports": {"wall_s": 17.0, "result": {"regions": 15, "total_regions": 400,
                                                                  "cpu_seconds_per_region": 2.0}}}}
    every = {"scenarios": {"reports": {"wall_s": 310.0, "result": {"regions": 400, "total_regions": 400}}}}
    judged = {name: next(t for t in runner.evaluate(results) if t["key"] == "reports")
              for name, results in (("fast", fast), ("slow", slow), ("every", every))}
    assert judged["fast"]["met"] is True and "projected 267 s for 400" in judged["fast"]["measured"]
    assert judged["slow"]["met"] is False and "projected 453 s for 400" in judged["slow"]["measured"]
    assert "judged by the projection" in judged["slow"]["measured"]
    assert judged["every"]["met"] is False and judged["every"]["measured"] == "310 s for 400 Kreise"  # no projection
    result = {"met": False, "projected": True, "projected_seconds": 453.3, "total_regions": 400, "regions": 15}
    assert bench_reports.verdict(result) == "projected 453 s for 400 from 15 (target < 300 s): missed"
    assert bench_reports.verdict({"met": True, "projected": False}) == "target < 300 s: met"


def test_a_missed_reports_target_is_explained_by_the_reports_own_numbers():
    results = {"scenarios": {"reports": {"wall_s": 317.0, "result": {
        "regions": 400, "total_regions": 400, "workers": 2, "cpu_count": 2, "target_s": 300.0,
        "cpu_seconds_per_region": 1.56, "printer": "chromium-headless-shell"}}}}
    text = runner._reports_remedy(results)
    # 2 cores × 300 s ÷ 400 reports: the CPU a report may take; the measured cost and the browser beside it
    assert "1.56 CPU s" in text and "leave 1.50 CPU s a report" in text and "chromium-headless-shell" in text
    assert "GX" not in text and "parse" not in text  # not the pipeline's phases


def test_the_tree_cpu_counts_the_children_of_children():
    try:
        from bench.reports import TreeCpu
    except ImportError:
        from tests.bench.reports import TreeCpu

    busy = "import time; t = time.process_time(); exec('while time.process_time() - t < 0.6: pass')"
    # a child that starts a grandchild and waits for it: both burn CPU, the grandchild 0.6 s
    code = (f"import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', {busy!r}]); {busy}; p.wait()")
    with TreeCpu(interval=0.05) as cpu:
        subprocess.run([sys.executable, "-c", code], check=True)
    assert cpu.seconds >= 1.1


def test_the_profile_lists_functions_by_cumulative_and_own_time(tmp_path):
    """`--profile`: pyinstrument's session of a run, read into the report's two lists."""
    import time

    from pyinstrument import Profiler

    def busy() -> None:
        began = time.perf_counter()
        while time.perf_counter() - began < 0.3:
            sum(range(1000))

    profiler = Profiler(interval=0.001)
    profiler.start()
    busy()
    profiler.stop().save(str(tmp_path / "run.pyisession"))
    top = runner.top_functions(tmp_path / "run.pyisession")
    [row] = [r for r in top["project_by_cumulative"] if r["function"].endswith("(busy)")]
    assert row["function"].startswith("tests/test_bench.py:") and 0.25 <= row["cumulative_s"] < 3
    assert row["own_s"] <= row["cumulative_s"]
    assert top["all_by_own_time"] and top["all_by_own_time"][0]["own_s"] >= top["all_by_own_time"][-1]["own_s"]
