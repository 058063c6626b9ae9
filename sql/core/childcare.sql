/*
description: Children in day care on 01.03. by type of care and age group, and children with at least one parent of foreign origin (counted where the facility or childminder is).
grain: one row per ags, level, reference date, measure, type of care and age group
sources: staging.childcare_children, core.region_crosswalk
columns:
  care_type: facility, childminder, total (without double counting; use it rather than summing the types).
  age_group: under_3, 3_to_6, 6_to_14, total.
  measure: children_in_care (KIND01) or children_foreign_origin (KIND02, only as age total).
  children: Children; NULL when suppressed, never 0.
*/
SELECT
    f.ags, f.level, f.period, f.reference_date, f.care_type, f.age_group, f.measure,
    f.value AS children, f.value_flag AS children_flag, f.source_file, f.line_number
FROM with_city_state_kreise('staging.childcare_children') AS f
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = f.ags AND known.level = f.level
   AND valid_on(fact_day(f.reference_date, f.period), known.valid_from, known.valid_to)
