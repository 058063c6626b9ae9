/*
description: Zensus 2022 population on 15.05.2022 by immigration history (Einwanderungsgeschichte), all ages, for Germany and the Länder.
grain: one row per ags, level and immigration history group
sources: staging.census_population_by_immigration_history
columns:
  immigration_history: total; with_immigration_history (immigrated themselves, or both parents immigrated); immigrated; descendants; one_sided (one parent immigrated); without.
  persons: Persons (cell-key perturbation, so groups need not add up to the total exactly); NULL when the source shows a sign.
*/
-- WDGAT1 and WDGAT2 repeat the groups one_sided and without: the summary (WDGAT2) row is used for
-- them, the detailed (WDGAT1) row for immigrated and descendants.
SELECT
    ags,
    level,
    period,
    reference_date,
    immigration_history,
    persons,
    persons_flag,
    persons_quality,
    source_file,
    line_number
FROM staging.census_population_by_immigration_history
WHERE age_group = 'total'
  AND level IN ('deutschland', 'land')
  AND (classification IN ('total', 'summary')
       OR (classification = 'detailed' AND immigration_history IN ('immigrated', 'descendants')))
