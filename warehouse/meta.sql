-- Bookkeeping of the pipeline itself: runs, the raw files behind every table, loads,
-- validation results. Created on every writing connection; never dropped by a run.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS meta.run (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    mode        VARCHAR,      -- offline (replay of the bundled sample) or live:<instances>
    outcome     VARCHAR,      -- running, success, rejected, failed
    message     VARCHAR
);
COMMENT ON TABLE meta.run IS 'One row per pipeline run: when, in which mode, with which outcome.';

CREATE TABLE IF NOT EXISTS meta.raw_file (
    table_name  VARCHAR NOT NULL,  -- raw.<table_name>
    source      VARCHAR NOT NULL,  -- GENESIS instance or file source
    table_code  VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,  -- landing zone path, relative to the landing directory
    sha256      VARCHAR NOT NULL,
    size_bytes  BIGINT,
    parameters  JSON,              -- request parameters, never credentials
    fetched_at  TIMESTAMPTZ,
    synthetic   BOOLEAN NOT NULL DEFAULT false,
    loaded_run_id VARCHAR
);
COMMENT ON TABLE meta.raw_file IS 'The raw files each raw table currently rests on; one row per table and file.';

CREATE TABLE IF NOT EXISTS meta.table_load (
    run_id      VARCHAR NOT NULL,
    table_name  VARCHAR NOT NULL,
    table_code  VARCHAR,
    source      VARCHAR,
    status      VARCHAR NOT NULL,  -- loaded, unchanged, rejected, failed
    row_count   BIGINT,
    files_sha256 VARCHAR,          -- sorted, comma separated
    message     VARCHAR,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE meta.table_load IS 'One row per run and source table: loaded, unchanged, rejected or failed, with row count and why.';

CREATE TABLE IF NOT EXISTS meta.validation_result (
    run_id      VARCHAR NOT NULL,
    table_name  VARCHAR NOT NULL,
    "check"     VARCHAR NOT NULL DEFAULT 'suite',  -- suite, or a row-comparing check
    expectation VARCHAR NOT NULL,
    column_name VARCHAR,
    severity    VARCHAR NOT NULL,  -- critical (blocking) or warning
    success     BOOLEAN NOT NULL,
    unexpected_count BIGINT,
    examples    JSON,              -- a few failing rows with their line numbers
    notes       VARCHAR,           -- what the expectation means, from the suite
    validated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE meta.validation_result IS 'Great Expectations results per run, table and expectation; failing ones keep a few example rows.';

CREATE TABLE IF NOT EXISTS meta.model_build (
    run_id      VARCHAR NOT NULL,
    model       VARCHAR NOT NULL,  -- schema.table
    row_count   BIGINT,
    sql_sha256  VARCHAR,
    built_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE meta.model_build IS 'Which SQL model was built in which run, with its row count and the hash of its SQL.';

CREATE TABLE IF NOT EXISTS meta.quarantine (
    run_id      VARCHAR NOT NULL,
    table_name  VARCHAR NOT NULL,
    "check"     VARCHAR NOT NULL,  -- suite, or the row-comparing check (kreis_sum_to_land, …)
    expectation VARCHAR NOT NULL,
    column_name VARCHAR,
    line_number BIGINT,            -- line in the raw file; NULL when the whole table was refused
    reason      VARCHAR,
    "row"       JSON,              -- the rejected row as parsed (or the derived comparison row)
    quarantined_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE meta.quarantine IS 'Rows a blocking expectation rejected, with the run, the check and the reason; the table they belong to was not loaded.';

CREATE TABLE IF NOT EXISTS meta.publish_log (
    published_at TIMESTAMPTZ NOT NULL,
    run_id      VARCHAR NOT NULL,  -- the run whose warehouse was published
    operator    VARCHAR NOT NULL,  -- who approved it: `imon publish --by`, else the user name
    via         VARCHAR NOT NULL,  -- imon publish, or flow (a scheduled or manual flow run)
    previous_snapshot VARCHAR,     -- the snapshot it replaced; NULL for the first
    summary     VARCHAR NOT NULL,  -- the diff in one line: 2 added, 1 changed values, 55 unchanged
    diff        JSON               -- per indicator, as `imon diff --format json`
);
COMMENT ON TABLE meta.publish_log IS 'One row per publish: the indicator diff against the snapshot it replaced, the run and who approved it (warehouse/review.py).';

-- columns added after the first release; warehouses built before get them here
ALTER TABLE meta.validation_result ADD COLUMN IF NOT EXISTS "check" VARCHAR DEFAULT 'suite';
ALTER TABLE meta.validation_result ADD COLUMN IF NOT EXISTS notes VARCHAR;
