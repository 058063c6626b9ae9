/*
id: ARB07
version: 1
name_de: Relatives Arbeitslosigkeitsrisiko der Ausländer (Disparitätsindex)
name_en: Relative unemployment risk of foreign nationals (disparity index)
domain: Arbeitsmarkt
unit: ratio
aggregate: none
formula: "(ERWP06[ERWAQ7=ARBEITSLOS08] / ERWP06[total]) / (BEVSTD[NATA, 15–65) / BEVSTD[15–65))(31.12.t−1)"
reference_sets: "derived (gap logic of L E5 and NI 5-3-3)"
definition: Foreign share of the registered unemployed (annual average) divided by the foreign share of the population aged 15 to under 65 on 31.12. of the previous year. Above 1 foreigners are over-represented among the unemployed. Länder and Germany from the sums of the Kreis counts of all four terms.
numerator: foreign share of registered unemployed in percent, 13211-02-05-4 ERWP06 ARBEITSLOS08 / total (Länder and Germany from Kreis sums)
denominator: foreign share of the population aged 15 to under 65 in percent, core.population_by_nationality_age (12411-03-03-4) ALT015B18 … ALT060B65 (Länder and Germany from Kreis sums)
sources: [regio 13211-02-05-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: annual average
caveats: A ratio of two shares, so numerator and denominator hold the two shares in percent, not counts, and Länder and Germany are computed from summed Kreis counts here (not by the shared roll-up). Registered unemployed include persons 65 and older only marginally. The foreign population of working age lags behind in years of strong immigration; nationality in the BA and the population statistics is recorded separately. Kreise of an older territorial status are re-aggregated (counts summed) onto the target Gebietsstand. Below the minimum denominator (all unemployed < IMON_MIN_DENOMINATOR) no value is shown.
series_breaks: [{year: 2009, reason: "Regionaldatenbank unemployment series 13211-02-05-4 starts in 2009 (earlier years in 13211-02-02-4, -02-03-4, -02-04-4)"}, {year: 2012, reason: "denominator from 31.12.2011 on the Zensus 2011 basis"}, {year: 2023, reason: "denominator from 31.12.2022 on the Zensus 2022 basis"}]
*/
WITH unemployed AS (
    SELECT
        ags,
        period,
        reference_date,
        max(value) FILTER (WHERE person_group = 'foreign') AS foreign_unemployed,
        max(value) FILTER (WHERE person_group = 'total') AS all_unemployed
    FROM core.unemployment
    WHERE level = 'kreis' AND measure = 'unemployed'
    GROUP BY ags, period, reference_date
),
population AS (
    -- 31.12. of the previous year, assigned to the year of the annual average
    SELECT
        ags,
        period + 1 AS period,
        CASE WHEN bool_or(population IS NULL) FILTER (WHERE nationality = 'foreign') THEN NULL
             ELSE sum(population) FILTER (WHERE nationality = 'foreign') END AS foreign_population,
        CASE WHEN bool_or(population IS NULL) FILTER (WHERE nationality = 'total') THEN NULL
             ELSE sum(population) FILTER (WHERE nationality = 'total') END AS all_population
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND sex = 'total' AND age_group <> 'total' AND age_from >= 15 AND age_to <= 65
      AND nationality IN ('foreign', 'total')
    GROUP BY ags, period
),
kreis_facts AS (
    SELECT u.ags, u.period, u.reference_date, u.foreign_unemployed, u.all_unemployed, p.foreign_population, p.all_population
    FROM unemployed AS u
    LEFT JOIN population AS p ON p.ags = u.ags AND p.period = u.period
    WHERE u.period IN (SELECT period FROM population)
),
-- onto the target Gebietsstand, as the shared roll-up does (sql/_templates/roll_up_counts.sql)
on_target AS (
    SELECT
        crosswalk.target_ags AS ags,
        f.period,
        max(f.reference_date) AS reference_date,
        sum(f.foreign_unemployed * crosswalk.weight) AS foreign_unemployed,
        sum(f.all_unemployed * crosswalk.weight) AS all_unemployed,
        sum(f.foreign_population * crosswalk.weight) AS foreign_population,
        sum(f.all_population * crosswalk.weight) AS all_population,
        bool_or(f.foreign_unemployed IS NULL OR f.all_unemployed IS NULL) AS unemployed_missing,
        bool_or(f.foreign_population IS NULL OR f.all_population IS NULL) AS population_missing,
        count(DISTINCT f.ags) > 1 AS is_reaggregated
    FROM kreis_facts AS f
    JOIN core.region_crosswalk AS crosswalk
      ON crosswalk.ags = f.ags AND crosswalk.level = 'kreis' AND crosswalk.target_ags IS NOT NULL
     AND valid_on(fact_day(f.reference_date, f.period), crosswalk.valid_from, crosswalk.valid_to)
    GROUP BY crosswalk.target_ags, f.period
),
kreis AS (
    SELECT
        ags, 'kreis' AS level, period, reference_date,
        CASE WHEN unemployed_missing THEN NULL ELSE foreign_unemployed END AS foreign_unemployed,
        CASE WHEN unemployed_missing THEN NULL ELSE all_unemployed END AS all_unemployed,
        CASE WHEN population_missing THEN NULL ELSE foreign_population END AS foreign_population,
        CASE WHEN population_missing THEN NULL ELSE all_population END AS all_population,
        CASE
            WHEN unemployed_missing THEN 'numerator_suppressed'
            WHEN population_missing THEN 'denominator_suppressed'
            WHEN is_reaggregated THEN 'reaggregated_from_former_kreise'
        END AS flag
    FROM on_target
),
sums AS (
    SELECT
        CASE WHEN grouping(land_ags) = 0 THEN land_ags ELSE '00000000' END AS ags,
        CASE WHEN grouping(land_ags) = 0 THEN 'land' ELSE 'deutschland' END AS level,
        period,
        max(reference_date) AS reference_date,
        sum(foreign_unemployed) AS foreign_unemployed,
        sum(all_unemployed) AS all_unemployed,
        sum(foreign_population) AS foreign_population,
        sum(all_population) AS all_population,
        bool_or(flag IN ('numerator_suppressed', 'denominator_suppressed')) AS is_incomplete
    FROM (SELECT *, left(ags, 2) || '000000' AS land_ags FROM kreis)
    GROUP BY GROUPING SETS ((period, land_ags), (period))
),
all_levels AS (
    SELECT * FROM kreis
    UNION ALL BY NAME
    SELECT
        ags, level, period, reference_date,
        CASE WHEN is_incomplete THEN NULL ELSE foreign_unemployed END AS foreign_unemployed,
        CASE WHEN is_incomplete THEN NULL ELSE all_unemployed END AS all_unemployed,
        CASE WHEN is_incomplete THEN NULL ELSE foreign_population END AS foreign_population,
        CASE WHEN is_incomplete THEN NULL ELSE all_population END AS all_population,
        CASE WHEN is_incomplete THEN 'incomplete_aggregate' END AS flag
    FROM sums
),
shares AS (
    SELECT
        *,
        100 * foreign_unemployed / nullif(all_unemployed, 0) AS unemployed_share_pct,
        100 * foreign_population / nullif(all_population, 0) AS population_share_pct
    FROM all_levels
)
SELECT
    ags,
    level,
    period,
    reference_date,
    CASE
        WHEN flag IS NOT NULL AND flag <> 'reaggregated_from_former_kreise' THEN NULL
        WHEN all_unemployed < getvariable('min_denominator') OR coalesce(population_share_pct, 0) = 0 THEN NULL
        ELSE unemployed_share_pct / population_share_pct
    END AS value,
    unemployed_share_pct AS numerator,
    population_share_pct AS denominator,
    CASE
        WHEN flag IS NOT NULL AND flag <> 'reaggregated_from_former_kreise' THEN flag
        WHEN all_unemployed < getvariable('min_denominator') OR coalesce(population_share_pct, 0) = 0 THEN 'denominator_below_minimum'
        ELSE flag
    END AS flag
FROM shares
