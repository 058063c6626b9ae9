/*
description: Schools and pupils at general schools at the start of the school year, by school type, as delivered.
grain: one row per region key, school year, school type, measure and pupil group
sources: raw.pupils_by_school_type (Regionaldatenbank 21111-01-03-4, Statistik der allgemeinbildenden Schulen)
columns:
  period: Calendar year in which the school year starts (2023 = school year 2023/24).
  school_type: GENESIS code of BILSA8, or total for the Insgesamt row, which counts each pupil once.
  measure: schools (BIL013) or pupils (BIL003).
  pupil_group: total, female, foreign, grade_7, grade_11.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    CAST(NULL AS DATE) AS reference_date,
    -- the Insgesamt row carries its own code in BILSA8
    CASE WHEN bilsa8 IS NULL OR bilsa8 = 'INSGESAMT1' THEN 'total' ELSE bilsa8 END AS school_type,
    bilsa8_label AS school_type_label,
    CASE value_variable WHEN 'BIL013' THEN 'schools' WHEN 'BIL003' THEN 'pupils' END AS measure,
    CASE
        WHEN nat = 'NATA' THEN 'foreign'
        WHEN ges = 'GESW' THEN 'female'
        WHEN bilkl2 = 'JGSTUFE7' THEN 'grade_7'
        WHEN bilkl2 = 'JGSTUFE11' THEN 'grade_11'
        WHEN bilkl2 IS NOT NULL THEN bilkl2
        ELSE 'total'
    END AS pupil_group,
    value,
    value_flag,
    source_file,
    line_number
FROM raw.pupils_by_school_type
