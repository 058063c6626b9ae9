/*
description: Employees subject to social insurance at their place of residence on 30.06., by nationality, sex and vocational qualification.
grain: one row per ags, level, reference date, nationality, sex and qualification
sources: staging.employees_at_residence_by_qualification, core.region_crosswalk
columns:
  qualification: without_vocational_qualification, recognised_vocational_qualification, academic, total (includes unknown).
  employees: Employees (Wohnort); NULL when suppressed, never 0.
*/
SELECT
    f.ags, f.level, f.period, f.reference_date, f.nationality, f.sex, f.qualification,
    f.employees, f.employees_flag, f.source_file, f.line_number
FROM with_city_state_kreise('staging.employees_at_residence_by_qualification') AS f
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = f.ags AND known.level = f.level
   AND valid_on(fact_day(f.reference_date, f.period), known.valid_from, known.valid_to)
