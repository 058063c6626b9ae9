/*
description: Employees subject to social insurance at their place of residence on 30.06., by nationality, sex and vocational qualification, as delivered.
grain: one row per region key, reference date, nationality, sex and qualification
sources: raw.employees_at_residence_by_qualification (Regionaldatenbank 13111-12-03-4, Statistik der BA)
columns:
  qualification: without_vocational_qualification (BILABS31), recognised_vocational_qualification (BILABS32), academic (BILABS33), total (BILABS98, includes qualification unknown).
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
    -- BILAT3 carries its total as the code BILABS98 (verified metadata, a9 of the indicator catalogue); the suite forbids empty codes
    CASE
        WHEN bilat3 IS NULL OR bilat3 = 'BILABS98' THEN 'total'
        WHEN bilat3 = 'BILABS31' THEN 'without_vocational_qualification'
        WHEN bilat3 = 'BILABS32' THEN 'recognised_vocational_qualification'
        WHEN bilat3 = 'BILABS33' THEN 'academic'
        ELSE bilat3
    END AS qualification,
    value AS employees,
    value_flag AS employees_flag,
    source_file,
    line_number
FROM raw.employees_at_residence_by_qualification
WHERE value_variable = 'ERW033'
