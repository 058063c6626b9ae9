/*
id: SOZ02
version: 1
name_de: Ausländeranteil an den SGB-II-Regelleistungsberechtigten
name_en: Foreign share of persons entitled to SGB II standard benefits
domain: Soziales
unit: pct
scale: 100
aggregate: counts
formula: "100 · PER100[EFLB01=NATA] / PER100[EFLB01=INSGESAMT]"
reference_sets: "WK"
definition: Foreign persons entitled to standard benefits under SGB II divided by all persons entitled to them, on 31.12., times 100.
numerator: 22811-02-02-4 PER100, EFLB01 = NATA
denominator: 22811-02-02-4 PER100, EFLB01 = INSGESAMT
sources: [regio 22811-02-02-4]
lowest_level: kreis
reference_date: 31.12.
caveats: Reflects both the foreign share of the population and their benefit receipt; read together with SOZ01. Benefit renamed Bürgergeld from 2023 (no break in counts expected; verify).
*/
SELECT
    ags,
    period,
    reference_date,
    max(beneficiaries) FILTER (WHERE person_group = 'foreign') AS numerator,
    max(beneficiaries) FILTER (WHERE person_group = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.sgb2_beneficiaries
WHERE level = 'kreis'
GROUP BY ags, period, reference_date
