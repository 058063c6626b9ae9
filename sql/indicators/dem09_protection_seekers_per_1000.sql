/*
id: DEM09
version: 1
name_de: Schutzsuchende je 1.000 Einwohner
name_en: Protection seekers per 1,000 inhabitants
domain: Demografie
unit: per_1000
scale: 1000
aggregate: counts
formula: "1000 · BEV030[SCHST2 ∈ {OF, AK-1, X}] / BEVSTD[total]"
reference_sets: "L A8, A9, IN a_schutzs_bev"
definition: Protection seekers in the Ausländerzentralregister on 31.12. divided by the population on 31.12., times 1,000.
numerator: 12531-0043 BEV030, all protection statuses (offen + anerkannt + ohne), all citizenships and sexes
denominator: 12411-01-01-4 BEVSTD, total
sources: [destatis 12531-0043, regio 12411-01-01-4]
lowest_level: kreis
reference_date: 31.12.
caveats: The numerator comes from the AZR, the denominator from the population statistics. AZR figures follow the foreigners' authority - Kassel Stadt and Landkreis, all of Saarland, and Cottbus with Spree-Neiße are computed on the merged area. AZR cells are rounded to multiples of 5.
*/
SELECT
    ags,
    period,
    reference_date,
    protection_seekers AS numerator,
    area_population AS denominator,
    authority_area_flag AS flag
FROM core.protection_seekers
WHERE status_group = 'total'
