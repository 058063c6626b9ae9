/*
id: REC03
version: 1
name_de: Einbürgerungsquote bezogen auf Ausländer mit mindestens 8 Jahren Aufenthalt (ausgeschöpftes Einbürgerungspotenzial)
name_en: Naturalisation rate among foreign nationals resident for 8 years or more (realised naturalisation potential)
domain: Rechtliche Integration
unit: pct
scale: 100
aggregate: counts
formula: "100 · BEV008[STAKNW total](year t) / Σ AZR[Aufenthaltsdauer ≥ 8 Jahre](31.12. t−1), on the areas of the foreigners' authorities"
definition: Naturalisations of persons living in the area during the year divided by the foreigners registered in the Ausländerzentralregister with a duration of stay of 8 years or more on 31.12. of the previous year, times 100 (Länder monitoring B2a, Einbürgerungsquote I).
numerator: 12511-01-01-4 BEV008 (Einbürgerungen), STAKNW total, year t, summed over the Kreise of each foreigners' authority area
denominator: "12521-0043 Ausländer (AZR) with duration of stay 8 to under 10, 10 to under 15, 15 to under 20, 20 to under 25, 25 to under 30, 30 years and more, GES total, 31.12. of year t−1"
sources: [regio 12511-01-01-4, destatis 12521-0043]
lowest_level: kreis
reference_date: "calendar year (denominator 31.12. of the previous year)"
reference_sets: "L B2a, B 2.0 (Destatis: ≥ 10 years at the start of the year), W D.1"
caveats: "Naturalisation statistics over an AZR stock (two registers; not the Fortschreibung, so no mixed_foreigner_counts). AZR figures follow the foreigners' authority: Kassel Stadt and Landkreis, all of Saarland, and Cottbus with Spree-Neiße are computed on the merged area (naturalisations summed over its Kreise). AZR cells are rounded to multiples of 5. 8 years was the general minimum residence for naturalisation until 26.06.2024; since the StAG reform (27.06.2024) it is 5 years, so from 2024 the denominator no longer matches the eligible population. Small numbers (small_counts). The AZR table by duration of stay at Kreis level is unverified (12521-0043 placeholder)."
small_counts: true
numerator_within_denominator: false
series_breaks: [{year: 2024, reason: "StAG reform of 27.06.2024: minimum residence 5 instead of 8 years, multiple citizenship allowed"}]
*/
-- L B2a: naturalisations of year t over the AZR foreigners with ≥ 8 years of stay on 31.12. t−1.
-- Both on the areas of the foreigners' authorities. Numerator and denominator come as separate rows
-- with their own reference dates, so the shared roll-up re-aggregates each from the key valid on its
-- own day; the other count of a row is 0 (NULL for a Kreis reported under another Kreis).
WITH areas AS (
    SELECT kreis_ags, period, reporting_ags, is_merged FROM core.foreigners_authority_area
),
area_naturalisations AS (
    -- keys of former Kreise (not in the register) are their own area
    SELECT
        coalesce(a.reporting_ags, n.ags) AS reporting_ags,
        n.period,
        max(n.reference_date) AS reference_date,
        CASE WHEN bool_or(n.naturalisations IS NULL) THEN NULL ELSE sum(n.naturalisations) END AS naturalisations
    FROM core.naturalisations AS n
    LEFT JOIN areas AS a ON a.kreis_ags = n.ags AND a.period = n.period
    WHERE n.level = 'kreis' AND n.continent = 'total'
    GROUP BY coalesce(a.reporting_ags, n.ags), n.period
),
kreise AS (
    SELECT * FROM areas
    UNION ALL
    SELECT DISTINCT n.reporting_ags, n.period, n.reporting_ags, false
    FROM area_naturalisations AS n
    WHERE NOT EXISTS (SELECT 1 FROM areas AS a WHERE a.reporting_ags = n.reporting_ags AND a.period = n.period)
),
numerator_rows AS (
    SELECT
        k.kreis_ags AS ags,
        n.period,
        n.reference_date,
        CASE WHEN k.kreis_ags = k.reporting_ags THEN n.naturalisations END AS numerator,
        CASE WHEN k.kreis_ags = k.reporting_ags THEN 0.0 END AS denominator,
        CASE
            WHEN k.kreis_ags <> k.reporting_ags THEN 'reported_with_other_region'
            WHEN k.is_merged THEN 'merged_authority_area'
        END AS flag
    FROM kreise AS k
    JOIN area_naturalisations AS n ON n.reporting_ags = k.reporting_ags AND n.period = k.period
),
long_residents_previous_year AS (
    SELECT
        ags,
        period + 1 AS period,
        reference_date,
        CASE WHEN bool_or(foreigners IS NULL) THEN NULL ELSE sum(foreigners) END AS foreigners,
        max(authority_area_flag) AS flag
    FROM core.foreigners_register
    WHERE breakdown = 'duration_of_stay' AND category <> 'total' AND duration_from_years >= 8
    GROUP BY ags, period, reference_date
)
SELECT ags, period, reference_date, numerator, denominator, flag
FROM numerator_rows
WHERE period IN (SELECT period FROM long_residents_previous_year)
UNION ALL
SELECT
    ags,
    period,
    reference_date,
    CASE WHEN flag = 'reported_with_other_region' THEN NULL ELSE 0.0 END AS numerator,
    foreigners AS denominator,
    flag
FROM long_residents_previous_year
WHERE period IN (SELECT period FROM area_naturalisations)
