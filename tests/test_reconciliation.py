"""Own computations from counts against the ratios and totals official sources publish.

Where an official ratio is published, the model's own value from counts is compared with it;
a difference beyond rounding is a failure to explain or fix (issue #5).

Offline, with the real files of the sample (the session warehouse of conftest.py, `built`):

- ARB06 (foreign share of the unemployed): Länder and Germany are sums of the Kreis counts of
  13211-02-05-4; the same table publishes the Land and Germany rows, so the share computed from
  Kreis counts is compared with the share of the published rows. Annual averages are rounded to
  whole persons per Kreis, so the sums may differ by up to half a person per Kreis.
- ARB04 (unemployment rate of foreigners) is taken as published, because the BA does not publish
  the foreign civilian labour force it rests on. The published Kreis rates and counts still imply
  that labour force (foreign unemployed · 100 / rate); summed over the Kreise of a Land it gives
  the Land rate computed from counts, which must match the published Land and Germany rate within
  the rounding of the rates to one decimal (carried through as an interval).
- The BA export (arbeitslose_auslaender_nachgeschlecht, Germany) against 13211-02-05-4: the
  same annual average of foreign unemployed, and its sexes add up to its total.

Against the Regionalatlas (sources/regionalatlas.py, warehouse/reconcile.py, `imon reconcile`): the
fake query service (tests/fake_regionalatlas) answers from the recorded AI0208 answers in
tests/fixtures/regionalatlas/ (16 Länder, 8 Kreise, 2015-2020, 2023, 2024). AI0208 (foreign share of
the population) has the definition of DEM01; AI0809 (foreign share of the unemployed) that of ARB06;
AI0805 (unemployment rate of foreigners) that of ARB04. No recording of AI0809 exists, so offline it
is shown to fail loudly. No recording of AI0805 exists either: since both sides are the BA's published
rate, the fake service answers it here with the rates of the BA file itself (file and line named).
AI0220 (naturalisations per 1,000 foreigners of the same year) is refused against REC01 (per 100 of
the previous year), with the reason. Live:

    IMON_RECONCILE_WAREHOUSE=warehouse/imon.duckdb .venv/bin/python -m pytest tests/test_reconciliation.py
    .venv/bin/imon reconcile --code AI0208 --code AI0805 --code AI0809     # the public Regionalatlas, no key

(without IMON_RECONCILE_WAREHOUSE the tests use the offline warehouse of the session).
"""

from __future__ import annotations

import os
from collections import defaultdict

import duckdb
import pytest
from typer.testing import CliRunner

from sources.errors import FetchError
from sources.regionalatlas import fetch
from warehouse.reconcile import NotComparable, reconcile, summary

try:
    from fake_regionalatlas import FakeRegionalatlas
except ImportError:
    from tests.fake_regionalatlas import FakeRegionalatlas

pytestmark = pytest.mark.slow

# the years of the recorded Regionalatlas answers (tests/fixtures/regionalatlas/answers.json)
RECORDED_YEARS = [2015, 2016, 2017, 2018, 2019, 2020, 2023, 2024]
# the years of 13211-02-05-4 in the offline sample
UNEMPLOYMENT_YEARS = [2015, 2016, 2017, 2018, 2019, 2020, 2023, 2025]
LIVE = bool(os.environ.get("IMON_RECONCILE_WAREHOUSE"))


@pytest.fixture(scope="module")
def db(request):
    """The warehouse to reconcile: IMON_RECONCILE_WAREHOUSE, or the session's offline warehouse."""
    path = os.environ.get("IMON_RECONCILE_WAREHOUSE")
    if not path:
        path = str(request.getfixturevalue("built")[0].warehouse_path)
    connection = duckdb.connect(path, read_only=True)
    yield connection
    connection.close()


def _indicator(db, indicator: str) -> dict[tuple[str, str, int], tuple]:
    return {(ags, level, period): (value, numerator, denominator, flag) for ags, level, period, value, numerator, denominator, flag in
            db.execute("SELECT ags, level, period, value, numerator, denominator, flag FROM marts.indicator_value "
                       "WHERE indicator_id = ?", [indicator]).fetchall()}


