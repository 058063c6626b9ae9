/*
description: Employees subject to social insurance at their place of work on 30.06., by nationality and sex.
grain: one row per region key, reference date, nationality and sex
sources: raw.employees_at_workplace_by_nationality (Regionaldatenbank 13111-01-03-4, Statistik der BA)
columns:
  employees: Employees subject to social insurance contributions (Arbeitsort); NULL when suppressed.
  employees_flag: GENESIS special sign.
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
    value AS employees,
    value_flag AS employees_flag,
    source_file,
    line_number
FROM raw.employees_at_workplace_by_nationality
WHERE value_variable = 'ERW032'
