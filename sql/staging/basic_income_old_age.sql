/*
description: Recipients of basic income support in old age and for reduced earning capacity (Grundsicherung, SGB XII 4. Kapitel) on 31.12., by nationality and sex, as delivered.
grain: one row per region key, reference date, nationality and sex
sources: raw.basic_income_old_age (Regionaldatenbank 22151-01-02-4, Statistik der Empfänger von Grundsicherung im Alter und bei Erwerbsminderung)
columns:
  recipients: Persons; NULL when the source shows a special sign (see recipients_flag), never 0.
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
    value AS recipients,
    value_flag AS recipients_flag,
    source_file,
    line_number
FROM raw.basic_income_old_age
WHERE value_variable = 'EGS002'
