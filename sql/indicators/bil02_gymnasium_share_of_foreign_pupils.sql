/*
id: BIL02
version: 1
name_de: Gymnasialanteil ausländischer Schülerinnen und Schüler (Sekundarstufe, Proxy)
name_en: Share of foreign secondary pupils attending a Gymnasium (proxy)
domain: Bildung
unit: pct
scale: 100
aggregate: counts
formula: "100 · BIL003[NATA, BILSA8=SCHULE08] / Σ BIL003[NATA, BILSA8 ∈ SCHULE05…SCHULE11]"
reference_sets: "L D1 (grade 8), W A.2.2, NI 4-1-1"
definition: Foreign pupils at Gymnasien divided by foreign pupils at the secondary school types (Hauptschulen, Schularten mit mehreren Bildungsgängen, Realschulen, Gymnasien, Integrierte Gesamtschulen, Freie Waldorfschulen, Förderschulen) at the start of the school year, times 100.
numerator: 21111-01-03-4 BIL003, NAT = NATA, BILSA8 = SCHULE08 (Gymnasien)
denominator: 21111-01-03-4 BIL003, NAT = NATA, BILSA8 = SCHULE05, SCHULE06, SCHULE07, SCHULE08, SCHULE09, SCHULE10, SCHULE11 (without Vorschule SCHULE29, Grundschulen SCHULE03, Orientierungsstufe SCHULE04, Abendschulen SCHULE28)
sources: [regio 21111-01-03-4]
lowest_level: kreis
reference_date: start of the school year
caveats: A proxy for the school type attended in grade 8 (L D1); all grades of the school types are counted, including the Gymnasium upper level. School types are Land-specific, so comparisons across Länder are limited. A school type shown with '-' (none in the Kreis, e.g. no Hauptschulen in Hamburg) counts as nothing; a suppressed cell ('x', '.') makes the value unknown. Hessen and Berlin block whole school-type rows with 'x' (Berlin has no Haupt- and Realschulen), so those Kreise, and with them their Land and Germany, have no value. The comparison value for German pupils is (total − foreign) of the same rows.
*/
WITH foreign_pupils AS (
    SELECT
        ags,
        period,
        reference_date,
        school_type,
        -- '-' means no such school in the Kreis: nothing to add. Other signs stay unknown.
        CASE WHEN pupils IS NULL AND pupils_flag = '-' THEN 0 ELSE pupils END AS pupils
    FROM core.pupils
    WHERE level = 'kreis' AND pupil_group = 'foreign'
      AND school_type IN ('SCHULE05', 'SCHULE06', 'SCHULE07', 'SCHULE08', 'SCHULE09', 'SCHULE10', 'SCHULE11')
)
SELECT
    ags,
    period,
    reference_date,
    max(pupils) FILTER (WHERE school_type = 'SCHULE08') AS numerator,
    CASE WHEN bool_or(pupils IS NULL) THEN NULL ELSE sum(pupils) END AS denominator,
    CAST(NULL AS VARCHAR) AS flag
FROM foreign_pupils
GROUP BY ags, period, reference_date