def test_arb06_from_kreis_counts_matches_the_published_land_and_germany_rows(db):
    computed = _indicator(db, "ARB06")
    published = db.execute("""
        SELECT ags, level, period,
               max(value) FILTER (WHERE person_group = 'foreign') AS foreign_unemployed,
               max(value) FILTER (WHERE person_group = 'total') AS unemployed
        FROM core.unemployment
        WHERE measure = 'unemployed' AND level IN ('land', 'deutschland')
        GROUP BY ags, level, period
    """).fetchall()
    kreise = dict(((land, period), n) for land, period, n in db.execute(
        "SELECT left(ags, 2) || '000000', period, count(*) FROM marts.indicator_value "
        "WHERE indicator_id = 'ARB06' AND level = 'kreis' GROUP BY ALL").fetchall())
    assert LIVE or len(published) == 17 * len(UNEMPLOYMENT_YEARS)
    for ags, level, period, foreign_unemployed, unemployed in published:
        value, numerator, denominator, flag = computed[(ags, level, period)]
        assert flag is None, (ags, flag)
        # rounding of the Kreis annual averages: at most half a person per Kreis
        rounding = 0.5 * (sum(kreise.values()) if level == "deutschland" else kreise[(ags, period)])
        assert abs(numerator - foreign_unemployed) <= rounding, (ags, numerator, foreign_unemployed)
        assert abs(denominator - unemployed) <= rounding, (ags, denominator, unemployed)
        assert value == pytest.approx(100 * foreign_unemployed / unemployed, abs=0.01), ags


def test_arb04_land_and_germany_rates_follow_from_the_kreis_rates_and_counts(db):
    """The published Land rate equals Σ foreign unemployed / Σ implied foreign labour force of its Kreise."""
    rows = db.execute("""
        SELECT ags, level, period,
               max(value) FILTER (WHERE measure = 'unemployed' AND person_group = 'foreign') AS foreign_unemployed,
               max(value) FILTER (WHERE measure = 'unemployment_rate_pct' AND person_group = 'foreign') AS rate
        FROM core.unemployment AS u
        -- every Kreis valid in its year (core.unemployment keeps those): Göttingen 2015 is 03152 and 03156
        WHERE level IN ('kreis', 'land', 'deutschland')
        GROUP BY ags, level, period
    """).fetchall()
    # implied foreign civilian labour force per Kreis, as an interval: the rate is rounded to one decimal
    low, high, counts, complete = defaultdict(float), defaultdict(float), defaultdict(float), defaultdict(lambda: True)
    published = {}
    for ags, level, period, foreign_unemployed, rate in rows:
        if level != "kreis":
            published[(ags, period)] = rate
            continue
        for total in (f"{ags[:2]}000000", "00000000"):
            if foreign_unemployed is None or not rate:
                complete[(total, period)] = False
                continue
            low[(total, period)] += 100 * foreign_unemployed / (rate + 0.05)
            high[(total, period)] += 100 * foreign_unemployed / (rate - 0.05)
            counts[(total, period)] += foreign_unemployed
    compared = 0
    for key, rate in published.items():
        if rate is None or not complete[key] or key not in counts:
            continue
        computed_low, computed_high = 100 * counts[key] / high[key], 100 * counts[key] / low[key]
        # the published Land rate is itself rounded to one decimal; the Kreis counts to whole persons
        assert computed_low - 0.05 - 0.01 <= rate <= computed_high + 0.05 + 0.01, (key, rate, computed_low, computed_high)
        compared += 1
    # Only where every Kreis rate of the Land was published: 2015, 2016, 2023, 2025 all 17; 2017 and 2018
    # no Kreis rates of foreigners ('.', except the city-states Hamburg and Berlin: 2 each); 2019 without
    # Brandenburg, Thüringen and Germany (14); 2020 without Thüringen and Germany (15)
    assert LIVE or compared == 4 * 17 + 2 + 2 + 14 + 15


def test_ba_export_matches_the_regionaldatenbank_and_adds_up(db):
    by_sex = dict(db.execute(
        "SELECT coalesce(ges, 'total'), value FROM raw.ba_unemployed_foreigners_by_sex WHERE reference_time = '2023'"
    ).fetchall())
    regio = db.execute(
        "SELECT value FROM core.unemployment WHERE level = 'deutschland' AND measure = 'unemployed' "
        "AND person_group = 'foreign' AND period = 2023"
    ).fetchone()[0]
    assert by_sex["total"] == regio
    parts = [v for k, v in by_sex.items() if k != "total"]
    assert len(parts) == 2 and abs(sum(parts) - by_sex["total"]) <= 2, by_sex  # rounded annual averages


@pytest.fixture(scope="module")
def regionalatlas():
    server = FakeRegionalatlas().start()
    try:
        yield server
    finally:
        server.stop()


