/*
description: Employees subject to social insurance at their place of work on 30.06., by nationality and sex, for Gemeinden (and the higher levels the table lists), as delivered.
grain: one row per region variable, region key, reference date, nationality and sex
sources: raw.employees_at_workplace_by_nationality_gemeinden (Regionaldatenbank 13111-01-03-5, Statistik der BA)
columns:
  region_variable: GEMEIN for Gemeinden; a table can list a city also inside KREISE.
  employees: Employees (Arbeitsort); NULL when suppressed (small Gemeinde cells), never 0.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_variable,
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
FROM raw.employees_at_workplace_by_nationality_gemeinden
WHERE value_variable = 'ERW032'
