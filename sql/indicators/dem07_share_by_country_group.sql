/*
breakdown: country_group          # the column of the SELECT below that tells the variants apart
version: 1
domain: Demografie
unit: pct
scale: 100
aggregate: counts
denominator: 12521-0041 Ausländer (AZR), all citizenships, GES total
sources: [destatis 12521-0041]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "B 1.4, NI 1-2-4"
caveats: "AZR counts (persons staying for about 3 months or longer), not the Fortschreibung. AZR figures follow the foreigners' authority: Kassel Stadt and Landkreis, all of Saarland, and Cottbus with Spree-Neiße are computed on the merged area. Cells are rounded to multiples of 5. The EU-27 since Brexit (01.02.2020) is used for all years, so British citizens count as third-country nationals throughout. Table code R, grouping codes unverified (placeholders until the ffcsv is seen)."
variants:
  - id: DEM07_EU
    table: dem07_eu_share_of_foreigners
    country_group: eu27
    name_de: Anteil der EU-Staatsangehörigen an den Ausländern
    name_en: Share of EU citizens among foreign nationals
    formula: "100 · AZR[Ländergruppierung = EU-27 (since 01.02.2020)] / AZR[total] (GES total), on the areas of the foreigners' authorities"
    definition: EU citizens (EU-27 as of 01.02.2020) in the Ausländerzentralregister on 31.12. divided by all foreigners in the register on 31.12., times 100.
    numerator: 12521-0041 Ausländer (AZR), Ländergruppierung label:eu-27-seit-01-02-2020 (EU-27 seit 01.02.2020), GES total
  - id: DEM07_THIRD
    table: dem07_third_country_share_of_foreigners
    country_group: third_country
    name_de: Anteil der Drittstaatsangehörigen an den Ausländern
    name_en: Share of third-country nationals among foreign nationals
    formula: "100 · AZR[Ländergruppierung = third countries (outside the EU-27 as of 01.02.2020)] / AZR[total] (GES total), on the areas of the foreigners' authorities"
    definition: Third-country nationals (citizenship outside the EU-27 as of 01.02.2020, including stateless and unclear citizenship) in the Ausländerzentralregister on 31.12. divided by all foreigners in the register on 31.12., times 100.
    numerator: 12521-0041 Ausländer (AZR), Ländergruppierung label:drittstaaten-zu-eu-27-seit-01-02-2020 (Drittstaaten zu EU-27 seit 01.02.2020), GES total
*/
SELECT
    category AS country_group,
    ags,
    period,
    reference_date,
    foreigners AS numerator,
    all_foreigners AS denominator,
    authority_area_flag AS flag
FROM core.foreigners_register
WHERE breakdown = 'country_group'
