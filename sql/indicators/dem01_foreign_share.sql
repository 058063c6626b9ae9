/*
id: DEM01
version: 1
name_de: Ausländeranteil an der Bevölkerung
name_en: Share of foreign nationals in the population
domain: Demografie
unit: pct
scale: 100
aggregate: counts
formula: "100 · BEVSTD[NAT=NATA] / BEVSTD[NAT total] (ALTX21 total, GES total)"
definition: Persons without German citizenship on 31.12. divided by the whole population on 31.12., times 100 (Bevölkerungsfortschreibung).
numerator: 12411-03-03-4 BEVSTD, NAT = NATA, all ages, GES total
denominator: 12411-03-03-4 BEVSTD, NAT total, all ages, GES total
sources: [regio 12411-03-03-4]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "RA AI0208, IN a_ausl_bev, WK, NI 1-2-2, L A1 (MH concept), K, W"
caveats: "Nationality, not migration background: Germans with a second citizenship and naturalised persons count as Germans, children of foreign parents born in Germany are often German (ius soli). The Fortschreibung is re-based on the Zensus 2022 from 31.12.2022 (foreigner counts were corrected more than the total). It differs from the AZR foreigner count (12521), which is not re-based."
series_breaks: [{year: 2022, reason: "Zensus 2022 re-basing of the Bevölkerungsfortschreibung"}]
*/
SELECT
    ags,
    period,
    reference_date,
    max(population) FILTER (WHERE nationality = 'foreign') AS numerator,
    max(population) FILTER (WHERE nationality = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.population_by_nationality_age
WHERE level = 'kreis' AND sex = 'total' AND age_group = 'total'
GROUP BY ags, period, reference_date
