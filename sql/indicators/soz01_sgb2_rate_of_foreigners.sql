/*
id: SOZ01
version: 1
name_de: SGB-II-Quote der Ausländer
name_en: SGB II benefit rate of foreign nationals
domain: Soziales
unit: pct
scale: 100
aggregate: counts
formula: "100 · PER100[EFLB01=NATA](31.12.t) / Σ BEVSTD[NATA, ALTX21 ALT000B03…ALT060B65](31.12.t)"
reference_sets: "L E8, W A.3.6, WK, B 6.0, NI 6-2-x"
definition: Foreign persons entitled to standard benefits under SGB II (Regelleistungsberechtigte) on 31.12. divided by the foreign population under 65 on the same day, times 100.
numerator: 22811-02-02-4 PER100, EFLB01 = NATA
denominator: core.population_by_nationality_age (12411-03-03-4 BEVSTD), NAT = NATA, all sexes, ALTX21 ALT000B03 … ALT060B65, 31.12.
sources: [regio 22811-02-02-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: 31.12.
caveats: Approximates the BA's SGB II quota, whose denominator is the population under the statutory retirement age (Regelaltersgrenze, rising from 65 to 67), here under 65. Nationality in the SGB II statistics (BA) and in the population statistics are recorded separately. Benefit renamed Bürgergeld from 2023 (no break in counts expected; verify). Protection seekers move from AsylbLG to SGB II on recognition, so the rate follows refugee migration with a lag.
series_breaks: [{year: 2011, reason: "denominator on the Zensus 2011 basis from 31.12.2011"}, {year: 2022, reason: "denominator on the Zensus 2022 basis from 31.12.2022"}]
*/
WITH beneficiaries AS (
    SELECT ags, period, reference_date, beneficiaries
    FROM core.sgb2_beneficiaries
    WHERE level = 'kreis' AND person_group = 'foreign'
),
population AS (
    SELECT
        ags,
        period,
        CASE WHEN bool_or(population IS NULL) THEN NULL ELSE sum(population) END AS population_under_65
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND nationality = 'foreign' AND sex = 'total' AND age_group <> 'total'
      AND age_from >= 0 AND age_to <= 65
    GROUP BY ags, period
)
SELECT
    b.ags,
    b.period,
    b.reference_date,
    b.beneficiaries AS numerator,
    p.population_under_65 AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM beneficiaries AS b
LEFT JOIN population AS p ON p.ags = b.ags AND p.period = b.period
-- only years whose population is loaded
WHERE b.period IN (SELECT period FROM population)
