/*
id: SOZ04
version: 1
name_de: Empfänger von Asylbewerberregelleistungen je 1.000 Einwohner
name_en: Recipients of asylum seekers' standard benefits (AsylbLG) per 1,000 inhabitants
domain: Soziales
unit: per_1000
scale: 1000
aggregate: counts
formula: "1000 · RLE001[total](31.12.t) / BEVSTD[total](31.12.t)"
reference_sets: "IN q_asyl_bev, NI 6-2-1"
definition: Recipients of standard benefits under the Asylbewerberleistungsgesetz on 31.12. divided by the population on 31.12., times 1,000.
numerator: 22221-01-01-4 RLE001, all sexes
denominator: 12411-01-01-4 BEVSTD, total (core.population)
sources: [regio 22221-01-01-4, regio 12411-01-01-4]
lowest_level: kreis
reference_date: 31.12.
caveats: Recipients are counted where the responsible authority is; persons in initial reception facilities of the Länder can be counted in the Kreis of the facility. Refugees from Ukraine moved to SGB II from June 2022. The population comes from the Fortschreibung, not the AZR.
series_breaks: [{year: 2022, reason: "refugees from Ukraine receive SGB II instead of AsylbLG from 01.06.2022; denominator on the Zensus 2022 basis from 31.12.2022"}]
*/
WITH recipients AS (
    SELECT ags, period, reference_date, recipients
    FROM core.asylum_seekers_benefits
    WHERE level = 'kreis' AND sex = 'total'
),
population AS (
    SELECT ags, period, population
    FROM core.population
    WHERE level = 'kreis' AND sex = 'total'
)
SELECT
    r.ags,
    r.period,
    r.reference_date,
    r.recipients AS numerator,
    p.population AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM recipients AS r
LEFT JOIN population AS p ON p.ags = r.ags AND p.period = r.period
-- only years whose population is loaded
WHERE r.period IN (SELECT period FROM population)
