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
        max(unemployed) FILTER (WHERE person_group = 'foreign') AS foreign_unemployed,
        max(unemployed) FILTER (WHERE person_group = 'total') AS all_unemployed
    FROM core.unemployment_gemeinden AS unemployment
    -- no Gemeinde crosswalk: only Gemeinden of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = unemployment.ags AND region.level = 'gemeinde'
    GROUP BY ags, period, reference_date
),
-- Each Gemeinde belongs to exactly one Gemeindeverband (the first nine digits of its ARS; a
-- verbandsfreie Gemeinde is a Verband of its own), so Verband sums count nobody twice. A Verband
-- with a suppressed or missing member cell has no sum: unknown, not smaller.
members AS (
    SELECT ags, substr(ars, 1, 9) AS verband_key FROM core.region WHERE level = 'gemeinde' AND ars IS NOT NULL
),
verband_counts AS (
    SELECT
        members.verband_key AS ags,
        periods.period,
        periods.reference_date,
        CASE WHEN bool_or(c.foreign_unemployed IS NULL) THEN NULL ELSE sum(c.foreign_unemployed) END AS foreign_unemployed,
        CASE WHEN bool_or(c.all_unemployed IS NULL) THEN NULL ELSE sum(c.all_unemployed) END AS all_unemployed
    FROM (SELECT DISTINCT period, reference_date FROM gemeinde_counts) AS periods
    CROSS JOIN members
    LEFT JOIN gemeinde_counts AS c
        ON c.ags = members.ags AND c.period = periods.period AND c.reference_date = periods.reference_date
    GROUP BY members.verband_key, periods.period, periods.reference_date
    HAVING count(c.ags) > 0
),
counts AS (
    SELECT *, 'gemeinde' AS level FROM gemeinde_counts
    UNION ALL
    SELECT *, 'gemeindeverband' AS level FROM verband_counts
)
SELECT
    ags,
    level,
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
        WHEN level = 'gemeindeverband' AND (foreign_unemployed IS NULL OR all_unemployed IS NULL) THEN 'incomplete_aggregate'
        WHEN foreign_unemployed IS NULL THEN 'numerator_suppressed'
        WHEN all_unemployed IS NULL THEN 'denominator_suppressed'
        WHEN all_unemployed < getvariable('min_denominator') THEN 'denominator_below_minimum'
    END AS flag
FROM counts
