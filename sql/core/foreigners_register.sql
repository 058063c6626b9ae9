/*
description: Foreigners in the Ausländerzentralregister (AZR) on 31.12. by country group, duration of stay and residence status, per Kreis, on the areas of the foreigners' authorities.
grain: one row per Kreis, reference date, breakdown and category
sources: staging.foreigners_by_country_group, staging.foreigners_by_duration_of_stay, staging.foreigners_by_residence_status, core.foreigners_authority_area
columns:
  breakdown: country_group (12521-0041), duration_of_stay (12521-0043), residence_status (12521-0044); each has its own total (category 'total').
  category: country_group total, eu27, third_country; duration group code or total; status group (eu_free_movement, permanent_title, temporary_title, asylum_procedure, tolerated, title_applied_for, no_title) or total.
  duration_from_years: For duration_of_stay the lower bound in years (inclusive), 0 for the total; NULL otherwise.
  duration_to_years: For duration_of_stay the upper bound in years (exclusive), NULL for the open group and the total.
  foreigners: Persons in the authority area (rounded to multiples of 5); NULL for a Kreis reported under another Kreis.
  all_foreigners: All foreigners of the area in the same table (denominator for shares).
  authority_area_flag: merged_authority_area for the reporting Kreis of a merged area, reported_with_other_region for the others.
*/
-- AZR figures follow the responsible Ausländerbehörde (core.foreigners_authority_area): Kassel Stadt
-- and Landkreis under 06611, all of Saarland under 10044, Cottbus and Spree-Neiße under 12052 from 2013. Keys of
-- Kreise that no longer exist (their own area in the years they existed) are kept as they are and
-- re-aggregated onto the target Gebietsstand by the indicators. Only the sex totals are used.
WITH facts AS (
    SELECT 'country_group' AS breakdown, ags, level, period, reference_date, country_group AS category,
           CAST(NULL AS INTEGER) AS duration_from_years, CAST(NULL AS INTEGER) AS duration_to_years,
           foreigners, foreigners_flag, source_file, line_number
    FROM staging.foreigners_by_country_group
    WHERE level = 'kreis' AND sex = 'total'
    UNION ALL
    SELECT 'duration_of_stay', ags, level, period, reference_date, duration_group,
           duration_from_years, duration_to_years, foreigners, foreigners_flag, source_file, line_number
    FROM staging.foreigners_by_duration_of_stay
    WHERE level = 'kreis' AND sex = 'total'
    UNION ALL
    SELECT 'residence_status', ags, level, period, reference_date, status_group,
           NULL, NULL, foreigners, foreigners_flag, source_file, line_number
    FROM staging.foreigners_by_residence_status
    WHERE level = 'kreis' AND sex = 'total'
),
totals AS (
    SELECT breakdown, ags, period, foreigners AS all_foreigners
    FROM facts
    WHERE category = 'total'
)
SELECT
    a.kreis_ags AS ags,
    f.period,
    f.reference_date,
    f.breakdown,
    f.category,
    f.duration_from_years,
    f.duration_to_years,
    CASE WHEN a.kreis_ags = a.reporting_ags THEN f.foreigners END AS foreigners,
    CASE WHEN a.kreis_ags = a.reporting_ags THEN f.foreigners_flag END AS foreigners_flag,
    CASE WHEN a.kreis_ags = a.reporting_ags THEN t.all_foreigners END AS all_foreigners,
    CASE
        WHEN a.kreis_ags <> a.reporting_ags THEN 'reported_with_other_region'
        WHEN a.is_merged THEN 'merged_authority_area'
    END AS authority_area_flag,
    f.source_file,
    f.line_number
FROM core.foreigners_authority_area AS a
JOIN facts AS f ON f.ags = a.reporting_ags AND f.period = a.period
LEFT JOIN totals AS t ON t.breakdown = f.breakdown AND t.ags = f.ags AND t.period = f.period
