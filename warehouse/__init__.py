"""The warehouse: DuckDB connection, loading, the quality gate, model runs."""
