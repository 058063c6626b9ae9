/*
id: ARB03_GEM
version: 1
name_de: Ausländeranteil an den sozialversicherungspflichtig Beschäftigten (Arbeitsort), Gemeinden und Gemeindeverbände
name_en: Foreign share of employees subject to social insurance (place of work), Gemeinden and Gemeindeverbände
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: none
formula: "100 · ERW032[NAT=NATA] / ERW032[NAT total] (13111-01-03-5, Gemeinden)"
reference_sets: "NI 5-2-1, K"
definition: Foreign employees at their place of work in the Gemeinde on 30.06. divided by all employees at their place of work in the Gemeinde, times 100. Gemeinde and Gemeindeverband values of ARB03; Kreise, Länder and Germany are in ARB03 (13111-01-03-4).
numerator: 13111-01-03-5 ERW032, NAT = NATA, GES total
denominator: 13111-01-03-5 ERW032, NAT total, GES total
sources: [regio 13111-01-03-5]
lowest_level: gemeinde
reference_date: 30.06.
numerator_within_denominator: true
caveats: Gemeinde and Gemeindeverband rows only. A Gemeindeverband (Verbandsgemeinde, Amt, Samtgemeinde, Verwaltungsgemeinschaft; its 9-digit key in ags, as it has no AGS) is the sum of its Gemeinden's counts, complete or not at all (incomplete_aggregate when a member cell is suppressed or missing); each Gemeinde belongs to one Verband, so nobody is counted twice. Kreis, Land and Germany values stay those of ARB03 from the Kreis table, never sums of Gemeinde cells, which the BA suppresses for small numbers. A suppressed cell gives no value (numerator_suppressed, denominator_suppressed); below the minimum denominator (IMON_MIN_DENOMINATOR) no share is shown. Only Gemeinden of the target Gebietsstand are shown (there is no Gemeinde crosswalk, so Gemeinden merged since have no earlier values). Place of work, not residence.
*/
WITH gemeinde_counts AS (
    SELECT
        ags,
        period,
        reference_date,
        max(employees) FILTER (WHERE nationality = 'foreign') AS numerator,  -- foreign employees
        max(employees) FILTER (WHERE nationality = 'total') AS denominator   -- all employees
    FROM core.employees_at_workplace_gemeinden AS employees
    -- no Gemeinde crosswalk: only Gemeinden of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = employees.ags AND region.level = 'gemeinde'
    WHERE employees.sex = 'total'
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
