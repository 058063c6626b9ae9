-- A Kreis against its comparison groups (Vergleichsringe), every indicator and period.
-- Change the Kreis with `SET VARIABLE kreis = '05315';`; default München, 09162.
-- The default group holds the Kreise of the same type (kreisfreie Stadt / Landkreis) and size class (under
-- 150,000 / 150,000 to under 300,000 / 300,000 and more inhabitants), the Kreis included; further groups are
-- defined by the state office. Group value (marts.indicator_comparison): sum of the members' numerators over
-- the sum of their denominators for indicators with counts (peer_method counts), else the median (median).
-- difference: the Kreis minus its group, in the unit of the indicator (percentage points for shares).
SELECT c.indicator_id,
       c.period,
       r.name AS kreis,
       c.group_name,
       c.is_default,
       round(c.value, 1) AS kreis_value,
       round(c.peer_value, 1) AS peer_value,
       round(c.value - c.peer_value, 1) AS difference,
       c.peer_method,
       c.peer_members,
       round(c.land_value, 1) AS land_value,
       round(c.germany_value, 1) AS germany_value
FROM marts.indicator_comparison c
JOIN core.region r ON r.ags = c.ags AND r.level = 'kreis'
WHERE c.ags = rpad(coalesce(getvariable('kreis'), '09162'), 8, '0')
ORDER BY c.indicator_id, c.period, NOT c.is_default, c.group_id
