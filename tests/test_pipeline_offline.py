"""The offline sample end to end: replayed GENESIS answers → landing → parse → GX → DuckDB → models.

One pipeline run per test session (fixture `built` in conftest.py) builds the warehouse the tests
below read; the re-run and the rejection tests run the flow again on copies.
"""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import pytest

from flows.pipeline import _parse_files, _stage_in_duckdb, pipeline
from flows.settings import PROJECT_ROOT, load_settings
from sources.catalog import load_table_specs
from sources.landing import landed_files
from tests.parse_support import assert_same_rows

SPECS = load_table_specs(PROJECT_ROOT / "sources" / "tables.yaml")
# a county's own files are optional and not in the sample: they are "not delivered"
DELIVERED = {s.name for s in SPECS if s.source != "county_file"}
SYNTHETIC = {s.name for s in SPECS if s.offline == "synthetic"}

pytestmark = pytest.mark.slow

EXPECTED_ROWS = {
    "municipality_register": 16035,
    "population_by_sex": 1467,
    "employees_at_workplace_by_nationality": 3300,
    "protection_seekers": 116738,
    "census_population_gemeinden": 10787,
    "census_population_by_immigration_history": 1360,
    "ba_unemployed_foreigners_by_sex": 30,
    "territorial_changes": 73,
    "special_regions": 12,
}


def value(connection, indicator: str, ags: str, level: str, period: int | None = None):
    """The indicator's value in `period`, default its latest (13211-02-05-4 has 8 real years: pass the year)."""
    row = connection.execute(
        "SELECT value, numerator, denominator, flag FROM marts.indicator_value WHERE indicator_id = ? AND ags = ? AND level = ? "
        "AND period = coalesce(?, (SELECT max(period) FROM marts.indicator_value WHERE indicator_id = ?))",
        [indicator, ags, level, period, indicator],
    ).fetchone()
    assert row is not None, f"no {indicator} for {level} {ags}"
    return row


def test_every_table_is_loaded(built, warehouse):
    summary, _ = built
    assert summary.outcome == "success" and summary.exit_code == 0
    statuses = {t.name: t.status for t in summary.tables}
    assert statuses == {s.name: "loaded" if s.name in DELIVERED else "not delivered" for s in SPECS}
    for table, rows in EXPECTED_ROWS.items():
        assert warehouse.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0] == rows, table


def test_every_raw_row_traces_to_its_landed_file(built, warehouse):
    _, directory = built
    files = warehouse.execute("SELECT table_name, path, sha256 FROM meta.raw_file").fetchall()
    assert {f[0] for f in files} == DELIVERED
    paths: dict[str, list[str]] = {}
    for table, path, sha256 in files:
        landed = directory / "landing" / path
        assert hashlib.sha256(landed.read_bytes()).hexdigest() == sha256
        assert landed.with_name(landed.name + ".json").exists(), "sidecar missing"
        paths.setdefault(table, []).append(path)
    for table, table_paths in paths.items():  # a table in time slices has one landed file per slice
        untraced = warehouse.execute(
            f"SELECT count(*) FROM raw.{table} WHERE source_file IS NULL OR NOT list_contains(?, source_file) "
            "OR line_number IS NULL", [table_paths]).fetchone()[0]
        assert untraced == 0, table


def test_a_raw_table_read_from_one_flat_file_keeps_the_file_order(warehouse):
    # rows in the file's order: examples in messages and the quarantine come out in the order of the file
    flat_files = [spec.name for spec in SPECS if spec.layout == "ffcsv"]
    tables = [row[0] for row in warehouse.execute(
        "SELECT table_name FROM meta.raw_file WHERE list_contains(?, table_name) GROUP BY table_name HAVING count(*) = 1",
        [flat_files]).fetchall()]
    assert len(tables) > 20
    for table in tables:
        inversions = warehouse.execute(
            f"SELECT count(*) FROM (SELECT line_number, lag(line_number) OVER (ORDER BY rowid) AS previous "
            f"FROM raw.{table}) WHERE previous >= line_number").fetchone()[0]
        assert inversions == 0, table


