/*
description: Recipients of social minimum income benefits (all benefits together) on 31.12.
grain: one row per ags, level and reference date
sources: staging.minimum_income_recipients, core.region_crosswalk
columns:
  recipients: Persons; NULL when suppressed, never 0.
*/
SELECT
    f.ags, f.level, f.period, f.reference_date,
    f.recipients, f.recipients_flag, f.source_file, f.line_number
FROM with_city_state_kreise('staging.minimum_income_recipients') AS f
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = f.ags AND known.level = f.level
   AND valid_on(fact_day(f.reference_date, f.period), known.valid_from, known.valid_to)
