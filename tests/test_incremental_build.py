"""An incremental build (warehouse/models.py `build_models(rebuild=...)`) rebuilds what rests on the changed
raw tables, replaces only the rebuilt indicators' rows in the stacked marts, and leaves what a full build leaves."""

from __future__ import annotations

import pytest

from flows.settings import load_settings
from tests.warehouse_support import fresh_build, model_state
from warehouse.connection import connect
from warehouse.models import ModelError, build_models, discover_models, downstream, read_model

STACKED_MARTS = {"marts.indicator_series", "marts.indicator_comparison"}  # declare incremental_by: indicator_id


def _value(connection, indicator_id: str) -> float:
    return connection.execute("SELECT value FROM marts.indicator_series WHERE indicator_id = ? AND ags = '09162000' "
                              "AND level = 'kreis' AND period = 2024", [indicator_id]).fetchone()[0]


def test_a_revised_table_replaces_the_rows_of_its_indicators_and_leaves_what_a_full_build_leaves(built_copy, tmp_path):
    settings = load_settings(warehouse=built_copy)
    models = discover_models(settings.sql_dir)
    rebuild = downstream(models, {"raw.protection_seekers"})
    revised = {m.header["id"] for m in models if m.qualified_name in rebuild and m.schema == "indicators"}
    assert {"DEM09", "DEM09_OPEN"} <= revised and len(revised) < 10

    connection = connect(built_copy)
    before = {indicator_id: _value(connection, indicator_id) for indicator_id in ("DEM09", "DEM01")}
    # München's protection seekers revised upwards: DEM09 and its status shares rest on them, DEM01 does not
    connection.execute("UPDATE raw.protection_seekers SET value = value + 100 WHERE region_key = '09162' AND value IS NOT NULL")
    built = build_models(connection, settings.sql_dir, run_id="incremental", variables=settings.model_variables(),
                         rebuild=rebuild, changed_raw={"protection_seekers"})
    after = {indicator_id: _value(connection, indicator_id) for indicator_id in ("DEM09", "DEM01")}
    connection.close()

    assert after["DEM09"] > before["DEM09"] and after["DEM01"] == before["DEM01"]
    # the models on the revised table, and the two marts of stacked values in part; not the mart by sections
    assert {name for name, _ in built} == rebuild | STACKED_MARTS
    expected, _ = fresh_build(built_copy, tmp_path)
    assert model_state(built_copy) == expected


def test_only_the_changed_raw_tables_are_read_again_for_their_years(built_copy, tmp_path):
    settings = load_settings(warehouse=built_copy)
    rebuild = downstream(discover_models(settings.sql_dir), {"raw.protection_seekers"})
    connection = connect(built_copy)
    years = {period for (period,) in connection.execute(
        "SELECT period FROM meta.raw_period WHERE table_name = 'protection_seekers'").fetchall()}
    connection.execute("DELETE FROM raw.protection_seekers WHERE reference_time LIKE ?", [f"{max(years)}%"])
    # a mark no build would write: it stays when only protection_seekers is read again
    connection.execute("UPDATE meta.raw_period SET row_count = -1 WHERE table_name = 'population_by_sex'")
    build_models(connection, settings.sql_dir, run_id="incremental", variables=settings.model_variables(),
                 rebuild=rebuild, changed_raw={"protection_seekers"})
    assert {period for (period,) in connection.execute(
        "SELECT period FROM meta.raw_period WHERE table_name = 'protection_seekers'").fetchall()} == years - {max(years)}
    assert connection.execute(
        "SELECT bool_and(row_count = -1) FROM meta.raw_period WHERE table_name = 'population_by_sex'").fetchone()[0]
    connection.execute("UPDATE meta.raw_period AS p SET row_count = (SELECT count(*) FROM raw.population_by_sex "
                       "WHERE substr(reference_time, 1, 4) = CAST(p.period AS VARCHAR)) WHERE table_name = 'population_by_sex'")
    connection.close()
    expected, _ = fresh_build(built_copy, tmp_path)
    assert model_state(built_copy) == expected


def test_a_build_without_a_changed_indicator_keeps_the_marts_of_stacked_values(built_copy):
    settings = load_settings(warehouse=built_copy)
    connection = connect(built_copy)
    series = connection.execute("SELECT count(*), sum(hash(indicator_id, ags, period, value)) FROM marts.indicator_series").fetchone()
    built = build_models(connection, settings.sql_dir, run_id="nothing", variables=settings.model_variables(), rebuild=set())
    assert built == [] and connection.execute(
        "SELECT count(*), sum(hash(indicator_id, ags, period, value)) FROM marts.indicator_series").fetchone() == series
    connection.close()


def test_incremental_by_names_the_indicator_column_or_nothing(tmp_path):
    path = tmp_path / "by_region.sql"
    path.write_text("/*\ndescription: x\ngrain: x\nsources: marts.indicator_value\nincremental_by: ags\n*/\n"
                    "SELECT * FROM marts.indicator_value", encoding="utf-8")
    with pytest.raises(ModelError, match="incremental_by can only be indicator_id"):
        read_model(path, "marts")


def test_every_mart_that_declares_incremental_by_reads_the_stacked_values():
    marts = [m for m in discover_models(load_settings().sql_dir) if m.schema == "marts"]
    declared = {m.qualified_name for m in marts if m.header.get("incremental_by")}
    assert declared == STACKED_MARTS
    assert all("marts.indicator_value" in m.body and "indicator_id" in m.body for m in marts if m.qualified_name in declared)
