/*
description: Children examined at school entry and those with a need for language support, by nationality, per Kreis of the target Gebietsstand and examination year (delivered file; former Kreise re-aggregated).
grain: one row per Kreis, year, nationality and language support group
sources: staging.school_entry_examinations, core.region_crosswalk
columns:
  nationality: total, foreign.
  language_support: total (all examined children), with_need.
  children: Children on the target Kreis; NULL when a delivered cell (or one of a merged Kreis's predecessors) is a sign.
  is_reaggregated: true when the target Kreis sums Kreise that existed in the year.
*/
SELECT
    c.target_ags AS ags,
    'kreis' AS level,
    s.period,
    max(s.reference_date) AS reference_date,
    s.nationality,
    s.language_support,
    CASE WHEN bool_or(s.children IS NULL) THEN NULL ELSE sum(s.children * c.weight) END AS children,
    max(s.children_flag) AS children_flag,
    count(DISTINCT s.ags) > 1 AS is_reaggregated
FROM with_city_state_kreise('staging.school_entry_examinations') AS s
JOIN core.region_crosswalk AS c
  ON c.ags = s.ags AND c.level = 'kreis' AND c.target_ags IS NOT NULL
 AND valid_on(fact_day(s.reference_date, s.period), c.valid_from, c.valid_to)
WHERE s.level = 'kreis'
GROUP BY c.target_ags, s.period, s.nationality, s.language_support
