/*
description: Registered unemployed (annual average) by person group for every Gemeinde (13211-01-03-5). Kreis, Land and Germany values are those of core.unemployment (13211-02-05-4), never sums of these Gemeinde cells.
grain: one row per Gemeinde ags, year and person group
sources: staging.unemployed_gemeinden, core.region_crosswalk
columns:
  level: Always gemeinde.
  person_group: total, foreign, or the ERWAQ7 code of another group.
  unemployed: Persons (annual average); NULL when suppressed (small Gemeinde cells), never 0.
*/
-- As core.employees_at_workplace_gemeinden: Berlin and Hamburg from their Land row when the table
-- lists them only as Land; a city listed under GEMEIN and inside KREISE is taken once, from GEMEIN.
WITH staged AS (
    SELECT * FROM staging.unemployed_gemeinden
),
gemeinden AS (
    SELECT * FROM staged WHERE level = 'gemeinde'
    UNION ALL BY NAME
    SELECT * REPLACE ('gemeinde' AS level)
    FROM staged AS city
    WHERE city.level = 'land' AND city.ags IN ('02000000', '11000000')
      AND NOT EXISTS (SELECT 1 FROM staged AS g WHERE g.level = 'gemeinde' AND g.ags = city.ags AND g.period = city.period)
),
once AS (
    SELECT * FROM gemeinden
    QUALIFY row_number() OVER (
        PARTITION BY ags, period, reference_date, person_group
        ORDER BY region_variable = 'GEMEIN' DESC, line_number
    ) = 1
)
SELECT
    g.ags,
    g.level,
    g.period,
    g.reference_date,
    g.person_group,
    g.unemployed,
    g.unemployed_flag,
    g.source_file,
    g.line_number
FROM once AS g
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = g.ags AND known.level = 'gemeinde'
   AND valid_on(fact_day(g.reference_date, g.period), known.valid_from, known.valid_to)
