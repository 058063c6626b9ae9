/*
description: Curated territorial changes (sources/curated/territorial_changes.csv), typed.
grain: one row per old key and change
sources: raw.territorial_changes
columns:
  change_date: Day from which the old unit no longer exists.
  population_share: Share of the old unit's population that went to the new one (1.0 for a full merger).
  source: Legal act or publication the row rests on.
*/
SELECT
    CAST(change_date AS DATE) AS change_date,
    level,
    old_ags,
    new_ags,
    CAST(population_share AS DOUBLE) AS population_share,
    kind,
    note,
    source,
    source_file,
    line_number
FROM raw.territorial_changes
