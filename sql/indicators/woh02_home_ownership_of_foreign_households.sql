/*
id: WOH02
version: 1
name_de: Eigentümerquote der Haushalte mit ausländischer Referenzperson
name_en: Home-ownership rate of households with a foreign reference person
domain: Wohnen
unit: pct
scale: 100
aggregate: counts
complete_kreise: true
formula: "100 · HHALT[NAT=NATA, EIGT=EIGENTUEMER] / HHALT[NAT=NATA]"
definition: Households with a foreign reference person living in their own home divided by all households with a foreign reference person, times 100. Länder and Germany are sums of the Kreis counts, shown only when every Kreis is delivered.
numerator: "county file haushalte-eigentum-nationalitaet (delivered by the state office, declared layout in sources/tables.d/participation_housing_health.yaml; columns AGS, Kreis, Jahr, Haushalte insgesamt, Eigentümerhaushalte insgesamt, Haushalte mit ausländischer Referenzperson, Eigentümerhaushalte mit ausländischer Referenzperson) - column Eigentümerhaushalte mit ausländischer Referenzperson (HHALT × NATA × EIGENTUEMER)"
denominator: "the same file, column Haushalte mit ausländischer Referenzperson (HHALT × NATA)"
sources: [county_file haushalte-eigentum-nationalitaet]
lowest_level: kreis
reference_date: "year of the delivered figures (Zensus 2022: 15.05.2022)"
reference_sets: "L G1, W, NI 7-2-2"
caveats: "No GENESIS table has tenure by citizenship below the Land: the figures come from the state office (a Zensus 2022 evaluation of households and dwellings by the reference person's citizenship, census year; annually only the Mikrozensus at Land level, L G1). The reference person's citizenship stands for the household; mixed households count by that one person. A Kreis missing from the delivered file has no value (not_delivered), and its Land and Germany none either (incomplete_aggregate); no file, no rows. Compare with the ownership rate of all households in the same file."
*/
-- Every Kreis of the register gets a row for each delivered year (complete_kreise); Länder and
-- Germany are sums of the Kreis counts, shown only when each of their Kreise is delivered and unsuppressed.
SELECT
    ags,
    period,
    max(reference_date) AS reference_date,
    max(households) FILTER (WHERE nationality = 'foreign' AND tenure = 'owner_occupied') AS numerator,
    max(households) FILTER (WHERE nationality = 'foreign' AND tenure = 'total') AS denominator,
    CASE WHEN bool_or(is_reaggregated) THEN 'reaggregated_from_former_kreise' END AS flag
FROM core.housing_by_nationality
GROUP BY ags, period
