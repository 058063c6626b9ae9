/*
description: Zensus 2022 population on 15.05.2022 by immigration history (Einwanderungsgeschichte) and 10-year age groups, Germany and the Länder, as delivered.
grain: one row per region key, classification, immigration history group and age group
sources: raw.census_population_by_immigration_history (Zensus 2022 database, 1000A-2022)
columns:
  classification: summary (WDGAT2 - with, one-sided, without), detailed (WDGAT1 - immigrated, descendants, one-sided, without), or total (neither).
  immigration_history: total; with_immigration_history (WANDERUNG-BEID, "Mit Einwanderungsgeschichte" = immigrated + descendants of two immigrated parents); immigrated (EINGEWANDERTE); descendants (NACHKOMMEN); one_sided (WANDERUNG-EINS, one parent immigrated); without (WANDERUNG-X).
  age_group: ALTGR2 code (ALT000B009 … ALT080BXXX), or total.
  persons: Persons (cell-key perturbation); NULL when the source shows a sign.
  persons_quality: value_q as delivered (e = final result).
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE WHEN wdgat1 IS NOT NULL THEN 'detailed' WHEN wdgat2 IS NOT NULL THEN 'summary' ELSE 'total' END AS classification,
    CASE coalesce(wdgat1, wdgat2)
        WHEN 'WANDERUNG-BEID' THEN 'with_immigration_history'
        WHEN 'EINGEWANDERTE' THEN 'immigrated'
        WHEN 'NACHKOMMEN' THEN 'descendants'
        WHEN 'WANDERUNG-EINS' THEN 'one_sided'
        WHEN 'WANDERUNG-X' THEN 'without'
        ELSE coalesce(wdgat1, wdgat2, 'total')
    END AS immigration_history,
    coalesce(altgr2, 'total') AS age_group,
    value AS persons,
    value_flag AS persons_flag,
    value_quality AS persons_quality,
    source_file,
    line_number
FROM raw.census_population_by_immigration_history
WHERE value_variable IN ('PRS001', 'PRS018')
