/*
description: Pupils at vocational schools at the start of the school year, by school type, sex and nationality, as delivered.
grain: one row per region key, school year, school type, nationality and sex
sources: raw.vocational_pupils_by_school_type (Regionaldatenbank 21121-01-05-4, Statistik der beruflichen Schulen)
columns:
  period: Calendar year in which the school year starts (2023 = school year 2023/24).
  school_type: vocational_school (Berufsschulen), vocational_school_without_training_contract (its "darunter" row, a part of vocational_school), the BILSA7 code of the other school types, or total (Insgesamt, each pupil once).
  pupils: Pupils; NULL when the source shows a special sign (see pupils_flag), never 0.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    CAST(NULL AS DATE) AS reference_date,
    -- BILSA7 codes are placeholders (label:<slug>) until the ffcsv of the table is seen
    CASE
        WHEN bilsa7 IS NULL OR bilsa7 LIKE 'INSGESAMT%' THEN 'total'
        WHEN bilsa7 = 'label:berufsschulen' THEN 'vocational_school'
        WHEN bilsa7 = 'label:berufsschulen-ohne-ausbildungsvertrag' THEN 'vocational_school_without_training_contract'
        ELSE bilsa7
    END AS school_type,
    bilsa7_label AS school_type_label,
    nationality_from_code(nat) AS nationality,
    sex_from_code(ges) AS sex,
    value AS pupils,
    value_flag AS pupils_flag,
    source_file,
    line_number
FROM raw.vocational_pupils_by_school_type
WHERE value_variable = 'BIL004'
