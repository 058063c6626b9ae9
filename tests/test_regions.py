"""Regions over time through the real flow: a second register edition, the curated changes, a
selectable target Gebietsstand, and the special keys real data carries."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline import pipeline
from flows.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

REGISTER = PROJECT_ROOT / "offline" / "sample" / "GV100AD_301123.txt"


def older_edition() -> str:
    """The 2023 edition as it would have looked on 31.12.2015: Göttingen (03159) was still
    Landkreis Göttingen (03152) and Landkreis Osterode am Harz (03156). Constructed for the test."""
    lines = []
    for line in REGISTER.read_text(encoding="utf-8").splitlines():
        line = line[:2] + "20151231" + line[10:]
        if line.startswith("40") and line[10:15] == "03159":
            lines.append(line[:10] + "03152" + line[15:22] + "Göttingen".ljust(50) + line[72:])
            lines.append(line[:10] + "03156" + line[15:22] + "Osterode am Harz".ljust(50) + line[72:])
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def two_editions(built, tmp_path_factory):
    """The session's warehouse with the 2015 edition dropped into the register directory and re-run."""
    summary, directory = built
    target = tmp_path_factory.mktemp("two_editions")
    for name in ("landing", "published"):
        shutil.copytree(directory / name, target / name)
    shutil.copy(summary.warehouse_path, target / "imon.duckdb")
    (target / "register").mkdir()
    (target / "register" / "GV100AD_311215.txt").write_text(older_edition(), encoding="utf-8")
    rerun = pipeline(warehouse=str(target / "imon.duckdb"))
    return rerun, target


def test_both_editions_are_loaded_and_the_newest_is_the_target(two_editions):
    rerun, target = two_editions
    assert rerun.exit_code == 0
    assert {t.name: t.status for t in rerun.tables}["municipality_register"] == "loaded"
    connection = duckdb.connect(str(target / "imon.duckdb"), read_only=True)
    editions = connection.execute("SELECT DISTINCT territorial_date::VARCHAR FROM raw.municipality_register ORDER BY 1").fetchall()
    assert editions == [("2015-12-31",), ("2023-11-30",)]
    assert connection.execute("SELECT max(territorial_date)::VARCHAR FROM core.region").fetchone()[0] == "2023-11-30"
    assert connection.execute("SELECT count(*) FROM core.region WHERE level = 'kreis'").fetchone()[0] == 400
    history = dict((ags, (first, last, valid_to)) for ags, first, last, valid_to in connection.execute(
        "SELECT ags, first_edition::VARCHAR, last_edition::VARCHAR, valid_to::VARCHAR FROM core.region_history "
        "WHERE level = 'kreis' AND ags IN ('03152000', '03156000', '03159000', '09162000')").fetchall())
    assert history == {
        "03152000": ("2015-12-31", "2015-12-31", "2016-11-01"),   # the curated change list says when
        "03156000": ("2015-12-31", "2015-12-31", "2016-11-01"),
        "03159000": ("2023-11-30", "2023-11-30", None),
        "09162000": ("2015-12-31", "2023-11-30", None),
    }
    crosswalk = connection.execute(
        "SELECT ags, target_ags, weight, via FROM core.region_crosswalk WHERE level = 'kreis' AND ags IN ('03152000', '03156000') ORDER BY ags"
    ).fetchall()
    assert crosswalk == [("03152000", "03159000", 1.0, "change_list"), ("03156000", "03159000", 1.0, "change_list")]
    states = {r[0] for r in connection.execute("SELECT DISTINCT territorial_date::VARCHAR FROM marts.indicator_value").fetchall()}
    assert states == {"2023-11-30"}, "every output states its Gebietsstand"


