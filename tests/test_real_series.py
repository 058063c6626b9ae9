"""Change over time on real data (issue #16), in the warehouse the real flow builds from the offline sample.

Expected values are read off the files in offline/sample/ (file and line named at each check).
"""

from __future__ import annotations

from datetime import date

import pytest

from service.profile import profile_table

pytestmark = pytest.mark.slow

UNEMPLOYMENT_YEARS = [2015, 2016, 2017, 2018, 2019, 2020, 2023, 2025]


def row(warehouse, indicator: str, ags: str, period: int, level: str = "kreis"):
    found = warehouse.execute(
        "SELECT value, numerator, denominator, flag, is_synthetic FROM marts.indicator_value "
        "WHERE indicator_id = ? AND ags = ? AND level = ? AND period = ?", [indicator, ags, level, period]).fetchone()
    assert found is not None, (indicator, ags, level, period)
    return found


def test_unemployment_indicators_cover_every_real_year(warehouse):
    for indicator in ("ARB04", "ARB05", "ARB06"):
        periods = [p for (p,) in warehouse.execute(
            "SELECT DISTINCT period FROM marts.indicator_value WHERE indicator_id = ? ORDER BY period", [indicator]).fetchall()]
        assert periods == UNEMPLOYMENT_YEARS, indicator
        # every year has every Kreis of the register (a missing published rate is a NULL with its flag)
        assert warehouse.execute("SELECT DISTINCT count(*) FROM marts.indicator_value WHERE indicator_id = ? "
                                 "AND level = 'kreis' GROUP BY period", [indicator]).fetchall() == [(400,)]
    assert warehouse.execute("SELECT DISTINCT is_synthetic FROM marts.indicator_value "
                             "WHERE indicator_id IN ('ARB04', 'ARB05', 'ARB06')").fetchall() == [(False,)]


def test_published_rates_are_taken_to_the_published_decimal(warehouse):
    # 13211-02-05-4_2015-2020.csv line 11 (Flensburg 2020): ALQ 9,1, foreigners 19,4; _2025.csv line 12: 15,5
    assert row(warehouse, "ARB04", "01001000", 2020)[:2] == (pytest.approx(19.4), 1144)
    assert row(warehouse, "ARB04", "01001000", 2025)[0] == pytest.approx(15.5)
    assert row(warehouse, "ARB04", "01001000", 2023)[0] == pytest.approx(16.0)  # 13211-02-05-4.csv line 12
    assert row(warehouse, "ARB05", "01001000", 2020)[0] == pytest.approx(10.3)  # 19,4 − 9,1
    # Land and Germany rates as published (line 10: Schleswig-Holstein 18,8)
    assert row(warehouse, "ARB04", "01000000", 2020, "land")[0] == pytest.approx(18.8)


def test_2017_foreign_rate_is_null_with_its_flag(warehouse):
    # 2017: "." for every Kreis (line 1625 Flensburg); the Länder rates were published (line 1624: 21,5)
    value, numerator, _, flag, _ = row(warehouse, "ARB04", "01001000", 2017)
    assert value is None and flag == "value_suppressed" and numerator == 983
    # only Hamburg and Berlin have a value: their Kreis is the Land row (lines 1640 and 1989: 16,1 and 18,5)
    assert dict(warehouse.execute("SELECT ags, value FROM marts.indicator_value WHERE indicator_id = 'ARB04' "
                                  "AND level = 'kreis' AND period = 2017 AND value IS NOT NULL").fetchall()) == {
        "02000000": pytest.approx(16.1), "11000000": pytest.approx(18.5)}
    assert row(warehouse, "ARB04", "01000000", 2017, "land")[0] == pytest.approx(21.5)
    value, _, _, flag, _ = row(warehouse, "ARB05", "01001000", 2017)
    assert value is None and flag == "numerator_suppressed"
    # the counts were published: the foreign share of the unemployed has a value (983 / 4512)
    assert row(warehouse, "ARB06", "01001000", 2017)[:3] == (pytest.approx(100 * 983 / 4512), 983, 4512)


def test_foreign_share_of_unemployed_from_counts(warehouse):
    assert row(warehouse, "ARB06", "01001000", 2020)[:3] == (pytest.approx(100 * 1144 / 4722), 1144, 4722)
    assert row(warehouse, "ARB06", "01001000", 2025)[:3] == (pytest.approx(100 * 1408 / 4642), 1408, 4642)


def test_goettingen_before_its_formation_is_reaggregated_through_the_crosswalk(warehouse):
    # 2015: Göttingen 03152 (line 2723: 7896 / 1209) and Osterode 03156 (line 2727: 2342 / 231) → 03159
    value, numerator, denominator, flag, _ = row(warehouse, "ARB06", "03159000", 2015)
    assert (numerator, denominator, flag) == (1209 + 231, 7896 + 2342, "reaggregated_from_former_kreise")
    assert value == pytest.approx(100 * 1440 / 10238)
    # the published rate cannot be re-aggregated: a NULL with its reason
    assert row(warehouse, "ARB04", "03159000", 2015)[3] == "not_published_for_this_area"
    assert row(warehouse, "ARB04", "03159000", 2016)[0] == pytest.approx(18.7)  # line 2192


