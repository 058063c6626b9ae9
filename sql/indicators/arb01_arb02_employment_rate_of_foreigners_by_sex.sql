/*
breakdown: sex                    # the column of the SELECT below that tells the variants apart
version: 1
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: counts
sources: [regio 13111-06-02-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: 30.06.
caveats: Counts employees subject to social insurance only (no civil servants, self-employed or marginal part-time workers), so it is lower than an employment rate of the Mikrozensus. The youngest employee band (under 20) includes the few employees under 15. Denominator timing as the Regionalatlas AI0710 (31.12. of the previous year); in years of strong immigration the denominator lags behind. Nationality in the employment statistics (BA) and in the population statistics are recorded separately. A Kreis reform between 01.01. and 30.06. leaves that year's Kreis without a matching denominator (flagged).
series_breaks: [{year: 2012, reason: "denominator from 31.12.2011 on the Zensus 2011 basis"}, {year: 2023, reason: "denominator from 31.12.2022 on the Zensus 2022 basis"}]
variants:
  - id: ARB01
    table: arb01_employment_rate_of_foreigners
    sex: total
    name_de: Beschäftigungsquote der Ausländer (SvB am Wohnort, 15 bis unter 65 Jahre)
    name_en: Employment rate of foreign nationals (employees subject to social insurance at their residence, aged 15 to 64)
    formula: "100 · (ERW033[NATA, GES total] − ERW033[NATA, GES total, ALT007=ALT065UM])(30.06.t) / Σ BEVSTD[NATA, GES total, ALTX21 ALT015B18…ALT060B65](31.12.t−1)"
    reference_sets: "RA AI0710 (total only), IN q_svw_ausl, L E1a (MZ), W A.3.1, NI 5-2-1"
    definition: Foreign employees subject to social insurance contributions living in the Kreis, under 65, on 30.06. of the year divided by the foreign population aged 15 to under 65 on 31.12. of the previous year, times 100.
    numerator: 13111-06-02-4 ERW033, NAT = NATA, GES total, all ages minus ALT065UM (= Σ ALT000B20 … ALT060B65)
    denominator: core.population_by_nationality_age (12411-03-03-4 BEVSTD), NAT = NATA, GES total, ALTX21 ALT015B18 … ALT060B65, 31.12. of the previous year
  - id: ARB02
    table: arb02_employment_rate_of_foreign_women
    sex: female
    name_de: Beschäftigungsquote ausländischer Frauen (SvB am Wohnort, 15 bis unter 65 Jahre)
    name_en: Employment rate of foreign women (employees subject to social insurance at their residence, aged 15 to 64)
    formula: "100 · (ERW033[NATA, GES = GESW] − ERW033[NATA, GES = GESW, ALT007=ALT065UM])(30.06.t) / Σ BEVSTD[NATA, GES = GESW, ALTX21 ALT015B18…ALT060B65](31.12.t−1)"
    reference_sets: "L (by sex), W"
    definition: Foreign female employees subject to social insurance contributions living in the Kreis, under 65, on 30.06. of the year divided by the foreign female population aged 15 to under 65 on 31.12. of the previous year, times 100.
    numerator: 13111-06-02-4 ERW033, NAT = NATA, GES = GESW, all ages minus ALT065UM (= Σ ALT000B20 … ALT060B65)
    denominator: core.population_by_nationality_age (12411-03-03-4 BEVSTD), NAT = NATA, GES = GESW, ALTX21 ALT015B18 … ALT060B65, 31.12. of the previous year
*/
WITH employees AS (
    SELECT
        sex,
        ags,
        period,
        reference_date,
        -- under 65 = all ages minus 65 and over; unknown if either cell is suppressed
        max(employees) FILTER (WHERE age_group = 'total') - max(employees) FILTER (WHERE age_group = 'ALT065UM') AS employees_under_65
    FROM core.employees_at_residence_by_age
    WHERE level = 'kreis' AND nationality = 'foreign'
    GROUP BY sex, ags, period, reference_date
),
population AS (
    -- 31.12. of the previous year, assigned to the year of the employment reference date
    SELECT
        sex,
        ags,
        period + 1 AS period,
        CASE WHEN bool_or(population IS NULL) THEN NULL ELSE sum(population) END AS population_15_64
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND nationality = 'foreign' AND age_group <> 'total'
      AND age_from >= 15 AND age_to <= 65
    GROUP BY sex, ags, period
)
SELECT
    e.sex,
    e.ags,
    e.period,
    e.reference_date,
    e.employees_under_65 AS numerator,
    p.population_15_64 AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM employees AS e
LEFT JOIN population AS p ON p.sex = e.sex AND p.ags = e.ags AND p.period = e.period
-- only years whose previous-year population is loaded
WHERE EXISTS (SELECT 1 FROM population AS loaded WHERE loaded.sex = e.sex AND loaded.period = e.period)
