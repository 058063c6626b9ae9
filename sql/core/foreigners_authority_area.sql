/*
description: The area of the foreigners' authority under which the Ausländerzentralregister (AZR) reports each Kreis, per year.
grain: one row per Kreis and year (1990 to 2100, so that every reference year is covered), for the Kreise of the register and for former Kreise in the years they existed on 31.12.
sources: core.region, core.region_crosswalk; Destatis footnotes to the AZR Kreis tables 12521/12531
columns:
  period: Year of the reference date (AZR Kreis figures are stocks on 31.12.).
  reporting_ags: Kreis under whose key the AZR publishes this Kreis's foreigners in that year.
  is_merged: true when the authority area covers more than one Kreis in that year.
*/
-- AZR figures follow the responsible Ausländerbehörde, not the Kreis: Kassel Stadt (06611) and
-- Landkreis (06633) are shown together under 06611; all of Saarland under Saarlouis (10044),
-- because one authority serves the whole Land; Cottbus (12052) and Spree-Neiße (12071) together
-- under 12052 from 2013 (before, each Kreis is its own area). Indicators on AZR counts are computed
-- on these areas, year by year.
WITH assignments (kreis_pattern, reporting_ags, first_period, note) AS (
    VALUES
        ('06633000', '06611000', NULL, 'Landkreis Kassel under Kassel, Stadt'),
        ('10%', '10044000', NULL, 'Saarland: one foreigners'' authority, under Saarlouis'),
        ('12071000', '12052000', 2013, 'Spree-Neiße under Cottbus from 2013')
),
years AS (
    SELECT CAST(generate_series AS INTEGER) AS period FROM generate_series(1990, 2100)
),
-- A Kreis that no longer exists is its own area in the years it existed on 31.12. (the AZR's
-- reference day): its figures keep their key and the indicators re-aggregate them onto today's Kreis.
kreis_years AS (
    SELECT r.ags AS kreis_ags, years.period
    FROM core.region AS r
    CROSS JOIN years
    WHERE r.level = 'kreis'
    UNION
    SELECT c.ags AS kreis_ags, years.period
    FROM core.region_crosswalk AS c
    CROSS JOIN years
    WHERE c.level = 'kreis'
      AND c.ags NOT IN (SELECT ags FROM core.region WHERE level = 'kreis')
      AND valid_on(make_date(years.period, 12, 31), c.valid_from, c.valid_to)
),
assigned AS (
    SELECT
        k.kreis_ags,
        k.period,
        coalesce(
            (SELECT any_value(a.reporting_ags) FROM assignments AS a
             WHERE k.kreis_ags LIKE a.kreis_pattern AND k.period >= coalesce(a.first_period, 0)),
            k.kreis_ags
        ) AS reporting_ags
    FROM kreis_years AS k
)
SELECT
    kreis_ags,
    period,
    reporting_ags,
    count(*) OVER (PARTITION BY reporting_ags, period) > 1 AS is_merged
FROM assigned
