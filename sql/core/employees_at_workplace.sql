/*
description: Employees subject to social insurance at their place of work on 30.06., by nationality and sex.
grain: one row per ags, level, reference date, nationality and sex
sources: staging.employees_at_workplace_by_nationality, core.region_crosswalk
columns:
  employees: Employees (Arbeitsort); NULL when suppressed, never 0.
*/
SELECT
    e.ags,
    e.level,
    e.period,
    e.reference_date,
    e.nationality,
    e.sex,
    e.employees,
    e.employees_flag,
    e.source_file,
    e.line_number
FROM with_city_state_kreise('staging.employees_at_workplace_by_nationality') AS e
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = e.ags AND known.level = e.level
   AND valid_on(fact_day(e.reference_date, e.period), known.valid_from, known.valid_to)
