/*
id: DEM04
version: 1
name_de: Zuzüge von Ausländern aus dem Ausland je 1.000 Einwohner
name_en: Arrivals of foreign nationals from abroad per 1,000 inhabitants
domain: Demografie
unit: per_1000
scale: 1000
aggregate: counts
formula: "1000 · BEV083[NAT=NATA, GES total](year t) / BEVSTD[NAT total, ALTX21 total, GES total](31.12. t−1)"
definition: Moves of foreign nationals from abroad into the Kreis during the year divided by the population on 31.12. of the previous year, times 1,000.
numerator: 12711-03-02-4 BEV083 (Zuzüge aus dem Ausland über die Gemeindegrenzen), NAT = NATA, GES total, year t
denominator: 12411-03-03-4 BEVSTD, NAT total, all ages, GES total, 31.12. of year t−1 (the population at the start of the year)
sources: [regio 12711-03-02-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: "calendar year (denominator 31.12. of the previous year)"
reference_sets: "L A2a, NI 1-4-1"
caveats: "Counts moves, not persons: one person moving twice counts twice. Registrations follow the Meldewesen (delayed or missing deregistrations, corrections after register clean-ups). The denominator is the population at the start of the year; years without a loaded previous-year population have no value. A Kreis reform during the year is handled by re-aggregating both counts onto the target Gebietsstand from the keys valid on their own dates."
series_breaks: [{year: 2023, reason: "denominator from 31.12.2022 on the Zensus 2022 basis"}]
*/
-- Numerator (year t) and denominator (31.12. of t−1) come as separate rows, each with its own
-- reference date, so the shared roll-up re-aggregates each from the Kreis key valid on its own day;
-- the other count of a row is 0. A Kreis missing from one table entirely would count as 0 there:
-- GENESIS tables list every Kreis (with a sign when there is nothing to show), so this does not happen.
WITH arrivals AS (
    SELECT ags, period, reference_date, persons AS arrivals
    FROM core.migration_by_nationality
    WHERE level = 'kreis' AND measure = 'arrivals_from_abroad' AND nationality = 'foreign' AND sex = 'total'
),
population_at_start AS (
    SELECT ags, period + 1 AS period, reference_date, population
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND nationality = 'total' AND sex = 'total' AND age_group = 'total'
)
SELECT ags, period, reference_date, arrivals AS numerator, 0.0 AS denominator, CAST(NULL AS VARCHAR) AS flag
FROM arrivals
WHERE period IN (SELECT period FROM population_at_start)
UNION ALL
SELECT ags, period, reference_date, 0.0 AS numerator, population AS denominator, CAST(NULL AS VARCHAR) AS flag
FROM population_at_start
WHERE period IN (SELECT period FROM arrivals)
