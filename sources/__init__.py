"""Fetch and parse: GENESIS, Bundesagentur für Arbeit and file sources. Plain functions, no Prefect."""
