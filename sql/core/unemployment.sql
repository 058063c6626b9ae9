/*
description: Registered unemployed (annual average) and published unemployment rates, by person group.
grain: one row per ags, level, year, measure and person group
sources: staging.unemployed_by_group, core.region_crosswalk
columns:
  measure: unemployed (persons), unemployment_rate_pct, unemployment_rate_dependent_pct.
  value: Persons or percent; NULL when suppressed (see value_flag), never 0.
*/
SELECT
    u.ags,
    u.level,
    u.period,
    u.reference_date,
    u.measure,
    u.person_group,
    u.value,
    u.value_flag,
    u.source_file,
    u.line_number
FROM with_city_state_kreise('staging.unemployed_by_group') AS u
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = u.ags AND known.level = u.level
   AND valid_on(fact_day(u.reference_date, u.period), known.valid_from, known.valid_to)
