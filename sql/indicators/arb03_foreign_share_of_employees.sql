/*
id: ARB03
version: 1
name_de: Ausländeranteil an den sozialversicherungspflichtig Beschäftigten (Arbeitsort)
name_en: Foreign share of employees subject to social insurance (place of work)
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: counts
formula: "100 · ERW032[NAT=NATA] / ERW032[NAT total]"
reference_sets: "NI 5-2-1, K"
definition: Foreign employees at their place of work on 30.06. divided by all employees at their place of work, times 100.
numerator: 13111-01-03-4 ERW032, NAT = NATA, GES total
denominator: 13111-01-03-4 ERW032, NAT total, GES total
sources: [regio 13111-01-03-4]
lowest_level: kreis
reference_date: 30.06.
caveats: Place of work, not residence; cross-border commuters count where they work.
*/
SELECT
    ags,
    period,
    reference_date,
    max(employees) FILTER (WHERE nationality = 'foreign') AS numerator,
    max(employees) FILTER (WHERE nationality = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.employees_at_workplace
WHERE level = 'kreis' AND sex = 'total'
GROUP BY ags, period, reference_date
