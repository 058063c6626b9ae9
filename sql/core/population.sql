/*
description: Population on 31.12. by sex for the regions of the register (Bevölkerungsfortschreibung).
grain: one row per ags, level, reference date and sex
sources: staging.population_by_sex, core.region_crosswalk
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
-- The table also lists Kreise dissolved long ago (all '-' after they ended): a row counts only
-- while its key was valid (re-aggregated to the target Gebietsstand in the indicators). The 8-digit
-- city keys inside KREISE are Gemeinden and stay at that level.
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = p.ags AND known.level = p.level
   AND valid_on(fact_day(p.reference_date, p.period), known.valid_from, known.valid_to)
