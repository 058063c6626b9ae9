/*
description: Protection seekers (AZR) on 31.12. by protection status, sex and citizenship.
grain: one row per Kreis key, reference date, protection status, sex and citizenship
sources: raw.protection_seekers (GENESIS-Online 12531-0043, Ausländerzentralregister)
columns:
  protection_status: GENESIS code of SCHST2. The classification is hierarchical - see core.protection_seekers.
  protection_seekers: Persons (rounded to multiples of 5 by Destatis); NULL when suppressed.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    schst2 AS protection_status,
    schst2_label AS protection_status_label,
    sex_from_code(ges) AS sex,
    staag5 AS citizenship,
    value AS protection_seekers,
    value_flag AS protection_seekers_flag,
    source_file,
    line_number
FROM raw.protection_seekers
WHERE value_variable = 'BEV030'
