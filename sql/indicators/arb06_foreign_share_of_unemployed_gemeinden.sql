/*
id: ARB06_GEM
version: 1
name_de: Ausländeranteil an den Arbeitslosen, Gemeinden
name_en: Foreign share of registered unemployed, Gemeinden
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: none
formula: "100 · ERW006[ERWAQ7=ARBEITSLOS08] / ERW006[ERWAQ7 total] (13211-01-03-5, Gemeinden)"
reference_sets: "RA AI0809, IN a_alo_ausländer"
definition: Foreign registered unemployed in the Gemeinde divided by all registered unemployed in the Gemeinde (annual averages), times 100. Gemeinde values of ARB06; Kreise, Länder and Germany are in ARB06 (13211-02-05-4).
numerator: 13211-01-03-5 ERW006 (value variable code unverified), ERWAQ7 = ARBEITSLOS08
denominator: 13211-01-03-5 ERW006, all unemployed
sources: [regio 13211-01-03-5]
lowest_level: gemeinde
reference_date: annual average
numerator_within_denominator: true
caveats: Gemeinde rows only. Kreis, Land and Germany values stay those of ARB06 from the Kreis table, never sums of Gemeinde cells, which the BA suppresses for small numbers. A suppressed cell gives no value; below the minimum denominator (IMON_MIN_DENOMINATOR) no share is shown. Only Gemeinden of the target Gebietsstand are shown (no Gemeinde crosswalk). Annual averages are rounded per Gemeinde.
*/
WITH counts AS (
    SELECT
        ags,
        period,
        reference_date,
        max(unemployed) FILTER (WHERE person_group = 'foreign') AS foreign_unemployed,
        max(unemployed) FILTER (WHERE person_group = 'total') AS all_unemployed
    FROM core.unemployment_gemeinden AS unemployment
    -- no Gemeinde crosswalk: only Gemeinden of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = unemployment.ags AND region.level = 'gemeinde'
    GROUP BY ags, period, reference_date
)
SELECT
    ags,
    'gemeinde' AS level,
    period,
    reference_date,
    CASE
        WHEN foreign_unemployed IS NULL OR all_unemployed IS NULL THEN NULL
        WHEN all_unemployed < getvariable('min_denominator') THEN NULL
        ELSE 100 * foreign_unemployed / all_unemployed
    END AS value,
    foreign_unemployed AS numerator,
    all_unemployed AS denominator,
    CASE
        WHEN foreign_unemployed IS NULL THEN 'numerator_suppressed'
        WHEN all_unemployed IS NULL THEN 'denominator_suppressed'
        WHEN all_unemployed < getvariable('min_denominator') THEN 'denominator_below_minimum'
    END AS flag
FROM counts
