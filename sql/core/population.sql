/*
description: Population on 31.12. by sex for the regions of the register (Bevölkerungsfortschreibung). From 12411-01-01-4 (Kreise, Länder, Germany); for the years that table does not deliver, the Kreis totals of GENESIS-Online 12411-0018 (sum of its 17 age groups; 31.12.2015 … 2020 in the offline sample).
grain: one row per ags, level, reference date and sex
sources: staging.population_by_sex, staging.population_by_sex_age, core.region_crosswalk
columns:
  ags: Region key, 8 characters (Kreis 01001000, Land 01000000, Germany 00000000).
  level: deutschland, land, kreis or gemeinde (8-digit city keys of the Kreis list).
  period: Year of the reference date.
  reference_date: Reference date (31.12.).
  sex: total, male, female.
  population: Persons; NULL when the source shows a special sign (see population_flag), never 0.
  population_flag: GENESIS special sign of a missing value; for 12411-0018 the sign of any age group of the sum.
  source_file: Landed raw file the row comes from.
  line_number: Line of the row in that file (for 12411-0018 the line holding all age groups of the Kreis and date).
*/
WITH by_sex AS (
    SELECT ags, level, period, reference_date, sex, population, population_flag, source_file, line_number
    FROM with_city_state_kreise('staging.population_by_sex')
),
-- 12411-0018 has male and female by age group only: sums per sex, and their total
by_age AS (
    SELECT ags, level, period, reference_date, sex,
           CASE WHEN bool_or(population IS NULL) THEN NULL ELSE sum(population) END AS population,
           max(population_flag) AS population_flag,
           any_value(source_file) AS source_file,
           min(line_number) AS line_number
    FROM staging.population_by_sex_age
    GROUP BY GROUPING SETS ((ags, level, period, reference_date, sex), (ags, level, period, reference_date))
),
from_age_groups AS (
    SELECT ags, level, period, reference_date, coalesce(sex, 'total') AS sex,
           population, population_flag, source_file, line_number
    FROM by_age
    -- a year 12411-01-01-4 delivers is taken from there
    WHERE NOT EXISTS (SELECT 1 FROM staging.population_by_sex AS s WHERE s.period = by_age.period)
),
p AS (
    SELECT * FROM by_sex
    UNION ALL
    SELECT * FROM from_age_groups
)
SELECT
    p.ags,
    p.level,
    p.period,
    p.reference_date,
    p.sex,
    p.population,
    p.population_flag,
    p.source_file,
    p.line_number
FROM p
-- The table also lists Kreise dissolved long ago (all '-' after they ended): a row counts only
-- while its key was valid (re-aggregated to the target Gebietsstand in the indicators). The 8-digit
-- city keys inside KREISE are Gemeinden and stay at that level.
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = p.ags AND known.level = p.level
   AND valid_on(fact_day(p.reference_date, p.period), known.valid_from, known.valid_to)
