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
the population) has the definition of DEM01; AI0809 (foreign share of the unemployed) that of ARB06.
No recording of AI0809 (nor of a naturalisation or foreigners' unemployment rate) exists, so offline
those are shown to fail loudly, and compared only live:

    IMON_RECONCILE_WAREHOUSE=warehouse/imon.duckdb .venv/bin/python -m pytest tests/test_reconciliation.py
    .venv/bin/imon reconcile --code AI0208 --code AI0809     # the public Regionalatlas, no key

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
from warehouse.reconcile import reconcile, summary

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
