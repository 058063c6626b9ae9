/*
description: Naturalisations in a calendar year by continent of the former citizenship, for the regions of the register (Einbürgerungsstatistik, place of residence).
grain: one row per ags, level, year and continent
sources: staging.naturalisations_by_continent, core.region_crosswalk
columns:
  continent: total, europe, africa, america, asia, oceania, stateless_or_unknown.
  naturalisations: Persons naturalised in the year; NULL when suppressed, never 0. Small numbers at Kreis level.
*/
SELECT
    n.ags,
    n.level,
    n.period,
    n.reference_date,
    n.continent,
    n.naturalisations,
    n.naturalisations_flag,
    n.source_file,
    n.line_number
FROM with_city_state_kreise('staging.naturalisations_by_continent') AS n
SEMI JOIN core.region_crosswalk AS known
    ON known.ags = n.ags AND known.level = n.level
   AND valid_on(fact_day(n.reference_date, n.period), known.valid_from, known.valid_to)
