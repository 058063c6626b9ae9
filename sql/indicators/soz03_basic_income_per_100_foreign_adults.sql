/*
id: SOZ03
version: 1
name_de: Empfänger von Grundsicherung im Alter und bei Erwerbsminderung je 100 Ausländer ab 18 Jahren
name_en: Recipients of old-age and disability basic income per 100 foreign adults
domain: Soziales
unit: pct
scale: 100
aggregate: counts
formula: "100 · EGS002[NAT=NATA](31.12.t) / Σ BEVSTD[NATA, ALTX21 ALT018B20…ALT090UM](31.12.t)"
reference_sets: "WK (Altersarmut ausländischer Älterer, proxy), B 6.0, NI 6-2-1"
definition: Foreign recipients of basic income support in old age and for reduced earning capacity (SGB XII, chapter 4) on 31.12. per 100 foreign inhabitants aged 18 and over on the same day.
numerator: 22151-01-02-4 EGS002, NAT = NATA (all ages and sexes)
denominator: core.population_by_nationality_age (12411-03-03-4 BEVSTD), NAT = NATA, all sexes, ALTX21 ALT018B20 … ALT090UM, 31.12.
sources: [regio 22151-01-02-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: 31.12.
caveats: The table has no age split by nationality, so old-age poverty cannot be separated from reduced earning capacity (18 to retirement age); a proxy for old-age poverty of older foreigners. Nationality in the social assistance and the population statistics are recorded separately.
series_breaks: [{year: 2015, reason: "Regionaldatenbank series 22151-01-01-4 until 2014, 22151-01-02-4 from 2015; only the latter is configured"}, {year: 2011, reason: "denominator on the Zensus 2011 basis from 31.12.2011"}, {year: 2022, reason: "denominator on the Zensus 2022 basis from 31.12.2022"}]
*/
WITH recipients AS (
    SELECT ags, period, reference_date, recipients
    FROM core.basic_income_recipients
    WHERE level = 'kreis' AND nationality = 'foreign' AND sex = 'total'
),
population AS (
    SELECT
        ags,
        period,
        CASE WHEN bool_or(population IS NULL) THEN NULL ELSE sum(population) END AS adults
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND nationality = 'foreign' AND sex = 'total' AND age_group <> 'total'
      AND age_from >= 18
    GROUP BY ags, period
)
SELECT
    r.ags,
    r.period,
    r.reference_date,
    r.recipients AS numerator,
    p.adults AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM recipients AS r
LEFT JOIN population AS p ON p.ags = r.ags AND p.period = r.period
-- only years whose population is loaded
WHERE r.period IN (SELECT period FROM population)
