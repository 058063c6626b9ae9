/*
description: Each indicator value with its change against the previous year and five years before, a 3-year moving average from counts for small-count indicators, and the series breaks in between.
grain: one row per indicator, region, level and period
sources: marts.indicator_value, marts.indicator_catalog
incremental_by: indicator_id  # the rows of one indicator rest on its values alone: an incremental build replaces only the rows of the indicators it rebuilt
columns:
  change_1y: value minus the value of the previous year, in the unit of the indicator (percentage points for pct).
  change_5y: value minus the value five years before.
  value_previous_year: Value of the same indicator and region in the previous year.
  value_five_years_before: Value of the same indicator and region five years before.
  moving_average_3y: scale · numerators / denominators summed over this and the two previous years (small-count indicators only; NULL unless all three years have counts).
  series_break_1y: a declared series break (Zensus re-basing, table split, change of law) lies between the previous year and this one.
  series_break_5y: a declared series break lies within the five years compared.
  series_break_reasons: the reasons of the breaks within the five years.
*/
WITH values_with_catalog AS (
    SELECT
        v.*,
        c.scale,
        c.small_counts,
        from_json(c.series_breaks, '[{"year": "INTEGER", "reason": "VARCHAR"}]') AS breaks
    FROM marts.indicator_value AS v
    JOIN marts.indicator_catalog AS c USING (indicator_id)
),
-- one sorted pass per region series instead of three self-joins: a RANGE frame of exactly one period
-- finds the value of period - 1 (or - 5), NULL when that year is missing, as the joins did
with_earlier_years AS (
    SELECT
        *,
        first_value(value) OVER (series RANGE BETWEEN 1 PRECEDING AND 1 PRECEDING) AS value_previous_year,
        first_value(value) OVER (series RANGE BETWEEN 5 PRECEDING AND 5 PRECEDING) AS value_five_years_before,
        sum(numerator) OVER (series RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS numerator_3y,
        sum(denominator) OVER (series RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS denominator_3y,
        count(numerator) OVER (series RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS numerators_3y,
        count(denominator) OVER (series RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS denominators_3y
    FROM values_with_catalog
    WINDOW series AS (PARTITION BY indicator_id, ags, level ORDER BY period)
)
SELECT
    indicator_id,
    ags,
    level,
    period,
    value,
    value_previous_year,
    value - value_previous_year AS change_1y,
    value_five_years_before,
    value - value_five_years_before AS change_5y,
    CASE
        WHEN small_counts AND numerators_3y = 3 AND denominators_3y = 3 AND denominator_3y > 0
            THEN scale * numerator_3y / denominator_3y
    END AS moving_average_3y,
    len(list_filter(breaks, b -> b.year > period - 1 AND b.year <= period)) > 0 AS series_break_1y,
    len(list_filter(breaks, b -> b.year > period - 5 AND b.year <= period)) > 0 AS series_break_5y,
    array_to_string(list_transform(list_filter(breaks, b -> b.year > period - 5 AND b.year <= period),
                                   b -> b.year || ': ' || b.reason), '; ') AS series_break_reasons,
    flag,
    territorial_date,
    is_synthetic
FROM with_earlier_years
