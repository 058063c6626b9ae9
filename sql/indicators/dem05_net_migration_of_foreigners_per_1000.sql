/*
id: DEM05
version: 1
name_de: Außenwanderungssaldo der Ausländer je 1.000 Einwohner
name_en: Net migration of foreign nationals across the borders of Germany per 1,000 inhabitants
domain: Demografie
unit: net_per_1000
scale: 1000
aggregate: counts
formula: "1000 · (BEV083[NAT=NATA] − BEV084[NAT=NATA])(year t) / BEVSTD[NAT total, ALTX21 total, GES total](31.12. t−1)"
definition: Moves of foreign nationals from abroad into the Kreis minus moves of foreign nationals from the Kreis abroad during the year, divided by the population on 31.12. of the previous year, times 1,000. Negative when more foreigners left for abroad than arrived.
numerator: 12711-03-02-4 BEV083 (Zuzüge aus dem Ausland) − BEV084 (Fortzüge ins Ausland), NAT = NATA, GES total, year t
denominator: 12411-03-03-4 BEVSTD, NAT total, all ages, GES total, 31.12. of year t−1
sources: [regio 12711-03-02-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: "calendar year (denominator 31.12. of the previous year)"
reference_sets: "L A2a, NI 1-4-3"
caveats: "A balance: values below 0 are possible, hence the unit net_per_1000 (per 1,000 inhabitants, signed) rather than per_1000. Departures abroad include deregistrations by the authorities (Abmeldungen von Amts wegen), which come in waves after register clean-ups. Moves within Germany are not part of the balance. The denominator is the population at the start of the year; see DEM04."
series_breaks: [{year: 2023, reason: "denominator from 31.12.2022 on the Zensus 2022 basis"}]
*/
-- Numerator and denominator as separate rows with their own reference dates (see DEM04).
WITH balance AS (
    SELECT
        ags,
        period,
        reference_date,
        -- unknown if either side is suppressed
        max(persons) FILTER (WHERE measure = 'arrivals_from_abroad')
            - max(persons) FILTER (WHERE measure = 'departures_abroad') AS net_migration
    FROM core.migration_by_nationality
    WHERE level = 'kreis' AND measure IN ('arrivals_from_abroad', 'departures_abroad')
      AND nationality = 'foreign' AND sex = 'total'
    GROUP BY ags, period, reference_date
),
population_at_start AS (
    SELECT ags, period + 1 AS period, reference_date, population
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND nationality = 'total' AND sex = 'total' AND age_group = 'total'
)
SELECT ags, period, reference_date, net_migration AS numerator, 0.0 AS denominator, CAST(NULL AS VARCHAR) AS flag
FROM balance
WHERE period IN (SELECT period FROM population_at_start)
UNION ALL
SELECT ags, period, reference_date, 0.0 AS numerator, population AS denominator, CAST(NULL AS VARCHAR) AS flag
FROM population_at_start
WHERE period IN (SELECT period FROM balance)
