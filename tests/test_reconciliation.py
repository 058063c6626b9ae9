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

Needs the Regionalatlas (not in the offline sample): AI0208 (foreign share of the population,
DEM01), AI0220 (naturalisation rate per 1,000 foreigners, REC01 - per 100 of the previous
year's foreigners, so compared ×10 and with a wider tolerance for the different stock date),
AI0805 (unemployment rate of foreigners, ARB04) and AI0809 (foreign share of the unemployed,
ARB06). To run those comparisons, configure the Regionalatlas table of the Regionaldatenbank
(statistic 99910, the Kreis table carrying these AI codes as value variables; check its code
with `imon sources check`) in sources/tables.d/ under the name `regionalatlas` with
`value_variables: [AI0208, AI0220, AI0805, AI0809]` and an expectation suite, set
IMON_REGIO_USERNAME/_PASSWORD, run `imon run`, and then

    IMON_RECONCILE_WAREHOUSE=warehouse/imon.duckdb .venv/bin/python -m pytest tests/test_reconciliation.py

(without IMON_RECONCILE_WAREHOUSE the test uses the offline warehouse and skips what is not loaded).
"""

from __future__ import annotations

import os
from collections import defaultdict

import duckdb
import pytest

pytestmark = pytest.mark.slow

# Regionalatlas AI code → (indicator, factor from the indicator's unit to the Regionalatlas unit, tolerance)
REGIONALATLAS = {
    "AI0208": ("DEM01", 1.0, 0.05),
    "AI0220": ("REC01", 10.0, 1.0),
    "AI0805": ("ARB04", 1.0, 0.05),
    "AI0809": ("ARB06", 1.0, 0.05),
}


@pytest.fixture(scope="module")
def db(request):
    """The warehouse to reconcile: IMON_RECONCILE_WAREHOUSE, or the session's offline warehouse."""
    path = os.environ.get("IMON_RECONCILE_WAREHOUSE")
    if not path:
        path = str(request.getfixturevalue("built")[0].warehouse_path)
    connection = duckdb.connect(path, read_only=True)
    yield connection
    connection.close()


def _exists(db, schema: str, table: str) -> bool:
    return bool(db.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]).fetchone()[0])


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
    assert len(published) == 17
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
        SEMI JOIN core.region AS r ON r.ags = u.ags AND r.level = u.level
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
    assert compared == 17


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


@pytest.mark.parametrize("ai_code", sorted(REGIONALATLAS))
def test_own_values_against_the_regionalatlas(db, ai_code):
    indicator, factor, tolerance = REGIONALATLAS[ai_code]
    if not _exists(db, "raw", "regionalatlas"):
        pytest.skip("Regionalatlas not configured (see the module docstring)")
    published = db.execute("""
        SELECT ags_key, period, value FROM (
            SELECT rpad(CASE WHEN region_key = 'DG' THEN '00' ELSE region_key END, 8, '0') AS ags_key,
                   CAST(substr(reference_time, 1, 4) AS INTEGER) AS period, value, value_variable
            FROM raw.regionalatlas)
        WHERE value_variable = ? AND value IS NOT NULL
    """, [ai_code]).fetchall()
    computed = {(ags, period): value for (ags, level, period), (value, *_rest) in _indicator(db, indicator).items()
                if level in ("kreis", "land", "deutschland") and value is not None}
    if not computed:
        pytest.skip(f"{indicator} not built")
    pairs = [((ags, period), value, computed[(ags, period)]) for ags, period, value in published if (ags, period) in computed]
    assert pairs, f"no region in common between {ai_code} and {indicator}"
    off = [(key, value, own * factor) for key, value, own in pairs if abs(value - own * factor) > tolerance]
    assert not off, f"{ai_code} vs {indicator}: {len(off)} of {len(pairs)} differ by more than {tolerance}, e.g. {off[:5]}"
