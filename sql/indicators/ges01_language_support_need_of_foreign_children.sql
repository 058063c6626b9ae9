/*
id: GES01
version: 1
name_de: Anteil ausländischer Kinder mit Sprachförderbedarf bei der Schuleingangsuntersuchung
name_en: Share of foreign children with a need for language support at the school-entry examination
domain: Gesundheit
unit: pct
scale: 100
aggregate: counts
complete_kreise: true
formula: "100 · ESU[NAT=NATA, SFB] / ESU[NAT=NATA] (examined children)"
definition: Children of foreign nationality found to need language support at the school-entry examination of the year divided by all examined children of foreign nationality, times 100. Länder and Germany are sums of the Kreis counts, shown only when every Kreis is delivered.
numerator: "county file einschulungsuntersuchung-sprachfoerderbedarf (delivered by the health offices or the Land, declared layout in sources/tables.d/participation_housing_health.yaml; columns AGS, Kreis, Untersuchungsjahr, Untersuchte Kinder, Kinder mit Sprachförderbedarf, Untersuchte Kinder ausländisch, Kinder mit Sprachförderbedarf ausländisch) - column Kinder mit Sprachförderbedarf ausländisch (ESU × NATA × SFB)"
denominator: "the same file, column Untersuchte Kinder ausländisch (ESU × NATA)"
sources: [county_file einschulungsuntersuchung-sprachfoerderbedarf]
lowest_level: kreis
reference_date: examination year (school entry)
reference_sets: "L C4 / F, BW gesellschaftsmonitoring (U8/ESU)"
caveats: "Not official statistics: the health offices' school-entry examinations (ESU). The test of language skills differs between the Länder (and changed over time), so values are comparable within a Land only; nationality is a weak proxy for the family language, which many ESU reports use instead (Deutsch nicht Familiensprache). Children are counted where they live. A Kreis missing from the delivered file has no value (not_delivered), and its Land and Germany none either (incomplete_aggregate); no file, no rows. Small numbers in small Kreise (minimum denominator)."
*/
-- Every Kreis of the register gets a row for each delivered year (complete_kreise); Länder and
-- Germany are sums of the Kreis counts, shown only when each of their Kreise is delivered and unsuppressed.
SELECT
    ags,
    period,
    max(reference_date) AS reference_date,
    max(children) FILTER (WHERE nationality = 'foreign' AND language_support = 'with_need') AS numerator,
    max(children) FILTER (WHERE nationality = 'foreign' AND language_support = 'total') AS denominator,
    CASE WHEN bool_or(is_reaggregated) THEN 'reaggregated_from_former_kreise' END AS flag
FROM core.school_entry_examinations
GROUP BY ags, period
