/*
id: BIL05
version: 1
name_de: Ausländeranteil an beruflichen Schulen
name_en: Foreign share of pupils at vocational schools
domain: Bildung
unit: pct
scale: 100
aggregate: counts
formula: "100 · BIL004[NAT=NATA, BILSA7 total] / BIL004[BILSA7 total]"
reference_sets: "NI 4-1-6 (context)"
definition: Foreign pupils at vocational schools (all school types) divided by all pupils at vocational schools at the start of the school year, times 100.
numerator: 21121-01-05-4 BIL004, NAT = NATA, school type Insgesamt
denominator: 21121-01-05-4 BIL004, school type Insgesamt
sources: [regio 21121-01-05-4]
lowest_level: kreis
reference_date: start of the school year
caveats: Pupils are counted where the school is, not where they live; vocational schools serve several Kreise, so the share reflects the school location.
*/
SELECT
    ags,
    period,
    reference_date,
    max(pupils) FILTER (WHERE nationality = 'foreign') AS numerator,
    max(pupils) FILTER (WHERE nationality = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.vocational_pupils
WHERE level = 'kreis' AND school_type = 'total' AND sex = 'total'
GROUP BY ags, period, reference_date
