/*
id: ARB08
version: 1
name_de: Anteil der ausländischen SvB ohne beruflichen Ausbildungsabschluss (Wohnort)
name_en: Share of foreign employees without a vocational qualification (place of residence)
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: counts
formula: "100 · ERW033[NATA, BILAT3=BILABS31] / ERW033[NATA, BILAT3=BILABS98]"
reference_sets: "W A.3.2, NI 5-2-2, L D8 (MZ), IN a_svw_oAbschluss (total)"
definition: Foreign employees subject to social insurance contributions living in the Kreis without a vocational qualification, divided by all foreign employees living in the Kreis, on 30.06., times 100.
numerator: 13111-12-03-4 ERW033, NAT = NATA, GES total, BILAT3 = BILABS31 (ohne beruflichen Ausbildungsabschluss)
denominator: 13111-12-03-4 ERW033, NAT = NATA, GES total, BILAT3 = BILABS98 (insgesamt)
sources: [regio 13111-12-03-4]
lowest_level: kreis
reference_date: 30.06.
caveats: The denominator includes employees whose qualification is unknown ("Ausbildung unbekannt", neither BILABS31 nor 32/33), a large group among foreigners; the share is therefore a lower bound. Foreign qualifications that are not recognised count as without qualification or unknown, depending on the employer's report. Compare with Germans from the NATD rows.
*/
SELECT
    ags,
    period,
    reference_date,
    max(employees) FILTER (WHERE qualification = 'without_vocational_qualification') AS numerator,
    max(employees) FILTER (WHERE qualification = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.employees_at_residence_by_qualification
WHERE level = 'kreis' AND nationality = 'foreign' AND sex = 'total'
GROUP BY ags, period, reference_date
