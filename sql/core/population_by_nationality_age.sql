/*
description: Population on 31.12. by nationality, sex and age group for the regions of the register (Bevölkerungsfortschreibung, 21 age groups).
grain: one row per ags, level, reference date, nationality, sex and age group
sources: staging.population_by_nationality_age, core.region_crosswalk
columns:
  nationality: total, foreign, german.
  sex: total, male, female.
  age_group: ALTX21 code (ALT000B03 … ALT085B90, ALT090UM), or total for the published all-ages row. Filter age_group <> 'total' before summing bands.
  age_from: Lower bound of the age group in years (inclusive); 0 for the all-ages row.
  age_to: Upper bound in years (exclusive); NULL for 90 and over and for the all-ages row.
  population: Persons; NULL when the source shows a special sign (see population_flag), never 0.
*/
-- The contract other models rely on (ARB01, ARB07, SOZ01, SOZ03, KIT03, KIT04 and the DEM, REC, PAR
-- indicators): ags, level, period, reference_date, nationality, sex, age_group, age_from, age_to,
-- population, population_flag, source_file, line_number. An age range [a, b) is the sum of the bands
-- with age_from >= a AND age_to <= b (b open: age_from >= a); a NULL band makes the sum unknown.
-- From 31.12.2022 the Fortschreibung rests on the Zensus 2022 (series break 2021 → 2022).
-- ALTX21 codes carry their bounds: ALT015B18 = 15 to under 18, ALT090UM = 90 and over; a code of
-- another pattern gets NULL bounds and is left out of every age range.
SELECT
    p.ags,
    p.level,
    p.period,
    p.reference_date,
    p.nationality,
    p.sex,
    p.age_group,
    CASE
        WHEN p.age_group = 'total' THEN 0
        ELSE CAST(nullif(regexp_extract(p.age_group, '^ALT(\d{3})(B\d{2}|UM)$', 1), '') AS INTEGER)
    END AS age_from,
    CAST(nullif(regexp_extract(p.age_group, '^ALT\d{3}B(\d{2})$', 1), '') AS INTEGER) AS age_to,
    p.population,
    p.population_flag,
    p.source_file,
    p.line_number
FROM with_city_state_kreise('staging.population_by_nationality_age') AS p
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand in
-- the indicators); Kreise dissolved long ago are listed with '-' only and drop out here
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = p.ags AND known.level = p.level
   AND valid_on(fact_day(p.reference_date, p.period), known.valid_from, known.valid_to)
