/*
id: DEM09_OPEN
version: 1
name_de: Anteil der Schutzsuchenden mit offenem Schutzstatus
name_en: Share of protection seekers with open protection status
domain: Demografie
unit: pct
scale: 100
aggregate: counts
formula: "100 · BEV030[SCHST2=SCHUTZST-OF] / BEV030[all]"
reference_sets: "L A9"
definition: Protection seekers with open protection status on 31.12. divided by all protection seekers, times 100. Offener Schutzstatus means the asylum procedure is not yet decided.
numerator: 12531-0043 BEV030, SCHST2 = SCHUTZST-OF
denominator: 12531-0043 BEV030, SCHUTZST-OF + SCHUTZST-AK-1 + SCHUTZST-X
sources: [destatis 12531-0043]
lowest_level: kreis
reference_date: 31.12.
caveats: Computed on the areas of the foreigners' authorities (see DEM09). AZR cells are rounded to multiples of 5.
*/
SELECT
    ags,
    period,
    reference_date,
    protection_seekers AS numerator,
    all_protection_seekers AS denominator,
    authority_area_flag AS flag
FROM core.protection_seekers
WHERE status_group = 'open'
