/*
id: GES01
version: 1
name_de: Anteil ausländischer Kinder mit Sprachförderbedarf bei der Schuleingangsuntersuchung
name_en: Share of foreign children with a need for language support at the school-entry examination
domain: Gesundheit
unit: pct
scale: 100
aggregate: none
formula: "100 · ESU[NAT=NATA, SFB] / ESU[NAT=NATA] (examined children)"
definition: Children of foreign nationality found to need language support at the school-entry examination of the year divided by all examined children of foreign nationality, times 100. Länder and Germany are sums of the Kreis counts, shown only when every Kreis is delivered.
numerator: "county file einschulungsuntersuchung-sprachfoerderbedarf (delivered by the health offices or the Land, declared layout in sources/tables.d/participation_housing_health.yaml; columns AGS, Kreis, Untersuchungsjahr, Untersuchte Kinder, Kinder mit Sprachförderbedarf, Untersuchte Kinder ausländisch, Kinder mit Sprachförderbedarf ausländisch) - column Kinder mit Sprachförderbedarf ausländisch (ESU × NATA × SFB)"
denominator: "the same file, column Untersuchte Kinder ausländisch (ESU × NATA)"
sources: [county_file einschulungsuntersuchung-sprachfoerderbedarf]
lowest_level: kreis
reference_date: examination year (school entry)
reference_sets: "L C4 / F, BW gesellschaftsmonitoring (U8/ESU)"
caveats: "Not official statistics: the health offices' school-entry examinations (ESU). The test of language skills differs between the Länder (and changed over time), so values are comparable within a Land only; nationality is a weak proxy for the family language, which many ESU reports use instead (Deutsch nicht Familiensprache). Children are counted where they live. A Kreis missing from the delivered file has no value (not_delivered), and its Land and Germany none either (incomplete_aggregate); no file, no rows. Small numbers in small Kreise (minimum denominator)."
*/
-- Every Kreis of the register gets a row for each delivered year; Länder and Germany are sums of the
-- Kreis counts, shown only when each of their Kreise is delivered and unsuppressed.
WITH kreis_counts AS (
    SELECT
        ags,
        period,
        max(reference_date) AS reference_date,
        max(children) FILTER (WHERE nationality = 'foreign' AND language_support = 'with_need') AS numerator,
        max(children) FILTER (WHERE nationality = 'foreign' AND language_support = 'total') AS denominator,
        bool_or(is_reaggregated) AS is_reaggregated
    FROM core.school_entry_examinations
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
