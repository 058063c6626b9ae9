/*
breakdown: age_group              # the column of the SELECT below that tells the variants apart
version: 2
changelog:
  - "2 (2026-12-06): a share published before a territorial reform changed the Kreis's area (Wartburgkreis before Eisenach joined it on 2021-07-01) is left out like the share of a Kreis that no longer exists, no longer shown as the larger Kreis's share"
  - "1: first version"
domain: Kinderbetreuung
unit: pct
aggregate: none
sources: [regio 22543-02-02-4]
lowest_level: kreis
reference_date: 01.03.
caveats: Taken as published, because 22543-01-02-4 gives children of foreign origin only for all ages together; a published share cannot be re-aggregated, so years before a territorial reform show only the regions that still exist. The table code of KIND37 is unverified (check with imon sources check). Foreign origin of a parent is neither nationality nor migration background; children are counted where the facility is.
series_breaks: [{year: 2011, reason: "Kita statistics re-organised in the Regionaldatenbank (22543-01-01-4 until 2010)"}]
variants:
  - id: KIT02_U3
    table: kit02_foreign_origin_share_under_3
    age_group: under_3
    name_de: Anteil der Kinder mit ausländischer Herkunft mind. eines Elternteils an den betreuten Kindern unter 3 Jahren
    name_en: Share of children with at least one parent of foreign origin among children in day care under 3
    formula: "published KIND37[ALT544=ALT000B03, KINTE5=INSGESAMT3]"
    reference_sets: "L C1a, NI 3-1-3"
    definition: Children under 3 in day care with at least one parent of foreign origin per 100 children under 3 in day care, 01.03., as published for Kreise, Länder and Germany.
    numerator: children under 3 in day care with a parent of foreign origin (not published by age; in the published share)
    denominator: children under 3 in day care (in the published share)
  - id: KIT02_3_6
    table: kit02_foreign_origin_share_3_to_6
    age_group: 3_to_6
    name_de: Anteil der Kinder mit ausländischer Herkunft mind. eines Elternteils an den betreuten Kindern von 3 bis unter 6 Jahren
    name_en: Share of children with at least one parent of foreign origin among children in day care aged 3 to under 6
    formula: "published KIND37[ALT544=ALT003B06, KINTE5=INSGESAMT3]"
    reference_sets: "L C2a, NI 3-1-3"
    definition: Children aged 3 to under 6 in day care with at least one parent of foreign origin per 100 children aged 3 to under 6 in day care, 01.03., as published for Kreise, Länder and Germany.
    numerator: children aged 3 to under 6 in day care with a parent of foreign origin (not published by age; in the published share)
    denominator: children aged 3 to under 6 in day care (in the published share)
*/
WITH shares AS (
    SELECT age_group, ags, level, period, reference_date, value_pct
    FROM core.childcare_rates AS rates
    -- a published share cannot be re-aggregated: only regions of the target Gebietsstand
    SEMI JOIN core.region AS region ON region.ags = rates.ags AND region.level = rates.level
    -- nor for a Kreis whose area changed after the reference date (core.region_area_change)
    ANTI JOIN core.region_area_change AS changed
        ON changed.ags = rates.ags AND changed.level = rates.level
       AND valid_on(fact_day(rates.reference_date, rates.period), changed.valid_from, changed.valid_to)
    WHERE rates.level IN ('kreis', 'land', 'deutschland')
      AND measure = 'foreign_origin_share_pct' AND care_type = 'total'
)
SELECT
    age_group,
    ags,
    level,
    period,
    reference_date,
    value_pct AS value,
    CAST(NULL AS DOUBLE) AS numerator,
    CAST(NULL AS DOUBLE) AS denominator,
    CASE WHEN value_pct IS NULL THEN 'value_suppressed' END AS flag
FROM shares
