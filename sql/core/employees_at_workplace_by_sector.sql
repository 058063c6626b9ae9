/*
description: Employees subject to social insurance at their place of work on 30.06., by economic section (WZ 2008), nationality and sex, for the regions valid on the reference date.
grain: one row per ags, level, reference date, economic section, nationality and sex
sources: staging.employees_at_workplace_by_sector, core.region_crosswalk
columns:
  ags: Region key, 8 characters (Kreis 01001000, Land 01000000, Germany 00000000).
  level: deutschland, land, kreis or gemeinde (8-digit city keys of the Kreis list).
  period: Year of the reference date.
  reference_date: Reference date (30.06.).
  section: WZ 2008 section or group of sections as labelled in the file; 'total' for all sections ("Insgesamt").
  section_code: Attribute code of the section (placeholder `label:…`); NULL for the total.
  nationality: total or foreign.
  sex: total, male, female.
  employees: Employees (Arbeitsort); NULL when secret or not published, never 0.
  employees_flag: GENESIS special sign of a missing value ('.' secret, '-' none).
  source_file: Landed raw file the row comes from.
  line_number: Line of the row in that file.
*/
SELECT
    e.ags,
    e.level,
    e.period,
    e.reference_date,
    e.section,
    e.section_code,
    e.nationality,
    e.sex,
    e.employees,
    e.employees_flag,
    e.source_file,
    e.line_number
FROM with_city_state_kreise('staging.employees_at_workplace_by_sector') AS e
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later);
-- Göttingen (03152) and Osterode (03156) carry '-' after 01.11.2016 and drop out here
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = e.ags AND known.level = e.level
   AND valid_on(fact_day(e.reference_date, e.period), known.valid_from, known.valid_to)
