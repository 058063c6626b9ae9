-- A county's indicators over time, next to its Land and Germany.
-- Change the Kreis with `SET VARIABLE kreis = '05315';` first (DuckDB CLI, Python, R); default München, 09162.
-- Columns: indicator, name, unit, period, the Kreis, its Land, Germany, and why a value is missing (flag).
WITH kreis AS (
    SELECT ags, land_ags, name
    FROM core.region
    WHERE level = 'kreis' AND ags = rpad(coalesce(getvariable('kreis'), '09162'), 8, '0')
)
SELECT v.indicator_id,
       c.name_en,
       c.unit,
       v.period,
       k.name AS kreis,
       round(v.value, 1) AS kreis_value,
       round(land.value, 1) AS land_value,
       round(germany.value, 1) AS germany_value,
       v.flag
FROM kreis k
JOIN marts.indicator_value v ON v.ags = k.ags AND v.level = 'kreis'
JOIN marts.indicator_catalog c USING (indicator_id)
LEFT JOIN marts.indicator_value land
       ON land.indicator_id = v.indicator_id AND land.period = v.period AND land.level = 'land' AND land.ags = k.land_ags
LEFT JOIN marts.indicator_value germany
       ON germany.indicator_id = v.indicator_id AND germany.period = v.period AND germany.level = 'deutschland'
ORDER BY v.indicator_id, v.period
