-- Workbook kinds are declared once, in census_schema.forms: the submissions table no longer lists them in CHECK
-- constraints (migration 008 had to rebuild three tables to add three kinds). Which kinds need a province and
-- which are reviewed is the registry's to say, and the loads follow it. DuckDB cannot drop a CHECK in place, so
-- the table and the two that reference it are rebuilt with their rows, as in 008.

CREATE TEMP TABLE _old_submissions AS SELECT * FROM submissions;
CREATE TEMP TABLE _old_submission_failures AS SELECT * FROM submission_failures;
CREATE TEMP TABLE _old_submission_reviews AS SELECT * FROM submission_reviews;
DROP TABLE submission_reviews;
DROP TABLE submission_failures;
DROP TABLE submissions;

-- Grain: one row per uploaded file that was validated and recorded.
CREATE TABLE submissions (
    submission_id VARCHAR PRIMARY KEY,
    -- A workbook kind of census_schema.forms.
    kind VARCHAR NOT NULL,
    -- NULL for a national workbook (a kind that needs no province).
    province_code VARCHAR,
    round_id VARCHAR NOT NULL,
    form_version VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    file_bytes BIGINT NOT NULL,
    submitted_by VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('accepted', 'rejected')),
    -- The accepted submission that counts for its kind, province and round; rejected ones are never current.
    -- Uploads of kinds that add to what is loaded (supervision) stay current once accepted.
    is_current BOOLEAN NOT NULL,
    superseded_by VARCHAR,
    superseded_at TIMESTAMP,
    -- Set for accepted uploads of reviewed kinds only.
    review_state VARCHAR CHECK (review_state IN ('待审核', '已审核', '已退回')),
    row_count BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    warning_count BIGINT NOT NULL,
    CHECK (status = 'accepted' OR review_state IS NULL),
    CHECK (status = 'accepted' OR NOT is_current)
);

-- Grain: one row per error or warning of a recorded submission.
CREATE TABLE submission_failures (
    submission_id VARCHAR NOT NULL REFERENCES submissions (submission_id),
    sheet VARCHAR NOT NULL,
    excel_row BIGINT,
    field VARCHAR,
    label VARCHAR,
    value VARCHAR,
    rule VARCHAR NOT NULL,
    severity VARCHAR NOT NULL CHECK (severity IN ('error', 'warning')),
    message VARCHAR NOT NULL
);

-- Grain: one row per review state change.
CREATE TABLE submission_reviews (
    submission_id VARCHAR NOT NULL REFERENCES submissions (submission_id),
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR NOT NULL,
    from_state VARCHAR NOT NULL,
    to_state VARCHAR NOT NULL,
    reason VARCHAR
);

INSERT INTO submissions SELECT * FROM _old_submissions;
INSERT INTO submission_failures SELECT * FROM _old_submission_failures;
INSERT INTO submission_reviews SELECT * FROM _old_submission_reviews;
DROP TABLE _old_submissions;
DROP TABLE _old_submission_failures;
DROP TABLE _old_submission_reviews;
