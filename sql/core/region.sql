/*
description: Regions of Germany on the target Gebietsstand (the newest loaded GV100AD edition, or the one IMON_TERRITORIAL_DATE selects), with their parents; plus Germany and the curated special regions (Berlin Bezirke).
grain: one row per ags and level (a kreisfreie Stadt is a Kreis and a Gemeinde with the same padded ags)
sources: staging.municipality_register (GV100AD), staging.special_regions
columns:
  ags: 8-character key; Germany 00000000. A Gemeindeverband, which has no AGS, carries its 9-digit key (the region_key, the first nine digits of its Gemeinden's ARS).
  level: deutschland, land, regierungsbezirk, region, kreis, gemeindeverband, gemeinde.
  region_key: the key as GENESIS tables use it at this level (DG, 09, 091, 09162, 091620000, 09162000).
  land_ags: ags of the Land the region lies in.
  kreis_ags: ags of the Kreis (for Kreise, Gemeindeverbände and Gemeinden).
  population: Inhabitants as given in the register edition (Gemeinden; summed for higher levels).
  territorial_date: The Gebietsstand every indicator output is on.
*/
WITH target_edition AS (
    SELECT max(territorial_date) AS territorial_date
    FROM staging.municipality_register
    WHERE territorial_date <= coalesce(CAST(getvariable('territorial_date') AS DATE), DATE '9999-12-31')
),
register AS (
    SELECT * FROM staging.municipality_register
    WHERE territorial_date = (SELECT territorial_date FROM target_edition)
),
gemeinde_totals AS (
    SELECT
        kreis_key,
        land_key,
        sum(population) AS population,
        sum(area_ha) AS area_ha
    FROM register
    WHERE level = 'gemeinde'
    GROUP BY GROUPING SETS ((kreis_key, land_key), (land_key), ())
),
regions AS (
    SELECT
        CASE WHEN r.level = 'gemeindeverband' THEN r.region_key ELSE r.ags END AS ags,
        r.level,
        r.region_key,
        r.ars,
        r.name,
        r.text_code,
        rpad(r.land_key, 8, '0') AS land_ags,
        CASE WHEN r.level IN ('kreis', 'gemeindeverband', 'gemeinde') THEN rpad(r.kreis_key, 8, '0') END AS kreis_ags,
        coalesce(r.population, k.population, l.population) AS population,
        coalesce(r.area_ha, k.area_ha, l.area_ha) AS area_ha,
        r.territorial_date
    FROM register AS r
    LEFT JOIN gemeinde_totals AS k ON r.level = 'kreis' AND k.kreis_key = r.kreis_key
    LEFT JOIN gemeinde_totals AS l ON r.level = 'land' AND l.kreis_key IS NULL AND l.land_key = r.land_key
),
germany AS (
    SELECT
        '00000000' AS ags,
        'deutschland' AS level,
        'DG' AS region_key,
        NULL AS ars,
        'Deutschland' AS name,
        NULL AS text_code,
        NULL AS land_ags,
        NULL AS kreis_ags,
        t.population,
        t.area_ha,
        (SELECT max(territorial_date) FROM register) AS territorial_date
    FROM gemeinde_totals AS t
    WHERE t.land_key IS NULL AND t.kreis_key IS NULL
)
SELECT * FROM regions
UNION ALL
SELECT * FROM germany
UNION ALL
SELECT
    s.ags,
    s.level,
    s.ags AS region_key,
    NULL AS ars,
    s.name,
    NULL AS text_code,
    left(s.ags, 2) || '000000' AS land_ags,
    CASE WHEN s.parent_level = 'kreis' THEN s.parent_ags END AS kreis_ags,
    NULL AS population,
    NULL AS area_ha,
    (SELECT territorial_date FROM target_edition) AS territorial_date
FROM staging.special_regions AS s
