/*
description: Moves across Gemeinde borders and across the borders of Germany in a calendar year, by nationality and sex, as delivered.
grain: one row per region key, year, measure, nationality and sex
sources: raw.migration_by_nationality (Regionaldatenbank 12711-03-02-4, Wanderungsstatistik)
columns:
  measure: arrivals (BEV081, Zuzüge über die Gemeindegrenzen), departures (BEV082, Fortzüge über die Gemeindegrenzen), arrivals_from_abroad (BEV083, Zuzüge aus dem Ausland), departures_abroad (BEV084, Fortzüge ins Ausland).
  nationality: total, foreign (NATA), german (NATD).
  persons: Moves in the year (a person moving twice counts twice); NULL when suppressed.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE value_variable
        WHEN 'BEV081' THEN 'arrivals'
        WHEN 'BEV082' THEN 'departures'
        WHEN 'BEV083' THEN 'arrivals_from_abroad'
        WHEN 'BEV084' THEN 'departures_abroad'
    END AS measure,
    nationality_from_code(nat) AS nationality,
    sex_from_code(ges) AS sex,
    value AS persons,
    value_flag AS persons_flag,
    source_file,
    line_number
FROM raw.migration_by_nationality
WHERE value_variable IN ('BEV081', 'BEV082', 'BEV083', 'BEV084')
