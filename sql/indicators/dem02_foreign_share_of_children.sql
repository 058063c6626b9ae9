/*
breakdown: age_limit              # the column of the SELECT below that tells the variants apart
version: 1
domain: Demografie
unit: pct
scale: 100
aggregate: counts
sources: [regio 12411-03-03-4]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "L A1a (age structure), NI 1-2-6"
caveats: "Children born in Germany to foreign parents are often German from birth (ius soli, § 4 Abs. 3 StAG), so the share understates children of immigrant families. A suppressed or missing age group makes the sum unknown. Zensus 2022 re-basing from 31.12.2022."
series_breaks: [{year: 2022, reason: "Zensus 2022 re-basing of the Bevölkerungsfortschreibung"}]
variants:
  - id: DEM02_U6
    table: dem02_foreign_share_under_6
    age_limit: under_6
    name_de: Ausländeranteil bei Kindern unter 6 Jahren
    name_en: Share of foreign nationals among children under 6
    formula: "100 · Σ BEVSTD[NAT=NATA, ALTX21 ∈ {ALT000B03, ALT003B06}] / Σ BEVSTD[NAT total, same ALTX21] (GES total)"
    definition: Persons under 6 without German citizenship on 31.12. divided by all persons under 6 on 31.12., times 100 (Bevölkerungsfortschreibung).
    numerator: 12411-03-03-4 BEVSTD, NAT = NATA, ALTX21 ALT000B03, ALT003B06 (the 2 age groups under 6), GES total
    denominator: 12411-03-03-4 BEVSTD, NAT total, the same age groups, GES total
  - id: DEM02_U18
    table: dem02_foreign_share_under_18
    age_limit: under_18
    name_de: Ausländeranteil bei Kindern und Jugendlichen unter 18 Jahren
    name_en: Share of foreign nationals among children and adolescents under 18
    formula: "100 · Σ BEVSTD[NAT=NATA, ALTX21 ∈ {ALT000B03 … ALT015B18}] / Σ BEVSTD[NAT total, same ALTX21] (GES total)"
    definition: Persons under 18 without German citizenship on 31.12. divided by all persons under 18 on 31.12., times 100 (Bevölkerungsfortschreibung).
    numerator: 12411-03-03-4 BEVSTD, NAT = NATA, ALTX21 ALT000B03, ALT003B06, ALT006B10, ALT010B15, ALT015B18 (the 5 age groups under 18), GES total
    denominator: 12411-03-03-4 BEVSTD, NAT total, the same age groups, GES total
*/
-- The age groups under the limit are summed; a sum with a suppressed or missing group is unknown (NULL).
WITH age_limits (age_limit, age_to, age_groups) AS (
    VALUES ('under_6', 6, 2), ('under_18', 18, 5)
),
under_limit AS (
    SELECT
        limits.age_limit,
        counts.ags,
        counts.period,
        counts.reference_date,
        counts.nationality,
        CASE
            WHEN bool_or(counts.population IS NULL) OR count(DISTINCT counts.age_group) < limits.age_groups THEN NULL
            ELSE sum(counts.population)
        END AS persons
    FROM core.population_by_nationality_age AS counts
    JOIN age_limits AS limits ON counts.age_to <= limits.age_to
    WHERE counts.level = 'kreis' AND counts.sex = 'total' AND counts.age_group <> 'total'
    GROUP BY limits.age_limit, limits.age_groups, counts.ags, counts.period, counts.reference_date, counts.nationality
)
SELECT
    age_limit,
    ags,
    period,
    reference_date,
    max(persons) FILTER (WHERE nationality = 'foreign') AS numerator,
    max(persons) FILTER (WHERE nationality = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM under_limit
GROUP BY age_limit, ags, period, reference_date
