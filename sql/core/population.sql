/*
description: Population on 31.12. by sex for the regions of the register (Bevölkerungsfortschreibung).
grain: one row per ags, level, reference date and sex
sources: staging.population_by_sex, core.region
columns:
  population: Persons; NULL when the source shows a special sign (see population_flag), never 0.
*/
SELECT
    p.ags,
    p.level,
    p.period,
    p.reference_date,
    p.sex,
    p.population,
    p.population_flag,
    p.source_file,
    p.line_number
FROM with_city_state_kreise('staging.population_by_sex') AS p
-- Only regions of the register: the table also lists Kreise dissolved long ago (all '-'),
-- and the 8-digit city keys inside KREISE, which are Gemeinden and stay at that level.
SEMI JOIN core.region AS r ON r.ags = p.ags AND r.level = p.level
