/*
id: DEM06
version: 1
name_de: Anteil der Lebendgeborenen mit ausländischer Staatsangehörigkeit
name_en: Share of live births with foreign citizenship
domain: Demografie
unit: pct
scale: 100
aggregate: counts
formula: "100 · (BEV001[NAT total] − BEV001[NAT=NATD]) / BEV001[NAT total] (GES total, ALTMT1 total); a published NATA cell is used where the table has one"
definition: Live births of the year whose nationality is not German divided by all live births of the year, times 100. Fallback of the catalogue's preferred indicator (births with at least one foreign parent), which needs a table by parents' nationality whose code is unknown.
numerator: 12612-02-01-4 BEV001, NAT total − NAT = NATD (nationality of the child), GES total, all ages of the mother
denominator: 12612-02-01-4 BEV001, NAT total, GES total, all ages of the mother
sources: [regio 12612-02-01-4]
lowest_level: kreis
reference_date: calendar year
reference_sets: "NI 1-2-8"
caveats: "Nationality of the child, not of the parents: since 2000 a child born in Germany to foreign parents is German when one parent has lived here lawfully for 8 years (5 years from 27.06.2024), so this share is far below the share of births with a foreign parent (NATEL1 NATEETA/NATAAO, table code unknown). Births are counted at the mother's residence. Small numbers in small Kreise; a suppressed total or German cell makes the value unknown."
series_breaks: [{year: 2024, reason: "StAG reform of 27.06.2024: ius soli after 5 instead of 8 years of the parent's residence"}]
*/
SELECT
    ags,
    period,
    reference_date,
    max(births) FILTER (WHERE nationality = 'foreign') AS numerator,
    max(births) FILTER (WHERE nationality = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.births_by_nationality
WHERE level = 'kreis'
GROUP BY ags, period, reference_date
