/* The peer value of every Kreis, indicator and period (ready to become a model, e.g. marts.peer_value).
   Needs `peer_groups` (peer_groups.sql) in scope. A Kreis is compared with the OTHER Kreise of its group.
   peer_method sum_of_counts: sum of the peers' numerators / sum of their denominators × the catalogue scale,
     used when the indicator has a scale and every peer with a value has both counts;
   peer_method median_of_values: the median of the peers' values otherwise (published rates, differences).
   Columns: ags, peer_group, indicator_id, period, peer_value, peer_method, peers_with_value, peers. */
WITH pairs AS (
    SELECT k.ags, k.peer_group, p.ags AS peer_ags
    FROM peer_groups k JOIN peer_groups p ON p.peer_group = k.peer_group AND p.ags <> k.ags
),
group_size AS (
    SELECT ags, count(*) AS peers FROM pairs GROUP BY ags
),
by_period AS (
    SELECT pairs.ags, pairs.peer_group, v.indicator_id, v.period,
           sum(v.numerator) AS numerator,
           sum(v.denominator) AS denominator,
           count(*) FILTER (WHERE v.numerator IS NULL OR v.denominator IS NULL) AS peers_without_counts,
           median(v.value) AS median_value,
           count(*) AS peers_with_value
    FROM pairs
    JOIN marts.indicator_value v ON v.ags = pairs.peer_ags AND v.level = 'kreis' AND v.value IS NOT NULL
    GROUP BY ALL
)
SELECT b.ags, b.peer_group, b.indicator_id, b.period,
       CASE WHEN c.scale IS NOT NULL AND b.peers_without_counts = 0 AND b.denominator > 0
            THEN b.numerator / b.denominator * c.scale ELSE b.median_value END AS peer_value,
       CASE WHEN c.scale IS NOT NULL AND b.peers_without_counts = 0 AND b.denominator > 0
            THEN 'sum_of_counts' ELSE 'median_of_values' END AS peer_method,
       b.peers_with_value,
       g.peers
FROM by_period b
JOIN marts.indicator_catalog c USING (indicator_id)
JOIN group_size g USING (ags)
