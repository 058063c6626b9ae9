/*
id: ARB05
version: 2
changelog:
  - "2 (2026-12-06): a rate published before a territorial reform changed the Kreis's area (Wartburgkreis before Eisenach joined it on 2021-07-01) is NULL with not_published_for_this_area, no longer the old area's rate"
  - "1: first version"
name_de: Abstand der Arbeitslosenquote der Ausländer zur Quote insgesamt
name_en: Gap between the unemployment rate of foreigners and the total rate
domain: Arbeitsmarkt
unit: percentage_points
aggregate: none
formula: "ARB04 − ERWP10[total] (percentage points)"
reference_sets: "NI 5-3-3, L E5"
definition: Published unemployment rate of foreigners minus the published total unemployment rate (both on all civilian labour force), in percentage points.
numerator: 13211-02-05-4 ERWP10, ERWAQ8 = ARBEITSQUO07
denominator: 13211-02-05-4 ERWP10 total (subtracted, not divided)
sources: [regio 13211-02-05-4]
lowest_level: kreis
reference_date: annual average
caveats: Published rates cannot be re-aggregated, so years before a territorial reform show only the regions that still exist, and a Kreis whose area changed (the Wartburgkreis before 2021-07-01) has no rate for those years. A difference of two published, rounded rates (one decimal); see ARB04.
*/
WITH rates AS (
    SELECT
        ags,
        level,
        period,
        reference_date,
        max(value) FILTER (WHERE person_group = 'foreign') AS foreign_rate,
        max(value) FILTER (WHERE person_group = 'total') AS total_rate
    FROM core.unemployment AS unemployment
    -- a published rate cannot be re-aggregated: only regions of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = unemployment.ags AND region.level = unemployment.level
    WHERE unemployment.level IN ('kreis', 'land', 'deutschland') AND measure = 'unemployment_rate_pct'
    GROUP BY ags, level, period, reference_date
),
published AS (
    SELECT
        ags,
        level,
        period,
        reference_date,
        round(foreign_rate - total_rate, 1) AS value,
        CAST(NULL AS DOUBLE) AS numerator,
        CAST(NULL AS DOUBLE) AS denominator,
        CASE
            WHEN foreign_rate IS NULL THEN 'numerator_suppressed'
            WHEN total_rate IS NULL THEN 'denominator_suppressed'
        END AS flag
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