def test_tables_of_classic_and_several_files_are_staged_by_duckdb_as_python_parses_them(built):
    """flows/pipeline.py: every classic table, and every table of several landed files (the real series, newest
    file per reference time), staged by DuckDB equals the Python parsers' frame, row for row and in order."""
    settings = load_settings(warehouse=str(built[0].warehouse_path))
    specs = [spec for spec in SPECS if spec.layout in ("ffcsv", "classic")]
    checked = []
    for spec in specs:
        files = landed_files(settings.landing_dir, source=spec.source, table=spec.table)
        if not (spec.layout == "classic" or len(files) > 1):
            continue
        connection = duckdb.connect()
        try:
            assert _stage_in_duckdb(spec, files, settings, connection, "incoming"), spec.name
            got = connection.execute("SELECT * FROM incoming ORDER BY rowid").df()
            leftovers = connection.execute("SELECT table_name FROM duckdb_tables() WHERE table_name <> 'incoming'").fetchall()
        finally:
            connection.close()
        expected = _parse_files(spec, files, settings)
        assert leftovers == [], spec.name
        assert_same_rows(expected, got, spec.name)
        checked.append((spec.name, len(files)))
    assert len(checked) >= 3 and any(count > 1 for _, count in checked), checked


def test_a_special_sign_is_never_a_number(warehouse):
    for (table,) in warehouse.execute(
        "SELECT DISTINCT table_name FROM duckdb_columns() WHERE schema_name = 'raw' AND column_name = 'value_flag'"
    ).fetchall():
        signs_with_numbers = warehouse.execute(
            f"SELECT count(*) FROM raw.{table} WHERE value_flag IS NOT NULL AND value IS NOT NULL"
        ).fetchone()[0]
        assert signs_with_numbers == 0, table
    # 13211-02-05-4 marks Kreise dissolved before 2023 with '-' in every column
    assert warehouse.execute(
        "SELECT value, value_flag FROM raw.unemployed_by_group WHERE region_key = '03152' AND value_variable = 'ERWP06' AND erwaq7 IS NULL "
        "AND reference_time = '2023'"
    ).fetchone() == (None, "-")


def test_indicators_cover_all_kreise_laender_and_germany(warehouse):
    coverage = dict(
        ((indicator, level), regions)
        for indicator, level, regions in warehouse.execute(
            # each indicator's latest period (ARB04-ARB06: 2025)
            "SELECT indicator_id, level, count(*) FILTER (WHERE value IS NOT NULL) FROM marts.indicator_value AS v "
            "WHERE period = (SELECT max(period) FROM marts.indicator_value AS l WHERE l.indicator_id = v.indicator_id) GROUP BY ALL"
        ).fetchall()
    )
    for indicator in ("ARB03", "ARB04", "ARB05", "ARB06", "BIL01"):
        assert coverage[(indicator, "kreis")] == 400, indicator
        assert coverage[(indicator, "land")] == 16, indicator
        assert coverage[(indicator, "deutschland")] == 1, indicator
    # AZR data: 400 Kreise reported on 393 foreigners' authority areas
    assert coverage[("DEM09", "kreis")] == 393
    flags = dict(warehouse.execute(
        "SELECT flag, count(*) FROM marts.indicator_value WHERE indicator_id = 'DEM09' AND level = 'kreis' GROUP BY flag"
    ).fetchall())
    assert flags == {None: 390, "merged_authority_area": 3, "reported_with_other_region": 7}
    catalog = {r[0] for r in warehouse.execute("SELECT indicator_id FROM marts.indicator_catalog").fetchall()}
    from warehouse.models import discover_models, indicator_models

    indicators = indicator_models(discover_models(PROJECT_ROOT / "sql"))
    # indicators that rest only on files a county delivers have no rows until a file is delivered
    county_only = {m.header["id"] for m in indicators
                   if all(str(source).startswith("county_file") for source in (m.header.get("sources") or []))}
    assert {m.header["id"] for m in indicators} - county_only <= catalog


def test_generated_data_is_marked_synthetic_everywhere(warehouse):
    """No generated value can pass for an official one: raw files, catalogue and every value carry the mark."""
    marked = {r[0] for r in warehouse.execute("SELECT DISTINCT table_name FROM meta.raw_file WHERE synthetic").fetchall()}
    assert marked == SYNTHETIC & DELIVERED
    real_only = warehouse.execute(
        "SELECT DISTINCT is_synthetic FROM marts.indicator_value WHERE indicator_id IN ('ARB06', 'BIL01', 'DEM09')"
    ).fetchall()
    assert real_only == [(False,)]
    if SYNTHETIC:
        catalog = dict(warehouse.execute("SELECT indicator_id, is_synthetic FROM marts.indicator_catalog").fetchall())
        values = dict(warehouse.execute("SELECT indicator_id, bool_or(is_synthetic) FROM marts.indicator_value GROUP BY ALL").fetchall())
        assert any(catalog.values())
        assert all(values[i] == catalog[i] for i in values)


