-- Shared tail of every indicator with `aggregate: counts` (see warehouse/models.py).
-- It follows `WITH base AS (<the indicator's SELECT>)`. `base` has one row per Kreis and period:
--   ags, period, reference_date, numerator, denominator, flag (NULL, or a flag the indicator sets:
--   merged_authority_area, reported_with_other_region).
-- Land and Germany are sums of the Kreis counts, never averages of ratios. A Land or Germany sum
-- with a suppressed Kreis in it is incomplete: its value and counts are NULL, flagged.
, kreis AS (
    SELECT ags, 'kreis' AS level, period, reference_date, numerator, denominator,
           CASE
               WHEN flag IS NOT NULL AND flag <> 'merged_authority_area' THEN flag
               WHEN numerator IS NULL THEN 'numerator_suppressed'
               WHEN denominator IS NULL THEN 'denominator_suppressed'
               ELSE flag
           END AS flag
    FROM base
),
sums AS (
    SELECT
        CASE WHEN grouping(land_ags) = 0 THEN land_ags ELSE '00000000' END AS ags,
        CASE WHEN grouping(land_ags) = 0 THEN 'land' ELSE 'deutschland' END AS level,
        period,
        max(reference_date) AS reference_date,
        sum(numerator) AS numerator,
        sum(denominator) AS denominator,
        bool_or(flag IN ('numerator_suppressed', 'denominator_suppressed')) AS is_incomplete
    FROM (SELECT *, left(ags, 2) || '000000' AS land_ags FROM kreis)
    GROUP BY GROUPING SETS ((period, land_ags), (period))
),
all_levels AS (
    SELECT ags, level, period, reference_date, numerator, denominator, flag FROM kreis
    UNION ALL
    SELECT ags, level, period, reference_date,
           CASE WHEN is_incomplete THEN NULL ELSE numerator END,
           CASE WHEN is_incomplete THEN NULL ELSE denominator END,
           CASE WHEN is_incomplete THEN 'incomplete_aggregate' END
    FROM sums
)
SELECT
    ags, level, period, reference_date,
    CASE
        WHEN flag IS NOT NULL AND flag <> 'merged_authority_area' THEN NULL
        WHEN denominator < getvariable('min_denominator') THEN NULL
        ELSE {{ scale }} * numerator / denominator
    END AS value,
    numerator, denominator,
    CASE
        WHEN flag IS NOT NULL AND flag <> 'merged_authority_area' THEN flag
        WHEN denominator < getvariable('min_denominator') THEN 'denominator_below_minimum'
        ELSE flag
    END AS flag
FROM all_levels
