/*
description: Foreigners in the Ausländerzentralregister on 31.12. by group of citizenships and sex, as delivered (on the areas of the foreigners' authorities).
grain: one row per Kreis key, reference date, country group and sex
sources: raw.foreigners_by_country_group (GENESIS-Online 12521-0041, Ausländerstatistik / AZR)
columns:
  country_group: total, eu27 (EU-27 since 01.02.2020), third_country (Drittstaaten zu EU-27 since 01.02.2020), or the attribute code of another group.
  foreigners: Persons, rounded to multiples of 5 by Destatis; NULL when suppressed.
*/
-- The attribute codes are placeholders (sources/tables.d/demography.yaml): only this mapping
-- changes when the real codes are known.
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE
        WHEN staag6 IS NULL THEN 'total'
        WHEN staag6 = 'label:eu-27-seit-01-02-2020' THEN 'eu27'
        WHEN staag6 = 'label:drittstaaten-zu-eu-27-seit-01-02-2020' THEN 'third_country'
        ELSE staag6
    END AS country_group,
    staag6_label AS country_group_label,
    sex_from_code(ges) AS sex,
    value AS foreigners,
    value_flag AS foreigners_flag,
    source_file,
    line_number
FROM raw.foreigners_by_country_group
WHERE value_variable = 'BEV016'
