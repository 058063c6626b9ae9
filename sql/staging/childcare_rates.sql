/*
description: Published childcare rates (Betreuungsquote) and shares of children with at least one parent of foreign origin among children in care, by age group and type of care, 01.03., as delivered.
grain: one row per region key, reference date, measure, type of care and age group
sources: raw.childcare_rates (Regionaldatenbank 22543, KIND36/KIND37 table; table code unverified)
columns:
  care_type: facility (ARTDHILFE69), childminder (ARTDHILFE64), total (INSGESAMT3).
  age_group: under_3 (ALT000B03) or 3_to_6 (ALT003B06) (ALT544).
  measure: childcare_rate_pct (KIND36, children in care per 100 children of the age group) or foreign_origin_share_pct (KIND37, children with at least one parent of foreign origin per 100 children in care of the age group).
  value_pct: Percent as published; NULL when the source shows a special sign.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE kinte5
        WHEN 'ARTDHILFE69' THEN 'facility'
        WHEN 'ARTDHILFE64' THEN 'childminder'
        WHEN 'INSGESAMT3' THEN 'total'
        ELSE kinte5
    END AS care_type,
    CASE
        WHEN alt544 IS NULL THEN 'total'
        WHEN alt544 = 'ALT000B03' THEN 'under_3'
        WHEN alt544 = 'ALT003B06' THEN '3_to_6'
        ELSE alt544
    END AS age_group,
    CASE value_variable WHEN 'KIND36' THEN 'childcare_rate_pct' WHEN 'KIND37' THEN 'foreign_origin_share_pct' END AS measure,
    value AS value_pct,
    value_flag,
    source_file,
    line_number
FROM raw.childcare_rates
