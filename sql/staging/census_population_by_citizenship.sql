/*
description: Zensus 2022 population on 15.05.2022 by citizenship (German / non-German), per Gemeinde, as delivered.
grain: one row per region key and citizenship
sources: raw.census_population_by_citizenship (Zensus 2022 database, 1000A-0012, code unverified)
columns:
  ags: 8-character AGS; a 12-digit ARS of a Gemeinde is turned into its AGS (ARS[1:5] + ARS[10:12]).
  level: gemeinde (GEOGM*), land, deutschland.
  citizenship: total, or foreign (AUSLAND).
  persons: Persons (Zensus cell-key perturbation, so parts need not add up exactly); NULL when suppressed.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE WHEN staag1 IS NULL THEN 'total' WHEN staag1 = 'AUSLAND' THEN 'foreign' ELSE staag1 END AS citizenship,
    value AS persons,
    value_flag AS persons_flag,
    value_quality AS persons_quality,
    source_file,
    line_number
FROM raw.census_population_by_citizenship
WHERE value_variable IN ('PRS001', 'PRS018')
