/*
id: KIT01
version: 1
name_de: Anteil der Kinder mit ausländischer Herkunft mind. eines Elternteils an den betreuten Kindern
name_en: Share of children with at least one parent of foreign origin among children in day care
domain: Kinderbetreuung
unit: pct
scale: 100
aggregate: counts
formula: "100 · KIND02[KINTE5=INSGESAMT3] / KIND01[KINTE5=INSGESAMT3, ALT033 total]"
reference_sets: "L C1a/C2a (by age), WK, NI 3-1-2"
definition: Children in day care (facilities and childminders, without double counting) with at least one parent of foreign origin divided by all children in day care, all ages, on 01.03., times 100.
numerator: 22543-01-02-4 KIND02, KINTE5 = INSGESAMT3
denominator: 22543-01-02-4 KIND01, KINTE5 = INSGESAMT3, all age groups (unter 3 bis unter 14)
sources: [regio 22543-01-02-4]
lowest_level: kreis
reference_date: 01.03.
caveats: Foreign origin of a parent is a concept of the child and youth welfare statistics (country of origin of at least one parent), neither nationality nor migration background. Children are counted where the facility or childminder is, not where they live. Includes school children in Horte (6 to 14).
series_breaks: [{year: 2011, reason: "the Regionaldatenbank series is 22543-01-01-4 until 2010 and 22543-01-02-4 from 2011; only the latter is configured"}]
*/
SELECT
    ags,
    period,
    reference_date,
    max(children) FILTER (WHERE measure = 'children_foreign_origin') AS numerator,
    max(children) FILTER (WHERE measure = 'children_in_care') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.childcare
WHERE level = 'kreis' AND care_type = 'total' AND age_group = 'total'
GROUP BY ags, period, reference_date
