"""The real flow in live mode: regio and destatis credentials set, pointed at the fake service on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os

import duckdb
import pytest

from flows.settings import PROJECT_ROOT
from sources.catalog import load_table_specs


@pytest.mark.slow
def test_live_run_fetches_over_http_and_keeps_credentials_out(fake_genesis, tmp_path, monkeypatch, caplog):
    from flows.pipeline import pipeline

    for name in [name for name in os.environ if name.startswith("IMON_")]:
        monkeypatch.delenv(name)
    for instance in ("regio", "destatis"):
        for name, value in fake_genesis.environ(instance).items():
            monkeypatch.setenv(name, value)
    fake_genesis.job_polls = 0  # 12531-0043 still runs as a background job; its result is ready at the first poll
    caplog.set_level(logging.DEBUG)

    specs = load_table_specs(PROJECT_ROOT / "sources" / "tables.yaml")
    # the tables the local service was built from (recorded exchanges and real files)
    genesis_tables = [spec.name for spec in specs if spec.source in ("regio", "destatis") and spec.offline == "real"]

    summary = pipeline(warehouse=str(tmp_path / "imon.duckdb"), tables=genesis_tables, build=False)

    assert summary.mode == "live: destatis, regio"
    statuses = {t.name: t.status for t in summary.tables}  # the chosen tables and the files every run needs
    assert set(genesis_tables) <= set(statuses) and set(statuses.values()) == {"loaded"}, summary.tables
    requested = {(r.instance, r.form["name"]) for r in fake_genesis.requests_to("data/tablefile")}
    assert requested == {("regio", "12411-01-01-4"), ("regio", "13111-01-03-4"), ("regio", "13211-02-05-4"),
                         ("regio", "21111-01-03-4"), ("destatis", "12531-0043"), ("destatis", "12411-0018")}
    # 13211-02-05-4 in its time slices (sources/tables.yaml), one request each
    assert sorted((r.form["startyear"], r.form["endyear"]) for r in fake_genesis.requests_to("data/tablefile")
                  if r.form["name"] == "13211-02-05-4") == [("2015", "2020"), ("2023", "2023"), ("2025", "2025")]
    assert [r.form["name"] for r in fake_genesis.requests_to("data/resultfile")] == ["12531-0043_175879554"]
    secrets = [fake_genesis.username, fake_genesis.password]
    for request in fake_genesis.requests:  # credentials only in the headers (the fixture checks URL and body)
        assert (request.headers["username"], request.headers["password"]) == tuple(secrets)

    landing = tmp_path / "landing"
    for source, table in (("regio", "12411-01-01-4"), ("destatis", "12531-0043")):
        (sidecar,) = (landing / source / table).glob("*.json")
        described = json.loads(sidecar.read_text(encoding="utf-8"))
        assert described["url"].startswith(f"http://127.0.0.1:{fake_genesis.port}/") and "X-Imon-Replay" not in described["headers"]
    assert json.loads(next((landing / "destatis" / "12531-0043").glob("*.json")).read_text())["job_name"] == "12531-0043_175879554"
    for path in landing.rglob("*"):
        if path.is_file():
            assert not any(secret.encode() in path.read_bytes() for secret in secrets), path
    warehouse_bytes = summary.warehouse_path.read_bytes()
    assert not any(secret.encode() in warehouse_bytes for secret in secrets)
    warehouse = duckdb.connect(str(summary.warehouse_path), read_only=True)
    for schema, table in warehouse.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall():
        for secret in secrets:
            hits = warehouse.execute(f'SELECT count(*) FROM "{schema}"."{table}" t WHERE t::VARCHAR LIKE ?', [f"%{secret}%"])
            assert hits.fetchone()[0] == 0, f"{schema}.{table}"
    assert warehouse.execute("SELECT mode FROM meta.run").fetchone()[0] == "live: destatis, regio"
    warehouse.close()
    assert not any(secret in record.getMessage() for record in caplog.records for secret in secrets)
