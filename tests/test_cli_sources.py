"""`imon sources check`: every configured table asked for its metadata, live or from the offline sample."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


@pytest.fixture
def no_imon_variables(monkeypatch):
    """A shell without IMON_* variables: no credentials, default tables file."""
    for name in [name for name in os.environ if name.startswith("IMON_")]:
        monkeypatch.delenv(name)


def rows_of(output: str) -> dict[str, str]:
    """The first line of each table row, by table code."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 6 and cells[0] and cells[0] != "table":
            rows.setdefault(cells[0], " | ".join(cells))
    return rows


def test_offline_every_row_says_it_comes_from_the_sample(no_imon_variables):
    result = runner.invoke(app, ["sources", "check"], env={"COLUMNS": "400"})

    assert result.exit_code == 0, result.output
    assert "No credentials for destatis, regio, zensus" in result.output
    rows = rows_of(result.output)
    assert rows["12411-01-01-4"].startswith("12411-01-01-4 | regio | yes |")
    assert "31.12.1995 – 31.12.2024 | offline sample (12411-01-01-4_metadata_response.json), not asked live" in rows["12411-01-01-4"]
    assert "15.05.2022 – 15.05.2022 | offline sample" in rows["1000A-2022"]
    for unrecorded in ("13211-02-05-4", "21111-01-03-4"):  # no metadata was recorded: unknown, never "missing"
        assert f"{unrecorded} | regio | unknown |" in rows[unrecorded]
        assert "not in the offline sample (no recorded metadata)" in rows[unrecorded]
    assert rows["GV100AD"].endswith("| file, not checked online")
    assert rows["arbeitslose_auslaender_nachgeschlecht"].startswith("arbeitslose_auslaender_nachgeschlecht | ba_file | – |")


def test_live_a_table_the_service_does_not_know_fails_the_check(fake_genesis, no_imon_variables, monkeypatch):
    for instance in ("regio", "destatis", "zensus"):
        for name, value in fake_genesis.environ(instance).items():
            monkeypatch.setenv(name, value)

    result = runner.invoke(app, ["sources", "check"], env={"COLUMNS": "400"})

    assert result.exit_code == 1, result.output
    assert "No credentials" not in result.output and "offline sample" not in result.output
    rows = rows_of(result.output)
    assert "| regio | yes |" in rows["12411-01-01-4"] and "ok, updated 31.03.2025 11:18:07h" in rows["12411-01-01-4"]
    assert "| destatis | yes |" in rows["12531-0043"]
    # the fake service holds no metadata for these two: live, that means renamed, split or withdrawn
    assert "| regio | no |" in rows["13211-02-05-4"]
    assert "not found on regio (status 104: Es gibt keine Objekte zum angegebenen Selektionskriterium)" in rows["13211-02-05-4"]
    not_found = next(line for line in result.output.splitlines() if "not found or not checked:" in line)
    assert "unemployed_by_group" in not_found and "pupils_by_school_type" in not_found
    checked = fake_genesis.requests_to("metadata/table")
    from flows.settings import PROJECT_ROOT
    from sources.catalog import load_table_specs

    genesis_tables = [s.table for s in load_table_specs(PROJECT_ROOT / "sources" / "tables.yaml")
                      if s.source in ("regio", "destatis", "zensus")]
    assert sorted(r.form["name"] for r in checked) == sorted(genesis_tables)
    assert {r.headers["username"] for r in checked} == {fake_genesis.username}
    for secret in (fake_genesis.username, fake_genesis.password):
        assert secret not in result.output


def test_a_service_that_cannot_be_asked_is_a_failed_check(fake_genesis, no_imon_variables, monkeypatch):
    for name, value in fake_genesis.environ("regio", password="wrong-password").items():
        monkeypatch.setenv(name, value)

    result = runner.invoke(app, ["sources", "check", "--table", "population_by_sex"], env={"COLUMNS": "400"})

    assert result.exit_code == 1, result.output
    assert "check failed: regio: the service refused the credentials" in " ".join(result.output.split())
    assert "wrong-password" not in result.output


def listed_commands(output: str) -> dict[str, str]:
    """Command name → its help line, from the Commands panel of a --help page."""
    panel = output.split("─ Commands ─", 1)[1]
    return {line.strip("│ ").split()[0]: " ".join(line.strip("│ ").split()[1:])
            for line in panel.splitlines() if line.startswith("│") and line.strip("│ ")}


def test_help_lists_the_sources_commands():
    top = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert top.exit_code == 0
    assert listed_commands(top.output)["sources"].startswith("The configured source tables: do they still exist")
    group = runner.invoke(app, ["sources", "--help"], env={"COLUMNS": "200"})
    assert group.exit_code == 0
    assert listed_commands(group.output) == {
        "check": "Ask each GENESIS instance whether every configured table exists and which time range it covers."}
