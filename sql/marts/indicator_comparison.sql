/*
description: Each Kreis value next to its Land, Germany and each of its comparison groups (Vergleichsring); the group value comes from counts where the indicator has them.
grain: one row per indicator, Kreis, period and comparison group
sources: marts.indicator_value, marts.indicator_catalog, core.peer_group
incremental_by: indicator_id  # the rows of one indicator rest on its values alone: an incremental build replaces only the rows of the indicators it rebuilt
columns:
  peer_value: For indicators with counts, scale · sum of the members' numerators / sum of their denominators (every member's counts must be there); otherwise the median of the members' values.
  peer_method: counts or median.
  peer_members: Kreise in the group with a value for the period.
  land_value: Value of the indicator for the Land of the Kreis, same period.
  germany_value: Value of the indicator for Germany, same period.
*/
WITH kreis AS (
    SELECT * FROM marts.indicator_value WHERE level = 'kreis'
),
catalog AS (
    SELECT indicator_id, scale, aggregate FROM marts.indicator_catalog
),
group_values AS (
    SELECT
        p.group_id,
        k.indicator_id,
        k.period,
        any_value(c.aggregate) AS aggregate,
        CASE
            WHEN bool_and(k.numerator IS NOT NULL AND k.denominator IS NOT NULL) AND sum(k.denominator) > 0
                THEN any_value(c.scale) * sum(k.numerator) / sum(k.denominator)
        END AS from_counts,
        median(k.value) AS median_value,
        count(k.value) AS members
    FROM kreis AS k
    JOIN core.peer_group AS p USING (ags)
    JOIN catalog AS c USING (indicator_id)
    GROUP BY p.group_id, k.indicator_id, k.period
)
SELECT
    k.indicator_id,
    k.ags,
    k.period,
    k.value,
    land.value AS land_value,
    germany.value AS germany_value,
    p.group_id,
    p.group_name,
    p.is_default,
    CASE WHEN g.aggregate = 'counts' THEN g.from_counts ELSE g.median_value END AS peer_value,
    CASE WHEN g.aggregate = 'counts' THEN 'counts' ELSE 'median' END AS peer_method,
    g.members AS peer_members,
    k.flag,
    k.territorial_date,
    k.is_synthetic
FROM kreis AS k
JOIN core.peer_group AS p USING (ags)
LEFT JOIN group_values AS g ON g.group_id = p.group_id AND g.indicator_id = k.indicator_id AND g.period = k.period
LEFT JOIN marts.indicator_value AS land
    ON land.indicator_id = k.indicator_id AND land.period = k.period AND land.level = 'land' AND land.ags = left(k.ags, 2) || '000000'
LEFT JOIN marts.indicator_value AS germany
    ON germany.indicator_id = k.indicator_id AND germany.period = k.period AND germany.level = 'deutschland'
