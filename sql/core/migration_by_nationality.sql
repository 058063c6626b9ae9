/*
description: Moves across Gemeinde borders and across the borders of Germany in a calendar year, by nationality and sex, for the regions of the register.
grain: one row per ags, level, year, measure, nationality and sex
sources: staging.migration_by_nationality, core.region_crosswalk
columns:
  measure: arrivals, departures (across Gemeinde borders, incl. abroad), arrivals_from_abroad, departures_abroad.
  nationality: total, foreign, german.
  persons: Moves in the year; NULL when suppressed, never 0.
*/
SELECT
    m.ags,
    m.level,
    m.period,
    m.reference_date,
    m.measure,
    m.nationality,
    m.sex,
    m.persons,
    m.persons_flag,
    m.source_file,
    m.line_number
FROM with_city_state_kreise('staging.migration_by_nationality') AS m
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = m.ags AND known.level = m.level
   AND valid_on(fact_day(m.reference_date, m.period), known.valid_from, known.valid_to)
