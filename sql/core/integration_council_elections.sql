/*
description: Integration council elections and council members by immigration history per Gemeinde of the target Gebietsstand and election year (delivered files; Gemeinden merged since are summed).
grain: one row per Gemeinde, election year, measure and member group
sources: staging.integration_council_elections, core.region_crosswalk
columns:
  measure: eligible_voters, voters (integration council election), council_members (Gemeinderat).
  member_group: total, with_immigration_history (council_members only).
  persons: Persons on the target Gemeinde; NULL when a delivered cell (or one of a merged Gemeinde's predecessors) is a sign.
  is_reaggregated: true when the Gemeinde of the target Gebietsstand sums Gemeinden that existed at the election.
*/
-- Gemeinde keys as valid at the end of the election year are carried onto the Gemeinden of the target
-- Gebietsstand (counts summed; a split Gemeinde's counts weighted by population share).
SELECT
    c.target_ags AS ags,
    'gemeinde' AS level,
    e.period,
    max(e.reference_date) AS reference_date,
    e.measure,
    e.member_group,
    CASE WHEN bool_or(e.persons IS NULL) THEN NULL ELSE sum(e.persons * c.weight) END AS persons,
    max(e.persons_flag) AS persons_flag,
    count(DISTINCT e.ags) > 1 AS is_reaggregated
FROM staging.integration_council_elections AS e
JOIN core.region_crosswalk AS c
  ON c.ags = e.ags AND c.level = 'gemeinde' AND c.target_ags IS NOT NULL
 AND valid_on(fact_day(e.reference_date, e.period), c.valid_from, c.valid_to)
WHERE e.level = 'gemeinde'
GROUP BY c.target_ags, e.period, e.measure, e.member_group
