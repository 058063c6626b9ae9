/* Vergleichsring: the peer group of every Kreis (ready to become a model, e.g. core.peer_group).
   Peers are the Kreise of the same type and size class:
   type       kreisfreie Stadt (GV100AD text code 41 kreisfreie Stadt, 42 Stadtkreis) or
              Landkreis (43 Kreis, 44 Landkreis, 45 Regionalverband);
   size class population under 150,000 / 150,000 to under 300,000 / 300,000 and more.
   Columns: ags, kreis_type, size_class, peer_group (a readable label), population. */
SELECT
    ags,
    CASE WHEN text_code IN ('41', '42') THEN 'kreisfreie Stadt' ELSE 'Landkreis' END AS kreis_type,
    CASE WHEN population < 150000 THEN 'under 150,000'
         WHEN population < 300000 THEN '150,000 to under 300,000'
         ELSE '300,000 and more' END AS size_class,
    CASE WHEN text_code IN ('41', '42') THEN 'kreisfreie Städte' ELSE 'Landkreise' END
        || ' with ' || CASE WHEN population < 150000 THEN 'under 150,000'
                            WHEN population < 300000 THEN '150,000 to under 300,000'
                            ELSE '300,000 and more' END || ' inhabitants' AS peer_group,
    population
FROM core.region
WHERE level = 'kreis' AND population IS NOT NULL
