/*
description: Population on 31.12. by nationality, sex and 21 age groups (Bevölkerungsfortschreibung), as delivered.
grain: one row per region key, reference date, nationality, sex and age group
sources: raw.population_by_nationality_age (Regionaldatenbank 12411-03-03-4)
columns:
  nationality: total, foreign (NATA), german (NATD).
  sex: total, male, female.
  age_group: ALTX21 code (ALT000B03 … ALT085B90, ALT090UM), or total for the all-ages row (bounds in years in core.population_by_nationality_age).
  population: Persons; NULL when the source shows a special sign (see population_flag).
  population_flag: GENESIS special sign ('-' also marks Kreise that did not exist at the date).
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
    CASE WHEN altx21 IS NULL OR altx21 IN ('INSGESAMT', 'GESAMT') THEN 'total' ELSE altx21 END AS age_group,
    value AS population,
    value_flag AS population_flag,
    source_file,
    line_number
FROM raw.population_by_nationality_age
WHERE value_variable = 'BEVSTD'
