/*
description: Leavers of general schools by certificate and nationality, per school year, as the state office delivers them (declared file).
grain: one row per region key, school year, certificate and nationality
sources: raw.school_leavers_by_nationality (state office file, layout declared in sources/tables.d/labour_education_social.yaml)
columns:
  period: Calendar year in which the school year ends (leavers of 2022/23 = 2023).
  certificate: total (all leavers), without_hauptschulabschluss (BILABS11), allgemeine_hochschulreife (BILABS15).
  leavers: Persons; NULL when the file shows a special sign (see leavers_flag), never 0.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    CAST(NULL AS DATE) AS reference_date,
    CASE
        WHEN bilabs IS NULL THEN 'total'
        WHEN bilabs = 'BILABS11' THEN 'without_hauptschulabschluss'
        WHEN bilabs = 'BILABS15' THEN 'allgemeine_hochschulreife'
        ELSE bilabs
    END AS certificate,
    nationality_from_code(nat) AS nationality,
    value AS leavers,
    value_flag AS leavers_flag,
    source_file,
    line_number
FROM raw.school_leavers_by_nationality
WHERE value_variable = 'SCHABG'
