/*
id: DEM08
version: 1
name_de: Anteil der Bevölkerung mit Einwanderungsgeschichte (Zensus 2022)
name_en: Share of the population with immigration history (Zensus 2022)
domain: Demografie
unit: pct
scale: 100
aggregate: none
formula: "100 · PRS[WDGAT2=WANDERUNG-BEID] / PRS[total] (ALTGR2 total), 15.05.2022"
definition: Persons with immigration history (immigrated themselves since 1950, or both parents immigrated) on the census day divided by the whole population, times 100 (Zensus 2022, register-based).
numerator: 1000A-2022 PRS018 (Länder) / PRS001 (Germany), WDGAT2 = WANDERUNG-BEID (Mit Einwanderungsgeschichte = Eingewanderte + Nachkommen), all ages
denominator: 1000A-2022 PRS018 / PRS001, Einwanderungsgeschichte total, all ages
sources: [zensus 1000A-2022]
lowest_level: land
reference_date: 15.05.2022
reference_sets: "L A1 (MZ concept), K, W, WK, NI 1-3-1"
caveats: "A census snapshot (one value, 2022). Register-based: descendants are only identified up to about age 18 and register data under-count them compared with the Mikrozensus; persons with one immigrated parent (einseitige Einwanderungsgeschichte) are not included. Not comparable with Migrationshintergrund (Zensus 2011, Mikrozensus). The table is offered for Germany and the Länder only, so the values are the published Land and Germany cells (cell-key perturbation: the Länder need not add up to Germany), not sums of Kreise."
*/
WITH groups AS (
    SELECT
        ags,
        level,
        period,
        reference_date,
        max(persons) FILTER (WHERE immigration_history = 'with_immigration_history') AS with_history,
        max(persons) FILTER (WHERE immigration_history = 'total') AS population
    FROM core.census_population_by_immigration_history
    GROUP BY ags, level, period, reference_date
)
SELECT
    g.ags,
    g.level,
    g.period,
    g.reference_date,
    CASE WHEN g.with_history IS NULL OR g.population IS NULL OR g.population = 0 THEN NULL
         ELSE 100 * g.with_history / g.population END AS value,
    g.with_history AS numerator,
    g.population AS denominator,
    CASE WHEN g.with_history IS NULL THEN 'numerator_suppressed'
         WHEN g.population IS NULL THEN 'denominator_suppressed' END AS flag
FROM groups AS g
-- the Länder and Germany of the register
SEMI JOIN core.region AS r ON r.ags = g.ags AND r.level = g.level
