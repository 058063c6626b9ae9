"""The `imon` command line as a user meets it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.settings import PROJECT_ROOT

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
    result = runner.invoke(app, ["indicators", "--region", "99999", "--warehouse", str(built[0].warehouse_path)])
    assert result.exit_code == 2


def test_sql_is_read_only_and_writes_csv(built, tmp_path):
    path = str(built[0].warehouse_path)
    result = runner.invoke(app, ["sql", "SELECT count(*) AS kreise FROM core.region WHERE level = 'kreis'", "-w", path])
    assert result.exit_code == 0 and "400" in result.output
    refused = runner.invoke(app, ["sql", "DROP TABLE core.region", "-w", path])
    assert refused.exit_code == 1
    out = tmp_path / "kreise.csv"
    written = runner.invoke(app, ["sql", "SELECT ags, name FROM core.region WHERE level = 'kreis' ORDER BY ags", "-w", path, "--csv", str(out)])
    assert written.exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ags,name" and lines[1].startswith("01001000,") and len(lines) == 401


def test_status_names_the_raw_files(built):
    result = runner.invoke(app, ["status", "-w", str(built[0].warehouse_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "12531-0043" in result.output and "success" in result.output


def test_read_commands_explain_a_missing_warehouse(tmp_path):
    result = runner.invoke(app, ["status", "-w", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "imon run" in result.output


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    for command in ("run", "pull", "build", "status", "validation", "sql", "indicators", "catalog", "deploy"):
        assert command in result.output


def test_status_says_what_a_published_indicator_rests_on(built):
    result = runner.invoke(app, ["status", "--indicator", "DEM09", "-w", str(built[0].warehouse_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "12531-0043" in result.output and "12411-01-01-4" in result.output
    assert "published snapshot: run" in result.output
