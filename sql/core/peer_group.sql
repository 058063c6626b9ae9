/*
description: Comparison groups (Vergleichsringe) of Kreise on the target Gebietsstand - the default group of each Kreis (same Kreis type, same size class) and the user-defined groups.
grain: one row per group and member Kreis
sources: core.region, staging.peer_groups
columns:
  group_id: default:<type>:<size class>, or the id of a user-defined group.
  is_default: true for the group every Kreis belongs to by type and size.
  kreis_type: kreisfreie_stadt (Textkennzeichen 41, 42; and the city-states) or landkreis (43, 44, 45).
  size_class: under_150k, 150k_to_300k, 300k_and_more (inhabitants in the register edition).
*/
WITH kreise AS (
    SELECT
        ags,
        name,
        population,
        CASE WHEN text_code IN ('41', '42') OR ags IN ('02000000', '11000000') THEN 'kreisfreie_stadt' ELSE 'landkreis' END AS kreis_type,
        CASE
            WHEN population < 150000 THEN 'under_150k'
            WHEN population < 300000 THEN '150k_to_300k'
            ELSE '300k_and_more'
        END AS size_class
    FROM core.region
    WHERE level = 'kreis'
),
default_groups AS (
    SELECT
        'default:' || kreis_type || ':' || size_class AS group_id,
        replace(kreis_type, '_', ' ') || ', ' || replace(size_class, '_', ' ') || ' inhabitants' AS group_name,
        ags,
        true AS is_default,
        kreis_type,
        size_class
    FROM kreise
),
user_groups AS (
    SELECT g.group_id, g.group_name, g.ags, false AS is_default, k.kreis_type, k.size_class
    FROM staging.peer_groups AS g
    JOIN kreise AS k USING (ags)
)
SELECT * FROM default_groups
UNION ALL
SELECT * FROM user_groups
