/*
description: The municipality register GV100AD (Destatis Gemeindeverzeichnis), one row per record.
grain: one row per register record (Land, Regierungsbezirk, Region, Kreis, Gemeindeverband, Gemeinde)
sources: raw.municipality_register (GV100AD fixed-width file)
columns:
  ags: 8-character key, right-padded with zeros for Land, Regierungsbezirk and Kreis.
  level: land, regierungsbezirk, region, kreis, gemeindeverband, gemeinde.
  ars: 12-character Amtlicher Regionalschlüssel (Gemeinde, Gemeindeverband).
  territorial_date: Gebietsstand of the register edition.
*/
SELECT
    ags,
    level,
    key AS region_key,
    ars,
    name,
    text_code,
    land_key,
    regierungsbezirk_key,
    kreis_key,
    gemeindeverband_key,
    area_ha,
    population,
    territorial_date,
    source_file,
    line_number
FROM raw.municipality_register
