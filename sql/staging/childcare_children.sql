/*
description: Children in day care on 01.03. by type of care and age group, and children with at least one parent of foreign origin, as delivered.
grain: one row per region key, reference date, measure, type of care and age group
sources: raw.childcare_children (Regionaldatenbank 22543-01-02-4, Statistik der Kinder und tätigen Personen in Tageseinrichtungen und in öffentlich geförderter Kindertagespflege)
columns:
  care_type: facility (Tageseinrichtung, ARTDHILFE69), childminder (Tagespflege, ARTDHILFE64), total (INSGESAMT3, without double counting, so not the sum of the two).
  age_group: under_3, 3_to_6, 6_to_14 (ALT033), or total; children_foreign_origin only as total.
  measure: children_in_care (KIND01) or children_foreign_origin (KIND02, at least one parent of foreign origin).
  value: Children; NULL when the source shows a special sign (see value_flag), never 0.
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
        WHEN alt033 IS NULL THEN 'total'
        WHEN alt033 = 'ALT000B03' THEN 'under_3'
        WHEN alt033 = 'ALT003B06' THEN '3_to_6'
        WHEN alt033 = 'ALT006B14' THEN '6_to_14'
        ELSE alt033
    END AS age_group,
    CASE value_variable WHEN 'KIND01' THEN 'children_in_care' WHEN 'KIND02' THEN 'children_foreign_origin' END AS measure,
    value,
    value_flag,
    source_file,
    line_number
FROM raw.childcare_children
