/*
id: ARB03_GEM
version: 1
name_de: Ausländeranteil an den sozialversicherungspflichtig Beschäftigten (Arbeitsort), Gemeinden
name_en: Foreign share of employees subject to social insurance (place of work), Gemeinden
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: none
formula: "100 · ERW032[NAT=NATA] / ERW032[NAT total] (13111-01-03-5, Gemeinden)"
reference_sets: "NI 5-2-1, K"
definition: Foreign employees at their place of work in the Gemeinde on 30.06. divided by all employees at their place of work in the Gemeinde, times 100. Gemeinde values of ARB03; Kreise, Länder and Germany are in ARB03 (13111-01-03-4).
numerator: 13111-01-03-5 ERW032, NAT = NATA, GES total
denominator: 13111-01-03-5 ERW032, NAT total, GES total
sources: [regio 13111-01-03-5]
lowest_level: gemeinde
reference_date: 30.06.
numerator_within_denominator: true
caveats: Gemeinde rows only. Kreis, Land and Germany values stay those of ARB03 from the Kreis table, never sums of Gemeinde cells, which the BA suppresses for small numbers. A suppressed cell gives no value (numerator_suppressed, denominator_suppressed); below the minimum denominator (IMON_MIN_DENOMINATOR) no share is shown. Only Gemeinden of the target Gebietsstand are shown (there is no Gemeinde crosswalk, so Gemeinden merged since have no earlier values). Place of work, not residence.
*/
WITH counts AS (
    SELECT
        ags,
        period,
        reference_date,
        max(employees) FILTER (WHERE nationality = 'foreign') AS foreign_employees,
        max(employees) FILTER (WHERE nationality = 'total') AS all_employees
    FROM core.employees_at_workplace_gemeinden AS employees
    -- no Gemeinde crosswalk: only Gemeinden of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = employees.ags AND region.level = 'gemeinde'
    WHERE employees.sex = 'total'
    GROUP BY ags, period, reference_date
)
SELECT
    ags,
    'gemeinde' AS level,
    period,
    reference_date,
    CASE
        WHEN foreign_employees IS NULL OR all_employees IS NULL THEN NULL
        WHEN all_employees < getvariable('min_denominator') THEN NULL
        ELSE 100 * foreign_employees / all_employees
    END AS value,
    foreign_employees AS numerator,
    all_employees AS denominator,
    CASE
        WHEN foreign_employees IS NULL THEN 'numerator_suppressed'
        WHEN all_employees IS NULL THEN 'denominator_suppressed'
        WHEN all_employees < getvariable('min_denominator') THEN 'denominator_below_minimum'
    END AS flag
FROM counts
