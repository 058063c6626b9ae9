/*
id: DEM02_U18
version: 1
name_de: Ausländeranteil bei Kindern und Jugendlichen unter 18 Jahren
name_en: Share of foreign nationals among children and adolescents under 18
domain: Demografie
unit: pct
scale: 100
aggregate: counts
formula: "100 · Σ BEVSTD[NAT=NATA, ALTX21 ∈ {ALT000B03 … ALT015B18}] / Σ BEVSTD[NAT total, same ALTX21] (GES total)"
definition: Persons under 18 without German citizenship on 31.12. divided by all persons under 18 on 31.12., times 100 (Bevölkerungsfortschreibung).
numerator: 12411-03-03-4 BEVSTD, NAT = NATA, ALTX21 ALT000B03, ALT003B06, ALT006B10, ALT010B15, ALT015B18 (the 5 age groups under 18), GES total
denominator: 12411-03-03-4 BEVSTD, NAT total, the same age groups, GES total
sources: [regio 12411-03-03-4]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "L A1a (age structure), NI 1-2-6"
caveats: "Children born in Germany to foreign parents are often German from birth (ius soli, § 4 Abs. 3 StAG), so the share understates children of immigrant families. A suppressed or missing age group makes the sum unknown. Zensus 2022 re-basing from 31.12.2022."
series_breaks: [{year: 2022, reason: "Zensus 2022 re-basing of the Bevölkerungsfortschreibung"}]
*/
-- The age groups under 18 are summed; a sum with a suppressed or missing group is unknown (NULL).
WITH under_18 AS (
    SELECT
        ags,
        period,
        reference_date,
        nationality,
        CASE WHEN bool_or(population IS NULL) OR count(DISTINCT age_group) < 5 THEN NULL ELSE sum(population) END AS persons
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND sex = 'total' AND age_group <> 'total' AND age_to <= 18
    GROUP BY ags, period, reference_date, nationality
)
SELECT
    ags,
    period,
    reference_date,
    max(persons) FILTER (WHERE nationality = 'foreign') AS numerator,
    max(persons) FILTER (WHERE nationality = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM under_18
GROUP BY ags, period, reference_date