def test_kreis_values_match_the_source_files_by_hand(warehouse):
    # 13211-02-05-4.csv line 268: München 2023, Arbeitslose 39249, ausländisch 19249, ALQ insgesamt 4,5, Ausländer 7,2
    assert value(warehouse, "ARB06", "09162000", "kreis", 2023)[:3] == pytest.approx((100 * 19249 / 39249, 19249, 39249))
    assert value(warehouse, "ARB04", "09162000", "kreis", 2023)[0] == pytest.approx(7.2)
    assert value(warehouse, "ARB05", "09162000", "kreis", 2023)[0] == pytest.approx(2.7)
    # line 12: Flensburg 4131 / 1225
    assert value(warehouse, "ARB06", "01001000", "kreis", 2023)[0] == pytest.approx(100 * 1225 / 4131)
    # line 377: Berlin appears only as Land 11 (and its Bezirke); the city-state is its own Kreis
    assert value(warehouse, "ARB06", "11000000", "kreis", 2023)[0] == pytest.approx(100 * 79280 / 187930)
    # 21111-01-03-4.csv line 3105: München Insgesamt 136582 pupils, 27045 ausländisch
    assert value(warehouse, "BIL01", "09162000", "kreis")[0] == pytest.approx(100 * 27045 / 136582)
    # 13111-01-03-4 lines 1866 and 2860: Regen 4657 foreign of 29987 employees
    assert value(warehouse, "ARB03", "09276000", "kreis")[0] == pytest.approx(100 * 4657 / 29987)
    # 12531-0043: München offen 9530 + anerkannt 41910 + ohne 2955; 12411-01-01-4: 1505005 inhabitants
    assert value(warehouse, "DEM09", "09162000", "kreis")[:3] == pytest.approx((1000 * 54395 / 1505005, 54395, 1505005))
    # Kassel Stadt and Landkreis share one foreigners' authority: 23975 / (197230 + 231073)
    assert value(warehouse, "DEM09", "06611000", "kreis") == pytest.approx((1000 * 23975 / 428303, 23975, 428303, "merged_authority_area"))
    assert value(warehouse, "DEM09", "06633000", "kreis") == (None, None, None, "reported_with_other_region")


PERIODS = {"ARB06": 2023, "ARB03": 2024, "BIL01": 2023}  # the year of the real file each case was read from


def published(warehouse, sql: str) -> dict[tuple[str, str], tuple[float, float]]:
    return {(ags, level): (numerator, denominator) for ags, level, numerator, denominator in warehouse.execute(sql).fetchall()}


@pytest.mark.parametrize(
    "indicator, sql, tolerance_pp",
    [
        # annual averages are rounded per Kreis, so sums differ from the published Land by a few persons
        ("ARB06", """SELECT ags, level, max(value) FILTER (WHERE person_group = 'foreign'), max(value) FILTER (WHERE person_group = 'total')
                     FROM core.unemployment WHERE measure = 'unemployed' AND level IN ('land', 'deutschland') AND period = 2023
                     GROUP BY ags, level""", 0.1),
        ("ARB03", """SELECT ags, level, max(employees) FILTER (WHERE nationality = 'foreign'), max(employees) FILTER (WHERE nationality = 'total')
                     FROM core.employees_at_workplace WHERE sex = 'total' AND level IN ('land', 'deutschland') GROUP BY ags, level""", 0.01),
        # school statistics round Kreis values to multiples of 3 or 5 in some Länder
        ("BIL01", """SELECT ags, level, max(pupils) FILTER (WHERE pupil_group = 'foreign'), max(pupils) FILTER (WHERE pupil_group = 'total')
                     FROM core.pupils WHERE school_type = 'total' AND level IN ('land', 'deutschland') GROUP BY ags, level""", 0.1),
    ],
)
def test_land_and_germany_are_sums_of_kreis_counts_and_match_the_published_rows(warehouse, indicator, sql, tolerance_pp):
    rows = published(warehouse, sql)
    assert len(rows) == 17
    for (ags, level), (numerator, denominator) in rows.items():
        computed, computed_numerator, computed_denominator, flag = value(warehouse, indicator, ags, level, PERIODS[indicator])
        assert flag is None
        assert computed == pytest.approx(100 * numerator / denominator, abs=tolerance_pp), (indicator, ags)
        assert computed_denominator == pytest.approx(denominator, rel=0.002), (indicator, ags)
        assert computed_numerator == pytest.approx(numerator, rel=0.005), (indicator, ags)
    kreis_sum = warehouse.execute(
        "SELECT sum(numerator), sum(denominator) FROM marts.indicator_value WHERE indicator_id = ? AND level = 'kreis' AND period = ?",
        [indicator, PERIODS[indicator]]).fetchone()
    germany = value(warehouse, indicator, "00000000", "deutschland", PERIODS[indicator])
    assert germany[1:3] == pytest.approx(kreis_sum), "Germany is the sum of all Kreise, each counted once"


