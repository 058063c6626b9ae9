/*
description: Persons entitled to standard benefits under SGB II (Regelleistungsberechtigte) on 31.12., total, foreigners and women.
grain: one row per ags, level, reference date and person group
sources: staging.sgb2_beneficiaries, core.region_crosswalk
columns:
  person_group: total, foreign, female (foreign and female are parts of total).
  beneficiaries: Persons; NULL when suppressed, never 0.
*/
SELECT
    f.ags, f.level, f.period, f.reference_date, f.person_group,
    f.beneficiaries, f.beneficiaries_flag, f.source_file, f.line_number
FROM with_city_state_kreise('staging.sgb2_beneficiaries') AS f
-- keys valid on the fact's day, current or historical (re-aggregated to the target Gebietsstand later)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = f.ags AND known.level = f.level
   AND valid_on(fact_day(f.reference_date, f.period), known.valid_from, known.valid_to)