def test_an_older_target_gebietsstand_can_be_selected(two_editions, monkeypatch):
    _, target = two_editions
    copy = target.parent / "older_target"
    shutil.copytree(target, copy)
    monkeypatch.setenv("IMON_TERRITORIAL_DATE", "2015-12-31")
    summary = pipeline(warehouse=str(copy / "imon.duckdb"), pull=False)  # reads the variable; nothing else changed
    connection = duckdb.connect(str(copy / "imon.duckdb"), read_only=True)
    # a changed setting rebuilds every model
    assert summary.models_built == connection.execute(
        "SELECT count(*) FROM meta.model_build WHERE run_id = ? AND model <> '*'", [summary.run_id]).fetchone()[0] > 100
    kreise = {r[0] for r in connection.execute("SELECT ags FROM core.region WHERE level = 'kreis'").fetchall()}
    assert {"03152000", "03156000"} <= kreise and "03159000" not in kreise
    # indicators whose data cannot reach the two former Kreise miss a row per Kreis of 2015 and are withheld
    # (their published version stays); every other value is on the Gebietsstand of 2015
    withheld = [f"indicators.{name}" for (name,) in connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'indicators' "
        "AND table_name IN (SELECT DISTINCT split_part(table_name, '.', 2) FROM meta.validation_result "
        "WHERE run_id = ? AND NOT success AND severity = 'critical') ORDER BY table_name", [summary.run_id]).fetchall()]
    assert sorted(summary.withheld) == withheld and summary.outcome == ("rejected" if withheld else "success")
    assert connection.execute(
        "SELECT DISTINCT territorial_date::VARCHAR FROM marts.indicator_value v JOIN marts.indicator_catalog c "
        "USING (indicator_id) WHERE NOT list_contains(?, c.table_name)",
        [withheld]).fetchall() == [("2015-12-31",)]
    connection.close()


def test_special_keys_are_known_and_never_counted_twice(warehouse):
    # the 12 Berlin Bezirke are regions of their own, below the Kreis Berlin, never summed into it
    bezirke = warehouse.execute("SELECT count(*) FROM core.region WHERE level = 'berlin_bezirk' AND kreis_ags = '11000000'").fetchone()[0]
    assert bezirke == 12
    # the cities inside Region Hannover, Städteregion Aachen and Regionalverband Saarbrücken are Gemeinden
    cities = warehouse.execute(
        "SELECT ags, level, kreis_ags FROM core.region WHERE ags IN ('03241001', '05334002', '10041100') AND level = 'gemeinde' ORDER BY ags"
    ).fetchall()
    assert cities == [("03241001", "gemeinde", "03241000"), ("05334002", "gemeinde", "05334000"), ("10041100", "gemeinde", "10041000")]
    # 13111-01-03-4 publishes them inside KREISE as well: the Kreis values are not their sums plus them
    hannover = warehouse.execute(
        "SELECT level, employees FROM core.employees_at_workplace WHERE ags IN ('03241000', '03241001') "
        "AND nationality = 'total' AND sex = 'total' ORDER BY level"
    ).fetchall()
    assert [level for level, _ in hannover] == ["gemeinde", "kreis"] and hannover[0][1] < hannover[1][1]
    kreise_sum, germany = warehouse.execute(
        "SELECT sum(denominator) FILTER (WHERE level = 'kreis'), max(denominator) FILTER (WHERE level = 'deutschland') "
        "FROM marts.indicator_value WHERE indicator_id = 'ARB03'"
    ).fetchone()
    assert kreise_sum == germany
    # dissolved Kreise shown with '-' are dropped, not zeros: Göttingen (alt) 03152 is in no indicator
    assert warehouse.execute("SELECT count(*) FROM marts.indicator_value WHERE ags = '03152000'").fetchone()[0] == 0
    # Bremen is a Land with two Kreise; Hamburg and Berlin are Land and Kreis at once
    for land, kreise in (("04", 2), ("02", 1), ("11", 1)):
        assert warehouse.execute(
            "SELECT count(DISTINCT ags) FROM marts.indicator_value WHERE indicator_id = 'ARB06' AND level = 'kreis' AND ags LIKE ?", [f"{land}%"]
        ).fetchone()[0] == kreise


# Old Kreise of the Kreis reforms of Sachsen-Anhalt (2007), Sachsen (2008) and Mecklenburg-Vorpommern
# (2011) that went into several successors: no citable population shares, so not in the change list
SPLIT_KREISE = {
    "15151000": "Anhalt-Zerbst (15001, 15082, 15086, 15091)",
    "15352000": "Aschersleben-Staßfurt (15085, 15089)",
    "13052000": "Demmin (13071, 13075)",
}