def test_ba_export_reconciles_with_the_regionaldatenbank(warehouse):
    ba = warehouse.execute(
        "SELECT value FROM raw.ba_unemployed_foreigners_by_sex WHERE reference_time = '2023' AND ges IS NULL"
    ).fetchone()[0]
    regio = warehouse.execute(
        "SELECT value FROM core.unemployment WHERE level = 'deutschland' AND measure = 'unemployed' AND person_group = 'foreign' "
        "AND period = 2023"
    ).fetchone()[0]
    assert ba == regio == 967226


def test_descriptions_are_in_the_warehouse(warehouse):
    undocumented = warehouse.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name IN ('staging', 'core', 'indicators', 'marts', 'raw', 'meta') AND (comment IS NULL OR comment = '')"
    ).fetchall()
    assert undocumented == []
    # every column of every table in every schema: from the table specs, the SQL headers and sql/_columns.yaml
    columns = warehouse.execute(
        "SELECT schema_name, count(*), coalesce(list(table_name || '.' || column_name ORDER BY table_name, column_index) "
        "FILTER (WHERE comment IS NULL OR comment = ''), []) FROM duckdb_columns() WHERE database_name = current_database() "
        "GROUP BY schema_name ORDER BY schema_name"
    ).fetchall()
    assert [schema for schema, _, _ in columns] == ["core", "indicators", "marts", "meta", "raw", "staging"]
    assert {schema: undescribed for schema, _, undescribed in columns} == {schema: [] for schema, _, _ in columns}
    descriptions = dict(((table, column), comment) for table, column, comment in warehouse.execute(
        "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database()").fetchall())
    # a GENESIS classification code, its label, a flag: described by rule; a header's own text wins over the shared one
    assert descriptions[("raw.population_by_sex", "ges")] == "Code of the GENESIS classification variable GES; its label is in ges_label."
    assert descriptions[("staging.population_by_sex", "population_flag")].startswith("GENESIS special sign")
    assert descriptions[("core.population", "population")].startswith("Persons; NULL when the source shows a special sign")
    assert descriptions[("meta.quarantine", "line_number")] == "Line in the raw file; NULL when the whole table was refused."
    value_column = warehouse.execute(
        "SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = 'indicator_value' AND column_name = 'value'"
    ).fetchone()[0]
    assert "NULL when inputs are suppressed" in value_column


def test_a_rerun_with_unchanged_files_loads_nothing(built, tmp_path):
    summary, directory = built
    copy = tmp_path / "imon.duckdb"
    shutil.copy(summary.warehouse_path, copy)
    shutil.copytree(directory / "landing", tmp_path / "landing")
    rerun = pipeline(warehouse=str(copy))
    assert {t.status for t in rerun.tables if t.name in DELIVERED} == {"unchanged"}
    assert rerun.models_built is None
    assert rerun.exit_code == 0
    connection = duckdb.connect(str(copy), read_only=True)
    loads = connection.execute("SELECT status, count(*) FROM meta.table_load GROUP BY status ORDER BY status").fetchall()
    assert loads == [("loaded", len(DELIVERED)), ("unchanged", len(DELIVERED))]


