/*
description: Naturalisations in a calendar year by continent of the former citizenship, as delivered.
grain: one row per region key, year and continent
sources: raw.naturalisations_by_continent (Regionaldatenbank 12511-01-01-4, Einbürgerungsstatistik)
columns:
  continent: total, europe (ST1), africa (ST2), america (ST3), asia (ST4), oceania (ST5), stateless_or_unknown (ST997).
  naturalisations: Persons naturalised in the year (Wohnort); NULL when suppressed.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE staknw
        WHEN 'ST1' THEN 'europe'
        WHEN 'ST2' THEN 'africa'
        WHEN 'ST3' THEN 'america'
        WHEN 'ST4' THEN 'asia'
        WHEN 'ST5' THEN 'oceania'
        WHEN 'ST997' THEN 'stateless_or_unknown'
        WHEN 'INSGESAMT' THEN 'total'
        ELSE coalesce(staknw, 'total')
    END AS continent,
    value AS naturalisations,
    value_flag AS naturalisations_flag,
    source_file,
    line_number
FROM raw.naturalisations_by_continent
WHERE value_variable = 'BEV008'
