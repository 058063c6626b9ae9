/*
id: REC05
version: 1
name_de: Anteil der Ausländer mit einer Aufenthaltsdauer von mindestens 8 Jahren
name_en: Share of foreign nationals resident in Germany for 8 years or more
domain: Rechtliche Integration
unit: pct
scale: 100
aggregate: counts
formula: "100 · Σ AZR[Aufenthaltsdauer ≥ 8 Jahre] / AZR[total] (GES total), on the areas of the foreigners' authorities"
definition: Foreigners in the Ausländerzentralregister on 31.12. who have lived in Germany for 8 years or more divided by all foreigners in the register, times 100 - the naturalisation potential by residence until the 2024 reform.
numerator: "12521-0043 Ausländer (AZR), duration of stay 8 to under 10 … 30 years and more (six groups), GES total"
denominator: 12521-0043 Ausländer (AZR), all durations of stay, GES total
sources: [destatis 12521-0043]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "W A.1.2, B 1.4"
caveats: "Duration of stay counts from the first entry as recorded in the AZR; interruptions can reset it. Since the StAG reform of 27.06.2024 naturalisation is possible after 5 years, so from 2024 the share understates the potential (the 5-year line would need the groups 4–6 and 6–8 split at 5). AZR figures follow the foreigners' authority (Kassel, Saarland, Cottbus/Spree-Neiße on merged areas); cells rounded to multiples of 5. The AZR table by duration at Kreis level is unverified (12521-0043 placeholder)."
series_breaks: [{year: 2024, reason: "StAG reform of 27.06.2024: minimum residence for naturalisation 5 instead of 8 years"}]
*/
SELECT
    ags,
    period,
    reference_date,
    -- the groups from 8 years on; unknown when one is suppressed, or when there is none
    CASE
        WHEN bool_or(foreigners IS NULL) FILTER (WHERE category <> 'total' AND duration_from_years >= 8)
          OR count(*) FILTER (WHERE category <> 'total' AND duration_from_years >= 8) = 0 THEN NULL
        ELSE sum(foreigners) FILTER (WHERE category <> 'total' AND duration_from_years >= 8)
    END AS numerator,
    max(all_foreigners) AS denominator,
    max(authority_area_flag) AS flag
FROM core.foreigners_register
WHERE breakdown = 'duration_of_stay'
GROUP BY ags, period, reference_date
