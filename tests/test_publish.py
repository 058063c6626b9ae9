"""Published snapshots: atomic switch, read-only copies, pruning, rollback, readers that keep their snapshot."""

from __future__ import annotations

import os
import stat

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from warehouse.publish import (NoSnapshotError, current_snapshot, open_for_reading, open_snapshot, publish, rollback,
                               snapshot_label, snapshots)

try:
    from service_support import service_settings
except ImportError:
    from tests.service_support import service_settings

runner = CliRunner()


def working(path, marker: int, outcome: str = "success"):
    """A small working warehouse whose one value is `marker`, with a run of the given outcome."""
    connection = duckdb.connect(str(path))
    connection.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS meta")
    connection.execute("CREATE OR REPLACE TABLE marts.indicator_value AS SELECT ? AS value", [marker])
    connection.execute("COMMENT ON TABLE marts.indicator_value IS 'a table with a comment'")
    connection.execute("CREATE OR REPLACE TABLE meta.run AS SELECT ? AS run_id, now() AS started_at, now() AS finished_at, "
                       "'offline' AS mode, ? AS outcome, NULL::VARCHAR AS message", [f"run-{marker}", outcome])
    connection.close()
    return path


def value(connection) -> int:
    return connection.execute("SELECT value FROM marts.indicator_value").fetchone()[0]


def test_publish_copies_into_a_read_only_snapshot_and_switches_current(tmp_path):
    published = tmp_path / "published"
    assert current_snapshot(published) is None
    path = publish(working(tmp_path / "w.duckdb", 1), published, run_id="run-1")
    assert path == published / "imon-run-1.duckdb" == current_snapshot(published)
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert (published / "CURRENT").read_text().strip() == path.name
    connection = open_snapshot(published)
    assert value(connection) == 1 and snapshot_label(connection) == "run-1"
    assert connection.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'indicator_value'").fetchone()[0] \
        == "a table with a comment"
    with pytest.raises(duckdb.Error):
        connection.execute("CREATE TABLE marts.x AS SELECT 1")
    connection.close()
    assert not list(published.glob(".*partial"))


def test_the_working_file_may_stay_open_for_reading_while_publishing(tmp_path):
    source = working(tmp_path / "w.duckdb", 7)
    reader = duckdb.connect(str(source), read_only=True)
    publish(source, tmp_path / "published", run_id="r")
    reader.close()
    assert value(open_snapshot(tmp_path / "published")) == 7


def test_a_reader_keeps_its_snapshot_while_two_more_are_published_and_the_old_one_pruned(tmp_path):
    published = tmp_path / "published"
    publish(working(tmp_path / "w.duckdb", 1), published, run_id="one", keep=1)
    reader = open_snapshot(published)
    first = current_snapshot(published)
    publish(working(tmp_path / "w.duckdb", 2), published, run_id="two", keep=1)
    publish(working(tmp_path / "w.duckdb", 3), published, run_id="three", keep=1)
    assert not first.exists()  # pruned from the folder while still open
    assert value(reader) == 1 and snapshot_label(reader) == "one"
    assert reader.execute("SELECT count(*) FROM marts.indicator_value").fetchone()[0] == 1
    reader.close()
    assert value(open_snapshot(published)) == 3


def test_prune_keeps_the_last_n_and_never_the_current_or_its_predecessor(tmp_path):
    published = tmp_path / "published"
    for number in range(1, 7):
        publish(working(tmp_path / "w.duckdb", number), published, run_id=f"r{number}", keep=3)
    assert [s.run_id for s in snapshots(published)] == ["r4", "r5", "r6"]
    assert sorted(p.name for p in published.glob("*.duckdb")) == ["imon-r4.duckdb", "imon-r5.duckdb", "imon-r6.duckdb"]
    rollback(published)
    rollback(published)  # now r4 is current; r5 and r6 are withdrawn
    publish(working(tmp_path / "w.duckdb", 7), published, run_id="r7", keep=1)
    assert {s.run_id for s in snapshots(published)} == {"r4", "r7"}  # r7 current, r4 what a rollback returns to
    rollback(published)
    assert value(open_snapshot(published)) == 4


