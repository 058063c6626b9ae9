/*
description: Foreign share of employees subject to social insurance at their place of work on 30.06., by economic section (WZ 2008 sections and groups) and overall, for Kreise of the target Gebietsstand, Länder and Germany. Kreise of an older territorial status are re-aggregated through the crosswalk (as the indicators are); Land and Germany are sums of their Kreise, NULL with a flag when a part is secret. The overall row (section 'total') is indicator ARB10.
grain: one row per ags, level, period and section
sources: core.employees_at_workplace_by_sector, core.region_crosswalk, core.region
columns:
  ags: Region key of the target Gebietsstand, 8 characters (Kreis 01001000, Land 01000000, Germany 00000000).
  level: kreis, land or deutschland.
  period: Year of the reference date (30.06.).
  section: WZ 2008 section or group of sections as labelled in 13111-07-05-4; 'total' for all sections. Groups overlap (B-F holds B-E, C and F).
  foreign_share_pct: 100 · foreign employees / all employees of the section; NULL when a count is secret or missing (see flag), or the denominator is below the minimum.
  foreign_employees: Foreign employees of the section (sum of the Kreise for Land and Germany); NULL when secret.
  employees: All employees of the section; NULL when secret.
  flag: numerator_suppressed, denominator_suppressed, incomplete_aggregate (a Kreis of the sum is secret), denominator_below_minimum, reaggregated_from_former_kreise.
  is_synthetic: True when the year of 13111-07-05-4 was generated for the offline sample (meta.raw_period), not an official value.
*/
WITH kreis_counts AS (
    SELECT ags, period, reference_date, section,
           max(employees) FILTER (WHERE nationality = 'foreign') AS foreign_employees,
           bool_or(nationality = 'foreign' AND employees IS NULL) AS foreign_missing,
           max(employees) FILTER (WHERE nationality = 'total') AS employees,
           bool_or(nationality = 'total' AND employees IS NULL) AS total_missing
    FROM core.employees_at_workplace_by_sector
    WHERE level = 'kreis' AND sex = 'total'
    GROUP BY ags, period, reference_date, section
),
on_target AS (
    SELECT crosswalk.target_ags AS ags, k.period, k.section,
           sum(k.foreign_employees * crosswalk.weight) AS foreign_employees,
           sum(k.employees * crosswalk.weight) AS employees,
           bool_or(k.foreign_missing OR k.foreign_employees IS NULL) AS foreign_missing,
           bool_or(k.total_missing OR k.employees IS NULL) AS total_missing,
           count(DISTINCT k.ags) > 1 AS is_reaggregated
    FROM kreis_counts AS k
    JOIN core.region_crosswalk AS crosswalk
      ON crosswalk.ags = k.ags AND crosswalk.level = 'kreis' AND crosswalk.target_ags IS NOT NULL
     AND valid_on(fact_day(k.reference_date, k.period), crosswalk.valid_from, crosswalk.valid_to)
    GROUP BY crosswalk.target_ags, k.period, k.section
),
kreis AS (
    SELECT ags, 'kreis' AS level, period, section,
           CASE WHEN foreign_missing THEN NULL ELSE foreign_employees END AS foreign_employees,
           CASE WHEN total_missing THEN NULL ELSE employees END AS employees,
           CASE WHEN foreign_missing THEN 'numerator_suppressed'
                WHEN total_missing THEN 'denominator_suppressed'
                WHEN is_reaggregated THEN 'reaggregated_from_former_kreise' END AS flag
    FROM on_target
),
sums AS (
    SELECT CASE WHEN grouping(land_ags) = 0 THEN land_ags ELSE '00000000' END AS ags,
           CASE WHEN grouping(land_ags) = 0 THEN 'land' ELSE 'deutschland' END AS level,
           period, section,
           sum(foreign_employees) AS foreign_employees, sum(employees) AS employees,
           bool_or(flag IN ('numerator_suppressed', 'denominator_suppressed')) AS is_incomplete
    FROM (SELECT *, left(ags, 2) || '000000' AS land_ags FROM kreis)
    GROUP BY GROUPING SETS ((period, section, land_ags), (period, section))
),
all_levels AS (
    SELECT * FROM kreis
    UNION ALL
    SELECT ags, level, period, section,
           CASE WHEN is_incomplete THEN NULL ELSE foreign_employees END,
           CASE WHEN is_incomplete THEN NULL ELSE employees END,
           CASE WHEN is_incomplete THEN 'incomplete_aggregate' END
    FROM sums
),
synthetic_years AS (
    SELECT period FROM meta.raw_period WHERE table_code = '13111-07-05-4' AND synthetic
)
SELECT
    a.ags,
    a.level,
    a.period,
    a.section,
    CASE
        WHEN a.flag IS NOT NULL AND a.flag <> 'reaggregated_from_former_kreise' THEN NULL
        WHEN a.employees < getvariable('min_denominator') THEN NULL
        ELSE 100 * a.foreign_employees / a.employees
    END AS foreign_share_pct,
    a.foreign_employees,
    a.employees,
    CASE
        WHEN a.flag IS NOT NULL AND a.flag <> 'reaggregated_from_former_kreise' THEN a.flag
        WHEN a.employees < getvariable('min_denominator') THEN 'denominator_below_minimum'
        ELSE a.flag
    END AS flag,
    a.period IN (SELECT period FROM synthetic_years) AS is_synthetic
FROM all_levels AS a
