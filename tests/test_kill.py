"""The process killed (SIGKILL) in the middle of a load or a build leaves the warehouse as it was,
and the next run completes. Each test kills a real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import pipeline
from flows.settings import PROJECT_ROOT
from tests.warehouse_support import fresh_build, model_state
from warehouse.models import discover_models, downstream

pytestmark = pytest.mark.slow


@pytest.fixture
def copied(built_copy):
    """A copy of the session's built warehouse (with its landing zone and snapshots)."""
    return built_copy


def fingerprint(path: Path) -> dict[str, object]:
    """What must not change: the tables' contents (by hash) and the bookkeeping."""
    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = connection.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name <> 'meta' ORDER BY 1"
        ).fetchall()
        state = {name: connection.execute(f"SELECT count(*), sum(hash(t)) FROM {name} t").fetchone() for (name,) in tables}
        for meta in ("raw_file", "table_load", "model_build"):
            state[f"meta.{meta}"] = connection.execute(f"SELECT count(*) FROM meta.{meta}").fetchone()
        return state
    finally:
        connection.close()


def start(script: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def kill_when(process: subprocess.Popen, marker: str, timeout: float = 900) -> None:
    """Read the child's output until `marker`, then SIGKILL it.

    The child runs in its own session: once it is dead, what it left running (Prefect's temporary
    server) is killed too, so it does not take the cores of the tests that follow."""
    deadline = time.monotonic() + timeout
    seen = []
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        assert time.monotonic() < deadline, "".join(seen)
    pytest.fail(f"child ended before {marker!r}:\n{''.join(seen)}")


def with_extra_peer_group(tmp_path: Path, monkeypatch) -> Path:
    """IMON_TABLES_FILE naming a peer-group file with one more group (Kassel Stadt and Landkreis)."""
    groups = tmp_path / "peer_groups.csv"
    groups.write_text((PROJECT_ROOT / "sources" / "curated" / "peer_groups.csv").read_text(encoding="utf-8")
                      + "hessen_kassel,Kassel und Nachbarn,06611000,Kassel,test\n"
                        "hessen_kassel,Kassel und Nachbarn,06633000,Landkreis Kassel,test\n", encoding="utf-8")
    tables_file = tmp_path / "tables.yaml"
    tables_file.write_text((PROJECT_ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8")
                           .replace("path: ../../sources/curated/peer_groups.csv", f"path: {groups}"), encoding="utf-8")
    monkeypatch.setenv("IMON_TABLES_FILE", str(tables_file))
    return tables_file


def test_killed_in_the_middle_of_a_build(copied, tmp_path):
    before, models_before = fingerprint(copied), model_state(copied)
    # a change the bookkeeping does not see (values edited by hand) and a build killed after five models
    process = start(f"""
        import time
        from pathlib import Path
        from warehouse.connection import connect
        from warehouse.models import build_models

        built = []
        def progress(model, rows):
            built.append(model)
            if len(built) == 5:
                print("HALFWAY", flush=True)
                time.sleep(120)

        connection = connect({str(copied)!r})
        connection.execute("UPDATE raw.population_by_sex SET value = value + 1 WHERE region_key LIKE '09%'")  # committed
        print("changed", flush=True)
        build_models(connection, Path("sql"), run_id="killed", variables={{"min_denominator": 50}}, progress=progress)
    """)
    kill_when(process, "HALFWAY")
    after = fingerprint(copied)
    changed = {k for k in before if before[k] != after.get(k)}
    # only the committed raw change is there; every model is as before the build started
    assert changed == {"raw.population_by_sex"}
    connection = duckdb.connect(str(copied), read_only=True)
    assert connection.execute("SELECT run_id FROM meta.unfinished_build").fetchall() == [("killed",)]
    connection.close()

    rerun = pipeline(warehouse=str(copied))
    assert rerun.exit_code == 0
    expected, models_in_a_full_build = fresh_build(copied, tmp_path)
    # the unfinished build is seen: every model is rebuilt, and each equals a fresh build from the same raw data
    assert rerun.models_built == models_in_a_full_build
    assert model_state(copied) == expected
    assert expected["staging.population_by_sex"] != models_before["staging.population_by_sex"]
    connection = duckdb.connect(str(copied), read_only=True)
    assert connection.execute("SELECT count(*) FROM meta.unfinished_build").fetchone()[0] == 0
    connection.close()


def test_killed_after_a_load_before_its_build(copied, tmp_path, monkeypatch):
    """The pipeline's own ingest loads a changed table and the process dies before the build: the next run,
    which finds that table's files already loaded, still rebuilds what rests on it."""
    with_extra_peer_group(tmp_path, monkeypatch)
    before = model_state(copied)
    process = start(f"""
        import time
        from flows.pipeline import _read_register, ingest_table, pull_table
        from flows.settings import load_settings
        from sources.catalog import load_table_specs
        from warehouse.quality import QualityGate

        settings = load_settings(warehouse={str(copied)!r})
        spec = next(s for s in load_table_specs(settings.tables_file) if s.name == "peer_groups")
        register = _read_register(settings)
        outcome = ingest_table.fn(spec, pull_table.fn(spec, settings), settings, "killed",
                                  QualityGate(docs_dir=settings.warehouse_path.parent / "data_docs"), register)
        register.close()
        print("LOADED", outcome.status, flush=True)
        time.sleep(120)
    """)
    kill_when(process, "LOADED loaded")
    assert model_state(copied) == before

    rerun = pipeline(warehouse=str(copied))
    assert rerun.exit_code == 0
    assert {t.name: t.status for t in rerun.tables}["peer_groups"] == "unchanged"
    expected, _ = fresh_build(copied, tmp_path)
    assert model_state(copied) == expected
    # what rests on the peer groups; no indicator changed, so the marts of the stacked values keep their rows
    assert rerun.models_built == len(downstream(discover_models(PROJECT_ROOT / "sql"), {"raw.peer_groups"}))
    connection = duckdb.connect(str(copied), read_only=True)
    assert connection.execute(
        "SELECT count(DISTINCT ags) FROM marts.indicator_comparison WHERE group_id = 'hessen_kassel'").fetchone()[0] == 2
    connection.close()


def test_killed_in_the_middle_of_a_load(copied):
    before = fingerprint(copied)
    # the child replaces raw.population_by_sex in a transaction and is killed before it commits
    process = start(f"""
        import time
        import pandas as pd
        from warehouse.connection import connect
        from warehouse.loading import RawFile, load_table
        from warehouse.quality import stage_frame

        class SlowAfterCreate:
            def __init__(self, connection):
                self.connection = connection
            def __getattr__(self, name):
                return getattr(self.connection, name)
            def execute(self, sql, *args):
                result = self.connection.execute(sql, *args)
                if sql.startswith("CREATE OR REPLACE TABLE raw."):
                    print("TABLE REPLACED, NOT COMMITTED", flush=True)
                    time.sleep(120)
                return result

        connection = connect({str(copied)!r})
        frame = pd.DataFrame({{"region_key": ["09162"] * 1000, "value": [1.0] * 1000, "line_number": range(1000)}})
        staged = stage_frame(connection, frame, "incoming_population_by_sex")
        load_table(SlowAfterCreate(connection), run_id="killed", table_name="population_by_sex", table_code="12411-01-01-4",
                   source="regio", title="x", staged=staged.name, files=[RawFile("x", "0" * 64, 1, {{}}, None)])
    """)
    kill_when(process, "TABLE REPLACED, NOT COMMITTED")
    assert fingerprint(copied) == before
    rerun = pipeline(warehouse=str(copied))
    assert rerun.exit_code == 0


def test_a_killed_run_is_marked_and_the_next_run_completes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMON_")}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("imon")), "run", "--warehouse", str(tmp_path / "imon.duckdb")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**env, "COLUMNS": "200"}, cwd=tmp_path,
        start_new_session=True,
    )
    kill_when(process, "protection_seekers")  # some tables loaded, others not yet
    summary = pipeline(warehouse=str(tmp_path / "imon.duckdb"))
    assert summary.exit_code == 0
    assert {t.status for t in summary.tables} <= {"loaded", "unchanged", "not delivered"}
    connection = duckdb.connect(str(tmp_path / "imon.duckdb"), read_only=True)
    outcomes = [r[0] for r in connection.execute("SELECT outcome FROM meta.run ORDER BY started_at").fetchall()]
    assert outcomes == ["interrupted", "success"]
