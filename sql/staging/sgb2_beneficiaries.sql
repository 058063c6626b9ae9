/*
description: Persons entitled to standard benefits under SGB II (Regelleistungsberechtigte) on 31.12., in total and the groups foreigners and women, as delivered.
grain: one row per region key, reference date and person group
sources: raw.sgb2_beneficiaries (Regionaldatenbank 22811-02-02-4, Grundsicherungsstatistik SGB II der BA)
columns:
  person_group: total (EFLB01 INSGESAMT), foreign (NATA, a part of total), female (GESW, a part of total).
  beneficiaries: Persons; NULL when the source shows a special sign (see beneficiaries_flag), never 0.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    -- EFLB01 carries its total as the code INSGESAMT; the suite forbids empty codes
    CASE
        WHEN eflb01 IS NULL OR eflb01 = 'INSGESAMT' THEN 'total'
        WHEN eflb01 = 'NATA' THEN 'foreign'
        WHEN eflb01 = 'GESW' THEN 'female'
        ELSE eflb01
    END AS person_group,
    value AS beneficiaries,
    value_flag AS beneficiaries_flag,
    source_file,
    line_number
FROM raw.sgb2_beneficiaries
WHERE value_variable = 'PER100'
