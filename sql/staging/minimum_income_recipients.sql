/*
description: Recipients of social minimum income benefits (soziale Mindestsicherung - SGB II, SGB XII, AsylbLG, KOV) on 31.12., all benefits together, as delivered.
grain: one row per region key and reference date
sources: raw.minimum_income_recipients (Regionaldatenbank 22811-01-01-4, Statistiken der sozialen Mindestsicherung)
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
    value AS recipients,
    value_flag AS recipients_flag,
    source_file,
    line_number
FROM raw.minimum_income_recipients
WHERE value_variable = 'ESML01'
