/*
id: REC04
version: 1
name_de: Anteil der Ausländer mit unbefristetem Aufenthaltsrecht oder EU-Freizügigkeit
name_en: Share of foreign nationals with a permanent residence right or EU freedom of movement
domain: Rechtliche Integration
unit: pct
scale: 100
aggregate: counts
formula: "100 · (AZR[EU-Freizügigkeit] + AZR[unbefristeter Aufenthaltstitel]) / AZR[total] (GES total), on the areas of the foreigners' authorities"
definition: Foreigners in the Ausländerzentralregister on 31.12. who hold an unlimited residence title (Niederlassungserlaubnis, Erlaubnis zum Daueraufenthalt-EU) or move freely as EU/EEA citizens, divided by all foreigners in the register, times 100 - the share with a secure, long-term right of residence.
numerator: 12521-0044 Ausländer (AZR), Aufenthaltsstatus EU-Freizügigkeit + unbefristeter Aufenthaltstitel, GES total
denominator: 12521-0044 Ausländer (AZR), all residence statuses, GES total
sources: [destatis 12521-0044]
lowest_level: kreis
reference_date: 31.12.
reference_sets: "L B1, B 1.1, W A.1.1, NI 2-1-3"
caveats: "The complement holds limited titles (Aufenthaltserlaubnis), is in the asylum procedure (Gestattung), tolerated (Duldung), has applied for a title or has none. EU citizens are counted as secure as in L B1 although freedom of movement is conditional. AZR figures follow the foreigners' authority (Kassel, Saarland, Cottbus/Spree-Neiße on merged areas); cells rounded to multiples of 5, so the parts need not add up to the total. The AZR table by residence status at Kreis level and its codes are unverified (12521-0044 placeholder)."
*/
SELECT
    ags,
    period,
    reference_date,
    -- the two groups summed; unknown when either is suppressed or missing
    CASE
        WHEN bool_or(foreigners IS NULL) FILTER (WHERE category IN ('eu_free_movement', 'permanent_title'))
          OR count(*) FILTER (WHERE category IN ('eu_free_movement', 'permanent_title')) < 2 THEN NULL
        ELSE sum(foreigners) FILTER (WHERE category IN ('eu_free_movement', 'permanent_title'))
    END AS numerator,
    max(all_foreigners) AS denominator,
    max(authority_area_flag) AS flag
FROM core.foreigners_register
WHERE breakdown = 'residence_status'
GROUP BY ags, period, reference_date
