/*
description: Pupils at general schools at the start of the school year, by school type and pupil group.
grain: one row per ags, level, school year, school type and pupil group
sources: staging.pupils_by_school_type, core.region
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
SEMI JOIN core.region AS r ON r.ags = p.ags AND r.level = p.level
WHERE p.measure = 'pupils'
