/*
description: Population on 31.12. by sex and 17 age groups (Bevölkerungsfortschreibung, Zensus 2011 basis), as delivered by GENESIS-Online 12411-0018.
grain: one row per region key, reference date, sex and age group
sources: raw.population_by_sex_age (GENESIS-Online 12411-0018)
columns:
  ags: Region key, 8 characters (Kreis 01001000); the table has Kreise only.
  level: kreis.
  region_key: The Kreis key as delivered (01001).
  region_label: The Kreis name as delivered ("Göttingen, Landkreis (bis 31.10.2016)").
  period: Year of the reference date.
  reference_date: Reference date (31.12.).
  sex: male or female (the table has no total column).
  age_group: The age group as labelled in the file ("unter 3 Jahre" … "75 Jahre und mehr").
  population: Persons; NULL when the file shows a sign (see population_flag).
  population_flag: GENESIS special sign.
  source_file: Landed raw file the row was parsed from (relative to the landing directory).
  line_number: Line of the row in that file.
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    sex_from_code(ges) AS sex,
    altx17_label AS age_group,
    value AS population,
    value_flag AS population_flag,
    source_file,
    line_number
FROM raw.population_by_sex_age
WHERE value_variable = 'BEVSTD'