def test_from_the_landing_zone_a_run_with_nothing_to_do_does_not_start_the_flow(built_copy, monkeypatch):
    import flows.pipeline as flow

    def no_flow(**parameters):
        raise AssertionError("the Prefect flow was started for a run with nothing to do")

    monkeypatch.setattr(flow, "pipeline", no_flow)
    rerun = flow.run_pipeline(warehouse=str(built_copy), pull=False)
    assert rerun.outcome == "success" and rerun.models_built is None and rerun.published is None
    assert {t.name: t.status for t in rerun.tables} == {
        s.name: "unchanged" if s.name in DELIVERED else "not delivered" for s in SPECS}
    assert rerun.indicators
    connection = duckdb.connect(str(built_copy), read_only=True)
    run_id, outcome, message = connection.execute(
        "SELECT run_id, outcome, message FROM meta.run ORDER BY started_at DESC LIMIT 1").fetchone()
    assert (run_id, outcome) == (rerun.run_id, "success") and "nothing changed" in message
    assert connection.execute("SELECT count(*) FROM meta.table_load WHERE run_id = ? AND status = 'unchanged'",
                              [run_id]).fetchone()[0] == len(DELIVERED)


def test_imon_run_with_nothing_to_do_imports_neither_prefect_nor_pandas(built_copy):
    # the state office's schedule asks every few hours whether anything is new: when nothing is, the answer costs
    # the imports of the check alone (Prefect and Great Expectations are over a second of imports; pandas comes
    # anyway: DuckDB imports it for the first query with parameters)
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "flows.cli", "run", "--no-pull", "--warehouse",
                          str(built_copy)], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "nothing new" in run.stdout and "unchanged" in run.stdout
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "duckdb" in imported  # the check itself ran in this process
    assert not {"prefect", "great_expectations"} & imported
    connection = duckdb.connect(str(built_copy), read_only=True)
    assert connection.execute("SELECT outcome, message FROM meta.run ORDER BY started_at DESC LIMIT 1").fetchone() == (
        "success", "nothing changed: recorded without starting the flow")


