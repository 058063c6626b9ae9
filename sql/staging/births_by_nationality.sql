/*
description: Live births in a calendar year by nationality of the child, sex and age group of the mother, as delivered.
grain: one row per region key, year, nationality, sex and age group of the mother
sources: raw.births_by_nationality (Regionaldatenbank 12612-02-01-4, Statistik der Geburten)
columns:
  nationality: total, german (NATD), foreign (NATA, where the table carries it). Nationality of the child.
  mother_age_group: ALTMT1 code (ALT000B20 … ALT040UM), or total.
  births: Live births; NULL when suppressed.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    nationality_from_code(nat) AS nationality,
    sex_from_code(ges) AS sex,
    CASE WHEN altmt1 IS NULL OR altmt1 IN ('GESAMT', 'INSGESAMT') THEN 'total' ELSE altmt1 END AS mother_age_group,
    value AS births,
    value_flag AS births_flag,
    source_file,
    line_number
FROM raw.births_by_nationality
WHERE value_variable = 'BEV001'
