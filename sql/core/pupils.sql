/*
description: Pupils at general schools at the start of the school year, by school type and pupil group.
grain: one row per ags, level, school year, school type and pupil group
sources: staging.pupils_by_school_type, core.region_crosswalk
columns:
  school_type: The published Insgesamt row is 'total'; use it rather than summing school types.
  pupils: Pupils; NULL when suppressed (x, -), never 0.
*/
SELECT
    p.ags,
    p.level,
    p.period,
    p.reference_date,
    p.school_type,
    p.pupil_group,
    p.value AS pupils,
    p.value_flag AS pupils_flag,
    p.source_file,
    p.line_number
FROM with_city_state_kreise('staging.pupils_by_school_type') AS p
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = p.ags AND known.level = p.level
   AND valid_on(fact_day(p.reference_date, p.period), known.valid_from, known.valid_to)
WHERE p.measure = 'pupils'
