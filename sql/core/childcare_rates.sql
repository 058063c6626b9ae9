/*
description: Published childcare rates and shares of children with a parent of foreign origin among children in care, by age group and type of care, 01.03.
grain: one row per ags, level, reference date, measure, type of care and age group
sources: staging.childcare_rates, core.region_crosswalk
columns:
  measure: childcare_rate_pct (KIND36) or foreign_origin_share_pct (KIND37).
  value_pct: Percent as published; a published ratio, never re-aggregated.
*/
SELECT
    f.ags, f.level, f.period, f.reference_date, f.care_type, f.age_group, f.measure,
    f.value_pct, f.value_flag, f.source_file, f.line_number
FROM with_city_state_kreise('staging.childcare_rates') AS f
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = f.ags AND known.level = f.level
   AND valid_on(fact_day(f.reference_date, f.period), known.valid_from, known.valid_to)
