/*
description: Employees subject to social insurance at their place of residence on 30.06., by nationality, sex and age group, as delivered.
grain: one row per region key, reference date, nationality, sex and age group
sources: raw.employees_at_residence_by_age (Regionaldatenbank 13111-06-02-4, Statistik der BA)
columns:
  age_group: ALT007 code (ALT000B20, ALT020B25, ALT025B30, ALT030B50, ALT050B60, ALT060B65, ALT065UM) or total.
  employees: Employees (Wohnort); NULL when the source shows a special sign (see employees_flag), never 0.
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
    coalesce(alt007, 'total') AS age_group,
    value AS employees,
    value_flag AS employees_flag,
    source_file,
    line_number
FROM raw.employees_at_residence_by_age
WHERE value_variable = 'ERW033'
