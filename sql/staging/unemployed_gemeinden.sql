/*
description: Registered unemployed (annual average) by person group for Gemeinden (and the higher levels the table lists), as delivered.
grain: one row per region variable, region key, year and person group
sources: raw.unemployed_gemeinden (Regionaldatenbank 13211-01-03-5, Arbeitsmarktstatistik der BA)
columns:
  region_variable: GEMEIN for Gemeinden; a table can list a city also inside KREISE.
  person_group: total, foreign (ERWAQ7 ARBEITSLOS08), or the ERWAQ7 code of another group.
  unemployed: Persons (annual average); NULL when suppressed (small Gemeinde cells), never 0.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_variable,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE WHEN erwaq7 IS NULL THEN 'total' WHEN erwaq7 = 'ARBEITSLOS08' THEN 'foreign' ELSE erwaq7 END AS person_group,
    value AS unemployed,
    value_flag AS unemployed_flag,
    source_file,
    line_number
FROM raw.unemployed_gemeinden
WHERE value_variable = 'ERW006'
