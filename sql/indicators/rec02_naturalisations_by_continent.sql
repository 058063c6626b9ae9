/*
breakdown: continent              # the column of the SELECT below that tells the variants apart
version: 1
domain: Rechtliche Integration
unit: pct
scale: 100
aggregate: counts
denominator: 12511-01-01-4 BEV008, STAKNW total
sources: [regio 12511-01-01-4]
lowest_level: kreis
reference_date: calendar year
reference_sets: "NI 2-3-4"
caveats: "Small numbers: a Kreis often has few naturalisations a year and many cells are suppressed, so read the 3-year moving average (small_counts). The structure follows the origin of the people naturalised in the year, not of the foreign population. The 2024 StAG reform changes who is naturalised from 2024."
small_counts: true
series_breaks: [{year: 2024, reason: "StAG reform of 27.06.2024 (shorter residence requirement, multiple citizenship)"}]
variants:
  - id: REC02_EUROPE
    table: rec02_naturalisations_europe
    continent: europe
    name_de: "Anteil der Einbürgerungen von Staatsangehörigen aus Europa an allen Einbürgerungen"
    name_en: "Share of naturalisations of former citizens of countries in Europe among all naturalisations"
    formula: "100 · BEV008[ST1] / BEV008[STAKNW total]"
    definition: "Naturalisations of persons whose former citizenship was of a country in Europe during the year divided by all naturalisations of the year, times 100 (structure by continent of origin)."
    numerator: "12511-01-01-4 BEV008, STAKNW = ST1 (Europa)"
  - id: REC02_AFRICA
    table: rec02_naturalisations_africa
    continent: africa
    name_de: "Anteil der Einbürgerungen von Staatsangehörigen aus Afrika an allen Einbürgerungen"
    name_en: "Share of naturalisations of former citizens of countries in Africa among all naturalisations"
    formula: "100 · BEV008[ST2] / BEV008[STAKNW total]"
    definition: "Naturalisations of persons whose former citizenship was of a country in Africa during the year divided by all naturalisations of the year, times 100 (structure by continent of origin)."
    numerator: "12511-01-01-4 BEV008, STAKNW = ST2 (Afrika)"
  - id: REC02_AMERICA
    table: rec02_naturalisations_america
    continent: america
    name_de: "Anteil der Einbürgerungen von Staatsangehörigen aus Amerika an allen Einbürgerungen"
    name_en: "Share of naturalisations of former citizens of countries in the Americas among all naturalisations"
    formula: "100 · BEV008[ST3] / BEV008[STAKNW total]"
    definition: "Naturalisations of persons whose former citizenship was of a country in the Americas during the year divided by all naturalisations of the year, times 100 (structure by continent of origin)."
    numerator: "12511-01-01-4 BEV008, STAKNW = ST3 (Amerika)"
  - id: REC02_ASIA
    table: rec02_naturalisations_asia
    continent: asia
    name_de: "Anteil der Einbürgerungen von Staatsangehörigen aus Asien an allen Einbürgerungen"
    name_en: "Share of naturalisations of former citizens of countries in Asia among all naturalisations"
    formula: "100 · BEV008[ST4] / BEV008[STAKNW total]"
    definition: "Naturalisations of persons whose former citizenship was of a country in Asia during the year divided by all naturalisations of the year, times 100 (structure by continent of origin)."
    numerator: "12511-01-01-4 BEV008, STAKNW = ST4 (Asien)"
  - id: REC02_OTHER
    table: rec02_naturalisations_oceania_stateless
    continent: other
    name_de: "Anteil der Einbürgerungen von Staatsangehörigen Australiens und Ozeaniens sowie von Staatenlosen und Personen mit ungeklärter Staatsangehörigkeit an allen Einbürgerungen"
    name_en: "Share of naturalisations of former citizens of Australia and Oceania and of stateless persons or persons of unclear citizenship among all naturalisations"
    formula: "100 · BEV008[ST5 + ST997] / BEV008[STAKNW total]"
    definition: "Naturalisations during the year of persons whose former citizenship was of Australia or Oceania, or who were stateless or of unclear citizenship, divided by all naturalisations of the year, times 100 (structure by continent of origin). The two small groups are shown together; either being suppressed makes the sum unknown."
    numerator: "12511-01-01-4 BEV008, STAKNW = ST5 (Australien und Ozeanien) + ST997 (staatenlos, ungeklärt, ohne Angabe)"
*/
-- The published groups and the continents of core.naturalisations each one sums (the two small
-- groups are shown together). A group is unknown when one of its continents is suppressed or missing.
WITH continent_groups (continent, members) AS (
    VALUES ('europe', ['europe']), ('africa', ['africa']), ('america', ['america']), ('asia', ['asia']),
           ('other', ['oceania', 'stateless_or_unknown'])
)
SELECT
    groups.continent,
    counts.ags,
    counts.period,
    counts.reference_date,
    CASE
        WHEN bool_or(counts.naturalisations IS NULL) FILTER (WHERE list_contains(groups.members, counts.continent))
          OR count(*) FILTER (WHERE list_contains(groups.members, counts.continent)) < len(groups.members) THEN NULL
        ELSE sum(counts.naturalisations) FILTER (WHERE list_contains(groups.members, counts.continent))
    END AS numerator,
    max(counts.naturalisations) FILTER (WHERE counts.continent = 'total') AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM core.naturalisations AS counts
CROSS JOIN continent_groups AS groups
WHERE counts.level = 'kreis'
GROUP BY groups.continent, groups.members, counts.ags, counts.period, counts.reference_date
