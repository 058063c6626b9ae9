/*
id: SOZ05
version: 1
name_de: Mindestsicherungsquote insgesamt (Kontext)
name_en: Minimum income benefit rate, all inhabitants (context)
domain: Soziales
unit: pct
scale: 100
aggregate: counts
formula: "100 · ESML01(31.12.t) / BEVSTD[total](31.12.t)"
reference_sets: "B 6.0, NI 6-2-1"
definition: Recipients of social minimum income benefits (SGB II, SGB XII assistance and basic income, AsylbLG, war victims' relief) on 31.12. divided by the population on 31.12., times 100.
numerator: 22811-01-01-4 ESML01, all benefits
denominator: 12411-01-01-4 BEVSTD, total (core.population)
sources: [regio 22811-01-01-4, regio 12411-01-01-4]
lowest_level: kreis
reference_date: 31.12.
caveats: Context indicator for all inhabitants; no nationality split at Kreis level. The official Mindestsicherungsquote of the Länder statistical offices uses the same definition; small differences come from the population basis.
series_breaks: [{year: 2022, reason: "denominator on the Zensus 2022 basis from 31.12.2022"}]
*/
WITH recipients AS (
    SELECT ags, period, reference_date, recipients
    FROM core.minimum_income_recipients
    WHERE level = 'kreis'
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
