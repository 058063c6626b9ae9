/*
description: Every region of every loaded GV100AD edition and of the curated change list, with the time it was valid.
grain: one row per ags and level
sources: staging.municipality_register (all editions), staging.territorial_changes
columns:
  first_edition: Gebietsstand of the first loaded edition that lists the region.
  last_edition: Gebietsstand of the last loaded edition that lists the region.
  valid_from: First day the region exists, from the change list or the day after the last earlier edition without it; NULL when no loaded source says it began.
  valid_to: First day it no longer exists (the change date, or the first later edition without it); NULL while it exists.
  name: Name in the last edition that lists it.
*/
-- GV100AD editions are snapshots: a region that is missing from a later edition stopped existing
-- between the two. The curated change list says when exactly and where it went.
WITH editions AS (
    SELECT DISTINCT territorial_date FROM staging.municipality_register
),
listed AS (
    SELECT
        ags,
        level,
        min(territorial_date) AS first_edition,
        max(territorial_date) AS last_edition,
        arg_max(name, territorial_date) AS name
    FROM staging.municipality_register
    WHERE ags IS NOT NULL
    GROUP BY ags, level
),
from_editions AS (
    SELECT
        l.*,
        (SELECT min(e.territorial_date) FROM editions AS e WHERE e.territorial_date > l.last_edition) AS next_edition_without,
        (SELECT max(e.territorial_date) FROM editions AS e WHERE e.territorial_date < l.first_edition) AS previous_edition_without
    FROM listed AS l
),
changed AS (
    SELECT old_ags AS ags, level, min(change_date) AS change_date
    FROM staging.territorial_changes
    GROUP BY old_ags, level
),
created AS (
    -- only a change that forms a new unit starts one; a merger into an existing unit
    -- (Eisenach into the Wartburgkreis) leaves the receiving unit's start untouched
    SELECT new_ags AS ags, level, min(change_date) AS change_date
    FROM staging.territorial_changes
    WHERE kind = 'formation'
    GROUP BY new_ags, level
)
SELECT
    coalesce(e.ags, c.ags) AS ags,
    coalesce(e.level, c.level) AS level,
    e.name,
    e.first_edition,
    e.last_edition,
    coalesce(n.change_date, e.previous_edition_without + INTERVAL 1 DAY)::DATE AS valid_from,
    coalesce(c.change_date, e.next_edition_without) AS valid_to
FROM from_editions AS e
FULL OUTER JOIN changed AS c ON c.ags = e.ags AND c.level = e.level
LEFT JOIN created AS n ON n.ags = coalesce(e.ags, c.ags) AND n.level = coalesce(e.level, c.level)
