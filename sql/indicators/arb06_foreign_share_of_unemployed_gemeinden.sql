/*
id: ARB06_GEM
version: 1
name_de: Ausländeranteil an den Arbeitslosen, Gemeinden und Gemeindeverbände
name_en: Foreign share of registered unemployed, Gemeinden and Gemeindeverbände
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: none
formula: "100 · ERW006[ERWAQ7=ARBEITSLOS08] / ERW006[ERWAQ7 total] (13211-01-03-5, Gemeinden)"
reference_sets: "RA AI0809, IN a_alo_ausländer"
definition: Foreign registered unemployed in the Gemeinde divided by all registered unemployed in the Gemeinde (annual averages), times 100. Gemeinde and Gemeindeverband values of ARB06; Kreise, Länder and Germany are in ARB06 (13211-02-05-4).
numerator: 13211-01-03-5 ERW006 (value variable code unverified), ERWAQ7 = ARBEITSLOS08
denominator: 13211-01-03-5 ERW006, all unemployed
sources: [regio 13211-01-03-5]
lowest_level: gemeinde
reference_date: annual average
numerator_within_denominator: true
caveats: Gemeinde and Gemeindeverband rows only. A Gemeindeverband (Verbandsgemeinde, Amt, Samtgemeinde, Verwaltungsgemeinschaft; its 9-digit key in ags, as it has no AGS) is the sum of its Gemeinden's counts, complete or not at all (incomplete_aggregate when a member cell is suppressed or missing); each Gemeinde belongs to one Verband, so nobody is counted twice. Kreis, Land and Germany values stay those of ARB06 from the Kreis table, never sums of Gemeinde cells, which the BA suppresses for small numbers. A suppressed cell gives no value; below the minimum denominator (IMON_MIN_DENOMINATOR) no share is shown. Only Gemeinden of the target Gebietsstand are shown (no Gemeinde crosswalk). Annual averages are rounded per Gemeinde.
*/
WITH gemeinde_counts AS (
    SELECT
        ags,
        period,
        reference_date,
        max(unemployed) FILTER (WHERE person_group = 'foreign') AS numerator,  -- foreign unemployed
        max(unemployed) FILTER (WHERE person_group = 'total') AS denominator   -- all unemployed
    FROM core.unemployment_gemeinden AS unemployment
    -- no Gemeinde crosswalk: only Gemeinden of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = unemployment.ags AND region.level = 'gemeinde'
    GROUP BY ags, period, reference_date
),
counts AS (
    SELECT *, 'gemeinde' AS level FROM gemeinde_counts
    UNION ALL BY NAME
    SELECT *, 'gemeindeverband' AS level FROM gemeindeverband_sums('gemeinde_counts')
)
SELECT
    ags,
    level,
    period,
    reference_date,
    CASE
        WHEN numerator IS NULL OR denominator IS NULL THEN NULL
        WHEN denominator < getvariable('min_denominator') THEN NULL
        ELSE 100 * numerator / denominator
    END AS value,
    numerator,
    denominator,
    CASE
        WHEN level = 'gemeindeverband' AND (numerator IS NULL OR denominator IS NULL) THEN 'incomplete_aggregate'
        WHEN numerator IS NULL THEN 'numerator_suppressed'
        WHEN denominator IS NULL THEN 'denominator_suppressed'
        WHEN denominator < getvariable('min_denominator') THEN 'denominator_below_minimum'
    END AS flag
FROM counts
