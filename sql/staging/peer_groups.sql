/*
description: User-defined comparison groups of Kreise (sources/curated/peer_groups.csv).
grain: one row per group and member Kreis
sources: raw.peer_groups
*/
SELECT
    group_id,
    group_name,
    ags,
    note,
    source,
    source_file,
    line_number
FROM raw.peer_groups