def test_abolished_east_german_kreise_that_real_tables_list_reach_the_target_gebietsstand(warehouse):
    """Every former Kreis key of Länder 13, 14 and 15 in the real tables (12411-01-01-4 and others list
    them with '-') goes whole to a Kreis of the target Gebietsstand, or is one of the named split Kreise."""
    tables = [r[0] for r in warehouse.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'raw' AND column_name = 'region_variable' "
        "INTERSECT SELECT table_name FROM information_schema.columns WHERE table_schema = 'raw' AND column_name = 'region_key'"
    ).fetchall()]
    carried = {r[0] + "000" for r in warehouse.execute(" UNION ".join(
        f"SELECT DISTINCT region_key FROM raw.{table} WHERE region_variable = 'KREISE' "
        "AND length(region_key) = 5 AND left(region_key, 2) IN ('13', '14', '15')" for table in tables)).fetchall()}
    kreise = {r[0] for r in warehouse.execute("SELECT ags FROM core.region WHERE level = 'kreis'").fetchall()}
    abolished = carried - kreise
    assert len(abolished) == 69  # 24 Kreise of Sachsen-Anhalt before 2007, 29 of Sachsen before 2008, 16 of MV before 2011
    resolved = {}
    for ags, target, weight, via in warehouse.execute(
            "SELECT ags, target_ags, weight, via FROM core.region_crosswalk WHERE level = 'kreis' AND via = 'change_list'").fetchall():
        if ags in abolished:
            assert target in kreise, (ags, target)
            resolved[ags] = resolved.get(ags, 0.0) + weight
    assert all(abs(total - 1.0) < 1e-9 for total in resolved.values()), resolved
    assert abolished - set(resolved) == set(SPLIT_KREISE)
    # each resolved one carries the change date of its reform
    dates = dict(warehouse.execute(
        "SELECT left(old_ags, 2), list(DISTINCT change_date::VARCHAR) FROM staging.territorial_changes "
        "WHERE left(old_ags, 2) IN ('13', '14', '15') GROUP BY 1").fetchall())
    assert dates == {"13": ["2011-09-04"], "14": ["2008-08-01"], "15": ["2007-07-01"]}


