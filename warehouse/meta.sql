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
COMMENT ON COLUMN meta.publish_log.published_at IS 'When the snapshot was published (UTC).';
COMMENT ON COLUMN meta.publish_log.run_id IS 'The run whose warehouse was published.';
COMMENT ON COLUMN meta.publish_log.operator IS 'Who approved the publish: `imon publish --by`, else the user name.';
COMMENT ON COLUMN meta.publish_log.via IS 'How it was published: imon publish, or flow (a scheduled or manual flow run).';
COMMENT ON COLUMN meta.publish_log.previous_snapshot IS 'The snapshot file it replaced; NULL for the first publish.';
COMMENT ON COLUMN meta.publish_log.summary IS 'The indicator diff in one line, e.g. 2 added, 1 changed values, 55 unchanged.';
COMMENT ON COLUMN meta.publish_log.diff IS 'The indicator diff per indicator, as `imon diff --format json` prints it.';

CREATE TABLE IF NOT EXISTS meta.unfinished_build (
    run_id      VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE meta.unfinished_build IS 'A model build that began and has not finished: written before the build, removed in its transaction. A row left here means the process ended during a build; the next run rebuilds every model.';

-- columns added after the first release; warehouses built before get them here
ALTER TABLE meta.validation_result ADD COLUMN IF NOT EXISTS "check" VARCHAR DEFAULT 'suite';
ALTER TABLE meta.validation_result ADD COLUMN IF NOT EXISTS notes VARCHAR;
ALTER TABLE meta.model_build ADD COLUMN IF NOT EXISTS inputs JSON;

-- every column described (duckdb_columns().comment)
COMMENT ON COLUMN meta.run.run_id IS 'Run id: UTC start time and a random suffix, e.g. 20261204T101500Z-3fa9c2.';
COMMENT ON COLUMN meta.run.started_at IS 'When the run started.';
COMMENT ON COLUMN meta.run.finished_at IS 'When the run ended; NULL while it runs or when the process was killed.';
COMMENT ON COLUMN meta.run.mode IS 'offline (replay of the bundled sample) or live: <instances pulled live>.';
COMMENT ON COLUMN meta.run.outcome IS 'running, success, rejected (a table or indicator refused), failed, or interrupted (the process ended before the run finished).';
COMMENT ON COLUMN meta.run.message IS 'Why a run was not a success, or a note on it.';
COMMENT ON COLUMN meta.raw_file.table_name IS 'The raw table the file is loaded into: raw.<table_name>.';
COMMENT ON COLUMN meta.raw_file.source IS 'GENESIS instance (regio, destatis, zensus, …) or file source (ba_file, register, curated, county_file).';
COMMENT ON COLUMN meta.raw_file.table_code IS 'Table code at the source, e.g. 12411-01-01-4.';
COMMENT ON COLUMN meta.raw_file.path IS 'Path of the landed file, relative to the landing directory.';
COMMENT ON COLUMN meta.raw_file.sha256 IS 'sha256 (hex) of the landed file as it was downloaded.';
COMMENT ON COLUMN meta.raw_file.size_bytes IS 'Size of the landed file in bytes.';
COMMENT ON COLUMN meta.raw_file.parameters IS 'Request parameters of the download (JSON); never credentials.';
COMMENT ON COLUMN meta.raw_file.fetched_at IS 'When the file was downloaded (for a file source: its modification time).';
COMMENT ON COLUMN meta.raw_file.synthetic IS 'True when the file was generated for the offline sample: not official data.';
COMMENT ON COLUMN meta.raw_file.loaded_run_id IS 'The run that loaded the file into the raw table.';
COMMENT ON COLUMN meta.table_load.run_id IS 'The run (meta.run.run_id).';
COMMENT ON COLUMN meta.table_load.table_name IS 'The source table: raw.<table_name>.';
COMMENT ON COLUMN meta.table_load.table_code IS 'Table code at the source.';
COMMENT ON COLUMN meta.table_load.source IS 'GENESIS instance or file source.';
COMMENT ON COLUMN meta.table_load.status IS 'loaded, unchanged (same raw files as the last load), rejected (parse error or blocking expectation) or failed (not fetched).';
COMMENT ON COLUMN meta.table_load.row_count IS 'Rows loaded; NULL unless loaded.';
COMMENT ON COLUMN meta.table_load.files_sha256 IS 'sha256 of the raw files, sorted and comma separated.';
COMMENT ON COLUMN meta.table_load.message IS 'Why the table was rejected or failed, naming source, table and line.';
COMMENT ON COLUMN meta.table_load.recorded_at IS 'When the outcome was recorded.';
COMMENT ON COLUMN meta.validation_result.run_id IS 'The run (meta.run.run_id).';
COMMENT ON COLUMN meta.validation_result.table_name IS 'The validated source table, or indicators.<name> for an indicator audit.';
COMMENT ON COLUMN meta.validation_result."check" IS 'suite (the table''s Great Expectations suite) or the name of a row-comparing check (kreis_sum_to_land, …).';
COMMENT ON COLUMN meta.validation_result.expectation IS 'The Great Expectations expectation type, e.g. expect_column_values_to_not_be_null.';
COMMENT ON COLUMN meta.validation_result.column_name IS 'The column the expectation checks; NULL for table-level expectations.';
COMMENT ON COLUMN meta.validation_result.severity IS 'critical (a failure blocks the load) or warning (reported only).';
COMMENT ON COLUMN meta.validation_result.success IS 'Did the data meet the expectation?';
COMMENT ON COLUMN meta.validation_result.unexpected_count IS 'Rows that did not meet it.';
COMMENT ON COLUMN meta.validation_result.examples IS 'A few failing rows with their line numbers (JSON).';
COMMENT ON COLUMN meta.validation_result.notes IS 'What the expectation means, from the suite.';
COMMENT ON COLUMN meta.validation_result.validated_at IS 'When the expectation was evaluated.';
COMMENT ON COLUMN meta.model_build.run_id IS 'The run that built the model (or manual-build for imon build).';
COMMENT ON COLUMN meta.model_build.model IS 'schema.table of the model; * for the record of a complete build.';
COMMENT ON COLUMN meta.model_build.row_count IS 'Rows the model has after the build; for *: models built.';
COMMENT ON COLUMN meta.model_build.sql_sha256 IS 'sha256 of the model''s SQL file; for *: one hash over every SQL file and the variables the models read.';
COMMENT ON COLUMN meta.model_build.built_at IS 'When the build transaction started.';
COMMENT ON COLUMN meta.model_build.inputs IS 'For *: every raw table and the sha256 of the raw files it rested on when the build ran (JSON); a table whose files differ now is out of step.';
COMMENT ON COLUMN meta.quarantine.run_id IS 'The run (meta.run.run_id).';
COMMENT ON COLUMN meta.quarantine.table_name IS 'The source table (or indicator) the row belongs to.';
COMMENT ON COLUMN meta.quarantine."check" IS 'suite, or the row-comparing check that rejected the row (kreis_sum_to_land, …).';
COMMENT ON COLUMN meta.quarantine.expectation IS 'The expectation the row broke.';
COMMENT ON COLUMN meta.quarantine.column_name IS 'The column the expectation checks; NULL for table-level expectations.';
COMMENT ON COLUMN meta.quarantine.line_number IS 'Line in the raw file; NULL when the whole table was refused.';
COMMENT ON COLUMN meta.quarantine.reason IS 'Why the row was rejected.';
COMMENT ON COLUMN meta.quarantine."row" IS 'The rejected row as parsed, or the derived comparison row (JSON).';
COMMENT ON COLUMN meta.quarantine.quarantined_at IS 'When the row was rejected.';
COMMENT ON COLUMN meta.unfinished_build.run_id IS 'The run whose build began.';
COMMENT ON COLUMN meta.unfinished_build.started_at IS 'When the build began.';
