/*
breakdown: certificate            # the column of the SELECT below that tells the variants apart
version: 1
domain: Bildung
unit: pct
scale: 100
aggregate: counts
denominator: state office file school_leavers_by_nationality, column "Ausländer insgesamt" (SCHABG, nat NATA)
sources: [county_file schulabgaenger-nationalitaet]
lowest_level: kreis
reference_date: end of the school year (leavers of the school year ending in the period year)
caveats: No GENESIS table has school leavers by nationality at Kreis level (21111-02-06-4 is by sex only), so the state office delivers them as a declared file (sources/tables.d/labour_education_social.yaml, school_leavers_by_nationality); Länder and Germany are sums of the Kreise the file covers, so a file of one Land gives that Land and a Germany row equal to it. Certificates obtained later at vocational schools are not counted (L D3). Leavers of a year are not a birth cohort; Förderschulabschlüsse count as without Hauptschulabschluss. Small numbers in small Kreise.
small_counts: true
variants:
  - id: BIL03
    table: bil03_foreign_leavers_without_hauptschulabschluss
    certificate: without_hauptschulabschluss
    name_de: Anteil ausländischer Schulabgänger ohne Hauptschulabschluss
    name_en: Share of foreign school leavers without a lower-secondary certificate (Hauptschulabschluss)
    formula: "100 · SCHABG[NATA, BILABS=BILABS11] / SCHABG[NATA, all certificates]"
    reference_sets: "L D3, WK, W A.2.3, NI 4-1-4; context RA AI0305 (total)"
    definition: Foreign leavers of general schools without a Hauptschulabschluss (incl. Förderschulabschluss) divided by all foreign leavers of general schools of the school year, times 100.
    numerator: state office file school_leavers_by_nationality, column "Ausländer ohne Hauptschulabschluss" (SCHABG, nat NATA, bilabs BILABS11)
  - id: BIL04
    table: bil04_foreign_leavers_with_abitur
    certificate: allgemeine_hochschulreife
    name_de: Anteil ausländischer Schulabgänger mit allgemeiner Hochschulreife
    name_en: Share of foreign school leavers with the general higher-education entrance qualification (Abitur)
    formula: "100 · SCHABG[NATA, BILABS=BILABS15] / SCHABG[NATA, all certificates]"
    reference_sets: "L D3, WK, NI 4-1-2"
    definition: Foreign leavers of general schools with the allgemeine Hochschulreife divided by all foreign leavers of general schools of the school year, times 100.
    numerator: state office file school_leavers_by_nationality, column "Ausländer mit allgemeiner Hochschulreife" (SCHABG, nat NATA, bilabs BILABS15)
*/
-- Every Kreis and year of the file gets a row per certificate (a missing column is a missing count).
WITH certificates (certificate) AS (
    VALUES ('without_hauptschulabschluss'), ('allgemeine_hochschulreife')
)
SELECT
    certificates.certificate,
    leavers.ags,
    leavers.period,
    leavers.reference_date,
    max(leavers.leavers) FILTER (WHERE leavers.certificate = certificates.certificate) AS numerator,
    max(leavers.leavers) FILTER (WHERE leavers.certificate = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.school_leavers AS leavers
CROSS JOIN certificates
WHERE leavers.level = 'kreis' AND leavers.nationality = 'foreign'
GROUP BY certificates.certificate, leavers.ags, leavers.period, leavers.reference_date
