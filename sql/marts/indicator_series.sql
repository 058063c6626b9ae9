/*
description: Each indicator value with its change against the previous year and five years before, a 3-year moving average from counts for small-count indicators, and the series breaks in between.
grain: one row per indicator, region, level and period
sources: marts.indicator_value, marts.indicator_catalog
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
three_years AS (
    SELECT
        indicator_id,
        ags,
        level,
        period,
        sum(numerator) OVER w AS numerator_3y,
        sum(denominator) OVER w AS denominator_3y,
        count(numerator) OVER w AS numerators_3y,
        count(denominator) OVER w AS denominators_3y
    FROM marts.indicator_value
    WINDOW w AS (PARTITION BY indicator_id, ags, level ORDER BY period RANGE BETWEEN 2 PRECEDING AND CURRENT ROW)
)
SELECT
    v.indicator_id,
    v.ags,
    v.level,
    v.period,
    v.value,
    previous.value AS value_previous_year,
    v.value - previous.value AS change_1y,
    five_before.value AS value_five_years_before,
    v.value - five_before.value AS change_5y,
    CASE
        WHEN v.small_counts AND t.numerators_3y = 3 AND t.denominators_3y = 3 AND t.denominator_3y > 0
            THEN v.scale * t.numerator_3y / t.denominator_3y
    END AS moving_average_3y,
    len(list_filter(v.breaks, b -> b.year > v.period - 1 AND b.year <= v.period)) > 0 AS series_break_1y,
    len(list_filter(v.breaks, b -> b.year > v.period - 5 AND b.year <= v.period)) > 0 AS series_break_5y,
    array_to_string(list_transform(list_filter(v.breaks, b -> b.year > v.period - 5 AND b.year <= v.period),
                                   b -> b.year || ': ' || b.reason), '; ') AS series_break_reasons,
    v.flag,
    v.territorial_date,
    v.is_synthetic
FROM values_with_catalog AS v
LEFT JOIN marts.indicator_value AS previous
    ON previous.indicator_id = v.indicator_id AND previous.ags = v.ags AND previous.level = v.level AND previous.period = v.period - 1
LEFT JOIN marts.indicator_value AS five_before
    ON five_before.indicator_id = v.indicator_id AND five_before.ags = v.ags AND five_before.level = v.level AND five_before.period = v.period - 5
LEFT JOIN three_years AS t
    ON t.indicator_id = v.indicator_id AND t.ags = v.ags AND t.level = v.level AND t.period = v.period