def test_rollback_restores_the_previous_snapshot_and_skips_withdrawn_ones(tmp_path):
    published = tmp_path / "published"
    for number in (1, 2, 3):
        publish(working(tmp_path / "w.duckdb", number), published, run_id=f"r{number}")
    assert rollback(published).name == "imon-r2.duckdb"
    assert value(open_snapshot(published)) == 2
    publish(working(tmp_path / "w.duckdb", 4), published, run_id="r4")
    assert rollback(published).name == "imon-r2.duckdb"  # not r3, which was rolled back from
    assert rollback(published).name == "imon-r1.duckdb"
    with pytest.raises(NoSnapshotError, match="oldest"):
        rollback(published)
    with pytest.raises(NoSnapshotError, match="nothing is published"):
        rollback(tmp_path / "empty")


def test_publishing_the_same_run_twice_keeps_both(tmp_path):
    published = tmp_path / "published"
    first = publish(working(tmp_path / "w.duckdb", 1), published, run_id="same")
    second = publish(working(tmp_path / "w.duckdb", 2), published, run_id="same")
    assert first != second and first.exists() and value(open_snapshot(published)) == 2


def test_open_for_reading_prefers_the_snapshot_and_falls_back_to_the_working_file(tmp_path):
    settings = service_settings(tmp_path, working(tmp_path / "w.duckdb", 5))
    notes = []
    connection = open_for_reading(settings, note=notes.append)
    assert value(connection) == 5 and "nothing published" in notes[0]
    connection.close()
    publish(settings.warehouse_path, settings.published_dir, run_id="p")
    working(settings.warehouse_path, 6)  # the working file moves on; readers see the published 5
    notes.clear()
    connection = open_for_reading(settings, note=notes.append)
    assert value(connection) == 5 and not notes
    connection.close()


def test_cli_publish_refuses_a_failed_run_unless_forced_and_rolls_back(tmp_path):
    path = working(tmp_path / "w.duckdb", 1)
    env = {"IMON_PUBLISHED_DIR": str(tmp_path / "published"), "COLUMNS": "200"}
    result = runner.invoke(app, ["publish", "-w", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "imon-run-1.duckdb" in result.output
    working(path, 2, outcome="rejected")
    refused = runner.invoke(app, ["publish", "-w", str(path)], env=env)
    assert refused.exit_code == 1 and "quality gate" in refused.output
    forced = runner.invoke(app, ["publish", "--force", "-w", str(path)], env=env)
    assert forced.exit_code == 0 and value(open_snapshot(tmp_path / "published")) == 2
    rolled = runner.invoke(app, ["publish", "--rollback", "-w", str(path)], env=env)
    assert rolled.exit_code == 0 and "imon-run-1.duckdb is current again" in rolled.output
    assert value(open_snapshot(tmp_path / "published")) == 1
    listed = runner.invoke(app, ["publish", "--list", "-w", str(path)], env=env)
    assert "imon-run-2.duckdb" in listed.output and listed.exit_code == 0


def test_cli_publish_of_the_built_warehouse(built, built_copy, tmp_path):
    summary = built[0]
    env = {"IMON_PUBLISHED_DIR": str(tmp_path / "published")}
    result = runner.invoke(app, ["publish", "-w", str(built_copy)], env=env)  # a copy: publishing records into it
    assert result.exit_code == 0, result.output
    connection = open_snapshot(tmp_path / "published")
    assert snapshot_label(connection) == summary.run_id
    assert connection.execute("SELECT count(*) FROM marts.indicator_value").fetchone()[0] > 3000
    connection.close()


def test_imon_snapshots_keep_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("IMON_SNAPSHOTS_KEEP", raising=False)
    path = tmp_path / "w.duckdb"
    base = {"IMON_PUBLISHED_DIR": str(tmp_path / "published"), "COLUMNS": "200"}
    for marker in (1, 2, 3, 4):
        working(path, marker)
        result = runner.invoke(app, ["publish", "-w", str(path)], env={**base, "IMON_SNAPSHOTS_KEEP": "2"})
        assert result.exit_code == 0, result.output
    # two kept: the current one and the one a rollback returns to
    assert sorted(p.name for p in (tmp_path / "published").glob("*.duckdb")) == ["imon-run-3.duckdb", "imon-run-4.duckdb"]
    assert [s.file for s in snapshots(tmp_path / "published")] == ["imon-run-3.duckdb", "imon-run-4.duckdb"]
    # unset, five are kept
    for marker in (5, 6, 7, 8):
        working(path, marker)
        assert runner.invoke(app, ["publish", "-w", str(path)], env=base).exit_code == 0
    assert [s.file for s in snapshots(tmp_path / "published")] == [f"imon-run-{n}.duckdb" for n in (4, 5, 6, 7, 8)]
