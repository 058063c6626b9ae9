/*
id: ARB09
version: 1
name_de: Teilzeitquote der ausländischen SvB (Wohnort)
name_en: Part-time share of foreign employees subject to social insurance (place of residence)
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: counts
formula: "100 · ERW033[NATA, BESUM2=TEILZT01] / ERW033[NATA, BESUM2 total]"
reference_sets: "L E2/E3 (context)"
definition: Foreign employees subject to social insurance contributions living in the Kreis who work part time, divided by all foreign employees living in the Kreis, on 30.06., times 100.
numerator: 13111-04-02-4 ERW033, NAT = NATA, GES total, BESUM2 = TEILZT01
denominator: 13111-04-02-4 ERW033, NAT = NATA, GES total, BESUM2 total
sources: [regio 13111-04-02-4]
lowest_level: kreis
reference_date: 30.06.
caveats: Part time as the employer reports it; marginal employment (Minijobs) is not included. Depends strongly on the share of women among the foreign employees; compare by sex or with Germans from the NATD rows.
*/
SELECT
    ags,
    period,
    reference_date,
    max(employees) FILTER (WHERE working_time = 'part_time') AS numerator,
    max(employees) FILTER (WHERE working_time = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.employees_at_residence_by_working_time
WHERE level = 'kreis' AND nationality = 'foreign' AND sex = 'total'
GROUP BY ags, period, reference_date
