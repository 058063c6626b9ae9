/*
description: Recipients of standard benefits under the Asylbewerberleistungsgesetz (AsylbLG) on 31.12., by sex, as delivered.
grain: one row per region key, reference date and sex
sources: raw.asylum_seekers_benefits (Regionaldatenbank 22221-01-01-4, Asylbewerberleistungsstatistik)
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
    sex_from_code(ges) AS sex,
    value AS recipients,
    value_flag AS recipients_flag,
    source_file,
    line_number
FROM raw.asylum_seekers_benefits
WHERE value_variable = 'RLE001'