def test_a_rate_published_before_a_kreis_grew_is_not_shown_for_the_larger_kreis(warehouse):
    # Eisenach 16056 joined the Wartburgkreis 16063 on 2021-07-01: the BA's 2019 rates of both (9.7 and
    # 17.7 in the real file) describe areas that no longer exist, so the Wartburgkreis has no 2019 rate
    # (it used to show the old Wartburgkreis's 9.7), while its counts are re-aggregated from both keys
    assert warehouse.execute("SELECT other_ags, valid_to FROM core.region_area_change WHERE ags = '16063000'"
                             ).fetchall() == [("16056000", date(2021, 7, 1))]
    for indicator in ("ARB04", "ARB05"):
        value, numerator, _, flag, _ = row(warehouse, indicator, "16063000", 2019)
        assert (value, numerator, flag) == (None, None, "not_published_for_this_area"), indicator
    unemployed = warehouse.execute(
        "SELECT sum(value) FROM core.unemployment WHERE ags IN ('16056000', '16063000') AND period = 2019 "
        "AND measure = 'unemployed' AND person_group = 'foreign'").fetchone()[0]
    assert row(warehouse, "ARB06", "16063000", 2019)[1:4:2] == (unemployed, "reaggregated_from_former_kreise")
    # after the merger the published rate is the Kreis's own again; a Kreis without a reform keeps its rates
    assert row(warehouse, "ARB04", "16063000", 2023)[3] is None and row(warehouse, "ARB04", "16063000", 2023)[0]
    assert row(warehouse, "ARB04", "16061000", 2019)[0] is not None


def test_change_columns_never_span_a_missing_year(warehouse):
    series = {period: (value, change_1y, change_5y) for period, value, change_1y, change_5y in warehouse.execute(
        "SELECT period, value, change_1y, change_5y FROM marts.indicator_series "
        "WHERE indicator_id = 'ARB06' AND ags = '01001000' AND level = 'kreis'").fetchall()}
    assert sorted(series) == UNEMPLOYMENT_YEARS
    assert series[2016][1] == pytest.approx(series[2016][0] - series[2015][0])
    assert series[2020][2] == pytest.approx(series[2020][0] - series[2015][0])
    assert series[2023][1] is None  # no 2022 in the sample: no change against "the year before"
    assert series[2023][2] == pytest.approx(series[2023][0] - series[2018][0])
    assert series[2025][1] is None  # no 2024 in the sample
    assert series[2025][2] == pytest.approx(series[2025][0] - series[2020][0])
    assert series[2015][1] is None


def test_population_of_2015_to_2020_from_12411_0018(warehouse):
    population = dict(((sex, period), value) for sex, period, value in warehouse.execute(
        "SELECT sex, period, population FROM core.population WHERE ags = '01001000' AND level = 'kreis'").fetchall())
    # 12411-0018_2015-2020.csv line 7: Flensburg 31.12.2015, the 34 age groups sum to 85,942 (male 42,767)
    assert population[("total", 2015)] == 85_942 and population[("male", 2015)] == 42_767
    assert population[("female", 2015)] == 85_942 - 42_767
    assert population[("total", 2020)] == 89_934
    assert {period for _, period in population} == {2015, 2016, 2017, 2018, 2019, 2020, 2024}
    # before the merger the old Kreise are the valid keys (re-aggregated in the indicators)
    old = dict(warehouse.execute("SELECT ags, population FROM core.population WHERE period = 2015 AND sex = 'total' "
                                 "AND ags IN ('03152000', '03156000', '03159000')").fetchall())
    assert old == {"03152000": 255_653, "03156000": 73_885}
    assert warehouse.execute("SELECT count(DISTINCT ags) FROM core.population WHERE period = 2016 AND level = 'kreis' "
                             "AND sex = 'total'").fetchone()[0] == 401


def test_partly_real_partly_generated_series_is_marked_per_value(warehouse):
    marks = dict(warehouse.execute("SELECT period, bool_and(is_synthetic) FROM marts.indicator_value "
                                   "WHERE indicator_id = 'ARB10' GROUP BY period").fetchall())
    assert marks == {2015: False, 2016: False, 2017: False, 2018: False, 2019: False, 2020: False,
                     2023: True, 2024: True}
    assert dict(warehouse.execute("SELECT period, synthetic FROM meta.raw_period WHERE table_code = '13111-07-05-4'")
                .fetchall()) == marks
    # 13111-07-05-4_2015.csv line 53 and _2020.csv line 53: Flensburg, all sections
    assert row(warehouse, "ARB10", "01001000", 2015)[:3] == (pytest.approx(100 * 2443 / 40774), 2443, 40774)
    assert row(warehouse, "ARB10", "01001000", 2020)[:3] == (pytest.approx(100 * 3628 / 43981), 3628, 43981)
    # the catalogue says the indicator has generated values; the series says which
    assert warehouse.execute("SELECT is_synthetic FROM marts.indicator_catalog WHERE indicator_id = 'ARB10'").fetchone() == (True,)
    assert warehouse.execute("SELECT DISTINCT is_synthetic FROM marts.indicator_series WHERE indicator_id = 'ARB10' "
                             "AND period <= 2020").fetchall() == [(False,)]


