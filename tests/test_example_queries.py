"""The analysts' example queries in sql/_examples/ run against the offline warehouse, directly and through the SQL guard."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from service.profile import profile_table
from service.sql_guard import check_statement, run_query
from flows.settings import PROJECT_ROOT

EXAMPLES = sorted((PROJECT_ROOT / "sql" / "_examples").glob("*.sql"))


def rows(connection, path: Path) -> list[dict]:
    result = connection.execute(path.read_text(encoding="utf-8"))
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def example(name: str) -> Path:
    return PROJECT_ROOT / "sql" / "_examples" / f"{name}.sql"


def test_there_are_examples_and_each_starts_with_a_header_comment():
    assert {p.stem for p in EXAMPLES} >= {"county_indicators_over_time", "ranking_within_land", "peer_group_comparison"}
    for path in EXAMPLES:
        assert path.read_text(encoding="utf-8").startswith("-- "), path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_runs_directly_and_through_the_sql_endpoint_guard(warehouse, built, path):
    direct = rows(warehouse, path)
    assert direct, f"{path.name} returned no rows"
    sql = path.read_text(encoding="utf-8")
    check_statement(sql)
    through_guard = run_query(built[0].warehouse_path, sql, time_limit_seconds=30)
    assert through_guard.table.num_rows == len(direct) and not through_guard.truncated


def test_a_countys_indicators_over_time(warehouse):
    result = {r["indicator_id"]: r for r in rows(warehouse, example("county_indicators_over_time"))}
    with_kreis_rows = {r[0] for r in warehouse.execute(
        "SELECT DISTINCT indicator_id FROM marts.indicator_value WHERE ags = '09162000' AND level = 'kreis'").fetchall()}
    assert set(result) == with_kreis_rows and len(with_kreis_rows) > 9
    assert result["ARB06"]["kreis"] == "München, Landeshauptstadt"
    # the latest row: 2025 (13211-02-05-4_2025.csv: München 23924 / 49405, Bayern 120588 / 315289, Germany 1081475 / 2948092)
    assert result["ARB06"]["period"] == 2025
    assert (result["ARB06"]["kreis_value"], result["ARB06"]["land_value"], result["ARB06"]["germany_value"]) == (48.4, 38.2, 36.7)


def test_the_variable_picks_another_county(tmp_path, built):
    connection = duckdb.connect(str(built[0].warehouse_path), read_only=True)
    try:
        connection.execute("SET VARIABLE kreis = '05315'")
        result = rows(connection, example("county_indicators_over_time"))
    finally:
        connection.close()
    assert {r["kreis"] for r in result} == {"Köln, Stadt"}


def test_the_ranking_within_the_land(warehouse):
    result = rows(warehouse, example("ranking_within_land"))
    assert len(result) == 96 and all(r["kreise_in_land"] == 96 for r in result)
    munich = next(r for r in result if r["ags"] == "09162000")
    higher = warehouse.execute(
        "SELECT count(*) FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND level = 'kreis' AND ags LIKE '09%' "
        "AND period = 2025 AND value > (SELECT value FROM marts.indicator_value WHERE indicator_id = 'ARB06' "
        "AND level = 'kreis' AND ags = '09162000' AND period = 2025)").fetchone()[0]
    assert munich["rank_in_land"] == higher + 1
    assert [r["rank_in_land"] for r in result] == sorted(r["rank_in_land"] for r in result)


def test_the_peer_group_comparison_agrees_with_the_query_service(warehouse):
    example_rows = [r for r in rows(warehouse, example("peer_group_comparison")) if r["is_default"]]
    # The profile also lists indicators published only for the Land and Germany (e.g. DEM08, Zensus 2022);
    # the comparison covers the indicators the Kreis itself has.
    service_rows = [r for r in profile_table(warehouse, "09162000", "kreis").to_pylist()
                    if r["value"] is not None or r["flag"] is not None]
    assert len(example_rows) == len(service_rows) >= 9
    service = {(r["indicator_id"], r["period"]): r for r in service_rows}
    for row in example_rows:
        expected = service[(row["indicator_id"], row["period"])]
        assert row["peer_method"] == expected["peer_method"] and row["peer_members"] == expected["peer_members"]
        assert row["peer_value"] == pytest.approx(expected["peer_value"], abs=0.051)
        if expected["value"] is None or expected["peer_value"] is None:  # suppressed or below the minimum
            assert row["difference"] is None
        else:
            assert row["difference"] == pytest.approx(expected["value"] - expected["peer_value"], abs=0.051)
