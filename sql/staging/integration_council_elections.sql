/*
description: Elections of the Integrationsrat / Ausländerbeirat and council members by immigration history, per Gemeinde and election year, as a Gemeinde or the state office delivered them (declared county file).
grain: one row per Gemeinde key, election year, measure and group
sources: raw.integration_council_elections (county_file integrationsrat-wahlen, layout declared in sources/tables.d/participation_housing_health.yaml)
columns:
  measure: eligible_voters (IRWB) and voters (IRWA) of the integration council election; council_members (RATM) of the Gemeinderat.
  member_group: For council_members, total or with_immigration_history (EG); total for the election counts.
  persons: Persons; NULL where the file shows a sign ('-' where a Gemeinde has no such body).
*/
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE value_variable WHEN 'IRWB' THEN 'eligible_voters' WHEN 'IRWA' THEN 'voters' WHEN 'RATM' THEN 'council_members' END AS measure,
    CASE WHEN eg = 'EG' THEN 'with_immigration_history' ELSE coalesce(eg, 'total') END AS member_group,
    value AS persons,
    value_flag AS persons_flag,
    source_file,
    line_number
FROM raw.integration_council_elections
WHERE value_variable IN ('IRWB', 'IRWA', 'RATM')
