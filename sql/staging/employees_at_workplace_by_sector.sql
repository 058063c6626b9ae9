/*
description: Employees subject to social insurance at their place of work on 30.06., by economic section (WZ 2008), nationality and sex, as delivered.
grain: one row per region key, reference date, economic section, nationality and sex
sources: raw.employees_at_workplace_by_sector (Regionaldatenbank 13111-07-05-4, Statistik der BA)
columns:
  ags: Region key, 8 characters (Land 01000000, Kreis 01001000, Germany 00000000); 8-digit city keys inside the Kreis list (03241001 Hannover) stay Gemeinden.
  level: deutschland, land, regierungsbezirk, kreis, gemeinde or berlin_bezirk, from the key.
  region_key: The regional key as delivered (DG, 01, 031, 01001, 03241001).
  region_label: The region name as delivered, indentation stripped.
  period: Year of the reference date.
  reference_date: Reference date (30.06.).
  section: WZ 2008 section or group of sections as the file labels it, e.g. "Verarbeitendes Gewerbe (C)"; 'total' for "Insgesamt". Groups overlap (B-F holds B-E, C and F).
  section_code: Attribute code of the section (placeholders `label:…` until the ffcsv of the table is seen); NULL for the total.
  nationality: total or foreign (the table has no German column).
  sex: total, male, female.
  employees: Employees subject to social insurance contributions (Arbeitsort); NULL when the file shows a sign (see employees_flag).
  employees_flag: GENESIS special sign ('.' secret, '-' none or a Kreis that did not exist at the date).
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
    CASE WHEN wz08s1 IS NULL THEN 'total' ELSE wz08s1_label END AS section,
    wz08s1 AS section_code,
    nationality_from_code(nat) AS nationality,
    sex_from_code(ges) AS sex,
    value AS employees,
    value_flag AS employees_flag,
    source_file,
    line_number
FROM raw.employees_at_workplace_by_sector
WHERE value_variable = 'ERW032'