def test_the_sachsen_reform_case_uses_the_crosswalk_the_change_list_builds(warehouse):
    """tests/sql/indicators/arb06_foreign_share_of_unemployed/series_across_sachsen_2008_reform puts a 2007
    series of Annaberg, Mittlerer Erzgebirgskreis, Stollberg, Aue-Schwarzenberg and Chemnitz onto the
    Erzgebirgskreis and Chemnitz of today: its crosswalk rows are those the curated list gives."""
    case = PROJECT_ROOT / "tests" / "sql" / "indicators" / "arb06_foreign_share_of_unemployed" / "series_across_sachsen_2008_reform"
    lines = (case / "core.region_crosswalk.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    assert header == ["ags", "level", "valid_from", "valid_to", "target_ags", "weight", "via"]
    for ags, level, valid_from, valid_to, target, weight, via in rows:
        built = warehouse.execute(
            "SELECT coalesce(valid_from::VARCHAR, ''), coalesce(valid_to::VARCHAR, ''), target_ags, weight, via "
            "FROM core.region_crosswalk WHERE ags = ? AND level = ?", [ags, level]).fetchall()
        assert built == [(valid_from, valid_to, target, float(weight), via)], ags


def test_foreigners_authority_areas_follow_the_year(warehouse):
    """AZR Kreis figures are reported by authority area: Kassel and Saarland always, Cottbus with Spree-Neiße from 2013;
    a Kreis that no longer exists is its own area in the years it existed."""
    def area(kreis: str, period: int) -> tuple[str, bool]:
        return warehouse.execute(
            "SELECT reporting_ags, is_merged FROM core.foreigners_authority_area WHERE kreis_ags = ? AND period = ?",
            [kreis, period]).fetchone()

    assert area("12071000", 2012) == ("12071000", False) and area("12052000", 2012) == ("12052000", False)
    assert area("12071000", 2013) == ("12052000", True) and area("12052000", 2024) == ("12052000", True)
    assert area("06633000", 2008) == ("06611000", True) and area("10041000", 2008) == ("10044000", True)
    assert area("09162000", 2024) == ("09162000", False)
    # a former Kreis is its own area while it existed on 31.12.: its figures are re-aggregated by the indicators
    assert area("15153000", 2006) == ("15153000", False) and area("15153000", 2007) is None  # Bernburg until 1.7.2007
    assert area("03201000", 2000) == ("03201000", False) and area("03241000", 2000) == ("03241000", False)
    saarland = warehouse.execute("SELECT count(*) FROM core.foreigners_authority_area "
                                 "WHERE reporting_ags = '10044000' AND period = 2024").fetchone()[0]
    assert saarland == 6  # the six Kreise of Saarland
    # every Kreis has exactly one area per year
    assert warehouse.execute("SELECT count(*) FROM (SELECT kreis_ags, period FROM core.foreigners_authority_area "
                             "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0] == 0


@pytest.mark.parametrize("indicator", ["ARB03_GEM", "ARB06_GEM"])
def test_gemeindeverbaende_are_sums_of_their_gemeinden_without_double_counting(warehouse, indicator):
    rows = warehouse.execute(
        """
        WITH verband AS (
            SELECT ags, period, numerator, denominator, flag FROM marts.indicator_value
            WHERE indicator_id = ? AND level = 'gemeindeverband'
        ),
        members AS (
            SELECT substr(r.ars, 1, 9) AS verband_key, v.period,
                   sum(v.numerator) AS numerator, sum(v.denominator) AS denominator, count(*) AS gemeinden
            FROM marts.indicator_value AS v JOIN core.region AS r ON r.ags = v.ags AND r.level = 'gemeinde'
            WHERE v.indicator_id = ? AND v.level = 'gemeinde'
            GROUP BY ALL
        )
        SELECT count(*) FILTER (WHERE v.flag IS NULL OR v.flag <> 'incomplete_aggregate'),
               count(*) FILTER (WHERE (v.flag IS NULL OR v.flag <> 'incomplete_aggregate')
                                AND (v.numerator <> m.numerator OR v.denominator <> m.denominator)),
               count(*) FILTER (WHERE v.flag = 'incomplete_aggregate' AND v.numerator IS NOT NULL AND v.denominator IS NOT NULL),
               count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM core.region AS r
                                                  WHERE r.ags = v.ags AND r.level = 'gemeindeverband')),
               sum(m.gemeinden) FILTER (WHERE v.period = (SELECT max(period) FROM verband))
        FROM verband AS v JOIN members AS m ON m.verband_key = v.ags AND m.period = v.period
        """, [indicator, indicator]).fetchone()
    complete, differing, incomplete_with_both_counts, unknown_keys, gemeinden = rows
    assert complete > 4000 and differing == 0 and incomplete_with_both_counts == 0 and unknown_keys == 0
    # every Gemeinde is in exactly one Verband: the Verbände of the last year hold each Gemeinde once
    assert gemeinden == warehouse.execute("SELECT count(*) FROM core.region WHERE level = 'gemeinde'").fetchone()[0]


def test_imon_regions_shows_parents_and_history(built):
    runner = CliRunner()
    result = runner.invoke(app, ["regions", "03159", "-w", str(built[0].warehouse_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Göttingen" in result.output and "Niedersachsen" in result.output
    assert "03152000" in result.output and "03156000" in result.output  # former keys counted here
    old = runner.invoke(app, ["regions", "03152", "-w", str(built[0].warehouse_path)], env={"COLUMNS": "200"})
    assert old.exit_code == 0 and "2016-11-01" in old.output and "Nds. GVBl." in old.output
    bezirk = runner.invoke(app, ["regions", "11001001", "-w", str(built[0].warehouse_path)], env={"COLUMNS": "200"})
    assert bezirk.exit_code == 0 and "Berlin-Mitte" in bezirk.output
