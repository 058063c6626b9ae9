/*
id: PAR02_COUNCIL
version: 1
name_de: Anteil der Ratsmitglieder mit Einwanderungsgeschichte
name_en: Share of municipal council members with immigration history
domain: Partizipation
unit: pct
scale: 100
aggregate: none
formula: "100 · RATM[EG] / RATM[total] (members of the Gemeinderat)"
definition: Members of the Gemeinderat (Stadtrat, Rat) with immigration history divided by all members, times 100, per Gemeinde and election year.
numerator: "county file integrationsrat-wahlen (declared layout in sources/tables.d/participation_housing_health.yaml, see PAR02_TURNOUT) - column Ratsmitglieder mit Einwanderungsgeschichte (RATM × EG)"
denominator: "the same file, column Ratsmitglieder insgesamt (RATM)"
sources: [county_file integrationsrat-wahlen]
lowest_level: gemeinde
reference_date: election year (composition after the election)
reference_sets: "K, W, D"
caveats: "Not official statistics: the council's own survey of its members, self-declared, so the definition of Einwanderungsgeschichte (immigrated, or a parent immigrated) depends on how the Gemeinde asks; members who do not answer count as without. Councils are small (often fewer than 50 members), so no minimum denominator is applied and a single member moves the share by several points; read it as a count. No Kreis, Land or Germany values (bodies of the Gemeinden). No file, no rows. Gemeinden merged since the election are summed onto the target Gemeinde."
numerator_within_denominator: true
*/
WITH gemeinden AS (
    SELECT
        ags,
        period,
        max(reference_date) AS reference_date,
        max(persons) FILTER (WHERE member_group = 'with_immigration_history') AS with_history,
        max(persons) FILTER (WHERE member_group = 'total') AS members,
        count(*) FILTER (WHERE member_group = 'total') AS member_rows,
        bool_or(is_reaggregated) AS is_reaggregated
    FROM core.integration_council_elections
    WHERE measure = 'council_members'
    GROUP BY ags, period
)
SELECT
    ags,
    'gemeinde' AS level,
    period,
    reference_date,
    CASE WHEN with_history IS NOT NULL AND members > 0 THEN 100 * with_history / members END AS value,
    with_history AS numerator,
    members AS denominator,
    CASE
        WHEN with_history IS NULL THEN 'numerator_suppressed'
        WHEN members IS NULL THEN 'denominator_suppressed'
        WHEN is_reaggregated THEN 'reaggregated_from_former_gemeinden'
    END AS flag
FROM gemeinden
WHERE member_rows > 0
