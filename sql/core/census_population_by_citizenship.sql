/*
description: Zensus 2022 population on 15.05.2022 by citizenship per Gemeinde (Gebietsstand 15.05.2022), with the Kreis and Land each Gemeinde lies in.
grain: one row per Gemeinde and reference date
sources: staging.census_population_by_citizenship
columns:
  ags: AGS of the Gemeinde on the Gebietsstand of the census (15.05.2022); Gemeinden merged since are not in the register but keep their Kreis.
  kreis_ags: The Kreis the Gemeinde lay in on the census day (first five digits of the AGS).
  land_ags: The Land (first two digits).
  population: All persons; NULL when the cell shows a sign (see population_flag).
  foreigners: Persons without German citizenship (AUSLAND); NULL when the cell shows a sign (see foreigners_flag; '-' means nobody).
  germans: population − foreigners, at least 0 (cell-key perturbation can make the difference slightly negative); NULL unless both are numbers.
  population_flag: special sign of the population cell, or missing_cell when the table has no such row.
  foreigners_flag: special sign of the foreigners cell, or missing_cell.
*/
WITH gemeinden AS (
    SELECT
        ags,
        period,
        reference_date,
        max(persons) FILTER (WHERE citizenship = 'total') AS population,
        max(persons) FILTER (WHERE citizenship = 'foreign') AS foreigners,
        count(*) FILTER (WHERE citizenship = 'total') AS total_rows,
        count(*) FILTER (WHERE citizenship = 'foreign') AS foreign_rows,
        max(persons_flag) FILTER (WHERE citizenship = 'total') AS population_flag,
        max(persons_flag) FILTER (WHERE citizenship = 'foreign') AS foreigners_flag,
        min(source_file) AS source_file,
        min(line_number) AS line_number
    FROM staging.census_population_by_citizenship
    WHERE level = 'gemeinde'
    GROUP BY ags, period, reference_date
)
SELECT
    ags,
    'gemeinde' AS level,
    left(ags, 5) || '000' AS kreis_ags,
    left(ags, 2) || '000000' AS land_ags,
    period,
    reference_date,
    population,
    foreigners,
    CASE WHEN population IS NOT NULL AND foreigners IS NOT NULL THEN greatest(population - foreigners, 0) END AS germans,
    CASE WHEN total_rows = 0 THEN 'missing_cell' ELSE population_flag END AS population_flag,
    CASE WHEN foreign_rows = 0 THEN 'missing_cell' ELSE foreigners_flag END AS foreigners_flag,
    source_file,
    line_number
FROM gemeinden
