/*
description: Regions of the target Gebietsstand whose area on some days was not today's area. A figure published for such a key on such a day describes another area (Eisenach joined the Wartburgkreis 16063 on 2021-07-01), so a published rate or share cannot stand for the region; counts are re-aggregated through core.region_crosswalk instead.
grain: one row per ags, level and other key (the key that joined or left it)
sources: core.region_crosswalk, core.region
columns:
  ags: Region of the target Gebietsstand (core.region) whose area changed.
  other_ags: The key that went into this region, or the region's own key when part of its area went to another region.
  valid_from: "First day of the interval in which the region's area differed from today's (NULL: open)."
  valid_to: "First day on which the region's area is today's again (NULL: open)."
*/
-- A crosswalk row that is not an identity (its key's counts go to another target) touches two
-- regions: the target, which received counts, and the key itself when it is still a region of the
-- target Gebietsstand, which gave some away (a split). Both had another area while the key was valid.
WITH moved AS (
    SELECT ags, level, target_ags, valid_from, valid_to
    FROM core.region_crosswalk
    WHERE target_ags IS NOT NULL AND ags <> target_ags
)
SELECT DISTINCT
    region.ags,
    region.level,
    CASE WHEN region.ags = moved.target_ags THEN moved.ags ELSE moved.target_ags END AS other_ags,
    moved.valid_from,
    moved.valid_to
FROM moved
JOIN core.region AS region
    ON region.level = moved.level AND region.ags IN (moved.target_ags, moved.ags)
