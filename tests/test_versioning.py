"""A revised indicator (new version in its header) keeps the values of its earlier version retrievable."""

from __future__ import annotations

import shutil

import duckdb

from flows.settings import PROJECT_ROOT
from warehouse.models import build_models

ARB06 = "indicators.arb06_foreign_share_of_unemployed"


def test_a_new_version_archives_the_values_of_the_earlier_one(built, tmp_path):
    summary, _ = built
    warehouse = tmp_path / "imon.duckdb"
    shutil.copy(summary.warehouse_path, warehouse)
    sql = tmp_path / "sql"
    shutil.copytree(PROJECT_ROOT / "sql", sql)
    # the review of ARB06 changes the formula: version 2 counts per 1,000 instead of per 100
    path = sql / "indicators" / "arb06_foreign_share_of_unemployed.sql"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("version: 1", "version: 2").replace("scale: 100", "scale: 1000").replace("unit: pct", "unit: per_1000"),
                    encoding="utf-8")

    connection = duckdb.connect(str(warehouse))
    before = connection.execute("SELECT value FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND ags = '09162000' "
                                "AND level = 'kreis' AND period = 2023").fetchone()[0]
    # the models that depend on ARB06's file (the indicator, then the marts); the others stay as built
    build_models(connection, sql, run_id="revision", variables={"min_denominator": 50}, rebuild={ARB06})

    current = connection.execute(
        "SELECT indicator_version, value FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND ags = '09162000' AND level = 'kreis' "
        "AND period = 2023").fetchone()
    archived = connection.execute(
        "SELECT indicator_version, value FROM marts.indicator_value_archive WHERE indicator_id = 'ARB06' AND ags = '09162000' "
        "AND level = 'kreis' AND period = 2023").fetchone()
    definition = connection.execute(
        "SELECT version, unit FROM marts.indicator_catalog_archive WHERE indicator_id = 'ARB06'"
    ).fetchone()
    assert current[0] == 2 and current[1] == pytest_approx(before * 10)
    assert archived == (1, before)
    assert definition == (1, "pct")
    # a rebuild without a change archives nothing more
    build_models(connection, sql, run_id="again", variables={"min_denominator": 50}, rebuild={ARB06})
    periods = connection.execute("SELECT count(*) FROM marts.indicator_value WHERE indicator_id = 'ARB06' "
                                 "AND ags = '09162000' AND level = 'kreis'").fetchone()[0]
    assert periods == 8  # the real unemployment files: 2015-2020, 2023, 2025
    # version 1 once per period, nothing more
    assert connection.execute("SELECT count(*) FROM marts.indicator_value_archive WHERE ags = '09162000' AND level = 'kreis'").fetchone()[0] == periods


def pytest_approx(value):
    import pytest

    return pytest.approx(value)
