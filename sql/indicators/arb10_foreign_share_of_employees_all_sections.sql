/*
id: ARB10
version: 1
name_de: Ausländeranteil an den sozialversicherungspflichtig Beschäftigten (Arbeitsort), alle Wirtschaftsabschnitte, aus der Tabelle nach Wirtschaftszweigen
name_en: Foreign share of employees subject to social insurance (place of work), all economic sections, from the table by economic section
domain: Arbeitsmarkt
unit: pct
scale: 100
aggregate: counts
formula: "100 · ERW032[NAT=NATA, WZ total] / ERW032[NAT total, WZ total]"
reference_sets: "NI 5-2-1, K"
definition: Foreign employees at their place of work on 30.06. divided by all employees at their place of work, times 100, from the row "Insgesamt" of 13111-07-05-4. The same quantity as ARB03 (13111-01-03-4), from the table that also has the economic sections; the shares by section are in marts.foreign_share_of_employees_by_section.
numerator: 13111-07-05-4 ERW032, NAT = NATA, GES total, all sections
denominator: 13111-07-05-4 ERW032, NAT total, GES total, all sections
sources: [regio 13111-07-05-4]
lowest_level: kreis
reference_date: 30.06.
caveats: Place of work, not residence. Land and Germany are sums of the Kreise (the published Germany row also holds employees without a workplace Kreis). The offline sample has real files for 2015-2020 only; 2023-2024 are generated (is_synthetic per value).
*/
SELECT
    ags,
    period,
    reference_date,
    max(employees) FILTER (WHERE nationality = 'foreign') AS numerator,
    max(employees) FILTER (WHERE nationality = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.employees_at_workplace_by_sector
WHERE level = 'kreis' AND sex = 'total' AND section = 'total'
GROUP BY ags, period, reference_date
