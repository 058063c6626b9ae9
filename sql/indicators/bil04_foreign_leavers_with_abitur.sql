/*
id: BIL04
version: 1
name_de: Anteil ausländischer Schulabgänger mit allgemeiner Hochschulreife
name_en: Share of foreign school leavers with the general higher-education entrance qualification (Abitur)
domain: Bildung
unit: pct
scale: 100
aggregate: counts
formula: "100 · SCHABG[NATA, BILABS=BILABS15] / SCHABG[NATA, all certificates]"
reference_sets: "L D3, WK, NI 4-1-2"
definition: Foreign leavers of general schools with the allgemeine Hochschulreife divided by all foreign leavers of general schools of the school year, times 100.
numerator: state office file school_leavers_by_nationality, column "Ausländer mit allgemeiner Hochschulreife" (SCHABG, nat NATA, bilabs BILABS15)
denominator: state office file school_leavers_by_nationality, column "Ausländer insgesamt" (SCHABG, nat NATA)
sources: [county_file schulabgaenger-nationalitaet]
lowest_level: kreis
reference_date: end of the school year (leavers of the school year ending in the period year)
caveats: No GENESIS table has school leavers by nationality at Kreis level (21111-02-06-4 is by sex only), so the state office delivers them as a declared file (sources/tables.d/labour_education_social.yaml, school_leavers_by_nationality); Länder and Germany are sums of the Kreise the file covers, so a file of one Land gives that Land and a Germany row equal to it. Certificates obtained later at vocational schools are not counted (L D3). Leavers of a year are not a birth cohort; Förderschulabschlüsse count as without Hauptschulabschluss. Small numbers in small Kreise.
small_counts: true
*/
SELECT
    ags,
    period,
    reference_date,
    max(leavers) FILTER (WHERE certificate = 'allgemeine_hochschulreife') AS numerator,
    max(leavers) FILTER (WHERE certificate = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.school_leavers
WHERE level = 'kreis' AND nationality = 'foreign'
GROUP BY ags, period, reference_date
