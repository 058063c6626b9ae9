/*
id: WOH02
version: 1
name_de: Eigentümerquote der Haushalte mit ausländischer Referenzperson
name_en: Home-ownership rate of households with a foreign reference person
domain: Wohnen
unit: pct
scale: 100
aggregate: none
formula: "100 · HHALT[NAT=NATA, EIGT=EIGENTUEMER] / HHALT[NAT=NATA]"
definition: Households with a foreign reference person living in their own home divided by all households with a foreign reference person, times 100. Länder and Germany are sums of the Kreis counts, shown only when every Kreis is delivered.
numerator: "county file haushalte-eigentum-nationalitaet (delivered by the state office, declared layout in sources/tables.d/participation_housing_health.yaml; columns AGS, Kreis, Jahr, Haushalte insgesamt, Eigentümerhaushalte insgesamt, Haushalte mit ausländischer Referenzperson, Eigentümerhaushalte mit ausländischer Referenzperson) - column Eigentümerhaushalte mit ausländischer Referenzperson (HHALT × NATA × EIGENTUEMER)"
denominator: "the same file, column Haushalte mit ausländischer Referenzperson (HHALT × NATA)"
sources: [county_file haushalte-eigentum-nationalitaet]
lowest_level: kreis
reference_date: "year of the delivered figures (Zensus 2022: 15.05.2022)"
reference_sets: "L G1, W, NI 7-2-2"
caveats: "No GENESIS table has tenure by citizenship below the Land: the figures come from the state office (a Zensus 2022 evaluation of households and dwellings by the reference person's citizenship, census year; annually only the Mikrozensus at Land level, L G1). The reference person's citizenship stands for the household; mixed households count by that one person. A Kreis missing from the delivered file has no value (not_delivered), and its Land and Germany none either (incomplete_aggregate); no file, no rows. Compare with the ownership rate of all households in the same file."
*/
-- Every Kreis of the register gets a row for each delivered year; Länder and Germany are sums of the
-- Kreis counts, shown only when each of their Kreise is delivered and unsuppressed.
WITH kreis_counts AS (
    SELECT
        ags,
        period,
        max(reference_date) AS reference_date,
        max(households) FILTER (WHERE nationality = 'foreign' AND tenure = 'owner_occupied') AS numerator,
        max(households) FILTER (WHERE nationality = 'foreign' AND tenure = 'total') AS denominator,
        bool_or(is_reaggregated) AS is_reaggregated
    FROM core.housing_by_nationality
    GROUP BY ags, period
),
kreise AS (
    SELECT
        r.ags,
        p.period,
        coalesce(k.reference_date, make_date(p.period, 12, 31)) AS reference_date,
        k.numerator,
        k.denominator,
        CASE
            WHEN k.ags IS NULL THEN 'not_delivered'
            WHEN k.numerator IS NULL THEN 'numerator_suppressed'
            WHEN k.denominator IS NULL THEN 'denominator_suppressed'
            WHEN k.is_reaggregated THEN 'reaggregated_from_former_kreise'
        END AS flag
    FROM core.region AS r
    CROSS JOIN (SELECT DISTINCT period FROM kreis_counts) AS p
    LEFT JOIN kreis_counts AS k ON k.ags = r.ags AND k.period = p.period
    WHERE r.level = 'kreis'
),
sums AS (
    SELECT
        CASE WHEN grouping(land_ags) = 0 THEN land_ags ELSE '00000000' END AS ags,
        CASE WHEN grouping(land_ags) = 0 THEN 'land' ELSE 'deutschland' END AS level,
        period,
        max(reference_date) AS reference_date,
        sum(numerator) AS numerator,
        sum(denominator) AS denominator,
        bool_or(flag IS NOT NULL AND flag <> 'reaggregated_from_former_kreise') AS is_incomplete
    FROM (SELECT *, left(ags, 2) || '000000' AS land_ags FROM kreise)
    GROUP BY GROUPING SETS ((period, land_ags), (period))
),
all_levels AS (
    SELECT ags, 'kreis' AS level, period, reference_date,
           CASE WHEN flag = 'numerator_suppressed' THEN NULL ELSE numerator END AS numerator,
           denominator, flag
    FROM kreise
    UNION ALL
    SELECT ags, level, period, reference_date,
           CASE WHEN is_incomplete THEN NULL ELSE numerator END,
           CASE WHEN is_incomplete THEN NULL ELSE denominator END,
           CASE WHEN is_incomplete THEN 'incomplete_aggregate' END
    FROM sums
)
SELECT
    ags,
    level,
    period,
    reference_date,
    CASE
        WHEN flag IS NOT NULL AND flag <> 'reaggregated_from_former_kreise' THEN NULL
        WHEN denominator < getvariable('min_denominator') THEN NULL
        ELSE 100 * numerator / denominator
    END AS value,
    numerator,
    denominator,
    CASE
        WHEN flag IS NOT NULL AND flag <> 'reaggregated_from_former_kreise' THEN flag
        WHEN denominator < getvariable('min_denominator') THEN 'denominator_below_minimum'
        ELSE flag
    END AS flag
FROM all_levels
