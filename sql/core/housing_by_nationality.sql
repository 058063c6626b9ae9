/*
description: Households by citizenship of the reference person and tenure per Kreis of the target Gebietsstand and year (delivered file; former Kreise re-aggregated).
grain: one row per Kreis, year, nationality and tenure
sources: staging.housing_by_nationality, core.region_crosswalk
columns:
  nationality: total, foreign (foreign reference person).
  tenure: total, owner_occupied.
  households: Households on the target Kreis; NULL when a delivered cell (or one of a merged Kreis's predecessors) is a sign.
  is_reaggregated: true when the target Kreis sums Kreise that existed in the year.
*/
SELECT
    c.target_ags AS ags,
    'kreis' AS level,
    h.period,
    max(h.reference_date) AS reference_date,
    h.nationality,
    h.tenure,
    CASE WHEN bool_or(h.households IS NULL) THEN NULL ELSE sum(h.households * c.weight) END AS households,
    max(h.households_flag) AS households_flag,
    count(DISTINCT h.ags) > 1 AS is_reaggregated
FROM with_city_state_kreise('staging.housing_by_nationality') AS h
JOIN core.region_crosswalk AS c
  ON c.ags = h.ags AND c.level = 'kreis' AND c.target_ags IS NOT NULL
 AND valid_on(fact_day(h.reference_date, h.period), c.valid_from, c.valid_to)
WHERE h.level = 'kreis'
GROUP BY c.target_ags, h.period, h.nationality, h.tenure
