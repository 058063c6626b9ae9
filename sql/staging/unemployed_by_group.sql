/*
description: Registered unemployed (annual average) and unemployment rates by person group, as delivered.
grain: one row per region key, year, measure and person group
sources: raw.unemployed_by_group (Regionaldatenbank 13211-02-05-4, Arbeitsmarktstatistik der BA)
columns:
  measure: unemployed (ERWP06, persons), unemployment_rate_pct (ERWP10, all civilian labour force), unemployment_rate_dependent_pct (ERWP09, dependent civilian labour force).
  person_group: total, foreign, or the GENESIS code of another group (ERWAQ7 / ERWAQ8).
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE value_variable
        WHEN 'ERWP06' THEN 'unemployed'
        WHEN 'ERWP10' THEN 'unemployment_rate_pct'
        WHEN 'ERWP09' THEN 'unemployment_rate_dependent_pct'
    END AS measure,
    CASE
        WHEN value_variable = 'ERWP06' AND erwaq7 IS NULL THEN 'total'
        WHEN value_variable = 'ERWP06' AND erwaq7 = 'ARBEITSLOS08' THEN 'foreign'
        WHEN value_variable = 'ERWP10' AND erwaq8 IS NULL THEN 'total'
        WHEN value_variable = 'ERWP10' AND erwaq8 = 'ARBEITSQUO07' THEN 'foreign'
        WHEN value_variable = 'ERWP09' THEN 'total'
        ELSE coalesce(erwaq7, erwaq8)
    END AS person_group,
    value,
    value_flag,
    source_file,
    line_number
FROM raw.unemployed_by_group