def test_ai0208_against_dem01_of_the_offline_warehouse(built, regionalatlas):
    """Offline, DEM01 rests on generated population by nationality (2023-2024): listed, never compared."""
    connection = duckdb.connect(str(built[0].warehouse_path), read_only=True)
    try:
        comparisons = reconcile(connection, fetch("AI0208", RECORDED_YEARS, ["land", "kreis"], url=regionalatlas.url))
    finally:
        connection.close()
    # 16 Länder and 8 Kreise a year; Göttingen (03159) is not among the boundaries of 2015
    assert len(comparisons) == 8 * 24 - 1
    assert summary(comparisons)["AI0208"] == {
        "agrees": 0, "differs": 0, "imon_synthetic": 2 * 24, "imon_withheld": 0, "not_published": 0,
        "not_in_imon": 6 * 24 - 1}
    assert {c.period for c in comparisons if c.status == "imon_synthetic"} == {2023, 2024}


def test_differences_beyond_the_rounding_are_reported_with_their_causes(regionalatlas):
    """A small warehouse whose DEM01 values are set against the recorded 2019 Kreis answer by hand."""
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA marts")
    connection.execute("CREATE TABLE marts.indicator_value (indicator_id VARCHAR, ags VARCHAR, level VARCHAR, "
                       "period INTEGER, value DOUBLE, flag VARCHAR, is_synthetic BOOLEAN)")
    connection.executemany("INSERT INTO marts.indicator_value VALUES ('DEM01', ?, 'kreis', 2019, ?, ?, ?)", [
        ("01001000", 15.24, None, False),   # published 15.2: within ±0.05
        ("01002000", 12.06, None, False),   # published 12.0: 0.06 beyond
        ("03159000", 8.9, "reaggregated_from_former_kreise", False),  # published 8.7
        ("03241000", None, "numerator_suppressed", False),            # published 14.0
        ("05315000", 30.0, None, True),     # generated: not compared
    ])
    comparisons = {c.ags: c for c in reconcile(connection, fetch("AI0208", [2019], ["kreis"], url=regionalatlas.url))}
    assert comparisons["01001000"].status == "agrees" and comparisons["01001000"].difference == pytest.approx(0.04)
    assert comparisons["01002000"].status == "differs" and comparisons["01002000"].difference == pytest.approx(0.06)
    assert "Ausländerzentralregister" in comparisons["01002000"].note
    assert comparisons["03159000"].status == "differs"
    assert comparisons["03159000"].note.startswith("imon re-aggregated this Kreis")
    assert comparisons["03241000"].status == "imon_withheld" and "numerator_suppressed" in comparisons["03241000"].note
    assert comparisons["05315000"].status == "imon_synthetic"
    assert {comparisons[k].status for k in ("02000000", "06412000", "16063000")} == {"not_in_imon"}


def test_imon_reconcile_on_the_published_snapshot(built, regionalatlas, monkeypatch, tmp_path):
    from flows.cli import app

    monkeypatch.setenv("IMON_REGIONALATLAS_URL", regionalatlas.url)
    result = CliRunner().invoke(app, ["reconcile", "--code", "AI0208", "--year", "2023", "--year", "2024",
                                      "--warehouse", str(built[0].warehouse_path), "--csv", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    assert "AI0208" in result.output and "DEM01" in result.output
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 2 * 24 and all(",imon_synthetic," in line for line in lines[1:])


def test_ai0809_has_no_recorded_answer_and_says_so(built, regionalatlas, monkeypatch):
    """AI0809 (↔ ARB06) is compared only live: offline the command stops with the service's error, naming it."""
    from flows.cli import app

    with pytest.raises(FetchError, match="no recorded answer for ai008_1_5 typ 1 jahr 2020"):
        fetch("AI0809", [2020], ["land"], url=regionalatlas.url)
    monkeypatch.setenv("IMON_REGIONALATLAS_URL", regionalatlas.url)
    result = CliRunner().invoke(app, ["reconcile", "--code", "AI0809", "--year", "2020",
                                      "--warehouse", str(built[0].warehouse_path)])
    assert result.exit_code == 2 and "regionalatlas ai008_1_5" in result.output


# AI0805 answers built from the BA's own foreigners' rates (column "Arbeitslosenquote bez. auf alle zivile
# Erwerbsp. / Ausländer"), typed from offline/sample/13211-02-05-4_2015-2020.csv (line numbers of the file);
# keys as the Regionalatlas gives them (Land 2 digits, Kreis 5); None where the file says '.' (not published)
BA_FOREIGNERS_RATES = {
    (2015, "land"): {"01": (2700, 18.7), "09": (2953, 8.6)},
    (2015, "kreis"): {"01001": (2701, 20.2), "03152": (2723, 15.4), "09162": (2956, 8.6)},  # 03152: Göttingen before 2016
    (2017, "land"): {"01": (1624, 21.5), "09": (1877, 7.9)},
    (2017, "kreis"): {"01001": (1625, None), "03159": (1654, None), "09162": (1880, None)},
    (2020, "land"): {"01": (10, 18.8), "09": (263, 8.2)},
    (2020, "kreis"): {"01001": (11, 19.4), "03159": (40, 17.4), "09162": (266, 7.8)},
}


@pytest.fixture
def ai0805(tmp_path):
    """The fake service answering AI0805 (table ai008_1_5) from BA_FOREIGNERS_RATES, in the recorded answers' shape."""
    import json

    answers = [{"table": "ai008_1_5", "typ": {"land": 1, "kreis": 3}[level], "jahr": year, "field": "ai0805",
                "origin": f"offline/sample/13211-02-05-4_2015-2020.csv lines {sorted(line for line, _ in rates.values())}",
                "body": json.dumps({"type": "FeatureCollection", "features": [
                    {"type": "Feature", "geometry": None, "properties": {"ags": ags, "ai0805": rate}}
                    for ags, (_, rate) in rates.items()]})}
               for (year, level), rates in BA_FOREIGNERS_RATES.items()]
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"about": "AI0805 from the BA rates of 13211-02-05-4", "answers": answers}), encoding="utf-8")
    server = FakeRegionalatlas(path).start()
    try:
        yield server
    finally:
        server.stop()


