/*
description: Live births in a calendar year by nationality of the child (all sexes, all ages of the mother), for the regions of the register; foreign births derived as total − German where the table has no foreign column.
grain: one row per ags, level, year and nationality (total, german, foreign)
sources: staging.births_by_nationality, core.region_crosswalk
columns:
  nationality: total, german, foreign. Nationality of the child - since 2000 children of foreign parents are often German (ius soli).
  births: Live births; NULL when suppressed (a derived foreign row is NULL when the total or the German count is), never 0.
  births_flag: GENESIS special sign of the (first) suppressed input.
  is_derived: true when the foreign count is total − German rather than a published cell.
*/
-- 12612-02-01-4 publishes the nationality columns Insgesamt and Deutsche (datenguide download 2015):
-- foreign = total − German. Where a published NATA cell exists it is used as it is.
WITH births AS (
    SELECT b.*
    FROM with_city_state_kreise('staging.births_by_nationality') AS b
    SEMI JOIN core.region_crosswalk AS known
        ON known.ags = b.ags AND known.level = b.level
       AND valid_on(fact_day(b.reference_date, b.period), known.valid_from, known.valid_to)
    WHERE b.sex = 'total' AND b.mother_age_group = 'total'
),
derived_foreign AS (
    SELECT
        t.ags,
        t.level,
        t.period,
        t.reference_date,
        'foreign' AS nationality,
        t.births - g.births AS births,
        CASE WHEN t.births IS NULL THEN t.births_flag WHEN g.births IS NULL THEN g.births_flag END AS births_flag,
        true AS is_derived,
        t.source_file,
        t.line_number
    FROM births AS t
    JOIN births AS g
      ON g.ags = t.ags AND g.level = t.level AND g.period = t.period AND g.nationality = 'german'
    WHERE t.nationality = 'total'
      AND NOT EXISTS (
          SELECT 1 FROM births AS f
          WHERE f.ags = t.ags AND f.level = t.level AND f.period = t.period AND f.nationality = 'foreign'
      )
)
SELECT ags, level, period, reference_date, nationality, births, births_flag, false AS is_derived, source_file, line_number
FROM births
UNION ALL
SELECT ags, level, period, reference_date, nationality, births, births_flag, is_derived, source_file, line_number
FROM derived_foreign
