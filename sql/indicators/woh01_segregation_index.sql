/*
id: WOH01
version: 1
name_de: Segregationsindex (Dissimilaritätsindex Ausländer / Deutsche über die Gemeinden)
name_en: Residential segregation of foreign nationals and Germans (index of dissimilarity over the Gemeinden)
domain: Wohnen
unit: index
scale: 100
aggregate: none
max_value: 100
formula: "D = 50 · Σ_i |A_i / A − G_i / G| over the Gemeinden i of the region (A foreigners, G Germans = persons − foreigners), Zensus 2022"
definition: "Index of dissimilarity between foreign nationals and Germans across the Gemeinden of a region on the census day, from 0 (both groups spread over the Gemeinden in the same proportions) to 100 (no Gemeinde has both): the share of foreigners (or Germans) who would have to move to another Gemeinde for both groups to be distributed alike. Computed for each Kreis over its Gemeinden, and for each Land and Germany over all their Gemeinden."
numerator: 1000A-0012 persons with citizenship AUSLAND, summed over the Gemeinden of the region (A; shown in numerator)
denominator: 1000A-0012 persons minus persons with citizenship AUSLAND, summed over the Gemeinden of the region (G; shown in denominator)
sources: [zensus 1000A-0012]
lowest_level: kreis
reference_date: 15.05.2022
reference_sets: "K (Wohnen), B (1st Integrationsindikatorenbericht: Segregation), W"
caveats: "Census years only (Zensus 2022). Not a ratio of counts: Länder and Germany are not aggregated from the Kreis values but computed over all their Gemeinden, so they measure segregation between Gemeinden at a larger scale and are higher than, not comparable with, Kreis values; the index always depends on the size of the units. A Kreis with a single Gemeinde (kreisfreie Städte, Berlin, Hamburg) has no value (flag single_gemeinde); segregation within cities needs the Zensus grid (100 m / 1 km cells), not configured. Small Gemeinden with few foreigners inflate the index (random unevenness). Gemeinden on the Gebietsstand of 15.05.2022, assigned to the Kreis they lay in then and carried onto the target Gebietsstand through the Kreis crosswalk. Zensus cell-key perturbation; a cell shown as '-' (nothing) counts as 0, any other sign makes the Gemeinde's Kreis, Land and Germany unknown (incomplete_aggregate). The table code 1000A-0012 is unverified."
*/
WITH census_day AS (
    SELECT DISTINCT period, reference_date FROM core.census_population_by_citizenship
),
cells AS (
    -- a cell shown as '-' (nothing) counts as 0 here: a Gemeinde without foreigners is part of the
    -- pattern the index measures; any other sign makes the Gemeinde's regions unknown
    SELECT
        ags,
        kreis_ags,
        period,
        reference_date,
        CASE WHEN population IS NULL AND population_flag = '-' THEN 0 ELSE population END AS population,
        CASE WHEN foreigners IS NULL AND foreigners_flag = '-' THEN 0 ELSE foreigners END AS foreigners
    FROM core.census_population_by_citizenship
),
gemeinden AS (
    -- each Gemeinde with the Kreis of the target Gebietsstand its census-day Kreis belongs to
    SELECT
        g.ags,
        g.period,
        g.reference_date,
        g.foreigners,
        CASE WHEN g.population IS NOT NULL AND g.foreigners IS NOT NULL THEN greatest(g.population - g.foreigners, 0) END AS germans,
        coalesce(
            (SELECT arg_max(c.target_ags, c.weight) FROM core.region_crosswalk AS c
             WHERE c.ags = g.kreis_ags AND c.level = 'kreis' AND c.target_ags IS NOT NULL
               AND valid_on(g.reference_date, c.valid_from, c.valid_to)),
            g.kreis_ags
        ) AS kreis_ags
    FROM cells AS g
),
memberships AS (
    SELECT kreis_ags AS region_ags, 'kreis' AS level, * EXCLUDE (kreis_ags) FROM gemeinden
    UNION ALL
    SELECT left(kreis_ags, 2) || '000000', 'land', * EXCLUDE (kreis_ags) FROM gemeinden
    UNION ALL
    SELECT '00000000', 'deutschland', * EXCLUDE (kreis_ags) FROM gemeinden
),
totals AS (
    SELECT
        region_ags,
        level,
        period,
        count(*) AS gemeinden,
        bool_or(foreigners IS NULL OR germans IS NULL) AS is_incomplete,
        sum(foreigners) AS foreigners,
        sum(germans) AS germans
    FROM memberships
    GROUP BY region_ags, level, period
),
dissimilarity AS (
    SELECT
        m.region_ags,
        m.level,
        m.period,
        50 * sum(abs(m.foreigners / t.foreigners - m.germans / t.germans)) AS value
    FROM memberships AS m
    JOIN totals AS t USING (region_ags, level, period)
    WHERE NOT t.is_incomplete AND t.foreigners > 0 AND t.germans > 0
    GROUP BY m.region_ags, m.level, m.period
)
-- one row per Kreis, Land and Germany of the register and census year
SELECT
    r.ags,
    r.level,
    d.period,
    d.reference_date,
    CASE WHEN t.is_incomplete OR t.gemeinden < 2 THEN NULL ELSE i.value END AS value,
    CASE WHEN NOT t.is_incomplete THEN t.foreigners END AS numerator,
    CASE WHEN NOT t.is_incomplete THEN t.germans END AS denominator,
    CASE
        WHEN t.gemeinden IS NULL THEN 'no_gemeinde_data'
        WHEN t.is_incomplete THEN 'incomplete_aggregate'
        WHEN t.gemeinden < 2 THEN 'single_gemeinde'
        WHEN i.value IS NULL THEN 'empty_group'
    END AS flag
FROM core.region AS r
CROSS JOIN census_day AS d
LEFT JOIN totals AS t ON t.region_ags = r.ags AND t.level = r.level AND t.period = d.period
LEFT JOIN dissimilarity AS i ON i.region_ags = r.ags AND i.level = r.level AND i.period = d.period
WHERE r.level IN ('kreis', 'land', 'deutschland')