def test_foreign_share_by_economic_section(warehouse):
    shares = {(period, section): (share, foreign, total, flag, synthetic) for period, section, share, foreign, total, flag, synthetic
              in warehouse.execute("SELECT period, section, foreign_share_pct, foreign_employees, employees, flag, is_synthetic "
                                   "FROM marts.foreign_share_of_employees_by_section "
                                   "WHERE ags = '01001000' AND level = 'kreis'").fetchall()}
    assert shares[(2015, "total")][:3] == (pytest.approx(100 * 2443 / 40774), 2443, 40774)
    # line 40: agriculture in Flensburg 2015, 18 employees, the foreigners secret
    share, foreign, total, flag, synthetic = shares[(2015, "Land- und Forstwirtschaft, Fischerei (A)")]
    assert (share, foreign, total, flag, synthetic) == (None, None, 18, "numerator_suppressed", False)
    assert shares[(2023, "total")][4] is True
    # a Land with a secret Kreis cell in a section has no sum for it: NULL with its flag, never a partial sum
    land = warehouse.execute("SELECT count(*) FILTER (WHERE flag = 'incomplete_aggregate' AND foreign_share_pct IS NULL), "
                             "count(*) FILTER (WHERE flag = 'incomplete_aggregate' AND foreign_share_pct IS NOT NULL) "
                             "FROM marts.foreign_share_of_employees_by_section WHERE level = 'land'").fetchone()
    assert land[0] > 0 and land[1] == 0
    # ARB10 is the row 'total' of the mart
    assert warehouse.execute("""
        SELECT count(*) FROM marts.foreign_share_of_employees_by_section s
        JOIN marts.indicator_value v ON v.indicator_id = 'ARB10' AND v.ags = s.ags AND v.level = s.level AND v.period = s.period
        WHERE s.section = 'total' AND s.foreign_share_pct IS DISTINCT FROM v.value""").fetchone() == (0,)


def test_profile_export_says_which_points_are_generated(warehouse):
    table = profile_table(warehouse.cursor(), "01001000", "kreis").to_pylist()
    arb10 = {r["period"]: r["is_synthetic"] for r in table if r["indicator_id"] == "ARB10"}
    assert arb10 == {2015: False, 2016: False, 2017: False, 2018: False, 2019: False, 2020: False, 2023: True, 2024: True}
    assert {r["is_synthetic"] for r in table if r["indicator_id"] == "ARB06"} == {False}


def test_the_register_knows_the_dissolved_and_8_digit_keys(warehouse):
    for table in ("unemployed_by_group", "employees_at_workplace_by_sector"):
        statuses = dict(warehouse.execute(f"SELECT region_key_status, count(DISTINCT region_key) FROM raw.{table} "
                                          "GROUP BY ALL").fetchall())
        # keys older than the register's history with '-' only are kept, marked; nothing unknown carries a number
        assert set(statuses) == {"in_register", "berlin_bezirk", "not_in_register_no_values"} and statuses["berlin_bezirk"] == 12
    known = dict(warehouse.execute(
        "SELECT DISTINCT region_key, region_key_status FROM raw.unemployed_by_group "
        "WHERE region_key IN ('03152', '03156', '03241001', '05334002', '16056') AND reference_time = '2015'").fetchall())
    assert known == dict.fromkeys(("03152", "03156", "03241001", "05334002", "16056"), "in_register")
    # Eisenach (16056, into the Wartburgkreis 2021) counts in 16063 of the target Gebietsstand
    assert row(warehouse, "ARB06", "16063000", 2020)[3] == "reaggregated_from_former_kreise"


def test_csv_downloads_of_the_service_say_which_points_are_generated(built, tmp_path):
    """Over HTTP: the CSV of /api/values and of a profile carry is_synthetic per value (ARB10 of Flensburg)."""
    import csv
    import io

    try:
        from service_support import running_service
    except ImportError:
        from tests.service_support import running_service

    expected = {"2015": "False", "2016": "False", "2017": "False", "2018": "False", "2019": "False", "2020": "False",
                "2023": "True", "2024": "True"}
    with running_service(tmp_path, built[0].warehouse_path, built[0].run_id, counties=("01001",)) as service, \
            service.client("01001") as client:
        values = client.get("/api/values", params={"indicator": ["ARB10", "ARB06"], "region": "01001", "format": "csv"})
        profile = client.get("/api/regions/01001/profile", params={"format": "csv"})
    for response in (values, profile):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), response.text
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert "is_synthetic" in rows[0]
        assert {r["period"]: r["is_synthetic"] for r in rows if r["indicator_id"] == "ARB10"} == expected
        # ARB06 rests on 13211-02-05-4 only: real in every year
        assert {r["is_synthetic"] for r in rows if r["indicator_id"] == "ARB06"} == {"False"}
