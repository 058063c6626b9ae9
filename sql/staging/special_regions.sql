/*
description: Curated regions that GENESIS tables carry but the register does not list (Berlin Bezirke).
grain: one row per region
sources: raw.special_regions
*/
SELECT
    ags,
    level,
    name,
    parent_ags,
    parent_level,
    note,
    source,
    source_file,
    line_number
FROM raw.special_regions
