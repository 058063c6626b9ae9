-- Shared tail of every indicator with `aggregate: counts` (see warehouse/models.py).
-- It follows `WITH base AS (<the indicator's SELECT>)`. `base` has one row per Kreis and period:
--   ags, period, reference_date, numerator, denominator, flag (NULL, or a flag the indicator sets:
--   merged_authority_area, reported_with_other_region).
-- Kreis keys of an older territorial status are re-aggregated onto the target Gebietsstand
-- through core.region_crosswalk (counts summed, split units weighted by population share).
-- Land and Germany are sums of the Kreis counts, never averages of ratios. A sum with a
-- suppressed part in it is incomplete: its value and counts are NULL, flagged.
-- With `complete_kreise: true` in the header (tables a county or the state office delivers),
-- every Kreis of the register gets a row for each delivered period; a Kreis missing from the
-- delivery is `not_delivered` and makes its Land and Germany incomplete.
, on_target AS (
    SELECT
        crosswalk.target_ags AS ags,
        base.period,
        max(base.reference_date) AS reference_date,
        sum(base.numerator * crosswalk.weight) AS numerator,
        sum(base.denominator * crosswalk.weight) AS denominator,
        bool_or(base.numerator IS NULL) AS numerator_missing,
        bool_or(base.denominator IS NULL) AS denominator_missing,
        max(base.flag) AS preset_flag,
        count(DISTINCT base.ags) > 1 AS is_reaggregated
    FROM base
    JOIN core.region_crosswalk AS crosswalk
      ON crosswalk.ags = base.ags AND crosswalk.level = 'kreis' AND crosswalk.target_ags IS NOT NULL
     AND valid_on(fact_day(base.reference_date, base.period), crosswalk.valid_from, crosswalk.valid_to)
    GROUP BY crosswalk.target_ags, base.period
),
delivered AS (
    SELECT * FROM on_target
    UNION ALL
    SELECT region.ags, periods.period, make_date(periods.period, 12, 31), NULL, NULL, true, true, 'not_delivered', false
    FROM core.region AS region
    CROSS JOIN (SELECT DISTINCT period FROM on_target) AS periods
    WHERE {{ complete_kreise }} AND region.level = 'kreis'
      AND NOT EXISTS (SELECT 1 FROM on_target AS t WHERE t.ags = region.ags AND t.period = periods.period)
),
kreis AS (
    SELECT ags, 'kreis' AS level, period, reference_date,
           CASE WHEN numerator_missing THEN NULL ELSE numerator END AS numerator,
           CASE WHEN denominator_missing THEN NULL ELSE denominator END AS denominator,
           CASE
               WHEN preset_flag IS NOT NULL AND preset_flag NOT IN ('merged_authority_area', 'reaggregated_from_former_kreise')
                   THEN preset_flag
               WHEN numerator_missing THEN 'numerator_suppressed'
               WHEN denominator_missing THEN 'denominator_suppressed'
               WHEN is_reaggregated THEN 'reaggregated_from_former_kreise'
               ELSE preset_flag
           END AS flag
    FROM delivered
),
sums AS (
    SELECT
        CASE WHEN grouping(land_ags) = 0 THEN land_ags ELSE '00000000' END AS ags,
        CASE WHEN grouping(land_ags) = 0 THEN 'land' ELSE 'deutschland' END AS level,
        period,
        max(reference_date) AS reference_date,
        sum(numerator) AS numerator,
        sum(denominator) AS denominator,
        bool_or(flag IN ('numerator_suppressed', 'denominator_suppressed', 'not_delivered')) AS is_incomplete
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
        WHEN flag IS NOT NULL AND flag NOT IN ('merged_authority_area', 'reaggregated_from_former_kreise') THEN NULL
        WHEN denominator < getvariable('min_denominator') THEN NULL
        ELSE {{ scale }} * numerator / denominator
    END AS value,
    numerator, denominator,
    CASE
        WHEN flag IS NOT NULL AND flag NOT IN ('merged_authority_area', 'reaggregated_from_former_kreise') THEN flag
        WHEN denominator < getvariable('min_denominator') THEN 'denominator_below_minimum'
        ELSE flag
    END AS flag
FROM all_levels
