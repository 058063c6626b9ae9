"""The README's promises about a pipeline run, each driven through the real flow on a copy of the
session's warehouse: an indicator failing its audit is withheld and readers keep its previous version,
rejected rows land in meta.quarantine, a changed SQL file or setting rebuilds every model, settings are
read from the environment, and every run writes its Data Docs."""

from __future__ import annotations

import dataclasses
import json
import shutil

import duckdb
import pytest

import flows.pipeline as flow
from flows.pipeline import pipeline
from flows.settings import PROJECT_ROOT
from warehouse.publish import current_snapshot

pytestmark = pytest.mark.slow

ARB06 = "indicators.arb06_foreign_share_of_unemployed"


def full_build(built) -> set[str]:
    """Every model the session's first (full) build built."""
    summary, _ = built
    connection = duckdb.connect(str(summary.warehouse_path), read_only=True)
    try:
        return {r[0] for r in connection.execute(
            "SELECT model FROM meta.model_build WHERE run_id = ? AND model <> '*'", [summary.run_id]).fetchall()}
    finally:
        connection.close()


def built_in(path, run_id: str) -> set[str]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in connection.execute(
            "SELECT model FROM meta.model_build WHERE run_id = ? AND model <> '*'", [run_id]).fetchall()}
    finally:
        connection.close()


def arb06_rows(path) -> list[tuple]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute(
            "SELECT ags, level, period, value, numerator, denominator, flag FROM marts.indicator_value "
            "WHERE indicator_id = 'ARB06' ORDER BY ALL").fetchall()
    finally:
        connection.close()


def test_an_indicator_failing_its_audit_is_withheld_and_readers_keep_its_previous_version(built, built_copy, tmp_path,
                                                                                        monkeypatch):
    previous_snapshot = current_snapshot(built_copy.parent / "published")
    previous = arb06_rows(previous_snapshot)
    # a faulty edit of ARB06: per 1,000 while the unit still says pct, so values exceed 100
    sql = tmp_path / "sql"
    shutil.copytree(PROJECT_ROOT / "sql", sql)
    path = sql / "indicators" / "arb06_foreign_share_of_unemployed.sql"
    text = path.read_text(encoding="utf-8")
    assert "scale: 100\n" in text and "unit: pct" in text
    path.write_text(text.replace("scale: 100\n", "scale: 1000\n"), encoding="utf-8")
    settings = flow.load_settings
    monkeypatch.setattr(flow, "load_settings", lambda **kw: dataclasses.replace(settings(**kw), sql_dir=sql))

    summary = pipeline(warehouse=str(built_copy), pull=False)  # the landing zone as it is: no replay needed

    assert (summary.outcome, summary.exit_code, summary.withheld) == ("rejected", 1, [ARB06])
    # a changed SQL file rebuilds every model
    assert built_in(built_copy, summary.run_id) == full_build(built)
    assert summary.models_built == len(full_build(built))
    # what readers see: the new snapshot, with ARB06 exactly as it was published before
    assert summary.published is not None and summary.published != previous_snapshot
    assert current_snapshot(built_copy.parent / "published") == summary.published
    assert arb06_rows(summary.published) == previous
    # the rows the audit rejected, in meta.quarantine: every Kreis, Land and Germany value above 100 at scale 1000
    above = sum(1 for row in previous if row[3] is not None and 10 * row[3] > 100)
    connection = duckdb.connect(str(built_copy), read_only=True)
    quarantined = connection.execute(
        'SELECT table_name, "check", expectation, column_name, line_number, reason, "row" FROM meta.quarantine '
        "WHERE run_id = ?", [summary.run_id]).fetchall()
    message = connection.execute("SELECT outcome, message FROM meta.run WHERE run_id = ?", [summary.run_id]).fetchone()
    connection.close()
    assert above > 400 and len(quarantined) == above
    assert {row[:6] for row in quarantined} == {
        (ARB06, "indicator", "expect_column_values_to_be_between", "value", None, "Values of a pct indicator lie within [0.0, 100.0]")}
    munich = [json.loads(row[6]) for row in quarantined if json.loads(row[6])["ags"] == "09162000"]
    # 13211-02-05-4.csv line 268: München 2023, 19249 foreign of 39249 unemployed
    assert [(r["period"], r["value"]) for r in munich if r["period"] == 2023] == [(2023, pytest.approx(1000 * 19249 / 39249))]
    assert message == ("rejected", f"indicators withheld from publication: {ARB06}")


def test_imon_min_denominator_is_read_from_the_environment_and_rebuilds_every_model(built, built_copy, monkeypatch):
    before = arb06_rows(built_copy)
    # München has 39,249 unemployed (13211-02-05-4.csv line 268): below a minimum of 40,000 its share is withheld
    monkeypatch.setenv("IMON_MIN_DENOMINATOR", "40000")
    summary = pipeline(warehouse=str(built_copy), pull=False)  # the landing zone as it is: no replay needed
    assert summary.exit_code == 0
    assert built_in(built_copy, summary.run_id) == full_build(built)
    after = {(ags, level, period): (value, numerator, denominator, flag)
             for ags, level, period, value, numerator, denominator, flag in arb06_rows(built_copy)}
    assert len(after) == len(before)
    for ags, level, period, value, numerator, denominator, flag in before:
        # every shown value on a denominator below the minimum is withheld (also one re-aggregated from former Kreise)
        if value is not None and denominator is not None and denominator < 40000:
            assert after[(ags, level, period)] == (None, numerator, denominator, "denominator_below_minimum")
        else:
            assert after[(ags, level, period)] == (value, numerator, denominator, flag)
    assert after[("09162000", "kreis", 2023)] == (None, 19249, 39249, "denominator_below_minimum")
    assert sum(1 for row in after.values() if row[3] == "denominator_below_minimum") > 100


def test_a_pipeline_run_writes_its_data_docs(built):
    summary, directory = built
    assert summary.data_docs == directory / "data_docs" / "index.html"
    page = summary.data_docs.read_text(encoding="utf-8")
    # one validation per delivered table, each named by its suite
    for table in ("population_by_sex", "protection_seekers", "ba_unemployed_foreigners_by_sex"):
        assert table in page, table


def test_every_connection_of_a_run_carries_imon_warehouse_memory_limit(built_copy, monkeypatch):
    """DuckDB's memory in a run is capped (beyond it, temporary tables and sorts spill to disk): every
    connection the flow opens has the limit of IMON_WAREHOUSE_MEMORY_LIMIT."""
    limits = []
    opened = flow.connect

    def connect(*args, **kwargs):
        connection = opened(*args, **kwargs)
        limits.append(connection.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        return connection

    monkeypatch.setattr(flow, "connect", connect)
    monkeypatch.setenv("IMON_WAREHOUSE_MEMORY_LIMIT", "300MB")
    summary = pipeline(warehouse=str(built_copy), pull=False)
    assert summary.exit_code == 0
    assert len(limits) >= 3 and set(limits) == {"286.1 MiB"}  # DuckDB's own spelling of 300 MB
