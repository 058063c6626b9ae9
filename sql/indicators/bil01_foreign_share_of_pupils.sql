/*
id: BIL01
version: 1
name_de: Ausländeranteil an allgemeinbildenden Schulen
name_en: Foreign share of pupils at general schools
domain: Bildung
unit: pct
scale: 100
aggregate: counts
formula: "100 · BIL003[NAT=NATA, BILSA8=INSGESAMT1] / BIL003[BILSA8=INSGESAMT1]"
reference_sets: "K, W"
definition: Foreign pupils at general schools divided by all pupils at general schools (all school types), start of the school year, times 100.
numerator: 21111-01-03-4 BIL003, school type total, NAT = NATA
denominator: 21111-01-03-4 BIL003, school type total
sources: [regio 21111-01-03-4]
lowest_level: kreis
reference_date: start of the school year
caveats: Uses the published Insgesamt row, which counts each pupil once; school types are Land-specific.
*/
SELECT
    ags,
    period,
    reference_date,
    max(pupils) FILTER (WHERE pupil_group = 'foreign') AS numerator,
    max(pupils) FILTER (WHERE pupil_group = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.pupils
WHERE level = 'kreis' AND school_type = 'total'
GROUP BY ags, period, reference_date
