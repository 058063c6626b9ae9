/*
description: Employees subject to social insurance at their place of work on 30.06., by nationality and sex, for every Gemeinde (13111-01-03-5). Kreis, Land and Germany values are those of core.employees_at_workplace (13111-01-03-4), never sums of these Gemeinde cells.
grain: one row per Gemeinde ags, reference date, nationality and sex
sources: staging.employees_at_workplace_by_nationality_gemeinden, core.region_crosswalk
columns:
  level: Always gemeinde.
  employees: Employees (Arbeitsort); NULL when suppressed (small Gemeinde cells), never 0.
*/
-- Berlin and Hamburg are a Land, a Kreis and a Gemeinde at once. A Gemeinde table may list them
-- only as the Land: that row is then the Gemeinde's. A city listed both under GEMEIN and inside
-- KREISE (the 8-digit Kreis-equivalents such as Hannover 03241001) is taken once, from GEMEIN.
WITH staged AS (
    SELECT * FROM staging.employees_at_workplace_by_nationality_gemeinden
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
        PARTITION BY ags, period, reference_date, nationality, sex
        ORDER BY region_variable = 'GEMEIN' DESC, line_number
    ) = 1
)
SELECT
    g.ags,
    g.level,
    g.period,
    g.reference_date,
    g.nationality,
    g.sex,
    g.employees,
    g.employees_flag,
    g.source_file,
    g.line_number
FROM once AS g
-- Gemeinde keys valid on the fact's day; Gemeinden that merged later have no crosswalk target (no curated Gemeinde changes)
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = g.ags AND known.level = 'gemeinde'
   AND valid_on(fact_day(g.reference_date, g.period), known.valid_from, known.valid_to)
