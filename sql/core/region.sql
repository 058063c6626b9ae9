/*
description: Regions of Germany on the territorial status of the register edition, with their parents.
grain: one row per ags and level (a kreisfreie Stadt is a Kreis and a Gemeinde with the same padded ags)
sources: staging.municipality_register (GV100AD)
columns:
  ags: 8-character key; Germany 00000000.
  level: deutschland, land, regierungsbezirk, region, kreis, gemeindeverband, gemeinde.
  region_key: the key as GENESIS tables use it at this level (DG, 09, 091, 09162, 091620000, 09162000).
  land_ags: ags of the Land the region lies in.
  kreis_ags: ags of the Kreis (for Kreise, Gemeindeverbände and Gemeinden).
  population: Inhabitants as given in the register edition (Gemeinden; summed for higher levels).
*/
WITH register AS (
    SELECT * FROM staging.municipality_register
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
        r.ags,
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
