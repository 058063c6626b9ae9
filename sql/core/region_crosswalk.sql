/*
description: From every regional key, current or historical, to the region of the target Gebietsstand that covers it.
grain: one row per historical ags, level and target ags
sources: core.region_history, core.region, staging.territorial_changes
columns:
  ags: A key as data carries it (valid between valid_from and valid_to).
  target_ags: The region of the target Gebietsstand (core.region) its counts belong to; NULL when no source says where it went.
  weight: Share of the key's counts that goes to target_ags (population share for a split; 1.0 otherwise).
  via: identity, change_list (chained changes), or unresolved.
*/
-- Counts on an older territorial status are re-aggregated onto the target Gebietsstand through
-- this table: a merged Kreis gets the sum of its predecessors, a split one the population-weighted
-- share. Changes after the target date do not apply.
WITH RECURSIVE target AS (
    SELECT ags, level FROM core.region
),
changes AS (
    SELECT * FROM staging.territorial_changes
    WHERE change_date <= (SELECT max(territorial_date) FROM core.region)
),
chain AS (
    SELECT old_ags AS ags, level, new_ags AS reached, CAST(population_share AS DOUBLE) AS weight, 1 AS steps
    FROM changes
    UNION ALL
    SELECT chain.ags, chain.level, next.new_ags, chain.weight * next.population_share, chain.steps + 1
    FROM chain
    JOIN changes AS next ON next.old_ags = chain.reached AND next.level = chain.level
    WHERE chain.steps < 20
),
resolved AS (
    SELECT chain.ags, chain.level, chain.reached AS target_ags, sum(chain.weight) AS weight, 'change_list' AS via
    FROM chain
    SEMI JOIN target ON target.ags = chain.reached AND target.level = chain.level
    GROUP BY ALL
),
known AS (
    SELECT h.ags, h.level, h.valid_from, h.valid_to FROM core.region_history AS h
    UNION ALL
    -- Germany and the curated special regions are in no register edition
    SELECT r.ags, r.level, NULL, NULL FROM core.region AS r
    WHERE NOT EXISTS (SELECT 1 FROM core.region_history AS h WHERE h.ags = r.ags AND h.level = r.level)
)
SELECT k.ags, k.level, k.valid_from, k.valid_to, k.ags AS target_ags, CAST(1 AS DOUBLE) AS weight, 'identity' AS via
FROM known AS k
SEMI JOIN target AS t ON t.ags = k.ags AND t.level = k.level
WHERE NOT EXISTS (SELECT 1 FROM resolved AS r WHERE r.ags = k.ags AND r.level = k.level)
UNION ALL
SELECT r.ags, r.level, k.valid_from, k.valid_to, r.target_ags, r.weight, r.via
FROM resolved AS r
LEFT JOIN known AS k ON k.ags = r.ags AND k.level = r.level
UNION ALL
SELECT k.ags, k.level, k.valid_from, k.valid_to, NULL, CAST(NULL AS DOUBLE), 'unresolved'
FROM known AS k
WHERE NOT EXISTS (SELECT 1 FROM target AS t WHERE t.ags = k.ags AND t.level = k.level)
  AND NOT EXISTS (SELECT 1 FROM resolved AS r WHERE r.ags = k.ags AND r.level = k.level)
