/*
description: Pupils at vocational schools at the start of the school year, by school type, nationality and sex.
grain: one row per ags, level, school year, school type, nationality and sex
sources: staging.vocational_pupils_by_school_type, core.region_crosswalk
columns:
  school_type: vocational_school, vocational_school_without_training_contract (part of vocational_school), other BILSA7 codes, total.
  pupils: Pupils; NULL when suppressed, never 0.
*/
SELECT
    f.ags, f.level, f.period, f.reference_date, f.school_type, f.nationality, f.sex,
    f.pupils, f.pupils_flag, f.source_file, f.line_number
FROM with_city_state_kreise('staging.vocational_pupils_by_school_type') AS f
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = f.ags AND known.level = f.level
   AND valid_on(fact_day(f.reference_date, f.period), known.valid_from, known.valid_to)
