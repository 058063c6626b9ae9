"""The `imon` command line as a user meets it."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_run_prints_a_summary_without_noise(tmp_path):
    """`imon run` offline: one line about the sample, progress, a summary; no tracebacks, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMON_", "PREFECT_"))}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("imon")), "run", "--warehouse", str(tmp_path / "imon.duckdb")],
        capture_output=True, text=True, env={**env, "COLUMNS": "200"}, timeout=300, cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "offline sample" in output
    assert re.search(r"tables: \d+ loaded, 0 unchanged, 0 rejected or failed", output), output
    assert re.search(r"indicators: \d+ computed", output), output
    for noise in ("Traceback", "telemetry", "Starting temporary server", "Stopping temporary server", "Task run",
                  "great_expectations", "| INFO"):
        assert noise not in output, noise


def test_indicators_shows_a_kreis_with_land_and_germany(built):
    result = runner.invoke(app, ["indicators", "--region", "09162", "--warehouse", str(built[0].warehouse_path)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "München" in result.output
    assert "ARB06" in result.output and "49.0" in result.output  # 19249 / 39249
    assert "37.1" in result.output  # Germany: 967226 / 2608672


def test_indicators_refuses_an_unknown_region(built):
    result = runner.invoke(app, ["indicators", "--region", "99999", "--warehouse", str(built[0].warehouse_path)],
                           env={"COLUMNS": "200"})
    # exit code 2 is also Typer's for any usage error: the message says which one this is
    assert (result.exit_code, result.output.strip()) == (2, "no kreis with key 99999 in the register")


def test_sql_is_read_only_and_writes_csv(built, tmp_path):
    path = str(built[0].warehouse_path)
    result = runner.invoke(app, ["sql", "SELECT count(*) AS kreise FROM core.region WHERE level = 'kreis'", "-w", path])
    assert result.exit_code == 0
    assert [row for row in table_rows(result.output)] == [["400"]]
    refused = runner.invoke(app, ["sql", "DROP TABLE core.region", "-w", path])
    assert refused.exit_code == 1
    assert "read-only" in refused.output.lower() and "DROP" in refused.output
    assert duckdb_count(path, "SELECT count(*) FROM core.region WHERE level = 'kreis'") == 400
    out = tmp_path / "kreise.csv"
    written = runner.invoke(app, ["sql", "SELECT ags, name FROM core.region WHERE level = 'kreis' ORDER BY ags", "-w", path, "--csv", str(out)])
    assert written.exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ags,name" and lines[1].startswith("01001000,") and len(lines) == 401


def table_rows(output: str) -> list[list[str]]:
    """The cells of every body row of the tables Rich printed."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if line.startswith("│")]


def duckdb_count(path, sql: str) -> int:
    import duckdb

    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def test_status_names_the_raw_files_with_their_sha256(built):
    import duckdb

    summary, directory = built
    result = runner.invoke(app, ["status", "-w", str(summary.warehouse_path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    files = [row for row in table_rows(result.output) if len(row) == 7]
    connection = duckdb.connect(str(summary.warehouse_path), read_only=True)
    stored = connection.execute("SELECT table_name, source || ' ' || table_code, path, sha256 FROM meta.raw_file").fetchall()
    connection.close()
    assert len(files) == len(stored) > 30
    # each raw file with the first 12 hex digits of the sha256 of its bytes in the landing zone
    shown = {(table, source, path): sha for table, source, path, sha, _, _, in_raw in files if in_raw == "yes"}
    for table, source, path, sha256 in stored:
        assert shown[(table, source, path)] == hashlib.sha256((directory / "landing" / path).read_bytes()).hexdigest()[:12]
        assert sha256.startswith(shown[(table, source, path)])
    assert shown[("population_by_sex", "regio 12411-01-01-4", next(p for t, _, p, _ in stored if t == "population_by_sex"))]
    # the runs table (its rows start with a run id; the 6-column publishes table's with a time)
    runs = [row for row in table_rows(result.output) if len(row) == 6 and re.match(r"\d{8}T\d{6}Z-", row[0])]
    assert [(run, outcome) for run, _, outcome, _, _, _ in runs] == [(summary.run_id, "success")]
    publishes = [row for row in table_rows(result.output) if len(row) == 6 and row[1] == summary.run_id]
    assert [(by_via[3]) for by_via in publishes] == ["flow"]


def test_validation_lists_the_latest_results_failed_first(built):
    import duckdb

    result = runner.invoke(app, ["validation", "-w", str(built[0].warehouse_path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    connection = duckdb.connect(str(built[0].warehouse_path), read_only=True)
    stored = connection.execute(
        "SELECT table_name, expectation, coalesce(column_name, ''), severity, success, coalesce(unexpected_count::VARCHAR, '') "
        "FROM meta.validation_result").fetchall()
    connection.close()
    assert len(rows) == len(stored)  # one run so far: every result is the latest of its table
    assert sorted(tuple(row[:6]) for row in rows) == sorted(
        (t, e, c, s, "passed" if ok else "FAILED", n) for t, e, c, s, ok, n in stored)
    results = [row[4] for row in rows]
    assert results == sorted(results, key=lambda r: r != "FAILED"), "failed expectations come first"
    # the run succeeded: what failed are warnings, e.g. the Gemeinde 010585859107 merged after the census date
    failed = [row for row in rows if row[4] == "FAILED"]
    assert failed and {row[3] for row in failed} == {"warning"}
    census = [row for row in failed if row[0] == "census_population_gemeinden" and row[2] == "region_key_status"]
    assert len(census) == 1 and "010585859107" in census[0][6]


def test_read_commands_explain_a_missing_warehouse(tmp_path):
    result = runner.invoke(app, ["status", "-w", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "imon run" in result.output


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    listed = {row[0].split()[0] for row in table_rows(result.output) if row and row[0]}
    assert {"run", "pull", "build", "status", "validation", "sql", "indicators", "catalog", "publish"} <= listed


def test_status_says_what_a_published_indicator_rests_on(built):
    result = runner.invoke(app, ["status", "--indicator", "DEM09", "-w", str(built[0].warehouse_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    # DEM09: protection seekers (12531-0043) per 1,000 inhabitants (12411-01-01-4)
    assert {row[0] for row in table_rows(result.output)} == {"12531-0043", "12411-01-01-4"}
    assert f"published snapshot: run {built[0].run_id}" in result.output


def test_catalog_markdown_names_a_broken_header_without_a_traceback_and_writes_nothing(tmp_path, monkeypatch):
    import dataclasses
    import shutil

    import flows.cli
    from flows.settings import PROJECT_ROOT, load_settings

    sql = tmp_path / "sql"
    shutil.copytree(PROJECT_ROOT / "sql", sql)
    broken = sql / "core" / "region_area_change.sql"
    broken.write_text(broken.read_text(encoding="utf-8").replace("grain: one row", "grain: one: row"), encoding="utf-8")
    settings = dataclasses.replace(load_settings(), sql_dir=sql)
    monkeypatch.setattr(flows.cli, "load_settings", lambda *a, **k: settings)
    page = tmp_path / "CATALOG.md"
    result = runner.invoke(app, ["catalog", "--markdown", str(page)], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # refused, not crashed
    assert "region_area_change.sql: header is not valid YAML" in result.output
    assert "Traceback" not in result.output and not page.exists()


def test_the_console_script_keeps_every_line_and_exit_status(built):
    """`imon` ends without the interpreter's teardown (flows/cli.py main): all output flushed, statuses as click sets them."""
    imon = str(Path(sys.executable).with_name("imon"))
    env = {**os.environ, "COLUMNS": "200"}
    # the session's sample warehouse, never the checkout's own (a fresh clone has none before `make run`)
    catalog_args = ["catalog", "--warehouse", str(built[0].warehouse_path)]
    catalog = subprocess.run([imon, *catalog_args], capture_output=True, text=True, env=env, timeout=120)
    assert catalog.returncode == 0, catalog.stderr
    assert catalog.stdout == runner.invoke(app, catalog_args, env={"COLUMNS": "200"}).output  # 60+ kB through a pipe
    assert subprocess.run([imon, "no-such-command"], capture_output=True, env=env, timeout=120).returncode == 2
    failed = subprocess.run([imon, "status", "--warehouse", "/nonexistent/imon.duckdb"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert failed.returncode != 0 and failed.stderr.strip()
