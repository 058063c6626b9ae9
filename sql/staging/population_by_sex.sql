/*
description: Population on 31.12. by sex (Bevölkerungsfortschreibung), as delivered.
grain: one row per region key, reference date and sex
sources: raw.population_by_sex (Regionaldatenbank 12411-01-01-4)
columns:
  population: Persons; NULL when the source shows a sign (see population_flag).
  population_flag: GENESIS special sign ('-' also marks Kreise that did not exist at the date).
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    sex_from_code(ges) AS sex,
    value AS population,
    value_flag AS population_flag,
    source_file,
    line_number
FROM raw.population_by_sex
WHERE value_variable = 'BEVSTD'
