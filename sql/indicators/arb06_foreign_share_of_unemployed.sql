/*
id: ARB06
version: 1
name_de: Ausländeranteil an den Arbeitslosen
name_en: Foreign share of registered unemployed
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: counts
formula: "100 · ERWP06[ERWAQ7=ARBEITSLOS08] / ERWP06[total]"
reference_sets: "RA AI0809, IN a_alo_ausländer"
definition: Foreign registered unemployed divided by all registered unemployed (annual averages), times 100.
numerator: 13211-02-05-4 ERWP06, ERWAQ7 = ARBEITSLOS08 (ausländisch)
denominator: 13211-02-05-4 ERWP06 total
sources: [regio 13211-02-05-4]
lowest_level: kreis
reference_date: annual average
caveats: Regionalatlas AI0809 publishes the same share; values are annual averages of monthly counts.
*/
SELECT
    ags,
    period,
    reference_date,
    max(value) FILTER (WHERE person_group = 'foreign') AS numerator,
    max(value) FILTER (WHERE person_group = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.unemployment
WHERE level = 'kreis' AND measure = 'unemployed'
GROUP BY ags, period, reference_date
