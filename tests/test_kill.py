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
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_when(process: subprocess.Popen, marker: str, timeout: float = 120) -> None:
    """Read the child's output until `marker`, then SIGKILL it."""
    deadline = time.monotonic() + timeout
    seen = []
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            return
        assert time.monotonic() < deadline, "".join(seen)
    pytest.fail(f"child ended before {marker!r}:\n{''.join(seen)}")


def test_killed_in_the_middle_of_a_build(copied):
    before = fingerprint(copied)
    # a changed indicator definition makes the build replace tables; the child stops after five of them
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
        connection.execute("DELETE FROM raw.population_by_sex WHERE region_key LIKE '09%'")  # committed before the build
        print("changed", flush=True)
        build_models(connection, Path("sql"), run_id="killed", variables={{"min_denominator": 50}}, progress=progress)
    """)
    kill_when(process, "HALFWAY")
    after = fingerprint(copied)
    changed = {k for k in before if before[k] != after.get(k)}
    # only the committed raw change is there; every model is as before the build started
    assert changed == {"raw.population_by_sex"}
    rerun = pipeline(warehouse=str(copied))
    assert rerun.exit_code == 0
    assert rerun.models_built == 22 or rerun.models_built is None


def test_killed_in_the_middle_of_a_load(copied):
    before = fingerprint(copied)
    # the child replaces raw.population_by_sex in a transaction and is killed before it commits
    process = start(f"""
        import time
        import pandas as pd
        from warehouse.connection import connect
        from warehouse.loading import RawFile, load_table

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
        load_table(SlowAfterCreate(connection), run_id="killed", table_name="population_by_sex", table_code="12411-01-01-4",
                   source="regio", title="x", frame=frame, files=[RawFile("x", "0" * 64, 1, {{}}, None)])
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
    )
    kill_when(process, "protection_seekers")  # some tables loaded, others not yet
    summary = pipeline(warehouse=str(tmp_path / "imon.duckdb"))
    assert summary.exit_code == 0
    assert {t.status for t in summary.tables} <= {"loaded", "unchanged", "not delivered"}
    connection = duckdb.connect(str(tmp_path / "imon.duckdb"), read_only=True)
    outcomes = [r[0] for r in connection.execute("SELECT outcome FROM meta.run ORDER BY started_at").fetchall()]
    assert outcomes == ["interrupted", "success"]
