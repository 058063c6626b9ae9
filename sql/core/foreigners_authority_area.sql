/*
description: The area of the foreigners' authority under which the Ausländerzentralregister (AZR) reports each Kreis.
grain: one row per Kreis of the register
sources: core.region; Destatis footnotes to the AZR Kreis tables 12521/12531
columns:
  reporting_ags: Kreis under whose key the AZR publishes this Kreis's foreigners.
  is_merged: true when the authority area covers more than one Kreis.
*/
-- AZR figures follow the responsible Ausländerbehörde, not the Kreis: Kassel Stadt (06611) and
-- Landkreis (06633) are shown together under 06611; all of Saarland under Saarlouis (10044),
-- because one authority serves the whole Land; Cottbus (12052) and Spree-Neiße (12071) together
-- under 12052 from 2013. Indicators on AZR counts are computed on these areas.
WITH kreise AS (
    SELECT ags FROM core.region WHERE level = 'kreis'
),
assigned AS (
    SELECT
        ags AS kreis_ags,
        CASE
            WHEN ags = '06633000' THEN '06611000'
            WHEN ags LIKE '10%' THEN '10044000'
            WHEN ags = '12071000' THEN '12052000'
            ELSE ags
        END AS reporting_ags
    FROM kreise
)
SELECT
    kreis_ags,
    reporting_ags,
    count(*) OVER (PARTITION BY reporting_ags) > 1 AS is_merged
FROM assigned
