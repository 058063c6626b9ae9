/*
breakdown: nationality            # the column of the SELECT below that tells the variants apart
version: 1
domain: Demografie
unit: pct
scale: 100
aggregate: counts
sources: [regio 12411-03-03-4]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "L A1a, NI 1-2-6, 1-2-7"
caveats: "Read DEM03 and DEM03_GERMAN side by side: the foreign population is much younger. Naturalisation moves long-resident (older) foreigners into the German population. A suppressed or missing age group makes the sum unknown. Zensus 2022 re-basing from 31.12.2022."
series_breaks: [{year: 2022, reason: "Zensus 2022 re-basing of the Bevölkerungsfortschreibung"}]
variants:
  - id: DEM03
    table: dem03_share_65_plus_among_foreigners
    nationality: foreign
    name_de: Anteil der Personen ab 65 Jahren an den Ausländern
    name_en: Share of persons aged 65 and over among foreign nationals
    formula: "100 · Σ BEVSTD[NAT=NATA, ALTX21 ∈ {ALT065B70 … ALT090UM}] / BEVSTD[NAT=NATA, ALTX21 total] (GES total)"
    definition: foreigners aged 65 and over on 31.12. divided by all foreigners on 31.12., times 100 (age structure by nationality; compare DEM03 for foreigners with DEM03_GERMAN for Germans).
    numerator: 12411-03-03-4 BEVSTD, NAT = NATA, ALTX21 ALT065B70, ALT070B75, ALT075B80, ALT080B85, ALT085B90, ALT090UM, GES total
    denominator: 12411-03-03-4 BEVSTD, NAT = NATA, all ages, GES total
  - id: DEM03_GERMAN
    table: dem03_share_65_plus_among_germans
    nationality: german
    name_de: Anteil der Personen ab 65 Jahren an den Deutschen
    name_en: Share of persons aged 65 and over among Germans
    formula: "100 · Σ BEVSTD[NAT=NATD, ALTX21 ∈ {ALT065B70 … ALT090UM}] / BEVSTD[NAT=NATD, ALTX21 total] (GES total)"
    definition: Germans aged 65 and over on 31.12. divided by all Germans on 31.12., times 100 (age structure by nationality; compare DEM03 for foreigners with DEM03_GERMAN for Germans).
    numerator: 12411-03-03-4 BEVSTD, NAT = NATD, ALTX21 ALT065B70, ALT070B75, ALT075B80, ALT080B85, ALT085B90, ALT090UM, GES total
    denominator: 12411-03-03-4 BEVSTD, NAT = NATD, all ages, GES total
*/
WITH by_age AS (
    SELECT
        nationality,
        ags,
        period,
        reference_date,
        -- the six groups from 65 on; a sum with a suppressed or missing group is unknown
        CASE
            WHEN bool_or(population IS NULL) FILTER (WHERE age_group <> 'total' AND age_from >= 65)
              OR count(DISTINCT age_group) FILTER (WHERE age_group <> 'total' AND age_from >= 65) < 6 THEN NULL
            ELSE sum(population) FILTER (WHERE age_group <> 'total' AND age_from >= 65)
        END AS aged_65_plus,
        max(population) FILTER (WHERE age_group = 'total') AS all_ages
    FROM core.population_by_nationality_age
    WHERE level = 'kreis' AND sex = 'total'
    GROUP BY nationality, ags, period, reference_date
)
SELECT
    nationality,
    ags,
    period,
    reference_date,
    aged_65_plus AS numerator,
    all_ages AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM by_age
