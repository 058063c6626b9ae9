/*
id: PAR02_TURNOUT
version: 1
name_de: Wahlbeteiligung bei den Wahlen zum Integrationsrat / Ausländerbeirat
name_en: Turnout in the elections of the integration council (Integrationsrat / Ausländerbeirat)
domain: Partizipation
unit: pct
scale: 100
aggregate: none
formula: "100 · IRWA / IRWB (voters / eligible voters of the integration council election)"
definition: Voters in the last election of the Gemeinde's integration council (Integrationsrat, Ausländerbeirat, Migrationsbeirat) divided by the persons eligible to vote in it, times 100, per Gemeinde and election year.
numerator: "county file integrationsrat-wahlen (delivered by the Gemeinden or the Land, declared layout in sources/tables.d/participation_housing_health.yaml; columns AGS, Gemeinde, Wahljahr, Wahlberechtigte Integrationsratswahl, Wählende Integrationsratswahl, Ratsmitglieder insgesamt, Ratsmitglieder mit Einwanderungsgeschichte) - column Wählende Integrationsratswahl (IRWA)"
denominator: "the same file, column Wahlberechtigte Integrationsratswahl (IRWB)"
sources: [county_file integrationsrat-wahlen]
lowest_level: gemeinde
reference_date: election year
reference_sets: "K, W, D"
caveats: "Not official statistics: the Gemeinden's own election results (Wahlamt). Only Gemeinden with such a council (in NRW mandatory from 5,000 foreign residents, § 27 GO NRW) and only election years have values; who may vote differs between the Länder (foreigners, naturalised persons, EU citizens). No Kreis, Land or Germany values: the councils are bodies of the Gemeinden, and a sum over the Gemeinden that have one would describe no region. A Gemeinde without a council shows 'x' in the file (numerator_suppressed); no file, no rows. Gemeinden merged since the election are summed onto the target Gemeinde (reaggregated_from_former_gemeinden)."
*/
WITH gemeinden AS (
    SELECT
        ags,
        period,
        max(reference_date) AS reference_date,
        max(persons) FILTER (WHERE measure = 'voters') AS voters,
        max(persons) FILTER (WHERE measure = 'eligible_voters') AS eligible_voters,
        count(*) FILTER (WHERE measure = 'voters') AS voter_rows,
        count(*) FILTER (WHERE measure = 'eligible_voters') AS eligible_rows,
        bool_or(is_reaggregated) AS is_reaggregated
    FROM core.integration_council_elections
    WHERE measure IN ('voters', 'eligible_voters')
    GROUP BY ags, period
),
flagged AS (
    SELECT
        *,
        CASE
            WHEN voters IS NULL THEN 'numerator_suppressed'
            WHEN eligible_voters IS NULL THEN 'denominator_suppressed'
            WHEN eligible_voters < getvariable('min_denominator') THEN 'denominator_below_minimum'
            WHEN is_reaggregated THEN 'reaggregated_from_former_gemeinden'
        END AS flag
    FROM gemeinden
    WHERE voter_rows > 0 AND eligible_rows > 0
)
SELECT
    ags,
    'gemeinde' AS level,
    period,
    reference_date,
    CASE WHEN flag IS NULL OR flag = 'reaggregated_from_former_gemeinden' THEN 100 * voters / eligible_voters END AS value,
    voters AS numerator,
    eligible_voters AS denominator,
    flag
FROM flagged
