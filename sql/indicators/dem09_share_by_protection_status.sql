/*
breakdown: status_group           # the column of the SELECT below that tells the variants apart
version: 1
domain: Demografie
unit: pct
scale: 100
aggregate: counts
denominator: 12531-0043 BEV030, SCHUTZST-OF + SCHUTZST-AK-1 + SCHUTZST-X
sources: [destatis 12531-0043]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "L A9"
caveats: Computed on the areas of the foreigners' authorities (see DEM09). AZR cells are rounded to multiples of 5.
variants:
  - id: DEM09_OPEN
    table: dem09_share_open_protection_status
    status_group: open
    name_de: Anteil der Schutzsuchenden mit offenem Schutzstatus
    name_en: Share of protection seekers with open protection status
    formula: "100 · BEV030[SCHST2=SCHUTZST-OF] / BEV030[all]"
    definition: Protection seekers with open protection status on 31.12. divided by all protection seekers, times 100. Offener Schutzstatus means the asylum procedure is not yet decided.
    numerator: 12531-0043 BEV030, SCHST2 = SCHUTZST-OF
  - id: DEM09_RECOGNISED
    table: dem09_share_recognised_protection_status
    status_group: recognised
    name_de: Anteil der Schutzsuchenden mit anerkanntem Schutzstatus
    name_en: Share of protection seekers with recognised protection status
    formula: "100 · BEV030[SCHST2=SCHUTZST-AK-1] / BEV030[all]"
    definition: Protection seekers with recognised protection status on 31.12. divided by all protection seekers, times 100. Anerkannter Schutzstatus covers befristet and unbefristet recognition.
    numerator: 12531-0043 BEV030, SCHST2 = SCHUTZST-AK-1
  - id: DEM09_REJECTED
    table: dem09_share_rejected_protection_status
    status_group: rejected
    name_de: Anteil der Schutzsuchenden mit abgelehntem Schutzstatus
    name_en: Share of protection seekers with rejected protection status
    formula: "100 · BEV030[SCHST2=SCHUTZST-X] / BEV030[all]"
    definition: Protection seekers with rejected protection status on 31.12. divided by all protection seekers, times 100. Ohne Schutzstatus (abgelehnt) includes persons obliged to leave (ausreisepflichtig).
    numerator: 12531-0043 BEV030, SCHST2 = SCHUTZST-X
*/
SELECT
    status_group,
    ags,
    period,
    reference_date,
    protection_seekers AS numerator,
    all_protection_seekers AS denominator,
    authority_area_flag AS flag
FROM core.protection_seekers
