/*
id: ARB04
version: 2
changelog:
  - "2 (2026-12-06): a rate published before a territorial reform changed the Kreis's area (Wartburgkreis before Eisenach joined it on 2021-07-01) is NULL with not_published_for_this_area, no longer the old area's rate"
  - "1: first version"
name_de: Arbeitslosenquote der Ausländer (bezogen auf alle zivilen Erwerbspersonen)
name_en: Registered unemployment rate of foreigners (all civilian labour force)
domain: Arbeitsmarkt
unit: pct
aggregate: none
formula: "published ERWP10[ERWAQ8=ARBEITSQUO07] (BA: foreign unemployed / foreign civilian labour force · 100)"
reference_sets: "RA AI0805, L E5, W A.3.4, NI 5-3-2, K"
definition: The rate the Bundesagentur für Arbeit publishes - foreign registered unemployed divided by the foreign civilian labour force, times 100, annual average. Taken as published for Kreise, Länder and Germany, because the labour force it rests on is not published.
numerator: 13211-02-05-4 ERWP06, ERWAQ7 = ARBEITSLOS08 (shown for reference)
denominator: foreign civilian labour force (BA Bezugsgröße, not published)
sources: [regio 13211-02-05-4]
lowest_level: kreis
reference_date: annual average
caveats: Published rates cannot be re-aggregated, so years before a territorial reform show only the regions that still exist, and a Kreis whose area changed (the Wartburgkreis before 2021-07-01) has no rate for those years. The Bezugsgröße is updated once a year, so the rate is overstated in years of strong immigration (2015/16, 2022). For 2017 the BA did not publish it at Kreis level.
*/
WITH rates AS (
    SELECT
        ags,
        level,
        period,
        reference_date,
        max(value) FILTER (WHERE measure = 'unemployment_rate_pct' AND person_group = 'foreign') AS rate,
        max(value_flag) FILTER (WHERE measure = 'unemployment_rate_pct' AND person_group = 'foreign') AS rate_flag,
        max(value) FILTER (WHERE measure = 'unemployed' AND person_group = 'foreign') AS foreign_unemployed
    FROM core.unemployment AS unemployment
    -- a published rate cannot be re-aggregated: only regions of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = unemployment.ags AND region.level = unemployment.level
    WHERE unemployment.level IN ('kreis', 'land', 'deutschland')
    GROUP BY ags, level, period, reference_date
),
published AS (
    SELECT
        ags,
        level,
        period,
        reference_date,
        rate AS value,
        foreign_unemployed AS numerator,
        CAST(NULL AS DOUBLE) AS denominator,
        CASE WHEN rate IS NULL THEN 'value_suppressed' END AS flag
    FROM rates
    -- a Kreis whose area changed after the reference date (Eisenach joined the Wartburgkreis on
    -- 2021-07-01): the rate published for it then describes another area
    ANTI JOIN core.region_area_change AS changed
        ON changed.ags = rates.ags AND changed.level = rates.level
       AND valid_on(fact_day(rates.reference_date, rates.period), changed.valid_from, changed.valid_to)
),
-- a Kreis of the target Gebietsstand that had no published rate that year (Göttingen 03159 before
-- its formation in 2016) or no rate for its area (core.region_area_change) keeps its row, NULL with a
-- flag, so every year has every region
every_region AS (
    SELECT region.ags, region.level, periods.period, periods.reference_date
    FROM core.region AS region
    CROSS JOIN (SELECT DISTINCT period, reference_date FROM published WHERE level = 'deutschland') AS periods
    WHERE region.level IN ('kreis', 'land', 'deutschland')
)
SELECT * FROM published
UNION ALL
SELECT ags, level, period, reference_date, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
       'not_published_for_this_area'
FROM every_region
WHERE NOT EXISTS (SELECT 1 FROM published AS p WHERE p.ags = every_region.ags AND p.level = every_region.level
                  AND p.period = every_region.period)
