/*
description: Protection seekers (AZR) on 31.12. by protection status group, per Kreis, on the areas of the foreigners' authorities.
grain: one row per Kreis, reference date and status group (total, open, recognised, rejected)
sources: staging.protection_seekers, core.foreigners_authority_area, core.population
columns:
  status_group: total, open (offen), recognised (anerkannt), rejected (abgelehnt / ohne Schutzstatus).
  protection_seekers: Persons in the authority area; NULL for a Kreis reported under another Kreis.
  all_protection_seekers: Protection seekers of all status groups in the area (denominator for status shares).
  area_population: Population of the whole authority area on the same date (denominator for rates).
  authority_area_flag: merged_authority_area for the reporting Kreis of a merged area, reported_with_other_region for the others.
*/
-- SCHST2 is hierarchical: SCHUTZST-AK-1 (anerkannt) = AK-2 (befristet) + AK-5 (unbefristet), and
-- AK-2 = AK-3 + AK-4; SCHUTZST-X (ohne Schutzstatus) contains the AUSRPFL-* subgroups. The three
-- top categories OF + AK-1 + X count every person once; the file has no total row. Cells are
-- rounded to multiples of 5, so sums over citizenships carry rounding differences.
-- 12531-0043 is fetched with compress=true, which drops the cells shown as '-' (nothing). For
-- an authority area that is in the table, a missing status group therefore means no persons:
-- here, and only here, an absent cell is a 0.
-- Keys of Kreise that no longer exist are their own area (core.foreigners_authority_area), kept as
-- they are and re-aggregated onto the target Gebietsstand by the indicators.
WITH top_categories AS (
    SELECT
        ags AS reporting_ags,
        period,
        reference_date,
        CASE protection_status
            WHEN 'SCHUTZST-OF' THEN 'open'
            WHEN 'SCHUTZST-AK-1' THEN 'recognised'
            WHEN 'SCHUTZST-X' THEN 'rejected'
        END AS status_group,
        protection_seekers,
        protection_seekers_flag
    FROM staging.protection_seekers
    WHERE level = 'kreis'
      AND protection_status IN ('SCHUTZST-OF', 'SCHUTZST-AK-1', 'SCHUTZST-X')
),
published_groups AS (
    SELECT
        reporting_ags,
        period,
        reference_date,
        coalesce(status_group, 'total') AS status_group,
        -- a suppressed cell makes the sum unknown, not smaller
        CASE WHEN bool_or(protection_seekers IS NULL) THEN NULL ELSE sum(protection_seekers) END AS protection_seekers
    FROM top_categories
    GROUP BY GROUPING SETS ((reporting_ags, period, reference_date, status_group), (reporting_ags, period, reference_date))
),
by_group AS (
    SELECT
        areas.reporting_ags,
        areas.period,
        areas.reference_date,
        groups.status_group,
        coalesce(published.protection_seekers, 0) AS protection_seekers
    FROM (SELECT DISTINCT reporting_ags, period, reference_date FROM published_groups) AS areas
    CROSS JOIN (VALUES ('total'), ('open'), ('recognised'), ('rejected')) AS groups (status_group)
    LEFT JOIN published_groups AS published USING (reporting_ags, period, reference_date, status_group)
),
area_population AS (
    SELECT
        a.reporting_ags,
        p.reference_date,
        CASE WHEN bool_or(p.population IS NULL) THEN NULL ELSE sum(p.population) END AS area_population
    FROM core.population AS p
    JOIN core.foreigners_authority_area AS a ON a.kreis_ags = p.ags AND a.period = p.period
    WHERE p.level = 'kreis' AND p.sex = 'total'
    GROUP BY a.reporting_ags, p.reference_date
)
SELECT
    a.kreis_ags AS ags,
    g.period,
    g.reference_date,
    g.status_group,
    CASE WHEN a.kreis_ags = a.reporting_ags THEN g.protection_seekers END AS protection_seekers,
    CASE WHEN a.kreis_ags = a.reporting_ags THEN t.protection_seekers END AS all_protection_seekers,
    CASE WHEN a.kreis_ags = a.reporting_ags THEN pop.area_population END AS area_population,
    CASE
        WHEN a.kreis_ags <> a.reporting_ags THEN 'reported_with_other_region'
        WHEN a.is_merged THEN 'merged_authority_area'
    END AS authority_area_flag
FROM core.foreigners_authority_area AS a
JOIN by_group AS g ON g.reporting_ags = a.reporting_ags AND g.period = a.period
JOIN by_group AS t
    ON t.reporting_ags = g.reporting_ags AND t.reference_date = g.reference_date AND t.status_group = 'total'
LEFT JOIN area_population AS pop ON pop.reporting_ags = a.reporting_ags AND pop.reference_date = g.reference_date
