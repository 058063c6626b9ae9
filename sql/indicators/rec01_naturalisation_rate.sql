/*
id: REC01
version: 1
name_de: Einbürgerungsquote (alle Ausländer, Bestand des Vorjahres)
name_en: Naturalisation rate (all foreign nationals, previous year's stock)
domain: Rechtliche Integration
unit: pct
scale: 100
aggregate: counts
formula: "100 · BEV008[STAKNW total](year t) / BEVSTD[NAT=NATA, ALTX21 total, GES total](31.12. t−1)"
definition: Naturalisations of persons living in the Kreis during the year divided by the foreign population on 31.12. of the previous year, times 100 (Länder monitoring B2b, Einbürgerungsquote II).
numerator: 12511-01-01-4 BEV008 (Einbürgerungen), all former citizenships (STAKNW total), year t
denominator: 12411-03-03-4 BEVSTD, NAT = NATA, all ages, GES total, 31.12. of year t−1
sources: [regio 12511-01-01-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: "calendar year (denominator 31.12. of the previous year)"
reference_sets: "L B2b, RA AI0220 (per 1,000, same-year Fortschreibung), IN q_ebuerg_aus, NI 2-3-3, K, W"
caveats: "Denominator is the Fortschreibung foreign population of the previous year (L B2b), not the AZR stock and not only foreigners who meet the residence requirement (see REC03). Small numbers: many Kreise have fewer than 50 naturalisations a year, so read the 3-year moving average (small_counts). Naturalisation numbers depend on the processing capacity of the authorities. The 2024 StAG reform (in force 27.06.2024: 5 instead of 8 years, multiple citizenship allowed) raises the level from 2024. Denominators from 31.12.2022 rest on the Zensus 2022."
small_counts: true
numerator_within_denominator: false
series_breaks: [{year: 2023, reason: "denominator from 31.12.2022 on the Zensus 2022 basis"}, {year: 2024, reason: "StAG reform of 27.06.2024 (shorter residence requirement, multiple citizenship)"}]
*/
-- L B2b: naturalisations of year t over the foreign stock of 31.12. t−1. Numerator and denominator
-- come as separate rows, each with its own reference date, so the shared roll-up re-aggregates each
-- from the Kreis key valid on its own day (a reform during the year is handled); the other count of a
-- row is 0. GENESIS tables list every Kreis (with a sign when there is nothing to show), so a Kreis
-- is never missing from one side.
WITH naturalisations AS (
    SELECT ags, period, reference_date, naturalisations
    FROM core.naturalisations
    WHERE level = 'kreis' AND continent = 'total'
),
foreign_stock_previous_year AS (
    SELECT ags, period + 1 AS period, reference_date, population AS foreigners
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND nationality = 'foreign' AND sex = 'total' AND age_group = 'total'
)
SELECT ags, period, reference_date, naturalisations AS numerator, 0.0 AS denominator, CAST(NULL AS VARCHAR) AS flag
FROM naturalisations
WHERE period IN (SELECT period FROM foreign_stock_previous_year)
UNION ALL
SELECT ags, period, reference_date, 0.0 AS numerator, foreigners AS denominator, CAST(NULL AS VARCHAR) AS flag
FROM foreign_stock_previous_year
WHERE period IN (SELECT period FROM naturalisations)
