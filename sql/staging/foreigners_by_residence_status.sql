/*
description: Foreigners in the Ausländerzentralregister on 31.12. by residence status and sex, as delivered (on the areas of the foreigners' authorities).
grain: one row per Kreis key, reference date, status group and sex
sources: raw.foreigners_by_residence_status (GENESIS-Online 12521-0044, code unverified; Ausländerstatistik / AZR)
columns:
  status_group: total; eu_free_movement (EU/EEA citizens, no residence title needed); permanent_title (Niederlassungserlaubnis, Erlaubnis zum Daueraufenthalt-EU); temporary_title (Aufenthaltserlaubnis); asylum_procedure (Aufenthaltsgestattung); tolerated (Duldung); title_applied_for; no_title (neither title, Duldung nor Gestattung).
  foreigners: Persons, rounded to multiples of 5 by Destatis; NULL when suppressed.
*/
-- The attribute codes are placeholders (sources/tables.d/demography.yaml): only this mapping
-- changes when the real codes are known.
SELECT
    ags_from_key(region_variable, region_key) AS ags,
    level_from_key(region_variable, region_key) AS level,
    region_key,
    region_label,
    period_from_time(reference_time) AS period,
    date_from_time(reference_time) AS reference_date,
    CASE aufst1
        WHEN 'label:freizuegigkeit-eu' THEN 'eu_free_movement'
        WHEN 'label:unbefristeter-aufenthaltstitel' THEN 'permanent_title'
        WHEN 'label:befristeter-aufenthaltstitel' THEN 'temporary_title'
        WHEN 'label:aufenthaltsgestattung' THEN 'asylum_procedure'
        WHEN 'label:duldung' THEN 'tolerated'
        WHEN 'label:aufenthaltstitel-beantragt' THEN 'title_applied_for'
        WHEN 'label:ohne-aufenthaltstitel-duldung-gestattung' THEN 'no_title'
        ELSE coalesce(aufst1, 'total')
    END AS status_group,
    aufst1_label AS status_group_label,
    sex_from_code(ges) AS sex,
    value AS foreigners,
    value_flag AS foreigners_flag,
    source_file,
    line_number
FROM raw.foreigners_by_residence_status
WHERE value_variable = 'BEV016'
