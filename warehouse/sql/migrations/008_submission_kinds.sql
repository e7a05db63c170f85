-- The supervision workbooks (inspections, evaluation scores, plan indicators) are recorded as submissions too, so
-- every upload has one id, one failure list and one duplicate check. Three changes to `submissions`: the kind list
-- grows; a national workbook has no province (NULL); only census returns and registers go through review.
-- DuckDB cannot change a CHECK constraint in place, so the table and the two that reference it are rebuilt with
-- their rows, inside this migration's transaction (the views over them are bound by name and stay valid).

CREATE TEMP TABLE _old_submissions AS SELECT * FROM submissions;
CREATE TEMP TABLE _old_submission_failures AS SELECT * FROM submission_failures;
CREATE TEMP TABLE _old_submission_reviews AS SELECT * FROM submission_reviews;
DROP TABLE submission_reviews;
DROP TABLE submission_failures;
DROP TABLE submissions;

-- Grain: one row per uploaded file that was validated and recorded.
CREATE TABLE submissions (
    submission_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('census', 'register', 'inspections', 'evaluation', 'indicators')),
    -- NULL for a national workbook (the supervision kinds).
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
    -- Supervision uploads add to what is loaded instead of replacing it: every accepted one stays current.
    is_current BOOLEAN NOT NULL,
    superseded_by VARCHAR,
    superseded_at TIMESTAMP,
    review_state VARCHAR CHECK (review_state IN ('待审核', '已审核', '已退回')),
    row_count BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    warning_count BIGINT NOT NULL,
    CHECK ((status = 'accepted' AND kind IN ('census', 'register')) = (review_state IS NOT NULL)),
    CHECK (status = 'accepted' OR NOT is_current),
    CHECK ((province_code IS NULL) = (kind IN ('inspections', 'evaluation', 'indicators')))
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