def test_ai0805_against_arb04_agrees_with_the_ba_rates(built, ai0805, monkeypatch, tmp_path):
    """ARB04 takes the BA's rate as published: every rate the BA publishes agrees to its decimal, none is invented."""
    from flows.cli import app

    connection = duckdb.connect(str(built[0].warehouse_path), read_only=True)
    try:
        comparisons = reconcile(connection, fetch("AI0805", [2015, 2017, 2020], ["land", "kreis"], url=ai0805.url))
    finally:
        connection.close()
    by_key = {(c.period, c.level, c.ags): c for c in comparisons}
    expected = {(year, level, ags.ljust(8, "0")): rate for (year, level), rates in BA_FOREIGNERS_RATES.items()
                for ags, (_, rate) in rates.items()}
    assert set(by_key) == set(expected)
    assert {c.indicator for c in comparisons} == {"ARB04"}
    for key, rate in expected.items():
        comparison = by_key[key]
        if key == (2015, "kreis", "03152000"):  # dissolved 01.11.2016: not a region of imon's Gebietsstand
            assert (comparison.status, comparison.own) == ("not_in_imon", None)
        elif rate is None:  # '.': nothing published, and imon shows nothing either (never 0)
            assert (comparison.status, comparison.published, comparison.own) == ("not_published", None, None), key
        else:
            assert comparison.status == "agrees" and comparison.own == pytest.approx(rate), key
            assert comparison.difference == pytest.approx(0.0), key
    assert summary(comparisons)["AI0805"] == {"agrees": 11, "differs": 0, "imon_synthetic": 0, "imon_withheld": 0,
                                              "not_published": 3, "not_in_imon": 1}
    # the command, over HTTP to the same answers: nothing differs, so it exits 0
    monkeypatch.setenv("IMON_REGIONALATLAS_URL", ai0805.url)
    result = CliRunner().invoke(app, ["reconcile", "--code", "AI0805", "--year", "2020", "--warehouse",
                                      str(built[0].warehouse_path), "--csv", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 5 and all(line.startswith("AI0805,ARB04,") and ",agrees," in line for line in lines[1:])


def test_ai0220_is_refused_against_rec01_with_the_reason(built, regionalatlas, monkeypatch):
    """Naturalisations per 1,000 foreigners of the same year (AI0220) are not REC01 (per 100 of the previous year)."""
    from flows.cli import app
    from sources.regionalatlas import PublishedValue

    with pytest.raises(NotComparable, match=r"^AI0220 is not compared with REC01, the definitions differ: .*per 1,000 "
                                            r"foreigners .* same year; REC01 .* per 100 foreigners on 31\.12\. of the "
                                            r"previous year"):
        reconcile(duckdb.connect(), [PublishedValue("AI0220", "01001000", "kreis", 2020, 12.3)])
    monkeypatch.setenv("IMON_REGIONALATLAS_URL", regionalatlas.url)
    before = len(regionalatlas.requests)
    result = CliRunner().invoke(app, ["reconcile", "--code", "AI0220", "--year", "2020",
                                      "--warehouse", str(built[0].warehouse_path)])
    assert result.exit_code == 2
    assert "AI0220 is not compared with REC01, the definitions differ" in " ".join(result.output.split())
    assert len(regionalatlas.requests) == before  # refused before any request
