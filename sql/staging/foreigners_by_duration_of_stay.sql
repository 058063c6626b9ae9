/*
description: Foreigners in the Ausländerzentralregister on 31.12. by duration of stay in Germany and sex, as delivered (on the areas of the foreigners' authorities).
grain: one row per Kreis key, reference date, duration group and sex
sources: raw.foreigners_by_duration_of_stay (GENESIS-Online 12521-0043, code unverified; Ausländerstatistik / AZR)
columns:
  duration_group: total, or the attribute code of the duration group.
  duration_from_years: Lower bound of the duration of stay in years (inclusive); 0 for the total.
  duration_to_years: Upper bound in years (exclusive); NULL for the open top group and the total.
  foreigners: Persons, rounded to multiples of 5 by Destatis; NULL when suppressed.
*/
-- The attribute codes are placeholders (sources/tables.d/demography.yaml): only this mapping
-- changes when the real codes are known.
WITH bounds (code, duration_from_years, duration_to_years) AS (
    VALUES
        ('label:unter-1-jahr', 0, 1),
        ('label:1-bis-unter-4-jahre', 1, 4),
        ('label:4-bis-unter-6-jahre', 4, 6),
        ('label:6-bis-unter-8-jahre', 6, 8),
        ('label:8-bis-unter-10-jahre', 8, 10),
        ('label:10-bis-unter-15-jahre', 10, 15),
        ('label:15-bis-unter-20-jahre', 15, 20),
        ('label:20-bis-unter-25-jahre', 20, 25),
        ('label:25-bis-unter-30-jahre', 25, 30),
        ('label:30-jahre-und-mehr', 30, NULL)
)
SELECT
    ags_from_key(r.region_variable, r.region_key) AS ags,
    level_from_key(r.region_variable, r.region_key) AS level,
    r.region_key,
    r.region_label,
    period_from_time(r.reference_time) AS period,
    date_from_time(r.reference_time) AS reference_date,
    coalesce(r.aufda2, 'total') AS duration_group,
    r.aufda2_label AS duration_group_label,
    CASE WHEN r.aufda2 IS NULL THEN 0 ELSE b.duration_from_years END AS duration_from_years,
    CAST(b.duration_to_years AS INTEGER) AS duration_to_years,
    sex_from_code(r.ges) AS sex,
    r.value AS foreigners,
    r.value_flag AS foreigners_flag,
    r.source_file,
    r.line_number
FROM raw.foreigners_by_duration_of_stay AS r
LEFT JOIN bounds AS b ON b.code = r.aufda2
WHERE r.value_variable = 'BEV016'
