/*
description: Recipients of standard benefits under the Asylbewerberleistungsgesetz on 31.12., by sex.
grain: one row per ags, level, reference date and sex
sources: staging.asylum_seekers_benefits, core.region_crosswalk
columns:
  recipients: Persons; NULL when suppressed, never 0.
*/
SELECT
    f.ags, f.level, f.period, f.reference_date, f.sex,
    f.recipients, f.recipients_flag, f.source_file, f.line_number
FROM with_city_state_kreise('staging.asylum_seekers_benefits') AS f
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = f.ags AND known.level = f.level
   AND valid_on(fact_day(f.reference_date, f.period), known.valid_from, known.valid_to)
