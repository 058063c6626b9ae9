-- Ranking of the Kreise within their Land for one indicator, latest period.
-- Change with `SET VARIABLE land = '05'; SET VARIABLE indicator = 'BIL01';`; default Bayern (09) and ARB06.
-- Rank 1 is the highest value; Kreise without a value (suppressed inputs, see flag) come last without a rank.
WITH latest AS (
    SELECT max(period) AS period
    FROM marts.indicator_value
    WHERE indicator_id = coalesce(getvariable('indicator'), 'ARB06') AND level = 'kreis'
)
SELECT rank() OVER (ORDER BY v.value DESC NULLS LAST) AS rank_in_land,
       count(*) OVER () AS kreise_in_land,
       v.ags,
       r.name,
       v.period,
       round(v.value, 1) AS value,
       v.numerator,
       v.denominator,
       v.flag
FROM marts.indicator_value v
JOIN latest USING (period)
JOIN core.region r ON r.ags = v.ags AND r.level = 'kreis'
WHERE v.indicator_id = coalesce(getvariable('indicator'), 'ARB06')
  AND v.level = 'kreis'
  AND r.land_ags = rpad(coalesce(getvariable('land'), '09'), 8, '0')
ORDER BY rank_in_land, v.ags
