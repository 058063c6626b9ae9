/*
id: REC02_EUROPE
version: 1
name_de: "Anteil der Einbürgerungen von Staatsangehörigen aus Europa an allen Einbürgerungen"
name_en: "Share of naturalisations of former citizens of countries in Europe among all naturalisations"
domain: Rechtliche Integration
unit: pct
scale: 100
aggregate: counts
formula: "100 · BEV008[ST1] / BEV008[STAKNW total]"
definition: "Naturalisations of persons whose former citizenship was of a country in Europe during the year divided by all naturalisations of the year, times 100 (structure by continent of origin)."
numerator: "12511-01-01-4 BEV008, STAKNW = ST1 (Europa)"
denominator: 12511-01-01-4 BEV008, STAKNW total
sources: [regio 12511-01-01-4]
lowest_level: kreis
reference_date: calendar year
reference_sets: "NI 2-3-4"
caveats: "Small numbers: a Kreis often has few naturalisations a year and many cells are suppressed, so read the 3-year moving average (small_counts). The structure follows the origin of the people naturalised in the year, not of the foreign population. The 2024 StAG reform changes who is naturalised from 2024."
small_counts: true
series_breaks: [{year: 2024, reason: "StAG reform of 27.06.2024 (shorter residence requirement, multiple citizenship)"}]
*/
SELECT
    ags,
    period,
    reference_date,
    max(naturalisations) FILTER (WHERE continent = 'europe') AS numerator,
    max(naturalisations) FILTER (WHERE continent = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.naturalisations
WHERE level = 'kreis'
GROUP BY ags, period, reference_date
