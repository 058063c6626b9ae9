/*
id: BIL06
version: 1
name_de: Anteil ausländischer Berufsschüler ohne Ausbildungsvertrag
name_en: Share of foreign vocational-school (Berufsschule) pupils without a training contract
domain: Bildung
unit: pct
scale: 100
aggregate: counts
formula: "100 · BIL004[NATA, BILSA7=Berufsschulen dar. ohne Ausbildungsvertrag] / BIL004[NATA, BILSA7=Berufsschulen]"
reference_sets: "W A.2.4, L D7 (context)"
definition: Foreign pupils at Berufsschulen without a training contract divided by all foreign pupils at Berufsschulen at the start of the school year, times 100.
numerator: 21121-01-05-4 BIL004, NAT = NATA, row "darunter Berufsschulen (Schüler ohne Ausbildungsvertrag)"
denominator: 21121-01-05-4 BIL004, NAT = NATA, row "Berufsschulen"
sources: [regio 21121-01-05-4]
lowest_level: kreis
reference_date: start of the school year
caveats: Pupils without a training contract are mostly in preparatory classes (Berufsvorbereitungsjahr, Berufsintegrationsklassen for newly arrived young people), so the share rises with immigration of young people. Counted where the school is. The BILSA7 codes are placeholders until the ffcsv of the table is seen. Compare with Germans as (total − foreign) of the same rows.
*/
SELECT
    ags,
    period,
    reference_date,
    max(pupils) FILTER (WHERE school_type = 'vocational_school_without_training_contract') AS numerator,
    max(pupils) FILTER (WHERE school_type = 'vocational_school') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.vocational_pupils
WHERE level = 'kreis' AND nationality = 'foreign' AND sex = 'total'
GROUP BY ags, period, reference_date
