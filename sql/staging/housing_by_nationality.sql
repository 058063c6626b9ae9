/*
description: Households by citizenship of the reference person and tenure, per Kreis and year, as the state office delivered them (declared county file).
grain: one row per Kreis key, year, nationality and tenure
sources: raw.housing_by_nationality (county_file haushalte-eigentum-nationalitaet, layout declared in sources/tables.d/participation_housing_health.yaml)
columns:
  nationality: total, or foreign (NATA, foreign reference person).
  tenure: total, or owner_occupied (EIGENTUEMER).
  households: Households; NULL where the file shows a sign.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    nationality_from_code(nat) AS nationality,
    CASE WHEN eigt = 'EIGENTUEMER' THEN 'owner_occupied' ELSE coalesce(eigt, 'total') END AS tenure,
    value AS households,
    value_flag AS households_flag,
    source_file,
    line_number
FROM raw.housing_by_nationality
WHERE value_variable = 'HHALT'
