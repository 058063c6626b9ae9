/*
description: Employees subject to social insurance at their place of residence on 30.06., by nationality, sex and working time, as delivered.
grain: one row per region key, reference date, nationality, sex and working time
sources: raw.employees_at_residence_by_working_time (Regionaldatenbank 13111-04-02-4, Statistik der BA)
columns:
  working_time: part_time (TEILZT01), full_time (VOLLZT01) or total.
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
    CASE
        WHEN besum2 IS NULL THEN 'total'
        WHEN besum2 = 'TEILZT01' THEN 'part_time'
        WHEN besum2 = 'VOLLZT01' THEN 'full_time'
        ELSE besum2
    END AS working_time,
    value AS employees,
    value_flag AS employees_flag,
    source_file,
    line_number
FROM raw.employees_at_residence_by_working_time
WHERE value_variable = 'ERW033'
