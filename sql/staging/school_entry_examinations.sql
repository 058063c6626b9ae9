/*
description: Children examined at school entry and those with a need for language support, by nationality, per Kreis and examination year, as the health offices or the state delivered them (declared county file).
grain: one row per Kreis key, year, nationality and language support group
sources: raw.school_entry_examinations (county_file einschulungsuntersuchung-sprachfoerderbedarf, layout declared in sources/tables.d/participation_housing_health.yaml)
columns:
  nationality: total, or foreign (NATA).
  language_support: total (all examined children), or with_need (SFB, Sprachförderbedarf).
  children: Children; NULL where the file shows a sign.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    nationality_from_code(nat) AS nationality,
    CASE WHEN sfb = 'SFB' THEN 'with_need' ELSE coalesce(sfb, 'total') END AS language_support,
    value AS children,
    value_flag AS children_flag,
    source_file,
    line_number
FROM raw.school_entry_examinations
WHERE value_variable = 'ESU'
