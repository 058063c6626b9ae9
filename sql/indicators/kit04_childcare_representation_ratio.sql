/*
id: KIT04
version: 2
changelog:
  - "2 (2026-12-06): a share published before a territorial reform changed the Kreis's area (Wartburgkreis before Eisenach joined it on 2021-07-01) is left out like the share of a Kreis that no longer exists, no longer shown as the larger Kreis's share"
  - "1: first version"
name_de: Repräsentationsindex Kindertagesbetreuung 3 bis unter 6 Jahre (Proxy)
name_en: Day-care representation ratio of children aged 3 to under 6 with a foreign background (proxy)
domain: Kinderbetreuung
unit: ratio
aggregate: none
formula: "(KIND37[ALT544=ALT003B06, KINTE5=INSGESAMT3] / 100) / (BEVSTD[NATA, 3–6] / BEVSTD[3–6])(31.12.t−1)"
reference_sets: "approximates L C2b (which needs the Mikrozensus)"
definition: Share of children with at least one parent of foreign origin among children aged 3 to under 6 in day care (01.03.) divided by the share of foreign nationals among all children aged 3 to under 6 in the population (31.12. of the previous year). Above 1 the group is over-represented in day care, below 1 under-represented.
numerator: published KIND37 (pct) for ages 3 to under 6, all types of care (22543, table code unverified)
denominator: foreign share (pct) of the population aged 3 to under 6 on 31.12. of the previous year, core.population_by_nationality_age (12411-03-03-4); Länder and Germany as sums of Kreis counts
sources: [regio 22543-02-02-4, regio 12411-03-03-4]
lowest_level: kreis
reference_date: 01.03.
caveats: A proxy only - the numerator counts children with a parent of foreign origin (a wider group than foreign nationals - many such children are German), so values above 1 are expected even with equal participation; the concept mismatch noted in the indicator catalogue. Children are counted where the facility is, the population where it lives. Numerator and denominator columns hold the two shares in percent, not counts; the published share cannot be re-aggregated, so only regions of the target Gebietsstand are shown.
series_breaks: [{year: 2012, reason: "denominator from 31.12.2011 on the Zensus 2011 basis"}, {year: 2023, reason: "denominator from 31.12.2022 on the Zensus 2022 basis"}]
*/
WITH shares AS (
    SELECT ags, level, period, reference_date, value_pct AS foreign_origin_share_pct
    FROM core.childcare_rates AS rates
    -- a published share cannot be re-aggregated: only regions of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = rates.ags AND region.level = rates.level
    -- nor for a Kreis whose area changed after the reference date (core.region_area_change)
    ANTI JOIN core.region_area_change AS changed
        ON changed.ags = rates.ags AND changed.level = rates.level
       AND valid_on(fact_day(rates.reference_date, rates.period), changed.valid_from, changed.valid_to)
    WHERE rates.level IN ('kreis', 'land', 'deutschland')
      AND measure = 'foreign_origin_share_pct' AND age_group = '3_to_6' AND care_type = 'total'
),
kreis_population AS (
    -- 31.12. of the previous year, assigned to the year of the Kita reference date
    SELECT
        ags,
        period + 1 AS period,
        CASE WHEN bool_or(population IS NULL) FILTER (WHERE nationality = 'foreign') THEN NULL
             ELSE sum(population) FILTER (WHERE nationality = 'foreign') END AS foreign_children,
        CASE WHEN bool_or(population IS NULL) FILTER (WHERE nationality = 'total') THEN NULL
             ELSE sum(population) FILTER (WHERE nationality = 'total') END AS all_children
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND sex = 'total' AND age_group <> 'total' AND age_from >= 3 AND age_to <= 6
      AND nationality IN ('foreign', 'total')
    GROUP BY ags, period
),
population AS (
    SELECT ags, 'kreis' AS level, period, foreign_children, all_children FROM kreis_population
    UNION ALL
    -- Länder and Germany: sums of the Kreis counts; a suppressed part makes the sum unknown
    SELECT
        CASE WHEN grouping(land_ags) = 0 THEN land_ags ELSE '00000000' END AS ags,
        CASE WHEN grouping(land_ags) = 0 THEN 'land' ELSE 'deutschland' END AS level,
        period,
        CASE WHEN bool_or(foreign_children IS NULL) THEN NULL ELSE sum(foreign_children) END,
        CASE WHEN bool_or(all_children IS NULL) THEN NULL ELSE sum(all_children) END
    FROM (SELECT *, left(ags, 2) || '000000' AS land_ags FROM kreis_population)
    GROUP BY GROUPING SETS ((period, land_ags), (period))
),
joined AS (
    SELECT
        s.ags,
        s.level,
        s.period,
        s.reference_date,
        s.foreign_origin_share_pct,
        100 * p.foreign_children / nullif(p.all_children, 0) AS foreign_population_share_pct,
        p.all_children
    FROM shares AS s
    LEFT JOIN population AS p ON p.ags = s.ags AND p.level = s.level AND p.period = s.period
    WHERE s.period IN (SELECT period FROM kreis_population)
)
SELECT
    ags,
    level,
    period,
    reference_date,
    CASE
        WHEN foreign_origin_share_pct IS NULL OR foreign_population_share_pct IS NULL THEN NULL
        WHEN all_children < getvariable('min_denominator') OR foreign_population_share_pct = 0 THEN NULL
        ELSE foreign_origin_share_pct / foreign_population_share_pct
    END AS value,
    foreign_origin_share_pct AS numerator,
    foreign_population_share_pct AS denominator,
    CASE
        WHEN foreign_origin_share_pct IS NULL THEN 'numerator_suppressed'
        WHEN foreign_population_share_pct IS NULL THEN 'denominator_suppressed'
        WHEN all_children < getvariable('min_denominator') OR foreign_population_share_pct = 0 THEN 'denominator_below_minimum'
    END AS flag
FROM joined
