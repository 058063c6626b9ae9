/*
breakdown: age_group              # the column of the SELECT below that tells the variants apart
version: 1
domain: Kinderbetreuung
unit: pct
scale: 100
aggregate: counts
sources: [regio 22543-01-02-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: 01.03.
max_value: 150
numerator_within_denominator: false
caveats: Context indicator for all children (no nationality split of the rate at Kreis level). Children are counted where the facility is and the population where they live, so the rate can exceed 100 where children from neighbouring Kreise are cared for. Denominator is the previous year's 31.12. population (as the Regionalatlas); a Kreis reform between 01.01. and 01.03. leaves that year's Kreis without a matching denominator (flagged).
series_breaks: [{year: 2011, reason: "the Regionaldatenbank series is 22543-01-01-4 until 2010 and 22543-01-02-4 from 2011"}, {year: 2012, reason: "denominator from 31.12.2011 on the Zensus 2011 basis"}, {year: 2023, reason: "denominator from 31.12.2022 on the Zensus 2022 basis"}]
variants:
  - id: KIT03_U3
    table: kit03_childcare_rate_under_3
    age_group: under_3
    name_de: Betreuungsquote der Kinder unter 3 Jahren (insgesamt)
    name_en: Day-care enrolment rate of children under 3 (all children)
    formula: "100 · KIND01[ALT033=ALT000B03, KINTE5=INSGESAMT3](01.03.t) / BEVSTD[ALTX21=ALT000B03, NAT total, GES total](31.12.t−1)"
    reference_sets: "RA AI0306, L C1b (context)"
    definition: Children under 3 in day care (facilities and childminders, without double counting) on 01.03. of the year divided by the children under 3 in the population on 31.12. of the previous year, times 100.
    numerator: 22543-01-02-4 KIND01, ALT033 = ALT000B03, KINTE5 = INSGESAMT3
    denominator: core.population_by_nationality_age (12411-03-03-4 BEVSTD), all nationalities and sexes, ages under 3, 31.12. of the previous year
  - id: KIT03_3_6
    table: kit03_childcare_rate_3_to_6
    age_group: 3_to_6
    name_de: Betreuungsquote der Kinder von 3 bis unter 6 Jahren (insgesamt)
    name_en: Day-care enrolment rate of children aged 3 to under 6 (all children)
    formula: "100 · KIND01[ALT033=ALT003B06, KINTE5=INSGESAMT3](01.03.t) / BEVSTD[ALTX21=ALT003B06, NAT total, GES total](31.12.t−1)"
    reference_sets: "RA AI0307, L C2b (context)"
    definition: Children aged 3 to under 6 in day care (facilities and childminders, without double counting) on 01.03. of the year divided by the children aged 3 to under 6 in the population on 31.12. of the previous year, times 100.
    numerator: 22543-01-02-4 KIND01, ALT033 = ALT003B06, KINTE5 = INSGESAMT3
    denominator: core.population_by_nationality_age (12411-03-03-4 BEVSTD), all nationalities and sexes, ages aged 3 to under 6, 31.12. of the previous year
*/
-- The age groups of the Kita statistics and the population ages they cover.
WITH age_groups (age_group, age_from, age_to) AS (
    VALUES ('under_3', 0, 3), ('3_to_6', 3, 6)
),
children AS (
    SELECT age_group, ags, period, reference_date, children
    FROM core.childcare
    WHERE level = 'kreis' AND measure = 'children_in_care' AND care_type = 'total'
),
population AS (
    -- 31.12. of the previous year, assigned to the year of the Kita reference date
    SELECT
        age_groups.age_group,
        counts.ags,
        counts.period + 1 AS period,
        CASE WHEN bool_or(counts.population IS NULL) THEN NULL ELSE sum(counts.population) END AS population
    FROM core.population_by_nationality_age AS counts
    JOIN age_groups ON counts.age_from >= age_groups.age_from AND counts.age_to <= age_groups.age_to
    WHERE counts.level = 'kreis' AND counts.nationality = 'total' AND counts.sex = 'total' AND counts.age_group <> 'total'
    GROUP BY age_groups.age_group, counts.ags, counts.period
)
SELECT
    c.age_group,
    c.ags,
    c.period,
    c.reference_date,
    c.children AS numerator,
    p.population AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM children AS c
LEFT JOIN population AS p ON p.age_group = c.age_group AND p.ags = c.ags AND p.period = c.period
-- only years whose previous-year population is loaded
WHERE EXISTS (SELECT 1 FROM population AS loaded WHERE loaded.age_group = c.age_group AND loaded.period = c.period)
