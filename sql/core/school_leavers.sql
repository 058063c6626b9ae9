/*
description: Leavers of general schools by certificate and nationality, per school year (state office file).
grain: one row per ags, level, school year, certificate and nationality
sources: staging.school_leavers_by_nationality, core.region_crosswalk
columns:
  period: Calendar year in which the school year ends.
  certificate: total, without_hauptschulabschluss, allgemeine_hochschulreife.
  leavers: Persons; NULL when suppressed, never 0.
*/
SELECT
    f.ags, f.level, f.period, f.reference_date, f.certificate, f.nationality,
    f.leavers, f.leavers_flag, f.source_file, f.line_number
FROM with_city_state_kreise('staging.school_leavers_by_nationality') AS f
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = f.ags AND known.level = f.level
   AND valid_on(fact_day(f.reference_date, f.period), known.valid_from, known.valid_to)
