"""The fixed wording of the reports, German and English: labels, topics, flag reasons, units and number format."""

from __future__ import annotations

LANGUAGES = ("de", "en")

# catalogue domain -> (German, English) section title, in the order the sections appear
TOPICS = {
    "Demografie": ("Bevölkerung und Migration", "Population and migration"),
    "Rechtliche Integration": ("Einbürgerung und Aufenthalt", "Naturalisation and residence"),
    "Arbeitsmarkt": ("Arbeitsmarkt", "Labour market"),
    "Bildung": ("Bildung", "Education"),
    "Kinderbetreuung": ("Kinderbetreuung", "Childcare"),
    "Soziales": ("Soziale Leistungen", "Social benefits"),
    "Partizipation": ("Partizipation", "Participation"),
    "Wohnen": ("Wohnen", "Housing"),
    "Gesundheit": ("Gesundheit", "Health"),
}

# value flags of marts.indicator_value -> (kind, German reason, English reason)
FLAGS = {
    "numerator_suppressed": ("suppressed", "Zähler geheim gehalten", "numerator suppressed for confidentiality"),
    "denominator_suppressed": ("suppressed", "Nenner geheim gehalten", "denominator suppressed for confidentiality"),
    "denominator_below_minimum": ("suppressed", "Nenner unter der Mindestgröße", "denominator below the minimum size"),
    "incomplete_aggregate": ("other", "Summe unvollständig, Werte einzelner Regionen fehlen",
                             "incomplete sum, values of some regions are missing"),
    "reported_with_other_region": ("territorial", "gemeinsam mit einer anderen Region gemeldet",
                                   "reported together with another region"),
    "merged_authority_area": ("territorial", "Ausländerbehörde für mehrere Kreise zusammen",
                              "one foreigners authority for several Kreise"),
    "reaggregated_from_former_kreise": ("territorial", "aus früheren Kreisen auf den Gebietsstand umgerechnet",
                                        "re-aggregated from former Kreise onto the Gebietsstand"),
    "single_gemeinde": ("other", "Kreis mit nur einer Gemeinde", "Kreis with a single Gemeinde"),
}

LEVEL_NAMES = {
    "deutschland": ("Deutschland", "Germany"), "land": ("Land", "Land"), "kreis": ("Kreis", "Kreis"),
    "gemeinde": ("Gemeinde", "Gemeinde"),
}

# unit -> decimals, German and English (value suffix, difference unit); a no-break space keeps "18,9 %" on one line
UNITS = {
    "pct": (1, ("\u00a0%", "Prozentpunkte"), ("\u00a0%", "percentage points")),
    "percentage_points": (1, ("\u00a0Prozentpunkte", "Prozentpunkte"), ("\u00a0percentage points", "percentage points")),
    "per_1000": (1, ("\u00a0je\u00a01.000", "je 1.000"), ("\u00a0per\u00a01,000", "per 1,000")),
    "net_per_1000": (1, ("\u00a0je\u00a01.000", "je 1.000"), ("\u00a0per\u00a01,000", "per 1,000")),
    "ratio": (2, ("", "Punkte"), ("", "points")),
    "index": (1, ("", "Punkte"), ("", "points")),
}
DEFAULT_UNIT = (1, ("", "Punkte"), ("", "points"))