def test_a_changed_table_rebuilds_only_the_models_downstream_of_it(built_copy, tmp_path, monkeypatch):
    from warehouse.models import discover_models, downstream

    before = duckdb.connect(str(built_copy), read_only=True)
    indicator_rows = before.execute("SELECT count(*) FROM marts.indicator_value").fetchone()[0]
    before.close()
    # the state office adds a comparison group: only the peer-group models and the comparison mart depend on it
    groups = tmp_path / "peer_groups.csv"
    groups.write_text((PROJECT_ROOT / "sources" / "curated" / "peer_groups.csv").read_text(encoding="utf-8")
                      + "hessen_kassel,Kassel und Nachbarn,06611000,Kassel,test\n"
                        "hessen_kassel,Kassel und Nachbarn,06633000,Landkreis Kassel,test\n", encoding="utf-8")
    tables = (PROJECT_ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8")
    tables_file = tmp_path / "tables.yaml"
    tables_file.write_text(tables.replace("path: ../../sources/curated/peer_groups.csv", f"path: {groups}"), encoding="utf-8")
    monkeypatch.setenv("IMON_TABLES_FILE", str(tables_file))

    rerun = pipeline(warehouse=str(built_copy))
    assert [t.name for t in rerun.tables if t.status == "loaded"] == ["peer_groups"]
    all_models = discover_models(PROJECT_ROOT / "sql")
    expected = downstream(all_models, {"raw.peer_groups"})  # no indicator changed: the other marts keep their rows
    after = duckdb.connect(str(built_copy), read_only=True)
    rebuilt = {r[0] for r in after.execute("SELECT model FROM meta.model_build WHERE run_id = ? AND model <> '*'",
                                           [rerun.run_id]).fetchall()}
    assert {"staging.peer_groups", "core.peer_group", "marts.indicator_comparison"} <= rebuilt
    assert rebuilt == expected and not any(name.startswith("indicators.") for name in rebuilt)
    assert rerun.models_built == len(rebuilt) < len(all_models) / 4
    assert after.execute("SELECT count(*) FROM marts.indicator_value").fetchone()[0] == indicator_rows
    assert after.execute("SELECT count(*) FROM marts.indicator_comparison WHERE group_id = 'hessen_kassel'").fetchone()[0] > 0


def test_a_corrupt_file_is_rejected_and_the_previous_data_stays(built, tmp_path, monkeypatch):
    summary, directory = built
    copy = tmp_path / "imon.duckdb"
    shutil.copy(summary.warehouse_path, copy)
    shutil.copytree(directory / "landing", tmp_path / "landing")
    before = duckdb.connect(str(copy), read_only=True)
    previous = before.execute("SELECT * FROM raw.ba_unemployed_foreigners_by_sex ORDER BY line_number").fetchall()
    before.close()

    # the BA export arrives with a number that is not one
    sample = PROJECT_ROOT / "offline" / "sample" / "arbeitslose_auslaender_nachgeschlecht.csv"
    corrupt = tmp_path / "arbeitslose_auslaender_nachgeschlecht.csv"
    corrupt.write_bytes(sample.read_bytes().replace(b'"2019";"287.420"', b'"2019";"287.4x0"'))
    tables = (PROJECT_ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8")
    tables_file = tmp_path / "tables.yaml"
    tables_file.write_text(tables.replace("path: arbeitslose_auslaender_nachgeschlecht.csv", f"path: {corrupt}"), encoding="utf-8")
    monkeypatch.setenv("IMON_TABLES_FILE", str(tables_file))

    rerun = pipeline(warehouse=str(copy))
    assert rerun.exit_code == 1 and rerun.outcome == "rejected"
    rejected = [t for t in rerun.tables if t.status == "rejected"]
    assert [t.name for t in rejected] == ["ba_unemployed_foreigners_by_sex"]
    assert "ba_file arbeitslose_auslaender_nachgeschlecht" in rejected[0].message
    assert "line 15" in rejected[0].message and "287.4x0" in rejected[0].message

    after = duckdb.connect(str(copy), read_only=True)
    assert after.execute("SELECT * FROM raw.ba_unemployed_foreigners_by_sex ORDER BY line_number").fetchall() == previous
    assert after.execute("SELECT outcome FROM meta.run ORDER BY started_at DESC LIMIT 1").fetchone()[0] == "rejected"
    assert after.execute(
        "SELECT status FROM meta.table_load WHERE table_name = 'ba_unemployed_foreigners_by_sex' ORDER BY recorded_at DESC LIMIT 1"
    ).fetchone()[0] == "rejected"


def test_a_blocking_expectation_keeps_the_table_out(built, tmp_path, monkeypatch):
    summary, directory = built
    copy = tmp_path / "imon.duckdb"
    shutil.copy(summary.warehouse_path, copy)
    shutil.copytree(directory / "landing", tmp_path / "landing")
    # the same BA file with the 2019 row twice: parses, but breaks "one value per region, time and category"
    sample = PROJECT_ROOT / "offline" / "sample" / "arbeitslose_auslaender_nachgeschlecht.csv"
    text = sample.read_bytes()
    duplicate = tmp_path / "duplicated.csv"
    row = b'"2019";"287.420";"355.611";"643.033"\n'
    duplicate.write_bytes(text.replace(row, row + row) if row in text else text.replace(row.replace(b"\n", b"\r\n"), row.replace(b"\n", b"\r\n") * 2))
    tables = (PROJECT_ROOT / "sources" / "tables.yaml").read_text(encoding="utf-8")
    tables_file = tmp_path / "tables.yaml"
    tables_file.write_text(tables.replace("path: arbeitslose_auslaender_nachgeschlecht.csv", f"path: {duplicate}"), encoding="utf-8")
    monkeypatch.setenv("IMON_TABLES_FILE", str(tables_file))

    rerun = pipeline(warehouse=str(copy))
    assert rerun.exit_code == 1
    rejected = {t.name: t for t in rerun.tables if t.status == "rejected"}
    assert "compound columns to be unique" in rejected["ba_unemployed_foreigners_by_sex"].message
    connection = duckdb.connect(str(copy), read_only=True)
    examples = connection.execute(
        "SELECT examples FROM meta.validation_result WHERE table_name = 'ba_unemployed_foreigners_by_sex' "
        "AND expectation = 'expect_compound_columns_to_be_unique' AND NOT success"
    ).fetchone()[0]
    assert "line_number" in examples
    assert connection.execute("SELECT count(*) FROM raw.ba_unemployed_foreigners_by_sex").fetchone()[0] == 30
