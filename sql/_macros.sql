-- Shared macros, created before the models are built. Keep them few and obvious.

-- Region keys as GENESIS delivers them, turned into the one key used everywhere: `ags`, an
-- 8-character string right-padded with zeros (Land 09 → 09000000, Kreis 09162 → 09162000).
-- Germany (DG) is 00000000. Zensus delivers 12-digit ARS for Gemeinden: AGS = ARS[1:5] + ARS[10:12].
-- Kreis and kreisfreie Gemeinde share the padded key (09162000), so `level` is part of every key.
CREATE OR REPLACE MACRO ags_from_key(region_variable, region_key) AS CASE
    WHEN region_key = 'DG' THEN '00000000'
    WHEN length(region_key) = 12 THEN substr(region_key, 1, 5) || substr(region_key, 10, 3)
    WHEN length(region_key) = 9 THEN region_key
    ELSE rpad(region_key, 8, '0')
END;

-- The level a key stands for. Regionaldatenbank tables list 15 eight-digit keys inside the KREISE
-- variable: the cities of Region Hannover (03241001), Städteregion Aachen (05334002) and
-- Regionalverband Saarbrücken (10041100), which are Gemeinden, and the 12 Berlin Bezirke
-- (11001001 … 11012012), which are districts of the Gemeinde Berlin and not in the register.
CREATE OR REPLACE MACRO level_from_key(region_variable, region_key) AS CASE
    WHEN region_key = 'DG' THEN 'deutschland'
    WHEN region_variable LIKE 'GEOGM%' THEN 'gemeinde'
    WHEN region_variable LIKE 'GEOVB%' THEN 'gemeindeverband'
    WHEN length(region_key) = 2 THEN 'land'
    WHEN length(region_key) = 3 THEN 'regierungsbezirk'
    WHEN length(region_key) = 5 THEN 'kreis'
    WHEN length(region_key) = 8 AND region_key LIKE '110%' AND region_key <> '11000000' THEN 'berlin_bezirk'
    WHEN length(region_key) = 8 THEN 'gemeinde'
    WHEN length(region_key) = 9 THEN 'gemeindeverband'
END;

-- GENESIS sex codes. An empty attribute code is the total row.
CREATE OR REPLACE MACRO sex_from_code(code) AS CASE
    WHEN code IS NULL THEN 'total' WHEN code = 'GESM' THEN 'male' WHEN code = 'GESW' THEN 'female' ELSE code
END;

-- Nationality: NATA foreign, NATD German, empty = total.
CREATE OR REPLACE MACRO nationality_from_code(code) AS CASE
    WHEN code IS NULL THEN 'total' WHEN code = 'NATA' THEN 'foreign' WHEN code = 'NATD' THEN 'german' ELSE code
END;

-- GENESIS time values are ISO: a date (STAG) or a year (JAHR).
CREATE OR REPLACE MACRO period_from_time(reference_time) AS CAST(substr(reference_time, 1, 4) AS INTEGER);
CREATE OR REPLACE MACRO date_from_time(reference_time) AS CASE
    WHEN length(reference_time) = 10 THEN CAST(reference_time AS DATE)
    WHEN length(reference_time) = 4 THEN make_date(CAST(reference_time AS INTEGER), 12, 31)
END;

-- Berlin and Hamburg are a Land and a Kreis at once (and a Gemeinde). Many Kreis tables list
-- them only as the Land (02, 11) and show the Berlin Bezirke instead of Kreis 11000. This adds
-- the Kreis row from the Land row wherever a table has none, so Kreis-level indicators and
-- their sums to Land and Germany include the city-states exactly once. Per period: a table whose
-- years come from different files (a real file for some, a generated one for others) may have the
-- Kreis row in some years only.
CREATE OR REPLACE MACRO with_city_state_kreise(relation_name) AS TABLE
    SELECT * FROM query_table(relation_name)
    UNION ALL BY NAME
    SELECT * REPLACE ('kreis' AS level)
    FROM query_table(relation_name) AS land
    WHERE land.level = 'land'
      AND land.ags IN ('02000000', '11000000')
      AND NOT EXISTS (
          SELECT 1 FROM query_table(relation_name) AS kreis
          WHERE kreis.level = 'kreis' AND kreis.ags = land.ags AND kreis.period = land.period
      );

-- Is a region key valid on a day? valid_to is the first day it no longer exists; NULL bounds are open.
CREATE OR REPLACE MACRO valid_on(day, valid_from, valid_to) AS
    day >= coalesce(valid_from, DATE '0001-01-01') AND day < coalesce(valid_to, DATE '9999-12-31');

-- The day a fact refers to: its reference date, or the end of its year (school years, annual averages).
CREATE OR REPLACE MACRO fact_day(reference_date, period) AS coalesce(reference_date, make_date(period, 12, 31));

-- Gemeindeverbände (Verbandsgemeinden, Ämter, Samtgemeinden, Verwaltungsgemeinschaften) from
-- Gemeinde counts: `relation_name` has ags, period, reference_date, numerator and denominator per
-- Gemeinde. Each Gemeinde belongs to exactly one Gemeindeverband (the first nine digits of its ARS;
-- a verbandsfreie Gemeinde is a Verband of its own), so the sums count nobody twice. A Verband with
-- a suppressed or missing member cell has no sum: unknown, not smaller. The Verband's 9-digit key
-- is its ags (it has no AGS of its own).
CREATE OR REPLACE MACRO gemeindeverband_sums(relation_name) AS TABLE
    WITH members AS (
        SELECT ags, substr(ars, 1, 9) AS verband_key
        FROM core.region
        WHERE level = 'gemeinde' AND ars IS NOT NULL
    ),
    periods AS (
        SELECT DISTINCT period, reference_date FROM query_table(relation_name)
    )
    SELECT
        members.verband_key AS ags,
        periods.period,
        periods.reference_date,
        CASE WHEN bool_or(gemeinde.numerator IS NULL) THEN NULL ELSE sum(gemeinde.numerator) END AS numerator,
        CASE WHEN bool_or(gemeinde.denominator IS NULL) THEN NULL ELSE sum(gemeinde.denominator) END AS denominator
    FROM periods
    CROSS JOIN members
    LEFT JOIN query_table(relation_name) AS gemeinde
        ON gemeinde.ags = members.ags AND gemeinde.period = periods.period
       AND gemeinde.reference_date = periods.reference_date
    GROUP BY members.verband_key, periods.period, periods.reference_date
    HAVING count(gemeinde.ags) > 0;
