/*
id: PAR01
version: 1
name_de: Anteil nicht-deutscher Volljähriger (ohne Wahlrecht bei Bundestags- und Landtagswahlen)
name_en: Share of adults without German citizenship (no vote in federal and state elections)
domain: Partizipation
unit: pct
scale: 100
aggregate: counts
formula: "100 · Σ BEVSTD[NAT=NATA, ALTX21 ∈ {ALT018B20 … ALT090UM}] / Σ BEVSTD[NAT total, same ALTX21] (GES total)"
definition: Persons aged 18 and over without German citizenship on 31.12. divided by all persons aged 18 and over on 31.12., times 100 - the adult residents who cannot vote in Bundestag and Landtag elections.
numerator: 12411-03-03-4 BEVSTD, NAT = NATA, the 16 age groups from ALT018B20 to ALT090UM, GES total
denominator: 12411-03-03-4 BEVSTD, NAT total, the same age groups, GES total
sources: [regio 12411-03-03-4]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "L A3 (mirror concept), NI 8-1-1, K"
caveats: "Federal and state variant: EU citizens may vote in Kommunalwahlen, so the share of adults without a vote in local elections (third-country nationals only) is lower; it needs an EU split by age (AZR) that is not configured. Voting age 18 (some Länder allow voting from 16 in local and state elections). A suppressed or missing age group makes the sum unknown. Zensus 2022 re-basing from 31.12.2022."
series_breaks: [{year: 2022, reason: "Zensus 2022 re-basing of the Bevölkerungsfortschreibung"}]
*/
WITH adults AS (
    SELECT
        ags,
        period,
        reference_date,
        nationality,
        CASE WHEN bool_or(population IS NULL) OR count(DISTINCT age_group) < 16 THEN NULL ELSE sum(population) END AS persons
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND sex = 'total' AND age_group <> 'total' AND age_from >= 18
    GROUP BY ags, period, reference_date, nationality
)
SELECT
    ags,
    period,
    reference_date,
    max(persons) FILTER (WHERE nationality = 'foreign') AS numerator,
    max(persons) FILTER (WHERE nationality = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM adults
GROUP BY ags, period, reference_date