LABELS = {
    "de": {
        "report": "Integrationsbericht", "snapshot": "Datenstand (Snapshot)", "published": "veröffentlicht",
        "data_as_of": "Daten bis Berichtsjahr", "territorial_date": "Gebietsstand", "created": "erstellt",
        "summary": "Zusammenfassung", "contents": "Inhalt", "indicator": "Indikator", "year": "Jahr",
        "value": "Wert", "change_1y": "Veränderung zum Vorjahr", "change_5y": "Veränderung über 5 Jahre",
        "rank_land": "Rang im Land", "rank_peer": "Rang im Vergleichsring", "rank_note": "Rang 1 = höchster Wert",
        "region": "Region", "land": "Land", "germany": "Deutschland", "peer": "Vergleichsring",
        "definition": "Definition", "numerator": "Zähler", "denominator": "Nenner", "sources": "Quellen",
        "caveats": "Hinweise", "reference_date": "Stichtag", "catalogue_note": "Katalogtexte in der Sprache des Katalogs (Englisch).",
        "flags": "Kennzeichen", "no_flags": "keine", "suppressed": "Geheimhaltung", "series_break": "Reihenbruch",
        "territorial": "Gebietsänderung", "other": "Hinweis", "synthetic": "SYNTHETISCHE DATEN",
        "synthetic_text": "Erzeugte Beispieldaten der Offline-Probe, keine amtlichen Werte.",
        "not_available": "nicht verfügbar", "not_at_level": "Auf dieser Ebene nicht veröffentlicht",
        "not_at_level_text": "Diese Indikatoren haben im Datenstand keine Werte auf der Ebene {level}:",
        "peer_group": "Vergleichsring", "members": "Kreise", "page": "Seite", "of": "von",
        "map": "Karte", "index": "Integrationsberichte", "reports": "Berichte", "key": "Schlüssel",
        "name": "Name", "how_to_read": "So lesen Sie diesen Bericht",
        "how_to_read_text": "Jeder Abschnitt zeigt je Indikator den Verlauf der Region neben Land, Deutschland und "
                            "Vergleichsring, eine kurze Tabelle, die Sätze aus festen Textbausteinen, die Definition aus "
                            "dem Indikatorkatalog und die Kennzeichen. Fehlt ein Wert, steht dort „nicht verfügbar“ mit Grund.",
        "territorial_history": "Gebietsstand", "valid_from": "besteht seit", "valid_to": "bestand bis",
        "legend": "Legende",
    },
    "en": {
        "report": "Integration report", "snapshot": "Snapshot", "published": "published",
        "data_as_of": "Data up to reporting year", "territorial_date": "Gebietsstand (territorial status)", "created": "created",
        "summary": "Summary", "contents": "Contents", "indicator": "Indicator", "year": "Year",
        "value": "Value", "change_1y": "Change against 1 year", "change_5y": "Change against 5 years",
        "rank_land": "Position in the Land", "rank_peer": "Position in the peer group", "rank_note": "position 1 = highest value",
        "region": "Region", "land": "Land", "germany": "Germany", "peer": "Peer group",
        "definition": "Definition", "numerator": "Numerator", "denominator": "Denominator", "sources": "Sources",
        "caveats": "Caveats", "reference_date": "Reference date", "catalogue_note": "",
        "flags": "Flags", "no_flags": "none", "suppressed": "Suppressed", "series_break": "Series break",
        "territorial": "Territorial change", "other": "Note", "synthetic": "SYNTHETIC DATA",
        "synthetic_text": "Generated data of the offline sample, not official statistics.",
        "not_available": "not available", "not_at_level": "Not published at this level",
        "not_at_level_text": "These indicators have no values at the {level} level in the snapshot:",
        "peer_group": "Peer group", "members": "Kreise", "page": "Page", "of": "of",
        "map": "Map", "index": "Integration reports", "reports": "Reports", "key": "Key",
        "name": "Name", "how_to_read": "How to read this report",
        "how_to_read_text": "Each section shows, per indicator, the region's series beside its Land, Germany and its peer "
                            "group, a short table, sentences from fixed templates, the definition from the indicator "
                            "catalogue and the flags. Where a value is missing it says \"not available\" with the reason.",
        "territorial_history": "Territorial status", "valid_from": "exists since", "valid_to": "existed until",
        "legend": "Legend",
    },
}


def number(value: float, decimals: int, lang: str) -> str:
    """A number in the language's format: 1.234,5 (de) or 1,234.5 (en); a minus sign, not a hyphen."""
    text = f"{abs(value):,.{decimals}f}"
    if lang == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return ("−" if round(value, decimals) < 0 else "") + text


def unit_of(unit: str | None, lang: str) -> tuple[int, str, str]:
    """(decimals, value suffix, unit of a difference) of a catalogue unit."""
    decimals, de, en = UNITS.get(unit or "", DEFAULT_UNIT)
    suffix, difference = de if lang == "de" else en
    return decimals, suffix, difference


def flag_reason(flag: str, lang: str) -> str:
    known = FLAGS.get(flag)
    return (known[1] if lang == "de" else known[2]) if known else flag


def flag_kind(flag: str) -> str:
    return FLAGS.get(flag, ("other",))[0]
